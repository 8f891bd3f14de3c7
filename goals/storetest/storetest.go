// Package storetest checks that an implementation of goals.Store keeps the
// contract documented on that interface, the way testing/fstest checks a
// file system. A host that writes its own store runs it from a test:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) goals.Store { return newEmptyStore(t) })
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/status"
)

// Run checks the store contract against stores made by newStore, which must
// return a new, empty store for each call. It checks, beyond the doc
// comments of goals.Store and goals.Reader (a write that fails goals.Write.Validate, a
// status outside the four included, changes nothing), that:
//
//   - every field of a Goal and a KeyResult reads back as written (SyncedAt
//     to the microsecond, in UTC; dates as written; a nil Metric or
//     TimePeriod as nil; StatusSource and TimePeriod included), and a goal
//     written again reads back as the later write, SyncedAt included;
//   - neither a write nor a read shares memory with the store: changing a
//     Write's goals after WriteGoals, or what Goals returned, changes
//     nothing stored;
//   - a refreshed goal (Write.Refresh) that is stored takes the write's
//     own fields and SyncedAt and keeps its Key Results; one whose fields
//     did not change reads back exactly as before, SyncedAt included; one
//     not stored is not added; a goal both refreshed and retained is
//     refreshed; a complete write keeps refreshed goals, a partial one
//     refreshes them too;
//   - stored order is goals.Write.Order's: after a complete write with
//     AsanaOrder, the written and kept goals in that order; without it,
//     the written goals in order, then the kept ones (refreshed or
//     retained) in their previous order; after a partial write, stored
//     goals keep their places and new ones follow in order;
//   - writes for different employees may run at once;
//   - complete writes for the same employee may run at once: none fails
//     (not with a deadlock, a serialisation failure or a duplicate key),
//     and afterwards the store holds exactly one of them, whole and in its
//     order, as if they had run one after another;
//   - a write of another workspace (goals.Write.WorkspaceGID) than the
//     one an employee's stored goals are of is refused, complete or not,
//     with an error that is goals.ErrOtherWorkspace, and changes nothing;
//     another employee may hold another workspace's goals; a write
//     without a workspace is not checked; goals stored without one, and
//     an employee with none stored, take the next write's workspace.
func Run(t *testing.T, newStore func(t *testing.T) goals.Store) {
	t.Helper()
	for _, c := range []struct {
		name string
		fn   func(*testing.T, goals.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"CompleteWriteRemovesTheRest", testCompleteRemoves},
		{"CompleteWriteKeepsRetained", testCompleteRetains},
		{"PartialWriteOnlyUpserts", testPartialUpserts},
		{"KeyResultsReplacedPerWrittenGoal", testKeyResultsReplaced},
		{"InvalidWriteChangesNothing", testInvalidWrite},
		{"OtherEmployeesUntouched", testOtherEmployees},
		{"SameWriteTwiceIsIdempotent", testIdempotent},
		{"CancelledContextWritesNothing", testCancelled},
		{"ConcurrentEmployees", testConcurrent},
		{"ConcurrentCompleteWritesSameEmployee", testConcurrentSameEmployee},
		{"ReaderNeverSeesATornWrite", testTornRead},
		{"EmptyCompleteWriteClearsEmployee", testEmptyComplete},
		{"RetainedGoalsStayExactlyAsStored", testScopedWrite},
		{"RefreshTakesTheReadFieldsInAsanasOrder", testRefresh},
		{"PartialWriteRefreshesInPlace", testPartialRefresh},
		{"ResyncRefreshesSyncedAt", testResyncRefreshesSyncedAt},
		{"NoMemorySharedWithCallers", testNoSharedMemory},
		{"AnotherWorkspaceIsRefused", testOtherWorkspace},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newStore(t)) })
	}
}

// syncedAt is the time the goals made by Goal carry: in UTC, whole
// microseconds, as every store must keep it.
var syncedAt = time.Date(2026, 11, 26, 14, 30, 15, 123456000, time.UTC)

