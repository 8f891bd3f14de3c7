package goals_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// An employee of whom the sync wrote nothing (the one goal kept could not
// be fetched whole) is reported written "none", not "partial": the store
// holds what it held, untouched.
func TestIngester_Sync_employeeWithNothingWrittenIsReportedNone(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == "subgoals" || kind == "relationships" {
			return asanaError(500, "Server Error"), nil
		}
		return nil, nil
	}
	store := &countingStore{MemoryStore: goals.NewMemoryStore()}
	seed(t, store.MemoryStore, "emp-ada", goals.Goal{GID: "7", Name: "Stored", Status: status.OnTrack})
	rep, err := runSync(t, m, store, testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != "none" || e.GoalsKept != 0 || e.Err == nil {
		t.Errorf("ada = %+v, want written \"none\", nothing kept, the failure in Error", e)
	}
	if n := store.writes.Load(); n != 0 {
		t.Errorf("%d store writes, want none", n)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); got != "7" {
		t.Errorf("ada = %s, want 7 as stored", got)
	}
}

// A scoped sync refreshes what it read. The scan reads every goal's own
// fields (name, description, dates, status, time period, metric) at no
// extra request, so a stored goal outside the review window takes them
// from this scan, while its Key Results stay as stored (it is not walked).
// A stored row whose fields did not change stays byte for byte, synced_at
// included; every stored goal is in Asana's order; a goal outside the
// window that is not stored is not added; a stored goal that left Asana is
// removed.
func TestIngester_Sync_scopedRefreshesWhatItRead(t *testing.T) {
	q1 := periodOf("q1", "2026-01-01", "2026-03-31")
	fy25 := periodOf("fy25", "2025-01-01", "2025-12-31")
	asanaThen := []asanafake.Goal{
		{GID: "1", Name: "Old, unchanged", OwnerGID: "501", TimePeriod: fy25, StatusType: "achieved", SubgoalGIDs: []string{"9"}},
		{GID: "2", Name: "Q1 goal", OwnerGID: "501", TimePeriod: q1, SubgoalGIDs: []string{"9"}},
		{GID: "3", Name: "Old, renamed later", OwnerGID: "501", TimePeriod: fy25, StatusType: "on_track", SubgoalGIDs: []string{"9"},
			HTMLNotes: "<body>Before</body>"},
		{GID: "5", Name: "Old, deleted later", OwnerGID: "501", TimePeriod: fy25},
		{GID: "9", Name: "Sub-goal", TimePeriod: q1},
	}
	store := goals.NewMemoryStore()
	whole := testConfig()
	if _, err := runSync(t, newMock(t, asanaThen...), store, whole, ada); err != nil {
		t.Fatal(err)
	}
	before := stored(t, store, "emp-ada")

	asanaNow := []asanafake.Goal{
		{GID: "6", Name: "Old, never stored", OwnerGID: "501", TimePeriod: fy25},
		asanaThen[2], asanaThen[0], asanaThen[1], asanaThen[4],
	}
	asanaNow[1].Name, asanaNow[1].StatusType, asanaNow[1].HTMLNotes = "Old, renamed", "missed", "<body>After</body>"
	asanaNow[1].SubgoalGIDs = nil // not walked: its stored Key Results stay
	m := newMock(t, asanaNow...)
	later := syncTime.Add(24 * time.Hour)
	scoped := testConfig()
	scoped.Period = h1FY26
	scoped.Now = func() time.Time { return later }
	rep, err := runSync(t, m, store, scoped, ada)
	if err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	if got := gidsOf(gs); got != "3,1,2" {
		t.Fatalf("stored = %s, want 3,1,2: Asana's order, 5 (gone) removed, 6 (never stored) not added", got)
	}
	renamed, unchanged, inWindow := gs[0], gs[1], gs[2]
	if !jsonEqual(t, unchanged, before[0]) {
		t.Errorf("goal 1, outside the window and unchanged in Asana, is not byte for byte as stored")
	}
	if renamed.Name != "Old, renamed" || renamed.Description != "After" || renamed.Status != status.OffTrack ||
		renamed.RawStatus != "missed" || !renamed.SyncedAt.Equal(later) {
		t.Errorf("goal 3 = %+v, want the scan's name, description and status, synced at %s", renamed, later)
	}
	if krGIDs(renamed) != "9" || !jsonEqual(t, renamed.KeyResults, before[2].KeyResults) {
		t.Errorf("goal 3's Key Results = %q, want them as stored (9): it was not walked", krGIDs(renamed))
	}
	if inWindow.GID != "2" || krGIDs(inWindow) != "9" || !inWindow.SyncedAt.Equal(later) {
		t.Errorf("goal 2 = %+v, want written by this sync", inWindow)
	}
	if n := m.count("relationships"); n != 1 {
		t.Errorf("%d sub-goal listings, want 1 (goal 2): nothing outside the window is walked", n)
	}
	if n := m.count("goal"); n != 0 {
		t.Errorf("%d goals fetched on their own: the scan has every field the refresh needs", n)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenComplete || e.GoalsOutsidePeriod != 3 || e.GoalsKept != 1 {
		t.Errorf("ada = %+v, want complete, 1 kept, 3 outside", e)
	}
}

// A scoped write that cannot be complete (a goal in the window failed)
// still refreshes the stored goals outside the window, and removes
// nothing: their fields were read whole. An employee whose only change is
// such a refresh is reported written "partial", not "none".
func TestIngester_Sync_partialScopedWriteStillRefreshes(t *testing.T) {
	m := newMock(t,
		asanafake.Goal{GID: "1", Name: "In the window, failing", OwnerGID: "501", DueOn: "2026-03-31"},
		asanafake.Goal{GID: "2", Name: "Last year, renamed", OwnerGID: "501", DueOn: "2025-03-31"},
	)
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if gid == "1" && (kind == "subgoals" || kind == "relationships") {
			return asanaError(500, "Server Error"), nil
		}
		return nil, nil
	}
	store := goals.NewMemoryStore()
	seed(t, store, "emp-ada",
		goals.Goal{GID: "2", Name: "Last year", DueOn: asana.Date{Year: 2025, Month: 3, Day: 31},
			KeyResults: []goals.KeyResult{{GoalGID: "2", GID: "8", Name: "Stored KR"}}},
		goals.Goal{GID: "7", Name: "Gone from Asana"})
	cfg := testConfig()
	cfg.Period = h1FY26
	rep, err := runSync(t, m, store, cfg, ada)
	if err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	if gidsOf(gs) != "2,7" || gs[0].Name != "Last year, renamed" || krGIDs(gs[0]) != "8" {
		t.Errorf("stored = %s (%q, Key Results %q), want 2 renamed with its Key Result 8, and 7 kept", gidsOf(gs), gs[0].Name, krGIDs(gs[0]))
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenPartial || e.Err == nil {
		t.Errorf("ada = %+v, want partial with goal 1's failure", e)
	}
}

// A goal outside the review window that changed owner while the scan ran
// is nobody's this time: the first owner's stored copy is not refreshed
// from either sighting, and stays as stored.
func TestIngester_Sync_goalOutsideTheWindowThatChangedOwnerIsNotRefreshed(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "5", Name: "Moving", OwnerGID: "502", DueOn: "2025-03-31"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind != "pages" {
			return nil, nil
		}
		if req.URL.Query().Get("offset") == "" {
			return rawResp(200, `{"data":[{"gid":"5","name":"Moving","due_on":"2025-03-31","owner":{"gid":"501"}}],"next_page":{"offset":"p2"}}`), nil
		}
		return rawResp(200, `{"data":[{"gid":"5","name":"Moving","due_on":"2025-03-31","owner":{"gid":"502"}}],"next_page":null}`), nil
	}
	store := goals.NewMemoryStore()
	seed(t, store, "emp-ada", goals.Goal{GID: "5", Name: "Stored", DueOn: asana.Date{Year: 2025, Month: 3, Day: 31}})
	before := stored(t, store, "emp-ada")
	cfg := testConfig()
	cfg.Period = h1FY26
	if _, err := runSync(t, m, store, cfg, ada, brian); err != nil {
		t.Fatal(err)
	}
	if gs := stored(t, store, "emp-ada"); !jsonEqual(t, gs, before) {
		t.Errorf("ada's goal 5 changed: %+v", gs)
	}
	if gs := stored(t, store, "emp-brian"); len(gs) != 0 {
		t.Errorf("brian = %s, want nothing", gidsOf(gs))
	}
}

