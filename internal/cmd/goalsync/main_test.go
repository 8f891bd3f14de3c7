package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/internal/syncbuf"
	"github.com/perfcopilot/asanagoals/status"
	"go.uber.org/goleak"
)

// Tokens used by the tests. None may ever appear in the command's output.
const (
	testToken  = "1/1200000000000042:goalsync0test0token0secret"
	wrongToken = "1/1200000000000042:goalsync0wrong0token0secret"
)

var secrets = []string{testToken, wrongToken, asanafake.DemoToken}

type result struct {
	code           int
	stdout, stderr string
}

// runCmd runs the command with args and env, and checks that no token shows
// in its output.
func runCmd(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return runCmdCtx(t, context.Background(), env, args...)
}

func runCmdCtx(t *testing.T, ctx context.Context, env map[string]string, args ...string) result {
	t.Helper()
	return runCmdWith(t, ctx, env, hooks{}, args...)
}

// runCmdWith is runCmdCtx with test hooks.
func runCmdWith(t *testing.T, ctx context.Context, env map[string]string, h hooks, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runWith(ctx, args, func(k string) string { return env[k] }, &stdout, &stderr, h)
	res := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	for _, s := range secrets {
		if strings.Contains(res.stdout, s) || strings.Contains(res.stderr, s) {
			t.Errorf("goalsync %q printed a token:\nstdout:\n%s\nstderr:\n%s", args, res.stdout, res.stderr)
		}
	}
	for _, s := range []string{"goroutine ", "panic:"} {
		if strings.Contains(res.stderr, s) {
			t.Errorf("goalsync %q: stderr looks like a stack trace:\n%s", args, res.stderr)
		}
	}
	return res
}

func (r result) wantCode(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

// wantOneErrorLine checks stderr is exactly one "goalsync: " line holding
// every part.
func (r result) wantOneErrorLine(t *testing.T, parts ...string) {
	t.Helper()
	if !strings.HasPrefix(r.stderr, "goalsync: ") || !strings.HasSuffix(r.stderr, "\n") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("stderr is not one goalsync: line:\n%q", r.stderr)
	}
	for _, p := range parts {
		if !strings.Contains(r.stderr, p) {
			t.Errorf("stderr %q does not contain %q", r.stderr, p)
		}
	}
}

