package admin_test

import (
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/admin"
	"github.com/perfcopilot/asanagoals/goals/admin/admintest"
)

func TestMemorySettings(t *testing.T) {
	admintest.RunSettings(t, func(*testing.T) admin.Settings { return &admin.MemorySettings{} })
}

func TestMemoryDirectory(t *testing.T) {
	admintest.RunDirectory(t, func(_ *testing.T, emps []goals.Employee) admin.Directory {
		return admin.NewMemoryDirectory(emps)
	})
}

func TestMemoryHistory(t *testing.T) {
	admintest.RunHistory(t, func(*testing.T) admin.History { return &admin.MemoryHistory{} })
}
