// Package admin serves the pages where a person does the spec's
// Connecting steps and reads the result: an http.Handler a host mounts
// under a path prefix of its own admin site, the way River's riverui is
// mounted.
//
// The pages are:
//
//   - Connection: the Personal Access Token and the Workspace GID (or a
//     choice among the workspaces the token can see), "Check connection"
//     (goals.CheckConnection's findings in words, each with what to fix)
//     and "Save". The token is write-only: no page renders it, not even
//     masked; the page says whose it is and when it was checked.
//   - Employees: every employee without an Asana user, with
//     goals.SuggestMappings' proposal and a Confirm button, or a GID typed
//     by hand, checked against the workspace's users before it is saved;
//     the mapped employees with their Asana user, a GID mapped twice
//     flagged.
//   - Sync: "Sync now" runs goals.Ingester.Sync in the background, one at
//     a time per Handler, with its progress (requests, goals, the time
//     left, any wait for Asana's rate limit); the last reports, each
//     employee kept, truncated or failed with the reason; removals the
//     mass-removal guard held back, with "Confirm removals", which the
//     next sync started here applies.
//   - Goals: one employee's stored goals as the [GOALS] block lists them
//     (name, status, period, due date, progress, Key Results) with their
//     descriptions (Config.HideDescriptions leaves those out), filtered by
//     a review window.
//
// # What the host provides
//
// The pages keep nothing themselves. They read and write through four
// seams of Config: Settings (the connection), Directory (the host's
// employees and where a confirmed mapping goes), History (the reports of
// the syncs run here) and Store (the goals). MemorySettings,
// MemoryDirectory, MemoryHistory and goals.MemoryStore hold them in
// memory; a *sqlstore.Store implements all four on PostgreSQL or SQLite,
// with the token sealed at rest by AES-256-GCM under a key the host
// passes (sqlstore.WithSealKey). Package admin/admintest checks any
// implementation against the seams' contracts.
//
// # Security
//
// The handler has no authentication of its own: it serves whoever
// reaches it, so the host mounts it behind its own (see the example).
// Beyond that it:
//
//   - refuses state-changing requests from another origin with 403
//     (http.CrossOriginProtection), so a page elsewhere cannot post to it
//     with the admin's cookies;
//   - sends a Content-Security-Policy that allows its own stylesheet and
//     nothing else (no script at all, no inline style, no framing:
//     frame-ancestors 'none'), with X-Content-Type-Options: nosniff and
//     Referrer-Policy: no-referrer;
//   - renders every string from Asana or the host as text (html/template),
//     and builds no link from them;
//   - never puts the token in a page, a header, a URL or a log line, and
//     never echoes a token it refused;
//   - refuses bad input next to its field and saves nothing: an empty or
//     malformed GID, a token with a space, a line break or a character no
//     token has, a form over MaxFormBytes, a GID of another workspace.
//
// Everything works without JavaScript; the Sync page reloads itself while
// a sync runs. Templates and the stylesheet are embedded: nothing loads
// from elsewhere.
//
// goalsync -serve 127.0.0.1:8080 serves these pages on the demo workspace
// (or on -db and -employees) behind a one-time sign-in code.
package admin
