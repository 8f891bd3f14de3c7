package riverjob_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/riverjob"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// The fleet at scale: hundreds or thousands of tenants, each its own fake
// Asana workspace, token and quota, synced by River clients that each run
// in a process of their own (this test binary again, in
// TestFleetScaleMachine), as worker machines would: their heap is their
// own, and a machine is lost the way machines are lost, by SIGKILL.
//
// The parent process is Asana (one httptest server routing each request
// by its token to that tenant's asanafake.Server) and the host's admin: it
// seeds the store with what an earlier night stored, inserts every
// tenant's sync at once, watches the job table, and checks the end.
//
// Time: Asana allows 1,500 requests a minute per token and answers in
// about 20 ms. The fake counts the quota over a window of 6 s with a tenth
// of it (150 requests), so that it binds from a sync's start, as the floor
// (requests at the quota) assumes: over Asana's minute a sync could burst
// its first 1,500 requests. The client paces itself at the quota (less its
// 1% of headroom) from its first request. A run at speed s divides
// the latency by s and multiplies the rate by s (the window's quota too),
// so the ratio of rate to latency (half a request in flight per sync)
// stays Asana's. The window stays 6 s: the client's 1% of headroom is then
// 1.5·s requests of it, against the jitter of a loaded machine, which
// does not scale.

const (
	scaleChildEnv  = "RIVERJOB_SCALE_MACHINE" // the child's spec file
	asanaPerMinute = 1500                     // Asana's paid quota per token
	asanaLatency   = 20 * time.Millisecond
	fakeWindow     = 6 * time.Second // the fake's window, with a tenth of the quota at speed 1
	smallGoals     = 200             // a small tenant has at most this many goals
)

// scaleShape is the fleet's long tail: most tenants have 20 to 199 goals
// (drawn log-uniformly), one in midEvery 200 to 999, one in largeEvery
// largeGoals.
type scaleShape struct {
	tenants    int
	midEvery   int
	largeEvery int
	largeGoals int
	speed      float64
}

func (s scaleShape) goalsOf(i int) int {
	r := rand.New(rand.NewPCG(uint64(i), 0x5ca1ab1e))
	switch {
	case s.largeEvery > 0 && i%s.largeEvery == s.largeEvery-1:
		return s.largeGoals
	case s.midEvery > 0 && i%s.midEvery == s.midEvery/2:
		return int(200 * math.Pow(5, r.Float64()))
	}
	return int(20 * math.Pow(10, r.Float64()))
}

func (s scaleShape) latency() time.Duration { return time.Duration(float64(asanaLatency) / s.speed) }
func (s scaleShape) perSecond() float64     { return asanaPerMinute / 60.0 * s.speed }

// scaleTenant is one tenant of the fleet and the minimum its sync needs.
type scaleTenant struct {
	*tenant
	goals  int
	pages  int
	minReq int
	floor  time.Duration // the larger of minReq at the quota and the chain of pages
	fake   *asanafake.Server
}

func (t *scaleTenant) small() bool { return t.goals <= smallGoals }

// buildScaleFleet generates the tenants' workspaces (the same in every
// process for the same shape).
func buildScaleFleet(shape scaleShape) []*scaleTenant {
	out := make([]*scaleTenant, shape.tenants)
	for i := range out {
		n := shape.goalsOf(i)
		cfg := asanafake.DefaultGenConfig(n, min(max(n/12, 2), 300))
		cfg.WorkspaceGID = fmt.Sprintf("1400%012d", i+1)
		ws := asanafake.Generate(int64(7000+i), cfg)
		id := fmt.Sprintf("tenant-%04d", i)
		tn := &tenant{id: id, ws: ws, token: fmt.Sprintf("secret-token-%s-5d2e", id)}
		for j, u := range ws.Users {
			tn.emps = append(tn.emps, goals.Employee{ID: fmt.Sprintf("%s/emp-%03d", id, j), AsanaUserGID: u.GID})
		}
		st := &scaleTenant{tenant: tn, goals: n}
		st.pages, st.minReq = minimumRequests(ws, tn.emps)
		st.floor = max(time.Duration(float64(st.minReq)/shape.perSecond()*float64(time.Second)),
			time.Duration(st.pages)*shape.latency())
		out[i] = st
	}
	return out
}

// minimumRequests is what any correct sync of ws for emps sends through
// today's Asana: the scan's pages, one sub-goal listing per kept goal, one
// GET per sub-goal of a kept goal the scan never returns, and one probe of
// the spec's retired sub-goal path (see internal/e2e).
func minimumRequests(ws *asanafake.Workspace, emps []goals.Employee) (pages, total int) {
	listed, listings, fetches := 0, 0, 0
	for _, g := range ws.Goals {
		if !g.Unlisted {
			listed++
		}
	}
	pages = max(1, (listed+asana.PageSize-1)/asana.PageSize)
	for _, e := range emps {
		owned := ws.GoalsOwnedBy(e.AsanaUserGID)
		kept := owned[:min(len(owned), goals.DefaultMaxGoalsPerEmployee)]
		listings += len(kept)
		for _, g := range kept {
			for _, sub := range ws.Subgoals(g.GID) {
				if sub.Unlisted {
					fetches++
				}
			}
		}
	}
	total = pages + listings + fetches
	if listings > 0 {
		total++
	}
	return pages, total
}

