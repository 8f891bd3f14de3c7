package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// dbRows returns every row of the store's tables in the SQLite database at
// path, one line each, in key order; without the synced_at column when
// withSyncedAt is false (an upsert of an unchanged goal moves it).
func dbRows(t *testing.T, path string, withSyncedAt bool) []string {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	goalCols := "employee_id, gid, position, name, description, start_on, due_on, status, raw_status, " +
		"progress_initial, progress_current, progress_target, progress_unit, progress_currency"
	if withSyncedAt {
		goalCols += ", synced_at"
	}
	var out []string
	for _, q := range []string{
		"SELECT 'goal', " + goalCols + " FROM asana_goals ORDER BY employee_id, gid",
		"SELECT 'kr', employee_id, goal_gid, gid, position, name, status, raw_status, due_on, " +
			"progress_initial, progress_current, progress_target, progress_unit, progress_currency " +
			"FROM asana_goal_key_results ORDER BY employee_id, goal_gid, gid",
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fields := make([]string, len(vals))
			for i, v := range vals {
				switch v := v.(type) {
				case nil:
					fields[i] = "NULL"
				case string:
					fields[i] = strconv.Quote(v)
				case []byte:
					fields[i] = strconv.Quote(string(v))
				default:
					fields[i] = fmt.Sprint(v)
				}
			}
			out = append(out, strings.Join(fields, "\t"))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

// goalRows returns the rows of asana_goals among rows.
func goalRows(rows []string) []string {
	return slices.DeleteFunc(slices.Clone(rows), func(r string) bool { return !strings.HasPrefix(r, `"goal"`+"\t") })
}

// goalKeys returns the employee_id/gid of every stored goal.
func goalKeys(rows []string) []string {
	var keys []string
	for _, r := range rows {
		if f := strings.Split(r, "\t"); f[0] == `"goal"` {
			keys = append(keys, f[1]+" "+f[2])
		}
	}
	return keys
}

func countGoalRows(rows []string) int { return len(goalKeys(rows)) }

// withoutGoals returns a copy of ws without the goals drop selects, and
// without sub-goal links to them.
func withoutGoals(t *testing.T, ws *asanafake.Workspace, drop func(asanafake.Goal) bool) *asanafake.Workspace {
	t.Helper()
	c := ws.Clone()
	gone := map[string]bool{}
	kept := c.Goals[:0]
	for _, g := range c.Goals {
		if drop(g) {
			gone[g.GID] = true
			continue
		}
		kept = append(kept, g)
	}
	c.Goals = kept
	for i := range c.Goals {
		c.Goals[i].SubgoalGIDs = slices.DeleteFunc(c.Goals[i].SubgoalGIDs, func(gid string) bool { return gone[gid] })
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// The two-run story through the command with -db on SQLite: a sync stores
// rows; a sync against an Asana that fails exits 1 and leaves the rows as
// they were; a sync against a workspace that lost most of the employees'
// goals exits 3 and removes nothing; the same with -confirm-removals
// removes them.
func TestDBTwoRunStory(t *testing.T) {
	ws, emps := generated(t)
	srv, url := fake(t, ws, asanafake.Options{})
	people := employeesJSON(t, emps)
	path := filepath.Join(t.TempDir(), "goals.db") // created by the first run
	base := []string{"-base-url", url, "-workspace", ws.GID, "-employees", people, "-rate", "600000", "-db", path}
	run := func(t *testing.T, extra ...string) result {
		t.Helper()
		return runCmdWith(t, context.Background(), tokenEnvMap(testToken), fastRetries, append(slices.Clone(base), extra...)...)
	}

	// (a) The first sync creates the database and stores every kept goal.
	res := run(t, "-format", "json")
	res.wantCode(t, exitOK)
	v := decodeTyped(t, res.stdout)
	checkAgainstWorkspace(t, ws, emps, v.Goals)
	stored, storedContent := dbRows(t, path, true), dbRows(t, path, false)
	if n, want := countGoalRows(stored), keptGoals(ws, emps); n != want || want == 0 {
		t.Fatalf("%d goals in the database after the first sync, want %d", n, want)
	}

	// (b) A failed sync changes no row.
	for _, tc := range []struct {
		name      string
		intercept func(w http.ResponseWriter, r *http.Request) bool
		// untouched: nothing fetched whole, so not even synced_at moves.
		untouched bool
		want      string
	}{
		{"the goal list answers data null", func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/goals" {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"data":null}`)
			return true
		}, true, "workspace scan failed"},
		{"the goal list answers an empty object", func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/goals" {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{}`)
			return true
		}, true, "workspace scan failed"},
		{"every request answers 500", func(w http.ResponseWriter, r *http.Request) bool {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"errors":[{"message":"Server Error"}]}`)
			return true
		}, true, "500"},
		{"the token is revoked during the sync", func(w http.ResponseWriter, r *http.Request) bool {
			if !asanafake.ListsSubgoals(r, "") {
				return false
			}
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"message":"Not Authorized"}]}`)
			return true
		}, true, "401"},
		{"the second page fails", func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/goals" || r.URL.Query().Get("offset") == "" {
				return false
			}
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
			return true
		}, false, "workspace scan failed after 100 goals"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, badURL := fake(t, ws, asanafake.Options{Intercept: tc.intercept})
			for _, format := range []string{"text", "json"} {
				args := append(slices.Clone(base), "-format", format)
				args[1] = badURL
				res := runCmdWith(t, context.Background(), tokenEnvMap(testToken), fastRetries, args...)
				res.wantCode(t, exitFailed)
				res.wantOneErrorLine(t, "goalsync: sync failed: ", tc.want)
				want := storedContent
				if tc.untouched {
					want = stored
				}
				if got := dbRows(t, path, tc.untouched); !slices.Equal(got, want) {
					t.Fatalf("%s: a failed sync changed the database: %d rows, were %d", format, len(got), len(stored))
				}
				// The output reads the store: what earlier syncs stored.
				if format == "json" {
					if n := len(decodeTyped(t, res.stdout).Goals); n != countGoalRows(stored) {
						t.Errorf("json output shows %d goals, the database holds %d", n, countGoalRows(stored))
					}
				} else if got := strings.Count(res.stdout, "\n[GOALS]\n"); got != len(emps)-1 {
					t.Errorf("text output shows %d [GOALS] blocks of stored goals, want %d:\n%s", got, len(emps)-1, res.stdout)
				}
			}
		})
	}

	// (c) Asana now lists a tenth of the employees' goals: the removals
	// are held back, every row stays, and the command exits 3.
	mapped := map[string]bool{}
	for _, e := range emps {
		if e.AsanaUserGID != "" {
			mapped[e.AsanaUserGID] = true
		}
	}
	n := 0
	shrunk := withoutGoals(t, ws, func(g asanafake.Goal) bool {
		if !mapped[g.OwnerGID] {
			return false
		}
		n++
		return n%10 != 0
	})
	srv.SetWorkspace(shrunk)
	before := dbRows(t, path, false)
	removed := countGoalRows(before) - keptGoals(shrunk, emps)

	res = run(t)
	res.wantCode(t, exitPartial)
	res.wantOneErrorLine(t, "removals held back", fmt.Sprintf("would remove %d stored goals", removed), "-confirm-removals")
	for _, want := range []string{fmt.Sprintf("removals held       %d stored goals", removed), "-confirm-removals",
		fmt.Sprintf("but %d removals held back", removed)} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, res.stdout)
		}
	}
	// Goals stay as they were; a kept goal's Key Results follow Asana.
	if got := goalRows(dbRows(t, path, false)); !slices.Equal(got, goalRows(before)) {
		t.Fatalf("held removals changed the stored goals: %d goal rows, were %d", len(got), len(goalRows(before)))
	}
	res = run(t, "-format", "json")
	res.wantCode(t, exitPartial)
	if v := decodeTyped(t, res.stdout); v.Report.RemovalsHeld != removed || len(v.Goals) != countGoalRows(before) {
		t.Errorf("json report: removals_held %d (want %d), %d goals shown (want the %d stored)",
			v.Report.RemovalsHeld, removed, len(v.Goals), countGoalRows(before))
	}

	// (d) Confirmed, the removals apply: the database is Asana's truth.
	res = run(t, "-confirm-removals", "-format", "json")
	res.wantCode(t, exitOK)
	v = decodeTyped(t, res.stdout)
	checkAgainstWorkspace(t, shrunk, emps, v.Goals)
	if n, want := countGoalRows(dbRows(t, path, false)), keptGoals(shrunk, emps); n != want {
		t.Errorf("%d goals in the database after the confirmed sync, want %d", n, want)
	}

	// A small change applies without confirmation: one goal gone.
	var first string
	for _, g := range shrunk.Goals {
		if mapped[g.OwnerGID] {
			first = g.GID
			break
		}
	}
	smaller := withoutGoals(t, shrunk, func(g asanafake.Goal) bool { return g.GID == first })
	srv.SetWorkspace(smaller)
	res = run(t, "-format", "json")
	res.wantCode(t, exitOK)
	checkAgainstWorkspace(t, smaller, emps, decodeTyped(t, res.stdout).Goals)
	if slices.ContainsFunc(goalKeys(dbRows(t, path, false)), func(k string) bool { return strings.HasSuffix(k, strconv.Quote(first)) }) {
		t.Errorf("goal %s, deleted in Asana, is still stored", first)
	}
}

