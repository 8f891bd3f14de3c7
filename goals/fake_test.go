package goals_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

const (
	testToken = "0/abcdef:do-not-leak-this-token"
	wsGID     = "1001"
	tokenUser = "7" // the token's user; owns no goal
)

// mockAsana serves a workspace of asanafake goals, in process: the
// client's transport calls the fake's handler, so there is no socket to
// leak and virtual time (testing/synctest) works. Set the fields before
// newClient.
type mockAsana struct {
	t        testing.TB
	goals    []asanafake.Goal
	pageSize int  // the most goals a page holds (the client asks for 100)
	specPath bool // serve GET /goals/{gid}/subgoals (the spec's path); by default it answers 404 as Asana does today

	// onRequest, when set, may answer a request itself (non-nil response or
	// error) before the workspace does. kind is pages, subgoals,
	// relationships or goal; gid the goal in the path or supported_goal.
	onRequest func(kind, gid string, req *http.Request) (*http.Response, error)
	// ignoreOptFields sends every goal field whatever opt_fields asks for.
	ignoreOptFields bool
	// header is added to every answer of the workspace (not to those of
	// onRequest).
	header http.Header
	// refuseStatusType makes the fake refuse the status update's
	// status_type, as Prism does (asanafake.Options.RefuseStatusType).
	refuseStatusType bool
	// workspaceGID is the workspace's GID; wsGID when empty.
	workspaceGID string

	mu     sync.Mutex
	calls  map[string]int      // by kind
	fields map[string][]string // the opt_fields of every request, by kind
}

func newMock(t testing.TB, goals ...asanafake.Goal) *mockAsana {
	return &mockAsana{t: t, goals: goals, pageSize: 100, calls: map[string]int{}, fields: map[string][]string{}}
}

func (m *mockAsana) count(kind string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[kind]
}

func (m *mockAsana) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		n += c
	}
	return n
}

// optFields returns the opt_fields of every request of a kind so far.
func (m *mockAsana) optFields(kind string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.fields[kind]...)
}

// workspace is m's goals as an asanafake workspace; every owner is a user.
func (m *mockAsana) workspace() *asanafake.Workspace {
	gid := m.workspaceGID
	if gid == "" {
		gid = wsGID
	}
	ws := &asanafake.Workspace{GID: gid, Name: "Test", Users: []asanafake.User{{GID: tokenUser, Name: "Token"}}}
	users := map[string]bool{tokenUser: true}
	for _, g := range m.goals {
		if g.OwnerGID != "" && !users[g.OwnerGID] {
			users[g.OwnerGID] = true
			ws.Users = append(ws.Users, asanafake.User{GID: g.OwnerGID, Name: "User " + g.OwnerGID})
		}
	}
	ws.Goals = append(ws.Goals, m.goals...)
	ws = ws.Clone() // the test's goals stay the test's
	return ws
}

// classify names a request's kind and the goal it is about.
func classify(u *url.URL) (kind, gid string) {
	p := u.Path
	switch {
	case p == "/goals":
		return "pages", ""
	case p == "/goal_relationships":
		return "relationships", u.Query().Get("supported_goal")
	case strings.HasPrefix(p, "/goals/") && strings.HasSuffix(p, "/subgoals"):
		return "subgoals", strings.TrimSuffix(strings.TrimPrefix(p, "/goals/"), "/subgoals")
	case strings.HasPrefix(p, "/goals/"):
		return "goal", strings.TrimPrefix(p, "/goals/")
	}
	return "other", ""
}

// allGoalFields is what ignoreOptFields sends beyond what was asked for.
const allGoalFields = "name,html_notes,notes,due_on,start_on,status,owner,current_status_update.status_type," +
	"metric.unit,metric.precision,metric.initial_number_value,metric.target_number_value,metric.current_number_value," +
	"time_period.display_name,time_period.period,time_period.start_on,time_period.end_on"

// handlerTransport serves the client's requests: onRequest's answer when
// it gives one, otherwise the fake's.
type handlerTransport struct {
	m *mockAsana
	h http.Handler
}

