package asana

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors matched with errors.Is against an [*Error].
var (
	// ErrUnauthorized: 401, the access token is wrong, expired or revoked.
	ErrUnauthorized = errors.New("asana: unauthorized: the access token is wrong or revoked")
	// ErrPaymentRequired: 402, the workspace's plan does not include the
	// feature. Asana Goals need a paid Asana plan.
	ErrPaymentRequired = errors.New("asana: payment required: Asana Goals need a paid Asana plan (Starter or above)")
	// ErrForbidden: 403, the token's user may not see the resource.
	ErrForbidden = errors.New("asana: forbidden: the token's user has no access to this resource")
	// ErrNotFound: 404, the object or the path does not exist.
	ErrNotFound = errors.New("asana: not found")
	// ErrRateLimited: 429 still answered after every retry.
	ErrRateLimited = errors.New("asana: rate limited: too many requests")
	// ErrWaitTooLong: Asana asked, through Retry-After, for a longer wait
	// than the client waits (WithMaxWait). Error.RetryAfter says how long.
	ErrWaitTooLong = errors.New("asana: Asana asked for a longer wait than allowed")
	// ErrMalformedResponse: Asana (or a proxy in front of it) answered with a
	// body that is not the JSON this package expects.
	ErrMalformedResponse = errors.New("asana: malformed response")
)

// ErrorDetail is one entry of Asana's error body
// ({"errors":[{"message":…,"help":…,"phrase":…}]}).
type ErrorDetail struct {
	Message string `json:"message"`
	Help    string `json:"help,omitempty"`
	// Phrase is set on 500s; quote it to Asana support.
	Phrase string `json:"phrase,omitempty"`
}

// Error is a request that Asana answered with a non-2xx status, or with a
// body this package could not read.
//
// It deliberately carries no *http.Response or *http.Request: those hold the
// Authorization header, and an error is the kind of value that ends up
// printed, logged or serialised.
type Error struct {
	// Method and Path name the endpoint, e.g. "GET" and "/goals/123". The
	// query string is never included.
	Method string
	Path   string
	// StatusCode is the HTTP status; 2xx only with ErrMalformedResponse.
	StatusCode int
	// Errors holds Asana's error details when the body was Asana JSON.
	Errors []ErrorDetail
	// RetryAfter is the server's Retry-After, when it sent one, or the
	// rest of the pause it started, for a request that met that pause. A
	// Retry-After of more than 7 days reads as 7 days and a second, and
	// the error says "more than 7 days".
	RetryAfter time.Duration
	// MaxWait is set, with ErrWaitTooLong, when RetryAfter was longer than
	// the client waits (WithMaxWait); the request was not retried.
	MaxWait time.Duration
	// Excerpt is a short, cleaned excerpt of a body that was not Asana JSON.
	Excerpt string
	// Attempts is how many times the request was sent.
	Attempts int
	// Err is the underlying cause when the body could not be read or
	// decoded.
	Err error
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Error reads like "asana: GET /goals: 404 Not Found: goal: Unknown object".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "asana: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if s := e.sentinel(); s != nil && s != ErrNotFound {
		// Say what the status means for the user in words.
		b.WriteString(" (")
		b.WriteString(strings.TrimPrefix(s.Error(), "asana: "))
		b.WriteString(")")
	}
	for _, d := range e.Errors {
		b.WriteString(": ")
		b.WriteString(d.Message)
		if d.Help != "" {
			b.WriteString(" (help: " + d.Help + ")")
		}
		if d.Phrase != "" {
			b.WriteString(" [phrase: " + d.Phrase + "]")
		}
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.Excerpt != "" {
		fmt.Fprintf(&b, ": body: %q", e.Excerpt)
	}
	switch {
	case e.MaxWait > 0:
		fmt.Fprintf(&b, " (Asana asked to wait %s, longer than the %s this client waits; try again later)",
			describeWait(e.RetryAfter), e.MaxWait)
	case e.RetryAfter > 0:
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

// Is lets errors.Is match e against the package's sentinel errors.
func (e *Error) Is(target error) bool {
	if target == ErrWaitTooLong {
		return e.MaxWait > 0
	}
	s := e.sentinel()
	return s != nil && s == target
}

func (e *Error) sentinel() error {
	switch {
	case e.StatusCode >= 200 && e.StatusCode < 300:
		return ErrMalformedResponse
	case e.StatusCode == http.StatusUnauthorized:
		return ErrUnauthorized
	case e.StatusCode == http.StatusPaymentRequired:
		return ErrPaymentRequired
	case e.StatusCode == http.StatusForbidden:
		return ErrForbidden
	case e.StatusCode == http.StatusNotFound:
		return ErrNotFound
	case e.StatusCode == http.StatusTooManyRequests:
		return ErrRateLimited
	}
	return nil
}

// maxExcerpt is how many runes of a non-JSON body an Error quotes.
const maxExcerpt = 120

// newError builds the Error for a response with a non-2xx status. Nothing
// of the body is kept before red has removed the token from it.
func newError(method, path string, status int, header http.Header, body []byte, red redactor) *Error {
	e := &Error{Method: method, Path: path, StatusCode: status}
	if header != nil {
		e.RetryAfter, _ = parseRetryAfter(header.Get("Retry-After"), time.Now())
	}
	body = red.bytes(body)
	var parsed struct {
		Errors []ErrorDetail `json:"errors"`
	}
	if err := json.Unmarshal(body, &parsed); err == nil && len(parsed.Errors) > 0 {
		// Again after decoding: JSON escapes can spell the token so that the
		// raw body does not contain it.
		for i, d := range parsed.Errors {
			parsed.Errors[i] = ErrorDetail{Message: red.string(d.Message), Help: red.string(d.Help), Phrase: red.string(d.Phrase)}
		}
		e.Errors = parsed.Errors
		return e
	}
	e.Excerpt = excerpt(body)
	return e
}

// excerpt returns the start of a body as one tidy line: HTML tags dropped,
// control characters and runs of white space folded, capped in runes.
func excerpt(body []byte) string {
	var b strings.Builder
	inTag, space := false, false
	n := 0
	for len(body) > 0 && n < maxExcerpt {
		r, size := utf8.DecodeRune(body)
		body = body[size:]
		switch {
		case r == '<':
			inTag = true
			continue
		case r == '>' && inTag:
			inTag = false
			space = b.Len() > 0
			continue
		case inTag:
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError:
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	if len(body) > 0 && n >= maxExcerpt {
		b.WriteString("…")
	}
	return b.String()
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
// A wait longer than maxRetryAfter reads as overLongRetryAfter.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs != secs { // negative or NaN: nonsense
			return 0, false
		}
		if secs > maxRetryAfter.Seconds() {
			return overLongRetryAfter, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := max(t.Sub(now), 0)
		if d > maxRetryAfter {
			return overLongRetryAfter, true
		}
		return d, true
	}
	return 0, false
}

// maxRetryAfter is the longest Retry-After read as it is: any wait that
// long is far beyond what a client waits (WithMaxWait). A longer one (a
// date years ahead, 10^12 seconds) reads as overLongRetryAfter, just past
// it, so that durations do not overflow and an error can still say that
// Asana asked for more than maxRetryAfter, not maxRetryAfter itself.
const (
	maxRetryAfter      = 7 * 24 * time.Hour
	overLongRetryAfter = maxRetryAfter + time.Second
)

// describeWait says how long a Retry-After asked to wait: the wait to the
// second, or "more than 7 days" past maxRetryAfter.
func describeWait(d time.Duration) string {
	if d > maxRetryAfter {
		return "more than 7 days"
	}
	return d.Round(time.Second).String()
}
