package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/goals/storetest"
	"github.com/perfcopilot/asanagoals/status"
)

// oldSchema is Schema as it was before status_source and the time period
// columns (commit fafb0a4), with a goal stored by that version: one with a
// status update, one without, and their Key Results.
func oldSchema(real, ts string) []string {
	return []string{
		`CREATE TABLE asana_goals (
	employee_id       TEXT NOT NULL,
	gid               TEXT NOT NULL,
	position          INTEGER NOT NULL,
	name              TEXT NOT NULL,
	description       TEXT NOT NULL,
	start_on          TEXT,
	due_on            TEXT,
	status            TEXT NOT NULL CHECK (status IN ('completed', 'at_risk', 'off_track', 'on_track')),
	raw_status        TEXT NOT NULL,
	progress_initial  ` + real + `,
	progress_current  ` + real + `,
	progress_target   ` + real + `,
	progress_unit     TEXT,
	progress_currency TEXT,
	synced_at         ` + ts + ` NOT NULL,
	PRIMARY KEY (employee_id, gid)
)`,
		`CREATE TABLE asana_goal_key_results (
	employee_id       TEXT NOT NULL,
	goal_gid          TEXT NOT NULL,
	gid               TEXT NOT NULL,
	position          INTEGER NOT NULL,
	name              TEXT NOT NULL,
	status            TEXT NOT NULL CHECK (status IN ('completed', 'at_risk', 'off_track', 'on_track')),
	raw_status        TEXT NOT NULL,
	due_on            TEXT,
	progress_initial  ` + real + `,
	progress_current  ` + real + `,
	progress_target   ` + real + `,
	progress_unit     TEXT,
	progress_currency TEXT,
	PRIMARY KEY (employee_id, goal_gid, gid),
	FOREIGN KEY (employee_id, goal_gid) REFERENCES asana_goals (employee_id, gid) ON DELETE CASCADE
)`,
		`INSERT INTO asana_goals (employee_id, gid, position, name, description, start_on, due_on, status, raw_status, synced_at)
	VALUES ('e1', '1', 0, 'Old with update', 'kept', '2025-01-01', '2025-06-30', 'at_risk', 'at_risk', '2025-07-01 00:00:00+00:00'),
	       ('e1', '2', 1, 'Old without', '', NULL, NULL, 'on_track', '', '2025-07-01 00:00:00+00:00')`,
		`INSERT INTO asana_goal_key_results (employee_id, goal_gid, gid, position, name, status, raw_status)
	VALUES ('e1', '1', '11', 0, 'KR with update', 'completed', 'achieved'),
	       ('e1', '1', '12', 1, 'KR without', 'on_track', '')`,
	}
}

// A database made by the previous schema, with goals in it, is migrated in
// place: the new columns are added, the stored rows keep their data and
// read back with the status source they had (a status update, or none),
// and goals with the new fields can be written.
func TestMigrateUpgradesAnOldDatabase(t *testing.T) {
	stores := map[string]func(*testing.T) (*sql.DB, sqlstore.Dialect, []string){
		"sqlite": func(t *testing.T) (*sql.DB, sqlstore.Dialect, []string) {
			db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "old.db")+"?_pragma=foreign_keys(1)")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db, sqlstore.SQLite, oldSchema("REAL", "TIMESTAMP")
		},
		"postgres": func(t *testing.T) (*sql.DB, sqlstore.Dialect, []string) {
			// openPostgres migrates its schema; drop the tables to start
			// from the old ones.
			s := openPostgres(t)
			for _, stmt := range []string{`DROP TABLE asana_goal_key_results`, `DROP TABLE asana_goals`} {
				if _, err := sqlstore.DB(s).Exec(stmt); err != nil {
					t.Fatal(err)
				}
			}
			return sqlstore.DB(s), sqlstore.Postgres, oldSchema("DOUBLE PRECISION", "TIMESTAMPTZ")
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, dialect, old := open(t)
			for _, stmt := range old {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatalf("old schema: %v", err)
				}
			}
			s, err := sqlstore.New(db, dialect)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Goals(ctx, "e1"); err == nil {
				t.Fatal("reading an old database before Migrate worked; the test does not start from the old schema")
			}
			for range 2 { // idempotent on an upgraded database too
				if err := s.Migrate(ctx); err != nil {
					t.Fatalf("Migrate: %v", err)
				}
			}
			gs, err := s.Goals(ctx, "e1")
			if err != nil {
				t.Fatal(err)
			}
			if len(gs) != 2 || len(gs[0].KeyResults) != 2 {
				t.Fatalf("after Migrate: %+v", gs)
			}
			if g := gs[0]; g.Name != "Old with update" || g.Description != "kept" || g.Status != status.AtRisk ||
				g.RawStatus != "at_risk" || g.StatusSource != goals.StatusFromUpdate || g.TimePeriod != nil {
				t.Errorf("old goal 1 reads back as %+v", g)
			}
			if g := gs[1]; g.StatusSource != goals.StatusFromNone || g.TimePeriod != nil {
				t.Errorf("old goal 2 reads back as %+v", g)
			}
			if kr := gs[0].KeyResults; kr[0].StatusSource != goals.StatusFromUpdate || kr[1].StatusSource != goals.StatusFromNone {
				t.Errorf("old key results read back as %+v", kr)
			}
			// The new fields now round-trip.
			g := storetest.Goal("e1", "3", 1)
			if err := s.WriteGoals(ctx, goals.Write{EmployeeID: "e1", Goals: []goals.Goal{g}}); err != nil {
				t.Fatal(err)
			}
			gs, err = s.Goals(ctx, "e1")
			if err != nil {
				t.Fatal(err)
			}
			if got := gs[2]; got.TimePeriod == nil || *got.TimePeriod != *g.TimePeriod || got.StatusSource != g.StatusSource {
				t.Errorf("new goal on a migrated database reads back as %+v", got)
			}
		})
	}
}
