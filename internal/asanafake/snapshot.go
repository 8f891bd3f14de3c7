package asanafake

import (
	"hash/fnv"
	"strconv"
)

// snapshot is the immutable, pre-rendered form of a Workspace that a Server
// serves. Every string a record can carry is JSON-escaped once, here, so
// serving a page is mostly copying bytes.
type snapshot struct {
	wsGID      string
	wsGIDJSON  []byte
	wsNameJSON []byte

	users   []cUser
	userIdx map[string]int32
	goals   []cGoal
	goalIdx map[string]int32
	// listed holds the indexes of the goals GET /goals lists, when some
	// are unlisted; nil when it lists them all.
	listed []int32
}

type cUser struct {
	gid       string
	gidJSON   []byte
	nameJSON  []byte
	emailJSON []byte
}

type cStatus struct {
	gidJSON   []byte
	titleJSON []byte
	typeJSON  []byte
}

type cMetric struct {
	gidJSON       []byte
	unitJSON      []byte
	currencyJSON  []byte
	precisionJSON []byte
	initialJSON   []byte
	targetJSON    []byte
	currentJSON   []byte
	displayJSON   []byte
	progressJSON  []byte
}

type cTimePeriod struct {
	gidJSON     []byte
	displayJSON []byte
	periodJSON  []byte // null when ""
	startJSON   []byte // quoted date or null
	endJSON     []byte
}

// cRel is one parent→sub-goal link (a goal relationship of subtype subgoal).
type cRel struct {
	child      int32
	gidJSON    []byte
	weightJSON []byte
}

type cGoal struct {
	gid        string
	gidJSON    []byte
	nameJSON   []byte
	htmlJSON   []byte
	notesJSON  []byte
	dueJSON    []byte // quoted date or null
	startJSON  []byte
	statusJSON []byte // goal.status: green/yellow/red/achieved/… or null
	owner      int32  // index in users, -1 for none
	su         *cStatus
	metric     *cMetric
	period     *cTimePeriod
	subs       []cRel
}

// arena hands out sub-slices of large shared buffers, so compiling a big
// workspace does not make millions of small allocations.
type arena struct{ buf []byte }

const arenaChunk = 1 << 20

// add appends what fn appends to a fresh slice and returns it, capped.
func (a *arena) add(n int, fn func([]byte) []byte) []byte {
	if cap(a.buf)-len(a.buf) < n {
		size := arenaChunk
		if n > size/4 {
			return fn(make([]byte, 0, n))
		}
		a.buf = make([]byte, 0, size)
	}
	start := len(a.buf)
	// If fn wrote more than n, append moved a.buf to a new array: the slices
	// handed out before still point into the old one, so this stays correct.
	a.buf = fn(a.buf)
	return a.buf[start:len(a.buf):len(a.buf)]
}

// str returns s JSON-quoted; JSON escaping grows a string by at most 6x
// (control characters), and most strings not at all.
func (a *arena) str(s string) []byte {
	return a.add(len(s)*6+2, func(b []byte) []byte { return appendJSONString(b, s) })
}

func (a *arena) strOrNull(s string) []byte {
	if s == "" {
		return nullJSON
	}
	return a.str(s)
}

func (a *arena) raw(s string) []byte {
	return a.add(len(s), func(b []byte) []byte { return append(b, s...) })
}

var nullJSON = []byte("null")

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

