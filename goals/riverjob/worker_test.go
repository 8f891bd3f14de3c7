package riverjob_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverlog"
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/otelgoals"
	"github.com/perfcopilot/asanagoals/goals/riverjob"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/internal/syncbuf"
	"github.com/perfcopilot/asanagoals/status"
)

// One job's outcome, as River records it, each worked by rivertest.Worker
// (see testWorker). TestWorker_Work_fleetOnTwoMachinesPostgres and
// TestWorker_Work_fleetOnTwoMachinesSQLite show the same outcomes among 55
// tenants on real clients.

// A sync that succeeds completes its job on the first attempt, with the
// sync's report as the job's output, and the store holds Asana's goals.
// A sync in which some employees failed is a success too: the report says
// who.
func TestWorker_Work_completedJobRecordsTheReport(t *testing.T) {
	onBothDatabases(t, testCompletedJob[*sql.Tx], testCompletedJob[pgxTx])
}

func testCompletedJob[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	f := &fleet{}
	ok, part := newTenant(1, normal), newTenant(2, partial)
	for _, tn := range []*tenant{ok, part} {
		tn.connect(t, tn.serve(t, nil), nil)
		f.add(tn)
	}
	w := testWorker(t, db, nil, f.resolve, riverjob.WorkerOptions{})

	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: ok.id}, nil)
	if err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("%s: %s, error %v; want completed", ok.id, res.EventKind, err)
	}
	row := res.Job
	if row.State != rivertype.JobStateCompleted || row.Attempt != 1 || len(row.Errors) != 0 || row.FinalizedAt == nil {
		t.Errorf("%s: state %s, attempt %d, errors %q", ok.id, row.State, row.Attempt, errorsText(row))
	}
	if rep := outputReport(t, row); rep.WorkspaceGID != ok.ws.GID || len(rep.Employees) != len(ok.emps) || len(rep.Failed()) != 0 {
		t.Errorf("%s: report %+v", ok.id, rep)
	}
	checkTruth(t, ok, ok.mem, "")
	for _, e := range ok.emps {
		if n := ok.mem.writesOf(e.ID); n != 1 {
			t.Errorf("%s: written %d times, want once", e.ID, n)
		}
	}
	noSecret(t, f, row)

	res, err = w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: part.id}, nil)
	if err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("%s: %s, error %v; want completed", part.id, res.EventKind, err)
	}
	failed := outputReport(t, res.Job).Failed()
	if res.Job.Attempt != 1 || len(failed) != 1 || failed[0].EmployeeID != part.failOwner {
		t.Errorf("%s: attempt %d, failed %+v; want completed with %s failed", part.id, res.Job.Attempt, failed, part.failOwner)
	}
	checkTruth(t, part, part.mem, part.failOwner)
}

// A job whose sync can never succeed as it stands is cancelled after one
// attempt, with the reason in the job's errors, and writes nothing: a
// revoked token (401), a configuration the sync refuses, a tenant the host
// no longer has, a job without a tenant ID, a Resolver that returns no
// client.
func TestWorker_Work_cancelledJobs(t *testing.T) {
	onBothDatabases(t, testCancelledJobs[*sql.Tx], testCancelledJobs[pgxTx])
}

func testCancelledJobs[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	f := &fleet{}
	revokedT, badT := newTenant(3, revoked), newTenant(4, badConfig)
	for _, tn := range []*tenant{revokedT, badT} {
		tn.connect(t, tn.serve(t, nil), nil)
		f.add(tn)
	}
	noClient := newCountingStore()
	resolve := func(ctx context.Context, id string) (riverjob.Tenant, error) {
		if id == "tenant-without-client" {
			return riverjob.Tenant{Store: noClient}, nil
		}
		return f.resolve(ctx, id)
	}
	w := testWorker(t, db, nil, resolve, riverjob.WorkerOptions{})
	for _, tc := range []struct {
		tenantID, reason string
		written          func() int
	}{
		{revokedT.id, "unauthorized", func() int { return len(revokedT.mem.Employees()) }},
		{badT.id, "configuration error", func() int { return len(badT.mem.Employees()) }},
		{"tenant-deleted", "unknown tenant", nil},
		{"", "no tenant ID", nil},
		{"tenant-without-client", "no Asana client", func() int { return len(noClient.Employees()) }},
	} {
		res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: tc.tenantID}, nil)
		if err != nil || res.EventKind != river.EventKindJobCancelled {
			t.Errorf("tenant %q: %s, error %v; want cancelled", tc.tenantID, res.EventKind, err)
			continue
		}
		row := res.Job
		if row.State != rivertype.JobStateCancelled || row.Attempt != 1 || len(row.Errors) != 1 ||
			!strings.Contains(errorsText(row), tc.reason) || row.FinalizedAt == nil {
			t.Errorf("tenant %q: state %s, attempt %d, errors %q; want cancelled after one attempt for %q",
				tc.tenantID, row.State, row.Attempt, errorsText(row), tc.reason)
		}
		if tc.written != nil && tc.written() != 0 {
			t.Errorf("tenant %q: %d employees written", tc.tenantID, tc.written())
		}
		noSecret(t, f, row)
	}
}

