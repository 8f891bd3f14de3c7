package goals_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

// A nightly sync scoped to the review of the first half of 2026: the goal
// of 2025 costs no sub-goal request and stays as an earlier sync stored
// it; the report says what the window left out.
func ExampleIngester_Sync() {
	const root = "https://app.asana.com/api/1.0"
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", root+"/goals", httpmock.NewStringResponder(200, `{"data":[
		{"gid":"11","name":"Ship the mobile app","due_on":"2026-05-31","owner":{"gid":"501"},"status":"green"},
		{"gid":"12","name":"Hire two engineers","owner":{"gid":"501"},"time_period":{"gid":"7","display_name":"FY25","period":"FY","start_on":"2025-01-01","end_on":"2025-12-31"}},
		{"gid":"21","name":"Beta on both stores","owner":{"gid":"502"},"current_status_update":{"status_type":"achieved"}}
	],"next_page":null}`))
	// Today's Asana has no GET /goals/{gid}/subgoals: the sync probes it
	// once, then lists sub-goals through goal relationships.
	mt.RegisterRegexpResponder("GET", regexp.MustCompile(`/goals/\d+/subgoals`), httpmock.NewStringResponder(404,
		`{"errors":[{"message":"No matching route for request"}]}`))
	mt.RegisterResponder("GET", root+"/goal_relationships", httpmock.NewStringResponder(200,
		`{"data":[{"gid":"31","resource_subtype":"subgoal","supporting_resource":{"gid":"21","resource_type":"goal"}}],"next_page":null}`))

	client, err := asana.NewClient("your-personal-access-token", asana.WithHTTPClient(&http.Client{Transport: mt}))
	if err != nil {
		panic(err)
	}
	window, err := goals.ParsePeriod("2026-01-01..2026-06-30")
	if err != nil {
		panic(err)
	}
	store := goals.NewMemoryStore()
	report, err := goals.NewIngester(client, store, goals.Config{WorkspaceGID: "1001", Period: window}).
		Sync(context.Background(), []goals.Employee{{ID: "emp-1", AsanaUserGID: "501"}})
	if err != nil {
		panic(err)
	}
	e := report.Employees[0]
	fmt.Printf("window %s: %d goal kept (%s), %d outside it, sub-goals through %s\n",
		report.Period, e.GoalsKept, e.Written, e.GoalsOutsidePeriod, report.SubgoalPath)
	stored, err := store.Goals(context.Background(), "emp-1")
	if err != nil {
		panic(err)
	}
	for _, g := range stored {
		fmt.Printf("%s (%s)\n", g.Name, g.Status)
		for _, kr := range g.KeyResults {
			fmt.Printf("  KR %s (%s)\n", kr.Name, kr.Status)
		}
	}
	// Output:
	// window 2026-01-01..2026-06-30: 1 goal kept (complete), 1 outside it, sub-goals through goal_relationships
	// Ship the mobile app (on_track)
	//   KR Beta on both stores (completed)
}