// A goal outside the review window that the scan returned without a name
// (Asana requires one) cannot refresh its stored copy, which would be
// blanked: the stored row stays exactly as it was, and a complete write
// keeps it.
func TestIngester_Sync_outsideGoalWithoutANameStaysAsStored(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "Now", OwnerGID: "501", DueOn: "2026-03-31"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == "pages" {
			return rawResp(200, `{"data":[{"gid":"1","name":"Now","due_on":"2026-03-31","owner":{"gid":"501"}},`+
				`{"gid":"2","name":"","due_on":"2025-03-31","owner":{"gid":"501"}}],"next_page":null}`), nil
		}
		return nil, nil
	}
	store := goals.NewMemoryStore()
	seed(t, store, "emp-ada", goals.Goal{GID: "2", Name: "Stored name", DueOn: asana.Date{Year: 2025, Month: 3, Day: 31}})
	before := stored(t, store, "emp-ada")
	cfg := testConfig()
	cfg.Period = h1FY26
	rep, err := runSync(t, m, store, cfg, ada)
	if err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	if gidsOf(gs) != "1,2" || !jsonEqual(t, gs[1], before[0]) {
		t.Errorf("stored = %s, want 1 written and 2 exactly as stored", gidsOf(gs))
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenComplete {
		t.Errorf("ada = %+v, want complete", e)
	}
}

