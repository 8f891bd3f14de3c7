package goals_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// Each test here pins one rule a user relies on, at the line that keeps it;
// breaking that line makes the test fail (see the README, "How a rule is
// proven").

// A refusal met by the workspace scan itself stops the sync, even when every
// goal read before it was walked whole and no walker met the refusal: no
// write, not even an upsert of the goals already fetched.
func TestRefusalOnALaterPageWritesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMock(t, wsOwned("501", 1, 3)...)
		m.pageSize = 2
		m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
			if kind == "pages" && req.URL.Query().Get("offset") != "" {
				// A (virtual) second: page 1's goals are walked, every
				// walker idle.
				time.Sleep(time.Second)
				return asanaError(401, "Not Authorized"), nil
			}
			return nil, nil
		}
		store := goals.NewMemoryStore()
		seedN(t, store, "emp-ada", 100, 2)
		rep, err := runSync(t, m, store, testConfig(), ada)
		if !errors.Is(err, asana.ErrUnauthorized) {
			t.Fatalf("err = %v, want ErrUnauthorized", err)
		}
		if n := m.count(m.listingKind()); n != 2 {
			t.Fatalf("%d sub-goal listings before the refusal, want page 1's 2", n)
		}
		if got := gidsOf(stored(t, store, "emp-ada")); got != "100,101" {
			t.Errorf("ada = %s, want 100,101: a refused sync must write nothing", got)
		}
		for _, e := range rep.Employees {
			if e.Written != goals.WrittenNone {
				t.Errorf("%s written %q after a refusal", e.EmployeeID, e.Written)
			}
		}
	})
}

// countingStore counts the calls a sync makes to it, and ignores the
// context, as a store on a driver that does not look at it would.
type countingStore struct {
	*goals.MemoryStore
	reads, writes atomic.Int64
}

func (s *countingStore) WriteGoals(_ context.Context, w goals.Write) error {
	s.writes.Add(1)
	return s.MemoryStore.WriteGoals(context.Background(), w)
}

func (s *countingStore) Goals(_ context.Context, id string) ([]goals.Goal, error) {
	s.reads.Add(1)
	return s.MemoryStore.Goals(context.Background(), id)
}

// A sync cancelled once the fetch is over but before the writes touches the
// store no more: no read for the removal guard, no write, whatever the
// store does with the context.
func TestCancelBeforeTheWritesLeavesTheStoreAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Page 1: ada's three goals; page 2, a (virtual) second later, a
		// goal of nobody's: every walk is over when the scan ends.
		m := newMock(t, append(wsOwned("501", 1, 3), asanafake.Goal{GID: "4", Name: "D", OwnerGID: "999"})...)
		m.pageSize = 3
		m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
			if kind == "pages" && req.URL.Query().Get("offset") != "" {
				time.Sleep(time.Second)
			}
			return nil, nil
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := testConfig()
		cfg.OnProgress = func(p goals.SyncProgress) {
			if p.Phase == goals.PhaseWalking {
				cancel()
			}
		}
		store := &countingStore{MemoryStore: goals.NewMemoryStore()}
		seedN(t, store.MemoryStore, "emp-ada", 100, 2)
		rep, err := goals.NewIngester(m.newClient(t), store, cfg).Sync(ctx, []goals.Employee{ada})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if r, w := store.reads.Load(), store.writes.Load(); r != 0 || w != 0 {
			t.Errorf("the store was read %d and written %d times after the cancel, want neither", r, w)
		}
		if got := gidsOf(stored(t, store.MemoryStore, "emp-ada")); got != "100,101" {
			t.Errorf("ada = %s, want 100,101", got)
		}
		for _, e := range rep.Employees {
			if e.Written != goals.WrittenNone {
				t.Errorf("%s written %q", e.EmployeeID, e.Written)
			}
		}
	})
}

// cancellingReader cancels the sync on the removal guard's first read, and
// answers it with the cancellation, as a database read would.
type cancellingReader struct {
	*goals.MemoryStore
	cancel context.CancelFunc
	reads  atomic.Int64
}

