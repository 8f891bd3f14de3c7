package asana_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"

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

// prismBadRequest answers as Prism, a mock that validates requests against
// Asana's description, answers a request whose opt_fields hold an entry
// the operation does not list: 400 with the description's example error
// body, which names nothing, and the violation in sl-violations, by the
// entry's place in opt_fields.
func prismBadRequest(req *http.Request) *http.Response {
	fields := strings.Split(req.URL.Query().Get("opt_fields"), ",")
	i := slices.Index(fields, asana.StatusTypeField)
	resp := jsonResponse(400, `{"errors":[{"message":"project: Missing input","help":"For more information on API status codes and how to handle them, read the docs on errors: https://asana.github.io/developer-docs/#errors'","phrase":"6 sad squid snuggle softly"}]}`)
	resp.Header.Set("sl-violations", fmt.Sprintf(`[{"location":["request","query","opt_fields","%d"],"severity":"Error","code":"enum",`+
		`"message":"Request query parameter opt_fields.%d must be equal to one of the allowed values: current_status_update, current_status_update.resource_subtype, current_status_update.title, name, owner, status"}]`, i, i))
	return resp
}

// asksStatusType reports whether req's opt_fields hold the status update's
// status_type.
func asksStatusType(req *http.Request) bool {
	for _, v := range req.URL.Query()["opt_fields"] {
		if slices.Contains(strings.Split(v, ","), asana.StatusTypeField) {
			return true
		}
	}
	return false
}

// When Asana refuses current_status_update.status_type (a 400 naming it,
// in its error message or, from a mock or proxy validating against
// Asana's description, in sl-violations), the request is sent again once
// without it, and no later request of the client asks for it: the goals
// come without a status type, so their statuses come from their own status
// field.
func TestRefusedStatusTypeIsAskedForNoMore(t *testing.T) {
	for _, tc := range []struct {
		name   string
		refuse func(*http.Request) *http.Response
	}{
		{"prism's sl-violations", prismBadRequest},
		{"by its place alone", func(req *http.Request) *http.Response {
			resp := prismBadRequest(req)
			i := slices.Index(strings.Split(req.URL.Query().Get("opt_fields"), ","), asana.StatusTypeField)
			resp.Header.Set("sl-violations", fmt.Sprintf(`[{"location":["request","query","opt_fields",%d],"message":"must be equal to one of the allowed values"}]`, i))
			return resp
		}},
		{"by its place in the message", func(req *http.Request) *http.Response {
			resp := prismBadRequest(req)
			i := slices.Index(strings.Split(req.URL.Query().Get("opt_fields"), ","), asana.StatusTypeField)
			resp.Header.Set("sl-violations", fmt.Sprintf(`[{"location":["request","query"],"message":"Request query parameter opt_fields.%d must be equal to one of the allowed values"}]`, i))
			return resp
		}},
		{"asana's error message", func(*http.Request) *http.Response {
			return jsonResponse(400, `{"errors":[{"message":"opt_fields: Unknown field current_status_update.status_type"}]}`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var sent []string
			var mu sync.Mutex
			answer := func(body string) httpmock.Responder {
				return func(req *http.Request) (*http.Response, error) {
					mu.Lock()
					sent = append(sent, req.URL.Path+" "+req.URL.Query().Get("opt_fields"))
					mu.Unlock()
					if asksStatusType(req) {
						return tc.refuse(req), nil
					}
					return jsonResponse(200, body), nil
				}
			}
			h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
				next := "p2"
				if req.URL.Query().Get("offset") == "p2" {
					next = ""
				}
				return answer(goalsPage([]string{"1" + next}, next))(req)
			})
			h.mock.RegisterResponder("GET", apiRoot+"/goals/9", answer(`{"data":{"gid":"9","name":"Nine","status":"green"}}`))
			if h.client.StatusTypeRefused() {
				t.Fatal("refused before any request")
			}
			var got []string
			for g, err := range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1"}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, g.GID)
			}
			if fmt.Sprint(got) != "[1p2 1]" {
				t.Errorf("goals %v, want both pages", got)
			}
			if !h.client.StatusTypeRefused() {
				t.Error("StatusTypeRefused() = false after the refusal")
			}
			for _, get := range []func() (asana.Goal, error){
				func() (asana.Goal, error) { return h.client.Goal(context.Background(), "9") },
				func() (asana.Goal, error) { return h.client.GoalSummary(context.Background(), "9") },
			} {
				if g, err := get(); err != nil || g.Status != "green" {
					t.Errorf("goal 9 = %+v, %v", g, err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			// The first page twice (refused, then without the field), every
			// later request once, without it.
			if len(sent) != 5 || !strings.Contains(sent[0], asana.StatusTypeField) {
				t.Fatalf("requests %q, want the refused one and four without the field", sent)
			}
			for _, s := range sent[1:] {
				if strings.Contains(s, asana.StatusTypeField) || strings.Contains(s, "current_status_update") || !strings.Contains(s, "status") {
					t.Errorf("request %q after the refusal: want the goal's status without the status update's", s)
				}
			}
		})
	}
}

// A page asked for again without the refused status type is read record
// by record from that second answer: one record the client cannot read is
// still that record's error alone.
func TestGoals_unreadableRecordAfterTheStatusTypeIsRefused(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
		if asksStatusType(req) {
			return jsonResponse(400, `{"errors":[{"message":"opt_fields: Unknown field current_status_update.status_type"}]}`), nil
		}
		return jsonResponse(200, `{"data":[{"gid":"1","name":"A"},{"gid":"2","due_on":"next spring"}],"next_page":null}`), nil
	})
	var got []string
	for g, err := range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1"}) {
		var re *asana.RecordError
		switch {
		case err == nil:
			got = append(got, g.GID)
		case errors.As(err, &re):
			got = append(got, "bad "+re.GID)
		default:
			t.Fatalf("after %v: err = %v, want a *RecordError or none", got, err)
		}
	}
	if want := []string{"1", "bad 2"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("listing yielded %v, want %v", got, want)
	}
	if !h.client.StatusTypeRefused() {
		t.Error("the status type was not refused: the test did not try twice")
	}
}

