package goals

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/internal/htmltext"
)

// Source is where a sync reads Asana from. *asana.Client satisfies it; a
// Source that also has a Stats() asana.Stats method gets its request counts
// into the Report.
type Source interface {
	Goals(ctx context.Context, opts asana.ListGoalsOptions) iter.Seq2[asana.Goal, error]
	Goal(ctx context.Context, gid string) (asana.Goal, error)
	Subgoals(ctx context.Context, gid string) ([]asana.Goal, error)
	GoalRelationships(ctx context.Context, supportedGoalGID, subtype string) ([]asana.GoalRelationship, error)
}

type statser interface{ Stats() asana.Stats }

// changer is a Source that reports the breaking changes Asana announced to
// it (*asana.Client's Changes).
type changer interface{ Changes() []asana.Change }

// summarizer is a Source that can fetch a goal without its description
// (*asana.Client's GoalSummary). Sub-goal details are then fetched without
// html_notes, since a Key Result has no description.
type summarizer interface {
	GoalSummary(ctx context.Context, gid string) (asana.Goal, error)
}

// Ingester syncs employees' Asana goals into a Store. It holds no state
// between syncs; one Ingester may run several syncs, one after another or
// at once (their request counts then mix in each Report).
type Ingester struct {
	src   Source
	store Store
	cfg   Config
}

// NewIngester returns an Ingester reading from src and writing to store.
// The configuration is checked by Sync, before any request.
func NewIngester(src Source, store Store, cfg Config) *Ingester {
	return &Ingester{src: src, store: store, cfg: cfg}
}

// Sync pulls the goals of the given employees and writes them to the store.
//
// It scans the workspace's goals once for everyone, routes each goal to the
// employee mapped to its owner, keeps each employee's first
// MaxGoalsPerEmployee goals in Asana's order, fetches each kept goal's
// sub-goals as Key Results while the scan goes on, and writes each
// employee's goals in one Store call. An employee whose goals could not all
// be fetched is written as partial (upsert only, nothing removed); the
// others are written as complete.
//
// Before writing, it reads what is stored (the store must also be a Reader)
// and holds back every removal when they would be a mass removal: see
// Config.RemovalThreshold.
//
// Sync returns a *GoalsConfigError, before any request, for an unusable
// Config or employee list. It returns a non-nil error with the Report when
// the sync failed as a whole:
//
//   - the workspace scan failed: goals fetched whole before that are
//     upserted, nothing is removed;
//   - Asana refused the token (401) or the plan (402), or asked through
//     Retry-After for a longer wait than the client waits, on any request:
//     the sync stops at once, sends no further request and writes nothing;
//     the error matches asana.ErrUnauthorized, asana.ErrPaymentRequired or
//     asana.ErrWaitTooLong;
//   - ctx was cancelled: before the writes, nothing is written; during
//     them, the employees written so far keep their (atomic) writes, the
//     rest are untouched, and Report.Employees says which is which. The
//     error wraps ctx.Err().
//
// Failures of single employees are in the Report, not the error: see
// Report.Failed.
func (in *Ingester) Sync(ctx context.Context, employees []Employee) (*Report, error) {
	cfg, err := in.cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if in.src == nil {
		return nil, &GoalsConfigError{Field: "source", Problem: "no Asana source (nil)"}
	}
	if in.store == nil {
		return nil, &GoalsConfigError{Field: "store", Problem: "no store (nil)"}
	}
	reader, _ := in.store.(Reader)
	if reader == nil && cfg.RemovalThreshold < 1 && !cfg.ConfirmRemovals {
		return nil, &GoalsConfigError{Field: "store", Problem: fmt.Sprintf(
			"%T does not implement goals.Reader, which the mass-removal guard needs to count what a sync would remove; "+
				"implement Goals(ctx, employeeID), or set Config.RemovalThreshold to 1 to turn the guard off", in.store)}
	}
	if err := checkEmployees(employees); err != nil {
		return nil, err
	}
	r := newRun(cfg, in.src, employees)
	r.reader = reader
	if st, ok := in.src.(statser); ok {
		before := st.Stats()
		r.stats = func() asana.Stats { return st.Stats().Sub(before) }
	}
	syncErr := r.sync(ctx, in.store)
	r.progress(PhaseDone)
	if r.stats != nil {
		d := r.stats()
		r.report.Requests, r.report.Retries, r.report.RateLimited = d.Requests, d.Retries, d.RateLimited
	}
	if ch, ok := in.src.(changer); ok {
		if changes := ch.Changes(); len(changes) > 0 {
			r.report.AsanaChanges = changes
		}
	}
	r.report.DurationSeconds = time.Since(r.report.StartedAt).Seconds()
	if syncErr != nil {
		r.report.Error = syncErr.Error()
		cfg.Logger.LogAttrs(ctx, slog.LevelError, "goals: sync failed", slog.String("error", syncErr.Error()))
	} else {
		cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "goals: sync done",
			slog.Int("goals_scanned", r.report.WorkspaceGoalsScanned),
			slog.Int("employees", len(r.report.Employees)),
			slog.Int("failed", len(r.report.Failed())),
			slog.String("subgoal_source", string(r.report.SubgoalSource)))
	}
	return r.report, syncErr
}

