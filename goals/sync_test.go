package goals_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"go.uber.org/goleak"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/internal/fieldtest"
	"github.com/perfcopilot/asanagoals/status"
)

// The package's tests leave no goroutine running once they have all run
// (goleak checks): nothing a sync starts outlives it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var syncTime = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func testConfig() goals.Config {
	return goals.Config{WorkspaceGID: wsGID, Now: func() time.Time { return syncTime }}
}

var (
	ada   = goals.Employee{ID: "emp-ada", AsanaUserGID: "501", Name: "Ada"}
	brian = goals.Employee{ID: "emp-brian", AsanaUserGID: "502"}
	cleo  = goals.Employee{ID: "emp-cleo", AsanaUserGID: "503"}
	dev   = goals.Employee{ID: "emp-dev"} // not mapped yet
)

func runSync(t *testing.T, m *mockAsana, store goals.Store, cfg goals.Config, emps ...goals.Employee) (*goals.Report, error) {
	t.Helper()
	rep, err := goals.NewIngester(m.newClient(t), store, cfg).Sync(context.Background(), emps)
	if err != nil && strings.Contains(err.Error(), "do-not-leak") {
		t.Fatalf("error leaks the token: %v", err)
	}
	if rep != nil {
		b, _ := json.Marshal(rep)
		if strings.Contains(string(b), "do-not-leak") {
			t.Fatalf("report leaks the token: %s", b)
		}
	}
	return rep, err
}

func employeeReport(t *testing.T, rep *goals.Report, id string) goals.EmployeeReport {
	t.Helper()
	for _, e := range rep.Employees {
		if e.EmployeeID == id {
			return e
		}
	}
	t.Fatalf("no report entry for %s in %+v", id, rep.Employees)
	return goals.EmployeeReport{}
}

func gidsOf(gs []goals.Goal) string {
	var out []string
	for _, g := range gs {
		out = append(out, g.GID)
	}
	return strings.Join(out, ",")
}

func krGIDs(g goals.Goal) string {
	var out []string
	for _, kr := range g.KeyResults {
		out = append(out, kr.GID)
	}
	return strings.Join(out, ",")
}

// A bad config or employee list (workspace missing or not a GID, negative
// limits, too much concurrency, an empty, repeated or non-numeric ID, a user
// mapped twice) is a *GoalsConfigError naming the field, with no report, no
// request sent and nothing stored.
func TestIngester_Sync_configErrorsBeforeAnyRequest(t *testing.T) {
	tests := []struct {
		name  string
		cfg   goals.Config
		emps  []goals.Employee
		field string
	}{
		{"no workspace", goals.Config{}, []goals.Employee{ada}, "WorkspaceGID"},
		{"workspace not numeric", goals.Config{WorkspaceGID: "acme.asana.com"}, []goals.Employee{ada}, "WorkspaceGID"},
		{"workspace with space", goals.Config{WorkspaceGID: " 1001"}, []goals.Employee{ada}, "WorkspaceGID"},
		{"negative cap", goals.Config{WorkspaceGID: wsGID, MaxGoalsPerEmployee: -1}, nil, "MaxGoalsPerEmployee"},
		{"negative description limit", goals.Config{WorkspaceGID: wsGID, DescriptionLimit: -5}, nil, "DescriptionLimit"},
		{"too much concurrency", goals.Config{WorkspaceGID: wsGID, Concurrency: 51}, nil, "Concurrency"},
		{"empty employee ID", goals.Config{WorkspaceGID: wsGID}, []goals.Employee{ada, {AsanaUserGID: "9"}}, "employees[1].ID"},
		{"duplicate employee ID", goals.Config{WorkspaceGID: wsGID}, []goals.Employee{ada, {ID: ada.ID, AsanaUserGID: "9"}}, "employees[1].ID"},
		{"user GID not numeric", goals.Config{WorkspaceGID: wsGID}, []goals.Employee{{ID: "x", AsanaUserGID: "ada@example.com"}}, "employees[0].AsanaUserGID"},
		{"user GID mapped twice", goals.Config{WorkspaceGID: wsGID}, []goals.Employee{ada, {ID: "other", AsanaUserGID: ada.AsanaUserGID}}, "employees[1].AsanaUserGID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, asanafake.Goal{GID: "1", Name: "G", OwnerGID: "501"})
			store := goals.NewMemoryStore()
			rep, err := runSync(t, m, store, tc.cfg, tc.emps...)
			var ce *goals.GoalsConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *GoalsConfigError", err, err)
			}
			if ce.Field != tc.field {
				t.Errorf("Field = %q, want %q (%v)", ce.Field, tc.field, err)
			}
			if rep != nil {
				t.Errorf("report = %+v, want nil", rep)
			}
			if n := m.total(); n != 0 {
				t.Errorf("%d requests were made; a config error must make none", n)
			}
			if len(store.Employees()) != 0 {
				t.Error("store was written")
			}
		})
	}
}

// A sync without a workspace says in words that the workspace GID is
// required, even before a client or store is given.
func TestIngester_Sync_missingWorkspaceMessage(t *testing.T) {
	_, err := goals.NewIngester(nil, nil, goals.Config{}).Sync(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "workspace GID is required") {
		t.Fatalf("err = %v", err)
	}
}

// One scan serves every employee, and each goal goes to the employee whose
// Asana user owns it (owner.gid); ownerless goals, goals of unmapped owners
// and unmapped employees are counted, never stored.
func TestIngester_Sync_routesGoalsByOwner(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 250; i++ {
		owner := []string{"501", "502", "", "777", "778"}[i%5]
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(1000 + i), Name: fmt.Sprintf("Goal %d", i), OwnerGID: owner})
	}
	m := newMock(t, ws...)
	store := goals.NewMemoryStore()
	rep, err := runSync(t, m, store, testConfig(), ada, brian, cleo, dev)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if got := m.count("pages"); got != 3 {
		t.Errorf("goal list requests = %d, want 3 pages for 250 goals (one scan for all employees)", got)
	}
	if rep.WorkspaceGoalsScanned != 250 || rep.OwnerlessGoals != 50 || rep.UnmappedOwnerGoals != 100 {
		t.Errorf("scanned/ownerless/unmapped = %d/%d/%d, want 250/50/100",
			rep.WorkspaceGoalsScanned, rep.OwnerlessGoals, rep.UnmappedOwnerGoals)
	}
	if got := strings.Join(rep.UnmappedOwnerExamples, ","); got != "777,778" {
		t.Errorf("unmapped owner examples = %q, want 777,778", got)
	}
	if got := strings.Join(rep.UnmappedEmployees, ","); got != "emp-dev" {
		t.Errorf("unmapped employees = %q", got)
	}
	if len(rep.Employees) != 3 {
		t.Fatalf("employee entries = %d, want 3 (every mapped employee, cleo with none too)", len(rep.Employees))
	}
	for _, e := range rep.Employees {
		wantKept := map[string]int{"emp-ada": 50, "emp-brian": 50, "emp-cleo": 0}[e.EmployeeID]
		if e.GoalsKept != wantKept || e.Written != goals.WrittenComplete || e.Err != nil || e.Truncated {
			t.Errorf("%s: %+v, want %d kept, written complete", e.EmployeeID, e, wantKept)
		}
	}
	adaGoals := stored(t, store, "emp-ada")
	if len(adaGoals) != 50 {
		t.Fatalf("ada has %d stored goals, want 50", len(adaGoals))
	}
	for i, g := range adaGoals {
		if want := fmt.Sprint(1000 + 5*(i+1)); g.GID != want || g.EmployeeID != "emp-ada" {
			t.Fatalf("ada goal %d = %s (%s), want %s in API order", i, g.GID, g.EmployeeID, want)
		}
	}
	if ids := store.Employees(); !slices.Equal(ids, []string{"emp-ada", "emp-brian"}) {
		t.Errorf("stored employees = %v; ownerless and unmapped goals must not be stored", ids)
	}
	if got, probes := m.count("relationships"), m.count("subgoals"); got != 100 || probes != 1 {
		t.Errorf("sub-goal listings = %d and probes of the spec's path = %d, want 100 (one per kept goal, none for the others) and 1", got, probes)
	}
}

// The first 200 goals per employee in API order; truncated past it;
// no sub-goal request for goals past the cap.
func TestIngester_Sync_capAndTruncated(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 230; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(5000 + i), Name: "G", OwnerGID: "501"})
	}
	ws = append(ws, asanafake.Goal{GID: "9001", Name: "Brian's", OwnerGID: "502"})
	m := newMock(t, ws...)
	store := goals.NewMemoryStore()
	rep, err := runSync(t, m, store, testConfig(), ada, brian)
	if err != nil {
		t.Fatal(err)
	}
	a := employeeReport(t, rep, "emp-ada")
	if !a.Truncated || a.GoalsKept != 200 || a.GoalsOwned != 230 {
		t.Errorf("ada = %+v, want truncated with 200 of 230 kept", a)
	}
	if b := employeeReport(t, rep, "emp-brian"); b.Truncated {
		t.Errorf("brian truncated: %+v", b)
	}
	stored := stored(t, store, "emp-ada")
	if len(stored) != 200 || stored[0].GID != "5001" || stored[199].GID != "5200" {
		t.Errorf("stored %d goals %s..%s, want 5001..5200", len(stored), stored[0].GID, stored[len(stored)-1].GID)
	}
	if got := m.count("relationships"); got != 201 {
		t.Errorf("sub-goal listings = %d, want 201: none for goals past the cap", got)
	}
	b, _ := json.Marshal(a)
	if !strings.Contains(string(b), `"truncated":true`) {
		t.Errorf("employee report JSON %s lacks \"truncated\":true", b)
	}

	// A lower cap from the config works the same way.
	cfg := testConfig()
	cfg.MaxGoalsPerEmployee = 3
	rep, err = runSync(t, newMock(t, ws...), goals.NewMemoryStore(), cfg, ada)
	if err != nil || !employeeReport(t, rep, "emp-ada").Truncated || employeeReport(t, rep, "emp-ada").GoalsKept != 3 {
		t.Errorf("cap 3: %+v, %v", rep, err)
	}
}

// A description is html_notes as plain text, capped at 1,000 runes.
func TestIngester_Sync_descriptionIsPlainTextCappedInRunes(t *testing.T) {
	long := "<body>" + strings.Repeat("目標達成🎯", 400) + "</body>" // 2,000 runes
	m := newMock(t,
		asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501", HTMLNotes: "<body>Grow <strong>web</strong> traffic &amp; leads.<ul><li>SEO</li><li>Ads</li></ul>Q1<br>Q2</body>"},
		asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501", HTMLNotes: long},
		asanafake.Goal{GID: "3", Name: "C", OwnerGID: "501"},
	)
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	d := gs[0].Description
	for _, want := range []string{"Grow web traffic & leads.", "SEO", "Ads", "Q1\nQ2"} {
		if !strings.Contains(d, want) {
			t.Errorf("description %q lacks %q", d, want)
		}
	}
	if strings.ContainsAny(d, "<>") || strings.Contains(d, "&amp;") {
		t.Errorf("description %q keeps markup", d)
	}
	if !strings.Contains(d, "SEO\n") {
		t.Errorf("list items are not on lines of their own: %q", d)
	}
	long2 := gs[1].Description
	if n := utf8.RuneCountInString(long2); n != 1000 || !utf8.ValidString(long2) {
		t.Errorf("long description: %d runes, valid UTF-8 %v; want exactly 1000", n, utf8.ValidString(long2))
	}
	if gs[2].Description != "" {
		t.Errorf("empty notes gave %q", gs[2].Description)
	}
}

// The status comes from current_status_update.status_type, raw word kept.
func TestIngester_Sync_statusMappedAndRawKept(t *testing.T) {
	words := map[string]status.Status{
		"on_track": status.OnTrack, "at_risk": status.AtRisk, "off_track": status.OffTrack,
		"achieved": status.Completed, "partial": status.AtRisk, "missed": status.OffTrack,
		"dropped": status.OffTrack, "on_hold": status.OnTrack, "complete": status.OnTrack, "": status.OnTrack,
	}
	var ws []asanafake.Goal
	var order []string
	for w := range words {
		order = append(order, w)
	}
	slices.Sort(order)
	for i, w := range order {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i + 1), Name: "G", OwnerGID: "501", StatusType: w})
	}
	store := goals.NewMemoryStore()
	if _, err := runSync(t, newMock(t, ws...), store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	for i, g := range stored(t, store, "emp-ada") {
		w := order[i]
		if g.Status != words[w] || g.RawStatus != w {
			t.Errorf("status_type %q → %q (raw %q), want %q", w, g.Status, g.RawStatus, words[w])
		}
	}
}

