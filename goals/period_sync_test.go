package goals_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// h1FY26 is a review of the first half of 2026.
var h1FY26 = goals.Period{From: asana.Date{Year: 2026, Month: 1, Day: 1}, To: asana.Date{Year: 2026, Month: 6, Day: 30}}

func periodOf(gid, start, end string) *asanafake.TimePeriod {
	return &asanafake.TimePeriod{GID: gid, DisplayName: gid, StartOn: start, EndOn: end}
}

// A sync scoped to a review window keeps and walks only the goals in it
// (by time period, else by dates; a goal with no dates is in); stored goals
// the scan returned outside it take their own fields from the scan and keep
// their Key Results, in Asana's order; a stored goal the scan did not
// return at all is removed; the report says the window, what was outside
// and the requests saved.
func TestScopedSyncKeepsOnlyTheWindow(t *testing.T) {
	m := newMock(t,
		asanafake.Goal{GID: "1", Name: "Q1 goal", OwnerGID: "501", TimePeriod: periodOf("q1", "2026-01-01", "2026-03-31"), SubgoalGIDs: []string{"9"}},
		asanafake.Goal{GID: "2", Name: "FY25 goal", OwnerGID: "501", TimePeriod: periodOf("fy25", "2025-01-01", "2025-12-31"), SubgoalGIDs: []string{"9"}},
		asanafake.Goal{GID: "3", Name: "Dated in H1", OwnerGID: "501", StartOn: "2026-05-01", DueOn: "2026-08-31"},
		asanafake.Goal{GID: "4", Name: "Dated in 2027", OwnerGID: "501", StartOn: "2027-01-01", DueOn: "2027-03-31"},
		asanafake.Goal{GID: "5", Name: "No dates", OwnerGID: "501"},
		asanafake.Goal{GID: "6", Name: "FY26, H1 by period though due later", OwnerGID: "501", DueOn: "2026-12-31", TimePeriod: periodOf("fy26", "2026-01-01", "2026-12-31")},
		asanafake.Goal{GID: "9", Name: "Sub-goal of another year", TimePeriod: periodOf("fy24", "2024-01-01", "2024-12-31")},
	)
	store := goals.NewMemoryStore()
	storedFY25 := goals.Goal{GID: "2", Name: "FY25 goal as reviewed last year", Status: status.Completed, RawStatus: "achieved",
		StatusSource: goals.StatusFromUpdate, KeyResults: []goals.KeyResult{{GoalGID: "2", GID: "8", Name: "old KR", Status: status.OnTrack}}}
	seed(t, store, "emp-ada", storedFY25,
		goals.Goal{GID: "4", Name: "2027 as stored", Status: status.AtRisk},
		goals.Goal{GID: "7", Name: "Deleted in Asana", Status: status.OnTrack})
	cfg := testConfig()
	cfg.Period = h1FY26
	rep, err := runSync(t, m, store, cfg, ada)
	if err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	if got := gidsOf(gs); got != "1,2,3,4,5,6" {
		t.Fatalf("stored = %s, want 1,3,5,6 written and 2 and 4 (outside) kept, in Asana's order; 7 (not in Asana) removed", got)
	}
	if krGIDs(gs[0]) != "9" {
		t.Errorf("goal 1's Key Results = %s: a sub-goal of any period is a Key Result", krGIDs(gs[0]))
	}
	if fy25 := gs[1]; fy25.Name != "FY25 goal" || fy25.TimePeriod == nil || fy25.TimePeriod.GID != "fy25" || krGIDs(fy25) != "8" {
		t.Errorf("goal 2 = %+v, want the scan's name and time period, and its stored Key Result 8", fy25)
	}
	if y2027 := gs[3]; y2027.Name != "Dated in 2027" || y2027.Status != status.OnTrack || y2027.DueOn.String() != "2027-03-31" {
		t.Errorf("goal 4 = %+v, want the scan's name, status and dates", y2027)
	}
	if n := m.count("relationships"); n != 4 {
		t.Errorf("%d sub-goal listings, want 4 (goals 1, 3, 5, 6): none outside the window", n)
	}
	e := employeeReport(t, rep, "emp-ada")
	if e.Written != goals.WrittenComplete || e.GoalsOwned != 6 || e.GoalsKept != 4 || e.GoalsOutsidePeriod != 2 {
		t.Errorf("ada = %+v, want complete, 6 owned, 4 kept, 2 outside", e)
	}
	if rep.Period != "2026-01-01..2026-06-30" || rep.GoalsOutsidePeriod != 2 || rep.RequestsSaved != 2 {
		b, _ := json.Marshal(rep)
		t.Errorf("report = %s, want the window, 2 goals outside, 2 requests saved", b)
	}
}

