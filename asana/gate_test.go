package asana_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// The tests that wait run in a synctest bubble: time is virtual, so pauses
// of seconds or minutes take none, and every duration asserted is exact
// rather than a real clock's approximation.

// okMe answers GET /users/me.
func okMe() *http.Response { return jsonResponse(200, `{"data":{"gid":"1"}}`) }

func tooMany(retryAfter string) *http.Response {
	r := jsonResponse(429, `{"errors":[{"message":"You have made too many requests recently."}]}`)
	if retryAfter != "" {
		r.Header.Set("Retry-After", retryAfter)
	}
	return r
}

// runWorkers calls Me n times from each of workers goroutines and fails the
// test on an error.
func runWorkers(t *testing.T, c *asana.Client, workers, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range n {
				if _, err := c.Me(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// newFake is internal/asanafake's server for one user, with opts: a quota
// counted by opts.RateModel answers 429 with Retry-After in whole seconds,
// as Asana sends it.
func newFake(opts asanafake.Options) *asanafake.Server {
	ws := &asanafake.Workspace{GID: "1", Name: "Gate", Users: []asanafake.User{{GID: "1", Name: "Ada"}}}
	return asanafake.NewServer(ws, opts)
}

// serveFake answers a request with srv, in process: the harness's mock
// transport hands it to srv's handler, so the quota counts time on the
// synctest bubble's clock (a wait on a real socket would keep that clock
// from skipping ahead). The fake serves Asana's API at its root.
func serveFake(srv *asanafake.Server) httpmock.Responder {
	h := http.StripPrefix("/api/1.0", srv)
	return func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result(), nil
	}
}

// served is how many requests srv answered with other than a 429.
func served(srv *asanafake.Server) int64 {
	st := srv.Stats()
	return st.Requests - st.RateLimited
}

// The limiter keeps 1% of headroom under the configured quota.
func TestGate_configuredRateKeepsOnePercentHeadroom(t *testing.T) {
	for _, tc := range []struct{ perMinute, want int }{{1500, 1485}, {150, 148}, {60, 59}, {1, 1}} {
		c, err := asana.NewClient(testToken, asana.WithRequestsPerMinute(tc.perMinute))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Stats().RequestsPerMinute; int(got+0.5) != tc.want && !(tc.perMinute == 150 && got == 148.5) {
			t.Errorf("%d a minute configured: limiter at %.1f, want %d", tc.perMinute, got, tc.want)
		}
	}
}

// A lone 429 costs its Retry-After, every request waits it out, and the
// rate stays where it was.
func TestGate_lone429CostsOnlyItsRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithRequestsPerMinute(6000)) // 100/s
		var n atomic.Int32
		var limitedAt time.Time
		var early atomic.Int32
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			switch k := n.Add(1); {
			case k == 31:
				limitedAt = time.Now()
				return tooMany("2"), nil
			case k > 31 && time.Since(limitedAt) < 2*time.Second:
				early.Add(1)
			}
			return okMe(), nil
		})
		start := time.Now()
		runWorkers(t, h.client, 4, 25)
		if e := early.Load(); e > 0 {
			t.Errorf("%d requests sent before the Retry-After of 2s was over", e)
		}
		if got, want := h.client.Stats().RequestsPerMinute, 6000*0.99; got != want {
			t.Errorf("rate after a lone 429 = %.0f/min, want it unchanged at %.0f", got, want)
		}
		// 101 requests at 99/s plus the 2 s pause: about 3 s, not more.
		if el := time.Since(start); el > 3200*time.Millisecond {
			t.Errorf("took %s; a lone 429 must cost its 2 s and no more", el)
		}
	})
}

