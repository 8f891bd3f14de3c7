package goals

import "context"

// Hooks are functions an Ingester calls as a sync goes, for a host's
// telemetry (Config.Hooks): the sync's start and end, the start and end of
// each of its stages, and each employee's write. Package goals/otelgoals
// turns them into OpenTelemetry spans and metrics; a host may set its own.
// Any of them may be nil, and a sync without hooks does no work for them at
// all. The client's own hooks (asana.WithHooks) tell of each request.
//
// Hooks are called synchronously, on the sync's goroutines: each must return
// quickly and be safe for concurrent calls (stages overlap, and one Ingester
// may run several syncs at once). They must not modify what they are handed.
//
// Contexts. SyncStart may return a context for the sync, and StageStart one
// for the stage (to carry a span, say); each must be the context it was
// given or one derived from it (context.WithValue, trace.ContextWithSpan),
// so that the sync's cancellation still reaches everything, and nil means
// the one given. The sync then runs in what SyncStart returned: every later
// hook of that sync, every request to Asana and every Store call gets it or
// a context derived from it, and the requests and Store calls of a stage get
// what StageStart returned for it. A hook that needs to find its own values
// again looks them up in the context it receives; no mutable state need
// ride in a context.
//
// A sync refused with a *GoalsConfigError calls no hook.
type Hooks struct {
	// SyncStart is called when a sync starts, once its Config and employees
	// were checked, before any request.
	SyncStart func(ctx context.Context, s SyncInfo) context.Context
	// SyncEnd is called when the sync has ended, with the context
	// SyncStart returned, the sync's Report (final; read it, do not modify
	// it) and the error Sync returns.
	SyncEnd func(ctx context.Context, r *Report, err error)
	// StageStart is called when one of the sync's stages starts (see
	// Stage), with the sync's context.
	StageStart func(ctx context.Context, s Stage) context.Context
	// StageEnd is called when the stage has ended, with the context its
	// StageStart returned, and the error that ended it when it failed as a
	// whole (the workspace scan failed; the fetches were stopped by a
	// refused token or a cancelled sync; the writes were cancelled). The
	// failures of single goals or employees are not a stage's error.
	StageEnd func(ctx context.Context, s Stage, err error)
	// EmployeeWritten is called once for each mapped employee, when the
	// employee's write has ended (or was never made because the sync was
	// cancelled while writing), with the write stage's context. A sync that
	// stops before its writes (a refused token, a cancellation) writes no
	// employee and calls it for none.
	EmployeeWritten func(ctx context.Context, w WriteInfo)
}

// SyncInfo is a sync as Hooks.SyncStart sees it.
type SyncInfo struct {
	// WorkspaceGID is the workspace scanned (Config.WorkspaceGID).
	WorkspaceGID string
	// Employees counts the employees given to Sync; Mapped those with an
	// Asana user GID, the ones the sync reads and writes.
	Employees int
	Mapped    int
}

// Stage is a part of a sync that Hooks.StageStart and Hooks.StageEnd
// bracket. Unlike the Phase of SyncProgress, which is one at a time,
// stages overlap: sub-goals are walked while the scan goes on.
type Stage string

// The stages of a sync. The scan and the walk start together; the writes
// start once both have ended, and are left out when the sync stopped
// before them.
const (
	// StageScan: the paginated scan of the workspace's goals
	// (GET /goals), with the routing of each goal to its owner.
	StageScan Stage = "scan"
	// StageWalk: the fetch of the kept goals' sub-goals, from the start of
	// the scan until the last kept goal's sub-goals were fetched.
	StageWalk Stage = "walk"
	// StageWrite: the removal guard's reads of what is stored, and one
	// Store call per employee.
	StageWrite Stage = "write"
)

// WriteInfo is one employee's write, as Hooks.EmployeeWritten sees it.
type WriteInfo struct {
	// Report is the employee's entry of the sync's Report, as final.
	Report EmployeeReport
	// GoalsTruncated counts the goals the employee owns past the cap
	// (Config.MaxGoalsPerEmployee), seen but not pulled: non-zero when
	// Report.Truncated is set.
	GoalsTruncated int
	// GoalsRemoved counts the stored goals the write removed (goals Asana no
	// longer has for the employee), as counted from the stored goals read
	// just before the writes; 0 for a write that removes nothing (partial,
	// held back, failed, not made), and -1 for a complete write whose
	// removals were not counted because they were confirmed
	// (Config.ConfirmRemovals).
	GoalsRemoved int
	// StoreErr is the store's error when the employee's Store call failed,
	// or when reading the employee's stored goals for the removal guard
	// failed; nil otherwise. It is also among Report.Err.
	StoreErr error
}

// syncStart calls hooks.SyncStart, if set, and returns the sync's context.
func (h *Hooks) syncStart(ctx context.Context, s SyncInfo) context.Context {
	if h.SyncStart == nil {
		return ctx
	}
	if c := h.SyncStart(ctx, s); c != nil {
		return c
	}
	return ctx
}

// stageStart calls hooks.StageStart, if set, and returns the stage's
// context.
func (h *Hooks) stageStart(ctx context.Context, s Stage) context.Context {
	if h.StageStart == nil {
		return ctx
	}
	if c := h.StageStart(ctx, s); c != nil {
		return c
	}
	return ctx
}

func (h *Hooks) stageEnd(ctx context.Context, s Stage, err error) {
	if h.StageEnd != nil {
		h.StageEnd(ctx, s, err)
	}
}
