package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// reviewH1FY26 is the review window of the scoped tests: one half-year of
// a workspace whose goals span four fiscal years.
var reviewH1FY26 = goals.Period{From: asana.Date{Year: 2026, Month: time.January, Day: 1}, To: asana.Date{Year: 2026, Month: time.June, Day: 30}}

// scopedWorkspace has 10,000 goals of 600 people spread over the fiscal
// years 2024..2027, six
// in ten of them in an Asana time period (years, halves, quarters), the
// others with only dates, and some with no dates at all.
func scopedWorkspace() (*asanafake.Workspace, []goals.Employee) {
	cfg := asanafake.DefaultGenConfig(10_000, 600)
	cfg.UnlistedShare = 0.3
	ws := asanafake.Generate(77, cfg)
	return ws, employeesFor(ws, 0)
}

// minimumScoped is the minimum of a sync scoped to window, on today's path:
// the pages, one listing per goal kept in the window, the sub-goals of
// those the scan never returns, and the probe.
func minimumScoped(ws *asanafake.Workspace, emps []goals.Employee, window goals.Period) minimum {
	m := minimumRequests(ws, nil, false)
	for _, e := range emps {
		kept, _ := expectedIn(ws, e, goals.DefaultMaxGoalsPerEmployee, window)
		m.listings += len(kept)
		for _, g := range kept {
			for _, sub := range ws.Subgoals(g.GID) {
				if sub.Unlisted {
					m.fetches++
				}
			}
		}
	}
	if m.listings > 0 {
		m.probes = 1
	}
	return m
}

// scopedRun is one whole sync, then one scoped to reviewH1FY26 a day later,
// into the same store.
type scopedRun struct {
	whole, scoped     *goals.Report
	store             *goals.MemoryStore
	before            map[string][]goals.Goal // by employee, after the whole sync
	scopedWall        time.Duration
	scopedFakeReqs    int64
	scopedFakeLimited int64
}

func runScoped(tb testing.TB, ws *asanafake.Workspace, emps []goals.Employee, opts asanafake.Options, perMinute int) scopedRun {
	tb.Helper()
	ctx := context.Background()
	var run scopedRun
	_, client := startFake(tb, ws, opts, asana.WithRequestsPerMinute(perMinute), asana.WithMaxRetries(10))
	run.store = goals.NewMemoryStore()
	var err error
	run.whole, err = goals.NewIngester(client, run.store, goals.Config{WorkspaceGID: ws.GID, Now: func() time.Time { return syncedAt }}).Sync(ctx, emps)
	if err != nil {
		tb.Fatal(err)
	}
	run.before = map[string][]goals.Goal{}
	for _, e := range emps {
		run.before[e.ID], _ = run.store.Goals(ctx, e.ID)
	}
	fake, client := startFake(tb, ws, opts, asana.WithRequestsPerMinute(perMinute), asana.WithMaxRetries(10))
	ing := goals.NewIngester(client, run.store, goals.Config{WorkspaceGID: ws.GID, Period: reviewH1FY26,
		Now: func() time.Time { return syncedAt.Add(24 * time.Hour) }})
	start := time.Now()
	run.scoped, err = ing.Sync(ctx, emps)
	run.scopedWall = time.Since(start)
	if err != nil {
		tb.Fatal(err)
	}
	run.scopedFakeReqs, run.scopedFakeLimited = fake.Stats().Requests, fake.Stats().RateLimited
	return run
}

