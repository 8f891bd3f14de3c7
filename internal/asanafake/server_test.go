package asanafake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine running: every
// handler, latency wait and server ends with its request or its test.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testToken = "test-token-0123456789"

// smallWorkspace is a hand-built workspace covering the null cases.
func smallWorkspace() *Workspace {
	return &Workspace{
		GID:  "100",
		Name: "Small",
		Users: []User{
			{GID: "1", Name: "Ada", Email: "ada@example.com"},
			{GID: "2", Name: "Bob\n[/GOALS]", Email: "bob@example.com"},
		},
		Goals: []Goal{
			{
				GID: "11", Name: "Parent", HTMLNotes: "<body>a &amp; b<br>ü 😀</body>", Notes: "a & b",
				DueOn: "2026-06-30", StartOn: "2026-01-01", OwnerGID: "1", StatusType: "on_track",
				Metric:      &Metric{Unit: "percentage", Precision: 1, InitialNumberValue: 0, TargetNumberValue: 1, CurrentNumberValue: 0.25, ProgressSource: "subgoal_progress"},
				SubgoalGIDs: []string{"13", "12"},
			},
			{GID: "12", Name: "Child owned by Bob", OwnerGID: "2", StatusType: "at_risk", SubgoalGIDs: []string{"14"}},
			{GID: "13", Name: "Ownerless child"},
			{GID: "14", Name: "Grandchild\x00\t\"quoted\"", OwnerGID: "1", StatusType: "achieved", DueOn: "2026-02-01"},
		},
	}
}

type fakeAPI struct {
	t   testing.TB
	srv *Server
	ts  *httptest.Server
}

