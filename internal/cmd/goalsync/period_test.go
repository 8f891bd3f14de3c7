package main

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/prompt"
	"github.com/perfcopilot/asanagoals/status"
)

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

	res := runCmd(t, nil, "-demo", "-period", "2026-01-01..2026-06-30")
	res.wantCode(t, exitOK)
	if !strings.Contains(res.stdout, "  review period       2026-01-01..2026-06-30: ") {
		t.Errorf("the summary does not name the review period:\n%s", res.stdout)
	}
	grace := block(t, res.stdout, "emp-002 · Grace Hopper")
	if strings.Contains(grace, "Grow self-serve revenue") || !strings.HasSuffix(grace, "(+1 outside the review period)\n[/GOALS]\n") ||
		!strings.Contains(grace, "Launch the self-serve onboarding flow") {
		t.Errorf("Grace's block in H1 2026:\n%s", grace)
	}
	alan := block(t, res.stdout, "emp-003 · Alan Turing")
	if strings.Contains(alan, "Raise test coverage") || !strings.Contains(alan, "(+1 outside the review period)") {
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
		strings.Contains(grace, "Launch the self-serve onboarding flow") || !strings.Contains(grace, "(+1 outside the review period)") {
		t.Errorf("Grace's block up to 2025:\n%s", grace)
	}
	if !strings.Contains(res.stdout, "  review period       up to 2025-12-31: ") {
		t.Errorf("the summary does not name the open review period:\n%s", res.stdout)
	}
}

// The window reaches the prompt of a real run too.
func TestPeriodFlagRealRun(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	_, url := fake(t, ws, asanafake.Options{})
	path := demoEmployeesCSV(t)
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", path, "-period", "2026-07-01..")
	res.wantCode(t, exitOK)
	ada := block(t, res.stdout, "emp-001 · Ada Lovelace")
	if strings.Contains(ada, "Cut p95 API latency") || !strings.Contains(ada, "(+2 outside the review period)") {
		t.Errorf("Ada's block from July 2026:\n%s", ada)
	}
}

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
		{"with json", append(slices.Clone(real), "-format", "json", "-period", "2026-01-01..2026-06-30"), []string{"-format json lists every stored goal"}},
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

// optFieldsLog records the opt_fields of every request a fake answers.
type optFieldsLog struct {
	mu     sync.Mutex
	fields []string
}

func (l *optFieldsLog) intercept(_ http.ResponseWriter, r *http.Request) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fields = append(l.fields, r.URL.Path+"?"+r.URL.Query().Get("opt_fields"))
	return false
}

func (l *optFieldsLog) asked(field string) (with, all int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.fields {
		_, q, _ := strings.Cut(f, "?")
		if slices.Contains(strings.Split(q, ","), field) {
			with++
		}
	}
	return with, len(l.fields)
}

func TestNoDescriptions(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	path := demoEmployeesCSV(t)
	run := func(t *testing.T, extra ...string) (result, *optFieldsLog) {
		t.Helper()
		log := &optFieldsLog{}
		_, url := fake(t, ws, asanafake.Options{Intercept: log.intercept})
		res := runCmd(t, tokenEnvMap(testToken), append([]string{"-base-url", url, "-workspace", ws.GID, "-employees", path}, extra...)...)
		res.wantCode(t, exitOK)
		return res, log
	}

	res, log := run(t, "-format", "json")
	v := decodeTyped(t, res.stdout)
	if with, _ := log.asked("html_notes"); with == 0 || v.Report.DescriptionsOmitted || !slices.ContainsFunc(v.Goals, func(g jsonGoal) bool { return g.Description != "" }) {
		t.Fatalf("without -no-descriptions: html_notes asked %d times, report %+v", with, v.Report)
	}

	res, log = run(t, "-format", "json", "-no-descriptions")
	checkJSONShape(t, res.stdout)
	v = decodeTyped(t, res.stdout)
	if with, all := log.asked("html_notes"); with != 0 || all == 0 {
		t.Errorf("-no-descriptions: html_notes asked in %d of %d requests", with, all)
	}
	if !v.Report.DescriptionsOmitted || len(v.Goals) == 0 {
		t.Errorf("report %+v, %d goals", v.Report, len(v.Goals))
	}
	for _, g := range v.Goals {
		if g.Description != "" {
			t.Errorf("goal %s keeps its description %q", g.GID, g.Description)
		}
	}

	res, _ = run(t, "-no-descriptions")
	if !strings.Contains(res.stdout, "  descriptions        not kept (-no-descriptions)") {
		t.Errorf("the text summary does not say descriptions were not kept:\n%s", res.stdout)
	}
	res, _ = run(t)
	if strings.Contains(res.stdout, "not kept (-no-descriptions)") {
		t.Errorf("the text summary says descriptions were not kept without the flag")
	}
}