// Asana asking, through Retry-After, for a longer wait than the client
// waits snoozes the job for exactly that long: the job is scheduled then,
// without an error and without using up an attempt, and nothing is
// written.
func TestWorker_Work_snoozedJob(t *testing.T) {
	onBothDatabases(t, testSnoozedJob[*sql.Tx], testSnoozedJob[pgxTx])
}

func testSnoozedJob[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	f := &fleet{}
	tn := newTenant(5, throttled) // Retry-After: 3600
	tn.connect(t, tn.serve(t, nil), nil)
	f.add(tn)
	now := time.Now().UTC().Truncate(time.Second)
	w := testWorker(t, db, &river.Config{Test: river.TestConfig{Time: fixedClock{now}}}, f.resolve, riverjob.WorkerOptions{})

	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: tn.id}, nil)
	if err != nil || res.EventKind != river.EventKindJobSnoozed {
		t.Fatalf("%s, error %v; want snoozed", res.EventKind, err)
	}
	row := res.Job
	if row.State != rivertype.JobStateScheduled || row.Attempt != 0 || len(row.Errors) != 0 || row.FinalizedAt != nil {
		t.Errorf("state %s, attempt %d, errors %q; want scheduled, no attempt used, no error", row.State, row.Attempt, errorsText(row))
	}
	if want := now.Add(time.Hour); !row.ScheduledAt.Equal(want) {
		t.Errorf("scheduled at %s, want %s: the hour Asana asked for", row.ScheduledAt, want)
	}
	if n := len(tn.mem.Employees()); n != 0 {
		t.Errorf("%d employees written", n)
	}
}

// A sync that failed for a reason that may pass (here the workspace scan
// answered 503) returns its error: River records it and makes the job
// retryable, due when the client's retry policy says, and nothing is
// written; the next attempt syncs the tenant.
func TestWorker_Work_retriedJob(t *testing.T) {
	onBothDatabases(t, testRetriedJob[*sql.Tx], testRetriedJob[pgxTx])
}

func testRetriedJob[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	f := &fleet{}
	tn := newTenant(6, flaky) // the first scan request answers 503
	tn.connect(t, tn.serve(t, nil), nil)
	f.add(tn)
	now := time.Now().UTC().Truncate(time.Second)
	w := testWorker(t, db, &river.Config{Test: river.TestConfig{Time: fixedClock{now}}, RetryPolicy: retryIn{10 * time.Minute}},
		f.resolve, riverjob.WorkerOptions{})

	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: tn.id}, nil)
	var cancel *rivertype.JobCancelError
	var snooze *rivertype.JobSnoozeError
	if err == nil || errors.As(err, &cancel) || errors.As(err, &snooze) || !strings.Contains(err.Error(), "503") ||
		res.EventKind != river.EventKindJobFailed {
		t.Fatalf("%s, error %v; want failed with the 503, to be retried", res.EventKind, err)
	}
	row := res.Job
	if row.State != rivertype.JobStateRetryable || row.Attempt != 1 || len(row.Errors) != 1 ||
		!strings.Contains(errorsText(row), "503") || !row.ScheduledAt.Equal(now.Add(10*time.Minute)) || row.FinalizedAt != nil {
		t.Errorf("state %s, attempt %d, errors %q, scheduled at %s (now %s); want retryable in 10 minutes with the 503",
			row.State, row.Attempt, errorsText(row), row.ScheduledAt, now)
	}
	if n := len(tn.mem.Employees()); n != 0 {
		t.Errorf("%d employees written by the failed attempt", n)
	}

	res, err = w.WorkJob(ctx, t, db.tx, row)
	if err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("second attempt: %s, error %v; want completed", res.EventKind, err)
	}
	if row := res.Job; row.State != rivertype.JobStateCompleted || row.Attempt != 2 || len(row.Errors) != 1 {
		t.Errorf("second attempt: state %s, attempt %d, errors %q; want completed on the second attempt, the 503 kept",
			row.State, row.Attempt, errorsText(row))
	}
	checkTruth(t, tn, tn.mem, "")
}

// A sync still running when the worker's Timeout ends its job's context
// stops there: the job is retryable with the deadline in its errors, and
// the sync removed nothing, although a complete write would have removed
// a goal Asana no longer has. (TestWorker_Work_cancelledJobRemovesNothing
// shows the same when the client stops with StopAndCancel.)
func TestWorker_Work_timedOutJob(t *testing.T) {
	onBothDatabases(t, testTimedOutJob[*sql.Tx], testTimedOutJob[pgxTx])
}

