// Package admintest checks that implementations of the admin seams
// (admin.Settings, admin.Directory, admin.History) keep the contracts
// documented on those interfaces, the way storetest checks a goals.Store.
// A host that writes its own seams runs the suites from a test:
//
//	func TestMySeams(t *testing.T) {
//		admintest.RunSettings(t, func(t *testing.T) admin.Settings { return newEmptySettings(t) })
//		admintest.RunDirectory(t, func(t *testing.T, emps []goals.Employee) admin.Directory { return newDirectory(t, emps) })
//		admintest.RunHistory(t, func(t *testing.T) admin.History { return newEmptyHistory(t) })
//	}
package admintest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/admin"
)

// concurrency is how many goroutines the concurrent subtests run at once.
const concurrency = 12

// RunSettings checks the admin.Settings contract against settings made by
// newSettings, which must return new settings holding no connection for
// each call. It checks that:
//
//   - settings holding nothing answer ErrNotConnected (errors.Is);
//   - every field of a saved connection reads back exactly, CheckedAt as
//     the same instant to the microsecond, in UTC;
//   - a second save replaces the whole connection: no field of the first
//     survives, empty fields and a zero CheckedAt included;
//   - a save with a cancelled context fails and saves nothing;
//   - concurrent saves all succeed and leave one of them whole, never
//     fields of two, and a read during them sees a whole one;
//   - a token with odd characters (unicode, quotes, backslashes, 200
//     characters) round-trips.
func RunSettings(t *testing.T, newSettings func(t *testing.T) admin.Settings) {
	t.Helper()
	run(t, newSettings, []subtest[admin.Settings]{
		{"EmptyIsNotConnected", testNotConnected},
		{"RoundTrip", testConnectionRoundTrip},
		{"SecondSaveReplacesAll", testConnectionReplaced},
		{"CancelledContextSavesNothing", testConnectionCancelled},
		{"ConcurrentSavesLeaveOneWhole", testConnectionConcurrent},
		{"OddTokenRoundTrips", testOddToken},
	})
}

// RunDirectory checks the admin.Directory contract against directories
// made by newDirectory, which must return a new directory holding exactly
// employees, in that order, for each call. It checks that:
//
//   - Employees returns them in the directory's order with every field;
//   - MapEmployee changes exactly one employee's AsanaUserGID and nothing
//     else; remapping and unmapping ("") work;
//   - an ID the directory does not hold (also one differing only in case,
//     or a prefix of one it holds) is an error matching
//     admin.ErrUnknownEmployee and changes nothing;
//   - concurrent MapEmployee calls of different employees all apply;
//   - MapEmployee with a cancelled context fails and changes nothing;
//   - changing the slice Employees returned changes nothing held.
func RunDirectory(t *testing.T, newDirectory func(t *testing.T, employees []goals.Employee) admin.Directory) {
	t.Helper()
	run(t, func(t *testing.T) admin.Directory { return newDirectory(t, Employees()) }, []subtest[admin.Directory]{
		{"EmployeesInOrderWithEveryField", testEmployeesInOrder},
		{"MapChangesOneEmployeeOnly", testMapOne},
		{"UnknownEmployeeChangesNothing", testMapUnknown},
		{"RemapAndUnmap", testRemap},
		{"ConcurrentMapsAllApply", testMapConcurrent},
		{"CancelledContextChangesNothing", testMapCancelled},
		{"NoMemorySharedWithCallers", testDirectoryCopies},
	})
	t.Run("EmptyDirectory", func(t *testing.T) {
		emps, err := newDirectory(t, nil).Employees(context.Background())
		must(t, "Employees of an empty directory", err)
		if len(emps) != 0 {
			t.Errorf("an empty directory lists %d employees, want none: %+v", len(emps), emps)
		}
	})
}