// The README's story with the demo: a sync into a SQLite file, a sync that
// fails (here, it is interrupted as it sends its first request), and the
// same rows after. Interrupted, the command reads nothing back: its output
// is the report, which says so.
func TestDemoDBFailedRunKeepsRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "goals.db")
	res := runCmd(t, nil, "-demo", "-db", path)
	res.wantCode(t, exitOK)
	stored := dbRows(t, path, true)
	if countGoalRows(stored) == 0 {
		t.Fatal("the demo stored no goal")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interrupt := asana.WithHTTPClient(&http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		cancel() // a signal, as the first request leaves
		return http.DefaultTransport.RoundTrip(r)
	})})
	res = runCmdWith(t, ctx, nil, hooks{clientOpts: []asana.Option{interrupt}}, "-demo", "-db", path)
	res.wantCode(t, exitFailed)
	res.wantOneErrorLine(t, "sync failed", "(interrupted)")
	if got := dbRows(t, path, true); !slices.Equal(got, stored) {
		t.Errorf("the failed sync changed the database")
	}
	if !strings.Contains(res.stdout, "Result: the sync failed") || !strings.Contains(res.stdout, "The stored goals were not read back") {
		t.Errorf("the interrupted run's output is not the report saying that the stored goals were not read back:\n%s", res.stdout)
	}
}

