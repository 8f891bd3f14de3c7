package goals_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

// Progress carries the client's figures, so a host can show the rate, a
// pause and an estimate of the time left; in virtual time the figures are
// exact.
func TestProgressCarriesRateAndETA(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMock(t, wsOwned("501", 1, 150)...)
		var pages atomic.Int32
		m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
			if kind == "pages" && pages.Add(1) == 2 {
				r := asanaError(429, "Too many requests")
				r.Header.Set("Retry-After", "30")
				return r, nil
			}
			return nil, nil
		}
		var got []goals.SyncProgress
		cfg := testConfig()
		cfg.OnProgress = func(p goals.SyncProgress) { got = append(got, p) }
		client := m.newClient(t, asana.WithRequestsPerMinute(600), asana.WithMaxRetries(2)) // 594 a minute
		rep, err := goals.NewIngester(client, goals.NewMemoryStore(), cfg).Sync(t.Context(), []goals.Employee{ada})
		if err != nil {
			t.Fatal(err)
		}
		first := got[0] // after page 1: 100 goals kept, some walked
		if first.Phase != "scanning" || first.RequestsPerMinute != 594 || first.Requests < 1 {
			t.Errorf("first progress = %+v, want the client's rate and requests", first)
		}
		// Page 2 is asked for while page 1 is read, so its 429's pause may
		// already be in force: the ETA counts it.
		if eta, ok := first.ETA(); !ok || eta != first.Paused+time.Duration(float64(first.RequestsLeft())/594*float64(time.Minute)) {
			t.Errorf("ETA = %s, %v for %d requests left at 594/min and a pause of %s", eta, ok, first.RequestsLeft(), first.Paused)
		}
		if want := first.GoalsKept - first.KeyResultGoalsDone + 1; first.RequestsLeft() != want {
			t.Errorf("RequestsLeft = %d, want %d (walks left plus a page)", first.RequestsLeft(), want)
		}
		last := got[len(got)-1]
		if last.Phase != "done" || last.Requests != rep.Requests || last.RateLimited != 1 || last.RequestsLeft() != 0 {
			t.Errorf("last progress = %+v (report %d requests)", last, rep.Requests)
		}
	})
}

// The pause in force shows in progress, and the ETA counts it.
func TestProgressShowsThePause(t *testing.T) {
	p := goals.SyncProgress{Phase: "walking", GoalsKept: 10, KeyResultGoalsDone: 4, RequestsPerMinute: 60, Paused: 42 * time.Second}
	if eta, ok := p.ETA(); !ok || eta != 48*time.Second {
		t.Errorf("ETA = %s, %v; want 42 s of pause plus 6 requests at one a second", eta, ok)
	}
	if _, ok := (goals.SyncProgress{}).ETA(); ok {
		t.Error("an ETA without a rate")
	}
}

// A Retry-After longer than the client waits ends the sync at once: no
// request after it, nothing written, an error that says how long.
func TestLongRetryAfterStopsTheSync(t *testing.T) {
	// As for a refused token (TestIngester_Sync_refusedTokenStopsTheSync): requests let
	// through before the 429 was read may arrive, never one per goal.
	for _, c := range []struct{ concurrency, after int }{{1, 100}, {8, 100}} {
		t.Run(fmt.Sprint(c.concurrency), func(t *testing.T) {
			m := newMock(t, wsOwned("501", 1, 1000)...)
			var total, after atomic.Int32
			var limited atomic.Bool
			m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
				total.Add(1)
				if limited.Load() {
					after.Add(1)
				}
				if kind == m.listingKind() && gid == "5" {
					limited.Store(true)
					r := asanaError(429, "Too many requests")
					r.Header.Set("Retry-After", "3600")
					return r, nil
				}
				return nil, nil
			}
			store := goals.NewMemoryStore()
			seedN(t, store, "emp-ada", 1, 2)
			cfg := testConfig()
			cfg.Concurrency = c.concurrency
			_, err := runSync(t, m, store, cfg, ada)
			if !errors.Is(err, asana.ErrWaitTooLong) || !strings.Contains(err.Error(), "1h0m0s") {
				t.Fatalf("err = %v, want ErrWaitTooLong saying an hour", err)
			}
			if n := after.Load(); n > int32(c.after) {
				t.Errorf("%d requests (of %d) after the long Retry-After; only those already let through may follow", n, total.Load())
			}
			if gs := stored(t, store, "emp-ada"); gidsOf(gs) != "1,2" || gs[0].Name != "Stored" {
				t.Errorf("store changed: %+v", gs)
			}
		})
	}
}