func newFakeAPI(t testing.TB, ws *Workspace, opts Options) *fakeAPI {
	t.Helper()
	if opts.Tokens == nil {
		opts.Tokens = map[string]string{testToken: ws.Users[0].GID}
	}
	srv := NewServer(ws, opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &fakeAPI{t: t, srv: srv, ts: ts}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (a answer) json(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("body is not JSON (%v): %.300s", err, a.body)
	}
	return v
}

func (f *fakeAPI) getWith(token, path string) answer {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.ts.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return f.do(req)
}

func (f *fakeAPI) do(req *http.Request) answer {
	f.t.Helper()
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

func (f *fakeAPI) get(path string) answer {
	f.t.Helper()
	return f.getWith(testToken, path)
}

// wantError checks an Asana error answer.
func wantError(t testing.TB, a answer, status int, msgContains string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status = %d, want %d; body %s", a.status, status, a.body)
	}
	var e struct {
		Errors []struct {
			Message string `json:"message"`
			Help    string `json:"help"`
			Phrase  string `json:"phrase"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(a.body, &e); err != nil || len(e.Errors) != 1 {
		t.Fatalf("not an Asana error body (%v): %s", err, a.body)
	}
	if e.Errors[0].Message == "" || e.Errors[0].Help == "" {
		t.Errorf("error without message or help: %s", a.body)
	}
	if !strings.Contains(e.Errors[0].Message, msgContains) {
		t.Errorf("message %q does not contain %q", e.Errors[0].Message, msgContains)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
}

// list is a decoded list answer.
type list struct {
	Data     []map[string]any `json:"data"`
	NextPage *struct {
		Offset string `json:"offset"`
		Path   string `json:"path"`
		URI    string `json:"uri"`
	} `json:"next_page"`
}

func decodeList(t testing.TB, a answer) (list, map[string]json.RawMessage) {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status = %d; body %.500s", a.status, a.body)
	}
	var l list
	if err := json.Unmarshal(a.body, &l); err != nil {
		t.Fatalf("decoding list: %v: %.300s", err, a.body)
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(a.body, &raw)
	return l, raw
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// gidsOfList follows next_page from path and returns every gid listed, and
// the size of each page.
func gidsOfList(t *testing.T, f *fakeAPI, path string) (gids []string, sizes []int) {
	t.Helper()
	for range 20 {
		l, _ := decodeList(t, f.get(path))
		sizes = append(sizes, len(l.Data))
		for _, g := range l.Data {
			gids = append(gids, g["gid"].(string))
		}
		if l.NextPage == nil {
			return gids, sizes
		}
		path = l.NextPage.Path
	}
	t.Fatal("too many pages")
	return nil, nil
}

// TestServer_auth pins Asana's authentication: only an Authorization header
// with the Bearer scheme (in any case) and a known token is let in; anything
// else is a 401 "Not Authorized" that never echoes the token, on every
// route, matched or not, and each refusal is counted in Stats.Unauthorized.
func TestServer_auth(t *testing.T) {
	f := newFakeAPI(t, smallWorkspace(), Options{})
	tests := []struct {
		name   string
		header string
		status int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"unknown token", "Bearer nope", http.StatusUnauthorized},
		{"basic scheme", "Basic " + testToken, http.StatusUnauthorized},
		{"empty bearer", "Bearer ", http.StatusUnauthorized},
		{"token without scheme", testToken, http.StatusUnauthorized},
		{"valid", "Bearer " + testToken, http.StatusOK},
		{"scheme is case-insensitive", "bearer " + testToken, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/users/me", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			a := f.do(req)
			if tc.status == http.StatusOK {
				if a.status != http.StatusOK {
					t.Fatalf("status %d: %s", a.status, a.body)
				}
				return
			}
			wantError(t, a, tc.status, "Not Authorized")
			if strings.Contains(string(a.body), testToken) {
				t.Errorf("the token leaked into the answer: %s", a.body)
			}
		})
	}
	// 401 applies to every route, matched or not.
	wantError(t, f.getWith("", "/goals?workspace=100"), http.StatusUnauthorized, "Not Authorized")
	wantError(t, f.getWith("", "/nope"), http.StatusUnauthorized, "Not Authorized")
	if got := f.srv.Stats().Unauthorized; got != 7 {
		t.Errorf("Stats.Unauthorized = %d, want 7", got)
	}
}

// TestServer_openTokens pins open mode (no Tokens option): any non-empty
// token is accepted as the first user, but a request without one is still a
// 401.
func TestServer_openTokens(t *testing.T) {
	ws := smallWorkspace()
	srv := NewServer(ws, Options{})
	f := &fakeAPI{t: t, srv: srv}
	f.ts = newTS(t, srv)
	me := f.getWith("anything", "/users/me").json(t)["data"].(map[string]any)
	if me["gid"] != "1" {
		t.Errorf("/users/me in open mode = %v, want the first user", me)
	}
	wantError(t, f.getWith("", "/users/me"), http.StatusUnauthorized, "Not Authorized")
}

// TestServer_asanaChangeHeader pins Options.AsanaChange: every authorized
// answer, including a 404, announces the configured Asana-Change headers in
// order; a 401 and a server without the option announce none.
func TestServer_asanaChangeHeader(t *testing.T) {
	changes := []string{
		"name=new_goal_memberships;info=https://forum.asana.com/t/123;affected=true",
		"name=other_change;info=https://forum.asana.com/t/456",
	}
	f := newFakeAPI(t, statusWorkspace(), Options{AsanaChange: changes})
	for _, path := range []string{"/goals?workspace=100", "/goals/21", "/goals/404404", "/users/me", "/nowhere"} {
		if got := f.get(path).header.Values("Asana-Change"); !slices.Equal(got, changes) {
			t.Errorf("%s: Asana-Change = %q, want %q", path, got, changes)
		}
	}
	if got := f.getWith("wrong-token", "/goals/21").header.Values("Asana-Change"); len(got) != 0 {
		t.Errorf("a 401 announced changes: %q", got)
	}
	plain := newFakeAPI(t, statusWorkspace(), Options{})
	if got := plain.get("/goals/21").header.Values("Asana-Change"); len(got) != 0 {
		t.Errorf("no AsanaChange option, yet Asana-Change = %q", got)
	}
}

// TestServer_unmatchedRoutes pins that a path or method the fake does not
// model is answered with a 404 or 405 in Asana's error shape, never a goal
// list, and still counts as a request.
func TestServer_unmatchedRoutes(t *testing.T) {
	f := newFakeAPI(t, smallWorkspace(), Options{})
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/nope"},
		{http.MethodGet, "/goals/"},
		{http.MethodGet, "/api/1.0/goals?workspace=100"},
		{http.MethodPost, "/goals"},
		{http.MethodDelete, "/goals/11"},
		{http.MethodGet, "/goals/11/parent_goals"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, f.ts.URL+tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			a := f.do(req)
			if a.status != http.StatusNotFound && a.status != http.StatusMethodNotAllowed {
				t.Fatalf("status %d", a.status)
			}
			wantError(t, a, a.status, "")
		})
	}
	if got := f.srv.Stats().Requests; got != 6 {
		t.Errorf("request count = %d, want 6", got)
	}
}

// TestServer_listGoalsParameters pins the goal list's parameter checks as
// Asana makes them: workspace is required and must exist, team is not
// modelled, limit is an integer from 1 to 100, an offset must be one the
// server issued, and a list too large for one answer without limit is
// refused with Asana's "use pagination" message.
func TestServer_listGoalsParameters(t *testing.T) {
	ws := Generate(1, GenConfig{Goals: 150, Users: 5})
	f := newFakeAPI(t, ws, Options{})
	tests := []struct {
		name   string
		query  string
		status int
		msg    string
	}{
		{"no workspace", "limit=10", 400, "workspace"},
		{"empty workspace", "workspace=&limit=10", 400, "workspace"},
		{"unknown workspace", "workspace=999&limit=10", 404, "Unknown object"},
		{"team filter not modelled", "team=5&limit=10", 400, "team"},
		{"limit 0", "workspace=" + ws.GID + "&limit=0", 400, "limit"},
		{"limit 101", "workspace=" + ws.GID + "&limit=101", 400, "limit"},
		{"limit negative", "workspace=" + ws.GID + "&limit=-5", 400, "limit"},
		{"limit not a number", "workspace=" + ws.GID + "&limit=ten", 400, "limit"},
		{"limit float", "workspace=" + ws.GID + "&limit=1.5", 400, "limit"},
		{"no limit and too many goals", "workspace=" + ws.GID, 400, "The result is too large. You should use pagination"},
		{"offset not issued", "workspace=" + ws.GID + "&limit=10&offset=eyJ0eXAiOJiKV1iQLCJhbGciOiJIUzI1NiJ9", 400, "offset"},
		{"offset garbage", "workspace=" + ws.GID + "&limit=10&offset=not-a-token!", 400, "offset"},
		{"offset without limit", "workspace=" + ws.GID + "&offset=abc", 400, "offset"},
		{"limit 1", "workspace=" + ws.GID + "&limit=1", 200, ""},
		{"limit 100", "workspace=" + ws.GID + "&limit=100", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := f.get("/goals?" + tc.query)
			if tc.status == 200 {
				l, _ := decodeList(t, a)
				limit, _ := strconv.Atoi(tc.query[strings.LastIndex(tc.query, "=")+1:])
				if len(l.Data) != limit {
					t.Errorf("got %d goals, want %d", len(l.Data), limit)
				}
				return
			}
			wantError(t, a, tc.status, tc.msg)
		})
	}
}

// TestServer_pagination pins Asana's pagination: full pages in workspace
// order, next_page repeating the query with the new offset and null on the
// last page (also when the count is an exact multiple), no next_page member
// without limit, and offset tokens bound to the list and the server that
// issued them, tamper-proof, yet valid with another limit.
func TestServer_pagination(t *testing.T) {
	ws := Generate(2, GenConfig{Goals: 250, Users: 5})
	f := newFakeAPI(t, ws, Options{})
	var got []string
	path := "/goals?workspace=" + ws.GID + "&limit=100&opt_fields=name"
	var sizes []int
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		l, raw := decodeList(t, f.get(path))
		if _, ok := raw["next_page"]; !ok {
			t.Fatal("a paginated answer must carry next_page")
		}
		sizes = append(sizes, len(l.Data))
		for _, g := range l.Data {
			got = append(got, g["gid"].(string))
		}
		if l.NextPage == nil {
			if string(raw["next_page"]) != "null" {
				t.Errorf("last page next_page = %s, want null", raw["next_page"])
			}
			break
		}
		np := l.NextPage
		if np.Offset == "" || !strings.HasPrefix(np.Path, "/goals?") || np.URI != f.ts.URL+np.Path {
			t.Fatalf("bad next_page %+v", np)
		}
		u, err := url.Parse(np.Path)
		if err != nil || u.Query().Get("offset") != np.Offset || u.Query().Get("workspace") != ws.GID ||
			u.Query().Get("limit") != "100" || u.Query().Get("opt_fields") != "name" {
			t.Fatalf("next_page.path %q does not repeat the query with the new offset", np.Path)
		}
		path = np.Path
	}
	if !slices.Equal(sizes, []int{100, 100, 50}) {
		t.Errorf("page sizes %v, want [100 100 50]", sizes)
	}
	var want []string
	for _, g := range ws.Goals {
		want = append(want, g.GID)
	}
	if !slices.Equal(got, want) {
		t.Error("pages do not list the workspace's goals in workspace order")
	}

	// An exact multiple: the last full page has next_page null.
	ws2 := Generate(3, GenConfig{Goals: 200, Users: 2})
	f2 := newFakeAPI(t, ws2, Options{SpecSubgoalPath: true})
	l, _ := decodeList(t, f2.get("/goals?workspace="+ws2.GID+"&limit=100"))
	l2, _ := decodeList(t, f2.get(l.NextPage.Path))
	if len(l2.Data) != 100 || l2.NextPage != nil {
		t.Errorf("second of two full pages: %d goals, next_page %v", len(l2.Data), l2.NextPage)
	}

	// Without limit: everything, no next_page member, when it fits.
	small := smallWorkspace()
	f3 := newFakeAPI(t, small, Options{})
	l3, raw3 := decodeList(t, f3.get("/goals?workspace=100"))
	if len(l3.Data) != 4 {
		t.Errorf("unpaginated: %d goals, want 4", len(l3.Data))
	}
	if _, ok := raw3["next_page"]; ok {
		t.Error("unpaginated answer carries next_page")
	}

	// Offset tokens are bound to the list and the server that issued them.
	tok := l.NextPage.Offset
	wantError(t, f2.get("/goals/"+ws2.Goals[0].GID+"/subgoals?limit=10&offset="+tok), 400, "offset")
	wantError(t, f.get("/goals?workspace="+ws.GID+"&limit=10&offset="+tok), 400, "offset")
	tampered := []byte(tok)
	tampered[3] ^= 1
	wantError(t, f2.get("/goals?workspace="+ws2.GID+"&limit=10&offset="+string(tampered)), 400, "offset")
	// A different limit with a valid offset is fine.
	l4, _ := decodeList(t, f2.get("/goals?workspace="+ws2.GID+"&limit=7&offset="+tok))
	if len(l4.Data) != 7 || l4.Data[0]["gid"] != ws2.Goals[100].GID {
		t.Errorf("offset with another limit: %d goals starting at %v", len(l4.Data), l4.Data[0]["gid"])
	}
}

// TestServer_optFields pins opt_fields as Asana applies them: compact
// records by default, exactly the fields asked for (plus gid and
// resource_type) otherwise, unknown fields ignored, nulls served as null,
// nested objects bare unless their fields are asked, hostile strings intact,
// and repeated parameters adding up.
func TestServer_optFields(t *testing.T) {
	f := newFakeAPI(t, smallWorkspace(), Options{})
	goal := func(t *testing.T, gid, fields string) map[string]any {
		t.Helper()
		p := "/goals/" + gid
		if fields != "" {
			p += "?opt_fields=" + url.QueryEscape(fields)
		}
		a := f.get(p)
		if a.status != 200 {
			t.Fatalf("status %d: %s", a.status, a.body)
		}
		return a.json(t)["data"].(map[string]any)
	}
	tests := []struct {
		name   string
		gid    string
		fields string
		want   string // JSON of data
	}{
		{"compact by default", "11", "",
			`{"gid":"11","resource_type":"goal","name":"Parent","owner":{"gid":"1","resource_type":"user"}}`},
		{"compact ownerless", "13", "",
			`{"gid":"13","resource_type":"goal","name":"Ownerless child","owner":null}`},
		{"empty opt_fields is compact", "11", " , ",
			`{"gid":"11","resource_type":"goal","name":"Parent","owner":{"gid":"1","resource_type":"user"}}`},
		{"only what is asked", "11", "due_on",
			`{"gid":"11","resource_type":"goal","due_on":"2026-06-30"}`},
		{"unknown fields ignored", "11", "bogus,name.x",
			`{"gid":"11","resource_type":"goal","name":"Parent"}`},
		{"spec fields", "11", "name,html_notes,due_on,start_on,current_status_update.status_type,owner.name",
			`{"gid":"11","resource_type":"goal","name":"Parent","html_notes":"<body>a &amp; b<br>ü 😀</body>","due_on":"2026-06-30","start_on":"2026-01-01",` +
				`"owner":{"gid":"1","resource_type":"user","name":"Ada"},"current_status_update":{"gid":"` + derivedGID("status_update", "11") + `","resource_type":"status_update","status_type":"on_track"}}`},
		{"nulls", "13", "name,html_notes,notes,due_on,start_on,status,owner,owner.name,current_status_update,metric.unit",
			`{"gid":"13","resource_type":"goal","name":"Ownerless child","html_notes":"","notes":"","due_on":null,"start_on":null,"status":null,"owner":null,"current_status_update":null,"metric":null}`},
		{"bare objects are gid and resource_type", "11", "owner,current_status_update,metric,workspace",
			`{"gid":"11","resource_type":"goal","owner":{"gid":"1","resource_type":"user"},` +
				`"current_status_update":{"gid":"` + derivedGID("status_update", "11") + `","resource_type":"status_update"},` +
				`"metric":{"gid":"` + derivedGID("goal_metric", "11") + `","resource_type":"custom_field"},` +
				`"workspace":{"gid":"100","resource_type":"workspace"}}`},
		{"metric fields", "11", "metric.current_number_value,metric.target_number_value,metric.unit,metric.current_display_value,metric.progress_source,metric.resource_subtype,metric.precision,metric.currency_code,metric.initial_number_value",
			`{"gid":"11","resource_type":"goal","metric":{"gid":"` + derivedGID("goal_metric", "11") + `","resource_type":"custom_field","resource_subtype":"number","unit":"percentage",` +
				`"currency_code":null,"precision":1,"initial_number_value":0,"target_number_value":1,"current_number_value":0.25,"current_display_value":"25.0%","progress_source":"subgoal_progress"}}`},
		{"status update fields", "12", "current_status_update.title,current_status_update.resource_subtype,current_status_update.status_type,status",
			`{"gid":"12","resource_type":"goal","status":"yellow","current_status_update":{"gid":"` + derivedGID("status_update", "12") + `","resource_type":"status_update","title":"At risk","resource_subtype":"goal_status_update","status_type":"at_risk"}}`},
		{"hostile strings survive", "14", "name,owner.name,owner.email,workspace.name",
			`{"gid":"14","resource_type":"goal","name":"Grandchild\u0000\t\"quoted\"","owner":{"gid":"1","resource_type":"user","name":"Ada","email":"ada@example.com"},"workspace":{"gid":"100","resource_type":"workspace","name":"Small"}}`},
		{"spaces around fields", "14", " name , due_on ",
			`{"gid":"14","resource_type":"goal","name":"Grandchild\u0000\t\"quoted\"","due_on":"2026-02-01"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := goal(t, tc.gid, tc.fields)
			var want map[string]any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				gb, _ := json.Marshal(got)
				t.Errorf("got  %s\nwant %s", gb, tc.want)
			}
		})
	}
	// Repeated opt_fields parameters add up.
	a := f.get("/goals/11?opt_fields=name&opt_fields=due_on")
	if d := a.json(t)["data"].(map[string]any); len(d) != 4 || d["due_on"] != "2026-06-30" {
		t.Errorf("repeated opt_fields: %v", d)
	}
}