// Only a 400 that names the status update's status_type is taken for its
// refusal: another 400, or one naming another entry of opt_fields, is the
// request's error, sent once. A server that still refuses the request
// without the field gets it twice, never more.
func TestOtherBadRequestsAreNotRetriedWithoutTheStatusType(t *testing.T) {
	for _, tc := range []struct {
		name      string
		refuse    func(*http.Request) *http.Response
		requests  int
		refused   bool
		wantInErr string
	}{
		{"a missing parameter", func(*http.Request) *http.Response {
			return jsonResponse(400, `{"errors":[{"message":"workspace: Missing input"}]}`)
		}, 1, false, "workspace: Missing input"},
		{"another opt_fields entry", func(req *http.Request) *http.Response {
			resp := jsonResponse(400, `{"errors":[{"message":"project: Missing input"}]}`)
			resp.Header.Set("sl-violations", `[{"location":["request","query","opt_fields","0"],"message":"Request query parameter opt_fields.0 must be equal to one of the allowed values"}]`)
			return resp
		}, 1, false, "400"},
		{"a violations header that is no JSON", func(req *http.Request) *http.Response {
			resp := jsonResponse(400, `{"errors":[{"message":"project: Missing input"}]}`)
			resp.Header.Set("sl-violations", `current_status_update.status_type`+"[")
			return resp
		}, 1, false, "400"},
		{"refused with and without it", func(req *http.Request) *http.Response {
			return jsonResponse(400, `{"errors":[{"message":"opt_fields: Unknown field current_status_update.status_type"}]}`)
		}, 2, true, "400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			n := 0
			h.mock.RegisterResponder("GET", apiRoot+"/goals/9", func(req *http.Request) (*http.Response, error) {
				n++
				return tc.refuse(req), nil
			})
			_, err := h.client.Goal(context.Background(), "9")
			if err == nil || !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("err = %v, want one with %q", err, tc.wantInErr)
			}
			if n != tc.requests || h.client.StatusTypeRefused() != tc.refused {
				t.Errorf("%d requests, refused %v; want %d, %v", n, h.client.StatusTypeRefused(), tc.requests, tc.refused)
			}
		})
	}
}