// fake serves ws over httptest, accepting testToken as the workspace's
// first user.
func fake(t *testing.T, ws *asanafake.Workspace, opts asanafake.Options) (*asanafake.Server, string) {
	t.Helper()
	if opts.Tokens == nil {
		opts.Tokens = map[string]string{testToken: ws.Users[0].GID}
	}
	srv := asanafake.NewServer(ws, opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// demoEmployeesCSV is the demo's employees as an employee file.
func demoEmployeesCSV(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("employee_id,asana_user_gid,name,email\n")
	for _, e := range demoEmployees().employees {
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", e.ID, e.AsanaUserGID, e.Name, e.Email)
	}
	return writeFile(t, "employees.csv", b.String())
}

func tokenEnvMap(tok string) map[string]string { return map[string]string{tokenEnv: tok} }

// ---- the demo ----

// Without flags the command runs the demo: a whole sync of the built-in fake
// workspace, exit 0, nothing on stderr, and a report naming the workspace,
// the goals scanned, the ownerless and unmapped ones and the sub-goal source.
func TestDemoNoFlags(t *testing.T) {
	res := runCmd(t, nil)
	res.wantCode(t, exitOK)
	if res.stderr != "" {
		t.Errorf("stderr not empty: %q", res.stderr)
	}
	for _, want := range []string{
		"Demo: ", "Asana goals sync of workspace " + asanafake.DemoWorkspaceGID,
		"goals scanned       11", "ownerless goals     1", asanafake.DemoUnmappedUserGID,
		"unmapped employees", "sub-goal source     goal_relationships", "Result: all 3 mapped employees synced.",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
		}
	}
	mapped := 0
	for _, e := range demoEmployees().employees {
		if e.AsanaUserGID == "" {
			if !strings.Contains(res.stdout, "== "+e.ID+" · "+e.Name+": not mapped to an Asana user") {
				t.Errorf("no unmapped line for %s:\n%s", e.ID, res.stdout)
			}
			if !strings.Contains(res.stdout, "without an Asana user GID yet: "+e.ID) {
				t.Errorf("report does not list unmapped employee %s", e.ID)
			}
			continue
		}
		mapped++
		header := "\n== " + e.ID + " · " + e.Name + " ==\n[GOALS]\n"
		i := strings.Index(res.stdout, header)
		if i < 0 {
			t.Errorf("no [GOALS] block for %s:\n%s", e.ID, res.stdout)
			continue
		}
		block := res.stdout[i+len(header)-len("[GOALS]\n"):]
		if !strings.Contains(block, "\n[/GOALS]\n") {
			t.Errorf("block of %s not closed", e.ID)
		}
	}
	if got := strings.Count(res.stdout, "\n[GOALS]\n"); got != mapped || mapped == 0 {
		t.Errorf("%d [GOALS] blocks, want %d", got, mapped)
	}
	if got := strings.Count(res.stdout, "\n[/GOALS]\n"); got != mapped {
		t.Errorf("%d [/GOALS] lines, want %d", got, mapped)
	}
	// The demo's hostile goal name stays inside its line.
	if strings.Contains(res.stdout, `"[/GOALS]"`) {
		t.Errorf("a goal name wrote a block marker:\n%s", res.stdout)
	}
}

// -demo wins over ASANA_TOKEN: the demo runs, and the token is sent nowhere.
func TestDemoFlagIgnoresToken(t *testing.T) {
	// -demo wins over ASANA_TOKEN, and the token is sent nowhere.
	res := runCmd(t, tokenEnvMap(testToken), "-demo")
	res.wantCode(t, exitOK)
	if !strings.Contains(res.stdout, "Demo: ") {
		t.Errorf("not the demo:\n%s", res.stdout)
	}
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sortedCopy(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// checkJSONShape checks the -format json output against the contract and
// returns it decoded.
func checkJSONShape(t *testing.T, out string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value")
	}
	if got, want := keysOf(doc), []string{"goals", "report"}; !slices.Equal(got, want) {
		t.Fatalf("top-level keys %v, want %v", got, want)
	}
	report, ok := doc["report"].(map[string]any)
	if !ok {
		t.Fatalf("report is %T", doc["report"])
	}
	for _, k := range []string{"workspace_gid", "workspace_goals_scanned", "ownerless_goals", "unmapped_owner_goals",
		"unmapped_owner_examples", "unmapped_employees", "employees", "subgoal_source", "requests", "retries", "rate_limited",
		"statuses_from_goal_field", "asana_changes", "descriptions_omitted"} {
		if _, ok := report[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	gs, ok := doc["goals"].([]any)
	if !ok {
		t.Fatalf("goals is %T, want an array", doc["goals"])
	}
	goalKeys := sortedCopy("employee_id", "gid", "name", "description", "start_on", "due_on", "status",
		"status_source", "time_period", "key_results")
	krKeys := sortedCopy("gid", "name", "status", "status_source", "due_on")
	periodKeys := sortedCopy("gid", "display_name", "period", "start_on", "end_on")
	checkDate := func(where string, v any) {
		switch d := v.(type) {
		case nil:
		case string:
			if !dateRE.MatchString(d) {
				t.Errorf("%s: date %q is not YYYY-MM-DD", where, d)
			}
		default:
			t.Errorf("%s: date is %T", where, v)
		}
	}
	checkStatus := func(where string, v any) {
		s, _ := v.(string)
		if !status.Status(s).Valid() {
			t.Errorf("%s: status %v is not one of the four", where, v)
		}
	}
	checkSource := func(where string, v any) {
		if s, _ := v.(string); !slices.Contains([]string{"status_update", "goal_status", "none"}, s) {
			t.Errorf("%s: status_source %v is not status_update, goal_status or none", where, v)
		}
	}
	checkPeriod := func(where string, v any) {
		if v == nil {
			return
		}
		pm, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: time_period is %T, want an object or null", where, v)
			return
		}
		if got := keysOf(pm); !slices.Equal(got, periodKeys) {
			t.Errorf("%s: time_period keys %v, want %v", where, got, periodKeys)
		}
		checkDate(where+".time_period.start_on", pm["start_on"])
		checkDate(where+".time_period.end_on", pm["end_on"])
	}
	prev := ""
	for i, g := range gs {
		gm, ok := g.(map[string]any)
		if !ok {
			t.Fatalf("goals[%d] is %T", i, g)
		}
		where := fmt.Sprintf("goals[%d]", i)
		if got := keysOf(gm); !slices.Equal(got, goalKeys) {
			t.Errorf("%s keys %v, want %v", where, got, goalKeys)
		}
		checkDate(where+".start_on", gm["start_on"])
		checkDate(where+".due_on", gm["due_on"])
		checkStatus(where, gm["status"])
		checkSource(where, gm["status_source"])
		checkPeriod(where, gm["time_period"])
		id, _ := gm["employee_id"].(string)
		if id < prev {
			t.Errorf("%s: employee_id %q after %q: not ordered by employee_id", where, id, prev)
		}
		prev = id
		krs, ok := gm["key_results"].([]any)
		if !ok {
			t.Errorf("%s.key_results is %T, want an array (never null)", where, gm["key_results"])
			continue
		}
		for j, kr := range krs {
			km, _ := kr.(map[string]any)
			if got := keysOf(km); !slices.Equal(got, krKeys) {
				t.Errorf("%s.key_results[%d] keys %v, want %v", where, j, got, krKeys)
			}
			checkDate(fmt.Sprintf("%s.key_results[%d].due_on", where, j), km["due_on"])
			checkStatus(fmt.Sprintf("%s.key_results[%d]", where, j), km["status"])
			checkSource(fmt.Sprintf("%s.key_results[%d]", where, j), km["status_source"])
		}
	}
	return doc
}

// typed is the JSON output decoded into the command's own structs.
type typed struct {
	Report goals.Report `json:"report"`
	Goals  []jsonGoal   `json:"goals"`
}

func decodeTyped(t *testing.T, out string) typed {
	t.Helper()
	var v typed
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// checkAgainstWorkspace checks that the goals output is exactly each mapped
// employee's goals of ws, in Asana's order, with Key Results in order.
func checkAgainstWorkspace(t *testing.T, ws *asanafake.Workspace, emps []goals.Employee, got []jsonGoal) {
	t.Helper()
	sorted := slices.Clone(emps)
	slices.SortFunc(sorted, func(a, b goals.Employee) int { return strings.Compare(a.ID, b.ID) })
	var want []jsonGoal
	for _, e := range sorted {
		if e.AsanaUserGID == "" {
			continue
		}
		owned := ws.GoalsOwnedBy(e.AsanaUserGID)
		if len(owned) > goals.DefaultMaxGoalsPerEmployee {
			owned = owned[:goals.DefaultMaxGoalsPerEmployee]
		}
		for _, g := range owned {
			st, src := wantStatus(g)
			jg := jsonGoal{EmployeeID: e.ID, GID: g.GID, Name: g.Name, StartOn: mustDate(t, g.StartOn), DueOn: mustDate(t, g.DueOn),
				Status: st, StatusSource: src, TimePeriod: wantPeriod(t, g.TimePeriod), KeyResults: []jsonKeyResult{}}
			for _, s := range ws.Subgoals(g.GID) {
				st, src := wantStatus(s)
				jg.KeyResults = append(jg.KeyResults, jsonKeyResult{GID: s.GID, Name: s.Name, Status: st, StatusSource: src, DueOn: mustDate(t, s.DueOn)})
			}
			want = append(want, jg)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d goals in the output, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		g.Description = "" // checked by the goals package
		if g.EmployeeID != w.EmployeeID || g.GID != w.GID || g.Name != w.Name || g.StartOn != w.StartOn ||
			g.DueOn != w.DueOn || g.Status != w.Status || g.StatusSource != w.StatusSource ||
			!reflect.DeepEqual(g.TimePeriod, w.TimePeriod) || !slices.Equal(g.KeyResults, w.KeyResults) {
			t.Fatalf("goals[%d] =\n%+v\nwant\n%+v", i, g, w)
		}
	}
}

// wantStatus is the status of a goal of the fake and its source: the status
// update's status_type (the spec's table) when there is one, else the
// goal's own status field, else on_track from none.
func wantStatus(g asanafake.Goal) (status.Status, goals.StatusSource) {
	if g.StatusType != "" {
		return status.Map(g.StatusType), goals.StatusFromUpdate
	}
	switch g.ServedStatus() {
	case "":
		return status.OnTrack, goals.StatusFromNone
	case "green":
		return status.OnTrack, goals.StatusFromGoal
	case "yellow", "partial":
		return status.AtRisk, goals.StatusFromGoal
	case "achieved":
		return status.Completed, goals.StatusFromGoal
	}
	return status.OffTrack, goals.StatusFromGoal // red, missed, dropped
}

// wantPeriod is a time period of the fake as the JSON output shows it.
func wantPeriod(t *testing.T, tp *asanafake.TimePeriod) *jsonTimePeriod {
	t.Helper()
	if tp == nil {
		return nil
	}
	return &jsonTimePeriod{GID: tp.GID, DisplayName: tp.DisplayName, Period: tp.Period,
		StartOn: mustDate(t, tp.StartOn), EndOn: mustDate(t, tp.EndOn)}
}

func mustDate(t *testing.T, s string) asana.Date {
	t.Helper()
	d, err := asana.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The demo's -format json output has the documented shape, and its goals
// are the fake workspace's goals of the mapped employees.
func TestDemoJSON(t *testing.T) {
	res := runCmd(t, nil, "-demo", "-format", "json")
	res.wantCode(t, exitOK)
	if res.stderr != "" {
		t.Errorf("stderr not empty: %q", res.stderr)
	}
	doc := checkJSONShape(t, res.stdout)
	if n := len(doc["goals"].([]any)); n == 0 {
		t.Fatal("no goals in the demo's JSON")
	}
	v := decodeTyped(t, res.stdout)
	list := demoEmployees()
	checkAgainstWorkspace(t, asanafake.DemoWorkspace(), list.employees, v.Goals)
	if v.Report.WorkspaceGID != asanafake.DemoWorkspaceGID || v.Report.OwnerlessGoals != 1 ||
		!slices.Contains(v.Report.UnmappedOwnerExamples, asanafake.DemoUnmappedUserGID) || len(v.Report.UnmappedEmployees) == 0 {
		t.Errorf("report = %+v", v.Report)
	}
	// Some demo goal has no start date: it is null, not "".
	if !strings.Contains(res.stdout, `"start_on": null`) {
		t.Errorf("no null date in the demo's JSON")
	}
}

// ---- configuration and usage errors ----

// A token without -workspace is a configuration error (exit 2) on one line
// that names the missing workspace GID and the flag, before any request.
func TestTokenWithoutWorkspaceIsConfigError(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	emps := demoEmployeesCSV(t)
	for _, args := range [][]string{
		{"-base-url", url},
		{"-base-url", url, "-employees", emps},
		{"-base-url", url, "-employees", emps, "-format", "json"},
		{},
	} {
		res := runCmd(t, tokenEnvMap(testToken), args...)
		res.wantCode(t, exitUsage)
		res.wantOneErrorLine(t, "goals: configuration error: WorkspaceGID", "the workspace GID is required", "-workspace")
		if res.stdout != "" {
			t.Errorf("%q: stdout not empty:\n%s", args, res.stdout)
		}
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
}

// A real run needs ASANA_TOKEN: without it (unset, empty or blank) the
// command says so and exits 2, and never falls back to the demo.
func TestWorkspaceWithoutTokenIsConfigError(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	emps := demoEmployeesCSV(t)
	for _, env := range []map[string]string{nil, tokenEnvMap(""), tokenEnvMap("  \n")} {
		res := runCmd(t, env, "-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", emps)
		res.wantCode(t, exitUsage)
		res.wantOneErrorLine(t, "ASANA_TOKEN is not set")
		if res.stdout != "" {
			t.Errorf("stdout not empty (a fall back to the demo?):\n%s", res.stdout)
		}
	}
	// Any flag but -demo makes a real run, which needs the token.
	res := runCmd(t, nil, "-format", "json", "-workspace", "123", "-employees", emps)
	res.wantCode(t, exitUsage)
	res.wantOneErrorLine(t, "ASANA_TOKEN is not set")
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
}

// Each bad flag value (format, rate, timeout, and the rest) is a usage error:
// exit 2, one line that names the flag and what is wrong, no request.
func TestUsageErrors(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	emps := demoEmployeesCSV(t)
	real := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", emps}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad format", append(slices.Clone(real), "-format", "yaml"), `-format must be text or json, not "yaml"`},
		{"bad format in demo", []string{"-demo", "-format", "xml"}, "-format must be text or json"},
		{"zero rate", append(slices.Clone(real), "-rate", "0"), "-rate must be a positive"},
		{"negative rate", append(slices.Clone(real), "-rate", "-5"), "-rate must be a positive"},
		{"rate not a number", append(slices.Clone(real), "-rate", "fast"), `invalid value "fast" for flag -rate`},
		{"negative timeout", append(slices.Clone(real), "-timeout", "-1s"), "-timeout must not be negative"},
		{"unknown flag", append(slices.Clone(real), "-verbose"), "flag provided but not defined: -verbose"},
		{"token flag", append(slices.Clone(real), "-token", "abc"), "read from the environment variable ASANA_TOKEN only"},
		{"positional argument", append(slices.Clone(real), "sync"), `unexpected argument "sync"`},
		{"demo with workspace", []string{"-demo", "-workspace", "123"}, "-demo runs the built-in fake workspace"},
		{"demo with base url", []string{"-demo", "-base-url", url}, "cannot be combined"},
		{"demo with check", []string{"-demo", "-check"}, "cannot be combined"},
		{"check and suggest", append(slices.Clone(real), "-check", "-suggest"), "separate steps"},
		{"check without workspace", []string{"-base-url", url, "-check"}, "workspace GID is required"},
		{"missing employees", real[:4], "-employees FILE is required"},
		{"employees file not found", []string{"-base-url", url, "-workspace", "123", "-employees", filepath.Join(t.TempDir(), "nope.csv")}, "nope.csv"},
		{"workspace not a GID", []string{"-base-url", url, "-workspace", "acme", "-employees", emps}, `"acme" is not an Asana GID`},
		{"http base URL off loopback", []string{"-base-url", "http://asana.example.com/api/1.0", "-workspace", "123", "-employees", emps}, "plain http is only allowed to a loopback address"},
		{"base URL not absolute", []string{"-base-url", "app.asana.com", "-workspace", "123", "-employees", emps}, "not an absolute URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCmd(t, tokenEnvMap(testToken), tc.args...)
			res.wantCode(t, exitUsage)
			res.wantOneErrorLine(t, tc.want)
			if res.stdout != "" {
				t.Errorf("stdout not empty:\n%s", res.stdout)
			}
		})
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
}

// -h, -help and --help print the usage, naming every flag, the employee
// file's columns, the JSON keys and the exit statuses, on stdout, exit 0.
func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		res := runCmd(t, tokenEnvMap(testToken), arg)
		res.wantCode(t, exitOK)
		for _, want := range []string{"Usage: goalsync", "ASANA_TOKEN", "-workspace GID", "-employees FILE", "-base-url URL",
			"-rate N", "-format", "-timeout", "-progress", "-demo", "employee_id", "asana_user_gid", "Exit status",
			"-db PATH|URL", "postgres://", "-confirm-removals", "-removal-threshold F", "removals were held back",
			"-period FROM..TO", "(+N outside the review period)", "-no-descriptions", "-asana-enable NAME[,NAME]",
			"-asana-disable NAME[,NAME]", `"status_source"`, `"time_period"`, "goal_status"} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("%s: usage lacks %q", arg, want)
			}
		}
		if res.stderr != "" {
			t.Errorf("%s: stderr %q", arg, res.stderr)
		}
	}
}

// An employee file that repeats an employee ID or an Asana user GID, or
// holds a value that is not a GID, is refused with its file and line, exit 2.
func TestDuplicateEmployeeIsConfigError(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	for _, tc := range []struct{ name, content, want string }{
		{"dup.csv", "employee_id,asana_user_gid\nemp-1,1209000000000101\n\nemp-1,1209000000000102\n", "dup.csv:4: "},
		{"dup.json", `[{"employee_id":"emp-1","asana_user_gid":"1209000000000101"},
 {"employee_id":"emp-1","asana_user_gid":"1209000000000102"}]`, "dup.json:2: entry 2: "},
		{"gid-twice.csv", "employee_id,asana_user_gid\nemp-1,1209000000000101\nemp-2,1209000000000101\n", "gid-twice.csv:3: "},
		{"bad-gid.csv", "employee_id,asana_user_gid\nemp-1,ada@example.com\n", "bad-gid.csv:2: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.name, tc.content)
			res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", path)
			res.wantCode(t, exitUsage)
			res.wantOneErrorLine(t, tc.want, "goals: configuration error: employees[")
		})
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
}

// ---- employee files ----

// Employee files are read the same in CSV (any column order, a BOM, CRLF,
// blank lines, quoted commas, surrounding spaces) and JSON (nulls for empty).
func TestParseEmployeesGood(t *testing.T) {
	want := []goals.Employee{
		{ID: "emp-1", AsanaUserGID: "1201", Name: "Ada Lovelace", Email: "ada@example.com"},
		{ID: "emp-2", AsanaUserGID: "", Name: "Grace, \"Amazing\" Hopper"},
		{ID: "emp-3", AsanaUserGID: "1203"},
	}
	for _, tc := range []struct{ name, content string }{
		{"people.csv", "employee_id,asana_user_gid,name,email\nemp-1,1201,Ada Lovelace,ada@example.com\nemp-2,,\"Grace, \"\"Amazing\"\" Hopper\",\nemp-3,1203,,\n"},
		{"reordered.csv", "\ufeffEmail , Name,asana_user_gid,employee_id\r\n\r\nada@example.com,Ada Lovelace,1201,emp-1\r\n , \"Grace, \"\"Amazing\"\" Hopper\", ,emp-2\r\n  ,  ,  ,  \r\n,,1203, emp-3 \r\n"},
		{"minimal.txt", "asana_user_gid,employee_id\n1201,emp-1\n,emp-2\n1203,emp-3\n"},
		{"people.json", `[
  {"employee_id": "emp-1", "asana_user_gid": "1201", "name": "Ada Lovelace", "email": "ada@example.com"},
  {"employee_id": "emp-2", "asana_user_gid": null, "name": "Grace, \"Amazing\" Hopper"},
  {"asana_user_gid": "1203", "employee_id": "emp-3", "email": null}
]`},
		{"people.txt", "  \n[" + `{"employee_id":"emp-1","asana_user_gid":"1201","name":"Ada Lovelace","email":"ada@example.com"},{"employee_id":"emp-2","asana_user_gid":"","name":"Grace, \"Amazing\" Hopper"},{"employee_id":"emp-3","asana_user_gid":"1203"}]` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := parseEmployees(tc.name, []byte(tc.content))
			if err != nil {
				t.Fatal(err)
			}
			got := list.employees
			w := want
			if tc.name == "minimal.txt" {
				w = []goals.Employee{{ID: "emp-1", AsanaUserGID: "1201"}, {ID: "emp-2"}, {ID: "emp-3", AsanaUserGID: "1203"}}
			}
			if !slices.Equal(got, w) {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
			if len(list.where) != len(got) || !strings.HasPrefix(list.where[0], tc.name+":") {
				t.Errorf("where = %q", list.where)
			}
		})
	}
}

// Every malformed employee file is refused with its name, its line and what
// is wrong: missing or unknown columns, a ragged row, bad quoting, an empty
// file, text that is not UTF-8, invalid JSON.
func TestParseEmployeesErrors(t *testing.T) {
	for _, tc := range []struct{ name, content, want string }{
		{"missing.csv", "employee_id,name\nemp-1,Ada\n", `missing.csv:1: the header has no asana_user_gid column`},
		{"missing-both.csv", "name\nAda\n", `no employee_id or asana_user_gid column`},
		{"unknown.csv", "employee_id,asana_user_gid,team,Manager\nemp-1,1201,x,y\n", `unknown.csv:1: unknown column(s) "team", "manager"`},
		{"dupcol.csv", "employee_id,asana_user_gid,employee_id\n", `dupcol.csv:1: header names column "employee_id" twice`},
		{"fields.csv", "employee_id,asana_user_gid\nemp-1,1201\nemp-2,1202,extra\n", "fields.csv:3: 3 fields, but the header has 2 columns"},
		{"short.csv", "employee_id,asana_user_gid,name\nemp-1,1201\n", "short.csv:2: 2 fields"},
		{"quote.csv", "employee_id,asana_user_gid\nemp-1,\"1201\n", "quote.csv:"},
		{"noid.csv", "employee_id,asana_user_gid\nemp-1,1201\n ,1202\n", "noid.csv:3: empty employee_id"},
		{"empty.csv", "", "empty.csv: empty file"},
		{"blank.csv", "\n \n", "blank.csv: empty file"},
		{"header-only.csv", "employee_id,asana_user_gid\n", "header-only.csv: no employees listed"},
		{"latin1.csv", "employee_id,asana_user_gid,name\nemp-1,1201,Ren\xe9\n", "latin1.csv: not UTF-8"},
		{"syntax.json", "[\n {\"employee_id\": \"emp-1\", \"asana_user_gid\": \"1201\"},\n {\"employee_id\": \"emp-2\" \"asana_user_gid\": \"1202\"}\n]", "syntax.json:3: invalid JSON"},
		{"truncated.json", `[{"employee_id": "emp-1", "asana_user_gid": "1201"}`, "truncated.json: invalid JSON: unexpected end of file"},
		{"object.json", `{"employee_id": "emp-1", "asana_user_gid": "1201"}`, "object.json:1: expected a JSON array of employee objects"},
		{"empty.json", "", "empty.json: invalid JSON"},
		{"emptyarray.json", "[]", "emptyarray.json: no employees listed"},
		{"unknown.json", "[\n{\"employee_id\":\"e\",\"asana_user_gid\":\"1\"},\n{\"employee_id\":\"f\",\"asana_user_gid\":\"2\",\"team\":\"x\",\"Email\":\"y\"}]", `unknown.json:3: entry 2: unknown key(s) "Email", "team"`},
		{"missing.json", `[{"employee_id":"e"}]`, `missing.json:1: entry 1: no "asana_user_gid" key`},
		{"number.json", `[{"employee_id":42,"asana_user_gid":"1"}]`, `number.json:1: entry 1: "employee_id" must be a string`},
		{"gidnumber.json", `[{"employee_id":"e","asana_user_gid":1201}]`, `"asana_user_gid" must be a string`},
		{"notobject.json", `["emp-1"]`, "notobject.json:1: entry 1: expected an object"},
		{"null.json", `[null]`, "null.json:1: entry 1: expected an object, got null"},
		{"noid.json", `[{"employee_id":"","asana_user_gid":"1"}]`, "noid.json:1: entry 1: empty employee_id"},
		{"trailing.json", `[{"employee_id":"e","asana_user_gid":"1"}] []`, "trailing.json:1: unexpected content after the JSON array"},
		{"csv-in.json", "employee_id,asana_user_gid\ne,1\n", "csv-in.json:1: invalid JSON"},
		// A repeated key is refused, as a CSV header naming a column twice:
		// which value was meant is anyone's guess.
		{"dupkey.json", "[\n{\"employee_id\":\"a\",\"asana_user_gid\":\"1\"},\n{\"employee_id\":\"a\",\"employee_id\":\"b\",\"asana_user_gid\":\"2\"}]", `dupkey.json:3: entry 2: key "employee_id" given twice`},
		{"dupsame.json", `[{"employee_id":"a","asana_user_gid":"1","asana_user_gid":"1"}]`, `dupsame.json:1: entry 1: key "asana_user_gid" given twice`},
		{"dupnull.json", `[{"employee_id":"a","asana_user_gid":"1","name":"Ada","name":null}]`, `dupnull.json:1: entry 1: key "name" given twice`},
		{"nested.json", `[{"employee_id":"a","asana_user_gid":"1","name":{"employee_id":"b"}}]`, `nested.json:1: entry 1: "name" must be a string`},
		{"dupunknown.json", `[{"employee_id":"a","asana_user_gid":"1","team":{"a":1,"a":2},"team":3}]`, `dupunknown.json:1: entry 1: key "team" given twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := parseEmployees(tc.name, []byte(tc.content))
			if err == nil {
				t.Fatalf("no error; got %+v", list.employees)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// A bad employee file ends the run with exit 2 and one line naming the file
// and line, before any request reaches Asana.
func TestEmployeeFileErrorExitsTwo(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	path := writeFile(t, "people.csv", "employee_id,asana_user_gid,team\ne,1,x\n")
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", "123", "-employees", path)
	res.wantCode(t, exitUsage)
	res.wantOneErrorLine(t, "people.csv:1: unknown column(s) \"team\"")
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
}

// ---- real runs against the fake ----

// generated returns a generated workspace and an employee list mapping
// all but its last user (who stays unmapped), plus one employee with no
// Asana user.
func generated(t *testing.T) (*asanafake.Workspace, []goals.Employee) {
	t.Helper()
	ws := asanafake.Generate(7, asanafake.GenConfig{
		Goals: 320, Users: 6, OwnerlessShare: 0.05, SubgoalShare: 0.3, MaxSubgoals: 3,
		NoStatusShare: 0.1, NoDatesShare: 0.2, MetricShare: 0.3, HostileNameShare: 0.05,
		GoalStatusOnlyShare: 0.6, GoalStatusDiffersShare: 0.1, TimePeriodShare: 0.5,
	})
	var emps []goals.Employee
	for i, u := range ws.Users[:len(ws.Users)-1] {
		emps = append(emps, goals.Employee{ID: fmt.Sprintf("e%02d", 10-i), AsanaUserGID: u.GID, Name: fmt.Sprintf("Person %d", i)})
	}
	emps = append(emps, goals.Employee{ID: "e99", Name: "Not mapped"})
	return ws, emps
}

// fastRetries keeps retried 5xx and malformed answers from slowing a test.
var fastRetries = hooks{clientOpts: []asana.Option{asana.WithRetryWait(time.Millisecond, 2*time.Millisecond)}}

// keptGoals counts the goals of ws owned by the mapped employees.
func keptGoals(ws *asanafake.Workspace, emps []goals.Employee) int {
	n := 0
	for _, e := range emps {
		if e.AsanaUserGID != "" {
			n += min(len(ws.GoalsOwnedBy(e.AsanaUserGID)), goals.DefaultMaxGoalsPerEmployee)
		}
	}
	return n
}

// secretOf is the part of a test token after its user prefix: what a
// partial echo would show.
func secretOf(tok string) string { return tok[strings.LastIndex(tok, ":")+1:] }

func employeesJSON(t *testing.T, emps []goals.Employee) string {
	t.Helper()
	b, err := json.Marshal(emps)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "employees.json", string(b))
}

// A real run against a generated workspace prints JSON whose goals are
// exactly those Asana holds for the mapped employees, with nothing on stderr.
func TestRealRunJSON(t *testing.T) {
	ws, emps := generated(t)
	srv, url := fake(t, ws, asanafake.Options{})
	path := employeesJSON(t, emps)
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", path,
		"-format", "json", "-rate", "600000")
	res.wantCode(t, exitOK)
	if res.stderr != "" {
		t.Errorf("stderr not empty: %q", res.stderr)
	}
	checkJSONShape(t, res.stdout)
	v := decodeTyped(t, res.stdout)
	checkAgainstWorkspace(t, ws, emps, v.Goals)
	r := v.Report
	if r.WorkspaceGoalsScanned != len(ws.Goals) || len(r.Employees) != len(emps)-1 ||
		!slices.Equal(r.UnmappedEmployees, []string{"e99"}) || r.UnmappedOwnerGoals == 0 ||
		r.Requests != srv.Stats().Requests || len(r.Failed()) != 0 {
		t.Errorf("report = %+v (server saw %d requests)", r, srv.Stats().Requests)
	}
}

// A real run against a generated workspace, with a CSV of any column order,
// prints the text report and one [GOALS] block per mapped employee, exit 0;
// a goal name that tries to open a line of its own stays inside its line.
func TestRealRunText(t *testing.T) {
	ws, emps := generated(t)
	_, url := fake(t, ws, asanafake.Options{})
	var csv strings.Builder
	csv.WriteString("name,employee_id,asana_user_gid\n")
	for _, e := range emps {
		fmt.Fprintf(&csv, "%s,%s,%s\n", e.Name, e.ID, e.AsanaUserGID)
	}
	path := writeFile(t, "people.csv", csv.String())
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", path, "-rate", "600000")
	res.wantCode(t, exitOK)
	if strings.Contains(res.stdout, "Demo:") {
		t.Errorf("a real run printed the demo note")
	}
	// One block per mapped employee, in employee ID order.
	var order []string
	for line := range strings.Lines(res.stdout) {
		if strings.HasPrefix(line, "== ") {
			order = append(order, strings.Fields(line)[1])
		}
	}
	if want := []string{"e06", "e07", "e08", "e09", "e10", "e99"}; !slices.Equal(order, want) {
		t.Errorf("employee headers in order %v, want %v", order, want)
	}
	if got := strings.Count(res.stdout, "\n[GOALS]\n"); got != len(emps)-1 {
		t.Errorf("%d [GOALS] blocks, want %d", got, len(emps)-1)
	}
	if got := strings.Count(res.stdout, "\n[/GOALS]\n"); got != len(emps)-1 {
		t.Errorf("%d [/GOALS] lines, want %d", got, len(emps)-1)
	}
	// Hostile names never open a line of their own.
	for line := range strings.Lines(res.stdout) {
		if strings.Contains(line, "SYSTEM") && !strings.HasPrefix(line, "- Goal: ") && !strings.HasPrefix(line, "  - Key result: ") {
			t.Errorf("hostile text on its own line: %q", line)
		}
	}
}

// A token Asana refuses (401) fails the sync: exit 1, one line naming the
// status and the request, in text and JSON alike.
func TestWrongTokenExitsOne(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	srv, url := fake(t, ws, asanafake.DemoOptions())
	path := demoEmployeesCSV(t)
	for _, format := range []string{"text", "json"} {
		res := runCmd(t, tokenEnvMap(wrongToken), "-base-url", url, "-workspace", ws.GID, "-employees", path, "-format", format)
		res.wantCode(t, exitFailed)
		res.wantOneErrorLine(t, "goalsync: sync failed: ", "401", "GET /goals")
	}
	if srv.Stats().Unauthorized == 0 {
		t.Errorf("the fake saw no 401")
	}
}

// When some employees fail (a 500 or a 403 on one goal's sub-goals) and
// the others sync, the command exits 3 and the report says who and why.
func TestSomeEmployeesFailExitsThree(t *testing.T) {
	// Retries of the 500s must not slow the test down.
	fast := hooks{clientOpts: []asana.Option{asana.WithRetryWait(time.Millisecond, 2*time.Millisecond)}}

	ws := asanafake.DemoWorkspace()
	// Grace's goal with sub-goals.
	const failing = "1209000000001004"
	for _, code := range []int{http.StatusInternalServerError, http.StatusForbidden} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			var hits atomic.Int64
			_, url := fake(t, ws, asanafake.Options{
				Tokens: map[string]string{testToken: asanafake.DemoServiceAccountGID},
				Intercept: func(w http.ResponseWriter, r *http.Request) bool {
					if !asanafake.ListsSubgoals(r, failing) {
						return false
					}
					hits.Add(1)
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(code)
					fmt.Fprintf(w, `{"errors":[{"message":"injected failure %d"}]}`, code)
					return true
				},
			})
			path := demoEmployeesCSV(t)
			base := []string{"-base-url", url, "-workspace", ws.GID, "-employees", path, "-rate", "600000"}

			res := runCmdWith(t, context.Background(), tokenEnvMap(testToken), fast, append(base, "-format", "json")...)
			res.wantCode(t, exitPartial)
			res.wantOneErrorLine(t, "1 of 3 employees not fully synced (emp-002); the report says why")
			checkJSONShape(t, res.stdout)
			v := decodeTyped(t, res.stdout)
			failed := v.Report.Failed()
			if len(failed) != 1 || failed[0].EmployeeID != "emp-002" || failed[0].Written != goals.WrittenPartial ||
				!strings.Contains(failed[0].Err.Error(), failing) {
				t.Errorf("failed = %+v", failed)
			}
			for _, g := range v.Goals {
				if g.GID == failing {
					t.Errorf("goal %s, whose sub-goals failed, was written", failing)
				}
			}

			res = runCmdWith(t, context.Background(), tokenEnvMap(testToken), fast, base...)
			res.wantCode(t, exitPartial)
			for _, want := range []string{"errors:\n    emp-002: ", "== emp-002 · Grace Hopper (written: partial; see the report) ==",
				"Result: 1 of 3 mapped employees not fully synced"} {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("text output lacks %q:\n%s", want, res.stdout)
				}
			}
			if code == http.StatusInternalServerError && hits.Load() < 2*int64(1+asana.DefaultMaxRetries) {
				t.Errorf("the failing path was hit %d times: not retried?", hits.Load())
			}
		})
	}
}

// -timeout bounds the whole run: a sync that outlasts it ends at once with
// exit 1 and a line saying the timeout ran out.
func TestTimeoutExitsOne(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	_, url := fake(t, ws, asanafake.Options{Latency: 5 * time.Second})
	path := demoEmployeesCSV(t)
	start := time.Now()
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", path, "-timeout", "100ms")
	res.wantCode(t, exitFailed)
	res.wantOneErrorLine(t, "sync failed", "-timeout of 100ms ran out")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the timeout took %s", d)
	}
	for _, want := range []string{"SYNC FAILED: goals: sync cancelled", "== emp-001 · Ada Lovelace: not synced, the sync failed ==",
		"== emp-004 · Margaret Hamilton: not mapped to an Asana user"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "[GOALS]") {
		t.Errorf("a cancelled sync printed [GOALS] blocks:\n%s", res.stdout)
	}
}

// A workspace scan that fails part way (every page after the first) fails
// the sync with exit 1 and one line naming the goals scanned and the status;
// the JSON still reports every employee as failed and holds the goals of
// the first page that were fetched whole.
func TestScanFailureExitsOne(t *testing.T) {
	fast := hooks{clientOpts: []asana.Option{asana.WithRetryWait(time.Millisecond, 2*time.Millisecond)}}

	ws, emps := generated(t)
	_, url := fake(t, ws, asanafake.Options{
		// Every page of the goal list after the first fails.
		Intercept: func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/goals" || r.URL.Query().Get("offset") == "" {
				return false
			}
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
			return true
		},
	})
	path := employeesJSON(t, emps)
	res := runCmdWith(t, context.Background(), tokenEnvMap(testToken), fast,
		"-base-url", url, "-workspace", ws.GID, "-employees", path, "-rate", "600000", "-format", "json")
	res.wantCode(t, exitFailed)
	res.wantOneErrorLine(t, "goalsync: sync failed: goals: workspace scan failed after 100 goals", "502")
	checkJSONShape(t, res.stdout)
	v := decodeTyped(t, res.stdout)
	if v.Report.Error == "" || len(v.Report.Failed()) != len(emps)-1 {
		t.Errorf("report = %+v", v.Report)
	}
	// Goals of the first page that were fetched whole were stored.
	if len(v.Goals) == 0 {
		t.Errorf("no goal of the first page in the output")
	}
}

// Every error line the command prints goes through the redactor and is one
// line: the token never reaches stderr, and a one-character token redacts
// nothing of an ordinary message.
func TestErrorfRedactsToken(t *testing.T) {
	var stderr bytes.Buffer
	c := &cli{stderr: &stderr, token: testToken}
	c.errorf("bad %s\nthing", testToken)
	if got := stderr.String(); got != "goalsync: bad [redacted] thing\n" {
		t.Errorf("errorf wrote %q", got)
	}
	stderr.Reset()
	c.token = "x"
	c.errorf("context deadline exceeded")
	if got := stderr.String(); got != "goalsync: context deadline exceeded\n" {
		t.Errorf("errorf wrote %q", got)
	}
}

// A run whose context is cancelled before it starts fails with exit 1 and a
// line saying it was interrupted.
func TestCancelExitsOne(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := runCmdCtx(t, ctx, nil)
	res.wantCode(t, exitFailed)
	res.wantOneErrorLine(t, "sync failed", "(interrupted)")
}

// signalGrace is how long the command may take to end once a signal
// arrives while the database holds it: time to cancel the wait and print,
// no wait of the database's own. The read-back's bound (readBackTimeout,
// 5s) is well past it.
const signalGrace = 2 * time.Second

// After a signal (SIGINT, SIGTERM, SIGHUP: main's context ends), the
// command starts no new wait on the database: a sync interrupted while its
// writes wait on a PostgreSQL table another session locked ends at once,
// without the read-back of the stored goals (which would wait on the lock
// again for its own bound). It prints the report from memory, with one
// line saying the stored goals were not read back (text), or each
// employee in unread_goals (JSON), and exits 1 with one line that says it
// was interrupted.
func TestSignalSkipsTheReadBack(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			admin, dsn, schema := postgresSchema(t)
			var armed atomic.Bool
			var once sync.Once
			locked := make(chan error, 1)
			_, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{Intercept: func(http.ResponseWriter, *http.Request) bool {
				if armed.Load() {
					once.Do(func() { locked <- lockGoals(t, dsn) })
				}
				return false
			}})
			args := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", demoEmployeesCSV(t), "-db", dsn,
				"-format", format}
			runCmd(t, tokenEnvMap(testToken), args...).wantCode(t, exitOK)
			armed.Store(true)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var signalled atomic.Int64 // UnixNano of the signal
			go func() {
				wctx, wcancel := context.WithTimeout(ctx, lockGuard)
				defer wcancel()
				if err := waitForLockWaiter(wctx, admin, schema); err == nil {
					signalled.Store(time.Now().UnixNano())
					cancel() // the signal's context, as main's
				}
			}()
			res, done := runGuarded(t, ctx, lockGuard, args...)
			if !done {
				t.Fatalf("the command waited on the locked table for more than %s", lockGuard)
			}
			if err := <-locked; err != nil {
				t.Fatal(err)
			}
			at := signalled.Load()
			if at == 0 {
				t.Fatalf("no write waited on the lock; stderr: %s", res.stderr)
			}
			if took := time.Since(time.Unix(0, at)); took > signalGrace {
				t.Errorf("the command ended %s after the signal, want within %s: it waited on the database again", took.Round(time.Millisecond), signalGrace)
			}
			res.wantCode(t, exitFailed)
			res.wantOneErrorLine(t, "sync failed", "(interrupted)", "the stored goals were not read back")
			if format == "text" {
				for _, want := range []string{"Result: the sync failed", "\nThe stored goals were not read back: the command was interrupted"} {
					if !strings.Contains(res.stdout, want) {
						t.Errorf("the text output lacks %q:\n%s", want, res.stdout)
					}
				}
				if strings.Contains(res.stdout, "[GOALS]") || strings.Contains(res.stdout, "could not be read back") {
					t.Errorf("the text output shows what it did not read:\n%s", res.stdout)
				}
				return
			}
			var v struct {
				Report *goals.Report `json:"report"`
				Goals  []any         `json:"goals"`
				Unread []unreadGoals `json:"unread_goals"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
				t.Fatalf("stdout is not the JSON output: %v\n%s", err, res.stdout)
			}
			if v.Report == nil || len(v.Goals) != 0 || len(v.Unread) != 4 || !strings.Contains(v.Unread[0].Error, "not read back") {
				t.Errorf("json output: %s", res.stdout)
			}
		})
	}
}

