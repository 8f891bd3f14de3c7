package main

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// execSQL runs stmts on the database driver opens at dsn.
func execSQL(t *testing.T, driver, dsn string, stmts ...string) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range stmts {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// immutable makes dir immutable (chattr +i), which stops even root from
// creating files in it, until the test ends; it skips the test where
// chattr is missing or not allowed.
func immutable(t *testing.T, dir string) {
	t.Helper()
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("chattr +i %s: %v %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("chattr", "-i", dir).CombinedOutput(); err != nil {
			t.Errorf("chattr -i %s: %v %s", dir, err, out)
		}
	})
	if f, err := os.CreateTemp(dir, "probe"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skipf("chattr +i does not stop file creation in %s here", dir)
	}
}

// A database that opens and reads but cannot take the store's writes is
// refused before the first request to Asana (exit 2, one line that says
// what is wrong): a SQLite file in a directory where its journal cannot be
// created, a column the host added NOT NULL, a column the host dropped.
// The write that proves it is rolled back: the stored rows stay.
func TestDBWriteProbe(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	emps := demoEmployeesCSV(t)
	real := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", emps}

	// sqliteDB returns a SQLite database that a first run made.
	sqliteDB := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "goals.db")
		runCmd(t, tokenEnvMap(testToken), append(real, "-db", path)...).wantCode(t, exitOK)
		return path
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) (db string, want []string)
	}{
		{"sqlite: the journal cannot be created", func(t *testing.T) (string, []string) {
			path := sqliteDB(t)
			immutable(t, filepath.Dir(path))
			return path, []string{"cannot write to the database", "directory " + filepath.Dir(path), "journal"}
		}},
		{"sqlite: a NOT NULL column of the host's", func(t *testing.T) (string, []string) {
			path := filepath.Join(t.TempDir(), "goals.db")
			db, err := sql.Open("sqlite", sqliteDSN(path))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			s, _ := sqlstore.New(db, sqlstore.SQLite)
			schema := s.Schema()
			schema[0] = strings.Replace(schema[0], "(\n", "(\n\thost_note TEXT NOT NULL,\n", 1)
			execSQL(t, "sqlite", sqliteDSN(path), schema...)
			return path, []string{"cannot write to the database", "host_note"}
		}},
		{"sqlite: a dropped column", func(t *testing.T) (string, []string) {
			path := sqliteDB(t)
			execSQL(t, "sqlite", sqliteDSN(path), "ALTER TABLE asana_goals DROP COLUMN description")
			return path, []string{"asana_goals.description"}
		}},
		{"postgres: a NOT NULL column of the host's", func(t *testing.T) (string, []string) {
			_, dsn, _ := postgresSchema(t)
			runCmd(t, tokenEnvMap(testToken), append(real, "-db", dsn)...).wantCode(t, exitOK)
			execSQL(t, "pgx", dsn, "ALTER TABLE asana_goal_key_results ADD COLUMN host_note TEXT NOT NULL DEFAULT 'x'",
				"ALTER TABLE asana_goal_key_results ALTER COLUMN host_note DROP DEFAULT")
			return dsn, []string{"cannot write to the database", "host_note"}
		}},
		{"postgres: a dropped column", func(t *testing.T) (string, []string) {
			_, dsn, _ := postgresSchema(t)
			runCmd(t, tokenEnvMap(testToken), append(real, "-db", dsn)...).wantCode(t, exitOK)
			execSQL(t, "pgx", dsn, "ALTER TABLE asana_goals DROP COLUMN progress_unit")
			return dsn, []string{"asana_goals.progress_unit"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, want := tc.setup(t)
			before := srv.Stats().Requests
			res := runCmdCtx(t, context.Background(), tokenEnvMap(testToken), append(real, "-db", db)...)
			res.wantCode(t, exitUsage)
			res.wantOneErrorLine(t, append(want, "nothing was requested from Asana")...)
			if n := srv.Stats().Requests - before; n != 0 {
				t.Errorf("%d requests reached Asana, want none", n)
			}
		})
	}
}
