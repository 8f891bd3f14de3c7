package asana

import "context"

// request is one logical request's own state, from get through the retry
// hooks to the transport. go-retryablehttp hands its hooks and the
// transport the *http.Request alone, so the state rides in the request's
// context as this one value: its maker sets shape and urgent, which the
// transport reads; the request log hook writes attempts (before each
// attempt, on the goroutine that called get, which reads it once Do has
// returned); the transport keeps the answer's body, which get decodes and,
// when it does not decode, a listing reads again record by record.
type request struct {
	// shape is what a 2xx answer's "data" must be: shapeList, shapeItem, or
	// 0 for any JSON. The transport checks it, so that a wrong shape is
	// retried like any other malformed body.
	shape byte
	// urgent marks a request on the sync's critical path (a page of the
	// workspace scan): the gate lets it ahead of the others waiting for
	// the limiter.
	urgent bool
	// attempts counts the attempts made so far.
	attempts int
	// answer is the body of the last attempt's answer, read whole by the
	// transport (on the goroutine that called get: an http.Client runs its
	// transport on the caller's goroutine).
	answer []byte
	// undecoded says the answer was 2xx and of the wanted shape but did
	// not decode into the value asked for.
	undecoded bool
	// target is the value get decodes the answer into. For a list, the
	// transport decodes a 2xx answer into it as it checks the answer's
	// shape, and says so in decoded, so that get does not decode it again.
	target  any
	decoded bool
}

type requestKey struct{}

func withRequest(ctx context.Context, r *request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// requestOf returns the state of the request ctx belongs to; a zero one
// for a context without (a request not made by get).
func requestOf(ctx context.Context) *request {
	if r, ok := ctx.Value(requestKey{}).(*request); ok {
		return r
	}
	return &request{}
}
