package prompt

import "github.com/perfcopilot/asanagoals/goals"

// Period is the review window of Options.Period. It is [goals.Period], so
// that the window a sync is scoped to (goals.Config.Period) and the window
// the block shows are one value.
type Period = goals.Period

// ParsePeriod reads a window written "2026-01-01..2026-06-30": see
// [goals.ParsePeriod].
func ParsePeriod(s string) (Period, error) { return goals.ParsePeriod(s) }
