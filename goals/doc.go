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
//
// # Sub-goals
//
// The spec names GET /goals/{gid}/subgoals. Asana has retired it: its
// published OpenAPI no longer has the path, and Asana answers it 404 No
// matching route. Today sub-goals are listed by GET /goal_relationships
// (supported_goal={gid}, resource_subtype=subgoal), which names each
// sub-goal by GID only. A sync speaks both, and Report.SubgoalPath
// says which it used:
//
//   - One probe. The first kept goal's sub-goals are asked for on the
//     spec's path, and every other walker waits for that answer, so a sync
//     against today's Asana sends exactly one request to the retired path,
//     whatever its concurrency. A 404 there is either the path or the goal
//     gone; the goal's relationships tell which (when both answer 404 the
//     goal was deleted, and the next goal probes again).
//   - Today's path: one relationships listing per kept goal; each
//     sub-goal's details (name, status, due date, metric) come from the
//     workspace scan, since sub-goals are goals of the same workspace. A
//     goal whose sub-goals the scan has not returned yet waits for the
//     scan's end, so GET /goals/{gid} is sent only for sub-goals the scan
//     never returns, once each per sync however many goals they support.
//     What the sync keeps of scanned goals for these look-ups is a compact
//     record (name, status words, due date, metric; about 90 bytes a
//     goal), so memory stays near what the kept goals need.
//   - The spec's path, where a server still answers it: one listing per
//     kept goal, sub-goals come whole, and nothing of the scan is kept.
//
// Relationships that are not sub-goals never become Key Results, nor does
// a goal listed among its own sub-goals (counted in Report.SelfSubgoals).
// A sub-goal deleted during the sync is skipped.
//
// # What is stored
//
// The library stores nothing itself: every sync writes through the host's
// Store. Per goal it writes the employee ID, the workspace, the goal's GID,
// name, description, start and due dates, status (mapped, the raw word and
// its source), Asana time period, metric progress and the time of the
// sync; per Key Result its GID, name, status, due date and progress. No
// token, no owner name or e-mail, no other user's data. The description is
// the goal's html_notes as plain text, at most Config.DescriptionLimit
// characters, and may hold internal context that managers then see;
// Config.OmitDescriptions keeps none. Sub-goal requests never ask for
// html_notes (a Key Result has no description). The token has the
// permissions of the user who made it: a service account's token limits
// what a sync can read.
//
// # What a sync withstands
//
// An answer Asana cannot have meant never reads as "no goals", and never
// removes or changes what is stored:
//
//   - a page of GET /goals, a sub-goal list or goal relationships that
//     answers 200 without its data list ({"data":null}, {}, {"errors":…},
//     a bare [], HTML, a body cut short) is asana.ErrMalformedResponse,
//     retried like any broken body, then the scan (or that goal) fails;
//   - a scanned goal without a GID, or an owner without one, might have
//     been anyone's: it is counted in Report.MalformedRecords and every
//     employee's write is partial;
//   - one goal of a page the client cannot read (an impossible due_on, a
//     date-time or a number where a date goes, a metric value sent as a
//     string, a time period ending before it starts) is skipped alone and
//     counted, with its GID, in Report.MalformedRecordGIDs; every write is
//     partial, so its stored copy stays as it was, and the rest is synced;
//   - a goal whose owner changes while the scan runs is routed once: this
//     sync stores it under neither owner, writes both partial, and counts
//     it in Report.OwnerChanges; it is never stored under both;
//   - a goal deleted during the sync makes its employee's write partial
//     (and is no evidence for the sub-goal path); a goal repeated on two
//     pages is one goal.
//
// A refused token or plan (401, 402), on any page or sub-goal request,
// stops the whole sync: nothing is requested after the refusal is known
// beyond what was in flight, and nothing is written. A sync cancelled
// while fetching writes nothing; one cancelled while writing leaves the
// employees it wrote with their whole writes and the others untouched,
// the report says which, and Sync returns an error wrapping ctx.Err().
// Concurrent writes for the same employee each apply whole, as if alone
// (the Store contract, which storetest checks on every store).
//
// What is not guaranteed: a goal that becomes invisible to the token's
// user without any error, and is one of few, is removed like a deleted
// goal (the mass-removal guard holds back mass removals only).
package goals
