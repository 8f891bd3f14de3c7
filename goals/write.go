package goals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/perfcopilot/asanagoals/asana"
)

// write stores each mapped employee's goals, in input order, and fills the
// report. A scan error makes every write partial; a mass removal is held
// back (see holdMassRemovals). It returns an error only when ctx ends
// before every employee was written.
func (r *run) write(ctx context.Context, store Store, scanErr error) error {
	plans := make([]employeePlan, len(r.states))
	for i, st := range r.states {
		plans[i].er, plans[i].w = r.plan(st, scanErr)
		plans[i].truncated, plans[i].removals = len(st.beyond), -1
	}
	if err := r.holdMassRemovals(ctx, store, plans); err != nil {
		return r.cancelledWhileWriting(ctx, plans, 0, err)
	}
	for i := range plans {
		p := &plans[i]
		if err := ctx.Err(); err != nil {
			return r.cancelledWhileWriting(ctx, plans, i, err)
		}
		if w := p.w; len(w.Goals) > 0 || len(w.Refresh) > 0 || w.Complete {
			if err := store.WriteGoals(ctx, w); err != nil {
				if ctx.Err() != nil {
					return r.cancelledWhileWriting(ctx, plans, i, ctx.Err())
				}
				p.er.Written = WrittenNone
				p.er.fail(err, "store write failed; stored goals unchanged: "+err.Error())
				p.storeErr = err
			}
		}
		r.finish(ctx, p)
	}
	return nil
}

// employeePlan is what write will do for one employee.
type employeePlan struct {
	er EmployeeReport
	w  Write
	// For Hooks.EmployeeWritten: the goals past the cap; the stored goals
	// a complete write removes, -1 when not counted; the store's error.
	truncated int
	removals  int
	storeErr  error
}

// finish logs an employee's outcome, adds it to the report and tells the
// hooks.
func (r *run) finish(ctx context.Context, p *employeePlan) {
	er := p.er
	if er.Err != nil {
		r.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "goals: employee not fully synced",
			slog.String("employee_id", er.EmployeeID), slog.String("error", er.Err.Error()))
	}
	r.report.Employees = append(r.report.Employees, er)
	if r.cfg.Hooks.EmployeeWritten != nil {
		removed := 0
		if er.Written == WrittenComplete {
			removed = p.removals
		}
		r.cfg.Hooks.EmployeeWritten(ctx, WriteInfo{Report: er, GoalsTruncated: p.truncated, GoalsRemoved: removed, StoreErr: p.storeErr})
	}
}

// cancelledWhileWriting reports plans[from:] as not written and returns the
// sync's error: the writes before stay, each atomic.
func (r *run) cancelledWhileWriting(ctx context.Context, plans []employeePlan, from int, cause error) error {
	for i := range plans[from:] {
		p := &plans[from+i]
		p.er.Written = WrittenNone
		p.er.RemovalsHeld = 0
		p.er.fail(cause, "the sync was cancelled before this employee was written; stored goals unchanged")
		r.finish(ctx, p)
	}
	// Only the employees written held removals back: the report's total
	// is theirs.
	held := 0
	for _, p := range plans[:from] {
		held += p.er.RemovalsHeld
	}
	if held != r.report.RemovalsHeld {
		r.report.RemovalsHeld = held
		if held == 0 {
			r.report.RemovalsHeldReason = ""
		}
	}
	return fmt.Errorf("goals: sync cancelled while writing: %d of %d employees written, the others left as stored: %w",
		from, len(plans), cause)
}

// holdMassRemovals counts what the complete writes would remove from the
// store, and when that is a mass removal (Config.RemovalThreshold), turns
// those writes into upsert-only ones and says so in the report. Only
// employees written complete count, removals and stored goals alike: they
// are the ones a healthy-looking answer with too little in it would empty.
func (r *run) holdMassRemovals(ctx context.Context, store Reader, plans []employeePlan) error {
	if r.cfg.ConfirmRemovals {
		return nil
	}
	removals := make([]int, len(plans))
	total, storedTotal := 0, 0
	for i, p := range plans {
		if !p.w.Complete {
			continue
		}
		stored, err := store.Goals(ctx, p.w.EmployeeID)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Without the stored list the removals cannot be weighed: keep
			// everything of this employee.
			plans[i].w.Complete, plans[i].w.Retain = false, nil
			plans[i].er.Written = writtenFor(plans[i].w)
			plans[i].er.fail(err, "could not read the stored goals to check removals, so nothing was removed: "+err.Error())
			plans[i].storeErr = err
			continue
		}
		gids := make([]string, len(stored))
		for j, g := range stored {
			gids[j] = g.GID
		}
		_, removed := p.w.Order(gids)
		removals[i] = len(removed)
		plans[i].removals = len(removed)
		total += len(removed)
		storedTotal += len(stored)
	}
	if total < MinRemovalsHeld || float64(total) <= r.cfg.RemovalThreshold*float64(storedTotal) {
		return nil
	}
	for i := range plans {
		if removals[i] == 0 {
			continue
		}
		plans[i].w.Complete, plans[i].w.Retain = false, nil
		plans[i].er.Written = writtenFor(plans[i].w)
		plans[i].er.RemovalsHeld = removals[i]
	}
	r.report.RemovalsHeld = total
	r.report.RemovalsHeldReason = fmt.Sprintf(
		"this sync would remove %d of the %d goals stored for the employees it read whole (more than %.0f%%); "+
			"a token that lost visibility looks exactly like goals deleted in Asana, so nothing was removed. "+
			"If the goals did leave Asana, confirm the removal (Config.ConfirmRemovals) or raise Config.RemovalThreshold",
		total, storedTotal, r.cfg.RemovalThreshold*100)
	r.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "goals: mass removal held back",
		slog.Int("removals", total), slog.Int("stored", storedTotal))
	return nil
}

