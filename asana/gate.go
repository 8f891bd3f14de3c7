package asana

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// gate is what every request passes before it is sent: the shared 429
// pause, the client-side rate limiter and the in-flight bound.
//
// The limiter starts at the configured tier and slows down only on
// evidence that the real quota is lower, never on a 429 alone: Asana also
// answers 429 for too many concurrent or costly requests, and for other
// programs on the same token, and such a 429 costs its Retry-After and no
// more. The evidence is a second 429 in the same episode for a request sent
// after the one that opened it: the server turned away a request that it
// would have served had it merely been busy, so its quota is spent for
// everyone. An answer that is not a 429 for such a later request is
// evidence against, and the episode then changes nothing. An episode that
// ends with neither (the 429 came back before another request went, as
// from a gateway that refuses at once) proves nothing by itself; but a 429
// that opens the next episode right after it, with no evidence against in
// between, is taken as evidence too: the server refuses each time the pause
// is over and the client sends at its rate, which is what a spent quota
// looks like, whether counted over a sliding window, a fixed one or a
// per-second token bucket. On evidence the gate slows to an estimate of the
// quota it saw honoured: the requests of the stretch before the episode
// that were sent before the refused one (answered, or still on their way:
// the server let them through) over that stretch and the pause, a
// whole-second Retry-After of two seconds or more counted half a second
// short (the server rounded it up). It never goes below Asana's lowest
// documented quota unless it is already there and second 429s for later
// requests keep coming. After a quiet period it climbs back quickly, and a
// 429 during a climb above the rate learnt sends it straight back to that
// rate: the climb went too far, and the stretch's estimate would be skewed
// by what the climb sent. A slow-down during a pause (on a 429 with
// Retry-After) restarts the limiter at the slower rate: the turns taken at
// the faster one are void, and are no debt of the requests after the pause
// (see setRate).
type gate struct {
	// limiter is replaced by a fresh one on a slow-down during a pause
	// (see setRate), under mu.
	limiter *rate.Limiter
	maxRate rate.Limit // the configured rate, with headroom
	floor   rate.Limit // Asana's lowest documented quota, with headroom
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
	since         time.Time     // first request sent in the current stretch; zero before it
	answered      int64         // answers (not 429) in that stretch
	// sends are the send times of the stretch's first maxSendLog requests.
	sends      []time.Time
	lastChange time.Time // last change of the limiter's rate
	last429    time.Time
	// The current 429 episode: from its first 429 until its pause is over.
	episodeEnd  time.Time
	episodeSent time.Time  // when the request that opened it was sent
	decided     bool       // the episode already slowed the rate, or proved it need not
	opened      bool       // an episode has been opened
	undone      bool       // the current episode undid a climb
	learned     rate.Limit // the rate of the last slow-down; 0 once back at maxRate
	estimate    rate.Limit
	// step is the next recovery's factor: small just after a slow-down, so
	// that a quota that really is lower is overshot by little, then growing
	// with every quiet step, so that a quota that came back is regained fast.
	step float64
}

// Tuning of the adaptive rate.
const (
	// recoverAfter is the quiet time (no 429) after which the rate goes up
	// again, and again after each such time. The first step is
	// firstRecoverStep; each quiet step doubles the next one's increase
	// (+10%, +20%, +40%, …), so from Asana's free tier to its paid tier
	// takes about two minutes.
	recoverAfter     = 20 * time.Second
	firstRecoverStep = 1.1
	// estimateMargin keeps the rate a little under the observed quota.
	estimateMargin = 0.95
	// minEstimateSample is how many answers make an estimate trustworthy;
	// with fewer the rate is halved instead.
	minEstimateSample = 10
	// maxSendLog is the most send times a stretch keeps; past it, the
	// stretch is long enough for its answers alone to tell.
	maxSendLog = 4096
	// minEpisode is how long a 429 without Retry-After counts as one
	// episode.
	minEpisode = time.Second
	// minRateShare is the slowest the gate ever goes, as a share of the
	// configured rate, however long 429s keep coming.
	minRateShare = 50
	// DefaultMaxWait is the longest Retry-After a Client waits out by
	// default; a longer one ends the request with an error that says how
	// long Asana asked for (see WithMaxWait).
	DefaultMaxWait = 5 * time.Minute
)

