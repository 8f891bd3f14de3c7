package asana

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// gate is what every request passes before it is sent: the shared 429
// pause, the client-side rate limiter and the in-flight bound. It keeps the
// waiting (the pause, the limiter's turns, the slots) and leaves every
// decision on the rate to its episode, which follows the package doc's
// rule (Rate limits); the gate applies the rate it decides (see setRate).
type gate struct {
	// limiter is replaced by a fresh one on a slow-down during a pause
	// (see setRate), under mu.
	limiter *rate.Limiter
	slots   chan struct{}
	release func()        // frees an in-flight slot (one func for all, not one per request)
	maxWait time.Duration // the longest Retry-After pause waited out
	logger  *slog.Logger
	stats   *counters
	// refused is set by the first 401: Asana refused the token, so every
	// further request would be refused too and is not sent.
	refused atomic.Bool

	mu         sync.Mutex
	pauseUntil time.Time
	// pauseOverLong says the pause in force was asked for with a
	// Retry-After past maxRetryAfter: a request that meets it says so,
	// not the rest of the pause the client's bound gave it.
	pauseOverLong bool
	epoch         uint64        // bumped by every pause, to void turns taken before it
	voided        chan struct{} // closed when limiter is replaced, to wake the requests waiting for a turn of it
	lastSent      time.Time     // when the last request was let through
	episode       episode       // the rate's learning: every decision on it
}

const (
	// DefaultMaxWait is the longest Retry-After a Client waits out by
	// default; a longer one ends the request with an error that says how
	// long Asana asked for (see WithMaxWait).
	DefaultMaxWait = 5 * time.Minute
)

func newGate(requestsPerMin, maxInFlight int, maxWait time.Duration, logger *slog.Logger, stats *counters) *gate {
	r := limiterRate(requestsPerMin)
	g := &gate{
		limiter: rate.NewLimiter(r, 1),
		slots:   make(chan struct{}, maxInFlight),
		maxWait: maxWait,
		logger:  logger,
		stats:   stats,
		voided:  make(chan struct{}),
		episode: newEpisode(time.Now(), r, min(r, limiterRate(FreeRequestsPerMinute))),
	}
	g.release = func() { <-g.slots }
	return g
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

// waitError is a pause for Asana's rate limit longer than the client
// waits (WithMaxWait). A request that would queue behind it fails at once
// instead of waiting; the client reports it as an *Error.
type waitError struct {
	after, max time.Duration
}

// errRefused is a request not sent because Asana refused the client's
// token earlier; the client reports it as an *Error with status 401.
var errRefused = errors.New("not sent: Asana refused this client's token on an earlier request")

func (e *waitError) Error() string {
	return fmt.Sprintf("Asana asked to wait %s for its rate limit, longer than the %s this client waits", describeWait(e.after), e.max)
}

// enter waits until a request may be sent and returns the function that
// frees its in-flight slot, and when the request was let through. An
// urgent request goes ahead of the others waiting for the limiter.
func (g *gate) enter(ctx context.Context, urgent bool) (release func(), sent time.Time, err error) {
	start := time.Now()
	for {
		if g.refused.Load() {
			return nil, time.Time{}, errRefused
		}
		turn, err := g.waitPause(ctx)
		if err != nil {
			return nil, time.Time{}, err
		}
		got, err := g.waitLimiter(ctx, urgent, turn)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, time.Time{}, ctxErr
			}
			return nil, time.Time{}, err
		}
		if g.refused.Load() { // refused while this request waited its turn
			return nil, time.Time{}, errRefused
		}
		// A turn taken before a 429 arrived is void: queue again behind the
		// pause, so the requests that waited do not all go at once when it
		// ends.
		if got && g.currentEpoch() == turn.epoch {
			break
		}
	}
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	}
	sent = time.Now()
	g.stats.waitNanos.Add(int64(sent.Sub(start)))
	g.mu.Lock()
	g.lastSent = later(g.lastSent, sent)
	g.episode.onSend(sent)
	g.mu.Unlock()
	return g.release, sent, nil
}

// turn is what a request about to wait for its turn saw of the gate: the
// pause epoch, the limiter, and the channel closed when that limiter is
// replaced.
type turn struct {
	epoch   uint64
	limiter *rate.Limiter
	voided  <-chan struct{}
}

