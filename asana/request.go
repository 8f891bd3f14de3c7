package asana

import (
	"log/slog"
	"net/http"

	"github.com/hashicorp/go-retryablehttp"
)

// request is what a caller of get asks of a request besides its path and
// query. It is read only.
type request struct {
	// shape is what a 2xx answer's "data" must be: shapeList, shapeItem, or
	// 0 for any JSON. The transport checks it, so that a wrong shape is
	// retried like any other malformed body.
	shape byte
	// urgent marks a request on the sync's critical path (a page of the
	// workspace scan): the gate lets it ahead of the others waiting for
	// the limiter.
	urgent bool
}

// call is one request's own state, from its first attempt to its answer.
// get makes one for each try (see getOnce), and only the closures of that
// request's own retry client reach it (see Client.retryClient): no context carries it, so no
// attempt can read another request's state, or none at all. Everything
// that touches it runs on the goroutine that called getOnce: the retry
// client's RequestLogHook, before each attempt; the transport, which an
// http.Client runs on its caller's goroutine; getOnce, once Do has
// returned.
//
// go-retryablehttp's own per-request closure, Request.SetResponseHandler,
// cannot hold it: it runs after the transport, and only for an answer the
// retry policy keeps, while the transport must know the attempt before it
// sends it (Hooks.RequestSent, Stats.Retries) and whether a 2xx answer has
// the wanted shape before it calls Hooks.RequestDone.
type call struct {
	request
	// target is the value the answer decodes into. For a list, the
	// transport decodes a 2xx answer into it as it checks the answer's
	// shape, and says so in decoded, so that getOnce does not decode it
	// again.
	target  any
	decoded bool
	// attempts counts the attempts made so far: the RequestLogHook sets it
	// before each attempt, the transport reads it (a retry is counted once
	// sent), getOnce reports it.
	attempts int
	// answer is the body of the last attempt's answer, read whole by the
	// transport.
	answer []byte
	// undecoded says the answer was 2xx and of the wanted shape but did
	// not decode into target: a listing then reads it again record by
	// record.
	undecoded bool
}

// callTransport is the gated transport as one call's attempts go through
// it: the client's gatedTransport, handed the call's state. It has no
// CloseIdleConnections: go-retryablehttp calls its HTTP client's after
// every failed request, which must not empty the pool.
type callTransport struct {
	gated *gatedTransport
	call  *call
}

func (t *callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.gated.roundTrip(req, t.call)
}

// retryClient returns the retry client for one call: the client's retry
// policy, over a copy of its HTTP client whose transport hands x to the
// gated transport, with a RequestLogHook that counts x's attempts.
// go-retryablehttp hands its hooks and the transport the *http.Request
// alone; a client of the request's own gives them the request's state
// without a context value.
func (c *Client) retryClient(x *call) *retryablehttp.Client {
	// One allocation for the three, which live as long as the call.
	own := &struct {
		retry     retryablehttp.Client
		http      http.Client
		transport callTransport
	}{http: c.http, transport: callTransport{gated: c.transport, call: x}}
	own.http.Transport = &own.transport
	own.retry = retryablehttp.Client{
		HTTPClient:   &own.http,
		Logger:       nil, // the client logs for itself, without URLs' queries
		RetryMax:     c.retry.max,
		RetryWaitMin: c.retry.waitMin,
		RetryWaitMax: c.retry.waitMax,
		CheckRetry:   c.retry.check,
		Backoff:      backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		RequestLogHook: func(_ retryablehttp.Logger, req *http.Request, attempt int) {
			x.attempts = attempt + 1 // the transport counts the retry once sent
			if attempt > 0 {
				c.logger.LogAttrs(req.Context(), slog.LevelWarn, "asana: retrying request",
					slog.String("method", req.Method), slog.String("path", c.apiPath(req.URL)),
					slog.Int("attempt", attempt+1))
			}
		},
	}
	return &own.retry
}
