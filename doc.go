// Package asanagoals pulls each employee's Asana Goals into a host
// application, turns sub-goals into Key Results, normalises statuses, stores
// everything through the host's own storage, and renders it as the [GOALS]
// block of a performance-review prompt.
//
// The module is four packages, used in this order:
//
//   - asana: a typed client for Asana's REST API. It authenticates with a
//     Personal Access Token, pages through lists, keeps under Asana's rate
//     limits (a client-side limiter, at most 50 requests in flight, one
//     shared pause on 429) and retries what is worth retrying. It logs and
//     lists the breaking changes Asana announces in Asana-Change headers,
//     and can opt in or out of them (WithAsanaEnable, WithAsanaDisable).
//   - status: a pure mapping from any tool's status word (Asana's
//     status_type, and other connectors' words) to PerfCopilot's four
//     statuses: completed, at_risk, off_track, on_track. A goal without a
//     status update is mapped from its own status field (green, yellow,
//     red, …) with status.MapGoalStatus, the one step beyond the spec.
//   - goals: the ingester. One Sync scans the workspace's goals once, routes
//     them to employees by owner GID, keeps the first 200 per employee, walks
//     each kept goal's sub-goals into Key Results, and writes each employee's
//     goals through the host's Store, all-or-nothing. It returns a Report an
//     admin can read.
//   - prompt: renders one employee's goals as the [GOALS] block of a review
//     prompt, deterministic, bounded and safe against text that tries to
//     break out of the block; a review window (Options.Period) leaves out
//     goals of other periods.
//
// A host that must keep no goal descriptions sets
// goals.Config.OmitDescriptions: html_notes is then never requested.
//
// Two packages serve the host's side of the Store: goals/sqlstore stores
// goals in PostgreSQL or SQLite, and goals/storetest checks any Store
// against the contract. goals.CheckConnection and goals.SuggestMappings
// help an admin through the spec's Connecting steps.
//
// Data flows one way: asana → goals (with status) → the host's Store →
// prompt. Nothing that fails part-way deletes or downgrades what an earlier
// sync stored, and the access token never appears in an error, a log line, a
// report or the command's output.
package asanagoals