// Sub-goals become Key Results with their own statuses, fetched
// while the scan is still paging.
func TestIngester_Sync_subgoalsBecomeKeyResults(t *testing.T) {
	for _, spec := range []bool{false, true} {
		t.Run(map[bool]string{false: "goal relationships", true: "spec's path"}[spec], func(t *testing.T) {
			testSubgoalsBecomeKeyResults(t, spec)
		})
	}
}

func testSubgoalsBecomeKeyResults(t *testing.T, spec bool) {
	m := newMock(t,
		asanafake.Goal{GID: "10", Name: "Parent", OwnerGID: "501", StatusType: "on_track", SubgoalGIDs: []string{"11", "12"}},
		asanafake.Goal{GID: "11", Name: "KR one", OwnerGID: "502", StatusType: "achieved", DueOn: "2026-12-01",
			Metric: &asanafake.Metric{InitialNumberValue: 0, TargetNumberValue: 100, CurrentNumberValue: 40, Unit: "percentage"}},
		asanafake.Goal{GID: "12", Name: "KR two", OwnerGID: "", StatusType: "missed"},
		asanafake.Goal{GID: "20", Name: "Custom-field linked only", OwnerGID: "501"},
	)
	m.specPath = spec
	store := goals.NewMemoryStore()
	rep, err := runSync(t, m, store, testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	if len(gs) != 2 || gs[0].GID != "10" || gs[1].GID != "20" {
		t.Fatalf("stored goals %s", gidsOf(gs))
	}
	krs := gs[0].KeyResults
	if len(krs) != 2 {
		t.Fatalf("key results = %+v", krs)
	}
	if krs[0].GID != "11" || krs[0].GoalGID != "10" || krs[0].Name != "KR one" || krs[0].Status != status.Completed ||
		krs[0].RawStatus != "achieved" || krs[0].DueOn.String() != "2026-12-01" {
		t.Errorf("KR one = %+v", krs[0])
	}
	if p := krs[0].Metric; p == nil || p.Current != 40 || p.Target != 100 || p.Unit != "percentage" {
		t.Errorf("KR one progress = %+v", p)
	}
	if krs[1].Status != status.OffTrack || krs[1].GID != "12" {
		t.Errorf("KR two = %+v", krs[1])
	}
	if len(gs[1].KeyResults) != 0 {
		t.Errorf("a goal with no sub-goals has KRs %+v", gs[1].KeyResults)
	}
	if want := map[bool]goals.SubgoalPath{false: goals.PathGoalRelationships, true: goals.PathSubgoals}[spec]; rep.SubgoalPath != want {
		t.Errorf("source = %q, want %q", rep.SubgoalPath, want)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.KeyResults != 2 {
		t.Errorf("report key results = %d", e.KeyResults)
	}
}

// The sub-goal walk runs while the workspace scan is still paging: a goal of
// the first page has its sub-goals asked for before the second page is read.
func TestIngester_Sync_subgoalWalkRunsWhileScanPages(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 150; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "G", OwnerGID: "501"})
	}
	m := newMock(t, ws...)
	subgoalSeen := make(chan struct{})
	var once sync.Once
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		switch {
		case kind == m.listingKind():
			once.Do(func() { close(subgoalSeen) })
		case kind == "pages" && req.URL.Query().Get("offset") != "":
			// The second page is held back until a sub-goal request of a
			// first-page goal has arrived: that happens only if the walk
			// runs while the scan is still paging.
			select {
			case <-subgoalSeen:
			case <-time.After(10 * time.Second):
				t.Error("no sub-goal request arrived while the scan waited for page 2: the walk is not pipelined")
			}
		}
		return nil, nil
	}
	if _, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), ada); err != nil {
		t.Fatal(err)
	}
}

// In today's Asana the subgoals path is gone; one probe finds out,
// and goal relationships take over for the whole sync, with each
// sub-goal's details from the scan: the rows equal those of the spec's
// path.
func TestIngester_Sync_retiredSubgoalsPathFallsBackToRelationships(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 120; i++ {
		g := asanafake.Goal{GID: fmt.Sprint(i), Name: fmt.Sprintf("G%d", i), OwnerGID: "501", StatusType: "on_track"}
		if i%10 == 0 {
			g.SubgoalGIDs = []string{fmt.Sprint(i + 1000)}
		}
		ws = append(ws, g)
	}
	for i := 10; i <= 120; i += 10 {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i + 1000), Name: fmt.Sprintf("Sub of %d", i), OwnerGID: "", StatusType: "at_risk"})
	}
	retired := newMock(t, ws...)
	store := goals.NewMemoryStore()
	cfg := testConfig()
	cfg.Concurrency = 4
	rep, err := runSync(t, retired, store, cfg, ada)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SubgoalPath != goals.PathGoalRelationships {
		t.Errorf("source = %q, want goal_relationships", rep.SubgoalPath)
	}
	if n := retired.count("subgoals"); n != 1 {
		t.Errorf("subgoals path tried %d times, want one probe whatever the concurrency", n)
	}
	if n := retired.count("relationships"); n != 120 {
		t.Errorf("relationship requests = %d, want 120 (one per kept goal)", n)
	}

	// The same workspace through the working path gives the same rows.
	want := goals.NewMemoryStore()
	spec := newMock(t, ws...)
	spec.specPath = true
	if _, err := runSync(t, spec, want, cfg, ada); err != nil {
		t.Fatal(err)
	}
	got, exp := stored(t, store, "emp-ada"), stored(t, want, "emp-ada")
	if !jsonEqual(t, got, exp) {
		t.Errorf("rows via goal relationships differ from rows via subgoals")
	}
	if kr := got[9].KeyResults; len(kr) != 1 || kr[0].GID != "1010" || kr[0].Status != status.AtRisk || kr[0].Name != "Sub of 10" {
		t.Errorf("goal 10 KRs = %+v", kr)
	}
	// Every sub-goal is in the scan: none is fetched on its own.
	if n := retired.count("goal"); n != 0 {
		t.Errorf("GET /goals/{gid} made %d times for 12 sub-goals the scan returns", n)
	}
}

// A sub-goal the scan returns after its parent's walk began is taken from
// the scan when it comes, never fetched on its own: its parent waits for
// the scan's end.
func TestIngester_Sync_subgoalScannedLaterIsNotFetched(t *testing.T) {
	m := newMock(t,
		asanafake.Goal{GID: "1", Name: "P", OwnerGID: "501", SubgoalGIDs: []string{"2"}},
		asanafake.Goal{GID: "2", Name: "Later", StatusType: "achieved"},
	)
	m.pageSize = 1 // the sub-goal is on page 2, after its parent's walk began
	listed := make(chan struct{})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		switch {
		case kind == "relationships" && gid == "1":
			defer close(listed)
		case kind == "pages" && req.URL.Query().Get("offset") != "":
			// Page 2 waits until goal 1's sub-goals were listed.
			select {
			case <-listed:
			case <-time.After(10 * time.Second):
				t.Error("goal 1's sub-goals were not listed while the scan was on page 1")
			}
		}
		return nil, nil
	}
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	if len(gs) != 1 || len(gs[0].KeyResults) != 1 || gs[0].KeyResults[0].Status != status.Completed || gs[0].KeyResults[0].Name != "Later" {
		t.Fatalf("goals = %+v", gs)
	}
	if n := m.count("goal"); n != 0 {
		t.Errorf("GET /goals/{gid} made %d times for a sub-goal the scan returned, want 0", n)
	}
}

// A sub-goal the scan never returns (Asana leaves some goals out of the
// workspace list) is fetched on its own, once, after the scan.
func TestIngester_Sync_subgoalNeverScannedIsFetchedOnce(t *testing.T) {
	m := newMock(t,
		asanafake.Goal{GID: "1", Name: "P", OwnerGID: "501", SubgoalGIDs: []string{"2", "3"}},
		asanafake.Goal{GID: "2", Name: "Unlisted", StatusType: "missed", DueOn: "2026-03-31", Unlisted: true},
		asanafake.Goal{GID: "3", Name: "Listed", StatusType: "achieved"},
	)
	m.pageSize = 1
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	if len(gs) != 1 || krGIDs(gs[0]) != "2,3" {
		t.Fatalf("goals = %+v, want goal 1 with Key Results 2,3", gs)
	}
	if kr := gs[0].KeyResults[0]; kr.Name != "Unlisted" || kr.Status != status.OffTrack || kr.DueOn.String() != "2026-03-31" {
		t.Errorf("fetched Key Result = %+v", kr)
	}
	if n := m.count("goal"); n != 1 {
		t.Errorf("GET /goals/{gid} made %d times, want 1 (for the unlisted 2)", n)
	}
	for _, f := range m.optFields("goal") {
		if strings.Contains(f, "html_notes") {
			t.Errorf("a sub-goal fetch asks for html_notes: %q", f)
		}
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if string(ja) != string(jb) {
		t.Logf("got  %s\nwant %s", ja, jb)
		return false
	}
	return true
}

func seed(t *testing.T, store *goals.MemoryStore, emp string, gs ...goals.Goal) {
	t.Helper()
	for i := range gs {
		gs[i].EmployeeID = emp
		if gs[i].KeyResults == nil {
			gs[i].KeyResults = []goals.KeyResult{}
		}
		if gs[i].Status == "" { // what the test does not care about
			gs[i].Status = status.OnTrack
		}
		for k := range gs[i].KeyResults {
			if gs[i].KeyResults[k].Status == "" {
				gs[i].KeyResults[k].Status = status.OnTrack
			}
		}
	}
	if err := store.WriteGoals(context.Background(), goals.Write{EmployeeID: emp, Goals: gs, Complete: true}); err != nil {
		t.Fatal(err)
	}
}

// An employee whose goals could not all be fetched is written as
// partial: fresh goals upserted, failed goals left as stored, nothing
// removed; the other employees sync completely.
func TestIngester_Sync_partialEmployeeKeepsStoredData(t *testing.T) {
	m := newMock(t,
		asanafake.Goal{GID: "1", Name: "Fresh name", OwnerGID: "501", StatusType: "achieved", SubgoalGIDs: []string{"9"}},
		asanafake.Goal{GID: "2", Name: "Breaks", OwnerGID: "501", SubgoalGIDs: []string{"9"}},
		asanafake.Goal{GID: "3", Name: "Brian's", OwnerGID: "502"},
		asanafake.Goal{GID: "9", Name: "Sub"},
	)
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == m.listingKind() && gid == "2" {
			return asanaError(500, "Server Error"), nil
		}
		return nil, nil
	}
	store := goals.NewMemoryStore()
	old := []goals.Goal{
		{GID: "1", Name: "Old name", Status: status.OnTrack},
		{GID: "2", Name: "Stored 2", Status: status.AtRisk, KeyResults: []goals.KeyResult{{GoalGID: "2", GID: "8", Name: "Old KR", Status: status.OnTrack}}},
		{GID: "7", Name: "Gone from Asana"},
	}
	seed(t, store, "emp-ada", old...)
	seed(t, store, "emp-brian", goals.Goal{GID: "66", Name: "Brian's stale goal"})

	rep, err := runSync(t, m, store, testConfig(), ada, brian)
	if err != nil {
		t.Fatalf("Sync: %v (an employee's failure is not the sync's)", err)
	}
	a := employeeReport(t, rep, "emp-ada")
	if a.Written != goals.WrittenPartial || !strings.Contains(message(a.Err), "1 of 2 goals") || !strings.Contains(message(a.Err), "500") {
		t.Errorf("ada report = %+v", a)
	}
	if f := rep.Failed(); len(f) != 1 || f[0].EmployeeID != "emp-ada" {
		t.Errorf("Failed() = %+v", f)
	}
	gs := stored(t, store, "emp-ada")
	if gidsOf(gs) != "1,2,7" {
		t.Fatalf("ada's stored goals = %s, want 1,2,7: nothing removed", gidsOf(gs))
	}
	if gs[0].Name != "Fresh name" || gs[0].Status != status.Completed || krGIDs(gs[0]) != "9" {
		t.Errorf("goal 1 not upserted: %+v", gs[0])
	}
	if gs[1].Name != "Stored 2" || krGIDs(gs[1]) != "8" || gs[1].Status != status.AtRisk {
		t.Errorf("goal 2 (failed) was changed: %+v", gs[1])
	}
	if gs[2].Name != "Gone from Asana" {
		t.Errorf("goal 7 changed: %+v", gs[2])
	}
	if b := stored(t, store, "emp-brian"); gidsOf(b) != "3" || employeeReport(t, rep, "emp-brian").Written != goals.WrittenComplete {
		t.Errorf("brian = %s; a complete sync must make the store equal Asana", gidsOf(b))
	}
}

