package sqlstore

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/status"
)

// A stored goal is goals.Goal: the tables hold its fields in columns, and
// goalColumns and krColumns say which column holds which field, once, for
// the statements that write rows (upsert, refresh) and the one that reads
// them. A field added to goals.Goal is one entry here, plus its column in
// Schema and in addedColumns; storetest's round trip fails until it is.
// The keys (employee, GID, position, workspace) are not fields a write
// takes from the goal alone, and the statements name them themselves.

// column is a column of a table that holds a field of T (goals.Goal or
// goals.KeyResult), read through the scratch row R.
type column[T, R any] struct {
	name string
	// value is what a write stores for the field (nil for NULL).
	value func(v *T, d Dialect) any
	// dest is where a read scans the column; R's method (goalRow.goal,
	// krRow.keyResult) then makes the T.
	dest func(r *R) any
}

// goalRow is one asana_goals row being read: the goal, and what its
// columns that are not plain fields scan into.
type goalRow struct {
	g      goals.Goal
	status string
	tp     timePeriodRow
	metric metricRow
	synced storedTime
}

// goal returns the goal the row holds.
func (r *goalRow) goal() (goals.Goal, error) {
	g := r.g
	var err error
	if g.Status, err = status.Parse(r.status); err != nil {
		return goals.Goal{}, fmt.Errorf("sqlstore: goal %s: %w", g.GID, err)
	}
	g.TimePeriod = r.tp.timePeriod()
	g.Metric = r.metric.metric()
	g.SyncedAt = r.synced.Time
	return g, nil
}

// krRow is one asana_goal_key_results row being read.
type krRow struct {
	kr     goals.KeyResult
	status string
	metric metricRow
}

// keyResult returns the Key Result the row holds.
func (r *krRow) keyResult() (goals.KeyResult, error) {
	kr := r.kr
	var err error
	if kr.Status, err = status.Parse(r.status); err != nil {
		return goals.KeyResult{}, fmt.Errorf("sqlstore: key result %s: %w", kr.GID, err)
	}
	kr.Metric = r.metric.metric()
	return kr, nil
}

// goalColumn is a column of asana_goals.
type goalColumn = column[goals.Goal, goalRow]

// goalColumns are asana_goals' columns that hold a goal's fields, in
// tableColumns' order.
var goalColumns = slices.Concat([]goalColumn{
	{"name", func(g *goals.Goal, _ Dialect) any { return g.Name }, func(r *goalRow) any { return &r.g.Name }},
	{"description", func(g *goals.Goal, _ Dialect) any { return g.Description }, func(r *goalRow) any { return &r.g.Description }},
	{"start_on", func(g *goals.Goal, _ Dialect) any { return g.StartOn }, func(r *goalRow) any { return &r.g.StartOn }},
	{"due_on", func(g *goals.Goal, _ Dialect) any { return g.DueOn }, func(r *goalRow) any { return &r.g.DueOn }},
	{"status", func(g *goals.Goal, _ Dialect) any { return string(g.Status) }, func(r *goalRow) any { return &r.status }},
	{"raw_status", func(g *goals.Goal, _ Dialect) any { return g.RawStatus }, func(r *goalRow) any { return &r.g.RawStatus }},
	{"status_source", func(g *goals.Goal, _ Dialect) any { return string(g.StatusSource) }, func(r *goalRow) any { return &r.g.StatusSource }},
},
	timePeriodColumns,
	metricColumns(func(g *goals.Goal) *goals.Metric { return g.Metric }, func(r *goalRow) *metricRow { return &r.metric }),
	[]goalColumn{
		{"synced_at", func(g *goals.Goal, d Dialect) any { return timeArg(d, g.SyncedAt) }, func(r *goalRow) any { return &r.synced }},
	},
)

// timePeriodColumns are the time_period_* columns: all NULL for a goal
// without a time period.
var timePeriodColumns = []goalColumn{
	{"time_period_gid", periodField(func(tp *goals.TimePeriod) any { return tp.GID }), func(r *goalRow) any { return &r.tp.gid }},
	{"time_period_name", periodField(func(tp *goals.TimePeriod) any { return tp.DisplayName }), func(r *goalRow) any { return &r.tp.name }},
	{"time_period_code", periodField(func(tp *goals.TimePeriod) any { return tp.Period }), func(r *goalRow) any { return &r.tp.period }},
	{"time_period_start", periodField(func(tp *goals.TimePeriod) any { return tp.StartOn }), func(r *goalRow) any { return &r.tp.start }},
	{"time_period_end", periodField(func(tp *goals.TimePeriod) any { return tp.EndOn }), func(r *goalRow) any { return &r.tp.end }},
}

func periodField(f func(*goals.TimePeriod) any) func(*goals.Goal, Dialect) any {
	return func(g *goals.Goal, _ Dialect) any {
		if g.TimePeriod == nil {
			return nil
		}
		return f(g.TimePeriod)
	}
}