// A database that gives up a lock during the writes (here PostgreSQL's
// lock_timeout, set in the -db URL, with no -timeout to lower it, while
// another session holds the lock one employee's write takes) fails the sync, exit 1, not a partial sync
// (exit 3): nothing will get through until the lock goes, and running
// again at once does not help. The line says the database was waiting on
// a lock, although the read-back of the output (which takes no such lock)
// works.
func TestLockGivenUpDuringWritesExitsOne(t *testing.T) {
	admin, dsn, _ := postgresSchema(t)
	_, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	conn, err := admin.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The lock sqlstore's write of emp-001 takes (see lockEmployee).
	if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_lock(hashtext('asanagoals:emp-001'))`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock_all()`)
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", asanafake.DemoWorkspaceGID,
		"-employees", demoEmployeesCSV(t), "-db", dsn+"&lock_timeout=300", "-timeout", "0")
	res.wantCode(t, exitFailed)
	res.wantOneErrorLine(t, "sync failed: 1 of 3 employees not fully synced (emp-001)", lockWaitNote)
	for _, want := range []string{"Result: 1 of 3 mapped employees not fully synced", "== emp-002 · Grace Hopper ==\n[GOALS]"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the output lacks %q:\n%s", want, res.stdout)
		}
	}
}

// A token revoked during the sync (every sub-goal request answers 401)
// stops the whole sync: exit 1, nothing written, and no request per goal.
func TestSync_tokenRevokedMidSyncExitsOne(t *testing.T) {
	ws, emps := generated(t)
	kept := keptGoals(ws, emps)
	var sub, other atomic.Int64 // sub-goal requests; goal and goal_relationships requests
	_, url := fake(t, ws, asanafake.Options{
		Intercept: func(w http.ResponseWriter, r *http.Request) bool {
			if !asanafake.ListsSubgoals(r, "") {
				if r.URL.Path == "/goal_relationships" || strings.HasPrefix(r.URL.Path, "/goals/") {
					other.Add(1)
				}
				return false
			}
			sub.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"message":"Not Authorized","help":"The token was revoked."}]}`)
			return true
		},
	})
	path := employeesJSON(t, emps)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			sub.Store(0)
			other.Store(0)
			res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", path,
				"-rate", "600000", "-format", format)
			res.wantCode(t, exitFailed)
			res.wantOneErrorLine(t, "goalsync: sync failed: ", "401")
			// At most one refused request per worker: those in flight when
			// the first 401 came back. Never one per kept goal.
			if sub := sub.Load(); sub == 0 || sub > goals.DefaultConcurrency || sub >= int64(kept) {
				t.Errorf("%d sub-goal requests for %d kept goals, want 1..%d", sub, kept, goals.DefaultConcurrency)
			}
			if n := other.Load(); n != 0 {
				t.Errorf("a 401 made the sync try the other sub-goal paths: %d requests", n)
			}
			if format == "json" {
				if v := decodeTyped(t, res.stdout); len(v.Goals) != 0 || v.Report.Error == "" {
					t.Errorf("a refused sync wrote %d goals (report error %q)", len(v.Goals), v.Report.Error)
				}
			} else if strings.Contains(res.stdout, "[GOALS]") {
				t.Errorf("a refused sync printed [GOALS] blocks:\n%s", res.stdout)
			}
		})
	}
}

// An error page or message that echoes the request's Authorization header
// reaches neither stdout (text or JSON) nor stderr with the token in it.
func TestSync_echoedTokenNeverPrinted(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	const failing = "1209000000001004" // Grace's goal with sub-goals
	echo := "Authorization: Bearer " + testToken
	for _, tc := range []struct {
		name     string
		path     func(*http.Request) bool
		code     int
		ctype    string
		body     string
		exit     int
		redacted bool // the echo is kept (redacted) in the output
	}{
		{"gateway page on a sub-goal list", func(r *http.Request) bool { return asanafake.ListsSubgoals(r, failing) },
			http.StatusBadGateway, "text/html", "<html><body><h1>502</h1><pre>GET /goals HTTP/1.1\r\n" + echo + "\r\n</pre></body></html>", exitPartial, true},
		{"error message on a sub-goal list", func(r *http.Request) bool { return asanafake.ListsSubgoals(r, failing) },
			http.StatusBadRequest, "application/json", `{"errors":[{"message":"bad header ` + echo + `","help":"` + testToken + `"}]}`, exitPartial, true},
		{"refused token on the scan", func(r *http.Request) bool { return r.URL.Path == "/goals" },
			http.StatusUnauthorized, "application/json", `{"errors":[{"message":"Not Authorized: ` + echo + `"}]}`, exitFailed, false},
		{"server error page on the scan", func(r *http.Request) bool { return r.URL.Path == "/goals" },
			http.StatusInternalServerError, "text/plain", "upstream said: " + echo, exitFailed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int64
			_, url := fake(t, ws, asanafake.Options{
				Tokens: map[string]string{testToken: asanafake.DemoServiceAccountGID},
				Intercept: func(w http.ResponseWriter, r *http.Request) bool {
					if !tc.path(r) {
						return false
					}
					hits.Add(1)
					w.Header().Set("Content-Type", tc.ctype)
					w.WriteHeader(tc.code)
					fmt.Fprint(w, tc.body)
					return true
				},
			})
			path := demoEmployeesCSV(t)
			for _, format := range []string{"text", "json"} {
				res := runCmdWith(t, context.Background(), tokenEnvMap(testToken), fastRetries,
					"-base-url", url, "-workspace", ws.GID, "-employees", path, "-rate", "600000", "-format", format)
				res.wantCode(t, tc.exit)
				all := res.stdout + res.stderr
				if strings.Contains(all, secretOf(testToken)) {
					t.Errorf("%s: the token's secret was printed:\nstdout:\n%s\nstderr:\n%s", format, res.stdout, res.stderr)
				}
				if tc.redacted && !strings.Contains(res.stdout, "[redacted]") {
					t.Errorf("%s: the echo was not kept, redacted, in the output, so this test checks nothing:\n%s", format, res.stdout)
				}
			}
			if hits.Load() == 0 {
				t.Fatal("the failing path was never requested")
			}
		})
	}
}

// A Retry-After longer than -max-wait ends the sync at once with a line
// that says how long Asana asked to wait; a longer -max-wait would wait.
func TestSync_longRetryAfterExitsOne(t *testing.T) {
	ws, emps := generated(t)
	var limited atomic.Int64
	_, url := fake(t, ws, asanafake.Options{
		Intercept: func(w http.ResponseWriter, r *http.Request) bool {
			if !asanafake.ListsSubgoals(r, "") {
				return false
			}
			limited.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"errors":[{"message":"You have made too many requests recently."}]}`)
			return true
		},
	})
	path := employeesJSON(t, emps)
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", path,
		"-rate", "600000", "-max-wait", "10m", "-format", "json")
	res.wantCode(t, exitFailed)
	res.wantOneErrorLine(t, "goalsync: sync failed: ", "Asana asked to wait 1h0m0s, longer than the 10m0s this client waits")
	if n := limited.Load(); n == 0 || n > goals.DefaultConcurrency {
		t.Errorf("%d sub-goal requests met the 429; only those in flight may, and none may be retried", n)
	}

	res = runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", path, "-max-wait", "0s")
	res.wantCode(t, exitUsage)
	res.wantOneErrorLine(t, "-max-wait must be positive")
}

