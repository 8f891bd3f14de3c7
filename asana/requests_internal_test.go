package asana

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
)

// Following maxPages pages takes about twenty seconds under the race
// detector, so these tests lower the client's bound; the last one checks
// that every client starts with maxPages.

// pagedClient returns a client whose /goals answers one goal a page with a
// fresh offset, ending after last pages (never when last is 0).
func pagedClient(t *testing.T, maxPages, last int) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", DefaultBaseURL+"/goals", func(req *http.Request) (*http.Response, error) {
		n, _ := strconv.Atoi(req.URL.Query().Get("offset"))
		next := fmt.Sprintf(`{"offset":"%d"}`, n+1)
		if last > 0 && n+1 >= last {
			next = "null"
		}
		return httpmock.NewStringResponse(200, fmt.Sprintf(`{"data":[{"gid":"%d"}],"next_page":%s}`, n+1, next)), nil
	})
	c, err := NewClient("tok", WithHTTPClient(&http.Client{Transport: mock}), WithRequestsPerMinute(1_000_000_000))
	if err != nil {
		t.Fatal(err)
	}
	c.maxPages = maxPages
	return c, mock
}

// A listing that still has more pages after the page bound stops with
// ErrMalformedResponse naming the bound, having yielded what it read: a
// server cannot keep a sync paging forever.
func TestList_stopsAfterMaxPages(t *testing.T) {
	const bound = 7
	c, mock := pagedClient(t, bound, 0)
	n := 0
	var err error
	for _, err = range c.Goals(context.Background(), ListGoalsOptions{Workspace: "1"}) {
		if err != nil {
			break
		}
		n++
	}
	if !errors.Is(err, ErrMalformedResponse) || !strings.Contains(err.Error(), fmt.Sprintf("still more pages after %d (%d items)", bound, bound)) {
		t.Fatalf("err = %v, want ErrMalformedResponse naming the page bound", err)
	}
	if n != bound || mock.GetTotalCallCount() != bound {
		t.Errorf("%d goals from %d requests, want %d of each", n, mock.GetTotalCallCount(), bound)
	}
}

// A listing exactly as long as the bound is not cut.
func TestList_ofExactlyMaxPagesIsNotCut(t *testing.T) {
	const bound = 7
	c, mock := pagedClient(t, bound, bound)
	n := 0
	for _, err := range c.Goals(context.Background(), ListGoalsOptions{Workspace: "1"}) {
		if err != nil {
			t.Fatalf("after %d goals: %v", n, err)
		}
		n++
	}
	if n != bound || mock.GetTotalCallCount() != bound {
		t.Errorf("%d goals from %d requests, want %d of each", n, mock.GetTotalCallCount(), bound)
	}
}

// A new client starts with the package's page bound.
func TestNewClient_startsWithMaxPages(t *testing.T) {
	c, err := NewClient("tok")
	if err != nil {
		t.Fatal(err)
	}
	if c.maxPages != maxPages {
		t.Errorf("maxPages = %d, want maxPages (%d)", c.maxPages, maxPages)
	}
}

// The workspace scan asks for its next page while the caller still reads
// the current one: the caller gets page 1's goal while the answer to page
// 2 is held back until it has it. A scan that fetched page 2 before
// handing over page 1's goals would wait for that answer first.
func TestList_asksForTheNextPageWhileThePageIsRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		holding := make(chan struct{}) // closed when the caller holds goal 1
		asked := make(chan struct{})   // closed when page 2 is asked for
		early := false                 // page 2 answered before the caller held goal 1
		mock := httpmock.NewMockTransport()
		mock.RegisterResponder("GET", DefaultBaseURL+"/goals", func(req *http.Request) (*http.Response, error) {
			if req.URL.Query().Get("offset") == "" {
				return httpmock.NewStringResponse(200, `{"data":[{"gid":"1","name":"A"}],"next_page":{"offset":"p2"}}`), nil
			}
			close(asked)
			select {
			case <-holding:
			case <-time.After(time.Minute):
				early = true
			}
			return httpmock.NewStringResponse(200, `{"data":[{"gid":"2","name":"B"}],"next_page":null}`), nil
		})
		c, err := NewClient("0/prefetchtesttoken", WithHTTPClient(&http.Client{Transport: mock}))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for g, err := range c.Goals(context.Background(), ListGoalsOptions{Workspace: "1"}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if g.GID == "1" {
				close(holding)
				<-asked
			}
		}
		if early {
			t.Error("page 2 was answered before the caller had page 1's goal: it was not asked for while page 1 was read")
		}
		if n != 2 {
			t.Errorf("%d goals, want 2", n)
		}
	})
}
