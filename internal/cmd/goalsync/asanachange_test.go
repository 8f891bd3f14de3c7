package main

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

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