// Goal returns a goal of employee emp with every field set (its status
// from Asana's goal status field, a time period), and n Key Results, which
// from two on set every field of a Key Result between them (the second has
// a metric in a currency; the fourth, from four on, one of unit "none"
// starting at 0). A test of a store that writes Goal(…, 2) or more and
// reads it back whole therefore covers every field, also one added later:
// this package's tests fail until Goal sets it.
func Goal(emp, gid string, n int) goals.Goal {
	g := goals.Goal{
		EmployeeID:   emp,
		GID:          gid,
		Name:         "Goal " + gid + " — 目標 🎯",
		Description:  "Line one\nLine two: \"quoted\" & <escaped>",
		StartOn:      asana.Date{Year: 2026, Month: time.January, Day: 2},
		DueOn:        asana.Date{Year: 2026, Month: time.December, Day: 31},
		Status:       status.AtRisk,
		RawStatus:    "partial",
		StatusSource: goals.StatusFromGoal,
		TimePeriod: &goals.TimePeriod{GID: "7701", DisplayName: "H2 FY26 — 下期", Period: "H2",
			StartOn: asana.Date{Year: 2026, Month: time.July, Day: 1}, EndOn: asana.Date{Year: 2026, Month: time.December, Day: 31}},
		Metric:     &goals.Metric{Initial: 0.5, Current: 12.25, Target: 100, Unit: "currency", CurrencyCode: "EUR"},
		KeyResults: []goals.KeyResult{},
		SyncedAt:   syncedAt,
	}
	for i := range n {
		kr := goals.KeyResult{
			GoalGID: gid, GID: fmt.Sprintf("%s%d", gid, 900+i), Name: fmt.Sprintf("KR %d of %s", i, gid),
			Status: status.Completed, RawStatus: "achieved", StatusSource: goals.StatusFromUpdate,
			DueOn: asana.Date{Year: 2027, Month: time.March, Day: i + 1},
		}
		if i%2 == 1 {
			kr.Metric = &goals.Metric{Initial: 0.25, Current: float64(i), Target: 10, Unit: "currency", CurrencyCode: "USD"}
			if i%4 == 3 {
				kr.Metric = &goals.Metric{Initial: 0, Current: float64(i), Target: 10, Unit: "none"}
			}
			kr.Status, kr.RawStatus, kr.StatusSource, kr.DueOn = status.OnTrack, "", goals.StatusFromNone, asana.Date{}
		}
		g.KeyResults = append(g.KeyResults, kr)
	}
	return g
}

// bare returns a goal with only what a goal must have.
func bare(emp, gid string) goals.Goal {
	return goals.Goal{EmployeeID: emp, GID: gid, Name: "Bare " + gid, Status: status.OnTrack,
		KeyResults: []goals.KeyResult{}, SyncedAt: syncedAt}
}

func withKeyResults(g goals.Goal, gids ...string) goals.Goal {
	for _, gid := range gids {
		g.KeyResults = append(g.KeyResults, goals.KeyResult{GoalGID: g.GID, GID: gid, Name: "KR", Status: status.OnTrack})
	}
	return g
}

func withStatus(g goals.Goal, s status.Status) goals.Goal {
	g.Status = s
	return g
}

func krStatus(g goals.Goal, s status.Status) goals.Goal {
	for i := range g.KeyResults {
		g.KeyResults[i].Status = s
	}
	return g
}

// krOf files g's Key Results under another goal's GID.
func krOf(g goals.Goal, goalGID string) goals.Goal {
	for i := range g.KeyResults {
		g.KeyResults[i].GoalGID = goalGID
	}
	return g
}

func write(t *testing.T, s goals.Store, w goals.Write) {
	t.Helper()
	if err := s.WriteGoals(context.Background(), w); err != nil {
		t.Fatalf("WriteGoals(%s, complete=%v, %d goals): %v", w.EmployeeID, w.Complete, len(w.Goals), err)
	}
}

