// Package sqlstore is a goals.Store on a SQL database through database/sql:
// PostgreSQL (with github.com/jackc/pgx/v5/stdlib) or SQLite (with
// modernc.org/sqlite). It keeps the store contract of goals.Store: each
// WriteGoals is one transaction, so an employee's goals change all at once
// or not at all.
//
// Two tables hold the spec's Goal and GoalKeyResult rows:
//
//	asana_goals              (employee_id, gid) primary key
//	asana_goal_key_results   (employee_id, goal_gid, gid) primary key,
//	                         removed with their goal
//
// A goal row keeps the workspace it was written from (workspace_gid, from
// goals.Write.WorkspaceGID). As goals.Store requires, a write of another
// workspace for an employee whose stored goals are one workspace's is
// refused (goals.ErrOtherWorkspace), so that two workspaces synced into
// one database under the same employee IDs never remove each other's
// goals; employees of different IDs may hold different workspaces' goals
// (one database for many tenants). [Store.OtherWorkspaces] tells before a
// sync whose writes would be refused. Rows stored before the column
// existed have none, and take the workspace of the employee's next write.
//
// Three more hold what the admin pages keep (see [Store.Connection],
// [Store.PutEmployees] and [Store.Reports]): a *Store is also an
// admin.Settings, an admin.Directory and an admin.History.
//
//	asana_connection         the one Asana connection, token sealed
//	                         (AES-256-GCM, see WithSealKey)
//	asana_employees          the host's employees and their Asana user GIDs
//	asana_sync_reports       the syncs' reports, as JSON
//
// Use [Store.Migrate] to create them (idempotent), or create them with the
// statements of [Store.Schema] in your own migrations.
//
// On SQLite, times (a goal's synced_at, the admin tables' checked_at,
// saved_at and created_at) are ISO 8601 text, RFC 3339 in UTC to the
// microsecond ("2026-11-26T14:30:15.123456Z"), which SQLite's date
// functions read; Migrate rewrites those an earlier version stored as Go's
// time.Time.String() text.
//
// For SQLite, open the database with a busy timeout, so that concurrent
// writers wait instead of failing (each write takes SQLite's write lock
// before it reads; immediate transactions do the same for every
// transaction):
//
//	sql.Open("sqlite", "file:goals.db?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate")
package sqlstore

import (
	"context"
	"crypto/cipher"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/status"
)

// Dialect is the SQL flavour of the database.
type Dialect int

// The supported dialects.
const (
	Postgres Dialect = iota + 1
	SQLite
)

// String returns "postgres" or "sqlite".
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case SQLite:
		return "sqlite"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// Store is a goals.Store on a *sql.DB. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect Dialect
	// lockTimeout is how long a migration waits for a lock; 0 means
	// DefaultLockTimeout.
	lockTimeout time.Duration
	// seal seals the Asana token at rest; nil without WithSealKey.
	seal cipher.AEAD
}

// New returns a Store on db, which speaks dialect, configured by opts
// (WithSealKey); an option that is invalid is an error. The tables must
// exist: call Migrate once.
func New(db *sql.DB, dialect Dialect, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil *sql.DB")
	}
	if dialect != Postgres && dialect != SQLite {
		return nil, fmt.Errorf("sqlstore: unknown dialect %v", dialect)
	}
	s := &Store{db: db, dialect: dialect}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Schema returns the statements that create the store's tables, for a
