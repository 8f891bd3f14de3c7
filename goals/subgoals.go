package goals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/perfcopilot/asanagoals/asana"
)

// pathMode is the Asana path a sync reads sub-goals through.
type pathMode int32

const (
	// pathUnknown: no probe has answered yet.
	pathUnknown pathMode = iota
	// pathSpec: GET /goals/{gid}/subgoals answers (the spec's path).
	pathSpec
	// pathRelationships: it does not, as in today's Asana: sub-goals are
	// listed by GET /goal_relationships?resource_subtype=subgoal and their
	// details taken from the scan, or from GET /goals/{gid} for those the
	// scan never returns.
	pathRelationships
)

// subgoalWalk fetches kept goals' sub-goals as Key Results. It owns the
// choice of path, the scanned goals' details the relationships path needs,
// and the goals parked until the scan ends.
//
// The path is decided by one probe: the first kept goal's
// GET /goals/{gid}/subgoals. Every other walker waits for its answer, so a
// sync against today's Asana sends one request to the retired path
// whatever its concurrency. A 404 there is either the path or the goal
// gone; the goal's relationships tell which (both 404: the goal was
// deleted, the path is still unknown, and the next goal probes again).
type subgoalWalk struct {
	src    *asana.Client
	cfg    Config
	logger *slog.Logger

	mode       atomic.Int32 // a pathMode
	probeMu    sync.Mutex
	probing    bool
	probeEnded chan struct{} // closed when the probe in flight ends

	// index holds the scanned goals' Key Result details while they may be
	// needed: until the spec's path is known to work (it sends sub-goals
	// whole, so the index is then dropped), and for the whole sync on the
	// relationships path.
	indexMu sync.Mutex
	index   *subgoalIndex

	// A goal whose sub-goals include one the scan has not returned yet is
	// parked until the scan ends: fetching that sub-goal alone now would
	// cost a request the scan may make unneeded a few pages later.
	parkMu   sync.Mutex
	scanDone bool
	parked   []*keptGoal

	// fetched holds the sub-goals the scan never returned, each fetched
	// once per sync and shared by every goal it supports.
	fetchMu sync.Mutex
	fetched map[string]*subgoalFetch

	// selfLinks counts the sub-goal links from a goal to itself that
	// listings returned and the walk skipped (Report.SelfSubgoals).
	selfLinks atomic.Int64

	// relAsked says a probe found the spec's path answering 404 and asked
	// goal relationships, whatever they answered: the path the sync used,
	// should no probe decide one.
	relAsked atomic.Bool
}

func newSubgoalWalk(src *asana.Client, cfg Config) *subgoalWalk {
	return &subgoalWalk{src: src, cfg: cfg, logger: cfg.Logger, probeEnded: make(chan struct{}), index: newSubgoalIndex()}
}

// remember keeps a scanned goal's Key Result details while they may be
// needed.
func (w *subgoalWalk) remember(g asana.Goal) {
	if pathMode(w.mode.Load()) == pathSpec {
		return
	}
	w.indexMu.Lock()
	x := w.index
	w.indexMu.Unlock()
	if x != nil {
		x.put(g)
	}
}

// dropIndex lets the scanned goals' details, and the sub-goals fetched on
// their own, go once no walk needs them.
func (w *subgoalWalk) dropIndex() {
	w.indexMu.Lock()
	w.index = nil
	w.indexMu.Unlock()
	w.fetchMu.Lock()
	w.fetched = nil
	w.fetchMu.Unlock()
}

func (w *subgoalWalk) lookup(gid string) (asana.Goal, bool) {
	w.indexMu.Lock()
	x := w.index
	w.indexMu.Unlock()
	if x == nil {
		return asana.Goal{}, false
	}
	return x.get(gid)
}

// endScan says the scan is over and returns the goals parked until then;
// the index is now final, so what it lacks is fetched on its own.
func (w *subgoalWalk) endScan() []*keptGoal {
	w.parkMu.Lock()
	defer w.parkMu.Unlock()
	w.scanDone = true
	p := w.parked
	w.parked = nil
	return p
}

// park keeps kg until the scan ends, unless it already has.
func (w *subgoalWalk) park(kg *keptGoal) bool {
	w.parkMu.Lock()
	defer w.parkMu.Unlock()
	if w.scanDone {
		return false
	}
	w.parked = append(w.parked, kg)
	return true
}

