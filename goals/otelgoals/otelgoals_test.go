package otelgoals_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/otelgoals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// once429 answers the workspace scan's first page 429 with Retry-After: 1.
func once429() func(w http.ResponseWriter, r *http.Request) bool {
	var n atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/goals" || n.Add(1) > 1 {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"errors":[{"message":"You have made too many requests recently."}]}`))
		return true
	}
}

// The metrics every sync of the demo workspace records alike: the requests
// in flight back to zero, and the sub-goal listings (one probe of the
// retired path, one goal relationships listing per kept goal).
var demoRequestMetrics = []string{
	"http.client.active_requests{http.request.method=GET server.address=asanafake.test server.port=443 url.template=/goal_relationships} = 0",
	"http.client.active_requests{http.request.method=GET server.address=asanafake.test server.port=443 url.template=/goals} = 0",
	"http.client.active_requests{http.request.method=GET server.address=asanafake.test server.port=443 url.template=/goals/{goal_gid}/subgoals} = 0",
	"http.client.request.duration{error.type=404 http.request.method=GET http.response.status_code=404 server.address=asanafake.test server.port=443 url.template=/goals/{goal_gid}/subgoals} count=1 sum=0",
}

// A sync whose first page meets a 429 with Retry-After: 1: one span with
// its three stages, the pause on the sync's span, the 429 and its retry on
// the scan's, the retired path's 404 on the walk's; the requests by route
// and status, the pause's second, the sync's second (the fake clock's: the
// pause is all the time it took).
func TestTelemetry_syncWithAPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, once429())
		rep, err := e.sync(context.Background())
		if err != nil || len(rep.Failed()) > 0 {
			t.Fatalf("sync: %v, %+v", err, rep.Failed())
		}
		want := `asanagoals.sync {asanagoals.employees.failed=0 asanagoals.employees.mapped=3 asanagoals.employees=4 asanagoals.goals.kept=9 asanagoals.goals.scanned=11 asanagoals.rate_limited=1 asanagoals.requests=12 asanagoals.retries=1 asanagoals.subgoal_path=goal_relationships asanagoals.sync.outcome=ok asanagoals.workspace.gid=1209000000000001}
  event asana.rate_limit.pause {asanagoals.pause.added=1 asanagoals.pause.retry_after=1 url.template=/goals}
  asanagoals.scan {}
    event asana.request {asanagoals.request.duration=0 asanagoals.request.wait=0 error.type=429 http.request.method=GET http.response.status_code=429 url.template=/goals}
    event asana.request {asanagoals.request.duration=0 asanagoals.request.wait=1 http.request.method=GET http.request.resend_count=1 http.response.status_code=200 url.template=/goals}
  asanagoals.walk {}
    event asana.request {asanagoals.request.duration=0 asanagoals.request.wait=0 error.type=404 http.request.method=GET http.response.status_code=404 url.template=/goals/{goal_gid}/subgoals}
  asanagoals.write {}
`
		if got := e.tree(t); got != want {
			t.Errorf("spans:\n%s\nwant:\n%s", got, want)
		}
		diff(t, "metrics", e.metrics(t), sorted(append([]string{
			"asanagoals.client.pause.duration{url.template=/goals} = 1",
			"asanagoals.client.pauses{url.template=/goals} = 1",
			"asanagoals.client.rate_limited{url.template=/goals} = 1",
			"asanagoals.employees.written{asanagoals.write.kind=complete} = 3",
			"asanagoals.goals.kept{} = 9",
			"asanagoals.sync.duration{asanagoals.sync.outcome=ok} count=1 sum=1",
			"http.client.request.duration{error.type=429 http.request.method=GET http.response.status_code=429 server.address=asanafake.test server.port=443 url.template=/goals} count=1 sum=0",
			"http.client.request.duration{http.request.method=GET http.response.status_code=200 server.address=asanafake.test server.port=443 url.template=/goal_relationships} count=9 sum=0",
			"http.client.request.duration{http.request.method=GET http.response.status_code=200 server.address=asanafake.test server.port=443 url.template=/goals} count=1 sum=0",
		}, demoRequestMetrics...)))
		e.checkNothingSecret(t)
	})
}

// failingStore fails the writes of one employee.
type failingStore struct {
	*goals.MemoryStore
	employee string
}

func (s failingStore) WriteGoals(ctx context.Context, w goals.Write) error {
	if w.EmployeeID == s.employee {
		return errors.New("store of Grace Hopper (emp-002): disk full")
	}
	return s.MemoryStore.WriteGoals(ctx, w)
}

