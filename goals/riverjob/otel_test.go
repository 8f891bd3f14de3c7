package riverjob_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals/otelgoals"
	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// With River's otelriver middleware installed, a job's sync span is a child
// of River's work span: the span's parent comes from the job's context, and
// the stages are the sync's children, all in River's trace.
func TestSyncSpanJoinsRiversWorkSpan(t *testing.T) {
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
