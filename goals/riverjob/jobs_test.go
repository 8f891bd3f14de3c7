package riverjob_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/riverjob"
	"github.com/perfcopilot/asanagoals/status"
)

// One job's outcome, as River records it, each worked by rivertest.Worker
// (see work_test.go). TestFleetPostgres and TestFleetSQLite show the same
// outcomes among 55 tenants on real clients.

// A sync that succeeds completes its job on the first attempt, with the
// sync's report as the job's output, and the store holds Asana's goals.
// A sync in which some employees failed is a success too: the report says
// who.
func TestCompletedJobRecordsTheReport(t *testing.T) {
	onBothDatabases(t, testCompletedJob[*sql.Tx], testCompletedJob[pgxTx])
}

func testCompletedJob[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	f := &fleet{}
	ok, part := newTenant(1, normal), newTenant(2, partial)
	for _, tn := range []*tenant{ok, part} {
		tn.connect(t, tn.serve(t, nil), nil)
		f.add(tn)
	}
	w := testWorker(t, db, nil, f.resolve, riverjob.WorkerOptions{})

	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: ok.id}, nil)
	if err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("%s: %s, error %v; want completed", ok.id, res.EventKind, err)
	}
	row := res.Job
	if row.State != rivertype.JobStateCompleted || row.Attempt != 1 || len(row.Errors) != 0 || row.FinalizedAt == nil {
		t.Errorf("%s: state %s, attempt %d, errors %q", ok.id, row.State, row.Attempt, errorsText(row))
	}
	if rep := outputReport(t, row); rep.WorkspaceGID != ok.ws.GID || len(rep.Employees) != len(ok.emps) || len(rep.Failed()) != 0 {
		t.Errorf("%s: report %+v", ok.id, rep)
	}
	checkTruth(t, ok, ok.mem, "")
	for _, e := range ok.emps {
		if n := ok.mem.writesOf(e.ID); n != 1 {
			t.Errorf("%s: written %d times, want once", e.ID, n)
		}
	}
	noSecret(t, f, row)

	res, err = w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: part.id}, nil)
	if err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("%s: %s, error %v; want completed", part.id, res.EventKind, err)
	}
	failed := outputReport(t, res.Job).Failed()
	if res.Job.Attempt != 1 || len(failed) != 1 || failed[0].EmployeeID != part.failOwner {
		t.Errorf("%s: attempt %d, failed %+v; want completed with %s failed", part.id, res.Job.Attempt, failed, part.failOwner)
	}
	checkTruth(t, part, part.mem, part.failOwner)
}

// A job whose sync can never succeed as it stands is cancelled after one
// attempt, with the reason in the job's errors, and writes nothing: a
// revoked token (401), a configuration the sync refuses, a tenant the host
// no longer has, a job without a tenant ID, a Resolver that returns no
// client.
func TestCancelledJobs(t *testing.T) {
	onBothDatabases(t, testCancelledJobs[*sql.Tx], testCancelledJobs[pgxTx])
}

