package riverjob

import "github.com/riverqueue/river"

const (
	// Queue is the River queue of the syncs of workspaces below
	// LargeWorkspace goals, or of unknown size. A client that works sync
	// jobs lists it and QueueLarge in river.Config.Queues (see Queues);
	// its MaxWorkers is how many of those tenants one machine syncs at
	// once.
	Queue = "asanagoals"
	// QueueLarge is the River queue of the syncs of workspaces of at least
	// LargeWorkspace goals (SyncArgs.Goals): each takes minutes, and on a
	// queue of their own they never hold the slots of the small ones, nor
	// wait behind them.
	QueueLarge = "asanagoals_large"
	// LargeWorkspace is the size, in goals, from which a tenant's sync
	// goes to QueueLarge: at Asana's paid quota (1,500 requests a minute)
	// its sync takes 40 seconds or more, against a few seconds for the
	// 20 to 200 goals most workspaces have.
	LargeWorkspace = 1000
	// DefaultMaxWorkers and DefaultLargeMaxWorkers are the MaxWorkers of
	// Queue and QueueLarge that Queues(0, 0) gives: how many syncs of
	// each kind one machine runs at once (the package doc says why).
	DefaultMaxWorkers      = 50
	DefaultLargeMaxWorkers = 4
)

// QueueOf returns the queue of the sync of a workspace of goals goals:
// QueueLarge from LargeWorkspace on, Queue below it and for 0 (unknown).
func QueueOf(goals int) string {
	if goals >= LargeWorkspace {
		return QueueLarge
	}
	return Queue
}

// priorityOf puts the longer syncs of each queue first (River's priority
// 1; 2 for the others): of Queue, workspaces of 200 to 999 goals and those
// of unknown size; of QueueLarge, those of 5,000 goals or more.
func priorityOf(goals int) int {
	switch {
	case goals <= 0:
		return 1
	case goals < 200:
		return 2
	case goals < LargeWorkspace:
		return 1
	case goals < 5*LargeWorkspace:
		return 2
	}
	return 1
}

// Queues returns what a client that works sync jobs puts in
// river.Config.Queues (or merges into its own queues): Queue with
// maxWorkers and QueueLarge with largeMaxWorkers, 0 meaning
// DefaultMaxWorkers and DefaultLargeMaxWorkers. A client that listed Queue
// alone would never run the syncs of large workspaces.
func Queues(maxWorkers, largeMaxWorkers int) map[string]river.QueueConfig {
	if maxWorkers <= 0 {
		maxWorkers = DefaultMaxWorkers
	}
	if largeMaxWorkers <= 0 {
		largeMaxWorkers = DefaultLargeMaxWorkers
	}
	return map[string]river.QueueConfig{
		Queue:      {MaxWorkers: maxWorkers},
		QueueLarge: {MaxWorkers: largeMaxWorkers},
	}
}
