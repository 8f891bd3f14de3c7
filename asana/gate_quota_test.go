package asana_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
)

// quotaServer answers 429 once a quota is spent, counted the ways a server
// in front of Asana can count it, with Retry-After in whole seconds rounded
// up (at least 1), as Asana sends it.
type quotaServer struct {
	model  string // "sliding", "fixed" or "bucket"
	quota  int    // requests per window
	window time.Duration
	burst  float64 // bucket: its size (0: a second's refill)

	mu      sync.Mutex
	start   time.Time
	times   []time.Time // sliding: the window's requests, rejected ones included
	fixedAt int64       // fixed: the window counted
	count   int
	tokens  float64 // bucket
	last    time.Time
	served  int
	limited int
}

func (s *quotaServer) respond(*http.Request) (*http.Response, error) {
	s.mu.Lock()
	wait := s.admit(time.Now())
	if wait > 0 {
		s.limited++
	} else {
		s.served++
	}
	s.mu.Unlock()
	if wait > 0 {
		return tooMany(strconv.Itoa(int(max(1, (wait+time.Second-1)/time.Second)))), nil
	}
	time.Sleep(20 * time.Millisecond)
	return okMe(), nil
}

// admit counts a request at now and returns 0, or how long until the quota
// allows one.
func (s *quotaServer) admit(now time.Time) time.Duration {
	if s.start.IsZero() {
		s.start, s.last = now, now
		s.fixedAt = -1
		if s.burst == 0 {
			s.burst = float64(s.quota) / s.window.Seconds()
		}
		s.tokens = s.burst
	}
	switch s.model {
	case "sliding":
		for len(s.times) > 0 && now.Sub(s.times[0]) >= s.window {
			s.times = s.times[1:]
		}
		s.times = append(s.times, now)
		if len(s.times) > s.quota {
			return s.window - now.Sub(s.times[len(s.times)-1-s.quota])
		}
	case "fixed":
		if w := int64(now.Sub(s.start) / s.window); w != s.fixedAt {
			s.fixedAt, s.count = w, 0
		}
		if s.count >= s.quota {
			return s.start.Add(time.Duration(s.fixedAt+1) * s.window).Sub(now)
		}
		s.count++
	case "bucket":
		perSecond := float64(s.quota) / s.window.Seconds()
		s.tokens = min(s.burst, s.tokens+now.Sub(s.last).Seconds()*perSecond)
		s.last = now
		if s.tokens < 1 {
			return time.Duration((1 - s.tokens) / perSecond * float64(time.Second))
		}
		s.tokens--
	}
	return 0
}

var (
	slowedTo = regexp.MustCompile(`slowing down.*requests_per_minute=([0-9.]+)`)
	slowedAt = regexp.MustCompile(`time=(\S+) level=WARN msg="asana: the quota is lower than the configured rate; slowing down"`)
)

// Against a quota counted over Asana's sliding minute, over fixed
// minutes, or by a per-second token bucket that holds a second's refill,
// every rate the gate learns lands within 10% under the quota, and five
// minutes of requests get at least 90% of the quota served.
func TestGate_learnedRateLandsJustUnderEachServerModel(t *testing.T) {
	for _, tc := range []struct {
		name      string
		model     string
		quota     int
		window    time.Duration
		perMinute float64 // the quota a minute
		client    int     // the client's configured rate a minute
	}{
		{"sliding minute", "sliding", 600, time.Minute, 600, 6000},
		{"fixed minutes", "fixed", 600, time.Minute, 600, 6000},
		{"bucket", "bucket", 10, time.Second, 600, 6000},
		// A gateway's bucket of 10 a second and a client at 25 a second.
		{"bucket at 2.5x", "bucket", 10, time.Second, 600, 1500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, asana.WithRequestsPerMinute(tc.client), asana.WithMaxRetries(20))
				srv := &quotaServer{model: tc.model, quota: tc.quota, window: tc.window}
				h.mock.RegisterResponder("GET", apiRoot+"/users/me", srv.respond)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				var wg sync.WaitGroup
				for range 8 {
					wg.Go(func() {
						for ctx.Err() == nil {
							_, _ = h.client.Me(ctx)
						}
					})
				}
				wg.Wait()
				time.Sleep(time.Second) // the answers still on their way
				var learned []float64
				for _, m := range slowedTo.FindAllStringSubmatch(h.logs.String(), -1) {
					r, _ := strconv.ParseFloat(m[1], 64)
					learned = append(learned, r)
				}
				now := h.client.Stats().RequestsPerMinute
				t.Logf("served %d, %d 429s, learnt %.0f a minute, now %.0f", srv.served, srv.limited, learned, now)
				if len(learned) == 0 {
					t.Fatal("the gate never slowed down")
				}
				for _, r := range learned {
					if r < 0.9*tc.perMinute || r > tc.perMinute {
						t.Errorf("learnt %.0f a minute, want within 10%% under the quota of %.0f", r, tc.perMinute)
					}
				}
				if got, want := float64(srv.served)/5, 0.9*tc.perMinute; got < want {
					t.Errorf("served %.0f a minute, want at least %.0f", got, want)
				}
			})
		})
	}
}

