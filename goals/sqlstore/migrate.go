package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// addedColumn is a column added after the first release of the schema:
// Migrate adds it to tables created before.
type addedColumn struct {
	table, name, typ string
	// backfill, when set, fills the column of the rows that predate it.
	backfill string
}

// addedColumns are the columns Schema has that earlier versions of it did
// not, in the order they were added.
var addedColumns = []addedColumn{
	// Every status stored before status_source existed came from a status
	// update's status_type, or from nothing when raw_status is empty.
	{"asana_goals", "status_source", "TEXT NOT NULL DEFAULT ''",
		`UPDATE asana_goals SET status_source = CASE WHEN raw_status = '' THEN 'none' ELSE 'status_update' END WHERE status_source = ''`},
	{"asana_goal_key_results", "status_source", "TEXT NOT NULL DEFAULT ''",
		`UPDATE asana_goal_key_results SET status_source = CASE WHEN raw_status = '' THEN 'none' ELSE 'status_update' END WHERE status_source = ''`},
	{"asana_goals", "time_period_gid", "TEXT", ""},
	{"asana_goals", "time_period_name", "TEXT", ""},
	{"asana_goals", "time_period_code", "TEXT", ""},
	{"asana_goals", "time_period_start", "TEXT", ""},
	{"asana_goals", "time_period_end", "TEXT", ""},
	// NULL for the goals stored before it: the next write that names a
	// workspace claims them (see goals.Store).
	{"asana_goals", "workspace_gid", "TEXT", ""},
}

// DefaultLockTimeout is how long a migration waits for a lock on the
// store's tables (PostgreSQL's lock_timeout) before it gives up: ALTER
// TABLE needs the table to itself, and a session that holds it (a long
// transaction, LOCK TABLE) would otherwise keep Migrate waiting as long as
// it lasts.
const DefaultLockTimeout = 10 * time.Second

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Migrate creates the store's tables if they do not exist, and adds to
// tables created by an earlier version of Schema the columns added since
// (goals' and Key Results' status_source, goals' time period), filling
// status_source of the rows already there. It is idempotent, and safe to
// run on a database in use, by several processes at once.
//
// A schema that is current is only read from the catalog: Migrate takes no
// lock on the tables then, and a session reading or writing them does not
// make it wait. A migration that is needed runs in one transaction; on
// PostgreSQL it holds an advisory lock, so that concurrent first
// migrations wait for each other instead of racing in the catalog, and
// waits at most DefaultLockTimeout for a lock on a table before it fails
// with an error for which IsLockWait is true.
//
// Migrate refuses tables that would not outlive the session: on a
// PostgreSQL connection whose search path starts with pg_temp (in the
// connection string, or the role's or the database's setting), the tables
// would be created in the session's temporary schema and vanish with the
// goals written to them; it fails instead, and creates nothing.
func (s *Store) Migrate(ctx context.Context) error {
	missing, err := s.missingColumns(ctx, s.db)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: read the tables' columns: %w", err)
	}
	if len(missing) == 0 {
		if err := s.checkPersistent(ctx, s.db, tableColumns); err != nil {
			return err
		}
		return s.migrateTimes(ctx)
	}
	if s.dialect == Postgres {
		return s.migratePostgres(ctx)
	}
	if err := s.checkPersistent(ctx, s.db, tableColumns); err != nil {
		return err
	}
	for _, stmt := range s.Schema() {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("sqlstore: migrate: %w", err)
		}
	}
	for _, col := range addedColumns {
		if err := s.addColumn(ctx, col); err != nil {
			return fmt.Errorf("sqlstore: migrate: add %s.%s: %w", col.table, col.name, err)
		}
	}
	if missing, err = s.missingColumns(ctx, s.db); err != nil {
		return fmt.Errorf("sqlstore: migrate: read the tables' columns: %w", err)
	}
	if len(missing) > 0 {
		// A column of the first schema, dropped since: Migrate adds only
		// the columns added after it.
		return fmt.Errorf("sqlstore: migrate: the tables lack %s", strings.Join(missing, ", "))
	}
	return s.migrateTimes(ctx)
}

// timeColumns are the store's timestamp columns.
var timeColumns = []struct{ table, column string }{
	{"asana_goals", "synced_at"},
	{"asana_connection", "checked_at"},
	{"asana_connection", "saved_at"},
	{"asana_sync_reports", "created_at"},
}

// sqliteTimeGlob matches the text of sqliteTimeLayout.
const sqliteTimeGlob = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z"

