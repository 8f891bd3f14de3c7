package asana_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
)

// Asana's message, help and phrase are redacted again once decoded: a
// field can spell the token so that only its decoded text holds it, here
// URL-escaped with each '%' JSON-escaped (\u0025), which no look at the
// raw body undoes.
func TestError_fieldsAreRedactedOnceDecoded(t *testing.T) {
	var twice strings.Builder
	for _, c := range []byte(testToken) {
		fmt.Fprintf(&twice, `\u0025%02X`, c)
	}
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(401,
		`{"errors":[{"message":"echo: Bearer `+twice.String()+`","help":"token `+twice.String()+`","phrase":"6 sad `+twice.String()+`"}]}`))
	_, err := h.client.Me(context.Background())
	var ae *asana.Error
	if !errors.As(err, &ae) || len(ae.Errors) != 1 {
		t.Fatalf("err = %v, want a 401 *asana.Error with Asana's details", err)
	}
	want := asana.ErrorDetail{Message: "echo: Bearer [redacted]", Help: "token [redacted]", Phrase: "6 sad [redacted]"}
	if ae.Errors[0] != want {
		t.Errorf("Errors[0] = %+v, want %+v", ae.Errors[0], want)
	}
}

// An error for a Retry-After longer than the client waits says how long
// Asana asked for, or, beyond the longest wait the client reads (7 days),
// that it asked for more than 7 days: never the client's own bound as if
// Asana had said it. A request that meets the pause such an answer started
// says so too (within 7 days it gives the rest of the pause, which
// Error.RetryAfter holds for it).
func TestError_waitTooLongSaysWhatAsanaAskedFor(t *testing.T) {
	for _, tc := range []struct {
		header, want string
		overLong     bool
	}{
		{"1000000000000", "Asana asked to wait more than 7 days", true},
		{"604801", "Asana asked to wait more than 7 days", true},
		{"Fri, 31 Dec 9999 23:59:59 GMT", "Asana asked to wait more than 7 days", true},
		{"604800", "Asana asked to wait 168h0m0s", false},
		{"3600", "Asana asked to wait 1h0m0s", false},
	} {
		t.Run(tc.header, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t)
				h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
					return tooMany(tc.header), nil
				})
				_, err := h.client.Me(context.Background())
				if !errors.Is(err, asana.ErrWaitTooLong) || !strings.Contains(err.Error(), tc.want+",") {
					t.Errorf("err = %v, want ErrWaitTooLong saying %q", err, tc.want)
				}
				if !tc.overLong {
					return
				}
				time.Sleep(time.Minute)
				_, err = h.client.Me(context.Background())
				if !errors.Is(err, asana.ErrWaitTooLong) || !strings.Contains(err.Error(), tc.want+",") {
					t.Errorf("a request that meets the pause: err = %v, want ErrWaitTooLong saying %q", err, tc.want)
				}
				if n := h.mock.GetTotalCallCount(); n != 1 {
					t.Errorf("%d requests sent, want 1: the second meets the pause", n)
				}
			})
		})
	}
}