// A workspace scan that fails midway is the sync's error and the report's:
// the goals already read are written, but as partial writes, so no stored
// goal is removed and no employee is reported complete.
func TestIngester_Sync_scanFailureRemovesNothing(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 150; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: fmt.Sprintf("New %d", i), OwnerGID: "501"})
	}
	m := newMock(t, ws...)
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == "pages" && req.URL.Query().Get("offset") != "" {
			return asanaError(503, "Service Unavailable"), nil
		}
		return nil, nil
	}
	store := goals.NewMemoryStore()
	seed(t, store, "emp-ada", goals.Goal{GID: "1", Name: "Old 1"}, goals.Goal{GID: "140", Name: "Old 140"}, goals.Goal{GID: "999", Name: "Old 999"})
	seed(t, store, "emp-brian", goals.Goal{GID: "50", Name: "Brian's"})
	rep, err := runSync(t, m, store, testConfig(), ada, brian)
	if err == nil || !strings.Contains(err.Error(), "workspace scan failed") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("err = %v, want a scan failure", err)
	}
	if rep == nil || rep.Error == "" {
		t.Fatalf("report = %+v, want Error set", rep)
	}
	gs := stored(t, store, "emp-ada")
	if len(gs) != 102 {
		t.Fatalf("ada has %d goals, want the 3 stored plus the 99 new from page 1", len(gs))
	}
	if gs[0].Name != "New 1" || gs[1].Name != "Old 140" || gs[2].Name != "Old 999" {
		t.Errorf("stored goals changed wrongly: %s %s %s", gs[0].Name, gs[1].Name, gs[2].Name)
	}
	if b := stored(t, store, "emp-brian"); gidsOf(b) != "50" {
		t.Errorf("brian's goals = %s; a failed scan must not remove any", gidsOf(b))
	}
	for _, e := range rep.Employees {
		if e.Written == goals.WrittenComplete || e.Err == nil {
			t.Errorf("%s: %+v, want partial or none with an error", e.EmployeeID, e)
		}
	}
}

// A complete sync makes the store equal Asana: reassigned and deleted
// goals disappear; a truncated employee keeps what was seen past the cap.
func TestIngester_Sync_completePrunesOnlyWhatAsanaNoLongerHas(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 5; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "G", OwnerGID: "501"})
	}
	ws = append(ws, asanafake.Goal{GID: "6", Name: "Reassigned to Brian", OwnerGID: "502"})
	m := newMock(t, ws...)
	store := goals.NewMemoryStore()
	seed(t, store, "emp-ada",
		goals.Goal{GID: "4", Name: "Past the cap, still Ada's"},
		goals.Goal{GID: "6", Name: "Was Ada's"},
		goals.Goal{GID: "77", Name: "Deleted in Asana"})
	cfg := testConfig()
	cfg.MaxGoalsPerEmployee = 3
	rep, err := runSync(t, m, store, cfg, ada, brian)
	if err != nil {
		t.Fatal(err)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); got != "1,2,3,4" {
		t.Errorf("ada = %s, want 1,2,3 kept and 4 (seen past the cap) retained; 6 and 77 removed", got)
	}
	if got := gidsOf(stored(t, store, "emp-brian")); got != "6" {
		t.Errorf("brian = %s, want 6", got)
	}
	if !employeeReport(t, rep, "emp-ada").Truncated {
		t.Error("ada not truncated")
	}
}

// Syncing twice with no change in Asana changes nothing.
func TestIngester_Sync_isIdempotent(t *testing.T) {
	ws := []asanafake.Goal{
		{GID: "1", Name: "A", OwnerGID: "501", StatusType: "at_risk", HTMLNotes: "<p>x</p>", DueOn: "2027-01-31", SubgoalGIDs: []string{"3"},
			Metric: &asanafake.Metric{TargetNumberValue: 10, CurrentNumberValue: 2}},
		{GID: "2", Name: "B", OwnerGID: "502"},
		{GID: "3", Name: "C", OwnerGID: "501", StatusType: "achieved"},
	}
	store := goals.NewMemoryStore()
	snapshot := func() string {
		b, err := json.Marshal(map[string][]goals.Goal{"ada": stored(t, store, "emp-ada"), "brian": stored(t, store, "emp-brian")})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if _, err := runSync(t, newMock(t, ws...), store, testConfig(), ada, brian); err != nil {
		t.Fatal(err)
	}
	first := snapshot()
	if _, err := runSync(t, newMock(t, ws...), store, testConfig(), ada, brian); err != nil {
		t.Fatal(err)
	}
	if second := snapshot(); second != first {
		t.Errorf("second sync changed the store:\nfirst  %s\nsecond %s", first, second)
	}
}

// Cancelling stops promptly, wraps ctx.Err(), writes nothing and
// leaves no goroutine (goleak checks the whole package in TestMain).
func TestIngester_Sync_cancelledWritesNothing(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 300; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "New", OwnerGID: "501"})
	}
	m := newMock(t, ws...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == m.listingKind() && gid == "20" {
			cancel()
		}
		if kind == m.listingKind() {
			select {
			case <-req.Context().Done():
				return nil, req.Context().Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
		return nil, nil
	}
	store := goals.NewMemoryStore()
	seed(t, store, "emp-ada", goals.Goal{GID: "1", Name: "Old"}, goals.Goal{GID: "999", Name: "Old 999"})
	start := time.Now()
	rep, err := goals.NewIngester(m.newClient(t), store, testConfig()).Sync(ctx, []goals.Employee{ada})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("cancelled sync took %s to return", el)
	}
	if rep == nil || rep.Error == "" {
		t.Errorf("report = %+v", rep)
	}
	if got := stored(t, store, "emp-ada"); gidsOf(got) != "1,999" || got[0].Name != "Old" {
		t.Errorf("store changed by a cancelled sync: %+v", got)
	}
}

type failingStore struct {
	*goals.MemoryStore
	failFor string
}

// errLocked is failingStore's error.
var errLocked = errors.New("database is locked")

func (s failingStore) WriteGoals(ctx context.Context, w goals.Write) error {
	if w.EmployeeID == s.failFor {
		return fmt.Errorf("writing %s: %w", w.EmployeeID, errLocked)
	}
	return s.MemoryStore.WriteGoals(ctx, w)
}

// A store that fails for one employee fails that employee alone, with the
// store's error kept in the report; the others are written and the sync
// succeeds.
func TestIngester_Sync_storeFailureIsPerEmployee(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "502"})
	store := failingStore{MemoryStore: goals.NewMemoryStore(), failFor: "emp-ada"}
	rep, err := runSync(t, m, store, testConfig(), ada, brian)
	if err != nil {
		t.Fatal(err)
	}
	a := employeeReport(t, rep, "emp-ada")
	if a.Written != goals.WrittenNone || !strings.Contains(message(a.Err), "database is locked") || !errors.Is(a.Err, errLocked) {
		t.Errorf("ada = %+v, want not written, the store's error in Error and in Err", a)
	}
	if b := employeeReport(t, rep, "emp-brian"); b.Err != nil {
		t.Errorf("brian = %+v, want no error", b)
	}
	if gidsOf(stored(t, store, "emp-brian")) != "2" {
		t.Error("brian not written")
	}
}