func (s *cancellingReader) Goals(ctx context.Context, id string) ([]goals.Goal, error) {
	s.reads.Add(1)
	s.cancel()
	return nil, fmt.Errorf("read goals of %s: %w", id, context.Canceled)
}

// A cancel that lands while the removal guard reads the store ends the sync
// there: no further read, nothing written, and no employee blamed on an
// unreadable store.
func TestCancelDuringTheGuardsReadStopsReading(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "502"}, asanafake.Goal{GID: "3", Name: "C", OwnerGID: "503"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := &cancellingReader{MemoryStore: goals.NewMemoryStore(), cancel: cancel}
	rep, err := goals.NewIngester(m.newClient(t), store, testConfig()).Sync(ctx, []goals.Employee{ada, brian, cleo})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := store.reads.Load(); n != 1 {
		t.Errorf("the store was read %d times, want 1: reading stops at the cancel", n)
	}
	if ids := store.Employees(); len(ids) != 0 {
		t.Errorf("written after the cancel: %v", ids)
	}
	for _, e := range rep.Employees {
		if e.Written != goals.WrittenNone || strings.Contains(message(e.Err), "could not read") {
			t.Errorf("%s = %+v, want not written, for the cancel only", e.EmployeeID, e)
		}
	}
}

// A goal relationship whose supporting resource does not say its type is
// still a sub-goal: Asana leaves resource_type out when it is not asked
// for, and only another type (a project) rules the resource out.
func TestSubgoalWithoutResourceTypeIsAKeyResult(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "6", Name: "Six"}, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"})
	m.onRequest = relationships(`{"gid":"r1","resource_subtype":"subgoal","supporting_resource":{"gid":"6"}}`)
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	if gs := stored(t, store, "emp-ada"); len(gs) != 1 || krGIDs(gs[0]) != "6" {
		t.Errorf("stored = %+v, want goal 1 with Key Result 6", gs)
	}
}

// Ten removals over the threshold are a mass removal: the guard's minimum
// (MinRemovalsHeld, 10) is the fewest it holds, not the most it lets pass.
func TestExactlyTenRemovalsOverTheThresholdAreHeld(t *testing.T) {
	store := goals.NewMemoryStore()
	seedN(t, store, "emp-ada", 1, 10)
	rep, err := runSync(t, newMock(t, wsOwned("502", 1001, 1)...), store, testConfig(), ada, brian)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RemovalsHeld != 10 {
		t.Errorf("RemovalsHeld = %d, want 10", rep.RemovalsHeld)
	}
	if n := len(stored(t, store, "emp-ada")); n != 10 {
		t.Errorf("ada has %d goals stored, want her 10 kept", n)
	}
}

// Only complete writes weigh in the guard, stored goals as much as
// removals: the goals of an employee written partial (who can lose none)
// do not dilute another employee's emptying into a small share.
func TestPartialEmployeesDoNotDiluteTheGuard(t *testing.T) {
	store := goals.NewMemoryStore()
	seedN(t, store, "emp-ada", 1, 12)
	seedN(t, store, "emp-brian", 2001, 100)
	// Brian's one goal comes without a name: he is written partial.
	m := newMock(t, asanafake.Goal{GID: "2001", Name: "", OwnerGID: "502"})
	rep, err := runSync(t, m, store, testConfig(), ada, brian)
	if err != nil {
		t.Fatal(err)
	}
	if e := employeeReport(t, rep, "emp-brian"); e.Written == goals.WrittenComplete {
		t.Fatalf("brian = %+v, want a partial write", e)
	}
	if rep.RemovalsHeld != 12 {
		t.Errorf("RemovalsHeld = %d, want ada's 12 (12 of her 12 stored)", rep.RemovalsHeld)
	}
	if n := len(stored(t, store, "emp-ada")); n != 12 {
		t.Errorf("ada has %d goals stored, want her 12 kept", n)
	}
}

