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
//
// The limiter starts at the configured tier. A 429 is evidence that the
// real quota is lower (a free domain configured as paid, or other users of
// the same token): the gate then slows to an estimate of the quota it saw
// honoured, and creeps back towards the configured rate after a quiet
// period. Without that, a client configured ten times too fast would meet a
// 429 after every pause.
type gate struct {
	limiter *rate.Limiter
	maxRate rate.Limit
	slots   chan struct{}
	logger  *slog.Logger
	stats   *counters

	mu         sync.Mutex
	pauseUntil time.Time
	epoch      uint64    // bumped by every pause, to void turns taken before it
	since      time.Time // start of the current 429-free stretch
	answered   int64     // answers (not 429) in that stretch
	lastChange time.Time // last change of the limiter's rate
	calmUntil  time.Time // 429s before this belong to the last episode
}

// Tuning of the adaptive rate.
const (
	// recoverAfter is the quiet time after which the rate goes up again.
	recoverAfter = 30 * time.Second
	// recoverStep is how much it goes up each time (10%).
	recoverStep = 1.1
	// estimateMargin keeps the rate a little under the observed quota.
	estimateMargin = 0.95
	// nearQuota: an estimate above this share of the current rate means the
	// rate is about right, and easeOff is how much it then slows.
	nearQuota = 0.75
	easeOff   = 0.97
	// minEstimateSample is how many answers make an estimate trustworthy;
	// with fewer the rate is halved instead.
	minEstimateSample = 10
	// minEpisode is how long a 429 without Retry-After counts as one
	// episode, so a burst of them slows the rate once, not once each.
	minEpisode = time.Second
	// minRateShare is the slowest the gate goes, as a share of the
	// configured rate.
	minRateShare = 50
)

func newGate(requestsPerMin, maxInFlight int, logger *slog.Logger, stats *counters) *gate {
	r := limiterRate(requestsPerMin)
	now := time.Now()
	return &gate{
		limiter:    rate.NewLimiter(r, 1),
		maxRate:    r,
		slots:      make(chan struct{}, maxInFlight),
		logger:     logger,
		stats:      stats,
		since:      now,
		lastChange: now,
	}
}

// limiterRate turns a per-minute quota into the limiter's per-second rate,
// keeping 1% (at least one request a minute) of headroom: Asana counts over
// a sliding minute, and a request that arrives a little late must not push
// the next minute over the quota.
func limiterRate(perMinute int) rate.Limit {
	headroom := max(1, float64(perMinute)/100)
	if float64(perMinute) <= headroom {
		return rate.Limit(float64(perMinute) / 60)
	}
	return rate.Limit((float64(perMinute) - headroom) / 60)
}

// enter waits until a request may be sent and returns the function that
// frees its in-flight slot.
func (g *gate) enter(ctx context.Context) (release func(), err error) {
	start := time.Now()
	for {
		epoch, err := g.waitPause(ctx)
		if err != nil {
			return nil, err
		}
		if err := g.limiter.Wait(ctx); err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			return nil, err
		}
		// A turn taken before a 429 arrived is void: queue again behind the
		// pause, so the requests that waited do not all go at once when it
		// ends.
		if g.currentEpoch() == epoch {
			break
		}
	}
	g.stats.waitNanos.Add(int64(time.Since(start)))
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return func() { <-g.slots }, nil
}

func (g *gate) currentEpoch() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.epoch
}

// waitPause blocks while a Retry-After pause is in force, and returns the
// pause epoch it saw last.
func (g *gate) waitPause(ctx context.Context) (uint64, error) {
	for {
		g.mu.Lock()
		d := time.Until(g.pauseUntil)
		epoch := g.epoch
		g.mu.Unlock()
		if d <= 0 {
			return epoch, nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		}
	}
}

// answered records an answer that was not a 429, and raises the rate again
// after a quiet period.
func (g *gate) answeredOK() {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answered++
	cur := g.limiter.Limit()
	if cur < g.maxRate && now.Sub(g.lastChange) >= recoverAfter && now.Sub(g.since) >= recoverAfter {
		g.setRate(now, min(g.maxRate, cur*recoverStep))
	}
}