func testTimedOutJob[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	g := newGate() // never released: the sync cannot finish in time
	tn := newTenant(8, normal)
	tn.connect(t, tn.serve(t, g), nil)
	f := &fleet{}
	f.add(tn)
	emp := tn.emps[0].ID
	stale := goals.Goal{EmployeeID: emp, GID: "1299999999999999", Name: "deleted in Asana since", Status: status.OnTrack, KeyResults: []goals.KeyResult{}}
	if err := tn.mem.WriteGoals(ctx, goals.Write{EmployeeID: emp, Goals: []goals.Goal{stale}, Complete: true}); err != nil {
		t.Fatal(err)
	}
	w := testWorker(t, db, &river.Config{RetryPolicy: retryIn{10 * time.Minute}}, f.resolve,
		riverjob.WorkerOptions{Timeout: 200 * time.Millisecond})

	// Only a worker that ignored its Timeout would see the gate open.
	watchdog := time.AfterFunc(20*time.Second, func() { close(g.release) })
	defer watchdog.Stop()
	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: tn.id}, nil)
	if !errors.Is(err, context.DeadlineExceeded) || res.EventKind != river.EventKindJobFailed {
		t.Fatalf("%s, error %v; want failed on the job's deadline, to be retried", res.EventKind, err)
	}
	if row := res.Job; row.State != rivertype.JobStateRetryable || row.Attempt != 1 || len(row.Errors) != 1 ||
		!strings.Contains(errorsText(row), "deadline exceeded") {
		t.Errorf("state %s, attempt %d, errors %q; want retryable after the deadline", row.State, row.Attempt, errorsText(row))
	}
	got, err := tn.mem.Goals(ctx, emp)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].GID != stale.GID || tn.mem.writesOf(emp) != 1 {
		t.Errorf("after the timed-out sync %s holds %d goals (writes: %d); want the stored one only, untouched", emp, len(got), tn.mem.writesOf(emp))
	}
}

// retryIn is a client retry policy that retries every failed attempt
// after the same wait. (River's default, attempt⁴ seconds plus jitter,
// makes a first retry due within its scheduler's interval, and River
// then makes the job available at once instead of retryable.)
type retryIn struct{ wait time.Duration }

func (r retryIn) NextRetry(job *rivertype.JobRow) time.Time { return job.AttemptedAt.Add(r.wait) }

// A Resolver that answers with a *goals.GoalsConfigError (wrapped or not)
// describes a tenant whose sync can never run as configured: its job is
// cancelled after one attempt, with the reason in its errors, and never
// retried. Any other Resolver error is retried with River's backoff.
func TestWorker_Work_resolverConfigErrorCancelsTheJob(t *testing.T) {
	onBothDatabases(t, testResolverConfigError[*sql.Tx], testResolverConfigError[pgxTx])
}

func testResolverConfigError[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	var calls atomic.Int32
	resolve := func(_ context.Context, id string) (riverjob.Tenant, error) {
		calls.Add(1)
		switch id {
		case "tenant-bare":
			return riverjob.Tenant{}, &goals.GoalsConfigError{Field: "WorkspaceGID", Problem: "the host has none for this tenant"}
		case "tenant-wrapped":
			return riverjob.Tenant{}, fmt.Errorf("host settings: %w",
				&goals.GoalsConfigError{Field: "WorkspaceGID", Problem: "the host has none for this tenant"})
		}
		return riverjob.Tenant{}, errors.New("host database unreachable")
	}
	w := testWorker(t, db, &river.Config{RetryPolicy: retryIn{10 * time.Minute}}, resolve, riverjob.WorkerOptions{})

	for _, id := range []string{"tenant-bare", "tenant-wrapped"} {
		calls.Store(0)
		res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: id}, nil)
		if err != nil || res.EventKind != river.EventKindJobCancelled {
			t.Errorf("%s: %s, error %v; want cancelled", id, res.EventKind, err)
			continue
		}
		row := res.Job
		if row.State != rivertype.JobStateCancelled || row.Attempt != 1 || len(row.Errors) != 1 ||
			!strings.Contains(errorsText(row), "WorkspaceGID") || row.FinalizedAt == nil {
			t.Errorf("%s: state %s, attempt %d, errors %q; want cancelled after one attempt, naming the field",
				id, row.State, row.Attempt, errorsText(row))
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("%s: resolved %d times, want once", id, n)
		}
	}

	// The contrast: an error that is no configuration error is retried.
	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: "tenant-flaky-host"}, nil)
	if err == nil || res.EventKind != river.EventKindJobFailed || res.Job.State != rivertype.JobStateRetryable {
		t.Errorf("a failing Resolver: %s (state %s), error %v; want retryable", res.EventKind, res.Job.State, err)
	}
}

// riverLogOf returns what riverlog stored in a job's metadata: one entry
// per attempt that logged.
func riverLogOf(tb testing.TB, row *rivertype.JobRow) []riverLogAttempt {
	tb.Helper()
	var md struct {
		RiverLog []riverLogAttempt `json:"river:log"`
	}
	if err := json.Unmarshal(row.Metadata, &md); err != nil {
		tb.Fatalf("job %d metadata %s: %v", row.ID, row.Metadata, err)
	}
	return md.RiverLog
}

type riverLogAttempt struct {
	Attempt int    `json:"attempt"`
	Log     string `json:"log"`
}

// With River's riverlog middleware installed on the client, the worker's
// lines are the job's: River stores each attempt's lines in the job's
// metadata, where River UI shows them, and the configured Logger gets
// none of them.
func TestWorker_Work_logsThroughRiverlog(t *testing.T) {
	onBothDatabases(t, testWorkerLogsThroughRiverlog[*sql.Tx], testWorkerLogsThroughRiverlog[pgxTx])
}

