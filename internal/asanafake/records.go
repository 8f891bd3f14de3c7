package asanafake

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// Records are built as Asana serves them, every field included, then
// projected on what the request asks for. As in Asana, gid and
// resource_type are always present; without opt_fields a record has its
// compact fields; with opt_fields exactly the fields asked for. An object
// field asked for without sub-fields (opt_fields=owner) is {gid,
// resource_type}; dotted paths add sub-fields (owner.name). Unknown fields
// are ignored; a field without a value is null.

// object is a JSON object whose members keep their order, Asana's (a map
// would sort them). A member's value is anything encoding/json encodes; nil
// is null.
type object []member

type member struct {
	name  string
	value any
}

// MarshalJSON encodes the members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	err := encodeJSON(&b, o)
	return b.Bytes(), err
}

// encodeJSON appends v as JSON to b: objects and lists of them member by
// member, in order, any other value with encoding/json. Unlike json.Marshal
// it leaves <, > and & alone, as Asana does in html_notes.
func encodeJSON(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case object:
		b.WriteByte('{')
		for i, m := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeJSON(b, m.name); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := encodeJSON(b, m.value); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []object:
		b.WriteByte('[')
		for i, o := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeJSON(b, o); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		enc := json.NewEncoder(b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
		b.Truncate(b.Len() - 1) // Encode ends with a newline
	}
	return nil
}

// marshal returns v as JSON. Every value the server builds can be encoded.
func marshal(v any) []byte {
	var b bytes.Buffer
	if err := encodeJSON(&b, v); err != nil {
		panic("asanafake: " + err.Error())
	}
	return b.Bytes()
}

// fields is a selection of fields: each selected field's name maps to the
// selection of its sub-fields.
type fields map[string]fields

// selection parses field paths (owner.name) into a selection.
func selection(paths ...string) fields {
	sel := fields{}
	for _, p := range paths {
		cur := sel
		for name := range strings.SplitSeq(p, ".") {
			next, ok := cur[name]
			if !ok {
				next = fields{}
				cur[name] = next
			}
			cur = next
		}
	}
	return sel
}

// optFields returns the selection of the request's opt_fields, or def when
// it has none (or only empty ones).
func optFields(q url.Values, def fields) fields {
	var paths []string
	for _, v := range q["opt_fields"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				paths = append(paths, f)
			}
		}
	}
	if len(paths) == 0 {
		return def
	}
	return selection(paths...)
}

// The compact field sets: what a record carries without opt_fields.
var (
	compactGoal = selection("name", "owner")
	// compactRel is GoalRelationshipCompact: the supporting goal as {gid,
	// resource_type, name}.
	compactRel  = selection("resource_subtype", "contribution_weight", "supporting_resource.name")
	compactUser = selection("name")
	// compactWorkspace is WorkspaceCompact: what GET /workspaces answers
	// by default.
	compactWorkspace = selection("name")
	// fullUser is what GET /users/me and GET /users/{gid} answer by default.
	fullUser = selection("name", "email", "workspaces.name")
)

// project returns the members of o that sel selects, gid and resource_type
// always, object values projected on their sub-selection.
func (o object) project(sel fields) object {
	out := make(object, 0, len(o))
	for _, m := range o {
		sub, ok := sel[m.name]
		if !ok && m.name != "gid" && m.name != "resource_type" {
			continue
		}
		switch v := m.value.(type) {
		case object:
			m.value = v.project(sub)
		case []object:
			list := make([]object, len(v))
			for i, e := range v {
				list[i] = e.project(sub)
			}
			m.value = list
		}
		out = append(out, m)
	}
	return out
}

// orNull is s, or null when s is "".
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// number is f, or null for what JSON cannot carry (NaN, infinities).
func number(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return f
}

// snapshot is what a Server serves: its own indexed copy of a workspace,
// never changed.
type snapshot struct {
	ws  *Workspace
	idx *wsIndex
	// listed holds the indexes of the goals GET /goals lists, in order.
	listed []int
}

func newSnapshot(ws *Workspace) *snapshot {
	c := ws.Clone()
	sn := &snapshot{ws: c, idx: c.index(), listed: make([]int, 0, len(c.Goals))}
	for i := range c.Goals {
		if !c.Goals[i].Unlisted {
			sn.listed = append(sn.listed, i)
		}
	}
	return sn
}

func (sn *snapshot) goal(gid string) (*Goal, bool) {
	i, ok := sn.idx.goal[gid]
	if !ok {
		return nil, false
	}
	return &sn.ws.Goals[i], true
}

func (sn *snapshot) user(gid string) (*User, bool) {
	i, ok := sn.idx.user[gid]
	if !ok {
		return nil, false
	}
	return &sn.ws.Users[i], true
}

// subgoals returns the sub-goals of g, in order.
func (sn *snapshot) subgoals(g *Goal) []*Goal {
	out := make([]*Goal, len(g.SubgoalGIDs))
	for i, gid := range g.SubgoalGIDs {
		out[i], _ = sn.goal(gid) // Validate saw them all
	}
	return out
}

func (sn *snapshot) workspaceRecord() object {
	return workspaceRecord(sn.ws.GID, sn.ws.Name)
}

// workspaceRecord is a workspace as Asana serves one (WorkspaceCompact; the
// model has none of WorkspaceResponse's other fields).
func workspaceRecord(gid, name string) object {
	return object{{"gid", gid}, {"resource_type", "workspace"}, {"name", name}}
}

