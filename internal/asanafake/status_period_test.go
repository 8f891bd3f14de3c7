package asanafake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"
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

func TestGoalStatusAndTimePeriod(t *testing.T) {
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

func TestServedStatus(t *testing.T) {
	for _, tc := range []struct {
		g    Goal
		want string
	}{
		{Goal{}, ""},
		{Goal{GoalStatus: "yellow"}, "yellow"},
		{Goal{StatusType: "on_track"}, "green"},
		{Goal{StatusType: "at_risk"}, "yellow"},
		{Goal{StatusType: "off_track"}, "red"},
		{Goal{StatusType: "partial"}, "partial"},
		{Goal{StatusType: "on_track", GoalStatus: "dropped"}, "dropped"},
	} {
		if got := tc.g.ServedStatus(); got != tc.want {
			t.Errorf("%+v: ServedStatus = %q, want %q", tc.g, got, tc.want)
		}
	}
}

func TestCloneCopiesTimePeriod(t *testing.T) {
	ws := statusWorkspace()
	c := ws.Clone()
	c.Goals[0].TimePeriod.DisplayName = "changed"
	if ws.Goals[0].TimePeriod.DisplayName != "Q1 FY26" {
		t.Error("Clone shares time periods with the original")
	}
}

// The goal status field and time periods are drawn after everything else,
// from a stream of their own: turning them on changes no other field of a
// seeded workspace.
func TestGenerateStatusesAndPeriodsChangeNothingElse(t *testing.T) {
	cfg := DefaultGenConfig(3000, 40)
	with := Generate(5, cfg)
	cfg.GoalStatusOnlyShare, cfg.GoalStatusDiffersShare, cfg.TimePeriodShare = 0, 0, 0
	without := Generate(5, cfg)
	strip := func(ws *Workspace) []Goal {
		gs := slices.Clone(ws.Goals)
		for i := range gs {
			gs[i].GoalStatus, gs[i].TimePeriod = "", nil
		}
		return gs
	}
	if !reflect.DeepEqual(strip(with), without.Goals) || !reflect.DeepEqual(with.Users, without.Users) {
		t.Error("the goal status field and time periods changed other fields")
	}
	for _, g := range without.Goals {
		if g.GoalStatus != "" || g.TimePeriod != nil {
			t.Fatalf("shares of 0 gave %+v", g)
		}
	}
}

func TestGenerateStatusesAndPeriods(t *testing.T) {
	cfg := DefaultGenConfig(6000, 60)
	ws := Generate(8, cfg)
	if err := ws.Validate(); err != nil {
		t.Fatal(err)
	}
	var noUpdate, fieldOnly, withUpdate, differs, withPeriod int
	words := map[string]int{}
	periods := map[string]TimePeriod{}
	for _, g := range ws.Goals {
		switch {
		case g.StatusType == "":
			noUpdate++
			if g.GoalStatus != "" {
				fieldOnly++
				words[g.GoalStatus]++
			}
		default:
			withUpdate++
			if g.GoalStatus != "" {
				differs++
				if g.GoalStatus == goalStatusColor(g.StatusType) {
					t.Errorf("goal %s: a differing goal status equal to its update's: %+v", g.GID, g)
				}
			}
		}
		if !slices.Contains(append([]string{""}, goalStatuses...), g.GoalStatus) {
			t.Errorf("goal %s: goal status %q is not Asana's", g.GID, g.GoalStatus)
		}
		tp := g.TimePeriod
		if tp == nil {
			continue
		}
		withPeriod++
		if p, ok := periods[tp.GID]; ok && p != *tp {
			t.Errorf("time period %s differs between goals: %+v and %+v", tp.GID, p, *tp)
		}
		periods[tp.GID] = *tp
		start, err1 := time.Parse(time.DateOnly, tp.StartOn)
		end, err2 := time.Parse(time.DateOnly, tp.EndOn)
		if err1 != nil || err2 != nil || !start.Before(end) || tp.DisplayName == "" ||
			!slices.Contains([]string{"FY", "H1", "H2", "Q1", "Q2", "Q3", "Q4"}, tp.Period) {
			t.Errorf("goal %s: odd time period %+v", g.GID, *tp)
		}
		if due, err := time.Parse(time.DateOnly, g.DueOn); err == nil && (due.Before(start) || due.After(end)) {
			t.Errorf("goal %s due %s outside its time period %+v", g.GID, g.DueOn, *tp)
		}
	}
	near := func(n, of int, share float64) bool {
		return of > 0 && abs(float64(n)/float64(of)-share) < 0.05
	}
	if !near(fieldOnly, noUpdate, cfg.GoalStatusOnlyShare) || !near(differs, withUpdate, cfg.GoalStatusDiffersShare) ||
		!near(withPeriod, len(ws.Goals), cfg.TimePeriodShare) || len(words) != len(goalStatuses) {
		t.Errorf("goal status only %d of %d, differing %d of %d, time periods %d of %d, words %v",
			fieldOnly, noUpdate, differs, withUpdate, withPeriod, len(ws.Goals), words)
	}
	cadences := map[string]bool{}
	for _, p := range periods {
		cadences[p.Period[:1]] = true
	}
	if len(cadences) != 3 {
		t.Errorf("time periods of cadences %v, want years, halves and quarters", cadences)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestGenTimePeriod(t *testing.T) {
	day := time.Date(2025, time.August, 14, 0, 0, 0, 0, time.UTC)
	for cadence, want := range []TimePeriod{
		{DisplayName: "FY25", Period: "FY", StartOn: "2025-01-01", EndOn: "2025-12-31"},
		{DisplayName: "H2 FY25", Period: "H2", StartOn: "2025-07-01", EndOn: "2025-12-31"},
		{DisplayName: "Q3 FY25", Period: "Q3", StartOn: "2025-07-01", EndOn: "2025-09-30"},
	} {
		got := genTimePeriod(day, cadence)
		want.GID = got.GID
		if *got != want {
			t.Errorf("cadence %d: %+v, want %+v", cadence, *got, want)
		}
	}
	// Distinct periods have distinct gids, across years too.
	gids := map[string]string{}
	for y := 2024; y <= 2027; y++ {
		for m := 1; m <= 12; m++ {
			for c := range 3 {
				p := genTimePeriod(time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC), c)
				if other, ok := gids[p.GID]; ok && other != p.DisplayName {
					t.Errorf("gid %s names %s and %s", p.GID, other, p.DisplayName)
				}
				gids[p.GID] = p.DisplayName
			}
		}
	}
	if len(gids) != 4*(1+2+4) {
		t.Errorf("%d distinct periods over four years, want 28", len(gids))
	}
}
