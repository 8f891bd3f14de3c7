// The gated transport: every attempt passes the gate, the whole body is read
// before the in-flight slot is let go, and a 2xx body of the wrong shape is an
// error the retry policy sees.

package asana

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// errBodyTooLarge is a response over maxBodyBytes; retrying will not help.
var errBodyTooLarge = errors.New("response body too large")

// bodyError is a 2xx response whose body could not be read whole or is not
// JSON. The transport returns it as an error so the retry policy sends the
// request again.
type bodyError struct {
	status  int
	excerpt string
	err     error
}

func (e *bodyError) Error() string {
	return fmt.Sprintf("%d response body: %v", e.status, e.err)
}

func (e *bodyError) Unwrap() error { return e.err }

// bufferedBody is a response body already read into memory, so that the
// in-flight slot is held until the whole answer has arrived, and a body cut
// short is seen (and retried) as a transport error. The bytes are also the
// call's answer, for getOnce to read without a copy.
type bufferedBody struct{ *bytes.Reader }

func (bufferedBody) Close() error { return nil }

// gatedTransport sends each attempt (retries included) through the gate,
// then sends it with the per-request timeout, and reads the body in full
// before letting go of the slot. The timeout starts after the gate: time
// spent waiting for the limiter or a Retry-After pause is bounded by the
// caller's context alone, not counted against the exchange. It is the
// client's, shared by its requests; a request's attempts reach it through
// a callTransport, which hands it the request's state.
type gatedTransport struct {
	next    http.RoundTripper
	gate    *gate
	stats   *counters
	path    func(*http.Request) string
	timeout time.Duration // per attempt, from sending to the end of the body; 0: none
	maxBody int           // bytes of a body read at most; maxBodyBytes
	redact  redactor      // applied to every excerpt kept from a body
	hooks   *Hooks        // nil without WithHooks
}

// errRequestTimeout is an attempt that got no whole answer within the
// per-request timeout; it is retried like a network error.
var errRequestTimeout = errors.New("no whole answer within the request timeout")

// roundTrip sends one attempt of x.
func (t *gatedTransport) roundTrip(req *http.Request, x *call) (*http.Response, error) {
	var entered time.Time
	if t.hooks != nil {
		entered = time.Now()
	}
	release, sent, err := t.gate.enter(req.Context(), x.urgent)
	if err != nil {
		return nil, err
	}
	defer release()
	t.stats.requests.Add(1)
	attempt := x.attempts
	if attempt > 1 {
		// Counted here, once sent: a retry whose context ends while it
		// waits at the gate (a Retry-After pause) is no request.
		t.stats.retries.Add(1)
	}
	var info RequestInfo
	if t.hooks != nil {
		info = t.requestInfo(req, max(attempt, 1), sent.Sub(entered))
		if t.hooks.RequestSent != nil {
			t.hooks.RequestSent(req.Context(), info)
		}
	}
	if t.timeout > 0 {
		ctx, cancel := context.WithTimeoutCause(req.Context(), t.timeout, errRequestTimeout)
		defer cancel()
		req = req.WithContext(ctx)
	}
	resp, data, err := t.exchange(req)
	if err != nil {
		if t.hooks != nil {
			word, status := exchangeFailure(req.Context(), err)
			t.done(req.Context(), info, sent, status, word)
		}
		if cause := context.Cause(req.Context()); errors.Is(cause, errRequestTimeout) {
			return nil, fmt.Errorf("%w (%s): %w", errRequestTimeout, t.timeout, err)
		}
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		t.gate.refused.Store(true)
	}
	var added time.Duration
	var retryAfter time.Duration
	if resp.StatusCode == http.StatusTooManyRequests {
		t.stats.rateLimited.Add(1)
		d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		added = t.gate.rateLimited(req.Context(), sent, d, ok, t.path(req))
		retryAfter = d
	} else {
		t.gate.answeredOK(sent)
	}
	var shapeErr error
	if resp.StatusCode/100 == 2 {
		shapeErr = decodeAnswer(x, data)
	}
	if t.hooks != nil {
		word := ""
		if shapeErr != nil {
			word = RequestMalformed
		}
		t.done(req.Context(), info, sent, resp.StatusCode, word)
		if added > 0 && t.hooks.Pause != nil {
			t.hooks.Pause(req.Context(), PauseInfo{Route: info.Route, RetryAfter: retryAfter, Added: added})
		}
	}
	if shapeErr != nil {
		return nil, &bodyError{status: resp.StatusCode, excerpt: excerpt(t.redact.bytes(data)), err: shapeErr}
	}
	resp.Body = bufferedBody{bytes.NewReader(data)}
	x.answer = data
	resp.ContentLength = int64(len(data))
	return resp, nil
}