// The report encodes to JSON under its documented snake_case keys, with
// empty lists as [] rather than null.
func TestReport_jsonKeys(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B"})
	rep, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), ada, dev)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"workspace_goals_scanned":2`, `"ownerless_goals":1`, `"unmapped_owner_goals":0`,
		`"unmapped_owner_examples":[]`, `"unmapped_employees":["emp-dev"]`, `"goals_kept":1`, `"key_results":0`,
		`"truncated":false`, `"malformed_records":0`, `"removals_held":0`, `"requests":3`, `"retries":0`, `"rate_limited":0`, `"subgoal_source":"goal_relationships"`, `"duration_seconds":`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("report JSON lacks %s:\n%s", key, b)
		}
	}
}

// The spec's Troubleshooting section, row by row.
func TestIngester_Sync_troubleshootingZeroGoals(t *testing.T) {
	t.Run("wrong workspace GID", func(t *testing.T) {
		store := goals.NewMemoryStore()
		seed(t, store, "emp-ada", goals.Goal{GID: "1", Name: "Kept"})
		cfg := testConfig()
		cfg.WorkspaceGID = "424242"
		rep, err := runSync(t, newMock(t, asanafake.Goal{GID: "1", OwnerGID: "501"}), store, cfg, ada)
		if !errors.Is(err, asana.ErrNotFound) || rep.WorkspaceGoalsScanned != 0 {
			t.Fatalf("err = %v, scanned = %d", err, rep.WorkspaceGoalsScanned)
		}
		if gidsOf(stored(t, store, "emp-ada")) != "1" {
			t.Error("stored goals removed after a failed scan")
		}
	})
	t.Run("goals with no owner", func(t *testing.T) {
		rep, err := runSync(t, newMock(t, asanafake.Goal{GID: "1"}, asanafake.Goal{GID: "2"}), goals.NewMemoryStore(), testConfig(), ada)
		if err != nil || rep.OwnerlessGoals != 2 || employeeReport(t, rep, "emp-ada").GoalsKept != 0 {
			t.Errorf("report = %+v, %v", rep, err)
		}
	})
	t.Run("owner not mapped", func(t *testing.T) {
		rep, err := runSync(t, newMock(t, asanafake.Goal{GID: "1", OwnerGID: "888"}), goals.NewMemoryStore(), testConfig(), ada)
		if err != nil || rep.UnmappedOwnerGoals != 1 || !slices.Equal(rep.UnmappedOwnerExamples, []string{"888"}) {
			t.Errorf("report = %+v, %v", rep, err)
		}
	})
	t.Run("token without access", func(t *testing.T) {
		m := newMock(t, asanafake.Goal{GID: "1", OwnerGID: "501"})
		m.onRequest = func(string, string, *http.Request) (*http.Response, error) {
			return asanaError(403, "Forbidden"), nil
		}
		_, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), ada)
		if !errors.Is(err, asana.ErrForbidden) {
			t.Errorf("err = %v", err)
		}
	})
}

// MemoryStore refuses a write with no employee, a goal of another employee,
// without a GID or twice, or a status that is not one of the four, and a
// refused write changes nothing; Goals returns copies the caller cannot use
// to change the store.
func TestMemoryStore_WriteGoals_rejectsInconsistentWrites(t *testing.T) {
	s := goals.NewMemoryStore()
	seed(t, s, "e", goals.Goal{GID: "1", Name: "keep"})
	ok := status.OnTrack
	bad := []struct {
		w    goals.Write
		want string
	}{
		{goals.Write{EmployeeID: "", Goals: nil}, "no employee ID"},
		{goals.Write{EmployeeID: "e", Goals: []goals.Goal{{EmployeeID: "other", GID: "2", Status: ok}}, Complete: true}, "belongs to employee"},
		{goals.Write{EmployeeID: "e", Goals: []goals.Goal{{EmployeeID: "e", GID: "", Status: ok}}, Complete: true}, "has no GID"},
		{goals.Write{EmployeeID: "e", Goals: []goals.Goal{{EmployeeID: "e", GID: "3", Status: ok}, {EmployeeID: "e", GID: "3", Status: ok}}, Complete: true}, "appears twice"},
		{goals.Write{EmployeeID: "e", Goals: []goals.Goal{{EmployeeID: "e", GID: "4"}}, Complete: true}, `goal 4: status "" is not one of the four`},
		{goals.Write{EmployeeID: "e", Goals: []goals.Goal{{EmployeeID: "e", GID: "5", Status: "green"}}}, `status "green" is not one of the four`},
		{goals.Write{EmployeeID: "e", Goals: []goals.Goal{{EmployeeID: "e", GID: "6", Status: ok,
			KeyResults: []goals.KeyResult{{GoalGID: "6", GID: "61", Status: "done"}}}}}, `key result 61: status "done" is not one of the four`},
	}
	for i, tc := range bad {
		if err := s.WriteGoals(context.Background(), tc.w); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("write %d: err = %v, want one saying %q", i, err, tc.want)
		}
	}
	if got := stored(t, s, "e"); gidsOf(got) != "1" || got[0].Name != "keep" {
		t.Errorf("a refused write changed the store: %+v", got)
	}
	// Callers cannot reach into the store through returned slices.
	got := stored(t, s, "e")
	got[0].Name = "mutated"
	if stored(t, s, "e")[0].Name != "keep" {
		t.Error("Goals returned shared memory")
	}
}

// The report counts every request sent, every retry and every 429, and a 429
// that a retry gets past does not fail the employee.
func TestIngester_Sync_reportCountsRequestsRetriesAnd429s(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501"})
	var once sync.Once
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		var resp *http.Response
		if kind == m.listingKind() && gid == "2" {
			once.Do(func() {
				resp = asanaError(429, "You have made too many requests recently.")
				resp.Header.Set("Retry-After", "0.01")
			})
		}
		return resp, nil
	}
	rep, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	// One page, a probe of the spec's path, two listings, one retry.
	if rep.Requests != 5 || rep.Retries != 1 || rep.RateLimited != 1 {
		t.Errorf("requests/retries/429s = %d/%d/%d, want 5/1/1", rep.Requests, rep.Retries, rep.RateLimited)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Err != nil || e.GoalsKept != 2 {
		t.Errorf("a retried 429 must not fail the employee: %+v", e)
	}
}

// OnProgress is called once per page, once per ten sub-goal fetches, when
// the scan ends, as the writes start and at the end, and its counters and
// phases never go back.
func TestIngester_Sync_progressReports(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 250; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "G", OwnerGID: []string{"501", ""}[i%2]})
	}
	var got []goals.SyncProgress
	cfg := testConfig()
	cfg.OnProgress = func(p goals.SyncProgress) { got = append(got, p) }
	if _, err := runSync(t, newMock(t, ws...), goals.NewMemoryStore(), cfg, ada); err != nil {
		t.Fatal(err)
	}
	// One call per page, one per ten sub-goal fetches (125 kept: 12), one
	// when the scan ends, one as the writes start, one at the end.
	if len(got) != 3+12+3 {
		t.Fatalf("%d progress calls, want 18: %+v", len(got), got)
	}
	order := map[goals.Phase]int{goals.PhaseScanning: 0, goals.PhaseWalking: 1, goals.PhaseWriting: 2, goals.PhaseDone: 3}
	pageGoals := map[int]int{}
	for i, p := range got {
		if i > 0 {
			q := got[i-1]
			if order[p.Phase] < order[q.Phase] || p.PagesScanned < q.PagesScanned || p.GoalsScanned < q.GoalsScanned ||
				p.KeyResultGoalsDone < q.KeyResultGoalsDone {
				t.Errorf("progress went back: %+v after %+v", p, q)
			}
		}
		if _, seen := pageGoals[p.PagesScanned]; !seen {
			pageGoals[p.PagesScanned] = p.GoalsScanned
		}
	}
	for page, want := range map[int]int{1: 100, 2: 200, 3: 250} {
		if pageGoals[page] != want {
			t.Errorf("after page %d: %d goals scanned, want %d", page, pageGoals[page], want)
		}
	}
	// (The walk's calls are counted by the total above: a call reads the
	// counters when it runs, so another walker may have finished a fetch
	// in between, and its KeyResultGoalsDone need not be a multiple of ten.)
	if tail := got[len(got)-3:]; tail[0].Phase != "walking" || tail[1].Phase != "writing" || tail[2].Phase != "done" {
		t.Errorf("last phases = %s, %s, %s; want walking, writing, done", tail[0].Phase, tail[1].Phase, tail[2].Phase)
	}
	last := got[len(got)-1]
	if last.GoalsScanned != 250 || last.GoalsKept != 125 || last.KeyResultGoalsDone != 125 || last.PagesScanned != 3 {
		t.Errorf("final progress = %+v", last)
	}
}

// Validate refuses a config without a workspace as a *GoalsConfigError on
// WorkspaceGID and accepts one with it.
func TestConfig_Validate(t *testing.T) {
	var ce *goals.GoalsConfigError
	if err := (goals.Config{}).Validate(); !errors.As(err, &ce) || ce.Field != "WorkspaceGID" {
		t.Errorf("Validate() = %v", err)
	}
	if err := (goals.Config{WorkspaceGID: "1"}).Validate(); err != nil {
		t.Errorf("Validate() = %v for a good config", err)
	}
}

// Troubleshooting, "Sub-goals missing": only sub-goals linked through
// Asana's parent-goal relationship become Key Results, and the report names
// the path used. A goal that merely names a parent in a custom field is not
// one: Asana lists it under no goal's sub-goals.
func TestIngester_Sync_troubleshootingSubgoalsMissing(t *testing.T) {
	m := newMock(t,
		asanafake.Goal{GID: "1", Name: "Parent", OwnerGID: "501", SubgoalGIDs: []string{"2"}},
		asanafake.Goal{GID: "2", Name: "Linked sub-goal", OwnerGID: "502"},
		asanafake.Goal{GID: "3", Name: "Names 'Parent' in a custom field", OwnerGID: "502"},
	)
	store := goals.NewMemoryStore()
	rep, err := runSync(t, m, store, testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if got := krGIDs(stored(t, store, "emp-ada")[0]); got != "2" {
		t.Errorf("Key Results = %q, want only the linked sub-goal 2", got)
	}
	if rep.SubgoalPath != goals.PathGoalRelationships {
		t.Errorf("subgoal_source = %q", rep.SubgoalPath)
	}
}

// Troubleshooting, "Sync hits truncated: true": an employee owning more
// than 200 goals gets exactly the first 200, and the report says so.
func TestIngester_Sync_troubleshootingTruncated(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 201; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "G", OwnerGID: "501"})
	}
	store := goals.NewMemoryStore()
	rep, err := runSync(t, newMock(t, ws...), store, testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep)
	if !strings.Contains(string(b), `"goals_owned":201,"goals_kept":200,"key_results":0,"truncated":true`) {
		t.Errorf("report %s does not say 200 of 201 kept, truncated", b)
	}
	if gs := stored(t, store, "emp-ada"); len(gs) != 200 || gs[199].GID != "200" {
		t.Errorf("stored %d goals", len(gs))
	}
}

// Records Asana cannot have meant (no GID, no name) never blank stored rows
// or make a write complete.
func TestIngester_Sync_brokenRecordsDoNotBlankStoredData(t *testing.T) {
	tests := []struct {
		name string
		ws   []asanafake.Goal
		page string // the scan's answer, for a record no workspace holds
		want string
	}{
		{"goal without a name", []asanafake.Goal{{GID: "1", Name: "Fresh", OwnerGID: "501"}, {GID: "2", Name: "", OwnerGID: "501"}}, "",
			"goal 2 without a name"},
		{"goal without a GID", []asanafake.Goal{{GID: "1", Name: "Fresh", OwnerGID: "501"}},
			`{"data":[{"gid":"1","name":"Fresh","owner":{"gid":"501"}},{"gid":"","name":"Ghost","owner":{"gid":"501"}}],"next_page":null}`,
			"without a GID"},
		{"sub-goal without a name", []asanafake.Goal{{GID: "1", Name: "Fresh", OwnerGID: "501"}, {GID: "2", Name: "Two", OwnerGID: "501", SubgoalGIDs: []string{"9"}},
			{GID: "9", Name: ""}}, "", "sub-goal without a GID or a name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := goals.NewMemoryStore()
			seed(t, store, "emp-ada", goals.Goal{GID: "2", Name: "Stored two", Status: status.AtRisk}, goals.Goal{GID: "5", Name: "Stored five"})
			m := newMock(t, tc.ws...)
			if tc.page != "" {
				m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
					if kind == "pages" {
						return rawResp(200, tc.page), nil
					}
					return nil, nil
				}
			}
			rep, err := runSync(t, m, store, testConfig(), ada)
			if err != nil {
				t.Fatal(err)
			}
			e := employeeReport(t, rep, "emp-ada")
			if e.Written != goals.WrittenPartial || !strings.Contains(message(e.Err), tc.want) {
				t.Errorf("report = %+v, want partial with %q", e, tc.want)
			}
			gs := stored(t, store, "emp-ada")
			if gidsOf(gs) != "2,5,1" || gs[0].Name != "Stored two" || gs[2].Name != "Fresh" {
				t.Errorf("store = %+v; goal 2 must keep its stored row, 5 must stay, 1 must be upserted", gs)
			}
		})
	}
}

// A sub-goal the server lists twice for a goal is one Key Result, in the
// order first seen, through either the subgoals path or goal relationships.
func TestIngester_Sync_repeatedSubgoalIsOneKeyResult(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "P", OwnerGID: "501", SubgoalGIDs: []string{"9", "8"}},
		asanafake.Goal{GID: "9", Name: "Nine"}, asanafake.Goal{GID: "8", Name: "Eight"})
	// A workspace lists a sub-goal once: the repeat is the server's.
	for _, spec := range []bool{false, true} {
		body := `{"data":[{"gid":"9","name":"Nine"},{"gid":"8","name":"Eight"},{"gid":"9","name":"Nine"}],"next_page":null}`
		if !spec {
			rel := `{"gid":"r%s","resource_subtype":"subgoal","supporting_resource":{"gid":"%s","resource_type":"goal"}}`
			body = `{"data":[` + fmt.Sprintf(rel, "1", "9") + "," + fmt.Sprintf(rel, "2", "8") + "," + fmt.Sprintf(rel, "3", "9") + `],"next_page":null}`
		}
		m.specPath = spec
		m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
			if kind == m.listingKind() && gid == "1" {
				return rawResp(200, body), nil
			}
			return nil, nil
		}
		store := goals.NewMemoryStore()
		if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
			t.Fatal(err)
		}
		if got := krGIDs(stored(t, store, "emp-ada")[0]); got != "9,8" {
			t.Errorf("spec path %v: Key Results = %s, want 9,8", spec, got)
		}
	}
}

// SyncedAt is the time of the sync, in UTC, in whole microseconds: what
// every store keeps, so a goal reads back as it was written.
func TestIngester_Sync_syncedAtIsUTCMicroseconds(t *testing.T) {
	store := goals.NewMemoryStore()
	before := time.Now().Add(-time.Second)
	if _, err := runSync(t, newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}), store, goals.Config{WorkspaceGID: wsGID}, ada); err != nil {
		t.Fatal(err)
	}
	at := stored(t, store, "emp-ada")[0].SyncedAt
	if at.Location() != time.UTC || at.Nanosecond()%1000 != 0 || at.Before(before) || at.After(time.Now()) {
		t.Errorf("SyncedAt = %v, want now, in UTC, whole microseconds", at)
	}
}

// stored reads an employee's stored goals, failing the test on an error.
func stored(t *testing.T, r goals.Reader, employeeID string) []goals.Goal {
	t.Helper()
	gs, err := r.Goals(context.Background(), employeeID)
	if err != nil {
		t.Fatalf("Goals(%s): %v", employeeID, err)
	}
	return gs
}

// A goal that moves to an owner mapped to no employee while the scan runs
// (Ada's on page 1, an unmapped user's on page 2) has changed hands as
// much as one that moves to another employee: Ada does not keep it, and
// her list is not known whole, so her write is partial and removes
// nothing.
func TestIngester_Sync_goalMovedToUnmappedOwnerDuringScanLeavesTheFirstEmployee(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "Ada's", OwnerGID: "501"}, asanafake.Goal{GID: "5", Name: "Moving", OwnerGID: "999"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind != "pages" {
			return nil, nil
		}
		if req.URL.Query().Get("offset") == "" {
			return rawResp(200, `{"data":[{"gid":"1","name":"Ada's","owner":{"gid":"501"}},{"gid":"5","name":"Moving","owner":{"gid":"501"}}],"next_page":{"offset":"p2"}}`), nil
		}
		return rawResp(200, `{"data":[{"gid":"5","name":"Moving","owner":{"gid":"999"}}],"next_page":null}`), nil
	}
	store := goals.NewMemoryStore()
	seed(t, store, "emp-ada", goals.Goal{GID: "7", Name: "Stored", Status: status.OnTrack})
	rep, err := runSync(t, m, store, testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); got != "7,1" {
		t.Errorf("ada = %s, want 7 (kept) and 1; not 5", got)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenPartial || !errors.Is(e.Err, goals.ErrOwnerChanged) {
		t.Errorf("ada = %+v, want partial, Err matching ErrOwnerChanged", e)
	}
	if rep.OwnerChanges != 1 {
		t.Errorf("owner_changes = %d, want 1", rep.OwnerChanges)
	}
}

// A sync that kept no goal asked for no sub-goal: its report says
// subgoal_source "none", and it sent no probe.
func TestIngester_Sync_keptNothingReportsNoSubgoalSource(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "Someone else's", OwnerGID: "999", SubgoalGIDs: []string{"2"}},
		asanafake.Goal{GID: "2", Name: "Theirs too", OwnerGID: "999"})
	rep, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SubgoalPath != "none" {
		t.Errorf("subgoal_source = %q, want \"none\": no goal was kept", rep.SubgoalPath)
	}
	if n := m.count("subgoals") + m.count("relationships"); n != 0 {
		t.Errorf("%d sub-goal requests for no kept goal", n)
	}
}

// Report.Retries counts retried requests and Report.RateLimited the 429
// answers, each on its own: a 500 retried and a 429 retried are two
// retries and one 429.
func TestIngester_Sync_reportKeepsRetriesAndRateLimitedApart(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501"})
	var once429, once500 sync.Once
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		var resp *http.Response
		if kind == m.listingKind() && gid == "2" {
			once429.Do(func() {
				resp = asanaError(429, "You have made too many requests recently.")
				resp.Header.Set("Retry-After", "0.01")
			})
		}
		if kind == "pages" {
			once500.Do(func() { resp = asanaError(500, "Server Error") })
		}
		return resp, nil
	}
	rep, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	// One page tried twice, a probe of the spec's path, two listings, one
	// of them tried twice.
	if rep.Requests != 6 || rep.Retries != 2 || rep.RateLimited != 1 {
		t.Errorf("requests/retries/429s = %d/%d/%d, want 6/2/1", rep.Requests, rep.Retries, rep.RateLimited)
	}
}

// A scanned record whose GID, or whose owner's GID, is not written as an
// Asana GID (digits) is malformed, as an unreadable record is: counted,
// its stored copy left as it was, every employee's write partial, the rest
// synced. It is never a goal of an unmapped owner, which would let every
// employee be written complete (and their stored goals be removed) while a
// goal that might be theirs went unread.
func TestIngester_Sync_recordsWithoutAsanaGIDsAreMalformed(t *testing.T) {
	long := strings.Repeat("1", asana.MaxGIDDigits+1)
	for _, tc := range []struct{ name, record, quoted string }{
		{"owner gid a word", `{"gid":"77","name":"Whose?","owner":{"gid":"ada"}}`, "77"},
		{"owner gid with letters", `{"gid":"77","name":"Whose?","owner":{"gid":"50a1"}}`, "77"},
		{"owner gid with a space", `{"gid":"77","name":"Whose?","owner":{"gid":" 501"}}`, "77"},
		{"owner gid too long", `{"gid":"77","name":"Whose?","owner":{"gid":"` + long + `"}}`, "77"},
		{"goal gid a word", `{"gid":"goal-77","name":"Odd","owner":{"gid":"501"}}`, ""},
		{"goal gid a uuid", `{"gid":"3f2b8c1e-9d4a-4e6b-8a57-0c1d2e3f4a5b","name":"Odd","owner":{"gid":"999"}}`, ""},
		{"goal gid negative", `{"gid":"-77","name":"Odd","owner":{"gid":"502"}}`, ""},
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
			if rep.MalformedRecords != 1 || rep.UnmappedOwnerGoals != 0 || len(rep.UnmappedOwnerExamples) != 0 {
				t.Errorf("malformed = %d, unmapped owner goals = %d %v; want 1 malformed, no stranger's goal",
					rep.MalformedRecords, rep.UnmappedOwnerGoals, rep.UnmappedOwnerExamples)
			}
			if got := strings.Join(rep.MalformedRecordGIDs, ","); got != tc.quoted {
				t.Errorf("malformed record GIDs %q, want %q: only a GID written as one is quoted", got, tc.quoted)
			}
			for _, e := range rep.Employees {
				if e.Written != goals.WrittenPartial || !errors.Is(e.Err, asana.ErrMalformedResponse) {
					t.Errorf("%s = %+v, want partial, Err matching asana.ErrMalformedResponse", e.EmployeeID, e)
				}
			}
			if a, b := gidsOf(stored(t, store, "emp-ada")), gidsOf(stored(t, store, "emp-brian")); a != "100,1" || b != "200,2" {
				t.Errorf("ada = %s, brian = %s: stored goals must stay, fresh ones be added", a, b)
			}
		})
	}
}

// A workspace whose every ID is a random string, as a mock generating
// schema-valid answers sends: no goal is anyone's, and no employee is
// written complete with no goals.
func TestIngester_Sync_workspaceOfRandomIDsWritesNobodyComplete(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "Ada's", OwnerGID: "501"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == "pages" {
			return rawResp(200, `{"data":[{"gid":"12345","name":"Grow","owner":{"gid":"string"}},`+
				`{"gid":"string","name":"Grow","owner":{"gid":"12345"}},`+
				`{"gid":"b3f1","name":"Grow","owner":{"gid":"a9c2"}}],"next_page":null}`), nil
		}
		return nil, nil
	}
	store := goals.NewMemoryStore()
	seedN(t, store, "emp-ada", 100, 2)
	rep, err := runSync(t, m, store, testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if rep.MalformedRecords != 3 || rep.UnmappedOwnerGoals != 0 {
		t.Errorf("malformed = %d, unmapped owner goals = %d; want 3 and 0", rep.MalformedRecords, rep.UnmappedOwnerGoals)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written == goals.WrittenComplete || e.Err == nil {
		t.Errorf("ada = %+v, want not complete, with the malformed records named", e)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); got != "100,101" {
		t.Errorf("stored = %s, want 100,101 as they were", got)
	}
}

// A sub-goal whose GID is not an Asana GID is a broken answer, as one
// without a GID is: that goal is not written, the rest are.
func TestIngester_Sync_subgoalWithoutAnAsanaGIDFailsThatGoal(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501"})
	m.specPath = true
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == "subgoals" && gid == "1" {
			return rawResp(200, `{"data":[{"gid":"kr-one","name":"KR"}],"next_page":null}`), nil
		}
		return nil, nil
	}
	store := goals.NewMemoryStore()
	rep, err := runSync(t, m, store, testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenPartial || !strings.Contains(message(e.Err), `not an Asana GID (gid "kr-one")`) {
		t.Errorf("ada = %+v, want partial naming the sub-goal", e)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); got != "2" {
		t.Errorf("stored = %s, want goal 2 alone", got)
	}
}

// When Asana refuses the status update's status_type (Prism, which
// enforces Asana's published opt_fields lists, answers 400), the sync
// continues: the request is sent again without it, no later request asks
// for it, every status comes from the goal's own status field, and the
// report says so (status_source "goal_status", with a note). On both
// sub-goal paths, Key Results and sub-goals fetched alone included.
func TestIngester_Sync_refusedStatusTypeFallsBackToTheGoalStatus(t *testing.T) {
	for _, spec := range []bool{false, true} {
		t.Run(map[bool]string{false: "goal relationships", true: "spec's path"}[spec], func(t *testing.T) {
			ws := goalStatusWorkspace()
			for i := range ws {
				if ws[i].GID == "13" {
					ws[i].Unlisted = true // fetched alone on the relationships path
				}
			}
			m := newMock(t, ws...)
			m.specPath = spec
			m.refuseStatusType = true
			store := goals.NewMemoryStore()
			rep, err := runSync(t, m, store, testConfig(), ada)
			if err != nil {
				t.Fatalf("Sync: %v; a refused status field must not stop the sync", err)
			}
			if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenComplete || e.Err != nil {
				t.Errorf("ada = %+v, want complete", e)
			}
			if rep.StatusSource != goals.StatusFromGoal || !strings.Contains(rep.StatusSourceNote, asana.StatusTypeField) {
				t.Errorf("status_source %q (%q), want goal_status with a note naming the field", rep.StatusSource, rep.StatusSourceNote)
			}
			gs := stored(t, store, "emp-ada")
			if gidsOf(gs) != "1,2,3,4,5,6" || krGIDs(gs[0]) != "11,12,13" {
				t.Fatalf("stored %s with key results %s", gidsOf(gs), krGIDs(gs[0]))
			}
			// Goal 1 and Key Result 12 had status updates; without their
			// status type, their own status fields speak.
			want := map[string]wantStatus{
				"1": {status.OffTrack, "red", goals.StatusFromGoal}, "2": {status.OffTrack, "red", goals.StatusFromGoal},
				"3": {status.OnTrack, "green", goals.StatusFromGoal}, "4": {status.Completed, "achieved", goals.StatusFromGoal},
				"5": {status.OnTrack, "", goals.StatusFromNone}, "6": {status.OnTrack, "purple", goals.StatusFromGoal},
				"11": {status.AtRisk, "yellow", goals.StatusFromGoal}, "12": {status.OnTrack, "green", goals.StatusFromGoal},
				"13": {status.OnTrack, "", goals.StatusFromNone},
			}
			check := func(gid string, got wantStatus) {
				if got != want[gid] {
					t.Errorf("goal %s: status %+v, want %+v", gid, got, want[gid])
				}
			}
			for _, g := range gs {
				check(g.GID, wantStatus{g.Status, g.RawStatus, g.StatusSource})
			}
			for _, kr := range gs[0].KeyResults {
				check(kr.GID, wantStatus{kr.Status, kr.RawStatus, kr.StatusSource})
			}
			// One refused request (the scan's first page), then none.
			var asked int
			for _, kind := range []string{"pages", "subgoals", "goal"} {
				for _, f := range m.optFields(kind) {
					if strings.Contains(f, asana.StatusTypeField) {
						asked++
					}
				}
			}
			if asked != 1 {
				t.Errorf("%d requests asked for %s, want 1: the refused one", asked, asana.StatusTypeField)
			}
			if m.count("pages") != 2 {
				t.Errorf("%d scan requests, want 2: the refused page and its second try", m.count("pages"))
			}
		})
	}
}

// A sync whose status update's status_type Asana sends says so too:
// status_source "status_update", no note.
func TestIngester_Sync_statusSourceOfAnOrdinarySync(t *testing.T) {
	m := newMock(t, goalStatusWorkspace()...)
	rep, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if rep.StatusSource != goals.StatusFromUpdate || rep.StatusSourceNote != "" {
		t.Errorf("status_source %q (%q), want status_update without a note", rep.StatusSource, rep.StatusSourceNote)
	}
	b, _ := json.Marshal(rep)
	if !strings.Contains(string(b), `"status_source":"status_update"`) || strings.Contains(string(b), "status_source_note") {
		t.Errorf("report JSON %s", b)
	}
}

// A 2xx answer without its list is malformed, never "no goals": the sync
// fails and nothing stored is removed or changed.
func TestIngester_Sync_scanAnswerWithoutListRemovesNothing(t *testing.T) {
	for _, body := range []string{`{"data":null}`, `{}`, `{"errors":[{"message":"Server busy"}]}`, `{"data":{}}`, `[]`} {
		for _, page := range []string{"first", "second"} {
			t.Run(page+" page "+body, func(t *testing.T) {
				m := newMock(t, append(wsOwned("501", 1, 150), wsOwned("502", 200, 2)...)...)
				m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
					if kind == "pages" && (req.URL.Query().Get("offset") != "") == (page == "second") {
						return rawResp(200, body), nil
					}
					return nil, nil
				}
				store := goals.NewMemoryStore()
				seedN(t, store, "emp-ada", 1000, 3)
				seedN(t, store, "emp-brian", 2000, 2)
				rep, err := runSync(t, m, store, testConfig(), ada, brian)
				if !errors.Is(err, asana.ErrMalformedResponse) {
					t.Fatalf("err = %v, want ErrMalformedResponse", err)
				}
				if n := m.count("pages"); n < 2+boolInt(page == "second") {
					t.Errorf("%d page requests: a malformed answer must be retried", n)
				}
				if got := gidsOf(stored(t, store, "emp-brian")); got != "2000,2001" {
					t.Errorf("brian = %s: a malformed answer removed stored goals", got)
				}
				a := stored(t, store, "emp-ada")
				if len(a) < 3 || gidsOf(a[:3]) != "1000,1001,1002" {
					t.Errorf("ada = %s: stored goals must all stay", gidsOf(a))
				}
				for _, e := range rep.Employees {
					if e.Written == goals.WrittenComplete {
						t.Errorf("%s written complete after a malformed scan", e.EmployeeID)
					}
				}
			})
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A refused token or plan on any request stops the whole sync: no request
// after it is known, nothing written, an error that matches the sentinel.
func TestIngester_Sync_refusedTokenStopsTheSync(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		sentinel error
		where    string
	}{
		{"401 on sub-goals", 401, asana.ErrUnauthorized, "subgoals"},
		{"402 on sub-goals", 402, asana.ErrPaymentRequired, "subgoals"},
		{"401 on goal relationships", 401, asana.ErrUnauthorized, "relationships"},
		{"401 on page 2", 401, asana.ErrUnauthorized, "pages"},
	} {
		// The first 401 closes the client (TestGate_refusedTokenSendsNothingMore
		// in package asana pins that no request passes it after) and stops
		// the sync. Requests that passed just before still arrive, and how
		// many depends on the scheduler: between the mock's answer and the
		// transport reading it, a goroutine can be held for milliseconds
		// under the race detector (up to a few dozen requests seen). What
		// is pinned here is the defect: hammering sends one request per kept
		// goal, 1,000 here; a tenth of that fails the test.
		for _, c := range []struct{ concurrency, after int }{{1, 100}, {8, 100}} {
			t.Run(fmt.Sprintf("%s, %d walkers", tc.name, c.concurrency), func(t *testing.T) {
				m := newMock(t, wsOwned("501", 1, 1000)...)
				var total, after atomic.Int64
				var refused atomic.Bool
				m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
					total.Add(1)
					if refused.Load() {
						after.Add(1)
					}
					if kind == tc.where && (kind != "pages" || req.URL.Query().Get("offset") != "") {
						refused.Store(true)
						return asanaError(tc.status, "Not Authorized"), nil
					}
					return nil, nil
				}
				store := goals.NewMemoryStore()
				seedN(t, store, "emp-ada", 1, 3) // names "Stored"
				cfg := testConfig()
				cfg.Concurrency = c.concurrency
				rep, err := runSync(t, m, store, cfg, ada)
				if !errors.Is(err, tc.sentinel) {
					t.Fatalf("err = %v, want errors.Is %v", err, tc.sentinel)
				}
				if n := after.Load(); n > int64(c.after) {
					t.Errorf("%d requests after the first refusal (of %d); a refused token must not be hammered", n, total.Load())
				}
				if gs := stored(t, store, "emp-ada"); gidsOf(gs) != "1,2,3" || gs[0].Name != "Stored" {
					t.Errorf("store changed: %s", gidsOf(gs))
				}
				if rep == nil || rep.Error == "" {
					t.Errorf("report = %+v, want Error", rep)
				}
			})
		}
	}
}

// A sync needs a store to write to and read back from: without one (a nil
// interface or a typed nil) it is a configuration error naming the store,
// before any request. A store that cannot read back is no goals.Store at
// all, so that mistake does not compile.
func TestIngester_Sync_nilStore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store goals.Store
	}{
		{"nil", nil},
		{"typed nil", (*goals.MemoryStore)(nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, wsOwned("501", 1, 1)...)
			_, err := runSync(t, m, tc.store, testConfig(), ada)
			var ce *goals.GoalsConfigError
			if !errors.As(err, &ce) || ce.Field != "store" {
				t.Fatalf("err = %v, want a GoalsConfigError about the store", err)
			}
			if m.total() != 0 {
				t.Errorf("%d requests before the configuration error", m.total())
			}
		})
	}
}

// A goal that a shifting page boundary repeats on two pages is stored and
// counted once, and its sub-goals fetched once.
func TestIngester_Sync_goalRepeatedOnTwoPagesIsOneGoal(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501"}, asanafake.Goal{GID: "3", Name: "C", OwnerGID: "501"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind != "pages" {
			return nil, nil
		}
		g := `{"gid":"%s","name":"%s","owner":{"gid":"501"}}`
		if req.URL.Query().Get("offset") == "" {
			return rawResp(200, `{"data":[`+fmt.Sprintf(g, "1", "A")+`,`+fmt.Sprintf(g, "2", "B")+`],"next_page":{"offset":"p2"}}`), nil
		}
		return rawResp(200, `{"data":[`+fmt.Sprintf(g, "2", "B")+`,`+fmt.Sprintf(g, "3", "C")+`],"next_page":null}`), nil
	}
	store := goals.NewMemoryStore()
	rep, err := runSync(t, m, store, testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); got != "1,2,3" {
		t.Errorf("stored = %s, want 1,2,3", got)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.GoalsOwned != 3 || e.GoalsKept != 3 || e.Written != goals.WrittenComplete {
		t.Errorf("ada = %+v, want 3 owned, 3 kept, complete", e)
	}
	if n := m.count("relationships"); n != 3 {
		t.Errorf("%d sub-goal listings, want 3", n)
	}
}

// A cancel that lands after some goals were fully fetched still writes
// nothing: with one walker, goals 1..19 are done when 20's request cancels.
func TestIngester_Sync_cancelAfterSomeGoalsWritesNothing(t *testing.T) {
	m := newMock(t, wsOwned("501", 1, 50)...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == "relationships" && gid == "20" {
			cancel()
			<-req.Context().Done()
			return nil, req.Context().Err()
		}
		return nil, nil
	}
	store := goals.NewMemoryStore()
	seedN(t, store, "emp-ada", 1, 2) // names "Stored"
	cfg := testConfig()
	cfg.Concurrency = 1
	rep, err := goals.NewIngester(m.newClient(t), store, cfg).Sync(ctx, []goals.Employee{ada})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := m.count("relationships"); n != 20 {
		t.Errorf("%d sub-goal requests, want 20 (19 done before the cancel)", n)
	}
	if gs := stored(t, store, "emp-ada"); gidsOf(gs) != "1,2" || gs[0].Name != "Stored" {
		t.Errorf("a cancelled sync wrote: %+v", gs)
	}
	if len(rep.Employees) != 0 && rep.Employees[0].Written != goals.WrittenNone {
		t.Errorf("report = %+v", rep.Employees)
	}
}

// The scan's progress moves with every page, empty ones too.
func TestIngester_Sync_progressCountsEmptyPages(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind != "pages" {
			return nil, nil
		}
		switch req.URL.Query().Get("offset") {
		case "":
			return rawResp(200, `{"data":[],"next_page":{"offset":"a"}}`), nil
		case "a":
			return rawResp(200, `{"data":[],"next_page":{"offset":"b"}}`), nil
		}
		return rawResp(200, `{"data":[{"gid":"1","name":"A","owner":{"gid":"501"}}],"next_page":null}`), nil
	}
	var pages []int
	cfg := testConfig()
	cfg.OnProgress = func(p goals.SyncProgress) {
		if p.Phase == "scanning" {
			pages = append(pages, p.PagesScanned)
		}
	}
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, cfg, ada); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(pages) != "[1 2 3]" {
		t.Errorf("scanning progress pages = %v, want [1 2 3]", pages)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); got != "1" {
		t.Errorf("stored = %s: goals after empty pages must arrive", got)
	}
}

// A refusal met by the workspace scan itself stops the sync, even when every
// goal read before it was walked whole and no walker met the refusal: no
// write, not even an upsert of the goals already fetched.
func TestIngester_Sync_refusalOnALaterPageWritesNothing(t *testing.T) {
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

// A sync cancelled once the fetch is over but before the writes touches the
// store no more: no read for the removal guard, no write, whatever the
// store does with the context.
func TestIngester_Sync_cancelBeforeTheWritesLeavesTheStoreAlone(t *testing.T) {
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

// While the scan still runs, every walker has a sub-goal listing of its
// own: with 8 walkers and 8 goals waiting, 8 listings are in flight at
// once (virtual time: the scan's next page waits a second, long enough for
// every walker to have taken a goal).
func TestIngester_Sync_walkersListSubgoalsInParallel(t *testing.T) {
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
func TestIngester_Sync_walkersTakeNoGoalAfterARefusal(t *testing.T) {
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

// A goal and a sub-goal with every field the library reads from Asana
// become a stored goal with every field of goals.Goal and its Key Result
// set, on both sub-goal paths: a field added to goals.Goal or
// goals.KeyResult that a sync does not fill fails here.
func TestIngester_Sync_fillsEveryFieldOfAStoredGoal(t *testing.T) {
	q3 := &asanafake.TimePeriod{GID: "7003", DisplayName: "Q3 FY26", Period: "Q3", StartOn: "2026-07-01", EndOn: "2026-09-30"}
	metric := &asanafake.Metric{Unit: "currency", CurrencyCode: "EUR", InitialNumberValue: 1, CurrentNumberValue: 2, TargetNumberValue: 3}
	for _, spec := range []bool{false, true} {
		m := newMock(t,
			asanafake.Goal{GID: "1", Name: "Every field", OwnerGID: "501", HTMLNotes: "<body>notes</body>", StartOn: "2026-07-01",
				DueOn: "2026-09-30", StatusType: "at_risk", TimePeriod: q3, Metric: metric, SubgoalGIDs: []string{"2"}},
			asanafake.Goal{GID: "2", Name: "Sub", DueOn: "2026-08-31", StatusType: "on_track", Metric: metric},
		)
		m.specPath = spec
		store := goals.NewMemoryStore()
		if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
			t.Fatal(err)
		}
		if unset := fieldtest.Unset(stored(t, store, "emp-ada")); len(unset) > 0 {
			t.Errorf("spec path %v: the stored goal leaves %q unset: the sync does not fill them", spec, unset)
		}
	}
}

// Asana-Change headers reach the report through the
// client, each change once, and are logged once per client.
func TestIngester_Sync_asanaChangesReachTheReport(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501", SubgoalGIDs: []string{"2"}}, asanafake.Goal{GID: "2", Name: "B"})
	m.header = http.Header{"Asana-Change": {
		"name=new_goal_memberships;info=https://asana.com/developers/docs/change-1;affected=true",
		"name=string_ids;info=https://asana.com/developers/docs/change-2, name=new_goal_memberships;info=https://asana.com/x",
	}}
	var logs bytes.Buffer
	client := m.newClient(t, asana.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	ing := goals.NewIngester(client, goals.NewMemoryStore(), testConfig())
	for range 2 {
		rep, err := ing.Sync(t.Context(), []goals.Employee{ada})
		if err != nil {
			t.Fatal(err)
		}
		want := []asana.Change{
			{Name: "new_goal_memberships", Info: "https://asana.com/developers/docs/change-1", Affected: true, Path: "/goals"},
			{Name: "string_ids", Info: "https://asana.com/developers/docs/change-2", Path: "/goals"},
		}
		if !slices.Equal(rep.AsanaChanges, want) {
			t.Errorf("report changes = %+v, want %+v", rep.AsanaChanges, want)
		}
	}
	if n := strings.Count(logs.String(), "level=WARN msg=\"asana: Asana announced a breaking change\""); n != 2 {
		t.Errorf("%d warnings for 2 changes over 2 syncs and many requests:\n%s", n, logs.String())
	}
}

// A source that does not report changes leaves the list empty, not null.
func TestIngester_Sync_noAsanaChangeIsAnEmptyList(t *testing.T) {
	rep, err := runSync(t, newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}), goals.NewMemoryStore(), testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep)
	if !strings.Contains(string(b), `"asana_changes":[]`) {
		t.Errorf("report JSON %s", b)
	}
}

// A sync scoped to a review window keeps and walks only the goals in it
// (by time period, else by dates; a goal with no dates is in); stored goals
// the scan returned outside it take their own fields from the scan and keep
// their Key Results, in Asana's order; a stored goal the scan did not
// return at all is removed; the report says the window, what was outside
// and the requests saved.
func TestIngester_Sync_scopedKeepsOnlyTheWindow(t *testing.T) {
	m := newMock(t,
		asanafake.Goal{GID: "1", Name: "Q1 goal", OwnerGID: "501", TimePeriod: periodOf("q1", "2026-01-01", "2026-03-31"), SubgoalGIDs: []string{"9"}},
		asanafake.Goal{GID: "2", Name: "FY25 goal", OwnerGID: "501", TimePeriod: periodOf("fy25", "2025-01-01", "2025-12-31"), SubgoalGIDs: []string{"9"}},
		asanafake.Goal{GID: "3", Name: "Dated in H1", OwnerGID: "501", StartOn: "2026-05-01", DueOn: "2026-08-31"},
		asanafake.Goal{GID: "4", Name: "Dated in 2027", OwnerGID: "501", StartOn: "2027-01-01", DueOn: "2027-03-31"},
		asanafake.Goal{GID: "5", Name: "No dates", OwnerGID: "501"},
		asanafake.Goal{GID: "6", Name: "FY26, H1 by period though due later", OwnerGID: "501", DueOn: "2026-12-31", TimePeriod: periodOf("fy26", "2026-01-01", "2026-12-31")},
		asanafake.Goal{GID: "9", Name: "Sub-goal of another year", TimePeriod: periodOf("fy24", "2024-01-01", "2024-12-31")},
	)
	store := goals.NewMemoryStore()
	storedFY25 := goals.Goal{GID: "2", Name: "FY25 goal as reviewed last year", Status: status.Completed, RawStatus: "achieved",
		StatusSource: goals.StatusFromUpdate, KeyResults: []goals.KeyResult{{GoalGID: "2", GID: "8", Name: "old KR", Status: status.OnTrack}}}
	seed(t, store, "emp-ada", storedFY25,
		goals.Goal{GID: "4", Name: "2027 as stored", Status: status.AtRisk},
		goals.Goal{GID: "7", Name: "Deleted in Asana", Status: status.OnTrack})
	cfg := testConfig()
	cfg.Period = h1FY26
	rep, err := runSync(t, m, store, cfg, ada)
	if err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	if got := gidsOf(gs); got != "1,2,3,4,5,6" {
		t.Fatalf("stored = %s, want 1,3,5,6 written and 2 and 4 (outside) kept, in Asana's order; 7 (not in Asana) removed", got)
	}
	if krGIDs(gs[0]) != "9" {
		t.Errorf("goal 1's Key Results = %s: a sub-goal of any period is a Key Result", krGIDs(gs[0]))
	}
	if fy25 := gs[1]; fy25.Name != "FY25 goal" || fy25.TimePeriod == nil || fy25.TimePeriod.GID != "fy25" || krGIDs(fy25) != "8" {
		t.Errorf("goal 2 = %+v, want the scan's name and time period, and its stored Key Result 8", fy25)
	}
	if y2027 := gs[3]; y2027.Name != "Dated in 2027" || y2027.Status != status.OnTrack || y2027.DueOn.String() != "2027-03-31" {
		t.Errorf("goal 4 = %+v, want the scan's name, status and dates", y2027)
	}
	if n := m.count("relationships"); n != 4 {
		t.Errorf("%d sub-goal listings, want 4 (goals 1, 3, 5, 6): none outside the window", n)
	}
	e := employeeReport(t, rep, "emp-ada")
	if e.Written != goals.WrittenComplete || e.GoalsOwned != 6 || e.GoalsKept != 4 || e.GoalsOutsidePeriod != 2 {
		t.Errorf("ada = %+v, want complete, 6 owned, 4 kept, 2 outside", e)
	}
	if rep.Period != "2026-01-01..2026-06-30" || rep.GoalsOutsidePeriod != 2 || rep.RequestsSaved != 2 {
		b, _ := json.Marshal(rep)
		t.Errorf("report = %s, want the window, 2 goals outside, 2 requests saved", b)
	}
}

// The per-employee cap counts the goals in the window only, in Asana's
// order: 30 goals of last year before 200 of this half do not crowd any
// out.
func TestIngester_Sync_scopedCapCountsGoalsInTheWindow(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 30; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "Old", OwnerGID: "501", DueOn: "2025-06-30"})
	}
	for i := 31; i <= 230; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "Now", OwnerGID: "501", DueOn: "2026-03-31"})
	}
	cfg := testConfig()
	cfg.Period = h1FY26
	store := goals.NewMemoryStore()
	rep, err := runSync(t, newMock(t, ws...), store, cfg, ada)
	if err != nil {
		t.Fatal(err)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Truncated || e.GoalsKept != 200 || e.GoalsOutsidePeriod != 30 {
		t.Errorf("ada = %+v, want 200 kept, not truncated, 30 outside", e)
	}
	if gs := stored(t, store, "emp-ada"); len(gs) != 200 || gs[0].GID != "31" {
		t.Errorf("stored %d goals from %s, want the 200 of the window", len(gs), gs[0].GID)
	}
	if rep.RequestsSaved != 0 {
		t.Errorf("requests saved = %d: an unscoped sync would also have listed 200", rep.RequestsSaved)
	}
}

// Progress of a scoped sync counts only the goals in the window: the goals
// kept, and so the requests left and the time left.
func TestIngester_Sync_scopedProgressCountsTheWindow(t *testing.T) {
	var ws []asanafake.Goal
	for i := 1; i <= 30; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "Old", OwnerGID: "501", DueOn: "2025-06-30"})
	}
	for i := 31; i <= 40; i++ {
		ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "Now", OwnerGID: "501", DueOn: "2026-03-31"})
	}
	cfg := testConfig()
	cfg.Period = h1FY26
	var got []goals.SyncProgress
	cfg.OnProgress = func(p goals.SyncProgress) { got = append(got, p) }
	if _, err := runSync(t, newMock(t, ws...), goals.NewMemoryStore(), cfg, ada); err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		if p.GoalsKept > 10 || p.RequestsLeft() > 11 {
			t.Errorf("progress %+v counts goals outside the window (kept %d, requests left %d)", p, p.GoalsKept, p.RequestsLeft())
		}
	}
	if last := got[len(got)-1]; last.GoalsKept != 10 || last.KeyResultGoalsDone != 10 {
		t.Errorf("last progress = %+v, want the 10 goals of the window kept and walked", last)
	}
}

// Progress carries the client's figures, so a host can show the rate, a
// pause and an estimate of the time left; in virtual time the figures are
// exact.
func TestIngester_Sync_progressCarriesRateAndETA(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMock(t, wsOwned("501", 1, 150)...)
		var pages atomic.Int32
		m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
			if kind == "pages" && pages.Add(1) == 2 {
				r := asanaError(429, "Too many requests")
				r.Header.Set("Retry-After", "30")
				return r, nil
			}
			return nil, nil
		}
		var got []goals.SyncProgress
		cfg := testConfig()
		cfg.OnProgress = func(p goals.SyncProgress) { got = append(got, p) }
		client := m.newClient(t, asana.WithRequestsPerMinute(600), asana.WithMaxRetries(2)) // 594 a minute
		rep, err := goals.NewIngester(client, goals.NewMemoryStore(), cfg).Sync(t.Context(), []goals.Employee{ada})
		if err != nil {
			t.Fatal(err)
		}
		first := got[0] // after page 1: 100 goals kept, some walked
		if first.Phase != "scanning" || first.RequestsPerMinute != 594 || first.Requests < 1 {
			t.Errorf("first progress = %+v, want the client's rate and requests", first)
		}
		// Page 2 is asked for while page 1 is read, so its 429's pause may
		// already be in force: the ETA counts it.
		if eta, ok := first.ETA(); !ok || eta != first.Paused+time.Duration(float64(first.RequestsLeft())/594*float64(time.Minute)) {
			t.Errorf("ETA = %s, %v for %d requests left at 594/min and a pause of %s", eta, ok, first.RequestsLeft(), first.Paused)
		}
		if want := first.GoalsKept - first.KeyResultGoalsDone + 1; first.RequestsLeft() != want {
			t.Errorf("RequestsLeft = %d, want %d (walks left plus a page)", first.RequestsLeft(), want)
		}
		last := got[len(got)-1]
		if last.Phase != "done" || last.Requests != rep.Requests || last.RateLimited != 1 || last.RequestsLeft() != 0 {
			t.Errorf("last progress = %+v (report %d requests)", last, rep.Requests)
		}
	})
}

// A Retry-After longer than the client waits ends the sync at once: no
// request after it, nothing written, an error that says how long.
func TestIngester_Sync_longRetryAfterStopsTheSync(t *testing.T) {
	// As for a refused token (TestIngester_Sync_refusedTokenStopsTheSync): requests let
	// through before the 429 was read may arrive, never one per goal.
	for _, c := range []struct{ concurrency, after int }{{1, 100}, {8, 100}} {
		t.Run(fmt.Sprint(c.concurrency), func(t *testing.T) {
			m := newMock(t, wsOwned("501", 1, 1000)...)
			var total, after atomic.Int32
			var limited atomic.Bool
			m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
				total.Add(1)
				if limited.Load() {
					after.Add(1)
				}
				if kind == m.listingKind() && gid == "5" {
					limited.Store(true)
					r := asanaError(429, "Too many requests")
					r.Header.Set("Retry-After", "3600")
					return r, nil
				}
				return nil, nil
			}
			store := goals.NewMemoryStore()
			seedN(t, store, "emp-ada", 1, 2)
			cfg := testConfig()
			cfg.Concurrency = c.concurrency
			_, err := runSync(t, m, store, cfg, ada)
			if !errors.Is(err, asana.ErrWaitTooLong) || !strings.Contains(err.Error(), "1h0m0s") {
				t.Fatalf("err = %v, want ErrWaitTooLong saying an hour", err)
			}
			if n := after.Load(); n > int32(c.after) {
				t.Errorf("%d requests (of %d) after the long Retry-After; only those already let through may follow", n, total.Load())
			}
			if gs := stored(t, store, "emp-ada"); gidsOf(gs) != "1,2" || gs[0].Name != "Stored" {
				t.Errorf("store changed: %+v", gs)
			}
		})
	}
}

// A goal whose owner changes while the scan runs (on page 1 Ada's, on page
// 2 Brian's) is routed once: it is stored under neither employee by this
// sync, both are written partial (nothing removed), and the report counts
// it. It is never stored under both.
func TestIngester_Sync_ownerChangedDuringScanIsStoredUnderNeither(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "Ada's", OwnerGID: "501"}, asanafake.Goal{GID: "5", Name: "Moving", OwnerGID: "502"},
		asanafake.Goal{GID: "2", Name: "Brian's", OwnerGID: "502"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind != "pages" {
			return nil, nil
		}
		if req.URL.Query().Get("offset") == "" {
			return rawResp(200, `{"data":[{"gid":"1","name":"Ada's","owner":{"gid":"501"}},{"gid":"5","name":"Moving","owner":{"gid":"501"}}],"next_page":{"offset":"p2"}}`), nil
		}
		return rawResp(200, `{"data":[{"gid":"5","name":"Moving","owner":{"gid":"502"}},{"gid":"2","name":"Brian's","owner":{"gid":"502"}}],"next_page":null}`), nil
	}
	store := goals.NewMemoryStore()
	seed(t, store, "emp-ada", goals.Goal{GID: "7", Name: "Stored", Status: status.OnTrack})
	seed(t, store, "emp-brian", goals.Goal{GID: "8", Name: "Stored", Status: status.OnTrack})
	rep, err := runSync(t, m, store, testConfig(), ada, brian)
	if err != nil {
		t.Fatal(err)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); got != "7,1" {
		t.Errorf("ada = %s, want 7 (kept) and 1; not 5", got)
	}
	if got := gidsOf(stored(t, store, "emp-brian")); got != "8,2" {
		t.Errorf("brian = %s, want 8 (kept) and 2; not 5", got)
	}
	for _, id := range []string{"emp-ada", "emp-brian"} {
		if e := employeeReport(t, rep, id); e.Written != goals.WrittenPartial || !strings.Contains(message(e.Err), "changed owner") ||
			!errors.Is(e.Err, goals.ErrOwnerChanged) {
			t.Errorf("%s = %+v, want partial saying a goal changed owner, Err matching ErrOwnerChanged", id, e)
		}
	}
	if rep.OwnerChanges != 1 {
		t.Errorf("owner_changes = %d, want 1", rep.OwnerChanges)
	}
}

// A record the client cannot read (a date that is no date, a number sent
// as a string, a time period that ends before it starts) is skipped and
// counted with its GID, as a record without a GID is: every write is
// partial, so its stored copy stays as it was, and the rest is synced.
func TestIngester_Sync_unreadableRecordIsSkippedAndCounted(t *testing.T) {
	for _, tc := range []struct{ name, fields string }{
		{"impossible day", `"due_on":"2026-02-30"`},
		{"all zeros", `"due_on":"0000-00-00"`},
		{"a date-time", `"start_on":"2026-01-01T00:00:00Z"`},
		{"a number", `"due_on":20260101`},
		{"metric value as a string", `"metric":{"gid":"m","current_number_value":"12"}`},
		{"name as a number", `"name":12`},
		{"time period ending before it starts", `"time_period":{"gid":"tp","display_name":"Q1","start_on":"2026-03-31","end_on":"2026-01-01"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, asanafake.Goal{GID: "1", Name: "Fine", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "Odd", OwnerGID: "501"},
				asanafake.Goal{GID: "3", Name: "Also fine", OwnerGID: "501"})
			m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
				if kind == "pages" {
					return rawResp(200, `{"data":[{"gid":"1","name":"Fine","owner":{"gid":"501"}},`+
						`{"gid":"2","name":"Odd","owner":{"gid":"501"},`+tc.fields+`},`+
						`{"gid":"3","name":"Also fine","owner":{"gid":"501"}}],"next_page":null}`), nil
				}
				return nil, nil
			}
			store := goals.NewMemoryStore()
			seed(t, store, "emp-ada", goals.Goal{GID: "2", Name: "Stored two", Status: status.AtRisk},
				goals.Goal{GID: "9", Name: "Stored nine", Status: status.OnTrack})
			rep, err := runSync(t, m, store, testConfig(), ada)
			if err != nil {
				t.Fatalf("Sync: %v; one unreadable record must not fail the sync", err)
			}
			gs := stored(t, store, "emp-ada")
			if got := gidsOf(gs); got != "2,9,1,3" || gs[0].Name != "Stored two" {
				t.Errorf("stored = %s (%q), want 2 as stored, 9 kept, 1 and 3 written", got, gs[0].Name)
			}
			if rep.MalformedRecords != 1 || len(rep.MalformedRecordGIDs) != 1 || rep.MalformedRecordGIDs[0] != "2" {
				t.Errorf("malformed = %d %v, want 1 naming goal 2", rep.MalformedRecords, rep.MalformedRecordGIDs)
			}
			if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenPartial || !errors.Is(e.Err, asana.ErrMalformedResponse) {
				t.Errorf("ada = %+v, want partial, Err matching asana.ErrMalformedResponse", e)
			}
		})
	}
}

