package goals

import (
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/status"
)

// Employee is one of the host's employees and the Asana user mapped to them.
type Employee struct {
	// ID is the host's own employee identifier. It is required and unique.
	ID string `json:"employee_id"`
	// AsanaUserGID is the employee's Asana user GID, or "" while the admin
	// has not mapped them yet (see Report.UnmappedEmployees).
	AsanaUserGID string `json:"asana_user_gid"`
	// Name and Email are optional and only used in reports.
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// Goal is one Asana goal owned by an employee: the spec's Goal row, as a
// sync writes it to a Store and a Reader returns it. It is the stored
// goal's one shape: a store keeps every field (storetest checks each one
// reads back), and the views of it, goalsync's JSON output among them,
// derive from it rather than copy its fields.
type Goal struct {
	EmployeeID string `json:"employee_id"`
	GID        string `json:"gid"`
	Name       string `json:"name"`
	// Description is the goal's html_notes as plain text, capped at
	// Config.DescriptionLimit runes.
	Description string     `json:"description"`
	StartOn     asana.Date `json:"start_on"`
	DueOn       asana.Date `json:"due_on"`
	// Status is the mapped status; RawStatus is Asana's word as received,
	// and StatusSource says which field it came from (see StatusSource).
	Status       status.Status `json:"status"`
	RawStatus    string        `json:"raw_status"`
	StatusSource StatusSource  `json:"status_source"`
	// TimePeriod is the Asana time period the goal belongs to, nil when it
	// has none.
	TimePeriod *TimePeriod `json:"time_period"`
	// Metric is the goal's numeric metric, nil when it has none. Its JSON
	// key is "progress" (omitted when nil), the key Goal has had from its
	// first version, so that JSON a host stored reads back into Metric.
	Metric     *Metric     `json:"progress,omitempty"`
	KeyResults []KeyResult `json:"key_results"`
	SyncedAt   time.Time   `json:"synced_at"`
}

// Refreshed returns g, a stored goal, with the goal's own fields as fresh
// has them (fresh is the same goal read again, without its Key Results:
// see Write.Refresh). A goal's own fields are all its fields but its
// employee, GID and Key Results, which stay g's: a field added to Goal is
// one of them. It reports whether any of them but SyncedAt differed; when
// none did, it returns g as it is, SyncedAt included, so that a row a sync
// only confirmed stays byte for byte, and else fresh's fields, SyncedAt
// included. Values compare as == does (a metric of -0 equals 0) and
// pointers by what they point to.
func (g Goal) Refreshed(fresh Goal) (Goal, bool) {
	fresh.EmployeeID, fresh.GID, fresh.KeyResults = g.EmployeeID, g.GID, g.KeyResults
	synced := fresh.SyncedAt
	fresh.SyncedAt = g.SyncedAt
	if reflect.DeepEqual(g, fresh) {
		return g, false
	}
	fresh.SyncedAt = synced
	return fresh, true
}

// TimePeriod is the period an Asana goal belongs to (a fiscal year, half or
// quarter), as Asana names and dates it.
type TimePeriod struct {
	// GID is Asana's time period GID.
	GID string `json:"gid"`
	// DisplayName is Asana's label, e.g. "Q1 FY26".
	DisplayName string `json:"display_name"`
	// Period is the cadence and index: FY, H1, H2, Q1, Q2, Q3 or Q4.
	Period string `json:"period"`
	// StartOn and EndOn are the period's first and last days.
	StartOn asana.Date `json:"start_on"`
	EndOn   asana.Date `json:"end_on"`
}

// StatusSource says which of an Asana goal's fields its status was mapped
// from.
type StatusSource string

// The sources of a status, in the order they are tried.
const (
	// StatusFromUpdate: the current status update's status_type, mapped by
	// the spec's table (status.Map). It wins whenever it is present.
	StatusFromUpdate StatusSource = "status_update"
	// StatusFromGoal: no status update (or one without a status_type), so
	// the goal's own status field (green, yellow, red, achieved, partial,
	// missed, dropped) was mapped with status.MapGoalStatus. This is the
	// one place the library goes beyond the spec's table: Asana shows that
	// status even when no update was posted, and a goal Asana shows as red
	// must not be reviewed as on track.
	StatusFromGoal StatusSource = "goal_status"
	// StatusFromNone: neither field was set; the status is on_track, the
	// spec's "missing" row, and RawStatus is "".
	StatusFromNone StatusSource = "none"
)

// statusOf maps an Asana goal's status: the status update's status_type
// by m (nil: the spec's table) when there is one, else the goal's own
// status field by status.MapGoalStatus, else none. It returns the mapped
// status, the word it was mapped from and that word's source.
func statusOf(m *status.Mapper, statusType, goalStatus string) (status.Status, string, StatusSource) {
	switch {
	case strings.TrimSpace(statusType) != "":
		return m.Map(statusType), statusType, StatusFromUpdate
	case strings.TrimSpace(goalStatus) != "":
		return status.MapGoalStatus(goalStatus), goalStatus, StatusFromGoal
	}
	return status.OnTrack, "", StatusFromNone
}

// KeyResult is one sub-goal of a Goal: the spec's GoalKeyResult row.
type KeyResult struct {
	GoalGID   string        `json:"goal_gid"`
	GID       string        `json:"gid"`
	Name      string        `json:"name"`
	Status    status.Status `json:"status"`
	RawStatus string        `json:"raw_status"`
	// StatusSource says which field of the sub-goal Status came from, as
	// on Goal.
	StatusSource StatusSource `json:"status_source"`
	DueOn        asana.Date   `json:"due_on"`
	// Metric is the sub-goal's numeric metric, nil when it has none; its
	// JSON key is "progress", as on Goal.
	Metric *Metric `json:"progress,omitempty"`
}

// Metric is a goal's numeric metric (Asana's metric: initial, current and
// target values), which reviews show as how far the goal has progressed.
// "Progress" in this package means a sync's progress (SyncProgress).
type Metric struct {
	Initial float64 `json:"initial"`
	Current float64 `json:"current"`
	Target  float64 `json:"target"`
	// Unit is Asana's metric unit: "none", "percentage" or "currency".
	Unit string `json:"unit,omitempty"`
	// CurrencyCode is set when Unit is "currency" (ISO 4217, e.g. "EUR").
	CurrencyCode string `json:"currency_code,omitempty"`
}

// Fraction returns how far Current has gone from Initial towards Target,
// clamped to [0, 1]. It reports false when no fraction is defined: Target
// equals Initial, or a value is not a finite number.
func (p Metric) Fraction() (float64, bool) {
	span := p.Target - p.Initial
	if span == 0 || !isFinite(p.Initial) || !isFinite(p.Current) || !isFinite(p.Target) || !isFinite(span) {
		return 0, false
	}
	f := (p.Current - p.Initial) / span
	switch {
	case f < 0:
		f = 0
	case f > 1:
		f = 1
	}
	return f, true
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
