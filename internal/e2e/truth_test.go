package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/internal/htmltext"
	"github.com/perfcopilot/asanagoals/status"
)

const token = "e2e-token-never-printed"

var syncedAt = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// employeesFor maps every user of ws to an employee, except every skip-th
// user, who stays unmapped in Asana terms (an owner no employee maps to).
func employeesFor(ws *asanafake.Workspace, skip int) []goals.Employee {
	var emps []goals.Employee
	for i, u := range ws.Users {
		if skip > 0 && i%skip == skip-1 {
			continue
		}
		emps = append(emps, goals.Employee{ID: fmt.Sprintf("emp-%05d", i), AsanaUserGID: u.GID, Name: u.Name})
	}
	return emps
}

// expected is what the spec says the store must hold for one employee,
// derived from the generated workspace alone.
func expected(ws *asanafake.Workspace, emp goals.Employee, capN int) (gs []goals.Goal, truncated bool) {
	return expectedIn(ws, emp, capN, goals.Period{})
}

// expectedIn is expected for a sync scoped to a review window: the first
// capN goals in the window, in Asana's order.
func expectedIn(ws *asanafake.Workspace, emp goals.Employee, capN int, window goals.Period) (gs []goals.Goal, truncated bool) {
	gs = []goals.Goal{}
	for _, g := range ws.GoalsOwnedBy(emp.AsanaUserGID) {
		due, _ := asana.ParseDate(g.DueOn)
		start, _ := asana.ParseDate(g.StartOn)
		goal := goals.Goal{
			EmployeeID:  emp.ID,
			GID:         g.GID,
			Name:        g.Name,
			Description: htmltext.Description(g.HTMLNotes, goals.DefaultDescriptionLimit),
			StartOn:     start,
			DueOn:       due,
			Metric:      progress(g.Metric),
			TimePeriod:  timePeriod(g.TimePeriod),
			KeyResults:  []goals.KeyResult{},
			SyncedAt:    syncedAt,
		}
		if !window.Includes(goal) {
			continue
		}
		if len(gs) == capN {
			return gs, true
		}
		goal.Status, goal.RawStatus, goal.StatusSource = truthStatus(g)
		for _, s := range ws.Subgoals(g.GID) {
			sdue, _ := asana.ParseDate(s.DueOn)
			kr := goals.KeyResult{GoalGID: g.GID, GID: s.GID, Name: s.Name, DueOn: sdue, Metric: progress(s.Metric)}
			kr.Status, kr.RawStatus, kr.StatusSource = truthStatus(s)
			goal.KeyResults = append(goal.KeyResults, kr)
		}
		gs = append(gs, goal)
	}
	return gs, truncated
}

// truthStatus is a goal's status as the status package doc states the rule, written
// out here rather than through goals.StatusOf: the status update's
// status_type when there is one (the spec's table, status.Map); else the
// goal's own status field as the fake serves it (green → on_track, yellow
// → at_risk, red → off_track, achieved → completed, partial → at_risk,
// missed and dropped → off_track); else on_track with no word ("missing").
func truthStatus(g asanafake.Goal) (status.Status, string, goals.StatusSource) {
	if strings.TrimSpace(g.StatusType) != "" {
		return status.Map(g.StatusType), g.StatusType, goals.StatusFromUpdate
	}
	word := g.ServedStatus()
	if strings.TrimSpace(word) == "" {
		return status.OnTrack, "", goals.StatusFromNone
	}
	mapped, ok := map[string]status.Status{
		"green": status.OnTrack, "yellow": status.AtRisk, "red": status.OffTrack,
		"achieved": status.Completed, "partial": status.AtRisk, "missed": status.OffTrack, "dropped": status.OffTrack,
	}[word]
	if !ok { // a word Asana does not document: the library's own table decides
		mapped = status.MapGoalStatus(word)
	}
	return mapped, word, goals.StatusFromGoal
}

// timePeriod is the time period the fake serves, as a goal keeps it.
func timePeriod(tp *asanafake.TimePeriod) *goals.TimePeriod {
	if tp == nil {
		return nil
	}
	start, _ := asana.ParseDate(tp.StartOn)
	end, _ := asana.ParseDate(tp.EndOn)
	return &goals.TimePeriod{GID: tp.GID, DisplayName: tp.DisplayName, Period: tp.Period, StartOn: start, EndOn: end}
}

func progress(m *asanafake.Metric) *goals.Metric {
	if m == nil {
		return nil
	}
	return &goals.Metric{Initial: m.InitialNumberValue, Current: m.CurrentNumberValue, Target: m.TargetNumberValue,
		Unit: m.Unit, CurrencyCode: m.CurrencyCode}
}

