package goals

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/internal/textline"
	"github.com/perfcopilot/asanagoals/status"
)

// Defaults applied to zero fields of Config.
const (
	// DefaultMaxGoalsPerEmployee is the spec's hard cap: only the first 200
	// goals an employee owns, in Asana's order, are pulled.
	DefaultMaxGoalsPerEmployee = 200
	// DefaultDescriptionLimit is the spec's cap on a description, in runes.
	DefaultDescriptionLimit = 1000
	// DefaultConcurrency is how many sub-goal requests run at once. It
	// leaves room under Asana's 50 in-flight requests for the page scan.
	DefaultConcurrency = 40
	// MaxConcurrency is Asana's limit of concurrent GET requests per token
	// (asana.MaxInFlight).
	MaxConcurrency = asana.MaxInFlight
	// DefaultRemovalThreshold is the largest share of the goals stored for
	// a sync's employees that it removes without confirmation: one fifth.
	DefaultRemovalThreshold = 0.2
	// MinRemovalsHeld is the fewest removals the guard ever holds back:
	// fewer are applied whatever their share, so that one goal deleted in
	// Asana, or all three of a small team's, goes through.
	MinRemovalsHeld = 10
)

// Config is what one Sync needs besides its employees.
type Config struct {
	// WorkspaceGID is the numeric GID of the Asana workspace (from the
	// workspace URL, or Admin Console → Workspace settings). Required:
	// Asana's Goals endpoint needs a workspace parameter.
	WorkspaceGID string
	// MaxGoalsPerEmployee caps the goals kept per employee; 0 means
	// DefaultMaxGoalsPerEmployee.
	MaxGoalsPerEmployee int
	// DescriptionLimit caps descriptions, in runes; 0 means
	// DefaultDescriptionLimit.
	DescriptionLimit int
	// OmitDescriptions keeps no descriptions: html_notes is left out of
	// every request, so Asana never sends it, and every Goal.Description
	// is written empty, which also blanks descriptions an earlier sync
	// stored. For workspaces whose goal descriptions hold internal context
	// that reviewers should not see (the spec's privacy note).
	OmitDescriptions bool
	// Concurrency bounds the sub-goal requests in flight, 1..MaxConcurrency;
	// 0 means DefaultConcurrency.
	Concurrency int
	// Now is the clock stamped into Goal.SyncedAt; nil means time.Now.
	Now func() time.Time
	// Logger receives one line per sync and per failed employee; nil
	// discards.
	Logger *slog.Logger
	// OnProgress, when set, is called as the sync goes: after every page
	// of the workspace scan, after every ten sub-goal fetches, when the
	// scan ends, when the sub-goal walk ends, and when the writes end.
	// Calls come one at a time, possibly from different goroutines, and
	// should return quickly.
	OnProgress func(SyncProgress)
	// Hooks are called as the sync goes, for telemetry (package
	// goals/otelgoals sets them): see Hooks. The zero Hooks costs nothing.
	Hooks Hooks

	// StatusMapper maps a status update's status_type; nil means the
	// spec's table (status.Map). A host extends Asana's words the way other
	// connectors extend theirs, with status.NewMapper; the spec's own words
	// keep their meaning in every Mapper.
	StatusMapper *status.Mapper

	// RemovalThreshold guards against mass removals. A complete sync makes
	// the store equal to what the token sees; a token whose user lost
	// visibility (moved team, goals made private, a service account with
	// less access) sees fewer goals, and Asana's answers look exactly like
	// goals deleted there. So when the complete writes of a sync would
	// remove more than this share of the goals stored for its employees,
	// and at least MinRemovalsHeld goals, the sync removes nothing: every
	// write becomes upsert-only and Report.RemovalsHeld says how many
	// removals were held back. 0 means DefaultRemovalThreshold; 1 turns
	// the guard off.
	//
	// The guard reads the stored goals before writing, through the
	// Store's Goals, unless ConfirmRemovals is set.
	RemovalThreshold float64
	// Period scopes the sync to a review window: only the goals in it
	// (Period.Includes: their Asana time period, or else their
	// start_on..due_on, overlaps it; a goal with no dates at all is in)
	// are kept, walked and written, and MaxGoalsPerEmployee counts only
	// those, in Asana's order. Goals outside it cost no sub-goal request.
	// A scoped sync refreshes what it read: the scan reads every goal's
	// own fields (name, description, dates, status, time period, metric)
	// at no extra request, so a stored goal the scan returned outside the
	// window takes them from this scan, while its Key Results stay as
	// stored, since it is not walked (Write.Refresh). A stored row whose
	// fields did not change stays byte for byte, SyncedAt included; a goal
	// outside the window that is not stored is not added; every stored
	// goal is in Asana's order; a stored goal the scan did not return at
	// all is removed, as in any complete sync (it left Asana, whatever its
	// period). The zero Period syncs every goal.
	//
	// The workspace scan itself stays whole: Asana's time_periods filter
	// would also drop goals that have no time period, and the scan's pages
	// are about one request in a hundred of a sync.
	Period Period
	// ConfirmRemovals applies this sync's removals whatever their share:
	// an admin's confirmation, after checking that the goals did leave
	// Asana. Set it for one sync, not for good.
	ConfirmRemovals bool
}

