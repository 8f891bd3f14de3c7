package otelgoals_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/otelgoals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// BenchmarkSyncTelemetry syncs a generated workspace of 2,000 goals for 20
// employees (about 1,000 requests), served in process, without telemetry,
// with otelgoals on OpenTelemetry's no-op providers, and with otelgoals on
// the SDK recording every span and metric in memory: what the telemetry
// costs a sync.
func BenchmarkSyncTelemetry(b *testing.B) {
	ws := asanafake.Generate(7, asanafake.DefaultGenConfig(2000, 20))
	var emps []goals.Employee
	for i, u := range ws.Users {
		emps = append(emps, goals.Employee{ID: fmt.Sprint("e", i), AsanaUserGID: u.GID})
	}
	srv := asanafake.NewServer(ws, asanafake.Options{})
	sdk := func() otelgoals.Options {
		return otelgoals.Options{
			TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder())),
			MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())),
		}
	}
	for _, bc := range []struct {
		name string
		opts func() *otelgoals.Options
	}{
		{"telemetry=none", func() *otelgoals.Options { return nil }},
		{"telemetry=noop", func() *otelgoals.Options {
			return &otelgoals.Options{TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: noop.NewMeterProvider()}
		}},
		{"telemetry=sdk", func() *otelgoals.Options { o := sdk(); return &o }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			requests := int64(0)
			for b.Loop() {
				b.StopTimer()
				opts := []asana.Option{
					asana.WithBaseURL("https://asanafake.test"),
					asana.WithHTTPClient(&http.Client{Transport: inProcess{srv}}),
					asana.WithRequestsPerMinute(1 << 62),
					asana.WithRetryWait(time.Millisecond, 2*time.Millisecond),
				}
				cfg := goals.Config{WorkspaceGID: ws.GID}
				if o := bc.opts(); o != nil {
					tel, err := otelgoals.New(*o)
					if err != nil {
						b.Fatal(err)
					}
					opts = append(opts, tel.ClientOption())
					cfg.Hooks = tel.Hooks()
				}
				client, err := asana.NewClient("0/bench:token", opts...)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				rep, err := goals.NewIngester(client, goals.NewMemoryStore(), cfg).Sync(context.Background(), emps)
				if err != nil {
					b.Fatal(err)
				}
				requests += rep.Requests
			}
			b.ReportMetric(float64(requests)/float64(b.N), "requests/sync")
		})
	}
}
