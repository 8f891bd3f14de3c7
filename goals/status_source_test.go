package goals_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// Without a status update (or with one that has no
// status_type), the goal's own status field is mapped; a status_type still
// wins; the raw word and its source are kept, for goals and Key Results,
// and the report counts the statuses taken from the goal field.
func goalStatusWorkspace() []asanafake.Goal {
	return []asanafake.Goal{
		{GID: "1", Name: "Update wins", OwnerGID: "501", StatusType: "at_risk", GoalStatus: "red", SubgoalGIDs: []string{"11", "12", "13"}},
		{GID: "2", Name: "Red, no update", OwnerGID: "501", GoalStatus: "red"},
		{GID: "3", Name: "Green, no update", OwnerGID: "501", GoalStatus: "green"},
		{GID: "4", Name: "Achieved, no update", OwnerGID: "501", GoalStatus: "achieved"},
		{GID: "5", Name: "Nothing at all", OwnerGID: "501"},
		{GID: "6", Name: "Unknown word", OwnerGID: "501", GoalStatus: "purple"},
		{GID: "11", Name: "KR yellow", GoalStatus: "yellow"},
		{GID: "12", Name: "KR update wins", StatusType: "missed", GoalStatus: "green"},
		{GID: "13", Name: "KR nothing"},
	}
}

type wantStatus struct {
	status status.Status
	raw    string
	source goals.StatusSource
}

var goalStatusWant = map[string]wantStatus{
	"1":  {status.AtRisk, "at_risk", goals.StatusFromUpdate},
	"2":  {status.OffTrack, "red", goals.StatusFromGoal},
	"3":  {status.OnTrack, "green", goals.StatusFromGoal},
	"4":  {status.Completed, "achieved", goals.StatusFromGoal},
	"5":  {status.OnTrack, "", goals.StatusFromNone},
	"6":  {status.OnTrack, "purple", goals.StatusFromGoal},
	"11": {status.AtRisk, "yellow", goals.StatusFromGoal},
	"12": {status.OffTrack, "missed", goals.StatusFromUpdate},
	"13": {status.OnTrack, "", goals.StatusFromNone},
}

func checkGoalStatuses(t *testing.T, gs []goals.Goal) {
	t.Helper()
	if gidsOf(gs) != "1,2,3,4,5,6" || krGIDs(gs[0]) != "11,12,13" {
		t.Fatalf("stored %s with key results %s", gidsOf(gs), krGIDs(gs[0]))
	}
	check := func(gid string, got wantStatus) {
		if want := goalStatusWant[gid]; got != want {
			t.Errorf("goal %s: status %+v, want %+v", gid, got, want)
		}
	}
	for _, g := range gs {
		check(g.GID, wantStatus{g.Status, g.RawStatus, g.StatusSource})
	}
	for _, kr := range gs[0].KeyResults {
		check(kr.GID, wantStatus{kr.Status, kr.RawStatus, kr.StatusSource})
	}
}

func TestGoalStatusFieldWhenNoStatusUpdate(t *testing.T) {
	for _, retired := range []bool{false, true} {
		name := map[bool]string{false: "subgoals path", true: "goal relationships"}[retired]
		t.Run(name, func(t *testing.T) {
			m := newMock(t, goalStatusWorkspace()...)
			m.specPath = !retired
			store := goals.NewMemoryStore()
			rep, err := runSync(t, m, store, testConfig(), ada)
			if err != nil {
				t.Fatal(err)
			}
			checkGoalStatuses(t, stored(t, store, "emp-ada"))
			// Goals 2, 3, 4, 6 and Key Result 11.
			if rep.StatusesFromGoalField != 5 {
				t.Errorf("StatusesFromGoalField = %d, want 5", rep.StatusesFromGoalField)
			}
			for _, f := range append(m.optFields("pages"), m.optFields("subgoals")...) {
				if !slices.Contains(strings.Split(f, ","), "status") {
					t.Errorf("opt_fields %q does not ask for the goal's status", f)
				}
			}
		})
	}
}

// A sub-goal the scan did not return is fetched on its own; its goal status
// field is asked for and mapped too.
func TestGoalStatusOfSubgoalFetchedAlone(t *testing.T) {
	ws := goalStatusWorkspace()
	for i := range ws {
		if ws[i].GID == "11" {
			ws[i].Unlisted = true
		}
	}
	m := newMock(t, ws...)
	fetched := fetchedGoals(m)
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	checkFetchedAlone(t, fetched(), "11")
	checkGoalStatuses(t, stored(t, store, "emp-ada"))
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		statusType, goalStatus string
		want                   wantStatus
	}{
		{"on_track", "red", wantStatus{status.OnTrack, "on_track", goals.StatusFromUpdate}},
		{"on_hold", "red", wantStatus{status.OnTrack, "on_hold", goals.StatusFromUpdate}}, // present: still wins
		{"", "red", wantStatus{status.OffTrack, "red", goals.StatusFromGoal}},
		{"  ", "Yellow", wantStatus{status.AtRisk, "Yellow", goals.StatusFromGoal}},
		{"", "", wantStatus{status.OnTrack, "", goals.StatusFromNone}},
		{"", " ", wantStatus{status.OnTrack, "", goals.StatusFromNone}},
	}
	for _, tc := range tests {
		s, raw, src := goals.StatusOf(nil, tc.statusType, tc.goalStatus)
		if got := (wantStatus{s, raw, src}); got != tc.want {
			t.Errorf("StatusOf(%q, %q) = %+v, want %+v", tc.statusType, tc.goalStatus, got, tc.want)
		}
	}
}
