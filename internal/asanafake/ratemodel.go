package asanafake

import "time"

// RateModel is how the server counts a token's requests against
// Options.RequestsPerMinute. Asana counts over a sliding minute, but what
// answers 429 in front of it can count otherwise: a gateway with a fixed
// window, or one with a per-second token bucket.
type RateModel int

const (
	// SlidingWindow (the default) allows RequestsPerMinute requests in any
	// RateWindow, rejected ones included, as Asana counts; a 429 says how
	// long until the oldest request leaves the window.
	SlidingWindow RateModel = iota
	// FixedWindow allows RequestsPerMinute requests per window of
	// RateWindow, the windows starting when the server did; the count goes
	// back to zero at each window's start. A 429 says how long until the
	// next window starts.
	FixedWindow
	// TokenBucket refills RequestsPerMinute tokens per RateWindow, evenly
	// (per second: RequestsPerMinute ÷ RateWindow in seconds), up to
	// Options.RateBurst (default: the per-second rate, at least 1); the
	// bucket starts full. An admitted request takes a token; a rejected one
	// takes none. A 429 says how long until a token is back.
	TokenBucket
	// SecondBucket is the per-second token bucket of a gateway in real
	// seconds, whatever RateWindow: it refills RequestsPerMinute ÷ 60
	// tokens a second, evenly, and holds one second's refill (at least one
	// token; RateBurst is not read), starting full. "60,000 a minute with a
	// one-second-deep bucket" is RequestsPerMinute 60,000; a bucket of 10
	// at 10 a second is 600. A benchmark that shortens the other models'
	// windows (RateWindow: seconds standing for Asana's minute) cannot
	// shorten this one: Retry-After is in whole seconds, as long as the
	// whole bucket's refill, so a pause refills it entirely, and what a
	// client learns of such a bucket differs from what it learns of one
	// scaled down with the window.
	SecondBucket
)

func (m RateModel) String() string {
	switch m {
	case SlidingWindow:
		return "sliding"
	case FixedWindow:
		return "fixed"
	case TokenBucket:
		return "bucket"
	case SecondBucket:
		return "bucket1s"
	}
	return "RateModel(?)"
}

// modelState is a token's counters for the models other than the sliding
// window (which keeps its ring in tokenState), guarded by tokenState.mu.
type modelState struct {
	// FixedWindow: the window the count is of, and the count.
	window int64
	count  int
	// TokenBucket: how many tokens short of full the bucket was at last
	// (zero: full, so the zero value is a full bucket), and when.
	deficit float64
	last    int64
}

// admit records a request of tok at now (ns since the server's epoch) under
// the server's rate model and reports whether it is within the quota; if
// not, wait is how long the model says to wait.
func (s *Server) admit(tok *tokenState, now int64) (ok bool, wait time.Duration) {
	limit := s.opts.RequestsPerMinute
	switch s.opts.RateModel {
	case FixedWindow:
		return tok.takeFixed(now, limit, s.window)
	case TokenBucket:
		perSecond := float64(limit) / (float64(s.window) / float64(time.Second))
		burst := s.opts.RateBurst
		if burst <= 0 {
			burst = max(1, int(perSecond))
		}
		return tok.takeBucket(now, perSecond, burst)
	case SecondBucket:
		perSecond := float64(limit) / 60
		return tok.takeBucket(now, perSecond, max(1, int(perSecond)))
	}
	return tok.take(now, limit, s.window)
}

// takeFixed counts a request at now in the fixed window holding it: limit
// requests a window, the windows starting at multiples of window.
func (t *tokenState) takeFixed(now int64, limit int, window int64) (ok bool, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := &t.model
	if w := now / window; w != m.window {
		m.window, m.count = w, 0
	}
	if m.count >= limit {
		return false, time.Duration((m.window+1)*window - now)
	}
	m.count++
	return true, 0
}

// takeBucket takes a token at now from a bucket refilled at perSecond up to
// burst tokens.
func (t *tokenState) takeBucket(now int64, perSecond float64, burst int) (ok bool, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := &t.model
	if elapsed := now - m.last; elapsed > 0 {
		m.deficit = max(0, m.deficit-perSecond*float64(elapsed)/float64(time.Second))
		m.last = now
	}
	if short := m.deficit + 1 - float64(burst); short > 1e-9 {
		return false, time.Duration(short / perSecond * float64(time.Second))
	}
	m.deficit++
	return true, 0
}
