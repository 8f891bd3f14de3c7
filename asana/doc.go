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
// everyone, gathered in episodes. An episode opens with a 429 when none is in
// force and lasts until its longest pause is over (each of its 429s'
// Retry-After, at least a second). Within it:
//
//   - a 429 for a request sent after the one that opened the episode is
//     evidence: the server turned away a request that it would have served
//     had it merely been busy. The client slows down.
//   - an answer (not a 429) for such a later request is evidence against:
//     the episode then changes nothing.
//   - an episode that ends with neither (the 429 came back before another
//     request went, as from a gateway in front of Asana that refuses at once)
//     proves nothing by itself, but the next 429 after it is taken as
//     evidence: a server that refuses each time the pause is over and the
//     client sends at its rate has spent its quota, whether it counts over a
//     sliding window, a fixed one or with a per-second token bucket.
//
// On evidence the client slows to the quota it saw honoured, less 5%: the
// requests of the stretch since the last episode that the server let through
// (answered, or sent before the refused one and still on their way) over that
// stretch and the pause, a whole-second Retry-After of two seconds or more
// counted half a second short (the server rounded it up); with fewer than ten
// such requests, to half its rate less 5%. It never goes below Asana's free
// tier (or the configured rate, when lower), unless it is already there and second 429s for later requests keep
// coming (never on the next 429 after an episode without evidence), and then
// never below a fiftieth of the configured rate.
//
// After 20 seconds without a 429 or a change of rate, an answer raises the
// rate a step: +10%, then +20%, +40%, …, up to the configured rate (from the
// free tier to the paid one in about two minutes); each slow-down starts the
// steps at +10% again. A 429 that opens an episode while a climb is above the
// rate learnt sends the rate straight back to it and starts the steps again:
// the climb went too far, and the stretch's estimate would be skewed by what
// the climb sent. The end of such an episode is never taken for a recurrence
// (the climb, not the quota, met the 429), though evidence within it still
// slows down.
// Back at the configured rate, the rate learnt is forgotten.
//
// Turns taken at the faster rate before a slow-down's pause are void and weigh
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
//
// # Helpers outside the client
//
// A few exports serve programs that take Asana input from a person or print
// text of their own; each is what the client itself applies:
//
//   - [IsGID] and [MaxGIDDigits]: a program that takes GIDs from a form or
//     a file checks them before any request, and its message can state the
//     bound (the admin pages and goalsync do).
//   - [CheckChangeName]: a program that reads the names for
//     [WithAsanaEnable] and [WithAsanaDisable] from its own configuration
//     checks them where it reads them, before it builds a Client (goalsync
//     does, as it parses its flags).
//   - [NewRedactor]: a program that prints text which may hold the token (an
//     error of the client wrapped in its own, a line of the HTTP stack's
//     log) removes the token the way the client does (the admin pages and
//     goalsync do).
//
// The client's other bounds (pages in one listing, empty pages in a row,
// the length of a next_page offset, the changes kept) are not exported: no
// caller sets them, and no real workspace comes near them.
package asana
