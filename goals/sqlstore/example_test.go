package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"

	_ "modernc.org/sqlite"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/status"
)

func Example() {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:example?mode=memory&_pragma=foreign_keys(1)")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	store, err := sqlstore.New(db, sqlstore.SQLite) // sqlstore.Postgres with pgx's "pgx" driver
	if err != nil {
		panic(err)
	}
	if err := store.Migrate(ctx); err != nil {
		panic(err)
	}

	// What a sync writes for one employee (goals.Ingester does this).
	err = store.WriteGoals(ctx, goals.Write{
		EmployeeID: "emp-1",
		Complete:   true,
		Goals: []goals.Goal{{
			EmployeeID: "emp-1", GID: "11", Name: "Grow revenue", Status: status.AtRisk, RawStatus: "at_risk",
			KeyResults: []goals.KeyResult{{GoalGID: "11", GID: "21", Name: "Close ACME", Status: status.Completed}},
		}},
	})
	if err != nil {
		panic(err)
	}

	stored, err := store.Goals(ctx, "emp-1")
	if err != nil {
		panic(err)
	}
	for _, g := range stored {
		fmt.Println(g.GID, g.Name, g.Status)
		for _, kr := range g.KeyResults {
			fmt.Println("  ", kr.GID, kr.Name, kr.Status)
		}
	}
	// Output:
	// 11 Grow revenue at_risk
	//    21 Close ACME completed
}