func newGate(requestsPerMin, maxInFlight int, maxWait time.Duration, logger *slog.Logger, stats *counters) *gate {
	r := limiterRate(requestsPerMin)
	g := &gate{
		limiter:    rate.NewLimiter(r, 1),
		maxRate:    r,
		floor:      min(r, limiterRate(FreeRequestsPerMinute)),
		slots:      make(chan struct{}, maxInFlight),
		maxWait:    maxWait,
		logger:     logger,
		stats:      stats,
		lastChange: time.Now(),
		step:       firstRecoverStep,
		voided:     make(chan struct{}),
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
	if g.since.IsZero() {
		g.since = sent
	}
	if len(g.sends) < maxSendLog {
		g.sends = append(g.sends, sent)
	}
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
// sent, and raises the rate again after a quiet period.
func (g *gate) answeredOK(sent time.Time) {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answered++
	if now.Before(g.episodeEnd) && sent.After(g.episodeSent) {
		// Served although sent after a request that met a 429: the server
		// was not out of quota.
		g.decided = true
	}
	cur := g.limiter.Limit()
	if cur < g.maxRate && now.Sub(g.lastChange) >= recoverAfter && now.Sub(g.last429) >= recoverAfter {
		next := min(g.maxRate, cur*rate.Limit(g.step))
		g.setRate(now, next)
		g.step = 1 + 2*(g.step-1)
		if next == g.maxRate {
			g.learned = 0 // the quota is back: nothing learnt holds any more
		}
	}
}

// rateLimited records a 429 for a request sent at sent. When Asana said how
// long to wait, every request of the client pauses that long. The first
// 429 of an episode changes nothing else; a second one for a later request
// slows the rate (see gate).
//
// It returns how much longer the client is now paused than it was before
// (0 when the 429 started or extended no pause).
func (g *gate) rateLimited(ctx context.Context, sent time.Time, retryAfter time.Duration, hasRetryAfter bool, path string) (added time.Duration) {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.last429 = now
	if hasRetryAfter && now.Add(retryAfter).After(g.pauseUntil) {
		added = now.Add(retryAfter).Sub(later(now, g.pauseUntil))
		g.stats.pauseNanos.Add(int64(added))
		g.pauseUntil = now.Add(retryAfter)
		g.pauseOverLong = retryAfter > maxRetryAfter
		g.epoch++
	}
	recurring := false
	if !now.Before(g.episodeEnd) {
		recurring = g.opened && !g.decided && !g.undone
		g.openEpisode(now, sent, retryAfter)
		g.logger.LogAttrs(ctx, slog.LevelWarn, "asana: rate limited; pausing all requests",
			slog.String("path", path), slog.Duration("retry_after", retryAfter))
		g.undone = false
		if cur := g.limiter.Limit(); g.learned > 0 && cur > g.learned {
			// A climb above the rate learnt met a 429: it went too far.
			g.setRate(now, g.learned)
			g.step = firstRecoverStep
			g.undone = true
			g.logger.LogAttrs(ctx, slog.LevelWarn, "asana: back to the rate learnt",
				slog.Float64("requests_per_minute", float64(g.learned)*60))
			return
		}
		if !recurring {
			return
		}
	} else {
		g.episodeEnd = later(g.episodeEnd, now.Add(max(retryAfter, minEpisode)))
		if g.decided || !sent.After(g.episodeSent) {
			return
		}
	}
	g.decided = true
	cur := g.limiter.Limit()
	lowest := g.floor
	if cur <= g.floor {
		if recurring {
			return // recurring 429s alone never take the rate below the floor
		}
		lowest = g.maxRate / minRateShare // 429s keep coming at the floor itself
	}
	next := max(lowest, min(cur, g.estimate*estimateMargin))
	g.setRate(now, next)
	g.learned = next
	g.step = firstRecoverStep
	g.logger.LogAttrs(ctx, slog.LevelWarn, "asana: the quota is lower than the configured rate; slowing down",
		slog.Float64("requests_per_minute", float64(next)*60))
	return added
}

// openEpisode starts a 429 episode for a request sent at sent and estimates
// the quota from the stretch before it: the requests it let through over
// its length plus the pause (see gate).
func (g *gate) openEpisode(now, sent time.Time, retryAfter time.Duration) {
	g.opened = true
	g.episodeEnd = now.Add(max(retryAfter, minEpisode))
	g.episodeSent = sent
	g.decided = false
	cur := g.limiter.Limit()
	g.estimate = cur / 2
	pause := retryAfter
	if pause >= 2*time.Second && pause%time.Second == 0 {
		pause -= time.Second / 2
	}
	// The server let through the requests sent before the one it refused,
	// answered or still on their way.
	served := g.answered
	if len(g.sends) < maxSendLog {
		before := int64(sort.Search(len(g.sends), func(i int) bool { return !g.sends[i].Before(sent) }))
		served = max(served, before)
	}
	if span := now.Sub(g.since) + pause; !g.since.IsZero() && served >= minEstimateSample && span > 0 {
		g.estimate = rate.Limit(float64(served) / span.Seconds())
	}
	g.since = time.Time{}
	g.answered = 0
	g.sends = g.sends[:0]
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
	g.lastChange = now
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