func read(t *testing.T, s goals.Store, emp string) []goals.Goal {
	t.Helper()
	gs, err := s.Goals(context.Background(), emp)
	if err != nil {
		t.Fatalf("Goals(%s): %v", emp, err)
	}
	return gs
}

func gids(gs []goals.Goal) string {
	var out []string
	for _, g := range gs {
		out = append(out, g.GID)
	}
	return strings.Join(out, ",")
}

func expectGIDs(t *testing.T, s goals.Store, emp, want string) []goals.Goal {
	t.Helper()
	gs := read(t, s, emp)
	if got := gids(gs); got != want {
		t.Fatalf("%s's goals = [%s], want [%s]", emp, got, want)
	}
	return gs
}

// same reports whether two goals are equal field by field, times compared
// as instants.
func same(t *testing.T, got, want goals.Goal) {
	t.Helper()
	if !got.SyncedAt.Equal(want.SyncedAt) {
		t.Errorf("goal %s: SyncedAt = %v, want %v", want.GID, got.SyncedAt, want.SyncedAt)
	}
	got.SyncedAt, want.SyncedAt = time.Time{}, time.Time{}
	if len(got.KeyResults) == 0 && len(want.KeyResults) == 0 {
		got.KeyResults, want.KeyResults = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("goal %s reads back as\n%+v\nwant\n%+v", want.GID, got, want)
	}
}

func testRoundTrip(t *testing.T, s goals.Store) {
	want := []goals.Goal{Goal("e1", "11", 4), bare("e1", "12"), Goal("e1", "10", 0)}
	write(t, s, goals.Write{EmployeeID: "e1", Goals: want, Complete: true})
	got := expectGIDs(t, s, "e1", "11,12,10")
	for i := range want {
		same(t, got[i], want[i])
	}
	if gs := read(t, s, "nobody"); len(gs) != 0 {
		t.Errorf("unknown employee has goals %s", gids(gs))
	}
}

func testCompleteRemoves(t *testing.T, s goals.Store) {
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "1", 2), Goal("e1", "2", 2), Goal("e1", "3", 1)}, Complete: true})
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "3", 0), Goal("e1", "4", 1)}, Complete: true})
	gs := expectGIDs(t, s, "e1", "3,4")
	if len(gs[0].KeyResults) != 0 {
		t.Errorf("goal 3 keeps Key Results %+v after a write without them", gs[0].KeyResults)
	}
}

func testCompleteRetains(t *testing.T, s goals.Store) {
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "1", 1), Goal("e1", "2", 0), Goal("e1", "3", 2), Goal("e1", "4", 0)}, Complete: true})
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "5")}, Complete: true, Retain: []string{"3", "1", "99"}})
	gs := expectGIDs(t, s, "e1", "5,1,3")
	same(t, gs[1], Goal("e1", "1", 1))
	same(t, gs[2], Goal("e1", "3", 2))
}

// testScopedWrite is a complete write with a goal it did not read whole in
// Retain (past the cap, or outside a review window and unreadable): that
// one stays exactly as stored, Key Results, time period and sync time
// included, while a stored goal the write does not list is removed.
func testScopedWrite(t *testing.T, s goals.Store) {
	lastYear := Goal("e1", "2", 3)
	lastYear.TimePeriod = &goals.TimePeriod{GID: "7700", DisplayName: "FY25", Period: "FY",
		StartOn: asana.Date{Year: 2025, Month: time.January, Day: 1}, EndOn: asana.Date{Year: 2025, Month: time.December, Day: 31}}
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "1", 1), lastYear, Goal("e1", "3", 0)}, Complete: true})
	now := Goal("e1", "1", 2)
	now.Name, now.SyncedAt = "Renamed in this window", syncedAt.Add(24*time.Hour)
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{now}, Complete: true, Retain: []string{"2"}})
	gs := expectGIDs(t, s, "e1", "1,2")
	same(t, gs[0], now)
	same(t, gs[1], lastYear)
}

