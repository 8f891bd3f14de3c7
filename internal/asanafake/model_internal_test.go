package asanafake

import "testing"

// ServedStatus is the goal status field the server serves: the goal's own
// word when it has one, else the color of its update's status_type (the
// word itself when it has no color), else nothing.
func TestGoal_ServedStatus(t *testing.T) {
	for _, tc := range []struct {
		g    Goal
		want string
	}{
		{Goal{}, ""},
		{Goal{GoalStatus: "yellow"}, "yellow"},
		{Goal{StatusType: "on_track"}, "green"},
		{Goal{StatusType: "at_risk"}, "yellow"},
		{Goal{StatusType: "off_track"}, "red"},
		{Goal{StatusType: "partial"}, "partial"},
		{Goal{StatusType: "on_track", GoalStatus: "dropped"}, "dropped"},
	} {
		if got := tc.g.ServedStatus(); got != tc.want {
			t.Errorf("%+v: ServedStatus = %q, want %q", tc.g, got, tc.want)
		}
	}
}

// Clone copies time periods: changing the clone's leaves the original's
// alone.
func TestWorkspace_Clone_copiesTimePeriod(t *testing.T) {
	ws := statusWorkspace()
	c := ws.Clone()
	c.Goals[0].TimePeriod.DisplayName = "changed"
	if ws.Goals[0].TimePeriod.DisplayName != "Q1 FY26" {
		t.Error("Clone shares time periods with the original")
	}
}
