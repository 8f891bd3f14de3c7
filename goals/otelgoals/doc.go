// Package otelgoals turns the hooks of the Asana client (asana.Hooks) and of
// the goals ingester (goals.Hooks) into OpenTelemetry traces and metrics. It
// is the only package of this module that imports OpenTelemetry: importers of
// asana, goals, status or prompt do not compile it.
//
// A host turns it on with the providers it already has (nil fields take
// OpenTelemetry's global ones):
//
//	tel, err := otelgoals.New(otelgoals.Options{TracerProvider: tp, MeterProvider: mp})
//	if err != nil { return err }
//	client, err := asana.NewClient(token, tel.ClientOption())
//	cfg.Hooks = tel.Hooks()
//	report, err := goals.NewIngester(client, store, cfg).Sync(ctx, employees)
//
// One Telemetry serves every client and sync of the process, at once. The
// hooks run on the sync's goroutines; with OpenTelemetry's no-op providers
// they cost next to nothing, and a client or sync without them costs nothing
// at all.
//
// # Traces
//
// Each sync is one span, a child of the span in the context given to Sync
// (a River job's, an HTTP request's), with one child span per stage:
//
//	asanagoals.sync
//	├── asanagoals.scan    the workspace scan (GET /goals, page by page)
//	├── asanagoals.walk    the sub-goal walk, alongside the scan and after it
//	└── asanagoals.write   the removal guard's reads and one Store call per employee
//
// The scan and the walk overlap; the write span is left out when the sync
// stopped before writing. The host's store calls get the write span's context,
// so spans of its own (a database's) nest under it.
//
// A request to Asana is an event of its stage's span (EventRequest), not a
// span: a sync needs one request per kept goal, and 10,000 spans per sync
// would cost an ID, a sampling decision, an export and a backend's quota
// each, and bury the trace. An event costs an entry in its span. Only the
// attempts that did not go plainly are recorded, by default: retries,
// non-2xx answers, failures; Options.AllRequestEvents records every attempt.
// Either way the SDK's limit of events per span (128 by default, the latest
// kept) bounds a span, and the metrics below count every request. A pause for
// Asana's Retry-After is an event of the sync's span (EventPause), where it
// stays in sight however many requests follow. An employee whose sync failed
// is an event of the write span (EventEmployeeFailed).
//
// A span that failed as a whole has status Error, with its reason (one of the
// Reason words) as the status description and in error.type. The text of an
// error is never recorded: it can quote GIDs and Asana's answers.
//
// # Attributes
//
// Spans, events and metrics carry these attributes and no others; none holds a
// token, a goal's or a person's name, a description, an employee ID, a goal
// or user GID, or a query string. A request is named by its route template
// ("/goals/{goal_gid}"), never by its path.
//
//	asanagoals.sync span          asanagoals.workspace.gid, asanagoals.employees,
//	                              asanagoals.employees.mapped, asanagoals.employees.failed,
//	                              asanagoals.goals.scanned, asanagoals.goals.kept,
//	                              asanagoals.requests, asanagoals.retries, asanagoals.rate_limited,
//	                              asanagoals.subgoal_path, asanagoals.sync.outcome,
//	                              error.type (failed only)
//	scan, walk, write spans       error.type (failed only)
//	asana.request event           http.request.method, url.template, asanagoals.request.wait (s),
//	                              asanagoals.request.duration (s), http.request.resend_count
//	                              (retries only), http.response.status_code (when answered),
//	                              error.type (a failure word, or the status code when >= 400)
//	asana.rate_limit.pause event  url.template, asanagoals.pause.retry_after (s),
//	                              asanagoals.pause.added (s)
//	asanagoals.employee.failed    asanagoals.write.kind, error.type (a Reason word)
//
// The workspace GID is the one GID recorded: it names the tenant.
//
// # Metrics
//
// The HTTP client metrics follow OpenTelemetry's semantic conventions, with
// the route template as url.template (the client-side attribute for it;
// http.route names a server's route):
//
//	http.client.request.duration     histogram, s: each attempt of a request; http.request.method,
//	                                 url.template, server.address, server.port,
//	                                 http.response.status_code (when answered), error.type
//	                                 (a failure word of asana.RequestInfo, or the status code
//	                                 when >= 400). Its count is the requests by route and status.
//	http.client.active_requests      up-down counter, {request}: requests in flight;
//	                                 http.request.method, url.template, server.address, server.port
//	asanagoals.client.rate_limited   counter, {response}: 429 answers; url.template
//	asanagoals.client.pauses         counter, {pause}: Retry-After pauses started or made
//	                                 longer; url.template
//	asanagoals.client.pause.duration counter, s: the time clients were paused, counted once
//	                                 however many requests waited; url.template
//	asanagoals.sync.duration         histogram, s: each sync; asanagoals.sync.outcome
//	asanagoals.goals.kept            counter, {goal}: goals pulled and handed to the store
//	asanagoals.goals.truncated       counter, {goal}: goals past the per-employee cap
//	asanagoals.goals.removed         counter, {goal}: stored goals removed by complete writes,
//	                                 as the removal guard counted them (not counted when the
//	                                 guard is off or removals were confirmed)
//	asanagoals.employees.written     counter, {employee}: writes; asanagoals.write.kind
//	                                 (complete, partial, none)
//	asanagoals.employees.failed      counter, {employee}: employees not synced whole;
//	                                 error.type (a Reason word)
//
// A sync's outcome (asanagoals.sync.outcome) is ok, partial (some employees
// failed), failed or canceled. The reasons (error.type of a sync, a stage or
// an employee) are unauthorized, forbidden, not_found, rate_limited,
// malformed, store, canceled and other.
package otelgoals