// source names the path used, for the report: the one a probe decided;
// else goal relationships when a probe met the spec's path's 404 and asked
// them (which failed, or found the goal deleted); else the spec's path
// when a goal was kept (tried, never answered).
func (w *subgoalWalk) source(kept bool) SubgoalPath {
	switch pathMode(w.mode.Load()) {
	case pathRelationships:
		return PathGoalRelationships
	case pathSpec:
		return PathSubgoals
	}
	switch {
	case w.relAsked.Load():
		return PathGoalRelationships
	case kept:
		return PathSubgoals
	}
	return PathNone
}

// fill fetches kg's sub-goals into kg.krs, or sets kg.err. It returns false
// when kg was parked until the scan ends: it is then handed back to a
// walker, and fill finishes it.
func (w *subgoalWalk) fill(ctx context.Context, kg *keptGoal) (done bool) {
	gid := kg.goal.GID
	if kg.subgoalGIDs == nil {
		subs, subGIDs, err := w.list(ctx, gid)
		switch {
		case err != nil:
			kg.krs, kg.err = nil, err
			return true
		case subGIDs == nil:
			kg.krs, kg.err = toKeyResults(w.cfg.StatusMapper, gid, subs)
			return true
		}
		kg.subgoalGIDs = subGIDs
	}
	if !w.complete(kg.subgoalGIDs) && w.park(kg) {
		return false
	}
	kg.krs, kg.err = w.resolve(ctx, gid, kg.subgoalGIDs)
	return true
}

// list asks Asana for gid's sub-goals on the path in use: whole sub-goals
// on the spec's path, sub-goal GIDs (non-nil) on the relationships path.
func (w *subgoalWalk) list(ctx context.Context, gid string) ([]asana.Goal, []string, error) {
	mode, err := w.acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("sub-goals of goal %s: %w", gid, err)
	}
	switch mode {
	case pathSpec:
		subs, err := w.src.Subgoals(ctx, gid)
		if errors.Is(err, asana.ErrNotFound) {
			return nil, nil, goneError(gid, err)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("sub-goals of goal %s: %w", gid, err)
		}
		return w.withoutSelf(gid, subs), nil, nil
	case pathRelationships:
		subGIDs, err := w.relationships(ctx, gid)
		return nil, subGIDs, err
	}
	return w.probe(ctx, gid)
}

// acquire waits until the path is known, or until this caller is the one
// to probe it (pathUnknown).
func (w *subgoalWalk) acquire(ctx context.Context) (pathMode, error) {
	for {
		if m := pathMode(w.mode.Load()); m != pathUnknown {
			return m, nil
		}
		w.probeMu.Lock()
		if m := pathMode(w.mode.Load()); m != pathUnknown {
			w.probeMu.Unlock()
			return m, nil
		}
		if !w.probing {
			w.probing = true
			w.probeMu.Unlock()
			return pathUnknown, nil
		}
		ended := w.probeEnded
		w.probeMu.Unlock()
		select {
		case <-ended:
		case <-ctx.Done():
			return pathUnknown, context.Cause(ctx)
		}
	}
}

// decide ends the probe in flight, with its finding (pathUnknown: none).
func (w *subgoalWalk) decide(m pathMode) {
	w.probeMu.Lock()
	defer w.probeMu.Unlock()
	if m != pathUnknown {
		w.mode.Store(int32(m))
	}
	if m == pathSpec {
		w.dropIndex() // sub-goals now come whole: the scan's details are not needed
	}
	w.probing = false
	close(w.probeEnded)
	w.probeEnded = make(chan struct{})
}

// probe tries the spec's path for gid and decides the path from the answer.
func (w *subgoalWalk) probe(ctx context.Context, gid string) ([]asana.Goal, []string, error) {
	subs, err := w.src.Subgoals(ctx, gid)
	if err == nil {
		w.decide(pathSpec)
		return w.withoutSelf(gid, subs), nil, nil
	}
	if !errors.Is(err, asana.ErrNotFound) {
		w.decide(pathUnknown)
		return nil, nil, fmt.Errorf("sub-goals of goal %s: %w", gid, err)
	}
	// A 404 for a goal the scan just returned: either the spec's path is
	// retired, or the goal was deleted meanwhile. Its relationships tell.
	w.relAsked.Store(true)
	subGIDs, relErr := w.relationships(ctx, gid)
	if relErr != nil {
		w.decide(pathUnknown)
		if errors.Is(relErr, asana.ErrNotFound) {
			return nil, nil, relErr
		}
		return nil, nil, fmt.Errorf("sub-goals of goal %s: GET /goals/{gid}/subgoals answered 404, goal relationships failed: %w", gid, relErr)
	}
	w.logger.LogAttrs(ctx, slog.LevelInfo,
		"goals: Asana has no GET /goals/{gid}/subgoals (retired); reading sub-goals through GET /goal_relationships")
	w.decide(pathRelationships)
	return nil, subGIDs, nil
}

