package asana_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
)

// Goal requests ask for the goal's own status and its time
// period; html_notes only where a description is wanted.
func TestGoal_fieldsAskedForAndDecoded(t *testing.T) {
	h := newHarness(t)
	seen := map[string][]string{}
	const goal = `{"gid":"5","resource_type":"goal","name":"Grow","status":"red","time_period":{"gid":"70","resource_type":"time_period",` +
		`"display_name":"Q1 FY26","period":"Q1","start_on":"2026-01-01","end_on":"2026-03-31"}}`
	record := func(kind, body string) {
		h.mock.RegisterResponder("GET", apiRoot+kind, requireAuth(t, func(req *http.Request) (*http.Response, error) {
			seen[kind] = append(seen[kind], req.URL.Query().Get("opt_fields"))
			return jsonResponse(200, body), nil
		}))
	}
	record("/goals", `{"data":[`+goal+`],"next_page":null}`)
	record("/goals/5", `{"data":`+goal+`}`)
	record("/goals/5/subgoals", `{"data":[`+goal+`],"next_page":null}`)

	var got []asana.Goal
	for _, omit := range []bool{false, true} {
		for g, err := range h.client.Goals(t.Context(), asana.ListGoalsOptions{Workspace: "1001", OmitNotes: omit}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, g)
		}
	}
	one, err := h.client.Goal(t.Context(), "5")
	if err != nil {
		t.Fatal(err)
	}
	summary, err := h.client.GoalSummary(t.Context(), "5")
	if err != nil {
		t.Fatal(err)
	}
	subs, err := h.client.Subgoals(t.Context(), "5")
	if err != nil {
		t.Fatal(err)
	}
	got = append(append(got, one, summary), subs...)

	want := asana.TimePeriod{GID: "70", ResourceType: "time_period", DisplayName: "Q1 FY26", Period: "Q1",
		StartOn: asana.Date{Year: 2026, Month: 1, Day: 1}, EndOn: asana.Date{Year: 2026, Month: 3, Day: 31}}
	for i, g := range got {
		if g.Status != "red" || g.TimePeriod == nil || *g.TimePeriod != want {
			t.Errorf("goal %d decoded as status %q, time period %+v", i, g.Status, g.TimePeriod)
		}
	}

	has := func(fields, f string) bool { return slices.Contains(strings.Split(fields, ","), f) }
	check := func(what, fields string, notes bool) {
		t.Helper()
		for _, f := range []string{"name", "status", "current_status_update.status_type", "time_period",
			"time_period.display_name", "time_period.period", "time_period.start_on", "time_period.end_on"} {
			if !has(fields, f) {
				t.Errorf("%s: opt_fields %q lacks %s", what, fields, f)
			}
		}
		if has(fields, "html_notes") != notes {
			t.Errorf("%s: opt_fields %q: html_notes asked for = %v, want %v", what, fields, !notes, notes)
		}
	}
	check("Goals", seen["/goals"][0], true)
	check("Goals with OmitNotes", seen["/goals"][1], false)
	check("Goal", seen["/goals/5"][0], true)
	check("GoalSummary", seen["/goals/5"][1], false)
	check("Subgoals", seen["/goals/5/subgoals"][0], false)
	if strings.ReplaceAll(seen["/goals"][0], "html_notes,", "") != seen["/goals"][1] {
		t.Errorf("the fields without notes are not the whole goal's less html_notes:\n%s\n%s", seen["/goals"][0], seen["/goals"][1])
	}
}

// A goal whose status and time period are null decodes as "" and nil.
func TestGoal_nullStatusAndTimePeriod(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals/5", func(*http.Request) (*http.Response, error) {
		return jsonResponse(200, `{"data":{"gid":"5","name":"G","status":null,"time_period":null}}`), nil
	})
	g, err := h.client.Goal(t.Context(), "5")
	if err != nil || g.Status != "" || g.TimePeriod != nil {
		t.Errorf("Goal = %+v, %v", g, err)
	}
}