// An answer that echoes the request's headers back carries the token; the
// client keeps none of it, in any form, in anything it returns or logs.
func TestError_holdsNoTokenEchoedInTheAnswer(t *testing.T) {
	tok := pat
	bearer := "Authorization: Bearer " + tok
	cutAt := strings.Index(tok, ":") + 6 // inside the secret part
	// The token with its colon spelled \u003a: the raw body holds the
	// secret part as it is.
	colonEscaped := strings.Replace(tok, ":", `\u003a`, 1)
	html := func(title string) string {
		return `<!DOCTYPE html><html><head><title>` + title + `</title></head><body><h1>` + title +
			`</h1><pre>GET /api/1.0/users/me HTTP/1.1
Host: app.asana.com
` + bearer + `
Accept: application/json</pre></body></html>`
	}
	cut := func(status int, body string) func() *http.Response {
		return func() *http.Response {
			r := httpmock.NewStringResponse(status, "")
			r.Body = io.NopCloser(io.MultiReader(strings.NewReader(body), errReader{io.ErrUnexpectedEOF}))
			return r
		}
	}
	text := func(status int, body string) func() *http.Response {
		return func() *http.Response { return httpmock.NewStringResponse(status, body) }
	}
	tests := []struct {
		name     string
		resp     func() *http.Response
		sentinel error // nil: no sentinel
	}{
		{"401 message and help", text(401, `{"errors":[{"message":"Not Authorized: `+bearer+`","help":"token `+tok+` was revoked"}]}`), asana.ErrUnauthorized},
		{"403 message", text(403, `{"errors":[{"message":"`+bearer+` may not see this"}]}`), asana.ErrForbidden},
		{"500 phrase", text(500, `{"errors":[{"message":"Server Error","phrase":"6 sad squid `+tok+`"}]}`), nil},
		{"200 HTML", text(200, html("Sign in")), asana.ErrMalformedResponse},
		{"502 HTML", text(502, html("502 Bad Gateway")), nil},
		{"403 HTML, token across the excerpt's end", text(403, `<html><body>`+strings.Repeat("x", 82)+" "+bearer+`</body></html>`), asana.ErrForbidden},
		{"200 body cut inside the token", cut(200, `{"data":{"gid":"1","name":"`+bearer[:len(bearer)-len(tok)+cutAt]), asana.ErrMalformedResponse},
		{"500 body cut inside the token", cut(500, `proxy error; request was `+bearer[:len(bearer)-len(tok)+cutAt]), nil},
		{"401 message, JSON-escaped slashes", text(401, `{"errors":[{"message":"`+strings.ReplaceAll(bearer, "/", `\/`)+`"}]}`), asana.ErrUnauthorized},
		{"401 message, every character JSON-escaped", text(401, `{"errors":[{"message":"Authorization: Bearer `+jsonUnicodeEscape(tok)+`"}]}`), asana.ErrUnauthorized},
		{"401 message, colon JSON-escaped", text(401, `{"errors":[{"message":"Authorization: Bearer `+colonEscaped+`"}]}`), asana.ErrUnauthorized},
		{"200 errors body, colon JSON-escaped", text(200, `{"errors":[{"message":"Bearer `+colonEscaped+`"}]}`), asana.ErrMalformedResponse},
		{"200 errors body, slashes and colon JSON-escaped", text(200, `{"errors":[{"message":"Bearer `+strings.ReplaceAll(colonEscaped, "/", `\/`)+`"}]}`), asana.ErrMalformedResponse},
		{"502 gateway JSON, colon JSON-escaped", text(502, `{"error":"bad gateway","request_headers":{"Authorization":"Bearer `+colonEscaped+`"}}`), nil},
		{"502 gateway JSON, digits JSON-escaped", text(502, `{"error":"bad gateway","auth":"Bearer `+strings.ReplaceAll(tok, "2", `\u0032`)+`"}`), nil},
		{"200 errors body, every character JSON-escaped", text(200, `{"errors":[{"message":"`+jsonUnicodeEscape(tok)+`"}]}`), asana.ErrMalformedResponse},
		{"200 body cut inside an escape in the token", cut(200, `{"data":{"name":"Bearer `+colonEscaped[:strings.Index(colonEscaped, `\u003a`)+4]), asana.ErrMalformedResponse},
		{"200 body cut after an escape in the token", cut(200, `{"data":{"name":"Bearer `+colonEscaped[:strings.Index(colonEscaped, `\u003a`)+9]), asana.ErrMalformedResponse},
		{"404 URL-escaped colon only", text(404, `<p>GET /users/me?t=`+strings.Replace(tok, ":", "%3A", 1)+`</p>`), asana.ErrNotFound},
		{"404 URL-escaped", text(404, `<p>GET /users/me?access_token=`+strings.NewReplacer("/", "%2F", ":", "%3A").Replace(tok)+`</p>`), asana.ErrNotFound},
	}
	// Bodies that end inside the token hold no whole secret to remove.
	cutShort := map[string]bool{"200 body cut inside the token": true, "500 body cut inside the token": true,
		"200 body cut inside an escape in the token": true, "200 body cut after an escape in the token": true}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessWithToken(t, tok, asana.WithMaxRetries(1))
			h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(req *http.Request) (*http.Response, error) {
				if got := req.Header.Get("Authorization"); got != "Bearer "+tok {
					t.Errorf("Authorization header %q, want the bearer token", got)
				}
				return tc.resp(), nil
			})
			_, err := h.client.Me(context.Background())
			var ae *asana.Error
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v (%T), want *asana.Error", err, err)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.sentinel)
			}
			kept := map[string]string{
				"Error()":  err.Error(),
				"%+v":      fmt.Sprintf("%+v", err),
				"%#v":      fmt.Sprintf("%#v", *ae),
				"Excerpt":  ae.Excerpt,
				"Method":   ae.Method,
				"Path":     ae.Path,
				"log":      h.logs.String(),
				"Err":      fmt.Sprint(ae.Err),
				"Unwrap()": fmt.Sprint(errors.Unwrap(err)),
			}
			for i, d := range ae.Errors {
				kept[fmt.Sprintf("Errors[%d]", i)] = d.Message + "\n" + d.Help + "\n" + d.Phrase
			}
			for what, s := range kept {
				if piece := leaked(s, tok); piece != "" {
					t.Errorf("%s holds %q of the token:\n%s", what, piece, s)
				}
			}
			if !cutShort[tc.name] && !strings.Contains(err.Error(), "[redacted]") {
				t.Errorf("error %q does not show where the token was removed", err)
			}
		})
	}
}

