package riverjob_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertest"

	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// One job's outcome is tested with rivertest.Worker: the job is inserted
// and worked at once, in a transaction rolled back at the end, by River's
// own executor (its middleware, its completer, its retry and snooze
// rules), with no client started and nothing to wait for.

// workDB is a database with River's tables for rivertest.Worker: the
// pool-less driver River advises for it, and the transaction every job of
// the test is inserted and worked in.
type workDB[TTx any] struct {
	driver riverdriver.Driver[TTx]
	tx     TTx
}

func sqliteWorkDB(t *testing.T) workDB[*sql.Tx] {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	migrate(t, riversqlite.New(db))
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	return workDB[*sql.Tx]{driver: riversqlite.New(nil), tx: tx}
}

func postgresWorkDB(t *testing.T) workDB[pgxTx] {
	t.Helper()
	dsn := postgresDSN(t)
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	migrate(t, riverpgxv5.New(pool))
	tx, err := pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return workDB[pgxTx]{driver: riverpgxv5.New(nil), tx: tx}
}

// onBothDatabases runs a test on SQLite (riversqlite) and on PostgreSQL
// (riverpgxv5; skipped without a server, as postgresDSN says): pass the two
// instances of one generic test.
func onBothDatabases(t *testing.T, sqlite func(*testing.T, workDB[*sql.Tx]), postgres func(*testing.T, workDB[pgxTx])) {
	t.Run("sqlite", func(t *testing.T) { sqlite(t, sqliteWorkDB(t)) })
	t.Run("postgres", func(t *testing.T) { postgres(t, postgresWorkDB(t)) })
}

// fixedClock is River's clock stopped at one instant (rivertype's
// TimeGenerator), so that the times River computes (a snooze's end) are
// exact.
type fixedClock struct{ at time.Time }

func (c fixedClock) Now() time.Time       { return c.at }
func (c fixedClock) NowOrNil() *time.Time { return &c.at }

// testWorker is rivertest's Worker for a riverjob.Worker resolving with
// resolve, on db's driver, with cfg (nil: River's defaults and the test's
// logger).
func testWorker[TTx any](t *testing.T, db workDB[TTx], cfg *river.Config, resolve riverjob.Resolver,
	opts riverjob.WorkerOptions) *rivertest.Worker[riverjob.SyncArgs, TTx] {
	t.Helper()
	if cfg == nil {
		cfg = &river.Config{}
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	return rivertest.NewWorker(t, db.driver, cfg, riverjob.NewWorker(resolve, opts))
}
