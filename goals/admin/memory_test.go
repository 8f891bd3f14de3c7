package admin_test

import (
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/admin"
	"github.com/perfcopilot/asanagoals/goals/admin/admintest"
)

// MemorySettings keeps every promise of the Settings contract, as
// admintest.RunSettings states it for every implementation.
func TestMemorySettings(t *testing.T) {
	admintest.RunSettings(t, func(*testing.T) admin.Settings { return &admin.MemorySettings{} })
}

// MemoryDirectory keeps every promise of the Directory contract, as
// admintest.RunDirectory states it for every implementation.
func TestMemoryDirectory(t *testing.T) {
	admintest.RunDirectory(t, func(_ *testing.T, emps []goals.Employee) admin.Directory {
		return admin.NewMemoryDirectory(emps)
	})
}

// MemoryHistory keeps every promise of the History contract, as
// admintest.RunHistory states it for every implementation.
func TestMemoryHistory(t *testing.T) {
	admintest.RunHistory(t, func(*testing.T) admin.History { return &admin.MemoryHistory{} })
}