// renamed is Goal(emp, gid, 0) read again a day later, renamed, without
// Key Results: a goal to refresh a stored one with.
func renamed(emp, gid string) goals.Goal {
	g := Goal(emp, gid, 0)
	g.Name, g.KeyResults, g.SyncedAt = "Renamed "+gid, nil, syncedAt.Add(24*time.Hour)
	return g
}

// testRefresh is a sync scoped to a review window that read goals outside
// it again (Write.Refresh): a stored one whose own fields changed takes
// them, with the later SyncedAt, and keeps its Key Results; one that did
// not change stays exactly as stored, SyncedAt included; one not stored is
// not added; a retained one stays as stored, unless it is refreshed too; a
// stored goal in none of the lists is removed; and the goals are in
// AsanaOrder.
func testRefresh(t *testing.T, s goals.Store) {
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "1", 2), Goal("e1", "2", 1), Goal("e1", "3", 0), bare("e1", "5")}, Complete: true})
	changed := renamed("e1", "1")
	changed.Description, changed.Status, changed.RawStatus, changed.StatusSource = "", status.OffTrack, "missed", goals.StatusFromUpdate
	changed.DueOn = asana.Date{Year: 2027, Month: time.January, Day: 31}
	changed.Metric = &goals.Metric{Initial: 0.5, Current: 99.5, Target: 100, Unit: "currency", CurrencyCode: "USD"}
	changed.TimePeriod = nil
	same2 := Goal("e1", "2", 0)
	same2.KeyResults, same2.SyncedAt = nil, syncedAt.Add(24*time.Hour)
	write(t, s, goals.Write{EmployeeID: "e1", Complete: true, Goals: []goals.Goal{bare("e1", "4")},
		Refresh: []goals.Goal{changed, same2, renamed("e1", "99")}, Retain: []string{"3", "1"},
		AsanaOrder: []string{"2", "99", "4", "1", "3"}})
	gs := expectGIDs(t, s, "e1", "2,4,1,3")
	same(t, gs[0], Goal("e1", "2", 1))
	same(t, gs[1], bare("e1", "4"))
	want := changed
	want.KeyResults = Goal("e1", "1", 2).KeyResults
	same(t, gs[2], want)
	same(t, gs[3], Goal("e1", "3", 0))
}

// testPartialRefresh: a partial write refreshes stored goals in their
// places, and adds none that is only refreshed.
func testPartialRefresh(t *testing.T, s goals.Store) {
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "1", 1), Goal("e1", "2", 2)}, Complete: true})
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "7")},
		Refresh: []goals.Goal{renamed("e1", "99"), renamed("e1", "2")}, AsanaOrder: []string{"99", "7", "2"}})
	gs := expectGIDs(t, s, "e1", "1,2,7")
	same(t, gs[0], Goal("e1", "1", 1))
	want := renamed("e1", "2")
	want.KeyResults = Goal("e1", "2", 2).KeyResults
	same(t, gs[1], want)
}

func testPartialUpserts(t *testing.T, s goals.Store) {
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "1", 1), Goal("e1", "2", 2), Goal("e1", "3", 0)}, Complete: true})
	fresh := bare("e1", "2")
	fresh.Name = "Renamed"
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "7"), fresh, bare("e1", "6")}})
	gs := expectGIDs(t, s, "e1", "1,2,3,7,6")
	same(t, gs[0], Goal("e1", "1", 1))
	same(t, gs[1], fresh)
	same(t, gs[2], Goal("e1", "3", 0))
}

func testKeyResultsReplaced(t *testing.T, s goals.Store) {
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "1", 3), Goal("e1", "2", 2)}, Complete: true})
	g1 := Goal("e1", "1", 3)
	g1.KeyResults = []goals.KeyResult{g1.KeyResults[2], g1.KeyResults[0]} // one gone, order changed
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{g1}})
	gs := expectGIDs(t, s, "e1", "1,2")
	same(t, gs[0], g1)
	same(t, gs[1], Goal("e1", "2", 2))
}

