package admin

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Defaults applied to zero fields of Config.
const (
	// DefaultReports is how many sync reports the Sync page lists.
	DefaultReports = 10
	// DefaultSyncTimeout bounds a sync started from the Sync page.
	DefaultSyncTimeout = 30 * time.Minute
	// DefaultPageTimeout bounds the Asana requests a page makes while the
	// person waits for it (checking a token, listing users).
	DefaultPageTimeout = 20 * time.Second
	// MaxFormBytes caps a form's body: the largest honest form (a token and
	// a GID) is a few hundred bytes.
	MaxFormBytes = 16 << 10
)

// Config is what the pages need from the host. Settings, Directory,
// History and Store are required.
type Config struct {
	// Settings keeps the Asana connection (workspace GID, rate, token).
	Settings Settings
	// Directory is the host's employees, and where a confirmed mapping
	// goes.
	Directory Directory
	// History keeps the reports of the syncs the Sync page runs.
	History History
	// Store is where syncs write goals and the Goals page reads them
	// (goals.MemoryStore, a *sqlstore.Store, or the host's own).
	Store goals.Store

	// ClientOptions are added to every asana.NewClient the pages make,
	// after the connection's rate (asana.WithRequestsPerMinute): a host's
	// user agent, or asana.WithBaseURL for a test server.
	ClientOptions []asana.Option
	// Sync is the configuration of the syncs the Sync page starts. Its
	// WorkspaceGID, ConfirmRemovals and OnProgress are set by the pages.
	Sync goals.Config

	// HideDescriptions keeps goal descriptions off the Goals page, for
	// hosts whose managers should not read them (the spec's privacy note).
	// To keep no descriptions at all, set Sync.OmitDescriptions too.
	HideDescriptions bool
	// Reports is how many reports the Sync page lists; 0 means
	// DefaultReports.
	Reports int
	// SyncTimeout bounds a sync the Sync page starts; 0 means
	// DefaultSyncTimeout.
	SyncTimeout time.Duration
	// PageTimeout bounds the Asana requests of one page view; 0 means
	// DefaultPageTimeout.
	PageTimeout time.Duration
	// Logger receives a line per sync started and ended and per failed
	// save; nil discards. No line holds the token.
	Logger *slog.Logger
	// Now is the clock of CheckedAt; nil means time.Now.
	Now func() time.Time
}

// Handler serves the admin pages. It is an http.Handler meant to be
// mounted under a path prefix with http.StripPrefix, behind the host's
// own authentication. Close stops a sync it started.
type Handler struct {
	cfg     Config
	pages   map[string]*template.Template
	handler http.Handler
	runner  *runner
	log     *slog.Logger
}

// New returns the admin pages' handler for cfg. It fails when a required
// seam is missing.
func New(cfg Config) (*Handler, error) {
	switch {
	case cfg.Settings == nil:
		return nil, errors.New("admin: Config.Settings is nil: the pages need somewhere to keep the Asana connection")
	case cfg.Directory == nil:
		return nil, errors.New("admin: Config.Directory is nil: the pages need the host's employees")
	case cfg.History == nil:
		return nil, errors.New("admin: Config.History is nil: the Sync page needs somewhere to keep reports")
	case cfg.Store == nil:
		return nil, errors.New("admin: Config.Store is nil: syncs need somewhere to write goals")
	case cfg.Reports < 0, cfg.SyncTimeout < 0, cfg.PageTimeout < 0:
		return nil, errors.New("admin: Config.Reports, SyncTimeout and PageTimeout must not be negative")
	}
	if cfg.Reports == 0 {
		cfg.Reports = DefaultReports
	}
	if cfg.SyncTimeout == 0 {
		cfg.SyncTimeout = DefaultSyncTimeout
	}
	if cfg.PageTimeout == 0 {
		cfg.PageTimeout = DefaultPageTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, pages: pages, log: log}
	h.runner = newRunner(h)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.connectionPage)
	mux.HandleFunc("GET /connection", h.connectionPage)
	mux.HandleFunc("POST /connection", h.connectionPost)
	mux.HandleFunc("GET /employees", h.employeesPage)
	mux.HandleFunc("POST /employees", h.employeesPost)
	mux.HandleFunc("GET /sync", h.syncPage)
	mux.HandleFunc("POST /sync", h.syncPost)
	mux.HandleFunc("GET /goals", h.goalsPage)
	assets, _ := fs.Sub(assetFS, "assets")
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
	// Cross-origin state changes are refused with 403 before any handler
	// runs: the pages have no CSRF token of their own.
	h.handler = secureHeaders(limitBody(http.NewCrossOriginProtection().Handler(mux)))
	return h, nil
}

