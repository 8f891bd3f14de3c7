// Package asanafake is a fake Asana REST API server for tests, the
// command-line demo and benchmarks.
//
// A [Server] is an [net/http.Handler] that serves one [Workspace] at the root
// of the server (no /api/1.0 prefix), the way Asana's API behaves:
//
//	GET /goals?workspace=…            goals of the workspace, in workspace order
//	GET /goals/{gid}                  one goal
//	GET /goals/{gid}/subgoals         the spec's sub-goal path: 404 unless Options.SpecSubgoalPath
//	GET /goal_relationships?supported_goal=…&resource_subtype=subgoal
//	GET /users/me, GET /users, GET /users/{gid}
//	GET /workspaces                   the served workspace, then Workspace.Others
//
// It checks bearer tokens, honours opt_fields the way Asana does (opt_fields
// replaces the compact field set; dotted paths select sub-fields), paginates
// with limit (1..100) and opaque offset tokens, answers errors with Asana's
// error body, and can rate-limit (sliding window per token, Retry-After),
// limit requests in flight, add latency and inject faults (5xx, connection
// resets, truncated bodies, malformed JSON, HTML from a gateway). See
// [Options].
//
// Typical use in a test:
//
//	ws := asanafake.Generate(1, asanafake.GenConfig{Goals: 500, Users: 20})
//	srv := asanafake.NewServer(ws, asanafake.Options{Tokens: map[string]string{"tok": ws.Users[0].GID}})
//	ts := httptest.NewServer(srv)
//	defer ts.Close()
//	// point the client at ts.URL with token "tok"; compare what it got with
//	// ws.GoalsOwnedBy, ws.Subgoals, … (the known truth).
//
// Serving is O(page) per request: goals and users are looked up by gid in
// maps built once by [NewServer] (or [Server.SetWorkspace]); each record is
// built whole, projected on opt_fields and encoded with encoding/json.
//
// # Which fake a test uses
//
// This server is the fake for behaviour: a test that needs Asana to act like
// Asana over many requests (pages by the server's own offsets, sub-goal
// trees, tokens, quotas and their 429s, latency, faults) uses it and checks
// the result against the workspace, the known truth. It is served over
// net/http/httptest when something needs a URL, or in process by an
// http.RoundTripper calling [Server.ServeHTTP] inside a testing/synctest
// bubble, whose clock cannot skip a wait on a real socket. A test that must
// see more than [Server.Stats] (when each request arrived, what each answer
// said) wraps the server's handler to record it, rather than writing a model
// of Asana's quota of its own. A test that scripts its answers itself (one
// canned answer to one request, or answers no real Asana gives: no data list,
// endless empty pages, an echoed token) uses github.com/jarcoal/httpmock. A
// test starts its own httptest server only when a real socket is its subject
// (a proxy's CONNECT, a browser), and says why. Why: one model of Asana to
// keep true, the one internal/contract checks against Asana's OpenAPI
// description, rather than a page or quota server per test file that nothing
// checks.
package asanafake
