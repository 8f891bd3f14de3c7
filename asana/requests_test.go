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
func TestList_unreadableRecordIsThatRecordsErrorAlone(t *testing.T) {
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
func TestRecordError_holdsNoToken(t *testing.T) {
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
func TestList_oversizedOffsetEndsTheListing(t *testing.T) {
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
func TestList_doesNotKeepItsOffsets(t *testing.T) {
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
func TestClient_Goals_breakingOutEndsThePageAskedForAhead(t *testing.T) {
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
func TestClient_Goals_firstOnlyAsksForOneGoalInOneRequest(t *testing.T) {
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
func TestGet_refusedStatusTypeIsAskedForNoMore(t *testing.T) {
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
func TestGet_otherBadRequestsAreNotRetriedWithoutTheStatusType(t *testing.T) {
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

// listCall is one of the paginated endpoints, reduced to "send it, count
// the items, return the error".
type listCall struct {
	name string
	path string // registered with httpmock, under apiRoot
	call func(context.Context, *asana.Client) (int, error)
}

func countSeq[T any](seq func(func(T, error) bool)) (int, error) {
	n := 0
	for _, err := range seq {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

var listCalls = []listCall{
	{"Goals", "/goals", func(ctx context.Context, c *asana.Client) (int, error) {
		return countSeq(c.Goals(ctx, asana.ListGoalsOptions{Workspace: "1"}))
	}},
	{"Subgoals", "/goals/5/subgoals", func(ctx context.Context, c *asana.Client) (int, error) {
		gs, err := c.Subgoals(ctx, "5")
		return len(gs), err
	}},
	{"GoalRelationships", "/goal_relationships", func(ctx context.Context, c *asana.Client) (int, error) {
		rs, err := c.GoalRelationships(ctx, "5", asana.SubtypeSubgoal)
		return len(rs), err
	}},
	{"WorkspaceUsers", "/users", func(ctx context.Context, c *asana.Client) (int, error) {
		return countSeq(c.WorkspaceUsers(ctx, "1"))
	}},
}

// emptyForever answers every page with no item and a fresh offset, after
// first answering the given pages.
func emptyForever(first ...string) (httpmock.Responder, *atomic.Int32) {
	var calls atomic.Int32
	return func(*http.Request) (*http.Response, error) {
		n := int(calls.Add(1))
		if n <= len(first) {
			return jsonResponse(200, first[n-1]), nil
		}
		return jsonResponse(200, goalsPage(nil, fmt.Sprintf("fresh-%d", n))), nil
	}, &calls
}

// A 2xx answer without its data list is malformed, never an empty list:
// read as "no goals" it would make a sync remove every stored goal. It is
// retried like any other malformed body, and then an error.
func TestList_withoutDataListIsMalformed(t *testing.T) {
	bodies := []struct {
		name, body string
		onlyGoals  bool // the other endpoints are checked with {"data":null}
	}{
		{"data null", `{"data":null}`, false},
		{"empty object", `{}`, true},
		{"errors with 200", `{"errors":[{"message":"x"}]}`, true},
		{"data is an object", `{"data":{}}`, true},
		{"data is a string", `{"data":"[]"}`, true},
		{"data is a number", `{"data":0,"next_page":null}`, true},
		{"top level list", `[]`, true},
		{"top level null", `null`, true},
		{"empty body", ``, true},
	}
	const retries = 2
	for _, lc := range listCalls {
		for _, b := range bodies {
			if b.onlyGoals && lc.name != "Goals" {
				continue
			}
			t.Run(lc.name+"/"+b.name, func(t *testing.T) {
				h := newHarness(t, asana.WithMaxRetries(retries))
				h.mock.RegisterResponder("GET", apiRoot+lc.path, func(*http.Request) (*http.Response, error) {
					return jsonResponse(200, b.body), nil
				})
				n, err := lc.call(context.Background(), h.client)
				if !errors.Is(err, asana.ErrMalformedResponse) {
					t.Fatalf("err = %v, want ErrMalformedResponse", err)
				}
				if n != 0 {
					t.Errorf("%d items before the error, want none", n)
				}
				var ae *asana.Error
				if !errors.As(err, &ae) {
					t.Fatalf("err = %v (%T), want *asana.Error", err, err)
				}
				if ae.StatusCode != 200 || ae.Path != lc.path || ae.Attempts != retries+1 {
					t.Errorf("Error = %d %s, %d attempts; want 200 %s, %d attempts", ae.StatusCode, ae.Path, ae.Attempts, lc.path, retries+1)
				}
				if got := h.mock.GetTotalCallCount(); got != retries+1 {
					t.Errorf("%d requests, want %d: a malformed body is retried", got, retries+1)
				}
				if !strings.Contains(err.Error(), "after 3 attempts") {
					t.Errorf("error %q does not say how often it was tried", err)
				}
			})
		}
	}
}

// A retry that gets a proper answer is a success: the malformed answer
// leaves no trace.
func TestList_malformedAnswerThenAGoodOneIsASuccess(t *testing.T) {
	h := newHarness(t, asana.WithMaxRetries(2))
	var calls atomic.Int32
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(*http.Request) (*http.Response, error) {
		if calls.Add(1) == 1 {
			return jsonResponse(200, `{"data":null}`), nil
		}
		return jsonResponse(200, goalsPage([]string{"1", "2"}, "")), nil
	})
	gids, err := collectGoals(t, h.client, context.Background(), "1")
	if err != nil || strings.Join(gids, ",") != "1,2" {
		t.Fatalf("goals = %v, err = %v; want 1,2 after one retry", gids, err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// A malformed page after good ones ends the listing with an error after
// the good pages' items: the caller must not take the items for the whole
// list.
func TestList_malformedPageAfterGoodOnesEndsWithAnError(t *testing.T) {
	h := newHarness(t, asana.WithMaxRetries(1))
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("offset") == "" {
			return jsonResponse(200, goalsPage([]string{"1"}, "p2")), nil
		}
		return jsonResponse(200, `{"data":null,"next_page":null}`), nil
	})
	gids, err := collectGoals(t, h.client, context.Background(), "1")
	if !errors.Is(err, asana.ErrMalformedResponse) || strings.Join(gids, ",") != "1" {
		t.Fatalf("goals = %v, err = %v; want goal 1, then ErrMalformedResponse", gids, err)
	}
}

// {"data":[]} without a next page is a real empty list: no error, one
// request.
func TestList_emptyDataListIsNotAnError(t *testing.T) {
	for _, lc := range listCalls {
		for _, body := range []string{`{"data":[]}`, `{"data":[],"next_page":null}`, `{"data":[],"next_page":{"offset":""}}`} {
			t.Run(lc.name+"/"+body, func(t *testing.T) {
				h := newHarness(t)
				h.mock.RegisterResponder("GET", apiRoot+lc.path, httpmock.NewStringResponder(200, body))
				n, err := lc.call(context.Background(), h.client)
				if err != nil || n != 0 {
					t.Fatalf("n = %d, err = %v; want an empty list", n, err)
				}
				if got := h.mock.GetTotalCallCount(); got != 1 {
					t.Errorf("%d requests, want 1", got)
				}
			})
		}
	}
}

// One object endpoints want an object in data.
func TestGet_withoutDataObjectIsMalformed(t *testing.T) {
	calls := []struct {
		name, path string
		call       func(context.Context, *asana.Client) error
	}{
		{"Goal", "/goals/5", func(ctx context.Context, c *asana.Client) error { _, err := c.Goal(ctx, "5"); return err }},
		{"Me", "/users/me", func(ctx context.Context, c *asana.Client) error { _, err := c.Me(ctx); return err }},
	}
	for _, c := range calls {
		for _, body := range []string{`{"data":null}`, `{}`, `{"data":[]}`, `{"data":[{"gid":"5"}]}`, `{"data":"5"}`} {
			t.Run(c.name+"/"+body, func(t *testing.T) {
				h := newHarness(t, asana.WithMaxRetries(1))
				h.mock.RegisterResponder("GET", apiRoot+c.path, httpmock.NewStringResponder(200, body))
				err := c.call(context.Background(), h.client)
				if !errors.Is(err, asana.ErrMalformedResponse) {
					t.Fatalf("err = %v, want ErrMalformedResponse", err)
				}
				if got := h.mock.GetTotalCallCount(); got != 2 {
					t.Errorf("%d requests, want 2: a malformed body is retried", got)
				}
			})
		}
	}
}

// A server going round in circles with empty pages is stopped after
// MaxEmptyPages of them in a row, with an error that says so, and none of
// those pages is retried (each was a well-formed answer).
func TestList_endlessEmptyPagesStop(t *testing.T) {
	for _, lc := range listCalls {
		for _, lead := range []int{0, 1} {
			t.Run(fmt.Sprintf("%s/after %d full pages", lc.name, lead), func(t *testing.T) {
				h := newHarness(t)
				var first []string
				for i := range lead {
					first = append(first, goalsPage([]string{fmt.Sprint(i + 1)}, fmt.Sprintf("lead-%d", i)))
				}
				r, calls := emptyForever(first...)
				h.mock.RegisterResponder("GET", apiRoot+lc.path, r)
				n, err := lc.call(context.Background(), h.client)
				if !errors.Is(err, asana.ErrMalformedResponse) {
					t.Fatalf("err = %v, want ErrMalformedResponse", err)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("%d empty pages in a row", asana.MaxEmptyPages)) {
					t.Errorf("error %q does not name the problem", err)
				}
				if got, want := int(calls.Load()), lead+asana.MaxEmptyPages; got != want {
					t.Errorf("%d requests, want %d (%d full, then %d empty pages)", got, want, lead, asana.MaxEmptyPages)
				}
				if lc.name == "Goals" && n != lead {
					t.Errorf("%d goals before the error, want %d", n, lead)
				}
				if r := h.client.Stats().Retries; r != 0 {
					t.Errorf("%d retries, want none", r)
				}
			})
		}
	}
}

// Runs of empty pages a little shorter than the bound, between pages with
// goals, are a legitimate listing: every goal arrives, no error. The run
// counter starts again at each page with goals.
func TestList_emptyPageRunsBelowTheBoundAreFollowed(t *testing.T) {
	h := newHarness(t)
	var pages []string
	var want []string
	for round := range 3 {
		gid := fmt.Sprint(round + 1)
		want = append(want, gid)
		pages = append(pages, goalsPage([]string{gid}, fmt.Sprintf("r%d-0", round)))
		if round == 2 {
			break
		}
		for i := 1; i < asana.MaxEmptyPages; i++ {
			pages = append(pages, goalsPage(nil, fmt.Sprintf("r%d-%d", round, i)))
		}
	}
	pages[len(pages)-1] = goalsPage([]string{"3"}, "")
	var calls atomic.Int32
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(*http.Request) (*http.Response, error) {
		n := int(calls.Add(1))
		if n > len(pages) {
			t.Errorf("request %d after the last page", n)
			return jsonResponse(400, `{"errors":[{"message":"no such page"}]}`), nil
		}
		return jsonResponse(200, pages[n-1]), nil
	})
	var pageCalls [][2]int
	var got []string
	for g, err := range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1", OnPage: func(page, items int) {
		pageCalls = append(pageCalls, [2]int{page, items})
	}}) {
		if err != nil {
			t.Fatalf("after goals %v: %v", got, err)
		}
		got = append(got, g.GID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("goals = %v, want %v", got, want)
	}
	if int(calls.Load()) != len(pages) || len(pageCalls) != len(pages) {
		t.Errorf("%d requests, %d OnPage calls; want %d of each", calls.Load(), len(pageCalls), len(pages))
	}
}

// OnPage hears of each page once, numbered from 1, with its item count,
// after that page's items were yielded and before the next page's.
func TestClient_Goals_onPageFollowsEachPage(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
		switch req.URL.Query().Get("offset") {
		case "":
			return jsonResponse(200, goalsPage([]string{"1", "2"}, "a")), nil
		case "a":
			return jsonResponse(200, goalsPage(nil, "b")), nil
		case "b":
			return jsonResponse(200, goalsPage([]string{"3"}, "")), nil
		}
		return jsonResponse(400, `{"errors":[{"message":"bad offset"}]}`), nil
	})
	var events []string
	opts := asana.ListGoalsOptions{Workspace: "1", OnPage: func(page, items int) {
		events = append(events, fmt.Sprintf("page %d: %d", page, items))
	}}
	for g, err := range h.client.Goals(context.Background(), opts) {
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, "goal "+g.GID)
	}
	want := "goal 1|goal 2|page 1: 2|page 2: 0|goal 3|page 3: 1"
	if got := strings.Join(events, "|"); got != want {
		t.Errorf("events = %s\nwant     %s", got, want)
	}
}

// A caller that stops ranging stops OnPage too: no page after the break is
// reported, and none but the one asked for ahead (the scan reads a page
// while the next is on its way) is fetched.
func TestClient_Goals_onPageNotCalledAfterBreak(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
		return jsonResponse(200, goalsPage([]string{"1", "2"}, "next-"+req.URL.Query().Get("offset"))), nil
	})
	var pages int
	for range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1", OnPage: func(int, int) { pages++ }}) {
		break
	}
	if n := h.mock.GetTotalCallCount(); pages != 0 || n > 2 {
		t.Errorf("OnPage calls = %d, requests = %d; want 0 and at most 2 (one page ahead)", pages, n)
	}
}

// ListGoalsOptions.TimePeriods sends every time period, comma-separated,
// and no filter when there is none.
func TestClient_Goals_filtersByEveryTimePeriod(t *testing.T) {
	for _, tc := range []struct {
		periods []string
		want    []string // the time_periods values sent; nil: none
	}{
		{[]string{"11", "22", "33"}, []string{"11,22,33"}},
		{[]string{"11"}, []string{"11"}},
		{nil, nil},
	} {
		h := newHarness(t)
		var got []string
		h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
			got = req.URL.Query()["time_periods"]
			return jsonResponse(200, goalsPage([]string{"1"}, "")), nil
		})
		if _, err := countSeq(h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1", TimePeriods: tc.periods})); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || (got == nil) != (tc.want == nil) {
			t.Errorf("TimePeriods %q: time_periods sent %q, want %q", tc.periods, got, tc.want)
		}
	}
}

