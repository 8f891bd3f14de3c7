package main

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

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