// The error line of a partial sync names the first ten employees not fully
// synced and counts the rest, so that a thousand failures stay one line.
func TestFirstIDs(t *testing.T) {
	var emps []goals.EmployeeReport
	for i := range 12 {
		emps = append(emps, goals.EmployeeReport{EmployeeID: fmt.Sprintf("e%d", i)})
	}
	if got, want := strings.Join(firstIDs(emps, 10), ", "), "e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, and 2 more"; got != want {
		t.Errorf("firstIDs(12 employees, 10) = %q, want %q", got, want)
	}
	if got, want := strings.Join(firstIDs(emps[:10], 10), ", "), "e0, e1, e2, e3, e4, e5, e6, e7, e8, e9"; got != want {
		t.Errorf("firstIDs(10 employees, 10) = %q, want %q", got, want)
	}
}

// ---- progress ----

// -progress prints each update of the sync on stderr: a line per page of
// the scan in order, an ETA, then the writes; without -progress and without
// a terminal it prints nothing.
func TestProgress(t *testing.T) {
	ws, emps := generated(t)
	_, url := fake(t, ws, asanafake.Options{})
	path := employeesJSON(t, emps)
	args := []string{"-base-url", url, "-workspace", ws.GID, "-employees", path, "-rate", "600000", "-format", "json"}

	// Every update printed: one "scanning" line per page, then the scan's
	// end, the start of the writes and their end.
	res := runCmdWith(t, context.Background(), tokenEnvMap(testToken), hooks{progressEvery: time.Nanosecond}, append(args, "-progress")...)
	res.wantCode(t, exitOK)
	lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
	for _, l := range lines {
		if !strings.HasPrefix(l, "goalsync: ") || !strings.Contains(l, "scanned") || !strings.Contains(l, " request") ||
			!strings.Contains(l, "requests/min") {
			t.Errorf("odd progress line %q", l)
		}
	}
	// One line per page at least (the walk adds lines too), in order, then
	// the scan's end, the start of the writes and their end.
	// A line from the walk can come while a page's goals are being routed
	// ("2 pages (235 goals)"); counts never go back.
	var pageLines []string
	scanRE := regexp.MustCompile(`^goalsync: scanning: (\d+) pages? \((\d+) goals\) scanned`)
	lastPages, lastGoals := 0, 0
	for _, l := range lines {
		m := scanRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		pages, goals := atoi(t, m[1]), atoi(t, m[2])
		if pages < lastPages || goals < lastGoals {
			t.Errorf("progress went back: %q after %d pages (%d goals)", l, lastPages, lastGoals)
		}
		lastPages, lastGoals = pages, goals
		if p := strings.SplitN(strings.TrimPrefix(l, "goalsync: scanning: "), " scanned", 2)[0]; goals == min(100*pages, 320) && !slices.Contains(pageLines, p) {
			pageLines = append(pageLines, p)
		}
	}
	if got := strings.Join(pageLines, "|"); got != "1 page (100 goals)|2 pages (200 goals)|3 pages (300 goals)|4 pages (320 goals)" {
		t.Errorf("scanning lines show %s, want each page in turn:\n%s", got, res.stderr)
	}
	lines = append([]string{lines[0]}, lines[len(lines)-3:]...) // the first line, and the last three
	want := []string{
		"goalsync: scanning: 1 page (100 goals) scanned",
		"goalsync: scan done, fetching sub-goals: 4 pages (320 goals) scanned",
		"goalsync: fetched, writing: 4 pages (320 goals) scanned",
		"goalsync: done: 4 pages (320 goals) scanned",
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("progress line %d = %q, want it to start %q", i+1, lines[i], w)
		}
	}
	// The scan's lines estimate the time left; the writes' do not.
	if !strings.Contains(lines[0], " left and the pages still to scan") || strings.Contains(lines[2], " left") {
		t.Errorf("ETA shown wrongly:\n%s\n%s", lines[0], lines[2])
	}
	// Every kept goal's sub-goals were fetched before the writes.
	kept := regexp.MustCompile(`(\d+) goals kept, sub-goals of (\d+) of them fetched`).FindStringSubmatch(lines[2])
	if kept == nil || kept[1] != kept[2] {
		t.Errorf("writing line %q: sub-goals not all fetched", lines[2])
	}
	checkJSONShape(t, res.stdout) // progress stays off stdout

	// To a pipe, by default: a line per phase, not one per page.
	res = runCmd(t, tokenEnvMap(testToken), append(args, "-progress")...)
	res.wantCode(t, exitOK)
	lines = strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
	var phases []string
	for _, l := range lines {
		phases = append(phases, strings.SplitN(strings.TrimPrefix(l, "goalsync: "), ":", 2)[0])
	}
	if got := strings.Join(phases, "|"); got != "scanning|scan done, fetching sub-goals|fetched, writing|done" {
		t.Errorf("progress to a pipe, phases %s:\n%s", got, res.stderr)
	}

	res = runCmd(t, tokenEnvMap(testToken), args...)
	res.wantCode(t, exitOK)
	if res.stderr != "" {
		t.Errorf("progress without -progress and no terminal: %q", res.stderr)
	}
}

