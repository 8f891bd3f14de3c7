package asana

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// An urgent request (a page of the workspace scan) is let through ahead of
// the requests already queued for the limiter: at 60 a minute (59.4 with
// the headroom), ten requests queued at 0 go one a second or so, and an
// urgent one entering at 2.5 s goes at once, not after the ten.
func TestUrgentRequestGoesAheadOfTheQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate(60, MaxInFlight, DefaultMaxWait, slog.New(slog.DiscardHandler), &counters{})
		start := time.Now()
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				release, _, err := g.enter(context.Background(), false)
				if err != nil {
					t.Error(err)
					return
				}
				release()
			})
		}
		time.Sleep(2500 * time.Millisecond)
		release, sent, err := g.enter(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		release()
		if d := sent.Sub(start); d != 2500*time.Millisecond {
			t.Errorf("urgent request let through at %s, want at once at 2.5s", d)
		}
		// It counted against the rate: a request queued after it waits for
		// the ten turns, the urgent one's, and its own.
		release, sent, err = g.enter(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		release()
		turn := time.Duration(float64(time.Second) / float64(limiterRate(60)))
		if d, want := sent.Sub(start), 11*turn; d < want-time.Millisecond {
			t.Errorf("a request queued after the urgent one went at %s, want at %s: the urgent one did not count against the rate", d, want)
		}
		wg.Wait()
	})
}

// The workspace scan asks for its next page while the caller still reads
// the current one: the caller, holding the first goal, sees page 2 asked for.
func TestScanAsksForTheNextPageWhileThePageIsRead(t *testing.T) {
	asked := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("offset") == "" {
			w.Write([]byte(`{"data":[{"gid":"1","name":"A"}],"next_page":{"offset":"p2"}}`))
			return
		}
		once.Do(func() { close(asked) })
		w.Write([]byte(`{"data":[{"gid":"2","name":"B"}],"next_page":null}`))
	}))
	defer srv.Close()
	c, err := NewClient("0/prefetchtesttoken", WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for g, err := range c.Goals(context.Background(), ListGoalsOptions{Workspace: "1"}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if g.GID == "1" {
			select {
			case <-asked:
			case <-time.After(10 * time.Second):
				t.Fatal("page 2 was not asked for while page 1 was read")
			}
		}
	}
	if n != 2 {
		t.Errorf("%d goals, want 2", n)
	}
}
