package goals_test

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/storetest"
	"github.com/perfcopilot/asanagoals/status"
)

// A metric's fraction is how far Current has gone from Initial toward
// Target, in either direction, clamped to 0..1; a metric whose target equals
// its start, or with a value that is not finite, has no fraction.
func TestMetric_Fraction(t *testing.T) {
	tests := []struct {
		p    goals.Metric
		want float64
		ok   bool
	}{
		{goals.Metric{Initial: 0, Current: 4, Target: 10}, 0.4, true},
		{goals.Metric{Initial: 100, Current: 75, Target: 50}, 0.5, true}, // a goal to go down
		{goals.Metric{Initial: 0, Current: 12, Target: 10}, 1, true},
		{goals.Metric{Initial: 0, Current: -3, Target: 10}, 0, true},
		{goals.Metric{Initial: 5, Current: 5, Target: 5}, 0, false},
		{goals.Metric{Current: math.NaN(), Target: 1}, 0, false},
		{goals.Metric{Current: 1, Target: math.Inf(1)}, 0, false},
	}
	for _, tc := range tests {
		got, ok := tc.p.Fraction()
		if ok != tc.ok || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%+v.Fraction() = %v, %v; want %v, %v", tc.p, got, ok, tc.want, tc.ok)
		}
	}
}

// A stored goal refreshed by the same goal read again takes its own fields
// and SyncedAt and keeps its employee, GID and Key Results; refreshed by an
// identical read it is returned as it is, SyncedAt included. A metric of
// -0 is the metric 0.
func TestGoal_Refreshed(t *testing.T) {
	day := asana.Date{Year: 2025, Month: 3, Day: 31}
	then, now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	stored := goals.Goal{EmployeeID: "e", GID: "1", Name: "N", Description: "D", StartOn: day, DueOn: day, Status: status.AtRisk,
		RawStatus: "at_risk", StatusSource: goals.StatusFromUpdate, TimePeriod: &goals.TimePeriod{GID: "7", DisplayName: "FY25"},
		Metric: &goals.Metric{Initial: 0, Current: 1, Target: 2}, KeyResults: []goals.KeyResult{{GoalGID: "1", GID: "9"}}, SyncedAt: then}
	read := stored
	read.KeyResults, read.SyncedAt = nil, now
	read.TimePeriod = &goals.TimePeriod{GID: "7", DisplayName: "FY25"}
	read.Metric = &goals.Metric{Initial: math.Copysign(0, -1), Current: 1, Target: 2}
	if got, changed := stored.Refreshed(read); changed || !reflect.DeepEqual(got, stored) {
		t.Errorf("an identical read: changed %v, %+v; want the stored goal as it is", changed, got)
	}
	for name, change := range map[string]func(*goals.Goal){
		"name":          func(g *goals.Goal) { g.Name = "M" },
		"description":   func(g *goals.Goal) { g.Description = "" },
		"start":         func(g *goals.Goal) { g.StartOn = asana.Date{} },
		"due":           func(g *goals.Goal) { g.DueOn = asana.Date{Year: 2025, Month: 4, Day: 1} },
		"status":        func(g *goals.Goal) { g.Status = status.OffTrack },
		"raw status":    func(g *goals.Goal) { g.RawStatus = "off_track" },
		"status source": func(g *goals.Goal) { g.StatusSource = goals.StatusFromGoal },
		"time period":   func(g *goals.Goal) { g.TimePeriod = &goals.TimePeriod{GID: "7", DisplayName: "FY 2025"} },
		"no period":     func(g *goals.Goal) { g.TimePeriod = nil },
		"metric":        func(g *goals.Goal) { g.Metric = &goals.Metric{Initial: 0, Current: 1.5, Target: 2} },
		"no metric":     func(g *goals.Goal) { g.Metric = nil },
	} {
		fresh := read
		change(&fresh)
		got, changed := stored.Refreshed(fresh)
		want := fresh
		want.EmployeeID, want.GID, want.KeyResults = stored.EmployeeID, stored.GID, stored.KeyResults
		if !changed || !reflect.DeepEqual(got, want) {
			t.Errorf("%s changed: changed %v, %+v; want the read's fields, SyncedAt %s, the stored Key Results", name, changed, got, now)
		}
	}
}

// Every field of a goal but its employee, GID and Key Results is one of
// its own fields, which a refresh takes: a goal with every field set
// (storetest.Goal) refreshed by a read that differs in one field alone
// takes it and reports a change, whichever field; one that differs in
// SyncedAt alone stays as stored.
func TestGoal_Refreshed_everyOwnField(t *testing.T) {
	stored := storetest.Goal("e1", "1", 2)
	kept := map[string]bool{"EmployeeID": true, "GID": true, "KeyResults": true}
	typ := reflect.TypeFor[goals.Goal]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		fresh := stored
		fresh.KeyResults = nil
		// Every field of stored is set, so its zero value is a change.
		reflect.ValueOf(&fresh).Elem().Field(i).SetZero()
		got, changed := stored.Refreshed(fresh)
		want := fresh
		want.EmployeeID, want.GID, want.KeyResults = stored.EmployeeID, stored.GID, stored.KeyResults
		switch {
		case kept[f.Name]:
			want = stored
		case f.Name == "SyncedAt":
			if changed || !reflect.DeepEqual(got, stored) {
				t.Errorf("SyncedAt alone differs: changed %v, %+v; want the stored goal as it is", changed, got)
			}
			continue
		}
		if changed == kept[f.Name] || !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs: changed %v, %+v; want changed %v, %+v", f.Name, changed, got, !kept[f.Name], want)
		}
	}
}

// A metric's JSON key is "progress" on a goal and a Key Result, the key
// they have had from their first version: JSON stored with it reads back.
func TestGoal_metricJSONKey(t *testing.T) {
	var g goals.Goal
	if err := json.Unmarshal([]byte(`{"gid":"1","progress":{"initial":1,"current":2,"target":3},"key_results":[{"gid":"2","progress":{"target":4}}]}`), &g); err != nil {
		t.Fatal(err)
	}
	if g.Metric == nil || *g.Metric != (goals.Metric{Initial: 1, Current: 2, Target: 3}) ||
		len(g.KeyResults) != 1 || g.KeyResults[0].Metric == nil || g.KeyResults[0].Metric.Target != 4 {
		t.Errorf("stored JSON reads back as %+v", g)
	}
	b, err := json.Marshal(goals.Goal{Status: status.OnTrack, Metric: &goals.Metric{},
		KeyResults: []goals.KeyResult{{Status: status.OnTrack, Metric: &goals.Metric{}}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `"progress":{`); n != 2 {
		t.Errorf("%s has %d progress keys, want 2", b, n)
	}
}
