package main

import (
	"context"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// The JSON output gives each goal's status source and time period, and each
// Key Result's status source; the demo has one of each kind.
func TestJSONStatusSourceAndTimePeriod(t *testing.T) {
	res := runCmd(t, nil, "-demo", "-format", "json")
	res.wantCode(t, exitOK)
	doc := checkJSONShape(t, res.stdout)
	raw := map[string]map[string]any{}
	for _, g := range doc["goals"].([]any) {
		gm := g.(map[string]any)
		raw[gm["gid"].(string)] = gm
	}
	// Raised by hand: what the contract says, byte for byte.
	if g := raw["1209000000001007"]; g["status"] != "off_track" || g["status_source"] != "goal_status" {
		t.Errorf("the goal Asana shows as red without an update: status %v from %v", g["status"], g["status_source"])
	}
	if g := raw["1209000000001001"]; g["status"] != "on_track" || g["status_source"] != "status_update" {
		t.Errorf("goal with an update: status %v from %v", g["status"], g["status_source"])
	}
	wantPeriod := map[string]any{"gid": "1209000000002002", "display_name": "H1 FY26", "period": "H1", "start_on": "2026-01-01", "end_on": "2026-06-30"}
	if got, ok := raw["1209000000001001"]["time_period"].(map[string]any); !ok || !mapsEqual(got, wantPeriod) {
		t.Errorf("time_period = %v, want %v", raw["1209000000001001"]["time_period"], wantPeriod)
	}
	if tp, ok := raw["1209000000001010"]["time_period"]; !ok || tp != nil {
		t.Errorf("a goal with no time period: time_period = %v (present %v), want null", tp, ok)
	}
	krs := raw["1209000000001007"]["key_results"].([]any)
	if kr := krs[0].(map[string]any); kr["status_source"] != "status_update" || kr["status"] != "off_track" {
		t.Errorf("key result = %v", kr)
	}
	v := decodeTyped(t, res.stdout)
	if v.Report.StatusesFromGoalField != 1 {
		t.Errorf("report counts %d statuses from the goal field, want 1", v.Report.StatusesFromGoalField)
	}
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A generated workspace with every kind of status and time period: the
// output equals the workspace (checkAgainstWorkspace), and the kinds are
// there.
func TestRealRunJSONStatusSources(t *testing.T) {
	ws, emps := generated(t)
	_, url := fake(t, ws, asanafake.Options{})
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", employeesJSON(t, emps),
		"-format", "json", "-rate", "600000")
	res.wantCode(t, exitOK)
	v := decodeTyped(t, res.stdout)
	checkAgainstWorkspace(t, ws, emps, v.Goals)
	sources := map[goals.StatusSource]int{}
	periods, fromField := 0, 0
	for _, g := range v.Goals {
		sources[g.StatusSource]++
		if g.StatusSource == goals.StatusFromGoal {
			fromField++
		}
		if g.TimePeriod != nil {
			periods++
		}
		for _, kr := range g.KeyResults {
			sources[kr.StatusSource]++
			if kr.StatusSource == goals.StatusFromGoal {
				fromField++
			}
		}
	}
	if len(sources) != 3 || periods == 0 {
		t.Errorf("sources %v, %d goals with a time period: the workspace must have each", sources, periods)
	}
	if v.Report.StatusesFromGoalField != fromField {
		t.Errorf("report counts %d statuses from the goal field, the output shows %d", v.Report.StatusesFromGoalField, fromField)
	}
}

// fixedReader is a goals.Reader with goals stored by some other program.
type fixedReader []goals.Goal

func (r fixedReader) Goals(_ context.Context, id string) ([]goals.Goal, error) {
	var out []goals.Goal
	for _, g := range r {
		if g.EmployeeID == id {
			out = append(out, g)
		}
	}
	return out, nil
}

// A store may hold no source (a row written before sources were kept): the
// output names the source there was then. A status that is not one of the
// four is refused with an error naming the goal: no store that checks its
// writes holds one.
func TestJSONStatusFromAStoreWithout(t *testing.T) {
	store := fixedReader{
		{EmployeeID: "e1", GID: "1", Status: status.OffTrack, RawStatus: "red", StatusSource: goals.StatusFromGoal,
			KeyResults: []goals.KeyResult{{GID: "11", Status: status.AtRisk, RawStatus: "yellow", StatusSource: goals.StatusFromGoal},
				{GID: "12", Status: status.OffTrack, RawStatus: "missed"}}},
		{EmployeeID: "e1", GID: "2", Status: status.AtRisk, RawStatus: "at_risk"},
		{EmployeeID: "e1", GID: "3", Status: status.OnTrack},
	}
	list := &employeeList{employees: []goals.Employee{{ID: "e1", AsanaUserGID: "1"}}}
	out, _, err := jsonOutput(context.Background(), &goals.Report{}, store, list)
	if err != nil {
		t.Fatal(err)
	}
	v := decodeTyped(t, string(out))
	got := func(i int) (status.Status, goals.StatusSource) { return v.Goals[i].Status, v.Goals[i].StatusSource }
	if st, src := got(0); st != status.OffTrack || src != goals.StatusFromGoal {
		t.Errorf("red from the goal field: %s from %s", st, src)
	}
	if kr := v.Goals[0].KeyResults; kr[0].Status != status.AtRisk || kr[0].StatusSource != goals.StatusFromGoal ||
		kr[1].Status != status.OffTrack || kr[1].StatusSource != goals.StatusFromUpdate {
		t.Errorf("key results: %+v", kr)
	}
	if st, src := got(1); st != status.AtRisk || src != goals.StatusFromUpdate {
		t.Errorf("an old row with a word: %s from %s", st, src)
	}
	if st, src := got(2); st != status.OnTrack || src != goals.StatusFromNone {
		t.Errorf("an old row without a word: %s from %s", st, src)
	}

	for _, bad := range []fixedReader{
		{{EmployeeID: "e1", GID: "9", Status: "", RawStatus: "red"}},
		{{EmployeeID: "e1", GID: "9", Status: status.OnTrack, KeyResults: []goals.KeyResult{{GID: "91", Status: "green"}}}},
	} {
		_, _, err := jsonOutput(context.Background(), &goals.Report{}, bad, list)
		if err == nil || !strings.Contains(err.Error(), "not one of the four") || !strings.Contains(err.Error(), "9") {
			t.Errorf("a stored status that is not one of the four: err = %v", err)
		}
	}
}

func TestStatusesFromGoalFieldInText(t *testing.T) {
	res := runCmd(t, nil, "-demo")
	res.wantCode(t, exitOK)
	if !strings.Contains(res.stdout, "  goal status field   1 status taken from") {
		t.Errorf("the summary does not count the status from the goal field:\n%s", res.stdout)
	}
	// Without a goal status field, no such row.
	ws := asanafake.DemoWorkspace()
	for i := range ws.Goals {
		ws.Goals[i].GoalStatus = ""
	}
	_, url := fake(t, ws, asanafake.Options{})
	res = runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", demoEmployeesCSV(t))
	res.wantCode(t, exitOK)
	if strings.Contains(res.stdout, "goal status field") {
		t.Errorf("a row for statuses from the goal field when there are none:\n%s", res.stdout)
	}
}