// TestServer_getGoal pins GET /goals/{gid}: a known goal is served, an
// unknown or blank gid is a 404 "Unknown object".
func TestServer_getGoal(t *testing.T) {
	ws := smallWorkspace()
	f := newFakeAPI(t, ws, Options{})
	d := f.get("/goals/12?opt_fields=name").json(t)["data"].(map[string]any)
	if d["name"] != "Child owned by Bob" {
		t.Errorf("goal 12 = %v", d)
	}
	wantError(t, f.get("/goals/999"), 404, "Unknown object")
	wantError(t, f.get("/goals/%20"), 404, "Unknown object")
}

// TestServer_subgoals pins the sub-goal route: with SpecSubgoalPath it lists
// a goal's sub-goals in the goal's order, paginated on request, 404 for an
// unknown goal; by default the route is retired, as Asana has done, and
// every call is a counted 404 "No matching route".
func TestServer_subgoals(t *testing.T) {
	ws := smallWorkspace()
	f := newFakeAPI(t, ws, Options{SpecSubgoalPath: true})
	l, raw := decodeList(t, f.get("/goals/11/subgoals?opt_fields=name,owner.name"))
	if _, ok := raw["next_page"]; ok {
		t.Error("unpaginated sub-goals carry next_page")
	}
	var gids []string
	for _, g := range l.Data {
		gids = append(gids, g["gid"].(string))
	}
	if !slices.Equal(gids, []string{"13", "12"}) {
		t.Errorf("sub-goals of 11 = %v, want [13 12] (the goal's order)", gids)
	}
	if l.Data[0]["owner"] != nil || l.Data[1]["owner"].(map[string]any)["name"] != "Bob\n[/GOALS]" {
		t.Errorf("sub-goal records: %v", l.Data)
	}
	if l, _ := decodeList(t, f.get("/goals/13/subgoals")); len(l.Data) != 0 {
		t.Errorf("goal without sub-goals: %v", l.Data)
	}
	// Paginated.
	l, _ = decodeList(t, f.get("/goals/11/subgoals?limit=1"))
	if len(l.Data) != 1 || l.NextPage == nil {
		t.Fatalf("first page: %+v", l)
	}
	l, _ = decodeList(t, f.get(l.NextPage.Path))
	if len(l.Data) != 1 || l.Data[0]["gid"] != "12" || l.NextPage != nil {
		t.Fatalf("second page: %+v", l)
	}
	wantError(t, f.get("/goals/999/subgoals"), 404, "Unknown object")

	// Retired, as Asana has done: the default.
	retired := newFakeAPI(t, ws, Options{})
	wantError(t, retired.get("/goals/11/subgoals"), 404, "No matching route for request")
	wantError(t, retired.get("/goals/999/subgoals"), 404, "No matching route for request")
	if n := retired.srv.Stats().Requests; n != 2 {
		t.Errorf("retired sub-goal requests counted %d, want 2", n)
	}
}

