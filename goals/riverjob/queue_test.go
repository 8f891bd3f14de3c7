package riverjob_test

import (
	"testing"

	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// QueueOf sends a workspace of LargeWorkspace goals or more to QueueLarge,
// a smaller one or one of unknown size to Queue, and InsertOpts follows
// it; Queues lists both queues, 0 meaning the default workers.
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