// Phase is where a sync is, for progress display.
type Phase string

// The phases of a sync, in order.
const (
	// PhaseScanning: the workspace scan runs (sub-goals are fetched
	// alongside).
	PhaseScanning Phase = "scanning"
	// PhaseWalking: the scan is done; sub-goals are still being fetched.
	PhaseWalking Phase = "walking"
	// PhaseWriting: everything was fetched; the writes are under way.
	PhaseWriting Phase = "writing"
	// PhaseDone: the writes ended (or the sync stopped).
	PhaseDone Phase = "done"
)

// SyncProgress is a sync's state for progress display.
type SyncProgress struct {
	Phase Phase
	// PagesScanned counts the workspace scan's pages so far, empty ones
	// too, so that a scan that finds nothing still shows it moves.
	PagesScanned int
	GoalsScanned int
	GoalsKept    int
	// KeyResultGoalsDone counts kept goals whose sub-goals were fetched.
	KeyResultGoalsDone int

	// The source's figures, when it reports them (an *asana.Client does;
	// see asana.Stats): requests sent and 429s met since the sync began,
	// the client's rate now, and the rest of a Retry-After pause in force.
	Requests          int64
	RateLimited       int64
	RequestsPerMinute float64
	Paused            time.Duration
}

// RequestsLeft returns the requests the sync still needs as far as it knows
// them: the sub-goal fetches of the kept goals not done yet, and while the
// scan goes on at least one more page (how many, Asana does not say).
func (p SyncProgress) RequestsLeft() int {
	left := max(0, p.GoalsKept-p.KeyResultGoalsDone)
	if p.Phase == PhaseScanning {
		left++
	}
	return left
}

// ETA estimates the time the sync still needs: RequestsLeft at the current
// rate, after the pause in force. It reports false when there is no rate to
// go by. While the scan goes on it is a lower bound.
func (p SyncProgress) ETA() (time.Duration, bool) {
	if p.RequestsPerMinute <= 0 {
		return 0, false
	}
	return p.Paused + time.Duration(float64(p.RequestsLeft())/p.RequestsPerMinute*float64(time.Minute)), true
}

// Validate reports the first problem of the configuration as a
// *GoalsConfigError, or nil. Sync calls it; a command-line front end can
// call it first to fail before anything else.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// GoalsConfigError is a configuration (or employee list) that a sync cannot
// run with. Sync returns it before making any request, so nothing is pulled
// and nothing is written. Match it with errors.As.
type GoalsConfigError struct {
	// Field names what is wrong, e.g. "WorkspaceGID" or "employees[3].ID".
	Field string
	// Problem says why, in words an admin can act on.
	Problem string

	employee int // 1 + the index of the employee it is about; 0: none
}

// Employee reports which entry of the employee list the error is about, as
// an index into the slice given to Sync, so that a front end can point at
// the line it read it from; ok is false for an error about the
// configuration.
func (e *GoalsConfigError) Employee() (index int, ok bool) {
	return e.employee - 1, e.employee > 0
}