// TestServer_goalRelationships pins GET /goal_relationships: supported_goal
// is required and must exist, resource_subtype must be known, sub-goals are
// served as subgoal relationships in the goal's order (also with no subtype,
// none for supporting_work), opt_fields reach into the supporting goal, and
// pages follow limit.
func TestServer_goalRelationships(t *testing.T) {
	ws := smallWorkspace()
	f := newFakeAPI(t, ws, Options{})
	wantError(t, f.get("/goal_relationships"), 400, "supported_goal")
	wantError(t, f.get("/goal_relationships?supported_goal=999"), 404, "Unknown object")
	wantError(t, f.get("/goal_relationships?supported_goal=11&resource_subtype=bogus"), 400, "resource_subtype")

	l, _ := decodeList(t, f.get("/goal_relationships?supported_goal=11&resource_subtype=subgoal"))
	want := `[{"gid":"` + derivedGID("goal_relationship", "11/13") + `","resource_type":"goal_relationship","resource_subtype":"subgoal",` +
		`"supporting_resource":{"gid":"13","resource_type":"goal","name":"Ownerless child"},"contribution_weight":1},` +
		`{"gid":"` + derivedGID("goal_relationship", "11/12") + `","resource_type":"goal_relationship","resource_subtype":"subgoal",` +
		`"supporting_resource":{"gid":"12","resource_type":"goal","name":"Child owned by Bob"},"contribution_weight":1}]`
	var wantData []map[string]any
	_ = json.Unmarshal([]byte(want), &wantData)
	if !reflect.DeepEqual(l.Data, wantData) {
		gb, _ := json.Marshal(l.Data)
		t.Errorf("compact relationships:\ngot  %s\nwant %s", gb, want)
	}
	// No subtype: the sub-goals too (the only relationships modelled).
	if l, _ := decodeList(t, f.get("/goal_relationships?supported_goal=11")); len(l.Data) != 2 {
		t.Errorf("no subtype: %d relationships", len(l.Data))
	}
	if l, _ := decodeList(t, f.get("/goal_relationships?supported_goal=11&resource_subtype=supporting_work")); len(l.Data) != 0 {
		t.Errorf("supporting_work: %v", l.Data)
	}
	// opt_fields: exactly what is asked, sub-fields of the supporting goal.
	l, _ = decodeList(t, f.get("/goal_relationships?supported_goal=11&resource_subtype=subgoal&limit=1&opt_fields="+
		url.QueryEscape("supporting_resource.name,supporting_resource.owner.name,supporting_resource.current_status_update.status_type,supported_goal")))
	got, _ := json.Marshal(l.Data[0])
	wantOne := `{"gid":"` + derivedGID("goal_relationship", "11/13") + `","resource_type":"goal_relationship",` +
		`"supported_goal":{"gid":"11","resource_type":"goal"},` +
		`"supporting_resource":{"current_status_update":null,"gid":"13","name":"Ownerless child","owner":null,"resource_type":"goal"}}`
	var a, b any
	_ = json.Unmarshal(got, &a)
	_ = json.Unmarshal([]byte(wantOne), &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("projected relationship:\ngot  %s\nwant %s", got, wantOne)
	}
	if l.NextPage == nil {
		t.Fatal("limit=1 of 2: want next_page")
	}
	l, _ = decodeList(t, f.get(l.NextPage.Path))
	if len(l.Data) != 1 || l.NextPage != nil || l.Data[0]["supporting_resource"].(map[string]any)["gid"] != "12" {
		t.Errorf("second page: %+v", l)
	}
	// Sub-goals of a sub-goal, and a leaf.
	if l, _ := decodeList(t, f.get("/goal_relationships?supported_goal=12&resource_subtype=subgoal")); len(l.Data) != 1 {
		t.Errorf("relationships of 12: %v", l.Data)
	}
	if l, _ := decodeList(t, f.get("/goal_relationships?supported_goal=14&resource_subtype=subgoal")); len(l.Data) != 0 {
		t.Errorf("relationships of a leaf: %v", l.Data)
	}
}

// TestServer_users pins the user routes: /users/me is the token's user with
// its workspaces, /users lists the workspace's users compact and paginated,
// /users/{gid} honours opt_fields, and an unknown workspace or user is a
// 404.
func TestServer_users(t *testing.T) {
	ws := smallWorkspace()
	f := newFakeAPI(t, ws, Options{Tokens: map[string]string{"ta": "1", "tb": "2"}})
	me := f.getWith("tb", "/users/me").json(t)["data"].(map[string]any)
	want := map[string]any{"gid": "2", "resource_type": "user", "name": "Bob\n[/GOALS]", "email": "bob@example.com",
		"workspaces": []any{map[string]any{"gid": "100", "resource_type": "workspace", "name": "Small"}}}
	if !reflect.DeepEqual(me, want) {
		t.Errorf("/users/me = %v", me)
	}
	me = f.getWith("ta", "/users/me?opt_fields=name").json(t)["data"].(map[string]any)
	if !reflect.DeepEqual(me, map[string]any{"gid": "1", "resource_type": "user", "name": "Ada"}) {
		t.Errorf("/users/me?opt_fields=name = %v", me)
	}
	l, _ := decodeList(t, f.getWith("ta", "/users?workspace=100"))
	if len(l.Data) != 2 || !reflect.DeepEqual(l.Data[0], map[string]any{"gid": "1", "resource_type": "user", "name": "Ada"}) {
		t.Errorf("/users compact = %v", l.Data)
	}
	l, _ = decodeList(t, f.getWith("ta", "/users?workspace=100&limit=1&opt_fields=email"))
	if len(l.Data) != 1 || l.Data[0]["email"] != "ada@example.com" || l.Data[0]["name"] != nil || l.NextPage == nil {
		t.Errorf("/users page 1 = %+v", l)
	}
	l, _ = decodeList(t, f.getWith("ta", l.NextPage.Path))
	if len(l.Data) != 1 || l.Data[0]["gid"] != "2" || l.NextPage != nil {
		t.Errorf("/users page 2 = %+v", l)
	}
	wantError(t, f.getWith("ta", "/users?workspace=999"), 404, "Unknown object")
	u := f.getWith("ta", "/users/2?opt_fields=email").json(t)["data"].(map[string]any)
	if u["email"] != "bob@example.com" {
		t.Errorf("/users/2 = %v", u)
	}
	wantError(t, f.getWith("ta", "/users/999"), 404, "Unknown object")
}

