package goals

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Store is the host's own database of goals: a sync reads from it what is
// stored (the Reader half) and writes each employee's goals to it. The
// ingester calls WriteGoals once per employee per sync, possibly from
// several goroutines for different employees, and, before the writes,
// Goals for each employee written complete, to weigh what the writes would
// remove (see Config.RemovalThreshold). Both halves are required: a type
// without Goals is not a Store, so handing one to NewIngester does not
// compile.
//
// Contract of WriteGoals, which every implementation must keep (Reader
// states that of Goals):
//
//   - A call is all-or-nothing: either every change in the Write is applied,
//     or none is and an error is returned.
//   - Each goal in Write.Goals is upserted by (employee ID, goal GID), and
//     that goal's Key Results are replaced by the ones given (they were all
//     fetched).
//   - Each goal in Write.Refresh that the store holds for the employee takes
//     the goal's own fields given (see Goal.Refreshed) and keeps its stored
//     Key Results; when none of those fields changed, its row stays as it
//     was, SyncedAt included. A goal in Refresh the store does not hold is
//     not added. A goal in both Refresh and Retain is refreshed.
//   - Only when Write.Complete is true may the store remove this employee's
//     goals (with their Key Results): those whose GID is in none of
//     Write.Goals, Write.Refresh and Write.Retain. When Complete is false
//     the store must not remove or alter anything beyond the upserts and
//     the refreshes.
//   - The employee's goals are stored in the order Write.Order gives.
//   - Nothing of other employees is touched.
//   - Writes may come at once, for the same employee too (two syncs of one
//     workspace overlapping): each must apply whole, as if they ran one
//     after the other, without an error for the overlap.
//   - An employee's stored goals are of one Asana workspace. The store
//     keeps the workspace of the write that stored them
//     (Write.WorkspaceGID), and refuses a write of another workspace for
//     an employee whose stored goals are another workspace's: it changes
//     nothing and returns an error for which errors.Is(err,
//     ErrOtherWorkspace) is true (see OtherWorkspaceError). Two workspaces
//     synced into one store under the same employee IDs would otherwise
//     replace each other's goals at every sync. Employees of different
//     IDs may have goals of different workspaces (one store for many
//     tenants). A write without a WorkspaceGID is not checked; an
//     employee whose goals were stored without one (by a version before
//     workspaces were kept), or who has none, takes the workspace of the
//     next write that names one.
type Store interface {
	Reader
	WriteGoals(ctx context.Context, w Write) error
}

// Reader is the read half of a Store: what a host needs to render the
// [GOALS] block, and what a sync reads, before it writes, to see how much a
// complete write would remove (see Config.RemovalThreshold).
//
// Goals returns an employee's stored goals with their Key Results, in
// stored order (see Write.Order); an employee with none has an empty
// slice, not an error. They are of one workspace: a store refuses to mix
// the goals of two workspaces under one employee ID (see Store).
type Reader interface {
	Goals(ctx context.Context, employeeID string) ([]Goal, error)
}

// Write is one employee's result of a sync.
type Write struct {
	EmployeeID string
	// WorkspaceGID is the Asana workspace the goals come from; a sync sets
	// Config.WorkspaceGID. A store refuses the write when it holds the
	// employee's goals from another workspace (see Store); when empty, the
	// write is not checked.
	WorkspaceGID string
	// Goals are upserted, in Asana's order, each with all its Key Results.
	Goals []Goal
	// Complete reports that Goals (plus Retain) is the employee's whole
	// current set in Asana, so stored goals outside it may be removed. It is
	// false when any part of the employee's fetch failed.
	Complete bool
	// Refresh are goals Asana still has for this employee that the sync
	// read but did not walk (outside its review window, Config.Period):
	// their own fields come from the workspace scan, their Key Results
	// were not fetched, so they have none here. A stored goal among them
	// takes these fields and keeps its Key Results; one not stored is not
	// added (see Goal.Refreshed). A complete write keeps them. A sync lists
	// them in Retain too, so that a store written before Refresh existed
	// keeps them as stored instead of removing them.
	Refresh []Goal
	// Retain lists GIDs of goals Asana still has for this employee but that
	// were not fetched (past the per-employee cap, outside the review
	// window). A complete write must keep them exactly as stored, unless
	// Refresh has them too: they were seen, only not pulled.
	Retain []string
	// AsanaOrder, when set, lists the GIDs of Goals, Refresh and Retain in
	// Asana's order (it may list others, which are ignored): a complete
	// write stores the employee's goals in that order (see Order).
	AsanaOrder []string
}