// When the guard holds removals back, an employee who had none to lose is
// still written complete: their stored order becomes Asana's.
func TestGuardLeavesEmployeesWithoutRemovalsComplete(t *testing.T) {
	store := goals.NewMemoryStore()
	seedN(t, store, "emp-ada", 1, 12)
	seedN(t, store, "emp-brian", 2001, 2)
	m := newMock(t, asanafake.Goal{GID: "2002", Name: "B2", OwnerGID: "502"}, asanafake.Goal{GID: "2001", Name: "B1", OwnerGID: "502"})
	rep, err := runSync(t, m, store, testConfig(), ada, brian)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RemovalsHeld != 12 {
		t.Fatalf("RemovalsHeld = %d, want 12", rep.RemovalsHeld)
	}
	if e := employeeReport(t, rep, "emp-brian"); e.Written != goals.WrittenComplete || e.RemovalsHeld != 0 {
		t.Errorf("brian = %+v, want complete with no removals held", e)
	}
	if got := gidsOf(stored(t, store, "emp-brian")); got != "2002,2001" {
		t.Errorf("brian = %s, want Asana's order 2002,2001", got)
	}
}

// An employee the sync did not write because it was cancelled had nothing
// held back either: their report says so even when the guard had tripped.
func TestCancelAfterTheGuardTrippedReportsNoRemovalsHeld(t *testing.T) {
	m := newMock(t, wsOwned("501", 1, 2)...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := cancellingStore{MemoryStore: goals.NewMemoryStore(), cancelAt: "emp-ada", cancel: cancel}
	seedN(t, store.MemoryStore, "emp-ada", 1, 14)
	rep, err := goals.NewIngester(m.newClient(t), store, testConfig()).Sync(ctx, []goals.Employee{ada})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenNone || e.RemovalsHeld != 0 {
		t.Errorf("ada = %+v, want not written and no removals held", e)
	}
	if rep.RemovalsHeld != 0 || rep.RemovalsHeldReason != "" {
		t.Errorf("report holds %d removals back (%q); nobody was written, so none was held", rep.RemovalsHeld, rep.RemovalsHeldReason)
	}
	if n := len(stored(t, store.MemoryStore, "emp-ada")); n != 14 {
		t.Errorf("ada has %d goals stored, want 14", n)
	}
}

// While the scan still runs, every walker has a sub-goal listing of its
// own: with 8 walkers and 8 goals waiting, 8 listings are in flight at
// once (virtual time: the scan's next page waits a second, long enough for
// every walker to have taken a goal).
func TestWalkersListSubgoalsInParallel(t *testing.T) {
	const walkers = 8
	synctest.Test(t, func(t *testing.T) {
		// Page 1: one goal for the probe and 8 more; page 2: one goal.
		// Whichever goal a walker probes with, its listing is the first and
		// passes; the others are held until page 2 has been asked for.
		m := newMock(t, wsOwned("501", 1, walkers+2)...)
		m.pageSize = walkers + 1
		release := make(chan struct{})
		var mu sync.Mutex
		inFlight, atPage2, probed := 0, -1, false
		m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
			switch {
			case kind == "pages" && req.URL.Query().Get("offset") != "":
				time.Sleep(time.Second) // virtual: every walker took what it could
				mu.Lock()
				atPage2 = inFlight
				mu.Unlock()
				close(release)
			case kind == "relationships":
				mu.Lock()
				first := !probed
				probed = true
				if !first {
					inFlight++
				}
				mu.Unlock()
				if !first {
					<-release
				}
			}
			return nil, nil
		}
		cfg := testConfig()
		cfg.Concurrency = walkers
		if _, err := runSync(t, m, goals.NewMemoryStore(), cfg, ada); err != nil {
			t.Fatal(err)
		}
		if atPage2 != walkers {
			t.Errorf("%d sub-goal listings in flight while the scan ran, want %d (one per walker)", atPage2, walkers)
		}
	})
}