// waitLimiter takes a turn of the limiter of t, and reports false when
// that limiter was replaced first (a slow-down during a pause): the turn
// is void, and the request queues again behind the pause. An urgent request (a page of the workspace scan, the sync's
// critical path) does not queue behind the sub-goal requests already
// waiting there: it takes its token now and the limiter counts it, so the
// requests reserved after it wait one turn longer. The rate over any
// stretch stays the limiter's; only the order changes, by one request at
// a time, as the scan sends one page at a time. As rate.Limiter.Wait, it
// does not wait for a turn past ctx's deadline.
func (g *gate) waitLimiter(ctx context.Context, urgent bool, t turn) (bool, error) {
	r := t.limiter.Reserve() // burst 1: a token is always reserved
	if urgent {
		return true, nil
	}
	d := r.Delay()
	if d <= 0 {
		return true, nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		r.Cancel()
		return false, errors.New("rate: Wait(n=1) would exceed context deadline")
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true, nil
	case <-t.voided:
		r.Cancel()
		return false, nil
	case <-ctx.Done():
		r.Cancel()
		return false, ctx.Err()
	}
}

func (g *gate) currentEpoch() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.epoch
}

// waitPause blocks while a Retry-After pause is in force, and returns the
// turn it then saw. A pause longer than maxWait is not waited out.
func (g *gate) waitPause(ctx context.Context) (turn, error) {
	for {
		g.mu.Lock()
		d := time.Until(g.pauseUntil)
		t := turn{epoch: g.epoch, limiter: g.limiter, voided: g.voided}
		overLong := g.pauseOverLong
		g.mu.Unlock()
		if d <= 0 {
			return t, nil
		}
		if d > g.maxWait {
			if overLong {
				d = overLongRetryAfter
			}
			return turn{}, &waitError{after: d, max: g.maxWait}
		}
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return turn{}, ctx.Err()
		case <-timer.C:
		}
	}
}

// pausedFor is how long the current Retry-After pause still lasts.
func (g *gate) pausedFor() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return max(0, time.Until(g.pauseUntil))
}

// answeredOK records an answer that was not a 429 for a request sent at
// sent, and raises the rate again after a quiet period (see episode).
func (g *gate) answeredOK(sent time.Time) {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.apply(context.Background(), now, g.episode.onAnswer(now, sent))
}

// rateLimited records a 429 for a request sent at sent. When Asana said how
// long to wait, every request of the client pauses that long. What the 429
// does to the rate is the episode's decision (see episode).
//
// It returns how much longer the client is now paused than it was before
// (0 when the 429 started or extended no pause).
func (g *gate) rateLimited(ctx context.Context, sent time.Time, retryAfter time.Duration, hasRetryAfter bool, path string) (added time.Duration) {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if hasRetryAfter && now.Add(retryAfter).After(g.pauseUntil) {
		added = now.Add(retryAfter).Sub(later(now, g.pauseUntil))
		g.stats.pauseNanos.Add(int64(added))
		g.pauseUntil = now.Add(retryAfter)
		g.pauseOverLong = retryAfter > maxRetryAfter
		g.epoch++
	}
	d := g.episode.on429(now, sent, retryAfter)
	if d.opened {
		g.logger.LogAttrs(ctx, slog.LevelWarn, "asana: rate limited; pausing all requests",
			slog.String("path", path), slog.Duration("retry_after", retryAfter))
	}
	g.apply(ctx, now, d)
	return added
}

// apply sets the rate an episode decided, and logs a slow-down. It is
// called under mu, after any pause the event started: a slow-down during
// the pause restarts the limiter (see setRate).
func (g *gate) apply(ctx context.Context, now time.Time, d decision) {
	if d.change == rateKept {
		return
	}
	g.setRate(now, d.rate)
	switch d.change {
	case rateBack:
		g.logger.LogAttrs(ctx, slog.LevelWarn, "asana: back to the rate learnt",
			slog.Float64("requests_per_minute", float64(d.rate)*60))
	case rateSlowed:
		g.logger.LogAttrs(ctx, slog.LevelWarn, "asana: the quota is lower than the configured rate; slowing down",
			slog.Float64("requests_per_minute", float64(d.rate)*60))
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// setRate changes the limiter's rate. A slow-down during a pause starts a
// fresh limiter at the new rate that has let through the last request sent
// and nothing since: the turns taken of the old one before the pause are
// void, and their reservations, made at the rate now found too fast, must
// not weigh on the requests after the pause at the slower one (forty
// sub-goal requests queued at 100 a second are 0.4 s of turns, but 4 s at
// 10 a second). The requests waiting for a turn of the old limiter are
// woken to queue again behind the pause. Otherwise the limiter keeps its
// reservations: the void turns' are the spacing of the requests after a
// pause at an unchanged rate, as before it.
func (g *gate) setRate(now time.Time, r rate.Limit) {
	if r >= g.limiter.Limit() || !now.Before(g.pauseUntil) {
		g.limiter.SetLimitAt(now, r)
		return
	}
	lim := rate.NewLimiter(r, 1)
	if !g.lastSent.IsZero() {
		lim.AllowN(g.lastSent, 1)
	}
	g.limiter = lim
	close(g.voided)
	g.voided = make(chan struct{})
}

// requestsPerMinute is the limiter's current rate.
func (g *gate) requestsPerMinute() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return float64(g.limiter.Limit()) * 60
}
