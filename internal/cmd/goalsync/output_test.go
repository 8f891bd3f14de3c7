package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/storetest"
	"github.com/perfcopilot/asanagoals/status"
)

// jsonGoal, jsonTimePeriod and jsonKeyResult are the -format json output
// as a consumer decodes it, written out key by key and independently of
// the command's own types (which derive from goals.Goal), so that a change
// of the output shows here as a difference.
type jsonGoal struct {
	EmployeeID   string             `json:"employee_id"`
	GID          string             `json:"gid"`
	Name         string             `json:"name"`
	Description  string             `json:"description"`
	StartOn      asana.Date         `json:"start_on"`
	DueOn        asana.Date         `json:"due_on"`
	Status       status.Status      `json:"status"`
	StatusSource goals.StatusSource `json:"status_source"`
	TimePeriod   *jsonTimePeriod    `json:"time_period"`
	KeyResults   []jsonKeyResult    `json:"key_results"`
}

type jsonTimePeriod struct {
	GID         string     `json:"gid"`
	DisplayName string     `json:"display_name"`
	Period      string     `json:"period"`
	StartOn     asana.Date `json:"start_on"`
	EndOn       asana.Date `json:"end_on"`
}

type jsonKeyResult struct {
	GID          string             `json:"gid"`
	Name         string             `json:"name"`
	Status       status.Status      `json:"status"`
	StatusSource goals.StatusSource `json:"status_source"`
	DueOn        asana.Date         `json:"due_on"`
}

// A goal with every field set (storetest.Goal), written to the command's
// SQLite store and read back, shows in the -format json output with every
// key of goals.Goal's own JSON at that JSON's value, but for the keys the
// contract leaves out: the raw status word, the metric (key "progress")
// and the time of the sync, and a Key Result's goal GID. So a field added
// to goals.Goal either reaches the output through the store, or fails
// here: as a key the contract (jsonGoal) lacks, or as one more hidden key.
func TestJSONOutput_showsEveryStoredField(t *testing.T) {
	ctx := context.Background()
	target, err := parseDB(filepath.Join(t.TempDir(), "goals.db"))
	if err != nil {
		t.Fatal(err)
	}
	store, closeDB, err := openSQLStore(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB()
	written := storetest.Goal("e1", "1", 2)
	if err := store.WriteGoals(ctx, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{written}, Complete: true}); err != nil {
		t.Fatal(err)
	}
	out, unread, err := jsonOutput(ctx, &goals.Report{}, store, &employeeList{employees: []goals.Employee{{ID: "e1"}}})
	if err != nil || len(unread) > 0 {
		t.Fatalf("jsonOutput: %v, unread %v", err, unread)
	}
	var doc struct {
		Goals []json.RawMessage `json:"goals"`
	}
	if err := json.Unmarshal(out, &doc); err != nil || len(doc.Goals) != 1 {
		t.Fatalf("output %s: %v", out, err)
	}
	full, err := json.Marshal(written)
	if err != nil {
		t.Fatal(err)
	}
	shown := compareShown(t, "goal", full, doc.Goals[0], jsonGoal{}, []string{"raw_status", "progress", "synced_at"})
	var fullKRs, shownKRs struct {
		KeyResults []json.RawMessage `json:"key_results"`
	}
	json.Unmarshal(full, &fullKRs)
	json.Unmarshal(shown, &shownKRs)
	if len(shownKRs.KeyResults) != len(fullKRs.KeyResults) {
		t.Fatalf("%d Key Results shown, %d written", len(shownKRs.KeyResults), len(fullKRs.KeyResults))
	}
	for i := range fullKRs.KeyResults {
		compareShown(t, fmt.Sprintf("key_results[%d]", i), fullKRs.KeyResults[i], shownKRs.KeyResults[i], jsonKeyResult{},
			[]string{"goal_gid", "raw_status", "progress"})
	}
}

// compareShown checks that shown, one object of the output, has the keys
// of contract's type in order, that full's other keys are exactly hidden,
// (those of them full has: omitempty may leave one out), and that every
// shown key but key_results has full's value; it returns shown.
func compareShown(t *testing.T, what string, full, shown json.RawMessage, contract any, hidden []string) json.RawMessage {
	t.Helper()
	var want []string
	ct := reflect.TypeOf(contract)
	for i := range ct.NumField() {
		want = append(want, strings.Split(ct.Field(i).Tag.Get("json"), ",")[0])
	}
	if got := objectKeys(t, shown); !slices.Equal(got, want) {
		t.Errorf("%s: output keys %q, contract %q: a key the output shows is the contract's (README, jsonGoal), or shownGoal hides it", what, got, want)
	}
	var fullMap, shownMap map[string]any
	if err := json.Unmarshal(full, &fullMap); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(shown, &shownMap); err != nil {
		t.Fatal(err)
	}
	var notShown, hiddenHere []string
	for _, k := range objectKeys(t, full) {
		if slices.Contains(hidden, k) {
			hiddenHere = append(hiddenHere, k) // an omitempty key may be absent
		}
		v, ok := shownMap[k]
		switch {
		case !ok:
			notShown = append(notShown, k)
		case k != "key_results" && !reflect.DeepEqual(v, fullMap[k]):
			t.Errorf("%s: %s shows as %v, written as %v", what, k, v, fullMap[k])
		}
	}
	if !slices.Equal(notShown, hiddenHere) {
		t.Errorf("%s: keys of goals.Goal's JSON the output leaves out: %q, want %q", what, notShown, hiddenHere)
	}
	return shown
}

// objectKeys returns the keys of a JSON object, in order.
func objectKeys(t *testing.T, obj json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s is not an object: %v", obj, err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

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
