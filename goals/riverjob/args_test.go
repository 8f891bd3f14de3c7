package riverjob_test

import (
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
