package asanafake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// statusWorkspace has a goal of each kind the goal status field can take:
// only a goal status (no update), an update with a goal status set since to
// another word, an update alone (the field follows it), and neither.
func statusWorkspace() *Workspace {
	q1 := &TimePeriod{GID: "901", DisplayName: "Q1 FY26", Period: "Q1", StartOn: "2026-01-01", EndOn: "2026-03-31"}
	return &Workspace{
		GID:   "100",
		Users: []User{{GID: "1", Name: "Ada"}},
		Goals: []Goal{
			{GID: "21", Name: "Red, no update", OwnerGID: "1", GoalStatus: "red", TimePeriod: q1, SubgoalGIDs: []string{"22", "24"}},
			{GID: "22", Name: "Update wins", OwnerGID: "1", StatusType: "on_track", GoalStatus: "missed", TimePeriod: q1},
			{GID: "23", Name: "Update only", OwnerGID: "1", StatusType: "achieved",
				TimePeriod: &TimePeriod{GID: "902", DisplayName: "FY26", Period: "FY", StartOn: "2026-01-01", EndOn: "2026-12-31"}},
			{GID: "24", Name: "Nothing", OwnerGID: "1"},
			{GID: "25", Name: "Period without dates", OwnerGID: "1", TimePeriod: &TimePeriod{GID: "903", DisplayName: "Someday"}},
		},
	}
}

// A goal's status field, its current status update and its time period
// are served as Asana serves them, only the fields opt_fields asks for: the
// status word (null when there is none), the update's status_type, the
// period's fields (a bare time_period is its gid and resource_type), on
// GET /goals/{gid}, the workspace list, the sub-goal path and the
// relationships' supporting resources.
func TestSnapshot_goalRecord_statusAndTimePeriod(t *testing.T) {
	f := newFakeAPI(t, statusWorkspace(), Options{SpecSubgoalPath: true})
	const fields = "status,current_status_update.status_type,time_period.display_name,time_period.period,time_period.start_on,time_period.end_on"
	goal := func(gid, fields string) string {
		t.Helper()
		a := f.get("/goals/" + gid + "?opt_fields=" + url.QueryEscape(fields))
		if a.status != http.StatusOK {
			t.Fatalf("status %d: %s", a.status, a.body)
		}
		b, _ := json.Marshal(a.json(t)["data"])
		return string(b)
	}
	su := func(gid, st string) string {
		return `{"gid":"` + derivedGID("status_update", gid) + `","resource_type":"status_update","status_type":"` + st + `"}`
	}
	q1 := `{"gid":"901","resource_type":"time_period","display_name":"Q1 FY26","period":"Q1","start_on":"2026-01-01","end_on":"2026-03-31"}`
	for _, tc := range []struct{ name, gid, fields, want string }{
		{"goal status without an update", "21", fields,
			`{"gid":"21","resource_type":"goal","status":"red","current_status_update":null,"time_period":` + q1 + `}`},
		{"goal status set since the update", "22", fields,
			`{"gid":"22","resource_type":"goal","status":"missed","current_status_update":` + su("22", "on_track") + `,"time_period":` + q1 + `}`},
		{"goal status follows the update", "23", fields,
			`{"gid":"23","resource_type":"goal","status":"achieved","current_status_update":` + su("23", "achieved") + `,` +
				`"time_period":{"gid":"902","resource_type":"time_period","display_name":"FY26","period":"FY","start_on":"2026-01-01","end_on":"2026-12-31"}}`},
		{"neither", "24", fields, `{"gid":"24","resource_type":"goal","status":null,"current_status_update":null,"time_period":null}`},
		{"period without dates or cadence", "25", "time_period.period,time_period.start_on,time_period.end_on,time_period.display_name",
			`{"gid":"25","resource_type":"goal","time_period":{"gid":"903","resource_type":"time_period","display_name":"Someday","period":null,"start_on":null,"end_on":null}}`},
		{"bare time_period is gid and resource_type", "21", "time_period",
			`{"gid":"21","resource_type":"goal","time_period":{"gid":"901","resource_type":"time_period"}}`},
		{"only the sub-fields asked", "21", "time_period.end_on",
			`{"gid":"21","resource_type":"goal","time_period":{"gid":"901","resource_type":"time_period","end_on":"2026-03-31"}}`},
		{"not asked, not sent", "21", "name",
			`{"gid":"21","resource_type":"goal","name":"Red, no update"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			wb, _ := json.Marshal(want)
			if got := goal(tc.gid, tc.fields); got != string(wb) {
				t.Errorf("got  %s\nwant %s", got, wb)
			}
		})
	}

	// The same fields through the list, the sub-goal path and the
	// relationships.
	l, _ := decodeList(t, f.get("/goals?workspace=100&opt_fields="+url.QueryEscape(fields)))
	if len(l.Data) != 5 || l.Data[0]["status"] != "red" || l.Data[3]["status"] != nil || l.Data[3]["time_period"] != nil {
		t.Errorf("list: %v", l.Data)
	}
	subs, _ := decodeList(t, f.get("/goals/21/subgoals?opt_fields="+url.QueryEscape(fields)))
	if len(subs.Data) != 2 || subs.Data[0]["status"] != "missed" || subs.Data[0]["time_period"].(map[string]any)["display_name"] != "Q1 FY26" {
		t.Errorf("subgoals: %v", subs.Data)
	}
	rels, _ := decodeList(t, f.get("/goal_relationships?supported_goal=21&resource_subtype=subgoal&opt_fields="+
		url.QueryEscape("supporting_resource.status,supporting_resource.time_period.period")))
	if len(rels.Data) != 2 {
		t.Fatalf("relationships: %v", rels.Data)
	}
	if sr := rels.Data[0]["supporting_resource"].(map[string]any); sr["status"] != "missed" ||
		sr["time_period"].(map[string]any)["period"] != "Q1" {
		t.Errorf("relationship's supporting resource: %v", sr)
	}
}