// migrateTimes rewrites, on SQLite, the times that earlier versions
// stored as Go's time.Time.String() text (which SQLite's date functions
// read as NULL) in sqliteTimeLayout, in one transaction. Text that is no
// time is left as it is. It only reads when there is nothing to rewrite.
func (s *Store) migrateTimes(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	type rewrite struct {
		table, column, value string
		rowid                int64
	}
	var todo []rewrite
	for _, tc := range timeColumns {
		// CAST: the text as stored, which the driver leaves unparsed.
		rows, err := s.db.QueryContext(ctx, `SELECT rowid, CAST(`+tc.column+` AS TEXT) FROM `+tc.table+`
			WHERE typeof(`+tc.column+`) = 'text' AND `+tc.column+` NOT GLOB '`+sqliteTimeGlob+`'`)
		if err != nil {
			return fmt.Errorf("sqlstore: migrate: read %s.%s: %w", tc.table, tc.column, err)
		}
		for rows.Next() {
			var id int64
			var text string
			if err := rows.Scan(&id, &text); err != nil {
				rows.Close()
				return fmt.Errorf("sqlstore: migrate: read %s.%s: %w", tc.table, tc.column, err)
			}
			if t, ok := parseStoredTime(text); ok {
				todo = append(todo, rewrite{tc.table, tc.column, t.Truncate(time.Microsecond).Format(sqliteTimeLayout), id})
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("sqlstore: migrate: read %s.%s: %w", tc.table, tc.column, err)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: begin: %w", err)
	}
	defer tx.Rollback() // a no-op once committed
	for _, r := range todo {
		// Only a value still in an old form: another process may have
		// rewritten it meanwhile.
		if _, err := tx.ExecContext(ctx, `UPDATE `+r.table+` SET `+r.column+` = $1 WHERE rowid = $2 AND `+r.column+` NOT GLOB '`+sqliteTimeGlob+`'`,
			r.value, r.rowid); err != nil {
			return fmt.Errorf("sqlstore: migrate: rewrite %s.%s in ISO 8601: %w", r.table, r.column, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: migrate: commit: %w", err)
	}
	return nil
}

// missingColumns returns the "table.column" the store's tables lack, and
// "table" for a table that does not exist, from the catalog alone.
func (s *Store) missingColumns(ctx context.Context, q querier) ([]string, error) {
	return s.missingColumnsOf(ctx, q, tableColumns)
}

// missingColumnsOf is missingColumns of some of the tables.
func (s *Store) missingColumnsOf(ctx context.Context, q querier, tables []tableSpec) ([]string, error) {
	var missing []string
	for _, tc := range tables {
		var query string
		if s.dialect == Postgres {
			// to_regclass resolves the name as the store's queries do (by
			// the search path), and locks nothing.
			query = `SELECT attname FROM pg_catalog.pg_attribute
				WHERE attrelid = to_regclass('` + tc.table + `') AND attnum > 0 AND NOT attisdropped`
		} else {
			query = "SELECT name FROM pragma_table_info('" + tc.table + "')"
		}
		have, err := columnNames(ctx, q, query)
		if err != nil {
			return nil, err
		}
		if len(have) == 0 {
			missing = append(missing, tc.table)
			continue
		}
		for _, c := range tc.columns {
			if !have[c] {
				missing = append(missing, tc.table+"."+c)
			}
		}
	}
	return missing, nil
}

func columnNames(ctx context.Context, q querier, query string) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		have[strings.ToLower(name)] = true
	}
	return have, rows.Err()
}

// checkPersistent refuses tables, of those given, that are temporary: they
// go, with every row written to them, when the session ends. PostgreSQL
// creates an unqualified table in the session's temporary schema when the
// search path starts with pg_temp (set in the connection string, or as
// the role's or the database's default); a SQLite table in the temp
// schema hides the main database's of the same name. Tables that do not
// exist are not its concern.
func (s *Store) checkPersistent(ctx context.Context, q querier, tables []tableSpec) error {
	var query string
	if s.dialect == Postgres {
		query = `SELECT c.relname, n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.oid = to_regclass($1) AND c.relpersistence = 't'`
	} else {
		query = `SELECT name, 'temp' FROM temp.sqlite_master WHERE type = 'table' AND name = $1`
	}
	for _, tc := range tables {
		rows, err := q.QueryContext(ctx, query, tc.table)
		if err != nil {
			return fmt.Errorf("sqlstore: check that the tables persist: %w", err)
		}
		var table, schema string
		found := rows.Next()
		if found {
			err = rows.Scan(&table, &schema)
		}
		if err == nil {
			err = rows.Err()
		}
		rows.Close()
		if err != nil {
			return fmt.Errorf("sqlstore: check that the tables persist: %w", err)
		}
		if !found {
			continue
		}
		if s.dialect == SQLite {
			return fmt.Errorf("sqlstore: %s is a temporary table (SQLite's temp schema), which goes when the connection closes "+
				"and hides the database's own; drop it, and keep the store's tables in the main database", table)
		}
		path := ""
		if rows, err := q.QueryContext(ctx, "SHOW search_path"); err == nil {
			var sp string
			if rows.Next() && rows.Scan(&sp) == nil {
				path = fmt.Sprintf(" (%s)", sp)
			}
			rows.Close()
		}
		return fmt.Errorf("sqlstore: %s is a temporary table, in the session's temporary schema %s, which goes with every goal "+
			"written to it when the connection closes: the search path%s starts with pg_temp; set a search_path whose first schema "+
			"is a persistent one (in the connection string, or the role's or the database's setting)", table, schema, path)
	}
	return nil
}

// migrateLockKey is the advisory lock (two int4 keys, a space apart from
// the one-key locks of employees) that PostgreSQL migrations take. It
// names the schema the tables go in (current_schema(), the first of the
// search path that exists): advisory locks are the database's, and the
// stores of two schemas, say two tenants' on one database, do not wait for
// each other's migrations.
const migrateLockKey = `hashtext('asanagoals.sqlstore'), hashtext('migrate ' || coalesce(current_schema(), ''))`

// migratePostgres runs a needed migration in one transaction, under the
// migration's advisory lock, with a lock timeout.
func (s *Store) migratePostgres(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: begin: %w", err)
	}
	defer tx.Rollback() // a no-op once committed
	timeout := s.lockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	if timeout, err = s.boundLockWait(ctx, tx, timeout); err != nil {
		return fmt.Errorf("sqlstore: migrate: set lock_timeout: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock("+migrateLockKey+")"); err != nil {
		return lockError("wait for another migration", "", timeout, err)
	}
	// Another process may have migrated while this one waited.
	missing, err := s.missingColumns(ctx, tx)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: read the tables' columns: %w", err)
	}
	if len(missing) == 0 {
		return nil
	}
	lacks := func(name string) bool {
		for _, m := range missing {
			if m == name || strings.HasPrefix(name, m+".") {
				return true
			}
		}
		return false
	}
	for i, stmt := range s.Schema() {
		if table := tableColumns[i].table; lacks(table) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return lockError("create "+table, table, timeout, err)
			}
		}
	}
	for _, col := range addedColumns {
		if !lacks(col.table + "." + col.name) {
			continue
		}
		if _, err := tx.ExecContext(ctx, "ALTER TABLE "+col.table+" ADD COLUMN IF NOT EXISTS "+col.name+" "+col.typ); err != nil {
			return lockError("add "+col.table+"."+col.name, col.table, timeout, err)
		}
		if col.backfill != "" {
			if _, err := tx.ExecContext(ctx, col.backfill); err != nil {
				return lockError("fill "+col.table+"."+col.name, col.table, timeout, err)
			}
		}
	}
	if missing, err = s.missingColumns(ctx, tx); err != nil {
		return fmt.Errorf("sqlstore: migrate: read the tables' columns: %w", err)
	}
	if len(missing) > 0 {
		// A column of the first schema, dropped since: Migrate adds only
		// the columns added after it.
		return fmt.Errorf("sqlstore: migrate: the tables lack %s", strings.Join(missing, ", "))
	}
	// Where the search path put the tables just created: refused (and
	// rolled back) when that is the session's temporary schema.
	if err := s.checkPersistent(ctx, tx, tableColumns); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: migrate: commit: %w", err)
	}
	return nil
}

