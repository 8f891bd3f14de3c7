package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/storetest"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/prompt"
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

// hostileText is a name an Asana user can give themself: a right-to-left
// override, an isolate, invisible characters, and terminal escape
// sequences (a title change ended by BEL, a screen clear).
const hostileText = "Ada \u202eecilA\u2066x\u2069\u200b\u061c \x1b]0;pwned\x07\x1b[2J\ufe0f end"

// unsafeRune reports the first character of s that a one-line output must
// not carry: a control (but the line's end), a bidi control, an invisible
// format character or a variation selector.
func unsafeRune(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\n':
		case r < 0x20, r >= 0x7f && r < 0xa0,
			r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0x061c, r >= 0xfe00 && r <= 0xfe0f:
			return r, true
		}
	}
	return 0, false
}

// Every line the command prints from Asana's data is cleaned as the
// [GOALS] block cleans names: -check's user name, -suggest's CSV, and an
// error message Asana sent, on stderr.
func TestOneLineOutputsAreClean(t *testing.T) {
	ws := asanafake.DemoWorkspace().Clone()
	for i := range ws.Users {
		if ws.Users[i].GID == ws.Users[0].GID || ws.Users[i].GID == asanafake.DemoUnmappedUserGID {
			ws.Users[i].Name = hostileText
		}
	}
	_, url := fake(t, ws, asanafake.Options{})
	_, refusing := fake(t, ws, asanafake.Options{Intercept: func(w http.ResponseWriter, r *http.Request) bool {
		msg, _ := json.Marshal("no access for " + hostileText)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"errors":[{"message":%s}]}`, msg)
		return true
	}})
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  func(result) string
	}{
		{"-check", []string{"-base-url", url, "-workspace", ws.GID, "-check"}, exitOK, func(r result) string { return r.stdout }},
		{"-suggest", []string{"-base-url", url, "-workspace", ws.GID, "-employees", demoEmployeesCSV(t), "-suggest"}, exitOK,
			func(r result) string { return r.stdout }},
		{"stderr", []string{"-base-url", refusing, "-workspace", ws.GID, "-check"}, exitFailed, func(r result) string { return r.stderr }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCmd(t, tokenEnvMap(testToken), tc.args...)
			res.wantCode(t, tc.code)
			out := tc.out(res)
			if !strings.Contains(out, "Ada ecilAx") || !strings.Contains(out, " end") {
				t.Errorf("the name is not shown, cleaned:\n%q", out)
			}
			if r, bad := unsafeRune(res.stdout + res.stderr); bad {
				t.Errorf("the output holds %U:\nstdout: %q\nstderr: %q", r, res.stdout, res.stderr)
			}
		})
	}
}

// JSON output keeps Asana's data as it is for programs, but no character in
// it can drive a terminal: bidi controls, invisible characters and C1
// controls are written as \u escapes, which decode back to the name.
func TestJSONOutputEscapesInvisibleCharacters(t *testing.T) {
	const name = hostileText + "\u009b31m"
	ws := asanafake.DemoWorkspace().Clone()
	for i := range ws.Users {
		if ws.Users[i].GID == asanafake.DemoUnmappedUserGID {
			ws.Users[i].Name = name
		}
	}
	for i := range ws.Goals {
		ws.Goals[i].Name = name
	}
	_, url := fake(t, ws, asanafake.Options{})
	for _, args := range [][]string{
		{"-base-url", url, "-workspace", ws.GID, "-employees", demoEmployeesCSV(t), "-suggest", "-format", "json"},
		{"-base-url", url, "-workspace", ws.GID, "-employees", demoEmployeesCSV(t), "-format", "json"},
	} {
		res := runCmd(t, tokenEnvMap(testToken), args...)
		res.wantCode(t, exitOK)
		if r, bad := unsafeRune(res.stdout); bad {
			t.Errorf("%v: the JSON holds %U raw", args[len(args)-3:], r)
		}
		if !json.Valid([]byte(res.stdout)) || !strings.Contains(res.stdout, `\u202e`) {
			t.Fatalf("%v: not JSON, or the override not escaped:\n%s", args[len(args)-3:], res.stdout)
		}
		var v any
		json.Unmarshal([]byte(res.stdout), &v)
		if !strings.Contains(fmt.Sprint(v), name) {
			t.Errorf("%v: the decoded JSON lost the name as Asana has it", args[len(args)-3:])
		}
	}
}

// The database goes away under the sync (here its goals table is renamed
// by another session as the sync sends its first request): the writes and
// the read-back of the output fail. The report is still printed, text and
// JSON, each employee whose goals cannot be read back is one line that
// says so (JSON: unread_goals), and the command exits 1 with one line.
func TestReadBackFailureKeepsTheReport(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, format := range []string{"text", "json"} {
			t.Run(dialect+" "+format, func(t *testing.T) {
				var db, driver, driverDSN string
				if dialect == "sqlite" {
					db = filepath.Join(t.TempDir(), "goals.db")
					driver, driverDSN = "sqlite", sqliteDSN(db)
				} else {
					_, db, _ = postgresSchema(t)
					driver, driverDSN = "pgx", db
				}
				var armed atomic.Bool
				var once sync.Once
				_, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{Intercept: func(http.ResponseWriter, *http.Request) bool {
					if armed.Load() {
						once.Do(func() { execSQL(t, driver, driverDSN, "ALTER TABLE asana_goals RENAME TO asana_goals_moved") })
					}
					return false
				}})
				args := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", demoEmployeesCSV(t),
					"-db", db, "-format", format}
				runCmd(t, tokenEnvMap(testToken), args...).wantCode(t, exitOK)
				armed.Store(true)

				res := runCmd(t, tokenEnvMap(testToken), args...)
				res.wantCode(t, exitFailed)
				// The text output reads back the mapped employees; the JSON
				// output every employee (emp-004 may have goals stored before).
				unread := "3 employees (emp-001, emp-002, emp-003)"
				if format == "json" {
					unread = "4 employees (emp-001, emp-002, emp-003, emp-004)"
				}
				res.wantOneErrorLine(t, "3 of 3 employees not fully synced", "the output lacks the stored goals of "+unread, "asana_goals")
				if format == "json" {
					var v struct {
						Report *struct {
							Employees []any `json:"employees"`
						} `json:"report"`
						Goals  []any `json:"goals"`
						Unread []struct {
							EmployeeID string `json:"employee_id"`
							Error      string `json:"error"`
						} `json:"unread_goals"`
					}
					if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
						t.Fatalf("stdout is not the JSON output: %v\n%s", err, res.stdout)
					}
					if v.Report == nil || len(v.Report.Employees) != 3 || len(v.Goals) != 0 || len(v.Unread) != 4 ||
						v.Unread[0].EmployeeID != "emp-001" || !strings.Contains(v.Unread[0].Error, "asana_goals") {
						t.Errorf("json output: %s", res.stdout)
					}
					return
				}
				for _, want := range []string{"Asana goals sync of workspace", "Result: 3 of 3 mapped employees not fully synced",
					"== emp-001 · Ada Lovelace ==\n(the stored goals could not be read back: ",
					"== emp-003 · Alan Turing ==\n(the stored goals could not be read back: "} {
					if !strings.Contains(res.stdout, want) {
						t.Errorf("text output lacks %q:\n%s", want, res.stdout)
					}
				}
			})
		}
	}
}

// The JSON output gives each goal's status source and time period, and each
// Key Result's status source; the demo has one of each kind.
func TestJSONStatusSourceAndTimePeriod(t *testing.T) {
	res := runCmd(t, nil, "-demo", "-format", "json")
	res.wantCode(t, exitOK)
	doc := checkJSONShape(t, res.stdout)
	raw := map[string]map[string]any{}
	for _, g := range doc["goals"].([]any) {
		gm := g.(map[string]any)
		raw[gm["gid"].(string)] = gm
	}
	// Raised by hand: what the contract says, byte for byte.
	if g := raw["1209000000001007"]; g["status"] != "off_track" || g["status_source"] != "goal_status" {
		t.Errorf("the goal Asana shows as red without an update: status %v from %v", g["status"], g["status_source"])
	}
	if g := raw["1209000000001001"]; g["status"] != "on_track" || g["status_source"] != "status_update" {
		t.Errorf("goal with an update: status %v from %v", g["status"], g["status_source"])
	}
	wantPeriod := map[string]any{"gid": "1209000000002002", "display_name": "H1 FY26", "period": "H1", "start_on": "2026-01-01", "end_on": "2026-06-30"}
	if got, ok := raw["1209000000001001"]["time_period"].(map[string]any); !ok || !mapsEqual(got, wantPeriod) {
		t.Errorf("time_period = %v, want %v", raw["1209000000001001"]["time_period"], wantPeriod)
	}
	if tp, ok := raw["1209000000001010"]["time_period"]; !ok || tp != nil {
		t.Errorf("a goal with no time period: time_period = %v (present %v), want null", tp, ok)
	}
	krs := raw["1209000000001007"]["key_results"].([]any)
	if kr := krs[0].(map[string]any); kr["status_source"] != "status_update" || kr["status"] != "off_track" {
		t.Errorf("key result = %v", kr)
	}
	v := decodeTyped(t, res.stdout)
	if v.Report.StatusesFromGoalField != 1 {
		t.Errorf("report counts %d statuses from the goal field, want 1", v.Report.StatusesFromGoalField)
	}
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A generated workspace with every kind of status and time period: the
// output equals the workspace (checkAgainstWorkspace), and the kinds are
// there.
func TestRealRunJSONStatusSources(t *testing.T) {
	ws, emps := generated(t)
	_, url := fake(t, ws, asanafake.Options{})
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", employeesJSON(t, emps),
		"-format", "json", "-rate", "600000")
	res.wantCode(t, exitOK)
	v := decodeTyped(t, res.stdout)
	checkAgainstWorkspace(t, ws, emps, v.Goals)
	sources := map[goals.StatusSource]int{}
	periods, fromField := 0, 0
	for _, g := range v.Goals {
		sources[g.StatusSource]++
		if g.StatusSource == goals.StatusFromGoal {
			fromField++
		}
		if g.TimePeriod != nil {
			periods++
		}
		for _, kr := range g.KeyResults {
			sources[kr.StatusSource]++
			if kr.StatusSource == goals.StatusFromGoal {
				fromField++
			}
		}
	}
	if len(sources) != 3 || periods == 0 {
		t.Errorf("sources %v, %d goals with a time period: the workspace must have each", sources, periods)
	}
	if v.Report.StatusesFromGoalField != fromField {
		t.Errorf("report counts %d statuses from the goal field, the output shows %d", v.Report.StatusesFromGoalField, fromField)
	}
}

// fixedReader is a goals.Reader with goals stored by some other program.
type fixedReader []goals.Goal

func (r fixedReader) Goals(_ context.Context, id string) ([]goals.Goal, error) {
	var out []goals.Goal
	for _, g := range r {
		if g.EmployeeID == id {
			out = append(out, g)
		}
	}
	return out, nil
}

// A store may hold no source (a row written before sources were kept): the
// output names the source there was then. A status that is not one of the
// four is refused with an error naming the goal: no store that checks its
// writes holds one.
func TestJSONStatusFromAStoreWithout(t *testing.T) {
	store := fixedReader{
		{EmployeeID: "e1", GID: "1", Status: status.OffTrack, RawStatus: "red", StatusSource: goals.StatusFromGoal,
			KeyResults: []goals.KeyResult{{GID: "11", Status: status.AtRisk, RawStatus: "yellow", StatusSource: goals.StatusFromGoal},
				{GID: "12", Status: status.OffTrack, RawStatus: "missed"}}},
		{EmployeeID: "e1", GID: "2", Status: status.AtRisk, RawStatus: "at_risk"},
		{EmployeeID: "e1", GID: "3", Status: status.OnTrack},
	}
	list := &employeeList{employees: []goals.Employee{{ID: "e1", AsanaUserGID: "1"}}}
	out, _, err := jsonOutput(context.Background(), &goals.Report{}, store, list)
	if err != nil {
		t.Fatal(err)
	}
	v := decodeTyped(t, string(out))
	got := func(i int) (status.Status, goals.StatusSource) { return v.Goals[i].Status, v.Goals[i].StatusSource }
	if st, src := got(0); st != status.OffTrack || src != goals.StatusFromGoal {
		t.Errorf("red from the goal field: %s from %s", st, src)
	}
	if kr := v.Goals[0].KeyResults; kr[0].Status != status.AtRisk || kr[0].StatusSource != goals.StatusFromGoal ||
		kr[1].Status != status.OffTrack || kr[1].StatusSource != goals.StatusFromUpdate {
		t.Errorf("key results: %+v", kr)
	}
	if st, src := got(1); st != status.AtRisk || src != goals.StatusFromUpdate {
		t.Errorf("an old row with a word: %s from %s", st, src)
	}
	if st, src := got(2); st != status.OnTrack || src != goals.StatusFromNone {
		t.Errorf("an old row without a word: %s from %s", st, src)
	}

	for _, bad := range []fixedReader{
		{{EmployeeID: "e1", GID: "9", Status: "", RawStatus: "red"}},
		{{EmployeeID: "e1", GID: "9", Status: status.OnTrack, KeyResults: []goals.KeyResult{{GID: "91", Status: "green"}}}},
	} {
		_, _, err := jsonOutput(context.Background(), &goals.Report{}, bad, list)
		if err == nil || !strings.Contains(err.Error(), "not one of the four") || !strings.Contains(err.Error(), "9") {
			t.Errorf("a stored status that is not one of the four: err = %v", err)
		}
	}
}

// The text summary counts the statuses taken from a goal's own status field,
// and shows no such row when no goal needed it.
func TestStatusesFromGoalFieldInText(t *testing.T) {
	res := runCmd(t, nil, "-demo")
	res.wantCode(t, exitOK)
	if !strings.Contains(res.stdout, "  goal status field   1 status taken from") {
		t.Errorf("the summary does not count the status from the goal field:\n%s", res.stdout)
	}
	// Without a goal status field, no such row.
	ws := asanafake.DemoWorkspace()
	for i := range ws.Goals {
		ws.Goals[i].GoalStatus = ""
	}
	_, url := fake(t, ws, asanafake.Options{})
	res = runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", demoEmployeesCSV(t))
	res.wantCode(t, exitOK)
	if strings.Contains(res.stdout, "goal status field") {
		t.Errorf("a row for statuses from the goal field when there are none:\n%s", res.stdout)
	}
}

// block returns the [GOALS] block of an employee in the text output.
func block(t *testing.T, out, header string) string {
	t.Helper()
	i := strings.Index(out, "\n== "+header+" ==\n")
	if i < 0 {
		t.Fatalf("no block %q in:\n%s", header, out)
	}
	b := out[i+1:]
	end := strings.Index(b, "[/GOALS]\n")
	if end < 0 {
		t.Fatalf("block %q not closed", header)
	}
	return b[:end+len("[/GOALS]\n")]
}

// The demo's review window: Grace's FY25 goal and Alan's H2 goal are left
// out of a review of the first half of 2026, and counted.
func TestPeriodFlag(t *testing.T) {
	all := runCmd(t, nil, "-demo")
	all.wantCode(t, exitOK)
	for _, want := range []string{"Grow self-serve revenue", "Raise test coverage to 80%", `period: "FY25"`} {
		if !strings.Contains(all.stdout, want) {
			t.Errorf("without -period the demo lacks %q:\n%s", want, all.stdout)
		}
	}
	if strings.Contains(all.stdout, "outside the review period") || strings.Contains(all.stdout, "review period") {
		t.Errorf("without -period the output speaks of a review period:\n%s", all.stdout)
	}

	// The demo's store is new each run, so a scoped sync stores only the
	// goals in the window: nothing is outside to count.
	res := runCmd(t, nil, "-demo", "-period", "2026-01-01..2026-06-30")
	res.wantCode(t, exitOK)
	if !strings.Contains(res.stdout, "  review period       2026-01-01..2026-06-30: the sync kept and walked only goals in it; 2 goals outside it (those stored take their fields from the scan, Key Results as stored), about") {
		t.Errorf("the summary does not name the review period and what it left:\n%s", res.stdout)
	}
	grace := block(t, res.stdout, "emp-002 · Grace Hopper")
	if strings.Contains(grace, "Grow self-serve revenue") || !strings.Contains(grace, "Launch the self-serve onboarding flow") {
		t.Errorf("Grace's block in H1 2026:\n%s", grace)
	}
	alan := block(t, res.stdout, "emp-003 · Alan Turing")
	if strings.Contains(alan, "Raise test coverage") || !strings.Contains(alan, "Move every service to connection pooling") {
		t.Errorf("Alan's block in H1 2026:\n%s", alan)
	}
	// Ada's goal with no dates stays in; nothing of hers is outside.
	ada := block(t, res.stdout, "emp-001 · Ada Lovelace")
	if !strings.Contains(ada, "Keep prompt inputs inert") || strings.Contains(ada, "outside the review period") {
		t.Errorf("Ada's block in H1 2026:\n%s", ada)
	}

	// An open start: up to the end of 2025 holds Grace's FY25 goal and her
	// sub-goal with a due date and no start (an open side), not her FY26
	// goal.
	res = runCmd(t, nil, "-demo", "-period", "..2025-12-31")
	res.wantCode(t, exitOK)
	grace = block(t, res.stdout, "emp-002 · Grace Hopper")
	if !strings.Contains(grace, "Grow self-serve revenue") || !strings.Contains(grace, "Ship the signup wizard") ||
		strings.Contains(grace, "Launch the self-serve onboarding flow") {
		t.Errorf("Grace's block up to 2025:\n%s", grace)
	}
	if !strings.Contains(res.stdout, "  review period       up to 2025-12-31: ") {
		t.Errorf("the summary does not name the open review period:\n%s", res.stdout)
	}
}

// A real run into a database: a whole sync, then one scoped to the second
// half of 2026. The scoped sync refreshes the goals outside the window
// from its scan, and the demo did not change, so the JSON lists them
// unchanged; the [GOALS] block counts them on its last line.
func TestPeriodFlagRealRun(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	_, url := fake(t, ws, asanafake.Options{})
	path := demoEmployeesCSV(t)
	db := filepath.Join(t.TempDir(), "goals.db")
	base := []string{"-base-url", url, "-workspace", ws.GID, "-employees", path, "-db", db}
	whole := runCmd(t, tokenEnvMap(testToken), append(slices.Clone(base), "-format", "json")...)
	whole.wantCode(t, exitOK)

	res := runCmd(t, tokenEnvMap(testToken), append(slices.Clone(base), "-period", "2026-07-01..")...)
	res.wantCode(t, exitOK)
	ada := block(t, res.stdout, "emp-001 · Ada Lovelace")
	if strings.Contains(ada, "Cut p95 API latency") || !strings.Contains(ada, "(+2 outside the review period)") {
		t.Errorf("Ada's block from July 2026:\n%s", ada)
	}

	after := runCmd(t, tokenEnvMap(testToken), append(slices.Clone(base), "-format", "json", "-period", "2026-07-01..")...)
	after.wantCode(t, exitOK)
	var before, now struct {
		Goals []map[string]any `json:"goals"`
	}
	if err := json.Unmarshal([]byte(whole.stdout), &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(after.stdout), &now); err != nil {
		t.Fatal(err)
	}
	if len(now.Goals) != len(before.Goals) || len(now.Goals) == 0 {
		t.Fatalf("-format json lists %d goals after the scoped sync, %d before: want every stored goal", len(now.Goals), len(before.Goals))
	}
	// The demo has no change between the runs, so every goal, outside the
	// window or in it, reads back the same, in Asana's order.
	was := map[string]string{}
	for _, g := range before.Goals {
		was[fmt.Sprint(g["employee_id"], g["gid"])] = fmt.Sprint(g)
	}
	for i, g := range now.Goals {
		if k := fmt.Sprint(g["employee_id"], g["gid"]); was[k] != fmt.Sprint(g) {
			t.Errorf("stored goal %s changed:\nwas %s\nnow %s", k, was[k], fmt.Sprint(g))
		} else if b := before.Goals[i]; k != fmt.Sprint(b["employee_id"], b["gid"]) {
			t.Errorf("goal %d is %s, was %s: not in Asana's order", i, k, fmt.Sprint(b["employee_id"], b["gid"]))
		}
	}
}

// A malformed -period is a usage error naming the flag and the value, exit 2,
// before any request.
func TestPeriodFlagErrors(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	emps := demoEmployeesCSV(t)
	real := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", emps}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"not a range", append(slices.Clone(real), "-period", "last year"), []string{`-period: review period "last year": want FROM..TO`}},
		{"bad date", append(slices.Clone(real), "-period", "2026-13-01..2026-06-30"), []string{"-period: ", "2026-13-01", "e.g. -period 2026-01-01..2026-06-30"}},
		{"ends before it starts", append(slices.Clone(real), "-period", "2026-06-30..2026-01-01"), []string{"-period: ", "ends before it starts"}},
		{"no end at all", append(slices.Clone(real), "-period", ".."), []string{"-period: ", "want FROM..TO"}},
		{"in the demo", []string{"-demo", "-period", "2026-01-01"}, []string{"-period: ", "want FROM..TO"}},
		{"with check", []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-check", "-period", "2026-01-01.."}, []string{"are for a sync"}},
		{"no descriptions with suggest", append(slices.Clone(real), "-suggest", "-no-descriptions"), []string{"are for a sync"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCmd(t, tokenEnvMap(testToken), tc.args...)
			res.wantCode(t, exitUsage)
			res.wantOneErrorLine(t, tc.want...)
			if res.stdout != "" {
				t.Errorf("stdout not empty:\n%s", res.stdout)
			}
		})
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
}

// describePeriod writes a closed period as FROM..TO and an open one as
// "from FROM" or "up to TO".
func TestDescribePeriod(t *testing.T) {
	for in, want := range map[string]string{
		"2026-01-01..2026-06-30": "2026-01-01..2026-06-30",
		"2026-01-01..":           "from 2026-01-01",
		"..2026-06-30":           "up to 2026-06-30",
	} {
		p, err := prompt.ParsePeriod(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := describePeriod(p); got != want {
			t.Errorf("describePeriod(%s) = %q, want %q", in, got, want)
		}
	}
}
