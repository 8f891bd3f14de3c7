package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// readTx begins a read-only transaction that gives up on a lock a little
// before ctx's deadline (see boundLockWait).
func (s *Store) readTx(ctx context.Context) (*sql.Tx, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	if _, err := s.boundLockWait(ctx, tx, 0); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("set lock_timeout: %w", err)
	}
	return tx, nil
}

// OtherWorkspaces returns, of employeeIDs, those whose stored goals are of
// a workspace other than workspaceGID, each with that workspace: the
// employees a write of workspaceGID would be refused for (see
// goals.ErrOtherWorkspace). A host calls it before a sync, to refuse the
// sync rather than each of its writes. Goals stored without a workspace
// are not another's. The tables must exist (see Migrate).
func (s *Store) OtherWorkspaces(ctx context.Context, workspaceGID string, employeeIDs []string) (map[string]string, error) {
	tx, err := s.readTx(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read the workspaces of the stored goals: %w", err)
	}
	defer tx.Rollback() // read only
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT employee_id, workspace_gid FROM asana_goals
		WHERE workspace_gid IS NOT NULL AND workspace_gid <> $1`, workspaceGID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read the workspaces of the stored goals: %w", err)
	}
	defer rows.Close()
	wanted := make(map[string]bool, len(employeeIDs))
	for _, id := range employeeIDs {
		wanted[id] = true
	}
	out := map[string]string{}
	for rows.Next() {
		var emp, ws string
		if err := rows.Scan(&emp, &ws); err != nil {
			return nil, fmt.Errorf("sqlstore: read the workspaces of the stored goals: %w", err)
		}
		if wanted[emp] {
			out[emp] = ws
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: read the workspaces of the stored goals: %w", err)
	}
	return out, nil
}

// OtherData says what the database holds beside the goals of
// workspaceGID, a line each, sorted; none when it holds nothing else:
// goals of another workspace, goals stored without a workspace (by a
// version before workspaces were kept, or by a write that named none),
// rows of the admin tables, and tables that are not the store's (in the
// schema of the store's tables on PostgreSQL). The store's tables need
// not exist. goalsync -demo writes only to a database of which it says
// nothing: the demo's made-up goals must not replace real ones.
func (s *Store) OtherData(ctx context.Context, workspaceGID string) ([]string, error) {
	fail := func(err error) ([]string, error) {
		return nil, fmt.Errorf("sqlstore: read what the database holds: %w", err)
	}
	tx, err := s.readTx(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback() // read only
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`
	if s.dialect == Postgres {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	tables, err := columnNames(ctx, tx, query)
	if err != nil {
		return fail(err)
	}
	var out []string
	ours := map[string]bool{}
	for _, tc := range tableColumns {
		ours[tc.table] = true
	}
	for t := range tables {
		if !ours[t] {
			out = append(out, "table "+t+", which is not the goal store's")
		}
	}
	count := func(query string, args ...any) (int64, error) {
		var n int64
		err := tx.QueryRowContext(ctx, query, args...).Scan(&n)
		return n, err
	}
	if tables["asana_goals"] {
		missing, err := s.missingColumnsOf(ctx, tx, tableColumns[:1])
		if err != nil {
			return fail(err)
		}
		if slices.Contains(missing, "asana_goals.workspace_gid") {
			n, err := count(`SELECT count(*) FROM asana_goals`)
			if err != nil {
				return fail(err)
			}
			if n > 0 {
				out = append(out, plural(n, "goal")+" stored without a workspace")
			}
		} else {
			rows, err := tx.QueryContext(ctx, `SELECT workspace_gid, count(*) FROM asana_goals
				WHERE workspace_gid IS NULL OR workspace_gid <> $1 GROUP BY workspace_gid`, workspaceGID)
			if err != nil {
				return fail(err)
			}
			for rows.Next() {
				var ws sql.NullString
				var n int64
				if err := rows.Scan(&ws, &n); err != nil {
					rows.Close()
					return fail(err)
				}
				if ws.Valid {
					out = append(out, plural(n, "goal")+" of workspace "+ws.String)
				} else {
					out = append(out, plural(n, "goal")+" stored without a workspace")
				}
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return fail(err)
			}
		}
	}
	for _, tc := range tableColumns[goalTables:] {
		if !tables[tc.table] {
			continue
		}
		n, err := count(`SELECT count(*) FROM ` + tc.table)
		if err != nil {
			return fail(err)
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("%s in %s", plural(n, "row"), tc.table))
		}
	}
	slices.Sort(out)
	return out, nil
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