// The per-employee cap counts the goals in the window only, in Asana's
// order: 30 goals of last year before 200 of this half do not crowd any
// out.
func TestCapCountsGoalsInTheWindow(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 30; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "Old", OwnerGID: "501", DueOn: "2025-06-30"})
	}
	for i := 31; i <= 230; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "Now", OwnerGID: "501", DueOn: "2026-03-31"})
	}
	cfg := testConfig()
	cfg.Period = h1FY26
	store := goals.NewMemoryStore()
	rep, err := runSync(t, newMock(t, ws...), store, cfg, ada)
	if err != nil {
		t.Fatal(err)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Truncated || e.GoalsKept != 200 || e.GoalsOutsidePeriod != 30 {
		t.Errorf("ada = %+v, want 200 kept, not truncated, 30 outside", e)
	}
	if gs := stored(t, store, "emp-ada"); len(gs) != 200 || gs[0].GID != "31" {
		t.Errorf("stored %d goals from %s, want the 200 of the window", len(gs), gs[0].GID)
	}
	if rep.RequestsSaved != 0 {
		t.Errorf("requests saved = %d: an unscoped sync would also have listed 200", rep.RequestsSaved)
	}
}

// The mass-removal guard weighs what a scoped write would remove, not
// the goals it keeps outside the window.
func TestScopedSyncGuardWeighsOnlyRemovals(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 20; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "Old", OwnerGID: "501", DueOn: "2025-06-30"})
	}
	ws = append(ws, asanafake.Goal{GID: "100", Name: "Now", OwnerGID: "501", DueOn: "2026-03-31"})
	store := goals.NewMemoryStore()
	seedN(t, store, "emp-ada", 1, 20)
	cfg := testConfig()
	cfg.Period = h1FY26
	rep, err := runSync(t, newMock(t, ws...), store, cfg, ada)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RemovalsHeld != 0 {
		t.Errorf("%d removals held: goals outside the window are not removals", rep.RemovalsHeld)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); !strings.HasSuffix(got, ",20,100") || strings.Count(got, ",") != 20 {
		t.Errorf("stored = %s, want the 20 stored goals and 100, in Asana's order", got)
	}
}

// A window that ends before it starts is a config error: no request.
func TestPeriodEndingBeforeItStartsIsAConfigError(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"})
	cfg := testConfig()
	cfg.Period = goals.Period{From: h1FY26.To, To: h1FY26.From}
	_, err := runSync(t, m, goals.NewMemoryStore(), cfg, ada)
	var ce *goals.GoalsConfigError
	if !errors.As(err, &ce) || ce.Field != "Period" {
		t.Fatalf("err = %v, want a GoalsConfigError about Period", err)
	}
	if n := m.total(); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

// Progress of a scoped sync counts only the goals in the window: the goals
// kept, and so the requests left and the time left.
func TestScopedSyncProgressCountsTheWindow(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 30; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "Old", OwnerGID: "501", DueOn: "2025-06-30"})
	}
	for i := 31; i <= 40; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "Now", OwnerGID: "501", DueOn: "2026-03-31"})
	}
	cfg := testConfig()
	cfg.Period = h1FY26
	var got []goals.SyncProgress
	cfg.OnProgress = func(p goals.SyncProgress) { got = append(got, p) }
	if _, err := runSync(t, newMock(t, ws...), goals.NewMemoryStore(), cfg, ada); err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		if p.GoalsKept > 10 || p.RequestsLeft() > 11 {
			t.Errorf("progress %+v counts goals outside the window (kept %d, requests left %d)", p, p.GoalsKept, p.RequestsLeft())
		}
	}
	if last := got[len(got)-1]; last.GoalsKept != 10 || last.KeyResultGoalsDone != 10 {
		t.Errorf("last progress = %+v, want the 10 goals of the window kept and walked", last)
	}
}
