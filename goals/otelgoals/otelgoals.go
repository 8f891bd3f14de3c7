package otelgoals

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

// ScopeName is the instrumentation scope of the tracer and the meter: the
// package's import path.
const ScopeName = "github.com/perfcopilot/asanagoals/goals/otelgoals"

// Span names.
const (
	SpanSync  = "asanagoals.sync"
	SpanScan  = "asanagoals.scan"
	SpanWalk  = "asanagoals.walk"
	SpanWrite = "asanagoals.write"
)

// Event names.
const (
	EventRequest        = "asana.request"
	EventPause          = "asana.rate_limit.pause"
	EventEmployeeFailed = "asanagoals.employee.failed"
)

// Attribute keys of this package's own (the others are OpenTelemetry's
// semantic conventions: http.request.method, url.template,
// http.response.status_code, http.request.resend_count, server.address,
// server.port, error.type).
const (
	AttrWorkspaceGID    = attribute.Key("asanagoals.workspace.gid")
	AttrEmployees       = attribute.Key("asanagoals.employees")
	AttrEmployeesMapped = attribute.Key("asanagoals.employees.mapped")
	AttrEmployeesFailed = attribute.Key("asanagoals.employees.failed")
	AttrGoalsScanned    = attribute.Key("asanagoals.goals.scanned")
	AttrGoalsKept       = attribute.Key("asanagoals.goals.kept")
	AttrRequests        = attribute.Key("asanagoals.requests")
	AttrRetries         = attribute.Key("asanagoals.retries")
	AttrRateLimited     = attribute.Key("asanagoals.rate_limited")
	AttrSubgoalPath     = attribute.Key("asanagoals.subgoal_path")
	AttrOutcome         = attribute.Key("asanagoals.sync.outcome")
	AttrWriteKind       = attribute.Key("asanagoals.write.kind")
	AttrRequestWait     = attribute.Key("asanagoals.request.wait")
	AttrRequestDuration = attribute.Key("asanagoals.request.duration")
	AttrRetryAfter      = attribute.Key("asanagoals.pause.retry_after")
	AttrPauseAdded      = attribute.Key("asanagoals.pause.added")
)

// The outcomes of a sync (AttrOutcome).
const (
	// OutcomeOK: the sync succeeded and no employee failed.
	OutcomeOK = "ok"
	// OutcomePartial: the sync succeeded, some employees failed
	// (goals.Report.Failed).
	OutcomePartial = "partial"
	// OutcomeFailed: the sync failed as a whole (Sync returned an error).
	OutcomeFailed = "failed"
	// OutcomeCanceled: the sync's context ended (cancelled or past its
	// deadline).
	OutcomeCanceled = "canceled"
)

// The reasons a sync, a stage or an employee failed (error.type): a small
// fixed set.
const (
	// ReasonUnauthorized: Asana refused the token (401).
	ReasonUnauthorized = "unauthorized"
	// ReasonForbidden: Asana refused access (403), or the workspace's plan
	// has no Goals (402).
	ReasonForbidden = "forbidden"
	// ReasonNotFound: a goal or a path Asana does not have (404).
	ReasonNotFound = "not_found"
	// ReasonRateLimited: still 429 after every retry, or a Retry-After
	// longer than the client waits.
	ReasonRateLimited = "rate_limited"
	// ReasonMalformed: an answer or a record the client cannot read.
	ReasonMalformed = "malformed"
	// ReasonStore: the host's Store failed, writing or reading back.
	ReasonStore = "store"
	// ReasonCanceled: the context ended (cancelled or past its deadline).
	ReasonCanceled = "canceled"
	// ReasonOther: anything else (5xx after every retry, the network, a goal
	// that changed owner during the scan, …).
	ReasonOther = "other"
)

// Options configure New.
type Options struct {
	// TracerProvider makes the spans; nil means otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// MeterProvider makes the metrics; nil means otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// AllRequestEvents records every attempt of a request as an event of
	// its stage's span. By default only those that did not go plainly are
	// (a retry, a non-2xx answer, a failure): a sync of 10,000 requests
	// that all went well adds no event, and the metrics count every
	// request either way. Either way the SDK's limit of events per span
	// (128 by default, the latest kept; sdktrace.WithRawSpanLimits,
	// OTEL_SPAN_EVENT_COUNT_LIMIT) bounds a span's size.
	AllRequestEvents bool
}

