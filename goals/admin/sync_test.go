package admin_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// gate holds the fake's goal scan, once armed, until it is opened, so
// that a test sees a sync while it runs.
type gate struct {
	armed atomic.Bool
	once  sync.Once
	ch    chan struct{}
}

func newGate() *gate  { return &gate{ch: make(chan struct{})} }
func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }

// holdScan makes the fake hold every GET /goals until g opens, and refuse
// the sub-goals of failing (when set) with 403.
func holdScan(g *gate, failing string) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/goals" && g.armed.Load() {
			select {
			case <-g.ch:
			case <-r.Context().Done():
				return true
			}
		}
		if failing != "" && asanafake.ListsSubgoals(r, failing) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"errors":[{"message":"Forbidden: no access to this goal's relationships"}]}`))
			return true
		}
		return false
	}
}

// waitReports waits until the history holds n reports.
func (p *pages) waitReports(n int) []goals.Report {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		reps, err := p.history.Reports(context.Background(), asanafake.DemoWorkspaceGID, 10)
		if err != nil {
			p.t.Fatal(err)
		}
		if len(reps) >= n {
			return reps
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%d reports after 20s, want %d", len(reps), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// "Sync now" starts a sync in the background; the page follows its
// progress, a second press says one is running, and the report lists
// every employee, a failed one with its reason.
func TestSync_runsInTheBackgroundOneAtATime(t *testing.T) {
	g := newGate()
	opts := asanafake.DemoOptions()
	opts.Intercept = holdScan(g, "1209000000001007") // Alan's goal
	p := newPages(t, asanafake.DemoWorkspace(), opts, nil)
	defer g.open()
	p.connect()
	g.armed.Store(true)
	code, _, hdr := p.post("sync", url.Values{"action": {"start"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "sync?done=started" {
		t.Fatalf("Sync now: %d %q", code, hdr.Get("Location"))
	}
	_, body, _ := p.get("sync?done=started")
	for _, want := range []string{"A sync is running (scanning)", "<dt>Requests</dt>", "<dt>Goals scanned</dt>", "<dt>Time left</dt>",
		"<dt>Rate limit</dt><dd>no wait</dd>", `<meta http-equiv="refresh" content="1">`} {
		if !strings.Contains(body, want) {
			t.Errorf("while the sync runs, the page lacks %q:\n%s", want, body)
		}
	}
	code, body, _ = p.post("sync", url.Values{"action": {"start"}})
	if code != http.StatusConflict || !strings.Contains(body, "already running") {
		t.Errorf("a second press: %d\n%s", code, body)
	}
	g.open()
	reps := p.waitReports(1)
	if len(reps) != 1 {
		t.Fatalf("%d reports after one sync (the second press started another?)", len(reps))
	}
	_, body, _ = p.get("sync")
	for _, want := range []string{"Last sync", "Done, 1 of 3 employees failed", "Ada Lovelace", "emp-003", "Failed: ", "Forbidden"} {
		if !strings.Contains(body, want) {
			t.Errorf("the report lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, `http-equiv="refresh"`) {
		t.Errorf("the page still reloads itself once the sync ended")
	}
	assertNoSecret(t, "the Sync page", body, asanafake.DemoToken)
	assertNoSecret(t, "the log", p.log.String(), asanafake.DemoToken)
}

// Progress shows a wait for Asana's rate limit while one lasts.
func TestSync_progressShowsARateLimitWait(t *testing.T) {
	var once sync.Once
	var armed atomic.Bool
	opts := asanafake.DemoOptions()
	opts.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/goals" || !armed.Load() {
			return false
		}
		answered := false
		once.Do(func() {
			w.Header().Set("Retry-After", "3")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"errors":[{"message":"Rate limited"}]}`))
			answered = true
		})
		return answered
	}
	p := newPages(t, asanafake.DemoWorkspace(), opts, nil)
	p.connect()
	armed.Store(true)
	p.post("sync", url.Values{"action": {"start"}})
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body, _ := p.get("sync")
		if strings.Contains(body, "waiting 3s for Asana's rate limit (1 × 429 so far)") {
			break
		}
		if time.Now().After(deadline) || strings.Contains(body, "Last sync") {
			t.Fatalf("the page never showed the wait:\n%s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.waitReports(1)
}

// Removals the guard held back are shown with "Confirm removals"; once
// confirmed, the next sync applies them, and only that one.
func TestSync_confirmRemovalsAppliesThemOnTheNextSync(t *testing.T) {
	p := demoPages(t)
	p.connect()
	// Twelve goals Asana no longer has, stored for Ada by an earlier sync.
	var gone []goals.Goal
	for i := range 12 {
		gone = append(gone, goals.Goal{EmployeeID: "emp-001", GID: fmt.Sprint(9100 + i), Name: "Left Asana", Status: status.OnTrack,
			StatusSource: goals.StatusFromNone, KeyResults: []goals.KeyResult{}})
	}
	if err := p.store.WriteGoals(context.Background(), goals.Write{EmployeeID: "emp-001", Goals: gone}); err != nil {
		t.Fatal(err)
	}
	p.post("sync", url.Values{"action": {"start"}})
	reps := p.waitReports(1)
	if reps[0].RemovalsHeld != 12 {
		t.Fatalf("removals held %d, want 12", reps[0].RemovalsHeld)
	}
	_, body, _ := p.get("sync")
	for _, want := range []string{"Removals held back", "12 stored goals are no longer listed in Asana", ">Confirm removals</button>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
	confirm := url.Values{"action": {"confirm-removals"}, "report": {reps[0].StartedAt.UTC().Format(time.RFC3339Nano)}, "held": {"12"}}
	code, _, hdr := p.post("sync", confirm)
	if code != http.StatusSeeOther || hdr.Get("Location") != "sync?done=confirmed" {
		t.Fatalf("confirm removals: %d %q", code, hdr.Get("Location"))
	}
	if stored, _ := p.store.Goals(context.Background(), "emp-001"); len(stored) < 12 {
		t.Fatalf("confirming removed goals before a sync: %d stored", len(stored))
	}
	p.post("sync", url.Values{"action": {"start"}})
	reps = p.waitReports(2)
	if reps[0].RemovalsHeld != 0 {
		t.Errorf("the confirmed sync still held %d removals", reps[0].RemovalsHeld)
	}
	stored, _ := p.store.Goals(context.Background(), "emp-001")
	for _, g := range stored {
		if g.Name == "Left Asana" {
			t.Errorf("goal %s survived the confirmed sync", g.GID)
		}
	}
	// The confirmation was for one sync: the next holds removals again.
	if err := p.store.WriteGoals(context.Background(), goals.Write{EmployeeID: "emp-001", Goals: gone}); err != nil {
		t.Fatal(err)
	}
	p.post("sync", url.Values{"action": {"start"}})
	if reps = p.waitReports(3); reps[0].RemovalsHeld != 12 {
		t.Errorf("the sync after the confirmed one held %d removals, want 12 (a confirmation is for one sync)", reps[0].RemovalsHeld)
	}
}

// Close stops a running sync and keeps its report.
func TestHandler_closeStopsARunningSync(t *testing.T) {
	g := newGate()
	opts := asanafake.DemoOptions()
	opts.Intercept = holdScan(g, "")
	p := newPages(t, asanafake.DemoWorkspace(), opts, nil)
	defer g.open()
	p.connect()
	g.armed.Store(true)
	p.post("sync", url.Values{"action": {"start"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.handler.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	reps := p.waitReports(1)
	if reps[0].Error == "" {
		t.Errorf("the cancelled sync's report has no error: %+v", reps[0])
	}
	if code, body, _ := p.post("sync", url.Values{"action": {"start"}}); code == http.StatusSeeOther {
		t.Errorf("a sync started after Close:\n%s", body)
	}
}

// Without a connection, Sync now explains what to do first.
func TestSync_needsAConnection(t *testing.T) {
	p := demoPages(t)
	code, body, _ := p.post("sync", url.Values{"action": {"start"}})
	if code != http.StatusConflict || !strings.Contains(body, "Connect Asana first") {
		t.Errorf("Sync now without a connection: %d\n%s", code, body)
	}
	if code, _, _ := p.post("sync", url.Values{"action": {"explode"}}); code != http.StatusBadRequest {
		t.Errorf("an unknown action: %d, want 400", code)
	}
}

// When Asana refused the status field, the report's note says the
// statuses came from the goals' own status, on the page too.
func TestSync_reportSaysWhereStatusesCameFrom(t *testing.T) {
	opts := asanafake.DemoOptions()
	opts.RefuseStatusType = true
	p := newPages(t, asanafake.DemoWorkspace(), opts, nil)
	p.connect()
	p.post("sync", url.Values{"action": {"start"}})
	reps := p.waitReports(1)
	if reps[0].StatusSourceNote == "" {
		t.Fatalf("the fake refused the status field, but the report has no note: %+v", reps[0])
	}
	if _, body, _ := p.get("sync"); !strings.Contains(body, html.EscapeString(reps[0].StatusSourceNote)) {
		t.Errorf("the Sync page does not show %q:\n%s", reps[0].StatusSourceNote, body)
	}
}

// A confirmation names the report whose removals it confirms: one with
// nothing held, an older report, another count, or a press while a sync
// runs confirms nothing; nor does a confirmation outlive a change of
// connection.
func TestSync_confirmRemovalsOnlyForTheReportShown(t *testing.T) {
	g := newGate()
	opts := asanafake.DemoOptions()
	opts.Intercept = holdScan(g, "")
	p := newPages(t, asanafake.DemoWorkspace(), opts, nil)
	defer g.open()
	p.connect()
	var gone []goals.Goal
	for i := range 12 {
		gone = append(gone, goals.Goal{EmployeeID: "emp-001", GID: fmt.Sprint(9100 + i), Name: "Left Asana", Status: status.OnTrack,
			StatusSource: goals.StatusFromNone, KeyResults: []goals.KeyResult{}})
	}
	if err := p.store.WriteGoals(context.Background(), goals.Write{EmployeeID: "emp-001", Goals: gone}); err != nil {
		t.Fatal(err)
	}
	refused := func(what string, form url.Values) {
		t.Helper()
		form.Set("action", "confirm-removals")
		if code, _, _ := p.post("sync", form); code != http.StatusConflict {
			t.Errorf("%s: %d, want 409", what, code)
		}
	}
	refused("before any sync", url.Values{"report": {"2026-01-01T00:00:00Z"}, "held": {"12"}})
	p.post("sync", url.Values{"action": {"start"}})
	rep := p.waitReports(1)[0]
	shown := rep.StartedAt.UTC().Format(time.RFC3339Nano)
	refused("another report", url.Values{"report": {"2026-01-01T00:00:00Z"}, "held": {"12"}})
	refused("another count", url.Values{"report": {shown}, "held": {"13"}})
	g.armed.Store(true)
	p.post("sync", url.Values{"action": {"start"}})
	refused("while a sync runs", url.Values{"report": {shown}, "held": {"12"}})
	g.open()
	rep = p.waitReports(2)[0]
	shown = rep.StartedAt.UTC().Format(time.RFC3339Nano)
	// A confirmation, then a new connection: it is forgotten.
	if code, _, _ := p.post("sync", url.Values{"action": {"confirm-removals"}, "report": {shown}, "held": {"12"}}); code != http.StatusSeeOther {
		t.Fatalf("confirming the report shown: %d", code)
	}
	p.post("connection", url.Values{"token": {asanafake.DemoToken}, "workspace_gid": {asanafake.DemoWorkspaceGID}, "rate": {"150"}, "action": {"save"}})
	if _, body, _ := p.get("sync"); strings.Contains(body, "Removals confirmed") {
		t.Errorf("the confirmation outlived a change of connection")
	}
	p.post("sync", url.Values{"action": {"start"}})
	if reps := p.waitReports(3); reps[0].RemovalsHeld != 12 {
		t.Errorf("a forgotten confirmation still applied: held %d, want 12", reps[0].RemovalsHeld)
	}
	if stored, _ := p.store.Goals(context.Background(), "emp-001"); len(stored) < 12 {
		t.Errorf("goals removed without a confirmation in force: %d stored", len(stored))
	}
}

// Close of a handler whose sync has ended returns nil even when its
// context has ended too: the sync stopped, which is all Close waits for.
func TestHandler_closeAfterTheSyncEndedIgnoresAnEndedContext(t *testing.T) {
	p := demoPages(t)
	p.connect()
	p.post("sync", url.Values{"action": {"start"}})
	p.waitReports(1)
	for p.handler != nil && strings.Contains(func() string { _, b, _ := p.get("sync"); return b }(), "A sync is running") {
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 50 { // a select between two ready cases picks either
		if err := p.handler.Close(ctx); err != nil {
			t.Fatalf("Close after the sync ended, with an ended context: %v", err)
		}
	}
}
