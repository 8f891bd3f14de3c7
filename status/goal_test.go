package status

import (
	"strings"
	"testing"
)

// TestMapGoalStatus pins the goal field's colours and outcomes (green,
// yellow, red, achieved, partial, missed, dropped, in any case and spacing)
// to their statuses, and anything else, the status_type words included, to
// on_track and not known.
func TestMapGoalStatus(t *testing.T) {
	tests := []struct {
		in    string
		want  Status
		known bool
	}{
		{"green", OnTrack, true},
		{"yellow", AtRisk, true},
		{"red", OffTrack, true},
		{"achieved", Completed, true},
		{"partial", AtRisk, true},
		{"missed", OffTrack, true},
		{"dropped", OffTrack, true},
		{" Red ", OffTrack, true},
		{"YELLOW", AtRisk, true},
		{"", OnTrack, false},
		{"blue", OnTrack, false},
		// Words of the spec's status_type table are not goal-field words.
		{"done", OnTrack, false},
		{"off_track", OnTrack, false},
		{"at_risk", OnTrack, false},
		{strings.Repeat("red", 1000), OnTrack, false},
		{"\xff", OnTrack, false},
	}
	for _, tc := range tests {
		got, known := lookupGoalStatus(tc.in)
		if got != tc.want || known != tc.known {
			t.Errorf("lookupGoalStatus(%q) = %s, %v; want %s, %v", tc.in, got, known, tc.want, tc.known)
		}
		if m := MapGoalStatus(tc.in); m != tc.want {
			t.Errorf("MapGoalStatus(%q) = %s, want %s", tc.in, m, tc.want)
		}
	}
}

// The goal-field colours stay out of the spec's table: a status_type of
// "red" is still "anything else".
func TestMap_ignoresGoalColours(t *testing.T) {
	for _, w := range []string{"green", "yellow", "red"} {
		if got := Map(w); got != OnTrack {
			t.Errorf("Map(%q) = %s, want on_track (the spec's table has no colours)", w, got)
		}
	}
}

// FuzzMapGoalStatus pins that MapGoalStatus returns one of the four statuses
// for any input, never a panic.
func FuzzMapGoalStatus(f *testing.F) {
	f.Add("red")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if !MapGoalStatus(s).Valid() {
			t.Fatalf("MapGoalStatus(%q) is not one of the four", s)
		}
	})
}
