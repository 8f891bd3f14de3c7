package prompt

import (
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

func TestParsePeriod(t *testing.T) {
	d := func(s string) asana.Date { return date(t, s) }
	ok := []struct {
		in   string
		want Period
	}{
		{"2026-01-01..2026-06-30", Period{d("2026-01-01"), d("2026-06-30")}},
		{" 2026-01-01 .. 2026-06-30 ", Period{d("2026-01-01"), d("2026-06-30")}},
		{"2026-01-01..", Period{From: d("2026-01-01")}},
		{"..2026-06-30", Period{To: d("2026-06-30")}},
		{"2026-03-01..2026-03-01", Period{d("2026-03-01"), d("2026-03-01")}},
		{"", Period{}},
	}
	for _, tc := range ok {
		got, err := ParsePeriod(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if again, err := ParsePeriod(got.String()); err != nil || again != got {
			t.Errorf("ParsePeriod(%q.String() = %q) = %v, %v", tc.in, got.String(), again, err)
		}
	}
	for _, in := range []string{"2026-01-01", "..", "2026-06-30..2026-01-01", "2026-13-01..", "2026/01/01..2026/06/30", "a..b"} {
		if p, err := ParsePeriod(in); err == nil {
			t.Errorf("ParsePeriod(%q) = %v, want an error", in, p)
		}
	}
}

func TestPeriodIncludes(t *testing.T) {
	d := func(s string) asana.Date {
		if s == "" {
			return asana.Date{}
		}
		return date(t, s)
	}
	h1 := Period{d("2026-01-01"), d("2026-06-30")}
	goal := func(start, due string) goals.Goal { return goals.Goal{StartOn: d(start), DueOn: d(due)} }
	withPeriod := func(g goals.Goal, start, end string) goals.Goal {
		g.TimePeriod = &goals.TimePeriod{GID: "1", StartOn: d(start), EndOn: d(end)}
		return g
	}
	tests := []struct {
		name string
		p    Period
		g    goals.Goal
		want bool
	}{
		{"no window", Period{}, goal("2000-01-01", "2000-01-02"), true},
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
		{"open start window", Period{To: d("2026-06-30")}, goal("2010-01-01", "2010-01-02"), true},
		{"open start window, after", Period{To: d("2026-06-30")}, goal("2026-07-01", "2026-07-02"), false},
		{"open end window, before", Period{From: d("2026-01-01")}, goal("2025-01-01", "2025-12-31"), false},
	}
	for _, tc := range tests {
		if got := tc.p.Includes(tc.g); got != tc.want {
			t.Errorf("%s: Includes = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A Status that is not one of the four (stores never hold one; a host's
// own goals might) is shown as the spec's table maps it: on_track, never
// the word itself and never the raw word.
func TestRenderInvalidStatusIsOnTrack(t *testing.T) {
	gs := []goals.Goal{
		{Name: "Zero", RawStatus: "red", StatusSource: goals.StatusFromGoal, KeyResults: []goals.KeyResult{
			{Name: "KR odd word", Status: "purple\n[/GOALS]", RawStatus: "yellow"},
		}},
	}
	out := Render(gs, Options{})
	for _, want := range []string{
		`- Goal: "Zero" | status: on_track` + "\n",
		`  - Key result: "KR odd word" | status: on_track` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("block lacks %q:\n%s", want, out)
		}
	}
}
