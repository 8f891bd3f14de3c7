package otelgoals_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/otelgoals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// canaryToken is the test's access token: recognisable, so that a test can
// look for it in everything exported.
const canaryToken = "2/1209000000000199/1209000000000999:otelgoals0leak0canary0token"

// env is a sync of the demo workspace against the fake Asana, served in
// process (so that testing/synctest's clock runs it), with OpenTelemetry's
// SDK recording spans and metrics in memory.
type env struct {
	ws     *asanafake.Workspace
	emps   []goals.Employee
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tel    *otelgoals.Telemetry
	client *asana.Client
	store  goals.Store
	cfg    goals.Config
}

// newEnv builds an env; intercept, when not nil, may answer a request of
// the fake first (asanafake.Options.Intercept).
func newEnv(t *testing.T, intercept func(w http.ResponseWriter, r *http.Request) bool, opts ...func(*otelgoals.Options)) *env {
	t.Helper()
	e := &env{ws: asanafake.DemoWorkspace(), spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	for _, d := range asanafake.DemoEmployees() {
		e.emps = append(e.emps, goals.Employee{ID: d.ID, Name: d.Name, Email: d.Email, AsanaUserGID: d.AsanaUserGID})
	}
	o := otelgoals.Options{
		TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(e.spans)),
		MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader)),
	}
	for _, f := range opts {
		f(&o)
	}
	tel, err := otelgoals.New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.tel = tel
	srv := asanafake.NewServer(e.ws, asanafake.Options{
		Tokens:    map[string]string{canaryToken: asanafake.DemoServiceAccountGID},
		Intercept: intercept,
	})
	e.client, err = asana.NewClient(canaryToken,
		asana.WithBaseURL("https://asanafake.test"),
		asana.WithHTTPClient(&http.Client{Transport: inProcess{srv}}),
		asana.WithRetryWait(time.Millisecond, 2*time.Millisecond),
		asana.WithMaxRetries(1),
		// No wait at the limiter: every duration is the fake clock's,
		// exactly.
		asana.WithRequestsPerMinute(1<<62),
		tel.ClientOption())
	if err != nil {
		t.Fatal(err)
	}
	e.store = goals.NewMemoryStore()
	e.cfg = goals.Config{WorkspaceGID: asanafake.DemoWorkspaceGID, Concurrency: 1, Hooks: tel.Hooks()}
	return e
}

func (e *env) sync(ctx context.Context) (*goals.Report, error) {
	return goals.NewIngester(e.client, e.store, e.cfg).Sync(ctx, e.emps)
}

// inProcess serves a client's requests with a handler, without a socket.
type inProcess struct{ h http.Handler }

func (tr inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Host, r.RequestURI = r.URL.Host, r.URL.RequestURI()
	rec := httptest.NewRecorder()
	tr.h.ServeHTTP(rec, r)
	if err := req.Context().Err(); err != nil {
		return nil, err // the handler gave up with the request
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// tree renders the ended spans as a tree: each span with its attributes,
// status and events, children sorted by name, events in the order recorded
// (sorted, for the walk's, whose requests may come in either order).
func (e *env) tree(t *testing.T) string {
	t.Helper()
	spans := e.spans.Ended()
	children := map[string][]sdktrace.ReadOnlySpan{}
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanContext().SpanID().String()] = true
	}
	var roots []sdktrace.ReadOnlySpan
	for _, s := range spans {
		p := s.Parent().SpanID().String()
		if !s.Parent().IsValid() || !ids[p] {
			roots = append(roots, s)
			continue
		}
		children[p] = append(children[p], s)
	}
	var b strings.Builder
	var render func(s sdktrace.ReadOnlySpan, depth int)
	render = func(s sdktrace.ReadOnlySpan, depth int) {
		pad := strings.Repeat("  ", depth)
		fmt.Fprintf(&b, "%s%s %s", pad, s.Name(), attrs(s.Attributes()))
		if st := s.Status(); st.Code.String() != "Unset" {
			fmt.Fprintf(&b, " status=%s(%s)", st.Code, st.Description)
		}
		if s.DroppedEvents() > 0 {
			fmt.Fprintf(&b, " dropped_events=%d", s.DroppedEvents())
		}
		b.WriteString("\n")
		var events []string
		for _, ev := range s.Events() {
			events = append(events, fmt.Sprintf("%s  event %s %s\n", pad, ev.Name, attrs(ev.Attributes)))
		}
		if s.Name() == otelgoals.SpanWalk {
			slices.Sort(events)
		}
		for _, ev := range events {
			b.WriteString(ev)
		}
		kids := children[s.SpanContext().SpanID().String()]
		slices.SortFunc(kids, func(a, b sdktrace.ReadOnlySpan) int { return cmp.Compare(a.Name(), b.Name()) })
		for _, k := range kids {
			render(k, depth+1)
		}
	}
	for _, r := range roots {
		render(r, 0)
	}
	return b.String()
}

