package asana_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
)

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

func TestWorkspacesPaginatesAndAsksForName(t *testing.T) {
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
func TestWorkspacesMalformedRecords(t *testing.T) {
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

func TestWorkspacesUnauthorized(t *testing.T) {
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
func TestWorkspacesStopEarly(t *testing.T) {
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
