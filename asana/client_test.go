package asana_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
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

func TestNewClientValidatesSettings(t *testing.T) {
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

func TestNewClientAllowsHTTPToLoopback(t *testing.T) {
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
func TestBaseURLRefusalsNeverShowCredentials(t *testing.T) {
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

func TestGoalsPaginatesAndAsksForFields(t *testing.T) {
	h := newHarness(t)
	var offsets []string
	h.mock.RegisterResponder("GET", apiRoot+"/goals", requireAuth(t, func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		if q.Get("workspace") != "1001" {
			t.Errorf("workspace = %q, want 1001", q.Get("workspace"))
		}
		if q.Get("limit") != "100" {
			t.Errorf("limit = %q, want 100", q.Get("limit"))
		}
		// Exactly the fields the library reads: none it would not use
		// (precision, display values, owner names), none it needs missing.
		fields := strings.Split(q.Get("opt_fields"), ",")
		want := []string{"name", "html_notes", "due_on", "start_on", "status", "owner",
			"current_status_update.status_type", "metric.unit", "metric.currency_code",
			"metric.initial_number_value", "metric.target_number_value", "metric.current_number_value",
			"time_period", "time_period.display_name", "time_period.period", "time_period.start_on", "time_period.end_on"}
		if !slices.Equal(fields, want) {
			t.Errorf("opt_fields = %q, want %q", fields, want)
		}
		off := q.Get("offset")
		offsets = append(offsets, off)
		switch off {
		case "":
			return jsonResponse(200, goalsPage([]string{"1", "2"}, "tokA")), nil
		case "tokA":
			// An empty page that still points on must not end the scan.
			return jsonResponse(200, goalsPage(nil, "tokB")), nil
		case "tokB":
			return jsonResponse(200, goalsPage([]string{"3"}, "")), nil
		}
		t.Errorf("unexpected offset %q", off)
		return jsonResponse(400, `{"errors":[{"message":"bad offset"}]}`), nil
	}))
	gids, err := collectGoals(t, h.client, context.Background(), "1001")
	if err != nil {
		t.Fatalf("Goals: %v", err)
	}
	if got, want := strings.Join(gids, ","), "1,2,3"; got != want {
		t.Errorf("goals = %s, want %s", got, want)
	}
	if got, want := strings.Join(offsets, ","), ",tokA,tokB"; got != want {
		t.Errorf("offsets requested = %q, want %q", got, want)
	}
	if s := h.client.Stats(); s.Requests != 3 || s.Retries != 0 {
		t.Errorf("stats = %+v, want 3 requests and no retries", s)
	}
}

func TestGoalsDecodesFields(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals", httpmock.NewStringResponder(200, `{"data":[
		{"gid":"5","resource_type":"goal","name":"Grow","html_notes":"<body>x</body>","due_on":"2026-12-31","start_on":null,
		 "owner":{"gid":"77","resource_type":"user","name":"Ada"},
		 "current_status_update":{"gid":"9","resource_type":"status_update","status_type":"at_risk"},
		 "metric":{"gid":"m","unit":"percentage","initial_number_value":0,"target_number_value":1,"current_number_value":0.4,"progress_source":"manual"},
		 "some_future_field":{"nested":[1,2,3]}},
		{"gid":"6","name":"Ownerless","owner":null,"current_status_update":null,"metric":null,"due_on":null}
	],"next_page":null}`))
	var got []asana.Goal
	for g, err := range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1"}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, g)
	}
	if len(got) != 2 {
		t.Fatalf("got %d goals, want 2", len(got))
	}
	g := got[0]
	if g.Name != "Grow" || g.HTMLNotes != "<body>x</body>" || g.DueOn.String() != "2026-12-31" || !g.StartOn.IsZero() {
		t.Errorf("goal fields wrong: %+v", g)
	}
	if g.OwnerGID() != "77" || g.Owner.Name != "Ada" || g.StatusType() != "at_risk" {
		t.Errorf("owner/status wrong: %+v %+v", g.Owner, g.CurrentStatusUpdate)
	}
	if g.Metric == nil || g.Metric.CurrentNumberValue != 0.4 || g.Metric.TargetNumberValue != 1 || g.Metric.Unit != "percentage" {
		t.Errorf("metric wrong: %+v", g.Metric)
	}
	o := got[1]
	if o.OwnerGID() != "" || o.StatusType() != "" || o.Metric != nil || !o.DueOn.IsZero() {
		t.Errorf("nulls not kept as absent: %+v", o)
	}
}

func TestGoalsRepeatedOffsetIsAnError(t *testing.T) {
	h := newHarness(t)
	var calls atomic.Int32
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
		if calls.Add(1) > 10 {
			t.Fatal("client keeps following a looping offset")
		}
		return jsonResponse(200, goalsPage([]string{"1"}, "same")), nil
	})
	_, err := collectGoals(t, h.client, context.Background(), "1")
	if err == nil || !strings.Contains(err.Error(), "offset token returned twice") {
		t.Fatalf("err = %v, want repeated-offset error", err)
	}
	if !errors.Is(err, asana.ErrMalformedResponse) {
		t.Errorf("errors.Is(err, ErrMalformedResponse) = false for %v", err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("requests = %d, want 2 (first page, then the repeated offset)", n)
	}
}

func TestGoalsRequiresWorkspaceWithoutRequest(t *testing.T) {
	h := newHarness(t)
	_, err := collectGoals(t, h.client, context.Background(), " ")
	if err == nil || !strings.Contains(err.Error(), "Workspace is required") {
		t.Fatalf("err = %v, want workspace-required error", err)
	}
	if n := h.mock.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests made, want none", n)
	}
}

func TestStoppingTheRangeStopsTheScan(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
		return jsonResponse(200, goalsPage([]string{"1", "2"}, "next-"+req.URL.Query().Get("offset"))), nil
	})
	for range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1"}) {
		break
	}
	// The range returns only once the page asked for ahead has ended, so
	// nothing is sent after it: the first page, and at most the next.
	n := h.mock.GetTotalCallCount()
	if n < 1 || n > 2 {
		t.Errorf("%d requests, want the first page and at most the one asked for ahead", n)
	}
	runtime.Gosched()
	if again := h.mock.GetTotalCallCount(); again != n {
		t.Errorf("%d requests after the range returned, then %d", n, again)
	}
}

func TestErrorStatusesAndSentinels(t *testing.T) {
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

func TestServerErrorKeepsPhrase(t *testing.T) {
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

func TestNonJSONBodies(t *testing.T) {
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

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestRetriesTransientFailures(t *testing.T) {
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

func TestRetriesGiveUp(t *testing.T) {
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

func TestRateLimitedAfterRetries(t *testing.T) {
	h := newHarness(t, asana.WithMaxRetries(1))
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
		r := jsonResponse(429, `{"errors":[{"message":"Too many"}]}`)
		r.Header.Set("Retry-After", "0.01")
		return r, nil
	})
	_, err := h.client.Me(context.Background())
	if !errors.Is(err, asana.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	var ae *asana.Error
	if errors.As(err, &ae) && ae.RetryAfter != 10*time.Millisecond {
		t.Errorf("RetryAfter = %s, want 10ms", ae.RetryAfter)
	}
	if s := h.client.Stats(); s.RateLimited != 2 {
		t.Errorf("429s counted = %d, want 2", s.RateLimited)
	}
}

// In virtual time the limiter's pace is exact: 600 a minute less 1% of
// headroom is one request every 1/9.9 s.
func TestRequestsPerMinuteIsEnforced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithRequestsPerMinute(600))
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(200, `{"data":{"gid":"1"}}`))
		start := time.Now()
		for range 100 {
			if _, err := h.client.Me(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		// The first request goes at once, the other 99 at 9.9 a second.
		if el, want := time.Since(start), 10*time.Second; el < want-time.Millisecond || el > want+time.Millisecond {
			t.Errorf("100 requests at 594/min took %s, want %s", el, want)
		}
		if w := h.client.Stats().RateLimitWait; w < 9*time.Second {
			t.Errorf("RateLimitWait = %s, want the limiter's waits counted", w)
		}
	})
}

func TestMaxInFlightIsEnforced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithMaxInFlight(3))
		var cur, peak atomic.Int32
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			n := cur.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(time.Second)
			cur.Add(-1)
			return jsonResponse(200, `{"data":{"gid":"1"}}`), nil
		})
		start := time.Now()
		runWorkers(t, h.client, 12, 1)
		if p := peak.Load(); p != 3 {
			t.Errorf("peak in flight = %d, want 3", p)
		}
		if el := time.Since(start); el < 4*time.Second {
			t.Errorf("12 one-second requests, 3 at a time, took %s, want at least 4s", el)
		}
	})
}

func TestContextCancelledMidPagination(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("offset") == "p2" {
			cancel()
			<-req.Context().Done()
			return nil, req.Context().Err()
		}
		return jsonResponse(200, goalsPage([]string{"1"}, "p2")), nil
	})
	gids, err := collectGoals(t, h.client, ctx, "1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(gids) != 1 {
		t.Errorf("goals before cancel = %v", gids)
	}
	if n := h.mock.GetTotalCallCount(); n != 2 {
		t.Errorf("requests = %d, want 2 (no retry after cancel)", n)
	}
}

func TestCancelledContextDuringRetryAfterPause(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
		r := jsonResponse(429, `{"errors":[{"message":"Too many"}]}`)
		r.Header.Set("Retry-After", "30")
		return r, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.client.Me(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("cancelled request returned after %s; it must not sit out the 30s pause", el)
	}
}

func TestSubgoalsAndRelationships(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals/10/subgoals", func(req *http.Request) (*http.Response, error) {
		if !strings.Contains(req.URL.Query().Get("opt_fields"), "current_status_update.status_type") {
			t.Errorf("subgoals opt_fields = %q", req.URL.Query().Get("opt_fields"))
		}
		if req.URL.Query().Get("offset") == "" {
			return jsonResponse(200, goalsPage([]string{"11"}, "o2")), nil
		}
		return jsonResponse(200, goalsPage([]string{"12"}, "")), nil
	})
	h.mock.RegisterResponder("GET", apiRoot+"/goal_relationships", func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		if q.Get("supported_goal") != "10" || q.Get("resource_subtype") != "subgoal" || q.Get("limit") != "100" {
			t.Errorf("goal_relationships query = %v", q)
		}
		// What the sync reads of a relationship, and nothing more.
		if f := q.Get("opt_fields"); f != "resource_subtype,supporting_resource" {
			t.Errorf("goal_relationships opt_fields = %q, want resource_subtype,supporting_resource", f)
		}
		return jsonResponse(200, `{"data":[{"gid":"r1","resource_type":"goal_relationship","resource_subtype":"subgoal",
			"supporting_resource":{"gid":"11","resource_type":"goal","name":"Sub"},"contribution_weight":0.5}],"next_page":null}`), nil
	})
	subs, err := h.client.Subgoals(context.Background(), "10")
	if err != nil || len(subs) != 2 || subs[0].GID != "11" || subs[1].GID != "12" {
		t.Fatalf("Subgoals = %+v, %v", subs, err)
	}
	rels, err := h.client.GoalRelationships(context.Background(), "10", asana.SubtypeSubgoal)
	if err != nil || len(rels) != 1 {
		t.Fatalf("GoalRelationships = %+v, %v", rels, err)
	}
	r := rels[0]
	if r.ResourceSubtype != "subgoal" || r.SupportingResource.GID != "11" || r.SupportingResource.ResourceType != "goal" {
		t.Errorf("relationship = %+v %+v", r, r.SupportingResource)
	}
}

func TestSubgoalsRetiredPathIsNotFound(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals/10/subgoals", httpmock.NewStringResponder(404,
		`{"errors":[{"message":"No matching route for request","help":"For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors"}]}`))
	_, err := h.client.Subgoals(context.Background(), "10")
	if !errors.Is(err, asana.ErrNotFound) || !strings.Contains(err.Error(), "/goals/10/subgoals") {
		t.Fatalf("err = %v, want ErrNotFound naming the path", err)
	}
}

func TestWorkspaceUsers(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/users", func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		if q.Get("workspace") != "1001" || q.Get("opt_fields") != "name,email" {
			t.Errorf("users query = %v", q)
		}
		if q.Get("offset") == "" {
			return jsonResponse(200, `{"data":[{"gid":"1","name":"A","email":"a@x"}],"next_page":{"offset":"n"}}`), nil
		}
		return jsonResponse(200, `{"data":[{"gid":"2","name":"B","email":"b@x"}],"next_page":null}`), nil
	})
	var names []string
	for u, err := range h.client.WorkspaceUsers(context.Background(), "1001") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, u.Name+"<"+u.Email+">")
	}
	if got := strings.Join(names, ","); got != "A<a@x>,B<b@x>" {
		t.Errorf("users = %s", got)
	}
}

func TestEmptyGIDsAreRefusedWithoutRequest(t *testing.T) {
	h := newHarness(t)
	if _, err := h.client.Goal(context.Background(), ""); err == nil {
		t.Error("Goal(\"\") succeeded")
	}
	if _, err := h.client.Subgoals(context.Background(), ""); err == nil {
		t.Error("Subgoals(\"\") succeeded")
	}
	if _, err := h.client.GoalRelationships(context.Background(), "", "subgoal"); err == nil {
		t.Error("GoalRelationships(\"\") succeeded")
	}
	for _, err := range h.client.WorkspaceUsers(context.Background(), "") {
		if err == nil {
			t.Error("WorkspaceUsers(\"\") yielded no error")
		}
	}
	if n := h.mock.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

func TestUserAgentAndAccept(t *testing.T) {
	h := newHarness(t, asana.WithUserAgent("perfcopilot/1.2"))
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(req *http.Request) (*http.Response, error) {
		if ua := req.Header.Get("User-Agent"); ua != "perfcopilot/1.2" {
			t.Errorf("User-Agent = %q", ua)
		}
		if a := req.Header.Get("Accept"); a != "application/json" {
			t.Errorf("Accept = %q", a)
		}
		return jsonResponse(200, `{"data":{"gid":"1"}}`), nil
	})
	if _, err := h.client.Me(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// slidingWindow answers 429 with Retry-After once more than quota requests
// arrived in the last window, like Asana's per-minute limit (scaled down).
type slidingWindow struct {
	mu     sync.Mutex
	quota  int
	window time.Duration
	times  []time.Time
	served int
	limits int
}

func (s *slidingWindow) respond(*http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for len(s.times) > 0 && now.Sub(s.times[0]) >= s.window {
		s.times = s.times[1:]
	}
	if len(s.times) >= s.quota {
		s.limits++
		wait := s.window - now.Sub(s.times[0])
		r := jsonResponse(429, `{"errors":[{"message":"Too many requests"}]}`)
		r.Header.Set("Retry-After", fmt.Sprintf("%.3f", wait.Seconds()))
		s.times = append(s.times, now) // rejected requests count too, as in Asana
		return r, nil
	}
	s.times = append(s.times, now)
	s.served++
	return jsonResponse(200, `{"data":{"gid":"1"}}`), nil
}

func TestRedirectToPlainHTTPIsRefused(t *testing.T) {
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

func TestPrintingTheClientHidesTheToken(t *testing.T) {
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

// CloseIdleConnections leaves the client usable.
func TestCloseIdleConnections(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(200, `{"data":{"gid":"1"}}`))
	h.client.CloseIdleConnections()
	if _, err := h.client.Me(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Stats.Sub gives what happened between two snapshots, so that a second
// sync on one client counts its own requests and retries, not the first
// sync's too; the rate and the pause in force are the newer snapshot's.
func TestStatsSubCountsOnlyWhatHappenedBetween(t *testing.T) {
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