// RunHistory checks the admin.History contract against histories made by
// newHistory, which must return a new, empty history for each call. It
// checks that:
//
//   - a workspace with no report has an empty, non-nil slice of them;
//   - reports come back newest first (in the order added), at most limit
//     of them (none for a limit of 0), only those of the workspace asked;
//   - a report reads back equal to its JSON form: every field, with
//     EmployeeReport.Err as its message alone; changing the report after
//     AddReport changes nothing kept;
//   - concurrent AddReport calls are all kept;
//   - AddReport with a cancelled context fails and keeps nothing.
func RunHistory(t *testing.T, newHistory func(t *testing.T) admin.History) {
	t.Helper()
	run(t, newHistory, []subtest[admin.History]{
		{"NoneIsEmptyNotNil", testNoReports},
		{"NewestFirstLimitedPerWorkspace", testReportsOrder},
		{"RoundTripAsJSON", testReportRoundTrip},
		{"ConcurrentAddsAllKept", testReportsConcurrent},
		{"CancelledContextKeepsNothing", testReportCancelled},
	})
}

type subtest[T any] struct {
	name string
	fn   func(*testing.T, T)
}

func run[T any](t *testing.T, newSeam func(*testing.T) T, tests []subtest[T]) {
	t.Helper()
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newSeam(t)) })
	}
}

// Connection returns a connection with every field set, distinct for
// each i: CheckedAt has nanoseconds and a zone other than UTC, so that a
// store must truncate it to the microsecond and convert it.
func Connection(i int) admin.Connection {
	zone := time.FixedZone("UTC+05:30", 5*3600+30*60)
	return admin.Connection{
		WorkspaceGID:      fmt.Sprintf("1200%04d", i),
		RequestsPerMinute: 1500 + i,
		Token:             fmt.Sprintf("2/1200%04d/1209%04d:0123456789abcdef%04d", i, i, i),
		TokenUserGID:      fmt.Sprintf("1300%04d", i),
		TokenUserName:     fmt.Sprintf("Zoë O'Brien \"%d\" — 管理者", i),
		CheckedAt:         time.Date(2026, time.March, 4, 5, 6, 7, 123456789, zone).Add(time.Duration(i) * time.Second),
	}
}

// normal is c as a Settings must read it back.
func normal(c admin.Connection) admin.Connection {
	c.CheckedAt = c.CheckedAt.UTC().Truncate(time.Microsecond)
	return c
}

func readConnection(t *testing.T, s admin.Settings) admin.Connection {
	t.Helper()
	c, err := s.Connection(context.Background())
	if err != nil {
		t.Fatalf("Connection after a successful save: %v", err)
	}
	return c
}

// sameConnection fails t unless got is want as saved.
func sameConnection(t *testing.T, rule string, got, want admin.Connection) {
	t.Helper()
	want = normal(want)
	if !got.CheckedAt.Equal(want.CheckedAt) {
		t.Errorf("%s: CheckedAt reads back as %v, want %v (the instant saved, to the microsecond)", rule, got.CheckedAt, want.CheckedAt)
	}
	if !got.CheckedAt.IsZero() && got.CheckedAt.Location() != time.UTC {
		t.Errorf("%s: CheckedAt reads back in zone %v, want UTC", rule, got.CheckedAt.Location())
	}
	got.CheckedAt, want.CheckedAt = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("%s: the connection reads back as\n\t%s\nwant\n\t%s", rule, describe(got), describe(want))
	}
}

// describe prints a connection without its token, which a test's log
// must not show either; it says whether the tokens differ by length.
func describe(c admin.Connection) string {
	tok := c.Token
	c.Token = fmt.Sprintf("<%d bytes>", len(tok))
	return fmt.Sprintf("%+v", c)
}

func testNotConnected(t *testing.T, s admin.Settings) {
	_, err := s.Connection(context.Background())
	if !errors.Is(err, admin.ErrNotConnected) {
		t.Fatalf("settings where nothing was saved must answer ErrNotConnected; err = %v", err)
	}
}

func testConnectionRoundTrip(t *testing.T, s admin.Settings) {
	want := Connection(1)
	save(t, s, want)
	sameConnection(t, "a saved connection must read back field by field", readConnection(t, s), want)
}

