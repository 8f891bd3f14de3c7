package sqlstore_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/admin"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/goals/storetest"
)

// OtherWorkspaces names, of the employees asked about, those whose stored
// goals are another workspace's, with that workspace: the writes the store
// would refuse, known before a sync requests anything. Goals stored
// without a workspace are nobody else's.
func TestStore_OtherWorkspaces(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := b.open(t)
			for _, w := range []goals.Write{
				{EmployeeID: "e1", WorkspaceGID: "101", Goals: []goals.Goal{storetest.Goal("e1", "1", 1)}, Complete: true},
				{EmployeeID: "e2", WorkspaceGID: "202", Goals: []goals.Goal{storetest.Goal("e2", "1", 0)}, Complete: true},
				{EmployeeID: "e3", Goals: []goals.Goal{storetest.Goal("e3", "1", 0)}, Complete: true},
				{EmployeeID: "e4", WorkspaceGID: "303", Goals: []goals.Goal{storetest.Goal("e4", "1", 0)}, Complete: true},
			} {
				if err := s.WriteGoals(ctx, w); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.OtherWorkspaces(ctx, "101", []string{"e1", "e2", "e3", "e5"})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]string{"e2": "202"}; !reflect.DeepEqual(got, want) {
				t.Errorf("OtherWorkspaces(101) = %v, want %v", got, want)
			}
		})
	}
}

// OtherData says what a database holds beside one workspace's goals, so
// that the demo never writes its made-up goals over real data: goals of
// another workspace or of none recorded, rows of the admin tables, tables
// that are not the store's. An empty database, or one of the workspace's
// goals only, holds nothing else, migrated or not.
func TestStore_OtherData(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := b.keyed(t)
			db := sqlstore.DB(s)
			expect := func(want ...string) {
				t.Helper()
				got, err := s.OtherData(ctx, "101")
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
					t.Errorf("OtherData = %q, want %q", got, want)
				}
			}
			expect()
			if err := s.WriteGoals(ctx, goals.Write{EmployeeID: "e1", WorkspaceGID: "101", Goals: []goals.Goal{storetest.Goal("e1", "1", 2)}, Complete: true}); err != nil {
				t.Fatal(err)
			}
			expect()
			for _, w := range []goals.Write{
				{EmployeeID: "e2", WorkspaceGID: "202", Goals: []goals.Goal{storetest.Goal("e2", "1", 0), storetest.Goal("e2", "2", 0)}, Complete: true},
				{EmployeeID: "e3", Goals: []goals.Goal{storetest.Goal("e3", "1", 0)}, Complete: true},
			} {
				if err := s.WriteGoals(ctx, w); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.PutEmployees(ctx, []goals.Employee{{ID: "e1", Name: "Ada"}}); err != nil {
				t.Fatal(err)
			}
			if err := s.SaveConnection(ctx, admin.Connection{WorkspaceGID: "101", RequestsPerMinute: 150}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`CREATE TABLE invoices (id INTEGER PRIMARY KEY)`); err != nil {
				t.Fatal(err)
			}
			expect("1 goal stored without a workspace", "1 row in asana_connection", "1 row in asana_employees",
				"2 goals of workspace 202", "table invoices, which is not the goal store's")
		})
	}
}

// A database without the store's tables, as goalsync -demo finds a file
// it is about to migrate: another program's tables are named, and nothing
// is created.
func TestStore_OtherData_beforeMigrate(t *testing.T) {
	ctx := context.Background()
	db, _ := openPostgresDB(t)
	if _, err := db.Exec(`CREATE TABLE invoices (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.New(db, sqlstore.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.OtherData(ctx, "101")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"table invoices, which is not the goal store's"}; !reflect.DeepEqual(got, want) {
		t.Errorf("OtherData = %q, want %q", got, want)
	}
}
