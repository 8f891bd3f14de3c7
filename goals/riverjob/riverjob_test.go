package riverjob_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// A Resolver that answers with a *goals.GoalsConfigError (wrapped or not)
// describes a tenant whose sync can never run as configured: its job is
// cancelled after one attempt, with the reason in its errors, and never
// retried. Any other Resolver error is retried with River's backoff.
func TestResolverConfigErrorCancelsTheJob(t *testing.T) {
	onBothDatabases(t, testResolverConfigError[*sql.Tx], testResolverConfigError[pgxTx])
}

func testResolverConfigError[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	var calls atomic.Int32
	resolve := func(_ context.Context, id string) (riverjob.Tenant, error) {
		calls.Add(1)
		switch id {
		case "tenant-bare":
			return riverjob.Tenant{}, &goals.GoalsConfigError{Field: "WorkspaceGID", Problem: "the host has none for this tenant"}
		case "tenant-wrapped":
			return riverjob.Tenant{}, fmt.Errorf("host settings: %w",
				&goals.GoalsConfigError{Field: "WorkspaceGID", Problem: "the host has none for this tenant"})
		}
		return riverjob.Tenant{}, errors.New("host database unreachable")
	}
	w := testWorker(t, db, &river.Config{RetryPolicy: retryIn{10 * time.Minute}}, resolve, riverjob.WorkerOptions{})

	for _, id := range []string{"tenant-bare", "tenant-wrapped"} {
		calls.Store(0)
		res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: id}, nil)
		if err != nil || res.EventKind != river.EventKindJobCancelled {
			t.Errorf("%s: %s, error %v; want cancelled", id, res.EventKind, err)
			continue
		}
		row := res.Job
		if row.State != rivertype.JobStateCancelled || row.Attempt != 1 || len(row.Errors) != 1 ||
			!strings.Contains(errorsText(row), "WorkspaceGID") || row.FinalizedAt == nil {
			t.Errorf("%s: state %s, attempt %d, errors %q; want cancelled after one attempt, naming the field",
				id, row.State, row.Attempt, errorsText(row))
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("%s: resolved %d times, want once", id, n)
		}
	}

	// The contrast: an error that is no configuration error is retried.
	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: "tenant-flaky-host"}, nil)
	if err == nil || res.EventKind != river.EventKindJobFailed || res.Job.State != rivertype.JobStateRetryable {
		t.Errorf("a failing Resolver: %s (state %s), error %v; want retryable", res.EventKind, res.Job.State, err)
	}
}

// A wait Asana asked for that says no length (an *asana.Error matching
// ErrWaitTooLong without RetryAfter) is not a snooze: a snooze of 0 would
// run the job again at once, against the Asana that just asked for a
// wait. The error goes back to River, which retries it with backoff.
func TestOutcome_waitTooLongWithoutALengthIsRetriedWithBackoff(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("goals: sync stopped: %w", &asana.Error{StatusCode: 429, MaxWait: 5 * time.Minute}),
		fmt.Errorf("goals: sync stopped: %w", asana.ErrWaitTooLong),
	} {
		out := riverjob.Outcome(err)
		var snooze *rivertype.JobSnoozeError
		if errors.As(out, &snooze) {
			t.Errorf("Outcome(%v) = JobSnooze(%s), want the error itself", err, snooze.Duration)
		}
		if out != err {
			t.Errorf("Outcome(%v) = %v, want the error itself (River retries it)", err, out)
		}
	}
}
