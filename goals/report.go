package goals

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
)

// SubgoalPath is the Asana path a sync fetched sub-goals through.
type SubgoalPath string

// Sub-goal sources a Report can name.
const (
	// PathSubgoals: Key Results came from GET /goals/{gid}/subgoals, the
	// path the product spec names.
	PathSubgoals SubgoalPath = "subgoals"
	// PathGoalRelationships: Asana answered that the subgoals path does
	// not exist, so the sync switched to GET /goal_relationships
	// (resource_subtype=subgoal), the path Asana documents today; also
	// when it asked goal relationships after that 404 and they failed.
	PathGoalRelationships SubgoalPath = "goal_relationships"
	// PathNone: no goal was kept, so no sub-goal was asked for.
	PathNone SubgoalPath = "none"
)

// WriteKind says how a sync left an employee's stored goals.
type WriteKind string

// How an employee's goals were written.
const (
	// WrittenComplete: the store now equals Asana for this employee.
	WrittenComplete WriteKind = "complete"
	// WrittenPartial: goals fetched whole were upserted, and stored goals
	// outside the review window refreshed; nothing was removed.
	WrittenPartial WriteKind = "partial"
	// WrittenNone: nothing was written; stored goals are as they were.
	WrittenNone WriteKind = "none"
)

// maxOwnerExamples is how many unmapped owner GIDs a report quotes.
const maxOwnerExamples = 10

// Report says what one sync did. It is what an admin reads when goals are
// missing. How to read it against the spec's Troubleshooting section:
//
//   - Zero goals after sync: WorkspaceGoalsScanned is 0 when the workspace
//     GID is wrong or the token's user cannot see its goals. When it is not
//     0, the goals went elsewhere: OwnerlessGoals never appear (a goal needs
//     an owner), and UnmappedOwnerGoals belong to Asana users mapped to no
//     employee; UnmappedOwnerExamples lists some of those users' GIDs to map.
//     UnmappedEmployees have no Asana user GID yet.
//   - Sub-goals missing: SubgoalPath says which Asana path was used. Only
//     sub-goals linked through Asana's parent-goal relationship count, not a
//     custom field.
//   - "truncated": true on an employee: they own more than the per-employee
//     cap (200) in this workspace; only the first 200 in Asana's order were
//     pulled. GoalsOwned says how many they own.
type Report struct {
	WorkspaceGID string    `json:"workspace_gid"`
	StartedAt    time.Time `json:"started_at"`
	// DurationSeconds is the sync's wall time.
	DurationSeconds float64 `json:"duration_seconds"`

	// WorkspaceGoalsScanned counts every goal the workspace scan returned.
	WorkspaceGoalsScanned int `json:"workspace_goals_scanned"`
	// OwnerlessGoals counts goals with no owner; they are never pulled.
	OwnerlessGoals int `json:"ownerless_goals"`
	// UnmappedOwnerGoals counts goals whose owner is mapped to no employee.
	UnmappedOwnerGoals int `json:"unmapped_owner_goals"`
	// UnmappedOwnerExamples lists up to ten such owners' GIDs, in the order
	// first seen, to help map people.
	UnmappedOwnerExamples []string `json:"unmapped_owner_examples"`
	// UnmappedEmployees lists the IDs of employees with no Asana user GID.
	UnmappedEmployees []string `json:"unmapped_employees"`
	// MalformedRecords counts scanned records Asana cannot have meant, or
	// that the client cannot read: a goal without a GID, an owner object
	// without a GID, either GID not written as an Asana GID (digits: see
	// asana.IsGID), a field of the wrong type, a date that is no date, a
	// time period that ends before it starts. One is enough to
	// make every employee's write partial: the goal might have been
	// anyone's, so nobody's list is known whole.
	MalformedRecords int `json:"malformed_records"`
	// OwnerChanges counts goals the scan showed under one owner and then,
	// on a later page, under another (the owner changed while the scan
	// ran). Such a goal is stored under neither employee by this sync, and
	// both are written partial, so it is never stored under both.
	OwnerChanges int `json:"owner_changes"`
	// SelfSubgoals counts the sub-goal links Asana returned from a kept
	// goal to the goal itself: a goal relationship whose supporting goal is
	// the goal it supports, or the goal in its own list of sub-goals. A goal
	// is never its own Key Result, so each such link is skipped; the goal is
	// written with its other Key Results, and the link alone makes no write
	// partial (it hides no goal).
	SelfSubgoals int `json:"self_subgoals"`
	// MalformedRecordGIDs quotes up to ten of those records' GIDs (those
	// that had one written as an Asana GID), to look them up in Asana.
	MalformedRecordGIDs []string `json:"malformed_record_gids,omitempty"`
	// Period is the review window the sync was scoped to (Config.Period),
	// written FROM..TO; "" for an unscoped sync.
	Period string `json:"period,omitempty"`
	// GoalsOutsidePeriod counts the mapped employees' goals the scan
	// returned outside Period: not walked; those stored take their own
	// fields from the scan and keep their Key Results (see Config.Period).
	GoalsOutsidePeriod int `json:"goals_outside_period"`
	// RequestsSaved estimates the sub-goal requests the window saved
	// against an unscoped sync: one listing for each goal an unscoped sync
	// would have kept and this one did not.
	RequestsSaved int `json:"requests_saved"`
	// Employees has one entry for every mapped employee, in input order,
	// those with no goals too.
	Employees []EmployeeReport `json:"employees"`

	// SubgoalPath is PathSubgoals, PathGoalRelationships or
	// PathNone.
	SubgoalPath SubgoalPath `json:"subgoal_source"`
	// DescriptionsOmitted is Config.OmitDescriptions: no html_notes was
	// requested and every description was written empty.
	DescriptionsOmitted bool `json:"descriptions_omitted"`
	// StatusesFromGoalField counts the goals and Key Results handed to the
	// store whose status came from Asana's goal status field (green,
	// yellow, red, …) because they had no status update: see
	// StatusFromGoal.
	StatusesFromGoalField int `json:"statuses_from_goal_field"`
	// StatusSource is where the sync read statuses from: StatusFromUpdate
	// ("status_update") when it asked for each goal's latest status
	// update's status_type (a goal without one takes its own status
	// field, as its StatusSource says), or StatusFromGoal ("goal_status")
	// when Asana refused that field (a 400 naming it, which a server
	// enforcing Asana's published opt_fields lists answers: see
	// asana.Client.StatusTypeRefused). The sync then went on without it,
	// and every status came from the goal's own status field;
	// StatusSourceNote says so in words.
	StatusSource     StatusSource `json:"status_source"`
	StatusSourceNote string       `json:"status_source_note,omitempty"`

	// AsanaChanges lists the breaking changes Asana announced to the
	// source's client in Asana-Change headers (by the end of this sync,
	// those of earlier syncs of the same client too), when the source
	// reports them (*asana.Client does). The client also logs each once,
	// at warn level. Opt in or out with asana.WithAsanaEnable /
	// asana.WithAsanaDisable.
	AsanaChanges []asana.Change `json:"asana_changes"`

	// Requests, Retries and RateLimited count HTTP requests sent (retries
	// included), retries, and 429 answers, when the source reports them.
	Requests    int64 `json:"requests"`
	Retries     int64 `json:"retries"`
	RateLimited int64 `json:"rate_limited"`

	// RemovalsHeld counts the stored goals that complete writes would have
	// removed but the mass-removal guard held back (see
	// Config.RemovalThreshold); the writes were upsert-only.
	// RemovalsHeldReason says why, with the numbers. Both are zero when
	// the removals were applied or there were none.
	RemovalsHeld       int    `json:"removals_held"`
	RemovalsHeldReason string `json:"removals_held_reason,omitempty"`

	// Error is set when the sync failed as a whole (the workspace scan
	// failed, or it was cancelled). Stored data was not removed.
	Error string `json:"error,omitempty"`
}