// 429s that come regardless of the rate (Asana's concurrency and cost
// limits, a neighbour on the token) never slow the client: a request sent
// after a limited one was served, so the quota was not spent.
func TestGate_sporadic429sDoNotSlowDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithRequestsPerMinute(6000), asana.WithMaxRetries(8))
		var n atomic.Int32
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			// Three requests in flight: those sent after a limited one are
			// answered during its pause.
			time.Sleep(30 * time.Millisecond)
			if n.Add(1)%20 == 0 {
				return tooMany("1"), nil
			}
			return okMe(), nil
		})
		start := time.Now()
		runWorkers(t, h.client, 8, 40)
		st := h.client.Stats()
		if st.RequestsPerMinute != 6000*0.99 {
			t.Errorf("rate = %.0f/min after sporadic 429s, want it unchanged", st.RequestsPerMinute)
		}
		// 320 answers + ~17 429s at 99/s is ~3.4 s; each 429 pauses 1 s.
		floor := time.Duration(float64(st.Requests) / 99 * float64(time.Second))
		served := time.Duration(st.RateLimited) * time.Second
		if el := time.Since(start); el > floor+served+floor/10 {
			t.Errorf("took %s; want at most the floor %s + the Retry-After served %s + 10%%", el, floor, served)
		}
	})
}

// A client configured ten times faster than the real quota learns it from
// the first episode in which the quota was spent for everyone, then stays
// under it: few 429s, and a finish near the quota's floor.
func TestGate_spentQuotaSlowsToTheQuota(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithRequestsPerMinute(6000), asana.WithMaxRetries(10))        // 100/s
		sw := newFake(asanafake.Options{RequestsPerMinute: 100, RateWindow: 10 * time.Second}) // 10/s real
		fake := serveFake(sw)
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(r *http.Request) (*http.Response, error) {
			time.Sleep(20 * time.Millisecond)
			return fake(r)
		})
		start := time.Now()
		runWorkers(t, h.client, 8, 50)
		el := time.Since(start)
		st := h.client.Stats()
		if n := served(sw); n != 400 {
			t.Errorf("served %d, want 400", n)
		}
		// Just under the real 600/min, or a first cautious step above it.
		if got := st.RequestsPerMinute; got < 10*60*0.85 || got > 10*60*1.1 {
			t.Errorf("rate now %.0f/min, want about the real 600/min", got)
		}
		floor := 40 * time.Second // 400 requests at 10/s
		if el > floor*115/100 {
			t.Errorf("took %s, want within 1.15x the floor %s", el, floor)
		}
		if st.RateLimited > 12 {
			t.Errorf("%d 429s; after the first episode the client must stay under the quota", st.RateLimited)
		}
	})
}

// Few answers to go on never take the rate below Asana's lowest documented
// quota (150 a minute): at that rate a quota lower still costs one pause a
// window, and the sync ends with every answer.
func TestGate_neverBelowTheFreeTierOnLoneEpisodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithRequestsPerMinute(asana.PaidRequestsPerMinute), asana.WithMaxRetries(20))
		sw := newFake(asanafake.Options{RequestsPerMinute: 30}) // 30 a minute: below the free tier
		fake := serveFake(sw)
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(r *http.Request) (*http.Response, error) {
			time.Sleep(100 * time.Millisecond)
			return fake(r)
		})
		lowest := watchRate(t, h.client)
		runWorkers(t, h.client, 4, 20)
		if got := lowest(); got < 148.5 {
			t.Errorf("rate went down to %.1f/min, below the free tier's 148.5", got)
		}
		if n := served(sw); n != 80 {
			t.Errorf("served %d, want 80", n)
		}
	})
}

// At the free tier already, 429s that keep coming for everyone take the
// rate lower still.
func TestGate_belowTheFreeTierWhen429sKeepComingThere(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithRequestsPerMinute(asana.FreeRequestsPerMinute), asana.WithMaxRetries(20))
		sw := newFake(asanafake.Options{RequestsPerMinute: 30})
		fake := serveFake(sw)
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(r *http.Request) (*http.Response, error) {
			time.Sleep(2 * time.Second) // several requests in flight even at 150 a minute
			return fake(r)
		})
		runWorkers(t, h.client, 8, 10)
		if got := h.client.Stats().RequestsPerMinute; got >= 148.5 || got < 20 {
			t.Errorf("rate = %.1f/min, want under the free tier, near the real 30", got)
		}
		if n := served(sw); n != 80 {
			t.Errorf("served %d, want 80", n)
		}
	})
}

