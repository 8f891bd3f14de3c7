package asanafake

import (
	"net/url"
	"strings"
)

// Projections: which fields a record carries. As in Asana, gid and
// resource_type are always present; without opt_fields a record has its
// compact fields; with opt_fields exactly the fields asked for. An object
// field asked for without sub-fields (opt_fields=owner) is {gid,
// resource_type}; dotted paths add sub-fields (owner.name). Unknown fields
// are ignored.

// Goal fields.
const (
	gfName uint32 = 1 << iota
	gfHTMLNotes
	gfNotes
	gfDueOn
	gfStartOn
	gfStatus
	gfOwner
	gfStatusUpdate
	gfMetric
	gfWorkspace
	gfTimePeriod
)

// User fields (for owners and user records).
const (
	ufName uint16 = 1 << iota
	ufEmail
	ufWorkspaces
)

// Status update fields.
const (
	sfTitle uint16 = 1 << iota
	sfResourceSubtype
	sfStatusType
)

// Metric fields.
const (
	mfResourceSubtype uint16 = 1 << iota
	mfUnit
	mfCurrencyCode
	mfPrecision
	mfInitial
	mfTarget
	mfCurrent
	mfDisplay
	mfProgressSource
)

// Workspace fields.
const wfName uint16 = 1

// Time period fields.
const (
	tfDisplayName uint16 = 1 << iota
	tfPeriod
	tfStartOn
	tfEndOn
)

// Goal relationship fields.
const (
	rfResourceSubtype uint32 = 1 << iota
	rfContributionWeight
	rfSupportingResource
	rfSupportedGoal
)

type goalProj struct {
	mask      uint32
	owner     uint16
	status    uint16
	metric    uint16
	workspace uint16
	period    uint16
}

type userProj struct {
	mask       uint16
	workspaces uint16
}

type relProj struct {
	mask       uint32
	supporting goalProj
	supported  goalProj
}

var (
	compactGoal = goalProj{mask: gfName | gfOwner}
	// compactRel is GoalRelationshipCompact: the supporting goal as
	// {gid, resource_type, name}.
	compactRel = relProj{
		mask:       rfResourceSubtype | rfContributionWeight | rfSupportingResource,
		supporting: goalProj{mask: gfName},
	}
	compactUser = userProj{mask: ufName}
	// fullUser is what GET /users/me and GET /users/{gid} return by default.
	fullUser = userProj{mask: ufName | ufEmail | ufWorkspaces, workspaces: wfName}
)

