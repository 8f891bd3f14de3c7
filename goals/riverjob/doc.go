// Package riverjob runs each tenant's goals sync as a durable job on River
// (github.com/riverqueue/river), the Go job queue on PostgreSQL (and on
// SQLite, for one machine). It is the only package of this module that
// imports River: importers of asana, goals, status or prompt do not compile
// it.
//
// A host with many Asana workspaces, one token each, registers a Worker in
// its River client and inserts one SyncArgs per tenant (or lets the periodic
// jobs of NightlyJobs insert them). The job row holds the tenant ID and
// nothing else: the Worker asks the host's Resolver for the tenant's
// *asana.Client (its token), goals.Config, employees and goals.Store each
// time it runs, so no secret is ever written to the queue.
//
// A sync job is unique per tenant while it is queued, scheduled, retrying or
// running (see UniqueStates): a tenant never has two syncs at once, and a
// nightly insert finds the one still waiting instead of adding another.
// Once the job completed (or was cancelled or discarded), the next insert
// is a new sync, although River keeps the finished row for a while. The
// Worker turns the outcome of goals.Ingester.Sync into River's terms
// (see Outcome):
//
//   - a *goals.GoalsConfigError, a token Asana refuses (401) or a plan
//     without Goals (402): the job is cancelled, not retried, with the reason
//     in the job's errors;
//   - Asana asking, through Retry-After, for a longer wait than the client
//     waits (asana.ErrWaitTooLong): the job is snoozed until then, which
//     neither fails it nor uses up an attempt;
//   - any other error (the workspace scan failed on 5xx or the network, the
//     job's context ended): the error is returned and River retries with its
//     backoff; a sync that fails or is cancelled never removes stored goals;
//   - success, even with some employees failed: the job completes.
//
// Whenever a sync produced a goals.Report, the report is the job's output
// (river.RecordOutput; rivertype.JobRow.Output reads it back).
//
// The Worker logs one line per sync outcome. A host that installed River's
// riverlog middleware (riverlog.NewMiddleware in river.Config.Middleware)
// gets it in the job itself, through riverlog.Logger, stored with each
// attempt in the job's metadata; otherwise it goes to
// WorkerOptions.Logger.
//
// # Traces and metrics
//
// Package goals/otelgoals turns a sync into OpenTelemetry spans and metrics
// (see its doc for the spans, the metrics and their fixed attributes). A host
// turns it on with five lines: one Telemetry for the process, and in its
// Resolver the client option and the sync's hooks:
//
//	tel, err := otelgoals.New(otelgoals.Options{TracerProvider: tp, MeterProvider: mp})
//	// in the Resolver:
//	client, err := asana.NewClient(token, tel.ClientOption())
//	cfg := goals.Config{WorkspaceGID: workspace, Hooks: tel.Hooks()}
//	return riverjob.Tenant{Client: client, Config: cfg, Employees: emps, Store: store}, nil
//
// The sync's span takes its parent from the job's context. A host that also
// installed River's OpenTelemetry middleware
// (github.com/riverqueue/rivercontrib/otelriver: otelriver.NewMiddleware in
// river.Config.Middleware) gets the job's river.work span with the sync's
// span under it, and the scan, walk and write spans under that, in one
// trace. This package imports neither.
//
// Both of River's drivers a host would use work: riverpgxv5 on the pgx pool
// the host already has, and riversqlite on a database/sql SQLite database.
// Run River's own migrations (rivermigrate) before starting a client.
package riverjob