// watchRate samples the client's rate every virtual second until the test
// ends and returns a function reporting the lowest seen.
func watchRate(t *testing.T, c *asana.Client) func() float64 {
	var mu sync.Mutex
	lowest := c.Stats().RequestsPerMinute
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Second):
			}
			mu.Lock()
			lowest = min(lowest, c.Stats().RequestsPerMinute)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { close(done); <-stopped })
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return min(lowest, c.Stats().RequestsPerMinute)
	}
}

// Once the 429s stop, the rate climbs back to the configured one within a
// couple of minutes.
func TestGate_rateRecoversWhen429sStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithRequestsPerMinute(6000), asana.WithMaxRetries(10))
		fake := serveFake(newFake(asanafake.Options{RequestsPerMinute: 100, RateWindow: 10 * time.Second}))
		var limited atomic.Bool
		limited.Store(true)
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(r *http.Request) (*http.Response, error) {
			time.Sleep(20 * time.Millisecond)
			if limited.Load() {
				return fake(r)
			}
			return okMe(), nil
		})
		runWorkers(t, h.client, 8, 40)
		slow := h.client.Stats().RequestsPerMinute
		if slow > 700 {
			t.Fatalf("rate %.0f/min: the quota was not learnt, nothing to recover from", slow)
		}
		limited.Store(false) // the quota is back (another program stopped)
		start := time.Now()
		for h.client.Stats().RequestsPerMinute < 6000*0.99 {
			if time.Since(start) > 3*time.Minute {
				t.Fatalf("rate still %.0f/min 3 minutes after the last 429", h.client.Stats().RequestsPerMinute)
			}
			if _, err := h.client.Me(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if el := time.Since(start); el < 20*time.Second {
			t.Errorf("back to full rate after %s: it must wait for a quiet period first", el)
		}
	})
}

// No request is retried before its Retry-After has passed, and the pause is
// shared: requests that started meanwhile wait too. Stats report it.
func TestGate_retryAfterPausesEveryRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		var mu sync.Mutex
		var pausedAt time.Time
		var sent []time.Duration // after the 429
		first := make(chan struct{})
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			mu.Lock()
			defer mu.Unlock()
			if pausedAt.IsZero() {
				pausedAt = time.Now()
				close(first)
				return tooMany("42"), nil
			}
			sent = append(sent, time.Since(pausedAt))
			return okMe(), nil
		})
		errs := make(chan error, 9)
		go func() { _, err := h.client.Me(context.Background()); errs <- err }()
		<-first
		synctest.Wait() // the 429 is recorded
		if p := h.client.Stats().Paused; p != 42*time.Second {
			t.Errorf("Stats().Paused = %s, want 42s", p)
		}
		for range 8 {
			go func() { _, err := h.client.Me(context.Background()); errs <- err }()
		}
		for range 9 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		for _, d := range sent {
			if d < 42*time.Second {
				t.Errorf("a request went %s after the 429, before its Retry-After of 42s", d)
			}
		}
		if st := h.client.Stats(); st.Requests != 10 || st.RateLimited != 1 || st.Paused != 0 || st.Pauses != 42*time.Second {
			t.Errorf("stats = %+v, want 10 requests, one 429, no pause left, 42 s of pauses", st)
		}
	})
}

