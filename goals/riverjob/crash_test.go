package riverjob_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/riverjob"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/status"
)

// The crash test runs machine A in a child process (this test binary
// again, in TestMachineA) and kills it with SIGKILL while every one of its
// syncs is in flight: nothing of A gets to say it stopped, exactly as when a
// machine dies. Machine B, in this process, is River's leader; its rescuer
// finds A's jobs stuck and retries them, and B finishes them.
//
// River's rescuer runs when B becomes leader and then every 30 seconds (not
// configurable in River v0.51), so this test takes about half a minute.

const (
	childEnv       = "RIVERJOB_TEST_MACHINE_A"
	crashTimeout   = 8 * time.Second // the worker's Timeout: rescue waits at least this long
	crashRescueAft = 9 * time.Second // RescueStuckJobsAfter
	crashInFlight  = 10              // A's syncs in flight when it is killed, at least
	crashTenants   = 30
)

type childSpec struct {
	Driver   string            `json:"driver"` // "postgres" or "sqlite"
	RiverDSN string            `json:"river_dsn"`
	StoreDSN string            `json:"store_dsn"`
	URLs     map[string]string `json:"urls"` // tenant ID → its fake Asana
}

func TestCrashRescuePostgres(t *testing.T) {
	t.Parallel()
	dsn := postgresDSN(t)
	testCrashRescue(t, childSpec{Driver: "postgres", RiverDSN: dsn, StoreDSN: dsn},
		func() riverdriver.Driver[pgxTx] { return pgDriver(t, dsn) })
}

func TestCrashRescueSQLite(t *testing.T) {
	t.Parallel()
	dsn := sqliteDSN(t)
	store := "file:" + t.TempDir() + "/goals.db?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_txlock=immediate"
	testCrashRescue(t, childSpec{Driver: "sqlite", RiverDSN: dsn, StoreDSN: store},
		func() riverdriver.Driver[*sql.Tx] { return sqliteDriver(t, dsn) })
}

