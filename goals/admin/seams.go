package admin

import (
	"context"
	"errors"
	"time"

	"github.com/perfcopilot/asanagoals/goals"
)

// Connection is the Asana connection of the workspace the pages manage:
// what the spec's Connecting steps ask an admin for, and what the last
// check found out about the token.
type Connection struct {
	// WorkspaceGID is the numeric GID of the Asana workspace.
	WorkspaceGID string
	// RequestsPerMinute is the token's quota (asana.PaidRequestsPerMinute
	// or asana.FreeRequestsPerMinute); 0 means the client's default, the
	// paid tier.
	RequestsPerMinute int
	// Token is the Personal Access Token. It is write-only as far as the
	// pages go: they use it to call Asana and never render it, not even
	// masked.
	Token string
	// TokenUserGID and TokenUserName are the Asana user the token belongs
	// to, as GET /users/me answered when the connection was saved.
	TokenUserGID  string
	TokenUserName string
	// CheckedAt is when the token and the workspace were last checked.
	CheckedAt time.Time
}

// ErrNotConnected is what Settings.Connection returns when no connection
// was saved yet.
var ErrNotConnected = errors.New("admin: no Asana connection saved yet")

// ErrNoSealKey is what a Settings that seals the token at rest returns
// (wrapped) when it was given no key to seal it with; the Connection page
// then says so, instead of saving the token in plain text.
var ErrNoSealKey = errors.New("admin: the store has no key to seal the token with")

// ErrUnknownEmployee is what Directory.MapEmployee returns for an employee
// ID the directory does not hold.
var ErrUnknownEmployee = errors.New("admin: no such employee")

// Settings keeps the one Asana connection the pages manage. Implementations
// must be safe for concurrent use.
//
// Contract:
//
//   - Connection returns exactly what the last successful SaveConnection
//     saved (CheckedAt to the microsecond, in UTC), or ErrNotConnected when
//     nothing was saved.
//   - SaveConnection is all-or-nothing: it replaces the whole connection or
//     changes nothing and returns an error.
//   - An implementation that stores the token at rest seals it (sqlstore
//     uses AES-256-GCM under a key the host passes), and fails to save a
//     token it cannot seal, with an error matching ErrNoSealKey.
type Settings interface {
	Connection(ctx context.Context) (Connection, error)
	SaveConnection(ctx context.Context, c Connection) error
}

// Directory is the host's list of employees and where a confirmed mapping
// goes. Implementations must be safe for concurrent use.
//
// Contract:
//
//   - Employees returns every employee, in the directory's own order, each
//     with the Asana user GID mapped to it ("" while unmapped).
//   - MapEmployee sets one employee's Asana user GID and changes nothing
//     else; an ID the directory does not hold is an error matching
//     ErrUnknownEmployee. It is all-or-nothing.
type Directory interface {
	Employees(ctx context.Context) ([]goals.Employee, error)
	MapEmployee(ctx context.Context, employeeID, asanaUserGID string) error
}

// History keeps the reports of the syncs the pages ran, for the Sync page.
// Implementations must be safe for concurrent use.
//
// Contract:
//
//   - AddReport keeps a report under its WorkspaceGID, whole as its JSON
//     form has it (EmployeeReport.Err as its message, wrapping nothing).
//   - Reports returns at most limit reports of the workspace, newest first
//     (by the order they were added); none is an empty slice, not an error.
//   - A History may forget the oldest reports (sqlstore keeps the newest
//     sqlstore.MaxReportsKept of a workspace), never the newest ones.
type History interface {
	AddReport(ctx context.Context, r *goals.Report) error
	Reports(ctx context.Context, workspaceGID string, limit int) ([]goals.Report, error)
}
