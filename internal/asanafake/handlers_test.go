package asanafake

import (
	"slices"
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
