package riverjob

import "github.com/riverqueue/river"

// Kind is the River job kind of a tenant's sync.
const Kind = "asanagoals_sync"

// SyncArgs are the arguments of one tenant's sync job: the tenant's ID in
// the host's terms, and nothing secret. The Worker resolves it into a token,
// a configuration, employees and a store each time the job runs.
type SyncArgs struct {
	// TenantID identifies the tenant (a customer workspace) to the host's
	// Resolver.
	TenantID string `json:"tenant_id" river:"unique"`
	// Goals is the size of the tenant's workspace as the host last saw it
	// (the WorkspaceGoalsScanned of its last goals.Report, which is the
	// job's output), 0 when it does not know. It only chooses the queue
	// (see InsertOpts): it is not part of the job's uniqueness, so a
	// tenant still has one sync at a time whatever sizes its inserts say.
	Goals int `json:"goals,omitempty"`
}

// Kind returns Kind.
func (SyncArgs) Kind() string { return Kind }

// InsertOpts puts a sync job on QueueLarge when its Goals is at least
// LargeWorkspace, on Queue otherwise, and makes it unique per tenant in
// UniqueStates, whatever its queue.
func (a SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:      QueueOf(a.Goals),
		Priority:   priorityOf(a.Goals),
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: UniqueStates()},
	}
}
