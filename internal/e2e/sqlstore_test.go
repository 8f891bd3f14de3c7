package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// A sync into a SQL database holds the generator's truth, and a second sync
// with nothing changed in Asana changes nothing in the database.
func TestIngester_Sync_intoSQLiteTwice(t *testing.T) {
	cfg := asanafake.DefaultGenConfig(1500, 50)
	cfg.OwnersAboveCap = 1
	ws := asanafake.Generate(21, cfg)
	emps := employeesFor(ws, 7)

	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "goals.db")+
		"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store, err := sqlstore.New(db, sqlstore.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, client := startFake(t, ws, asanafake.Options{}, asana.WithRequestsPerMinute(6_000_000))
	ing := goals.NewIngester(client, store, goals.Config{WorkspaceGID: ws.GID, Now: func() time.Time { return syncedAt }})

	dump := func() string {
		all := map[string][]goals.Goal{}
		for _, e := range emps {
			gs, err := store.Goals(context.Background(), e.ID)
			if err != nil {
				t.Fatal(err)
			}
			all[e.ID] = gs
		}
		b, err := json.Marshal(all)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var first string
	for round := range 2 {
		rep, err := ing.Sync(context.Background(), emps)
		if err != nil || len(rep.Failed()) > 0 {
			t.Fatalf("sync %d: %v, failed %+v", round, err, rep.Failed())
		}
		for i, e := range emps {
			want, _ := expected(ws, e, goals.DefaultMaxGoalsPerEmployee)
			got, err := store.Goals(context.Background(), e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(t, got, want) {
				t.Fatalf("sync %d, employee %d: database differs from Asana's truth", round, i)
			}
		}
		if round == 0 {
			first = dump()
		} else if second := dump(); second != first {
			t.Error("a second sync with no change in Asana changed the database")
		}
	}
}