func attrs(kv []attribute.KeyValue) string {
	var out []string
	for _, a := range kv {
		out = append(out, string(a.Key)+"="+a.Value.Emit())
	}
	slices.Sort(out)
	return "{" + strings.Join(out, " ") + "}"
}

// metrics collects the metrics and renders each data point on a line:
// sums as "name{attrs} = value", histograms as "name{attrs} count=… sum=…",
// sorted.
func (e *env) metrics(t *testing.T) []string {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelgoals.ScopeName {
			t.Errorf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out = append(out, fmt.Sprintf("%s%s = %d", m.Name, attrs(p.Attributes.ToSlice()), p.Value))
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					out = append(out, fmt.Sprintf("%s%s = %g", m.Name, attrs(p.Attributes.ToSlice()), p.Value))
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out = append(out, fmt.Sprintf("%s%s count=%d sum=%g", m.Name, attrs(p.Attributes.ToSlice()), p.Count, p.Sum))
				}
			default:
				t.Errorf("metric %s of type %T", m.Name, m.Data)
			}
		}
	}
	slices.Sort(out)
	return out
}

// exported is every string the SDK would export of the env's spans and
// metrics: names, attribute keys and values, events, statuses, descriptions.
func (e *env) exported(t *testing.T) []string {
	t.Helper()
	var out []string
	add := func(kv []attribute.KeyValue) {
		for _, a := range kv {
			out = append(out, string(a.Key), a.Value.Emit())
		}
	}
	for _, s := range e.spans.Ended() {
		out = append(out, s.Name(), s.Status().Description)
		add(s.Attributes())
		for _, ev := range s.Events() {
			out = append(out, ev.Name)
			add(ev.Attributes)
		}
		for _, l := range s.Links() {
			add(l.Attributes)
		}
	}
	var rm metricdata.ResourceMetrics
	if err := e.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out = append(out, m.Name, m.Description, m.Unit)
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					add(p.Attributes.ToSlice())
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					add(p.Attributes.ToSlice())
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					add(p.Attributes.ToSlice())
					for _, ex := range p.Exemplars {
						add(ex.FilteredAttributes)
					}
				}
			}
		}
	}
	return out
}

// diff reports the lines of got and want that differ.
func diff(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	var missing, extra []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	t.Errorf("%s differ\nmissing:\n  %s\nunexpected:\n  %s\ngot:\n  %s", what,
		strings.Join(missing, "\n  "), strings.Join(extra, "\n  "), strings.Join(got, "\n  "))
}

// secrets are the strings no span or metric may hold: the token and its
// secret, and every name, e-mail address, description and GID of the
// workspace's goals and users, the workspace's name, the employees' IDs,
// names and addresses, and the words of a query string.
func (e *env) secrets() []string {
	out := []string{canaryToken, canaryToken[strings.LastIndex(canaryToken, ":")+1:], e.ws.Name, "opt_fields", "workspace=", "offset"}
	for _, g := range e.ws.Goals {
		out = append(out, g.GID, g.Name, g.HTMLNotes, g.Notes)
		if tp := g.TimePeriod; tp != nil {
			out = append(out, tp.GID)
		}
	}
	for _, u := range e.ws.Users {
		out = append(out, u.GID, u.Name, u.Email)
	}
	for _, emp := range e.emps {
		out = append(out, emp.ID, emp.Name, emp.Email)
	}
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

// checkNothingSecret looks for every secret in every string exported of
// the env's spans and metrics.
func (e *env) checkNothingSecret(t *testing.T) {
	t.Helper()
	exported := e.exported(t)
	if len(exported) < 50 {
		t.Fatalf("only %d strings exported", len(exported))
	}
	for _, s := range exported {
		for _, secret := range e.secrets() {
			if strings.Contains(s, secret) {
				t.Errorf("exported %q holds %q", s, secret)
			}
		}
	}
}
