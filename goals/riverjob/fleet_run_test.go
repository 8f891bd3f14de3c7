package riverjob_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// TestFleetPostgres: 50 tenants and five with trouble, synced by two River
// clients (two machines, each with its own pool) sharing one PostgreSQL
// schema.
func TestFleetPostgres(t *testing.T) {
	t.Parallel()
	dsn := postgresDSN(t)
	testFleet(t, func() riverdriver.Driver[pgxTx] { return pgDriver(t, dsn) })
}

// TestFleetSQLite: the same on one SQLite file with riversqlite, each
// client with its own database/sql pool of one connection.
func TestFleetSQLite(t *testing.T) {
	t.Parallel()
	dsn := sqliteDSN(t)
	testFleet(t, func() riverdriver.Driver[*sql.Tx] { return sqliteDriver(t, dsn) })
}

func testFleet[TTx any](t *testing.T, newDriver func() riverdriver.Driver[TTx]) {
	f := &fleet{}
	for i := range fleetSize {
		f.add(newTenant(i, normal))
	}
	for i, b := range []behaviour{revoked, throttled, badConfig, flaky, partial} {
		f.add(newTenant(fleetSize+i, b))
	}
	for _, id := range f.ids {
		tn := f.byID[id]
		tn.connect(t, tn.serve(t, nil), nil)
	}

	dA, dB := newDriver(), newDriver()
	migrate(t, dA)
	a := newMachine(t, dA, f, machineConfig{id: "machine-a", workers: 30})
	b := newMachine(t, dB, f, machineConfig{id: "machine-b", workers: 30})
	evs := events(a, b)

	// Every tenant is inserted twice, half through each machine, before
	// they start: the second insert finds the first still queued.
	ctx := context.Background()
	jobOf := map[string]int64{}
	tenantOf := map[int64]string{}
	for round := range 2 {
		for i, id := range f.ids {
			c := a
			if i%2 == 1 {
				c = b
			}
			res, err := c.Insert(ctx, riverjob.SyncArgs{TenantID: id}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if dup := res.UniqueSkippedAsDuplicate; dup != (round == 1) {
				t.Errorf("round %d, tenant %s: skipped as duplicate = %v", round, id, dup)
			}
			if round == 0 {
				jobOf[id], tenantOf[res.Job.ID] = res.Job.ID, id
			} else if res.Job.ID != jobOf[id] {
				t.Errorf("tenant %s: second insert returned job %d, not %d", id, res.Job.ID, jobOf[id])
			}
		}
	}

	startMachine(t, a)
	startMachine(t, b)

	// Wait for every job's outcome: 52 completed, 2 cancelled, 1 snoozed.
	want := map[string]river.EventKind{}
	for _, id := range f.ids {
		switch f.byID[id].behaviour {
		case revoked, badConfig:
			want[id] = river.EventKindJobCancelled
		case throttled:
			want[id] = river.EventKindJobSnoozed
		default:
			want[id] = river.EventKindJobCompleted
		}
	}
	var snoozedAt time.Time
	seen := map[string]river.EventKind{}
	waitFor(t, evs, 60*time.Second, func(ev *river.Event) bool {
		id := tenantOf[ev.Job.ID]
		if ev.Kind == river.EventKindJobFailed {
			if f.byID[id].behaviour != flaky {
				t.Errorf("tenant %s failed: %s", id, errorsText(ev.Job))
			}
			return false
		}
		if ev.Kind != want[id] {
			t.Errorf("tenant %s: %s, want %s (%s)", id, ev.Kind, want[id], errorsText(ev.Job))
		}
		if ev.Kind == river.EventKindJobSnoozed {
			snoozedAt = time.Now()
		}
		seen[id] = ev.Kind
		return len(seen) == len(want)
	})

	byMachine := map[string]int{}
	for _, id := range f.ids {
		tn := f.byID[id]
		row, err := a.JobGet(ctx, jobOf[id])
		if err != nil {
			t.Fatal(err)
		}
		noSecret(t, f, row)
		byMachine[attemptedBy(row)]++
		switch tn.behaviour {
		case normal:
			// Exactly once: one attempt, one write per employee, the truth.
			if row.State != rivertype.JobStateCompleted || row.Attempt != 1 || len(row.Errors) != 0 {
				t.Errorf("%s: state %s, attempt %d, errors %q", id, row.State, row.Attempt, errorsText(row))
			}
			for _, e := range tn.emps {
				if n := tn.mem.writesOf(e.ID); n != 1 {
					t.Errorf("%s: written %d times, want once", e.ID, n)
				}
			}
			checkTruth(t, tn, tn.mem, "")
			if rep := outputReport(t, row); len(rep.Employees) != len(tn.emps) || len(rep.Failed()) != 0 || rep.WorkspaceGID != tn.ws.GID {
				t.Errorf("%s: report %+v", id, rep)
			}
		case revoked, badConfig:
			// Cancelled after one attempt, the reason in the job's errors,
			// nothing written.
			reason := map[behaviour]string{revoked: "unauthorized", badConfig: "configuration error"}[tn.behaviour]
			if row.State != rivertype.JobStateCancelled || row.Attempt != 1 || len(row.Errors) != 1 ||
				!strings.Contains(errorsText(row), reason) {
				t.Errorf("%s: state %s, attempt %d, errors %q; want cancelled after one attempt for %q", id, row.State,
					row.Attempt, errorsText(row), reason)
			}
			if n := len(tn.mem.Employees()); n != 0 {
				t.Errorf("%s: %d employees written", id, n)
			}
		case throttled:
			// Snoozed for the hour Asana asked, not failed, no attempt used.
			due := snoozedAt.Add(time.Hour)
			if row.State != rivertype.JobStateScheduled || row.Attempt != 0 || len(row.Errors) != 0 ||
				row.ScheduledAt.Before(due.Add(-time.Minute)) || row.ScheduledAt.After(due.Add(time.Minute)) {
				t.Errorf("%s: state %s, attempt %d, errors %q, scheduled in %s; want snoozed for an hour", id, row.State,
					row.Attempt, errorsText(row), time.Until(row.ScheduledAt).Round(time.Second))
			}
			if n := len(tn.mem.Employees()); n != 0 {
				t.Errorf("%s: %d employees written", id, n)
			}
		case flaky:
			// The failed scan was an error River retried, then the sync went through.
			if row.State != rivertype.JobStateCompleted || row.Attempt != 2 || len(row.Errors) != 1 ||
				!strings.Contains(errorsText(row), "503") {
				t.Errorf("%s: state %s, attempt %d, errors %q; want completed on the second attempt after a 503",
					id, row.State, row.Attempt, errorsText(row))
			}
			checkTruth(t, tn, tn.mem, "")
		case partial:
			// A failed employee is success for the job, and the report says who.
			rep := outputReport(t, row)
			failed := rep.Failed()
			if row.State != rivertype.JobStateCompleted || row.Attempt != 1 || len(failed) != 1 || failed[0].EmployeeID != tn.failOwner {
				t.Errorf("%s: state %s, attempt %d, failed %+v; want completed with %s failed", id, row.State, row.Attempt,
					failed, tn.failOwner)
			}
			checkTruth(t, tn, tn.mem, tn.failOwner)
		}
	}
	if byMachine["machine-a"] == 0 || byMachine["machine-b"] == 0 {
		t.Errorf("jobs by machine: %v; both machines should have synced tenants", byMachine)
	}
	t.Logf("jobs by machine: %v", byMachine)

	// One job row per tenant: the duplicates were never inserted.
	res, err := a.JobList(ctx, river.NewJobListParams().Kinds(riverjob.Kind).First(1000).States(
		rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted, rivertype.JobStateDiscarded,
		rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != len(f.ids) {
		t.Errorf("%d sync jobs in the table, want one per tenant (%d)", len(res.Jobs), len(f.ids))
	}
}
