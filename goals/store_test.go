package goals_test

import (
	"context"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/status"
)

// A complete write leaves its goals in the order written, then the retained
// goals still stored in their old order, and removes the rest; a partial
// write keeps every stored goal in place and appends the new ones.
func TestWrite_Order(t *testing.T) {
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
func TestMemoryStore_copiesTimePeriod(t *testing.T) {
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

// A write's refreshed goals are kept by a complete write, and never added:
// with AsanaOrder, the written goals and the stored goals kept (refreshed
// or retained) are in Asana's order; without it, the kept ones follow the
// written ones in their previous order; a partial write keeps places.
func TestWrite_Order_withRefreshAndAsanaOrder(t *testing.T) {
	goalsOf := func(gids ...string) []goals.Goal {
		var gs []goals.Goal
		for _, g := range gids {
			gs = append(gs, goals.Goal{EmployeeID: "e", GID: g})
		}
		return gs
	}
	tests := []struct {
		name           string
		stored         string
		write          goals.Write
		after, removed string
	}{
		{"complete in Asana's order", "1,2,3,4", goals.Write{EmployeeID: "e", Complete: true, Goals: goalsOf("5", "2"),
			Refresh: goalsOf("3", "8"), Retain: []string{"1"}, AsanaOrder: []string{"3", "5", "1", "8", "2", "77"}}, "3,5,1,2", "4"},
		{"complete without AsanaOrder", "1,2,3", goals.Write{EmployeeID: "e", Complete: true, Goals: goalsOf("5"),
			Refresh: goalsOf("3", "1")}, "5,1,3", "2"},
		{"partial keeps places, adds no refreshed goal", "1,2", goals.Write{EmployeeID: "e", Goals: goalsOf("7"),
			Refresh: goalsOf("9", "1"), AsanaOrder: []string{"9", "7", "1"}}, "1,2,7", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			after, removed := tc.write.Order(strings.Split(tc.stored, ","))
			if got := strings.Join(after, ","); got != tc.after {
				t.Errorf("after = %s, want %s", got, tc.after)
			}
			if got := strings.Join(removed, ","); got != tc.removed {
				t.Errorf("removed = %s, want %s", got, tc.removed)
			}
		})
	}
}

// A refreshed goal is a goal of the employee with a GID and one of the four
// statuses, not also written, and without Key Results (a refresh keeps the
// stored ones); AsanaOrder, when set, lists every goal of the write once.
func TestWrite_Validate_refreshAndAsanaOrder(t *testing.T) {
	g := func(gid string) goals.Goal { return goals.Goal{EmployeeID: "e", GID: gid, Status: status.OnTrack} }
	withKR := g("3")
	withKR.KeyResults = []goals.KeyResult{{GoalGID: "3", GID: "31", Status: status.OnTrack}}
	other := g("3")
	other.EmployeeID = "f"
	for name, tc := range map[string]struct {
		w  goals.Write
		ok bool
	}{
		"valid":                      {goals.Write{EmployeeID: "e", Goals: []goals.Goal{g("1")}, Refresh: []goals.Goal{g("3")}, Retain: []string{"4"}, AsanaOrder: []string{"4", "3", "1"}}, true},
		"no AsanaOrder":              {goals.Write{EmployeeID: "e", Goals: []goals.Goal{g("1")}, Refresh: []goals.Goal{g("3")}}, true},
		"refreshed and written":      {goals.Write{EmployeeID: "e", Goals: []goals.Goal{g("1")}, Refresh: []goals.Goal{g("1")}}, false},
		"refreshed twice":            {goals.Write{EmployeeID: "e", Refresh: []goals.Goal{g("3"), g("3")}}, false},
		"refreshed without a GID":    {goals.Write{EmployeeID: "e", Refresh: []goals.Goal{g("")}}, false},
		"refreshed of another":       {goals.Write{EmployeeID: "e", Refresh: []goals.Goal{other}}, false},
		"refreshed without a status": {goals.Write{EmployeeID: "e", Refresh: []goals.Goal{{EmployeeID: "e", GID: "3"}}}, false},
		"refreshed with Key Results": {goals.Write{EmployeeID: "e", Refresh: []goals.Goal{withKR}}, false},
		"order misses a refreshed":   {goals.Write{EmployeeID: "e", Goals: []goals.Goal{g("1")}, Refresh: []goals.Goal{g("3")}, AsanaOrder: []string{"1"}}, false},
		"order misses a retained":    {goals.Write{EmployeeID: "e", Goals: []goals.Goal{g("1")}, Retain: []string{"4"}, AsanaOrder: []string{"1"}}, false},
		"order lists one twice":      {goals.Write{EmployeeID: "e", Goals: []goals.Goal{g("1")}, AsanaOrder: []string{"1", "1"}}, false},
	} {
		if err := tc.w.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", name, err, tc.ok)
		}
	}
}

// A Key Result filed under a goal it does not belong to is refused: the
// write is invalid and a store changes nothing.
func TestWrite_Validate_keyResultOfAnotherGoalIsRefused(t *testing.T) {
	g := goals.Goal{EmployeeID: "e1", GID: "1", Name: "One", Status: status.OnTrack,
		KeyResults: []goals.KeyResult{{GoalGID: "2", GID: "21", Name: "KR", Status: status.OnTrack}}}
	w := goals.Write{EmployeeID: "e1", Goals: []goals.Goal{g, {EmployeeID: "e1", GID: "2", Name: "Two", Status: status.OnTrack}}, Complete: true}
	if err := w.Validate(); err == nil || !strings.Contains(err.Error(), "21") {
		t.Errorf("Validate = %v, want an error about key result 21", err)
	}
	store := goals.NewMemoryStore()
	if err := store.WriteGoals(context.Background(), w); err == nil {
		t.Error("MemoryStore accepted the write")
	}
	if ids := store.Employees(); len(ids) != 0 {
		t.Errorf("a refused write stored %v", ids)
	}
}