// optFields returns the requested fields, or nil and false when the request
// has no (or an empty) opt_fields.
func optFields(q url.Values) ([]string, bool) {
	vals := q["opt_fields"]
	if len(vals) == 0 {
		return nil, false
	}
	var out []string
	for _, v := range vals {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out, len(out) > 0
}

func head(path string) (first, rest string) {
	first, rest, _ = strings.Cut(path, ".")
	return first, rest
}

func userSubField(name string) uint16 {
	switch name {
	case "name":
		return ufName
	case "email":
		return ufEmail
	case "workspaces":
		return ufWorkspaces
	}
	return 0
}

func statusSubField(name string) uint16 {
	switch name {
	case "title":
		return sfTitle
	case "resource_subtype":
		return sfResourceSubtype
	case "status_type":
		return sfStatusType
	}
	return 0
}

func metricSubField(name string) uint16 {
	switch name {
	case "resource_subtype":
		return mfResourceSubtype
	case "unit":
		return mfUnit
	case "currency_code":
		return mfCurrencyCode
	case "precision":
		return mfPrecision
	case "initial_number_value":
		return mfInitial
	case "target_number_value":
		return mfTarget
	case "current_number_value":
		return mfCurrent
	case "current_display_value":
		return mfDisplay
	case "progress_source":
		return mfProgressSource
	}
	return 0
}

func timePeriodSubField(name string) uint16 {
	switch name {
	case "display_name":
		return tfDisplayName
	case "period":
		return tfPeriod
	case "start_on":
		return tfStartOn
	case "end_on":
		return tfEndOn
	}
	return 0
}

func workspaceSubField(name string) uint16 {
	if name == "name" {
		return wfName
	}
	return 0
}

// compileGoalProj builds the projection for goal records from field paths
// relative to the goal.
func compileGoalProj(fields []string) goalProj {
	var p goalProj
	for _, f := range fields {
		h, rest := head(f)
		sub, _ := head(rest)
		switch h {
		case "name":
			p.mask |= gfName
		case "html_notes":
			p.mask |= gfHTMLNotes
		case "notes":
			p.mask |= gfNotes
		case "due_on":
			p.mask |= gfDueOn
		case "start_on":
			p.mask |= gfStartOn
		case "status":
			p.mask |= gfStatus
		case "owner":
			p.mask |= gfOwner
			p.owner |= userSubField(sub) &^ ufWorkspaces
		case "current_status_update":
			p.mask |= gfStatusUpdate
			p.status |= statusSubField(sub)
		case "metric":
			p.mask |= gfMetric
			p.metric |= metricSubField(sub)
		case "workspace":
			p.mask |= gfWorkspace
			p.workspace |= workspaceSubField(sub)
		case "time_period":
			p.mask |= gfTimePeriod
			p.period |= timePeriodSubField(sub)
		}
	}
	return p
}

// compileRelProj builds the projection for goal relationship records.
func compileRelProj(fields []string) relProj {
	var p relProj
	var supporting, supported []string
	for _, f := range fields {
		h, rest := head(f)
		switch h {
		case "resource_subtype":
			p.mask |= rfResourceSubtype
		case "contribution_weight":
			p.mask |= rfContributionWeight
		case "supporting_resource":
			p.mask |= rfSupportingResource
			if rest != "" {
				supporting = append(supporting, rest)
			}
		case "supported_goal":
			p.mask |= rfSupportedGoal
			if rest != "" {
				supported = append(supported, rest)
			}
		}
	}
	p.supporting = compileGoalProj(supporting)
	p.supported = compileGoalProj(supported)
	return p
}

// compileUserProj builds the projection for user records.
func compileUserProj(fields []string) userProj {
	var p userProj
	for _, f := range fields {
		h, rest := head(f)
		p.mask |= userSubField(h)
		if h == "workspaces" {
			sub, _ := head(rest)
			p.workspaces |= workspaceSubField(sub)
		}
	}
	return p
}

func appendField(b []byte, name string, value []byte) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return append(b, value...)
}

// appendGoal renders one goal.
func (sn *snapshot) appendGoal(b []byte, g *cGoal, p *goalProj) []byte {
	b = append(b, `{"gid":`...)
	b = append(b, g.gidJSON...)
	b = append(b, `,"resource_type":"goal"`...)
	m := p.mask
	if m == 0 {
		return append(b, '}')
	}
	if m&gfName != 0 {
		b = appendField(b, "name", g.nameJSON)
	}
	if m&gfHTMLNotes != 0 {
		b = appendField(b, "html_notes", g.htmlJSON)
	}
	if m&gfNotes != 0 {
		b = appendField(b, "notes", g.notesJSON)
	}
	if m&gfDueOn != 0 {
		b = appendField(b, "due_on", g.dueJSON)
	}
	if m&gfStartOn != 0 {
		b = appendField(b, "start_on", g.startJSON)
	}
	if m&gfStatus != 0 {
		b = appendField(b, "status", g.statusJSON)
	}
	if m&gfOwner != 0 {
		if g.owner < 0 {
			b = appendField(b, "owner", nullJSON)
		} else {
			b = append(b, `,"owner":`...)
			b = sn.appendUser(b, &sn.users[g.owner], userProj{mask: p.owner})
		}
	}
	if m&gfStatusUpdate != 0 {
		if g.su == nil {
			b = appendField(b, "current_status_update", nullJSON)
		} else {
			b = append(b, `,"current_status_update":`...)
			b = appendStatus(b, g.su, p.status)
		}
	}
	if m&gfMetric != 0 {
		if g.metric == nil {
			b = appendField(b, "metric", nullJSON)
		} else {
			b = append(b, `,"metric":`...)
			b = appendMetric(b, g.metric, p.metric)
		}
	}
	if m&gfWorkspace != 0 {
		b = append(b, `,"workspace":`...)
		b = sn.appendWorkspace(b, p.workspace)
	}
	if m&gfTimePeriod != 0 {
		if g.period == nil {
			b = appendField(b, "time_period", nullJSON)
		} else {
			b = append(b, `,"time_period":`...)
			b = appendTimePeriod(b, g.period, p.period)
		}
	}
	return append(b, '}')
}

