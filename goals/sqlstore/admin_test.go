package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/admin"
	"github.com/perfcopilot/asanagoals/goals/admin/admintest"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/goals/storetest"
)

// sealKey and otherKey are seal keys of the tests.
var (
	sealKey  = bytes.Repeat([]byte{0x5a}, sqlstore.SealKeySize)
	otherKey = bytes.Repeat([]byte{0xa5}, sqlstore.SealKeySize)
)

// backend opens a new, migrated store of one dialect.
type backend struct {
	name    string
	dialect sqlstore.Dialect
	open    func(*testing.T) *sqlstore.Store
}

var backends = []backend{
	{"sqlite", sqlstore.SQLite, openSQLite},
	{"postgres", sqlstore.Postgres, openPostgres},
}

// reopen returns another Store on s's database, with opts.
func reopen(t *testing.T, s *sqlstore.Store, d sqlstore.Dialect, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	out, err := sqlstore.New(sqlstore.DB(s), d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// keyed opens a new store of b that seals with sealKey.
func (b backend) keyed(t *testing.T) *sqlstore.Store {
	t.Helper()
	return reopen(t, b.open(t), b.dialect, sqlstore.WithSealKey(sealKey))
}

// On SQLite and PostgreSQL alike, a Store keeps every promise of the admin
// Settings, Directory and History contracts, as admintest states them for
// every implementation.
func TestStore_adminSeams(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Run("Settings", func(t *testing.T) {
				admintest.RunSettings(t, func(t *testing.T) admin.Settings { return b.keyed(t) })
			})
			t.Run("Directory", func(t *testing.T) {
				admintest.RunDirectory(t, func(t *testing.T, emps []goals.Employee) admin.Directory {
					s := b.open(t)
					if err := s.PutEmployees(context.Background(), emps); err != nil {
						t.Fatalf("PutEmployees: %v", err)
					}
					return s
				})
			})
			t.Run("History", func(t *testing.T) {
				admintest.RunHistory(t, func(t *testing.T) admin.History { return b.open(t) })
			})
		})
	}
}

// secretToken is a token whose bytes, and their encodings, a test looks
// for where they must not be.
const secretToken = "2/1200000000000001/1209999999999999:f00dfacecafebeefdeadc0de0badf00d"

// encodings returns the forms of token that must not be at rest.
func encodings(token string) map[string]string {
	b := []byte(token)
	return map[string]string{
		"plain":      token,
		"hex":        hex.EncodeToString(b),
		"HEX":        strings.ToUpper(hex.EncodeToString(b)),
		"base64":     base64.StdEncoding.EncodeToString(b),
		"base64 raw": base64.RawStdEncoding.EncodeToString(b),
		"base64 url": base64.RawURLEncoding.EncodeToString(b),
	}
}

// leaks returns the forms of token found in text.
func leaks(text []byte, token string) []string {
	var out []string
	for name, form := range encodings(token) {
		if bytes.Contains(text, []byte(form)) {
			out = append(out, name)
		}
	}
	return out
}