// refreshBlindStore is a host's store written before Write.Refresh
// existed: it applies Goals, Complete and Retain and ignores the rest.
type refreshBlindStore struct{ *goals.MemoryStore }

func (s refreshBlindStore) WriteGoals(ctx context.Context, w goals.Write) error {
	w.Refresh, w.AsanaOrder = nil, nil
	return s.MemoryStore.WriteGoals(ctx, w)
}

// A scoped write also lists the goals it refreshes in Retain, so that a
// store that does not know Write.Refresh keeps them as stored, as before,
// instead of removing every goal outside the window.
func TestIngester_Sync_storeUnawareOfRefreshKeepsGoalsOutsideTheWindow(t *testing.T) {
	m := newMock(t,
		asanafake.Goal{GID: "1", Name: "Now", OwnerGID: "501", DueOn: "2026-03-31"},
		asanafake.Goal{GID: "2", Name: "Last year, renamed", OwnerGID: "501", DueOn: "2025-03-31"},
	)
	store := refreshBlindStore{goals.NewMemoryStore()}
	seed(t, store.MemoryStore, "emp-ada", goals.Goal{GID: "2", Name: "Last year", DueOn: asana.Date{Year: 2025, Month: 3, Day: 31}})
	before := stored(t, store, "emp-ada")
	cfg := testConfig()
	cfg.Period = h1FY26
	if _, err := runSync(t, m, store, cfg, ada); err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	if gidsOf(gs) != "1,2" || !jsonEqual(t, gs[1], before[0]) {
		t.Errorf("stored = %s, want 1 written and 2 kept as stored", gidsOf(gs))
	}
}

// A sync writes each employee with its workspace (Write.WorkspaceGID), so
// that a store holding the employee's goals from another workspace
// refuses the write: syncing a second workspace for the same employees
// into one store removes nothing of the first's, and the report says why
// each employee was not written.
func TestIngester_Sync_writesItsWorkspace(t *testing.T) {
	store := goals.NewMemoryStore()
	if _, err := runSync(t, newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}), store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	other := testConfig()
	other.WorkspaceGID = "2002"
	m := newMock(t, asanafake.Goal{GID: "9", Name: "Other", OwnerGID: "501"})
	m.workspaceGID = other.WorkspaceGID
	rep, err := runSync(t, m, store, other, ada)
	if err != nil {
		t.Fatal(err)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); got != "1" {
		t.Errorf("ada = %s after a sync of another workspace, want 1 as stored", got)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenNone || !errors.Is(e.Err, goals.ErrOtherWorkspace) ||
		!strings.Contains(message(e.Err), wsGID) || !strings.Contains(message(e.Err), "2002") {
		t.Errorf("ada = %+v, want written none, refused for the other workspace", e)
	}
}

