package asana

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// gate is what every request passes before it is sent: the shared 429
// pause, the client-side rate limiter and the in-flight bound.
type gate struct {
	limiter *rate.Limiter
	slots   chan struct{}
	logger  *slog.Logger
	stats   *counters

	mu         sync.Mutex
	pauseUntil time.Time
}

func newGate(requestsPerMin, maxInFlight int, logger *slog.Logger, stats *counters) *gate {
	return &gate{
		limiter: rate.NewLimiter(limiterRate(requestsPerMin), 1),
		slots:   make(chan struct{}, maxInFlight),
		logger:  logger,
		stats:   stats,
	}
}

// limiterRate turns a per-minute quota into the limiter's per-second rate,
// keeping 0.5% (at least one request a minute) of headroom: Asana counts
// over a sliding minute, and a request that arrives a little late must not
// push the next minute over the quota.
func limiterRate(perMinute int) rate.Limit {
	headroom := max(1, float64(perMinute)/200)
	if float64(perMinute) <= headroom {
		return rate.Limit(float64(perMinute) / 60)
	}
	return rate.Limit((float64(perMinute) - headroom) / 60)
}

// enter waits until a request may be sent and returns the function that
// frees its in-flight slot.
func (g *gate) enter(ctx context.Context) (release func(), err error) {
	start := time.Now()
	if err := g.waitPause(ctx); err != nil {
		return nil, err
	}
	if err := g.limiter.Wait(ctx); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	// A 429 may have arrived while this request waited for its turn.
	if err := g.waitPause(ctx); err != nil {
		return nil, err
	}
	g.stats.waitNanos.Add(int64(time.Since(start)))
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return func() { <-g.slots }, nil
}

// waitPause blocks while a Retry-After pause is in force.
func (g *gate) waitPause(ctx context.Context) error {
	for {
		g.mu.Lock()
		d := time.Until(g.pauseUntil)
		g.mu.Unlock()
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// pause holds every request of the client for d (Asana's Retry-After). A
// pause never shortens one already in force.
func (g *gate) pause(ctx context.Context, d time.Duration, path string) {
	until := time.Now().Add(d)
	g.mu.Lock()
	extended := until.After(g.pauseUntil)
	if extended {
		g.pauseUntil = until
	}
	g.mu.Unlock()
	if extended {
		g.logger.LogAttrs(ctx, slog.LevelWarn, "asana: rate limited; pausing all requests",
			slog.String("path", path), slog.Duration("retry_after", d))
	}
}

// errBodyTooLarge is a response over maxBodyBytes; retrying will not help.
var errBodyTooLarge = errors.New("response body too large")

// bodyError is a 2xx response whose body could not be read whole or is not
// JSON. The transport returns it as an error so the retry policy sends the
// request again.
type bodyError struct {
	status  int
	excerpt string
	err     error
}

func (e *bodyError) Error() string {
	return fmt.Sprintf("%d response body: %v", e.status, e.err)
}

func (e *bodyError) Unwrap() error { return e.err }

// bufferedBody is a response body already read into memory, so that the
// in-flight slot is held until the whole answer has arrived, and a body cut
// short is seen (and retried) as a transport error.
type bufferedBody struct {
	*bytes.Reader
	data []byte
}

func (bufferedBody) Close() error { return nil }

// gatedTransport sends each attempt (retries included) through the gate and
// reads the body in full before letting go of the slot.
type gatedTransport struct {
	next  http.RoundTripper
	gate  *gate
	stats *counters
	path  func(*http.Request) string
}

func (t *gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	release, err := t.gate.enter(req.Context())
	if err != nil {
		return nil, err
	}
	defer release()
	t.stats.requests.Add(1)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	data, err := readLimited(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, &bodyError{status: resp.StatusCode, excerpt: excerpt(data), err: err}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		t.stats.rateLimited.Add(1)
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			t.gate.pause(req.Context(), d, t.path(req))
		}
	}
	if resp.StatusCode/100 == 2 && !json.Valid(data) {
		return nil, &bodyError{status: resp.StatusCode, excerpt: excerpt(data), err: errors.New("not valid JSON")}
	}
	resp.Body = bufferedBody{Reader: bytes.NewReader(data), data: data}
	resp.ContentLength = int64(len(data))
	return resp, nil
}

func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBodyBytes+1))
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return data, fmt.Errorf("body cut short: %w", err)
	}
	if len(data) > maxBodyBytes {
		return data[:512], fmt.Errorf("%w (over %d bytes)", errBodyTooLarge, maxBodyBytes)
	}
	return data, nil
}
