package riverjob_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/riverjob"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/internal/htmltext"
)

// The fleet: many tenants, each its own fake Asana workspace, token and
// quota, as a host with many customers has.

const (
	fleetSize = 50
	// Each fake answers after this latency; each client paces itself at
	// clientPerSecond (the fake enforces the same quota over rateWindow).
	latency         = 10 * time.Millisecond
	clientPerSecond = 100
	rateWindow      = 3 * time.Second
)

var syncedAt = time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)

type behaviour int

const (
	normal    behaviour = iota
	revoked             // the token was revoked: 401
	throttled           // Asana answers 429 with Retry-After: 3600
	badConfig           // the host's config has no usable workspace GID
	flaky               // the first scan request answers 503 (the client does not retry it)
	partial             // one goal's sub-goals always answer 500: one employee fails
)

type tenant struct {
	id        string
	behaviour behaviour
	ws        *asanafake.Workspace
	emps      []goals.Employee
	token     string
	floor     time.Duration
	client    *asana.Client
	store     goals.Store
	mem       *countingStore // nil when the store is shared
	failGoal  string         // partial: the goal whose sub-goals fail
	failOwner string         // partial: the employee who owns it
	flakyLeft atomic.Int32   // flaky: scan requests still to fail
}

// newTenant builds tenant i: the same workspace, employees and token in
// every process (the crash test's second machine rebuilds them).
func newTenant(i int, b behaviour) *tenant {
	id := fmt.Sprintf("tenant-%02d", i)
	cfg := asanafake.DefaultGenConfig(40+(i*7)%41, 4)
	cfg.WorkspaceGID = fmt.Sprintf("1300%012d", i+1)
	ws := asanafake.Generate(int64(1000+i), cfg)
	t := &tenant{id: id, behaviour: b, ws: ws, token: fmt.Sprintf("secret-token-%s-8c1f", id)}
	for j, u := range ws.Users {
		t.emps = append(t.emps, goals.Employee{ID: fmt.Sprintf("%s/emp-%02d", id, j), AsanaUserGID: u.GID})
	}
	pages := (len(ws.Goals) + asana.PageSize - 1) / asana.PageSize
	kept := 0
	for _, e := range t.emps {
		kept += min(len(ws.GoalsOwnedBy(e.AsanaUserGID)), goals.DefaultMaxGoalsPerEmployee)
	}
	t.floor = max(time.Duration(float64(pages+kept)/clientPerSecond*float64(time.Second)), time.Duration(pages)*latency)
	if b == partial {
		for _, e := range t.emps {
			if owned := ws.GoalsOwnedBy(e.AsanaUserGID); len(owned) > 0 {
				t.failGoal, t.failOwner = owned[0].GID, e.ID
				break
			}
		}
	}
	if b == flaky {
		t.flakyLeft.Store(1)
	}
	return t
}

// serve starts tenant t's fake Asana; gate, when set, holds its sub-goal
// requests.
func (t *tenant) serve(tb testing.TB, gate *gate) string {
	tb.Helper()
	tokens := map[string]string{t.token: t.ws.Users[0].GID}
	if t.behaviour == revoked {
		tokens = map[string]string{"the-new-token": t.ws.Users[0].GID}
	}
	fake := asanafake.NewServer(t.ws, asanafake.Options{
		Tokens:            tokens,
		Latency:           latency,
		RequestsPerMinute: int(clientPerSecond * rateWindow.Seconds()),
		RateWindow:        rateWindow,
		MaxInFlight:       asana.MaxInFlight,
		Intercept: func(w http.ResponseWriter, r *http.Request) bool {
			switch {
			case t.behaviour == throttled:
				w.Header().Set("Retry-After", "3600")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(`{"errors":[{"message":"You have made too many requests recently."}]}`))
				return true
			case t.behaviour == flaky && r.URL.Path == "/goals" && t.flakyLeft.Add(-1) >= 0:
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"errors":[{"message":"Service Unavailable"}]}`))
				return true
			case t.behaviour == partial && asanafake.ListsSubgoals(r, t.failGoal):
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"errors":[{"message":"Server Error","phrase":"6 sad squid snuggle softly"}]}`))
				return true
			case gate != nil && asanafake.ListsSubgoals(r, ""):
				gate.hold(r.Context(), t.id)
			}
			return false
		},
	})
	srv := httptest.NewServer(fake)
	tb.Cleanup(srv.Close)
	return srv.URL
}

