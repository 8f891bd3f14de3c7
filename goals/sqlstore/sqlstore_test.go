package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/goals/storetest"
)

func openSQLite(t *testing.T) *sqlstore.Store {
	t.Helper()
	return openSQLiteWith(t, "&_txlock=immediate")
}

// openSQLiteWith opens a new SQLite database with a busy timeout, foreign
// keys, and the given further DSN parameters.
func openSQLiteWith(t *testing.T, params string) *sqlstore.Store {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "goals.db") +
		"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" + params
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return migrated(t, db, sqlstore.SQLite)
}

func migrated(t *testing.T, db *sql.DB, d sqlstore.Dialect) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.New(db, d)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // Migrate is idempotent
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// On SQLite, a migrated Store keeps every promise of the goals.Store
// contract, as storetest.Run states it for every implementation.
func TestStore_sqlite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) goals.Store { return openSQLite(t) })
}

// A database opened without immediate transactions keeps the contract
// too: concurrent writes of one employee wait for each other instead of
// failing with SQLITE_BUSY.
func TestStore_sqliteDeferredTransactions(t *testing.T) {
	storetest.Run(t, func(t *testing.T) goals.Store { return openSQLiteWith(t, "") })
}

// postgresDSNEnv names the PostgreSQL server the tests use; .ci/run starts
// one and sets it.
const postgresDSNEnv = "ASANAGOALS_POSTGRES_DSN"

var schemaSeq atomic.Int64

// openPostgres returns a store in a schema of its own on the test server.
func openPostgres(t *testing.T) *sqlstore.Store {
	t.Helper()
	db, _ := openPostgresDB(t)
	return migrated(t, db, sqlstore.Postgres)
}

// openPostgresDB returns a database whose search path is an empty schema
// of its own on the test server, and the DSN that opens it.
func openPostgresDB(t *testing.T) (*sql.DB, string) {
	t.Helper()
	dsn := os.Getenv(postgresDSNEnv)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (.ci/run starts a server)", postgresDSNEnv)
		}
		t.Skipf("%s is not set; .ci/run starts a PostgreSQL server and sets it", postgresDSNEnv)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("storetest_%d_%d", os.Getpid(), schemaSeq.Add(1))
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	dsn += sep + "search_path=" + schema
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn
}

// On PostgreSQL, a migrated Store keeps every promise of the goals.Store
// contract, as storetest.Run states it; without a server it is skipped, but
// never in CI.
func TestStore_postgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) goals.Store { return openPostgres(t) })
}

// holdLock opens a session of its own on dsn that runs stmts in a
// transaction and keeps it open until the test ends.
func holdLock(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = tx.Rollback()
		db.Close()
	})
	for _, stmt := range stmts {
		if _, err := tx.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// A read or a write whose context has a deadline, on a table another
// session has locked (LOCK TABLE … IN ACCESS EXCLUSIVE MODE), ends before
// the deadline with an error for which IsLockWait is true: the caller
// can say the database was waiting on a lock, not only that time ran out.
func TestStore_boundLockWait_endsBeforeTheDeadline(t *testing.T) {
	db, dsn := openPostgresDB(t)
	s := migrated(t, db, sqlstore.Postgres)
	holdLock(t, dsn, "LOCK TABLE asana_goals IN ACCESS EXCLUSIVE MODE")
	for name, op := range map[string]func(context.Context) error{
		"read": func(ctx context.Context) error { _, err := s.Goals(ctx, "e1"); return err },
		"write": func(ctx context.Context) error {
			return s.WriteGoals(ctx, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{storetest.Goal("e1", "1", 0)}, Complete: true})
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err := op(ctx)
			if !sqlstore.IsLockWait(err) {
				t.Fatalf("err = %v, want a lock wait", err)
			}
			if ctx.Err() != nil {
				t.Errorf("the lock wait ended with the deadline, not before it: %v", err)
			}
		})
	}
}