// A name longer than MaxNameRunes (goal or Key Result) is stored cut to
// that many characters, never inside one.
func TestIngester_Sync_longNamesAreCapped(t *testing.T) {
	long := strings.Repeat("名前🎯 ", 2000) // 8,000 runes
	m := newMock(t, asanafake.Goal{GID: "1", Name: long, OwnerGID: "501", SubgoalGIDs: []string{"2"}}, asanafake.Goal{GID: "2", Name: long})
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	if len(gs) != 1 || len(gs[0].KeyResults) != 1 {
		t.Fatalf("stored %+v", gs)
	}
	for what, name := range map[string]string{"goal": gs[0].Name, "key result": gs[0].KeyResults[0].Name} {
		if n := utf8.RuneCountInString(name); n > goals.MaxNameRunes || n < goals.MaxNameRunes-4 || !utf8.ValidString(name) || !strings.HasPrefix(long, name) {
			t.Errorf("%s name stored with %d runes (valid %v, a prefix %v), want at most %d, cut cleanly", what, n, utf8.ValidString(name), strings.HasPrefix(long, name), goals.MaxNameRunes)
		}
	}
}

// A nil client or store, typed or not, is a configuration error before any
// request, never a panic.
func TestIngester_Sync_nilClientOrStoreIsAConfigError(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"})
	var nilStore *goals.MemoryStore
	var nilClient *asana.Client
	for name, ing := range map[string]*goals.Ingester{
		"typed nil store":  goals.NewIngester(m.newClient(t), nilStore, testConfig()),
		"nil store":        goals.NewIngester(m.newClient(t), nil, testConfig()),
		"typed nil client": goals.NewIngester(nilClient, goals.NewMemoryStore(), testConfig()),
	} {
		_, err := ing.Sync(t.Context(), []goals.Employee{ada})
		var ce *goals.GoalsConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: err = %v, want a GoalsConfigError", name, err)
		}
	}
	if n := m.total(); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