func save(t *testing.T, s admin.Settings, c admin.Connection) {
	t.Helper()
	if err := s.SaveConnection(context.Background(), c); err != nil {
		t.Fatalf("SaveConnection(%s): %v", describe(c), err)
	}
}

func testConnectionReplaced(t *testing.T, s admin.Settings) {
	save(t, s, Connection(1))
	second := admin.Connection{WorkspaceGID: "987654321", Token: "2/other:token"}
	save(t, s, second)
	sameConnection(t, "a second save must replace the whole connection (no field of the first may survive)",
		readConnection(t, s), second)
	third := Connection(3)
	save(t, s, third)
	sameConnection(t, "a third save must replace the whole connection", readConnection(t, s), third)
}

func testConnectionCancelled(t *testing.T, s admin.Settings) {
	if err := s.SaveConnection(cancelled(), Connection(1)); err == nil {
		t.Fatal("SaveConnection with a cancelled context must fail, and it succeeded")
	}
	if _, err := s.Connection(context.Background()); !errors.Is(err, admin.ErrNotConnected) {
		t.Fatalf("a save with a cancelled context must save nothing; Connection then answers %v, want ErrNotConnected", err)
	}
	save(t, s, Connection(2))
	if err := s.SaveConnection(cancelled(), Connection(3)); err == nil {
		t.Fatal("SaveConnection with a cancelled context must fail, and it succeeded")
	}
	sameConnection(t, "a save with a cancelled context must leave the saved connection as it was", readConnection(t, s), Connection(2))
}

func testConnectionConcurrent(t *testing.T, s admin.Settings) {
	ctx := context.Background()
	var torn []string
	var mu sync.Mutex
	errs := concurrently(concurrency, func(i int) error {
		if err := s.SaveConnection(ctx, Connection(i)); err != nil {
			return err
		}
		c, err := s.Connection(ctx)
		if err != nil {
			return fmt.Errorf("Connection during concurrent saves: %w", err)
		}
		if j, ok := whole(c); !ok {
			mu.Lock()
			torn = append(torn, fmt.Sprintf("read after save %d: %s (fields of save %d and others)", i, describe(c), j))
			mu.Unlock()
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent saves must all succeed; save %d: %v", i, err)
		}
	}
	for _, msg := range torn {
		t.Errorf("a read during concurrent saves must see one save whole, never fields of two: %s", msg)
	}
	got := readConnection(t, s)
	if _, ok := whole(got); !ok {
		t.Errorf("concurrent saves must leave one connection whole, never fields mixed from two saves: %s", describe(got))
	}
}

// whole reports whether c is Connection(i) as saved, for the i its
// workspace names.
func whole(c admin.Connection) (int, bool) {
	var i int
	if _, err := fmt.Sscanf(c.WorkspaceGID, "1200%04d", &i); err != nil {
		return -1, false
	}
	want := normal(Connection(i))
	return i, c.CheckedAt.Equal(want.CheckedAt) && c.Token == want.Token && c.TokenUserGID == want.TokenUserGID &&
		c.TokenUserName == want.TokenUserName && c.RequestsPerMinute == want.RequestsPerMinute
}

// OddToken is a 200-character token of characters a store might mangle:
// quotes, backslashes, SQL and format verbs, control characters, accents,
// CJK and emoji.
func OddToken() string {
	const parts = `'"` + "`" + `\%s%d$1?;--/*é ß 管理者 🔑 ` + "\t\n\r\u200b\uFEFF"
	r := []rune(strings.Repeat(parts, 200/len([]rune(parts))+1))
	return string(r[:200])
}

func testOddToken(t *testing.T, s admin.Settings) {
	want := Connection(7)
	want.Token = OddToken()
	save(t, s, want)
	got := readConnection(t, s)
	if got.Token != want.Token {
		t.Fatalf("a token with odd characters must round-trip; it read back as %d bytes, want the %d saved (%d runes)",
			len(got.Token), len(want.Token), len([]rune(want.Token)))
	}
	sameConnection(t, "a connection with an odd token must read back field by field", got, want)
}

// Employees returns the directory RunDirectory starts each subtest with:
// IDs in no sorted order, mapped and unmapped employees, every field set
// on some.
func Employees() []goals.Employee {
	return []goals.Employee{
		{ID: "e3", AsanaUserGID: "1203", Name: "Zoë O'Brien", Email: "zoe@example.com"},
		{ID: "e10", AsanaUserGID: "", Name: "李雷 \"Lei\"", Email: "lei@example.com"},
		{ID: "E1", AsanaUserGID: "1201", Name: "Upper Case", Email: ""},
		{ID: "e1", AsanaUserGID: "", Name: "", Email: "e1@example.com"},
		{ID: "e2", AsanaUserGID: "1202", Name: "Back\\slash; DROP TABLE x;--", Email: "e2@example.com"},
	}
}

func readEmployees(t *testing.T, d admin.Directory) []goals.Employee {
	t.Helper()
	emps, err := d.Employees(context.Background())
	if err != nil {
		t.Fatalf("Employees: %v", err)
	}
	return emps
}

// expectEmployees fails t unless d holds want, in order.
func expectEmployees(t *testing.T, d admin.Directory, rule string, want []goals.Employee) {
	t.Helper()
	if got := readEmployees(t, d); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: the directory holds\n\t%+v\nwant\n\t%+v", rule, got, want)
	}
}