// A Retry-After longer than the client waits ends the request at once,
// says how long Asana asked for, and fails the requests that would queue
// behind it without sending them.
func TestGate_longRetryAfterEndsAtOnce(t *testing.T) {
	for _, tc := range []struct{ name, header string }{
		{"seconds", "3600"},
		{"HTTP date", ""}, // set below, an hour after the bubble's clock
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, asana.WithMaxRetries(4))
				header := tc.header
				if header == "" {
					header = time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
				}
				var calls atomic.Int32
				h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
					calls.Add(1)
					return tooMany(header), nil
				})
				start := time.Now()
				_, err := h.client.Me(context.Background())
				if !errors.Is(err, asana.ErrWaitTooLong) || !errors.Is(err, asana.ErrRateLimited) {
					t.Fatalf("err = %v, want ErrWaitTooLong and ErrRateLimited", err)
				}
				var ae *asana.Error
				if !errors.As(err, &ae) || ae.RetryAfter != time.Hour || ae.MaxWait != asana.DefaultMaxWait {
					t.Errorf("error = %#v, want RetryAfter 1h and MaxWait %s", ae, asana.DefaultMaxWait)
				}
				if !strings.Contains(err.Error(), "Asana asked to wait 1h0m0s") {
					t.Errorf("error %q does not say how long Asana asked to wait", err)
				}
				// Another request meets the pause: it fails at once, unsent.
				_, err = h.client.Me(context.Background())
				if !errors.Is(err, asana.ErrWaitTooLong) || !errors.As(err, &ae) || ae.RetryAfter < 59*time.Minute {
					t.Errorf("queued request: err = %v, want ErrWaitTooLong with the rest of the hour", err)
				}
				if n := calls.Load(); n != 1 {
					t.Errorf("%d requests sent, want 1: nothing is retried before its Retry-After", n)
				}
				if el := time.Since(start); el != 0 {
					t.Errorf("took %s of virtual time, want none", el)
				}
			})
		})
	}
}

// WithMaxWait raises the longest wait: a Retry-After under it is waited
// out.
func TestGate_maxWaitOption(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithMaxWait(2*time.Hour))
		var calls atomic.Int32
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			if calls.Add(1) == 1 {
				return tooMany("3600"), nil
			}
			return okMe(), nil
		})
		start := time.Now()
		if _, err := h.client.Me(context.Background()); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < time.Hour {
			t.Errorf("retried after %s, before the hour Asana asked for", el)
		}
	})
	if _, err := asana.NewClient(testToken, asana.WithMaxWait(0)); err == nil {
		t.Error("WithMaxWait(0) accepted")
	}
}

// Waiting at the gate is not the request's time: a client limited to 20
// requests a minute with a 1-second request timeout still gets every
// answer, three seconds apart.
func TestGate_waitIsOutsideTheRequestTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithRequestsPerMinute(20), asana.WithRequestTimeout(time.Second), asana.WithMaxRetries(0))
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			time.Sleep(100 * time.Millisecond)
			return okMe(), nil
		})
		start := time.Now()
		runWorkers(t, h.client, 6, 1)
		if el := time.Since(start); el < 15*time.Second {
			t.Errorf("6 requests at 20/min took %s, want at least 15s", el)
		}
	})
}

// The per-request timeout still bounds the exchange itself, and a timed-out
// attempt is retried.
func TestGate_requestTimeoutBoundsTheExchange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithRequestTimeout(time.Second), asana.WithMaxRetries(2))
		var calls atomic.Int32
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) < 3 {
				<-r.Context().Done() // a server that never answers
				return nil, r.Context().Err()
			}
			return okMe(), nil
		})
		if _, err := h.client.Me(context.Background()); err != nil {
			t.Fatalf("Me: %v (a timed-out attempt must be retried)", err)
		}
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		})
		_, err := h.client.Me(context.Background())
		if err == nil || !strings.Contains(err.Error(), "request timeout") || errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "1s") {
			t.Errorf("err = %v, want one naming the request timeout", err)
		}
	})
	if _, err := asana.NewClient(testToken, asana.WithRequestTimeout(-time.Second)); err == nil {
		t.Error("a negative request timeout was accepted")
	}
}