// ServeHTTP serves one request of the pages.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.handler.ServeHTTP(w, r) }

// Close cancels a sync the Sync page started and waits until it has
// stopped and its report is kept, or until ctx ends.
func (h *Handler) Close(ctx context.Context) error { return h.runner.close(ctx) }

// contentSecurityPolicy allows the pages' own stylesheet and nothing else:
// no script, no inline style, no frame around them.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// secureHeaders sets the headers every answer carries.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies at MaxFormBytes.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
		next.ServeHTTP(w, r)
	})
}

// parseForm parses a posted form, answering 413 or 400 itself when it
// cannot; ok is false then.
func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request, page string) bool {
	err := r.ParseForm()
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	status, msg := http.StatusBadRequest, "The form could not be read; nothing was saved."
	if errors.As(err, &tooBig) {
		status = http.StatusRequestEntityTooLarge
		msg = fmt.Sprintf("The form was larger than %d KiB, far more than these fields hold; nothing was saved.", MaxFormBytes>>10)
	}
	h.render(w, status, "error", page, errorPage{Message: msg})
	return false
}

// errorPage is the data of the error template.
type errorPage struct{ Message string }

// pageData is what every page's template gets.
type pageData struct {
	Title string
	Nav   string // the page's nav key, for aria-current
	// Refresh, when > 0, reloads the page after that many seconds (the
	// Sync page while a sync runs; no script needed).
	Refresh int
	Page    any
}

var pageTitles = map[string]string{
	"connection": "Connection",
	"employees":  "Employees",
	"sync":       "Sync",
	"goals":      "Goals",
}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{"statusWord": statusWord, "when": when, "fraction": fraction, "itoa": strconv.Itoa}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("admin: parse layout: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"connection", "employees", "sync", "goals", "error"} {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("admin: parse %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes a page: the template runs into a buffer first, so that a
// failing template answers 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, status int, tmpl, nav string, data any) {
	pd := pageData{Title: pageTitles[nav], Nav: nav, Page: data}
	if tmpl == "error" {
		pd.Title = "Error"
	}
	if s, ok := data.(interface{ refresh() int }); ok {
		pd.Refresh = s.refresh()
	}
	var buf bytes.Buffer
	if err := h.pages[tmpl].ExecuteTemplate(&buf, "layout.html", pd); err != nil {
		h.log.Error("admin: render page", "page", tmpl, "error", err)
		http.Error(w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// seeOther redirects a posted form to a page of the handler, by a
// relative URL: the handler does not know the prefix it is mounted
// under, and the browser resolves the URL against the one it posted to.
func seeOther(w http.ResponseWriter, relative string) {
	w.Header().Set("Location", relative)
	w.WriteHeader(http.StatusSeeOther)
}

// pageContext bounds a page's Asana requests.
func (h *Handler) pageContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), h.cfg.PageTimeout)
}

// client returns an Asana client for a token at a rate.
func (h *Handler) client(token string, rate int) (*asana.Client, error) {
	opts := []asana.Option{}
	if rate > 0 {
		opts = append(opts, asana.WithRequestsPerMinute(rate))
	}
	return asana.NewClient(token, append(opts, h.cfg.ClientOptions...)...)
}