// mapped returns Employees with the GIDs of ids changed.
func mapped(gids map[string]string) []goals.Employee {
	emps := Employees()
	for i := range emps {
		if gid, ok := gids[emps[i].ID]; ok {
			emps[i].AsanaUserGID = gid
		}
	}
	return emps
}

func mapEmployee(t *testing.T, d admin.Directory, id, gid string) {
	t.Helper()
	if err := d.MapEmployee(context.Background(), id, gid); err != nil {
		t.Fatalf("MapEmployee(%q, %q) of an employee the directory holds: %v", id, gid, err)
	}
}

func testEmployeesInOrder(t *testing.T, d admin.Directory) {
	expectEmployees(t, d, "Employees must return every employee in the directory's order, with every field", Employees())
}

func testMapOne(t *testing.T, d admin.Directory) {
	mapEmployee(t, d, "e3", "1203") // the GID it has: not unknown, and no change
	expectEmployees(t, d, "MapEmployee to the GID an employee already has must change nothing", Employees())
	mapEmployee(t, d, "e1", "1299")
	expectEmployees(t, d, "MapEmployee must change that one employee's AsanaUserGID and nothing else",
		mapped(map[string]string{"e1": "1299"}))
}

func testMapUnknown(t *testing.T, d admin.Directory) {
	for _, id := range []string{"nobody", "E3", "e", "e1 ", ""} {
		err := d.MapEmployee(context.Background(), id, "1299")
		if !errors.Is(err, admin.ErrUnknownEmployee) {
			t.Errorf("MapEmployee of an ID the directory does not hold (%q) must fail with ErrUnknownEmployee; err = %v", id, err)
		}
	}
	expectEmployees(t, d, "MapEmployee of an unknown ID must change nothing", Employees())
}

func testRemap(t *testing.T, d admin.Directory) {
	mapEmployee(t, d, "e2", "1250")
	expectEmployees(t, d, "remapping a mapped employee must replace their GID", mapped(map[string]string{"e2": "1250"}))
	mapEmployee(t, d, "e2", "")
	expectEmployees(t, d, `unmapping (GID "") must leave the employee unmapped`, mapped(map[string]string{"e2": ""}))
	mapEmployee(t, d, "e2", "1202")
	expectEmployees(t, d, "mapping back must restore the GID", Employees())
}

func testMapConcurrent(t *testing.T, d admin.Directory) {
	want := map[string]string{}
	var ids []string
	for i, e := range Employees() {
		want[e.ID] = fmt.Sprintf("77%02d", i)
		ids = append(ids, e.ID)
	}
	errs := concurrently(len(ids), func(i int) error {
		return d.MapEmployee(context.Background(), ids[i], want[ids[i]])
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent MapEmployee of different employees must all succeed; %s: %v", ids[i], err)
		}
	}
	expectEmployees(t, d, "concurrent MapEmployee of different employees must all apply", mapped(want))
}