// connect makes tenant t's Asana client for the fake at url and its store.
func (t *tenant) connect(tb testing.TB, url string, store goals.Store) {
	tb.Helper()
	retries := 3
	if t.behaviour == flaky {
		retries = 0
	}
	c, err := asana.NewClient(t.token, asana.WithBaseURL(url), asana.WithRequestsPerMinute(clientPerSecond*60),
		asana.WithMaxRetries(retries), asana.WithRetryWait(time.Millisecond, 20*time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	t.client = c
	if store == nil {
		t.mem = newCountingStore()
		store = t.mem
	}
	t.store = store
}

// fleet is the host's view of its tenants: what its Resolver reads.
type fleet struct {
	byID map[string]*tenant
	ids  []string
}

func (f *fleet) add(t *tenant) {
	if f.byID == nil {
		f.byID = map[string]*tenant{}
	}
	f.byID[t.id] = t
	f.ids = append(f.ids, t.id)
}

// resolve is the host's riverjob.Resolver.
func (f *fleet) resolve(_ context.Context, id string) (riverjob.Tenant, error) {
	t, ok := f.byID[id]
	if !ok {
		return riverjob.Tenant{}, fmt.Errorf("%w: %s", riverjob.ErrUnknownTenant, id)
	}
	cfg := goals.Config{WorkspaceGID: t.ws.GID, Now: func() time.Time { return syncedAt }}
	if t.behaviour == badConfig {
		cfg.WorkspaceGID = "workspace-of-" + id
	}
	return riverjob.Tenant{Client: t.client, Config: cfg, Employees: t.emps, Store: t.store}, nil
}

// countingStore is a MemoryStore that counts the writes of each employee.
type countingStore struct {
	*goals.MemoryStore
	mu     sync.Mutex
	writes map[string]int
}

func newCountingStore() *countingStore {
	return &countingStore{MemoryStore: goals.NewMemoryStore(), writes: map[string]int{}}
}

func (s *countingStore) WriteGoals(ctx context.Context, w goals.Write) error {
	if err := s.MemoryStore.WriteGoals(ctx, w); err != nil {
		return err
	}
	s.mu.Lock()
	s.writes[w.EmployeeID]++
	s.mu.Unlock()
	return nil
}

// Employees returns the employees written to, sorted: none when a job
// wrote nothing.
func (s *countingStore) Employees() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.writes))
	for id := range s.writes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (s *countingStore) writesOf(emp string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes[emp]
}

// gate holds requests until released or cancelled, and records the tenants
// with a request held; entered is closed when the first request is held.
type gate struct {
	release chan struct{}
	entered chan struct{}
	mu      sync.Mutex
	held    map[string]bool
}

func newGate() *gate {
	return &gate{release: make(chan struct{}), entered: make(chan struct{}), held: map[string]bool{}}
}

func (g *gate) hold(ctx context.Context, tenantID string) {
	g.mu.Lock()
	if len(g.held) == 0 {
		close(g.entered)
	}
	g.held[tenantID] = true
	g.mu.Unlock()
	select {
	case <-g.release:
	case <-ctx.Done():
	}
}

func (g *gate) isHeld(tenantID string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held[tenantID]
}

// truth is what the generator says an employee's stored goals are: the
// first 200 goals the employee owns, in workspace order, with their names,
// descriptions, dates, progress and sub-goals as Key Results. (Status
// mapping is pinned by internal/e2e against the same generator.)
type truthGoal struct {
	GID, Name, Description string
	StartOn, DueOn         asana.Date
	Metric                 *goals.Metric
	KeyResults             []string
}

func truthOf(ws *asanafake.Workspace, emp goals.Employee) []truthGoal {
	owned := ws.GoalsOwnedBy(emp.AsanaUserGID)
	owned = owned[:min(len(owned), goals.DefaultMaxGoalsPerEmployee)]
	out := []truthGoal{}
	for _, g := range owned {
		due, _ := asana.ParseDate(g.DueOn)
		start, _ := asana.ParseDate(g.StartOn)
		tg := truthGoal{GID: g.GID, Name: g.Name, Description: htmltext.Description(g.HTMLNotes, goals.DefaultDescriptionLimit),
			StartOn: start, DueOn: due, KeyResults: []string{}}
		if m := g.Metric; m != nil {
			tg.Metric = &goals.Metric{Initial: m.InitialNumberValue, Current: m.CurrentNumberValue,
				Target: m.TargetNumberValue, Unit: m.Unit, CurrencyCode: m.CurrencyCode}
		}
		for _, s := range ws.Subgoals(g.GID) {
			tg.KeyResults = append(tg.KeyResults, s.GID+" "+s.Name)
		}
		out = append(out, tg)
	}
	return out
}