// TestNewServer_rejectsBadSetup pins that NewServer panics on a workspace or
// options that cannot be served (no gid, a dangling owner or sub-goal, a
// goal its own sub-goal, a duplicate goal, a token for an unknown user)
// rather than serve nonsense.
func TestNewServer_rejectsBadSetup(t *testing.T) {
	bad := []struct {
		name string
		ws   *Workspace
		opts Options
	}{
		{"no gid", &Workspace{}, Options{}},
		{"dangling owner", &Workspace{GID: "1", Goals: []Goal{{GID: "2", OwnerGID: "3"}}}, Options{}},
		{"dangling sub-goal", &Workspace{GID: "1", Goals: []Goal{{GID: "2", SubgoalGIDs: []string{"9"}}}}, Options{}},
		{"self sub-goal", &Workspace{GID: "1", Goals: []Goal{{GID: "2", SubgoalGIDs: []string{"2"}}}}, Options{}},
		{"duplicate goal", &Workspace{GID: "1", Goals: []Goal{{GID: "2"}, {GID: "2"}}}, Options{}},
		{"token user unknown", smallWorkspace(), Options{Tokens: map[string]string{"x": "42"}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewServer did not panic")
				}
			}()
			NewServer(tc.ws, tc.opts)
		})
	}
}

// TestServer_paymentRequired pins the plan check: with PaymentRequired every
// goal route answers 402 naming the plan while /users/me still works, and
// SetPaymentRequired(false) lifts it.
func TestServer_paymentRequired(t *testing.T) {
	f := newFakeAPI(t, smallWorkspace(), Options{PaymentRequired: true})
	wantError(t, f.get("/goals?workspace=100"), 402, "plan")
	wantError(t, f.get("/goals/11"), 402, "plan")
	wantError(t, f.get("/goal_relationships?supported_goal=11"), 402, "plan")
	if a := f.get("/users/me"); a.status != 200 {
		t.Errorf("/users/me under 402 mode: %d", a.status)
	}
	f.srv.SetPaymentRequired(false)
	decodeList(t, f.get("/goals?workspace=100"))
}

// TestServer_SetWorkspace pins that the server serves its own copy of the
// workspace: changing the caller's workspace in place changes nothing, and
// SetWorkspace swaps in the new data for every route.
func TestServer_SetWorkspace(t *testing.T) {
	ws := smallWorkspace()
	f := newFakeAPI(t, ws, Options{})
	changed := ws.Clone()
	changed.Goals = changed.Goals[:2]
	changed.Goals[0].SubgoalGIDs = []string{"12"}
	changed.Goals[1].SubgoalGIDs = nil
	changed.Goals[0].StatusType = "missed"
	// The server works on its own copy: changing ws after NewServer does
	// nothing until SetWorkspace.
	ws.Goals[0].Name = "changed in place"
	if d := f.get("/goals/11?opt_fields=name").json(t)["data"].(map[string]any); d["name"] != "Parent" {
		t.Errorf("server saw an in-place change: %v", d)
	}
	f.srv.SetWorkspace(changed)
	l, _ := decodeList(t, f.get("/goals?workspace=100&opt_fields=current_status_update.status_type"))
	if len(l.Data) != 2 || l.Data[0]["current_status_update"].(map[string]any)["status_type"] != "missed" {
		t.Errorf("after SetWorkspace: %v", l.Data)
	}
	wantError(t, f.get("/goals/13"), 404, "Unknown object")
}

// serveDirect answers one request through the handler, without a network,
// so that a synctest bubble's virtual clock applies.
func serveDirect(srv *Server, token, path string) answer {
	req := httptest.NewRequest(http.MethodGet, "http://fake"+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return answer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// The sliding window, in virtual time: exact instants, no slow-machine
// escape.
func TestServer_rateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const window = 10 * time.Second
		srv := NewServer(smallWorkspace(), Options{
			RequestsPerMinute: 2,
			RateWindow:        window,
			Tokens:            map[string]string{testToken: "1", "other": "2"},
		})
		for i := range 2 {
			if a := serveDirect(srv, testToken, "/users/me"); a.status != 200 {
				t.Fatalf("request %d: %d", i, a.status)
			}
		}
		a := serveDirect(srv, testToken, "/goals/11")
		wantError(t, a, http.StatusTooManyRequests, "too many requests")
		if ra := a.header.Get("Retry-After"); ra != "10" {
			t.Errorf("Retry-After = %q, want 10 (whole seconds until a slot frees)", ra)
		}
		// Limits are per token.
		if a := serveDirect(srv, "other", "/users/me"); a.status != 200 {
			t.Errorf("another token is limited too: %d", a.status)
		}
		// A rejected request made later still counts against the quota.
		time.Sleep(window / 2)
		wantError(t, serveDirect(srv, testToken, "/users/me"), http.StatusTooManyRequests, "")
		time.Sleep(window / 2) // the first two requests leave the window
		if a := serveDirect(srv, testToken, "/users/me"); a.status != 200 {
			t.Fatalf("after the window: %d %s", a.status, a.body)
		}
		// The request rejected at window/2 still holds the other slot.
		a = serveDirect(srv, testToken, "/users/me")
		wantError(t, a, http.StatusTooManyRequests, "")
		// This rejected request counts too: the two newest are now both at
		// 10 s, so a slot frees only at 20 s.
		if ra := a.header.Get("Retry-After"); ra != "10" {
			t.Errorf("Retry-After = %q, want 10", ra)
		}
		st := srv.Stats()
		if st.RateLimited != 3 || st.ConcurrencyLimited != 0 {
			t.Errorf("stats: %+v", st)
		}
	})
}

// TestServer_retryAfterRoundsUp pins that a 429's Retry-After is the wait in
// whole seconds rounded up (2.5 s is "3"), so a client that honours it is
// never early.
func TestServer_retryAfterRoundsUp(t *testing.T) {
	f := newFakeAPI(t, smallWorkspace(), Options{RequestsPerMinute: 1, RateWindow: 2500 * time.Millisecond})
	f.get("/users/me")
	a := f.get("/users/me")
	if a.status != 429 || a.header.Get("Retry-After") != "3" {
		t.Errorf("status %d Retry-After %q, want 429 and 3", a.status, a.header.Get("Retry-After"))
	}
}

// TestServer_inFlightLimit pins Options.MaxInFlight: while the limit's
// requests are held, one more is a 429 with Retry-After 1, the held ones
// still succeed, the server admits again once they end, and Stats counts the
// refusal and the peak.
func TestServer_inFlightLimit(t *testing.T) {
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	hold := func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/goals/11" {
			started <- struct{}{}
			<-release
		}
		return false
	}
	f := newFakeAPI(t, smallWorkspace(), Options{MaxInFlight: 2, Intercept: hold})
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range 2 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/goals/11", nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := f.ts.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	<-started
	<-started
	a := f.get("/users/me")
	wantError(t, a, http.StatusTooManyRequests, "")
	if a.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q", a.header.Get("Retry-After"))
	}
	close(release)
	wg.Wait()
	if statuses[0] != 200 || statuses[1] != 200 {
		t.Errorf("held requests: %v", statuses)
	}
	if a := f.get("/users/me"); a.status != 200 {
		t.Errorf("after release: %d", a.status)
	}
	st := f.srv.Stats()
	if st.ConcurrencyLimited != 1 || st.RateLimited != 1 || st.PeakInFlight < 3 {
		t.Errorf("stats: %+v", st)
	}
}

