// Package goals is the ingester: it pulls each employee's Asana goals, turns
// their sub-goals into Key Results, maps statuses, and writes the result
// through the host's [Store].
//
// A host builds an [Ingester] from an *asana.Client, a [Store] (its own
// database, or [MemoryStore]) and a [Config], then calls [Ingester.Sync]
// with its employees. A Store both writes goals and reads back what it
// holds, which the mass-removal guard needs; a type without the read half
// is not a Store, so the mistake is a compile error, not a failed sync.
// One sync:
//
//  1. checks the Config and the employees; a problem is a *[GoalsConfigError]
//     and no request is made;
//  2. scans GET /goals?workspace=… once, for every employee together, and
//     routes each goal by owner.gid (ownerless goals and goals of unmapped
//     owners are counted, then dropped);
//  3. keeps each employee's first 200 goals in Asana's order (more sets
//     the employee's Truncated);
//  4. while the scan goes on, fetches each kept goal's sub-goals as Key
//     Results. One probe of the spec's GET /goals/{gid}/subgoals decides
//     the path for the whole sync: where it answers, sub-goals come whole;
//     in today's Asana, which has retired it, through
//     GET /goal_relationships, each sub-goal's details taken from a compact
//     record of the scan (GET /goals/{gid} only for sub-goals the scan
//     never returns, asked once the scan has ended);
//  5. writes each employee in one all-or-nothing Store call: complete when
//     everything was fetched (goals Asana no longer has for them are
//     removed), partial (upsert only) otherwise; when the complete writes
//     together would remove more than a fifth of what is stored (and at
//     least ten goals), every write is upsert-only until an admin confirms
//     (Config.RemovalThreshold, Config.ConfirmRemovals);
//  6. returns a [Report].
//
// Nothing is lost: a failed, cancelled or partial sync never deletes, blanks
// or downgrades what an earlier sync stored. An answer that is not what
// Asana sends (a 200 without its data list, a goal or owner without a GID)
// never reads as "no goals"; a refused token or plan (401, 402), or a
// Retry-After longer than the client waits, stops the whole sync before
// anything is written.
//
// Progress ([Config.OnProgress], [SyncProgress]) reports pages, goals, the
// client's rate and pauses, and an estimate of the time left. Statuses are
// mapped by the spec's table, or a host's [status.Mapper]
// ([Config.StatusMapper]); a goal without a status update takes its own
// status field (see [StatusSource]).
//
// Telemetry ([Config.Hooks], [Hooks]) hears the sync's start and end, its
// stages (the workspace scan, the sub-goal walk, the writes) and each
// employee's write, with contexts a hook may carry a span in; the client's
// own hooks (asana.WithHooks) hear each request. Package goals/otelgoals
// turns both into OpenTelemetry spans and metrics; this package imports no
// telemetry library.
//
// Before the first sync, [CheckConnection] checks the token and the
// workspace, and [SuggestMappings] proposes Asana users for employees not
// mapped yet. Package goals/sqlstore is a Store on PostgreSQL or SQLite;
// package goals/storetest checks any Store against the contract.
package goals
