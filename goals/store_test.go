package goals_test

import (
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
)

func TestWriteOrder(t *testing.T) {
	w := func(complete bool, gids string, retain ...string) goals.Write {
		wr := goals.Write{EmployeeID: "e", Complete: complete, Retain: retain}
		for _, g := range strings.Split(gids, ",") {
			if g != "" {
				wr.Goals = append(wr.Goals, goals.Goal{EmployeeID: "e", GID: g})
			}
		}
		return wr
	}
	tests := []struct {
		name           string
		stored         string
		write          goals.Write
		after, removed string
	}{
		{"complete into empty", "", w(true, "3,1,2"), "3,1,2", ""},
		{"complete removes the rest", "1,2,3", w(true, "3,4"), "3,4", "1,2"},
		{"complete keeps retained in old order", "1,2,3,4", w(true, "5", "4", "2", "9"), "5,2,4", "1,3"},
		{"partial keeps places, appends new", "1,2,3", w(false, "7,2,6"), "1,2,3,7,6", ""},
		{"empty complete clears", "1,2", w(true, ""), "", "1,2"},
		{"empty partial changes nothing", "1,2", w(false, ""), "1,2", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stored []string
			if tc.stored != "" {
				stored = strings.Split(tc.stored, ",")
			}
			after, removed := tc.write.Order(stored)
			if got := strings.Join(after, ","); got != tc.after {
				t.Errorf("after = %s, want %s", got, tc.after)
			}
			if got := strings.Join(removed, ","); got != tc.removed {
				t.Errorf("removed = %s, want %s", got, tc.removed)
			}
		})
	}
}

// MemoryStore keeps copies: a time period changed by the caller after a
// write, or in what Goals returned, does not change what is stored.
func TestMemoryStoreCopiesTimePeriod(t *testing.T) {
	s := goals.NewMemoryStore()
	g := goals.Goal{EmployeeID: "e", GID: "1", Name: "G", Status: "on_track", KeyResults: []goals.KeyResult{},
		TimePeriod: &goals.TimePeriod{GID: "7", DisplayName: "Q1"}}
	if err := s.WriteGoals(t.Context(), goals.Write{EmployeeID: "e", Goals: []goals.Goal{g}, Complete: true}); err != nil {
		t.Fatal(err)
	}
	g.TimePeriod.DisplayName = "changed after the write"
	got, _ := s.Goals(t.Context(), "e")
	got[0].TimePeriod.DisplayName = "changed in a read"
	again, _ := s.Goals(t.Context(), "e")
	if again[0].TimePeriod.DisplayName != "Q1" {
		t.Errorf("stored time period = %q, want Q1", again[0].TimePeriod.DisplayName)
	}
}