// host's own migrations. Tables created by an earlier version lack the
// columns added since (status_source, time_period_*, workspace_gid), and
// a database made by a version before the admin seams lacks their
// tables: run Migrate, which adds them, or add them in your own
// migration.
func (s *Store) Schema() []string {
	real, ts := "DOUBLE PRECISION", "TIMESTAMPTZ"
	if s.dialect == SQLite {
		real, ts = "REAL", "TIMESTAMP"
	}
	return append([]string{
		`CREATE TABLE IF NOT EXISTS asana_goals (
	employee_id       TEXT NOT NULL,
	gid               TEXT NOT NULL,
	position          INTEGER NOT NULL,
	name              TEXT NOT NULL,
	description       TEXT NOT NULL,
	start_on          TEXT,
	due_on            TEXT,
	status            TEXT NOT NULL CHECK (status IN ('completed', 'at_risk', 'off_track', 'on_track')),
	raw_status        TEXT NOT NULL,
	status_source     TEXT NOT NULL DEFAULT '',
	time_period_gid   TEXT,
	time_period_name  TEXT,
	time_period_code  TEXT,
	time_period_start TEXT,
	time_period_end   TEXT,
	progress_initial  ` + real + `,
	progress_current  ` + real + `,
	progress_target   ` + real + `,
	progress_unit     TEXT,
	progress_currency TEXT,
	synced_at         ` + ts + ` NOT NULL,
	workspace_gid     TEXT,
	PRIMARY KEY (employee_id, gid)
)`,
		`CREATE TABLE IF NOT EXISTS asana_goal_key_results (
	employee_id       TEXT NOT NULL,
	goal_gid          TEXT NOT NULL,
	gid               TEXT NOT NULL,
	position          INTEGER NOT NULL,
	name              TEXT NOT NULL,
	status            TEXT NOT NULL CHECK (status IN ('completed', 'at_risk', 'off_track', 'on_track')),
	raw_status        TEXT NOT NULL,
	status_source     TEXT NOT NULL DEFAULT '',
	due_on            TEXT,
	progress_initial  ` + real + `,
	progress_current  ` + real + `,
	progress_target   ` + real + `,
	progress_unit     TEXT,
	progress_currency TEXT,
	PRIMARY KEY (employee_id, goal_gid, gid),
	FOREIGN KEY (employee_id, goal_gid) REFERENCES asana_goals (employee_id, gid) ON DELETE CASCADE
)`,
	}, s.adminSchema(ts)...)
}

// tableColumns are the columns of the store's tables, as Schema creates
// them, in the order of Schema's statements: the goals' tables, then
// (from goalTables on) the admin seams'.
var tableColumns = []tableSpec{
	{"asana_goals", slices.Concat([]string{"employee_id", "gid", "position"}, names(goalColumns), []string{"workspace_gid"})},
	{"asana_goal_key_results", slices.Concat([]string{"employee_id", "goal_gid", "gid", "position"}, names(krColumns))},
	{"asana_connection", []string{"id", "workspace_gid", "requests_per_minute", "token_sealed", "token_user_gid",
		"token_user_name", "checked_at", "saved_at"}},
	{"asana_employees", []string{"id", "position", "name", "email", "asana_user_gid"}},
	{"asana_sync_reports", []string{"id", "workspace_gid", "report", "created_at"}},
}

// tableSpec is a table and its columns.
type tableSpec struct {
	table   string
	columns []string
}

// goalTables is how many of tableColumns hold goals: those CheckWritable
// needs.
const goalTables = 2

// sqliteTimeLayout is how a SQLite store keeps a time: ISO 8601 text
// (RFC 3339) in UTC with six fractional digits, which SQLite's date
// functions (datetime, julianday, …) read, and which sorts as the times
// do. The driver would write Go's time.Time.String() form, which they
// cannot read.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

// timeArg is t as the store keeps it: in UTC, to the microsecond; on
// SQLite as text in sqliteTimeLayout.
func timeArg(d Dialect, t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d == SQLite {
		return t.Format(sqliteTimeLayout)
	}
	return t
}

// storedTime scans a timestamp column: a time.Time (PostgreSQL's, or one
// the SQLite driver parsed), or SQLite text in the form this version
// writes or in the forms earlier ones did (Go's time.Time.String(), the
// driver's other formats). Valid is false for NULL.
type storedTime struct {
	Time  time.Time
	Valid bool
}

func (st *storedTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*st = storedTime{}
		return nil
	case time.Time:
		*st = storedTime{Time: v.UTC(), Valid: true}
		return nil
	case string:
		return st.parse(v)
	case []byte:
		return st.parse(string(v))
	}
	return fmt.Errorf("sqlstore: a timestamp column holds a %T, not a time", src)
}

func (st *storedTime) parse(text string) error {
	t, ok := parseStoredTime(text)
	if !ok {
		return fmt.Errorf("sqlstore: a timestamp column holds %q, not a time", text)
	}
	*st = storedTime{Time: t, Valid: true}
	return nil
}

// storedTimeLayouts are the text forms of a time a SQLite store may hold:
// sqliteTimeLayout (RFC 3339), then time.Time.String()'s (written by
// versions before it, through the driver), then the driver's other
// formats.
var storedTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