// PostgreSQL's text cannot hold NUL; the store writes U+FFFD there instead
// of failing the whole employee. SQLite keeps the text as it is.
func TestStore_WriteGoals_nulCharacters(t *testing.T) {
	stores := map[string]struct {
		open      func(*testing.T) *sqlstore.Store
		name, krs string
	}{
		"sqlite":   {openSQLite, "bad\x00name", "\x00"},
		"postgres": {openPostgres, "bad\uFFFDname", "\uFFFD"},
	}
	for name, tc := range stores {
		t.Run(name, func(t *testing.T) {
			open := tc.open
			s := open(t)
			g := storetest.Goal("e1", "1", 1)
			g.Name = "bad\x00name"
			g.KeyResults[0].Name = "\x00"
			if err := s.WriteGoals(context.Background(), goals.Write{EmployeeID: "e1", Goals: []goals.Goal{g}, Complete: true}); err != nil {
				t.Fatal(err)
			}
			gs, err := s.Goals(context.Background(), "e1")
			if err != nil {
				t.Fatal(err)
			}
			if gs[0].Name != tc.name || gs[0].KeyResults[0].Name != tc.krs {
				t.Errorf("names = %q, %q", gs[0].Name, gs[0].KeyResults[0].Name)
			}
		})
	}
}

// New refuses a nil database and an unknown dialect with an error, never a
// Store that fails later.
func TestNew_refusesBadArguments(t *testing.T) {
	if _, err := sqlstore.New(nil, sqlstore.SQLite); err == nil {
		t.Error("nil db accepted")
	}
	db, _ := sql.Open("sqlite", ":memory:")
	defer db.Close()
	if _, err := sqlstore.New(db, sqlstore.Dialect(9)); err == nil {
		t.Error("unknown dialect accepted")
	}
}

// A write that fails half-way (here a trigger refuses one Key Result)
// changes nothing: not the goals upserted before it, not the removals.
func TestStore_WriteGoals_failedWriteRollsBack(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	old := []goals.Goal{storetest.Goal("e1", "1", 1), storetest.Goal("e1", "2", 0)}
	if err := s.WriteGoals(ctx, goals.Write{EmployeeID: "e1", Goals: old, Complete: true}); err != nil {
		t.Fatal(err)
	}
	db := sqlstore.DB(s)
	if _, err := db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON asana_goal_key_results
		WHEN NEW.name = 'explode' BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	renamed := storetest.Goal("e1", "1", 0)
	renamed.Name = "Renamed"
	bomb := storetest.Goal("e1", "3", 1)
	bomb.KeyResults[0].Name = "explode"
	err := s.WriteGoals(ctx, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{renamed, bomb}, Complete: true})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want the trigger's refusal", err)
	}
	gs, err := s.Goals(ctx, "e1")
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || gs[0].Name != old[0].Name || len(gs[0].KeyResults) != 1 || gs[1].GID != "2" {
		t.Errorf("store after a failed write = %+v, want it as before", gs)
	}
}

