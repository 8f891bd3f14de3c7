package asana

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
)

// A body over the limit is refused, not read on and on, and not retried:
// a second try would be as large.
func TestGatedTransport_bodyOverLimitIsRefused(t *testing.T) {
	mock := httpmock.NewMockTransport()
	var calls int
	mock.RegisterResponder("GET", DefaultBaseURL+"/users/me", func(*http.Request) (*http.Response, error) {
		calls++
		return httpmock.NewStringResponse(200, `{"data":{"gid":"1","name":"`+strings.Repeat("x", 4096)+`"}}`), nil
	})
	c, err := NewClient("tok", WithHTTPClient(&http.Client{Transport: mock}))
	if err != nil {
		t.Fatal(err)
	}
	c.transport.maxBody = 1024
	_, err = c.Me(context.Background())
	if !errors.Is(err, errBodyTooLarge) || !strings.Contains(err.Error(), "GET /users/me") {
		t.Fatalf("err = %v, want a too-large error naming the endpoint", err)
	}
	if calls != 1 {
		t.Errorf("%d requests, want 1: an oversized body is not retried", calls)
	}
}

// A Client on its default HTTP client bounds each attempt by 60 seconds
// from sending it, not from entering the gate: a wait for the rate limit
// longer than that does not fail the request, and a server that never
// answers does.
func TestGatedTransport_defaultTimeoutBoundsEachAttemptAfterTheGate(t *testing.T) {
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