// A 3xx that net/http does not follow (no Location, or 304) is an error
// with its status, never an answer, whatever its body holds.
func TestGet_unfollowedRedirectIsAnError(t *testing.T) {
	for _, status := range []int{http.StatusFound, http.StatusNotModified, http.StatusMultipleChoices} {
		h := newHarness(t)
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(status, `{"data":{"gid":"1","name":"Ada"}}`))
		u, err := h.client.Me(context.Background())
		var ae *asana.Error
		if !errors.As(err, &ae) || ae.StatusCode != status {
			t.Errorf("%d without Location: user %+v, err %v; want an *asana.Error with status %d", status, u, err, status)
			continue
		}
		if u != (asana.User{}) {
			t.Errorf("%d without Location: user %+v, want none", status, u)
		}
		if errors.Is(err, asana.ErrMalformedResponse) {
			t.Errorf("%d: err %v matches ErrMalformedResponse, which is for 2xx only", status, err)
		}
	}
}

// A GID that is not Asana's (a '/', a space, letters, too long) is refused
// before any request, so no path is built from it, escaped once or twice.
func TestClient_refusesANonGIDBeforeAnyRequest(t *testing.T) {
	h := newHarness(t)
	var requests atomic.Int32
	h.mock.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
		requests.Add(1)
		return jsonResponse(404, `{"errors":[{"message":"Not Found"}]}`), nil
	})
	c := h.client
	ctx := context.Background()
	for _, gid := range []string{"12/../34", "12 34", "1a", "", " 12", strings.Repeat("1", asana.MaxGIDDigits+1)} {
		_, err1 := c.Goal(ctx, gid)
		_, err2 := c.GoalSummary(ctx, gid)
		_, err3 := c.Subgoals(ctx, gid)
		_, err4 := c.GoalRelationships(ctx, gid, asana.SubtypeSubgoal)
		for i, err := range []error{err1, err2, err3, err4} {
			if err == nil || !strings.Contains(err.Error(), "is not an Asana GID") {
				t.Errorf("call %d with GID %q: err = %v, want it refused as no Asana GID", i, gid, err)
			}
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent for GIDs that are not Asana's", n)
	}
	if !asana.IsGID("1205551234567890") || !asana.IsGID(strings.Repeat("9", asana.MaxGIDDigits)) {
		t.Error("a real GID is refused")
	}
}