// plan decides what to write for one employee.
func (r *run) plan(st *employeeState, scanErr error) (EmployeeReport, Write) {
	er := EmployeeReport{
		EmployeeID:         st.emp.ID,
		AsanaUserGID:       st.emp.AsanaUserGID,
		GoalsOwned:         st.owned,
		GoalsOutsidePeriod: st.outside,
		Truncated:          len(st.beyond) > 0,
	}
	// An unscoped sync would have kept the first MaxGoalsPerEmployee of
	// every goal owned, each costing at least one sub-goal listing.
	r.report.RequestsSaved += max(0, min(st.owned, r.cfg.MaxGoalsPerEmployee)-len(st.kept))
	w := Write{EmployeeID: st.emp.ID, WorkspaceGID: r.cfg.WorkspaceGID, Goals: make([]Goal, 0, len(st.kept)), AsanaOrder: st.order}
	// Goals outside the review window are refreshed from the scan whatever
	// the write: their fields were read whole. One that changed owner
	// during the scan is nobody's this time.
	for _, g := range st.refresh {
		if !st.moved[g.GID] {
			w.Refresh = append(w.Refresh, g)
		}
	}
	var failed []error
	moved := 0
	for _, kg := range st.kept {
		if st.moved[kg.goal.GID] {
			moved++
			continue
		}
		if kg.err != nil {
			failed = append(failed, kg.err)
			continue
		}
		g := kg.goal
		g.KeyResults = kg.krs
		w.Goals = append(w.Goals, g)
		er.KeyResults += len(kg.krs)
		r.countStatusSources(g)
	}
	er.GoalsKept = len(w.Goals)
	switch {
	case scanErr != nil:
		er.fail(scanErr, "the workspace scan failed, so this employee's goal list may be incomplete; nothing was removed")
	case len(failed) > 0 || r.report.MalformedRecords > 0 || len(st.moved) > 0 || st.movedIn > 0:
		var reasons []string
		var errs []error
		if n := len(st.moved) + st.movedIn; n > 0 {
			reasons = append(reasons, fmt.Sprintf(
				"%d goal(s) changed owner while the workspace scan ran, so this employee's list is not known whole; they were not written", n))
			errs = append(errs, ErrOwnerChanged)
		}
		if len(failed) > 0 {
			reasons = append(reasons, fmt.Sprintf("%d of %d goals could not be fetched whole and were left as stored (first: %v)",
				len(failed), len(st.kept), failed[0]))
			errs = append(errs, failed...)
		}
		if n := r.report.MalformedRecords; n > 0 {
			reasons = append(reasons, fmt.Sprintf(
				"the workspace scan returned %d record(s) Asana cannot have meant or the client cannot read (a goal or an owner without a GID or with one that is not an Asana GID, a field of the wrong type, a date that is no date), any of which might be theirs", n))
			errs = append(errs, asana.ErrMalformedResponse)
		}
		er.fail(errors.Join(errs...), strings.Join(reasons, "; ")+"; nothing was removed")
	default:
		// Complete for the window and the cap: what the scan returned
		// past the cap stays as stored, and so does a goal outside the
		// window it could not read whole; the others outside the window
		// are refreshed, and retained too, for a store that does not
		// know Write.Refresh.
		w.Complete = true
		w.Retain = append(slices.Clip(st.beyond), st.unread...)
		for _, g := range w.Refresh {
			w.Retain = append(w.Retain, g.GID)
		}
	}
	er.Written = writtenFor(w)
	return er, w
}

// countStatusSources adds a goal about to be written, and its Key Results,
// to the report's count of statuses taken from Asana's goal status field.
func (r *run) countStatusSources(g Goal) {
	if g.StatusSource == StatusFromGoal {
		r.report.StatusesFromGoalField++
	}
	for _, kr := range g.KeyResults {
		if kr.StatusSource == StatusFromGoal {
			r.report.StatusesFromGoalField++
		}
	}
}

// writtenFor says how a write, once applied, leaves the employee.
func writtenFor(w Write) WriteKind {
	switch {
	case w.Complete:
		return WrittenComplete
	case len(w.Goals) > 0 || len(w.Refresh) > 0:
		return WrittenPartial
	}
	return WrittenNone
}

// ErrOwnerChanged is in an EmployeeReport's Err when a goal changed owner
// while the sync's workspace scan ran (see Report.OwnerChanges).
var ErrOwnerChanged = errors.New("goals: a goal changed owner during the workspace scan")

// fail adds a reason the employee was not synced whole to er.Err: err for
// errors.Is and errors.As, text for people (after the earlier reasons,
// separated by "; ").
func (er *EmployeeReport) fail(err error, text string) {
	f := &failure{text: text}
	switch prev := er.Err.(type) {
	case nil:
	case *failure:
		f.text = prev.text + "; " + text
		f.errs = append(f.errs, prev.errs...)
	default:
		f.text = prev.Error() + "; " + text
		f.errs = append(f.errs, prev)
	}
	if err != nil {
		f.errs = append(f.errs, err)
	}
	er.Err = f
}
