package asana_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcopilot/asanagoals/internal/syncbuf"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
)

const (
	testToken = "1/1234567890:supersecrettokenvalue"
	apiRoot   = "https://app.asana.com/api/1.0"
)

// harness is a client wired to an httpmock transport, with its log captured
// so tests can check the token never reaches it.
type harness struct {
	client *asana.Client
	mock   *httpmock.MockTransport
	logs   *syncbuf.Buffer
}

func newHarness(t *testing.T, opts ...asana.Option) *harness {
	t.Helper()
	return newHarnessWithToken(t, testToken, opts...)
}

// newHarnessWithToken is newHarness for a client of the given token; the
// log check looks for that token.
func newHarnessWithToken(t *testing.T, token string, opts ...asana.Option) *harness {
	t.Helper()
	mock := httpmock.NewMockTransport()
	logs := &syncbuf.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	base := []asana.Option{
		asana.WithHTTPClient(&http.Client{Transport: mock}),
		asana.WithLogger(logger),
		asana.WithRetryWait(time.Millisecond, 5*time.Millisecond),
		asana.WithRequestsPerMinute(600_000),
	}
	c, err := asana.NewClient(token, append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	h := &harness{client: c, mock: mock, logs: logs}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), "supersecret") {
			t.Errorf("log output contains the token:\n%s", logs.String())
		}
	})
	return h
}

// checkNoToken fails the test when err's text holds the token.
func checkNoToken(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), "supersecret") {
		t.Fatalf("error contains the token: %v", err)
	}
}

// requireAuth wraps a responder so a request without the bearer token fails.
func requireAuth(t *testing.T, r httpmock.Responder) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		if got := req.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("%s %s: Authorization header %q, want the bearer token", req.Method, req.URL.Path, got)
		}
		return r(req)
	}
}

func goalsPage(gids []string, next string) string {
	items := make([]string, len(gids))
	for i, g := range gids {
		items[i] = fmt.Sprintf(`{"gid":%q,"resource_type":"goal","name":"Goal %s","owner":{"gid":"77","name":"Ada"}}`, g, g)
	}
	np := "null"
	if next != "" {
		np = fmt.Sprintf(`{"offset":%q,"path":"/goals?offset=%s","uri":"x"}`, next, next)
	}
	return fmt.Sprintf(`{"data":[%s],"next_page":%s}`, strings.Join(items, ","), np)
}

func jsonResponse(status int, body string) *http.Response {
	r := httpmock.NewStringResponse(status, body)
	r.Header.Set("Content-Type", "application/json")
	return r
}

func collectGoals(t *testing.T, c *asana.Client, ctx context.Context, ws string) ([]string, error) {
	t.Helper()
	var gids []string
	for g, err := range c.Goals(ctx, asana.ListGoalsOptions{Workspace: ws}) {
		if err != nil {
			return gids, err
		}
		gids = append(gids, g.GID)
	}
	return gids, nil
}

// NewClient refuses each bad setting (empty or white-space token, plain http
// off loopback, another scheme, a relative or query-carrying base URL, rates,
// in-flight, retries and waits out of range, a nil HTTP client) with a message
// naming it, and never shows the token.
func TestNewClient_validatesSettings(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		opts    []asana.Option
		wantErr string
	}{
		{"empty token", "", nil, "empty access token"},
		{"blank token", "   ", nil, "empty access token"},
		{"token with newline", "abc\ndef", nil, "white space"},
		{"http to remote host", testToken, []asana.Option{asana.WithBaseURL("http://app.asana.com/api/1.0")}, "plain http"},
		{"http to private address", testToken, []asana.Option{asana.WithBaseURL("http://10.0.0.5/api")}, "plain http"},
		{"ftp scheme", testToken, []asana.Option{asana.WithBaseURL("ftp://example.com")}, "scheme must be https"},
		{"relative URL", testToken, []asana.Option{asana.WithBaseURL("/api/1.0")}, "not an absolute URL"},
		{"query in base", testToken, []asana.Option{asana.WithBaseURL("https://example.com/api?x=1")}, "must not carry"},
		{"zero rate", testToken, []asana.Option{asana.WithRequestsPerMinute(0)}, "requests per minute"},
		{"too many in flight", testToken, []asana.Option{asana.WithMaxInFlight(51)}, "max in flight must be 1..50"},
		{"zero in flight", testToken, []asana.Option{asana.WithMaxInFlight(0)}, "max in flight"},
		{"negative retries", testToken, []asana.Option{asana.WithMaxRetries(-1)}, "max retries"},
		{"nil http client", testToken, []asana.Option{asana.WithHTTPClient(nil)}, "nil *http.Client"},
		{"bad retry wait", testToken, []asana.Option{asana.WithRetryWait(time.Second, time.Millisecond)}, "retry wait"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := asana.NewClient(tc.token, tc.opts...)
			if err == nil {
				t.Fatalf("NewClient succeeded (%v), want error containing %q", c, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			checkNoToken(t, err)
		})
	}
}