func testInvalidWrite(t *testing.T, s goals.Store) {
	before := []goals.Goal{Goal("e1", "1", 1)}
	write(t, s, goals.Write{EmployeeID: "e1", Goals: before, Complete: true})
	bad := []goals.Write{
		{EmployeeID: "", Goals: []goals.Goal{bare("", "1")}, Complete: true},
		{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "5"), bare("e2", "6")}, Complete: true},
		{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "5"), bare("e1", "")}, Complete: true},
		{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "5"), bare("e1", "5")}, Complete: true},
		{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "5"), withKeyResults(bare("e1", "6"), "61", "61")}, Complete: true},
		{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "5"), withKeyResults(bare("e1", "6"), "")}, Complete: true},
		{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "5"), withStatus(bare("e1", "6"), "")}, Complete: true},
		{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "5"), withStatus(bare("e1", "6"), "green")}, Complete: true},
		{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "5"), krStatus(withKeyResults(bare("e1", "6"), "61"), "done")}, Complete: true},
		{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "5"), krOf(withKeyResults(bare("e1", "6"), "61"), "5")}, Complete: true},
		// Refreshes: each would rename the stored goal 1 if applied.
		{EmployeeID: "e1", Refresh: []goals.Goal{renamed("e1", "1"), withKeyResults(renamed("e1", "6"), "61")}},
		{EmployeeID: "e1", Refresh: []goals.Goal{renamed("e1", "1"), renamed("e2", "6")}},
		{EmployeeID: "e1", Refresh: []goals.Goal{renamed("e1", "1"), withStatus(renamed("e1", "6"), "green")}},
		{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "6")}, Refresh: []goals.Goal{renamed("e1", "1"), renamed("e1", "6")}},
		{EmployeeID: "e1", Refresh: []goals.Goal{renamed("e1", "1")}, AsanaOrder: []string{"7"}, Complete: true},
	}
	for i, w := range bad {
		if err := s.WriteGoals(context.Background(), w); err == nil {
			t.Errorf("invalid write %d accepted", i)
		}
	}
	gs := expectGIDs(t, s, "e1", "1")
	same(t, gs[0], before[0])
	if gs := read(t, s, "e2"); len(gs) != 0 {
		t.Errorf("a refused write stored %s for e2", gids(gs))
	}
}

func testOtherEmployees(t *testing.T, s goals.Store) {
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "1", 1)}, Complete: true})
	write(t, s, goals.Write{EmployeeID: "e2", Goals: []goals.Goal{Goal("e2", "1", 2), bare("e2", "2")}, Complete: true})
	write(t, s, goals.Write{EmployeeID: "e1", Goals: nil, Complete: true})
	expectGIDs(t, s, "e1", "")
	gs := expectGIDs(t, s, "e2", "1,2")
	same(t, gs[0], Goal("e2", "1", 2))
}

func testIdempotent(t *testing.T, s goals.Store) {
	w := goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "1", 2), Goal("e1", "2", 0)}, Complete: true, Retain: []string{"3"}}
	write(t, s, w)
	first := read(t, s, "e1")
	write(t, s, w)
	second := read(t, s, "e1")
	if !reflect.DeepEqual(first, second) {
		t.Errorf("the same write twice changed the store:\n%+v\n%+v", first, second)
	}
}

func testCancelled(t *testing.T, s goals.Store) {
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "1", 1)}, Complete: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.WriteGoals(ctx, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "2")}, Complete: true})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("write with a cancelled context: err = %v, want context.Canceled", err)
	}
	expectGIDs(t, s, "e1", "1")
}