func testWorkerLogsThroughRiverlog[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	var configured syncbuf.Buffer
	cfg := &river.Config{Middleware: []rivertype.Middleware{
		riverlog.NewMiddleware(func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }, nil),
	}}
	down := true
	resolve := func(_ context.Context, id string) (riverjob.Tenant, error) {
		if down {
			return riverjob.Tenant{}, errors.New("the tenant database is down")
		}
		return riverjob.Tenant{}, fmt.Errorf("%w: %s", riverjob.ErrUnknownTenant, id)
	}
	w := testWorker(t, db, cfg, resolve, riverjob.WorkerOptions{Logger: slog.New(slog.NewTextHandler(&configured, nil))})

	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: "tenant-log"}, nil)
	if err == nil || res.EventKind != river.EventKindJobFailed {
		t.Fatalf("first attempt: %v, error %v; want failed, to be retried", res.EventKind, err)
	}
	down = false
	res, err = w.WorkJob(ctx, t, db.tx, res.Job)
	if err != nil || res.EventKind != river.EventKindJobCancelled {
		t.Fatalf("second attempt: %v, error %v; want cancelled", res.EventKind, err)
	}

	logs := riverLogOf(t, res.Job)
	if len(logs) != 2 {
		t.Fatalf("riverlog entries %+v; want one per attempt", logs)
	}
	for i, want := range []string{
		`level=WARN msg="asana goals sync: resolving the tenant failed" tenant_id=tenant-log job_id=%d attempt=1 error="riverjob: tenant \"tenant-log\": the tenant database is down"`,
		`level=WARN msg="asana goals sync cancelled" tenant_id=tenant-log job_id=%d attempt=2 error="riverjob: tenant \"tenant-log\": riverjob: unknown tenant: tenant-log"`,
	} {
		want = fmt.Sprintf(want, res.Job.ID)
		if logs[i].Attempt != i+1 || strings.Count(logs[i].Log, "\n") != 1 || !strings.Contains(logs[i].Log, want) {
			t.Errorf("riverlog entry %d: attempt %d, log %q; want attempt %d, the one line %q", i, logs[i].Attempt, logs[i].Log, i+1, want)
		}
	}
	if got := configured.String(); got != "" {
		t.Errorf("the configured Logger got %q; with riverlog installed the lines are the job's", got)
	}
}

// Without riverlog, the configured Logger gets the worker's lines, and
// nothing is added to the job's metadata.
func TestWorker_Work_logsToTheConfiguredLoggerWithoutRiverlog(t *testing.T) {
	onBothDatabases(t, testWorkerLogsWithoutRiverlog[*sql.Tx], testWorkerLogsWithoutRiverlog[pgxTx])
}

func testWorkerLogsWithoutRiverlog[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	var configured syncbuf.Buffer
	resolve := func(_ context.Context, id string) (riverjob.Tenant, error) {
		return riverjob.Tenant{}, fmt.Errorf("%w: %s", riverjob.ErrUnknownTenant, id)
	}
	w := testWorker(t, db, nil, resolve, riverjob.WorkerOptions{Logger: slog.New(slog.NewTextHandler(&configured, nil))})
	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: "tenant-log"}, nil)
	if err != nil || res.EventKind != river.EventKindJobCancelled {
		t.Fatalf("%v, error %v; want cancelled", res.EventKind, err)
	}
	want := fmt.Sprintf(`level=WARN msg="asana goals sync cancelled" tenant_id=tenant-log job_id=%d attempt=1 error="riverjob: tenant \"tenant-log\": riverjob: unknown tenant: tenant-log"`, res.Job.ID)
	if got := configured.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, want) {
		t.Errorf("the configured Logger got %q; want the one line %q", got, want)
	}
	if logs := riverLogOf(t, res.Job); len(logs) != 0 {
		t.Errorf("riverlog entries %+v without riverlog installed", logs)
	}
}

// With River's otelriver middleware installed, a job's sync span is a child
// of River's work span: the span's parent comes from the job's context, and
// the stages are the sync's children, all in River's trace.
func TestWorker_Work_syncSpanJoinsRiversWorkSpan(t *testing.T) {
	onBothDatabases(t, testSyncSpanJoinsRivers[*sql.Tx], testSyncSpanJoinsRivers[pgxTx])
}