// Sub-goal source modes of a run.
const (
	modeUnknown int32 = iota
	modeSubgoals
	modeRelationships
)

// run is the state of one Sync.
type run struct {
	cfg      Config
	src      Source
	report   *Report
	syncedAt time.Time
	reader   Reader                    // nil when the removal guard is off
	states   []*employeeState          // mapped employees, input order
	byOwner  map[string]*employeeState // by Asana user GID

	// stop ends the fetch phase at once with a cause; fatal is the first
	// answer that made it (401, 402, a Retry-After too long to wait), nil
	// otherwise.
	stop    context.CancelCauseFunc
	fatalMu sync.Mutex
	fatal   error

	mode atomic.Int32
	// seen holds sub-goal details of scanned goals while they may be needed:
	// until the subgoals path is known to work, and for the rest of the sync
	// once it is known not to (goal relationships carry only the sub-goal's
	// GID and name). With the subgoals path working it is dropped, so memory
	// stays bounded by the kept goals, not by the workspace.
	seenMu sync.Mutex
	seen   map[string]asana.Goal

	// For progress, read by any goroutine: pages and goals scanned, goals
	// kept and walked, whether the scan still runs. progressMu makes
	// OnProgress calls one at a time.
	pages, scanned, kept, walked atomic.Int64
	scanning                     atomic.Bool
	progressMu                   sync.Mutex
	stats                        func() asana.Stats // the source's counters since the sync began; nil without
}

type employeeState struct {
	emp    Employee
	owned  int
	kept   []*keptGoal
	beyond []string        // GIDs past the cap, seen but not pulled
	gids   map[string]bool // every GID routed here, to drop duplicates
}

// errNotWalked marks a kept goal no walker has fetched yet, so that a goal
// left behind can never be mistaken for one with no sub-goals.
var errNotWalked = errors.New("sub-goals not fetched")

// keptGoal is a goal being pulled. A walker fills krs or err; they are read
// only after every walker has finished.
type keptGoal struct {
	goal Goal
	krs  []KeyResult
	err  error
}

func newRun(cfg Config, src Source, employees []Employee) *run {
	r := &run{
		cfg: cfg,
		src: src,
		report: &Report{
			WorkspaceGID:          cfg.WorkspaceGID,
			StartedAt:             time.Now(),
			UnmappedOwnerExamples: []string{},
			UnmappedEmployees:     []string{},
			Employees:             []EmployeeReport{},
			SubgoalSource:         SourceNone,
			DescriptionsOmitted:   cfg.OmitDescriptions,
			AsanaChanges:          []asana.Change{},
		},
		// UTC and whole microseconds: what every store keeps (storetest),
		// so a row reads back exactly as written.
		syncedAt: cfg.Now().UTC().Truncate(time.Microsecond),
		byOwner:  make(map[string]*employeeState, len(employees)),
		seen:     make(map[string]asana.Goal),
	}
	for _, e := range employees {
		if e.AsanaUserGID == "" {
			r.report.UnmappedEmployees = append(r.report.UnmappedEmployees, e.ID)
			continue
		}
		st := &employeeState{emp: e, gids: make(map[string]bool)}
		r.states = append(r.states, st)
		r.byOwner[e.AsanaUserGID] = st
	}
	return r
}