func testConcurrent(t *testing.T, s goals.Store) {
	const employees = 8
	var wg sync.WaitGroup
	errs := make(chan error, employees*3)
	for e := range employees {
		wg.Go(func() {
			emp := fmt.Sprintf("e%d", e)
			for round := range 3 {
				gs := []goals.Goal{Goal(emp, "1", round), Goal(emp, fmt.Sprint(10+round), 1)}
				if err := s.WriteGoals(context.Background(), goals.Write{EmployeeID: emp, Goals: gs, Complete: true}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	for e := range employees {
		emp := fmt.Sprintf("e%d", e)
		gs := expectGIDs(t, s, emp, "1,12")
		same(t, gs[0], Goal(emp, "1", 2))
	}
}

func testEmptyComplete(t *testing.T, s goals.Store) {
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "1", 1), Goal("e1", "2", 1)}, Complete: true})
	write(t, s, goals.Write{EmployeeID: "e1", Complete: false})
	expectGIDs(t, s, "e1", "1,2")
	write(t, s, goals.Write{EmployeeID: "e1", Complete: true})
	expectGIDs(t, s, "e1", "")
}

// sameEmployeeWrite is writer i's complete write in testConcurrentSameEmployee:
// goals every writer shares, in an order of its own, with Key Results of
// its own, and two goals only it writes, so that a mix of two writes shows.
// Every name says which writer wrote it.
func sameEmployeeWrite(emp string, i int) goals.Write {
	shared := []string{"s1", "s2", "s3", "s4"}
	var gs []goals.Goal
	for k := range shared {
		gid := shared[(k+i)%len(shared)]
		gs = append(gs, Goal(emp, gid, 1+(i+k)%3))
	}
	own := []goals.Goal{Goal(emp, fmt.Sprintf("w%da", i), 1), Goal(emp, fmt.Sprintf("w%db", i), 0)}
	at := i % (len(gs) + 1)
	gs = append(gs[:at], append(own, gs[at:]...)...)
	if i%2 == 1 {
		gs = gs[1:] // writers differ in size too
	}
	for gi := range gs {
		gs[gi].Name = fmt.Sprintf("%s by writer %d", gs[gi].Name, i)
		for ki := range gs[gi].KeyResults {
			gs[gi].KeyResults[ki].Name = fmt.Sprintf("%s by writer %d", gs[gi].KeyResults[ki].Name, i)
		}
	}
	return goals.Write{EmployeeID: emp, Goals: gs, Complete: true}
}

func testConcurrentSameEmployee(t *testing.T, s goals.Store) {
	const (
		writers = 12
		rounds  = 5
	)
	ws := make([]goals.Write, writers)
	for i := range ws {
		ws[i] = sameEmployeeWrite("e1", i)
	}
	for round := range rounds {
		// What the writers replace: goals they share, and some none writes.
		seed := goals.Write{EmployeeID: "e1", Complete: true, Goals: []goals.Goal{
			bare("e1", "old1"), Goal("e1", "s2", 2), bare("e1", "old2"), Goal("e1", "s1", 1),
		}}
		write(t, s, seed)
		start := make(chan struct{})
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				<-start
				errs[i] = s.WriteGoals(context.Background(), ws[i])
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: writer %d: %v", round, i, err)
			}
		}
		got := read(t, s, "e1")
		winner := -1
		for i, w := range ws {
			if gids(got) == gids(w.Goals) {
				winner = i
				break
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: stored goals [%s] are no single write's:\n%s", round, gids(got), describe(got))
		}
		for gi, g := range got {
			same(t, g, ws[winner].Goals[gi])
		}
		if t.Failed() {
			t.Fatalf("round %d: the store is not writer %d's write whole:\n%s", round, winner, describe(got))
		}
	}
}

