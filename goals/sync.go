package goals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/internal/htmltext"
	"github.com/perfcopilot/asanagoals/status"
)

// Ingester syncs employees' Asana goals into a Store. It holds no state
// between syncs; one Ingester may run several syncs, one after another or
// at once (their request counts then mix in each Report).
type Ingester struct {
	client *asana.Client
	store  Store
	cfg    Config
}

// NewIngester returns an Ingester reading Asana through client and writing
// to store. The configuration is checked by Sync, before any request. The
// report's request counts and Asana's change notices come from the client
// (its Stats and Changes).
func NewIngester(client *asana.Client, store Store, cfg Config) *Ingester {
	return &Ingester{client: client, store: store, cfg: cfg}
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
// Before writing, it reads what is stored (Store's Goals) and holds back
// every removal when they would be a mass removal: see
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
	if in.client == nil {
		return nil, &GoalsConfigError{Field: "client", Problem: "no Asana client (nil)"}
	}
	if isNil(in.store) {
		return nil, &GoalsConfigError{Field: "store", Problem: "no store (nil)"}
	}
	if err := checkEmployees(employees); err != nil {
		return nil, err
	}
	r := newRun(cfg, in.client, employees)
	ctx = cfg.Hooks.syncStart(ctx, SyncInfo{WorkspaceGID: cfg.WorkspaceGID, Employees: len(employees), Mapped: len(r.states)})
	syncErr := r.sync(ctx, in.store)
	r.progress(PhaseDone)
	d := r.stats()
	r.report.Requests, r.report.Retries, r.report.RateLimited = d.Requests, d.Retries, d.RateLimited
	if changes := in.client.Changes(); len(changes) > 0 {
		r.report.AsanaChanges = changes
	}
	if in.client.StatusTypeRefused() {
		// Refused on the scan's first page (the first goal request), or on
		// an earlier sync of the client: no goal came with a status type.
		r.report.StatusSource = StatusFromGoal
		r.report.StatusSourceNote = StatusTypeRefusedNote
	}
	r.report.DurationSeconds = cfg.Now().Sub(r.report.StartedAt).Seconds()
	if syncErr != nil {
		r.report.Error = syncErr.Error()
		cfg.Logger.LogAttrs(ctx, slog.LevelError, "goals: sync failed", slog.String("error", syncErr.Error()))
	} else {
		cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "goals: sync done",
			slog.Int("goals_scanned", r.report.WorkspaceGoalsScanned),
			slog.Int("employees", len(r.report.Employees)),
			slog.Int("failed", len(r.report.Failed())),
			slog.String("subgoal_source", string(r.report.SubgoalPath)))
	}
	if cfg.Hooks.SyncEnd != nil {
		cfg.Hooks.SyncEnd(ctx, r.report, syncErr)
	}
	return r.report, syncErr
}

// StatusTypeRefusedNote is Report.StatusSourceNote when Asana refused the
// status update's status_type.
const StatusTypeRefusedNote = "Asana refused opt_fields " + asana.StatusTypeField +
	" (400), so this sync asked without it: every status came from the goal's own status field " +
	"(green, yellow, red, achieved, …), not from its latest status update"

// run is the state of one Sync: routing and the report (the scan's
// goroutine), the sub-goal walk, the stop on a refusal, and progress.
type run struct {
	cfg      Config
	client   *asana.Client
	report   *Report
	syncedAt time.Time
	states   []*employeeState          // mapped employees, input order
	byOwner  map[string]*employeeState // by Asana user GID
	routed   map[string]*employeeState // every goal GID routed to an employee, to route each once
	walk     *subgoalWalk

	// stop ends the fetch phase at once with a cause; fatal is the first
	// answer that made it (401, 402, a Retry-After too long to wait), nil
	// otherwise.
	stop    context.CancelCauseFunc
	fatalMu sync.Mutex
	fatal   error

	// For progress, read by any goroutine: pages and goals scanned, goals
	// kept and walked, whether the scan still runs. progressMu makes
	// OnProgress calls one at a time.
	pages, scanned, kept, walked atomic.Int64
	scanning                     atomic.Bool
	progressMu                   sync.Mutex
	stats                        func() asana.Stats // the client's counters since the sync began
}

type employeeState struct {
	emp     Employee
	owned   int
	order   []string // every GID routed here, in Asana's order
	kept    []*keptGoal
	beyond  []string        // GIDs past the cap, seen but not pulled
	outside int             // goals outside the review window: read by the scan, not walked
	refresh []Goal          // those of them with their own fields, to refresh stored copies
	unread  []string        // those of them without a name, left as stored
	moved   map[string]bool // GIDs routed here that a later page showed under another owner
	movedIn int             // goals a later page showed under this employee, first seen under another
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
	// subgoalGIDs are the goal's sub-goals listed through goal
	// relationships, kept while the goal waits for the scan's end; nil
	// until listed.
	subgoalGIDs []string
}