// An http.Client's own Timeout becomes the per-request timeout, after the
// gate, so a host's client with a Timeout does not fail on rate-limit
// waits.
func TestGate_httpClientTimeoutMovesAfterTheGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mock := newHarness(t).mock
		mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) { return okMe(), nil })
		c, err := asana.NewClient(testToken, asana.WithHTTPClient(&http.Client{Transport: mock, Timeout: time.Second}),
			asana.WithRequestsPerMinute(20), asana.WithMaxRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			if _, err := c.Me(context.Background()); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
	})
}

// A 429 followed by an answer for a request sent after it is no evidence of
// a spent quota, even when another 429 follows: the server served a later
// request, so it was busy, not out of quota.
func TestGate_laterRequestServedMeansNotOutOfQuota(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithRequestsPerMinute(6000), asana.WithMaxRetries(3)) // one send every 10 ms
		var n atomic.Int32
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			switch n.Add(1) {
			case 1: // sent at 0, a 429 at 50 ms
				time.Sleep(50 * time.Millisecond)
				return tooMany("1"), nil
			case 2: // sent at 10 ms, served at 70 ms
				time.Sleep(60 * time.Millisecond)
				return okMe(), nil
			case 3: // sent at 20 ms, a 429 at 90 ms
				time.Sleep(70 * time.Millisecond)
				return tooMany("1"), nil
			}
			time.Sleep(5 * time.Millisecond)
			return okMe(), nil
		})
		runWorkers(t, h.client, 3, 1)
		if got := h.client.Stats().RequestsPerMinute; got != 6000*0.99 {
			t.Errorf("rate = %.0f/min, want it unchanged", got)
		}
		if st := h.client.Stats(); st.RateLimited != 2 {
			t.Errorf("%d 429s, want the 2 this test sends", st.RateLimited)
		}
	})
}

// Requests already queued at the limiter when a 429 arrives do not go out
// during its pause: a turn taken before the pause is void.
func TestGate_turnsTakenBeforeAPauseAreVoid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithRequestsPerMinute(60)) // one send a second
		var mu sync.Mutex
		var pausedAt time.Time
		var early []time.Duration
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if pausedAt.IsZero() {
				pausedAt = time.Now()
				return tooMany("42"), nil
			}
			if d := time.Since(pausedAt); d < 42*time.Second {
				early = append(early, d)
			}
			return okMe(), nil
		})
		runWorkers(t, h.client, 4, 1)
		if len(early) > 0 {
			t.Errorf("requests answered %v after the 429, inside its 42 s pause", early)
		}
	})
}

// Retry-After values: huge ones are capped (just past a week, which says
// "more than 7 days"), not overflowed, and still end the request; nonsense
// is treated as absent (backoff applies).
func TestGate_retryAfterValues(t *testing.T) {
	for _, tc := range []struct {
		header  string
		tooLong bool
		after   time.Duration
		absent  bool
	}{
		{"1e12", true, 7*24*time.Hour + time.Second, false},
		{"99999999999999999999", true, 7*24*time.Hour + time.Second, false},
		{"0.5", false, 500 * time.Millisecond, false},
		{"-3", false, 0, true},
		{"NaN", false, 0, true},
		{"soon", false, 0, true},
	} {
		t.Run(tc.header, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, asana.WithMaxRetries(0))
				h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
					return tooMany(tc.header), nil
				})
				_, err := h.client.Me(context.Background())
				var ae *asana.Error
				if !errors.As(err, &ae) || !errors.Is(err, asana.ErrRateLimited) {
					t.Fatalf("err = %v", err)
				}
				if errors.Is(err, asana.ErrWaitTooLong) != tc.tooLong || ae.RetryAfter != tc.after {
					t.Errorf("err = %v (RetryAfter %s), want too long %v, RetryAfter %s", err, ae.RetryAfter, tc.tooLong, tc.after)
				}
				if p := h.client.Stats().Paused; tc.absent && p != 0 {
					t.Errorf("a nonsense Retry-After started a pause of %s", p)
				}
			})
		})
	}
}

