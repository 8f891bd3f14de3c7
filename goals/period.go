package goals

import (
	"fmt"
	"strings"

	"github.com/perfcopilot/asanagoals/asana"
)

// Period is a review window: the days from From to To, both included. A
// zero From or To leaves that end open; the zero Period is no window at
// all. The same window scopes a sync (Config.Period: only goals in it are
// kept and walked) and the [GOALS] block (prompt.Options.Period: only
// goals in it are shown).
type Period struct {
	From, To asana.Date
}

// ParsePeriod reads a window written "2026-01-01..2026-06-30". Either end
// may be left out ("2026-01-01.." or "..2026-06-30") to leave it open; an
// empty string is the zero Period. From after To is an error.
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Period{}, nil
	}
	from, to, ok := strings.Cut(s, "..")
	if !ok || strings.TrimSpace(from) == "" && strings.TrimSpace(to) == "" {
		return Period{}, fmt.Errorf("goals: review period %q: want FROM..TO, dates as YYYY-MM-DD (either may be left out)", s)
	}
	var p Period
	var err error
	if p.From, err = asana.ParseDate(strings.TrimSpace(from)); err != nil {
		return Period{}, fmt.Errorf("goals: review period %q: %w", s, err)
	}
	if p.To, err = asana.ParseDate(strings.TrimSpace(to)); err != nil {
		return Period{}, fmt.Errorf("goals: review period %q: %w", s, err)
	}
	if !p.From.IsZero() && !p.To.IsZero() && dayNumber(p.From) > dayNumber(p.To) {
		return Period{}, fmt.Errorf("goals: review period %q ends before it starts", s)
	}
	return p, nil
}

// IsZero reports whether p is no window.
func (p Period) IsZero() bool { return p.From.IsZero() && p.To.IsZero() }

// String writes p as ParsePeriod reads it, "" for the zero Period.
func (p Period) String() string {
	if p.IsZero() {
		return ""
	}
	return p.From.String() + ".." + p.To.String()
}

// Includes reports whether a goal belongs in the window: whether the days
// it covers overlap p. Those days are its Asana time period's, when it has
// one with dates, and otherwise its StartOn..DueOn; a missing start or end
// leaves that side open. A goal with no dates at all is always included,
// since nothing says it lies outside; so is every goal when p is zero.
func (p Period) Includes(g Goal) bool {
	if p.IsZero() {
		return true
	}
	start, end := g.StartOn, g.DueOn
	if tp := g.TimePeriod; tp != nil && !(tp.StartOn.IsZero() && tp.EndOn.IsZero()) {
		start, end = tp.StartOn, tp.EndOn
	}
	if start.IsZero() && end.IsZero() {
		return true
	}
	lo, hi := dayNumber(start), dayNumber(end)
	if start.IsZero() {
		lo = minDay
	}
	if end.IsZero() {
		hi = maxDay
	}
	if lo > hi { // dates the wrong way round: take the days between them
		lo, hi = hi, lo
	}
	from, to := dayNumber(p.From), dayNumber(p.To)
	if p.From.IsZero() {
		from = minDay
	}
	if p.To.IsZero() {
		to = maxDay
	}
	return lo <= to && hi >= from
}

const (
	minDay = -1 << 62
	maxDay = 1 << 62
)

// dayNumber orders dates: a later date has a larger number. Month and day
// out of range (a Date built by hand) still give a total order.
func dayNumber(d asana.Date) int64 {
	return int64(d.Year)*10000 + int64(d.Month)*100 + int64(d.Day)
}
