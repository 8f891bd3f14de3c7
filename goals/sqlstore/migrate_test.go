package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/goals/storetest"
	"github.com/perfcopilot/asanagoals/status"
)

// oldSchema is Schema as it was before status_source and the time period
// columns (commit fafb0a4), with a goal stored by that version: one with a
// status update, one without, and their Key Results.
func oldSchema(real, ts string) []string {
	return []string{
		`CREATE TABLE asana_goals (
	employee_id       TEXT NOT NULL,
	gid               TEXT NOT NULL,
	position          INTEGER NOT NULL,
	name              TEXT NOT NULL,
	description       TEXT NOT NULL,
	start_on          TEXT,
	due_on            TEXT,
	status            TEXT NOT NULL CHECK (status IN ('completed', 'at_risk', 'off_track', 'on_track')),
	raw_status        TEXT NOT NULL,
	progress_initial  ` + real + `,
	progress_current  ` + real + `,
	progress_target   ` + real + `,
	progress_unit     TEXT,
	progress_currency TEXT,
	synced_at         ` + ts + ` NOT NULL,
	PRIMARY KEY (employee_id, gid)
)`,
		`CREATE TABLE asana_goal_key_results (
	employee_id       TEXT NOT NULL,
	goal_gid          TEXT NOT NULL,
	gid               TEXT NOT NULL,
	position          INTEGER NOT NULL,
	name              TEXT NOT NULL,
	status            TEXT NOT NULL CHECK (status IN ('completed', 'at_risk', 'off_track', 'on_track')),
	raw_status        TEXT NOT NULL,
	due_on            TEXT,
	progress_initial  ` + real + `,
	progress_current  ` + real + `,
	progress_target   ` + real + `,
	progress_unit     TEXT,
	progress_currency TEXT,
	PRIMARY KEY (employee_id, goal_gid, gid),
	FOREIGN KEY (employee_id, goal_gid) REFERENCES asana_goals (employee_id, gid) ON DELETE CASCADE
)`,
		`INSERT INTO asana_goals (employee_id, gid, position, name, description, start_on, due_on, status, raw_status, synced_at)
	VALUES ('e1', '1', 0, 'Old with update', 'kept', '2025-01-01', '2025-06-30', 'at_risk', 'at_risk', '2025-07-01 00:00:00+00:00'),
	       ('e1', '2', 1, 'Old without', '', NULL, NULL, 'on_track', '', '2025-07-01 00:00:00+00:00')`,
		`INSERT INTO asana_goal_key_results (employee_id, goal_gid, gid, position, name, status, raw_status)
	VALUES ('e1', '1', '11', 0, 'KR with update', 'completed', 'achieved'),
	       ('e1', '1', '12', 1, 'KR without', 'on_track', '')`,
	}
}

// A database made by the previous schema, with goals in it, is migrated in
// place: the new columns are added, the stored rows keep their data and
// read back with the status source they had (a status update, or none),
// and goals with the new fields can be written.
func TestStore_Migrate_upgradesAnOldDatabase(t *testing.T) {
	stores := map[string]func(*testing.T) (*sql.DB, sqlstore.Dialect, []string){
		"sqlite": func(t *testing.T) (*sql.DB, sqlstore.Dialect, []string) {
			db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "old.db")+"?_pragma=foreign_keys(1)")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db, sqlstore.SQLite, oldSchema("REAL", "TIMESTAMP")
		},
		"postgres": func(t *testing.T) (*sql.DB, sqlstore.Dialect, []string) {
			// openPostgres migrates its schema; drop the tables to start
			// from the old ones.
			s := openPostgres(t)
			for _, stmt := range []string{`DROP TABLE asana_goal_key_results`, `DROP TABLE asana_goals`} {
				if _, err := sqlstore.DB(s).Exec(stmt); err != nil {
					t.Fatal(err)
				}
			}
			return sqlstore.DB(s), sqlstore.Postgres, oldSchema("DOUBLE PRECISION", "TIMESTAMPTZ")
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, dialect, old := open(t)
			for _, stmt := range old {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatalf("old schema: %v", err)
				}
			}
			s, err := sqlstore.New(db, dialect)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Goals(ctx, "e1"); err == nil {
				t.Fatal("reading an old database before Migrate worked; the test does not start from the old schema")
			}
			for range 2 { // idempotent on an upgraded database too
				if err := s.Migrate(ctx); err != nil {
					t.Fatalf("Migrate: %v", err)
				}
			}
			gs, err := s.Goals(ctx, "e1")
			if err != nil {
				t.Fatal(err)
			}
			if len(gs) != 2 || len(gs[0].KeyResults) != 2 {
				t.Fatalf("after Migrate: %+v", gs)
			}
			if g := gs[0]; g.Name != "Old with update" || g.Description != "kept" || g.Status != status.AtRisk ||
				g.RawStatus != "at_risk" || g.StatusSource != goals.StatusFromUpdate || g.TimePeriod != nil {
				t.Errorf("old goal 1 reads back as %+v", g)
			}
			if g := gs[1]; g.StatusSource != goals.StatusFromNone || g.TimePeriod != nil {
				t.Errorf("old goal 2 reads back as %+v", g)
			}
			if kr := gs[0].KeyResults; kr[0].StatusSource != goals.StatusFromUpdate || kr[1].StatusSource != goals.StatusFromNone {
				t.Errorf("old key results read back as %+v", kr)
			}
			// The new fields now round-trip.
			g := storetest.Goal("e1", "3", 1)
			if err := s.WriteGoals(ctx, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{g}}); err != nil {
				t.Fatal(err)
			}
			gs, err = s.Goals(ctx, "e1")
			if err != nil {
				t.Fatal(err)
			}
			if got := gs[2]; got.TimePeriod == nil || *got.TimePeriod != *g.TimePeriod || got.StatusSource != g.StatusSource {
				t.Errorf("new goal on a migrated database reads back as %+v", got)
			}
		})
	}
}