// CheckWritable writes every column and leaves nothing behind; a write
// the database refuses (here a trigger on Key Results) fails it.
func TestStore_CheckWritable(t *testing.T) {
	for name, open := range map[string]func(*testing.T) *sqlstore.Store{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			if err := s.CheckWritable(ctx); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := sqlstore.DB(s).QueryRow(`SELECT (SELECT count(*) FROM asana_goals) + (SELECT count(*) FROM asana_goal_key_results)`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%d rows left by the probe", n)
			}
			if name != "sqlite" {
				return
			}
			if _, err := sqlstore.DB(s).Exec(`CREATE TRIGGER refuse BEFORE INSERT ON asana_goal_key_results
				BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
				t.Fatal(err)
			}
			if err := s.CheckWritable(ctx); err == nil || !strings.Contains(err.Error(), "refused") {
				t.Errorf("err = %v, want the trigger's refusal", err)
			}
		})
	}
}

// The store's tables must outlive the session: PostgreSQL creates an
// unqualified table in the session's temporary schema when the search
// path starts with pg_temp (set in the URL, or as the role's or the
// database's default), and such tables vanish, with every goal written to
// them, when the connection closes. Migrate refuses to create them there,
// and CheckWritable refuses tables that are temporary, with an error that
// says so and names the search path; nothing is left behind.
func TestStore_Migrate_temporaryTablesRefused(t *testing.T) {
	ctx := context.Background()
	t.Run("postgres search_path", func(t *testing.T) {
		_, dsn := openPostgresDB(t)
		schema := dsn[strings.LastIndex(dsn, "search_path=")+len("search_path="):]
		db, err := sql.Open("pgx", strings.Replace(dsn, "search_path="+schema, "search_path=pg_temp,"+schema, 1))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1) // the temporary schema is the connection's
		s, err := sqlstore.New(db, sqlstore.Postgres)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Migrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "temporary") || !strings.Contains(err.Error(), "pg_temp") {
			t.Fatalf("Migrate with pg_temp first in the search path: err = %v, want a refusal that names the temporary schema", err)
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM pg_class WHERE relname LIKE 'asana\_%' AND relnamespace = pg_my_temp_schema()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("Migrate left %d temporary tables", n)
		}
		// Tables a host created in the temporary schema itself.
		for _, stmt := range s.Schema() {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CheckWritable(ctx); err == nil || !strings.Contains(err.Error(), "temporary") {
			t.Errorf("CheckWritable on temporary tables: err = %v, want a refusal", err)
		}
		if err := s.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "temporary") {
			t.Errorf("Migrate on temporary tables: err = %v, want a refusal", err)
		}
	})
	t.Run("sqlite temp schema", func(t *testing.T) {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "goals.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1) // SQLite's temp schema is the connection's too
		s, err := sqlstore.New(db, sqlstore.SQLite)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range s.Schema() {
			if _, err := db.Exec(strings.Replace(stmt, "CREATE TABLE", "CREATE TEMP TABLE", 1)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "temporary") {
			t.Errorf("Migrate beside temporary tables: err = %v, want a refusal", err)
		}
		if err := s.CheckWritable(ctx); err == nil || !strings.Contains(err.Error(), "temporary") {
			t.Errorf("CheckWritable on temporary tables: err = %v, want a refusal", err)
		}
	})
	// A persistent schema later in the search path is fine once the tables
	// are there: unqualified names find them, and nothing is created.
	t.Run("postgres pg_temp first, tables persistent", func(t *testing.T) {
		db, dsn := openPostgresDB(t)
		migrated(t, db, sqlstore.Postgres)
		schema := dsn[strings.LastIndex(dsn, "search_path=")+len("search_path="):]
		db2, err := sql.Open("pgx", strings.Replace(dsn, "search_path="+schema, "search_path=pg_temp,"+schema, 1))
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		s := migrated(t, db2, sqlstore.Postgres)
		if err := s.CheckWritable(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// SQLite keeps a goal's synced_at as ISO 8601 text (RFC 3339, in UTC, to
// the microsecond), which SQLite's own date functions read: datetime()
// and julianday() of it are the time written, not NULL. Rows stored by an
// earlier version as Go's time.Time.String() text still read back, and
// Migrate rewrites them in the ISO form.
func TestStore_WriteGoals_sqliteSyncedAtIsISO8601(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	db := sqlstore.DB(s)
	g := storetest.Goal("e1", "1", 0)
	if err := s.WriteGoals(ctx, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{g}, Complete: true}); err != nil {
		t.Fatal(err)
	}
	iso := g.SyncedAt.UTC().Format("2006-01-02T15:04:05.000000Z")
	check := func(when string) {
		t.Helper()
		var raw string
		var dt sql.NullString
		var jd sql.NullFloat64
		if err := db.QueryRow(`SELECT CAST(synced_at AS TEXT), datetime(synced_at), julianday(synced_at) FROM asana_goals
			WHERE employee_id = 'e1' AND gid = '1'`).Scan(&raw, &dt, &jd); err != nil {
			t.Fatal(err)
		}
		if raw != iso {
			t.Errorf("%s: synced_at is stored as %q, want %q", when, raw, iso)
		}
		if want := g.SyncedAt.UTC().Format("2006-01-02 15:04:05"); dt.String != want {
			t.Errorf("%s: datetime(synced_at) = %v, want %s", when, dt, want)
		}
		if !jd.Valid {
			t.Errorf("%s: julianday(synced_at) is NULL", when)
		}
		gs, err := s.Goals(ctx, "e1")
		if err != nil {
			t.Fatal(err)
		}
		if len(gs) != 1 || !gs[0].SyncedAt.Equal(g.SyncedAt) || gs[0].SyncedAt.Location() != time.UTC {
			t.Errorf("%s: synced_at reads back as %v, want %v", when, gs[0].SyncedAt, g.SyncedAt)
		}
	}
	check("written")

	// As earlier versions wrote it (the driver's time.Time.String()).
	old := g.SyncedAt.UTC().String()
	if _, err := db.Exec(`UPDATE asana_goals SET synced_at = $1`, old); err != nil {
		t.Fatal(err)
	}
	gs, err := s.Goals(ctx, "e1")
	if err != nil {
		t.Fatalf("a synced_at in the old form does not read back: %v", err)
	}
	if !gs[0].SyncedAt.Equal(g.SyncedAt) {
		t.Errorf("the old form %q reads back as %v", old, gs[0].SyncedAt)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	check("migrated")
}

// On PostgreSQL, a NUL in any text field of a goal or a Key Result,
// one field at a time, is written as U+FFFD, not refused: every text
// field but the keys (employee ID and GIDs, which name the row and are
// not rewritten) and the statuses (one of four words, checked before any
// write). A text field added to goals.Goal that the store does not clean
// fails here.
func TestNULCharacters_everyTextField(t *testing.T) {
	s := openPostgres(t)
	ctx := context.Background()
	notText := []string{"EmployeeID", "GID", "Status", "KeyResults[].GoalGID", "KeyResults[].GID", "KeyResults[].Status"}
	var fields []string
	eachText(reflect.ValueOf(storetest.Goal("e1", "1", 2)), "", func(path string, _ reflect.Value) {
		if !slices.Contains(notText, generic(path)) {
			fields = append(fields, path)
		}
	})
	if len(fields) < 10 {
		t.Fatalf("only %d text fields found: %q", len(fields), fields)
	}
	for _, field := range fields {
		g := storetest.Goal("e1", "1", 2)
		eachText(reflect.ValueOf(&g).Elem(), "", func(path string, v reflect.Value) {
			if path == field {
				v.SetString("a\x00b")
			}
		})
		if err := s.WriteGoals(ctx, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{g}, Complete: true}); err != nil {
			t.Errorf("%s with a NUL: %v", field, err)
			continue
		}
		gs, err := s.Goals(ctx, "e1")
		if err != nil || len(gs) != 1 {
			t.Fatalf("read back: %v, %d goals", err, len(gs))
		}
		eachText(reflect.ValueOf(gs[0]), "", func(path string, v reflect.Value) {
			if path == field && v.String() != "a\uFFFDb" {
				t.Errorf("%s with a NUL reads back as %q, want %q", field, v.String(), "a\uFFFDb")
			}
		})
	}
}

// eachText calls fn with the path ("KeyResults[1].Metric.Unit") and value
// of every string in v, through structs' exported fields, non-nil
// pointers and slices.
func eachText(v reflect.Value, path string, fn func(string, reflect.Value)) {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch v.Kind() {
	case reflect.String:
		fn(path, v)
	case reflect.Pointer:
		if !v.IsNil() {
			eachText(v.Elem(), path, fn)
		}
	case reflect.Slice:
		for i := range v.Len() {
			eachText(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				eachText(v.Field(i), join(f.Name), fn)
			}
		}
	}
}

// generic is a path without its slice indexes: "KeyResults[].GID".
func generic(path string) string {
	return regexp.MustCompile(`\[\d+\]`).ReplaceAllString(path, "[]")
}