// tokenRouter is Asana for many tenants: one server, each request routed
// by its bearer token to that tenant's fake; an unknown token gets Asana's
// 401.
type tokenRouter map[string]http.Handler

func (rt tokenRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if h := rt[tok]; h != nil {
		h.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(`{"errors":[{"message":"Not Authorized"}]}`))
}

// serveScaleFleet starts Asana for every tenant and returns its URL.
func serveScaleFleet(tb testing.TB, shape scaleShape, tenants []*scaleTenant) string {
	rt := tokenRouter{}
	for _, t := range tenants {
		t.fake = asanafake.NewServer(t.ws, asanafake.Options{
			Tokens:            map[string]string{t.token: t.ws.Users[0].GID},
			Latency:           shape.latency(),
			RequestsPerMinute: int(shape.perSecond() * fakeWindow.Seconds()),
			RateWindow:        fakeWindow,
			MaxInFlight:       asana.MaxInFlight,
		})
		rt[t.token] = t.fake
	}
	srv := httptest.NewServer(rt)
	tb.Cleanup(srv.Close)
	return srv.URL
}

// seedScaleStore writes what an earlier night stored: every goal of the
// truth, under an older name.
func seedScaleStore(tb testing.TB, store goals.Store, tenants []*scaleTenant) {
	tb.Helper()
	type job struct {
		t *scaleTenant
		e goals.Employee
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 8 {
		wg.Go(func() {
			for j := range jobs {
				var gs []goals.Goal
				for _, tg := range truthOf(j.t.ws, j.e) {
					gs = append(gs, goals.Goal{EmployeeID: j.e.ID, GID: tg.GID, Name: "earlier: " + tg.Name,
						Status: status.OnTrack, KeyResults: []goals.KeyResult{}})
				}
				if err := store.WriteGoals(context.Background(), goals.Write{EmployeeID: j.e.ID, Goals: gs, Complete: true}); err != nil {
					failed.Store(err)
				}
			}
		})
	}
	for _, t := range tenants {
		for _, e := range t.emps {
			jobs <- job{t, e}
		}
	}
	close(jobs)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		tb.Fatalf("seeding the store: %v", err)
	}
}

// nothingBlanked fails unless every goal of the truth is stored for its
// employee, either as an earlier night stored it or as a sync writes it
// (its true name, description and number of Key Results): no sync,
// interrupted or not, removed or blanked one.
func nothingBlanked(tb testing.TB, db *sql.DB, tenants []*scaleTenant, when string) {
	tb.Helper()
	rows, err := db.Query(`SELECT g.employee_id, g.gid, g.name, g.description,
		(SELECT count(*) FROM asana_goal_key_results k WHERE k.employee_id = g.employee_id AND k.goal_gid = g.gid)
		FROM asana_goals g`)
	if err != nil {
		tb.Fatal(err)
	}
	type stored struct {
		name, description string
		keyResults        int
	}
	held := map[[2]string]stored{}
	for rows.Next() {
		var emp, gid string
		var st stored
		if err := rows.Scan(&emp, &gid, &st.name, &st.description, &st.keyResults); err != nil {
			tb.Fatal(err)
		}
		held[[2]string{emp, gid}] = st
	}
	if err := rows.Close(); err != nil {
		tb.Fatal(err)
	}
	// PostgreSQL's text cannot hold NUL: sqlstore writes U+FFFD there.
	same := func(got, want string) bool { return got == want || got == strings.ReplaceAll(want, "\x00", "\uFFFD") }
	bad := 0
	for _, t := range tenants {
		for _, e := range t.emps {
			for _, tg := range truthOf(t.ws, e) {
				st, ok := held[[2]string{e.ID, tg.GID}]
				switch {
				case ok && same(st.name, "earlier: "+tg.Name) && st.description == "" && st.keyResults == 0:
					continue
				case ok && same(st.name, tg.Name) && same(st.description, tg.Description) && st.keyResults == len(tg.KeyResults):
					continue
				}
				if bad++; bad <= 10 {
					tb.Errorf("%s: %s's goal %s is %+v (stored: %v), want its earlier name, or %q with its description and %d Key Results",
						when, e.ID, tg.GID, st, ok, tg.Name, len(tg.KeyResults))
				}
			}
		}
	}
	if bad > 10 {
		tb.Errorf("%s: %d goals removed or blanked in all", when, bad)
	}
}

