package sqlstore_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/goals/storetest"
)

// lockGuard bounds how long a test lets Migrate wait for a lock that the
// rule under test says it must not wait for (or must stop waiting for
// sooner); past it the rule is broken. It orders nothing.
const lockGuard = 20 * time.Second

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

// Migrate of a schema that is current reads the catalog and takes no lock
// on the tables: a session reading asana_goals (ACCESS SHARE, as any
// SELECT or a long report does) does not make it wait.
func TestMigrateCurrentSchemaTakesNoLock(t *testing.T) {
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
func TestMigrateNeededGivesUpOnALock(t *testing.T) {
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
func TestConcurrentFirstMigrations(t *testing.T) {
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

// A read or a write whose context has a deadline, on a table another
// session has locked (LOCK TABLE … IN ACCESS EXCLUSIVE MODE), ends before
// the deadline with an error for which IsLockWait is true: the caller
// can say the database was waiting on a lock, not only that time ran out.
func TestLockWaitEndsBeforeTheDeadline(t *testing.T) {
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

// The migration's advisory lock is its schema's: a migration held in one
// schema (another tenant's store on the same database) does not make a
// needed migration in another wait, while one in the same schema still
// does.
func TestMigrateWaitsOnlyForItsOwnSchema(t *testing.T) {
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
