package asana_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
)

// hookLog records what a client's hooks hear, one line per call.
type hookLog struct {
	mu    sync.Mutex
	lines []string
	infos []asana.RequestInfo // RequestDone's, in order
	ctxOK bool                // every hook got the caller's context
}

type ctxKey struct{}

func (l *hookLog) hooks() asana.Hooks {
	check := func(ctx context.Context) {
		if ctx.Value(ctxKey{}) != "caller" {
			l.ctxOK = false
		}
	}
	return asana.Hooks{
		RequestSent: func(ctx context.Context, r asana.RequestInfo) {
			l.mu.Lock()
			defer l.mu.Unlock()
			check(ctx)
			l.lines = append(l.lines, fmt.Sprintf("sent %s %s attempt=%d", r.Method, r.Route, r.Attempt))
		},
		RequestDone: func(ctx context.Context, r asana.RequestInfo) {
			l.mu.Lock()
			defer l.mu.Unlock()
			check(ctx)
			l.lines = append(l.lines, fmt.Sprintf("done %s %s attempt=%d status=%d error=%q", r.Method, r.Route, r.Attempt, r.StatusCode, r.Error))
			l.infos = append(l.infos, r)
		},
		Pause: func(ctx context.Context, p asana.PauseInfo) {
			l.mu.Lock()
			defer l.mu.Unlock()
			check(ctx)
			l.lines = append(l.lines, fmt.Sprintf("pause %s retry_after=%s added=%s", p.Route, p.RetryAfter, p.Added))
		},
	}
}

func (l *hookLog) got() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func callerCtx() context.Context { return context.WithValue(context.Background(), ctxKey{}, "caller") }

// Each attempt is heard when it is sent and when it ends, with its route
// template (never the GID or the query), its attempt, the wait at the gate
// (a Retry-After pause included) and its status; a 429's pause is heard once,
// with its length.
func TestWithHooks_hearEachAttemptAndThePause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &hookLog{ctxOK: true}
		h := newHarness(t, asana.WithHooks(log.hooks()))
		n := 0
		h.mock.RegisterResponder("GET", apiRoot+"/goals/1234567", func(*http.Request) (*http.Response, error) {
			if n++; n == 1 {
				return tooMany("3"), nil
			}
			return jsonResponse(200, `{"data":{"gid":"1234567","name":"A goal"}}`), nil
		})
		if _, err := h.client.Goal(callerCtx(), "1234567"); err != nil {
			t.Fatal(err)
		}
		want := `sent GET /goals/{goal_gid} attempt=1
done GET /goals/{goal_gid} attempt=1 status=429 error=""
pause /goals/{goal_gid} retry_after=3s added=3s
sent GET /goals/{goal_gid} attempt=2
done GET /goals/{goal_gid} attempt=2 status=200 error=""`
		if got := log.got(); got != want {
			t.Errorf("hooks heard\n%s\nwant\n%s", got, want)
		}
		if !log.ctxOK {
			t.Error("a hook did not get the caller's context")
		}
		if len(log.infos) != 2 {
			t.Fatalf("%d RequestDone calls", len(log.infos))
		}
		first, retry := log.infos[0], log.infos[1]
		if first.Wait != 0 || retry.Wait != 3*time.Second {
			t.Errorf("waits %s and %s, want 0 and the 3 s pause", first.Wait, retry.Wait)
		}
		if first.ServerAddress != "app.asana.com" || first.ServerPort != 443 {
			t.Errorf("server %s:%d, want app.asana.com:443", first.ServerAddress, first.ServerPort)
		}
		if st := h.client.Stats(); st.Pauses != 3*time.Second {
			t.Errorf("Stats().Pauses = %s, want the pause heard", st.Pauses)
		}
	})
}

