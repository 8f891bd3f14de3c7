package riverjob_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// What UniqueStates buys: while a tenant's sync job is available, running,
// retryable or scheduled (snoozed), inserting the tenant's sync again (the
// nightly periodic job, an admin's "sync now") returns that job and adds
// none; once it completed, was cancelled or was discarded, the next insert
// is a new job, although River keeps the finished row for a while. With
// River's default unique states, which include completed, the insert after
// a completed sync is skipped instead, until River's cleaner deletes the
// row (CompletedJobRetentionPeriod, 24 hours by default): a nightly sync
// would run every other night.
//
// The job goes through each state as River moves it there (worked by
// rivertest.Worker), and the inserts go through an insert-only client, in
// the same transaction.
func TestUniqueStates_letTheNextSyncInOnceOneFinished(t *testing.T) {
	onBothDatabases(t, testUniqueStates[*sql.Tx], testUniqueStates[pgxTx])
}

func testUniqueStates[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	client, err := river.NewClient(db.driver, &river.Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	insert := func(tenantID string, opts *river.InsertOpts) *rivertype.JobInsertResult {
		t.Helper()
		res, err := client.InsertTx(ctx, db.tx, riverjob.SyncArgs{TenantID: tenantID}, opts)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// skipped fails unless job is in state and inserting tenantID's sync
	// again returns it instead of adding a job.
	skipped := func(tenantID string, job *rivertype.JobRow, state rivertype.JobState) {
		t.Helper()
		if job.State != state {
			t.Fatalf("job %d is %s, want %s", job.ID, job.State, state)
		}
		if res := insert(tenantID, nil); !res.UniqueSkippedAsDuplicate || res.Job.ID != job.ID {
			t.Errorf("insert while the tenant's job is %s: skipped=%v, job %d; want skipped, job %d",
				state, res.UniqueSkippedAsDuplicate, res.Job.ID, job.ID)
		}
	}
	// inserted fails unless after is in state and inserting tenantID's
	// sync again adds a job, which it returns.
	inserted := func(tenantID string, after *rivertype.JobRow, state rivertype.JobState, opts *river.InsertOpts) *rivertype.JobRow {
		t.Helper()
		if after.State != state {
			t.Fatalf("job %d is %s, want %s", after.ID, after.State, state)
		}
		res := insert(tenantID, opts)
		if res.UniqueSkippedAsDuplicate || res.Job.ID == after.ID || res.Job.State != rivertype.JobStateAvailable {
			t.Fatalf("insert after the tenant's job %d was %s: skipped=%v, job %d (%s); want a new job",
				after.ID, state, res.UniqueSkippedAsDuplicate, res.Job.ID, res.Job.State)
		}
		return res.Job
	}

	f := &fleet{}
	ok, throttledT := newTenant(9, normal), newTenant(10, throttled)
	for _, tn := range []*tenant{ok, throttledT} {
		tn.connect(t, tn.serve(t, nil), nil)
		f.add(tn)
	}
	// The Resolver answers for tenant-x as the test's next step needs.
	const id = "tenant-x"
	var next riverjob.Resolver
	resolve := func(ctx context.Context, tenantID string) (riverjob.Tenant, error) {
		if tenantID != id {
			return f.resolve(ctx, tenantID)
		}
		return next(ctx, tenantID)
	}
	down := func(context.Context, string) (riverjob.Tenant, error) {
		return riverjob.Tenant{}, errors.New("the tenant database is down")
	}
	as := func(tenantID string) riverjob.Resolver {
		return func(ctx context.Context, _ string) (riverjob.Tenant, error) { return f.resolve(ctx, tenantID) }
	}
	w := testWorker(t, db, &river.Config{RetryPolicy: retryIn{10 * time.Minute}}, resolve, riverjob.WorkerOptions{})
	work := func(job *rivertype.JobRow) *rivertype.JobRow {
		t.Helper()
		res, err := w.WorkJob(ctx, t, db.tx, job)
		if err != nil && (res == nil || res.EventKind != river.EventKindJobFailed) {
			t.Fatalf("job %d: %v", job.ID, err)
		}
		return res.Job
	}

	job := insert(id, nil).Job
	skipped(id, job, rivertype.JobStateAvailable)

	// Running: the insert comes while the job's sync resolves its tenant;
	// the attempt then fails and River makes the job retryable.
	var whileRunning *rivertype.JobInsertResult
	var runningState rivertype.JobState
	var runningErr error
	next = func(ctx context.Context, tenantID string) (riverjob.Tenant, error) {
		row, err := client.JobGetTx(ctx, db.tx, job.ID)
		if err != nil {
			runningErr = err
		} else {
			runningState = row.State
			whileRunning, runningErr = client.InsertTx(ctx, db.tx, riverjob.SyncArgs{TenantID: id}, nil)
		}
		return down(ctx, tenantID)
	}
	job = work(job)
	if runningErr != nil {
		t.Fatal(runningErr)
	}
	if runningState != rivertype.JobStateRunning || !whileRunning.UniqueSkippedAsDuplicate || whileRunning.Job.ID != job.ID {
		t.Errorf("insert while the tenant's job is %s: skipped=%v, job %d; want the job running, the insert skipped, job %d",
			runningState, whileRunning.UniqueSkippedAsDuplicate, whileRunning.Job.ID, job.ID)
	}
	skipped(id, job, rivertype.JobStateRetryable)

	// Snoozed: scheduled for the hour Asana asked for.
	next = as(throttledT.id)
	job = work(job)
	skipped(id, job, rivertype.JobStateScheduled)

	// Completed: the next insert is a new sync.
	next = as(ok.id)
	job = work(job)
	second := inserted(id, job, rivertype.JobStateCompleted, nil)
	skipped(id, second, rivertype.JobStateAvailable)

	// Cancelled (the tenant is gone, for now): the next insert is a new sync.
	next = as("tenant-deleted")
	second = work(second)
	third := inserted(id, second, rivertype.JobStateCancelled, &river.InsertOpts{MaxAttempts: 1})

	// Discarded (its last attempt failed): the next insert is a new sync.
	next = down
	third = work(third)
	inserted(id, third, rivertype.JobStateDiscarded, nil)

	// With River's default unique states, a completed sync blocks the next
	// one for as long as River keeps its row.
	byDefault := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
	done := work(insert(ok.id, byDefault).Job)
	if done.State != rivertype.JobStateCompleted {
		t.Fatalf("job %d is %s, want completed", done.ID, done.State)
	}
	if res := insert(ok.id, byDefault); !res.UniqueSkippedAsDuplicate || res.Job.ID != done.ID {
		t.Errorf("with River's default unique states, insert after a completed sync: skipped=%v, job %d; want skipped, job %d",
			res.UniqueSkippedAsDuplicate, res.Job.ID, done.ID)
	}
}
