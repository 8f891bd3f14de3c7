package asana_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
)

// Each request keeps its own state, however many run at once: its
// attempts, its answer's body, its decoding and, for a listing, the body
// it reads again record by record. Requests for different goals are
// answered 500 a different number of times, then each with an answer of
// its own; every error must name its own request's attempts and answer,
// and the client must count exactly the retries sent. A state shared
// between requests, or an attempt count written where its request does not
// read it, fails here (and under -race, as a data race).
func TestClient_eachRequestKeepsItsOwnState(t *testing.T) {
	const n = 24
	h := newHarness(t)
	var mu sync.Mutex
	answered := map[string]int{} // 500s answered so far, by request
	fails := func(key string, k int) bool {
		mu.Lock()
		defer mu.Unlock()
		if answered[key] < k {
			answered[key]++
			return true
		}
		return false
	}
	gid := func(i int) string { return fmt.Sprint(1000 + i) }
	for i := range n {
		h.mock.RegisterResponder("GET", apiRoot+"/goals/"+gid(i), func(*http.Request) (*http.Response, error) {
			if fails("goal "+gid(i), i%4) {
				return jsonResponse(500, `{"errors":[{"message":"busy"}]}`), nil
			}
			return jsonResponse(404, `{"errors":[{"message":"goal `+gid(i)+` is gone"}]}`), nil
		})
	}
	h.mock.RegisterResponder("GET", apiRoot+"/goal_relationships", func(req *http.Request) (*http.Response, error) {
		g := req.URL.Query().Get("supported_goal")
		i, _ := strconv.Atoi(g)
		if fails("relationships "+g, (i+1)%3) {
			return jsonResponse(500, `{"errors":[{"message":"busy"}]}`), nil
		}
		// A page whose second record cannot be read: the listing reads
		// this very body again, record by record.
		return jsonResponse(200, `{"data":[{"gid":"`+g+`1","resource_subtype":"subgoal"},`+
			`{"gid":"`+g+`2","resource_subtype":7}],"next_page":null}`), nil
	})

	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := h.client.Goal(context.Background(), gid(i))
			var e *asana.Error
			if !errors.As(err, &e) || e.StatusCode != http.StatusNotFound {
				t.Errorf("goal %s: err = %v, want its 404", gid(i), err)
				return
			}
			if want := i%4 + 1; e.Attempts != want {
				t.Errorf("goal %s: %d attempts reported, want its own %d", gid(i), e.Attempts, want)
			}
			if !strings.Contains(err.Error(), "goal "+gid(i)+" is gone") {
				t.Errorf("goal %s: err = %v, want its own answer", gid(i), err)
			}
		})
		wg.Go(func() {
			_, err := h.client.GoalRelationships(context.Background(), gid(i), "")
			var re *asana.RecordError
			if !errors.As(err, &re) || re.GID != gid(i)+"2" {
				t.Errorf("relationships of %s: err = %v, want record %s2's error", gid(i), err, gid(i))
			}
		})
	}
	wg.Wait()
	mu.Lock()
	retries := 0
	for _, k := range answered {
		retries += k
	}
	mu.Unlock()
	if st := h.client.Stats(); st.Retries != int64(retries) || st.Requests != int64(2*n+retries) {
		t.Errorf("client counted %d requests and %d retries, want %d and %d", st.Requests, st.Retries, 2*n+retries, retries)
	}
}

// A page of the workspace scan reaches the client's gate as urgent, and a
// request of another kind does not: with ten requests queued for the
// limiter at 60 a minute (one a second or so), a scan's page asked for at
// 2.5 s goes at once, while a listing of workspaces asked for then waits
// for its turn behind the ten.
func TestClient_scanPagesGoAheadAtTheGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mock := httpmock.NewMockTransport()
		var mu sync.Mutex
		sent := map[string]time.Duration{}
		start := time.Now()
		answer := func(path, body string) {
			mock.RegisterResponder("GET", apiRoot+path, func(*http.Request) (*http.Response, error) {
				mu.Lock()
				sent[path] = time.Since(start)
				mu.Unlock()
				return jsonResponse(200, body), nil
			})
		}
		answer("/users/me", `{"data":{"gid":"1"}}`)
		answer("/goals", `{"data":[{"gid":"2"}],"next_page":null}`)
		answer("/workspaces", `{"data":[{"gid":"3","name":"W"}],"next_page":null}`)
		c, err := asana.NewClient("0/urgenttesttoken", asana.WithHTTPClient(&http.Client{Transport: mock}),
			asana.WithRequestsPerMinute(60))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if _, err := c.Me(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		time.Sleep(2500 * time.Millisecond)
		wg.Go(func() {
			for _, err := range c.Goals(ctx, asana.ListGoalsOptions{Workspace: "1"}) {
				if err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for _, err := range c.Workspaces(ctx) {
				if err != nil {
					t.Error(err)
				}
			}
		})
		wg.Wait()
		if d := sent["/goals"]; d != 2500*time.Millisecond {
			t.Errorf("the scan's page was sent at %s, want at once at 2.5s: it did not reach the gate as urgent", d)
		}
		if d := sent["/workspaces"]; d < 9*time.Second {
			t.Errorf("the listing of workspaces was sent at %s, want after the ten queued before it: it reached the gate as urgent", d)
		}
	})
}