// relationships lists gid's sub-goal GIDs through goal relationships, in
// Asana's order.
func (w *subgoalWalk) relationships(ctx context.Context, gid string) ([]string, error) {
	rels, err := w.src.GoalRelationships(ctx, gid, asana.SubtypeSubgoal)
	if errors.Is(err, asana.ErrNotFound) {
		return nil, goneError(gid, err)
	}
	if err != nil {
		return nil, fmt.Errorf("goal relationships of goal %s: %w", gid, err)
	}
	gids := make([]string, 0, len(rels))
	self := int64(0)
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
		if res.GID == gid {
			self++ // a goal is never its own Key Result
			continue
		}
		gids = append(gids, res.GID)
	}
	w.selfLinks.Add(self)
	return gids, nil
}

// withoutSelf drops gid from its own sub-goals, as the spec's path lists
// them, and counts each time it did: a goal is never its own Key Result.
func (w *subgoalWalk) withoutSelf(gid string, subs []asana.Goal) []asana.Goal {
	out := subs[:0]
	for _, s := range subs {
		if s.GID == gid {
			w.selfLinks.Add(1)
			continue
		}
		out = append(out, s)
	}
	return out
}

func goneError(gid string, err error) error {
	return fmt.Errorf("goal %s is no longer in Asana (deleted during the sync?): %w", gid, err)
}

// complete reports whether the scan has returned every sub-goal in gids.
func (w *subgoalWalk) complete(gids []string) bool {
	w.indexMu.Lock()
	x := w.index
	w.indexMu.Unlock()
	if x == nil {
		return len(gids) == 0
	}
	for _, g := range gids {
		if !x.has(g) {
			return false
		}
	}
	return true
}

// resolve turns sub-goal GIDs into Key Results: details from the scan, or
// from GET /goals/{gid} (without html_notes: a Key Result has no
// description) for a sub-goal the scan did not return, fetched once per
// sync (see unscanned). A sub-goal deleted meanwhile is skipped.
func (w *subgoalWalk) resolve(ctx context.Context, parent string, gids []string) ([]KeyResult, error) {
	subs := make([]asana.Goal, 0, len(gids))
	for _, gid := range gids {
		sub, ok := w.lookup(gid)
		if !ok {
			var err error
			sub, err = w.unscanned(ctx, gid)
			if errors.Is(err, asana.ErrNotFound) {
				continue // deleted: not a Key Result
			}
			if err != nil {
				return nil, fmt.Errorf("sub-goal %s of goal %s: %w", gid, parent, err)
			}
		}
		subs = append(subs, sub)
	}
	return toKeyResults(w.cfg.StatusMapper, parent, subs)
}

// subgoalFetch is one GET /goals/{gid} of a sub-goal the scan never
// returned: goal and err are set before done is closed.
type subgoalFetch struct {
	done chan struct{}
	goal asana.Goal
	err  error
}

// unscanned returns a sub-goal the scan never returned, fetched once per
// sync: the first walker to need it fetches it, and every other one, at
// once or later, waits for and shares that answer (its error too: a
// deleted sub-goal's 404, or a failure every goal it supports then
// reports), so that a sub-goal supporting many goals costs one request.
func (w *subgoalWalk) unscanned(ctx context.Context, gid string) (asana.Goal, error) {
	w.fetchMu.Lock()
	f := w.fetched[gid]
	if f == nil {
		f = &subgoalFetch{done: make(chan struct{})}
		if w.fetched == nil {
			w.fetched = make(map[string]*subgoalFetch)
		}
		w.fetched[gid] = f
		w.fetchMu.Unlock()
		f.goal, f.err = w.src.GoalSummary(ctx, gid)
		close(f.done)
		return f.goal, f.err
	}
	w.fetchMu.Unlock()
	select {
	case <-f.done:
		return f.goal, f.err
	case <-ctx.Done():
		return asana.Goal{}, context.Cause(ctx)
	}
}
