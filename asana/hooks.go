package asana

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Hooks are functions a Client calls as it works, for a host's telemetry:
// each attempt of a request as it is sent and as it ends, and each pause
// for Asana's rate limit. Package goals/otelgoals turns them into
// OpenTelemetry spans and metrics; a host may set its own. Any of them may be
// nil, and a Client without hooks (no WithHooks) does no work for them at
// all.
//
// Hooks are called synchronously, on the goroutine of the request, from
// many goroutines at once: each must return quickly and be safe for
// concurrent calls. The context is the request's (the caller's context, with
// its values: a span it carries is the request's parent).
//
// A hook is handed no token, no query string, no header and no GID: a
// request is named by its method and its route template
// ("/goals/{goal_gid}"), and a failure by a word from a fixed set.
type Hooks struct {
	// RequestSent is called when an attempt of a request leaves the
	// client: after the rate limiter, any Retry-After pause and the
	// in-flight bound let it through, just before it is sent. Its
	// StatusCode, Duration and Error are zero.
	RequestSent func(ctx context.Context, r RequestInfo)
	// RequestDone is called when that attempt has ended: answered (the
	// whole body read), or failed without an answer. Every RequestSent is
	// followed by exactly one RequestDone, with the same Method, Route,
	// Attempt and Wait.
	RequestDone func(ctx context.Context, r RequestInfo)
	// Pause is called when a 429's Retry-After holds every request of the
	// client: a pause starts, or one in force is made longer. A 429 without
	// Retry-After starts no pause (its retry backs off on its own) and is
	// seen in RequestDone alone.
	Pause func(ctx context.Context, p PauseInfo)
}

// RequestInfo is one attempt of a request, as Hooks see it.
type RequestInfo struct {
	// Method is the HTTP method, "GET".
	Method string
	// Route is the template of the request's API path, as Asana's API
	// description names its parameters: "/goals", "/goals/{goal_gid}",
	// "/goals/{goal_gid}/subgoals", "/goal_relationships", "/users",
	// "/users/me" or "/workspaces". Never a GID, never a query.
	Route string
	// ServerAddress and ServerPort are the host and port of the API root
	// (WithBaseURL): "app.asana.com" and 443 by default.
	ServerAddress string
	ServerPort    int
	// Attempt counts the attempts of the request, from 1: 2 is its first
	// retry.
	Attempt int
	// Wait is how long the attempt waited at the client's gate (the rate
	// limiter, a Retry-After pause, the in-flight bound) before it was sent.
	Wait time.Duration

	// The attempt's end, in RequestDone only.

	// StatusCode is the HTTP status Asana (or a proxy) answered, 0 when no
	// answer came.
	StatusCode int
	// Duration is the time from sending to the end of the answer, or of
	// the failure.
	Duration time.Duration
	// Error is "" for an answer read whole and, when 2xx, of the shape the
	// client expects (a non-2xx answer is not an Error here: StatusCode
	// tells); otherwise one of the RequestError words.
	Error string
}

// The words of RequestInfo.Error: why an attempt got no usable answer. The
// set is fixed, so that a metric labelled with it stays small.
const (
	// RequestTimeout: no whole answer within the per-request timeout
	// (WithRequestTimeout).
	RequestTimeout = "timeout"
	// RequestCanceled: the caller's context ended while the attempt was
	// on its way.
	RequestCanceled = "canceled"
	// RequestConnection: the connection failed (refused, reset, TLS, a
	// proxy that refused to connect).
	RequestConnection = "connection"
	// RequestBodyUnreadable: the answer's body was cut short, or larger
	// than the client reads.
	RequestBodyUnreadable = "body_unreadable"
	// RequestMalformed: a 2xx answer that is not JSON, or whose "data" is
	// not the list or object asked for.
	RequestMalformed = "malformed"
)

// PauseInfo is a pause for Asana's rate limit, as Hooks.Pause sees it.
type PauseInfo struct {
	// Route is the route template of the request answered 429.
	Route string
	// RetryAfter is how long from now every request of the client is
	// held: Asana's Retry-After.
	RetryAfter time.Duration
	// Added is how much longer the client is paused than it already was:
	// RetryAfter for a new pause, less for one that extends a pause in
	// force. The sum of Added over a client's pauses is Stats.Pauses.
	Added time.Duration
}

// WithHooks sets the functions the client calls as it works (see Hooks).
// A later WithHooks replaces an earlier one.
func WithHooks(h Hooks) Option {
	return func(c *config) error {
		c.hooks = nil
		if h.RequestSent != nil || h.RequestDone != nil || h.Pause != nil {
			c.hooks = &h
		}
		return nil
	}
}

// route returns the template of an API path the client builds: the path
// with each GID in it replaced by the name Asana's API description gives
// that parameter. The client builds no other paths; one it does not know is
// "" (it is never copied, since it could hold a GID).
func route(path string) string {
	switch path {
	case "/goals", "/goal_relationships", "/users", "/users/me", "/workspaces":
		return path
	}
	if rest, ok := strings.CutPrefix(path, "/goals/"); ok {
		gid, tail, _ := strings.Cut(rest, "/")
		if IsGID(gid) {
			switch tail {
			case "":
				return "/goals/{goal_gid}"
			case "subgoals":
				return "/goals/{goal_gid}/subgoals"
			}
		}
	}
	return ""
}

// requestInfo is what the hooks hear of req before it is sent.
func (t *gatedTransport) requestInfo(req *http.Request, attempt int, wait time.Duration) RequestInfo {
	port := 443
	if p := req.URL.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	} else if req.URL.Scheme == "http" {
		port = 80
	}
	return RequestInfo{
		Method:        req.Method,
		Route:         route(t.path(req)),
		ServerAddress: req.URL.Hostname(),
		ServerPort:    port,
		Attempt:       attempt,
		Wait:          wait,
	}
}

// exchangeFailure names why an attempt that was sent got no answer read
// whole (the exchange's error), with the status of the answer when one
// came. ctx is the attempt's.
func exchangeFailure(ctx context.Context, err error) (word string, status int) {
	var be *bodyError
	if errors.As(err, &be) {
		status = be.status
	}
	switch {
	case errors.Is(context.Cause(ctx), errRequestTimeout):
		return RequestTimeout, status
	case ctx.Err() != nil:
		return RequestCanceled, status
	case be != nil:
		return RequestBodyUnreadable, status
	}
	return RequestConnection, status
}
