package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/status"
)

// The text output of a report that has every section a reader may meet
// but errors (the command's tests pin those): each line is part of the
// output's contract, so it is compared whole. An employee the sync did not
// reach shows what an earlier sync stored, and says so; one without an
// Asana user says that no goals were synced for them.
func TestTextOutput_everySection(t *testing.T) {
	ctx := context.Background()
	store := goals.NewMemoryStore()
	for _, id := range []string{"emp-1", "emp-2"} {
		err := store.WriteGoals(ctx, goals.Write{EmployeeID: id, Complete: true, Goals: []goals.Goal{{
			EmployeeID: id, GID: "100" + id[len(id)-1:], Name: "Goal of " + id, Status: status.OnTrack,
		}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	examples := make([]string, 10)
	for i := range examples {
		examples[i] = fmt.Sprint(900 + i)
	}
	r := &goals.Report{
		WorkspaceGID:          "42",
		DurationSeconds:       1.5,
		WorkspaceGoalsScanned: 30,
		UnmappedOwnerGoals:    12,
		UnmappedOwnerExamples: examples,
		UnmappedEmployees:     []string{"emp-4"},
		SubgoalPath:           goals.PathGoalRelationships,
		Requests:              7,
		Employees: []goals.EmployeeReport{
			{EmployeeID: "emp-1", AsanaUserGID: "11", GoalsOwned: 1, GoalsKept: 1, Written: goals.WrittenComplete},
		},
	}
	list := &employeeList{employees: []goals.Employee{
		{ID: "emp-2", AsanaUserGID: "12"},
		{ID: "emp-1", AsanaUserGID: "11", Name: "Ada\u202e Lovelace"},
		{ID: "emp-3", AsanaUserGID: "13"},
		{ID: "emp-4"},
	}}

	out, unread, err := textOutput(ctx, r, store, list, view{})
	if err != nil || len(unread) != 0 {
		t.Fatalf("textOutput: unread %v, err %v", unread, err)
	}
	const want = `Asana goals sync of workspace 42
  goals scanned       30
  ownerless goals     0
  unmapped owners     12 goals owned by Asana users mapped to no employee; map them (first ten: 900, 901, 902, 903, 904, 905, 906, 907, 908, 909)
  unmapped employees  1 without an Asana user GID yet: emp-4
  sub-goal source     goal_relationships (Asana has retired GET /goals/{gid}/subgoals)
  requests            7 (0 retries, 0 answered 429 Too Many Requests)
  duration            1.5s

  EMPLOYEE  NAME          ASANA USER  OWNED  KEPT  KEY RESULTS  TRUNCATED  WRITTEN
  emp-1     Ada Lovelace  11          1      1     0            no         complete

Result: all 1 mapped employee synced.

== emp-1 · Ada Lovelace ==
[GOALS]
- Goal: "Goal of emp-1" | status: on_track
[/GOALS]

== emp-2 (not synced, the sync failed; stored by an earlier sync) ==
[GOALS]
- Goal: "Goal of emp-2" | status: on_track
[/GOALS]

== emp-3: not synced, the sync failed ==

== emp-4: not mapped to an Asana user, no goals synced ==
`
	if string(out) != want {
		t.Errorf("text output:\n%s\nwant:\n%s", out, want)
	}
}

// With nothing unmapped the rows still say so, with a count of zero, and
// a few unmapped owners' goals are listed as examples.
func TestTextOutput_unmappedRows(t *testing.T) {
	for _, tc := range []struct {
		r          goals.Report
		owners     string
		unmappedEm string
	}{
		{goals.Report{}, "0 goals", "0"},
		{goals.Report{UnmappedOwnerGoals: 2, UnmappedOwnerExamples: []string{"7", "8"}, UnmappedEmployees: []string{"a", "b"}},
			"2 goals owned by Asana users mapped to no employee; map them (e.g. 7, 8)", "2 without an Asana user GID yet: a, b"},
	} {
		if got := describeUnmappedOwners(&tc.r); got != tc.owners {
			t.Errorf("describeUnmappedOwners = %q, want %q", got, tc.owners)
		}
		if got := describeUnmappedEmployees(tc.r.UnmappedEmployees); got != tc.unmappedEm {
			t.Errorf("describeUnmappedEmployees = %q, want %q", got, tc.unmappedEm)
		}
	}
}
