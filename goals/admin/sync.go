package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

// errSyncRunning is start's answer while a sync runs.
var errSyncRunning = errors.New("admin: a sync of this workspace is already running")

// runner runs the Sync page's syncs in the background, one at a time.
type runner struct {
	h *Handler

	mu       sync.Mutex
	running  bool
	started  time.Time
	progress goals.SyncProgress
	// client is the running sync's own client, whose counters are that
	// sync's: the page reads them live, since a pause for the rate limit
	// comes with no progress call.
	client *asana.Client
	// lastError is a sync that ended without a report (its configuration
	// was refused).
	lastError string
	// confirm, when set, applies the removals an admin confirmed to the
	// next sync of its workspace.
	confirm *confirmation
	done    chan struct{} // closed when the running sync has ended

	base       context.Context
	stopAll    context.CancelFunc
	closedOnce sync.Once
}

func newRunner(h *Handler) *runner {
	base, stop := context.WithCancel(context.Background())
	return &runner{h: h, base: base, stopAll: stop}
}

// confirmation is an admin's confirmation of the removals one report held
// back: it applies to the next sync of that workspace only.
type confirmation struct {
	workspace string
	held      int
}

// state is a copy of the runner's state, for the page.
type runState struct {
	Running   bool
	Started   time.Time
	Progress  goals.SyncProgress
	LastError string
	// Confirmed is how many held removals the next sync applies; 0 for
	// none.
	Confirmed int
}

func (rn *runner) state(workspace string) runState {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	st := runState{Running: rn.running, Started: rn.started, Progress: rn.progress, LastError: rn.lastError}
	if c := rn.confirm; c != nil && c.workspace == workspace {
		st.Confirmed = c.held
	}
	if rn.running && rn.client != nil {
		live := rn.client.Stats()
		p := &st.Progress
		p.Requests, p.RateLimited, p.RequestsPerMinute, p.Paused = live.Requests, live.RateLimited, live.RequestsPerMinute, live.Paused
	}
	return st
}

// confirmRemovals records an admin's confirmation of the removals held
// by latest, the newest report of workspace, which the admin was shown
// (shown is its start, held its count). It refuses a confirmation of
// anything else: a report since replaced, one that held nothing, or while
// a sync runs, whose report may hold other removals.
func (rn *runner) confirmRemovals(workspace string, latest *goals.Report, shown string, held int) error {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	switch {
	case rn.running:
		return errors.New("A sync is running: its report may hold other removals. Confirm once it has ended and you have read it.")
	case latest == nil || latest.RemovalsHeld == 0:
		return errors.New("The last sync held no removals back: there is nothing to confirm.")
	case latest.StartedAt.UTC().Format(time.RFC3339Nano) != shown || latest.RemovalsHeld != held:
		return errors.New("The removals you confirmed are not the ones the last sync held back: read its report and confirm again.")
	}
	rn.confirm = &confirmation{workspace: workspace, held: held}
	return nil
}

// forgetConfirmation drops a confirmation: the connection changed.
func (rn *runner) forgetConfirmation() {
	rn.mu.Lock()
	rn.confirm = nil
	rn.mu.Unlock()
}

