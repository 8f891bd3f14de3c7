package riverjob

import "github.com/riverqueue/river/rivertype"

// UniqueStates returns the job states in which a tenant's sync job keeps
// another from being inserted: every state before the job is finalised
// (pending, available, scheduled, which includes snoozed, retryable and
// running). A completed, cancelled or discarded sync does not block the
// next one.
//
// River requires available, pending, running and scheduled in any set of
// unique states. Retryable, which River lets a job leave out, is kept: a
// sync waiting for its retry is still the tenant's sync, and a second job
// would run a second sync of the same workspace once both are due.
//
// Completed is left out, unlike in River's default states. River keeps a
// completed job's row for its CompletedJobRetentionPeriod (24 hours by
// default), and a state among the unique states blocks inserts for as long
// as a row in it is kept. A tenant's nightly insert comes 24 hours after
// the previous one, so less than 24 hours after that sync completed: it
// would find the completed row and be skipped, and the tenant would be
// synced every other night; an admin's "sync now" after a sync would do
// nothing. Cancelled and discarded are left out too, as in River's
// default: once the host fixed what stopped the sync (a token, its
// configuration), the next insert syncs.
//
// So inserting a tenant's sync returns the tenant's job still waiting or
// running, with rivertype.JobInsertResult.UniqueSkippedAsDuplicate set,
// and otherwise adds a new job.
func UniqueStates() []rivertype.JobState {
	return []rivertype.JobState{
		rivertype.JobStateAvailable,
		rivertype.JobStatePending,
		rivertype.JobStateRetryable,
		rivertype.JobStateRunning,
		rivertype.JobStateScheduled,
	}
}