// Once Asana refuses the token, the client sends nothing more: a revoked
// token is refused on every request, and hammering Asana with it helps
// nobody.
func TestGate_refusedTokenSendsNothingMore(t *testing.T) {
	h := newHarness(t)
	var calls atomic.Int32
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
		calls.Add(1)
		return jsonResponse(401, `{"errors":[{"message":"Not Authorized"}]}`), nil
	})
	for i := range 3 {
		_, err := h.client.Me(context.Background())
		if !errors.Is(err, asana.ErrUnauthorized) {
			t.Fatalf("call %d: err = %v, want ErrUnauthorized", i, err)
		}
		if i > 0 && !strings.Contains(err.Error(), "not sent") {
			t.Errorf("call %d: err = %v, want it to say the request was not sent", i, err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d requests reached Asana, want 1", n)
	}
}

// A Retry-After date in the past asks for no wait: the error says 0, and no
// negative pause is counted.
func TestGate_pastRetryAfterDateIsNoWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithMaxRetries(0))
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			return tooMany(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)), nil
		})
		_, err := h.client.Me(context.Background())
		var ae *asana.Error
		if !errors.As(err, &ae) || !errors.Is(err, asana.ErrRateLimited) {
			t.Fatalf("err = %v, want ErrRateLimited", err)
		}
		if ae.RetryAfter != 0 {
			t.Errorf("RetryAfter = %s, want 0 for a date in the past", ae.RetryAfter)
		}
		if st := h.client.Stats(); st.Pauses != 0 || st.Paused != 0 {
			t.Errorf("Stats = %+v, want no pause counted", st)
		}
	})
}

// Once the token is refused, a request that is not sent is not retried
// either: one attempt, no retry counted or logged.
func TestGate_refusedRequestIsNotRetried(t *testing.T) {
	h := newHarness(t, asana.WithMaxRetries(4))
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(401, `{"errors":[{"message":"Not Authorized"}]}`))
	if _, err := h.client.Me(context.Background()); !errors.Is(err, asana.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	_, err := h.client.Me(context.Background())
	var ae *asana.Error
	if !errors.As(err, &ae) || !errors.Is(err, asana.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if ae.Attempts != 1 || strings.Contains(err.Error(), "attempts") {
		t.Errorf("err = %v (%d attempts), want one attempt", err, ae.Attempts)
	}
	if st := h.client.Stats(); st.Retries != 0 || st.Requests != 1 {
		t.Errorf("stats = %+v, want one request sent and no retry", st)
	}
	if strings.Contains(h.logs.String(), "retrying request") {
		t.Errorf("a refused request was retried:\n%s", h.logs.String())
	}
}

// A Retry-After longer than the client waits, by however little, ends the
// request at its first answer, with Asana's own message; it is not sent
// again to meet the pause.
func TestGate_retryAfterJustOverMaxWaitEndsAtTheFirstAnswer(t *testing.T) {
	for _, after := range []string{"301", "600", "2999"} {
		t.Run(after, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, asana.WithMaxWait(5*time.Minute), asana.WithMaxRetries(4))
				h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
					return tooMany(after), nil
				})
				_, err := h.client.Me(context.Background())
				var ae *asana.Error
				if !errors.As(err, &ae) || !errors.Is(err, asana.ErrWaitTooLong) {
					t.Fatalf("err = %v, want ErrWaitTooLong", err)
				}
				if ae.Attempts != 1 || len(ae.Errors) != 1 || !strings.Contains(ae.Errors[0].Message, "too many requests") {
					t.Errorf("err = %v (%d attempts, details %+v), want Asana's answer to the one attempt", err, ae.Attempts, ae.Errors)
				}
				if st := h.client.Stats(); st.Retries != 0 {
					t.Errorf("%d retries, want none", st.Retries)
				}
			})
		})
	}
}

