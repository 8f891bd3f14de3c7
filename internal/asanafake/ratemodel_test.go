package asanafake

import (
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// TestTokenState_takeFixed pins the fixed window's arithmetic with synthetic
// times: the count goes back to zero at each window's start, whatever came
// just before it, and a 429 waits for the next window.
func TestTokenState_takeFixed(t *testing.T) {
	const window = int64(1000)
	var ts tokenState
	steps := []struct {
		at   int64
		ok   bool
		wait time.Duration
	}{
		{100, true, 0},
		{200, true, 0},
		{900, true, 0},
		{950, false, 50},   // full until the window ends at 1000
		{999, false, 1},    // rejected requests do not carry over: only the window matters
		{1000, true, 0},    // a new window: three more at once, right after three
		{1001, true, 0},    //
		{1002, true, 0},    //
		{1003, false, 997}, //
		{5500, true, 0},    // windows with no request in between change nothing
		{5501, true, 0},
		{5999, true, 0},
		{5999, false, 1},
	}
	for i, s := range steps {
		ok, wait := ts.takeFixed(s.at, 3, window)
		if ok != s.ok || (!ok && wait != s.wait) {
			t.Errorf("step %d at %d: ok %v wait %v, want %v %v", i, s.at, ok, wait, s.ok, s.wait)
		}
	}
}

// TestTokenState_takeBucket pins the token bucket's arithmetic with
// synthetic times: it starts full, refills evenly, never above its burst,
// and a rejected request takes no token.
func TestTokenState_takeBucket(t *testing.T) {
	const ms = int64(time.Millisecond)
	var ts tokenState
	steps := []struct {
		at   int64 // ms
		ok   bool
		wait time.Duration
	}{
		{0, true, 0}, // the burst of 3, at once
		{0, true, 0},
		{0, true, 0},
		{0, false, 100 * time.Millisecond},    // one token every 100 ms (10 a second)
		{50, false, 50 * time.Millisecond},    // half a token back; the rejection took none
		{100, true, 0},                        // a whole token
		{150, false, 50 * time.Millisecond},   //
		{1000, true, 0},                       // 900 ms refill 9 tokens, but the bucket holds 3
		{1000, true, 0},                       //
		{1000, true, 0},                       //
		{1000, false, 100 * time.Millisecond}, //
		{1250, true, 0},                       // 2.5 tokens back
		{1250, true, 0},                       //
		{1250, false, 50 * time.Millisecond},  // half a token left
	}
	for i, s := range steps {
		ok, wait := ts.takeBucket(s.at*ms, 10, 3)
		if ok != s.ok || (!ok && (wait-s.wait).Abs() > time.Microsecond) {
			t.Errorf("step %d at %d ms: ok %v wait %v, want %v %v", i, s.at, ok, wait, s.ok, s.wait)
		}
	}
}

// Each model through the server, in virtual time: what it admits over a
// few seconds of steady requests, and the whole seconds of Retry-After its
// 429s carry.
func TestServer_rateModels(t *testing.T) {
	for _, tc := range []struct {
		model RateModel
		burst int
		// admitted requests, sending one every 50 ms (20 a second) for 3 s
		// against a quota of 20 in 2 s (10 a second)
		admitted int
		// the Retry-After of the first 429
		retryAfter string
	}{
		// The first 20 (to 950 ms); from then on every request is refused:
		// rejected ones count, and one every 50 ms keeps the window full.
		{SlidingWindow, 0, 20, "2"},
		// 20 in [0, 2 s), refused until the window ends, 20 in [2 s, 3 s).
		{FixedWindow, 0, 40, "1"},
		// A full bucket of 10 drains at 10 a second: 19 go by 900 ms, then
		// every other one, as each token comes back: 19 + 20.
		{TokenBucket, 0, 39, "1"},
		// A bucket of 2: 3 by 100 ms, then every other one from 200 ms.
		{TokenBucket, 2, 31, "1"},
		// 20 a minute whatever the window: a third of a token a second, in a
		// bucket of one (at least one token): the first request, then a
		// token back after 3 s, when the requests have stopped.
		{SecondBucket, 0, 1, "3"},
	} {
		t.Run(fmt.Sprintf("%s/burst=%d", tc.model, tc.burst), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := NewServer(smallWorkspace(), Options{
					RequestsPerMinute: 20,
					RateWindow:        2 * time.Second,
					RateModel:         tc.model,
					RateBurst:         tc.burst,
					Tokens:            map[string]string{testToken: "1"},
				})
				admitted := 0
				retryAfter := ""
				for range 60 {
					a := serveDirect(srv, testToken, "/users/me")
					switch a.status {
					case http.StatusOK:
						admitted++
					case http.StatusTooManyRequests:
						if retryAfter == "" {
							retryAfter = a.header.Get("Retry-After")
						}
					default:
						t.Fatalf("status %d", a.status)
					}
					time.Sleep(50 * time.Millisecond)
				}
				if admitted != tc.admitted || retryAfter != tc.retryAfter {
					t.Errorf("admitted %d, first Retry-After %q; want %d, %q", admitted, retryAfter, tc.admitted, tc.retryAfter)
				}
			})
		})
	}
}

// SecondBucket counts in real seconds whatever RateWindow: 600 a minute is
// a bucket of 10 refilled at 10 a second.
func TestServer_secondBucketIsOneSecondDeep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(smallWorkspace(), Options{
			RequestsPerMinute: 600,
			RateWindow:        6 * time.Second, // not read
			RateModel:         SecondBucket,
			RateBurst:         3, // not read
			Tokens:            map[string]string{testToken: "1"},
		})
		status := func() int { return serveDirect(srv, testToken, "/users/me").status }
		for i := range 10 {
			if s := status(); s != http.StatusOK {
				t.Fatalf("request %d of the full bucket: %d", i+1, s)
			}
		}
		if s := status(); s != http.StatusTooManyRequests {
			t.Fatalf("the 11th at once: %d, want 429", s)
		}
		time.Sleep(time.Second) // a second refills the whole bucket, and no more
		admitted := 0
		for status() == http.StatusOK {
			admitted++
		}
		if admitted != 10 {
			t.Errorf("after a second: %d admitted at once, want 10", admitted)
		}
		time.Sleep(100 * time.Millisecond)
		if s := status(); s != http.StatusOK {
			t.Errorf("100 ms later: %d, want a token back", s)
		}
	})
}