// Without a status update (or with one that has no status_type), the
// goal's own status field is mapped; a status_type still wins; the raw word
// and its source are kept, for goals and Key Results, and the report counts
// the statuses taken from the goal field.
func TestIngester_Sync_goalStatusFieldWhenNoStatusUpdate(t *testing.T) {
	for _, retired := range []bool{false, true} {
		name := map[bool]string{false: "subgoals path", true: "goal relationships"}[retired]
		t.Run(name, func(t *testing.T) {
			m := newMock(t, goalStatusWorkspace()...)
			m.specPath = !retired
			store := goals.NewMemoryStore()
			rep, err := runSync(t, m, store, testConfig(), ada)
			if err != nil {
				t.Fatal(err)
			}
			checkGoalStatuses(t, stored(t, store, "emp-ada"))
			// Goals 2, 3, 4, 6 and Key Result 11.
			if rep.StatusesFromGoalField != 5 {
				t.Errorf("StatusesFromGoalField = %d, want 5", rep.StatusesFromGoalField)
			}
			for _, f := range append(m.optFields("pages"), m.optFields("subgoals")...) {
				if !slices.Contains(strings.Split(f, ","), "status") {
					t.Errorf("opt_fields %q does not ask for the goal's status", f)
				}
			}
		})
	}
}