// arrivals records when requests reach a quotaServer, and each 429's end of
// pause (its arrival plus its whole-second Retry-After).
type arrivals struct {
	srv *quotaServer

	mu       sync.Mutex
	at       []time.Time
	pausedTo []time.Time // for each arrival: the latest end of pause a 429 up to it asked for
}

func (a *arrivals) respond(r *http.Request) (*http.Response, error) {
	now := time.Now()
	resp, err := a.srv.respond(r)
	a.mu.Lock()
	defer a.mu.Unlock()
	end := now
	if n := len(a.pausedTo); n > 0 {
		end = a.pausedTo[n-1]
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		end = later(end, now.Add(time.Duration(secs)*time.Second))
	}
	a.at = append(a.at, now)
	a.pausedTo = append(a.pausedTo, end)
	return resp, err
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// longestIdle is the longest time the server waited for a request while no
// pause was in force, since from.
func (a *arrivals) longestIdle(from time.Time) (idle time.Duration, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := 1; i < len(a.at); i++ {
		if a.at[i-1].Before(from) {
			continue
		}
		if d := a.at[i].Sub(later(a.at[i-1], a.pausedTo[i-1])); d > idle {
			idle, at = d, a.at[i]
		}
	}
	return idle, at
}

// A slow-down comes with a pause: the turns the sync's requests took of
// the limiter before it are void, and the requests after it go at the new
// rate as soon as the pause is over. They do not first pay for the void
// turns at the new rate: forty sub-goal requests queued at 100 a second
// are 0.4 s of turns, but 4 s at 10 a second, with the server idle (as in
// internal/e2e's world strict: a bucket of 10 at 10 a second, the client
// configured at 100, a sync's 40 walkers). From the first slow-down on, with no pause
// in force, the server never waits for a request much longer than two
// turns at the quota; so does a climb that met a 429 and went back to the
// rate learnt.
func TestGate_noIdleTurnsAfterASlowDown(t *testing.T) {
	for _, tc := range []struct {
		name      string
		model     string
		quota     int
		window    time.Duration
		perSecond float64 // the quota a second
		client    int     // the client's configured rate a minute
		workers   int
	}{
		{"bucket of 10 a second, 40 workers", "bucket", 10, time.Second, 10, 6000, 40},
		{"bucket of 10 a second, 8 workers", "bucket", 10, time.Second, 10, 6000, 8},
		{"bucket at 2.5x, 40 workers", "bucket", 10, time.Second, 10, 1500, 40},
		{"sliding minute, 40 workers", "sliding", 600, time.Minute, 10, 6000, 40},
		{"fixed minutes, 40 workers", "fixed", 600, time.Minute, 10, 6000, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, asana.WithRequestsPerMinute(tc.client), asana.WithMaxRetries(50))
				srv := &arrivals{srv: &quotaServer{model: tc.model, quota: tc.quota, window: tc.window}}
				h.mock.RegisterResponder("GET", apiRoot+"/users/me", srv.respond)
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
				defer cancel()
				var wg sync.WaitGroup
				for range tc.workers {
					wg.Go(func() {
						for ctx.Err() == nil {
							_, _ = h.client.Me(ctx)
						}
					})
				}
				wg.Wait()
				time.Sleep(time.Second) // the answers still on their way
				first := slowedAt.FindStringSubmatch(h.logs.String())
				if first == nil {
					t.Fatal("the gate never slowed down")
				}
				from, err := time.Parse(time.RFC3339Nano, first[1])
				if err != nil {
					t.Fatal(err)
				}
				idle, at := srv.longestIdle(from)
				t.Logf("served %d, %d 429s; longest idle %s", srv.srv.served, srv.srv.limited, idle)
				if limit := time.Duration(2.5 / tc.perSecond * float64(time.Second)); idle > limit {
					t.Errorf("the server waited %s for a request at %s with no pause in force, want at most %s (two turns and a half at the quota)",
						idle, at.Format("15:04:05.000"), limit)
				}
			})
		})
	}
}
