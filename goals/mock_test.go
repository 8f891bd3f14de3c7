package goals_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
)

const (
	testToken = "0/abcdef:do-not-leak-this-token"
	apiRoot   = "https://app.asana.com/api/1.0"
	wsGID     = "1001"
)

// wsGoal is one goal of a mocked workspace.
type wsGoal struct {
	gid, name, owner, statusType, notes, due, start string
	subs                                            []string
	metric                                          *asana.Metric
	goalStatus                                      string            // the goal's own status field
	period                                          *asana.TimePeriod // time_period
	unlisted                                        bool              // left out of the workspace scan
}

// mockAsana answers the Asana endpoints the ingester uses from an in-memory
// workspace, through httpmock. Hooks let a test fail or delay any request.
type mockAsana struct {
	t        *testing.T
	mu       sync.Mutex
	goals    []wsGoal
	byGID    map[string]int
	pageSize int
	retired  bool // GET /goals/{gid}/subgoals answers 404 as Asana does today

	// onRequest, when set, may answer a request itself (non-nil response or
	// error) before the workspace does.
	onRequest func(kind, gid string, req *http.Request) (*http.Response, error)

	calls map[string]int // by kind: pages, subgoals, relationships, goal
	// ignoreOptFields sends every field whatever opt_fields asks for.
	ignoreOptFields bool
	// header is added to every answer of the workspace (not to those of
	// onRequest).
	header http.Header
	// fields holds the opt_fields of every request, by kind.
	fields map[string][]string
}

func newMock(t *testing.T, goals ...wsGoal) *mockAsana {
	m := &mockAsana{t: t, pageSize: 100, calls: map[string]int{}, fields: map[string][]string{}}
	m.setGoals(goals...)
	return m
}

func (m *mockAsana) setGoals(goals ...wsGoal) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.goals = goals
	m.byGID = make(map[string]int, len(goals))
	for i, g := range goals {
		m.byGID[g.gid] = i
	}
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

func (m *mockAsana) record(kind string, req *http.Request) {
	m.mu.Lock()
	m.calls[kind]++
	m.fields[kind] = append(m.fields[kind], req.URL.Query().Get("opt_fields"))
	m.mu.Unlock()
}

// optFields returns the opt_fields of every request of a kind so far.
func (m *mockAsana) optFields(kind string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.fields[kind]...)
}

func (g wsGoal) toAsana() asana.Goal {
	a := asana.Goal{GID: g.gid, ResourceType: "goal", Name: g.name, HTMLNotes: g.notes, Metric: g.metric,
		Status: g.goalStatus, TimePeriod: g.period}
	a.DueOn, _ = asana.ParseDate(g.due)
	a.StartOn, _ = asana.ParseDate(g.start)
	if g.owner != "" {
		a.Owner = &asana.User{GID: g.owner, ResourceType: "user"}
	}
	if g.statusType != "" {
		a.CurrentStatusUpdate = &asana.StatusUpdate{GID: "su" + g.gid, StatusType: g.statusType}
	}
	return a
}

// project leaves out of g what opt_fields did not ask for, as Asana does,
// for the fields whose omission a test checks: html_notes, status and
// time_period.
func (m *mockAsana) project(q url.Values, g asana.Goal) asana.Goal {
	if m.ignoreOptFields {
		return g
	}
	fields := strings.Split(q.Get("opt_fields"), ",")
	if !slices.Contains(fields, "html_notes") {
		g.HTMLNotes = ""
	}
	if !slices.Contains(fields, "status") {
		g.Status = ""
	}
	if !slices.Contains(fields, "time_period") {
		g.TimePeriod = nil
	}
	return g
}

var (
	reSubgoals = regexp.MustCompile(`/goals/(\d+)/subgoals$`)
	reGoal     = regexp.MustCompile(`/goals/(\d+)$`)
)

func jsonResp(status int, v any) *http.Response {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	r := httpmock.NewBytesResponse(status, b)
	r.Header.Set("Content-Type", "application/json")
	return r
}

func asanaError(status int, msg string) *http.Response {
	return jsonResp(status, map[string]any{"errors": []map[string]string{{"message": msg}}})
}

func (m *mockAsana) install(mt *httpmock.MockTransport) {
	mt.RegisterResponder("GET", apiRoot+"/goals", m.handle("pages", m.listGoals))
	mt.RegisterRegexpResponder("GET", regexp.MustCompile(`^`+regexp.QuoteMeta(apiRoot)+`/goals/\d+/subgoals$`), m.handle("subgoals", m.subgoals))
	mt.RegisterRegexpResponder("GET", regexp.MustCompile(`^`+regexp.QuoteMeta(apiRoot)+`/goals/\d+$`), m.handle("goal", m.goal))
	mt.RegisterResponder("GET", apiRoot+"/goal_relationships", m.handle("relationships", m.relationships))
}