// Looking through escapes for the token keeps Asana's error JSON readable:
// its message, quotes and all, is still read as Asana's message.
func TestError_redactionKeepsAsanasErrorJSON(t *testing.T) {
	tok := pat
	h := newHarnessWithToken(t, tok)
	escaped := strings.Replace(tok, ":", `\u003a`, 1)
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(401,
		`{"errors":[{"message":"token \u0022`+escaped+`\u0022 revoked\nline two","help":"see \/docs"}]}`))
	_, err := h.client.Me(context.Background())
	var ae *asana.Error
	if !errors.As(err, &ae) || !errors.Is(err, asana.ErrUnauthorized) {
		t.Fatalf("err = %v, want a 401 *asana.Error", err)
	}
	want := []asana.ErrorDetail{{Message: "token \"[redacted]\" revoked\nline two", Help: "see /docs"}}
	if fmt.Sprint(ae.Errors) != fmt.Sprint(want) || ae.Excerpt != "" {
		t.Errorf("Errors = %q, Excerpt = %q; want %q and no excerpt", ae.Errors, ae.Excerpt, want)
	}
}

// Every 2xx whose body is not what was asked for is ErrMalformedResponse,
// not only a 200.
func TestError_Is_every2xxWithABadBodyIsMalformed(t *testing.T) {
	for _, status := range []int{200, 201, 203, 206, 299} {
		h := newHarness(t, asana.WithMaxRetries(0))
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(status, `<html><body>Sign in</body></html>`))
		_, err := h.client.Me(context.Background())
		var ae *asana.Error
		if !errors.As(err, &ae) || ae.StatusCode != status || !errors.Is(err, asana.ErrMalformedResponse) {
			t.Errorf("%d with HTML: err = %v, want ErrMalformedResponse with status %d", status, err, status)
		}
	}
}

// A '>' outside a tag is text, and the excerpt keeps it.
func TestError_Excerpt_keepsAGreaterThanOutsideTags(t *testing.T) {
	for body, want := range map[string]string{
		"upstream latency > 30s":            "upstream latency > 30s",
		"<p>load > 90%</p><p>try later</p>": "load > 90% try later",
		"a->b":                              "a->b",
	} {
		h := newHarness(t, asana.WithMaxRetries(0))
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(502, body))
		_, err := h.client.Me(context.Background())
		var ae *asana.Error
		if !errors.As(err, &ae) || ae.Excerpt != want {
			t.Errorf("body %q: err = %v, want the excerpt %q", body, err, want)
		}
	}
}

// A 401, 402, 403 or 404 answer is an *Error that matches its sentinel and
// no other, says what it means in words, keeps Asana's message and names the
// method and path but not the query; a 400 matches no sentinel; none of them
// is retried and none shows the token.
func TestError_Is_statusesAndSentinels(t *testing.T) {
	tests := []struct {
		status   int
		body     string
		sentinel error
		wantText []string
	}{
		{401, `{"errors":[{"message":"Not Authorized","help":"For more information on API status codes…"}]}`, asana.ErrUnauthorized,
			[]string{"GET /users/me", "401", "token is wrong or revoked", "Not Authorized"}},
		{402, `{"errors":[{"message":"Payment Required"}]}`, asana.ErrPaymentRequired,
			[]string{"402", "Goals need a paid Asana plan"}},
		{403, `{"errors":[{"message":"Forbidden"}]}`, asana.ErrForbidden, []string{"403", "no access"}},
		{404, `{"errors":[{"message":"user: Unknown object: 1"}]}`, asana.ErrNotFound, []string{"404", "Unknown object"}},
		{400, `{"errors":[{"message":"workspace: Missing input"}]}`, nil, []string{"400 Bad Request", "workspace: Missing input"}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			h := newHarness(t)
			h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(tc.status, tc.body))
			_, err := h.client.Me(context.Background())
			var ae *asana.Error
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v (%T), want *asana.Error", err, err)
			}
			if ae.StatusCode != tc.status || ae.Method != "GET" || ae.Path != "/users/me" {
				t.Errorf("Error fields = %d %s %s", ae.StatusCode, ae.Method, ae.Path)
			}
			if len(ae.Errors) != 1 {
				t.Errorf("Asana error details = %+v, want one", ae.Errors)
			}
			for _, s := range []error{asana.ErrUnauthorized, asana.ErrPaymentRequired, asana.ErrForbidden, asana.ErrNotFound, asana.ErrRateLimited} {
				if got, want := errors.Is(err, s), s == tc.sentinel; got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", s, got, want)
				}
			}
			for _, w := range tc.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "opt_fields") {
				t.Errorf("error %q leaks the query string", err)
			}
			if n := h.mock.GetTotalCallCount(); n != 1 {
				t.Errorf("%d requests, want 1: a %d must not be retried", n, tc.status)
			}
			checkNoToken(t, err)
		})
	}
}

