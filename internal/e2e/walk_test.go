package e2e

import (
	"context"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// A world shaped like large-live, smaller, where the walk runs ahead of the
// scan (each page of GET /goals takes 30 ms, every other request none) and
// sub-goals are shared: goals of the first half of the scan also support
// goals of the second half, some of them never returned by the scan. A
// sync sends exactly the minimum: no GET /goals/{gid} for a goal the scan
// returns, however late in the scan it comes, and one per sub-goal the
// scan never returns, however many goals it supports.
func TestIngester_Sync_walkAheadOfTheScanSendsTheMinimum(t *testing.T) {
	cfg := asanafake.DefaultGenConfig(3000, 100)
	cfg.OwnerlessShare = 0.10
	cfg.MaxSubgoals = 5
	cfg.UnlistedShare = 0.3
	ws := asanafake.Generate(21, cfg)
	rng := rand.New(rand.NewPCG(21, 1))
	var unlisted []string
	for _, g := range ws.Goals {
		if g.Unlisted {
			unlisted = append(unlisted, g.GID)
		}
	}
	half := len(ws.Goals) / 2
	for range 300 {
		g := &ws.Goals[rng.IntN(half)]
		sub := ws.Goals[half+rng.IntN(len(ws.Goals)-half)].GID
		if rng.IntN(4) == 0 {
			sub = unlisted[rng.IntN(len(unlisted))]
		}
		if sub != g.GID && !slices.Contains(g.SubgoalGIDs, sub) {
			g.SubgoalGIDs = append(g.SubgoalGIDs, sub)
		}
	}
	emps := employeesFor(ws, 0)
	gets := newScannedGets(ws)
	opts := asanafake.Options{MaxInFlight: asana.MaxInFlight, Intercept: func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/goals" {
			time.Sleep(30 * time.Millisecond)
		}
		return gets.intercept(w, r)
	}}
	fake, client := startFake(t, ws, opts, asana.WithRequestsPerMinute(6_000_000))
	store := goals.NewMemoryStore()
	rep, err := goals.NewIngester(client, store, goals.Config{WorkspaceGID: ws.GID, Now: func() time.Time { return syncedAt }}).
		Sync(context.Background(), emps)
	if err != nil {
		t.Fatal(err)
	}
	checkStore(t, ws, emps, rep, store)
	mr := minimumRequests(ws, emps, false)
	if got := fake.Stats().Requests; got != int64(mr.total()) {
		t.Errorf("requests = %d, want exactly the minimum %d (%+v)", got, mr.total(), mr)
	}
	if gets.n > 0 {
		t.Errorf("%d GET /goals/{gid} of goals the scan returns", gets.n)
	}
	shared := 0
	parents := map[string]int{}
	for _, g := range ws.Goals {
		for _, s := range g.SubgoalGIDs {
			if parents[s]++; parents[s] == 2 {
				shared++
			}
		}
	}
	if shared == 0 || mr.fetches == 0 {
		t.Errorf("%d shared sub-goals, %d fetched alone: the world does not exercise what the test needs", shared, mr.fetches)
	}
}