// A goal's time period is asked for and kept.
func TestIngester_Sync_timePeriodIsAskedForAndKept(t *testing.T) {
	d := func(s string) asana.Date { x, _ := asana.ParseDate(s); return x }
	q1 := &asanafake.TimePeriod{GID: "7001", DisplayName: "Q1 FY26", Period: "Q1", StartOn: "2026-01-01", EndOn: "2026-03-31"}
	m := newMock(t,
		asanafake.Goal{GID: "1", Name: "In Q1", OwnerGID: "501", TimePeriod: q1, SubgoalGIDs: []string{"2"}},
		asanafake.Goal{GID: "2", Name: "Sub", TimePeriod: q1},
		asanafake.Goal{GID: "3", Name: "No period", OwnerGID: "501"},
		// A reference without a GID names no period.
		asanafake.Goal{GID: "4", Name: "Broken period", OwnerGID: "501", TimePeriod: &asanafake.TimePeriod{DisplayName: "?"}},
	)
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	want := goals.TimePeriod{GID: "7001", DisplayName: "Q1 FY26", Period: "Q1", StartOn: d("2026-01-01"), EndOn: d("2026-03-31")}
	if gs[0].TimePeriod == nil || *gs[0].TimePeriod != want {
		t.Errorf("goal 1 time period = %+v, want %+v", gs[0].TimePeriod, want)
	}
	if gs[1].TimePeriod != nil || gs[2].TimePeriod != nil {
		t.Errorf("goals 3 and 4 have time periods %+v, %+v; want none", gs[1].TimePeriod, gs[2].TimePeriod)
	}
	fields := strings.Split(m.optFields("pages")[0], ",")
	for _, f := range []string{"time_period", "time_period.display_name", "time_period.period", "time_period.start_on", "time_period.end_on"} {
		if !slices.Contains(fields, f) {
			t.Errorf("scan opt_fields %v lacks %s", fields, f)
		}
	}
	b, _ := json.Marshal(gs[0])
	if !strings.Contains(string(b), `"time_period":{"gid":"7001","display_name":"Q1 FY26","period":"Q1","start_on":"2026-01-01","end_on":"2026-03-31"}`) {
		t.Errorf("goal JSON %s", b)
	}
}