// rawConnection returns every column of asana_connection's rows as text.
func rawConnection(t *testing.T, db *sql.DB) []byte {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM asana_connection`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			fmt.Fprintf(&out, "%s=%s\n", cols[i], v)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// sealedColumn returns the stored token_sealed.
func sealedColumn(t *testing.T, db *sql.DB) string {
	t.Helper()
	var sealed string
	if err := db.QueryRow(`SELECT token_sealed FROM asana_connection`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	return sealed
}

// The token is sealed at rest: neither it nor its hex or base64 forms are
// in the table (nor, on SQLite, anywhere in the database's files), a new
// nonce seals each save, and it reads back whole.
func TestStore_SaveConnection_sealsTheTokenAtRest(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.keyed(t)
			ctx := context.Background()
			c := admintest.Connection(1)
			c.Token = secretToken
			if err := s.SaveConnection(ctx, c); err != nil {
				t.Fatal(err)
			}
			raw := rawConnection(t, sqlstore.DB(s))
			if found := leaks(raw, secretToken); len(found) > 0 {
				t.Errorf("the token must not be stored in the clear; asana_connection holds it %v:\n%s", found, raw)
			}
			first := sealedColumn(t, sqlstore.DB(s))
			if err := s.SaveConnection(ctx, c); err != nil {
				t.Fatal(err)
			}
			if sealedColumn(t, sqlstore.DB(s)) == first {
				t.Error("each save must seal with a new random nonce; saving the same token twice stored the same bytes")
			}
			if got, err := s.Connection(ctx); err != nil || got.Token != secretToken {
				t.Fatalf("the sealed token must read back whole: token of %d bytes, err %v", len(got.Token), err)
			}
			if b.dialect == sqlstore.SQLite {
				checkFilesClean(t, sqlstore.DB(s))
			}
		})
	}
}

// checkFilesClean fails t if the SQLite database's files hold the token in
// any form.
func checkFilesClean(t *testing.T, db *sql.DB) {
	t.Helper()
	var file string
	if err := db.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(file + "*")
	for _, name := range matches {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if found := leaks(data, secretToken); len(found) > 0 {
			t.Errorf("the token must not be stored in the clear; the file %s holds it %v", filepath.Base(name), found)
		}
	}
}

// noSecret fails t if err quotes the token, in any form, or the sealed
// value.
func noSecret(t *testing.T, err error, sealed string) {
	t.Helper()
	if found := leaks([]byte(err.Error()), secretToken); len(found) > 0 {
		t.Errorf("an error must never quote the token; %q holds it %v", err, found)
	}
	if sealed != "" && strings.Contains(err.Error(), strings.TrimPrefix(sealed, "aesgcm1:")[:16]) {
		t.Errorf("an error must not quote the sealed token: %q", err)
	}
}

// Without a seal key, a connection with a token is refused with an error
// that names the fix and quotes no token, and nothing is saved; one with
// no token is saved.
func TestStore_SaveConnection_withoutSealKey(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			ctx := context.Background()
			c := admintest.Connection(1)
			c.Token = secretToken
			err := s.SaveConnection(ctx, c)
			if !errors.Is(err, admin.ErrNoSealKey) || !strings.Contains(err.Error(), "WithSealKey") {
				t.Fatalf("a token without a seal key must be refused with an error matching admin.ErrNoSealKey and naming WithSealKey; err = %v", err)
			}
			noSecret(t, err, "")
			if _, err := s.Connection(ctx); !errors.Is(err, admin.ErrNotConnected) {
				t.Fatalf("a refused save must save nothing; Connection = %v, want ErrNotConnected", err)
			}
			c.Token = ""
			if err := s.SaveConnection(ctx, c); err != nil {
				t.Fatalf("a connection with no token needs no seal key: %v", err)
			}
			got, err := s.Connection(ctx)
			if err != nil || got.WorkspaceGID != c.WorkspaceGID || got.Token != "" {
				t.Fatalf("a connection with no token must round-trip without a key: %+v, %v", got, err)
			}
			c.Token = secretToken
			if err := s.SaveConnection(ctx, c); err == nil {
				t.Fatal("a token without a seal key must be refused, also over a saved connection")
			}
			if got, err := s.Connection(ctx); err != nil || got.Token != "" {
				t.Fatalf("a refused save must leave the saved connection; token %d bytes, err %v", len(got.Token), err)
			}
		})
	}
}

// A token sealed under one key does not open under another, nor without
// a key, nor once altered: each is an error that says why and quotes
// neither the token nor its sealed form.
func TestStore_Connection_tokenUnderAnotherKey(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.keyed(t)
			ctx := context.Background()
			c := admintest.Connection(1)
			c.Token = secretToken
			if err := s.SaveConnection(ctx, c); err != nil {
				t.Fatal(err)
			}
			sealed := sealedColumn(t, sqlstore.DB(s))
			for name, tc := range map[string]struct {
				store *sqlstore.Store
				says  string
			}{
				"another key": {reopen(t, s, b.dialect, sqlstore.WithSealKey(otherKey)), "another key"},
				"no key":      {reopen(t, s, b.dialect), "WithSealKey"},
			} {
				_, err := tc.store.Connection(ctx)
				if err == nil || !strings.Contains(err.Error(), tc.says) {
					t.Fatalf("%s: reading a token sealed under another key must fail saying %q; err = %v", name, tc.says, err)
				}
				noSecret(t, err, sealed)
			}
			altered := sealed[:len(sealed)-4] + "AAAA"
			if altered == sealed {
				altered = sealed[:len(sealed)-4] + "BBBB"
			}
			if _, err := sqlstore.DB(s).Exec(`UPDATE asana_connection SET token_sealed = $1`, altered); err != nil {
				t.Fatal(err)
			}
			_, err := s.Connection(ctx)
			if err == nil || !strings.Contains(err.Error(), "altered") {
				t.Fatalf("an altered sealed token must not open; err = %v", err)
			}
			noSecret(t, err, sealed)
		})
	}
}

// New refuses a seal key of any length but 32 bytes, saying the length given
// and the 32 needed, rather than seal settings with a weak or broken key.
func TestNew_refusesABadSealKey(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		_, err := sqlstore.New(db, sqlstore.SQLite, sqlstore.WithSealKey(make([]byte, n)))
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("is %d bytes", n)) || !strings.Contains(err.Error(), "32") {
			t.Errorf("a seal key of %d bytes must be refused, saying its size and the 32 needed; err = %v", n, err)
		}
	}
}

// PutEmployees replaces the whole directory in order, refuses an empty or
// repeated ID without changing anything, and concurrent replacements
// (several instances loading the list at start) all succeed and leave one
// list whole.
func TestStore_PutEmployees(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			ctx := context.Background()
			put(t, s, admintest.Employees())
			want := []goals.Employee{{ID: "e2", Name: "Two"}, {ID: "n1", AsanaUserGID: "1", Email: "n1@example.com"}}
			put(t, s, want)
			expectDirectory(t, s, "PutEmployees must replace the whole directory, in order", want)
			for _, bad := range [][]goals.Employee{{{ID: "x"}, {ID: ""}}, {{ID: "x"}, {ID: "y"}, {ID: "x"}}} {
				if err := s.PutEmployees(ctx, bad); err == nil {
					t.Errorf("PutEmployees must refuse an empty or repeated ID: %+v", bad)
				}
			}
			expectDirectory(t, s, "a refused PutEmployees must change nothing", want)
			var wg sync.WaitGroup
			for i := range 6 {
				wg.Go(func() {
					list := []goals.Employee{{ID: "a", Name: fmt.Sprint(i)}, {ID: "b", Name: fmt.Sprint(i)}, {ID: "c", Name: fmt.Sprint(i)}}
					if err := s.PutEmployees(ctx, list); err != nil {
						t.Errorf("concurrent PutEmployees must all succeed; %d: %v", i, err)
					}
					if err := s.MapEmployee(ctx, "b", "42"); err != nil {
						t.Errorf("MapEmployee during concurrent PutEmployees of lists holding the employee must succeed: %v", err)
					}
				})
			}
			wg.Wait()
			got, err := s.Employees(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 || got[0].Name != got[1].Name || got[1].Name != got[2].Name {
				t.Errorf("concurrent PutEmployees must leave one list whole: %+v", got)
			}
		})
	}
}

func put(t *testing.T, s *sqlstore.Store, emps []goals.Employee) {
	t.Helper()
	if err := s.PutEmployees(context.Background(), emps); err != nil {
		t.Fatalf("PutEmployees: %v", err)
	}
}

func expectDirectory(t *testing.T, s *sqlstore.Store, rule string, want []goals.Employee) {
	t.Helper()
	got, err := s.Employees(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: the directory holds %+v, want %+v", rule, got, want)
	}
}

// previousSchema is Schema as it was before the admin seams' tables
// (commit 58f23e7): the goals' tables only, with the goals' column added
// since (workspace_gid), which WriteGoals needs.
func previousSchema(real, ts string) []string {
	cols := `
	employee_id       TEXT NOT NULL,
	gid               TEXT NOT NULL,
	position          INTEGER NOT NULL,
	name              TEXT NOT NULL,`
	metric := `
	progress_initial  ` + real + `,
	progress_current  ` + real + `,
	progress_target   ` + real + `,
	progress_unit     TEXT,
	progress_currency TEXT,`
	status := `
	status            TEXT NOT NULL CHECK (status IN ('completed', 'at_risk', 'off_track', 'on_track')),
	raw_status        TEXT NOT NULL,
	status_source     TEXT NOT NULL DEFAULT '',`
	return []string{
		`CREATE TABLE IF NOT EXISTS asana_goals (` + cols + `
	description       TEXT NOT NULL,
	start_on          TEXT,
	due_on            TEXT,` + status + `
	time_period_gid   TEXT,
	time_period_name  TEXT,
	time_period_code  TEXT,
	time_period_start TEXT,
	time_period_end   TEXT,` + metric + `
	synced_at         ` + ts + ` NOT NULL,
	PRIMARY KEY (employee_id, gid)
)`,
		`CREATE TABLE IF NOT EXISTS asana_goal_key_results (
	employee_id       TEXT NOT NULL,
	goal_gid          TEXT NOT NULL,
	gid               TEXT NOT NULL,
	position          INTEGER NOT NULL,
	name              TEXT NOT NULL,` + status + `
	due_on            TEXT,` + metric + `
	PRIMARY KEY (employee_id, goal_gid, gid),
	FOREIGN KEY (employee_id, goal_gid) REFERENCES asana_goals (employee_id, gid) ON DELETE CASCADE
)`,
		`ALTER TABLE asana_goals ADD COLUMN workspace_gid TEXT`,
	}
}

// A database made by the previous Schema, with goals in it, passes
// CheckWritable (which needs the goals' tables only); Migrate, run twice,
// adds the admin seams' tables, keeps the goals, and the seams work.
func TestStore_Migrate_addsTheAdminTables(t *testing.T) {
	stores := map[string]func(*testing.T) (*sql.DB, sqlstore.Dialect, []string){
		"sqlite": func(t *testing.T) (*sql.DB, sqlstore.Dialect, []string) {
			db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "prev.db")+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db, sqlstore.SQLite, previousSchema("REAL", "TIMESTAMP")
		},
		"postgres": func(t *testing.T) (*sql.DB, sqlstore.Dialect, []string) {
			db, _ := openPostgresDB(t)
			return db, sqlstore.Postgres, previousSchema("DOUBLE PRECISION", "TIMESTAMPTZ")
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, dialect, prev := open(t)
			for _, stmt := range prev {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatalf("previous schema: %v", err)
				}
			}
			s, err := sqlstore.New(db, dialect, sqlstore.WithSealKey(sealKey))
			if err != nil {
				t.Fatal(err)
			}
			g := storetest.Goal("e1", "1", 2)
			if err := s.WriteGoals(ctx, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{g}, Complete: true}); err != nil {
				t.Fatalf("write on the previous schema: %v", err)
			}
			if err := s.CheckWritable(ctx); err != nil {
				t.Fatalf("CheckWritable must need only the goals' tables: %v", err)
			}
			if _, err := s.Connection(ctx); err == nil || errors.Is(err, admin.ErrNotConnected) {
				t.Fatalf("before Migrate the connection table must not exist; Connection = %v", err)
			}
			for i := range 2 {
				if err := s.Migrate(ctx); err != nil {
					t.Fatalf("Migrate #%d of a database made by the previous Schema: %v", i+1, err)
				}
			}
			if gs, err := s.Goals(ctx, "e1"); err != nil || len(gs) != 1 || len(gs[0].KeyResults) != 2 {
				t.Fatalf("Migrate must keep the stored goals: %+v, %v", gs, err)
			}
			useSeams(t, s)
		})
	}
}

// useSeams checks that each admin table takes a write and reads it back.
func useSeams(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	ctx := context.Background()
	c := admintest.Connection(2)
	if err := s.SaveConnection(ctx, c); err != nil {
		t.Fatalf("SaveConnection after Migrate: %v", err)
	}
	if got, err := s.Connection(ctx); err != nil || got.Token != c.Token {
		t.Fatalf("Connection after Migrate: %v", err)
	}
	put(t, s, admintest.Employees())
	expectDirectory(t, s, "the directory after Migrate", admintest.Employees())
	if err := s.AddReport(ctx, admintest.Report("1200", 1)); err != nil {
		t.Fatalf("AddReport after Migrate: %v", err)
	}
	if rs, err := s.Reports(ctx, "1200", 5); err != nil || len(rs) != 1 {
		t.Fatalf("Reports after Migrate: %d, %v", len(rs), err)
	}
}

// The admin tables' times on SQLite are ISO 8601 text too, which SQLite's
// date functions read (see TestStore_WriteGoals_sqliteSyncedAtIsISO8601):
// a connection's checked_at and saved_at, a report's created_at. Times an earlier
// version stored as time.Time.String() text read back, and Migrate
// rewrites them.
func TestStore_sqliteAdminTimesAreISO8601(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	db := sqlstore.DB(s)
	checked := time.Date(2026, 3, 4, 5, 6, 7, 890123000, time.UTC)
	if err := s.SaveConnection(ctx, admin.Connection{WorkspaceGID: "1", RequestsPerMinute: 150, CheckedAt: checked}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddReport(ctx, &goals.Report{WorkspaceGID: "1"}); err != nil {
		t.Fatal(err)
	}
	nulls := func(when string) {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT (SELECT count(*) FROM asana_connection
				WHERE julianday(checked_at) IS NULL OR julianday(saved_at) IS NULL OR checked_at NOT LIKE '%Z')
			+ (SELECT count(*) FROM asana_sync_reports WHERE julianday(created_at) IS NULL OR created_at NOT LIKE '%Z')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d admin rows with a time SQLite cannot read", when, n)
		}
		c, err := s.Connection(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !c.CheckedAt.Equal(checked) {
			t.Errorf("%s: checked_at reads back as %v, want %v", when, c.CheckedAt, checked)
		}
	}
	nulls("written")
	if _, err := db.Exec(`UPDATE asana_connection SET checked_at = $1, saved_at = $1`, checked.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE asana_sync_reports SET created_at = $1`, checked.String()); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Connection(ctx); err != nil || !c.CheckedAt.Equal(checked) {
		t.Errorf("the old form reads back as %v, %v", c.CheckedAt, err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	nulls("migrated")
}

// AddReport keeps the newest MaxReportsKept reports of a workspace and
// forgets older ones, so the table does not grow for good; another
// workspace's reports are not counted against it.
func TestStore_AddReport_keepsTheNewest(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			ctx := context.Background()
			if err := s.AddReport(ctx, admintest.Report("1300", 0)); err != nil {
				t.Fatal(err)
			}
			for i := range sqlstore.MaxReportsKept + 5 {
				if err := s.AddReport(ctx, admintest.Report("1200", i)); err != nil {
					t.Fatal(err)
				}
			}
			reps, err := s.Reports(ctx, "1200", 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(reps) != sqlstore.MaxReportsKept || reps[0].WorkspaceGoalsScanned != sqlstore.MaxReportsKept+4 ||
				reps[len(reps)-1].WorkspaceGoalsScanned != 5 {
				t.Errorf("kept %d reports, newest %d, oldest %d; want the newest %d (104 down to 5)", len(reps),
					reps[0].WorkspaceGoalsScanned, reps[len(reps)-1].WorkspaceGoalsScanned, sqlstore.MaxReportsKept)
			}
			if other, _ := s.Reports(ctx, "1300", 10); len(other) != 1 {
				t.Errorf("another workspace's report was forgotten: %d kept", len(other))
			}
		})
	}
}