// EmployeeReport is one mapped employee's part of a sync.
type EmployeeReport struct {
	EmployeeID   string `json:"employee_id"`
	AsanaUserGID string `json:"asana_user_gid"`
	// GoalsOwned counts the employee's goals in the workspace scan.
	GoalsOwned int `json:"goals_owned"`
	// GoalsKept counts the goals pulled (at most the cap).
	GoalsKept int `json:"goals_kept"`
	// KeyResults counts the Key Results of the kept goals.
	KeyResults int `json:"key_results"`
	// Truncated is true when the goals owned in the review window (all of
	// them, without one) exceeded the cap.
	Truncated bool `json:"truncated"`
	// GoalsOutsidePeriod counts the goals owned outside the review window
	// (Config.Period): not walked; those stored take their own fields from
	// the scan and keep their Key Results.
	GoalsOutsidePeriod int `json:"goals_outside_period"`
	// Written is WrittenComplete, WrittenPartial or WrittenNone.
	Written WriteKind `json:"written"`
	// RemovalsHeld counts this employee's stored goals that the
	// mass-removal guard kept although Asana no longer lists them.
	RemovalsHeld int `json:"removals_held,omitempty"`
	// Err says why the employee's goals could not all be synced; nil when
	// they were. Its message is the reasons in words, for people, and the
	// JSON form's "error" (omitted when Err is nil). It wraps the errors
	// behind those reasons, for errors.Is and errors.As
	// (asana.ErrUnauthorized, a store's own error, context.Canceled,
	// ErrOwnerChanged, asana.ErrMalformedResponse, …). Only the message is
	// in the JSON form: an EmployeeReport decoded from it has an Err with
	// that message, wrapping nothing.
	Err error `json:"-"`
}

// employeeReportFields is EmployeeReport without its JSON methods.
type employeeReportFields EmployeeReport

// MarshalJSON writes e's fields under their tags, then Err's message as
// "error" when Err is not nil.
func (e EmployeeReport) MarshalJSON() ([]byte, error) {
	v := struct {
		employeeReportFields
		Error string `json:"error,omitempty"`
	}{employeeReportFields: employeeReportFields(e)}
	if e.Err != nil {
		v.Error = e.Err.Error()
	}
	// Not json.Marshal: it would escape <, > and & for HTML, and the
	// encoder calling this one could not undo it. The calling encoder
	// escapes them, or not, as it was set.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads the JSON form MarshalJSON writes: a non-empty
// "error" becomes an Err with that message (wrapping nothing), an empty
// one a nil Err.
func (e *EmployeeReport) UnmarshalJSON(data []byte) error {
	v := struct {
		employeeReportFields
		Error *string `json:"error"`
	}{employeeReportFields: employeeReportFields(*e)}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*e = EmployeeReport(v.employeeReportFields)
	switch {
	case v.Error == nil:
	case *v.Error == "":
		e.Err = nil
	default:
		e.Err = errors.New(*v.Error)
	}
	return nil
}

// failure is an EmployeeReport's Err: the reasons in words, and the errors
// behind them.
type failure struct {
	text string
	errs []error
}

func (f *failure) Error() string   { return f.text }
func (f *failure) Unwrap() []error { return f.errs }

// Failed returns the entries of employees whose sync had an error.
func (r *Report) Failed() []EmployeeReport {
	var out []EmployeeReport
	for _, e := range r.Employees {
		if e.Err != nil {
			out = append(out, e)
		}
	}
	return out
}
