package asanafake

import (
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// An unlisted goal is left out of the workspace scan only.
func TestServer_listGoals_leavesUnlistedGoalsOut(t *testing.T) {
	ws := smallWorkspace()
	ws.Goals[2].Unlisted = true // 13, a sub-goal of 11
	for _, size := range []int{0, 1} {
		f := newFakeAPI(t, ws, Options{PageSize: size, SpecSubgoalPath: true})
		if gids, _ := gidsOfList(t, f, "/goals?workspace=100&limit=100"); !slices.Equal(gids, []string{"11", "12", "14"}) {
			t.Errorf("page size %d: scan lists %v, want 11,12,14", size, gids)
		}
		if g := f.get("/goals/13").json(t)["data"].(map[string]any); g["gid"] != "13" {
			t.Errorf("GET /goals/13 = %v", g)
		}
		if gids, _ := gidsOfList(t, f, "/goals/11/subgoals?limit=100"); !slices.Equal(gids, []string{"13", "12"}) {
			t.Errorf("sub-goals of 11 = %v, want 13,12", gids)
		}
	}
	ws.Goals[0].Unlisted = true // the first: the list starts past it
	f := newFakeAPI(t, ws, Options{SpecSubgoalPath: true})
	if gids, _ := gidsOfList(t, f, "/goals?workspace=100&limit=100"); !slices.Equal(gids, []string{"12", "14"}) {
		t.Errorf("scan lists %v, want 12,14", gids)
	}
}

// withOthers is smallWorkspace with three other workspaces.
func withOthers() *Workspace {
	ws := smallWorkspace()
	ws.Others = []WorkspaceRef{{GID: "200", Name: "Labs"}, {GID: "300", Name: "Personal \"space\""}, {GID: "400", Name: "Ω"}}
	return ws
}

// TestServer_workspaces_servedOneByDefault pins that without other
// workspaces /workspaces lists just the served one, compact, with no
// next_page member without limit and next_page null with it.
func TestServer_workspaces_servedOneByDefault(t *testing.T) {
	f := newFakeAPI(t, smallWorkspace(), Options{})
	l, raw := decodeList(t, f.get("/workspaces"))
	want := []map[string]any{{"gid": "100", "resource_type": "workspace", "name": "Small"}}
	if !reflect.DeepEqual(l.Data, want) {
		t.Errorf("/workspaces = %v, want %v", l.Data, want)
	}
	if _, ok := raw["next_page"]; ok {
		t.Error("an answer without limit carries next_page")
	}
	l, raw = decodeList(t, f.get("/workspaces?limit=100"))
	if len(l.Data) != 1 || string(raw["next_page"]) != "null" {
		t.Errorf("/workspaces?limit=100 = %v, next_page %s; want one workspace and next_page null", l.Data, raw["next_page"])
	}
}

// TestServer_workspaces_paginated pins /workspaces pagination like every
// list's: next_page repeats the query with the new offset, Options.PageSize
// caps a page below limit, offsets are bound to the list that issued them,
// limit is checked, a token is required, and /workspaces/{gid} is not
// modelled.
func TestServer_workspaces_paginated(t *testing.T) {
	f := newFakeAPI(t, withOthers(), Options{})
	gids, sizes := gidsOfList(t, f, "/workspaces?limit=3&opt_fields=name")
	if !slices.Equal(gids, []string{"100", "200", "300", "400"}) || !slices.Equal(sizes, []int{3, 1}) {
		t.Errorf("workspaces %v in pages of %v, want 100,200,300,400 in pages of [3 1]", gids, sizes)
	}
	l, _ := decodeList(t, f.get("/workspaces?limit=2&opt_fields=name"))
	if l.NextPage == nil || !strings.HasPrefix(l.NextPage.Path, "/workspaces?") || l.NextPage.URI != f.ts.URL+l.NextPage.Path {
		t.Fatalf("next_page = %+v", l.NextPage)
	}
	u, err := url.Parse(l.NextPage.Path)
	if err != nil || u.Query().Get("offset") != l.NextPage.Offset || u.Query().Get("limit") != "2" || u.Query().Get("opt_fields") != "name" {
		t.Errorf("next_page.path %q does not repeat the query with the new offset", l.NextPage.Path)
	}
	l2, _ := decodeList(t, f.get(l.NextPage.Path))
	if len(l2.Data) != 2 || l2.Data[0]["gid"] != "300" || l2.Data[1]["name"] != "Ω" || l2.NextPage != nil {
		t.Errorf("second page = %+v", l2)
	}

	// Options.PageSize caps a page below limit.
	small := newFakeAPI(t, withOthers(), Options{PageSize: 1})
	if gids, sizes := gidsOfList(t, small, "/workspaces?limit=100"); len(gids) != 4 || !slices.Equal(sizes, []int{1, 1, 1, 1}) {
		t.Errorf("PageSize 1: workspaces %v in pages of %v", gids, sizes)
	}

	// Offsets are bound to the list that issued them; limit is checked.
	users, _ := decodeList(t, f.get("/users?workspace=100&limit=1"))
	wantError(t, f.get("/workspaces?limit=1&offset="+users.NextPage.Offset), 400, "offset")
	wantError(t, f.get("/workspaces?limit=0"), 400, "limit")
	wantError(t, f.get("/workspaces?limit=101"), 400, "limit")
	wantError(t, f.get("/workspaces?offset="+l.NextPage.Offset), 400, "offset")
	wantError(t, f.getWith("", "/workspaces"), 401, "Not Authorized")
	wantError(t, f.get("/workspaces/100"), 404, "No matching route")
}

// TestServer_workspaces_optFields pins opt_fields on /workspaces: name is
// served, fields the model has no value for are left out rather than made
// up.
func TestServer_workspaces_optFields(t *testing.T) {
	f := newFakeAPI(t, withOthers(), Options{})
	for _, tc := range []struct {
		fields string
		want   map[string]any // the second workspace
	}{
		{"", map[string]any{"gid": "200", "resource_type": "workspace", "name": "Labs"}},
		{"name", map[string]any{"gid": "200", "resource_type": "workspace", "name": "Labs"}},
		// Fields the model has no value for are not made up.
		{"email_domains,is_organization", map[string]any{"gid": "200", "resource_type": "workspace"}},
		{"resource_type", map[string]any{"gid": "200", "resource_type": "workspace"}},
	} {
		t.Run("opt_fields="+tc.fields, func(t *testing.T) {
			p := "/workspaces?limit=10"
			if tc.fields != "" {
				p += "&opt_fields=" + url.QueryEscape(tc.fields)
			}
			l, _ := decodeList(t, f.get(p))
			if len(l.Data) != 4 || !reflect.DeepEqual(l.Data[1], tc.want) {
				t.Errorf("data = %v, want the second to be %v", l.Data, tc.want)
			}
		})
	}
}

// The token's user is in every workspace listed; other users in the
// served one only.
func TestServer_workspaces_ofTheTokensUser(t *testing.T) {
	f := newFakeAPI(t, withOthers(), Options{Tokens: map[string]string{"ta": "1", "tb": "2"}})
	all := []string{"100", "200", "300", "400"}
	if got := userWorkspaces(t, f, "tb", "/users/me"); !slices.Equal(got, all) {
		t.Errorf("/users/me of tb: workspaces %v, want %v", got, all)
	}
	if got := userWorkspaces(t, f, "tb", "/users/2"); !slices.Equal(got, all) {
		t.Errorf("/users/2 asked by its own token: workspaces %v, want %v", got, all)
	}
	if got := userWorkspaces(t, f, "tb", "/users/1"); !slices.Equal(got, []string{"100"}) {
		t.Errorf("/users/1 asked by another token: workspaces %v, want the served one", got)
	}
	// Every token sees every workspace.
	for _, tok := range []string{"ta", "tb"} {
		l, _ := decodeList(t, f.getWith(tok, "/workspaces"))
		var gids []string
		for _, w := range l.Data {
			gids = append(gids, w["gid"].(string))
		}
		if !slices.Equal(gids, all) {
			t.Errorf("token %s: /workspaces lists %v, want %v", tok, gids, all)
		}
	}
	// Open mode: the first user is the token's.
	open := newFakeAPI(t, withOthers(), Options{Tokens: map[string]string{}})
	if got := userWorkspaces(t, open, "any-token", "/users/me"); !slices.Equal(got, all) {
		t.Errorf("open mode /users/me: workspaces %v, want %v", got, all)
	}
	if got := userWorkspaces(t, open, "any-token", "/users/2"); !slices.Equal(got, []string{"100"}) {
		t.Errorf("open mode /users/2: workspaces %v, want the served one", got)
	}
}

// userWorkspaces is the gids of the workspaces of the user at path.
func userWorkspaces(t *testing.T, f *fakeAPI, token, path string) []string {
	t.Helper()
	a := f.getWith(token, path)
	if a.status != 200 {
		t.Fatalf("%s: status %d: %s", path, a.status, a.body)
	}
	var gids []string
	for _, w := range a.json(t)["data"].(map[string]any)["workspaces"].([]any) {
		gids = append(gids, w.(map[string]any)["gid"].(string))
	}
	return gids
}

// TestWorkspace_Clone_copiesOthers pins that Clone copies Others rather than
// share them, and that SetWorkspace keeps its own copy, so changing the
// caller's workspace afterwards changes nothing served.
func TestWorkspace_Clone_copiesOthers(t *testing.T) {
	ws := withOthers()
	c := ws.Clone()
	c.Others[0].Name = "changed"
	if ws.Others[0].Name != "Labs" {
		t.Error("Clone shares Others with the original")
	}
	f := newFakeAPI(t, smallWorkspace(), Options{})
	f.srv.SetWorkspace(ws)
	ws.Others[1].GID = "999" // the server has its own copy
	if gids, _ := gidsOfList(t, f, "/workspaces?limit=100"); !slices.Equal(gids, []string{"100", "200", "300", "400"}) {
		t.Errorf("after SetWorkspace: %v", gids)
	}
}

// TestWorkspace_Validate_others pins Validate's checks on other workspaces:
// each needs a gid, and no gid may appear twice, the served one's included.
func TestWorkspace_Validate_others(t *testing.T) {
	for _, tc := range []struct {
		name   string
		others []WorkspaceRef
		want   string
	}{
		{"no gid", []WorkspaceRef{{Name: "x"}}, "other workspace #0 has no GID"},
		{"the served one's gid", []WorkspaceRef{{GID: "100"}}, `workspace gid "100" appears twice`},
		{"twice", []WorkspaceRef{{GID: "7"}, {GID: "8"}, {GID: "7"}}, `workspace gid "7" appears twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := smallWorkspace()
			ws.Others = tc.others
			if err := ws.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error with %q", err, tc.want)
			}
		})
	}
	if err := withOthers().Validate(); err != nil {
		t.Errorf("Validate() = %v for valid others", err)
	}
}