// start begins a sync of conn's workspace for emps, unless one runs.
func (rn *runner) start(conn Connection, emps []goals.Employee) error {
	client, err := rn.h.client(conn.Token, conn.RequestsPerMinute)
	if err != nil {
		return err
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.running {
		return errSyncRunning
	}
	if rn.base.Err() != nil {
		return errors.New("admin: the pages are shutting down")
	}
	cfg := rn.h.cfg.Sync
	cfg.WorkspaceGID = conn.WorkspaceGID
	cfg.ConfirmRemovals = rn.confirm != nil && rn.confirm.workspace == conn.WorkspaceGID
	cfg.OnProgress = func(p goals.SyncProgress) {
		rn.mu.Lock()
		rn.progress = p
		rn.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(rn.base, rn.h.cfg.SyncTimeout)
	rn.running, rn.started, rn.progress, rn.lastError = true, rn.h.cfg.Now(), goals.SyncProgress{Phase: goals.PhaseScanning}, ""
	rn.done, rn.client = make(chan struct{}), client
	go rn.run(ctx, cancel, client, cfg, emps, rn.done)
	return nil
}

// run is one background sync; it keeps the report in the History.
func (rn *runner) run(ctx context.Context, cancelSync context.CancelFunc, client *asana.Client, cfg goals.Config, emps []goals.Employee, done chan struct{}) {
	defer close(done)
	defer client.CloseIdleConnections()
	log := rn.h.log.With("workspace", cfg.WorkspaceGID)
	log.Info("admin: sync started", "employees", len(emps))
	rep, err := goals.NewIngester(client, rn.h.cfg.Store, cfg).Sync(ctx, emps)
	cancelSync()
	lastError := ""
	if rep != nil {
		if err != nil && rep.Error == "" {
			rep.Error = err.Error()
		}
		// The report is kept even when the sync was cancelled, within a
		// bound of its own.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if herr := rn.h.cfg.History.AddReport(hctx, rep); herr != nil {
			log.Error("admin: keep the sync's report", "error", herr)
			lastError = "The sync's report could not be kept; the server's log says why."
		}
		cancel()
	} else if err != nil {
		lastError = err.Error()
	}
	log.Info("admin: sync ended", "error", err != nil)
	rn.mu.Lock()
	defer rn.mu.Unlock()
	rn.running, rn.lastError, rn.client = false, lastError, nil
	if cfg.ConfirmRemovals {
		// A confirmation is for one sync, whatever became of it: a new
		// report is there to read and confirm.
		rn.confirm = nil
	}
}

// close cancels a running sync and waits for it, or for ctx.
func (rn *runner) close(ctx context.Context) error {
	rn.closedOnce.Do(rn.stopAll)
	rn.mu.Lock()
	done := rn.done
	rn.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done: // ended already: whatever ctx says
		return nil
	default:
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("admin: close: the running sync has not stopped yet: %w", ctx.Err())
	}
}

// syncView is the Sync page's data.
type syncView struct {
	Connected bool
	State     runState
	Elapsed   string
	ETA       string
	Paused    string
	Rate      string
	Notice    string
	Error     string
	Latest    *reportView
	Earlier   []reportView
	Names     map[string]string
	// Unreadable is set when the saved connection could not be read.
	Unreadable bool
}

func (v *syncView) refresh() int {
	if v.State.Running {
		return 1
	}
	return 0
}

// reportView is one kept report, for the page.
type reportView struct {
	goals.Report
	// Shown identifies the report in a confirmation of its removals.
	Shown    string
	Started  string
	Duration string
	Failed   []goals.EmployeeReport
	Outcome  string
}

func newReportView(r goals.Report) reportView {
	v := reportView{Report: r, Shown: r.StartedAt.UTC().Format(time.RFC3339Nano), Started: when(r.StartedAt), Duration: (time.Duration(r.DurationSeconds * float64(time.Second))).Round(100 * time.Millisecond).String()}
	for _, e := range r.Employees {
		if e.Err != nil {
			v.Failed = append(v.Failed, e)
		}
	}
	switch {
	case r.Error != "":
		v.Outcome = "Failed"
	case len(v.Failed) > 0:
		v.Outcome = fmt.Sprintf("Done, %d of %d employees failed", len(v.Failed), len(r.Employees))
	case r.RemovalsHeld > 0:
		v.Outcome = "Done, removals held back"
	default:
		v.Outcome = "Done"
	}
	return v
}

func (h *Handler) syncPage(w http.ResponseWriter, r *http.Request) {
	v, ok := h.syncView(w, r)
	if !ok {
		return
	}
	switch r.URL.Query().Get("done") {
	case "started":
		if v.State.Running {
			v.Notice = "The sync started. This page follows its progress."
		}
	case "confirmed":
		v.Notice = "Removals confirmed: the next sync applies them."
	}
	h.render(w, http.StatusOK, "sync", "sync", v)
}

