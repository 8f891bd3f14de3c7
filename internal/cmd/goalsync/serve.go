package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/admin"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/internal/textline"
)

// sealKeyEnv holds the key that seals the saved token in -db, base64 of
// 32 bytes (openssl rand -base64 32).
const sealKeyEnv = "ASANAGOALS_SEAL_KEY"

// sessionCookie is the prefix of the cookie the one-time login code is
// exchanged for; the port follows, since cookies ignore ports and two
// servers on 127.0.0.1 must not overwrite each other's session.
const sessionCookie = "goalsync_session_"

// checkServeAddr refuses an address that is not loopback: the command's
// own sign-in is a code printed on this machine's terminal, not an
// authentication for others.
func checkServeAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError("-serve %q: not HOST:PORT, e.g. -serve 127.0.0.1:8080", textline.Clip(addr))
	}
	ip, err := netip.ParseAddr(host)
	if host != "localhost" && (err != nil || !ip.IsLoopback()) {
		return usageError("-serve %s: not a loopback address; goalsync serves the admin pages to this machine only "+
			"(127.0.0.1 or [::1]). To serve them to others, mount admin.New's handler in your own server, "+
			"behind its authentication (see package goals/admin)", textline.Clip(addr))
	}
	return nil
}

// served is what runServe serves: the pages' seams and how to end them.
type served struct {
	cfg   admin.Config
	hint  string // a line after the URL (the demo's token)
	close func()
}

// runServe serves the admin pages until ctx ends.
func (c *cli) runServe(ctx context.Context) error {
	if err := checkServeAddr(c.opts.serve); err != nil {
		return err
	}
	var (
		s   *served
		err error
	)
	if c.opts.demo || !c.opts.dbSet {
		s, err = c.serveDemo(ctx)
	} else {
		s, err = c.serveReal(ctx)
	}
	if err != nil {
		return err
	}
	defer s.close()
	s.cfg.HideDescriptions = c.opts.noNotes
	s.cfg.Sync.OmitDescriptions = c.opts.noNotes
	s.cfg.Logger = slog.New(slog.NewTextHandler(redactingWriter{c.stderr, c.token}, nil))
	h, err := admin.New(s.cfg)
	if err != nil {
		return failure("%w", err)
	}
	ln, err := net.Listen("tcp", c.opts.serve)
	if err != nil {
		return failure("-serve %s: %w", c.opts.serve, err)
	}
	// A name such as localhost is resolved by the system: check where it
	// was bound, not only what was asked.
	addr, _ := ln.Addr().(*net.TCPAddr)
	if addr == nil || !addr.IP.IsLoopback() {
		ln.Close()
		return usageError("-serve %s: bound %s, which is not a loopback address; goalsync serves the admin pages to this machine only", textline.Clip(c.opts.serve), ln.Addr())
	}
	code, err := randomHex(16)
	if err != nil {
		return failure("%w", err)
	}
	hs := &http.Server{Handler: newLogin(code, addr.Port, h), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(c.stdout, "goalsync: the admin pages are at http://%s/?code=%s (the code signs in once; Ctrl-C stops)\n", ln.Addr(), code)
	if s.hint != "" {
		fmt.Fprintln(c.stdout, s.hint)
	}
	select {
	case <-ctx.Done():
	case err := <-served:
		return failure("-serve: %w", err)
	}
	// Each wait has its own bound: a browser holding a connection open
	// must not use up the running sync's time to stop.
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	<-served
	cctx, cancelClose := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelClose()
	if err := h.Close(cctx); err != nil {
		return failure("%w", err)
	}
	return nil
}

// redactingWriter removes the token from what the pages' logger writes.
type redactingWriter struct {
	w     interface{ Write([]byte) (int, error) }
	token string
}

func (r redactingWriter) Write(p []byte) (int, error) {
	if r.token != "" {
		p = []byte(asana.NewRedactor(r.token).String(string(p)))
	}
	_, err := r.w.Write(p)
	return len(p), err
}

// serveReal serves the pages on -db (settings, reports and goals) and
// the -employees file (the directory).
func (c *cli) serveReal(ctx context.Context) (*served, error) {
	if c.opts.employeesFile == "" {
		return nil, usageError("-serve with -db needs -employees FILE: the employees to map, kept in that file")
	}
	if _, err := loadEmployees(ctx, c.opts.employeesFile, nil); err != nil {
		return nil, usageError("%w", err)
	}
	var opts []sqlstore.Option
	if v := c.getenv(sealKeyEnv); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(key) != 32 {
			return nil, usageError("%s must be 32 bytes in base64 (openssl rand -base64 32)", sealKeyEnv)
		}
		opts = append(opts, sqlstore.WithSealKey(key))
	}
	t, err := parseDB(c.opts.db)
	if err == nil && t.dialect == sqlstore.SQLite {
		err = checkSQLitePath(c.opts.db)
	}
	if err != nil {
		return nil, usageError("%w", err)
	}
	store, closeDB, err := openSQLStore(ctx, t, opts...)
	if err != nil {
		return nil, usageError("%w", err)
	}
	return &served{
		cfg: admin.Config{Settings: store, Directory: newFileDirectory(c.opts.employeesFile), History: store, Store: store,
			ClientOptions: c.serveClientOptions(c.opts.baseURL)},
		close: closeDB,
	}, nil
}

func (c *cli) serveClientOptions(baseURL string) []asana.Option {
	opts := []asana.Option{asana.WithBaseURL(baseURL), asana.WithMaxWait(c.opts.maxWait), asana.WithUserAgent(userAgent)}
	return append(append(opts, c.changeOptions()...), c.hooks.clientOpts...)
}

