package goals_test

import (
	"math"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
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
