package goals_test

import (
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

// ParsePeriod reads "FROM..TO" with either end open, spaces allowed, and ""
// as no window, and its String parses back to it; a single date, "..", an
// end before the start, an impossible or otherwise written date is an error.
func TestParsePeriod(t *testing.T) {
	d := func(s string) asana.Date { return date(t, s) }
	ok := []struct {
		in   string
		want goals.Period
	}{
		{"2026-01-01..2026-06-30", goals.Period{From: d("2026-01-01"), To: d("2026-06-30")}},
		{" 2026-01-01 .. 2026-06-30 ", goals.Period{From: d("2026-01-01"), To: d("2026-06-30")}},
		{"2026-01-01..", goals.Period{From: d("2026-01-01")}},
		{"..2026-06-30", goals.Period{To: d("2026-06-30")}},
		{"2026-03-01..2026-03-01", goals.Period{From: d("2026-03-01"), To: d("2026-03-01")}},
		{"", goals.Period{}},
	}
	for _, tc := range ok {
		got, err := goals.ParsePeriod(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("goals.ParsePeriod(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if again, err := goals.ParsePeriod(got.String()); err != nil || again != got {
			t.Errorf("goals.ParsePeriod(%q.String() = %q) = %v, %v", tc.in, got.String(), again, err)
		}
	}
	for _, in := range []string{"2026-01-01", "..", "2026-06-30..2026-01-01", "2026-13-01..", "2026/01/01..2026/06/30", "a..b"} {
		if p, err := goals.ParsePeriod(in); err == nil {
			t.Errorf("goals.ParsePeriod(%q) = %v, want an error", in, p)
		}
	}
}

// A goal is in a period when its dates overlap it, both ends included: its
// time period's dates win over its own, a goal with no dates is always in,
// reversed dates are taken as a span, and an open end bounds nothing.
func TestPeriod_Includes(t *testing.T) {
	d := func(s string) asana.Date {
		if s == "" {
			return asana.Date{}
		}
		return date(t, s)
	}
	h1 := goals.Period{From: d("2026-01-01"), To: d("2026-06-30")}
	goal := func(start, due string) goals.Goal { return goals.Goal{StartOn: d(start), DueOn: d(due)} }
	withPeriod := func(g goals.Goal, start, end string) goals.Goal {
		g.TimePeriod = &goals.TimePeriod{GID: "1", StartOn: d(start), EndOn: d(end)}
		return g
	}
	tests := []struct {
		name string
		p    goals.Period
		g    goals.Goal
		want bool
	}{
		{"no window", goals.Period{}, goal("2000-01-01", "2000-01-02"), true},
		{"no dates", h1, goal("", ""), true},
		{"inside", h1, goal("2026-02-01", "2026-03-01"), true},
		{"ends on the first day", h1, goal("2025-01-01", "2026-01-01"), true},
		{"starts on the last day", h1, goal("2026-06-30", "2027-01-01"), true},
		{"ends the day before", h1, goal("2025-01-01", "2025-12-31"), false},
		{"starts the day after", h1, goal("2026-07-01", "2026-12-31"), false},
		{"covers the window", h1, goal("2020-01-01", "2030-01-01"), true},
		{"due only, before", h1, goal("", "2025-12-31"), false},
		{"due only, inside", h1, goal("", "2026-01-01"), true},
		{"start only, after", h1, goal("2026-07-01", ""), false},
		{"start only, before", h1, goal("2020-07-01", ""), true},
		{"dates reversed", h1, goal("2026-12-31", "2026-03-01"), true},
		{"period wins over dates", h1, withPeriod(goal("2026-01-01", "2026-06-30"), "2025-01-01", "2025-12-31"), false},
		{"period inside", h1, withPeriod(goal("2020-01-01", "2020-02-01"), "2026-04-01", "2026-06-30"), true},
		{"period without dates: goal's dates", h1, withPeriod(goal("2020-01-01", "2020-02-01"), "", ""), false},
		{"open start window", goals.Period{To: d("2026-06-30")}, goal("2010-01-01", "2010-01-02"), true},
		{"open start window, after", goals.Period{To: d("2026-06-30")}, goal("2026-07-01", "2026-07-02"), false},
		{"open end window, before", goals.Period{From: d("2026-01-01")}, goal("2025-01-01", "2025-12-31"), false},
	}
	for _, tc := range tests {
		if got := tc.p.Includes(tc.g); got != tc.want {
			t.Errorf("%s: Includes = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// date parses a YYYY-MM-DD date or fails the test.
func date(t *testing.T, s string) asana.Date {
	t.Helper()
	d, err := asana.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