// Validate checks that w is consistent: an employee ID, and goals that all
// belong to that employee, each with a GID and one of the four statuses,
// none twice (in Goals and Refresh together), and Key Results that belong
// to their goal, each with a GID and one of the four statuses, none twice
// in a goal; goals in Refresh have no Key Results; AsanaOrder, when set,
// lists every GID of Goals, Refresh and Retain, and none twice. Stores call
// it before applying anything, so a bad write changes nothing, and what a
// store holds can be rendered without mapping anything again.
func (w Write) Validate() error {
	if w.EmployeeID == "" {
		return errors.New("goals: write has no employee ID")
	}
	seen := make(map[string]bool, len(w.Goals)+len(w.Refresh))
	for i, g := range w.Refresh {
		switch {
		case g.GID == "":
			return fmt.Errorf("goals: write for %q: refreshed goal %d has no GID", w.EmployeeID, i)
		case g.EmployeeID != w.EmployeeID:
			return fmt.Errorf("goals: write for %q: refreshed goal %s belongs to employee %q", w.EmployeeID, g.GID, g.EmployeeID)
		case seen[g.GID]:
			return fmt.Errorf("goals: write for %q: refreshed goal %s appears twice", w.EmployeeID, g.GID)
		case !g.Status.Valid():
			return fmt.Errorf("goals: write for %q: refreshed goal %s: status %q is not one of the four (completed, at_risk, off_track, on_track)", w.EmployeeID, g.GID, g.Status)
		case len(g.KeyResults) > 0:
			return fmt.Errorf("goals: write for %q: refreshed goal %s has Key Results; a refresh keeps the stored ones", w.EmployeeID, g.GID)
		}
		seen[g.GID] = true
	}
	for i, g := range w.Goals {
		switch {
		case g.GID == "":
			return fmt.Errorf("goals: write for %q: goal %d has no GID", w.EmployeeID, i)
		case g.EmployeeID != w.EmployeeID:
			return fmt.Errorf("goals: write for %q: goal %s belongs to employee %q", w.EmployeeID, g.GID, g.EmployeeID)
		case seen[g.GID]:
			return fmt.Errorf("goals: write for %q: goal %s appears twice", w.EmployeeID, g.GID)
		case !g.Status.Valid():
			return fmt.Errorf("goals: write for %q: goal %s: status %q is not one of the four (completed, at_risk, off_track, on_track)", w.EmployeeID, g.GID, g.Status)
		}
		seen[g.GID] = true
		if err := validateKeyResults(g); err != nil {
			return fmt.Errorf("goals: write for %q: %w", w.EmployeeID, err)
		}
	}
	if w.AsanaOrder != nil {
		listed := make(map[string]bool, len(w.AsanaOrder))
		for _, gid := range w.AsanaOrder {
			if listed[gid] {
				return fmt.Errorf("goals: write for %q: AsanaOrder lists goal %s twice", w.EmployeeID, gid)
			}
			listed[gid] = true
		}
		for gid := range seen {
			if !listed[gid] {
				return fmt.Errorf("goals: write for %q: AsanaOrder does not list goal %s", w.EmployeeID, gid)
			}
		}
		for _, gid := range w.Retain {
			if !listed[gid] {
				return fmt.Errorf("goals: write for %q: AsanaOrder does not list retained goal %s", w.EmployeeID, gid)
			}
		}
	}
	return nil
}

func validateKeyResults(g Goal) error {
	seen := make(map[string]bool, len(g.KeyResults))
	for i, kr := range g.KeyResults {
		switch {
		case kr.GID == "":
			return fmt.Errorf("goal %s: key result %d has no GID", g.GID, i)
		case kr.GoalGID != g.GID:
			return fmt.Errorf("goal %s: key result %s belongs to goal %q", g.GID, kr.GID, kr.GoalGID)
		case seen[kr.GID]:
			return fmt.Errorf("goal %s: key result %s appears twice", g.GID, kr.GID)
		case !kr.Status.Valid():
			return fmt.Errorf("goal %s: key result %s: status %q is not one of the four (completed, at_risk, off_track, on_track)", g.GID, kr.GID, kr.Status)
		}
		seen[kr.GID] = true
	}
	return nil
}

// Order applies w to an employee's stored goal GIDs (in stored order) and
// returns the GIDs stored after it, in stored order, and the stored GIDs it
// removes. It defines the order every store keeps: after a complete write
// with AsanaOrder, the written goals and the stored goals it keeps
// (refreshed or retained) in Asana's order; after a complete write without
// it, the written goals in w's order, then the kept ones in their previous
// order; after a partial write, stored goals keep their places and new ones
// follow in w's order (a refreshed goal not stored is never new). w must be
// valid (see Validate).
func (w Write) Order(stored []string) (after, removed []string) {
	written := make(map[string]bool, len(w.Goals))
	for _, g := range w.Goals {
		written[g.GID] = true
	}
	if w.Complete {
		keep := make(map[string]bool, len(w.Refresh)+len(w.Retain))
		for _, g := range w.Refresh {
			keep[g.GID] = true
		}
		for _, gid := range w.Retain {
			keep[gid] = true
		}
		isStored := make(map[string]bool, len(stored))
		for _, gid := range stored {
			isStored[gid] = true
			if !written[gid] && !keep[gid] {
				removed = append(removed, gid)
			}
		}
		after = make([]string, 0, len(w.Goals)+len(stored))
		if w.AsanaOrder != nil {
			for _, gid := range w.AsanaOrder {
				if written[gid] || keep[gid] && isStored[gid] {
					after = append(after, gid)
				}
			}
			return after, removed
		}
		for _, g := range w.Goals {
			after = append(after, g.GID)
		}
		for _, gid := range stored {
			if !written[gid] && keep[gid] {
				after = append(after, gid)
			}
		}
		return after, removed
	}
	after = make([]string, 0, len(stored)+len(w.Goals))
	kept := make(map[string]bool, len(stored))
	for _, gid := range stored {
		after = append(after, gid)
		kept[gid] = true
	}
	for _, g := range w.Goals {
		if !kept[g.GID] {
			after = append(after, g.GID)
		}
	}
	return after, nil
}

