package riverjob_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// Sync jobs are unique per tenant until they finish, on Queue.
func TestSyncArgs_InsertOpts(t *testing.T) {
	opts := riverjob.SyncArgs{TenantID: "t"}.InsertOpts()
	if opts.Queue != riverjob.Queue || !opts.UniqueOpts.ByArgs {
		t.Errorf("InsertOpts = %+v", opts)
	}
	for _, s := range opts.UniqueOpts.ByState {
		if s == rivertype.JobStateCompleted || s == rivertype.JobStateCancelled || s == rivertype.JobStateDiscarded {
			t.Errorf("a %s sync would block the next one", s)
		}
	}
	var _ river.JobArgsWithInsertOpts = riverjob.SyncArgs{}
}

// The size hint picks the queue and nothing else: a tenant's sync queued
// as small is the tenant's sync when an insert says it is large, and the
// other way round; another tenant's is another job.
func TestSyncArgs_InsertOpts_sizeHintKeepsOneSyncPerTenant(t *testing.T) {
	onBothDatabases(t, testSizeHintUnique[*sql.Tx], testSizeHintUnique[pgxTx])
}

func testSizeHintUnique[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	client, err := river.NewClient(db.driver, &river.Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	insert := func(args riverjob.SyncArgs) (int64, string, bool) {
		t.Helper()
		res, err := client.InsertTx(ctx, db.tx, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.Job.ID, res.Job.Queue, res.UniqueSkippedAsDuplicate
	}
	small, queue, dup := insert(riverjob.SyncArgs{TenantID: "acme"})
	if queue != riverjob.Queue || dup {
		t.Fatalf("first insert: queue %s, skipped %v", queue, dup)
	}
	if id, queue, dup := insert(riverjob.SyncArgs{TenantID: "acme", Goals: 5000}); id != small || queue != riverjob.Queue || !dup {
		t.Errorf("insert saying 5,000 goals: job %d on %s, skipped %v; want job %d skipped as duplicate", id, queue, dup, small)
	}
	large, queue, dup := insert(riverjob.SyncArgs{TenantID: "globex", Goals: 5000})
	if queue != riverjob.QueueLarge || dup || large == small {
		t.Fatalf("another tenant's large sync: job %d on %s, skipped %v", large, queue, dup)
	}
	if id, _, dup := insert(riverjob.SyncArgs{TenantID: "globex", Goals: 12}); id != large || !dup {
		t.Errorf("insert saying 12 goals: job %d, skipped %v; want job %d skipped as duplicate", id, dup, large)
	}
}