// compile turns a valid workspace into a snapshot.
func compile(ws *Workspace) *snapshot {
	a := &arena{}
	sn := &snapshot{
		wsGID:      ws.GID,
		wsGIDJSON:  jsonString(ws.GID),
		wsNameJSON: jsonString(ws.Name),
		users:      make([]cUser, len(ws.Users)),
		userIdx:    make(map[string]int32, len(ws.Users)),
		goals:      make([]cGoal, len(ws.Goals)),
		goalIdx:    make(map[string]int32, len(ws.Goals)),
	}
	for i := range ws.Users {
		u := &ws.Users[i]
		sn.users[i] = cUser{
			gid:       u.GID,
			gidJSON:   a.str(u.GID),
			nameJSON:  a.str(u.Name),
			emailJSON: a.str(u.Email),
		}
		sn.userIdx[u.GID] = int32(i)
	}
	for i := range ws.Goals {
		sn.goalIdx[ws.Goals[i].GID] = int32(i)
		if ws.Goals[i].Unlisted && sn.listed == nil {
			sn.listed = make([]int32, 0, len(ws.Goals))
			for j := range i {
				sn.listed = append(sn.listed, int32(j))
			}
		}
		if sn.listed != nil && !ws.Goals[i].Unlisted {
			sn.listed = append(sn.listed, int32(i))
		}
	}
	// Long descriptions are often shared (generated workspaces draw them from
	// a pool); escape each distinct one once.
	interned := make(map[string][]byte)
	intern := func(s string) []byte {
		if s == "" {
			return []byte(`""`)
		}
		if b, ok := interned[s]; ok {
			return b
		}
		b := a.str(s)
		interned[s] = b
		return b
	}
	dates := make(map[string][]byte)
	date := func(s string) []byte {
		if s == "" {
			return nullJSON
		}
		if b, ok := dates[s]; ok {
			return b
		}
		b := a.str(s)
		dates[s] = b
		return b
	}
	periods := make(map[string]*cTimePeriod)
	weight := []byte("1")
	for i := range ws.Goals {
		g := &ws.Goals[i]
		cg := &sn.goals[i]
		cg.gid = g.GID
		cg.gidJSON = a.str(g.GID)
		cg.nameJSON = a.str(g.Name)
		cg.htmlJSON = intern(g.HTMLNotes)
		cg.notesJSON = intern(g.Notes)
		cg.dueJSON = date(g.DueOn)
		cg.startJSON = date(g.StartOn)
		cg.statusJSON = a.strOrNull(g.ServedStatus())
		cg.owner = -1
		if g.OwnerGID != "" {
			if j, ok := sn.userIdx[g.OwnerGID]; ok {
				cg.owner = j
			}
		}
		if g.StatusType != "" {
			title := g.StatusTitle
			if title == "" {
				title = statusTitle(g.StatusType)
			}
			cg.su = &cStatus{
				gidJSON:   a.str(derivedGID("status_update", g.GID)),
				titleJSON: a.str(title),
				typeJSON:  a.str(g.StatusType),
			}
		}
		if tp := g.TimePeriod; tp != nil {
			// Goals of a workspace share a few periods: escape each once.
			key := tp.GID + "\x00" + tp.DisplayName + "\x00" + tp.Period + "\x00" + tp.StartOn + "\x00" + tp.EndOn
			cp, ok := periods[key]
			if !ok {
				cp = &cTimePeriod{
					gidJSON:     a.str(tp.GID),
					displayJSON: a.str(tp.DisplayName),
					periodJSON:  a.strOrNull(tp.Period),
					startJSON:   date(tp.StartOn),
					endJSON:     date(tp.EndOn),
				}
				periods[key] = cp
			}
			cg.period = cp
		}
		if m := g.Metric; m != nil {
			unit := m.Unit
			if unit == "" {
				unit = "none"
			}
			progress := m.ProgressSource
			if progress == "" {
				progress = "manual"
			}
			currency := ""
			if unit == "currency" {
				currency = m.CurrencyCode
			}
			cg.metric = &cMetric{
				gidJSON:       a.str(derivedGID("goal_metric", g.GID)),
				unitJSON:      a.str(unit),
				currencyJSON:  a.strOrNull(currency),
				precisionJSON: a.raw(strconv.Itoa(m.Precision)),
				initialJSON:   jsonNumber(m.InitialNumberValue),
				targetJSON:    jsonNumber(m.TargetNumberValue),
				currentJSON:   jsonNumber(m.CurrentNumberValue),
				displayJSON:   a.str(metricDisplay(m)),
				progressJSON:  a.str(progress),
			}
		}
		if len(g.SubgoalGIDs) > 0 {
			cg.subs = make([]cRel, 0, len(g.SubgoalGIDs))
			for _, s := range g.SubgoalGIDs {
				j, ok := sn.goalIdx[s]
				if !ok {
					continue
				}
				cg.subs = append(cg.subs, cRel{
					child:      j,
					gidJSON:    a.str(derivedGID("goal_relationship", g.GID+"/"+s)),
					weightJSON: weight,
				})
			}
		}
	}
	return sn
}
