package goals_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// tagKey names, in a context, the hooks that made it: "sync", then
// "sync/scan", "sync/walk" or "sync/write".
type tagKey struct{}

func tagOf(ctx context.Context) string {
	s, _ := ctx.Value(tagKey{}).(string)
	return s
}

// hookRecorder records the calls of a sync's hooks, and of its client's,
// with the tag of the context each got.
type hookRecorder struct {
	mu     sync.Mutex
	calls  []string            // sync and stage hooks, in order
	writes []string            // EmployeeWritten, in order
	routes map[string][]string // request routes by context tag
	report *goals.Report       // SyncEnd's
}

func newHookRecorder() *hookRecorder { return &hookRecorder{routes: map[string][]string{}} }

func (h *hookRecorder) add(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, fmt.Sprintf(format, args...))
}

func (h *hookRecorder) hooks() goals.Hooks {
	return goals.Hooks{
		SyncStart: func(ctx context.Context, s goals.SyncInfo) context.Context {
			h.add("sync start ws=%s employees=%d mapped=%d [%s]", s.WorkspaceGID, s.Employees, s.Mapped, tagOf(ctx))
			return context.WithValue(ctx, tagKey{}, "sync")
		},
		SyncEnd: func(ctx context.Context, r *goals.Report, err error) {
			h.add("sync end err=%v [%s]", err != nil, tagOf(ctx))
			h.mu.Lock()
			h.report = r
			h.mu.Unlock()
		},
		StageStart: func(ctx context.Context, s goals.Stage) context.Context {
			h.add("%s start [%s]", s, tagOf(ctx))
			return context.WithValue(ctx, tagKey{}, tagOf(ctx)+"/"+string(s))
		},
		StageEnd: func(ctx context.Context, s goals.Stage, err error) {
			h.add("%s end err=%v [%s]", s, err, tagOf(ctx))
		},
		EmployeeWritten: func(ctx context.Context, w goals.WriteInfo) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.writes = append(h.writes, fmt.Sprintf("%s %s kept=%d truncated=%d removed=%d store_err=%v failed=%v [%s]",
				w.Report.EmployeeID, w.Report.Written, w.Report.GoalsKept, w.GoalsTruncated, w.GoalsRemoved,
				w.StoreErr != nil, w.Report.Err != nil, tagOf(ctx)))
		},
	}
}

func (h *hookRecorder) clientHooks() asana.Hooks {
	return asana.Hooks{RequestDone: func(ctx context.Context, r asana.RequestInfo) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.routes[tagOf(ctx)] = append(h.routes[tagOf(ctx)], r.Route)
	}}
}

// taggedStore records the tag of the context of each store call.
type taggedStore struct {
	*goals.MemoryStore
	mu   sync.Mutex
	tags []string
	fail string // an employee whose write fails
}

func (s *taggedStore) WriteGoals(ctx context.Context, w goals.Write) error {
	s.mu.Lock()
	s.tags = append(s.tags, "write "+tagOf(ctx))
	s.mu.Unlock()
	if w.EmployeeID == s.fail {
		return errors.New("disk full")
	}
	return s.MemoryStore.WriteGoals(ctx, w)
}

func (s *taggedStore) Goals(ctx context.Context, employeeID string) ([]goals.Goal, error) {
	s.mu.Lock()
	s.tags = append(s.tags, "read "+tagOf(ctx))
	s.mu.Unlock()
	return s.MemoryStore.Goals(ctx, employeeID)
}

// hooksWorkspace: Ada owns 11 (with sub-goal 12) and 13; Brian owns three
// goals, one past a cap of two; Cleo owns 31, whose sub-goals cannot be
// listed (403).
func hooksWorkspace() []asanafake.Goal {
	return []asanafake.Goal{
		{GID: "11", Name: "Ada's goal", OwnerGID: "501", SubgoalGIDs: []string{"12"}},
		{GID: "12", Name: "Ada's sub-goal"},
		{GID: "13", Name: "Ada's other goal", OwnerGID: "501"},
		{GID: "21", Name: "B1", OwnerGID: "502"},
		{GID: "22", Name: "B2", OwnerGID: "502"},
		{GID: "23", Name: "B3", OwnerGID: "502"},
		{GID: "31", Name: "C1", OwnerGID: "503"},
	}
}