func testCancelledJobs[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	f := &fleet{}
	revokedT, badT := newTenant(3, revoked), newTenant(4, badConfig)
	for _, tn := range []*tenant{revokedT, badT} {
		tn.connect(t, tn.serve(t, nil), nil)
		f.add(tn)
	}
	noClient := newCountingStore()
	resolve := func(ctx context.Context, id string) (riverjob.Tenant, error) {
		if id == "tenant-without-client" {
			return riverjob.Tenant{Store: noClient}, nil
		}
		return f.resolve(ctx, id)
	}
	w := testWorker(t, db, nil, resolve, riverjob.WorkerOptions{})
	for _, tc := range []struct {
		tenantID, reason string
		written          func() int
	}{
		{revokedT.id, "unauthorized", func() int { return len(revokedT.mem.Employees()) }},
		{badT.id, "configuration error", func() int { return len(badT.mem.Employees()) }},
		{"tenant-deleted", "unknown tenant", nil},
		{"", "no tenant ID", nil},
		{"tenant-without-client", "no Asana client", func() int { return len(noClient.Employees()) }},
	} {
		res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: tc.tenantID}, nil)
		if err != nil || res.EventKind != river.EventKindJobCancelled {
			t.Errorf("tenant %q: %s, error %v; want cancelled", tc.tenantID, res.EventKind, err)
			continue
		}
		row := res.Job
		if row.State != rivertype.JobStateCancelled || row.Attempt != 1 || len(row.Errors) != 1 ||
			!strings.Contains(errorsText(row), tc.reason) || row.FinalizedAt == nil {
			t.Errorf("tenant %q: state %s, attempt %d, errors %q; want cancelled after one attempt for %q",
				tc.tenantID, row.State, row.Attempt, errorsText(row), tc.reason)
		}
		if tc.written != nil && tc.written() != 0 {
			t.Errorf("tenant %q: %d employees written", tc.tenantID, tc.written())
		}
		noSecret(t, f, row)
	}
}

// Asana asking, through Retry-After, for a longer wait than the client
// waits snoozes the job for exactly that long: the job is scheduled then,
// without an error and without using up an attempt, and nothing is
// written.
func TestSnoozedJob(t *testing.T) {
	onBothDatabases(t, testSnoozedJob[*sql.Tx], testSnoozedJob[pgxTx])
}

func testSnoozedJob[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	f := &fleet{}
	tn := newTenant(5, throttled) // Retry-After: 3600
	tn.connect(t, tn.serve(t, nil), nil)
	f.add(tn)
	now := time.Now().UTC().Truncate(time.Second)
	w := testWorker(t, db, &river.Config{Test: river.TestConfig{Time: fixedClock{now}}}, f.resolve, riverjob.WorkerOptions{})

	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: tn.id}, nil)
	if err != nil || res.EventKind != river.EventKindJobSnoozed {
		t.Fatalf("%s, error %v; want snoozed", res.EventKind, err)
	}
	row := res.Job
	if row.State != rivertype.JobStateScheduled || row.Attempt != 0 || len(row.Errors) != 0 || row.FinalizedAt != nil {
		t.Errorf("state %s, attempt %d, errors %q; want scheduled, no attempt used, no error", row.State, row.Attempt, errorsText(row))
	}
	if want := now.Add(time.Hour); !row.ScheduledAt.Equal(want) {
		t.Errorf("scheduled at %s, want %s: the hour Asana asked for", row.ScheduledAt, want)
	}
	if n := len(tn.mem.Employees()); n != 0 {
		t.Errorf("%d employees written", n)
	}
}

// A sync that failed for a reason that may pass (here the workspace scan
// answered 503) returns its error: River records it and makes the job
// retryable, due when the client's retry policy says, and nothing is
// written; the next attempt syncs the tenant.
func TestRetriedJob(t *testing.T) {
	onBothDatabases(t, testRetriedJob[*sql.Tx], testRetriedJob[pgxTx])
}