// done calls the RequestDone hook for an attempt sent at sent.
func (t *gatedTransport) done(ctx context.Context, info RequestInfo, sent time.Time, status int, word string) {
	if t.hooks.RequestDone == nil {
		return
	}
	info.StatusCode, info.Error, info.Duration = status, word, time.Since(sent)
	t.hooks.RequestDone(ctx, info)
}

// exchange sends req and reads the whole body.
func (t *gatedTransport) exchange(req *http.Request) (*http.Response, []byte, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, nil, err
	}
	data, err := readLimited(resp.Body, t.maxBody)
	resp.Body.Close()
	if err != nil {
		return nil, nil, &bodyError{status: resp.StatusCode, excerpt: excerpt(t.redact.bytes(data)), err: err}
	}
	return resp, data, nil
}

func readLimited(r io.Reader, limit int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return data, fmt.Errorf("body cut short: %w", err)
	}
	if len(data) > limit {
		return data[:min(len(data), 512)], fmt.Errorf("%w (over %d bytes)", errBodyTooLarge, limit)
	}
	return data, nil
}

// The shapes of Asana's answers: {"data": [...]} for a list, {"data": {...}}
// for one object.
const (
	shapeList byte = '['
	shapeItem byte = '{'
)

// dataProbe records the first byte of the "data" value without copying it.
type dataProbe byte

func (p *dataProbe) UnmarshalJSON(b []byte) error {
	*p = dataProbe(b[0]) // never empty: the decoder hands over a whole value
	return nil
}

// listTarget is what a list's answer decodes into (a *listResponse).
type listTarget interface {
	reset()
	hasData() bool
}

// decodeAnswer checks a 2xx body's shape (see checkShape). A list's answer
// is decoded into the call's target as it is checked: one pass of the
// JSON decoder over the body where a check and then getOnce's decoding
// took two, each of which reads it twice (encoding/json validates a body
// whole before it decodes it). A body that does not decode whole into the
// target (malformed, of the wrong shape, or with a record the target
// cannot hold) is checked by checkShape as before, and getOnce decodes it
// as before.
func decodeAnswer(x *call, body []byte) error {
	x.decoded = false
	if lt, ok := x.target.(listTarget); ok && x.shape == shapeList {
		lt.reset()
		if json.Unmarshal(body, lt) == nil && lt.hasData() {
			x.decoded = true
			return nil
		}
		lt.reset()
	}
	return checkShape(x.shape, body)
}

// checkShape checks that a 2xx body is JSON and, when want names a shape,
// that its "data" is a list or an object as wanted. An answer whose "data"
// is missing, null or of the other kind is malformed: a proxy's {} or
// Asana's {"errors": …} with a 200 must never read as an empty list, which
// would look like "no goals" and remove stored ones.
func checkShape(want byte, body []byte) error {
	if want == 0 {
		if !json.Valid(body) {
			return errors.New("not valid JSON")
		}
		return nil
	}
	var top struct {
		Data *dataProbe `json:"data"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return errors.New("the answer is not a JSON object with a \"data\" field")
		}
		return errors.New("not valid JSON")
	}
	noun, article := "list", "a"
	if want == shapeItem {
		noun, article = "object", "an"
	}
	switch {
	case top.Data == nil:
		return fmt.Errorf("the answer has no \"data\" %s (missing or null)", noun)
	case byte(*top.Data) != want:
		return fmt.Errorf("the answer's \"data\" is not %s %s", article, noun)
	}
	return nil
}