func appendTimePeriod(b []byte, tp *cTimePeriod, mask uint16) []byte {
	b = append(b, `{"gid":`...)
	b = append(b, tp.gidJSON...)
	b = append(b, `,"resource_type":"time_period"`...)
	if mask&tfDisplayName != 0 {
		b = appendField(b, "display_name", tp.displayJSON)
	}
	if mask&tfPeriod != 0 {
		b = appendField(b, "period", tp.periodJSON)
	}
	if mask&tfStartOn != 0 {
		b = appendField(b, "start_on", tp.startJSON)
	}
	if mask&tfEndOn != 0 {
		b = appendField(b, "end_on", tp.endJSON)
	}
	return append(b, '}')
}

func (sn *snapshot) appendUser(b []byte, u *cUser, p userProj) []byte {
	b = append(b, `{"gid":`...)
	b = append(b, u.gidJSON...)
	b = append(b, `,"resource_type":"user"`...)
	if p.mask&ufName != 0 {
		b = appendField(b, "name", u.nameJSON)
	}
	if p.mask&ufEmail != 0 {
		b = appendField(b, "email", u.emailJSON)
	}
	if p.mask&ufWorkspaces != 0 {
		b = append(b, `,"workspaces":[`...)
		b = sn.appendWorkspace(b, p.workspaces)
		b = append(b, ']')
	}
	return append(b, '}')
}

func (sn *snapshot) appendWorkspace(b []byte, mask uint16) []byte {
	b = append(b, `{"gid":`...)
	b = append(b, sn.wsGIDJSON...)
	b = append(b, `,"resource_type":"workspace"`...)
	if mask&wfName != 0 {
		b = appendField(b, "name", sn.wsNameJSON)
	}
	return append(b, '}')
}

func appendStatus(b []byte, s *cStatus, mask uint16) []byte {
	b = append(b, `{"gid":`...)
	b = append(b, s.gidJSON...)
	b = append(b, `,"resource_type":"status_update"`...)
	if mask&sfTitle != 0 {
		b = appendField(b, "title", s.titleJSON)
	}
	if mask&sfResourceSubtype != 0 {
		b = append(b, `,"resource_subtype":"goal_status_update"`...)
	}
	if mask&sfStatusType != 0 {
		b = appendField(b, "status_type", s.typeJSON)
	}
	return append(b, '}')
}

func appendMetric(b []byte, mt *cMetric, mask uint16) []byte {
	b = append(b, `{"gid":`...)
	b = append(b, mt.gidJSON...)
	b = append(b, `,"resource_type":"custom_field"`...)
	if mask&mfResourceSubtype != 0 {
		b = append(b, `,"resource_subtype":"number"`...)
	}
	if mask&mfUnit != 0 {
		b = appendField(b, "unit", mt.unitJSON)
	}
	if mask&mfCurrencyCode != 0 {
		b = appendField(b, "currency_code", mt.currencyJSON)
	}
	if mask&mfPrecision != 0 {
		b = appendField(b, "precision", mt.precisionJSON)
	}
	if mask&mfInitial != 0 {
		b = appendField(b, "initial_number_value", mt.initialJSON)
	}
	if mask&mfTarget != 0 {
		b = appendField(b, "target_number_value", mt.targetJSON)
	}
	if mask&mfCurrent != 0 {
		b = appendField(b, "current_number_value", mt.currentJSON)
	}
	if mask&mfDisplay != 0 {
		b = appendField(b, "current_display_value", mt.displayJSON)
	}
	if mask&mfProgressSource != 0 {
		b = appendField(b, "progress_source", mt.progressJSON)
	}
	return append(b, '}')
}

// appendRel renders the relationship between parent and its sub-goal rel.
func (sn *snapshot) appendRel(b []byte, parent *cGoal, rel *cRel, p *relProj) []byte {
	b = append(b, `{"gid":`...)
	b = append(b, rel.gidJSON...)
	b = append(b, `,"resource_type":"goal_relationship"`...)
	if p.mask&rfResourceSubtype != 0 {
		b = append(b, `,"resource_subtype":"subgoal"`...)
	}
	if p.mask&rfSupportingResource != 0 {
		b = append(b, `,"supporting_resource":`...)
		b = sn.appendGoal(b, &sn.goals[rel.child], &p.supporting)
	}
	if p.mask&rfSupportedGoal != 0 {
		b = append(b, `,"supported_goal":`...)
		b = sn.appendGoal(b, parent, &p.supported)
	}
	if p.mask&rfContributionWeight != 0 {
		b = appendField(b, "contribution_weight", rel.weightJSON)
	}
	return append(b, '}')
}