// sync scans, walks sub-goals alongside, then writes.
func (r *run) sync(ctx context.Context, store Store) error {
	fetchCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	r.stop = stop
	q := newQueue()
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Go(func() {
			for kg := range q.drain(fetchCtx) {
				kg.krs, kg.err = r.keyResults(fetchCtx, kg.goal.GID)
				r.stopIfRefused(kg.err)
				if n := r.walked.Add(1); n%walkProgressEvery == 0 {
					r.progress(fetchPhase)
				}
			}
		})
	}
	r.scanning.Store(true)
	scanErr := r.scan(fetchCtx, q)
	r.scanning.Store(false)
	r.stopIfRefused(scanErr)
	q.close()
	r.progress(PhaseWalking)
	wg.Wait()

	r.report.SubgoalSource = r.sourceName()
	if err := r.refused(); err != nil {
		return fmt.Errorf("goals: sync stopped: Asana refused a request or asked for too long a wait, so no further one was sent and nothing was written: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("goals: sync cancelled; nothing was written: %w", err)
	}
	if scanErr != nil {
		scanErr = fmt.Errorf("goals: workspace scan failed after %d goals; goals fetched whole were upserted, nothing was removed: %w",
			r.report.WorkspaceGoalsScanned, scanErr)
	}
	r.progress(PhaseWriting)
	if err := r.write(ctx, store, scanErr); err != nil {
		return err
	}
	return scanErr
}

// stopIfRefused stops the fetch phase when err says Asana refused the
// token or the workspace's plan, or asked for a longer wait than the client
// allows: every further request would meet the same answer, and a revoked
// token must not be hammered once per goal.
func (r *run) stopIfRefused(err error) {
	if !errors.Is(err, asana.ErrUnauthorized) && !errors.Is(err, asana.ErrPaymentRequired) && !errors.Is(err, asana.ErrWaitTooLong) {
		return
	}
	r.fatalMu.Lock()
	if r.fatal == nil {
		r.fatal = err
	}
	r.fatalMu.Unlock()
	r.stop(err)
}

func (r *run) refused() error {
	r.fatalMu.Lock()
	defer r.fatalMu.Unlock()
	return r.fatal
}

// scan reads the workspace's goals once and routes each to its owner.
func (r *run) scan(ctx context.Context, q *queue) error {
	opts := asana.ListGoalsOptions{Workspace: r.cfg.WorkspaceGID, OmitNotes: r.cfg.OmitDescriptions, OnPage: func(page, _ int) {
		r.pages.Store(int64(page))
		r.progress(PhaseScanning)
	}}
	for g, err := range r.src.Goals(ctx, opts) {
		if err != nil {
			return err
		}
		r.report.WorkspaceGoalsScanned++
		r.scanned.Add(1)
		if g.GID == "" || (g.Owner != nil && g.Owner.GID == "") {
			// A record Asana cannot have meant: it might be anyone's goal,
			// so no employee's list is known whole (see plan).
			r.report.MalformedRecords++
			continue
		}
		r.remember(g)
		owner := g.OwnerGID()
		if owner == "" {
			r.report.OwnerlessGoals++
			continue
		}
		st := r.byOwner[owner]
		if st == nil {
			r.report.UnmappedOwnerGoals++
			r.noteUnmappedOwner(owner)
			continue
		}
		if st.gids[g.GID] {
			// Asana's offsets can repeat an item when goals change during
			// the scan; the first sighting wins.
			continue
		}
		st.gids[g.GID] = true
		st.owned++
		if len(st.kept) >= r.cfg.MaxGoalsPerEmployee {
			st.beyond = append(st.beyond, g.GID)
			continue
		}
		kg := &keptGoal{goal: r.toGoal(st.emp.ID, g), err: errNotWalked}
		st.kept = append(st.kept, kg)
		r.kept.Add(1)
		if g.Name == "" {
			// Asana requires a name; storing none would blank the row.
			kg.err = fmt.Errorf("Asana returned goal %s without a name", g.GID)
			continue
		}
		q.push(kg)
	}
	return nil
}

// walkProgressEvery is how many sub-goal fetches pass between progress
// calls from the walk: on a free tier's 150 requests a minute, one call
// every few seconds.
const walkProgressEvery = 10

// fetchPhase asks progress for the phase of the fetch as it is when the
// call is made: "scanning" while the scan runs, "walking" after. Deciding
// under progressMu keeps the phases in order.
const fetchPhase Phase = ""