// Goals asks for the workspace, pages of 100 and exactly the fields the
// library reads, follows each offset until there is none (an empty page that
// still points on does not end the scan), and retries nothing.
func TestClient_Goals_paginatesAndAsksForFields(t *testing.T) {
	h := newHarness(t)
	var offsets []string
	h.mock.RegisterResponder("GET", apiRoot+"/goals", requireAuth(t, func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		if q.Get("workspace") != "1001" {
			t.Errorf("workspace = %q, want 1001", q.Get("workspace"))
		}
		if q.Get("limit") != "100" {
			t.Errorf("limit = %q, want 100", q.Get("limit"))
		}
		// Exactly the fields the library reads: none it would not use
		// (precision, display values, owner names), none it needs missing.
		fields := strings.Split(q.Get("opt_fields"), ",")
		want := []string{"name", "html_notes", "due_on", "start_on", "status", "owner",
			"current_status_update.status_type", "metric.unit", "metric.currency_code",
			"metric.initial_number_value", "metric.target_number_value", "metric.current_number_value",
			"time_period", "time_period.display_name", "time_period.period", "time_period.start_on", "time_period.end_on"}
		if !slices.Equal(fields, want) {
			t.Errorf("opt_fields = %q, want %q", fields, want)
		}
		off := q.Get("offset")
		offsets = append(offsets, off)
		switch off {
		case "":
			return jsonResponse(200, goalsPage([]string{"1", "2"}, "tokA")), nil
		case "tokA":
			// An empty page that still points on must not end the scan.
			return jsonResponse(200, goalsPage(nil, "tokB")), nil
		case "tokB":
			return jsonResponse(200, goalsPage([]string{"3"}, "")), nil
		}
		t.Errorf("unexpected offset %q", off)
		return jsonResponse(400, `{"errors":[{"message":"bad offset"}]}`), nil
	}))
	gids, err := collectGoals(t, h.client, context.Background(), "1001")
	if err != nil {
		t.Fatalf("Goals: %v", err)
	}
	if got, want := strings.Join(gids, ","), "1,2,3"; got != want {
		t.Errorf("goals = %s, want %s", got, want)
	}
	if got, want := strings.Join(offsets, ","), ",tokA,tokB"; got != want {
		t.Errorf("offsets requested = %q, want %q", got, want)
	}
	if s := h.client.Stats(); s.Requests != 3 || s.Retries != 0 {
		t.Errorf("stats = %+v, want 3 requests and no retries", s)
	}
}