// With OmitDescriptions, html_notes is never asked for,
// and descriptions are written empty, blanking what an earlier sync stored.
// Sub-goal requests never ask for html_notes: a Key Result has no
// description.
func TestIngester_Sync_omitDescriptionsAsksForNoNotesAndBlanksThem(t *testing.T) {
	ws := []asanafake.Goal{
		{GID: "1", Name: "Secret plans", OwnerGID: "501", HTMLNotes: "<body>Layoffs in Q3</body>", SubgoalGIDs: []string{"2", "3"}},
		{GID: "2", Name: "Sub", HTMLNotes: "<body>sub notes</body>"},
		{GID: "3", Name: "Unlisted sub", HTMLNotes: "<body>sub notes</body>", Unlisted: true},
	}
	store := goals.NewMemoryStore()
	m := newMock(t, ws...)
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, store, "emp-ada")[0].Description; got != "Layoffs in Q3" {
		t.Fatalf("description without the option = %q", got)
	}
	for _, f := range m.optFields("subgoals") {
		if slices.Contains(strings.Split(f, ","), "html_notes") {
			t.Errorf("sub-goal request asks for html_notes: %q", f)
		}
	}

	for _, retired := range []bool{false, true} {
		m := newMock(t, ws...)
		m.specPath = !retired
		fetched := fetchedGoals(m)
		cfg := testConfig()
		cfg.OmitDescriptions = true
		rep, err := runSync(t, m, store, cfg, ada)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.DescriptionsOmitted {
			t.Error("report does not say descriptions were omitted")
		}
		gs := stored(t, store, "emp-ada")
		if gs[0].Description != "" || len(gs[0].KeyResults) != 2 {
			t.Errorf("retired=%v: stored %+v; want the description blanked and both key results", retired, gs[0])
		}
		for kind, fs := range map[string][]string{"pages": m.optFields("pages"), "subgoals": m.optFields("subgoals"), "goal": m.optFields("goal")} {
			for _, f := range fs {
				if slices.Contains(strings.Split(f, ","), "html_notes") {
					t.Errorf("retired=%v: %s request asks for html_notes: %q", retired, kind, f)
				}
			}
		}
		if retired {
			checkFetchedAlone(t, fetched(), "3")
		}
	}

	// A source that sends notes anyway (it ignores opt_fields) still has
	// them written empty.
	m = newMock(t, ws...)
	m.ignoreOptFields = true
	cfg := testConfig()
	cfg.OmitDescriptions = true
	if _, err := runSync(t, m, store, cfg, ada); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, store, "emp-ada")[0].Description; got != "" {
		t.Errorf("description from a source that sent notes anyway = %q, want empty", got)
	}
}