// employeeError is a GoalsConfigError about employees[i].field.
func employeeError(i int, field, problem string) *GoalsConfigError {
	return &GoalsConfigError{Field: fmt.Sprintf("employees[%d].%s", i, field), Problem: problem, employee: i + 1}
}

// Error reads "goals: configuration error: <Field>: <Problem>".
func (e *GoalsConfigError) Error() string {
	return fmt.Sprintf("goals: configuration error: %s: %s", e.Field, e.Problem)
}

// withDefaults returns a copy of c with defaults filled in, or the first
// problem found.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.WorkspaceGID == "":
		return c, &GoalsConfigError{Field: "WorkspaceGID", Problem: "the workspace GID is required: " +
			"Asana's Goals endpoint needs a workspace parameter (find the numeric ID in your Asana workspace URL " +
			"or in Admin Console → Workspace settings)"}
	case !isGID(c.WorkspaceGID):
		return c, &GoalsConfigError{Field: "WorkspaceGID", Problem: fmt.Sprintf(
			"%q is not an Asana GID: a workspace GID is the numeric ID in your Asana workspace URL", textline.Clip(c.WorkspaceGID))}
	case c.MaxGoalsPerEmployee < 0:
		return c, &GoalsConfigError{Field: "MaxGoalsPerEmployee", Problem: fmt.Sprintf("must not be negative, got %d", c.MaxGoalsPerEmployee)}
	case c.DescriptionLimit < 0:
		return c, &GoalsConfigError{Field: "DescriptionLimit", Problem: fmt.Sprintf("must not be negative, got %d", c.DescriptionLimit)}
	case c.Concurrency < 0 || c.Concurrency > MaxConcurrency:
		return c, &GoalsConfigError{Field: "Concurrency", Problem: fmt.Sprintf("must be 1..%d (0 for the default), got %d", MaxConcurrency, c.Concurrency)}
	case !c.Period.From.IsZero() && !c.Period.To.IsZero() && dayNumber(c.Period.From) > dayNumber(c.Period.To):
		return c, &GoalsConfigError{Field: "Period", Problem: fmt.Sprintf("the review window %s ends before it starts", c.Period)}
	case !(c.RemovalThreshold >= 0 && c.RemovalThreshold <= 1): // NaN too
		return c, &GoalsConfigError{Field: "RemovalThreshold", Problem: fmt.Sprintf(
			"must be a share from 0 to 1 (0 for the default %.2f, 1 to turn the guard off), got %v", DefaultRemovalThreshold, c.RemovalThreshold)}
	}
	if c.RemovalThreshold == 0 {
		c.RemovalThreshold = DefaultRemovalThreshold
	}
	if c.MaxGoalsPerEmployee == 0 {
		c.MaxGoalsPerEmployee = DefaultMaxGoalsPerEmployee
	}
	if c.DescriptionLimit == 0 {
		c.DescriptionLimit = DefaultDescriptionLimit
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// checkEmployees refuses an employee list the sync could not route goals
// through unambiguously.
func checkEmployees(emps []Employee) error {
	ids := make(map[string]int, len(emps))
	gids := make(map[string]int, len(emps))
	for i, e := range emps {
		switch {
		case e.ID == "":
			return employeeError(i, "ID", "the employee ID is empty")
		case e.AsanaUserGID != "" && !isGID(e.AsanaUserGID):
			return employeeError(i, "AsanaUserGID", fmt.Sprintf("%q is not an Asana user GID (a number)", textline.Clip(e.AsanaUserGID)))
		}
		if j, dup := ids[e.ID]; dup {
			return employeeError(i, "ID", fmt.Sprintf("employee ID %q is listed twice (also employees[%d])", textline.Clip(e.ID), j))
		}
		ids[e.ID] = i
		if e.AsanaUserGID == "" {
			continue
		}
		if j, dup := gids[e.AsanaUserGID]; dup {
			return employeeError(i, "AsanaUserGID", fmt.Sprintf(
				"Asana user %s is mapped to two employees (%q and %q); goals could not be routed", e.AsanaUserGID, textline.Clip(emps[j].ID), textline.Clip(e.ID)))
		}
		gids[e.AsanaUserGID] = i
	}
	return nil
}

// isGID reports whether s looks like an Asana GID: digits only.
func isGID(s string) bool { return asana.IsGID(s) }
