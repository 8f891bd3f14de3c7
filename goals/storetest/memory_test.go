package storetest_test

import (
	"context"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/storetest"
)

// memory adapts MemoryStore's read method to storetest.Store.
type memory struct{ *goals.MemoryStore }

func (m memory) Goals(_ context.Context, employeeID string) ([]goals.Goal, error) {
	return m.MemoryStore.Goals(employeeID), nil
}

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store { return memory{goals.NewMemoryStore()} })
}
