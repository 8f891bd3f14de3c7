package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// fastRetries keeps retried 5xx and malformed answers from slowing a test.
var fastRetries = hooks{clientOpts: []asana.Option{asana.WithRetryWait(time.Millisecond, 2*time.Millisecond)}}

// ---- -suggest and spreadsheet formulas ----

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
func TestSuggestNeutralisesFormulas(t *testing.T) {
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

// ---- refused tokens and tokens echoed back ----

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

// A token revoked during the sync (every sub-goal request answers 401)
// stops the whole sync: exit 1, nothing written, and no request per goal.
func TestRevokedTokenMidSyncExitsOne(t *testing.T) {
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

// secretOf is the part of a test token after its user prefix: what a
// partial echo would show.
func secretOf(tok string) string { return tok[strings.LastIndex(tok, ":")+1:] }

// An error page or message that echoes the request's Authorization header
// reaches neither stdout (text or JSON) nor stderr with the token in it.
func TestEchoedTokenNeverPrinted(t *testing.T) {
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
func TestLongRetryAfterExitsOne(t *testing.T) {
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