// A machine of the fleet: what the parent tells the child.
type scaleMachineSpec struct {
	ID              string              `json:"id"`
	Leader          bool                `json:"leader"`
	Driver          string              `json:"driver"` // "postgres" or "sqlite"
	RiverDSN        string              `json:"river_dsn"`
	StoreDSN        string              `json:"store_dsn"`
	StoreConns      int                 `json:"store_conns"`
	FakeURL         string              `json:"fake_url"`
	PerMinute       int                 `json:"per_minute"`
	MaxWorkers      int                 `json:"max_workers"`
	LargeMaxWorkers int                 `json:"large_max_workers"`
	Timeout         time.Duration       `json:"timeout"`
	Dir             string              `json:"dir"` // where it writes its ready, stats and done files
	Tenants         []scaleTenantOfSpec `json:"tenants"`
}

type scaleTenantOfSpec struct {
	ID           string           `json:"id"`
	Token        string           `json:"token"`
	WorkspaceGID string           `json:"workspace_gid"`
	Employees    []goals.Employee `json:"employees"`
}

// machineStats is what a machine writes every 100 ms: the peak of its
// heap (runtime/metrics' heap objects: live and not yet swept), of the Go
// runtime's whole memory and of its resident set, and its store's writes.
type machineStats struct {
	PeakHeap  uint64 `json:"peak_heap"`
	PeakTotal uint64 `json:"peak_total"`
	PeakRSS   uint64 `json:"peak_rss"` // VmHWM
	StoreTx   int64  `json:"store_tx"`
	StoreRows int64  `json:"store_rows"`
}

func (s *scaleMachineSpec) file(kind string) string { return filepath.Join(s.Dir, kind+"-"+s.ID) }