// startFake serves ws on loopback and returns a client for it.
func startFake(tb testing.TB, ws *asanafake.Workspace, opts asanafake.Options, clientOpts ...asana.Option) (*asanafake.Server, *asana.Client) {
	tb.Helper()
	if opts.Tokens == nil {
		opts.Tokens = map[string]string{token: ws.Users[0].GID}
	}
	fake := asanafake.NewServer(ws, opts)
	srv := httptest.NewServer(fake)
	tb.Cleanup(srv.Close)
	client, err := asana.NewClient(token, append([]asana.Option{asana.WithBaseURL(srv.URL)}, clientOpts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return fake, client
}

// TestIngester_Sync_matchesGeneratedTruth pins the whole sync end to end
// against the generator's truth, on today's goal-relationships path and the
// spec's sub-goal path, with and without faults of every kind: no employee
// fails, the report's counts and sub-goal source are right, the store holds
// exactly the truth, faults were really injected, and the report counts
// every request the fake saw (but those net/http resent after a reset).
func TestIngester_Sync_matchesGeneratedTruth(t *testing.T) {
	cfg := asanafake.DefaultGenConfig(2000, 80)
	cfg.OwnersAboveCap = 2
	cfg.MaxSubgoals = 5
	ws := asanafake.Generate(7, cfg)
	emps := employeesFor(ws, 10)

	tests := []struct {
		name   string
		opts   asanafake.Options
		source goals.SubgoalPath
	}{
		{"today's Asana: goal relationships", asanafake.Options{}, goals.PathGoalRelationships},
		{"the spec's subgoals path", asanafake.Options{SpecSubgoalPath: true}, goals.PathSubgoals},
		{"faults on every kind of request", asanafake.Options{Seed: 3, Faults: asanafake.Faults{
			ServerError: 0.02, ConnReset: 0.01, TruncatedBody: 0.01, MalformedJSON: 0.01, GatewayHTML: 0.01,
		}}, goals.PathGoalRelationships},
		{"faults on every kind of request, spec's path", asanafake.Options{Seed: 3, SpecSubgoalPath: true, Faults: asanafake.Faults{
			ServerError: 0.02, ConnReset: 0.01, TruncatedBody: 0.01, MalformedJSON: 0.01, GatewayHTML: 0.01,
		}}, goals.PathSubgoals},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, client := startFake(t, ws, tc.opts,
				asana.WithMaxRetries(10), asana.WithRetryWait(time.Millisecond, 20*time.Millisecond),
				asana.WithRequestsPerMinute(6_000_000))
			store := goals.NewMemoryStore()
			ing := goals.NewIngester(client, store, goals.Config{WorkspaceGID: ws.GID, Now: func() time.Time { return syncedAt }})
			rep, err := ing.Sync(context.Background(), emps)
			if err != nil {
				t.Fatalf("Sync: %v", err)
			}
			if f := rep.Failed(); len(f) > 0 {
				t.Fatalf("failed employees: %+v", f)
			}
			checkReport(t, ws, emps, rep, tc.source, true)
			checkStore(t, ws, emps, rep, store)
			if tc.opts.Faults != (asanafake.Faults{}) && fake.Stats().FaultsInjected == 0 {
				t.Error("no fault was injected; the test proves nothing about retries")
			}
			if rep.Requests < fake.Stats().Requests-int64(fake.Stats().Faults.ConnResets) {
				// net/http may resend a reset request on its own; every other
				// request the fake saw, the client counted.
				t.Errorf("report counts %d requests, the fake saw %d", rep.Requests, fake.Stats().Requests)
			}
		})
	}
}

// The benchmark's own sync, checked rather than timed, on both sub-goal
// paths: the data equal the truth and the requests are exactly the
// minimum (on today's path: one probe of the retired path, and a
// GET /goals/{gid} only for sub-goals the scan never returns).
func TestIngester_Sync_benchmarkWorkspaceMatchesTruth(t *testing.T) {
	ws, emps := benchWorkspace()
	for _, spec := range []bool{false, true} {
		t.Run(map[bool]string{false: "goal relationships", true: "spec's path"}[spec], func(t *testing.T) {
			fake, client := startFake(t, ws, asanafake.Options{MaxInFlight: asana.MaxInFlight, SpecSubgoalPath: spec}, asana.WithRequestsPerMinute(6_000_000))
			store := goals.NewMemoryStore()
			rep, err := goals.NewIngester(client, store, goals.Config{WorkspaceGID: ws.GID, Now: func() time.Time { return syncedAt }}).
				Sync(context.Background(), emps)
			if err != nil {
				t.Fatal(err)
			}
			source := map[bool]goals.SubgoalPath{false: goals.PathGoalRelationships, true: goals.PathSubgoals}[spec]
			checkReport(t, ws, emps, rep, source, false)
			checkStore(t, ws, emps, rep, store)
			mr := minimumRequests(ws, emps, spec)
			if rep.Requests != int64(mr.total()) || fake.Stats().Requests != int64(mr.total()) {
				t.Errorf("requests = %d (the fake saw %d), want exactly the minimum %d (%+v)", rep.Requests, fake.Stats().Requests, mr.total(), mr)
			}
			if !spec && mr.fetches == 0 {
				t.Error("no kept goal has a sub-goal the scan never returns: the workspace does not exercise the fetch")
			}
		})
	}
}

