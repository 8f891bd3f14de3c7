package asanafake

import (
	"slices"
	"testing"
)

// PageSize caps every page below what limit asks for; next_page still
// walks the whole list.
func TestServer_paginate_pageSizeCapsEveryPage(t *testing.T) {
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