// A progress line says what a person plans by: the rate, the time left,
// and a wait for Asana's rate limit.
func TestDescribeProgress(t *testing.T) {
	sp := goals.SyncProgress{Phase: "walking", PagesScanned: 100, GoalsScanned: 10000, GoalsKept: 3000, KeyResultGoalsDone: 1200}
	for _, tc := range []struct {
		name string
		st   asana.Stats
		want []string
		not  []string
	}{
		{"free tier", asana.Stats{Requests: 1300, RequestsPerMinute: 148.5},
			[]string{"scan done, fetching sub-goals: 100 pages (10000 goals) scanned, 3000 goals kept, sub-goals of 1200 of them fetched",
				"1300 requests", "148 requests/min", "about 13 min left"}, []string{"waiting"}},
		{"paused", asana.Stats{Requests: 1300, RateLimited: 1, RequestsPerMinute: 1485, Paused: 42 * time.Second},
			[]string{"1 answered 429", "about 2 min left", "; waiting 42 s for Asana's rate limit"}, nil},
		{"hours", asana.Stats{RequestsPerMinute: 10},
			[]string{"about 3 h 00 min left"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := describeProgress(sp, tc.st)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(got, w) {
					t.Errorf("%q has %q", got, w)
				}
			}
		})
	}
}