// sharedStore opens the goals store both machines write to.
func sharedStore(tb testing.TB, driver, dsn string) *sqlstore.Store {
	tb.Helper()
	name, dialect := "pgx", sqlstore.Postgres
	if driver == "sqlite" {
		name, dialect = "sqlite", sqlstore.SQLite
	}
	db, err := sql.Open(name, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s, err := sqlstore.New(db, dialect)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func testCrashRescue[TTx any](t *testing.T, spec childSpec, newDriver func() riverdriver.Driver[TTx]) {
	ctx := context.Background()
	store := sharedStore(t, spec.Driver, spec.StoreDSN)
	g := newGate()
	f := &fleet{}
	spec.URLs = map[string]string{}
	for i := range crashTenants {
		tn := newTenant(i, normal)
		f.add(tn)
		spec.URLs[tn.id] = tn.serve(t, g)
		tn.connect(t, spec.URLs[tn.id], store)
	}

	// What an earlier sync stored: every goal, under an older name.
	seeded := map[string][]string{}
	for _, tn := range f.byID {
		for _, e := range tn.emps {
			var gs []goals.Goal
			for _, tg := range truthOf(tn.ws, e) {
				gs = append(gs, goals.Goal{EmployeeID: e.ID, GID: tg.GID, Name: "earlier: " + tg.Name, Status: status.OnTrack, KeyResults: []goals.KeyResult{}})
				seeded[e.ID] = append(seeded[e.ID], tg.GID)
			}
			if err := store.WriteGoals(ctx, goals.Write{EmployeeID: e.ID, Goals: gs, Complete: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	nothingLost := func(when string) {
		t.Helper()
		for emp, gids := range seeded {
			got, err := store.Goals(ctx, emp)
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, g := range got {
				have[g.GID] = true
			}
			for _, gid := range gids {
				if !have[gid] {
					t.Errorf("%s: %s lost goal %s", when, emp, gid)
				}
			}
		}
	}

	dB := newDriver()
	migrate(t, dB)
	b := newMachine(t, dB, f, machineConfig{id: "machine-b", workers: 5, timeout: crashTimeout, rescueAfter: crashRescueAft})
	ids := map[string]int64{}
	for _, id := range f.ids {
		res, err := b.Insert(ctx, riverjob.SyncArgs{TenantID: id}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = res.Job.ID
	}
	evs := events(b)
	startMachine(t, b)

	raw, _ := json.Marshal(spec)
	child := exec.Command(os.Args[0], "-test.run=^TestMachineA$", "-test.v")
	child.Env = append(os.Environ(), childEnv+"="+string(raw))
	var out strings.Builder
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = child.Process.Kill()
			_ = child.Wait()
			t.Logf("machine A's output:\n%s", out.String())
		}
	})

	// Machine A has many syncs in flight (running, their scan done and
	// their sub-goal requests held).
	pollUntil(t, 3*time.Minute, "machine A to have syncs in flight", func() bool {
		res, err := b.JobList(ctx, river.NewJobListParams().Kinds(riverjob.Kind).States(rivertype.JobStateRunning).First(1000))
		if err != nil {
			return false
		}
		onA := 0
		for _, row := range res.Jobs {
			if row.AttemptedBy[len(row.AttemptedBy)-1] == "machine-a" && g.isHeld(tenantOfArgs(row)) {
				onA++
			}
		}
		return onA >= crashInFlight
	})
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	killed = true
	nothingLost("right after machine A died")
	close(g.release)

	done := 0
	waitFor(t, evs, 4*time.Minute, func(ev *river.Event) bool {
		if ev.Kind == river.EventKindJobCompleted {
			done++
		}
		return done == crashTenants
	})
	nothingLost("at the end")
	rescued := 0
	for _, id := range f.ids {
		tn := f.byID[id]
		row, err := b.JobGet(ctx, ids[id])
		if err != nil {
			t.Fatal(err)
		}
		if row.State != rivertype.JobStateCompleted {
			t.Errorf("%s: %s", id, row.State)
		}
		if slices.Contains(row.AttemptedBy, "machine-a") {
			// A sync that outlived its timeout on A is retried there first
			// (under a loaded CI machine): what matters is that A's last
			// attempt was rescued and B finished it.
			rescued++
			if row.AttemptedBy[len(row.AttemptedBy)-1] != "machine-b" || !strings.Contains(errorsText(row), "Stuck job rescued") {
				t.Errorf("%s: attempt %d by %s, errors %q; want rescued from A and finished by B", id, row.Attempt,
					attemptedBy(row), errorsText(row))
			}
		}
		checkTruth(t, tn, store, "")
	}
	if rescued == 0 {
		t.Fatal("machine A held no job when it died; the test proves nothing")
	}
	t.Logf("%d of %d jobs were machine A's, rescued and finished by machine B", rescued, crashTenants)
}

func tenantOfArgs(row *rivertype.JobRow) string {
	var args riverjob.SyncArgs
	_ = json.Unmarshal(row.EncodedArgs, &args)
	return args.TenantID
}

// TestMachineA is machine A of the crash test, run in a child process; it
// works sync jobs until it is killed.
func TestMachineA(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("machine A of the crash test; runs only in its child process")
	}
	var spec childSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatal(err)
	}
	store := sharedStore(t, spec.Driver, spec.StoreDSN)
	f := &fleet{}
	for i := range crashTenants {
		tn := newTenant(i, normal)
		f.add(tn)
		tn.connect(t, spec.URLs[tn.id], store)
	}
	mc := machineConfig{id: "machine-a", workers: crashTenants, timeout: crashTimeout, rescueAfter: crashRescueAft, notLeader: true}
	switch spec.Driver {
	case "postgres":
		startMachine(t, newMachine(t, pgDriver(t, spec.RiverDSN), f, mc))
	case "sqlite":
		startMachine(t, newMachine(t, sqliteDriver(t, spec.RiverDSN), f, mc))
	default:
		t.Fatal(fmt.Sprintf("driver %q", spec.Driver))
	}
	select {} // until killed
}