func (r *run) progress(phase Phase) {
	if r.cfg.OnProgress == nil {
		return
	}
	r.progressMu.Lock()
	defer r.progressMu.Unlock()
	if phase == fetchPhase {
		phase = PhaseWalking
		if r.scanning.Load() {
			phase = PhaseScanning
		}
	}
	p := SyncProgress{
		Phase:              phase,
		PagesScanned:       int(r.pages.Load()),
		GoalsScanned:       int(r.scanned.Load()),
		GoalsKept:          int(r.kept.Load()),
		KeyResultGoalsDone: int(r.walked.Load()),
	}
	if r.stats != nil {
		st := r.stats()
		p.Requests, p.RateLimited, p.RequestsPerMinute, p.Paused = st.Requests, st.RateLimited, st.RequestsPerMinute, st.Paused
	}
	r.cfg.OnProgress(p)
}

func (r *run) noteUnmappedOwner(gid string) {
	ex := r.report.UnmappedOwnerExamples
	if len(ex) >= maxOwnerExamples {
		return
	}
	for _, g := range ex {
		if g == gid {
			return
		}
	}
	r.report.UnmappedOwnerExamples = append(ex, gid)
}

// remember keeps a scanned goal's sub-goal details while they may be needed.
func (r *run) remember(g asana.Goal) {
	if r.mode.Load() == modeSubgoals {
		return
	}
	g.HTMLNotes = "" // a Key Result has no description
	r.seenMu.Lock()
	if r.seen != nil {
		r.seen[g.GID] = g
	}
	r.seenMu.Unlock()
}

func (r *run) lookupSeen(gid string) (asana.Goal, bool) {
	r.seenMu.Lock()
	defer r.seenMu.Unlock()
	g, ok := r.seen[gid]
	return g, ok
}

func (r *run) sourceName() SubgoalSource {
	switch r.mode.Load() {
	case modeRelationships:
		return SourceGoalRelationships
	case modeSubgoals:
		return SourceSubgoals
	}
	for _, st := range r.states {
		if len(st.kept) > 0 {
			return SourceSubgoals // tried, never answered
		}
	}
	return SourceNone
}

// keyResults fetches a goal's sub-goals as Key Results, through the spec's
// subgoals path until Asana says it does not exist, then through goal
// relationships for the rest of the sync.
func (r *run) keyResults(ctx context.Context, gid string) ([]KeyResult, error) {
	if r.mode.Load() == modeRelationships {
		rels, err := r.src.GoalRelationships(ctx, gid, asana.SubtypeSubgoal)
		if err != nil {
			return nil, fmt.Errorf("goal relationships of goal %s: %w", gid, err)
		}
		return r.keyResultsFromRelationships(ctx, gid, rels)
	}
	subs, err := r.src.Subgoals(ctx, gid)
	if err == nil {
		if r.mode.CompareAndSwap(modeUnknown, modeSubgoals) {
			r.seenMu.Lock()
			r.seen = nil
			r.seenMu.Unlock()
		}
		return r.toKeyResults(gid, subs)
	}
	if !errors.Is(err, asana.ErrNotFound) {
		return nil, fmt.Errorf("sub-goals of goal %s: %w", gid, err)
	}
	// A 404 for a goal the scan just returned: either the subgoals path is
	// retired, or the goal was deleted meanwhile. goal_relationships for the
	// same goal tells which.
	rels, relErr := r.src.GoalRelationships(ctx, gid, asana.SubtypeSubgoal)
	if relErr != nil {
		if errors.Is(relErr, asana.ErrNotFound) {
			return nil, fmt.Errorf("goal %s is no longer in Asana (deleted during the sync?): %w", gid, err)
		}
		return nil, fmt.Errorf("sub-goals of goal %s: subgoals path answered 404, goal relationships failed: %w", gid, relErr)
	}
	if r.mode.Swap(modeRelationships) != modeRelationships {
		r.cfg.Logger.LogAttrs(ctx, slog.LevelWarn,
			"goals: Asana has no GET /goals/{gid}/subgoals; using GET /goal_relationships for the rest of the sync")
	}
	return r.keyResultsFromRelationships(ctx, gid, rels)
}