// In a database, -no-descriptions blanks what an earlier sync stored; in
// the demo too.
func TestNoDescriptionsBlanksStored(t *testing.T) {
	db := filepath.Join(t.TempDir(), "goals.db")
	res := runCmd(t, nil, "-demo", "-db", db, "-format", "json")
	res.wantCode(t, exitOK)
	if v := decodeTyped(t, res.stdout); !slices.ContainsFunc(v.Goals, func(g jsonGoal) bool { return g.Description != "" }) {
		t.Fatal("the demo stored no description")
	}
	res = runCmd(t, nil, "-demo", "-db", db, "-format", "json", "-no-descriptions")
	res.wantCode(t, exitOK)
	v := decodeTyped(t, res.stdout)
	if len(v.Goals) != 9 {
		t.Errorf("%d goals stored, want 9", len(v.Goals))
	}
	for _, g := range v.Goals {
		if g.Description != "" {
			t.Errorf("goal %s still has its description in the database: %q", g.GID, g.Description)
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
	out, err := jsonOutput(context.Background(), &goals.Report{}, store, list)
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
		_, err := jsonOutput(context.Background(), &goals.Report{}, bad, list)
		if err == nil || !strings.Contains(err.Error(), "not one of the four") || !strings.Contains(err.Error(), "9") {
			t.Errorf("a stored status that is not one of the four: err = %v", err)
		}
	}
}

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

func TestAsanaChangesListed(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	_, url := fake(t, ws, asanafake.Options{AsanaChange: []string{
		"name=new_goal_memberships;info=https://forum.asana.com/t/goal-memberships/1;affected=true",
		"name=string_ids;info=https://forum.asana.com/t/string-ids/2",
	}})
	args := []string{"-base-url", url, "-workspace", ws.GID, "-employees", demoEmployeesCSV(t)}
	res := runCmd(t, tokenEnvMap(testToken), args...)
	res.wantCode(t, exitOK)
	for _, want := range []string{
		"\n  Asana announced 2 breaking changes (Asana-Change headers; opt in or out with -asana-enable / -asana-disable NAME):\n",
		"\n    new_goal_memberships (affects this sync's requests): https://forum.asana.com/t/goal-memberships/1\n",
		"\n    string_ids: https://forum.asana.com/t/string-ids/2\n",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, res.stdout)
		}
	}
	// A nightly job's log shows them too, a line each, with the exit code
	// unchanged.
	if want := "goalsync: warning: Asana announces the breaking change new_goal_memberships (https://forum.asana.com/t/goal-memberships/1), " +
		"and it affects this sync's requests; opt in or out with -asana-enable / -asana-disable new_goal_memberships\n" +
		"goalsync: warning: Asana announces the breaking change string_ids (https://forum.asana.com/t/string-ids/2); " +
		"opt in or out with -asana-enable / -asana-disable string_ids\n"; res.stderr != want {
		t.Errorf("stderr = %q, want %q", res.stderr, want)
	}
	res = runCmd(t, tokenEnvMap(testToken), append(args, "-format", "json")...)
	res.wantCode(t, exitOK)
	checkJSONShape(t, res.stdout)
	ch := decodeTyped(t, res.stdout).Report.AsanaChanges
	if len(ch) != 2 || ch[0].Name != "new_goal_memberships" || !ch[0].Affected || ch[1].Name != "string_ids" || ch[1].Affected {
		t.Errorf("report's asana_changes = %+v", ch)
	}

	plain := runCmd(t, nil, "-demo")
	if strings.Contains(plain.stdout, "Asana announced") || plain.stderr != "" {
		t.Errorf("changes listed when Asana announced none:\n%s\nstderr: %s", plain.stdout, plain.stderr)
	}
}

// headerLog records the Asana-Enable and Asana-Disable headers of every
// request.
type headerLog struct {
	mu   sync.Mutex
	seen map[string]int // "enable|disable" → requests
}

func (l *headerLog) intercept(_ http.ResponseWriter, r *http.Request) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]int{}
	}
	l.seen[strings.Join(r.Header.Values(asana.HeaderEnable), ";")+"|"+strings.Join(r.Header.Values(asana.HeaderDisable), ";")]++
	return false
}

func TestAsanaEnableDisableFlags(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	path := demoEmployeesCSV(t)
	run := func(t *testing.T, extra ...string) map[string]int {
		t.Helper()
		log := &headerLog{}
		_, url := fake(t, ws, asanafake.Options{Intercept: log.intercept})
		res := runCmd(t, tokenEnvMap(testToken), append([]string{"-base-url", url, "-workspace", ws.GID, "-employees", path}, extra...)...)
		res.wantCode(t, exitOK)
		return log.seen
	}
	if seen := run(t); len(seen) != 1 || seen["|"] == 0 {
		t.Errorf("without the flags, requests carried %v", seen)
	}
	seen := run(t, "-asana-enable", "new_goal_memberships, string_ids", "-asana-enable", "other.change", "-asana-disable", "old_thing")
	if len(seen) != 1 || seen["new_goal_memberships,string_ids,other.change|old_thing"] == 0 {
		t.Errorf("requests carried %v, want every one Asana-Enable: new_goal_memberships,string_ids,other.change and Asana-Disable: old_thing", seen)
	}
	// -check sends them too.
	log := &headerLog{}
	_, url := fake(t, ws, asanafake.Options{Intercept: log.intercept})
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-check", "-asana-disable", "old_thing")
	res.wantCode(t, exitOK)
	if len(log.seen) != 1 || log.seen["|old_thing"] != 2 {
		t.Errorf("-check requests carried %v", log.seen)
	}
	// The demo takes them.
	runCmd(t, nil, "-demo", "-asana-enable", "new_goal_memberships").wantCode(t, exitOK)
}

func TestAsanaEnableDisableErrors(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	real := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", demoEmployeesCSV(t)}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not a name", append(slices.Clone(real), "-asana-enable", "new goal;x=1"), `"new goal;x=1" is not an Asana change name`},
		{"both", append(slices.Clone(real), "-asana-enable", "a,b", "-asana-disable", "b"), `change "b" is both enabled and disabled`},
		{"empty", append(slices.Clone(real), "-asana-disable", " , "), "take the names of Asana changes"},
		{"in the demo", []string{"-demo", "-asana-enable", "bad name"}, "is not an Asana change name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCmd(t, tokenEnvMap(testToken), tc.args...)
			res.wantCode(t, exitUsage)
			res.wantOneErrorLine(t, "-asana-", tc.want)
			if res.stdout != "" {
				t.Errorf("stdout not empty:\n%s", res.stdout)
			}
		})
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
}

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