// parseStoredTime reads a time stored as text, in UTC.
func parseStoredTime(text string) (time.Time, bool) {
	text = strings.TrimSpace(text)
	if i := strings.Index(text, " m="); i > 0 { // a monotonic clock reading
		text = text[:i]
	}
	for _, layout := range storedTimeLayouts {
		if t, err := time.Parse(layout, text); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// IsLockWait reports whether err is the database giving up on a lock
// another session holds: PostgreSQL's lock_timeout (SQLSTATE 55P03), or
// SQLite's busy or locked database once its busy timeout ran out.
func IsLockWait(err error) bool {
	var lw *lockWaitError
	if errors.As(err, &lw) {
		return true
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) && pg.SQLState() == "55P03" {
		return true
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return false
}

// WriteGoals applies one employee's sync result in one transaction, under
// the goals.Store contract.
func (s *Store) WriteGoals(ctx context.Context, w goals.Write) error {
	if err := w.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	defer tx.Rollback() // a no-op once committed
	if _, err := s.boundLockWait(ctx, tx, 0); err != nil {
		return fmt.Errorf("sqlstore: set lock_timeout: %w", err)
	}
	if err := s.lockEmployee(ctx, tx, w.EmployeeID); err != nil {
		return err
	}
	stored, storedPos, workspace, unclaimed, err := storedOrder(ctx, tx, w.EmployeeID)
	if err != nil {
		return err
	}
	if w.WorkspaceGID != "" && workspace != "" && workspace != w.WorkspaceGID {
		return &goals.OtherWorkspaceError{EmployeeID: w.EmployeeID, Stored: workspace, Write: w.WorkspaceGID}
	}
	if w.WorkspaceGID != "" && unclaimed {
		// Goals stored before workspaces were kept take this one.
		if _, err := tx.ExecContext(ctx, `UPDATE asana_goals SET workspace_gid = $2 WHERE employee_id = $1 AND workspace_gid IS NULL`,
			w.EmployeeID, w.WorkspaceGID); err != nil {
			return fmt.Errorf("sqlstore: record the workspace of %s's goals: %w", w.EmployeeID, err)
		}
	}
	refreshed, err := s.refreshedGoals(ctx, tx, w)
	if err != nil {
		return err
	}
	after, removed := w.Order(stored)
	for _, gid := range removed {
		if _, err := tx.ExecContext(ctx, `DELETE FROM asana_goals WHERE employee_id = $1 AND gid = $2`, w.EmployeeID, gid); err != nil {
			return fmt.Errorf("sqlstore: remove goal %s: %w", gid, err)
		}
	}
	position := make(map[string]int, len(after))
	for i, gid := range after {
		position[gid] = i
	}
	written := make(map[string]bool, len(w.Goals))
	for _, g := range w.Goals {
		written[g.GID] = true
	}
	for i, gid := range stored {
		if pos, kept := position[gid]; kept && !written[gid] && pos != storedPos[i] {
			if _, err := tx.ExecContext(ctx, `UPDATE asana_goals SET position = $3 WHERE employee_id = $1 AND gid = $2`,
				w.EmployeeID, gid, pos); err != nil {
				return fmt.Errorf("sqlstore: reorder goal %s: %w", gid, err)
			}
		}
	}
	if len(w.Goals) > 0 || len(refreshed) > 0 {
		st, err := prepareWrites(ctx, tx, s.dialect)
		if err != nil {
			return err
		}
		defer st.close()
		for _, g := range refreshed {
			if err := st.refreshGoal(ctx, g); err != nil {
				return err
			}
		}
		for _, g := range w.Goals {
			if s.dialect == Postgres {
				g = withoutNUL(g)
			}
			if err := st.upsertGoal(ctx, g, position[g.GID], w.WorkspaceGID); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	return nil
}

// refreshedGoals returns the stored goals of w.Refresh whose own fields
// the write changes, as they are to be stored (see goals.Goal.Refreshed):
// a goal not stored, or whose fields are the same, is not among them, so
// its row is not touched.
func (s *Store) refreshedGoals(ctx context.Context, tx *sql.Tx, w goals.Write) ([]goals.Goal, error) {
	if len(w.Refresh) == 0 {
		return nil, nil
	}
	stored, byGID, err := readGoals(ctx, tx, w.EmployeeID)
	if err != nil {
		return nil, err
	}
	var out []goals.Goal
	for _, fresh := range w.Refresh {
		i, ok := byGID[fresh.GID]
		if !ok {
			continue
		}
		if s.dialect == Postgres {
			fresh = withoutNUL(fresh)
		}
		fresh.SyncedAt = fresh.SyncedAt.UTC().Truncate(time.Microsecond) // what the row keeps
		if g, changed := stored[i].Refreshed(fresh); changed {
			out = append(out, g)
		}
	}
	return out, nil
}

// boundLockWait makes a PostgreSQL transaction give up on a lock that
// another session holds (SQLSTATE 55P03, IsLockWait) after limit (0 for
// none), and a little before ctx's deadline: the error then says that the
// database waited on a lock, where the deadline would only say that time
// ran out.
//
// It returns the lock timeout it set, 0 for none.
func (s *Store) boundLockWait(ctx context.Context, tx *sql.Tx, limit time.Duration) (time.Duration, error) {
	if s.dialect != Postgres {
		return 0, nil
	}
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		if d := left - min(left/10, 500*time.Millisecond); limit <= 0 || d < limit {
			limit = d
		}
	}
	if limit <= 0 {
		return 0, nil
	}
	limit = max(limit.Truncate(time.Millisecond), time.Millisecond)
	_, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", limit.Milliseconds()))
	return limit, err
}

// probeEmployee is the employee of CheckWritable's write, rolled back.
const probeEmployee = "asanagoals:write-probe"

// CheckWritable proves that the store can take a write: in a transaction
// it rolls back, it writes a goal and a Key Result with a value in every
// column the store writes, through the statements WriteGoals uses. A
// database that opens and reads but cannot be written fails here, before
// a sync fetches anything: a read-only file, a SQLite file in a directory
// where its journal cannot be created, a column the host dropped or added
// NOT NULL, a trigger that refuses the rows, tables that are temporary
// (see Migrate). Nothing is left behind. It checks the goals' tables
// only, not the admin seams' (a host that does not use them need not
// create them).
func (s *Store) CheckWritable(ctx context.Context) error {
	if missing, err := s.missingColumnsOf(ctx, s.db, tableColumns[:goalTables]); err != nil {
		return fmt.Errorf("sqlstore: read the tables' columns: %w", err)
	} else if len(missing) > 0 {
		return fmt.Errorf("sqlstore: the tables lack %s (run Migrate)", strings.Join(missing, ", "))
	}
	if err := s.checkPersistent(ctx, s.db, tableColumns[:goalTables]); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	defer tx.Rollback() // the probe's rows go
	if _, err := s.boundLockWait(ctx, tx, 0); err != nil {
		return fmt.Errorf("sqlstore: set lock_timeout: %w", err)
	}
	st, err := prepareWrites(ctx, tx, s.dialect)
	if err != nil {
		return fmt.Errorf("sqlstore: a test write (rolled back) failed: %w", err)
	}
	defer st.close()
	day := asana.Date{Year: 2000, Month: time.January, Day: 1}
	metric := &goals.Metric{Initial: 0, Current: 1, Target: 2, Unit: "currency", CurrencyCode: "EUR"}
	g := goals.Goal{
		EmployeeID: probeEmployee, GID: "0", Name: "probe", Description: "probe", StartOn: day, DueOn: day,
		Status: status.OnTrack, RawStatus: "on_track", StatusSource: goals.StatusFromUpdate,
		TimePeriod: &goals.TimePeriod{GID: "0", DisplayName: "probe", Period: "FY", StartOn: day, EndOn: day},
		Metric:     metric, SyncedAt: time.Now(),
		KeyResults: []goals.KeyResult{{GoalGID: "0", GID: "1", Name: "probe", Status: status.OnTrack, RawStatus: "on_track",
			StatusSource: goals.StatusFromUpdate, DueOn: day, Metric: metric}},
	}
	if err := st.upsertGoal(ctx, g, 0, "0"); err != nil {
		return fmt.Errorf("sqlstore: a test write (rolled back) failed: %w", err)
	}
	if err := st.refreshGoal(ctx, g); err != nil {
		return fmt.Errorf("sqlstore: a test write (rolled back) failed: %w", err)
	}
	// Rolled back, but only once the write went through whole.
	return tx.Rollback()
}

// lockEmployee serialises writes of one employee before the transaction
// reads anything. On PostgreSQL it takes an advisory lock for the
// employee: without it two complete writes read the same stored goals, and
// the result mixes them or ends in a deadlock. SQLite serialises write
// transactions, but a deferred one only takes the write lock at its first
// write, and a transaction that read first cannot wait for it (SQLITE_BUSY
// at once, whatever the busy timeout); a write that changes nothing takes
// it up front, so a database opened without immediate transactions waits
// too.
func (s *Store) lockEmployee(ctx context.Context, tx *sql.Tx, employeeID string) error {
	if s.dialect == SQLite {
		if _, err := tx.ExecContext(ctx, `DELETE FROM asana_goals WHERE 0 = 1`); err != nil {
			return fmt.Errorf("sqlstore: take the write lock: %w", err)
		}
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "asanagoals:"+employeeID); err != nil {
		return fmt.Errorf("sqlstore: lock employee: %w", err)
	}
	return nil
}

// storedOrder returns the employee's stored goal GIDs in stored order, with
// their positions, the workspace they are of ("" when none is recorded),
// and whether some have none recorded.
func storedOrder(ctx context.Context, tx *sql.Tx, employeeID string) (gids []string, positions []int, workspace string, unclaimed bool, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT gid, position, workspace_gid FROM asana_goals WHERE employee_id = $1 ORDER BY position, gid`, employeeID)
	if err != nil {
		return nil, nil, "", false, fmt.Errorf("sqlstore: read stored goals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var gid string
		var pos int
		var ws sql.NullString
		if err := rows.Scan(&gid, &pos, &ws); err != nil {
			return nil, nil, "", false, fmt.Errorf("sqlstore: read stored goals: %w", err)
		}
		gids = append(gids, gid)
		positions = append(positions, pos)
		switch {
		case !ws.Valid:
			unclaimed = true
		case workspace == "":
			workspace = ws.String
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, "", false, fmt.Errorf("sqlstore: read stored goals: %w", err)
	}
	return gids, positions, workspace, unclaimed, nil
}

// writeStmts are the statements a write runs once per goal or Key Result,
// prepared once per transaction.
type writeStmts struct {
	upsert, refresh, clearKRs, insertKR *sql.Stmt
	dialect                             Dialect
}

func prepareWrites(ctx context.Context, tx *sql.Tx, dialect Dialect) (*writeStmts, error) {
	st := writeStmts{dialect: dialect}
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&st.upsert, upsertGoalSQL},
		{&st.refresh, refreshGoalSQL},
		{&st.clearKRs, `DELETE FROM asana_goal_key_results WHERE employee_id = $1 AND goal_gid = $2`},
		{&st.insertKR, insertKeyResultSQL},
	} {
		var err error
		if *p.stmt, err = tx.PrepareContext(ctx, p.query); err != nil {
			st.close()
			return nil, fmt.Errorf("sqlstore: prepare: %w", err)
		}
	}
	return &st, nil
}

func (st *writeStmts) close() {
	for _, s := range []*sql.Stmt{st.upsert, st.refresh, st.clearKRs, st.insertKR} {
		if s != nil {
			s.Close()
		}
	}
}

// upsertGoal writes a goal row of workspace ("" for none: the row keeps
// the one it has) and replaces its Key Results.
func (st *writeStmts) upsertGoal(ctx context.Context, g goals.Goal, position int, workspace string) error {
	args := values([]any{g.EmployeeID, g.GID, position, nullString(workspace)}, goalColumns, &g, st.dialect)
	if _, err := st.upsert.ExecContext(ctx, args...); err != nil {
		return fmt.Errorf("sqlstore: write goal %s: %w", g.GID, err)
	}
	if _, err := st.clearKRs.ExecContext(ctx, g.EmployeeID, g.GID); err != nil {
		return fmt.Errorf("sqlstore: replace key results of goal %s: %w", g.GID, err)
	}
	for i, kr := range g.KeyResults {
		args := values([]any{g.EmployeeID, g.GID, kr.GID, i}, krColumns, &kr, st.dialect)
		if _, err := st.insertKR.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("sqlstore: write key result %s of goal %s: %w", kr.GID, g.GID, err)
		}
	}
	return nil
}

// refreshGoal rewrites a stored goal's own fields and synced_at (see
// goals.Goal.Refreshed); its position and Key Results stay.
func (st *writeStmts) refreshGoal(ctx context.Context, g goals.Goal) error {
	args := values([]any{g.EmployeeID, g.GID}, goalColumns, &g, st.dialect)
	if _, err := st.refresh.ExecContext(ctx, args...); err != nil {
		return fmt.Errorf("sqlstore: refresh goal %s: %w", g.GID, err)
	}
	return nil
}

// nullString is s, or NULL when it is empty.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// withoutNUL returns g with NUL characters in its text replaced by U+FFFD:
// PostgreSQL's text type cannot hold them, and refusing the whole employee
// for one odd character in a name would be worse. Every text field is
// cleaned but the keys (employee ID, GIDs: a changed key would name
// another row) and the statuses (Write.Validate allows four words only);
// TestNULCharacters_everyTextField checks each field.
func withoutNUL(g goals.Goal) goals.Goal {
	g.Name, g.Description, g.RawStatus = noNUL(g.Name), noNUL(g.Description), noNUL(g.RawStatus)
	g.StatusSource = goals.StatusSource(noNUL(string(g.StatusSource)))
	if tp := g.TimePeriod; tp != nil {
		g.TimePeriod = &goals.TimePeriod{GID: noNUL(tp.GID), DisplayName: noNUL(tp.DisplayName), Period: noNUL(tp.Period),
			StartOn: tp.StartOn, EndOn: tp.EndOn}
	}
	g.Metric = metricWithoutNUL(g.Metric)
	krs := make([]goals.KeyResult, len(g.KeyResults))
	for i, kr := range g.KeyResults {
		kr.Name, kr.RawStatus = noNUL(kr.Name), noNUL(kr.RawStatus)
		kr.StatusSource = goals.StatusSource(noNUL(string(kr.StatusSource)))
		kr.Metric = metricWithoutNUL(kr.Metric)
		krs[i] = kr
	}
	g.KeyResults = krs
	return g
}

// metricWithoutNUL is m, or a copy of it with its unit and currency code
// without NUL.
func metricWithoutNUL(m *goals.Metric) *goals.Metric {
	if m == nil || strings.IndexByte(m.Unit, 0) < 0 && strings.IndexByte(m.CurrencyCode, 0) < 0 {
		return m
	}
	c := *m
	c.Unit, c.CurrencyCode = noNUL(c.Unit), noNUL(c.CurrencyCode)
	return &c
}

func noNUL(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// Goals returns an employee's stored goals with their Key Results, in
// stored order (Asana's order as of the last complete write). It reads both
// tables in one read-only transaction (REPEATABLE READ on PostgreSQL), so
// a write running at the same time is seen whole or not at all, never as
// new goals with old Key Results.
func (s *Store) Goals(ctx context.Context, employeeID string) ([]goals.Goal, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read goals of %s: begin: %w", employeeID, err)
	}
	defer tx.Rollback() // read only: nothing to commit
	if _, err := s.boundLockWait(ctx, tx, 0); err != nil {
		return nil, fmt.Errorf("sqlstore: read goals of %s: set lock_timeout: %w", employeeID, err)
	}
	out, byGID, err := readGoals(ctx, tx, employeeID)
	if err != nil {
		return nil, err
	}
	if err := readKeyResults(ctx, tx, employeeID, out, byGID); err != nil {
		return nil, err
	}
	return out, nil
}

func readGoals(ctx context.Context, tx *sql.Tx, employeeID string) (out []goals.Goal, byGID map[string]int, err error) {
	rows, err := tx.QueryContext(ctx, readGoalsSQL, employeeID)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: read goals of %s: %w", employeeID, err)
	}
	defer rows.Close()
	out = []goals.Goal{}
	byGID = map[string]int{}
	var r goalRow
	for rows.Next() {
		r = goalRow{g: goals.Goal{EmployeeID: employeeID, KeyResults: []goals.KeyResult{}}}
		if err := rows.Scan(dests([]any{&r.g.GID}, goalColumns, &r)...); err != nil {
			return nil, nil, fmt.Errorf("sqlstore: read goals of %s: %w", employeeID, err)
		}
		g, err := r.goal()
		if err != nil {
			return nil, nil, err
		}
		byGID[g.GID] = len(out)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("sqlstore: read goals of %s: %w", employeeID, err)
	}
	return out, byGID, nil
}

func readKeyResults(ctx context.Context, tx *sql.Tx, employeeID string, out []goals.Goal, byGID map[string]int) error {
	rows, err := tx.QueryContext(ctx, readKeyResultsSQL, employeeID)
	if err != nil {
		return fmt.Errorf("sqlstore: read key results of %s: %w", employeeID, err)
	}
	defer rows.Close()
	var r krRow
	for rows.Next() {
		r = krRow{}
		if err := rows.Scan(dests([]any{&r.kr.GoalGID, &r.kr.GID}, krColumns, &r)...); err != nil {
			return fmt.Errorf("sqlstore: read key results of %s: %w", employeeID, err)
		}
		kr, err := r.keyResult()
		if err != nil {
			return err
		}
		if i, ok := byGID[kr.GoalGID]; ok {
			out[i].KeyResults = append(out[i].KeyResults, kr)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: read key results of %s: %w", employeeID, err)
	}
	return nil
}