func (tr handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	kind, gid := classify(req.URL)
	m := tr.m
	m.mu.Lock()
	m.calls[kind]++
	m.fields[kind] = append(m.fields[kind], req.URL.Query().Get("opt_fields"))
	m.mu.Unlock()

	r := req.Clone(req.Context())
	if m.ignoreOptFields {
		q := r.URL.Query()
		q.Set("opt_fields", q.Get("opt_fields")+","+allGoalFields)
		r.URL.RawQuery = q.Encode()
	}
	r.Host, r.RequestURI = r.URL.Host, r.URL.RequestURI()
	rec := httptest.NewRecorder()
	answered, err := m.answer(rec, kind, gid, r)
	if err != nil {
		return nil, err
	}
	if !answered {
		m.check(kind, r)
		for k, vs := range m.header {
			for _, v := range vs {
				rec.Header().Add(k, v)
			}
		}
		tr.h.ServeHTTP(rec, r)
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// answer writes onRequest's answer to r, if it gives one, or returns its
// error.
func (m *mockAsana) answer(w http.ResponseWriter, kind, gid string, r *http.Request) (bool, error) {
	if m.onRequest == nil {
		return false, nil
	}
	resp, err := m.onRequest(kind, gid, r)
	if err != nil || resp == nil {
		return false, err
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
	return true, nil
}

// check checks what the ingester must always send.
func (m *mockAsana) check(kind string, r *http.Request) {
	q := r.URL.Query()
	if kind == "pages" && !m.refuseStatusType && !strings.Contains(q.Get("opt_fields"), "current_status_update.status_type") {
		m.t.Errorf("scan without status_type in opt_fields: %q", q.Get("opt_fields"))
	}
	if kind == "relationships" && q.Get("resource_subtype") != "subgoal" {
		m.t.Errorf("goal_relationships without resource_subtype=subgoal: %v", q)
	}
}

// newClient returns an asana client served by a fake built from m now.
func (m *mockAsana) newClient(t testing.TB, opts ...asana.Option) *asana.Client {
	t.Helper()
	srv := asanafake.NewServer(m.workspace(), asanafake.Options{
		Tokens:           map[string]string{testToken: tokenUser},
		PageSize:         m.pageSize,
		SpecSubgoalPath:  m.specPath,
		RefuseStatusType: m.refuseStatusType,
	})
	base := []asana.Option{
		asana.WithBaseURL("https://asanafake.test"),
		asana.WithHTTPClient(&http.Client{Transport: handlerTransport{m, srv}}),
		asana.WithRetryWait(time.Millisecond, 2*time.Millisecond),
		asana.WithMaxRetries(1),
		asana.WithRequestsPerMinute(6_000_000),
	}
	c, err := asana.NewClient(testToken, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// textResp is an answer of onRequest.
func textResp(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
}

// rawResp answers a request with a JSON body written out by hand, the way a
// misbehaving server or proxy might.
func rawResp(status int, body string) *http.Response {
	r := textResp(status, body)
	r.Header.Set("Content-Type", "application/json")
	return r
}

func asanaError(status int, msg string) *http.Response {
	b, err := json.Marshal(map[string]any{"errors": []map[string]string{{"message": msg}}})
	if err != nil {
		panic(err)
	}
	return rawResp(status, string(b))
}

// listingKind is the kind of request that lists a goal's sub-goals in m's
// world: goal relationships in today's Asana, the spec's path when m
// serves it.
func (m *mockAsana) listingKind() string {
	if m.specPath {
		return "subgoals"
	}
	return "relationships"
}

// message is err's message, "" for nil: what a test reads of an
// EmployeeReport's Err.
func message(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// seedN stores n goals (GIDs from first) for emp, complete.
func seedN(t *testing.T, store *goals.MemoryStore, emp string, first, n int) {
	t.Helper()
	gs := make([]goals.Goal, n)
	for i := range gs {
		gs[i] = goals.Goal{GID: fmt.Sprint(first + i), Name: "Stored", Status: status.OnTrack}
	}
	seed(t, store, emp, gs...)
}

// wsOwned returns n goals of owner, GIDs from first.
func wsOwned(owner string, first, n int) []asanafake.Goal {
	ws := make([]asanafake.Goal, n)
	for i := range ws {
		ws[i] = asanafake.Goal{GID: fmt.Sprint(first + i), Name: "Fresh", OwnerGID: owner}
	}
	return ws
}

// relationships answers goal_relationships for goal 1 with the given
// relationships, written out by hand.
func relationships(rels string) func(kind, gid string, req *http.Request) (*http.Response, error) {
	return func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == "relationships" && gid == "1" {
			return rawResp(200, `{"data":[`+rels+`],"next_page":null}`), nil
		}
		return nil, nil
	}
}

// fetchedGoals records the GIDs of GET /goals/{gid} requests to m.
func fetchedGoals(m *mockAsana) func() []string {
	var mu sync.Mutex
	var gids []string
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == "goal" {
			mu.Lock()
			gids = append(gids, gid)
			mu.Unlock()
		}
		return nil, nil
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(gids)
	}
}

// checkFetchedAlone checks that the sub-goal the scan never lists was
// fetched once, and no goal twice. Sub-goals the scan lists may be
// fetched too, when the walk asks before the scan has reached them.
func checkFetchedAlone(t *testing.T, fetched []string, unlisted string) {
	t.Helper()
	seen := map[string]int{}
	for _, g := range fetched {
		seen[g]++
		if seen[g] > 1 {
			t.Errorf("GET /goals/%s made twice (%v)", g, fetched)
		}
	}
	if seen[unlisted] != 1 {
		t.Errorf("GET /goals/{gid} made for %v, want once for the unlisted sub-goal %s", fetched, unlisted)
	}
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

// h1FY26 is a review of the first half of 2026.
var h1FY26 = goals.Period{From: asana.Date{Year: 2026, Month: 1, Day: 1}, To: asana.Date{Year: 2026, Month: 6, Day: 30}}

func periodOf(gid, start, end string) *asanafake.TimePeriod {
	return &asanafake.TimePeriod{GID: gid, DisplayName: gid, StartOn: start, EndOn: end}
}

// goalStatusWorkspace has goals and Key Results with a status update, a
// goal status field, both, or neither; goalStatusWant is what each is
// stored with.
func goalStatusWorkspace() []asanafake.Goal {
	return []asanafake.Goal{
		{GID: "1", Name: "Update wins", OwnerGID: "501", StatusType: "at_risk", GoalStatus: "red", SubgoalGIDs: []string{"11", "12", "13"}},
		{GID: "2", Name: "Red, no update", OwnerGID: "501", GoalStatus: "red"},
		{GID: "3", Name: "Green, no update", OwnerGID: "501", GoalStatus: "green"},
		{GID: "4", Name: "Achieved, no update", OwnerGID: "501", GoalStatus: "achieved"},
		{GID: "5", Name: "Nothing at all", OwnerGID: "501"},
		{GID: "6", Name: "Unknown word", OwnerGID: "501", GoalStatus: "purple"},
		{GID: "11", Name: "KR yellow", GoalStatus: "yellow"},
		{GID: "12", Name: "KR update wins", StatusType: "missed", GoalStatus: "green"},
		{GID: "13", Name: "KR nothing"},
	}
}

type wantStatus struct {
	status status.Status
	raw    string
	source goals.StatusSource
}

var goalStatusWant = map[string]wantStatus{
	"1":  {status.AtRisk, "at_risk", goals.StatusFromUpdate},
	"2":  {status.OffTrack, "red", goals.StatusFromGoal},
	"3":  {status.OnTrack, "green", goals.StatusFromGoal},
	"4":  {status.Completed, "achieved", goals.StatusFromGoal},
	"5":  {status.OnTrack, "", goals.StatusFromNone},
	"6":  {status.OnTrack, "purple", goals.StatusFromGoal},
	"11": {status.AtRisk, "yellow", goals.StatusFromGoal},
	"12": {status.OffTrack, "missed", goals.StatusFromUpdate},
	"13": {status.OnTrack, "", goals.StatusFromNone},
}

func checkGoalStatuses(t *testing.T, gs []goals.Goal) {
	t.Helper()
	if gidsOf(gs) != "1,2,3,4,5,6" || krGIDs(gs[0]) != "11,12,13" {
		t.Fatalf("stored %s with key results %s", gidsOf(gs), krGIDs(gs[0]))
	}
	check := func(gid string, got wantStatus) {
		if want := goalStatusWant[gid]; got != want {
			t.Errorf("goal %s: status %+v, want %+v", gid, got, want)
		}
	}
	for _, g := range gs {
		check(g.GID, wantStatus{g.Status, g.RawStatus, g.StatusSource})
	}
	for _, kr := range gs[0].KeyResults {
		check(kr.GID, wantStatus{kr.Status, kr.RawStatus, kr.StatusSource})
	}
}