// Goals decodes every field the library reads, ignores fields it does not
// know, and keeps an owner, status, metric or date sent as null as absent.
func TestClient_Goals_decodesFields(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals", httpmock.NewStringResponder(200, `{"data":[
		{"gid":"5","resource_type":"goal","name":"Grow","html_notes":"<body>x</body>","due_on":"2026-12-31","start_on":null,
		 "owner":{"gid":"77","resource_type":"user","name":"Ada"},
		 "current_status_update":{"gid":"9","resource_type":"status_update","status_type":"at_risk"},
		 "metric":{"gid":"m","unit":"percentage","initial_number_value":0,"target_number_value":1,"current_number_value":0.4,"progress_source":"manual"},
		 "some_future_field":{"nested":[1,2,3]}},
		{"gid":"6","name":"Ownerless","owner":null,"current_status_update":null,"metric":null,"due_on":null}
	],"next_page":null}`))
	var got []asana.Goal
	for g, err := range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1"}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, g)
	}
	if len(got) != 2 {
		t.Fatalf("got %d goals, want 2", len(got))
	}
	g := got[0]
	if g.Name != "Grow" || g.HTMLNotes != "<body>x</body>" || g.DueOn.String() != "2026-12-31" || !g.StartOn.IsZero() {
		t.Errorf("goal fields wrong: %+v", g)
	}
	if g.OwnerGID() != "77" || g.Owner.Name != "Ada" || g.StatusType() != "at_risk" {
		t.Errorf("owner/status wrong: %+v %+v", g.Owner, g.CurrentStatusUpdate)
	}
	if g.Metric == nil || g.Metric.CurrentNumberValue != 0.4 || g.Metric.TargetNumberValue != 1 || g.Metric.Unit != "percentage" {
		t.Errorf("metric wrong: %+v", g.Metric)
	}
	o := got[1]
	if o.OwnerGID() != "" || o.StatusType() != "" || o.Metric != nil || !o.DueOn.IsZero() {
		t.Errorf("nulls not kept as absent: %+v", o)
	}
}

// An offset returned twice is ErrMalformedResponse and stops the scan at
// once: a server that loops cannot keep a sync paging forever.
func TestClient_Goals_repeatedOffsetIsAnError(t *testing.T) {
	h := newHarness(t)
	var calls atomic.Int32
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
		if calls.Add(1) > 10 {
			// Not t.Fatal: the scan asks for pages from a goroutine of its own.
			t.Error("client keeps following a looping offset")
			return jsonResponse(400, `{"errors":[{"message":"looping"}]}`), nil
		}
		return jsonResponse(200, goalsPage([]string{"1"}, "same")), nil
	})
	_, err := collectGoals(t, h.client, context.Background(), "1")
	if err == nil || !strings.Contains(err.Error(), "offset token returned twice") {
		t.Fatalf("err = %v, want repeated-offset error", err)
	}
	if !errors.Is(err, asana.ErrMalformedResponse) {
		t.Errorf("errors.Is(err, ErrMalformedResponse) = false for %v", err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("requests = %d, want 2 (first page, then the repeated offset)", n)
	}
}

// Goals without a workspace is an error before any request is sent.
func TestClient_Goals_requiresWorkspaceWithoutRequest(t *testing.T) {
	h := newHarness(t)
	_, err := collectGoals(t, h.client, context.Background(), " ")
	if err == nil || !strings.Contains(err.Error(), "Workspace is required") {
		t.Fatalf("err = %v, want workspace-required error", err)
	}
	if n := h.mock.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests made, want none", n)
	}
}

// Breaking out of the range stops the scan: once the range returns, no
// request is sent after the page read and the one asked for ahead.
func TestClient_Goals_stoppingTheRangeStopsTheScan(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
		return jsonResponse(200, goalsPage([]string{"1", "2"}, "next-"+req.URL.Query().Get("offset"))), nil
	})
	for range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1"}) {
		break
	}
	// The range returns only once the page asked for ahead has ended, so
	// nothing is sent after it: the first page, and at most the next.
	n := h.mock.GetTotalCallCount()
	if n < 1 || n > 2 {
		t.Errorf("%d requests, want the first page and at most the one asked for ahead", n)
	}
	runtime.Gosched()
	if again := h.mock.GetTotalCallCount(); again != n {
		t.Errorf("%d requests after the range returned, then %d", n, again)
	}
}

// A context cancelled between pages ends the scan with context.Canceled,
// after the goals already read, and the cancelled request is not retried.
func TestClient_Goals_contextCancelledMidPagination(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("offset") == "p2" {
			cancel()
			<-req.Context().Done()
			return nil, req.Context().Err()
		}
		return jsonResponse(200, goalsPage([]string{"1"}, "p2")), nil
	})
	gids, err := collectGoals(t, h.client, ctx, "1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(gids) != 1 {
		t.Errorf("goals before cancel = %v", gids)
	}
	if n := h.mock.GetTotalCallCount(); n != 2 {
		t.Errorf("requests = %d, want 2 (no retry after cancel)", n)
	}
}

// Subgoals follows its pages and asks for the status field; GoalRelationships
// asks for the supported goal's subgoal relationships, pages of 100 and only
// the fields the sync reads, and decodes the supporting goal.
func TestClient_Subgoals_andGoalRelationships(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals/10/subgoals", func(req *http.Request) (*http.Response, error) {
		if !strings.Contains(req.URL.Query().Get("opt_fields"), "current_status_update.status_type") {
			t.Errorf("subgoals opt_fields = %q", req.URL.Query().Get("opt_fields"))
		}
		if req.URL.Query().Get("offset") == "" {
			return jsonResponse(200, goalsPage([]string{"11"}, "o2")), nil
		}
		return jsonResponse(200, goalsPage([]string{"12"}, "")), nil
	})
	h.mock.RegisterResponder("GET", apiRoot+"/goal_relationships", func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		if q.Get("supported_goal") != "10" || q.Get("resource_subtype") != "subgoal" || q.Get("limit") != "100" {
			t.Errorf("goal_relationships query = %v", q)
		}
		// What the sync reads of a relationship, and nothing more.
		if f := q.Get("opt_fields"); f != "resource_subtype,supporting_resource" {
			t.Errorf("goal_relationships opt_fields = %q, want resource_subtype,supporting_resource", f)
		}
		return jsonResponse(200, `{"data":[{"gid":"r1","resource_type":"goal_relationship","resource_subtype":"subgoal",
			"supporting_resource":{"gid":"11","resource_type":"goal","name":"Sub"},"contribution_weight":0.5}],"next_page":null}`), nil
	})
	subs, err := h.client.Subgoals(context.Background(), "10")
	if err != nil || len(subs) != 2 || subs[0].GID != "11" || subs[1].GID != "12" {
		t.Fatalf("Subgoals = %+v, %v", subs, err)
	}
	rels, err := h.client.GoalRelationships(context.Background(), "10", asana.SubtypeSubgoal)
	if err != nil || len(rels) != 1 {
		t.Fatalf("GoalRelationships = %+v, %v", rels, err)
	}
	r := rels[0]
	if r.ResourceSubtype != "subgoal" || r.SupportingResource.GID != "11" || r.SupportingResource.ResourceType != "goal" {
		t.Errorf("relationship = %+v %+v", r, r.SupportingResource)
	}
}

// When Asana has retired the subgoals route, Subgoals is ErrNotFound naming
// the path, so the caller can fall back to goal relationships.
func TestClient_Subgoals_retiredPathIsNotFound(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals/10/subgoals", httpmock.NewStringResponder(404,
		`{"errors":[{"message":"No matching route for request","help":"For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors"}]}`))
	_, err := h.client.Subgoals(context.Background(), "10")
	if !errors.Is(err, asana.ErrNotFound) || !strings.Contains(err.Error(), "/goals/10/subgoals") {
		t.Fatalf("err = %v, want ErrNotFound naming the path", err)
	}
}

// WorkspaceUsers asks for the workspace's users with their name and email
// only, and follows every page.
func TestClient_WorkspaceUsers(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/users", func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		if q.Get("workspace") != "1001" || q.Get("opt_fields") != "name,email" {
			t.Errorf("users query = %v", q)
		}
		if q.Get("offset") == "" {
			return jsonResponse(200, `{"data":[{"gid":"1","name":"A","email":"a@x"}],"next_page":{"offset":"n"}}`), nil
		}
		return jsonResponse(200, `{"data":[{"gid":"2","name":"B","email":"b@x"}],"next_page":null}`), nil
	})
	var names []string
	for u, err := range h.client.WorkspaceUsers(context.Background(), "1001") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, u.Name+"<"+u.Email+">")
	}
	if got := strings.Join(names, ","); got != "A<a@x>,B<b@x>" {
		t.Errorf("users = %s", got)
	}
}

// An empty GID is refused by Goal, Subgoals, GoalRelationships and
// WorkspaceUsers before any request is sent.
func TestClient_emptyGIDsAreRefusedWithoutRequest(t *testing.T) {
	h := newHarness(t)
	if _, err := h.client.Goal(context.Background(), ""); err == nil {
		t.Error("Goal(\"\") succeeded")
	}
	if _, err := h.client.Subgoals(context.Background(), ""); err == nil {
		t.Error("Subgoals(\"\") succeeded")
	}
	if _, err := h.client.GoalRelationships(context.Background(), "", "subgoal"); err == nil {
		t.Error("GoalRelationships(\"\") succeeded")
	}
	for _, err := range h.client.WorkspaceUsers(context.Background(), "") {
		if err == nil {
			t.Error("WorkspaceUsers(\"\") yielded no error")
		}
	}
	if n := h.mock.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

// Every request sends the configured User-Agent and asks for JSON.
func TestGet_sendsUserAgentAndAccept(t *testing.T) {
	h := newHarness(t, asana.WithUserAgent("perfcopilot/1.2"))
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(req *http.Request) (*http.Response, error) {
		if ua := req.Header.Get("User-Agent"); ua != "perfcopilot/1.2" {
			t.Errorf("User-Agent = %q", ua)
		}
		if a := req.Header.Get("Accept"); a != "application/json" {
			t.Errorf("Accept = %q", a)
		}
		return jsonResponse(200, `{"data":{"gid":"1"}}`), nil
	})
	if _, err := h.client.Me(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// workspacesResult is what ranging over Client.Workspaces gave: the
// workspaces yielded without an error, and the errors in order.
type workspacesResult struct {
	workspaces []asana.Workspace
	errs       []error
}

func rangeWorkspaces(c *asana.Client) workspacesResult {
	var r workspacesResult
	for w, err := range c.Workspaces(context.Background()) {
		if err != nil {
			if w != (asana.Workspace{}) {
				r.errs = append(r.errs, errors.New("a non-zero Workspace came with the error"))
			}
			r.errs = append(r.errs, err)
			continue
		}
		r.workspaces = append(r.workspaces, w)
	}
	return r
}

// Workspaces asks for pages of 100 with the name only, follows each offset
// until there is none (an empty page that still points on does not end the
// listing), and yields every workspace in order.
func TestClient_Workspaces_paginatesAndAsksForName(t *testing.T) {
	h := newHarness(t)
	var offsets []string
	h.mock.RegisterResponder("GET", apiRoot+"/workspaces", requireAuth(t, func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		if q.Get("limit") != "100" || q.Get("opt_fields") != "name" || len(q) > 3 {
			t.Errorf("workspaces query = %v, want limit=100, opt_fields=name and an offset after the first page", q)
		}
		off := q.Get("offset")
		offsets = append(offsets, off)
		switch off {
		case "":
			return jsonResponse(200, `{"data":[{"gid":"1001","resource_type":"workspace","name":"Acme"},
				{"gid":"1002","resource_type":"workspace","name":"Acme Labs"}],"next_page":{"offset":"p2","path":"/workspaces?offset=p2","uri":"x"}}`), nil
		case "p2":
			// An empty page that still points on does not end the listing.
			return jsonResponse(200, `{"data":[],"next_page":{"offset":"p3"}}`), nil
		case "p3":
			return jsonResponse(200, `{"data":[{"gid":"1003","resource_type":"workspace","name":"Personal"}],"next_page":null}`), nil
		}
		t.Errorf("unexpected offset %q", off)
		return jsonResponse(400, `{"errors":[{"message":"offset: invalid"}]}`), nil
	}))
	r := rangeWorkspaces(h.client)
	if len(r.errs) > 0 {
		t.Fatalf("errors: %v", r.errs)
	}
	want := []asana.Workspace{
		{GID: "1001", ResourceType: "workspace", Name: "Acme"},
		{GID: "1002", ResourceType: "workspace", Name: "Acme Labs"},
		{GID: "1003", ResourceType: "workspace", Name: "Personal"},
	}
	if len(r.workspaces) != len(want) {
		t.Fatalf("workspaces = %+v, want %+v", r.workspaces, want)
	}
	for i := range want {
		if r.workspaces[i] != want[i] {
			t.Errorf("workspace %d = %+v, want %+v", i, r.workspaces[i], want[i])
		}
	}
	if got := strings.Join(offsets, ","); got != ",p2,p3" {
		t.Errorf("offsets requested = %q, want \",p2,p3\"", got)
	}
}

// A record without a usable GID is that record's error, matching
// ErrMalformedResponse, and the listing goes on with the next one.
func TestClient_Workspaces_malformedRecords(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/workspaces", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("offset") == "" {
			return jsonResponse(200, `{"data":[
				{"gid":"1001","name":"Good"},
				{"name":"No gid"},
				{"gid":"","name":"Empty gid"},
				{"gid":"12ab","name":"Not digits"},
				{"gid":"`+strings.Repeat("9", asana.MaxGIDDigits+1)+`","name":"Too long"},
				{"gid":"1/`+testToken[2:]+`","name":"Echoes the token"}
			],"next_page":{"offset":"n"}}`), nil
		}
		// A record that does not decode: the page is read record by record.
		return jsonResponse(200, `{"data":[{"gid":1004,"name":"Numeric gid"},{"gid":"1005","name":["not","a","string"]},{"gid":"1006","name":"Last"}],"next_page":null}`), nil
	})
	r := rangeWorkspaces(h.client)
	var gids []string
	for _, w := range r.workspaces {
		gids = append(gids, w.GID)
	}
	if got := strings.Join(gids, ","); got != "1001,1006" {
		t.Errorf("workspaces yielded = %s, want 1001,1006", got)
	}
	if len(r.errs) != 7 {
		t.Fatalf("%d errors, want 7 (one per bad record): %v", len(r.errs), r.errs)
	}
	for i, err := range r.errs {
		var re *asana.RecordError
		if !errors.Is(err, asana.ErrMalformedResponse) || !errors.As(err, &re) || re.Path != "/workspaces" {
			t.Errorf("error %d = %v, want a *RecordError of /workspaces matching ErrMalformedResponse", i, err)
		}
		checkNoToken(t, err)
	}
	if re := new(asana.RecordError); errors.As(r.errs[6], &re) && re.GID != "1005" {
		t.Errorf("undecodable record's error names GID %q, want 1005", re.GID)
	}
	if !strings.Contains(r.errs[2].Error(), `"12ab"`) {
		t.Errorf("error %q does not quote the bad gid", r.errs[2])
	}
	if n := h.mock.GetTotalCallCount(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// A refused token ends Workspaces with one error, a 401 *Error of /workspaces
// matching ErrUnauthorized, without the query or the token and not retried.
func TestClient_Workspaces_unauthorized(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/workspaces", httpmock.NewStringResponder(401,
		`{"errors":[{"message":"Not Authorized","help":"For more information on API status codes…"}]}`))
	r := rangeWorkspaces(h.client)
	if len(r.workspaces) != 0 || len(r.errs) != 1 {
		t.Fatalf("got %+v and errors %v, want one error and nothing else", r.workspaces, r.errs)
	}
	err := r.errs[0]
	var ae *asana.Error
	if !errors.Is(err, asana.ErrUnauthorized) || !errors.As(err, &ae) || ae.Path != "/workspaces" || ae.StatusCode != 401 {
		t.Errorf("err = %v, want a 401 *asana.Error of /workspaces matching ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "opt_fields") {
		t.Errorf("error %q leaks the query string", err)
	}
	checkNoToken(t, err)
	if n := h.mock.GetTotalCallCount(); n != 1 {
		t.Errorf("%d requests, want 1: a 401 is not retried", n)
	}
}

// Stopping the range stops the listing: no page after the one read.
func TestClient_Workspaces_stopEarly(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/workspaces", func(req *http.Request) (*http.Response, error) {
		return jsonResponse(200, `{"data":[{"gid":"1"},{"gid":"2"}],"next_page":{"offset":"more"}}`), nil
	})
	for range h.client.Workspaces(context.Background()) {
		break
	}
	if n := h.mock.GetTotalCallCount(); n != 1 {
		t.Errorf("%d requests after stopping at the first workspace, want 1", n)
	}
}