// A scanned record that cannot be routed for certain makes every write
// partial: it might have been anyone's goal.
func TestIngester_Sync_unroutableRecordMakesEveryWritePartial(t *testing.T) {
	for _, tc := range []struct{ name, record string }{
		{"owner without gid", `{"gid":"77","name":"Whose?","owner":{"resource_type":"user"}}`},
		{"owner with empty gid", `{"gid":"77","name":"Whose?","owner":{"gid":""}}`},
		{"goal without gid", `{"name":"No GID","owner":{"gid":"999"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, asanafake.Goal{GID: "1", Name: "Ada's", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "Brian's", OwnerGID: "502"})
			m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
				if kind == "pages" {
					return rawResp(200, `{"data":[{"gid":"1","name":"Ada's","owner":{"gid":"501"}},`+tc.record+
						`,{"gid":"2","name":"Brian's","owner":{"gid":"502"}}],"next_page":null}`), nil
				}
				return nil, nil
			}
			store := goals.NewMemoryStore()
			seedN(t, store, "emp-ada", 100, 1)
			seedN(t, store, "emp-brian", 200, 1)
			rep, err := runSync(t, m, store, testConfig(), ada, brian)
			if err != nil {
				t.Fatal(err)
			}
			if rep.MalformedRecords != 1 || rep.OwnerlessGoals != 0 {
				t.Errorf("malformed = %d, ownerless = %d; want 1 and 0", rep.MalformedRecords, rep.OwnerlessGoals)
			}
			for _, e := range rep.Employees {
				if e.Written != goals.WrittenPartial || !strings.Contains(message(e.Err), "without a GID") {
					t.Errorf("%s = %+v, want partial naming the record", e.EmployeeID, e)
				}
			}
			if a, b := gidsOf(stored(t, store, "emp-ada")), gidsOf(stored(t, store, "emp-brian")); a != "100,1" || b != "200,2" {
				t.Errorf("ada = %s, brian = %s: stored goals must stay, fresh ones be added", a, b)
			}
		})
	}
}

// cancellingStore cancels the sync when it writes the employee cancelAt:
// before that write, or after it (a store that finished its transaction).
// ignoreCtx makes it a store that does not look at the context.
type cancellingStore struct {
	*goals.MemoryStore
	cancelAt  string
	after     bool
	ignoreCtx bool
	cancel    context.CancelFunc
}

func (s cancellingStore) WriteGoals(ctx context.Context, w goals.Write) error {
	if w.EmployeeID == s.cancelAt && !s.after {
		s.cancel()
	}
	if s.ignoreCtx {
		ctx = context.Background()
	}
	err := s.MemoryStore.WriteGoals(ctx, w)
	if w.EmployeeID == s.cancelAt && s.after {
		s.cancel()
	}
	return err
}

// A cancel during the writes is the sync's error, wrapping context.Canceled
// and saying how many employees were written; the report and the store show
// exactly which were, and an employee not reached keeps what was stored.
func TestIngester_Sync_cancelWhileWritingIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name             string
		after, ignoreCtx bool
		written          string // "1 of 3" …
		brian, cleo      goals.WriteKind
	}{
		{"cancel during brian's write", false, false, "1 of 3", goals.WrittenNone, goals.WrittenNone},
		{"cancel after brian's write, store ignores ctx", true, true, "2 of 3", goals.WrittenComplete, goals.WrittenNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "502"}, asanafake.Goal{GID: "3", Name: "C", OwnerGID: "503"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			store := cancellingStore{MemoryStore: goals.NewMemoryStore(), cancelAt: "emp-brian", after: tc.after, ignoreCtx: tc.ignoreCtx, cancel: cancel}
			seedN(t, store.MemoryStore, "emp-brian", 20, 1)
			seedN(t, store.MemoryStore, "emp-cleo", 30, 1)
			rep, err := goals.NewIngester(m.newClient(t), store, testConfig()).Sync(ctx, []goals.Employee{ada, brian, cleo})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want one wrapping context.Canceled", err)
			}
			if !strings.Contains(err.Error(), tc.written+" employees written") {
				t.Errorf("err = %v, want it to say %s employees were written", err, tc.written)
			}
			want := map[string]goals.WriteKind{"emp-ada": goals.WrittenComplete, "emp-brian": tc.brian, "emp-cleo": tc.cleo}
			if len(rep.Employees) != 3 {
				t.Fatalf("report lists %d employees, want 3", len(rep.Employees))
			}
			for _, e := range rep.Employees {
				if e.Written != want[e.EmployeeID] {
					t.Errorf("%s written %q, want %q", e.EmployeeID, e.Written, want[e.EmployeeID])
				}
			}
			wantBrian := map[goals.WriteKind]string{goals.WrittenNone: "20", goals.WrittenComplete: "2"}[tc.brian]
			if a, b, c := gidsOf(stored(t, store, "emp-ada")), gidsOf(stored(t, store, "emp-brian")), gidsOf(stored(t, store, "emp-cleo")); a != "1" || b != wantBrian || c != "30" {
				t.Errorf("store: ada %s, brian %s, cleo %s; want 1, %s, 30", a, b, c, wantBrian)
			}
		})
	}
}

// The mass-removal guard: a healthy-looking answer with far fewer goals
// than stored removes nothing until confirmed; small changes apply.
func TestIngester_Sync_massRemovalIsHeldBack(t *testing.T) {
	tests := []struct {
		name             string
		storedAda        int // goals 1..n stored for ada
		storedBrian      int // goals 1001.. stored for brian
		inAsanaAda       int // goals 1..n still in Asana
		inAsanaBrian     int
		threshold        float64
		confirm          bool
		wantHeld         int
		wantAda, wantBri int // stored after
	}{
		{"most gone: held", 20, 0, 5, 0, 0, false, 15, 20, 0},
		{"confirmed: applied", 20, 0, 5, 0, 0, true, 0, 5, 0},
		{"guard off: applied", 20, 0, 5, 0, 1, false, 0, 5, 0},
		{"raised threshold: applied", 20, 0, 5, 0, 0.8, false, 0, 5, 0},
		{"one deleted: applied", 20, 0, 19, 0, 0, false, 0, 19, 0},
		{"exactly a fifth: applied", 60, 0, 48, 0, 0, false, 0, 48, 0},
		{"just over a fifth: held", 60, 0, 47, 0, 0, false, 13, 60, 0},
		{"all nine gone: under the minimum, applied", 9, 0, 0, 0, 0, false, 0, 0, 0},
		{"spread over two employees: held", 10, 10, 4, 4, 0, false, 12, 10, 10},
		{"one employee emptied among many: held", 12, 40, 0, 40, 0, false, 12, 12, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := append(wsOwned("501", 1, tc.inAsanaAda), wsOwned("502", 1001, tc.inAsanaBrian)...)
			store := goals.NewMemoryStore()
			seedN(t, store, "emp-ada", 1, tc.storedAda)
			seedN(t, store, "emp-brian", 1001, tc.storedBrian)
			cfg := testConfig()
			cfg.RemovalThreshold, cfg.ConfirmRemovals = tc.threshold, tc.confirm
			rep, err := runSync(t, newMock(t, ws...), store, cfg, ada, brian)
			if err != nil {
				t.Fatal(err)
			}
			if rep.RemovalsHeld != tc.wantHeld {
				t.Errorf("RemovalsHeld = %d, want %d", rep.RemovalsHeld, tc.wantHeld)
			}
			if (rep.RemovalsHeldReason != "") != (tc.wantHeld > 0) || (tc.wantHeld > 0 && !strings.Contains(rep.RemovalsHeldReason, fmt.Sprint(tc.wantHeld))) {
				t.Errorf("RemovalsHeldReason = %q", rep.RemovalsHeldReason)
			}
			a, b := stored(t, store, "emp-ada"), stored(t, store, "emp-brian")
			if len(a) != tc.wantAda || len(b) != tc.wantBri {
				t.Errorf("stored after: ada %d, brian %d; want %d, %d", len(a), len(b), tc.wantAda, tc.wantBri)
			}
			if tc.inAsanaAda > 0 && (len(a) == 0 || a[0].Name != "Fresh") {
				t.Errorf("ada's goals still in Asana were not upserted: %+v", a)
			}
			held := 0
			for _, e := range rep.Employees {
				held += e.RemovalsHeld
				if e.RemovalsHeld > 0 && e.Written == goals.WrittenComplete {
					t.Errorf("%s: removals held but written complete", e.EmployeeID)
				}
			}
			if held != tc.wantHeld {
				t.Errorf("employees' RemovalsHeld add up to %d, want %d", held, tc.wantHeld)
			}
		})
	}
}

// All of an employee's goals leaving Asana empties their stored list (a
// small change, under the guard's minimum).
func TestIngester_Sync_allGoalsGoneEmptiesTheEmployee(t *testing.T) {
	store := goals.NewMemoryStore()
	seedN(t, store, "emp-ada", 1, 1)
	rep, err := runSync(t, newMock(t, wsOwned("502", 10, 2)...), store, testConfig(), ada, brian)
	if err != nil {
		t.Fatal(err)
	}
	if gs := stored(t, store, "emp-ada"); len(gs) != 0 {
		t.Errorf("ada still has %s", gidsOf(gs))
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenComplete {
		t.Errorf("ada = %+v", e)
	}
}

// failingReader cannot read back one employee.
type failingReader struct {
	*goals.MemoryStore
	failFor string
}

func (s failingReader) Goals(ctx context.Context, id string) ([]goals.Goal, error) {
	if id == s.failFor {
		return nil, errors.New("connection reset")
	}
	return s.MemoryStore.Goals(ctx, id)
}

// When the store cannot read an employee's stored goals, the removal guard
// cannot judge the removals, so the new goals are written as a partial write
// that removes nothing, and the employee's report carries the read error.
func TestIngester_Sync_unreadableStoreRemovesNothing(t *testing.T) {
	store := failingReader{MemoryStore: goals.NewMemoryStore(), failFor: "emp-ada"}
	seedN(t, store.MemoryStore, "emp-ada", 100, 2)
	rep, err := runSync(t, newMock(t, wsOwned("501", 1, 1)...), store, testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenPartial || !strings.Contains(message(e.Err), "connection reset") {
		t.Errorf("ada = %+v", e)
	}
	if got := gidsOf(stored(t, store.MemoryStore, "emp-ada")); got != "100,101,1" {
		t.Errorf("ada = %s, want 100,101,1", got)
	}
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
func TestIngester_Sync_cancelDuringTheGuardsReadStopsReading(t *testing.T) {
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

// Ten removals over the threshold are a mass removal: the guard's minimum
// (MinRemovalsHeld, 10) is the fewest it holds, not the most it lets pass.
func TestIngester_Sync_exactlyTenRemovalsOverTheThresholdAreHeld(t *testing.T) {
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
func TestIngester_Sync_partialEmployeesDoNotDiluteTheGuard(t *testing.T) {
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
func TestIngester_Sync_guardLeavesEmployeesWithoutRemovalsComplete(t *testing.T) {
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
func TestIngester_Sync_cancelAfterTheGuardTrippedReportsNoRemovalsHeld(t *testing.T) {
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

// The mass-removal guard weighs what a scoped write would remove, not
// the goals it keeps outside the window.
func TestIngester_Sync_scopedGuardWeighsOnlyRemovals(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 20; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "Old", OwnerGID: "501", DueOn: "2025-06-30"})
	}
	ws = append(ws, asanafake.Goal{GID: "100", Name: "Now", OwnerGID: "501", DueOn: "2026-03-31"})
	store := goals.NewMemoryStore()
	seedN(t, store, "emp-ada", 1, 20)
	cfg := testConfig()
	cfg.Period = h1FY26
	rep, err := runSync(t, newMock(t, ws...), store, cfg, ada)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RemovalsHeld != 0 {
		t.Errorf("%d removals held: goals outside the window are not removals", rep.RemovalsHeld)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); !strings.HasSuffix(got, ",20,100") || strings.Count(got, ",") != 20 {
		t.Errorf("stored = %s, want the 20 stored goals and 100, in Asana's order", got)
	}
}
