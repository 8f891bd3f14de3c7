package goals_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
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
func TestEmployeeWithNothingWrittenIsReportedNone(t *testing.T) {
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
func TestScopedSyncRefreshesWhatItRead(t *testing.T) {
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
func TestPartialScopedWriteStillRefreshes(t *testing.T) {
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
func TestGoalOutsideTheWindowThatChangedOwnerIsNotRefreshed(t *testing.T) {
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
func TestOutsideGoalWithoutANameStaysAsStored(t *testing.T) {
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
func TestStoreUnawareOfRefreshKeepsGoalsOutsideTheWindow(t *testing.T) {
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
func TestSyncWritesItsWorkspace(t *testing.T) {
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