// Once Asana refused the token, walkers take no further goal: the goals
// still queued are left as they are, not run through the walk (each of
// them would fail, and count as walked in the progress).
func TestWalkersTakeNoGoalAfterARefusal(t *testing.T) {
	m := newMock(t, wsOwned("501", 1, 100)...)
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == "subgoals" {
			return asanaError(401, "Not Authorized"), nil
		}
		return nil, nil
	}
	var last goals.SyncProgress
	cfg := testConfig()
	cfg.Concurrency = 1
	cfg.OnProgress = func(p goals.SyncProgress) { last = p }
	_, err := runSync(t, m, goals.NewMemoryStore(), cfg, ada)
	if !errors.Is(err, asana.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if last.Phase != goals.PhaseDone || last.KeyResultGoalsDone > cfg.Concurrency {
		t.Errorf("last progress = %+v: after the refusal, %d goals went through the walk (at most %d may: those already taken)",
			last, last.KeyResultGoalsDone, cfg.Concurrency)
	}
}

// RemovalThreshold is a share from 0 to 1: NaN, infinities and values
// outside are refused before any request (a NaN would compare false with
// everything and silently decide the guard).
func TestRemovalThresholdMustBeAShare(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -0.01, 1.01} {
		cfg := testConfig()
		cfg.RemovalThreshold = v
		var ce *goals.GoalsConfigError
		if err := cfg.Validate(); !errors.As(err, &ce) || ce.Field != "RemovalThreshold" {
			t.Errorf("RemovalThreshold %v: Validate = %v, want a GoalsConfigError about RemovalThreshold", v, err)
		}
	}
	for _, v := range []float64{0, 0.5, 1} {
		cfg := testConfig()
		cfg.RemovalThreshold = v
		if err := cfg.Validate(); err != nil {
			t.Errorf("RemovalThreshold %v: %v", v, err)
		}
	}
}

// An Asana GID is at most 32 digits: a longer number, workspace or user,
// is refused before any request.
func TestGIDsLongerThan32DigitsAreRefused(t *testing.T) {
	gid32, gid33 := strings.Repeat("1", 32), strings.Repeat("1", 33)
	if err := (goals.Config{WorkspaceGID: gid32}).Validate(); err != nil {
		t.Errorf("32-digit workspace GID: %v", err)
	}
	var ce *goals.GoalsConfigError
	if err := (goals.Config{WorkspaceGID: gid33}).Validate(); !errors.As(err, &ce) || ce.Field != "WorkspaceGID" {
		t.Errorf("33-digit workspace GID: Validate = %v, want a GoalsConfigError about WorkspaceGID", err)
	}
	m := newMock(t, wsOwned("501", 1, 1)...)
	_, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), goals.Employee{ID: "e", AsanaUserGID: gid33})
	if !errors.As(err, &ce) || ce.Field != "employees[0].AsanaUserGID" {
		t.Errorf("33-digit user GID: err = %v, want a GoalsConfigError about employees[0].AsanaUserGID", err)
	}
	if n := m.total(); n != 0 {
		t.Errorf("%d requests before the configuration error", n)
	}
	if _, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), goals.Employee{ID: "e", AsanaUserGID: gid32}); err != nil {
		t.Errorf("32-digit user GID: %v", err)
	}
}

// A Key Result filed under a goal it does not belong to is refused: the
// write is invalid and a store changes nothing.
func TestKeyResultOfAnotherGoalIsRefused(t *testing.T) {
	g := goals.Goal{EmployeeID: "e1", GID: "1", Name: "One", Status: status.OnTrack,
		KeyResults: []goals.KeyResult{{GoalGID: "2", GID: "21", Name: "KR", Status: status.OnTrack}}}
	w := goals.Write{EmployeeID: "e1", Goals: []goals.Goal{g, {EmployeeID: "e1", GID: "2", Name: "Two", Status: status.OnTrack}}, Complete: true}
	if err := w.Validate(); err == nil || !strings.Contains(err.Error(), "21") {
		t.Errorf("Validate = %v, want an error about key result 21", err)
	}
	store := goals.NewMemoryStore()
	if err := store.WriteGoals(context.Background(), w); err == nil {
		t.Error("MemoryStore accepted the write")
	}
	if ids := store.Employees(); len(ids) != 0 {
		t.Errorf("a refused write stored %v", ids)
	}
}