// ErrOtherWorkspace is what a Store's error wraps when it refuses a write
// because it holds the employee's goals from another workspace (see
// Store).
var ErrOtherWorkspace = errors.New("goals: the store holds this employee's goals from another workspace")

// OtherWorkspaceError is the error of a write refused because the store
// holds the employee's goals from another workspace; errors.Is(err,
// ErrOtherWorkspace) is true of it.
type OtherWorkspaceError struct {
	EmployeeID string
	// Stored is the workspace of the stored goals, Write that of the
	// refused write.
	Stored, Write string
}

func (e *OtherWorkspaceError) Error() string {
	return fmt.Sprintf("goals: the store holds the goals of employee %q from Asana workspace %s; this write is from workspace %s "+
		"and would replace them, so nothing was written: keep each workspace's goals in a store of their own, "+
		"or give each workspace's employees IDs of their own", e.EmployeeID, e.Stored, e.Write)
}

// Is reports whether target is ErrOtherWorkspace.
func (e *OtherWorkspaceError) Is(target error) bool { return target == ErrOtherWorkspace }

// MemoryStore is an in-memory Store, safe for concurrent use: the reference
// implementation of the Store contract, and the store of tests and of the
// goalsync demo. The zero value is ready to use.
type MemoryStore struct {
	mu  sync.RWMutex
	emp map[string][]Goal // per employee, in stored order
	ws  map[string]string // the workspace of each employee's stored goals, when known
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// WriteGoals applies w under the Store contract.
func (s *MemoryStore) WriteGoals(ctx context.Context, w Write) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.emp == nil {
		s.emp = make(map[string][]Goal)
		s.ws = make(map[string]string)
	}
	have := s.ws[w.EmployeeID]
	if w.WorkspaceGID != "" && have != "" && have != w.WorkspaceGID && len(s.emp[w.EmployeeID]) > 0 {
		return &OtherWorkspaceError{EmployeeID: w.EmployeeID, Stored: have, Write: w.WorkspaceGID}
	}
	s.emp[w.EmployeeID] = merge(s.emp[w.EmployeeID], w)
	switch {
	case len(s.emp[w.EmployeeID]) == 0:
		delete(s.ws, w.EmployeeID)
	case w.WorkspaceGID != "":
		s.ws[w.EmployeeID] = w.WorkspaceGID
	}
	return nil
}

// merge returns the employee's stored goals after w, in the order
// Write.Order gives.
func merge(old []Goal, w Write) []Goal {
	byGID := make(map[string]Goal, len(old)+len(w.Goals))
	stored := make([]string, len(old))
	for i, g := range old {
		byGID[g.GID] = g
		stored[i] = g.GID
	}
	for _, fresh := range w.Refresh {
		if g, ok := byGID[fresh.GID]; ok {
			if refreshed, changed := g.Refreshed(fresh); changed {
				byGID[fresh.GID] = cloneGoal(refreshed)
			}
		}
	}
	for _, g := range w.Goals {
		byGID[g.GID] = cloneGoal(g)
	}
	after, _ := w.Order(stored)
	out := make([]Goal, len(after))
	for i, gid := range after {
		out[i] = byGID[gid]
	}
	return out
}

// Goals returns a copy of an employee's stored goals, in stored order, as
// Reader requires; its only error is ctx's.
func (s *MemoryStore) Goals(ctx context.Context, employeeID string) ([]Goal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	stored := s.emp[employeeID]
	out := make([]Goal, len(stored))
	for i, g := range stored {
		out[i] = cloneGoal(g)
	}
	return out, nil
}

// cloneGoal copies g deeply enough that the copy shares no mutable memory
// with g.
func cloneGoal(g Goal) Goal {
	g.Metric = cloneProgress(g.Metric)
	if g.TimePeriod != nil {
		tp := *g.TimePeriod
		g.TimePeriod = &tp
	}
	if g.KeyResults != nil {
		krs := make([]KeyResult, len(g.KeyResults))
		for i, kr := range g.KeyResults {
			kr.Metric = cloneProgress(kr.Metric)
			krs[i] = kr
		}
		g.KeyResults = krs
	}
	return g
}

func cloneProgress(p *Metric) *Metric {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}
