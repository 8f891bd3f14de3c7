package goals

import (
	"math"
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

// Goal is one Asana goal owned by an employee: the spec's Goal row.
type Goal struct {
	EmployeeID string `json:"employee_id"`
	GID        string `json:"gid"`
	Name       string `json:"name"`
	// Description is the goal's html_notes as plain text, capped at
	// Config.DescriptionLimit runes.
	Description string     `json:"description"`
	StartOn     asana.Date `json:"start_on"`
	DueOn       asana.Date `json:"due_on"`
	// Status is the mapped status; RawStatus is Asana's status_type word as
	// received ("" when the goal has no status update).
	Status     status.Status `json:"status"`
	RawStatus  string        `json:"raw_status"`
	Progress   *Progress     `json:"progress,omitempty"`
	KeyResults []KeyResult   `json:"key_results"`
	SyncedAt   time.Time     `json:"synced_at"`
}

// KeyResult is one sub-goal of a Goal: the spec's GoalKeyResult row.
type KeyResult struct {
	GoalGID   string        `json:"goal_gid"`
	GID       string        `json:"gid"`
	Name      string        `json:"name"`
	Status    status.Status `json:"status"`
	RawStatus string        `json:"raw_status"`
	DueOn     asana.Date    `json:"due_on"`
	Progress  *Progress     `json:"progress,omitempty"`
}

// Progress is a goal's numeric metric, when Asana has one.
type Progress struct {
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
func (p Progress) Fraction() (float64, bool) {
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
