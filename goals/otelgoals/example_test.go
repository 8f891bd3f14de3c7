package otelgoals_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/otelgoals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// Example syncs the demo workspace with tracing and metrics on: the host's
// providers (here the SDK's, recording in memory), then the telemetry, the
// client option and the sync's hooks.
func Example() {
	fake := httptest.NewServer(asanafake.NewServer(asanafake.DemoWorkspace(), asanafake.DemoOptions()))
	defer fake.Close()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	tel, err := otelgoals.New(otelgoals.Options{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		log.Fatal(err)
	}
	client, err := asana.NewClient(asanafake.DemoToken, asana.WithBaseURL(fake.URL), tel.ClientOption())
	if err != nil {
		log.Fatal(err)
	}
	cfg := goals.Config{WorkspaceGID: asanafake.DemoWorkspaceGID, Hooks: tel.Hooks()}
	var emps []goals.Employee
	for _, e := range asanafake.DemoEmployees() {
		emps = append(emps, goals.Employee{ID: e.ID, AsanaUserGID: e.AsanaUserGID})
	}
	report, err := goals.NewIngester(client, goals.NewMemoryStore(), cfg).Sync(context.Background(), emps)
	if err != nil {
		log.Fatal(err)
	}

	for _, s := range spans.Ended() {
		fmt.Println(s.Name())
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	var requests uint64
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == otelgoals.MetricRequestDuration {
			for _, p := range h.DataPoints {
				requests += p.Count
			}
		}
	}
	fmt.Printf("%s counts %d requests; the report says %d\n", otelgoals.MetricRequestDuration, requests, report.Requests)
	// Output:
	// asanagoals.scan
	// asanagoals.walk
	// asanagoals.write
	// asanagoals.sync
	// http.client.request.duration counts 11 requests; the report says 11
}