// TestFleetScaleMachine is one machine of the scale fleet, run in a child
// process: a River client working sync jobs until it is killed.
func TestFleetScaleMachine(t *testing.T) {
	path := os.Getenv(scaleChildEnv)
	if path == "" {
		t.Skip("a machine of the scale fleet; runs only in its child process")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec scaleMachineSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	db, err := sql.Open(map[string]string{"postgres": "pgx", "sqlite": "sqlite"}[spec.Driver], spec.StoreDSN)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(spec.StoreConns)
	db.SetMaxIdleConns(spec.StoreConns)
	dialect := map[string]sqlstore.Dialect{"postgres": sqlstore.Postgres, "sqlite": sqlstore.SQLite}[spec.Driver]
	inner, err := sqlstore.New(db, dialect)
	if err != nil {
		t.Fatal(err)
	}
	store := &countedStore{Store: inner}
	go writeMachineStats(spec.file("stats"), store)

	done, err := os.OpenFile(spec.file("done"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	// The host's Resolver: its tenant table, one HTTP client (a pool of
	// connections to Asana) shared by every tenant's Asana client.
	byID := map[string]scaleTenantOfSpec{}
	for _, ts := range spec.Tenants {
		byID[ts.ID] = ts
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 4 * spec.MaxWorkers
	hc := &http.Client{Transport: transport, Timeout: time.Minute}
	resolve := func(_ context.Context, id string) (riverjob.Tenant, error) {
		ts, ok := byID[id]
		if !ok {
			return riverjob.Tenant{}, fmt.Errorf("%w: %s", riverjob.ErrUnknownTenant, id)
		}
		c, err := asana.NewClient(ts.Token, asana.WithBaseURL(spec.FakeURL), asana.WithHTTPClient(hc),
			asana.WithRequestsPerMinute(spec.PerMinute))
		if err != nil {
			return riverjob.Tenant{}, err
		}
		return riverjob.Tenant{Client: c, Config: goals.Config{WorkspaceGID: ts.WorkspaceGID, Now: func() time.Time { return syncedAt }},
			Employees: ts.Employees, Store: store}, nil
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &loggedWorker{Worker: riverjob.NewWorker(resolve, riverjob.WorkerOptions{Timeout: spec.Timeout, Logger: logger}),
		machine: spec.ID, done: done})
	cfg := &river.Config{
		ID:                     spec.ID,
		Queues:                 riverjob.Queues(spec.MaxWorkers, spec.LargeMaxWorkers),
		Workers:                workers,
		JobTimeout:             spec.Timeout,
		RescueStuckJobsAfter:   spec.Timeout,
		LeaderElectionDisabled: !spec.Leader,
		Logger:                 logger,
	}
	ctx := context.Background()
	switch spec.Driver {
	case "postgres":
		pcfg, err := pgxpool.ParseConfig(spec.RiverDSN)
		if err != nil {
			t.Fatal(err)
		}
		pcfg.MaxConns = 8
		pool, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			t.Fatal(err)
		}
		c, err := river.NewClient(riverpgxv5.New(pool), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
	case "sqlite":
		c, err := river.NewClient(sqliteDriver(t, spec.RiverDSN), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("driver %q", spec.Driver)
	}
	if err := os.WriteFile(spec.file("ready"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	select {} // until killed
}

// loggedWorker is the sync worker, noting each sync that succeeded (one
// line, one write, which outlives a SIGKILL).
type loggedWorker struct {
	*riverjob.Worker
	machine string
	done    *os.File
}

func (w *loggedWorker) Work(ctx context.Context, job *river.Job[riverjob.SyncArgs]) error {
	err := w.Worker.Work(ctx, job)
	if err == nil {
		_, _ = fmt.Fprintf(w.done, "%s %d %d %s\n", job.Args.TenantID, job.ID, job.Attempt, w.machine)
	}
	return err
}

// countedStore counts the store's transactions (one per WriteGoals that
// succeeded) and the rows they wrote (goals and Key Results).
type countedStore struct {
	*sqlstore.Store
	tx, rows atomic.Int64
}

func (s *countedStore) WriteGoals(ctx context.Context, w goals.Write) error {
	if err := s.Store.WriteGoals(ctx, w); err != nil {
		return err
	}
	n := len(w.Goals)
	for _, g := range w.Goals {
		n += len(g.KeyResults)
	}
	s.tx.Add(1)
	s.rows.Add(int64(n))
	return nil
}

// writeMachineStats samples the process's memory every 10 ms and writes
// its peaks and the store's counts to path every 100 ms, until the process
// ends.
func writeMachineStats(path string, store *countedStore) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
	var st machineStats
	for i := 0; ; i++ {
		metrics.Read(samples)
		st.PeakHeap = max(st.PeakHeap, samples[0].Value.Uint64())
		st.PeakTotal = max(st.PeakTotal, samples[1].Value.Uint64())
		if i%10 == 0 {
			st.PeakRSS = vmHWM()
			st.StoreTx, st.StoreRows = store.tx.Load(), store.rows.Load()
			raw, _ := json.Marshal(st)
			if os.WriteFile(path+".tmp", raw, 0o644) == nil {
				_ = os.Rename(path+".tmp", path)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// vmHWM is the process's peak resident set, from /proc (0 elsewhere).
func vmHWM() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// scaleConfig is one run of the fleet.
type scaleConfig struct {
	shape           scaleShape
	machines        int // 1 or 2; with 2, machine-a is not River's leader, machine-b is
	maxWorkers      int
	largeMaxWorkers int
	storeConns      int           // each machine's store pool
	timeout         time.Duration // the worker's Timeout, JobTimeout and RescueStuckJobsAfter
	kill            bool          // SIGKILL machine-a mid-fleet: once killAt of the tenants are synced and 10 syncs run on it
	killAt          float64
	within          time.Duration
}

// scaleDB is where the fleet's River and store live.
type scaleDB[TTx any] struct {
	driver   string // "postgres" or "sqlite"
	riverDSN string
	storeDSN string
	newRiver func() riverdriver.Driver[TTx]
}

// scaleResult is what a run measured.
type scaleResult struct {
	wall, ideal, slowestFloor, capacityTime, smallP95, smallDrain time.Duration
	minRequests, requests, rateLimited                            int64
	peakHeapMB, peakTotalMB, peakRSSMB                            float64
	txPerSec, rowsPerSec                                          float64
	rescued, inFlightAtKill, lostCompletions                      int
	rescuedAt                                                     time.Duration // the first rescued sync's restart, from the insert
	workerCPU                                                     time.Duration // the busier machine's CPU time, its start to its end
	timedOut                                                      int           // syncs ended by their timeout and retried
}

func (r scaleResult) report(b *testing.B) {
	b.ReportMetric(r.wall.Seconds()/r.ideal.Seconds(), "wall/ideal")
	b.ReportMetric(r.peakHeapMB, "MB/worker")
	b.ReportMetric(r.txPerSec, "tx/s")
	b.ReportMetric(r.rowsPerSec, "rows/s")
	b.ReportMetric(r.smallP95.Seconds(), "small-p95-s")
	b.ReportMetric(r.smallDrain.Seconds(), "small-drain-s")
	b.ReportMetric(r.wall.Seconds(), "wall-s")
	b.ReportMetric(r.slowestFloor.Seconds(), "slowest-floor-s")
	b.ReportMetric(r.capacityTime.Seconds(), "requests/capacity-s")
	b.ReportMetric(float64(r.requests)/float64(r.minRequests), "requests/min")
	b.ReportMetric(float64(r.rateLimited), "429s")
	b.ReportMetric(r.peakRSSMB, "rss-MB/worker")
	b.ReportMetric(r.workerCPU.Seconds()/r.wall.Seconds(), "cores/worker")
}

func (r scaleResult) String() string {
	return fmt.Sprintf("wall %.1fs, ideal %.1fs (slowest floor %.1fs, requests/capacity %.1fs): wall/ideal %.3f; "+
		"small p95 %.1fs (drain %.1fs); peak heap %.0f MB/worker (Go total %.0f MB, RSS %.0f MB), CPU %.1fs/worker; %.0f tx/s, %.0f rows/s; "+
		"%d requests (minimum %d), %d 429s; %d in flight on the killed machine, %d rescued (restarted from %.1fs), %d completions lost with it; %d syncs timed out and retried",
		r.wall.Seconds(), r.ideal.Seconds(), r.slowestFloor.Seconds(), r.capacityTime.Seconds(), r.wall.Seconds()/r.ideal.Seconds(),
		r.smallP95.Seconds(), r.smallDrain.Seconds(), r.peakHeapMB, r.peakTotalMB, r.peakRSSMB, r.workerCPU.Seconds(), r.txPerSec, r.rowsPerSec,
		r.requests, r.minRequests, r.rateLimited, r.inFlightAtKill, r.rescued, r.rescuedAt.Seconds(), r.lostCompletions, r.timedOut)
}

// pgStats are the database's transactions and the schema's rows written.
type pgStats struct{ tx, rows int64 }

func readPGStats(tb testing.TB, db *sql.DB, schema string) pgStats {
	tb.Helper()
	var s pgStats
	if _, err := db.Exec(`SELECT pg_stat_clear_snapshot()`); err != nil {
		tb.Fatal(err)
	}
	if err := db.QueryRow(`SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()`).Scan(&s.tx); err != nil {
		tb.Fatal(err)
	}
	if err := db.QueryRow(`SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname = $1`,
		schema).Scan(&s.rows); err != nil {
		tb.Fatal(err)
	}
	return s
}

// runScaleFleet runs one fleet: it starts Asana and the machines, inserts
// every tenant's sync at once, kills machine-a mid-fleet if asked, waits
// for every sync, checks that each tenant completed exactly once and
// holds the truth, and measures.
func runScaleFleet[TTx any](tb testing.TB, cfg scaleConfig, db scaleDB[TTx], tenants []*scaleTenant) scaleResult {
	tb.Helper()
	if cfg.kill && db.driver != "postgres" {
		tb.Fatal("killing a machine mid-fleet needs two machines, so PostgreSQL")
	}
	ctx := context.Background()
	began := time.Now()
	phase := func(what string) { tb.Logf("%5.1fs %s", time.Since(began).Seconds(), what) }
	url := serveScaleFleet(tb, cfg.shape, tenants)

	// The databases: River's tables, the store's, and what an earlier
	// night stored.
	parent := db.newRiver()
	migrate(tb, parent)
	store := sharedStore(tb, db.driver, db.storeDSN)
	seedScaleStore(tb, store, tenants)
	phase("store seeded")
	storeDB, err := sql.Open(map[string]string{"postgres": "pgx", "sqlite": "sqlite"}[db.driver], db.storeDSN)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { storeDB.Close() })
	riverDB := storeDB
	if db.riverDSN != db.storeDSN {
		if riverDB, err = sql.Open("sqlite", db.riverDSN); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { riverDB.Close() })
	}
	inserter, err := river.NewClient(parent, &river.Config{Logger: testLogger(tb)})
	if err != nil {
		tb.Fatal(err)
	}

	// The machines.
	dir := tb.TempDir()
	var specTenants []scaleTenantOfSpec
	for _, t := range tenants {
		specTenants = append(specTenants, scaleTenantOfSpec{ID: t.id, Token: t.token, WorkspaceGID: t.ws.GID, Employees: t.emps})
	}
	// On PostgreSQL, the run's schema; its machines' sessions are named
	// after it (schema/machine-a), so that the end waits for theirs alone.
	schema := ""
	if db.driver == "postgres" {
		_, schema, _ = strings.Cut(db.riverDSN, "search_path=")
	}
	ids := []string{"machine-a", "machine-b"}[2-cfg.machines:]
	procs := map[string]*exec.Cmd{}
	var specs []*scaleMachineSpec
	for _, id := range ids {
		spec := &scaleMachineSpec{ID: id, Leader: id == "machine-b" || cfg.machines == 1, Driver: db.driver,
			RiverDSN: withAppName(db.driver, db.riverDSN, schema, id), StoreDSN: withAppName(db.driver, db.storeDSN, schema, id),
			StoreConns: cfg.storeConns, FakeURL: url, PerMinute: int(asanaPerMinute * cfg.shape.speed),
			MaxWorkers: cfg.maxWorkers, LargeMaxWorkers: cfg.largeMaxWorkers, Timeout: cfg.timeout, Dir: dir, Tenants: specTenants}
		specs = append(specs, spec)
		raw, _ := json.Marshal(spec)
		path := filepath.Join(dir, "spec-"+id+".json")
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			tb.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dir, "out-"+id))
		if err != nil {
			tb.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestFleetScaleMachine$")
		cmd.Env = append(os.Environ(), scaleChildEnv+"="+path)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		procs[id] = cmd
		tb.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
			out.Close()
			if tb.Failed() {
				raw, _ := os.ReadFile(out.Name())
				tb.Logf("%s's output (last 4 KB):\n%s", id, raw[max(0, len(raw)-4096):])
			}
		})
		// One after the other, River's leader (machine-b) last, so that
		// its rescuer's first run, when it is elected, comes right before
		// the insert; the next comes 30 seconds later.
		pollUntil(tb, time.Minute, id+" to start", func() bool {
			_, err := os.Stat(spec.file("ready"))
			return err == nil
		})
	}

	phase("machines ready")

	// Every tenant's sync at once, each on the queue its size says.
	var before pgStats
	if schema != "" {
		before = readPGStats(tb, storeDB, schema)
	}
	params := make([]river.InsertManyParams, 0, len(tenants))
	for _, t := range tenants {
		params = append(params, river.InsertManyParams{Args: riverjob.SyncArgs{TenantID: t.id, Goals: t.goals}})
	}
	start := time.Now()
	if _, err := inserter.InsertMany(ctx, params); err != nil {
		tb.Fatal(err)
	}

	// Watch the job table; kill machine-a mid-fleet.
	var res scaleResult
	// The parent's own transactions, left out of tx/s: the first stats'
	// three statements, the insert, and each query below.
	ownQueries := int64(4)
	killed := false
	deadline := time.Now().Add(cfg.within)
	for {
		var completed, failed, onA int
		err := riverDB.QueryRow(`SELECT
			coalesce(sum(CASE WHEN state = 'completed' THEN 1 ELSE 0 END), 0),
			coalesce(sum(CASE WHEN state IN ('cancelled', 'discarded') THEN 1 ELSE 0 END), 0)
			FROM river_job`).Scan(&completed, &failed)
		ownQueries++
		if err != nil {
			tb.Fatal(err)
		}
		if failed > 0 {
			tb.Fatalf("%d sync jobs cancelled or discarded", failed)
		}
		if completed == len(tenants) {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %s, %d of %d tenants synced", cfg.within, completed, len(tenants))
		}
		if cfg.kill && !killed && completed >= int(cfg.killAt*float64(len(tenants))) {
			err := riverDB.QueryRow(`SELECT count(*) FROM river_job
				WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = 'machine-a'`).Scan(&onA)
			ownQueries++
			if err != nil {
				tb.Fatal(err)
			}
			if onA >= min(10, cfg.maxWorkers) {
				if err := procs["machine-a"].Process.Kill(); err != nil {
					tb.Fatal(err)
				}
				_ = procs["machine-a"].Wait()
				killed, res.inFlightAtKill = true, onA
				tb.Logf("machine-a killed %.1fs into the fleet, %d syncs in flight on it, %d of %d tenants synced",
					time.Since(start).Seconds(), onA, completed, len(tenants))
				nothingBlanked(tb, storeDB, tenants, "right after machine-a died")
				ownQueries++
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if cfg.kill && !killed {
		tb.Fatal("the fleet finished before machine-a could be killed mid-fleet")
	}

	phase("every tenant synced")

	// The machines' peaks, then the machines stop (the database's
	// statistics of their sessions are flushed when they end).
	for _, spec := range specs {
		raw, err := os.ReadFile(spec.file("stats"))
		if err != nil {
			tb.Fatal(err)
		}
		var st machineStats
		if err := json.Unmarshal(raw, &st); err != nil {
			tb.Fatal(err)
		}
		res.peakHeapMB = max(res.peakHeapMB, float64(st.PeakHeap)/(1<<20))
		res.peakTotalMB = max(res.peakTotalMB, float64(st.PeakTotal)/(1<<20))
		res.peakRSSMB = max(res.peakRSSMB, float64(st.PeakRSS)/(1<<20))
		if schema == "" {
			res.txPerSec += float64(st.StoreTx)
			res.rowsPerSec += float64(st.StoreRows)
		}
	}
	for _, cmd := range procs {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		res.workerCPU = max(res.workerCPU, cpu)
	}

	// The jobs: one per tenant, each completed once.
	list, err := inserter.JobList(ctx, river.NewJobListParams().Kinds(riverjob.Kind).First(10000).States(
		rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted, rivertype.JobStateDiscarded,
		rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled))
	if err != nil {
		tb.Fatal(err)
	}
	if len(list.Jobs) != len(tenants) {
		tb.Errorf("%d sync jobs, want one per tenant (%d)", len(list.Jobs), len(tenants))
	}
	successes := readDoneFiles(tb, specs)
	byTenant := map[string]*scaleTenant{}
	for _, t := range tenants {
		byTenant[t.id] = t
	}
	var end time.Time
	var last *rivertype.JobRow
	var smallFinish, smallRun []time.Duration
	var smallReq int
	for _, row := range list.Jobs {
		id := tenantOfArgs(row)
		t := byTenant[id]
		if t == nil || row.State != rivertype.JobStateCompleted || row.FinalizedAt == nil {
			tb.Errorf("job %d of tenant %q: %s", row.ID, id, row.State)
			continue
		}
		if want := riverjob.QueueOf(t.goals); row.Queue != want {
			tb.Errorf("%s (%d goals) ran on queue %s, want %s", id, t.goals, row.Queue, want)
		}
		if row.FinalizedAt.After(end) {
			end, last = *row.FinalizedAt, row
		}
		if t.small() {
			smallFinish = append(smallFinish, row.FinalizedAt.Sub(start))
			smallRun = append(smallRun, row.FinalizedAt.Sub(*row.AttemptedAt))
		}
		if riverjob.QueueOf(t.goals) == riverjob.Queue {
			smallReq += t.minReq
		}
		last := row.AttemptedBy[len(row.AttemptedBy)-1]
		rescued := slices.Contains(row.AttemptedBy, "machine-a") && last != "machine-a"
		switch {
		case rescued:
			res.rescued++
			if at := row.AttemptedAt.Sub(start); res.rescuedAt == 0 || at < res.rescuedAt {
				res.rescuedAt = at
			}
			if !cfg.kill || !strings.Contains(errorsText(row), "Stuck job rescued") {
				tb.Errorf("%s: attempts %d by %s, errors %q; want machine-a's attempt rescued", id, row.Attempt, attemptedBy(row), errorsText(row))
			}
		case row.Attempt != 1 && timedOut(row):
			// A sync its own timeout ended (a machine starved of CPU),
			// retried: still one success (below).
			res.timedOut++
		case row.Attempt != 1 || len(row.Errors) != 0:
			tb.Errorf("%s: attempt %d by %s, errors %q; want one attempt", id, row.Attempt, attemptedBy(row), errorsText(row))
		}
		// Exactly once: the attempt River completed is the one success
		// its machine noted; any other success is machine-a's, killed
		// before River heard of it.
		for _, s := range successes[id] {
			switch {
			case s.jobID == row.ID && s.attempt == row.Attempt && s.machine == last:
			case cfg.kill && s.machine == "machine-a" && s.attempt < row.Attempt:
				res.lostCompletions++
			default:
				tb.Errorf("%s: a sync succeeded as job %d attempt %d on %s; River completed attempt %d on %s",
					id, s.jobID, s.attempt, s.machine, row.Attempt, last)
			}
		}
		if n := len(successes[id]) - res.lostCompletionsOf(successes[id], row); n != 1 {
			tb.Errorf("%s: %d successful syncs completed the job, want exactly one", id, n)
		}
	}
	res.wall = end.Sub(start)
	if last != nil {
		lt := byTenant[tenantOfArgs(last)]
		tb.Logf("last to finish: %s (%d goals, floor %.1fs), attempt %d by %s, started %.1fs and finished %.1fs into the fleet, %d 429s",
			lt.id, lt.goals, lt.floor.Seconds(), last.Attempt, attemptedBy(last), last.AttemptedAt.Sub(start).Seconds(),
			last.FinalizedAt.Sub(start).Seconds(), lt.fake.Stats().RateLimited)
	}

	if schema != "" {
		// Wait for the machines' sessions to end, so that their
		// statistics are in. Only the statistics wait for this, so a wait
		// that times out is logged, not fatal.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			var n int
			_ = storeDB.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1`, schema+"/%").Scan(&n)
			ownQueries++
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				tb.Logf("%d sessions of the machines still open after 30s: tx/s may miss some of their transactions", n)
				break
			}
		}
		time.Sleep(1100 * time.Millisecond) // the parent's own sessions flush at most once a second
		after := readPGStats(tb, storeDB, schema)
		res.txPerSec = float64(after.tx-before.tx-ownQueries) / res.wall.Seconds()
		res.rowsPerSec = float64(after.rows-before.rows) / res.wall.Seconds()
	} else {
		res.txPerSec /= res.wall.Seconds()
		res.rowsPerSec /= res.wall.Seconds()
	}

	// The stores hold the truth, for every tenant.
	nothingBlanked(tb, storeDB, tenants, "at the end")
	for _, t := range tenants {
		checkTruth(tb, t.tenant, store, "")
	}
	phase("stores checked")

	// Against the ideal: the slowest tenant alone, or every request at the
	// fleet's capacity (the syncs it runs at once, each at its token's
	// quota), whichever is longer.
	slots := cfg.machines * (cfg.maxWorkers + cfg.largeMaxWorkers)
	for _, t := range tenants {
		res.slowestFloor = max(res.slowestFloor, t.floor)
		res.minRequests += int64(t.minReq)
		st := t.fake.Stats()
		res.requests += st.Requests
		res.rateLimited += st.RateLimited
	}
	perSlot := cfg.shape.perSecond()
	res.capacityTime = time.Duration(float64(res.minRequests) / (float64(slots) * perSlot) * float64(time.Second))
	res.ideal = max(res.slowestFloor, res.capacityTime)
	res.smallDrain = time.Duration(float64(smallReq) / (float64(cfg.machines*cfg.maxWorkers) * perSlot) * float64(time.Second))
	slices.Sort(smallFinish)
	slices.Sort(smallRun)
	if len(smallFinish) > 0 {
		res.smallP95 = smallFinish[int(math.Ceil(0.95*float64(len(smallFinish))))-1]
		tb.Logf("small syncs' last attempt: median %.1fs, p95 %.1fs, max %.1fs", smallRun[len(smallRun)/2].Seconds(),
			smallRun[int(math.Ceil(0.95*float64(len(smallRun))))-1].Seconds(), smallRun[len(smallRun)-1].Seconds())
	}
	return res
}

// timedOut reports whether every failed attempt of row ended by the job's
// timeout.
func timedOut(row *rivertype.JobRow) bool {
	for _, e := range row.Errors {
		if !strings.Contains(e.Error, "context deadline exceeded") {
			return false
		}
	}
	return len(row.Errors) > 0
}

// success is a sync a machine noted as succeeded.
type success struct {
	jobID   int64
	attempt int
	machine string
}

func readDoneFiles(tb testing.TB, specs []*scaleMachineSpec) map[string][]success {
	tb.Helper()
	out := map[string][]success{}
	for _, spec := range specs {
		raw, err := os.ReadFile(spec.file("done"))
		if err != nil && !os.IsNotExist(err) {
			tb.Fatal(err)
		}
		for line := range strings.Lines(string(raw)) {
			var tenantID, machine string
			var s success
			if _, err := fmt.Sscanf(line, "%s %d %d %s", &tenantID, &s.jobID, &s.attempt, &machine); err != nil {
				tb.Fatalf("%s's done file: %q: %v", spec.ID, line, err)
			}
			s.machine = machine
			out[tenantID] = append(out[tenantID], s)
		}
	}
	return out
}

// lostCompletionsOf counts the successes of ss that River never heard of:
// machine-a's, at an attempt before the one River completed.
func (scaleResult) lostCompletionsOf(ss []success, row *rivertype.JobRow) int {
	n := 0
	for _, s := range ss {
		if s.machine == "machine-a" && s.attempt < row.Attempt {
			n++
		}
	}
	return n
}

// withAppName names a machine's PostgreSQL sessions after the run's schema
// and the machine (riverjob_123_4/machine-a): runs on the same server, of
// this process or another, have schemas of their own.
func withAppName(driver, dsn, schema, machine string) string {
	if driver != "postgres" {
		return dsn
	}
	return dsn + "&application_name=" + schema + "/" + machine
}

func postgresScaleDB(tb testing.TB) scaleDB[pgxTx] {
	dsn := postgresDSN(tb)
	return scaleDB[pgxTx]{driver: "postgres", riverDSN: dsn, storeDSN: dsn,
		newRiver: func() riverdriver.Driver[pgxTx] { return pgDriver(tb, dsn) }}
}

func sqliteScaleDB(tb testing.TB) scaleDB[*sql.Tx] {
	dsn := sqliteDSN(tb)
	store := "file:" + filepath.Join(tb.TempDir(), "goals.db") + "?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_txlock=immediate"
	return scaleDB[*sql.Tx]{driver: "sqlite", riverDSN: dsn, storeDSN: store,
		newRiver: func() riverdriver.Driver[*sql.Tx] { return sqliteDriver(tb, dsn) }}
}

// TestFleetScale is the fleet at 200 tenants, at four times Asana's speed
// (5 ms of latency, 100 requests a second per token), two of them of
// 1,000 goals (the large queue), on two machines of 25 small and 2 large
// syncs at once, with machine-a killed by SIGKILL once a twentieth of the
// tenants are synced and ten of its syncs are in flight. Every tenant
// completes exactly once, the interrupted syncs removed or blanked no
// stored goal, and every store equals the truth.
//
// The worker's timeout is 20 s (a sync takes 1 to 10 s here), so River's
// rescuer, on machine-b, retries machine-a's syncs at its second run, 30 s
// after machine-b started; machine-a is killed within a few seconds of the
// insert so that its syncs have timed out by then. The test takes about a
// minute under -race.
func TestFleetScale(t *testing.T) {
	if testing.Short() {
		t.Skip("200 tenants take a minute")
	}
	t.Parallel()
	db := postgresScaleDB(t)
	shape := scaleShape{tenants: 200, midEvery: 20, largeEvery: 100, largeGoals: 1000, speed: 4}
	res := runScaleFleet(t, scaleConfig{shape: shape, machines: 2, maxWorkers: 25, largeMaxWorkers: 2, storeConns: 8,
		timeout: 20 * time.Second, kill: true, killAt: 0.05, within: 3 * time.Minute}, db, buildScaleFleet(shape))
	if res.rescued == 0 {
		t.Error("no sync of machine-a was rescued")
	}
	t.Log(res)
}
