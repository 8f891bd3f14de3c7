package riverjob_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/riverqueue/river"

	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

func TestQueueOf(t *testing.T) {
	for _, tc := range []struct {
		goals int
		want  string
	}{
		{0, riverjob.Queue}, {-1, riverjob.Queue}, {20, riverjob.Queue}, {riverjob.LargeWorkspace - 1, riverjob.Queue},
		{riverjob.LargeWorkspace, riverjob.QueueLarge}, {5000, riverjob.QueueLarge},
	} {
		if got := riverjob.QueueOf(tc.goals); got != tc.want {
			t.Errorf("QueueOf(%d) = %s, want %s", tc.goals, got, tc.want)
		}
		if got := (riverjob.SyncArgs{TenantID: "acme", Goals: tc.goals}).InsertOpts().Queue; got != tc.want {
			t.Errorf("SyncArgs{Goals: %d}.InsertOpts().Queue = %s, want %s", tc.goals, got, tc.want)
		}
	}
	q := riverjob.Queues(0, 0)
	if len(q) != 2 || q[riverjob.Queue].MaxWorkers != riverjob.DefaultMaxWorkers || q[riverjob.QueueLarge].MaxWorkers != riverjob.DefaultLargeMaxWorkers {
		t.Errorf("Queues(0, 0) = %+v", q)
	}
	if q := riverjob.Queues(7, 2); q[riverjob.Queue].MaxWorkers != 7 || q[riverjob.QueueLarge].MaxWorkers != 2 {
		t.Errorf("Queues(7, 2) = %+v", q)
	}
}

// The size hint picks the queue and nothing else: a tenant's sync queued
// as small is the tenant's sync when an insert says it is large, and the
// other way round; another tenant's is another job.
func TestSizeHintKeepsOneSyncPerTenant(t *testing.T) {
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