// A -db that cannot be used is a configuration error: exit 2, one line
// that says why (without a password), and nothing requested from Asana.
func TestDBErrors(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	emps := demoEmployeesCSV(t)
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	const password = "hunter2pw"
	real := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", emps}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"a directory", []string{"-db", dir}, []string{"-db " + dir + ": a directory"}},
		{"in a missing directory", []string{"-db", filepath.Join(dir, "missing", "goals.db")}, []string{"directory " + filepath.Join(dir, "missing") + " does not exist"}},
		{"not a database", []string{"-db", notDB}, []string{"-db " + notDB, "not a database"}},
		{"empty", []string{"-db", ""}, []string{"-db: empty"}},
		{"another scheme", []string{"-db", "mysql://u:" + password + "@localhost/db"}, []string{"mysql:// databases are not supported"}},
		{"postgres URL that does not parse", []string{"-db", "postgres://u:" + password + "@[::1/db"}, []string{"not a valid PostgreSQL URL"}},
		{"postgres server not there", []string{"-db", "postgresql://u:" + password + "@127.0.0.1:1/db?connect_timeout=5"},
			[]string{"-db postgresql://u:xxxxx@127.0.0.1:1/db", "cannot open the database"}},
		{"with -check", []string{"-check", "-db", filepath.Join(dir, "g.db")}, []string{"-db, -confirm-removals and -removal-threshold are for a sync"}},
		{"-confirm-removals with -suggest", []string{"-suggest", "-confirm-removals"}, []string{"are for a sync"}},
		{"threshold zero", []string{"-removal-threshold", "0"}, []string{"-removal-threshold must be a share above 0 and at most 1"}},
		{"threshold above one", []string{"-removal-threshold", "1.5"}, []string{"-removal-threshold must be"}},
		{"threshold NaN", []string{"-removal-threshold", "NaN"}, []string{"-removal-threshold must be"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCmd(t, tokenEnvMap(testToken), append(slices.Clone(real), tc.args...)...)
			res.wantCode(t, exitUsage)
			res.wantOneErrorLine(t, tc.want...)
			if strings.Contains(res.stderr, password) {
				t.Errorf("stderr shows the database password: %q", res.stderr)
			}
			if res.stdout != "" {
				t.Errorf("stdout not empty:\n%s", res.stdout)
			}
		})
	}
	res := runCmd(t, nil, "-demo", "-db", "postgres://u@localhost/db")
	res.wantCode(t, exitUsage)
	res.wantOneErrorLine(t, "-demo with -db takes a SQLite file only")
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "g.db")); err == nil {
		t.Errorf("-check created the -db file")
	}
}

// A database file the command may not write is refused before any request.
func TestDBReadOnly(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes read-only files")
	}
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	path := filepath.Join(t.TempDir(), "goals.db")
	res := runCmd(t, nil, "-demo", "-db", path)
	res.wantCode(t, exitOK)
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	res = runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", asanafake.DemoWorkspaceGID,
		"-employees", demoEmployeesCSV(t), "-db", path)
	res.wantCode(t, exitUsage)
	res.wantOneErrorLine(t, "cannot write to the database")
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
}

