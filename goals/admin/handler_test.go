package admin_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/internal/syncbuf"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/admin"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// prefix is where the tests mount the pages, as a host would.
const prefix = "/admin/asana/"

// pages is the admin pages mounted under prefix in a host's mux, against
// the demo workspace of the fake Asana.
type pages struct {
	t        *testing.T
	srv      *httptest.Server
	fake     *asanafake.Server
	settings *admin.MemorySettings
	dir      *admin.MemoryDirectory
	history  *admin.MemoryHistory
	store    *goals.MemoryStore
	handler  *admin.Handler
	log      *syncbuf.Buffer
	client   *http.Client
}

// demoEmployees are the demo's employees, as a host's directory holds
// them.
func demoEmployees() []goals.Employee {
	var out []goals.Employee
	for _, e := range asanafake.DemoEmployees() {
		out = append(out, goals.Employee{ID: e.ID, Name: e.Name, Email: e.Email, AsanaUserGID: e.AsanaUserGID})
	}
	return out
}

// newPages mounts the pages on a fake Asana serving ws with opts; edit,
// when set, changes the configuration first.
func newPages(t *testing.T, ws *asanafake.Workspace, opts asanafake.Options, edit func(*admin.Config)) *pages {
	t.Helper()
	fake := asanafake.NewServer(ws, opts)
	asanaSrv := httptest.NewServer(fake)
	t.Cleanup(asanaSrv.Close)
	p := &pages{t: t, fake: fake, settings: &admin.MemorySettings{}, dir: admin.NewMemoryDirectory(demoEmployees()),
		history: &admin.MemoryHistory{}, store: goals.NewMemoryStore(), log: &syncbuf.Buffer{}}
	cfg := admin.Config{
		Settings: p.settings, Directory: p.dir, History: p.history, Store: p.store,
		ClientOptions: []asana.Option{asana.WithBaseURL(asanaSrv.URL), asana.WithRetryWait(time.Millisecond, 5*time.Millisecond)},
		Logger:        slog.New(slog.NewTextHandler(p.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&cfg)
	}
	h, err := admin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.handler = h
	mux := http.NewServeMux()
	mux.Handle(prefix, http.StripPrefix(strings.TrimSuffix(prefix, "/"), h))
	p.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Error(err)
		}
		p.srv.Close()
	})
	jar, _ := cookiejar.New(nil)
	p.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return p
}

// demoPages are the pages on the demo workspace.
func demoPages(t *testing.T) *pages {
	return newPages(t, asanafake.DemoWorkspace(), asanafake.DemoOptions(), nil)
}

// url returns the absolute URL of a page path under the prefix.
func (p *pages) url(path string) string { return p.srv.URL + prefix + path }

// get fetches a page and returns its status and body.
func (p *pages) get(path string) (int, string, http.Header) {
	p.t.Helper()
	resp, err := p.client.Get(p.url(path))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// post submits a form the way a browser on the pages' own origin does.
func (p *pages) post(path string, form url.Values) (int, string, http.Header) {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.url(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := p.client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// connect saves the demo connection through the Connection form.
func (p *pages) connect() {
	p.t.Helper()
	code, body, hdr := p.post("connection", url.Values{"token": {asanafake.DemoToken},
		"workspace_gid": {asanafake.DemoWorkspaceGID}, "rate": {"1500"}, "action": {"save"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "connection?saved=1" {
		p.t.Fatalf("saving the demo connection: %d %q\n%s", code, hdr.Get("Location"), body)
	}
}

// New refuses a Config missing any of its seams (Settings, Directory,
// History, Store) with an error naming the field, rather than a handler that
// panics on first use, and accepts one with all four.
func TestNew_refusesAMissingSeam(t *testing.T) {
	full := admin.Config{Settings: &admin.MemorySettings{}, Directory: admin.NewMemoryDirectory(nil),
		History: &admin.MemoryHistory{}, Store: goals.NewMemoryStore()}
	for name, edit := range map[string]func(*admin.Config){
		"Settings":  func(c *admin.Config) { c.Settings = nil },
		"Directory": func(c *admin.Config) { c.Directory = nil },
		"History":   func(c *admin.Config) { c.History = nil },
		"Store":     func(c *admin.Config) { c.Store = nil },
	} {
		c := full
		edit(&c)
		if _, err := admin.New(c); err == nil || !strings.Contains(err.Error(), "Config."+name) {
			t.Errorf("New without %s: error %v, want one naming Config.%s", name, err, name)
		}
	}
	if _, err := admin.New(full); err != nil {
		t.Errorf("New with every seam: %v", err)
	}
}

// Every page answers under the prefix it is mounted at, and its links
// and forms are relative, so they stay under it.
func TestHandler_servesEveryPageUnderItsPrefix(t *testing.T) {
	p := demoPages(t)
	p.connect()
	for _, path := range []string{"", "connection", "employees", "sync", "goals", "goals?employee=emp-001", "assets/admin.css"} {
		code, body, _ := p.get(path)
		if code != http.StatusOK {
			t.Errorf("GET %s%s: %d", prefix, path, code)
		}
		if strings.Contains(body, `href="/`) || strings.Contains(body, `action="/`) || strings.Contains(body, `src="/`) {
			t.Errorf("GET %s%s: an absolute link would leave the prefix:\n%s", prefix, path, body)
		}
	}
	if code, _, _ := p.get("nowhere"); code != http.StatusNotFound {
		t.Errorf("GET an unknown page: %d, want 404", code)
	}
}

// Every answer carries a strict Content-Security-Policy (no inline
// script or style, no framing), nosniff and no referrer.
func TestHandler_setsSecurityHeadersOnEveryAnswer(t *testing.T) {
	p := demoPages(t)
	check := func(what string, h http.Header) {
		t.Helper()
		csp := h.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", what, csp)
		}
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", what, got)
		}
		if got := h.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q", what, got)
		}
	}
	for _, path := range []string{"connection", "employees", "sync", "goals", "assets/admin.css", "nowhere"} {
		_, _, h := p.get(path)
		check("GET "+path, h)
	}
	_, _, h := p.post("connection", url.Values{"workspace_gid": {"x"}})
	check("POST connection", h)
}

// A state-changing request from another origin is refused with 403 and
// changes nothing.
func TestHandler_refusesCrossOriginPosts(t *testing.T) {
	p := demoPages(t)
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"connection", url.Values{"token": {asanafake.DemoToken}, "workspace_gid": {asanafake.DemoWorkspaceGID}, "rate": {"1500"}, "action": {"save"}}},
		{"employees", url.Values{"employee_id": {"emp-004"}, "asana_user_gid": {asanafake.DemoUnmappedUserGID}}},
		{"sync", url.Values{"action": {"start"}}},
	} {
		for name, set := range map[string]func(*http.Request){
			"Sec-Fetch-Site": func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") },
			"Origin":         func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
		} {
			req, _ := http.NewRequest(http.MethodPost, p.url(c.path), strings.NewReader(c.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			set(req)
			resp, err := p.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s from another origin (%s): %d, want 403", c.path, name, resp.StatusCode)
			}
		}
	}
	if _, err := p.settings.Connection(context.Background()); err != admin.ErrNotConnected {
		t.Errorf("a cross-origin save changed the settings: %v", err)
	}
	emps, _ := p.dir.Employees(context.Background())
	if emps[3].AsanaUserGID != "" {
		t.Errorf("a cross-origin post mapped an employee: %+v", emps[3])
	}
	if reps, _ := p.history.Reports(context.Background(), asanafake.DemoWorkspaceGID, 10); len(reps) != 0 {
		t.Errorf("a cross-origin post started a sync")
	}
}