func testMapCancelled(t *testing.T, d admin.Directory) {
	if err := d.MapEmployee(cancelled(), "e1", "1299"); err == nil {
		t.Error("MapEmployee with a cancelled context must fail, and it succeeded")
	}
	expectEmployees(t, d, "MapEmployee with a cancelled context must change nothing", Employees())
}

func testDirectoryCopies(t *testing.T, d admin.Directory) {
	emps := readEmployees(t, d)
	for i := range emps {
		emps[i].AsanaUserGID, emps[i].Name = "666", "changed by the caller"
	}
	expectEmployees(t, d, "changing the slice Employees returned must change nothing in the directory", Employees())
}

// Report returns a report of workspace with every field set, marked by
// seq (in WorkspaceGoalsScanned), whose first employee carries an Err
// wrapping a cause that History does not keep (it keeps the message).
func Report(workspace string, seq int) *goals.Report {
	zone := time.FixedZone("CET", 3600)
	return &goals.Report{
		WorkspaceGID: workspace, StartedAt: time.Date(2026, time.May, 6, 7, 8, 9, 987654321, zone),
		DurationSeconds: 12.5, WorkspaceGoalsScanned: seq, OwnerlessGoals: 2, UnmappedOwnerGoals: 3,
		UnmappedOwnerExamples: []string{"1301", "1302"}, UnmappedEmployees: []string{}, MalformedRecords: 1,
		OwnerChanges: 1, MalformedRecordGIDs: []string{"1401"}, Period: "2026-01-01..2026-06-30",
		GoalsOutsidePeriod: 4, RequestsSaved: 5, SubgoalPath: goals.PathGoalRelationships,
		DescriptionsOmitted: true, StatusesFromGoalField: 6,
		AsanaChanges: []asana.Change{{Name: "new_goal_memberships", Info: "https://asana.com/x", Affected: true, Path: "/goals"}},
		Requests:     100, Retries: 3, RateLimited: 1, RemovalsHeld: 7, RemovalsHeldReason: "7 of 8 goals would go",
		Error: "scan: \"quoted\" — 失敗",
		Employees: []goals.EmployeeReport{
			{EmployeeID: "e1", AsanaUserGID: "1201", GoalsOwned: 201, GoalsKept: 200, KeyResults: 9, Truncated: true,
				GoalsOutsidePeriod: 1, Written: goals.WrittenPartial, RemovalsHeld: 2,
				Err: fmt.Errorf("boom: %w", errors.New("kept as words, not as an error"))},
			{EmployeeID: "e2", AsanaUserGID: "1202", Written: goals.WrittenComplete},
		},
	}
}