// A -db value is a PostgreSQL URL only with the postgres or postgresql
// scheme; anything else is a SQLite path, escaped into a file: URI.
func TestParseDB(t *testing.T) {
	for _, tc := range []struct {
		in      string
		dialect sqlstore.Dialect
		shown   string
		dsn     string
	}{
		{"goals.db", sqlstore.SQLite, "goals.db", "file:goals.db?" + sqlitePragmas},
		{"/var/lib/goals?#%.db", sqlstore.SQLite, "/var/lib/goals?#%.db", "file:/var/lib/goals%3f%23%25.db?" + sqlitePragmas},
		{"./a://b.db", sqlstore.SQLite, "./a://b.db", "file:./a://b.db?" + sqlitePragmas},
		{"postgres://u:pw@db.example.com/goals?sslmode=require", sqlstore.Postgres, "postgres://u:xxxxx@db.example.com/goals?sslmode=require",
			"postgres://u:pw@db.example.com/goals?sslmode=require"},
		{"host=db.example.com password='p w' dbname=goals", sqlstore.Postgres, "host=db.example.com password=xxxxx dbname=goals",
			"host=db.example.com password='p w' dbname=goals"},
		{"PostgreSQL://db.example.com/goals", sqlstore.Postgres, "PostgreSQL://db.example.com/goals", "PostgreSQL://db.example.com/goals"},
	} {
		got, err := parseDB(tc.in)
		if err != nil {
			t.Errorf("parseDB(%q): %v", tc.in, err)
			continue
		}
		if got.dialect != tc.dialect || !strings.EqualFold(got.shown, tc.shown) || got.dsn != tc.dsn {
			t.Errorf("parseDB(%q) = %+v, want %v %q %q", tc.in, got, tc.dialect, tc.shown, tc.dsn)
		}
	}
}

// -db with PostgreSQL, when a server is at hand: the first sync migrates
// and stores, and the output reads back from it.
func TestDBPostgres(t *testing.T) {
	admin, dsn, schema := postgresSchema(t)

	ws, emps := generated(t)
	_, url := fake(t, ws, asanafake.Options{})
	args := []string{"-base-url", url, "-workspace", ws.GID, "-employees", employeesJSON(t, emps), "-rate", "600000",
		"-db", dsn, "-format", "json"}
	for range 2 {
		res := runCmd(t, tokenEnvMap(testToken), args...)
		res.wantCode(t, exitOK)
		checkAgainstWorkspace(t, withoutNUL(ws), emps, decodeTyped(t, res.stdout).Goals)
	}
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM " + schema + ".asana_goals").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := keptGoals(ws, emps); n != want {
		t.Errorf("%d goals in PostgreSQL, want %d", n, want)
	}
}