func testRetriedJob[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	f := &fleet{}
	tn := newTenant(6, flaky) // the first scan request answers 503
	tn.connect(t, tn.serve(t, nil), nil)
	f.add(tn)
	now := time.Now().UTC().Truncate(time.Second)
	w := testWorker(t, db, &river.Config{Test: river.TestConfig{Time: fixedClock{now}}, RetryPolicy: retryIn{10 * time.Minute}},
		f.resolve, riverjob.WorkerOptions{})

	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: tn.id}, nil)
	var cancel *rivertype.JobCancelError
	var snooze *rivertype.JobSnoozeError
	if err == nil || errors.As(err, &cancel) || errors.As(err, &snooze) || !strings.Contains(err.Error(), "503") ||
		res.EventKind != river.EventKindJobFailed {
		t.Fatalf("%s, error %v; want failed with the 503, to be retried", res.EventKind, err)
	}
	row := res.Job
	if row.State != rivertype.JobStateRetryable || row.Attempt != 1 || len(row.Errors) != 1 ||
		!strings.Contains(errorsText(row), "503") || !row.ScheduledAt.Equal(now.Add(10*time.Minute)) || row.FinalizedAt != nil {
		t.Errorf("state %s, attempt %d, errors %q, scheduled at %s (now %s); want retryable in 10 minutes with the 503",
			row.State, row.Attempt, errorsText(row), row.ScheduledAt, now)
	}
	if n := len(tn.mem.Employees()); n != 0 {
		t.Errorf("%d employees written by the failed attempt", n)
	}

	res, err = w.WorkJob(ctx, t, db.tx, row)
	if err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("second attempt: %s, error %v; want completed", res.EventKind, err)
	}
	if row := res.Job; row.State != rivertype.JobStateCompleted || row.Attempt != 2 || len(row.Errors) != 1 {
		t.Errorf("second attempt: state %s, attempt %d, errors %q; want completed on the second attempt, the 503 kept",
			row.State, row.Attempt, errorsText(row))
	}
	checkTruth(t, tn, tn.mem, "")
}

// A sync still running when the worker's Timeout ends its job's context
// stops there: the job is retryable with the deadline in its errors, and
// the sync removed nothing, although a complete write would have removed
// a goal Asana no longer has. (TestCancelledJobRemovesNothing shows the
// same when the client stops with StopAndCancel.)
func TestTimedOutJob(t *testing.T) {
	onBothDatabases(t, testTimedOutJob[*sql.Tx], testTimedOutJob[pgxTx])
}

func testTimedOutJob[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	g := newGate() // never released: the sync cannot finish in time
	tn := newTenant(8, normal)
	tn.connect(t, tn.serve(t, g), nil)
	f := &fleet{}
	f.add(tn)
	emp := tn.emps[0].ID
	stale := goals.Goal{EmployeeID: emp, GID: "1299999999999999", Name: "deleted in Asana since", Status: status.OnTrack, KeyResults: []goals.KeyResult{}}
	if err := tn.mem.WriteGoals(ctx, goals.Write{EmployeeID: emp, Goals: []goals.Goal{stale}, Complete: true}); err != nil {
		t.Fatal(err)
	}
	w := testWorker(t, db, &river.Config{RetryPolicy: retryIn{10 * time.Minute}}, f.resolve,
		riverjob.WorkerOptions{Timeout: 200 * time.Millisecond})

	// Only a worker that ignored its Timeout would see the gate open.
	watchdog := time.AfterFunc(20*time.Second, func() { close(g.release) })
	defer watchdog.Stop()
	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: tn.id}, nil)
	if !errors.Is(err, context.DeadlineExceeded) || res.EventKind != river.EventKindJobFailed {
		t.Fatalf("%s, error %v; want failed on the job's deadline, to be retried", res.EventKind, err)
	}
	if row := res.Job; row.State != rivertype.JobStateRetryable || row.Attempt != 1 || len(row.Errors) != 1 ||
		!strings.Contains(errorsText(row), "deadline exceeded") {
		t.Errorf("state %s, attempt %d, errors %q; want retryable after the deadline", row.State, row.Attempt, errorsText(row))
	}
	got, err := tn.mem.Goals(ctx, emp)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].GID != stale.GID || tn.mem.writesOf(emp) != 1 {
		t.Errorf("after the timed-out sync %s holds %d goals (writes: %d); want the stored one only, untouched", emp, len(got), tn.mem.writesOf(emp))
	}
}

// retryIn is a client retry policy that retries every failed attempt
// after the same wait. (River's default, attempt⁴ seconds plus jitter,
// makes a first retry due within its scheduler's interval, and River
// then makes the job available at once instead of retryable.)
type retryIn struct{ wait time.Duration }

func (r retryIn) NextRetry(job *rivertype.JobRow) time.Time { return job.AttemptedAt.Add(r.wait) }