// serveDemoLatency slows the demo's fake Asana so that a sync lasts long
// enough to watch its progress.
const serveDemoLatency = 300 * time.Millisecond

// serveDemoFailingGoal is the goal whose sub-goals the demo's Asana
// refuses, so that a sync's report shows a failed employee.
const serveDemoFailingGoal = "1209000000001007"

// serveDemoWorkspace is the demo workspace as the pages show it: one goal
// named to try to run a script, which the pages must show as text.
func serveDemoWorkspace() *asanafake.Workspace {
	ws := asanafake.DemoWorkspace()
	for i := range ws.Goals {
		if ws.Goals[i].GID == "1209000000001010" {
			ws.Goals[i].Name = `Keep inputs inert: <img src=x onerror=alert(1)> stays text`
		}
	}
	return ws
}

// serveDemoEmployees are the demo's employees as the pages start with
// them: two mapped, one whose Asana user is suggested by e-mail, and one
// to map by hand (no e-mail or name of hers matches Asana's).
func serveDemoEmployees() []goals.Employee {
	var out []goals.Employee
	for _, e := range asanafake.DemoEmployees() {
		emp := goals.Employee{ID: e.ID, Name: e.Name, Email: e.Email, AsanaUserGID: e.AsanaUserGID}
		if e.ID == "emp-002" {
			emp.Name, emp.Email, emp.AsanaUserGID = "Rear Admiral G. Hopper", "hopper@navy.example", ""
		}
		out = append(out, emp)
	}
	return out
}

// serveDemo serves the pages on the demo workspace, with a scratch SQLite
// file and employee file that go when the command ends.
func (c *cli) serveDemo(ctx context.Context) (*served, error) {
	dir, err := os.MkdirTemp("", "goalsync-serve-")
	if err != nil {
		return nil, failure("a scratch directory for the demo: %w", err)
	}
	cleanup := []func(){func() { os.RemoveAll(dir) }}
	closeAll := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	fail := func(err error) (*served, error) { closeAll(); return nil, failure("demo: %w", err) }
	empFile := filepath.Join(dir, "employees.csv")
	if err := writeEmployeesCSV(empFile, serveDemoEmployees()); err != nil {
		return fail(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	t, _ := parseDB(filepath.Join(dir, "goals.db"))
	store, closeDB, err := openSQLStore(ctx, t, sqlstore.WithSealKey(key))
	if err != nil {
		return fail(err)
	}
	cleanup = append(cleanup, closeDB)
	opts := asanafake.DemoOptions()
	opts.Latency = serveDemoLatency
	opts.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if !asanafake.ListsSubgoals(r, serveDemoFailingGoal) {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"errors":[{"message":"You do not have access to this goal's relationships (the demo refuses them, to show a failed employee)."}]}`))
		return true
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	fake := &http.Server{Handler: asanafake.NewServer(serveDemoWorkspace(), opts), ReadHeaderTimeout: 10 * time.Second}
	go fake.Serve(ln)
	cleanup = append(cleanup, func() { fake.Close() })
	return &served{
		cfg: admin.Config{Settings: store, Directory: newFileDirectory(empFile), History: store, Store: store,
			ClientOptions: c.serveClientOptions("http://" + ln.Addr().String())},
		hint: fmt.Sprintf("Demo: a fake Asana workspace on 127.0.0.1. Connect it with Workspace GID %s and the demo token %s",
			asanafake.DemoWorkspaceGID, asanafake.DemoToken),
		close: closeAll,
	}, nil
}

// writeEmployeesCSV writes an employee file the command reads.
func writeEmployeesCSV(path string, emps []goals.Employee) error {
	var b strings.Builder
	b.WriteString("employee_id,asana_user_gid,name,email\n")
	for _, e := range emps {
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", e.ID, e.AsanaUserGID, e.Name, e.Email)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("a random login code: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// login lets in the browser that opens the printed URL first: its code is
// exchanged, once, for a session cookie, and dropped from the URL. Without
// the cookie no page shows anything.
type login struct {
	next   http.Handler
	cookie string // the session cookie's name

	mu       sync.Mutex
	code     string // "" once used
	sessions map[string]bool
}

func newLogin(code string, port int, next http.Handler) *login {
	return &login{next: next, cookie: fmt.Sprint(sessionCookie, port), code: code, sessions: map[string]bool{}}
}

func (l *login) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(l.cookie); err == nil && l.valid(ck.Value) {
		l.next.ServeHTTP(w, r)
		return
	}
	q := r.URL.Query()
	if code := q.Get("code"); code != "" && r.Method == http.MethodGet {
		if session, ok := l.exchange(code); ok {
			http.SetCookie(w, &http.Cookie{Name: l.cookie, Value: session, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			q.Del("code")
			target := r.URL.Path
			if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") || strings.ContainsRune(target, '\\') {
				// "//host/…" would leave for another site.
				target = "/"
			}
			if len(q) > 0 {
				target += "?" + q.Encode()
			}
			w.Header().Set("Location", target)
			w.Header().Set("Referrer-Policy", "no-referrer")
			w.WriteHeader(http.StatusSeeOther)
			return
		}
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprintln(w, "Sign-in needed: open the address goalsync printed when it started (its code signs in one browser, once).")
}

func (l *login) valid(session string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sessions[session]
}

// exchange spends the code for a new session.
func (l *login) exchange(code string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.code == "" || subtle.ConstantTimeCompare([]byte(code), []byte(l.code)) != 1 {
		return "", false
	}
	session, err := randomHex(32)
	if err != nil {
		return "", false
	}
	l.code = ""
	l.sessions[session] = true
	return session, true
}