// To a pipe, updates within the interval collapse into one line, printed
// when the interval is over or the display ends; a phase change always
// prints.
func TestProgressToAPipeIsThrottled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf syncbuf.Buffer
		p := newProgress(&buf, func() asana.Stats { return asana.Stats{RequestsPerMinute: 600} }, false, 5*time.Second)
		for i := 1; i <= 10; i++ {
			p.update(goals.SyncProgress{Phase: "scanning", PagesScanned: i})
			time.Sleep(100 * time.Millisecond)
		}
		if n := strings.Count(buf.String(), "\n"); n != 1 {
			t.Errorf("%d lines within a second, want 1:\n%s", n, buf.String())
		}
		time.Sleep(5 * time.Second) // the ticker prints the pending update
		if !strings.Contains(buf.String(), "10 pages") || strings.Count(buf.String(), "\n") != 2 {
			t.Errorf("after the interval:\n%s", buf.String())
		}
		p.update(goals.SyncProgress{Phase: "walking", PagesScanned: 10})
		p.update(goals.SyncProgress{Phase: "walking", PagesScanned: 10, KeyResultGoalsDone: 3})
		p.finish()
		if out := buf.String(); strings.Count(out, "\n") != 4 || !strings.Contains(out, "sub-goals of 3 of them fetched") {
			t.Errorf("phase change and finish:\n%s", out)
		}
	})
}