// Telemetry turns the hooks of asana.Client and goals.Ingester into
// OpenTelemetry spans and metrics. It holds no state of a sync, so one
// Telemetry serves every client and every sync of a process, at once.
type Telemetry struct {
	tracer    trace.Tracer
	allEvents bool

	requestDuration metric.Float64Histogram
	activeRequests  metric.Int64UpDownCounter
	rateLimited     metric.Int64Counter
	pauses          metric.Int64Counter
	pauseDuration   metric.Float64Counter
	syncDuration    metric.Float64Histogram
	goalsKept       metric.Int64Counter
	goalsTruncated  metric.Int64Counter
	goalsRemoved    metric.Int64Counter
	written         metric.Int64Counter
	failed          metric.Int64Counter

	// attrs caches the attribute sets of request metrics, as options, by
	// what they are made of, so that a request records without building
	// its set anew.
	attrsMu sync.RWMutex
	attrs   map[attrKey]attrOpts
}

// attrOpts are an attribute set as the options of Add and Record, ready to
// pass as they are.
type attrOpts struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

// New returns the Telemetry of the given providers, with every instrument
// made. Its error is the meter's, if it refused an instrument.
func New(opts Options) (*Telemetry, error) {
	tp, mp := opts.TracerProvider, opts.MeterProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	t := &Telemetry{tracer: tp.Tracer(ScopeName), allEvents: opts.AllRequestEvents, attrs: map[attrKey]attrOpts{}}
	m := mp.Meter(ScopeName)
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	t.requestDuration, err = m.Float64Histogram(MetricRequestDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP client requests."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
	add(err)
	t.activeRequests, err = m.Int64UpDownCounter(MetricActiveRequests, metric.WithUnit("{request}"),
		metric.WithDescription("Number of active HTTP requests."))
	add(err)
	t.rateLimited, err = m.Int64Counter(MetricRateLimited, metric.WithUnit("{response}"),
		metric.WithDescription("Answers 429 Too Many Requests from Asana."))
	add(err)
	t.pauses, err = m.Int64Counter(MetricPauses, metric.WithUnit("{pause}"),
		metric.WithDescription("Pauses of every request of a client for Asana's Retry-After, started or made longer."))
	add(err)
	t.pauseDuration, err = m.Float64Counter(MetricPauseDuration, metric.WithUnit("s"),
		metric.WithDescription("Time the clients were held by Retry-After pauses, counted once however many requests waited."))
	add(err)
	t.syncDuration, err = m.Float64Histogram(MetricSyncDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of goal syncs."),
		metric.WithExplicitBucketBoundaries(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600))
	add(err)
	t.goalsKept, err = m.Int64Counter(MetricGoalsKept, metric.WithUnit("{goal}"),
		metric.WithDescription("Goals pulled and handed to the store, per employee write."))
	add(err)
	t.goalsTruncated, err = m.Int64Counter(MetricGoalsTruncated, metric.WithUnit("{goal}"),
		metric.WithDescription("Goals past the per-employee cap, seen but not pulled."))
	add(err)
	t.goalsRemoved, err = m.Int64Counter(MetricGoalsRemoved, metric.WithUnit("{goal}"),
		metric.WithDescription("Stored goals removed by complete writes (Asana no longer has them)."))
	add(err)
	t.written, err = m.Int64Counter(MetricEmployeesWritten, metric.WithUnit("{employee}"),
		metric.WithDescription("Employee writes, by how they left the employee's stored goals."))
	add(err)
	t.failed, err = m.Int64Counter(MetricEmployeesFailed, metric.WithUnit("{employee}"),
		metric.WithDescription("Employees not synced whole, by reason."))
	add(err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// Metric names.
const (
	MetricRequestDuration  = "http.client.request.duration"
	MetricActiveRequests   = "http.client.active_requests"
	MetricRateLimited      = "asanagoals.client.rate_limited"
	MetricPauses           = "asanagoals.client.pauses"
	MetricPauseDuration    = "asanagoals.client.pause.duration"
	MetricSyncDuration     = "asanagoals.sync.duration"
	MetricGoalsKept        = "asanagoals.goals.kept"
	MetricGoalsTruncated   = "asanagoals.goals.truncated"
	MetricGoalsRemoved     = "asanagoals.goals.removed"
	MetricEmployeesWritten = "asanagoals.employees.written"
	MetricEmployeesFailed  = "asanagoals.employees.failed"
)

// ClientOption returns the option that plugs t into an asana.Client:
// asana.NewClient(token, t.ClientOption()).
func (t *Telemetry) ClientOption() asana.Option { return asana.WithHooks(t.ClientHooks()) }

// ClientHooks returns the client hooks ClientOption sets, for a host that
// calls them from hooks of its own.
func (t *Telemetry) ClientHooks() asana.Hooks {
	return asana.Hooks{RequestSent: t.requestSent, RequestDone: t.requestDone, Pause: t.pause}
}

// Hooks returns the hooks that plug t into a sync: set them as
// goals.Config.Hooks.
func (t *Telemetry) Hooks() goals.Hooks {
	return goals.Hooks{
		SyncStart:       t.syncStart,
		SyncEnd:         t.syncEnd,
		StageStart:      t.stageStart,
		StageEnd:        t.stageEnd,
		EmployeeWritten: t.employeeWritten,
	}
}

// syncKey finds a sync's syncState in the contexts of its hooks.
type syncKey struct{}

// syncState is what SyncStart leaves in the sync's context, never changed
// after.
type syncState struct {
	span  trace.Span
	start time.Time
}

func (t *Telemetry) syncStart(ctx context.Context, s goals.SyncInfo) context.Context {
	ctx, span := t.tracer.Start(ctx, SpanSync, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(
			AttrWorkspaceGID.String(s.WorkspaceGID),
			AttrEmployees.Int(s.Employees),
			AttrEmployeesMapped.Int(s.Mapped),
		))
	return context.WithValue(ctx, syncKey{}, &syncState{span: span, start: time.Now()})
}

func (t *Telemetry) syncEnd(ctx context.Context, r *goals.Report, err error) {
	st, _ := ctx.Value(syncKey{}).(*syncState)
	if st == nil {
		return
	}
	kept, failed := 0, 0
	for _, e := range r.Employees {
		kept += e.GoalsKept
		if e.Err != nil {
			failed++
		}
	}
	outcome := OutcomeOK
	switch {
	case err != nil && reason(err, nil) == ReasonCanceled:
		outcome = OutcomeCanceled
	case err != nil:
		outcome = OutcomeFailed
	case failed > 0:
		outcome = OutcomePartial
	}
	span := st.span
	span.SetAttributes(
		AttrGoalsScanned.Int(r.WorkspaceGoalsScanned),
		AttrGoalsKept.Int(kept),
		AttrEmployeesFailed.Int(failed),
		AttrRequests.Int64(r.Requests),
		AttrRetries.Int64(r.Retries),
		AttrRateLimited.Int64(r.RateLimited),
		AttrSubgoalPath.String(string(r.SubgoalPath)),
		AttrOutcome.String(outcome),
	)
	endSpan(span, err)
	t.syncDuration.Record(ctx, time.Since(st.start).Seconds(), metric.WithAttributes(AttrOutcome.String(outcome)))
}

// endSpan ends span, with an error status naming err's reason (never its
// text, which can quote GIDs and Asana's answers) when err is not nil.
func endSpan(span trace.Span, err error) {
	if err != nil {
		r := reason(err, nil)
		span.SetAttributes(semconv.ErrorTypeKey.String(r))
		span.SetStatus(codes.Error, r)
	}
	span.End()
}

var stageSpans = map[goals.Stage]string{goals.StageScan: SpanScan, goals.StageWalk: SpanWalk, goals.StageWrite: SpanWrite}

func (t *Telemetry) stageStart(ctx context.Context, s goals.Stage) context.Context {
	name, ok := stageSpans[s]
	if !ok {
		return ctx // a stage this package does not know yet
	}
	ctx, _ = t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal))
	return ctx
}

func (t *Telemetry) stageEnd(ctx context.Context, s goals.Stage, err error) {
	if _, ok := stageSpans[s]; !ok {
		return
	}
	endSpan(trace.SpanFromContext(ctx), err)
}

func (t *Telemetry) employeeWritten(ctx context.Context, w goals.WriteInfo) {
	kind := AttrWriteKind.String(string(w.Report.Written))
	t.written.Add(ctx, 1, metric.WithAttributes(kind))
	if w.Report.GoalsKept > 0 {
		t.goalsKept.Add(ctx, int64(w.Report.GoalsKept))
	}
	if w.GoalsTruncated > 0 {
		t.goalsTruncated.Add(ctx, int64(w.GoalsTruncated))
	}
	if w.GoalsRemoved > 0 {
		t.goalsRemoved.Add(ctx, int64(w.GoalsRemoved))
	}
	if w.Report.Err == nil {
		return
	}
	why := semconv.ErrorTypeKey.String(reason(w.Report.Err, w.StoreErr))
	t.failed.Add(ctx, 1, metric.WithAttributes(why))
	trace.SpanFromContext(ctx).AddEvent(EventEmployeeFailed, trace.WithAttributes(kind, why))
}

// reason names why err happened, from the fixed set of Reason words;
// storeErr, when not nil, is the store's part in it.
func reason(err, storeErr error) string {
	switch {
	case storeErr != nil:
		return ReasonStore
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ReasonCanceled
	case errors.Is(err, asana.ErrUnauthorized):
		return ReasonUnauthorized
	case errors.Is(err, asana.ErrForbidden), errors.Is(err, asana.ErrPaymentRequired):
		return ReasonForbidden
	case errors.Is(err, asana.ErrNotFound):
		return ReasonNotFound
	case errors.Is(err, asana.ErrRateLimited), errors.Is(err, asana.ErrWaitTooLong):
		return ReasonRateLimited
	case errors.Is(err, asana.ErrMalformedResponse):
		return ReasonMalformed
	}
	return ReasonOther
}

// attrKey is what a request metric's attribute set is made of.
type attrKey struct {
	method, route, address string
	port, status           int
	failure                string
	active                 bool // the set of http.client.active_requests
}

// maxAttrSets bounds the cache of attribute sets; past it sets are built
// per request (a server answering ever new status codes).
const maxAttrSets = 1024

// set returns the attribute set of k as options, from the cache when it
// can.
func (t *Telemetry) set(k attrKey) attrOpts {
	t.attrsMu.RLock()
	o, ok := t.attrs[k]
	t.attrsMu.RUnlock()
	if ok {
		return o
	}
	kv := make([]attribute.KeyValue, 0, 6)
	kv = append(kv,
		semconv.HTTPRequestMethodKey.String(k.method),
		semconv.URLTemplateKey.String(k.route),
		semconv.ServerAddressKey.String(k.address),
		semconv.ServerPortKey.Int(k.port))
	if !k.active {
		if k.status != 0 {
			kv = append(kv, semconv.HTTPResponseStatusCodeKey.Int(k.status))
		}
		if e := errorType(k.status, k.failure); e != "" {
			kv = append(kv, semconv.ErrorTypeKey.String(e))
		}
	}
	set := metric.WithAttributeSet(attribute.NewSet(kv...))
	o = attrOpts{add: []metric.AddOption{set}, record: []metric.RecordOption{set}}
	t.attrsMu.Lock()
	if len(t.attrs) < maxAttrSets {
		t.attrs[k] = o
	}
	t.attrsMu.Unlock()
	return o
}

// errorType is a request's error.type: its failure word, or its status
// code when 4xx or 5xx, as the HTTP semantic conventions have it.
func errorType(status int, failure string) string {
	if failure != "" {
		return failure
	}
	if status >= 400 {
		return strconv.Itoa(status)
	}
	return ""
}

func (t *Telemetry) requestSent(ctx context.Context, r asana.RequestInfo) {
	t.activeRequests.Add(ctx, 1, t.set(activeKey(r)).add...)
}

func activeKey(r asana.RequestInfo) attrKey {
	return attrKey{method: r.Method, route: r.Route, address: r.ServerAddress, port: r.ServerPort, active: true}
}

func (t *Telemetry) requestDone(ctx context.Context, r asana.RequestInfo) {
	t.activeRequests.Add(ctx, -1, t.set(activeKey(r)).add...)
	k := attrKey{method: r.Method, route: r.Route, address: r.ServerAddress, port: r.ServerPort, status: r.StatusCode, failure: r.Error}
	t.requestDuration.Record(ctx, r.Duration.Seconds(), t.set(k).record...)
	if r.StatusCode == 429 {
		t.rateLimited.Add(ctx, 1, metric.WithAttributes(semconv.URLTemplateKey.String(r.Route)))
	}
	notable := r.Attempt > 1 || r.Error != "" || r.StatusCode/100 != 2
	if !notable && !t.allEvents {
		return
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	kv := make([]attribute.KeyValue, 0, 8)
	kv = append(kv,
		semconv.HTTPRequestMethodKey.String(r.Method),
		semconv.URLTemplateKey.String(r.Route),
		AttrRequestWait.Float64(r.Wait.Seconds()),
		AttrRequestDuration.Float64(r.Duration.Seconds()))
	if r.Attempt > 1 {
		kv = append(kv, semconv.HTTPRequestResendCountKey.Int(r.Attempt-1))
	}
	if r.StatusCode != 0 {
		kv = append(kv, semconv.HTTPResponseStatusCodeKey.Int(r.StatusCode))
	}
	if e := errorType(r.StatusCode, r.Error); e != "" {
		kv = append(kv, semconv.ErrorTypeKey.String(e))
	}
	span.AddEvent(EventRequest, trace.WithAttributes(kv...))
}

func (t *Telemetry) pause(ctx context.Context, p asana.PauseInfo) {
	route := semconv.URLTemplateKey.String(p.Route)
	t.pauses.Add(ctx, 1, metric.WithAttributes(route))
	t.pauseDuration.Add(ctx, p.Added.Seconds(), metric.WithAttributes(route))
	// On the sync's span, where a pause stays in sight whatever the number
	// of requests; on the request's own span outside a sync.
	span := trace.SpanFromContext(ctx)
	if st, ok := ctx.Value(syncKey{}).(*syncState); ok {
		span = st.span
	}
	span.AddEvent(EventPause, trace.WithAttributes(route,
		AttrRetryAfter.Float64(p.RetryAfter.Seconds()),
		AttrPauseAdded.Float64(p.Added.Seconds())))
}
