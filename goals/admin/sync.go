package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	// confirm applies held removals in the next sync.
	confirm bool
	done    chan struct{} // closed when the running sync has ended

	base       context.Context
	stopAll    context.CancelFunc
	closedOnce sync.Once
}

func newRunner(h *Handler) *runner {
	base, stop := context.WithCancel(context.Background())
	return &runner{h: h, base: base, stopAll: stop}
}

// state is a copy of the runner's state, for the page.
type runState struct {
	Running   bool
	Started   time.Time
	Progress  goals.SyncProgress
	LastError string
	Confirm   bool
}

func (rn *runner) state() runState {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	st := runState{rn.running, rn.started, rn.progress, rn.lastError, rn.confirm}
	if rn.running && rn.client != nil {
		live := rn.client.Stats()
		p := &st.Progress
		p.Requests, p.RateLimited, p.RequestsPerMinute, p.Paused = live.Requests, live.RateLimited, live.RequestsPerMinute, live.Paused
	}
	return st
}

func (rn *runner) setConfirm() {
	rn.mu.Lock()
	rn.confirm = true
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
	cfg.ConfirmRemovals = rn.confirm
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
	if err == nil && cfg.ConfirmRemovals {
		rn.confirm = false
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
	Started  string
	Duration string
	Failed   []goals.EmployeeReport
	Outcome  string
}

func newReportView(r goals.Report) reportView {
	v := reportView{Report: r, Started: when(r.StartedAt), Duration: (time.Duration(r.DurationSeconds * float64(time.Second))).Round(100 * time.Millisecond).String()}
	for _, e := range r.Employees {
		if e.Error != "" {
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
	if err != nil {
		h.fail(w, "sync", "The saved connection could not be read", err, "")
		return nil, false
	}
	v := &syncView{Connected: connected && conn.Token != "", State: h.runner.state()}
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
			h.fail(w, "sync", "The sync reports could not be read", err, conn.Token)
			return nil, false
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
	switch r.PostFormValue("action") {
	case "confirm-removals":
		h.runner.setConfirm()
		seeOther(w, "sync?done=confirmed")
		return
	case "start":
	default:
		h.render(w, http.StatusBadRequest, "error", "sync", errorPage{Message: "Unknown action; nothing was started."})
		return
	}
	conn, connected, err := h.loadConnection(r.Context())
	if err == nil && (!connected || conn.Token == "") {
		err = errors.New("Connect Asana first, on the Connection page.")
	}
	var emps []goals.Employee
	if err == nil {
		emps, err = h.cfg.Directory.Employees(r.Context())
	}
	if err == nil {
		err = h.runner.start(conn, emps)
	}
	if err == nil {
		seeOther(w, "sync?done=started")
		return
	}
	v, ok := h.syncView(w, r)
	if !ok {
		return
	}
	status := http.StatusConflict
	switch {
	case errors.Is(err, errSyncRunning):
		v.Error = "A sync of this workspace is already running; this page follows it. Wait for it to end before starting another."
	case !connected || conn.Token == "":
		v.Error = err.Error()
	default:
		status = http.StatusInternalServerError
		h.log.Error("admin: start a sync", "error", asana.NewRedactor(conn.Token).String(err.Error()))
		v.Error = "The sync could not be started; the server's log says why."
	}
	h.render(w, status, "sync", "sync", v)
}
