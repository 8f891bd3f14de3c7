package goals_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// The report's JSON form names how each employee was written with the
// words hosts and the command read: "complete" (the store equals Asana),
// "partial" (upserted, nothing removed), "none" (untouched); and the
// sub-goal path with Asana's names for it.
func TestReportJSONNamesHowEachEmployeeWasWritten(t *testing.T) {
	m := newMock(t,
		asanafake.Goal{GID: "11", Name: "Ada's", OwnerGID: "501"},
		asanafake.Goal{GID: "21", Name: "Brian's, broken", OwnerGID: "502"},
		asanafake.Goal{GID: "22", Name: "Brian's", OwnerGID: "502"},
		asanafake.Goal{GID: "31", Name: "Cleo's, broken", OwnerGID: "503"},
	)
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if (gid == "21" || gid == "31") && (kind == "subgoals" || kind == "relationships") {
			return asanaError(500, "Server Error"), nil
		}
		return nil, nil
	}
	cfg := testConfig()
	cfg.Concurrency = 1 // goal 11 finds the path
	rep, err := runSync(t, m, goals.NewMemoryStore(), cfg, ada, brian, cleo)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		SubgoalSource string `json:"subgoal_source"`
		Employees     []struct {
			EmployeeID string `json:"employee_id"`
			Written    string `json:"written"`
		} `json:"employees"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"emp-ada": "complete", "emp-brian": "partial", "emp-cleo": "none"}
	if len(got.Employees) != len(want) {
		t.Fatalf("employees = %+v, want %d", got.Employees, len(want))
	}
	for _, e := range got.Employees {
		if e.Written != want[e.EmployeeID] {
			t.Errorf("%s: \"written\":%q, want %q", e.EmployeeID, e.Written, want[e.EmployeeID])
		}
	}
	if got.SubgoalSource != "goal_relationships" {
		t.Errorf("\"subgoal_source\":%q, want \"goal_relationships\"", got.SubgoalSource)
	}
}