// A 5xx that outlasts its retries keeps the phrase Asana gives to find the
// failure in its logs, and the error counts the attempts made.
func TestError_keepsTheServerErrorsPhrase(t *testing.T) {
	h := newHarness(t, asana.WithMaxRetries(1))
	h.mock.RegisterResponder("GET", apiRoot+"/goals/5", httpmock.NewStringResponder(500,
		`{"errors":[{"message":"Server Error","phrase":"6 sad squid snuggle softly"}]}`))
	_, err := h.client.Goal(context.Background(), "5")
	var ae *asana.Error
	if !errors.As(err, &ae) || ae.StatusCode != 500 || ae.Errors[0].Phrase != "6 sad squid snuggle softly" {
		t.Fatalf("err = %#v", err)
	}
	if ae.Attempts != 2 || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("attempts = %d, error %q; want 2", ae.Attempts, err)
	}
}

// An answer that is not the JSON expected (an HTML page, the wrong shape, a
// wrong field type, no "data", a body cut short) is an error that says what
// was wrong with a short excerpt of the body; under a 2xx it is
// ErrMalformedResponse, never a success.
func TestError_nonJSONBodies(t *testing.T) {
	html := `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad   Gateway</h1>` +
		strings.Repeat("padding ", 100) + `</body></html>`
	tests := []struct {
		name     string
		status   int
		resp     func() *http.Response
		sentinel error
		want     []string
	}{
		{"html error page", 403, func() *http.Response { return httpmock.NewStringResponse(403, html) }, asana.ErrForbidden,
			[]string{"GET /goals/5", "403", "502 Bad Gateway Bad Gateway padding"}},
		{"html with 200", 200, func() *http.Response { return httpmock.NewStringResponse(200, html) }, asana.ErrMalformedResponse,
			[]string{"GET /goals/5", "200", "not valid JSON", "Bad Gateway"}},
		{"wrong JSON shape", 200, func() *http.Response { return httpmock.NewStringResponse(200, `{"data":[1,2]}`) }, asana.ErrMalformedResponse,
			[]string{"GET /goals/5", `"data" is not an object`, "after 3 attempts"}},
		{"wrong field type", 200, func() *http.Response { return httpmock.NewStringResponse(200, `{"data":{"gid":5}}`) }, asana.ErrMalformedResponse,
			[]string{"GET /goals/5", "decoding JSON"}},
		{"no data", 200, func() *http.Response { return httpmock.NewStringResponse(200, `{"errors":[{"message":"x"}]}`) }, asana.ErrMalformedResponse,
			[]string{"GET /goals/5", `no "data" object`, "after 3 attempts"}},
		{"truncated body", 200, func() *http.Response {
			r := httpmock.NewStringResponse(200, "")
			r.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"data":{"gid":"5","na`), errReader{io.ErrUnexpectedEOF}))
			return r
		}, asana.ErrMalformedResponse, []string{"GET /goals/5", "body cut short", "unexpected EOF"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, asana.WithMaxRetries(2))
			h.mock.RegisterResponder("GET", apiRoot+"/goals/5", func(*http.Request) (*http.Response, error) { return tc.resp(), nil })
			_, err := h.client.Goal(context.Background(), "5")
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want errors.Is %v", err, tc.sentinel)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if len(err.Error()) > 600 {
				t.Errorf("error is %d bytes long; the excerpt must be short: %q", len(err.Error()), err)
			}
		})
	}
}