func testSyncSpanJoinsRivers[TTx any](t *testing.T, db workDB[TTx]) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))

	// The host's five lines (see the package doc): the telemetry, River's
	// middleware, the client option and the sync's hooks.
	tel, err := otelgoals.New(otelgoals.Options{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &river.Config{Middleware: []rivertype.Middleware{
		otelriver.NewMiddleware(&otelriver.MiddlewareConfig{TracerProvider: tp, MeterProvider: mp}),
	}}
	tn := newTenant(3, normal)
	url := tn.serve(t, nil)
	tn.connect(t, url, nil)
	client, err := asana.NewClient(tn.token, asana.WithBaseURL(url), asana.WithRequestsPerMinute(clientPerSecond*60), tel.ClientOption())
	if err != nil {
		t.Fatal(err)
	}
	tn.client = client
	f := &fleet{}
	f.add(tn)
	resolve := func(ctx context.Context, id string) (riverjob.Tenant, error) {
		tenant, err := f.resolve(ctx, id)
		tenant.Config.Hooks = tel.Hooks()
		return tenant, err
	}
	w := testWorker(t, db, cfg, resolve, riverjob.WorkerOptions{Timeout: time.Minute})
	res, err := w.Work(context.Background(), t, db.tx, riverjob.SyncArgs{TenantID: tn.id}, nil)
	if err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("%s, error %v; want completed", res.EventKind, err)
	}

	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans.Ended() {
		byName[s.Name()] = s
	}
	work, sync := byName["river.work"], byName[otelgoals.SpanSync]
	if work == nil || sync == nil {
		t.Fatalf("spans %v: want river.work and %s", keys(byName), otelgoals.SpanSync)
	}
	if sync.Parent().SpanID() != work.SpanContext().SpanID() || sync.SpanContext().TraceID() != work.SpanContext().TraceID() {
		t.Errorf("%s's parent is %s, want River's work span %s", otelgoals.SpanSync, sync.Parent().SpanID(), work.SpanContext().SpanID())
	}
	for _, stage := range []string{otelgoals.SpanScan, otelgoals.SpanWalk, otelgoals.SpanWrite} {
		s := byName[stage]
		if s == nil || s.Parent().SpanID() != sync.SpanContext().SpanID() {
			t.Errorf("%s is not a child of the sync's span", stage)
		}
	}
}

