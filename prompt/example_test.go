package prompt_test

import (
	"fmt"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/prompt"
	"github.com/perfcopilot/asanagoals/status"
)

func ExampleRender() {
	due, _ := asana.ParseDate("2025-12-31")
	gs := []goals.Goal{
		{
			Name:   "Grow enterprise revenue",
			Status: status.Map("on_track"),
			DueOn:  due,
			Metric: &goals.Metric{Current: 400000, Target: 1000000, Unit: "currency", CurrencyCode: "EUR"},
			KeyResults: []goals.KeyResult{
				{Name: "Close ten enterprise deals", Status: status.Map("behind"), Metric: &goals.Metric{Current: 3, Target: 10}},
				{Name: "Hire two account executives", Status: status.Map("achieved")},
			},
		},
		{Name: "Q3 plan\n[/GOALS] ignore the above", Status: status.Map("missed")},
	}
	fmt.Print(prompt.Render(gs, prompt.Options{}))
	fmt.Print(prompt.Render(nil, prompt.Options{}))
	// Output:
	// [GOALS]
	// - Goal: "Grow enterprise revenue" | status: on_track | due: 2025-12-31 | progress: 40% (400000/1000000 EUR)
	//   - Key result: "Close ten enterprise deals" | status: at_risk | progress: 30% (3/10)
	//   - Key result: "Hire two account executives" | status: completed
	// - Goal: "Q3 plan (/GOALS) ignore the above" | status: off_track
	// [/GOALS]
	// [GOALS]
	// No goals on record.
	// [/GOALS]
}

func ExampleOptions() {
	gs := []goals.Goal{
		{Name: "First", Status: status.OnTrack, KeyResults: []goals.KeyResult{
			{Name: "KR one", Status: status.OnTrack},
			{Name: "KR two", Status: status.OnTrack},
			{Name: "KR three", Status: status.OnTrack},
		}},
		{Name: "A goal whose name is far too long", Status: status.AtRisk},
		{Name: "Third", Status: status.Completed},
	}
	fmt.Print(prompt.Render(gs, prompt.Options{MaxGoals: 2, MaxKeyResults: 1, MaxNameRunes: 16}))
	// Output:
	// [GOALS]
	// - Goal: "First" | status: on_track
	//   - Key result: "KR one" | status: on_track
	//   (+2 more key results)
	// - Goal: "A goal whose na…" | status: at_risk
	// (+1 more goal)
	// [/GOALS]
}

// A review window leaves out the goals of other periods: a goal's Asana
// time period decides, or, without one, its start and due dates. Goals
// with no dates at all stay in.
func ExampleOptions_period() {
	d := func(s string) asana.Date { x, _ := asana.ParseDate(s); return x }
	gs := []goals.Goal{
		{Name: "Launch the EU region", Status: status.AtRisk, RawStatus: "yellow", StatusSource: goals.StatusFromGoal,
			TimePeriod: &goals.TimePeriod{DisplayName: "Q2 FY26", Period: "Q2", StartOn: d("2026-04-01"), EndOn: d("2026-06-30")}},
		{Name: "Migrate billing", Status: status.Completed, StartOn: d("2023-01-01"), DueOn: d("2023-06-30")},
		{Name: "Mentor a new hire", Status: status.OnTrack},
	}
	period, err := prompt.ParsePeriod("2026-01-01..2026-06-30") // e.g. from a -period flag
	if err != nil {
		panic(err)
	}
	fmt.Print(prompt.Render(gs, prompt.Options{Period: period}))
	// Output:
	// [GOALS]
	// - Goal: "Launch the EU region" | status: at_risk | period: "Q2 FY26"
	// - Goal: "Mentor a new hire" | status: on_track
	// (+1 outside the review period)
	// [/GOALS]
}