// lockGuard bounds how long a test lets Migrate wait for a lock that the
// rule under test says it must not wait for (or must stop waiting for
// sooner); past it the rule is broken. It orders nothing.
const lockGuard = 20 * time.Second

// Migrate of a schema that is current reads the catalog and takes no lock
// on the tables: a session reading asana_goals (ACCESS SHARE, as any
// SELECT or a long report does) does not make it wait.
func TestStore_Migrate_currentSchemaTakesNoLock(t *testing.T) {
	db, dsn := openPostgresDB(t)
	s := migrated(t, db, sqlstore.Postgres)
	holdLock(t, dsn, "SELECT count(*) FROM asana_goals", "SELECT count(*) FROM asana_goal_key_results")
	ctx, cancel := context.WithTimeout(context.Background(), lockGuard)
	defer cancel()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate of a current schema waited for the reading session: %v", err)
	}
}

// A migration that is needed (an old table lacks a column) while another
// session holds the table stops at its lock timeout with an error that
// says it waited on a lock, instead of waiting as long as the session
// lasts.
func TestStore_Migrate_neededGivesUpOnALock(t *testing.T) {
	db, dsn := openPostgresDB(t)
	s := migrated(t, db, sqlstore.Postgres)
	if _, err := db.Exec("ALTER TABLE asana_goals DROP COLUMN time_period_end"); err != nil {
		t.Fatal(err)
	}
	holdLock(t, dsn, "SELECT count(*) FROM asana_goals")
	sqlstore.SetLockTimeout(s, 200*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), lockGuard)
	defer cancel()
	err := s.Migrate(ctx)
	if ctx.Err() != nil {
		t.Fatalf("Migrate waited for the lock past %s: %v", lockGuard, err)
	}
	if err == nil || !strings.Contains(err.Error(), "lock") || !strings.Contains(err.Error(), "asana_goals") {
		t.Fatalf("err = %v, want one that says a lock on asana_goals was not granted", err)
	}
	if !sqlstore.IsLockWait(err) {
		t.Errorf("IsLockWait(%v) = false", err)
	}
}

// Concurrent first migrations of an empty PostgreSQL schema (several
// instances of a service starting at once) all succeed: without a lock
// around them, CREATE TABLE IF NOT EXISTS races in PostgreSQL's catalog
// (duplicate key value violates unique constraint
// "pg_type_typname_nsp_index").
func TestStore_Migrate_concurrentFirstMigrationsAllSucceed(t *testing.T) {
	const rounds, migrators = 5, 6
	for round := range rounds {
		db, dsn := openPostgresDB(t)
		db.SetMaxOpenConns(migrators)
		var wg sync.WaitGroup
		errs := make([]error, migrators)
		for i := range migrators {
			// A database (and so a session) each, like separate processes.
			other, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { other.Close() })
			s, err := sqlstore.New(other, sqlstore.Postgres)
			if err != nil {
				t.Fatal(err)
			}
			if err := other.Ping(); err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), lockGuard)
				defer cancel()
				errs[i] = s.Migrate(ctx)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, migration %d: %v", round, i, err)
			}
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name IN ('asana_goals', 'asana_goal_key_results')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("round %d: no table after the migrations", round)
		}
	}
}

// The migration's advisory lock is its schema's: a migration held in one
// schema (another tenant's store on the same database) does not make a
// needed migration in another wait, while one in the same schema still
// does.
func TestStore_Migrate_waitsOnlyForItsOwnSchema(t *testing.T) {
	dbA, dsnA := openPostgresDB(t)
	migrated(t, dbA, sqlstore.Postgres)
	holdLock(t, dsnA, "SELECT pg_advisory_xact_lock(hashtext('asanagoals.sqlstore'), hashtext('migrate ' || current_schema()))")

	dbB, _ := openPostgresDB(t)
	b := migrated(t, dbB, sqlstore.Postgres)
	if _, err := dbB.Exec("ALTER TABLE asana_goals DROP COLUMN time_period_end"); err != nil {
		t.Fatal(err)
	}
	sqlstore.SetLockTimeout(b, 200*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), lockGuard)
	defer cancel()
	if err := b.Migrate(ctx); err != nil {
		t.Fatalf("a migration in another schema waited for schema A's: %v", err)
	}

	a, err := sqlstore.New(dbA, sqlstore.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dbA.Exec("ALTER TABLE asana_goals DROP COLUMN time_period_end"); err != nil {
		t.Fatal(err)
	}
	sqlstore.SetLockTimeout(a, 200*time.Millisecond)
	if err := a.Migrate(ctx); !sqlstore.IsLockWait(err) {
		t.Fatalf("a migration in the schema whose migration is held: err = %v, want a lock wait", err)
	}
}