// asJSON is r as History must keep it: its JSON form, read back.
func asJSON(t *testing.T, r *goals.Report) goals.Report {
	t.Helper()
	b, err := json.Marshal(r)
	must(t, "encode the report", err)
	var out goals.Report
	must(t, "decode the report", json.Unmarshal(b, &out))
	return out
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func addReport(t *testing.T, h admin.History, r *goals.Report) {
	t.Helper()
	if err := h.AddReport(context.Background(), r); err != nil {
		t.Fatalf("AddReport(workspace %s, #%d): %v", r.WorkspaceGID, r.WorkspaceGoalsScanned, err)
	}
}

func reports(t *testing.T, h admin.History, workspace string, limit int) []goals.Report {
	t.Helper()
	rs, err := h.Reports(context.Background(), workspace, limit)
	if err != nil {
		t.Fatalf("Reports(%s, %d): %v", workspace, limit, err)
	}
	return rs
}

// seqs returns the markers of rs, in order.
func seqs(rs []goals.Report) []int {
	out := []int{}
	for _, r := range rs {
		out = append(out, r.WorkspaceGoalsScanned)
	}
	return out
}

func testNoReports(t *testing.T, h admin.History) {
	rs := reports(t, h, "1200", 10)
	if rs == nil || len(rs) != 0 {
		t.Errorf("a workspace with no report must have an empty, non-nil slice of them; got %#v", rs)
	}
}

func testReportsOrder(t *testing.T, h admin.History) {
	for i := 1; i <= 5; i++ {
		addReport(t, h, Report("1200", i))
		if i%2 == 0 {
			addReport(t, h, Report("1300", 100+i))
		}
	}
	for _, c := range []struct {
		workspace string
		limit     int
		want      []int
		rule      string
	}{
		{"1200", 10, []int{5, 4, 3, 2, 1}, "Reports must return the workspace's reports newest first, and only its own"},
		{"1200", 3, []int{5, 4, 3}, "Reports must return at most limit reports, the newest"},
		{"1200", 1, []int{5}, "Reports with limit 1 must return the newest report"},
		{"1200", 0, []int{}, "Reports with limit 0 must return none"},
		{"1300", 10, []int{104, 102}, "Reports must return another workspace's reports apart, newest first"},
		{"1400", 10, []int{}, "Reports of a workspace with no report must return none"},
		{"120", 10, []int{}, "Reports must match the workspace GID exactly, not a prefix"},
	} {
		rs := reports(t, h, c.workspace, c.limit)
		if got := seqs(rs); !reflect.DeepEqual(got, c.want) || rs == nil {
			t.Errorf("%s: Reports(%s, %d) = %v, want %v", c.rule, c.workspace, c.limit, got, c.want)
		}
	}
}

func testReportRoundTrip(t *testing.T, h admin.History) {
	r := Report("1200", 1)
	want := asJSON(t, r)
	addReport(t, h, r)
	r.Employees[0].Err, r.UnmappedOwnerExamples[0], r.Error = errors.New("changed"), "changed", "changed"
	rs := reports(t, h, "1200", 10)
	if len(rs) != 1 {
		t.Fatalf("a report added must be kept; Reports returned %d", len(rs))
	}
	if !reflect.DeepEqual(rs[0], want) {
		t.Errorf("a report must read back equal to its JSON form, as it was when added (an employee's Err as its message):\n%s",
			diffJSON(rs[0], want))
	}
	// What Reports returned is the caller's: changing it changes nothing kept.
	rs[0].Employees[0].Err, rs[0].UnmappedOwnerExamples[0], rs[0].MalformedRecordGIDs[0] = errors.New("changed"), "changed", "changed"
	if again := reports(t, h, "1200", 10); !reflect.DeepEqual(again[0], want) {
		t.Errorf("changing a report Reports returned must not change the kept one:\n%s", diffJSON(again[0], want))
	}
}

func diffJSON(got, want goals.Report) string {
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	return fmt.Sprintf("got  %s\nwant %s\n(got %+v)", g, w, got)
}

func testReportsConcurrent(t *testing.T, h admin.History) {
	errs := concurrently(concurrency, func(i int) error {
		return h.AddReport(context.Background(), Report("1200", i))
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent AddReport must all succeed; report %d: %v", i, err)
		}
	}
	seen := map[int]bool{}
	for _, s := range seqs(reports(t, h, "1200", 10*concurrency)) {
		seen[s] = true
	}
	if len(seen) != concurrency {
		t.Errorf("concurrent AddReport must all be kept; %d distinct reports of %d were", len(seen), concurrency)
	}
}

func testReportCancelled(t *testing.T, h admin.History) {
	if err := h.AddReport(cancelled(), Report("1200", 1)); err == nil {
		t.Error("AddReport with a cancelled context must fail, and it succeeded")
	}
	if rs := reports(t, h, "1200", 10); len(rs) != 0 {
		t.Errorf("AddReport with a cancelled context must keep nothing; %d reports kept", len(rs))
	}
}

// cancelled returns a context that is already cancelled.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// concurrently runs fn(0) … fn(n-1) at once and returns their errors.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	return errs
}
