package asanafake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

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