// workspaceRecords are the workspaces the token's user sees, as GET
// /workspaces lists them: the served one, then the others.
func (sn *snapshot) workspaceRecords() []object {
	out := make([]object, 0, 1+len(sn.ws.Others))
	out = append(out, sn.workspaceRecord())
	for _, o := range sn.ws.Others {
		out = append(out, workspaceRecord(o.GID, o.Name))
	}
	return out
}

// userRecord is a user as a goal's owner (UserCompact).
func userRecord(u *User) object {
	return object{{"gid", u.GID}, {"resource_type", "user"}, {"name", u.Name}, {"email", u.Email}}
}

// fullUserRecord is a user as the user routes serve one. The token's own
// user (me) is in every workspace GET /workspaces lists; other users are
// known in the served one only.
func (sn *snapshot) fullUserRecord(u *User, me bool) object {
	ws := []object{sn.workspaceRecord()}
	if me {
		ws = sn.workspaceRecords()
	}
	return append(userRecord(u), member{"workspaces", ws})
}

func (sn *snapshot) goalRecord(g *Goal) object {
	var owner any // null
	if u, ok := sn.user(g.OwnerGID); ok {
		owner = userRecord(u)
	}
	return object{
		{"gid", g.GID},
		{"resource_type", "goal"},
		{"name", g.Name},
		{"html_notes", g.HTMLNotes},
		{"notes", g.Notes},
		{"due_on", orNull(g.DueOn)},
		{"start_on", orNull(g.StartOn)},
		{"status", orNull(g.ServedStatus())},
		{"owner", owner},
		{"current_status_update", statusUpdateRecord(g)},
		{"metric", metricRecord(g)},
		{"workspace", sn.workspaceRecord()},
		{"time_period", timePeriodRecord(g.TimePeriod)},
	}
}

// statusUpdateRecord is the goal's current status update, or null.
func statusUpdateRecord(g *Goal) any {
	if g.StatusType == "" {
		return nil
	}
	title := g.StatusTitle
	if title == "" {
		title = statusTitle(g.StatusType)
	}
	return object{
		{"gid", derivedGID("status_update", g.GID)},
		{"resource_type", "status_update"},
		{"title", title},
		{"resource_subtype", "goal_status_update"},
		{"status_type", g.StatusType},
	}
}

// metricRecord is the goal's metric, or null.
func metricRecord(g *Goal) any {
	m := g.Metric
	if m == nil {
		return nil
	}
	unit := m.Unit
	if unit == "" {
		unit = "none"
	}
	progress := m.ProgressSource
	if progress == "" {
		progress = "manual"
	}
	var currency any // null
	if unit == "currency" {
		currency = orNull(m.CurrencyCode)
	}
	return object{
		{"gid", derivedGID("goal_metric", g.GID)},
		{"resource_type", "custom_field"},
		{"resource_subtype", "number"},
		{"unit", unit},
		{"currency_code", currency},
		{"precision", m.Precision},
		{"initial_number_value", number(m.InitialNumberValue)},
		{"target_number_value", number(m.TargetNumberValue)},
		{"current_number_value", number(m.CurrentNumberValue)},
		{"current_display_value", metricDisplay(m)},
		{"progress_source", progress},
	}
}

// timePeriodRecord is the goal's time period, or null.
func timePeriodRecord(tp *TimePeriod) any {
	if tp == nil {
		return nil
	}
	return object{
		{"gid", tp.GID},
		{"resource_type", "time_period"},
		{"display_name", tp.DisplayName},
		{"period", orNull(tp.Period)},
		{"start_on", orNull(tp.StartOn)},
		{"end_on", orNull(tp.EndOn)},
	}
}

// relationshipRecord is the goal relationship that makes sub a sub-goal of
// parent.
func (sn *snapshot) relationshipRecord(parent, sub *Goal) object {
	return object{
		{"gid", derivedGID("goal_relationship", parent.GID+"/"+sub.GID)},
		{"resource_type", "goal_relationship"},
		{"resource_subtype", "subgoal"},
		{"supporting_resource", sn.goalRecord(sub)},
		{"supported_goal", sn.goalRecord(parent)},
		{"contribution_weight", 1},
	}
}

// derivedGID makes a stable, numeric, 16-digit gid for objects the model
// does not name (status updates, metrics, goal relationships).
func derivedGID(kind, key string) string {
	h := fnv.New64a()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return strconv.FormatUint(1_000_000_000_000_000+h.Sum64()%9_000_000_000_000_000, 10)
}

// goalStatusColor is the goal's "status" field for a status_type.
func goalStatusColor(statusType string) string {
	switch statusType {
	case "":
		return ""
	case "on_track":
		return "green"
	case "at_risk":
		return "yellow"
	case "off_track":
		return "red"
	default:
		return statusType
	}
}

// statusTitle is the default title of a status update.
func statusTitle(statusType string) string {
	switch statusType {
	case "on_track":
		return "On track"
	case "at_risk":
		return "At risk"
	case "off_track":
		return "Off track"
	case "achieved":
		return "Achieved"
	case "partial":
		return "Partially achieved"
	case "missed":
		return "Missed"
	case "dropped":
		return "Dropped"
	default:
		return "Status update"
	}
}

func metricDisplay(m *Metric) string {
	p := m.Precision
	if p < 0 || p > 6 {
		p = 0
	}
	switch m.Unit {
	case "percentage":
		return strconv.FormatFloat(m.CurrentNumberValue*100, 'f', p, 64) + "%"
	case "currency":
		v := strconv.FormatFloat(m.CurrentNumberValue, 'f', p, 64)
		if m.CurrencyCode != "" {
			return m.CurrencyCode + " " + v
		}
		return v
	default:
		return strconv.FormatFloat(m.CurrentNumberValue, 'f', p, 64)
	}
}
