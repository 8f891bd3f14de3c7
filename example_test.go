package asanagoals_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/prompt"
)

// mockedAsana answers like today's Asana for a tiny workspace: two goals
// owned by user 501 (one with a sub-goal, owned by 502), one ownerless
// goal. Like Asana, it has no GET /goals/{gid}/subgoals (the spec's path,
// which the client probes once): sub-goals are goal relationships, and
// their details come from the workspace scan.
func mockedAsana() *httpmock.MockTransport {
	const root = "https://app.asana.com/api/1.0"
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", root+"/goals", httpmock.NewStringResponder(200, `{"data":[
		{"gid":"11","name":"Grow enterprise revenue","html_notes":"<body>Land <b>big</b> deals.</body>",
		 "due_on":"2026-12-31","owner":{"gid":"501"},
		 "current_status_update":{"status_type":"at_risk"},
		 "metric":{"unit":"none","initial_number_value":0,"target_number_value":10,"current_number_value":4}},
		{"gid":"12","name":"Mentor two juniors","owner":{"gid":"501"},"current_status_update":null},
		{"gid":"13","name":"Nobody's goal","owner":null},
		{"gid":"21","name":"Close the ACME deal","owner":{"gid":"502"},"current_status_update":{"status_type":"achieved"}}
	],"next_page":null}`))
	mt.RegisterRegexpResponder("GET", regexp.MustCompile(`/goals/\d+/subgoals`), httpmock.NewStringResponder(404,
		`{"errors":[{"message":"No matching route for request"}]}`))
	mt.RegisterResponder("GET", root+"/goal_relationships", func(req *http.Request) (*http.Response, error) {
		rels := `[]`
		if req.URL.Query().Get("supported_goal") == "11" {
			rels = `[{"gid":"31","resource_subtype":"subgoal","supporting_resource":{"gid":"21","resource_type":"goal"}}]`
		}
		return httpmock.NewStringResponse(200, `{"data":`+rels+`,"next_page":null}`), nil
	})
	return mt
}

// The whole flow: Asana client → ingester → store → [GOALS] block.
func Example() {
	ctx := context.Background()
	client, err := asana.NewClient("your-personal-access-token",
		asana.WithHTTPClient(&http.Client{Transport: mockedAsana()}))
	if err != nil {
		panic(err)
	}
	store := goals.NewMemoryStore() // the host passes its own database here
	ingester := goals.NewIngester(client, store, goals.Config{
		WorkspaceGID: "1001",
		Now:          func() time.Time { return time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) },
	})
	report, err := ingester.Sync(ctx, []goals.Employee{
		{ID: "emp-1", AsanaUserGID: "501", Name: "Ada"},
		{ID: "emp-2"}, // not mapped to an Asana user yet
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("scanned %d goals, %d ownerless, unmapped employees %v\n",
		report.WorkspaceGoalsScanned, report.OwnerlessGoals, report.UnmappedEmployees)
	// The host renders the block from what it stored, through goals.Reader.
	stored, err := store.Goals(ctx, "emp-1")
	if err != nil {
		panic(err)
	}
	fmt.Print(prompt.Render(stored, prompt.Options{}))
	// Output:
	// scanned 4 goals, 1 ownerless, unmapped employees [emp-2]
	// [GOALS]
	// - Goal: "Grow enterprise revenue" | status: at_risk | due: 2026-12-31 | progress: 40% (4/10)
	//   - Key result: "Close the ACME deal" | status: completed
	// - Goal: "Mentor two juniors" | status: on_track
	// [/GOALS]
}
