package asana_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
)

// A change's link is dropped when it carries credentials or a space; the
// change itself is kept.
func TestChangeLinkWithCredentialsOrSpacesIsDropped(t *testing.T) {
	h := newHarness(t)
	changeResponder(t, h, []string{
		"name=with_password;info=https://ada:hunter2@asana.com/x",
		"name=with_user;info=https://ada@asana.com/x",
		"name=with_space;info=https://asana.com/a b",
		"name=with_space_in_query;info=https://asana.com/?q=a b",
		"name=fine;info=https://asana.com/a%20b",
	}, nil)
	if _, err := h.client.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []asana.Change{
		{Name: "with_password", Path: "/users/me"},
		{Name: "with_user", Path: "/users/me"},
		{Name: "with_space", Path: "/users/me"},
		{Name: "with_space_in_query", Path: "/users/me"},
		{Name: "fine", Info: "https://asana.com/a%20b", Path: "/users/me"},
	}
	if got := h.client.Changes(); !slices.Equal(got, want) {
		t.Errorf("Changes() = %+v\nwant %+v", got, want)
	}
}

// A change is affected once any answer said so, and its Path is then the
// first affected request's: later answers, affected or not, change
// neither. Within one answer too, a later "affected=false" does not undo
// an earlier "affected=true".
func TestChangeAffectedAndPathStayWithTheFirstAffectedAnswer(t *testing.T) {
	h := newHarness(t)
	headers := map[string][]string{
		"/goals/1": {"name=x;affected=false"},
		"/goals/2": {"name=x;affected=true"},
		"/goals/3": {"name=x;affected=true"},
		"/goals/4": {"name=x;affected=false", "name=y;affected=true, name=y;affected=false"},
	}
	for path, values := range headers {
		h.mock.RegisterResponder("GET", apiRoot+path, func(*http.Request) (*http.Response, error) {
			r := jsonResponse(200, `{"data":{"gid":"1"}}`)
			for _, v := range values {
				r.Header.Add("Asana-Change", v)
			}
			return r, nil
		})
	}
	wantPath := []string{"/goals/1", "/goals/2", "/goals/2", "/goals/2"}
	for i, gid := range []string{"1", "2", "3", "4"} {
		if _, err := h.client.Goal(context.Background(), gid); err != nil {
			t.Fatal(err)
		}
		got := h.client.Changes()[0]
		if got.Path != wantPath[i] || got.Affected != (i > 0) {
			t.Errorf("after /goals/%s: %+v, want Path %s, affected %v", gid, got, wantPath[i], i > 0)
		}
	}
	if got := h.client.Changes(); len(got) != 2 || got[1] != (asana.Change{Name: "y", Affected: true, Path: "/goals/4"}) {
		t.Errorf("Changes() = %+v, want y affected on /goals/4", got)
	}
}