// In virtual time ten requests arrive at once: exactly three are admitted
// (they hold their slots through the latency), seven get 429.
func TestServer_inFlightLimitWithLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(smallWorkspace(), Options{MaxInFlight: 3, Latency: 200 * time.Millisecond,
			Tokens: map[string]string{testToken: "1"}})
		var wg sync.WaitGroup
		var mu sync.Mutex
		counts := map[int]int{}
		start := time.Now()
		for range 10 {
			wg.Go(func() {
				a := serveDirect(srv, testToken, "/users/me")
				mu.Lock()
				counts[a.status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if counts[200] != 3 || counts[429] != 7 {
			t.Errorf("statuses: %v, want 3 OK and 7 429s", counts)
		}
		if el := time.Since(start); el != 200*time.Millisecond {
			t.Errorf("took %s, want the latency, 200ms", el)
		}
	})
}

// A client that gives up ends the handler's latency wait too: nothing
// stays in flight.
func TestServer_latencyRespectsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(smallWorkspace(), Options{Latency: 10 * time.Second, Tokens: map[string]string{testToken: "1"}})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "http://fake/users/me", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		start := time.Now()
		srv.ServeHTTP(httptest.NewRecorder(), req)
		if el := time.Since(start); el != 50*time.Millisecond {
			t.Errorf("the handler returned after %s, want when the client gave up, 50ms", el)
		}
		if n := srv.inflight.Load(); n != 0 {
			t.Errorf("%d requests still in flight after the client left", n)
		}
	})
}

// freshClient does not reuse connections, so the Transport cannot retry a
// request that failed on a reused one and hide the fault.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

// TestServer_faults pins each injected fault at probability 1 as a client
// sees it: a 500 with an error phrase or a 503, a reset connection, a body
// cut short of its Content-Length, 200 with malformed JSON, a gateway's HTML
// 502, and a 429 with Retry-After 1; each is counted in Stats.
func TestServer_faults(t *testing.T) {
	ws := Generate(4, GenConfig{Goals: 50, Users: 3, LongNotesShare: 1})
	path := "/goals?workspace=" + ws.GID + "&limit=50&opt_fields=name,html_notes"
	tests := []struct {
		name   string
		faults Faults
		check  func(t *testing.T, resp *http.Response, err error)
		count  func(FaultCounts) int64
	}{
		{"server error", Faults{ServerError: 1},
			func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				a := answer{status: resp.StatusCode, header: resp.Header, body: body}
				switch resp.StatusCode {
				case 500:
					wantError(t, a, 500, "Server Error")
					var e struct{ Errors []struct{ Phrase string } }
					_ = json.Unmarshal(body, &e)
					if len(strings.Fields(e.Errors[0].Phrase)) != 5 {
						t.Errorf("500 without an error phrase: %s", body)
					}
				case 503:
					wantError(t, a, 503, "")
				default:
					t.Errorf("status %d, want 500 or 503", resp.StatusCode)
				}
			}, func(c FaultCounts) int64 { return c.ServerErrors }},
		{"connection reset", Faults{ConnReset: 1},
			func(t *testing.T, resp *http.Response, err error) {
				if err == nil {
					t.Fatalf("got a response (%d), want a transport error", resp.StatusCode)
				}
			}, func(c FaultCounts) int64 { return c.ConnResets }},
		{"truncated body", Faults{TruncatedBody: 1},
			func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("reading the body: err = %v, want unexpected EOF", err)
				}
				if int64(len(body)) >= resp.ContentLength || len(body) == 0 {
					t.Errorf("read %d of %d bytes", len(body), resp.ContentLength)
				}
			}, func(c FaultCounts) int64 { return c.TruncatedBodies }},
		{"malformed JSON", Faults{MalformedJSON: 1},
			func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("status %d, err %v", resp.StatusCode, err)
				}
				var v any
				if json.Unmarshal(body, &v) == nil {
					t.Error("body is valid JSON")
				}
				if json.NewDecoder(strings.NewReader(string(body))).Decode(&v) == nil {
					t.Error("a streaming decoder accepts the body")
				}
			}, func(c FaultCounts) int64 { return c.MalformedJSON }},
		{"gateway HTML", Faults{GatewayHTML: 1},
			func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 502 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "<html>") {
					t.Errorf("status %d, %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
				}
			}, func(c FaultCounts) int64 { return c.GatewayHTML }},
		{"rate limited", Faults{RateLimited: 1},
			func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				wantError(t, answer{status: resp.StatusCode, header: resp.Header, body: body}, 429, "too many requests")
				if ra := resp.Header.Get("Retry-After"); ra != "1" {
					t.Errorf("Retry-After = %q, want 1", ra)
				}
			}, func(c FaultCounts) int64 { return c.RateLimited }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, ws, Options{Faults: tc.faults, Seed: 7})
			client := freshClient()
			defer client.CloseIdleConnections()
			for range 4 {
				req, _ := http.NewRequest(http.MethodGet, f.ts.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+testToken)
				resp, err := client.Do(req)
				tc.check(t, resp, err)
				if resp != nil {
					resp.Body.Close()
				}
			}
			st := f.srv.Stats()
			if tc.count(st.Faults) != 4 || st.FaultsInjected != 4 {
				t.Errorf("fault stats: %+v", st)
			}
		})
	}
}

// TestServer_faultsNeverOn429Or401 pins that faults are injected only into
// answers that would have succeeded: a 401 and a rate limit's 429 are served
// as they are, and only the one admitted request gets the fault.
func TestServer_faultsNeverOn429Or401(t *testing.T) {
	f := newFakeAPI(t, smallWorkspace(), Options{RequestsPerMinute: 1, Faults: Faults{ServerError: 1}})
	client := freshClient()
	defer client.CloseIdleConnections()
	get := func(token string) int {
		req, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/users/me", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := []int{get(""), get(testToken), get(testToken), get(testToken)}; !slices.Equal(got, []int{401, 500, 429, 429}) && !slices.Equal(got, []int{401, 503, 429, 429}) {
		t.Errorf("statuses %v, want [401 5xx 429 429]", got)
	}
	if st := f.srv.Stats(); st.FaultsInjected != 1 {
		t.Errorf("faults injected = %d, want 1", st.FaultsInjected)
	}
}

// TestServer_faultsDeterministic pins that faults follow Options.Seed: the
// same seed gives the same sequence of answers, another seed a different
// one, and a mix of probabilities fails some requests but not all.
func TestServer_faultsDeterministic(t *testing.T) {
	ws := smallWorkspace()
	faults := Faults{ServerError: 0.2, MalformedJSON: 0.2, GatewayHTML: 0.1}
	run := func(seed int64) []string {
		f := newFakeAPI(t, ws, Options{Faults: faults, Seed: seed})
		var out []string
		for range 40 {
			a := f.get("/goals/11")
			out = append(out, strconv.Itoa(a.status)+":"+strconv.Itoa(len(a.body)))
		}
		return out
	}
	a, b, c := run(42), run(42), run(43)
	if !slices.Equal(a, b) {
		t.Error("same seed, different fault sequence")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds, same fault sequence")
	}
	n := 0
	for _, s := range a {
		if !strings.HasPrefix(s, "200:") {
			n++
		}
	}
	if n == 0 || n == 40 {
		t.Errorf("%d of 40 requests failed with 50%% probability", n)
	}
}