// On a terminal the line is redrawn every second while a pause lasts, so
// the wait counts down without updates from the sync.
func TestProgressOnTerminalCountsDownAPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf syncbuf.Buffer
		pauseEnd := time.Now().Add(3 * time.Second)
		stats := func() asana.Stats { return asana.Stats{RequestsPerMinute: 600, Paused: max(0, time.Until(pauseEnd))} }
		p := newProgress(&buf, stats, true, 0)
		p.update(goals.SyncProgress{Phase: "walking", GoalsKept: 5})
		time.Sleep(3500 * time.Millisecond)
		p.finish()
		out := buf.String()
		for _, w := range []string{"waiting 3 s", "waiting 2 s", "waiting 1 s"} {
			if !strings.Contains(out, w) {
				t.Errorf("terminal output lacks %q:\n%q", w, out)
			}
		}
		if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
			t.Errorf("terminal output must be one line redrawn, ended once: %q", out)
		}
	})
}

// Pages are the scan's own count, not one per hundred goals: an empty
// workspace is one empty page.
func TestProgressCountsEmptyPages(t *testing.T) {
	ws := &asanafake.Workspace{GID: "1209000000009000", Name: "Empty", Users: []asanafake.User{{GID: "1209000000009001", Name: "Ada"}}}
	_, url := fake(t, ws, asanafake.Options{})
	path := employeesJSON(t, []goals.Employee{{ID: "e1", AsanaUserGID: "1209000000009001"}})
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", path, "-progress", "-format", "json")
	res.wantCode(t, exitOK)
	if !strings.HasPrefix(res.stderr, "goalsync: scanning: 1 page (0 goals) scanned") {
		t.Errorf("progress = %q, want a first line for one page of no goals", res.stderr)
	}
}

// On a terminal, progress rewrites one line (carriage returns) and ends with
// one newline, without -progress.
func TestProgressOnTerminal(t *testing.T) {
	res := runCmdWith(t, context.Background(), nil, hooks{isTerminal: func(io.Writer) bool { return true }})
	res.wantCode(t, exitOK)
	if !strings.HasPrefix(res.stderr, "\rgoalsync: ") || !strings.HasSuffix(res.stderr, "\n") ||
		strings.Count(res.stderr, "\n") != 1 {
		t.Errorf("terminal progress = %q", res.stderr)
	}
}

// isTerminal is false for a buffer and for a regular file.
func TestIsTerminal(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is a terminal")
	}
}

// ---- -check and -suggest ----

// -check says whose the token is and that the workspace's goals are
// readable, exit 0, in two requests.
func TestCheck(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	srv, url := fake(t, ws, asanafake.Options{})
	args := []string{"-base-url", url, "-workspace", ws.GID, "-check"}

	res := runCmd(t, tokenEnvMap(testToken), args...)
	res.wantCode(t, exitOK)
	if want := "OK: the token belongs to " + ws.Users[0].Name + " (Asana user " + ws.Users[0].GID + "); workspace " +
		ws.GID + ": its goals are readable."; strings.TrimSpace(res.stdout) != want {
		t.Errorf("stdout = %q, want %q", res.stdout, want)
	}
	if n := srv.Stats().Requests; n != 2 {
		t.Errorf("-check made %d requests, want 2", n)
	}

	srv.SetPaymentRequired(true)
	res = runCmd(t, tokenEnvMap(testToken), args...)
	res.wantCode(t, exitFailed)
	res.wantOneErrorLine(t, "goalsync: check failed: ", "need a paid Asana plan")

	res = runCmd(t, tokenEnvMap("wrong-token-value"), args...)
	res.wantCode(t, exitFailed)
	res.wantOneErrorLine(t, "goalsync: check failed: ", "New Access Token")
}