func checkReport(t *testing.T, ws *asanafake.Workspace, emps []goals.Employee, rep *goals.Report, source goals.SubgoalPath, wantUnmapped bool) {
	t.Helper()
	mapped := map[string]bool{}
	for _, e := range emps {
		mapped[e.AsanaUserGID] = true
	}
	var ownerless, unmapped, listed int
	for _, g := range ws.Goals {
		if g.Unlisted {
			continue // the scan never returns it
		}
		listed++
		switch {
		case g.OwnerGID == "":
			ownerless++
		case !mapped[g.OwnerGID]:
			unmapped++
		}
	}
	if rep.WorkspaceGoalsScanned != listed || rep.OwnerlessGoals != ownerless || rep.UnmappedOwnerGoals != unmapped {
		t.Errorf("scanned/ownerless/unmapped = %d/%d/%d, want %d/%d/%d", rep.WorkspaceGoalsScanned, rep.OwnerlessGoals,
			rep.UnmappedOwnerGoals, listed, ownerless, unmapped)
	}
	if ownerless == 0 || (unmapped == 0) == wantUnmapped {
		t.Errorf("ownerless %d, unmapped-owner goals %d: the workspace does not exercise what this test needs (unmapped owners wanted: %v)", ownerless, unmapped, wantUnmapped)
	}
	if rep.SubgoalPath != source {
		t.Errorf("sub-goal source = %q, want %q", rep.SubgoalPath, source)
	}
	if len(rep.Employees) != len(emps) {
		t.Errorf("%d employee entries, want %d", len(rep.Employees), len(emps))
	}
}

func checkStore(t testing.TB, ws *asanafake.Workspace, emps []goals.Employee, rep *goals.Report, store *goals.MemoryStore) {
	t.Helper()
	truncated := 0
	krs := 0
	// What the workspace must exercise: statuses from each source (a goal
	// status field that differs from the update's status_type among them),
	// and time periods.
	sources := map[goals.StatusSource]int{}
	updateWinsOverField, periods := 0, 0
	count := func(g asanafake.Goal) {
		_, _, src := truthStatus(g)
		sources[src]++
		if src == goals.StatusFromUpdate && g.GoalStatus != "" {
			updateWinsOverField++
		}
	}
	for i, emp := range emps {
		want, wantTrunc := expected(ws, emp, goals.DefaultMaxGoalsPerEmployee)
		got, err := store.Goals(context.Background(), emp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !sameJSON(t, got, want) {
			t.Errorf("employee %s: stored goals differ from Asana's truth", emp.ID)
			continue
		}
		er := rep.Employees[i]
		if er.EmployeeID != emp.ID || er.Truncated != wantTrunc || er.GoalsKept != len(want) || er.Written != goals.WrittenComplete {
			t.Errorf("report entry %+v, want truncated=%v kept=%d", er, wantTrunc, len(want))
		}
		if wantTrunc {
			truncated++
		}
		for _, g := range want {
			krs += len(g.KeyResults)
			if g.TimePeriod != nil {
				periods++
			}
			ag, _ := ws.Goal(g.GID)
			count(ag)
			for _, kr := range g.KeyResults {
				ak, _ := ws.Goal(kr.GID)
				count(ak)
			}
		}
	}
	if truncated == 0 || krs == 0 {
		t.Errorf("truncated employees %d, key results %d: the workspace must exercise both", truncated, krs)
	}
	if sources[goals.StatusFromUpdate] == 0 || sources[goals.StatusFromGoal] == 0 || sources[goals.StatusFromNone] == 0 ||
		updateWinsOverField == 0 || periods == 0 {
		t.Errorf("statuses by source %v, update over a differing goal status %d, goals with a time period %d: "+
			"the workspace must exercise each", sources, updateWinsOverField, periods)
	}
	if got, want := rep.StatusesFromGoalField, sources[goals.StatusFromGoal]; got != want {
		t.Errorf("report counts %d statuses from the goal field, the truth %d", got, want)
	}
}

func sameJSON(t testing.TB, got, want any) bool {
	t.Helper()
	a, err1 := json.Marshal(got)
	b, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil {
		t.Fatalf("marshal: %v %v", err1, err2)
	}
	if slices.Equal(a, b) {
		return true
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-300)
	t.Logf("first difference at byte %d:\ngot:  …%.600s\nwant: …%.600s", i, a[from:], b[from:])
	return false
}
