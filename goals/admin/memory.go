package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/perfcopilot/asanagoals/goals"
)

// MemorySettings is Settings in memory: for tests, and for hosts that keep
// the connection elsewhere and load it at start. The zero value holds no
// connection.
type MemorySettings struct {
	mu   sync.Mutex
	conn *Connection
}

// Connection returns the saved connection, or ErrNotConnected.
func (s *MemorySettings) Connection(ctx context.Context) (Connection, error) {
	if err := ctx.Err(); err != nil {
		return Connection{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return Connection{}, ErrNotConnected
	}
	return *s.conn, nil
}

// SaveConnection replaces the saved connection.
func (s *MemorySettings) SaveConnection(ctx context.Context, c Connection) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.CheckedAt = c.CheckedAt.UTC().Truncate(time.Microsecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn = &c
	return nil
}

// MemoryDirectory is a Directory in memory.
type MemoryDirectory struct {
	mu        sync.Mutex
	employees []goals.Employee
}

// NewMemoryDirectory returns a directory holding a copy of employees.
func NewMemoryDirectory(employees []goals.Employee) *MemoryDirectory {
	return &MemoryDirectory{employees: slices.Clone(employees)}
}

// Employees returns a copy of the employees, in the order given.
func (d *MemoryDirectory) Employees(ctx context.Context) ([]goals.Employee, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.employees), nil
}

// MapEmployee sets an employee's Asana user GID.
func (d *MemoryDirectory) MapEmployee(ctx context.Context, employeeID, asanaUserGID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.employees {
		if d.employees[i].ID == employeeID {
			d.employees[i].AsanaUserGID = asanaUserGID
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrUnknownEmployee, employeeID)
}

// MemoryHistory is a History in memory that keeps every report added.
type MemoryHistory struct {
	mu      sync.Mutex
	reports []goals.Report // as their JSON form has them, oldest first
}

// AddReport keeps r as its JSON form has it.
func (h *MemoryHistory) AddReport(ctx context.Context, r *goals.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("admin: encode report: %w", err)
	}
	var kept goals.Report
	if err := json.Unmarshal(b, &kept); err != nil {
		return fmt.Errorf("admin: decode report: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reports = append(h.reports, kept)
	return nil
}

// Reports returns up to limit reports of the workspace, newest first.
// They share no memory with the history.
func (h *MemoryHistory) Reports(ctx context.Context, workspaceGID string, limit int) ([]goals.Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	out := []goals.Report{}
	for i := len(h.reports) - 1; i >= 0 && len(out) < limit; i-- {
		if r := h.reports[i]; r.WorkspaceGID == workspaceGID {
			r.UnmappedOwnerExamples = slices.Clone(r.UnmappedOwnerExamples)
			r.UnmappedEmployees = slices.Clone(r.UnmappedEmployees)
			r.MalformedRecordGIDs = slices.Clone(r.MalformedRecordGIDs)
			r.Employees = slices.Clone(r.Employees)
			r.AsanaChanges = slices.Clone(r.AsanaChanges)
			out = append(out, r)
		}
	}
	return out, nil
}