// A sync in which two employees fail: Alan, one of whose goals' sub-goals
// Asana refuses (403), written partial; Grace, whose write the store
// refuses. Each is an event of the write span and a count by reason; the
// sync is partial. Goals kept are those handed to the store, as in the
// report: Grace's two count.
func TestTelemetry_syncWithFailedEmployees(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, func(w http.ResponseWriter, r *http.Request) bool {
			if !asanafake.ListsSubgoals(r, "1209000000001007") || r.URL.Path != "/goal_relationships" {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"errors":[{"message":"Forbidden: Raise test coverage to 80%"}]}`))
			return true
		})
		e.store = failingStore{MemoryStore: goals.NewMemoryStore(), employee: "emp-002"}
		rep, err := e.sync(context.Background())
		if err != nil || len(rep.Failed()) != 2 {
			t.Fatalf("sync: %v, %+v", err, rep.Failed())
		}
		want := `asanagoals.sync {asanagoals.employees.failed=2 asanagoals.employees.mapped=3 asanagoals.employees=4 asanagoals.goals.kept=8 asanagoals.goals.scanned=11 asanagoals.rate_limited=0 asanagoals.requests=11 asanagoals.retries=0 asanagoals.subgoal_path=goal_relationships asanagoals.sync.outcome=partial asanagoals.workspace.gid=1209000000000001}
  asanagoals.scan {}
  asanagoals.walk {}
    event asana.request {asanagoals.request.duration=0 asanagoals.request.wait=0 error.type=403 http.request.method=GET http.response.status_code=403 url.template=/goal_relationships}
    event asana.request {asanagoals.request.duration=0 asanagoals.request.wait=0 error.type=404 http.request.method=GET http.response.status_code=404 url.template=/goals/{goal_gid}/subgoals}
  asanagoals.write {}
    event asanagoals.employee.failed {asanagoals.write.kind=none error.type=store}
    event asanagoals.employee.failed {asanagoals.write.kind=partial error.type=forbidden}
`
		if got := e.tree(t); got != want {
			t.Errorf("spans:\n%s\nwant:\n%s", got, want)
		}
		diff(t, "metrics", e.metrics(t), sorted(append([]string{
			"asanagoals.employees.failed{error.type=forbidden} = 1",
			"asanagoals.employees.failed{error.type=store} = 1",
			"asanagoals.employees.written{asanagoals.write.kind=complete} = 1",
			"asanagoals.employees.written{asanagoals.write.kind=none} = 1",
			"asanagoals.employees.written{asanagoals.write.kind=partial} = 1",
			"asanagoals.goals.kept{} = 8",
			"asanagoals.sync.duration{asanagoals.sync.outcome=partial} count=1 sum=0",
			"http.client.request.duration{error.type=403 http.request.method=GET http.response.status_code=403 server.address=asanafake.test server.port=443 url.template=/goal_relationships} count=1 sum=0",
			"http.client.request.duration{http.request.method=GET http.response.status_code=200 server.address=asanafake.test server.port=443 url.template=/goal_relationships} count=8 sum=0",
			"http.client.request.duration{http.request.method=GET http.response.status_code=200 server.address=asanafake.test server.port=443 url.template=/goals} count=1 sum=0",
		}, demoRequestMetrics...)))
		e.checkNothingSecret(t)
	})
}

// A sync cancelled while a sub-goal listing is on its way: the request is
// in flight until then; the sync's span and the walk's end in error with
// the reason canceled, the scan's does not, no write span; the cancelled
// request is counted with error.type canceled.
func TestTelemetry_cancelledSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		held := make(chan struct{})
		e := newEnv(t, func(w http.ResponseWriter, r *http.Request) bool {
			if !asanafake.ListsSubgoals(r, "1209000000001004") || r.URL.Path != "/goal_relationships" {
				return false
			}
			close(held)
			<-r.Context().Done()
			return true
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error)
		go func() {
			_, err := e.sync(ctx)
			done <- err
		}()
		<-held
		synctest.Wait()
		inFlight := "http.client.active_requests{http.request.method=GET server.address=asanafake.test server.port=443 url.template=/goal_relationships} = 1"
		if got := e.metrics(t); !slices.Contains(got, inFlight) {
			t.Errorf("while the listing is held, no %q in\n%s", inFlight, strings.Join(got, "\n"))
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("sync: %v", err)
		}
		want := `asanagoals.sync {asanagoals.employees.failed=0 asanagoals.employees.mapped=3 asanagoals.employees=4 asanagoals.goals.kept=0 asanagoals.goals.scanned=11 asanagoals.rate_limited=0 asanagoals.requests=6 asanagoals.retries=0 asanagoals.subgoal_path=goal_relationships asanagoals.sync.outcome=canceled asanagoals.workspace.gid=1209000000000001 error.type=canceled} status=Error(canceled)
  asanagoals.scan {}
  asanagoals.walk {error.type=canceled} status=Error(canceled)
    event asana.request {asanagoals.request.duration=0 asanagoals.request.wait=0 error.type=404 http.request.method=GET http.response.status_code=404 url.template=/goals/{goal_gid}/subgoals}
    event asana.request {asanagoals.request.duration=0 asanagoals.request.wait=0 error.type=canceled http.request.method=GET url.template=/goal_relationships}
`
		if got := e.tree(t); got != want {
			t.Errorf("spans:\n%s\nwant:\n%s", got, want)
		}
		diff(t, "metrics", e.metrics(t), sorted(append([]string{
			"asanagoals.sync.duration{asanagoals.sync.outcome=canceled} count=1 sum=0",
			"http.client.request.duration{error.type=canceled http.request.method=GET server.address=asanafake.test server.port=443 url.template=/goal_relationships} count=1 sum=0",
			"http.client.request.duration{http.request.method=GET http.response.status_code=200 server.address=asanafake.test server.port=443 url.template=/goal_relationships} count=3 sum=0",
			"http.client.request.duration{http.request.method=GET http.response.status_code=200 server.address=asanafake.test server.port=443 url.template=/goals} count=1 sum=0",
		}, demoRequestMetrics...)))
		e.checkNothingSecret(t)
	})
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// A refused token fails the sync as a whole: its span and the scan's end
// in error with the reason unauthorized, and nothing is written.
func TestTelemetry_syncWithARefusedToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"message":"Not Authorized"}]}`))
			return true
		})
		if _, err := e.sync(context.Background()); err == nil {
			t.Fatal("no error")
		}
		want := `asanagoals.sync {asanagoals.employees.failed=0 asanagoals.employees.mapped=3 asanagoals.employees=4 asanagoals.goals.kept=0 asanagoals.goals.scanned=0 asanagoals.rate_limited=0 asanagoals.requests=1 asanagoals.retries=0 asanagoals.subgoal_path=none asanagoals.sync.outcome=failed asanagoals.workspace.gid=1209000000000001 error.type=unauthorized} status=Error(unauthorized)
  asanagoals.scan {error.type=unauthorized} status=Error(unauthorized)
    event asana.request {asanagoals.request.duration=0 asanagoals.request.wait=0 error.type=401 http.request.method=GET http.response.status_code=401 url.template=/goals}
  asanagoals.walk {error.type=unauthorized} status=Error(unauthorized)
`
		if got := e.tree(t); got != want {
			t.Errorf("spans:\n%s\nwant:\n%s", got, want)
		}
		diff(t, "metrics", e.metrics(t), []string{
			"asanagoals.sync.duration{asanagoals.sync.outcome=failed} count=1 sum=0",
			"http.client.active_requests{http.request.method=GET server.address=asanafake.test server.port=443 url.template=/goals} = 0",
			"http.client.request.duration{error.type=401 http.request.method=GET http.response.status_code=401 server.address=asanafake.test server.port=443 url.template=/goals} count=1 sum=0",
		})
		e.checkNothingSecret(t)
	})
}

