package asana

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
)

// A Client on its default HTTP client bounds each attempt by 60 seconds
// from sending it, not from entering the gate: a wait for the rate limit
// longer than that does not fail the request, and a server that never
// answers does.
func TestDefaultHTTPClientTimeoutBoundsEachAttemptAfterTheGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := NewClient("1/1234567890:supersecrettokenvalue", WithRequestsPerMinute(1), WithMaxRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		mock := httpmock.NewMockTransport()
		var calls atomic.Int32
		mock.RegisterResponder("GET", DefaultBaseURL+"/users/me", func(r *http.Request) (*http.Response, error) {
			switch calls.Add(1) {
			case 1:
			case 2:
				time.Sleep(30 * time.Second)
			default:
				<-r.Context().Done() // a server that never answers
				return nil, r.Context().Err()
			}
			return httpmock.NewStringResponse(200, `{"data":{"gid":"1"}}`), nil
		})
		c.transport.next = mock
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		start := time.Now()
		for i := range 2 { // the second waits a minute at the gate, then 30 s for its answer
			if _, err := c.Me(ctx); err != nil {
				t.Fatalf("request %d after %s: %v", i+1, time.Since(start), err)
			}
		}
		sent := time.Now().Add(30 * time.Second) // the third request's turn at the gate
		_, err = c.Me(ctx)
		if err == nil || !strings.Contains(err.Error(), "request timeout") {
			t.Fatalf("err = %v, want the request timeout", err)
		}
		if el := time.Since(sent); el < 60*time.Second-time.Millisecond || el > 60*time.Second+time.Millisecond {
			t.Errorf("the unanswered request failed %s after it was sent, want 60s", el)
		}
	})
}
