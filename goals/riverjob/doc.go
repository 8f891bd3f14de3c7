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
//
// # Many tenants: two queues, longest first
//
// A sync job goes to Queue, or to QueueLarge when its SyncArgs.Goals, the
// size of the tenant's workspace as the host last saw it (the
// WorkspaceGoalsScanned of its last report, which is the job's output), is
// LargeWorkspace (1,000 goals) or more. A client that works sync jobs
// lists both queues:
//
//	Queues: riverjob.Queues(0, 0), // per machine: 50 syncs of small workspaces at once, 4 of large ones
//
// and the host inserts each tenant's sync with its size: SizedNightlyJobs
// or SizedPeriodicJob ask for it at each insert, and a sync now is
// SyncArgs{TenantID: id, Goals: n}. An unknown size (0) goes to Queue.
//
// On a queue of their own, the syncs of large workspaces (minutes each)
// start as soon as they are inserted, whatever waits in Queue, and never
// hold the slots of small ones: a tenant of 20 to 200 goals waits only for
// the small syncs inserted before it, at the fleet's concurrency. Within
// each queue the longer syncs go first (River's priority, see
// SyncArgs.InsertOpts), so that a fleet does not end on a long sync that
// started last: with 600 tenants, one in twenty of 200 to 999 goals, one of
// those queued last made the fleet take 1.41 times its ideal, against 1.04
// with the longer ones first (the small tenants' p95 went from 21 to 23 s).
//
// # How many syncs a machine runs at once
//
// A sync is paced by its own token's quota, not by the machine: at Asana's
// 1,500 requests a minute and some 20 ms an answer it keeps half a request
// in flight and spends its time waiting. A workspace of 20 to 200 goals
// (about one request per goal) syncs in 1 to 9 seconds, one of 5,000 goals
// in a little over 3 minutes. So a machine runs many syncs at once; what
// each costs it is memory, about 1 MB of heap at its peak for a small
// workspace and 11 MB for one of 5,000 goals (some 2 KB a goal), and little
// CPU (a seventh of a core for 54 syncs, measured below).
//
// DefaultMaxWorkers, 50 small syncs per machine, and
// DefaultLargeMaxWorkers, 4 large ones, keep a machine near 120 MB of heap
// at its peak, under the 200 MB a worker is given. Fifty is enough: two
// machines sync the small workspaces of 1,000 tenants (some 90,000
// requests) in under 40 seconds, within the 3 minutes the largest tenant
// takes alone, so more workers would make the small tenants finish sooner
// but not the fleet. And more cost: with 600 tenants of up to 999 goals on
// two machines, a machine's peak heap was 19 MB at 10 small workers, 69 MB
// at 50 and 128 MB at 150, and at 150 the fleet took 1.10 times its ideal
// against 1.03 at 50, its syncs competing for the CPU (on the two cores of
// the machine below, which also ran PostgreSQL and the fake Asana); at 10
// it took 3.4 times as long as its longest sync, the small queue draining
// slowly. Four large ones per
// machine start the five 5,000-goal tenants of such a fleet at once on two
// machines; one machine alone needs a slot per large tenant for that (the
// SQLite benchmark below gives it 8). Size the large queue by the largest
// workspaces (at some 2 KB a goal, a sync of 50,000 goals would hold
// about 100 MB), and the
// fleet by the night: machines × MaxWorkers × 25 requests a second must
// cover the fleet's requests (one per goal kept, one per 100 goals
// scanned) within the window NightlyJobs spreads them over. At 1,000
// tenants like these, that is a few syncs at a time over an hour; the
// benchmark inserts them all at once, as after an outage.
//
// # Losing a machine
//
// A machine that dies (killed, out of memory, powered off) leaves its syncs
// running in River's table. River's rescuer, which River's leader runs
// every 30 seconds (fixed in River v0.51), puts each back to be retried
// once it has run for longer than the larger of the Worker's Timeout and
// the client's RescueStuckJobsAfter, and another machine syncs the tenant
// again from the start. What the interrupted sync did stays: each
// employee's write is one transaction, so an employee holds what was stored
// before or what a sync wrote, never half of a write, and a sync that ends
// early removes nothing. A sync that finished just before its machine died,
// before River recorded it, runs again and writes the same goals. The
// rescuer cannot tell a dead machine from a slow sync, so the wait is the
// Timeout: with DefaultTimeout, an hour. Set WorkerOptions.Timeout (and
// RescueStuckJobsAfter) to what the largest sync needs, with a margin.
//
// # SQLite
//
// On SQLite, River's tables (riversqlite, on a database/sql pool of one
// connection) and usually the store are files of one machine, so the fleet
// is one machine: its MaxWorkers are the fleet's concurrency, and if it
// dies no other machine takes its syncs over (River rescues them once a
// client runs on the file again). River has no LISTEN/NOTIFY there: an
// inserted job waits up to the client's FetchPollInterval (a second by
// default). Writes are one at a time (the benchmark gives the store one
// connection and immediate transactions). That is not what limits it:
// sqlstore on SQLite commits about 1,000 writes of 18 goals a second one
// after the other on the machine below, and the fleet of 1,000 tenants at
// Asana's pace needs about 50. One machine with 50 small and 8 large
// workers synced it in 1.02 times its ideal.
//
// # The fleet at 1,000
//
// BenchmarkFleetScale (in this package's tests) measures the fleet: 1,000
// tenants, each its own fake Asana workspace and token at Asana's pace
// (1,500 requests a minute, counted by the fake over 6 seconds with a tenth
// of the quota, and 20 ms of latency), most with 20 to 199 goals, one in
// twenty 200 to 999, one in two hundred 5,000; two machines, each a River
// client in a process of its own, with Queues(0, 0) on one PostgreSQL
// database, the store (sqlstore) in it holding what an earlier night
// stored. Its ideal is the slowest tenant's floor (its requests at its
// quota) or every request at the fleet's capacity (the syncs it runs at
// once, each at its quota), whichever is longer. Run it with
//
//	go test -run '^$' -bench BenchmarkFleetScale -benchtime 1x -timeout 90m ./goals/riverjob
//
// The floor takes the quota to bind from a sync's first request: the
// client paces itself from it, and the fake's window of 6 seconds lets only
// 150 requests through at once, where Asana's minute would let a sync burst
// its first 1,500 (the 5,000-goal tenants' floor would then be 132 s, not
// 192 s; this client does not burst).
//
// Measured on 2026-12-08 on a 2-core Intel Xeon virtual machine that also
// ran the fake Asana and PostgreSQL 15: two machines took 1.03 times the
// ideal with 122 MB of peak heap per worker; with one killed 15.5 s in,
// every one of its 54 syncs was rescued after the worker's 5-minute timeout
// and finished by the other, no stored goal removed or blanked, in 2.6
// times the ideal; SQLite on one machine took 1.02 times the ideal at 100
// and at 1,000 tenants. The figures of each run (transactions and rows a
// second, the small tenants' p95, requests and 429s) are in
// docs/benchmarks.md, "The fleet at 1,000", in the module's repository.
//
// TestFleetScale runs the fleet at 200 tenants, four times Asana's pace,
// with a machine killed, under go test: about a minute under -race.
package riverjob