// The hooks hear a sync's start and end, its stages in their order, and
// each employee's write with what it kept, truncated and removed; each hook,
// request and store call gets the context of the hook above it.
func TestHooks_ofASync(t *testing.T) {
	m := newMock(t, hooksWorkspace()...)
	m.onRequest = func(kind, gid string, _ *http.Request) (*http.Response, error) {
		if gid == "31" && kind != "pages" {
			return asanaError(403, "Forbidden"), nil
		}
		return nil, nil
	}
	store := &taggedStore{MemoryStore: goals.NewMemoryStore()}
	// Ada has a stored goal Asana no longer has: her complete write removes
	// it.
	seed(t, store.MemoryStore, ada.ID, goals.Goal{GID: "19", Name: "Gone", Status: status.OnTrack})
	rec := newHookRecorder()
	cfg := testConfig()
	cfg.MaxGoalsPerEmployee = 2
	cfg.Concurrency = 1
	cfg.Hooks = rec.hooks()
	client := m.newClient(t, asana.WithHooks(rec.clientHooks()))
	rep, err := goals.NewIngester(client, store, cfg).Sync(context.Background(), []goals.Employee{ada, brian, cleo, dev})
	if err != nil {
		t.Fatal(err)
	}

	// The scan and the walk start together and end in either order; the
	// writes follow.
	calls := rec.calls
	if len(calls) != 8 {
		t.Fatalf("calls:\n%s", strings.Join(calls, "\n"))
	}
	if calls[0] != "sync start ws=1001 employees=4 mapped=3 []" {
		t.Errorf("first call %q", calls[0])
	}
	fetch := slices.Clone(calls[1:5])
	slices.Sort(fetch)
	want := []string{"scan end err=<nil> [sync/scan]", "scan start [sync]", "walk end err=<nil> [sync/walk]", "walk start [sync]"}
	if !slices.Equal(fetch, want) {
		t.Errorf("fetch stages:\n%s\nwant\n%s", strings.Join(fetch, "\n"), strings.Join(want, "\n"))
	}
	if i, j := slices.Index(calls, "scan start [sync]"), slices.Index(calls, "scan end err=<nil> [sync/scan]"); i > j {
		t.Error("the scan ended before it started")
	}
	if i, j := slices.Index(calls, "walk start [sync]"), slices.Index(calls, "walk end err=<nil> [sync/walk]"); i > j {
		t.Error("the walk ended before it started")
	}
	if got := strings.Join(calls[5:], "\n"); got != "write start [sync]\nwrite end err=<nil> [sync/write]\nsync end err=false [sync]" {
		t.Errorf("last calls:\n%s", got)
	}
	wantWrites := []string{
		"emp-ada complete kept=2 truncated=0 removed=1 store_err=false failed=false [sync/write]",
		"emp-brian complete kept=2 truncated=1 removed=0 store_err=false failed=false [sync/write]",
		"emp-cleo none kept=0 truncated=0 removed=0 store_err=false failed=true [sync/write]",
	}
	if !slices.Equal(rec.writes, wantWrites) {
		t.Errorf("writes heard:\n%s\nwant\n%s", strings.Join(rec.writes, "\n"), strings.Join(wantWrites, "\n"))
	}
	if rec.report != rep {
		t.Error("SyncEnd did not get the report Sync returned")
	}
	if got := strings.Join(rec.routes["sync/scan"], " "); got != "/goals" {
		t.Errorf("the scan's requests: %s", got)
	}
	for _, r := range rec.routes["sync/walk"] {
		if r != "/goals/{goal_gid}/subgoals" && r != "/goal_relationships" {
			t.Errorf("the walk sent %s", r)
		}
	}
	if len(rec.routes["sync/walk"]) == 0 || len(rec.routes) != 2 {
		t.Errorf("requests by context: %v", rec.routes)
	}
	for _, tag := range store.tags {
		if !strings.HasSuffix(tag, " sync/write") {
			t.Errorf("store call with context %q", tag)
		}
	}
	if len(store.tags) == 0 {
		t.Error("no store call")
	}
}