// postgresSchema returns a connection to the test server, the DSN of an
// empty schema of the test's own there, and the schema's name; the schema
// goes when the test ends. Without a server the test is skipped (but in
// CI).
func postgresSchema(t *testing.T) (admin *sql.DB, dsn, schema string) {
	t.Helper()
	dsn = os.Getenv("ASANAGOALS_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("ASANAGOALS_POSTGRES_DSN is not set: CI must run the PostgreSQL tests (.ci/run starts a server)")
		}
		t.Skip("ASANAGOALS_POSTGRES_DSN is not set; .ci/run starts a PostgreSQL server and sets it")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema = fmt.Sprintf("goalsync_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return admin, dsn + sep + "search_path=" + schema, schema
}

// withoutNUL is ws as PostgreSQL keeps it: its text type cannot hold NUL, and
// sqlstore stores U+FFFD in its place (see goals/sqlstore).
func withoutNUL(ws *asanafake.Workspace) *asanafake.Workspace {
	c := &asanafake.Workspace{GID: ws.GID, Name: ws.Name, Users: ws.Users, Goals: slices.Clone(ws.Goals)}
	for i := range c.Goals {
		c.Goals[i].Name = strings.ReplaceAll(c.Goals[i].Name, "\x00", "\uFFFD")
	}
	return c
}

// partOf reports the first run of four or more characters of secret
// found in out, or "".
func partOf(secret, out string) string {
	const minPart = 4
	for i := 0; i+minPart <= len(secret); i++ {
		if p := secret[i : i+minPart]; strings.Contains(out, p) {
			return p
		}
	}
	return ""
}

// A PostgreSQL password given in any form pgx accepts (the URL's user
// info, a password= query parameter, a key/value DSN's password=, quoted
// or not) never shows, whole or in part: the -db value is shown with the
// password replaced.
func TestDBPasswordNeverShown(t *testing.T) {
	t.Chdir(t.TempDir()) // a -db misread as a SQLite path lands here
	_, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	real := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", demoEmployeesCSV(t)}
	const pw = "Qv7Zk9Jw3Xp"
	for _, tc := range []struct {
		name, db, shown string
	}{
		{"user info", "postgres://admin:" + pw + "@127.0.0.1:1/goals?sslmode=disable&connect_timeout=5",
			"-db postgres://admin:xxxxx@127.0.0.1:1/goals?sslmode=disable&connect_timeout=5"},
		{"query parameter", "postgres://admin@127.0.0.1:1/goals?sslmode=disable&password=" + pw + "&connect_timeout=5",
			"-db postgres://admin@127.0.0.1:1/goals?sslmode=disable&password=xxxxx&connect_timeout=5"},
		{"query parameter escaped", "postgresql://admin@127.0.0.1:1/goals?password=" + pw + "%21%40&connect_timeout=5",
			"-db postgresql://admin@127.0.0.1:1/goals?password=xxxxx&connect_timeout=5"},
		{"both", "postgres://admin:" + pw + "1@127.0.0.1:1/goals?password=" + pw + "2&connect_timeout=5",
			"-db postgres://admin:xxxxx@127.0.0.1:1/goals?password=xxxxx&connect_timeout=5"},
		{"key/value", "host=127.0.0.1 port=1 user=admin password=" + pw + " dbname=goals sslmode=disable connect_timeout=5",
			"-db host=127.0.0.1 port=1 user=admin password=xxxxx dbname=goals sslmode=disable connect_timeout=5"},
		{"key/value quoted", "host=127.0.0.1 port=1 user=admin password = '" + pw + ` \' x' dbname=goals connect_timeout=5`,
			"-db host=127.0.0.1 port=1 user=admin password=xxxxx dbname=goals connect_timeout=5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCmd(t, tokenEnvMap(testToken), append(slices.Clone(real), "-db", tc.db)...)
			if p := partOf(pw, res.stdout+res.stderr); p != "" {
				t.Errorf("the output shows %q of the password:\nstdout:\n%s\nstderr:\n%s", p, res.stdout, res.stderr)
			}
			res.wantCode(t, exitUsage)
			res.wantOneErrorLine(t, tc.shown+": cannot open the database", "nothing was requested")
		})
	}
	res := runCmd(t, nil, "-demo", "-db", "host=127.0.0.1 password="+pw)
	res.wantCode(t, exitUsage)
	res.wantOneErrorLine(t, "-demo with -db takes a SQLite file only")
	if entries, _ := os.ReadDir("."); len(entries) > 0 {
		t.Errorf("a PostgreSQL -db was taken for a SQLite file: %s created", entries[0].Name())
	}
}

