// Package asana is a small, typed client for the parts of Asana's REST API
// that the goals ingester needs: goals, sub-goals, goal relationships and
// users.
//
// A [Client] is built from a Personal Access Token with [NewClient]. It is
// safe for concurrent use and shaped by Asana's limits: a client-side rate
// limiter set to the domain's tier ([PaidRequestsPerMinute] by default, or
// [FreeRequestsPerMinute]), at most [MaxInFlight] requests open at once, and
// one shared pause for every request when Asana answers 429 with
// Retry-After. Connection errors, unreadable bodies, 429 and 5xx answers are
// retried with exponential backoff and jitter; other 4xx answers are not.
//
// Lists are iterators over every page ([Client.Goals],
// [Client.WorkspaceUsers]) or, for the short per-goal lists, slices
// ([Client.Subgoals], [Client.GoalRelationships]). A non-2xx answer is an
// [*Error]; match it with errors.Is against [ErrUnauthorized],
// [ErrPaymentRequired], [ErrForbidden], [ErrNotFound], [ErrRateLimited] or
// [ErrMalformedResponse].
//
// The token is sent only in the Authorization header, only over HTTPS (plain
// HTTP is allowed to loopback addresses, for tests), and never appears in an
// error, a log line or [Stats].
package asana