// rateLimited records a 429. When Asana said how long to wait, every
// request of the client pauses that long. The first 429 of an episode also
// slows the rate: to just under the quota observed since the last 429
// (answers in that stretch over its length plus the wait), or to half when
// there is too little to go on.
func (g *gate) rateLimited(ctx context.Context, retryAfter time.Duration, hasRetryAfter bool, path string) {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	newEpisode := !now.Before(g.pauseUntil) && !now.Before(g.calmUntil)
	g.calmUntil = later(g.calmUntil, now.Add(max(retryAfter, minEpisode)))
	if hasRetryAfter && now.Add(retryAfter).After(g.pauseUntil) {
		g.pauseUntil = now.Add(retryAfter)
		g.epoch++
	}
	if !newEpisode {
		return
	}
	cur := g.limiter.Limit()
	next := cur / 2
	if span := now.Sub(g.since) + retryAfter; g.answered >= minEstimateSample && span > 0 {
		switch est := rate.Limit(float64(g.answered) / span.Seconds()); {
		case est >= cur*nearQuota:
			// Answered at about the current rate: this 429 came from a late
			// request or a neighbour on the same token, not from a quota far
			// below ours. Ease off a little.
			next = cur * easeOff
		default:
			next = est * estimateMargin
		}
	}
	next = max(next, g.maxRate/minRateShare)
	g.setRate(now, next)
	g.since = now.Add(retryAfter)
	g.answered = 0
	g.logger.LogAttrs(ctx, slog.LevelWarn, "asana: rate limited; pausing all requests and slowing down",
		slog.String("path", path), slog.Duration("retry_after", retryAfter),
		slog.Float64("requests_per_minute", float64(next)*60))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (g *gate) setRate(now time.Time, r rate.Limit) {
	g.limiter.SetLimitAt(now, r)
	g.lastChange = now
}

// requestsPerMinute is the limiter's current rate.
func (g *gate) requestsPerMinute() float64 {
	return float64(g.limiter.Limit()) * 60
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
	next    http.RoundTripper
	gate    *gate
	stats   *counters
	path    func(*http.Request) string
	maxBody int      // bytes of a body read at most; maxBodyBytes
	redact  redactor // applied to every excerpt kept from a body
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
	data, err := readLimited(resp.Body, t.maxBody)
	resp.Body.Close()
	if err != nil {
		return nil, &bodyError{status: resp.StatusCode, excerpt: excerpt(t.redact.bytes(data)), err: err}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		t.stats.rateLimited.Add(1)
		d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		t.gate.rateLimited(req.Context(), d, ok, t.path(req))
	} else {
		t.gate.answeredOK()
	}
	if resp.StatusCode/100 == 2 {
		if err := checkShape(req.Context(), data); err != nil {
			return nil, &bodyError{status: resp.StatusCode, excerpt: excerpt(t.redact.bytes(data)), err: err}
		}
	}
	resp.Body = bufferedBody{Reader: bytes.NewReader(data), data: data}
	resp.ContentLength = int64(len(data))
	return resp, nil
}

func readLimited(r io.Reader, limit int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return data, fmt.Errorf("body cut short: %w", err)
	}
	if len(data) > limit {
		return data[:min(len(data), 512)], fmt.Errorf("%w (over %d bytes)", errBodyTooLarge, limit)
	}
	return data, nil
}

// shapeKey is the context key of the shape a request's 2xx answer must
// have; the transport checks it so that a wrong shape is retried like any
// other malformed body.
type shapeKey struct{}

// The shapes of Asana's answers: {"data": [...]} for a list, {"data": {...}}
// for one object.
const (
	shapeList byte = '['
	shapeItem byte = '{'
)

// dataProbe records the first byte of the "data" value without copying it.
type dataProbe byte

func (p *dataProbe) UnmarshalJSON(b []byte) error {
	*p = dataProbe(b[0]) // never empty: the decoder hands over a whole value
	return nil
}

// checkShape checks that a 2xx body is JSON and, when the request's context
// names a shape, that its "data" is a list or an object as wanted. An
// answer whose "data" is missing, null or of the other kind is malformed: a
// proxy's {} or Asana's {"errors": …} with a 200 must never read as an
// empty list, which would look like "no goals" and remove stored ones.
func checkShape(ctx context.Context, body []byte) error {
	want, _ := ctx.Value(shapeKey{}).(byte)
	if want == 0 {
		if !json.Valid(body) {
			return errors.New("not valid JSON")
		}
		return nil
	}
	var top struct {
		Data *dataProbe `json:"data"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return errors.New("the answer is not a JSON object with a \"data\" field")
		}
		return errors.New("not valid JSON")
	}
	noun, article := "list", "a"
	if want == shapeItem {
		noun, article = "object", "an"
	}
	switch {
	case top.Data == nil:
		return fmt.Errorf("the answer has no \"data\" %s (missing or null)", noun)
	case byte(*top.Data) != want:
		return fmt.Errorf("the answer's \"data\" is not %s %s", article, noun)
	}
	return nil
}
