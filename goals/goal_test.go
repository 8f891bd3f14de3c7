package goals_test

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/status"
)

func TestProgressFraction(t *testing.T) {
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
func TestGoalRefreshed(t *testing.T) {
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