// describe lists goals with their names and Key Results, for a failure
// message.
func describe(gs []goals.Goal) string {
	var b strings.Builder
	for _, g := range gs {
		fmt.Fprintf(&b, "  %s %q:", g.GID, g.Name)
		for _, kr := range g.KeyResults {
			fmt.Fprintf(&b, " %s %q;", kr.GID, kr.Name)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// taggedWrite is a complete write of the same goal GIDs as every other
// tagged write, with the tag in every name and tag-dependent Key Results,
// so that a read mixing two writes shows.
func taggedWrite(emp, tag string, krs int) goals.Write {
	w := goals.Write{EmployeeID: emp, Complete: true}
	for i := range 20 {
		g := bare(emp, fmt.Sprintf("g%02d", i))
		g.Name = tag + " goal"
		for k := range krs {
			g.KeyResults = append(g.KeyResults, goals.KeyResult{GoalGID: g.GID, GID: fmt.Sprintf("%s-kr%d", g.GID, k),
				Name: tag + " key result", Status: status.OnTrack})
		}
		w.Goals = append(w.Goals, g)
	}
	return w
}

// tagOf returns the one tag of everything read, or "" when the read mixes
// writes (names of two tags, or Key Results not the tag's count).
func tagOf(gs []goals.Goal, krs map[string]int) string {
	tag := ""
	for _, g := range gs {
		t := strings.TrimSuffix(g.Name, " goal")
		if tag == "" {
			tag = t
		}
		if t != tag || len(g.KeyResults) != krs[t] {
			return ""
		}
		for _, kr := range g.KeyResults {
			if kr.Name != t+" key result" {
				return ""
			}
		}
	}
	return tag
}

// testTornRead races a reader against a writer that alternates two complete
// writes of the same goals: every read must be one write whole, never new
// goals with old Key Results.
func testTornRead(t *testing.T, s goals.Store) {
	krs := map[string]int{"A": 1, "B": 3}
	a, b := taggedWrite("e1", "A", krs["A"]), taggedWrite("e1", "B", krs["B"])
	write(t, s, a)
	done := make(chan struct{})
	var werr error
	go func() {
		defer close(done)
		for i := range 60 {
			w := a
			if i%2 == 0 {
				w = b
			}
			if err := s.WriteGoals(context.Background(), w); err != nil {
				werr = err
				return
			}
		}
	}()
	reads := 0
	for running := true; running; reads++ {
		select {
		case <-done:
			running = false
		default:
		}
		gs, err := s.Goals(context.Background(), "e1")
		if err != nil {
			t.Fatalf("read %d: %v", reads, err)
		}
		if len(gs) != 20 || tagOf(gs, krs) == "" {
			t.Fatalf("read %d saw a mix of two writes: %d goals, %s", reads, len(gs), describeTags(gs))
		}
	}
	if werr != nil {
		t.Fatalf("writer: %v", werr)
	}
}

func describeTags(gs []goals.Goal) string {
	var b strings.Builder
	for _, g := range gs {
		fmt.Fprintf(&b, "%s(%d KRs) ", g.Name, len(g.KeyResults))
	}
	return b.String()
}

// testResyncRefreshesSyncedAt writes the same goal again, a day later: it
// reads back with the later SyncedAt, whether the write is complete or
// partial, so a host can tell how fresh each row is.
func testResyncRefreshesSyncedAt(t *testing.T, s goals.Store) {
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{Goal("e1", "1", 1), Goal("e1", "2", 0)}, Complete: true})
	for i, complete := range []bool{true, false} {
		later := syncedAt.Add(time.Duration(i+1) * 24 * time.Hour)
		g1, g2 := Goal("e1", "1", 1), Goal("e1", "2", 0)
		g1.SyncedAt, g2.SyncedAt = later, later
		write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{g1, g2}, Complete: complete})
		gs := expectGIDs(t, s, "e1", "1,2")
		for _, g := range gs {
			if !g.SyncedAt.Equal(later) {
				t.Errorf("complete=%v: goal %s SyncedAt = %v after a re-sync at %v", complete, g.GID, g.SyncedAt, later)
			}
		}
	}
}

