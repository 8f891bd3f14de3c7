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