// keyResultsFromRelationships turns a goal's sub-goal relationships into Key
// Results, taking each sub-goal's details from the scan when it was seen and
// from GET /goals/{gid} otherwise.
func (r *run) keyResultsFromRelationships(ctx context.Context, gid string, rels []asana.GoalRelationship) ([]KeyResult, error) {
	subs := make([]asana.Goal, 0, len(rels))
	for _, rel := range rels {
		res := rel.SupportingResource
		if rel.ResourceSubtype != asana.SubtypeSubgoal {
			continue
		}
		if res == nil || res.GID == "" {
			return nil, fmt.Errorf("goal relationships of goal %s: relationship %q has no supporting resource", gid, rel.GID)
		}
		if res.ResourceType != "" && res.ResourceType != "goal" {
			continue
		}
		sub, ok := r.lookupSeen(res.GID)
		if !ok {
			var err error
			sub, err = r.subgoal(ctx, res.GID)
			if errors.Is(err, asana.ErrNotFound) {
				continue // the sub-goal was deleted: not a Key Result
			}
			if err != nil {
				return nil, fmt.Errorf("sub-goal %s of goal %s: %w", res.GID, gid, err)
			}
		}
		subs = append(subs, sub)
	}
	return r.toKeyResults(gid, subs)
}

// subgoal fetches one sub-goal's details, without its description when the
// source can leave it out.
func (r *run) subgoal(ctx context.Context, gid string) (asana.Goal, error) {
	if s, ok := r.src.(summarizer); ok {
		return s.GoalSummary(ctx, gid)
	}
	return r.src.Goal(ctx, gid)
}

// write stores each mapped employee's goals, in input order, and fills the
// report. A scan error makes every write partial; a mass removal is held
// back (see holdMassRemovals). It returns an error only when ctx ends
// before every employee was written.
func (r *run) write(ctx context.Context, store Store, scanErr error) error {
	plans := make([]employeePlan, len(r.states))
	for i, st := range r.states {
		plans[i].er, plans[i].w = r.plan(st, scanErr)
	}
	if err := r.holdMassRemovals(ctx, plans); err != nil {
		return r.cancelledWhileWriting(ctx, plans, 0, err)
	}
	for i := range plans {
		er, w := &plans[i].er, plans[i].w
		if err := ctx.Err(); err != nil {
			return r.cancelledWhileWriting(ctx, plans, i, err)
		}
		if len(w.Goals) > 0 || w.Complete {
			if err := store.WriteGoals(ctx, w); err != nil {
				if ctx.Err() != nil {
					return r.cancelledWhileWriting(ctx, plans, i, ctx.Err())
				}
				er.Written = WrittenNone
				er.Error = joinReasons(er.Error, "store write failed; stored goals unchanged: "+err.Error())
			}
		}
		r.finish(ctx, *er)
	}
	return nil
}

// employeePlan is what write will do for one employee.
type employeePlan struct {
	er EmployeeReport
	w  Write
}

// finish logs an employee's outcome and adds it to the report.
func (r *run) finish(ctx context.Context, er EmployeeReport) {
	if er.Error != "" {
		r.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "goals: employee not fully synced",
			slog.String("employee_id", er.EmployeeID), slog.String("error", er.Error))
	}
	r.report.Employees = append(r.report.Employees, er)
}

// cancelledWhileWriting reports plans[from:] as not written and returns the
// sync's error: the writes before stay, each atomic.
func (r *run) cancelledWhileWriting(ctx context.Context, plans []employeePlan, from int, cause error) error {
	for _, p := range plans[from:] {
		p.er.Written = WrittenNone
		p.er.RemovalsHeld = 0
		p.er.Error = joinReasons(p.er.Error, "the sync was cancelled before this employee was written; stored goals unchanged")
		r.finish(ctx, p.er)
	}
	return fmt.Errorf("goals: sync cancelled while writing: %d of %d employees written, the others left as stored: %w",
		from, len(plans), cause)
}