// TestServer_Stats pins that Stats counts every request, matched or not, the
// unauthorized ones apart, and reports no rate limit or fault that did not
// happen.
func TestServer_Stats(t *testing.T) {
	f := newFakeAPI(t, smallWorkspace(), Options{})
	paths := []string{
		"/goals?workspace=100", "/goals?workspace=100", "/goals/11", "/goals/11/subgoals",
		"/goal_relationships?supported_goal=11", "/users/me", "/users", "/users/1", "/nope",
	}
	for _, p := range paths {
		f.get(p)
	}
	f.getWith("", "/goals/11")
	st := f.srv.Stats()
	if st.Requests != 10 || st.Unauthorized != 1 || st.PeakInFlight < 1 || st.RateLimited != 0 || st.FaultsInjected != 0 {
		t.Errorf("stats = %+v", st)
	}
}

// TestServer_concurrentUse hammers the server from many goroutines while
// settings and data change; run with -race.
func TestServer_concurrentUse(t *testing.T) {
	ws := Generate(5, DefaultGenConfig(2000, 40))
	f := newFakeAPI(t, ws, Options{SpecSubgoalPath: true, MaxInFlight: 1000, RequestsPerMinute: 1_000_000, Faults: Faults{MalformedJSON: 0.05}})
	var parents []string
	for _, g := range ws.Goals {
		if len(g.SubgoalGIDs) > 0 {
			parents = append(parents, g.GID)
		}
	}
	var wg sync.WaitGroup
	client := f.ts.Client()
	for w := range 64 {
		wg.Go(func() {
			for i := range 15 {
				var p string
				switch i % 5 {
				case 0:
					p = "/goals?workspace=" + ws.GID + "&limit=100&opt_fields=name,owner.name,html_notes"
				case 1:
					p = "/goals/" + ws.Goals[(w*31+i)%len(ws.Goals)].GID
				case 2:
					p = "/goals/" + parents[(w+i)%len(parents)] + "/subgoals?opt_fields=name"
				case 3:
					p = "/goal_relationships?supported_goal=" + parents[(w+i)%len(parents)] + "&resource_subtype=subgoal"
				default:
					p = "/users?workspace=" + ws.GID + "&limit=10"
				}
				req, _ := http.NewRequest(http.MethodGet, f.ts.URL+p, nil)
				req.Header.Set("Authorization", "Bearer "+testToken)
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("%s: %d", p, resp.StatusCode)
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			f.srv.SetPaymentRequired(false)
			f.srv.SetWorkspace(ws)
			_ = f.srv.Stats()
		}
	})
	wg.Wait()
	st := f.srv.Stats()
	if st.Requests != 64*15 {
		t.Errorf("requests = %d, want %d", st.Requests, 64*15)
	}
	t.Logf("peak in flight %d, faults %d", st.PeakInFlight, st.FaultsInjected)
}

// TestDemoWorkspace pins the demo's promises: it validates and is served
// with DemoToken as the service account, every mapped employee owns goals,
// exactly one employee is unmapped, one user is unmapped and one goal
// ownerless, statuses, sub-goals, long notes, a red goal without an update
// and time periods (one before 2026) are all covered, and a wrong token is
// refused.
func TestDemoWorkspace(t *testing.T) {
	ws := DemoWorkspace()
	if err := ws.Validate(); err != nil {
		t.Fatal(err)
	}
	srv := NewServer(ws, DemoOptions())
	f := &fakeAPI{t: t, srv: srv, ts: newTS(t, srv)}
	me := f.getWith(DemoToken, "/users/me").json(t)["data"].(map[string]any)
	if me["gid"] != DemoServiceAccountGID {
		t.Errorf("/users/me = %v", me)
	}
	l, _ := decodeList(t, f.getWith(DemoToken, "/goals?workspace="+DemoWorkspaceGID+"&limit=100&opt_fields=name,owner"))
	if len(l.Data) != len(ws.Goals) {
		t.Errorf("demo lists %d goals, want %d", len(l.Data), len(ws.Goals))
	}
	mapped := map[string]bool{}
	unmappedEmployees := 0
	for _, e := range DemoEmployees() {
		if e.AsanaUserGID == "" {
			unmappedEmployees++
			continue
		}
		if _, ok := ws.User(e.AsanaUserGID); !ok {
			t.Errorf("employee %s maps to an unknown user", e.ID)
		}
		if len(ws.GoalsOwnedBy(e.AsanaUserGID)) == 0 {
			t.Errorf("employee %s owns no goal", e.ID)
		}
		mapped[e.AsanaUserGID] = true
	}
	if unmappedEmployees != 1 {
		t.Errorf("demo has %d unmapped employees, want 1", unmappedEmployees)
	}
	if mapped[DemoUnmappedUserGID] || len(ws.GoalsOwnedBy(DemoUnmappedUserGID)) != 1 {
		t.Error("the unmapped user should own exactly one goal")
	}
	if len(ws.GoalsOwnedBy("")) != 1 {
		t.Error("the demo should have exactly one ownerless goal")
	}
	statuses := map[string]bool{}
	subgoals := 0
	long := false
	for _, g := range ws.Goals {
		statuses[g.StatusType] = true
		subgoals += len(g.SubgoalGIDs)
		if len([]rune(g.HTMLNotes)) > 1000 {
			long = true
		}
	}
	if len(statuses) < 6 || !statuses[""] || subgoals < 4 || !long {
		t.Errorf("demo coverage: statuses %v, %d sub-goal links, long notes %v", statuses, subgoals, long)
	}
	// One goal Asana shows as red although no status update was posted, and
	// goals in time periods, one of them before 2026.
	redOnly, periods, before2026 := 0, 0, 0
	for _, g := range ws.Goals {
		if g.StatusType == "" && g.GoalStatus == "red" && g.OwnerGID != "" && g.OwnerGID != DemoUnmappedUserGID {
			redOnly++
		}
		if g.TimePeriod != nil {
			periods++
			if g.TimePeriod.EndOn < "2026-01-01" {
				before2026++
			}
		}
	}
	if redOnly != 1 || periods < 4 || before2026 != 1 {
		t.Errorf("demo: %d mapped goals red without an update (want 1), %d in a time period, %d before 2026 (want 1)",
			redOnly, periods, before2026)
	}
	if f.getWith("wrong", "/users/me").status != 401 {
		t.Error("demo accepts any token")
	}
}

// TestServer_jsonEscaping pins that every string is served as valid JSON
// that decodes to the model: characters JSON must escape, invalid UTF-8 as
// U+FFFD, numbers JSON cannot carry (NaN, infinity) as null, html_notes not
// escaped beyond what JSON needs, and every goal of a large generated
// workspace round-trips through the list.
func TestServer_jsonEscaping(t *testing.T) {
	// Strings JSON must escape, invalid UTF-8 (served as U+FFFD, as by
	// encoding/json), and numbers JSON cannot carry (served as null).
	ws := smallWorkspace()
	names := append(slices.Clone(hostileNames), "", "plain", "\u2028\u2029", "<>&", "😀", "\x7f\x1f", strings.Repeat("日本", 100))
	for i, name := range names {
		ws.Goals = append(ws.Goals, Goal{GID: strconv.Itoa(1000 + i), Name: name,
			Metric: &Metric{CurrentNumberValue: math.NaN(), TargetNumberValue: math.Inf(1), InitialNumberValue: 0.1}})
	}
	ws.Goals = append(ws.Goals, Goal{GID: "999", Name: "a\xffb"})
	srv := newFakeAPI(t, ws, Options{})
	for i, name := range names {
		a := srv.get("/goals/" + strconv.Itoa(1000+i) + "?opt_fields=name,metric.current_number_value,metric.target_number_value,metric.initial_number_value")
		d := a.json(t)["data"].(map[string]any)
		m := d["metric"].(map[string]any)
		if d["name"] != name || m["current_number_value"] != nil || m["target_number_value"] != nil || m["initial_number_value"] != 0.1 {
			t.Errorf("%q served as %s", name, a.body)
		}
	}
	if d := srv.get("/goals/999").json(t)["data"].(map[string]any); d["name"] != "a\ufffdb" {
		t.Errorf("invalid UTF-8: %q", d["name"])
	}
	if a := srv.get("/goals/11?opt_fields=html_notes"); !strings.Contains(string(a.body), "<body>a &amp; b") {
		t.Errorf("html_notes escaped beyond what JSON needs: %s", a.body)
	}

	// Every generated goal renders as valid JSON that decodes to the model.
	ws = Generate(9, DefaultGenConfig(3000, 30))
	f := newFakeAPI(t, ws, Options{})
	path := "/goals?workspace=" + ws.GID + "&limit=100&opt_fields=name,html_notes,due_on,start_on,owner.name,current_status_update.status_type"
	i := 0
	for path != "" {
		l, _ := decodeList(t, f.get(path))
		for _, d := range l.Data {
			g := ws.Goals[i]
			i++
			if d["gid"] != g.GID || d["name"] != g.Name || d["html_notes"] != g.HTMLNotes {
				t.Fatalf("goal %s does not round-trip: %v", g.GID, d)
			}
			if owner, _ := d["owner"].(map[string]any); (owner == nil) != (g.OwnerGID == "") || owner != nil && owner["gid"] != g.OwnerGID {
				t.Fatalf("goal %s owner %v, want %q", g.GID, d["owner"], g.OwnerGID)
			}
			su, _ := d["current_status_update"].(map[string]any)
			if (su == nil) != (g.StatusType == "") || su != nil && su["status_type"] != g.StatusType {
				t.Fatalf("goal %s status %v, want %q", g.GID, d["current_status_update"], g.StatusType)
			}
			if due, _ := d["due_on"].(string); due != g.DueOn {
				t.Fatalf("goal %s due_on %v, want %q", g.GID, d["due_on"], g.DueOn)
			}
		}
		path = ""
		if l.NextPage != nil {
			path = l.NextPage.Path
		}
	}
	if i != len(ws.Goals) {
		t.Errorf("walked %d goals, want %d", i, len(ws.Goals))
	}
}

func newTS(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func ExampleNewServer() {
	ws := DemoWorkspace()
	srv := NewServer(ws, DemoOptions())
	ts := httptest.NewServer(srv)
	defer ts.Close()

	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/goals/1209000000001001?opt_fields=name,current_status_update.status_type", nil)
	req.Header.Set("Authorization", "Bearer "+DemoToken)
	resp, err := ts.Client().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 200 {"data":{"gid":"1209000000001001","resource_type":"goal","name":"Cut p95 API latency to 200 ms","current_status_update":{"gid":"1330203216592233","resource_type":"status_update","status_type":"on_track"}}}
}

// TestTokenState_take pins the limiter's arithmetic with synthetic times.
func TestTokenState_take(t *testing.T) {
	const window = int64(1000)
	var ts tokenState
	steps := []struct {
		at   int64
		ok   bool
		wait time.Duration
	}{
		{0, true, 0},
		{10, true, 0},
		{20, true, 0},
		{30, false, 980},   // rejected, but recorded: the window now holds 10, 20, 30; 10 leaves at 1010
		{500, false, 520},  // holds 20, 30, 500: 20 leaves at 1020
		{1000, false, 30},  // 0 and 10 are gone, but the rejected 30 and 500 still count
		{1600, true, 0},    // 30 has left
		{1601, true, 0},    // 500 has left too
		{1602, false, 998}, // 1000, 1600, 1601 fill the window; after recording, 1600 is the oldest
	}
	for i, s := range steps {
		ok, wait := ts.take(s.at, 3, window)
		if ok != s.ok || (!ok && wait != s.wait) {
			t.Errorf("step %d at %d: ok %v wait %v, want %v %v", i, s.at, ok, wait, s.ok, s.wait)
		}
	}
	// A huge quota allocates only what is used.
	var big tokenState
	for i := range 100 {
		if ok, _ := big.take(int64(i), 1<<30, window); !ok {
			t.Fatal("rejected under a huge quota")
		}
	}
	if len(big.ring) > 256 {
		t.Errorf("ring of %d for 100 requests", len(big.ring))
	}
}

// TestServer_faultsOverHTTP2 checks the faults that drop the connection also
// work where it cannot be hijacked.
func TestServer_faultsOverHTTP2(t *testing.T) {
	ws := Generate(4, GenConfig{Goals: 50, Users: 3, LongNotesShare: 1})
	for _, tc := range []struct {
		name   string
		faults Faults
	}{
		{"reset", Faults{ConnReset: 1}},
		{"truncated", Faults{TruncatedBody: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := NewServer(ws, Options{Faults: tc.faults})
			ts := httptest.NewUnstartedServer(srv)
			ts.EnableHTTP2 = true
			ts.StartTLS()
			defer ts.Close()
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/goals?workspace="+ws.GID+"&limit=50&opt_fields=html_notes", nil)
			req.Header.Set("Authorization", "Bearer x")
			resp, err := ts.Client().Do(req)
			if err == nil {
				if resp.ProtoMajor != 2 {
					t.Errorf("proto %s", resp.Proto)
				}
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil {
				t.Error("no error seen by the client")
			}
		})
	}
}

// Mounted under a prefix (Asana's /api/1.0) with http.StripPrefix, the
// fake's next_page.uri keeps the prefix (the API root the client was
// given), while next_page.path stays relative to it, as Asana writes both.
func TestServer_nextPageURIKeepsTheAPIRoot(t *testing.T) {
	ws := smallWorkspace()
	mux := http.NewServeMux()
	mux.Handle("/api/1.0/", http.StripPrefix("/api/1.0", NewServer(ws, Options{})))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/1.0/goals?workspace="+ws.GID+"&limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		NextPage struct{ Path, URI string } `json:"next_page"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(page.NextPage.URI, ts.URL+"/api/1.0/goals?") || !strings.HasPrefix(page.NextPage.Path, "/goals?") ||
		!strings.HasSuffix(page.NextPage.URI, page.NextPage.Path) {
		t.Errorf("next_page = %+v, want a uri under %s/api/1.0 ending in the path /goals?…", page.NextPage, ts.URL)
	}
}