func projection(gs []goals.Goal) []truthGoal {
	out := []truthGoal{}
	for _, g := range gs {
		tg := truthGoal{GID: g.GID, Name: g.Name, Description: g.Description, StartOn: g.StartOn, DueOn: g.DueOn,
			Metric: g.Metric, KeyResults: []string{}}
		for _, kr := range g.KeyResults {
			tg.KeyResults = append(tg.KeyResults, kr.GID+" "+kr.Name)
		}
		out = append(out, tg)
	}
	return out
}

// checkTruth fails unless every employee of t (but skip) holds exactly the
// generator's truth in store.
func checkTruth(tb testing.TB, t *tenant, store goals.Reader, skip string) {
	tb.Helper()
	for _, e := range t.emps {
		if e.ID == skip {
			continue
		}
		got, err := store.Goals(context.Background(), e.ID)
		if err != nil {
			tb.Fatal(err)
		}
		// PostgreSQL's text cannot hold NUL: sqlstore writes U+FFFD there.
		a, _ := json.Marshal(projection(got))
		b, _ := json.Marshal(truthOf(t.ws, e))
		a, b = []byte(strings.ReplaceAll(string(a), `\u0000`, "\uFFFD")), []byte(strings.ReplaceAll(string(b), `\u0000`, "\uFFFD"))
		if string(a) != string(b) {
			tb.Errorf("%s: stored goals differ from the generator's truth:\n got %.300s\nwant %.300s", e.ID, a, b)
		}
	}
}

// Databases: a fresh PostgreSQL schema or SQLite file per test, River's
// migrations applied.

const postgresDSNEnv = "ASANAGOALS_POSTGRES_DSN"

var schemaSeq atomic.Int64

// postgresDSN returns the DSN of a new schema on the test server (dropped
// at cleanup), or skips (fails in CI) without a server.
func postgresDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(postgresDSNEnv)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set: CI must run the PostgreSQL tests (.ci/run starts a server)", postgresDSNEnv)
		}
		tb.Skipf("%s is not set; .ci/run starts a PostgreSQL server and sets it", postgresDSNEnv)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("riverjob_%d_%d", os.Getpid(), schemaSeq.Add(1))
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// pgDriver opens a pool of its own (one "machine") on dsn.
func pgDriver(tb testing.TB, dsn string) riverdriver.Driver[pgxTx] {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return riverpgxv5.New(pool)
}

// sqliteDSN names a new SQLite database file.
func sqliteDSN(tb testing.TB) string {
	return "file:" + filepath.Join(tb.TempDir(), "river.db") + "?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)"
}

// sqliteDriver opens a database/sql pool of one connection on dsn, as
// riversqlite advises.
func sqliteDriver(tb testing.TB, dsn string) riverdriver.Driver[*sql.Tx] {
	tb.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	return riversqlite.New(db)
}

func migrate[TTx any](tb testing.TB, d riverdriver.Driver[TTx]) {
	tb.Helper()
	m, err := rivermigrate.New(d, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := m.Migrate(context.Background(), rivermigrate.DirectionUp, nil); err != nil {
		tb.Fatalf("River's migrations: %v", err)
	}
}

// machine is one River client working sync jobs with f's Resolver.
type machineConfig struct {
	id             string
	workers        int
	timeout        time.Duration // the worker's; 0: 30 s
	rescueAfter    time.Duration
	notLeader      bool
	subscribeKinds []river.EventKind
}

func newMachine[TTx any](tb testing.TB, d riverdriver.Driver[TTx], f *fleet, mc machineConfig) *river.Client[TTx] {
	tb.Helper()
	workers := river.NewWorkers()
	timeout := cmpOr(mc.timeout, 30*time.Second)
	river.AddWorker(workers, riverjob.NewWorker(f.resolve, riverjob.WorkerOptions{Timeout: timeout}))
	cfg := &river.Config{
		ID:                     mc.id,
		Queues:                 map[string]river.QueueConfig{riverjob.Queue: {MaxWorkers: mc.workers}},
		Workers:                workers,
		TestOnly:               true,
		FetchCooldown:          20 * time.Millisecond,
		FetchPollInterval:      200 * time.Millisecond,
		JobTimeout:             timeout,
		RescueStuckJobsAfter:   cmpOr(mc.rescueAfter, 2*timeout),
		LeaderElectionDisabled: mc.notLeader,
		Logger:                 testLogger(tb),
	}
	c, err := river.NewClient(d, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func startMachine[TTx any](tb testing.TB, c *river.Client[TTx]) {
	tb.Helper()
	if err := c.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = c.StopAndCancel(ctx)
	})
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// events merges the subscriptions of several clients.
func events[TTx any](clients ...*river.Client[TTx]) <-chan *river.Event {
	out := make(chan *river.Event, 1024)
	for _, c := range clients {
		ch, _ := c.Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled, river.EventKindJobSnoozed,
			river.EventKindJobFailed)
		go func() {
			for ev := range ch {
				out <- ev
			}
		}()
	}
	return out
}

// waitFor reads events until done says so, or fails at the deadline.
func waitFor(tb testing.TB, evs <-chan *river.Event, within time.Duration, done func(*river.Event) bool) {
	tb.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		select {
		case ev := <-evs:
			if done(ev) {
				return
			}
		case <-deadline.C:
			tb.Fatalf("not done after %s", within)
		}
	}
}