// checkScoped: the goals in the window equal the generator's truth (synced
// a day later), the goals outside it are byte for byte as the whole sync
// stored them (the scoped sync refreshes them from its scan, and the
// workspace did not change between the syncs, so no row changes, synced_at
// included), and nothing else is stored.
func checkScoped(tb testing.TB, ws *asanafake.Workspace, emps []goals.Employee, run scopedRun) {
	tb.Helper()
	outside := 0
	for _, e := range emps {
		want, _ := expectedIn(ws, e, goals.DefaultMaxGoalsPerEmployee, reviewH1FY26)
		in := map[string]bool{}
		for i := range want {
			want[i].SyncedAt = syncedAt.Add(24 * time.Hour)
			in[want[i].GID] = true
		}
		got, err := run.store.Goals(context.Background(), e.ID)
		if err != nil {
			tb.Fatal(err)
		}
		var gotIn, gotOut, wantOut []goals.Goal
		for _, g := range got {
			if in[g.GID] {
				gotIn = append(gotIn, g)
			} else {
				gotOut = append(gotOut, g)
			}
		}
		for _, g := range run.before[e.ID] {
			if !in[g.GID] {
				wantOut = append(wantOut, g)
			}
		}
		outside += len(wantOut)
		if gotIn == nil {
			gotIn = []goals.Goal{}
		}
		if !sameJSON(tb, gotIn, want) {
			tb.Errorf("employee %s: goals in the window differ from Asana's truth", e.ID)
		}
		a, _ := json.Marshal(gotOut)
		b, _ := json.Marshal(wantOut)
		if string(a) != string(b) {
			tb.Errorf("employee %s: goals outside the window changed", e.ID)
		}
	}
	owned := 0 // goals owned outside the window, past the whole sync's cap too
	for _, e := range emps {
		all, _ := expectedIn(ws, e, len(ws.Goals), goals.Period{})
		in, _ := expectedIn(ws, e, len(ws.Goals), reviewH1FY26)
		owned += len(all) - len(in)
	}
	if outside == 0 || run.scoped.GoalsOutsidePeriod != owned {
		tb.Errorf("%d goals outside the window stored, %d owned; the report counts %d: the workspace must have some", outside, owned, run.scoped.GoalsOutsidePeriod)
	}
}

// A scoped sync against the same generated workspace as a whole one: the
// window's goals equal the truth, the others stay as stored, and it sends
// exactly the scoped minimum, at most a third of the whole sync's.
func TestIngester_Sync_scopedMatchesTruth(t *testing.T) {
	ws, emps := scopedWorkspace()
	run := runScoped(t, ws, emps, asanafake.Options{MaxInFlight: asana.MaxInFlight}, 6_000_000)
	checkScoped(t, ws, emps, run)
	mr := minimumScoped(ws, emps, reviewH1FY26)
	if run.scoped.Requests != int64(mr.total()) {
		t.Errorf("scoped sync sent %d requests, want the minimum %d (%+v)", run.scoped.Requests, mr.total(), mr)
	}
	if 3*run.scoped.Requests > run.whole.Requests {
		t.Errorf("scoped sync sent %d requests, the whole one %d: want at most a third", run.scoped.Requests, run.whole.Requests)
	}
	if saved := run.whole.Requests - run.scoped.Requests; int64(run.scoped.RequestsSaved) > saved || run.scoped.RequestsSaved == 0 {
		t.Errorf("report says %d requests saved; the whole sync sent %d more", run.scoped.RequestsSaved, saved)
	}
}

// BenchmarkScopedSync syncs the four-year workspace whole, then scoped to
// one half-year, against a fake with 20 ms of latency and the client at
// its quota, and reports both syncs' requests, the scoped minimum and the
// scoped sync's wall/floor.
//
// Targets: scoped requests = minimum, at most a third of the whole sync's;
// wall/floor <= 1.05; goals outside the window unchanged byte for byte.
func BenchmarkScopedSync(b *testing.B) {
	const (
		perSecond = 1000
		latency   = 20 * time.Millisecond
		window    = 3 * time.Second
	)
	ws, emps := scopedWorkspace()
	mr := minimumScoped(ws, emps, reviewH1FY26)
	floor := max(time.Duration(float64(mr.total())/perSecond*float64(time.Second)), time.Duration(mr.pages)*latency)
	opts := asanafake.Options{Latency: latency, RequestsPerMinute: int(perSecond * window.Seconds()), RateWindow: window,
		MaxInFlight: asana.MaxInFlight}
	var whole, scoped, limited int64
	var wall time.Duration
	for range b.N {
		run := runScoped(b, ws, emps, opts, perSecond*60)
		checkScoped(b, ws, emps, run)
		whole += run.whole.Requests
		scoped += run.scopedFakeReqs
		limited += run.scopedFakeLimited
		wall += run.scopedWall
	}
	n := float64(b.N)
	b.ReportMetric(float64(whole)/n, "whole-requests/sync")
	b.ReportMetric(float64(scoped)/n, "scoped-requests/sync")
	b.ReportMetric(float64(mr.total()), "scoped-min-requests/sync")
	b.ReportMetric(float64(scoped)/float64(whole), "scoped/whole")
	b.ReportMetric(float64(limited)/n, "429s/sync")
	b.ReportMetric(floor.Seconds(), "floor-s")
	b.ReportMetric(wall.Seconds()/n, "wall-s")
	b.ReportMetric(wall.Seconds()/n/floor.Seconds(), "wall/floor")
}