// roundTripFunc is an http.RoundTripper from a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A -db that is a symbolic link SQLite cannot follow is refused before
// anything is opened, with a line that names the cause instead of
// SQLite's bare "unable to open database file": a link whose target lies
// in a directory that does not exist, and a loop of links. A dangling link
// into a directory that exists is a new database, created through the
// link.
func TestDBSymlinkRefused(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	real := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", demoEmployeesCSV(t)}
	symlink := func(t *testing.T, target, link string) {
		t.Helper()
		if err := os.Symlink(target, link); err != nil {
			t.Skipf("cannot make a symbolic link here: %v", err)
		}
	}
	for _, tc := range []struct {
		name string
		path func(t *testing.T, dir string) string
		want func(dir string) []string
	}{
		{"into a missing directory", func(t *testing.T, dir string) string {
			link := filepath.Join(dir, "goals.db")
			symlink(t, filepath.Join(dir, "missing", "goals.db"), link)
			return link
		}, func(dir string) []string {
			return []string{"-db " + filepath.Join(dir, "goals.db") + ": a symbolic link to " + filepath.Join(dir, "missing", "goals.db"),
				"directory " + filepath.Join(dir, "missing") + " does not exist"}
		}},
		{"through a chain, relative", func(t *testing.T, dir string) string {
			link := filepath.Join(dir, "goals.db")
			symlink(t, "second.db", link)
			symlink(t, filepath.Join("gone", "goals.db"), filepath.Join(dir, "second.db"))
			return link
		}, func(dir string) []string {
			return []string{"a symbolic link to " + filepath.Join(dir, "gone", "goals.db"), "directory " + filepath.Join(dir, "gone") + " does not exist"}
		}},
		{"a loop", func(t *testing.T, dir string) string {
			a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
			symlink(t, b, a)
			symlink(t, a, b)
			return a
		}, func(dir string) []string {
			return []string{"-db " + filepath.Join(dir, "a.db") + ": a loop of symbolic links"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tc.path(t, dir)
			res := runCmd(t, tokenEnvMap(testToken), append(slices.Clone(real), "-db", path)...)
			res.wantCode(t, exitUsage)
			res.wantOneErrorLine(t, tc.want(dir)...)
			if strings.Contains(res.stderr, "unable to open database file") {
				t.Errorf("stderr gives SQLite's bare error: %q", res.stderr)
			}
		})
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}

	dir := t.TempDir()
	link := filepath.Join(dir, "goals.db")
	symlink(t, filepath.Join(dir, "target.db"), link)
	runCmd(t, nil, "-demo", "-db", link).wantCode(t, exitOK)
	if fi, err := os.Stat(filepath.Join(dir, "target.db")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the dangling link's target was not created: %v", err)
	}
}

// A PostgreSQL -db whose search path starts with pg_temp would keep the
// goals in temporary tables, gone when the command ends, and still report
// a complete sync: it is refused as -db :memory: is, exit 2 before any
// request, with one line that says why, and nothing created.
func TestDBPostgresTemporarySchemaRefused(t *testing.T) {
	admin, dsn, schema := postgresSchema(t)
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	db := strings.Replace(dsn, "search_path="+schema, "search_path=pg_temp,"+schema, 1)
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", asanafake.DemoWorkspaceGID,
		"-employees", demoEmployeesCSV(t), "-db", db)
	res.wantCode(t, exitUsage)
	res.wantOneErrorLine(t, "asana_goals is a temporary table", "starts with pg_temp", "nothing was requested from Asana")
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
	var n int
	if err := admin.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = $1`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d tables created in %s", n, schema)
	}
}

// One -db holds one workspace's goals per employee. A sync of another
// workspace with the same employee file (Asana user GIDs are the same in
// every workspace) would replace the first workspace's goals, removing
// those it does not have: it is refused before any request, exit 2, with
// one line that names both workspaces, and the stored goals stay.
func TestDBRefusesAnotherWorkspace(t *testing.T) {
	first := asanafake.DemoWorkspace()
	other := withoutGoals(t, first, func(asanafake.Goal) bool { return true })
	other.GID, other.Name = "1209000000000777", "Another workspace"
	emps := demoEmployeesCSV(t)
	dbs := map[string]func(t *testing.T) (db string, rows func() []string){
		"sqlite": func(t *testing.T) (string, func() []string) {
			path := filepath.Join(t.TempDir(), "goals.db")
			return path, func() []string { return dbRows(t, path, true) }
		},
		"postgres": func(t *testing.T) (string, func() []string) {
			admin, dsn, schema := postgresSchema(t)
			return dsn, func() []string {
				var n int
				if err := admin.QueryRow(`SELECT count(*) FROM ` + schema + `.asana_goals`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return []string{strconv.Itoa(n)}
			}
		},
	}
	for name, open := range dbs {
		t.Run(name, func(t *testing.T) {
			db, rows := open(t)
			_, url := fake(t, first, asanafake.Options{})
			runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", first.GID, "-employees", emps, "-db", db).wantCode(t, exitOK)
			before := rows()

			srv, url := fake(t, other, asanafake.Options{})
			res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", other.GID, "-employees", emps, "-db", db)
			res.wantCode(t, exitUsage)
			res.wantOneErrorLine(t, "workspace "+first.GID, "workspace "+other.GID, "emp-001", "nothing was requested from Asana")
			if n := srv.Stats().Requests; n != 0 {
				t.Errorf("%d requests reached Asana, want none", n)
			}
			if after := rows(); !slices.Equal(after, before) {
				t.Errorf("the refused sync changed the stored goals:\nbefore %q\nafter  %q", before, after)
			}
			// The first workspace still syncs into it.
			_, url = fake(t, first, asanafake.Options{})
			runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", first.GID, "-employees", emps, "-db", db).wantCode(t, exitOK)
		})
	}
}

// goalsync -demo writes its made-up goals only to a SQLite file that holds
// nothing else: a new file, or one an earlier demo wrote. A file holding
// goals a real sync stored (the demo's employee IDs, emp-001…, are common
// ones) or another program's tables is refused before anything is
// written: exit 2, one line that says why, the file unchanged.
func TestDemoDBRefusesRealData(t *testing.T) {
	t.Run("goals of a real sync", func(t *testing.T) {
		real := asanafake.DemoWorkspace().Clone()
		real.GID, real.Name = "1209000000000888", "A real workspace"
		_, url := fake(t, real, asanafake.Options{})
		path := filepath.Join(t.TempDir(), "goals.db")
		runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", real.GID, "-employees", demoEmployeesCSV(t), "-db", path).wantCode(t, exitOK)
		before := dbRows(t, path, true)
		res := runCmd(t, nil, "-demo", "-db", path)
		res.wantCode(t, exitUsage)
		res.wantOneErrorLine(t, "-db "+path, "workspace "+real.GID, "the demo")
		if after := dbRows(t, path, true); !slices.Equal(after, before) {
			t.Errorf("the refused demo changed the database")
		}
	})
	t.Run("another program's database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "app.db")
		execSQL(t, "sqlite", sqliteDSN(path), `CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)`,
			`INSERT INTO invoices (total) VALUES (12.5)`)
		res := runCmd(t, nil, "-demo", "-db", path)
		res.wantCode(t, exitUsage)
		res.wantOneErrorLine(t, "-db "+path, "invoices", "the demo")
		db, err := sql.Open("sqlite", sqliteDSN(path))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name LIKE 'asana%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("the refused demo created %d tables", n)
		}
	})
	t.Run("an earlier demo's file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "demo.db")
		runCmd(t, nil, "-demo", "-db", path).wantCode(t, exitOK)
		runCmd(t, nil, "-demo", "-db", path).wantCode(t, exitOK)
		empty := filepath.Join(t.TempDir(), "empty.db")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		runCmd(t, nil, "-demo", "-db", empty).wantCode(t, exitOK)
	})
}

// lockGuard bounds how long a test waits for a command that the rule
// under test says must end by its -timeout or a signal (plus the short
// bound of its read-back); past it the rule is broken. It orders nothing.
const lockGuard = 40 * time.Second

// lockGoals takes LOCK TABLE asana_goals IN ACCESS EXCLUSIVE MODE in a
// session of its own on dsn, held until the test ends. It may run on any
// goroutine.
func lockGoals(t *testing.T, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		db.Close()
		return err
	}
	t.Cleanup(func() {
		_ = tx.Rollback()
		db.Close()
	})
	_, err = tx.Exec("LOCK TABLE asana_goals IN ACCESS EXCLUSIVE MODE")
	return err
}

// waitForLockWaiter returns once a session waits for a lock on the
// schema's asana_goals, or when ctx ends.
func waitForLockWaiter(ctx context.Context, admin *sql.DB, schema string) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var n int
		if err := admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks
			WHERE NOT granted AND relation = to_regclass($1)`, schema+".asana_goals").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// runGuarded runs the command on a goroutine and returns its result, or