// pollUntil calls cond until it holds, or fails at the deadline.
func pollUntil(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("after %s: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noSecret fails when a job row holds any tenant's token.
func noSecret(tb testing.TB, f *fleet, row *rivertype.JobRow) {
	tb.Helper()
	errs, _ := json.Marshal(row.Errors)
	for _, t := range f.byID {
		for _, part := range [][]byte{row.EncodedArgs, row.Metadata, errs} {
			if strings.Contains(string(part), t.token) {
				tb.Errorf("job %d holds tenant %s's token", row.ID, t.id)
			}
		}
	}
}

func outputReport(tb testing.TB, row *rivertype.JobRow) *goals.Report {
	tb.Helper()
	out := row.Output()
	if len(out) == 0 {
		tb.Fatalf("job %d (%s) has no output", row.ID, row.State)
	}
	var rep goals.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		tb.Fatalf("job %d output: %v", row.ID, err)
	}
	return &rep
}

func errorsText(row *rivertype.JobRow) string {
	var b strings.Builder
	for _, e := range row.Errors {
		b.WriteString(e.Error)
		b.WriteString("\n")
	}
	return b.String()
}

func attemptedBy(row *rivertype.JobRow) string { return strings.Join(row.AttemptedBy, ",") }

type pgxTx = pgx.Tx

// testLogger sends River's warnings and errors to the test's log.
func testLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(string(p))
	return len(p), nil
}

// One job's outcome is tested with rivertest.Worker: the job is inserted
// and worked at once, in a transaction rolled back at the end, by River's
// own executor (its middleware, its completer, its retry and snooze
// rules), with no client started and nothing to wait for.
//
// workDB is a database with River's tables for rivertest.Worker: the
// pool-less driver River advises for it, and the transaction every job of
// the test is inserted and worked in.
type workDB[TTx any] struct {
	driver riverdriver.Driver[TTx]
	tx     TTx
}

func sqliteWorkDB(t *testing.T) workDB[*sql.Tx] {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	migrate(t, riversqlite.New(db))
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	return workDB[*sql.Tx]{driver: riversqlite.New(nil), tx: tx}
}

func postgresWorkDB(t *testing.T) workDB[pgxTx] {
	t.Helper()
	dsn := postgresDSN(t)
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	migrate(t, riverpgxv5.New(pool))
	tx, err := pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return workDB[pgxTx]{driver: riverpgxv5.New(nil), tx: tx}
}

// onBothDatabases runs a test on SQLite (riversqlite) and on PostgreSQL
// (riverpgxv5; skipped without a server, as postgresDSN says): pass the two
// instances of one generic test.
func onBothDatabases(t *testing.T, sqlite func(*testing.T, workDB[*sql.Tx]), postgres func(*testing.T, workDB[pgxTx])) {
	t.Run("sqlite", func(t *testing.T) { sqlite(t, sqliteWorkDB(t)) })
	t.Run("postgres", func(t *testing.T) { postgres(t, postgresWorkDB(t)) })
}

// fixedClock is River's clock stopped at one instant (rivertype's
// TimeGenerator), so that the times River computes (a snooze's end) are
// exact.
type fixedClock struct{ at time.Time }

func (c fixedClock) Now() time.Time { return c.at }

func (c fixedClock) NowOrNil() *time.Time { return &c.at }

// testWorker is rivertest's Worker for a riverjob.Worker resolving with
// resolve, on db's driver, with cfg (nil: River's defaults and the test's
// logger).
func testWorker[TTx any](t *testing.T, db workDB[TTx], cfg *river.Config, resolve riverjob.Resolver,
	opts riverjob.WorkerOptions) *rivertest.Worker[riverjob.SyncArgs, TTx] {
	t.Helper()
	if cfg == nil {
		cfg = &river.Config{}
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	return rivertest.NewWorker(t, db.driver, cfg, riverjob.NewWorker(resolve, opts))
}
