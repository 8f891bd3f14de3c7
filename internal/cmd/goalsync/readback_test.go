package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// The database goes away under the sync (here its goals table is renamed
// by another session as the sync sends its first request): the writes and
// the read-back of the output fail. The report is still printed, text and
// JSON, each employee whose goals cannot be read back is one line that
// says so (JSON: unread_goals), and the command exits 1 with one line.
func TestReadBackFailureKeepsTheReport(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, format := range []string{"text", "json"} {
			t.Run(dialect+" "+format, func(t *testing.T) {
				var db, driver, driverDSN string
				if dialect == "sqlite" {
					db = filepath.Join(t.TempDir(), "goals.db")
					driver, driverDSN = "sqlite", sqliteDSN(db)
				} else {
					_, db, _ = postgresSchema(t)
					driver, driverDSN = "pgx", db
				}
				var armed atomic.Bool
				var once sync.Once
				_, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{Intercept: func(http.ResponseWriter, *http.Request) bool {
					if armed.Load() {
						once.Do(func() { execSQL(t, driver, driverDSN, "ALTER TABLE asana_goals RENAME TO asana_goals_moved") })
					}
					return false
				}})
				args := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", demoEmployeesCSV(t),
					"-db", db, "-format", format}
				runCmd(t, tokenEnvMap(testToken), args...).wantCode(t, exitOK)
				armed.Store(true)

				res := runCmd(t, tokenEnvMap(testToken), args...)
				res.wantCode(t, exitFailed)
				// The text output reads back the mapped employees; the JSON
				// output every employee (emp-004 may have goals stored before).
				unread := "3 employees (emp-001, emp-002, emp-003)"
				if format == "json" {
					unread = "4 employees (emp-001, emp-002, emp-003, emp-004)"
				}
				res.wantOneErrorLine(t, "3 of 3 employees not fully synced", "the output lacks the stored goals of "+unread, "asana_goals")
				if format == "json" {
					var v struct {
						Report *struct {
							Employees []any `json:"employees"`
						} `json:"report"`
						Goals  []any `json:"goals"`
						Unread []struct {
							EmployeeID string `json:"employee_id"`
							Error      string `json:"error"`
						} `json:"unread_goals"`
					}
					if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
						t.Fatalf("stdout is not the JSON output: %v\n%s", err, res.stdout)
					}
					if v.Report == nil || len(v.Report.Employees) != 3 || len(v.Goals) != 0 || len(v.Unread) != 4 ||
						v.Unread[0].EmployeeID != "emp-001" || !strings.Contains(v.Unread[0].Error, "asana_goals") {
						t.Errorf("json output: %s", res.stdout)
					}
					return
				}
				for _, want := range []string{"Asana goals sync of workspace", "Result: 3 of 3 mapped employees not fully synced",
					"== emp-001 · Ada Lovelace ==\n(the stored goals could not be read back: ",
					"== emp-003 · Alan Turing ==\n(the stored goals could not be read back: "} {
					if !strings.Contains(res.stdout, want) {
						t.Errorf("text output lacks %q:\n%s", want, res.stdout)
					}
				}
			})
		}
	}
}
