package asana

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

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