// testNoSharedMemory changes, after the call, everything a write passed
// and a read returned that a store could keep a reference to: Metrics,
// time periods, Key Results. The store must not change.
func testNoSharedMemory(t *testing.T, s goals.Store) {
	g := Goal("e1", "1", 2) // Key Result 1 has a Metric
	w := goals.Write{EmployeeID: "e1", Goals: []goals.Goal{g}, Complete: true}
	write(t, s, w)
	scribble := func(g *goals.Goal) {
		g.Metric.Current = -1
		g.TimePeriod.DisplayName = "changed"
		g.KeyResults[1].Metric.Current = -1
		g.KeyResults[0].Name = "changed"
	}
	scribble(&w.Goals[0])
	gs := expectGIDs(t, s, "e1", "1")
	same(t, gs[0], Goal("e1", "1", 2))
	scribble(&gs[0])
	same(t, read(t, s, "e1")[0], Goal("e1", "1", 2))
}

// testOtherWorkspace: one employee ID never holds the goals of two
// workspaces, so that syncing a second workspace into the store cannot
// remove the first one's goals.
func testOtherWorkspace(t *testing.T, s goals.Store) {
	ctx := context.Background()
	write(t, s, goals.Write{EmployeeID: "e1", WorkspaceGID: "101", Goals: []goals.Goal{Goal("e1", "1", 1), Goal("e1", "2", 0)}, Complete: true})
	before := read(t, s, "e1")
	for _, complete := range []bool{true, false} {
		err := s.WriteGoals(ctx, goals.Write{EmployeeID: "e1", WorkspaceGID: "202", Goals: []goals.Goal{bare("e1", "3")}, Complete: complete})
		if !errors.Is(err, goals.ErrOtherWorkspace) {
			t.Fatalf("a write of workspace 202 (complete=%v) for an employee holding workspace 101's goals: err = %v, want goals.ErrOtherWorkspace",
				complete, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "101") || !strings.Contains(msg, "202") {
			t.Errorf("the refusal does not name both workspaces: %v", err)
		}
		if after := read(t, s, "e1"); !reflect.DeepEqual(after, before) {
			t.Fatalf("the refused write changed the store: %s, want %s", gids(after), gids(before))
		}
	}
	// Another employee, another workspace: one store for many tenants.
	write(t, s, goals.Write{EmployeeID: "e2", WorkspaceGID: "202", Goals: []goals.Goal{bare("e2", "3")}, Complete: true})
	expectGIDs(t, s, "e2", "3")
	// The same workspace again, and a write that names none.
	write(t, s, goals.Write{EmployeeID: "e1", WorkspaceGID: "101", Goals: []goals.Goal{bare("e1", "1")}, Complete: true})
	write(t, s, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{bare("e1", "4")}})
	expectGIDs(t, s, "e1", "1,4")
	// An employee with nothing stored takes any workspace.
	write(t, s, goals.Write{EmployeeID: "e1", WorkspaceGID: "101", Complete: true})
	write(t, s, goals.Write{EmployeeID: "e1", WorkspaceGID: "202", Goals: []goals.Goal{bare("e1", "5")}, Complete: true})
	expectGIDs(t, s, "e1", "5")
	// Goals stored without a workspace take the next write's.
	write(t, s, goals.Write{EmployeeID: "e3", Goals: []goals.Goal{bare("e3", "1")}, Complete: true})
	write(t, s, goals.Write{EmployeeID: "e3", WorkspaceGID: "303", Goals: []goals.Goal{bare("e3", "2")}})
	if err := s.WriteGoals(ctx, goals.Write{EmployeeID: "e3", WorkspaceGID: "101", Complete: true}); !errors.Is(err, goals.ErrOtherWorkspace) {
		t.Errorf("after a write of workspace 303, a write of 101: err = %v, want goals.ErrOtherWorkspace", err)
	}
	expectGIDs(t, s, "e3", "1,2")
}