func newRun(cfg Config, client *asana.Client, employees []Employee) *run {
	now := cfg.Now()
	before := client.Stats()
	r := &run{
		cfg:    cfg,
		client: client,
		walk:   newSubgoalWalk(client, cfg),
		stats:  func() asana.Stats { return client.Stats().Sub(before) },
		report: &Report{
			WorkspaceGID:          cfg.WorkspaceGID,
			StartedAt:             now,
			UnmappedOwnerExamples: []string{},
			UnmappedEmployees:     []string{},
			Period:                cfg.Period.String(),
			Employees:             []EmployeeReport{},
			SubgoalPath:           PathNone,
			StatusSource:          StatusFromUpdate,
			DescriptionsOmitted:   cfg.OmitDescriptions,
			AsanaChanges:          []asana.Change{},
		},
		// UTC and whole microseconds: what every store keeps (storetest),
		// so a row reads back exactly as written.
		syncedAt: now.UTC().Truncate(time.Microsecond),
		byOwner:  make(map[string]*employeeState, len(employees)),
		routed:   make(map[string]*employeeState),
	}
	for _, e := range employees {
		if e.AsanaUserGID == "" {
			r.report.UnmappedEmployees = append(r.report.UnmappedEmployees, e.ID)
			continue
		}
		st := &employeeState{emp: e}
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
	hooks := &r.cfg.Hooks
	walkCtx := hooks.stageStart(fetchCtx, StageWalk)
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Go(func() {
			for kg := range q.drain(walkCtx) {
				if !r.walk.fill(walkCtx, kg) {
					continue // parked until the scan ends
				}
				r.stopIfRefused(kg.err)
				if n := r.walked.Add(1); n%walkProgressEvery == 0 {
					r.progress(fetchPhase)
				}
			}
		})
	}
	r.scanning.Store(true)
	scanCtx := hooks.stageStart(fetchCtx, StageScan)
	scanErr := r.scan(scanCtx, q)
	r.scanning.Store(false)
	r.stopIfRefused(scanErr)
	hooks.stageEnd(scanCtx, StageScan, scanErr)
	for _, kg := range r.walk.endScan() {
		q.push(kg)
	}
	q.close()
	r.progress(PhaseWalking)
	wg.Wait()
	r.walk.dropIndex() // every sub-goal is resolved: free it before the writes
	if hooks.StageEnd != nil {
		walkErr := r.refused()
		if walkErr == nil {
			walkErr = ctx.Err()
		}
		hooks.stageEnd(walkCtx, StageWalk, walkErr)
	}

	r.report.SubgoalPath = r.walk.source(r.kept.Load() > 0)
	r.report.SelfSubgoals = int(r.walk.selfLinks.Load())
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
	writeCtx := hooks.stageStart(ctx, StageWrite)
	err := r.write(writeCtx, store, scanErr)
	hooks.stageEnd(writeCtx, StageWrite, err)
	if err != nil {
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
	for g, err := range r.client.Goals(ctx, opts) {
		var unreadable *asana.RecordError
		if err != nil && !errors.As(err, &unreadable) {
			return err
		}
		r.report.WorkspaceGoalsScanned++
		r.scanned.Add(1)
		if unreadable != nil || !asana.IsGID(g.GID) || (g.Owner != nil && !asana.IsGID(g.Owner.GID)) || backwards(g.TimePeriod) {
			// A record Asana cannot have meant, or one the client cannot
			// read: it might be anyone's goal, so no employee's list is
			// known whole (see plan), and its stored copy stays as it was.
			// A GID or an owner GID that is not written as an Asana GID
			// (digits) is one: a goal whose owner's "GID" is a word is no
			// stranger's goal, it is a record nobody can route.
			gid := g.GID
			if unreadable != nil {
				gid = unreadable.GID
			}
			r.noteMalformed(gid)
			continue
		}
		r.walk.remember(g)
		owner := g.OwnerGID()
		if owner == "" {
			r.report.OwnerlessGoals++
			continue
		}
		st := r.byOwner[owner]
		if prev := r.routed[g.GID]; prev != nil {
			// Asana's offsets can repeat an item when goals change during
			// the scan. The same owner again: the first sighting wins.
			// Another owner: the goal changed hands during the scan; it is
			// stored under neither this time, and both employees' lists
			// are partial (nothing removed), so it is never under both.
			if prev != st {
				r.ownerChanged(g.GID, prev, st)
			}
			continue
		}
		if st == nil {
			r.report.UnmappedOwnerGoals++
			r.noteUnmappedOwner(owner)
			continue
		}
		r.routed[g.GID] = st
		st.owned++
		st.order = append(st.order, g.GID)
		if !r.cfg.Period.Includes(periodView(g)) {
			// Not walked: the scan's fields refresh a stored copy, whose
			// Key Results stay as stored.
			st.outside++
			r.report.GoalsOutsidePeriod++
			if g.Name == "" {
				st.unread = append(st.unread, g.GID) // a name-less row would blank the stored one
			} else {
				st.refresh = append(st.refresh, r.toGoal(st.emp.ID, g))
			}
			continue
		}
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
	st := r.stats()
	p.Requests, p.RateLimited, p.RequestsPerMinute, p.Paused = st.Requests, st.RateLimited, st.RequestsPerMinute, st.Paused
	r.cfg.OnProgress(p)
}

// ownerChanged notes a goal seen under prev's employee and then under
// another owner (st, nil when that owner is mapped to no employee).
func (r *run) ownerChanged(gid string, prev, st *employeeState) {
	r.report.OwnerChanges++
	if prev.moved == nil {
		prev.moved = make(map[string]bool)
	}
	prev.moved[gid] = true
	if st != nil {
		st.movedIn++
	}
}

// noteMalformed counts a record Asana cannot have meant, and quotes its
// GID when it has one written as an Asana GID (any other value could be
// anything, of any length).
func (r *run) noteMalformed(gid string) {
	r.report.MalformedRecords++
	if asana.IsGID(gid) && len(r.report.MalformedRecordGIDs) < maxOwnerExamples {
		r.report.MalformedRecordGIDs = append(r.report.MalformedRecordGIDs, gid)
	}
}

// backwards reports a time period that ends before it starts: no period
// Asana has.
func backwards(tp *asana.TimePeriod) bool {
	return tp != nil && !tp.StartOn.IsZero() && !tp.EndOn.IsZero() && tp.EndOn.Before(tp.StartOn)
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

// toGoal converts a scanned Asana goal into the employee's Goal row.
func (r *run) toGoal(employeeID string, g asana.Goal) Goal {
	st, raw, src := statusOf(r.cfg.StatusMapper, g.StatusType(), g.Status)
	desc := ""
	if !r.cfg.OmitDescriptions {
		desc = htmltext.Description(g.HTMLNotes, r.cfg.DescriptionLimit)
	}
	return Goal{
		EmployeeID:   employeeID,
		GID:          g.GID,
		Name:         capName(g.Name),
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

// isNil reports whether v is nil or a nil pointer, map, slice, func or
// channel in an interface: a host's (*MyStore)(nil) is no store either.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// MaxNameRunes caps the name of a goal or Key Result as a sync stores it,
// in Unicode characters: Asana's names are short, and a name longer than
// this (a workspace member pasting a document into it) is cut, never inside
// a character, so that no name fills the host's database. The [GOALS]
// block clips names much shorter still (prompt.Options.MaxNameRunes).
const MaxNameRunes = 1000

func capName(s string) string { return htmltext.Truncate(s, MaxNameRunes) }

// periodView is what Period.Includes reads of a scanned goal (its dates
// and time period), without the cost of a whole Goal (its description).
func periodView(g asana.Goal) Goal {
	return Goal{StartOn: g.StartOn, DueOn: g.DueOn, TimePeriod: timePeriodOf(g.TimePeriod)}
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
func toKeyResults(mapper *status.Mapper, parentGID string, subs []asana.Goal) ([]KeyResult, error) {
	krs := make([]KeyResult, 0, len(subs))
	seen := make(map[string]bool, len(subs))
	for _, s := range subs {
		if !asana.IsGID(s.GID) || s.Name == "" {
			gid := s.GID
			if len(gid) > 40 {
				gid = gid[:40] + "…"
			}
			return nil, fmt.Errorf("sub-goals of goal %s: Asana returned a sub-goal without a GID or a name, or with a GID that is not an Asana GID (gid %q)", parentGID, gid)
		}
		if seen[s.GID] {
			continue // a page boundary shifted under the listing; the first wins
		}
		seen[s.GID] = true
		st, raw, src := statusOf(mapper, s.StatusType(), s.Status)
		krs = append(krs, KeyResult{
			GoalGID:      parentGID,
			GID:          s.GID,
			Name:         capName(s.Name),
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
