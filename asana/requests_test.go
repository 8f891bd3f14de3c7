package asana_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
)

// A record the client cannot read is that record's error alone: the
// listing yields it in the record's place, with its GID, matching
// ErrMalformedResponse, and goes on with the records after it and the next
// page.
func TestUnreadableRecordIsThatRecordsErrorAlone(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("offset") == "" {
			return jsonResponse(200, `{"data":[{"gid":"1","name":"A"},{"gid":"2","due_on":"next spring"},{"gid":"3","name":"C"}],`+
				`"next_page":{"offset":"p2"}}`), nil
		}
		return jsonResponse(200, goalsPage([]string{"4"}, "")), nil
	})
	var got []string
	for g, err := range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1"}) {
		var re *asana.RecordError
		switch {
		case err == nil:
			got = append(got, g.GID)
		case errors.As(err, &re) && errors.Is(err, asana.ErrMalformedResponse):
			got = append(got, "bad "+re.GID)
		default:
			t.Fatalf("after %v: err = %v (%T), want a *RecordError or none", got, err, err)
		}
	}
	if want := []string{"1", "bad 2", "3", "4"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("listing yielded %v, want %v", got, want)
	}
}

// The error of an unreadable record keeps none of the token: the decoder's
// message quotes the value it could not read, and a field can echo the
// request's Authorization header.
func TestUnreadableRecordErrorHoldsNoToken(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(*http.Request) (*http.Response, error) {
		return jsonResponse(200, `{"data":[{"gid":"1","due_on":"Bearer `+testToken+`"}],"next_page":null}`), nil
	})
	n := 0
	for _, err := range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1"}) {
		n++
		var re *asana.RecordError
		if !errors.As(err, &re) {
			t.Fatalf("err = %v, want a *RecordError", err)
		}
		for what, s := range map[string]string{"Error()": err.Error(), "Err": re.Err.Error(), "%+v": fmt.Sprintf("%+v", err)} {
			if strings.Contains(s, "supersecret") {
				t.Errorf("%s holds the token: %s", what, s)
			}
		}
		if !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("error %q does not show where the token was removed", err)
		}
	}
	if n != 1 {
		t.Errorf("%d records yielded, want 1", n)
	}
}

// offsetPages answers /goals with one goal a page and a fresh next_page
// offset of size bytes, until the page numbered last.
func offsetPages(size, last int) func(*http.Request) (*http.Response, error) {
	return func(req *http.Request) (*http.Response, error) {
		n := 0
		if off := req.URL.Query().Get("offset"); off != "" {
			n, _ = strconv.Atoi(strings.TrimLeft(off, "x"))
		}
		next := "null"
		if n+1 < last {
			num := strconv.Itoa(n + 1)
			next = fmt.Sprintf(`{"offset":%q}`, strings.Repeat("x", size-len(num))+num)
		}
		return jsonResponse(200, fmt.Sprintf(`{"data":[{"gid":"%d"}],"next_page":%s}`, n+1, next)), nil
	}
}

// A next_page offset longer than MaxOffsetBytes ends the listing with an
// error that names it, before a request carries it; one of MaxOffsetBytes
// is followed.
func TestOversizedOffsetEndsTheListing(t *testing.T) {
	for _, tc := range []struct {
		size  int
		fails bool
	}{{asana.MaxOffsetBytes, false}, {asana.MaxOffsetBytes + 1, true}, {1 << 20, true}} {
		h := newHarness(t)
		h.mock.RegisterResponder("GET", apiRoot+"/goals", offsetPages(tc.size, 3))
		n, err := countSeq(h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1"}))
		switch {
		case !tc.fails && (err != nil || n != 3):
			t.Errorf("offsets of %d bytes: %d goals, err = %v; want all 3", tc.size, n, err)
		case tc.fails && (!errors.Is(err, asana.ErrMalformedResponse) || !strings.Contains(err.Error(), "next_page.offset") || n != 1):
			t.Errorf("offsets of %d bytes: %d goals, err = %v; want the first page's goal, then ErrMalformedResponse naming next_page.offset", tc.size, n, err)
		case tc.fails && h.mock.GetTotalCallCount() != 1:
			t.Errorf("offsets of %d bytes: %d requests, want 1: no request carries the offset", tc.size, h.mock.GetTotalCallCount())
		}
	}
}

// A listing keeps what tells one offset from another, not the offsets: 400
// pages with offsets of MaxOffsetBytes each hold on to far less than the
// 1.6 MB the offsets take.
func TestListingDoesNotKeepItsOffsets(t *testing.T) {
	const pages = 400
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals", offsetPages(asana.MaxOffsetBytes, pages))
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var first, last uint64
	opts := asana.ListGoalsOptions{Workspace: "1", OnPage: func(page, _ int) {
		switch page {
		case 10:
			first = heap()
		case pages - 1:
			last = heap()
		}
	}}
	if n, err := countSeq(h.client.Goals(context.Background(), opts)); err != nil || n != pages {
		t.Fatalf("%d goals, err = %v; want %d", n, err, pages)
	}
	if kept, offsets := int64(last)-int64(first), int64(pages-11)*asana.MaxOffsetBytes; kept > offsets/4 {
		t.Errorf("the heap grew by %d bytes over %d pages, with %d bytes of offsets: the listing keeps them", kept, pages-11, offsets)
	}
}

// roundTripFunc is a transport made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// Breaking out of Goals returns only once the page asked for ahead has
// ended: no request of the scan is still under way, or counted, after the
// range returned.
func TestBreakingOutOfGoalsEndsThePageAskedForAhead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		arrived := make(chan struct{})
		var ended atomic.Bool
		transport := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if req.URL.Query().Get("offset") == "" {
				return jsonResponse(200, goalsPage([]string{"1", "2"}, "p2")), nil
			}
			close(arrived)
			<-req.Context().Done()
			time.Sleep(time.Second) // a transport slow to give up
			ended.Store(true)
			return nil, req.Context().Err()
		})
		c, err := asana.NewClient(testToken, asana.WithHTTPClient(&http.Client{Transport: transport}))
		if err != nil {
			t.Fatal(err)
		}
		for range c.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1"}) {
			<-arrived // page 2 is on its way
			break
		}
		if !ended.Load() {
			t.Error("the range returned while the page asked for ahead was still under way")
		}
		requests := c.Stats().Requests
		time.Sleep(2 * time.Second) // whatever was still under way has ended
		if again := c.Stats().Requests; again != requests || requests != 2 {
			t.Errorf("requests %d when the range returned, %d after; want 2 then", requests, again)
		}
	})
}

// ListGoalsOptions.FirstOnly asks for one goal with its name only
// (limit=1, opt_fields=name: the listed opt_fields do not name gid, which
// Asana sends anyway) in one request, and follows no next_page.
func TestGoalsFirstOnlyAsksForOneGoalInOneRequest(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"more pages", `{"data":[{"gid":"11","name":"A"}],"next_page":{"offset":"p2","path":"/goals?offset=p2","uri":"x"}}`, []string{"11"}},
		{"empty workspace", `{"data":[],"next_page":null}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var queries []string
			h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
				queries = append(queries, req.URL.RawQuery)
				return jsonResponse(200, tc.body), nil
			})
			var got []string
			for g, err := range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1", FirstOnly: true, OmitNotes: true}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, g.GID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("yielded %v, want %v", got, tc.want)
			}
			if want := "limit=1&opt_fields=name&workspace=1"; len(queries) != 1 || queries[0] != want {
				t.Errorf("requests %q, want one with %q", queries, want)
			}
		})
	}
}