// lockError is the error of a migration step that failed: one that says
// so when it waited on a lock past the lock timeout.
func lockError(step, table string, timeout time.Duration, err error) error {
	if IsLockWait(err) {
		what := "a lock"
		if table != "" {
			what = "the lock on " + table
		}
		return &lockWaitError{msg: fmt.Sprintf("sqlstore: migrate: %s: gave up waiting for %s (lock timeout %s), which another session holds "+
			"(a long transaction, or LOCK TABLE); run again once it ends", step, what, timeout), err: err}
	}
	return fmt.Errorf("sqlstore: migrate: %s: %w", step, err)
}

// lockWaitError is an error that says the database waited on a lock.
type lockWaitError struct {
	msg string
	err error
}

func (e *lockWaitError) Error() string { return e.msg + ": " + e.err.Error() }

func (e *lockWaitError) Unwrap() error { return e.err }

// addColumn adds col to its SQLite table when the table lacks it, and
// then fills it. SQLite has no ADD COLUMN IF NOT EXISTS, so the columns
// are looked up first.
func (s *Store) addColumn(ctx context.Context, col addedColumn) error {
	has, err := s.sqliteHasColumn(ctx, col.table, col.name)
	if err != nil {
		return err
	}
	if !has {
		if _, err := s.db.ExecContext(ctx, "ALTER TABLE "+col.table+" ADD COLUMN "+col.name+" "+col.typ); err != nil {
			// Another process may have added it meanwhile.
			if has, err2 := s.sqliteHasColumn(ctx, col.table, col.name); err2 != nil || !has {
				return err
			}
		}
	}
	if col.backfill != "" {
		if _, err := s.db.ExecContext(ctx, col.backfill); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) sqliteHasColumn(ctx context.Context, table, column string) (bool, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT name FROM pragma_table_info('"+table+"')")
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return false, err
		}
		if strings.EqualFold(name, column) {
			return true, nil
		}
	}
	return false, rows.Err()
}