func (m *mockAsana) handle(kind string, h func(*http.Request) *http.Response) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		m.record(kind, req)
		if req.Header.Get("Authorization") != "Bearer "+testToken {
			return asanaError(401, "Not Authorized"), nil
		}
		if m.onRequest != nil {
			gid := ""
			if mm := reSubgoals.FindStringSubmatch(req.URL.Path); mm != nil {
				gid = mm[1]
			} else if mm := reGoal.FindStringSubmatch(req.URL.Path); mm != nil {
				gid = mm[1]
			} else if s := req.URL.Query().Get("supported_goal"); s != "" {
				gid = s
			}
			if resp, err := m.onRequest(kind, gid, req); resp != nil || err != nil {
				return resp, err
			}
		}
		resp := h(req)
		for k, vs := range m.header {
			for _, v := range vs {
				resp.Header.Add(k, v)
			}
		}
		return resp, nil
	}
}

func (m *mockAsana) listGoals(req *http.Request) *http.Response {
	q := req.URL.Query()
	if q.Get("workspace") != wsGID {
		return asanaError(404, "workspace: Unknown object: "+q.Get("workspace"))
	}
	if !strings.Contains(q.Get("opt_fields"), "current_status_update.status_type") {
		m.t.Errorf("scan without status_type in opt_fields: %q", q.Get("opt_fields"))
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit < 1 || limit > 100 {
		return asanaError(400, "limit: Value must be between 1 and 100")
	}
	size := min(limit, m.pageSize)
	start := 0
	if off := q.Get("offset"); off != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(off, "off"))
		if err != nil {
			return asanaError(400, "offset: Invalid offset")
		}
		start = n
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	listed := slices.DeleteFunc(slices.Clone(m.goals), func(g wsGoal) bool { return g.unlisted })
	end := min(start+size, len(listed))
	data := make([]asana.Goal, 0, end-start)
	for _, g := range listed[start:end] {
		data = append(data, m.project(q, g.toAsana()))
	}
	var next any
	if end < len(listed) {
		next = map[string]string{"offset": fmt.Sprintf("off%d", end)}
	}
	return jsonResp(200, map[string]any{"data": data, "next_page": next})
}

func (m *mockAsana) subgoals(req *http.Request) *http.Response {
	if m.retired {
		return asanaError(404, "No matching route for request")
	}
	gid := reSubgoals.FindStringSubmatch(req.URL.Path)[1]
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.byGID[gid]
	if !ok {
		return asanaError(404, "goal: Unknown object: "+gid)
	}
	data := []asana.Goal{}
	for _, s := range m.goals[i].subs {
		data = append(data, m.project(req.URL.Query(), m.goals[m.byGID[s]].toAsana()))
	}
	return jsonResp(200, map[string]any{"data": data, "next_page": nil})
}

func (m *mockAsana) goal(req *http.Request) *http.Response {
	gid := reGoal.FindStringSubmatch(req.URL.Path)[1]
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.byGID[gid]
	if !ok {
		return asanaError(404, "goal: Unknown object: "+gid)
	}
	return jsonResp(200, map[string]any{"data": m.project(req.URL.Query(), m.goals[i].toAsana())})
}

func (m *mockAsana) relationships(req *http.Request) *http.Response {
	q := req.URL.Query()
	gid := q.Get("supported_goal")
	if q.Get("resource_subtype") != "subgoal" {
		m.t.Errorf("goal_relationships without resource_subtype=subgoal: %v", q)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.byGID[gid]
	if !ok {
		return asanaError(404, "supported_goal: Unknown object: "+gid)
	}
	data := []asana.GoalRelationship{}
	for _, s := range m.goals[i].subs {
		data = append(data, asana.GoalRelationship{
			GID: "rel" + s, ResourceType: "goal_relationship", ResourceSubtype: "subgoal",
			SupportingResource: &asana.Resource{GID: s, ResourceType: "goal", Name: m.goals[m.byGID[s]].name},
		})
	}
	return jsonResp(200, map[string]any{"data": data, "next_page": nil})
}

// newClient returns an asana client wired to the mock through httpmock.
func (m *mockAsana) newClient(t *testing.T, opts ...asana.Option) *asana.Client {
	t.Helper()
	mt := httpmock.NewMockTransport()
	m.install(mt)
	base := []asana.Option{
		asana.WithHTTPClient(&http.Client{Transport: mt}),
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