// A 429 with Retry-After is retried when Asana said, even when that is
// sooner than the backoff's minimum: the pause is the wait.
func TestGate_retryAfterShorterThanTheBackoffIsAllTheWait(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"0.2", 200 * time.Millisecond},
		{"0", 0},
	} {
		t.Run(tc.header, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, asana.WithRetryWait(2*time.Second, 4*time.Second))
				var calls atomic.Int32
				var first, second time.Time
				h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
					if calls.Add(1) == 1 {
						first = time.Now()
						return tooMany(tc.header), nil
					}
					second = time.Now()
					return okMe(), nil
				})
				if _, err := h.client.Me(context.Background()); err != nil {
					t.Fatal(err)
				}
				// Within a millisecond: the limiter's next turn (0.1 ms at the
				// harness's rate) may come after the pause.
				if got := second.Sub(first); got < tc.want || got > tc.want+time.Millisecond {
					t.Errorf("retried %s after a 429 with Retry-After %s, want %s", got, tc.header, tc.want)
				}
			})
		})
	}
}

// A request that still gets 429 after its last retry fails with
// ErrRateLimited and Asana's Retry-After, and every 429 is counted.
func TestGate_rateLimitedAfterRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithMaxRetries(1))
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			r := jsonResponse(429, `{"errors":[{"message":"Too many"}]}`)
			r.Header.Set("Retry-After", "0.01")
			return r, nil
		})
		_, err := h.client.Me(context.Background())
		if !errors.Is(err, asana.ErrRateLimited) {
			t.Fatalf("err = %v, want ErrRateLimited", err)
		}
		var ae *asana.Error
		if errors.As(err, &ae) && ae.RetryAfter != 10*time.Millisecond {
			t.Errorf("RetryAfter = %s, want 10ms", ae.RetryAfter)
		}
		if s := h.client.Stats(); s.RateLimited != 2 {
			t.Errorf("429s counted = %d, want 2", s.RateLimited)
		}
	})
}

// In virtual time the limiter's pace is exact: 600 a minute less 1% of
// headroom is one request every 1/9.9 s.
func TestGate_requestsPerMinuteIsEnforced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithRequestsPerMinute(600))
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(200, `{"data":{"gid":"1"}}`))
		start := time.Now()
		for range 100 {
			if _, err := h.client.Me(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		// The first request goes at once, the other 99 at 9.9 a second.
		if el, want := time.Since(start), 10*time.Second; el < want-time.Millisecond || el > want+time.Millisecond {
			t.Errorf("100 requests at 594/min took %s, want %s", el, want)
		}
		if w := h.client.Stats().RateLimitWait; w < 9*time.Second {
			t.Errorf("RateLimitWait = %s, want the limiter's waits counted", w)
		}
	})
}

// No more requests are in flight at once than WithMaxInFlight allows
// (Asana limits concurrent requests per token), and the others wait
// their turn rather than fail.
func TestGate_maxInFlightIsEnforced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithMaxInFlight(3))
		srv := newFake(asanafake.Options{Latency: time.Second})
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", serveFake(srv))
		start := time.Now()
		runWorkers(t, h.client, 12, 1)
		if p := srv.Stats().PeakInFlight; p != 3 {
			t.Errorf("peak in flight = %d, want 3", p)
		}
		if el := time.Since(start); el < 4*time.Second {
			t.Errorf("12 one-second requests, 3 at a time, took %s, want at least 4s", el)
		}
	})
}

// A request whose context ends during a Retry-After pause returns the
// context's error at once: a caller giving up is not held for the pause.
func TestGate_cancelledContextDuringRetryAfterPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			r := jsonResponse(429, `{"errors":[{"message":"Too many"}]}`)
			r.Header.Set("Retry-After", "30")
			return r, nil
		})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := h.client.Me(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("cancelled request returned after %s; it must not sit out the 30s pause", el)
		}
	})
}