// Every path the client builds has its template; listings are heard page by
// page.
func TestWithHooks_routeTemplates(t *testing.T) {
	log := &hookLog{ctxOK: true}
	h := newHarness(t, asana.WithHooks(log.hooks()))
	list := `{"data":[],"next_page":null}`
	for _, p := range []string{"/goals", "/goal_relationships", "/users", "/workspaces", "/goals/77/subgoals"} {
		h.mock.RegisterResponder("GET", apiRoot+p, func(*http.Request) (*http.Response, error) { return jsonResponse(200, list), nil })
	}
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) { return okMe(), nil })
	h.mock.RegisterResponder("GET", apiRoot+"/goals/77", func(*http.Request) (*http.Response, error) {
		return jsonResponse(200, `{"data":{"gid":"77"}}`), nil
	})
	ctx := callerCtx()
	for _, err := range h.client.Goals(ctx, asana.ListGoalsOptions{Workspace: "5"}) {
		t.Fatal(err)
	}
	if _, err := h.client.GoalRelationships(ctx, "77", asana.SubtypeSubgoal); err != nil {
		t.Fatal(err)
	}
	for _, err := range h.client.WorkspaceUsers(ctx, "5") {
		t.Fatal(err)
	}
	for _, err := range h.client.Workspaces(ctx) {
		t.Fatal(err)
	}
	if _, err := h.client.Me(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.GoalSummary(ctx, "77"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Subgoals(ctx, "77"); err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, r := range log.infos {
		routes = append(routes, r.Route)
	}
	want := "/goals /goal_relationships /users /workspaces /users/me /goals/{goal_gid} /goals/{goal_gid}/subgoals"
	if got := strings.Join(routes, " "); got != want {
		t.Errorf("routes %s\nwant   %s", got, want)
	}
	if strings.Contains(log.got(), "77") {
		t.Errorf("a hook heard a GID:\n%s", log.got())
	}
}

// An attempt without a usable answer is heard with a word of a fixed set:
// a malformed 2xx, a body cut short, a connection failure, a timeout, the
// caller's cancellation.
func TestWithHooks_nameFailures(t *testing.T) {
	cases := []struct {
		name     string
		respond  func(*http.Request) (*http.Response, error)
		opts     []asana.Option
		cancel   bool
		word     string
		status   int
		attempts int
	}{
		{"malformed", func(*http.Request) (*http.Response, error) { return jsonResponse(200, `{"data":[]}`), nil }, nil, false, asana.RequestMalformed, 200, 2},
		{"cut short", func(*http.Request) (*http.Response, error) {
			r := jsonResponse(200, "")
			r.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"data":`), cutReader{}))
			return r, nil
		}, nil, false, asana.RequestBodyUnreadable, 200, 2},
		{"connection", func(*http.Request) (*http.Response, error) { return nil, errors.New("connection reset by peer") }, nil, false, asana.RequestConnection, 0, 2},
		{"timeout", func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		}, []asana.Option{asana.WithRequestTimeout(time.Second)}, false, asana.RequestTimeout, 0, 2},
		{"canceled", func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		}, nil, true, asana.RequestCanceled, 0, 1},
		{"404 is no failure word", func(*http.Request) (*http.Response, error) {
			return jsonResponse(404, `{"errors":[{"message":"Not found"}]}`), nil
		}, nil, false, "", 404, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := &hookLog{ctxOK: true}
				h := newHarness(t, append([]asana.Option{asana.WithHooks(log.hooks()), asana.WithMaxRetries(1)}, tc.opts...)...)
				h.mock.RegisterResponder("GET", apiRoot+"/users/me", tc.respond)
				ctx, cancel := context.WithCancel(callerCtx())
				defer cancel()
				if tc.cancel {
					go func() {
						time.Sleep(time.Second)
						cancel()
					}()
				}
				if _, err := h.client.Me(ctx); err == nil {
					t.Fatal("no error")
				}
				if len(log.infos) != tc.attempts {
					t.Fatalf("heard\n%s\nwant %d attempts", log.got(), tc.attempts)
				}
				for _, r := range log.infos {
					if r.Error != tc.word || r.StatusCode != tc.status {
						t.Errorf("heard error %q, status %d; want %q, %d", r.Error, r.StatusCode, tc.word, tc.status)
					}
				}
				if !log.ctxOK {
					t.Error("a hook did not get the caller's context")
				}
			})
		})
	}
}

type cutReader struct{}

func (cutReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// Hooks cost no allocation: a request with every hook set (doing nothing)
// allocates what it allocates without hooks, so a client without hooks pays
// nothing for them either.
//
// Under the race detector, sync.Pool drops a share of what it is given at
// random, so that allocation counts are not the program's: the test runs
// without it (.ci/run runs it again so).
func TestWithHooks_doNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not exact under the race detector; .ci/run runs this test without it")
	}
	noop := asana.Hooks{
		RequestSent: func(context.Context, asana.RequestInfo) {},
		RequestDone: func(context.Context, asana.RequestInfo) {},
		Pause:       func(context.Context, asana.PauseInfo) {},
	}
	allocs := func(opts ...asana.Option) float64 {
		h := newHarness(t, opts...)
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) { return okMe(), nil })
		ctx := context.Background()
		return testing.AllocsPerRun(200, func() {
			if _, err := h.client.Me(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	without, with := allocs(), allocs(asana.WithHooks(noop))
	if with > without {
		t.Errorf("a request allocates %.0f times with hooks, %.0f without", with, without)
	}
}

// BenchmarkRequestHooks measures a request through the client (an
// in-memory answer) without hooks and with hooks that do nothing: the cost of
// the hook path itself.
func BenchmarkRequestHooks(b *testing.B) {
	noop := asana.Hooks{
		RequestSent: func(context.Context, asana.RequestInfo) {},
		RequestDone: func(context.Context, asana.RequestInfo) {},
	}
	for _, bc := range []struct {
		name string
		opts []asana.Option
	}{{"hooks=nil", nil}, {"hooks=noop", []asana.Option{asana.WithHooks(noop)}}} {
		b.Run(bc.name, func(b *testing.B) {
			mock := httpmock.NewMockTransport()
			mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) { return okMe(), nil })
			c, err := asana.NewClient(testToken, append(bc.opts, asana.WithHTTPClient(&http.Client{Transport: mock}),
				asana.WithRequestsPerMinute(1<<30))...)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Me(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A 429 that makes the pause in force longer is heard with the part it
// added, so that the pauses' Added sum to Stats.Pauses.
func TestWithHooks_hearAPauseExtended(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &hookLog{ctxOK: true}
		h := newHarness(t, asana.WithHooks(log.hooks()))
		var mu sync.Mutex
		calls := 0
		both := make(chan struct{})
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			mu.Lock()
			calls++
			n := calls
			if n == 2 {
				close(both)
			}
			mu.Unlock()
			switch n {
			case 1:
				<-both
				return tooMany("3"), nil
			case 2:
				<-both
				time.Sleep(time.Second)
				return tooMany("5"), nil
			}
			return okMe(), nil
		})
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if _, err := h.client.Me(callerCtx()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		var pauses []string
		for line := range strings.Lines(log.got()) {
			if strings.HasPrefix(line, "pause") {
				pauses = append(pauses, strings.TrimSpace(line))
			}
		}
		want := "pause /users/me retry_after=3s added=3s|pause /users/me retry_after=5s added=3s"
		if got := strings.Join(pauses, "|"); got != want {
			t.Errorf("pauses heard %s\nwant %s", got, want)
		}
		if st := h.client.Stats(); st.Pauses != 6*time.Second {
			t.Errorf("Stats().Pauses = %s, want 6s", st.Pauses)
		}
	})
}

// The server's address and port are the API root's, its scheme's default
// port when it names none.
func TestWithHooks_serverAddress(t *testing.T) {
	log := &hookLog{ctxOK: true}
	h := newHarness(t, asana.WithHooks(log.hooks()), asana.WithBaseURL("http://127.0.0.1:8123/api/1.0"))
	h.mock.RegisterResponder("GET", "http://127.0.0.1:8123/api/1.0/users/me", func(*http.Request) (*http.Response, error) { return okMe(), nil })
	if _, err := h.client.Me(callerCtx()); err != nil {
		t.Fatal(err)
	}
	if r := log.infos[0]; r.ServerAddress != "127.0.0.1" || r.ServerPort != 8123 {
		t.Errorf("server %s:%d, want 127.0.0.1:8123", r.ServerAddress, r.ServerPort)
	}
}