// false when it has not ended within guard.
func runGuarded(t *testing.T, ctx context.Context, guard time.Duration, args ...string) (result, bool) {
	t.Helper()
	ch := make(chan result, 1)
	go func() { ch <- runCmdCtx(t, ctx, tokenEnvMap(testToken), args...) }()
	select {
	case r := <-ch:
		return r, true
	case <-time.After(guard):
		return result{}, false
	}
}

// A PostgreSQL table locked by another session (LOCK TABLE … ACCESS
// EXCLUSIVE), before the run or once the sync has started, does not keep
// the command past its -timeout, nor past an interrupt: every database
// step (the open's write probe, the sync's reads and writes, the read-back
// of the output after a -timeout) ends, and the command exits 1 with one
// line that says why: the database was waiting on a lock, or the
// interrupt (after which the stored goals are not read back).
func TestLockedTableEndsTheRun(t *testing.T) {
	for _, tc := range []struct {
		name      string
		midSync   bool // the lock is taken at the first request to Asana, not before the run
		timeout   string
		interrupt bool
		want      []string
	}{
		{"before the run, by -timeout", false, "3s", false, []string{"cannot write to the database", "waiting on a lock"}},
		{"before the run, by a signal", false, "0", true, []string{"cannot write to the database", "(interrupted)"}},
		{"during the sync, by -timeout", true, "3s", false, []string{"the output lacks the stored goals of 3 employees", "waiting on a lock"}},
		{"during the sync, by a signal", true, "0", true, []string{"sync failed", "(interrupted)", "the stored goals were not read back"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			admin, dsn, schema := postgresSchema(t)
			var armed atomic.Bool // the first request after this locks the table
			var once sync.Once
			locked := make(chan error, 1)
			srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{Intercept: func(http.ResponseWriter, *http.Request) bool {
				if armed.Load() {
					once.Do(func() { locked <- lockGoals(t, dsn) })
				}
				return false
			}})
			args := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", demoEmployeesCSV(t), "-db", dsn}
			runCmd(t, tokenEnvMap(testToken), args...).wantCode(t, exitOK) // tables and goals
			if tc.midSync {
				armed.Store(true)
			} else if err := lockGoals(t, dsn); err != nil {
				t.Fatal(err)
			}
			before := srv.Stats().Requests

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.interrupt {
				go func() {
					wctx, wcancel := context.WithTimeout(ctx, lockGuard)
					defer wcancel()
					if err := waitForLockWaiter(wctx, admin, schema); err == nil {
						cancel() // the signal's context, as main's
					}
				}()
			}
			res, done := runGuarded(t, ctx, lockGuard, append(args, "-timeout", tc.timeout)...)
			if !done {
				t.Fatalf("the command waited on the locked table for more than %s", lockGuard)
			}
			res.wantCode(t, exitFailed)
			res.wantOneErrorLine(t, tc.want...)
			if tc.midSync && !strings.Contains(res.stdout, "Result: ") {
				t.Errorf("no report on stdout:\n%s", res.stdout)
			}
			if requested := srv.Stats().Requests > before; requested != tc.midSync {
				t.Errorf("requests sent to Asana: %v, want %v", requested, tc.midSync)
			}
			if tc.midSync {
				if err := <-locked; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// execSQL runs stmts on the database driver opens at dsn.
func execSQL(t *testing.T, driver, dsn string, stmts ...string) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range stmts {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// immutable makes dir immutable (chattr +i), which stops even root from
// creating files in it, until the test ends; it skips the test where
// chattr is missing or not allowed.
func immutable(t *testing.T, dir string) {
	t.Helper()
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("chattr +i %s: %v %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("chattr", "-i", dir).CombinedOutput(); err != nil {
			t.Errorf("chattr -i %s: %v %s", dir, err, out)
		}
	})
	if f, err := os.CreateTemp(dir, "probe"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skipf("chattr +i does not stop file creation in %s here", dir)
	}
}

// A database that opens and reads but cannot take the store's writes is
// refused before the first request to Asana (exit 2, one line that says
// what is wrong): a SQLite file in a directory where its journal cannot be
// created, a column the host added NOT NULL, a column the host dropped.
// The write that proves it is rolled back: the stored rows stay.
func TestDBWriteProbe(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	emps := demoEmployeesCSV(t)
	real := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", emps}

	// sqliteDB returns a SQLite database that a first run made.
	sqliteDB := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "goals.db")
		runCmd(t, tokenEnvMap(testToken), append(real, "-db", path)...).wantCode(t, exitOK)
		return path
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) (db string, want []string)
	}{
		{"sqlite: the journal cannot be created", func(t *testing.T) (string, []string) {
			path := sqliteDB(t)
			immutable(t, filepath.Dir(path))
			return path, []string{"cannot write to the database", "directory " + filepath.Dir(path), "journal"}
		}},
		{"sqlite: a NOT NULL column of the host's", func(t *testing.T) (string, []string) {
			path := filepath.Join(t.TempDir(), "goals.db")
			db, err := sql.Open("sqlite", sqliteDSN(path))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			s, _ := sqlstore.New(db, sqlstore.SQLite)
			schema := s.Schema()
			schema[0] = strings.Replace(schema[0], "(\n", "(\n\thost_note TEXT NOT NULL,\n", 1)
			execSQL(t, "sqlite", sqliteDSN(path), schema...)
			return path, []string{"cannot write to the database", "host_note"}
		}},
		{"sqlite: a dropped column", func(t *testing.T) (string, []string) {
			path := sqliteDB(t)
			execSQL(t, "sqlite", sqliteDSN(path), "ALTER TABLE asana_goals DROP COLUMN description")
			return path, []string{"asana_goals.description"}
		}},
		{"postgres: a NOT NULL column of the host's", func(t *testing.T) (string, []string) {
			_, dsn, _ := postgresSchema(t)
			runCmd(t, tokenEnvMap(testToken), append(real, "-db", dsn)...).wantCode(t, exitOK)
			execSQL(t, "pgx", dsn, "ALTER TABLE asana_goal_key_results ADD COLUMN host_note TEXT NOT NULL DEFAULT 'x'",
				"ALTER TABLE asana_goal_key_results ALTER COLUMN host_note DROP DEFAULT")
			return dsn, []string{"cannot write to the database", "host_note"}
		}},
		{"postgres: a dropped column", func(t *testing.T) (string, []string) {
			_, dsn, _ := postgresSchema(t)
			runCmd(t, tokenEnvMap(testToken), append(real, "-db", dsn)...).wantCode(t, exitOK)
			execSQL(t, "pgx", dsn, "ALTER TABLE asana_goals DROP COLUMN progress_unit")
			return dsn, []string{"asana_goals.progress_unit"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, want := tc.setup(t)
			before := srv.Stats().Requests
			res := runCmdCtx(t, context.Background(), tokenEnvMap(testToken), append(real, "-db", db)...)
			res.wantCode(t, exitUsage)
			res.wantOneErrorLine(t, append(want, "nothing was requested from Asana")...)
			if n := srv.Stats().Requests - before; n != 0 {
				t.Errorf("%d requests reached Asana, want none", n)
			}
		})
	}
}
