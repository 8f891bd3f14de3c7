package asana_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
)

// Answers that a proxy, a misbehaving Asana or a gateway can give, and what
// the client must make of them.

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

// A 2xx answer without its data list is malformed, never an empty list:
// read as "no goals" it would make a sync remove every stored goal. It is
// retried like any other malformed body, and then an error.
func TestListWithoutDataListIsMalformed(t *testing.T) {
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
func TestListWithoutDataListThenGoodAnswer(t *testing.T) {
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
func TestMalformedSecondPage(t *testing.T) {
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
func TestEmptyDataListIsNotAnError(t *testing.T) {
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
func TestItemWithoutDataObjectIsMalformed(t *testing.T) {
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

// A server going round in circles with empty pages is stopped after
// MaxEmptyPages of them in a row, with an error that says so, and none of
// those pages is retried (each was a well-formed answer).
func TestEndlessEmptyPagesStop(t *testing.T) {
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
func TestEmptyPageRunsBelowTheBoundAreFollowed(t *testing.T) {
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
func TestOnPageFollowsEachPage(t *testing.T) {
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
func TestOnPageNotCalledAfterBreak(t *testing.T) {
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

// patToken has the shape of a real Personal Access Token.
const patToken = "2/1205551234567890/1205559876543210:0123456789abcdef0123456789abcdef"

// leaked returns the longest piece of the token's secret (12 characters or
// more, the secret being what follows the token's last ':') in s, or in s
// with its escapes (Go quoting, JSON's \uXXXX and \/, URL %XX) undone, or
// "". The rest of the token, its user and app GIDs, is public.
func leaked(s, token string) string {
	secret := token[strings.LastIndexByte(token, ':')+1:]
	if p := leakedAsIs(s, secret); p != "" {
		return p
	}
	return leakedAsIs(unescapeAll(s), secret)
}

func unescapeAll(s string) string {
	for {
		t := strings.ReplaceAll(s, `\\`, `\`)
		if t == s {
			break
		}
		s = t
	}
	s = jsonEscape.ReplaceAllStringFunc(s, func(m string) string {
		n, err := strconv.ParseUint(m[2:], 16, 32)
		if err != nil {
			return m
		}
		return string(rune(n))
	})
	s = strings.ReplaceAll(s, `\/`, "/")
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	return s
}

var jsonEscape = regexp.MustCompile(`\\u[0-9a-fA-F]{4}`)

func leakedAsIs(s, token string) string {
	for n := len(token); n >= 12; n-- {
		for i := 0; i+n <= len(token); i++ {
			if strings.Contains(s, token[i:i+n]) {
				return token[i : i+n]
			}
		}
	}
	return ""
}

// jsonUnicodeEscape spells every character of s as a \u00XX escape.
func jsonUnicodeEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// An answer that echoes the request's headers back carries the token; the
// client keeps none of it, in any form, in anything it returns or logs.
func TestTokenEchoedInAnswersIsRedacted(t *testing.T) {
	tok := patToken
	bearer := "Authorization: Bearer " + tok
	cutAt := strings.Index(tok, ":") + 6 // inside the secret part
	// The token with its colon spelled \u003a: the raw body holds the
	// secret part as it is.
	colonEscaped := strings.Replace(tok, ":", `\u003a`, 1)
	html := func(title string) string {
		return `<!DOCTYPE html><html><head><title>` + title + `</title></head><body><h1>` + title +
			`</h1><pre>GET /api/1.0/users/me HTTP/1.1
Host: app.asana.com
` + bearer + `
Accept: application/json</pre></body></html>`
	}
	cut := func(status int, body string) func() *http.Response {
		return func() *http.Response {
			r := httpmock.NewStringResponse(status, "")
			r.Body = io.NopCloser(io.MultiReader(strings.NewReader(body), errReader{io.ErrUnexpectedEOF}))
			return r
		}
	}
	text := func(status int, body string) func() *http.Response {
		return func() *http.Response { return httpmock.NewStringResponse(status, body) }
	}
	tests := []struct {
		name     string
		resp     func() *http.Response
		sentinel error // nil: no sentinel
	}{
		{"401 message and help", text(401, `{"errors":[{"message":"Not Authorized: `+bearer+`","help":"token `+tok+` was revoked"}]}`), asana.ErrUnauthorized},
		{"403 message", text(403, `{"errors":[{"message":"`+bearer+` may not see this"}]}`), asana.ErrForbidden},
		{"500 phrase", text(500, `{"errors":[{"message":"Server Error","phrase":"6 sad squid `+tok+`"}]}`), nil},
		{"200 HTML", text(200, html("Sign in")), asana.ErrMalformedResponse},
		{"502 HTML", text(502, html("502 Bad Gateway")), nil},
		{"403 HTML, token across the excerpt's end", text(403, `<html><body>`+strings.Repeat("x", 82)+" "+bearer+`</body></html>`), asana.ErrForbidden},
		{"200 body cut inside the token", cut(200, `{"data":{"gid":"1","name":"`+bearer[:len(bearer)-len(tok)+cutAt]), asana.ErrMalformedResponse},
		{"500 body cut inside the token", cut(500, `proxy error; request was `+bearer[:len(bearer)-len(tok)+cutAt]), nil},
		{"401 message, JSON-escaped slashes", text(401, `{"errors":[{"message":"`+strings.ReplaceAll(bearer, "/", `\/`)+`"}]}`), asana.ErrUnauthorized},
		{"401 message, every character JSON-escaped", text(401, `{"errors":[{"message":"Authorization: Bearer `+jsonUnicodeEscape(tok)+`"}]}`), asana.ErrUnauthorized},
		{"401 message, colon JSON-escaped", text(401, `{"errors":[{"message":"Authorization: Bearer `+colonEscaped+`"}]}`), asana.ErrUnauthorized},
		{"200 errors body, colon JSON-escaped", text(200, `{"errors":[{"message":"Bearer `+colonEscaped+`"}]}`), asana.ErrMalformedResponse},
		{"200 errors body, slashes and colon JSON-escaped", text(200, `{"errors":[{"message":"Bearer `+strings.ReplaceAll(colonEscaped, "/", `\/`)+`"}]}`), asana.ErrMalformedResponse},
		{"502 gateway JSON, colon JSON-escaped", text(502, `{"error":"bad gateway","request_headers":{"Authorization":"Bearer `+colonEscaped+`"}}`), nil},
		{"502 gateway JSON, digits JSON-escaped", text(502, `{"error":"bad gateway","auth":"Bearer `+strings.ReplaceAll(tok, "2", `\u0032`)+`"}`), nil},
		{"200 errors body, every character JSON-escaped", text(200, `{"errors":[{"message":"`+jsonUnicodeEscape(tok)+`"}]}`), asana.ErrMalformedResponse},
		{"200 body cut inside an escape in the token", cut(200, `{"data":{"name":"Bearer `+colonEscaped[:strings.Index(colonEscaped, `\u003a`)+4]), asana.ErrMalformedResponse},
		{"200 body cut after an escape in the token", cut(200, `{"data":{"name":"Bearer `+colonEscaped[:strings.Index(colonEscaped, `\u003a`)+9]), asana.ErrMalformedResponse},
		{"404 URL-escaped colon only", text(404, `<p>GET /users/me?t=`+strings.Replace(tok, ":", "%3A", 1)+`</p>`), asana.ErrNotFound},
		{"404 URL-escaped", text(404, `<p>GET /users/me?access_token=`+strings.NewReplacer("/", "%2F", ":", "%3A").Replace(tok)+`</p>`), asana.ErrNotFound},
	}
	// Bodies that end inside the token hold no whole secret to remove.
	cutShort := map[string]bool{"200 body cut inside the token": true, "500 body cut inside the token": true,
		"200 body cut inside an escape in the token": true, "200 body cut after an escape in the token": true}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessWithToken(t, tok, asana.WithMaxRetries(1))
			h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(req *http.Request) (*http.Response, error) {
				if got := req.Header.Get("Authorization"); got != "Bearer "+tok {
					t.Errorf("Authorization header %q, want the bearer token", got)
				}
				return tc.resp(), nil
			})
			_, err := h.client.Me(context.Background())
			var ae *asana.Error
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v (%T), want *asana.Error", err, err)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.sentinel)
			}
			kept := map[string]string{
				"Error()":  err.Error(),
				"%+v":      fmt.Sprintf("%+v", err),
				"%#v":      fmt.Sprintf("%#v", *ae),
				"Excerpt":  ae.Excerpt,
				"Method":   ae.Method,
				"Path":     ae.Path,
				"log":      h.logs.String(),
				"Err":      fmt.Sprint(ae.Err),
				"Unwrap()": fmt.Sprint(errors.Unwrap(err)),
			}
			for i, d := range ae.Errors {
				kept[fmt.Sprintf("Errors[%d]", i)] = d.Message + "\n" + d.Help + "\n" + d.Phrase
			}
			for what, s := range kept {
				if piece := leaked(s, tok); piece != "" {
					t.Errorf("%s holds %q of the token:\n%s", what, piece, s)
				}
			}
			if !cutShort[tc.name] && !strings.Contains(err.Error(), "[redacted]") {
				t.Errorf("error %q does not show where the token was removed", err)
			}
		})
	}
}

// Looking through escapes for the token keeps Asana's error JSON readable:
// its message, quotes and all, is still read as Asana's message.
func TestRedactionKeepsAsanaErrorJSON(t *testing.T) {
	tok := patToken
	h := newHarnessWithToken(t, tok)
	escaped := strings.Replace(tok, ":", `\u003a`, 1)
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(401,
		`{"errors":[{"message":"token \u0022`+escaped+`\u0022 revoked\nline two","help":"see \/docs"}]}`))
	_, err := h.client.Me(context.Background())
	var ae *asana.Error
	if !errors.As(err, &ae) || !errors.Is(err, asana.ErrUnauthorized) {
		t.Fatalf("err = %v, want a 401 *asana.Error", err)
	}
	want := []asana.ErrorDetail{{Message: "token \"[redacted]\" revoked\nline two", Help: "see /docs"}}
	if fmt.Sprint(ae.Errors) != fmt.Sprint(want) || ae.Excerpt != "" {
		t.Errorf("Errors = %q, Excerpt = %q; want %q and no excerpt", ae.Errors, ae.Excerpt, want)
	}
}