// metricColumns are the progress_* columns of a goal or Key Result, whose
// metric m returns: all NULL for one without a metric.
func metricColumns[T, R any](m func(*T) *goals.Metric, row func(*R) *metricRow) []column[T, R] {
	field := func(f func(*goals.Metric) any) func(*T, Dialect) any {
		return func(v *T, _ Dialect) any {
			if p := m(v); p != nil {
				return f(p)
			}
			return nil
		}
	}
	return []column[T, R]{
		{"progress_initial", field(func(p *goals.Metric) any { return p.Initial }), func(r *R) any { return &row(r).initial }},
		{"progress_current", field(func(p *goals.Metric) any { return p.Current }), func(r *R) any { return &row(r).current }},
		{"progress_target", field(func(p *goals.Metric) any { return p.Target }), func(r *R) any { return &row(r).target }},
		{"progress_unit", field(func(p *goals.Metric) any { return p.Unit }), func(r *R) any { return &row(r).unit }},
		{"progress_currency", field(func(p *goals.Metric) any { return p.CurrencyCode }), func(r *R) any { return &row(r).currency }},
	}
}

// krColumn is a column of asana_goal_key_results.
type krColumn = column[goals.KeyResult, krRow]

// krColumns are asana_goal_key_results' columns that hold a Key Result's
// fields, in tableColumns' order.
var krColumns = slices.Concat([]krColumn{
	{"name", func(kr *goals.KeyResult, _ Dialect) any { return kr.Name }, func(r *krRow) any { return &r.kr.Name }},
	{"status", func(kr *goals.KeyResult, _ Dialect) any { return string(kr.Status) }, func(r *krRow) any { return &r.status }},
	{"raw_status", func(kr *goals.KeyResult, _ Dialect) any { return kr.RawStatus }, func(r *krRow) any { return &r.kr.RawStatus }},
	{"status_source", func(kr *goals.KeyResult, _ Dialect) any { return string(kr.StatusSource) }, func(r *krRow) any { return &r.kr.StatusSource }},
	{"due_on", func(kr *goals.KeyResult, _ Dialect) any { return kr.DueOn }, func(r *krRow) any { return &r.kr.DueOn }},
}, metricColumns(func(kr *goals.KeyResult) *goals.Metric { return kr.Metric }, func(r *krRow) *metricRow { return &r.metric }))

// names returns the columns' names.
func names[T, R any](cols []column[T, R]) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

// values appends the columns' values for v to args.
func values[T, R any](args []any, cols []column[T, R], v *T, d Dialect) []any {
	for _, c := range cols {
		args = append(args, c.value(v, d))
	}
	return args
}

// dests appends where the columns scan into r to dst.
func dests[T, R any](dst []any, cols []column[T, R], r *R) []any {
	for _, c := range cols {
		dst = append(dst, c.dest(r))
	}
	return dst
}

// placeholders returns "$from, …, $to".
func placeholders(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		if i > from {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i))
	}
	return b.String()
}

// assignments returns "c = excluded.c, …" (src "excluded.") or
// "c = $from, …" (src "").
func assignments[T, R any](cols []column[T, R], src string, from int) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		if src != "" {
			parts[i] = c.name + " = " + src + c.name
		} else {
			parts[i] = c.name + " = $" + strconv.Itoa(from+i)
		}
	}
	return strings.Join(parts, ", ")
}

// The statements, built once from the column tables. A goal's values
// follow its keys: upsert's $1 employee, $2 GID, $3 position, $4
// workspace; refresh's $1 employee and $2 GID; a Key Result's $1
// employee, $2 goal GID, $3 GID and $4 position.
var (
	upsertGoalSQL = `INSERT INTO asana_goals (employee_id, gid, position, workspace_gid, ` + strings.Join(names(goalColumns), ", ") + `)
	VALUES (` + placeholders(1, 4+len(goalColumns)) + `)
	ON CONFLICT (employee_id, gid) DO UPDATE SET position = excluded.position, ` + assignments(goalColumns, "excluded.", 0) + `,
		workspace_gid = COALESCE(excluded.workspace_gid, asana_goals.workspace_gid)`
	refreshGoalSQL = `UPDATE asana_goals SET ` + assignments(goalColumns, "", 3) + `
	WHERE employee_id = $1 AND gid = $2`
	insertKeyResultSQL = `INSERT INTO asana_goal_key_results (employee_id, goal_gid, gid, position, ` + strings.Join(names(krColumns), ", ") + `)
	VALUES (` + placeholders(1, 4+len(krColumns)) + `)`
	readGoalsSQL = `SELECT gid, ` + strings.Join(names(goalColumns), ", ") + `
	FROM asana_goals WHERE employee_id = $1 ORDER BY position, gid`
	readKeyResultsSQL = `SELECT goal_gid, gid, ` + strings.Join(names(krColumns), ", ") + `
	FROM asana_goal_key_results WHERE employee_id = $1 ORDER BY goal_gid, position`
)

// timePeriodRow reads the time_period_* columns back.
type timePeriodRow struct {
	gid, name, period sql.NullString
	start, end        asana.Date
}

func (r timePeriodRow) timePeriod() *goals.TimePeriod {
	if !r.gid.Valid {
		return nil
	}
	return &goals.TimePeriod{GID: r.gid.String, DisplayName: r.name.String, Period: r.period.String, StartOn: r.start, EndOn: r.end}
}

// metricRow reads the progress_* columns back.
type metricRow struct {
	initial, current, target sql.NullFloat64
	unit, currency           sql.NullString
}

func (p metricRow) metric() *goals.Metric {
	if !p.initial.Valid || !p.current.Valid || !p.target.Valid {
		return nil
	}
	return &goals.Metric{Initial: p.initial.Float64, Current: p.current.Float64, Target: p.target.Float64,
		Unit: p.unit.String, CurrencyCode: p.currency.String}
}