// slowedTo and slowedAt read the gate's log line for a slow-down: the rate
// it set, and when.
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
		model     asanafake.RateModel
		quota     int
		window    time.Duration
		perMinute float64 // the quota a minute
		client    int     // the client's configured rate a minute
	}{
		{"sliding minute", asanafake.SlidingWindow, 600, time.Minute, 600, 6000},
		{"fixed minutes", asanafake.FixedWindow, 600, time.Minute, 600, 6000},
		{"bucket", asanafake.TokenBucket, 10, time.Second, 600, 6000},
		// A gateway's bucket of 10 a second and a client at 25 a second.
		{"bucket at 2.5x", asanafake.TokenBucket, 10, time.Second, 600, 1500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, asana.WithRequestsPerMinute(tc.client), asana.WithMaxRetries(20))
				srv := newFake(asanafake.Options{RateModel: tc.model, RequestsPerMinute: tc.quota, RateWindow: tc.window, Latency: 20 * time.Millisecond})
				h.mock.RegisterResponder("GET", apiRoot+"/users/me", serveFake(srv))
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
				t.Logf("served %d, %d 429s, learnt %.0f a minute, now %.0f", served(srv), srv.Stats().RateLimited, learned, now)
				if len(learned) == 0 {
					t.Fatal("the gate never slowed down")
				}
				for _, r := range learned {
					if r < 0.9*tc.perMinute || r > tc.perMinute {
						t.Errorf("learnt %.0f a minute, want within 10%% under the quota of %.0f", r, tc.perMinute)
					}
				}
				if got, want := float64(served(srv))/5, 0.9*tc.perMinute; got < want {
					t.Errorf("served %.0f a minute, want at least %.0f", got, want)
				}
			})
		})
	}
}

// arrivals records when requests reach srv, and each 429's end of pause
// (its arrival plus its whole-second Retry-After).
type arrivals struct {
	srv  *asanafake.Server
	fake httpmock.Responder

	mu       sync.Mutex
	at       []time.Time
	pausedTo []time.Time // for each arrival: the latest end of pause a 429 up to it asked for
}

func (a *arrivals) respond(r *http.Request) (*http.Response, error) {
	now := time.Now()
	resp, err := a.fake(r)
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
		model     asanafake.RateModel
		quota     int
		window    time.Duration
		perSecond float64 // the quota a second
		client    int     // the client's configured rate a minute
		workers   int
	}{
		{"bucket of 10 a second, 40 workers", asanafake.TokenBucket, 10, time.Second, 10, 6000, 40},
		{"bucket of 10 a second, 8 workers", asanafake.TokenBucket, 10, time.Second, 10, 6000, 8},
		{"bucket at 2.5x, 40 workers", asanafake.TokenBucket, 10, time.Second, 10, 1500, 40},
		{"sliding minute, 40 workers", asanafake.SlidingWindow, 600, time.Minute, 10, 6000, 40},
		{"fixed minutes, 40 workers", asanafake.FixedWindow, 600, time.Minute, 10, 6000, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, asana.WithRequestsPerMinute(tc.client), asana.WithMaxRetries(50))
				fake := newFake(asanafake.Options{RateModel: tc.model, RequestsPerMinute: tc.quota, RateWindow: tc.window, Latency: 20 * time.Millisecond})
				srv := &arrivals{srv: fake, fake: serveFake(fake)}
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
				t.Logf("served %d, %d 429s; longest idle %s", served(fake), fake.Stats().RateLimited, idle)
				if limit := time.Duration(2.5 / tc.perSecond * float64(time.Second)); idle > limit {
					t.Errorf("the server waited %s for a request at %s with no pause in force, want at most %s (two turns and a half at the quota)",
						idle, at.Format("15:04:05.000"), limit)
				}
			})
		})
	}
}
