package goals

import (
	"testing"

	"github.com/perfcopilot/asanagoals/status"
)

// statusOf maps a goal's status: a status update's status_type wins
// whenever it is not blank; without one, the goal's own status field is
// mapped; with neither, the goal is on track with no raw word. Each result
// says its source.
func TestStatusOf(t *testing.T) {
	type wantStatus struct {
		status status.Status
		raw    string
		source StatusSource
	}
	tests := []struct {
		statusType, goalStatus string
		want                   wantStatus
	}{
		{"on_track", "red", wantStatus{status.OnTrack, "on_track", StatusFromUpdate}},
		{"on_hold", "red", wantStatus{status.OnTrack, "on_hold", StatusFromUpdate}}, // present: still wins
		{"", "red", wantStatus{status.OffTrack, "red", StatusFromGoal}},
		{"  ", "Yellow", wantStatus{status.AtRisk, "Yellow", StatusFromGoal}},
		{"", "", wantStatus{status.OnTrack, "", StatusFromNone}},
		{"", " ", wantStatus{status.OnTrack, "", StatusFromNone}},
	}
	for _, tc := range tests {
		s, raw, src := statusOf(nil, tc.statusType, tc.goalStatus)
		if got := (wantStatus{s, raw, src}); got != tc.want {
			t.Errorf("statusOf(%q, %q) = %+v, want %+v", tc.statusType, tc.goalStatus, got, tc.want)
		}
	}
}