// holdMassRemovals counts what the complete writes would remove from the
// store, and when that is a mass removal (Config.RemovalThreshold), turns
// those writes into upsert-only ones and says so in the report. Only
// employees written complete count, removals and stored goals alike: they
// are the ones a healthy-looking answer with too little in it would empty.
func (r *run) holdMassRemovals(ctx context.Context, plans []employeePlan) error {
	if r.reader == nil || r.cfg.ConfirmRemovals {
		return nil
	}
	removals := make([]int, len(plans))
	total, storedTotal := 0, 0
	for i, p := range plans {
		if !p.w.Complete {
			continue
		}
		stored, err := r.reader.Goals(ctx, p.w.EmployeeID)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Without the stored list the removals cannot be weighed: keep
			// everything of this employee.
			plans[i].w.Complete, plans[i].w.Retain = false, nil
			plans[i].er.Written = writtenFor(plans[i].w)
			plans[i].er.Error = joinReasons(plans[i].er.Error,
				"could not read the stored goals to check removals, so nothing was removed: "+err.Error())
			continue
		}
		gids := make([]string, len(stored))
		for j, g := range stored {
			gids[j] = g.GID
		}
		_, removed := p.w.Order(gids)
		removals[i] = len(removed)
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
		EmployeeID:   st.emp.ID,
		AsanaUserGID: st.emp.AsanaUserGID,
		GoalsOwned:   st.owned,
		Truncated:    len(st.beyond) > 0,
	}
	w := Write{EmployeeID: st.emp.ID, Goals: make([]Goal, 0, len(st.kept))}
	var failed []error
	for _, kg := range st.kept {
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
		er.Error = "the workspace scan failed, so this employee's goal list may be incomplete; nothing was removed"
	case len(failed) > 0 || r.report.MalformedRecords > 0:
		var reasons []string
		if len(failed) > 0 {
			reasons = append(reasons, fmt.Sprintf("%d of %d goals could not be fetched whole and were left as stored (first: %v)",
				len(failed), len(st.kept), failed[0]))
		}
		if n := r.report.MalformedRecords; n > 0 {
			reasons = append(reasons, fmt.Sprintf(
				"the workspace scan returned %d record(s) Asana cannot have meant (a goal or an owner without a GID), any of which might be theirs", n))
		}
		er.Error = strings.Join(reasons, "; ") + "; nothing was removed"
	default:
		w.Complete = true
		w.Retain = st.beyond
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
func writtenFor(w Write) Written {
	switch {
	case w.Complete:
		return WrittenComplete
	case len(w.Goals) > 0:
		return WrittenPartial
	}
	return WrittenNone
}

func joinReasons(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// toGoal converts a scanned Asana goal into the employee's Goal row.
func (r *run) toGoal(employeeID string, g asana.Goal) Goal {
	st, raw, src := StatusOf(r.cfg.StatusMapper, g.StatusType(), g.Status)
	desc := ""
	if !r.cfg.OmitDescriptions {
		desc = htmltext.Description(g.HTMLNotes, r.cfg.DescriptionLimit)
	}
	return Goal{
		EmployeeID:   employeeID,
		GID:          g.GID,
		Name:         g.Name,
		Description:  desc,
		StartOn:      g.StartOn,
		DueOn:        g.DueOn,
		Status:       st,
		RawStatus:    raw,
		StatusSource: src,
		TimePeriod:   timePeriodOf(g.TimePeriod),
		Metric:       progressOf(g.Metric),
		KeyResults:   []KeyResult{},
		SyncedAt:     r.syncedAt,
	}
}

// timePeriodOf keeps a goal's time period, or nil when Asana sent none (or
// a reference without a GID, which names no period).
func timePeriodOf(tp *asana.TimePeriod) *TimePeriod {
	if tp == nil || tp.GID == "" {
		return nil
	}
	return &TimePeriod{GID: tp.GID, DisplayName: tp.DisplayName, Period: tp.Period, StartOn: tp.StartOn, EndOn: tp.EndOn}
}

// toKeyResults converts a goal's sub-goals, in order, each once. A sub-goal
// without a GID or a name is a broken answer, and the goal is then not
// written at all.
func (r *run) toKeyResults(parentGID string, subs []asana.Goal) ([]KeyResult, error) {
	krs := make([]KeyResult, 0, len(subs))
	seen := make(map[string]bool, len(subs))
	for _, s := range subs {
		if s.GID == "" || s.Name == "" {
			return nil, fmt.Errorf("sub-goals of goal %s: Asana returned a sub-goal without a GID or a name (gid %q)", parentGID, s.GID)
		}
		if seen[s.GID] {
			continue // a page boundary shifted under the listing; the first wins
		}
		seen[s.GID] = true
		st, raw, src := StatusOf(r.cfg.StatusMapper, s.StatusType(), s.Status)
		krs = append(krs, KeyResult{
			GoalGID:      parentGID,
			GID:          s.GID,
			Name:         s.Name,
			Status:       st,
			RawStatus:    raw,
			StatusSource: src,
			DueOn:        s.DueOn,
			Metric:       progressOf(s.Metric),
		})
	}
	return krs, nil
}

func progressOf(m *asana.Metric) *Metric {
	if m == nil {
		return nil
	}
	return &Metric{
		Initial:      m.InitialNumberValue,
		Current:      m.CurrentNumberValue,
		Target:       m.TargetNumberValue,
		Unit:         m.Unit,
		CurrencyCode: m.CurrencyCode,
	}
}
