package asanafake

import (
	"slices"
	"testing"
)

// gidsOfList follows next_page from path and returns every gid listed, and
// the size of each page.
func gidsOfList(t *testing.T, f *fakeAPI, path string) (gids []string, sizes []int) {
	t.Helper()
	for range 20 {
		l, _ := decodeList(t, f.get(path))
		sizes = append(sizes, len(l.Data))
		for _, g := range l.Data {
			gids = append(gids, g["gid"].(string))
		}
		if l.NextPage == nil {
			return gids, sizes
		}
		path = l.NextPage.Path
	}
	t.Fatal("too many pages")
	return nil, nil
}

// PageSize caps every page below what limit asks for; next_page still
// walks the whole list.
func TestPageSize(t *testing.T) {
	ws := smallWorkspace()
	f := newFakeAPI(t, ws, Options{PageSize: 3, SpecSubgoalPath: true})
	gids, sizes := gidsOfList(t, f, "/goals?workspace=100&limit=100")
	if !slices.Equal(gids, []string{"11", "12", "13", "14"}) || !slices.Equal(sizes, []int{3, 1}) {
		t.Errorf("goals %v in pages of %v, want 11..14 in pages of [3 1]", gids, sizes)
	}
	gids, sizes = gidsOfList(t, f, "/goals?workspace=100&limit=2")
	if !slices.Equal(gids, []string{"11", "12", "13", "14"}) || !slices.Equal(sizes, []int{2, 2}) {
		t.Errorf("limit under the page size: goals %v in pages of %v", gids, sizes)
	}
	f1 := newFakeAPI(t, ws, Options{PageSize: 1, SpecSubgoalPath: true})
	if gids, sizes := gidsOfList(t, f1, "/goals/11/subgoals?limit=100"); !slices.Equal(gids, []string{"13", "12"}) || !slices.Equal(sizes, []int{1, 1}) {
		t.Errorf("sub-goals %v in pages of %v, want 13,12 one a page", gids, sizes)
	}
	wantError(t, f.get("/goals?workspace=100&limit=101"), 400, "limit")
}

// An unlisted goal is left out of the workspace scan only.
func TestUnlistedGoal(t *testing.T) {
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