// A store that fails is heard as the employee's StoreErr; a write the guard
// did not count (removals confirmed) says -1 removals.
func TestHooks_hearTheStore(t *testing.T) {
	m := newMock(t, hooksWorkspace()[:3]...)
	store := &taggedStore{MemoryStore: goals.NewMemoryStore(), fail: brian.ID}
	rec := newHookRecorder()
	cfg := testConfig()
	cfg.ConfirmRemovals = true
	cfg.Hooks = rec.hooks()
	if _, err := goals.NewIngester(m.newClient(t), store, cfg).Sync(context.Background(), []goals.Employee{ada, brian}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"emp-ada complete kept=2 truncated=0 removed=-1 store_err=false failed=false [sync/write]",
		"emp-brian none kept=0 truncated=0 removed=0 store_err=true failed=true [sync/write]",
	}
	if !slices.Equal(rec.writes, want) {
		t.Errorf("writes heard:\n%s\nwant\n%s", strings.Join(rec.writes, "\n"), strings.Join(want, "\n"))
	}
}

// A sync cancelled during its fetches ends its stages with the cancellation,
// has no write stage and hears no employee.
func TestHooks_ofACancelledSync(t *testing.T) {
	m := newMock(t, hooksWorkspace()...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m.onRequest = func(kind, gid string, r *http.Request) (*http.Response, error) {
		if kind != "pages" {
			cancel()
			<-r.Context().Done()
			return nil, r.Context().Err()
		}
		return nil, nil
	}
	rec := newHookRecorder()
	cfg := testConfig()
	cfg.Hooks = rec.hooks()
	_, err := goals.NewIngester(m.newClient(t), goals.NewMemoryStore(), cfg).Sync(ctx, []goals.Employee{ada})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	got := strings.Join(rec.calls, "\n")
	for _, want := range []string{"walk end err=context canceled [sync/walk]", "sync end err=true [sync]"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "write") || len(rec.writes) > 0 {
		t.Errorf("a write was heard:\n%s\n%v", got, rec.writes)
	}
}

// A refused configuration calls no hook.
func TestHooks_notCalledForAConfigError(t *testing.T) {
	rec := newHookRecorder()
	cfg := goals.Config{Hooks: rec.hooks()}
	if _, err := goals.NewIngester(newMock(t).newClient(t), goals.NewMemoryStore(), cfg).Sync(context.Background(), nil); err == nil {
		t.Fatal("no error")
	}
	if len(rec.calls) > 0 {
		t.Errorf("hooks heard %v", rec.calls)
	}
}

// BenchmarkSyncHooks syncs a generated workspace of 2,000 goals for 20
// employees, served in process, without hooks and with every hook (the
// sync's and the client's) set to do nothing: what the hook calls cost. A
// sync without hooks does no work for them (compare allocs/op).
func BenchmarkSyncHooks(b *testing.B) {
	ws := asanafake.Generate(7, asanafake.DefaultGenConfig(2000, 20))
	var emps []goals.Employee
	for i, u := range ws.Users {
		emps = append(emps, goals.Employee{ID: fmt.Sprint("e", i), AsanaUserGID: u.GID})
	}
	noop := goals.Hooks{
		SyncStart:       func(ctx context.Context, _ goals.SyncInfo) context.Context { return ctx },
		SyncEnd:         func(context.Context, *goals.Report, error) {},
		StageStart:      func(ctx context.Context, _ goals.Stage) context.Context { return ctx },
		StageEnd:        func(context.Context, goals.Stage, error) {},
		EmployeeWritten: func(context.Context, goals.WriteInfo) {},
	}
	noopClient := asana.Hooks{
		RequestSent: func(context.Context, asana.RequestInfo) {},
		RequestDone: func(context.Context, asana.RequestInfo) {},
		Pause:       func(context.Context, asana.PauseInfo) {},
	}
	for _, bc := range []struct {
		name   string
		hooks  goals.Hooks
		client []asana.Option
	}{
		{"hooks=nil", goals.Hooks{}, nil},
		{"hooks=noop", noop, []asana.Option{asana.WithHooks(noopClient)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := newMock(b, ws.Goals...)
			m.pageSize = 100
			cfg := goals.Config{WorkspaceGID: wsGID, Hooks: bc.hooks}
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				client := m.newClient(b, bc.client...)
				store := goals.NewMemoryStore()
				b.StartTimer()
				if _, err := goals.NewIngester(client, store, cfg).Sync(context.Background(), emps); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