func (h *Handler) syncView(w http.ResponseWriter, r *http.Request) (*syncView, bool) {
	conn, connected, err := h.loadConnection(r.Context())
	v := &syncView{}
	if err != nil {
		h.logError("read the saved connection", err, "")
		v.Unreadable = true
	}
	v.Connected, v.State = connected && conn.Token != "", h.runner.state(conn.WorkspaceGID)
	v.Error = v.State.LastError
	if v.State.Running {
		p := v.State.Progress
		v.Elapsed = h.cfg.Now().Sub(v.State.Started).Round(time.Second).String()
		if eta, ok := p.ETA(); ok {
			v.ETA = eta.Round(time.Second).String()
		}
		if p.Paused > 0 {
			v.Paused = p.Paused.Round(time.Second).String()
		}
		if p.RequestsPerMinute > 0 {
			v.Rate = fmt.Sprintf("%.0f", p.RequestsPerMinute)
		}
	}
	if connected {
		reports, err := h.cfg.History.Reports(r.Context(), conn.WorkspaceGID, h.cfg.Reports)
		if err != nil {
			// "Sync now" stays: a new report may read where old ones do not.
			h.logError("read the sync reports", err, conn.Token)
			v.Error = "The sync reports could not be read; the server's log says why."
		}
		for i, rep := range reports {
			rv := newReportView(rep)
			if i == 0 {
				v.Latest = &rv
				continue
			}
			v.Earlier = append(v.Earlier, rv)
		}
	}
	if v.Latest != nil {
		emps, err := h.cfg.Directory.Employees(r.Context())
		if err == nil {
			v.Names = make(map[string]string, len(emps))
			for _, e := range emps {
				v.Names[e.ID] = e.Name
			}
		}
	}
	return v, true
}

func (h *Handler) syncPost(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r, "sync") {
		return
	}
	action := r.PostFormValue("action")
	if action != "start" && action != "confirm-removals" {
		h.render(w, http.StatusBadRequest, "error", "sync", errorPage{Message: "Unknown action; nothing was started."})
		return
	}
	conn, connected, err := h.loadConnection(r.Context())
	msg, status := "", http.StatusConflict
	switch {
	case err != nil:
		h.logError("read the saved connection", err, "")
		msg = "The saved connection could not be read: save it again on the Connection page."
	case !connected || conn.Token == "":
		msg = "Connect Asana first, on the Connection page."
	case action == "confirm-removals":
		msg, status = h.confirm(r, conn)
	default:
		msg, status = h.start(r, conn)
	}
	if msg == "" {
		seeOther(w, map[string]string{"start": "sync?done=started", "confirm-removals": "sync?done=confirmed"}[action])
		return
	}
	v, ok := h.syncView(w, r)
	if !ok {
		return
	}
	v.Error = msg
	h.render(w, status, "sync", "sync", v)
}

// start starts a sync; it returns what went wrong, or "".
func (h *Handler) start(r *http.Request, conn Connection) (string, int) {
	emps, err := h.cfg.Directory.Employees(r.Context())
	if err == nil {
		err = h.runner.start(conn, emps)
	}
	switch {
	case err == nil:
		return "", 0
	case errors.Is(err, errSyncRunning):
		return "A sync of this workspace is already running; this page follows it. Wait for it to end before starting another.", http.StatusConflict
	}
	h.logError("start a sync", err, conn.Token)
	return "The sync could not be started; the server's log says why.", http.StatusInternalServerError
}

// confirm records the confirmation of the removals the posted report
// held; it returns what went wrong, or "".
func (h *Handler) confirm(r *http.Request, conn Connection) (string, int) {
	reports, err := h.cfg.History.Reports(r.Context(), conn.WorkspaceGID, 1)
	if err != nil {
		h.logError("read the sync reports", err, conn.Token)
		return "The sync reports could not be read, so nothing was confirmed; the server's log says why.", http.StatusInternalServerError
	}
	var latest *goals.Report
	if len(reports) > 0 {
		latest = &reports[0]
	}
	held, _ := strconv.Atoi(r.PostFormValue("held"))
	if err := h.runner.confirmRemovals(conn.WorkspaceGID, latest, r.PostFormValue("report"), held); err != nil {
		return err.Error(), http.StatusConflict
	}
	return "", 0
}
