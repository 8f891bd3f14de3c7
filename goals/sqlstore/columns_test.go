package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	_ "modernc.org/sqlite"
)

// The goal tables Schema creates have exactly the columns the statements
// name, in order: the keys and one column per entry of goalColumns and
// krColumns. A column added to Schema without the field it holds, or a
// field given a column Schema lacks, fails here; storetest's round trip
// (TestStore_sqlite, TestStore_postgres) then checks that each field reads back.
func TestSchema_matchesTheColumnTables(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "goals.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := New(db, SQLite)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tableColumns[:goalTables] {
		rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info('"+tc.table+"')")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			got = append(got, name)
		}
		rows.Close()
		if !slices.Equal(got, tc.columns) {
			t.Errorf("%s: Schema creates %q, the statements name %q", tc.table, got, tc.columns)
		}
	}
}