// Plain http is allowed to a loopback host (127.0.0.1, localhost, ::1), so
// tests and local fakes work; https is allowed anywhere.
func TestNewClient_allowsHTTPToLoopback(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1/api", "http://[::1]:9/x", "https://example.com/api/1.0"} {
		if _, err := asana.NewClient(testToken, asana.WithBaseURL(u)); err != nil {
			t.Errorf("NewClient(%q): %v", u, err)
		}
	}
}

// No refusal of a base URL shows its credentials: whichever check refuses
// it (not absolute, plain http off loopback, another scheme, credentials),
// the message shows neither the user name nor the password, whether the
// password is written raw, percent-escaped or escaped in upper case, and
// whatever the case of the scheme.
func TestNewClient_baseURLRefusalsNeverShowCredentials(t *testing.T) {
	const user = "tokenuser"
	passwords := []struct{ form, pw string }{
		{"raw", "s3cr3t!pw"},
		{"escaped", "s3cr3t%21pw"},
		{"upper-case", "S3CR3T%21PW"},
		{"raw with an @", "s3cr3t@pw"},
		{"escaped slash", "s3cr3t%2fpw"},
	}
	for _, tc := range []struct {
		name, url, want string
	}{
		{"no scheme", "USERINFO@app.asana.com/api/1.0", "not an absolute URL"},
		{"one slash", "https:/USERINFO@app.asana.com/api/1.0", "not an absolute URL"},
		{"bad port", "https://USERINFO@app.asana.com:port/api/1.0", "not an absolute URL"},
		{"space in the host", "https://USERINFO@app asana.com/api/1.0", "not an absolute URL"},
		{"plain http", "http://USERINFO@asana.example.com/api/1.0", "plain http is only allowed to a loopback address"},
		{"plain http in upper case", "HTTP://USERINFO@asana.example.com/api/1.0", "plain http is only allowed to a loopback address"},
		{"another scheme", "ftp://USERINFO@app.asana.com/api/1.0", "scheme must be https"},
		{"credentials", "https://USERINFO@app.asana.com/api/1.0", "must not carry a query, fragment or credentials"},
		{"credentials in upper case", "HTTPS://USERINFO@APP.ASANA.COM/api/1.0", "must not carry a query, fragment or credentials"},
		{"credentials on loopback", "http://USERINFO@127.0.0.1:8080/api/1.0", "must not carry a query, fragment or credentials"},
		{"credentials and a query", "https://USERINFO@app.asana.com/api/1.0?x=1", "must not carry a query, fragment or credentials"},
	} {
		for _, p := range passwords {
			t.Run(tc.name+"/"+p.form, func(t *testing.T) {
				u := strings.Replace(tc.url, "USERINFO", user+":"+p.pw, 1)
				_, err := asana.NewClient(testToken, asana.WithBaseURL(u))
				if err == nil {
					t.Fatalf("NewClient(%q) succeeded, want an error containing %q", u, tc.want)
				}
				msg := err.Error()
				if !strings.Contains(msg, tc.want) {
					t.Errorf("error %q does not contain %q: not the check this case is for", msg, tc.want)
				}
				lower := strings.ToLower(msg)
				for _, secret := range []string{user, "s3cr3t", "cr3t", "!pw", "%21pw", "%2fpw"} {
					if strings.Contains(lower, secret) {
						t.Errorf("error %q shows the credentials (%q)", msg, secret)
					}
				}
				if !strings.Contains(msg, "xxxxx@") {
					t.Errorf("error %q does not show where the credentials were", msg)
				}
			})
		}
	}
	// A URL without credentials is shown whole.
	_, err := asana.NewClient(testToken, asana.WithBaseURL("ftp://app.asana.com/api/1.0"))
	if err == nil || !strings.Contains(err.Error(), `"ftp://app.asana.com/api/1.0"`) {
		t.Errorf("error %v does not show the URL", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// A 5xx, a connection error, a truncated body and malformed JSON are
// transient: the request is retried until it succeeds, each retry is counted
// in Stats and logged.
func TestClient_retriesTransientFailures(t *testing.T) {
	tests := []struct {
		name  string
		fails []func() (*http.Response, error)
	}{
		{"5xx", []func() (*http.Response, error){
			func() (*http.Response, error) { return jsonResponse(503, `{"errors":[{"message":"down"}]}`), nil },
			func() (*http.Response, error) {
				return jsonResponse(500, `{"errors":[{"message":"oops","phrase":"x"}]}`), nil
			},
		}},
		{"connection error", []func() (*http.Response, error){
			func() (*http.Response, error) { return nil, errors.New("connection reset by peer") },
		}},
		{"truncated body", []func() (*http.Response, error){
			func() (*http.Response, error) {
				r := httpmock.NewStringResponse(200, "")
				r.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"data":`), errReader{io.ErrUnexpectedEOF}))
				return r, nil
			},
		}},
		{"malformed JSON", []func() (*http.Response, error){
			func() (*http.Response, error) { return httpmock.NewStringResponse(200, `{"data":{"gid":`), nil },
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var n atomic.Int32
			h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
				i := int(n.Add(1)) - 1
				if i < len(tc.fails) {
					return tc.fails[i]()
				}
				return jsonResponse(200, `{"data":{"gid":"42","name":"Ada","email":"ada@example.com"}}`), nil
			})
			u, err := h.client.Me(context.Background())
			if err != nil {
				t.Fatalf("Me: %v", err)
			}
			if u.GID != "42" || u.Email != "ada@example.com" {
				t.Errorf("user = %+v", u)
			}
			want := int64(len(tc.fails))
			if s := h.client.Stats(); s.Retries != want || s.Requests != want+1 {
				t.Errorf("stats = %+v, want %d retries", s, want)
			}
			if !strings.Contains(h.logs.String(), "retrying request") {
				t.Errorf("retry not logged: %s", h.logs.String())
			}
		})
	}
}

// After WithMaxRetries retries a failing request gives up (1 + N requests),
// and its error names the method and path but not the URL or its query.
func TestClient_retriesGiveUp(t *testing.T) {
	h := newHarness(t, asana.WithMaxRetries(2))
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewErrorResponder(errors.New("dial tcp: connection refused")))
	_, err := h.client.Me(context.Background())
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "GET /users/me") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "opt_fields") || strings.Contains(err.Error(), "app.asana.com") {
		t.Errorf("error %q carries the URL; it must name only the path", err)
	}
	if n := h.mock.GetTotalCallCount(); n != 3 {
		t.Errorf("requests = %d, want 3 (1 + 2 retries)", n)
	}
}

// A redirect to plain http is refused, not followed and not retried, so the
// token is never sent in clear.
func TestClient_redirectToPlainHTTPIsRefused(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(http.StatusFound, "")
		r.Header.Set("Location", "http://app.asana.com/api/1.0/users/me")
		return r, nil
	})
	var leaked atomic.Int32
	h.mock.RegisterResponder("GET", "http://app.asana.com/api/1.0/users/me", func(*http.Request) (*http.Response, error) {
		leaked.Add(1)
		return jsonResponse(200, `{"data":{"gid":"1"}}`), nil
	})
	_, err := h.client.Me(context.Background())
	if err == nil || !strings.Contains(err.Error(), "refusing a redirect to plain http") {
		t.Fatalf("err = %v, want the redirect refused", err)
	}
	if leaked.Load() != 0 {
		t.Error("the token was sent over plain http")
	}
	if n := h.mock.GetTotalCallCount(); n != 1 {
		t.Errorf("%d requests; a refused redirect must not be retried", n)
	}
	checkNoToken(t, err)
}

// A Client printed with any verb or logged with slog shows "redacted", never
// its token.
func TestClient_String_hidesTheToken(t *testing.T) {
	h := newHarness(t)
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(format, h.client); strings.Contains(s, "supersecret") || !strings.Contains(s, "redacted") {
			t.Errorf("Sprintf(%q, client) = %s", format, s)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("client", "c", h.client)
	if strings.Contains(buf.String(), "supersecret") {
		t.Errorf("slog output leaks the token: %s", buf.String())
	}
}

// CloseIdleConnections reaches the transport of the HTTP client the Client
// was given, under the client's gate: a program done with the client lets
// go of its idle connections. It closes nothing else: the client stays
// usable, and the next request is sent and answered.
func TestClient_CloseIdleConnections(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(200, `{"data":{"gid":"1"}}`))
	tr := &idleCounter{RoundTripper: mock}
	h := newHarness(t, asana.WithHTTPClient(&http.Client{Transport: tr}))
	h.client.CloseIdleConnections()
	if tr.closed != 1 {
		t.Errorf("the transport's CloseIdleConnections was called %d times, want once", tr.closed)
	}
	if _, err := h.client.Me(context.Background()); err != nil {
		t.Fatalf("Me after CloseIdleConnections: %v", err)
	}
}

// idleCounter counts the calls of its CloseIdleConnections.
type idleCounter struct {
	http.RoundTripper
	closed int
}

func (t *idleCounter) CloseIdleConnections() { t.closed++ }

// Stats.Sub gives what happened between two snapshots, so that a second
// sync on one client counts its own requests and retries, not the first
// sync's too; the rate and the pause in force are the newer snapshot's.
func TestStats_Sub(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		fails := 0 // 500s still to answer before a 200
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			if fails > 0 {
				fails--
				return jsonResponse(500, `{"errors":[{"message":"Server Error"}]}`), nil
			}
			return jsonResponse(200, `{"data":{"gid":"1"}}`), nil
		})
		run := func(retries int) asana.Stats {
			before := h.client.Stats()
			fails = retries
			if _, err := h.client.Me(context.Background()); err != nil {
				t.Fatal(err)
			}
			return h.client.Stats().Sub(before)
		}
		if d := run(2); d.Requests != 3 || d.Retries != 2 {
			t.Errorf("first sync: %d requests, %d retries; want 3 and 2", d.Requests, d.Retries)
		}
		if d := run(1); d.Requests != 2 || d.Retries != 1 {
			t.Errorf("second sync: %d requests, %d retries; want 2 and 1: its own alone", d.Requests, d.Retries)
		}
	})
	newer := asana.Stats{Requests: 10, Retries: 4, RateLimited: 3, RateLimitWait: 9 * time.Second, RequestsPerMinute: 700, Paused: 2 * time.Second, Pauses: 5 * time.Second}
	older := asana.Stats{Requests: 6, Retries: 1, RateLimited: 1, RateLimitWait: 4 * time.Second, RequestsPerMinute: 1485, Paused: time.Second, Pauses: 3 * time.Second}
	want := asana.Stats{Requests: 4, Retries: 3, RateLimited: 2, RateLimitWait: 5 * time.Second, RequestsPerMinute: 700, Paused: 2 * time.Second, Pauses: 2 * time.Second}
	if got := newer.Sub(older); got != want {
		t.Errorf("Sub = %+v, want %+v", got, want)
	}
}

// A token with a space or a base URL carrying credentials is refused when
// the client is made, and the refusal never repeats a password.
func TestNewClient_refusesSpacedTokensAndCredentialsInTheBaseURL(t *testing.T) {
	for _, tc := range []struct {
		name, token, base, wantErr string
	}{
		{"token with a space", "1/123 secret", "", "white space"},
		{"token with a tab", "1/123\tsecret", "", "white space"},
		{"base URL with user and password", testToken, "https://ada:hunter2@example.com/api", "credentials"},
		{"base URL with a user", testToken, "https://ada@example.com/api", "credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []asana.Option
			if tc.base != "" {
				opts = append(opts, asana.WithBaseURL(tc.base))
			}
			c, err := asana.NewClient(tc.token, opts...)
			if err == nil {
				t.Fatalf("NewClient succeeded (%v), want an error containing %q", c, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q repeats a secret", err)
			}
		})
	}
}