// Goals past the cap are counted as truncated, and a stored goal Asana no
// longer has, removed by a complete write, as removed: Ada, Grace and Alan
// own three goals each, so a cap of one keeps three and truncates six.
func TestTelemetry_goalsTruncatedAndRemoved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		store := goals.NewMemoryStore()
		old := goals.Goal{EmployeeID: "emp-001", GID: "1209000000009999", Name: "An old goal", Status: status.OnTrack}
		if err := store.WriteGoals(context.Background(), goals.Write{EmployeeID: "emp-001", Goals: []goals.Goal{old}}); err != nil {
			t.Fatal(err)
		}
		e.store = store
		e.cfg.MaxGoalsPerEmployee = 1
		if _, err := e.sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := slices.DeleteFunc(e.metrics(t), func(m string) bool { return strings.HasPrefix(m, "http.") })
		diff(t, "metrics", got, []string{
			"asanagoals.employees.written{asanagoals.write.kind=complete} = 3",
			"asanagoals.goals.kept{} = 3",
			"asanagoals.goals.removed{} = 1",
			"asanagoals.goals.truncated{} = 6",
			"asanagoals.sync.duration{asanagoals.sync.outcome=ok} count=1 sum=0",
		})
		e.checkNothingSecret(t)
	})
}

// Nothing secret is exported when every request is an event either: a sync
// with a 429, a refused sub-goal listing and a failed store write, every
// attempt recorded.
func TestTelemetry_nothingSecretWithEveryRequestRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pause := once429()
		e := newEnv(t, func(w http.ResponseWriter, r *http.Request) bool {
			if asanafake.ListsSubgoals(r, "1209000000001007") && r.URL.Path == "/goal_relationships" {
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte(`{"errors":[{"message":"Forbidden"}]}`))
				return true
			}
			return pause(w, r)
		}, func(o *otelgoals.Options) { o.AllRequestEvents = true })
		e.store = failingStore{MemoryStore: goals.NewMemoryStore(), employee: "emp-002"}
		rep, err := e.sync(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		events := 0
		for _, s := range e.spans.Ended() {
			for _, ev := range s.Events() {
				if ev.Name == otelgoals.EventRequest {
					events++
				}
			}
		}
		if events != int(rep.Requests) {
			t.Errorf("%d request events, want one per request (%d)", events, rep.Requests)
		}
		e.checkNothingSecret(t)
	})
}
