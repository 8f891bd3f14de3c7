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
// [Client.WorkspaceUsers], [Client.Workspaces]) or, for the short per-goal lists, slices
// ([Client.Subgoals], [Client.GoalRelationships]). A non-2xx answer is an
// [*Error]; match it with errors.Is against [ErrUnauthorized],
// [ErrPaymentRequired], [ErrForbidden], [ErrNotFound], [ErrRateLimited] or
// [ErrMalformedResponse].
//
// The token is sent only in the Authorization header, only over HTTPS (plain
// HTTP is allowed to loopback addresses, for tests), and never appears in an
// error, a log line or [Stats].
//
// # Rate limits
//
// The client keeps under Asana's limits by itself: a client-side limiter set
// to the domain's tier less 1% of headroom (150 requests a minute on free
// domains, 1,500 on paid ones; paid is the default; a client at 1,500 runs at
// 1,485), at most 50 requests in flight, and on a 429 one shared pause of
// Retry-After for every request of the client; no request is retried before
// its Retry-After has passed.
//
// A 429 alone costs its Retry-After and no more: Asana also answers 429 for
// too many concurrent or costly requests, and for other programs on the same
// token. The client slows down only on evidence that the quota is spent for
// everyone: a second 429 in the same pause for a request sent after the one
// that met the first (an answer for such a later request is evidence against),
// or, when a 429 came back before any later request went (as from a gateway in
// front of Asana, counting over a fixed window or with a per-second token
// bucket), another 429 right after that pause with no evidence against in
// between. It then slows to the quota it saw honoured (the requests let
// through before the pause, answered or on their way, over that stretch and
// the pause, a whole-second Retry-After counted half a second short), never
// below Asana's free tier on recurring 429s alone (only when second 429s keep
// coming at that rate), and after 20 quiet seconds climbs back in growing
// steps (+10%, +20%, +40%, …: from the free tier to the paid one in about two
// minutes); a 429 during the climb sends it back to the rate it learnt. Turns
// taken at the faster rate before a slow-down's pause are void and weigh
// nothing after it: the requests go at the slower rate as soon as the pause
// is over (forty requests queued at 100 a second are 0.4 s of turns, 4 s at
// 10 a second).
//
// Time spent waiting for the limiter or a pause is not the request's time: the
// per-request timeout (WithRequestTimeout, or the HTTP client's Timeout, 60 s
// by default) covers sending and reading only, and the caller's context bounds
// the waits. A Retry-After longer than WithMaxWait (default 5 minutes) ends
// the request at once, and every request that would queue behind it, with an
// error matching asana.ErrWaitTooLong that says how long Asana asked for; the
// ingester then stops the whole sync (nothing written), and goalsync -max-wait
// sets the limit. Client.Stats() reports requests, retries, 429s, the rate
// now, the pause in force and the pauses' total; the ingester passes them,
// with the requests still needed and an estimate of the time left, to
// Config.OnProgress.
//
// # Telemetry
//
// WithHooks sets functions the client calls for each attempt of a request,
// as it is sent and as it ends, and for each pause for the rate limit (see
// Hooks): method, route template ("/goals/{goal_gid}", never a GID or a
// query), attempt, the wait at the gate, status and duration. A client
// without hooks does no work for them. Package goals/otelgoals turns them
// into OpenTelemetry spans and metrics; this package imports no telemetry
// library.
//
// # Hostile answers
//
// An answer Asana cannot have meant is an error, never an empty result: a
// 200 whose data list is missing or not a list ({"data":null}, {},
// {"data":{}}, a bare [], HTML, a body cut short) matches
// ErrMalformedResponse and is retried like any broken body. One record of
// a page that cannot be read (an impossible date, a metric value sent as a
// string) is a *RecordError in its place, and the listing goes on with the
// next record. A server that never ends a list is stopped with an error:
// after 20 empty pages in a row,
// after 100,000 pages (ten million goals), or at a next_page offset longer
// than 4,096 bytes, before any request carries it; a listing keeps a hash
// of each offset to see a repeat, not the offset. A GID is digits only
// (IsGID): anything else is refused before a request, never escaped into
// a path. A proxy (HTTPS_PROXY) that refuses CONNECT is a *ProxyError
// naming the proxy without its credentials, never Asana's 403, and is not
// retried.
//
// Error bodies and gateway pages may echo the Authorization header. The
// client removes its token from everything it keeps of an answer: the
// secret (what follows the token's last ':') and the whole token, as they
// are, JSON- or URL-escaped, in any case of their letters. It keeps the
// token's public parts (its user and app GIDs), and a body cut short inside
// the token may keep the start of the secret, never the whole of it.
package asana