// -suggest prints, for each unmapped employee whose e-mail matches an
// Asana user no one is mapped to, that user as a suggestion, in CSV or JSON.
func TestSuggest(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	_, url := fake(t, ws, asanafake.Options{})
	// The demo's employees: emp-004 has no Asana user yet, but her e-mail
	// is that of an Asana user no one is mapped to.
	args := []string{"-base-url", url, "-workspace", ws.GID, "-employees", demoEmployeesCSV(t), "-suggest"}
	unmapped, ok := ws.User(asanafake.DemoUnmappedUserGID)
	if !ok {
		t.Fatal("the demo has no unmapped user")
	}

	res := runCmd(t, tokenEnvMap(testToken), args...)
	res.wantCode(t, exitOK)
	want := "employee_id,asana_user_gid,asana_name,matched_by\nemp-004," + unmapped.GID + "," + unmapped.Name + ",email\n"
	if res.stdout != want {
		t.Errorf("stdout = %q, want %q", res.stdout, want)
	}

	res = runCmd(t, tokenEnvMap(testToken), append(args, "-format", "json")...)
	res.wantCode(t, exitOK)
	var got []goals.Suggestion
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil || len(got) != 1 || got[0].EmployeeID != "emp-004" {
		t.Errorf("json = %s (%v)", res.stdout, err)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// -check -format json prints one JSON object, not the text line: the
// workspace, the token's user and whether a goal is visible. A failed
// check prints its one line on stderr and nothing on stdout.
func TestCheckJSON(t *testing.T) {
	ws := asanafake.DemoWorkspace().Clone()
	ws.Users[0].Name = "Ada \u202e\"Lovelace\""
	_, url := fake(t, ws, asanafake.Options{})
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-check", "-format", "json")
	res.wantCode(t, exitOK)
	if res.stderr != "" {
		t.Errorf("stderr %q", res.stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, res.stdout)
	}
	want := map[string]any{"ok": true, "workspace_gid": ws.GID, "goals_visible": true,
		"user": map[string]any{"gid": ws.Users[0].GID, "name": ws.Users[0].Name}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("-check -format json = %v, want %v", got, want)
	}
	if !strings.Contains(res.stdout, `\u202e`) {
		t.Errorf("the override in the user's name is not escaped:\n%s", res.stdout)
	}

	// A workspace with no goal the token's user can see.
	empty := ws.Clone()
	empty.Goals = nil
	_, emptyURL := fake(t, empty, asanafake.Options{})
	res = runCmd(t, tokenEnvMap(testToken), "-base-url", emptyURL, "-workspace", ws.GID, "-check", "-format", "json")
	res.wantCode(t, exitOK)
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil || got["goals_visible"] != false || got["ok"] != true {
		t.Errorf("empty workspace: %s (%v)", res.stdout, err)
	}

	res = runCmd(t, tokenEnvMap(wrongToken), "-base-url", url, "-workspace", ws.GID, "-check", "-format", "json")
	res.wantCode(t, exitFailed)
	res.wantOneErrorLine(t, "goalsync: check failed: ")
	if res.stdout != "" {
		t.Errorf("a failed check printed on stdout:\n%s", res.stdout)
	}
}

// -check takes -no-descriptions, which a script may add to every run: the
// goal it reads comes without its description anyway. -period stays a
// sync's.
func TestCheckTakesNoDescriptions(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	var fields []string
	var mu sync.Mutex
	srv, url := fake(t, ws, asanafake.Options{Intercept: func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		fields = append(fields, r.URL.Query()["opt_fields"]...)
		mu.Unlock()
		return false
	}})
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-check", "-no-descriptions")
	res.wantCode(t, exitOK)
	if !strings.HasPrefix(res.stdout, "OK: ") || res.stderr != "" {
		t.Errorf("stdout %q, stderr %q", res.stdout, res.stderr)
	}
	if n := srv.Stats().Requests; n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, f := range fields {
		if strings.Contains(f, "html_notes") {
			t.Errorf("-check asked for descriptions: opt_fields=%s", f)
		}
	}
	res = runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-check", "-period", "2026-01-01..")
	res.wantCode(t, exitUsage)
	res.wantOneErrorLine(t, "-period and -no-descriptions are for a sync")
}

// If Asana refuses the status update's status_type (as Prism, which
// enforces Asana's published opt_fields lists, answers: 400), the sync
// continues on the goals' own status fields, exits as it would have, and
// says so: the report's status_source, a notice in the text output and a
// "notice:" line on stderr.
func TestRefusedStatusTypeSyncContinuesWithANotice(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	srv, url := fake(t, ws, asanafake.Options{RefuseStatusType: true})
	emps := demoEmployeesCSV(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", emps, "-format", format)
			res.wantCode(t, exitOK)
			res.wantOneErrorLine(t, "goalsync: notice: Asana refused opt_fields current_status_update.status_type (400)",
				"every status came from the goal's own status field")
			if format == "text" {
				if !strings.Contains(res.stdout, "\nNotice: Asana refused opt_fields current_status_update.status_type (400)") {
					t.Errorf("the text output has no notice:\n%s", res.stdout)
				}
				return
			}
			doc := checkJSONShape(t, res.stdout)
			report := doc["report"].(map[string]any)
			if report["status_source"] != "goal_status" || !strings.Contains(fmt.Sprint(report["status_source_note"]), "current_status_update.status_type") {
				t.Errorf("report status_source %v (%v), want goal_status with its note", report["status_source"], report["status_source_note"])
			}
			for _, g := range decodeTyped(t, res.stdout).Goals {
				if g.StatusSource == goals.StatusFromUpdate {
					t.Errorf("goal %s: status from a status update Asana did not send", g.GID)
				}
			}
		})
	}
	if srv.Stats().StatusTypeRefusals == 0 {
		t.Fatal("the fake refused nothing: the test checks nothing")
	}

	// Without the refusal: no notice, status_source status_update.
	_, plain := fake(t, ws, asanafake.Options{})
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", plain, "-workspace", ws.GID, "-employees", emps, "-format", "json")
	res.wantCode(t, exitOK)
	if res.stderr != "" || decodeTyped(t, res.stdout).Report.StatusSource != goals.StatusFromUpdate {
		t.Errorf("stderr %q, status_source %q; want none and status_update", res.stderr, decodeTyped(t, res.stdout).Report.StatusSource)
	}
}

// A -suggest CSV cell that a spreadsheet would read as a formula (it
// begins with =, +, -, @, a tab or a carriage return) gets a leading ',
// so that the spreadsheet shows it as text; every other cell is as is.
func TestCSVCells(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"+1+2", "'+1+2"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"Ada Lovelace", "Ada Lovelace"},
		{"Ada = Lovelace", "Ada = Lovelace"},
		{"1209000000000101", "1209000000000101"},
		{"'quoted", "'quoted"},
		{"", ""},
	} {
		if got := csvCells("emp-1", tc.in); got[0] != "emp-1" || got[1] != tc.want {
			t.Errorf("csvCells(%q) = %q, want %q", tc.in, got[1], tc.want)
		}
	}
}

// An Asana user may name themself a formula; the CSV an admin opens in a
// spreadsheet shows it as text. The JSON output, for programs, stays raw.
func TestSuggest_formulaNamesAreTextInTheCSV(t *testing.T) {
	for _, name := range []string{`=HYPERLINK("http://x","y")`, "+cmd|' /C calc'!A0", "-1+1", "@SUM(1,1)"} {
		t.Run(name, func(t *testing.T) {
			ws := asanafake.DemoWorkspace().Clone()
			for i := range ws.Users {
				if ws.Users[i].GID == asanafake.DemoUnmappedUserGID {
					ws.Users[i].Name = name // matched by e-mail to emp-004
				}
			}
			_, url := fake(t, ws, asanafake.Options{})
			args := []string{"-base-url", url, "-workspace", ws.GID, "-employees", demoEmployeesCSV(t), "-suggest"}

			res := runCmd(t, tokenEnvMap(testToken), args...)
			res.wantCode(t, exitOK)
			recs, err := csv.NewReader(strings.NewReader(res.stdout)).ReadAll()
			if err != nil {
				t.Fatalf("stdout is not CSV: %v\n%s", err, res.stdout)
			}
			want := []string{"emp-004", asanafake.DemoUnmappedUserGID, "'" + name, "email"}
			if len(recs) != 2 || strings.Join(recs[1], "\x00") != strings.Join(want, "\x00") {
				t.Errorf("CSV = %q, want the row %q", recs, want)
			}

			res = runCmd(t, tokenEnvMap(testToken), append(args, "-format", "json")...)
			res.wantCode(t, exitOK)
			var got []goals.Suggestion
			if err := json.Unmarshal([]byte(res.stdout), &got); err != nil || len(got) != 1 || got[0].AsanaName != name {
				t.Errorf("json = %s (%v), want the name %q as is", res.stdout, err, name)
			}
		})
	}
}

// The breaking changes Asana announces in Asana-Change headers are listed in
// the report, each with whether it affects this sync and where to read more.
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
	l.seen[strings.Join(r.Header.Values("Asana-Enable"), ";")+"|"+strings.Join(r.Header.Values("Asana-Disable"), ";")]++
	return false
}

// -asana-enable and -asana-disable send their names in the Asana-Enable and
// Asana-Disable headers of every request, and the demo accepts them too.
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

// A bad -asana-enable or -asana-disable name (or one both enabled and
// disabled) is a usage error, exit 2, before any request.
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

// -no-descriptions drops html_notes from the requests' opt_fields, keeps
// goals without descriptions, and the text summary says so (only then).
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

// childArgsEnv, when set in the environment of the test binary, makes it
// run the command itself (main, with these JSON-encoded arguments) instead
// of the tests: tests that send the process a signal run it as a child.
const childArgsEnv = "GOALSYNC_TEST_CHILD_ARGS"

// TestMain fails the package when a test leaves a goroutine behind, such as
// an employee file's open still waiting on a named pipe, or a request's
// timer outliving a sync stopped by a refused token.
func TestMain(m *testing.M) {
	if argsJSON := os.Getenv(childArgsEnv); argsJSON != "" {
		var args []string
		if err := json.Unmarshal([]byte(argsJSON), &args); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", childArgsEnv, err)
			os.Exit(99)
		}
		os.Args = append([]string{"goalsync"}, args...)
		main() // exits
	}
	goleak.VerifyTestMain(m)
}

// After a sync that went well but whose context ended before the read-back
// (the -timeout ran out just after the writes), the output is still read
// back, under readBackTimeout of its own, rather than under the ended
// context, which would show no stored goal.
func TestReadBackContext_endedContextGetsItsOwnBound(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errTimeout)
	rctx, done := readBackContext(ctx, false)
	defer done()
	if err := rctx.Err(); err != nil {
		t.Fatalf("the read-back context has ended already: %v", err)
	}
	deadline, ok := rctx.Deadline()
	if !ok || time.Until(deadline) > readBackTimeout {
		t.Errorf("read-back deadline %v (set %v), want within %s", deadline, ok, readBackTimeout)
	}

	live, stop := context.WithCancel(context.Background())
	defer stop()
	if rctx, done := readBackContext(live, false); rctx != live {
		t.Errorf("after a sync that went well, the read-back runs under another context than the command's")
	} else {
		done()
	}
}