func keys(m map[string]sdktrace.ReadOnlySpan) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A job whose context River cancels (here: the client stopping with
// StopAndCancel) cancels its sync at once, and the sync removes nothing,
// although a complete write would have removed a goal Asana no longer has.
func TestWorker_Work_cancelledJobRemovesNothing(t *testing.T) {
	t.Parallel()
	dsn := sqliteDSN(t)
	testCancelledJob(t, func() riverdriver.Driver[*sql.Tx] { return sqliteDriver(t, dsn) })
}

func testCancelledJob[TTx any](t *testing.T, newDriver func() riverdriver.Driver[TTx]) {
	ctx := context.Background()
	g := newGate()
	tn := newTenant(0, normal)
	tn.connect(t, tn.serve(t, g), nil)
	f := &fleet{}
	f.add(tn)
	emp := tn.emps[0].ID
	stale := goals.Goal{EmployeeID: emp, GID: "1299999999999999", Name: "deleted in Asana since", Status: status.OnTrack, KeyResults: []goals.KeyResult{}}
	if err := tn.mem.WriteGoals(ctx, goals.Write{EmployeeID: emp, Goals: []goals.Goal{stale}, Complete: true}); err != nil {
		t.Fatal(err)
	}

	d := newDriver()
	migrate(t, d)
	c := newMachine(t, d, f, machineConfig{id: "machine", workers: 1})
	res, err := c.Insert(ctx, riverjob.SyncArgs{TenantID: tn.id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startMachine(t, c)
	select {
	case <-g.entered: // the sync is in flight
	case <-time.After(30 * time.Second):
		t.Fatal("the sync did not start")
	}

	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stopErr := c.StopAndCancel(stopCtx)
	close(g.release) // a sync that ignored its context would now finish
	if stopErr != nil {
		t.Fatalf("StopAndCancel: %v: the sync did not stop when its job's context was cancelled", stopErr)
	}
	got, err := tn.mem.Goals(ctx, emp)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].GID != stale.GID || tn.mem.writesOf(emp) != 1 {
		t.Errorf("after the cancelled sync %s holds %d goals (writes: %d); want the stored one only, untouched", emp, len(got), tn.mem.writesOf(emp))
	}
	row, err := c.JobGet(ctx, res.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if row.State == rivertype.JobStateCompleted || row.State == rivertype.JobStateCancelled || row.State == rivertype.JobStateDiscarded {
		t.Errorf("job state %s: a sync cut short must run again", row.State)
	}
}

// A Worker holds no state between jobs, so any worker of any machine runs
// any tenant, each tenant's sync exactly once, with each outcome as Outcome
// says: 50 tenants and five with trouble, synced by two River clients (two
// machines, each with its own pool) sharing one PostgreSQL schema.
func TestWorker_Work_fleetOnTwoMachinesPostgres(t *testing.T) {
	t.Parallel()
	dsn := postgresDSN(t)
	testFleet(t, func() riverdriver.Driver[pgxTx] { return pgDriver(t, dsn) })
}

// The same fleet on one SQLite file with riversqlite, each client with its
// own database/sql pool of one connection.
func TestWorker_Work_fleetOnTwoMachinesSQLite(t *testing.T) {
	t.Parallel()
	dsn := sqliteDSN(t)
	testFleet(t, func() riverdriver.Driver[*sql.Tx] { return sqliteDriver(t, dsn) })
}

func testFleet[TTx any](t *testing.T, newDriver func() riverdriver.Driver[TTx]) {
	f := &fleet{}
	for i := range fleetSize {
		f.add(newTenant(i, normal))
	}
	for i, b := range []behaviour{revoked, throttled, badConfig, flaky, partial} {
		f.add(newTenant(fleetSize+i, b))
	}
	for _, id := range f.ids {
		tn := f.byID[id]
		tn.connect(t, tn.serve(t, nil), nil)
	}

	dA, dB := newDriver(), newDriver()
	migrate(t, dA)
	a := newMachine(t, dA, f, machineConfig{id: "machine-a", workers: 30})
	b := newMachine(t, dB, f, machineConfig{id: "machine-b", workers: 30})
	evs := events(a, b)

	// Every tenant is inserted twice, half through each machine, before
	// they start: the second insert finds the first still queued.
	ctx := context.Background()
	jobOf := map[string]int64{}
	tenantOf := map[int64]string{}
	for round := range 2 {
		for i, id := range f.ids {
			c := a
			if i%2 == 1 {
				c = b
			}
			res, err := c.Insert(ctx, riverjob.SyncArgs{TenantID: id}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if dup := res.UniqueSkippedAsDuplicate; dup != (round == 1) {
				t.Errorf("round %d, tenant %s: skipped as duplicate = %v", round, id, dup)
			}
			if round == 0 {
				jobOf[id], tenantOf[res.Job.ID] = res.Job.ID, id
			} else if res.Job.ID != jobOf[id] {
				t.Errorf("tenant %s: second insert returned job %d, not %d", id, res.Job.ID, jobOf[id])
			}
		}
	}

	startMachine(t, a)
	startMachine(t, b)

	// Wait for every job's outcome: 52 completed, 2 cancelled, 1 snoozed.
	want := map[string]river.EventKind{}
	for _, id := range f.ids {
		switch f.byID[id].behaviour {
		case revoked, badConfig:
			want[id] = river.EventKindJobCancelled
		case throttled:
			want[id] = river.EventKindJobSnoozed
		default:
			want[id] = river.EventKindJobCompleted
		}
	}
	var snoozedAt time.Time
	seen := map[string]river.EventKind{}
	waitFor(t, evs, 60*time.Second, func(ev *river.Event) bool {
		id := tenantOf[ev.Job.ID]
		if ev.Kind == river.EventKindJobFailed {
			if f.byID[id].behaviour != flaky {
				t.Errorf("tenant %s failed: %s", id, errorsText(ev.Job))
			}
			return false
		}
		if ev.Kind != want[id] {
			t.Errorf("tenant %s: %s, want %s (%s)", id, ev.Kind, want[id], errorsText(ev.Job))
		}
		if ev.Kind == river.EventKindJobSnoozed {
			snoozedAt = time.Now()
		}
		seen[id] = ev.Kind
		return len(seen) == len(want)
	})

	byMachine := map[string]int{}
	for _, id := range f.ids {
		tn := f.byID[id]
		row, err := a.JobGet(ctx, jobOf[id])
		if err != nil {
			t.Fatal(err)
		}
		noSecret(t, f, row)
		byMachine[attemptedBy(row)]++
		switch tn.behaviour {
		case normal:
			// Exactly once: one attempt, one write per employee, the truth.
			if row.State != rivertype.JobStateCompleted || row.Attempt != 1 || len(row.Errors) != 0 {
				t.Errorf("%s: state %s, attempt %d, errors %q", id, row.State, row.Attempt, errorsText(row))
			}
			for _, e := range tn.emps {
				if n := tn.mem.writesOf(e.ID); n != 1 {
					t.Errorf("%s: written %d times, want once", e.ID, n)
				}
			}
			checkTruth(t, tn, tn.mem, "")
			if rep := outputReport(t, row); len(rep.Employees) != len(tn.emps) || len(rep.Failed()) != 0 || rep.WorkspaceGID != tn.ws.GID {
				t.Errorf("%s: report %+v", id, rep)
			}
		case revoked, badConfig:
			// Cancelled after one attempt, the reason in the job's errors,
			// nothing written.
			reason := map[behaviour]string{revoked: "unauthorized", badConfig: "configuration error"}[tn.behaviour]
			if row.State != rivertype.JobStateCancelled || row.Attempt != 1 || len(row.Errors) != 1 ||
				!strings.Contains(errorsText(row), reason) {
				t.Errorf("%s: state %s, attempt %d, errors %q; want cancelled after one attempt for %q", id, row.State,
					row.Attempt, errorsText(row), reason)
			}
			if n := len(tn.mem.Employees()); n != 0 {
				t.Errorf("%s: %d employees written", id, n)
			}
		case throttled:
			// Snoozed for the hour Asana asked, not failed, no attempt used.
			due := snoozedAt.Add(time.Hour)
			if row.State != rivertype.JobStateScheduled || row.Attempt != 0 || len(row.Errors) != 0 ||
				row.ScheduledAt.Before(due.Add(-time.Minute)) || row.ScheduledAt.After(due.Add(time.Minute)) {
				t.Errorf("%s: state %s, attempt %d, errors %q, scheduled in %s; want snoozed for an hour", id, row.State,
					row.Attempt, errorsText(row), time.Until(row.ScheduledAt).Round(time.Second))
			}
			if n := len(tn.mem.Employees()); n != 0 {
				t.Errorf("%s: %d employees written", id, n)
			}
		case flaky:
			// The failed scan was an error River retried, then the sync went through.
			if row.State != rivertype.JobStateCompleted || row.Attempt != 2 || len(row.Errors) != 1 ||
				!strings.Contains(errorsText(row), "503") {
				t.Errorf("%s: state %s, attempt %d, errors %q; want completed on the second attempt after a 503",
					id, row.State, row.Attempt, errorsText(row))
			}
			checkTruth(t, tn, tn.mem, "")
		case partial:
			// A failed employee is success for the job, and the report says who.
			rep := outputReport(t, row)
			failed := rep.Failed()
			if row.State != rivertype.JobStateCompleted || row.Attempt != 1 || len(failed) != 1 || failed[0].EmployeeID != tn.failOwner {
				t.Errorf("%s: state %s, attempt %d, failed %+v; want completed with %s failed", id, row.State, row.Attempt,
					failed, tn.failOwner)
			}
			checkTruth(t, tn, tn.mem, tn.failOwner)
		}
	}
	if byMachine["machine-a"] == 0 || byMachine["machine-b"] == 0 {
		t.Errorf("jobs by machine: %v; both machines should have synced tenants", byMachine)
	}
	t.Logf("jobs by machine: %v", byMachine)

	// One job row per tenant: the duplicates were never inserted.
	res, err := a.JobList(ctx, river.NewJobListParams().Kinds(riverjob.Kind).First(1000).States(
		rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted, rivertype.JobStateDiscarded,
		rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != len(f.ids) {
		t.Errorf("%d sync jobs in the table, want one per tenant (%d)", len(res.Jobs), len(f.ids))
	}
}

// The crash test runs machine A in a child process (this test binary
// again, in TestMachineA) and kills it with SIGKILL while every one of its
// syncs is in flight: nothing of A gets to say it stopped, exactly as when a
// machine dies. Machine B, in this process, is River's leader; its rescuer
// finds A's jobs stuck and retries them, and B finishes them.
//
// River's rescuer runs when B becomes leader and then every 30 seconds (not
// configurable in River v0.51), so this test takes about half a minute.
const (
	childEnv       = "RIVERJOB_TEST_MACHINE_A"
	crashTimeout   = 8 * time.Second // the worker's Timeout: rescue waits at least this long
	crashRescueAft = 9 * time.Second // RescueStuckJobsAfter
	crashInFlight  = 10              // A's syncs in flight when it is killed, at least
	crashTenants   = 30
)

type childSpec struct {
	Driver   string            `json:"driver"` // "postgres" or "sqlite"
	RiverDSN string            `json:"river_dsn"`
	StoreDSN string            `json:"store_dsn"`
	URLs     map[string]string `json:"urls"` // tenant ID → its fake Asana
}

// The syncs of a machine that dies mid-sync are rescued by River once the
// worker's Timeout has passed (WorkerOptions.Timeout) and finished by
// another machine, the Worker holding no state of its own; the interrupted
// syncs lose no stored goal.
func TestWorker_Work_deadMachinesSyncsAreRescuedPostgres(t *testing.T) {
	t.Parallel()
	dsn := postgresDSN(t)
	testCrashRescue(t, childSpec{Driver: "postgres", RiverDSN: dsn, StoreDSN: dsn},
		func() riverdriver.Driver[pgxTx] { return pgDriver(t, dsn) })
}

// The same machine death on SQLite, River's tables and the store each in a
// file of their own.
func TestWorker_Work_deadMachinesSyncsAreRescuedSQLite(t *testing.T) {
	t.Parallel()
	dsn := sqliteDSN(t)
	store := "file:" + t.TempDir() + "/goals.db?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_txlock=immediate"
	testCrashRescue(t, childSpec{Driver: "sqlite", RiverDSN: dsn, StoreDSN: store},
		func() riverdriver.Driver[*sql.Tx] { return sqliteDriver(t, dsn) })
}

// sharedStore opens the goals store both machines write to.
func sharedStore(tb testing.TB, driver, dsn string) *sqlstore.Store {
	tb.Helper()
	name, dialect := "pgx", sqlstore.Postgres
	if driver == "sqlite" {
		name, dialect = "sqlite", sqlstore.SQLite
	}
	db, err := sql.Open(name, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s, err := sqlstore.New(db, dialect)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func testCrashRescue[TTx any](t *testing.T, spec childSpec, newDriver func() riverdriver.Driver[TTx]) {
	ctx := context.Background()
	store := sharedStore(t, spec.Driver, spec.StoreDSN)
	g := newGate()
	f := &fleet{}
	spec.URLs = map[string]string{}
	for i := range crashTenants {
		tn := newTenant(i, normal)
		f.add(tn)
		spec.URLs[tn.id] = tn.serve(t, g)
		tn.connect(t, spec.URLs[tn.id], store)
	}

	// What an earlier sync stored: every goal, under an older name.
	seeded := map[string][]string{}
	for _, tn := range f.byID {
		for _, e := range tn.emps {
			var gs []goals.Goal
			for _, tg := range truthOf(tn.ws, e) {
				gs = append(gs, goals.Goal{EmployeeID: e.ID, GID: tg.GID, Name: "earlier: " + tg.Name, Status: status.OnTrack, KeyResults: []goals.KeyResult{}})
				seeded[e.ID] = append(seeded[e.ID], tg.GID)
			}
			if err := store.WriteGoals(ctx, goals.Write{EmployeeID: e.ID, Goals: gs, Complete: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	nothingLost := func(when string) {
		t.Helper()
		for emp, gids := range seeded {
			got, err := store.Goals(ctx, emp)
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, g := range got {
				have[g.GID] = true
			}
			for _, gid := range gids {
				if !have[gid] {
					t.Errorf("%s: %s lost goal %s", when, emp, gid)
				}
			}
		}
	}

	dB := newDriver()
	migrate(t, dB)
	b := newMachine(t, dB, f, machineConfig{id: "machine-b", workers: 5, timeout: crashTimeout, rescueAfter: crashRescueAft})
	ids := map[string]int64{}
	for _, id := range f.ids {
		res, err := b.Insert(ctx, riverjob.SyncArgs{TenantID: id}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = res.Job.ID
	}
	evs := events(b)
	startMachine(t, b)

	raw, _ := json.Marshal(spec)
	child := exec.Command(os.Args[0], "-test.run=^TestMachineA$", "-test.v")
	child.Env = append(os.Environ(), childEnv+"="+string(raw))
	var out strings.Builder
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = child.Process.Kill()
			_ = child.Wait()
			t.Logf("machine A's output:\n%s", out.String())
		}
	})

	// Machine A has many syncs in flight (running, their scan done and
	// their sub-goal requests held).
	pollUntil(t, 3*time.Minute, "machine A to have syncs in flight", func() bool {
		res, err := b.JobList(ctx, river.NewJobListParams().Kinds(riverjob.Kind).States(rivertype.JobStateRunning).First(1000))
		if err != nil {
			return false
		}
		onA := 0
		for _, row := range res.Jobs {
			if row.AttemptedBy[len(row.AttemptedBy)-1] == "machine-a" && g.isHeld(tenantOfArgs(row)) {
				onA++
			}
		}
		return onA >= crashInFlight
	})
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	killed = true
	nothingLost("right after machine A died")
	close(g.release)

	done := 0
	waitFor(t, evs, 4*time.Minute, func(ev *river.Event) bool {
		if ev.Kind == river.EventKindJobCompleted {
			done++
		}
		return done == crashTenants
	})
	nothingLost("at the end")
	rescued := 0
	for _, id := range f.ids {
		tn := f.byID[id]
		row, err := b.JobGet(ctx, ids[id])
		if err != nil {
			t.Fatal(err)
		}
		if row.State != rivertype.JobStateCompleted {
			t.Errorf("%s: %s", id, row.State)
		}
		if slices.Contains(row.AttemptedBy, "machine-a") {
			// A sync that outlived its timeout on A is retried there first
			// (under a loaded CI machine): what matters is that A's last
			// attempt was rescued and B finished it.
			rescued++
			if row.AttemptedBy[len(row.AttemptedBy)-1] != "machine-b" || !strings.Contains(errorsText(row), "Stuck job rescued") {
				t.Errorf("%s: attempt %d by %s, errors %q; want rescued from A and finished by B", id, row.Attempt,
					attemptedBy(row), errorsText(row))
			}
		}
		checkTruth(t, tn, store, "")
	}
	if rescued == 0 {
		t.Fatal("machine A held no job when it died; the test proves nothing")
	}
	t.Logf("%d of %d jobs were machine A's, rescued and finished by machine B", rescued, crashTenants)
}

func tenantOfArgs(row *rivertype.JobRow) string {
	var args riverjob.SyncArgs
	_ = json.Unmarshal(row.EncodedArgs, &args)
	return args.TenantID
}

// TestMachineA is machine A of the crash test, run in a child process; it
// works sync jobs until it is killed.
func TestMachineA(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("machine A of the crash test; runs only in its child process")
	}
	var spec childSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatal(err)
	}
	store := sharedStore(t, spec.Driver, spec.StoreDSN)
	f := &fleet{}
	for i := range crashTenants {
		tn := newTenant(i, normal)
		f.add(tn)
		tn.connect(t, spec.URLs[tn.id], store)
	}
	mc := machineConfig{id: "machine-a", workers: crashTenants, timeout: crashTimeout, rescueAfter: crashRescueAft, notLeader: true}
	switch spec.Driver {
	case "postgres":
		startMachine(t, newMachine(t, pgDriver(t, spec.RiverDSN), f, mc))
	case "sqlite":
		startMachine(t, newMachine(t, sqliteDriver(t, spec.RiverDSN), f, mc))
	default:
		t.Fatal(fmt.Sprintf("driver %q", spec.Driver))
	}
	select {} // until killed
}
