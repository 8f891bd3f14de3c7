package storetest_test

import (
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/storetest"
	"github.com/perfcopilot/asanagoals/internal/fieldtest"
)

// Goal sets every field of a goal and, from two Key Results on, of a Key
// Result: the round trip Run checks, and the stores' own tests, then carry
// a field added to goals.Goal, goals.KeyResult, goals.TimePeriod or
// goals.Metric as soon as Goal sets it, and this test fails until it does.
func TestGoal_setsEveryField(t *testing.T) {
	for _, n := range []int{2, 4} {
		if unset := fieldtest.Unset(storetest.Goal("e1", "1", n)); len(unset) > 0 {
			t.Errorf("Goal(…, %d) leaves %q unset: set them, so that every store's round trip carries them", n, unset)
		}
	}
}

// goals.MemoryStore keeps the whole store contract: Run passes on it, so
// the suite's own checks are sound for the stores that follow it.
func TestRun_memoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) goals.Store { return goals.NewMemoryStore() })
}
