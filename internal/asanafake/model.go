package asanafake

import (
	"errors"
	"fmt"
	"sync"
)

// goalStatusTypes lists every status_type Asana allows on a goal's status
// update, in Asana's order.
var goalStatusTypes = []string{"on_track", "at_risk", "off_track", "achieved", "partial", "missed", "dropped"}

// goalStatuses lists every value of a goal's own status field, in Asana's
// order: green, yellow and red while the goal is open; achieved, partial,
// missed and dropped once it is closed.
var goalStatuses = []string{"green", "yellow", "red", "achieved", "partial", "missed", "dropped"}

// Workspace is the data a [Server] serves: one Asana workspace with its users
// and goals. A test can build one by hand or with [Generate].
//
// The accessors (Goal, User, GoalsOwnedBy, …) build an index on first use; do
// not change a Workspace after calling one of them. To derive a changed
// workspace, change a [Workspace.Clone]. A [Server] works on its own copy, so
// a Workspace may be changed after [NewServer] (and passed to
// [Server.SetWorkspace] to take effect).
type Workspace struct {
	// GID is the workspace's gid (a numeric string in real Asana).
	GID string
	// Name is the workspace's name.
	Name string
	// Users are the workspace's users, in the order GET /users lists them.
	Users []User
	// Goals are the workspace's goals, in the fixed order GET /goals lists
	// them. Sub-goals are goals of this list too.
	Goals []Goal
	// Others are the other workspaces every token's user also sees: GET
	// /workspaces lists the served workspace first, then these, in order
	// (and GET /users/me names them all among the user's workspaces). They
	// are names only: nothing of theirs is served (a goal or user listing
	// of one answers 404, as for any workspace not served). nil by
	// default: the user sees the served workspace alone.
	Others []WorkspaceRef

	mu  sync.Mutex
	idx *wsIndex
}

// WorkspaceRef names a workspace other than the served one (see
// [Workspace.Others]).
type WorkspaceRef struct {
	// GID is the workspace's gid: not empty, and unlike the served
	// workspace's and every other one's (a numeric string in real Asana).
	GID string
	// Name is the workspace's name.
	Name string
}

// User is an Asana user of the workspace.
type User struct {
	GID   string
	Name  string
	Email string
}

// Goal is an Asana goal as the fake keeps it: the server's model, from
// which every answer is built (GET /goals, GET /goals/{gid}, the sub-goal
// and relationship listings), not the client's wire form asana.Goal. It
// differs where a server must: it holds what Asana keeps and asana.Goal
// does not read (Notes, the status update's title, the sub-goal links,
// Unlisted), references by GID where Asana serves a record (OwnerGID,
// SubgoalGIDs), dates as the text a test writes, and GoalStatus may be ""
// to follow the status update as Asana does. A field added to asana.Goal
// fails TestGoal_servesEveryFieldOfTheWireForm until the model serves it.
type Goal struct {
	GID  string
	Name string
	// HTMLNotes is the description as Asana's rich text, usually wrapped in
	// <body>…</body>; "" when the goal has none.
	HTMLNotes string
	// Notes is the plain-text description (optional; served as is).
	Notes string
	// DueOn and StartOn are dates as YYYY-MM-DD, or "" for none (served as
	// null).
	DueOn   string
	StartOn string
	// OwnerGID is the owner's user gid, or "" for an ownerless goal (served
	// as "owner": null).
	OwnerGID string
	// StatusType is the status_type of the goal's current status update
	// (on_track, at_risk, off_track, achieved, partial, missed or dropped),
	// or "" when the goal has no status update (served as
	// "current_status_update": null).
	StatusType string
	// StatusTitle is the title of the current status update; when "" the
	// server derives one from StatusType.
	StatusTitle string
	// GoalStatus is the goal's own status field (green, yellow, red,
	// achieved, partial, missed or dropped), as Asana shows it even when no
	// status update was posted (it can be set through the API). When "" it follows the status update, as posting an
	// update does in Asana: on_track is green, at_risk yellow, off_track
	// red, a closing status_type the same word; with no status update
	// either it is served as null. See [Goal.ServedStatus].
	GoalStatus string
	// TimePeriod is the Asana time period the goal belongs to, nil for none
	// (served as "time_period": null).
	TimePeriod *TimePeriod
	// Metric is the goal's metric, nil for none (served as "metric": null).
	Metric *Metric
	// SubgoalGIDs are the gids of this goal's sub-goals, in order. Each must
	// be a goal of the same workspace.
	SubgoalGIDs []string
	// Unlisted leaves the goal out of the workspace scan (GET /goals), as
	// Asana does for goals the scan does not return; GET /goals/{gid} and
	// its parents' sub-goal lists still serve it.
	Unlisted bool
}

// ServedStatus returns the goal's status field as the server serves it:
// GoalStatus, or when that is "" the color of the status update's
// StatusType ("" when there is neither; served as null).
func (g Goal) ServedStatus() string {
	if g.GoalStatus != "" {
		return g.GoalStatus
	}
	return goalStatusColor(g.StatusType)
}

// TimePeriod is an Asana time period (TimePeriodCompact): a fiscal year,
// half or quarter of the workspace.
type TimePeriod struct {
	// GID is the time period's gid.
	GID string
	// DisplayName is Asana's label, e.g. "Q1 FY26".
	DisplayName string
	// Period is the cadence and index: FY, H1, H2, Q1, Q2, Q3 or Q4.
	Period string
	// StartOn and EndOn are the first and last days, as YYYY-MM-DD ("" is
	// served as null).
	StartOn string
	EndOn   string
}

// Metric is a goal's numeric metric (Asana's GoalMetricBase; resource_subtype
// is always "number").
type Metric struct {
	// Unit is "none", "currency" or "percentage".
	Unit string
	// CurrencyCode is an ISO 4217 code when Unit is "currency" ("" otherwise;
	// served as null).
	CurrencyCode string
	// Precision is the number of decimals shown, 0..6.
	Precision int
	// InitialNumberValue, TargetNumberValue and CurrentNumberValue are the
	// start, target and current values.
	InitialNumberValue float64
	TargetNumberValue  float64
	CurrentNumberValue float64
	// ProgressSource is "manual", "subgoal_progress", … or "external"; ""
	// is served as "manual".
	ProgressSource string
}

// wsIndex is the lookup structure behind the Workspace accessors.
type wsIndex struct {
	goal    map[string]int
	user    map[string]int
	byOwner map[string][]int // "" key: ownerless goals
}

func (ws *Workspace) index() *wsIndex {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.idx == nil {
		ix := &wsIndex{
			goal:    make(map[string]int, len(ws.Goals)),
			user:    make(map[string]int, len(ws.Users)),
			byOwner: make(map[string][]int, len(ws.Users)+1),
		}
		for i := range ws.Users {
			ix.user[ws.Users[i].GID] = i
		}
		for i := range ws.Goals {
			g := &ws.Goals[i]
			ix.goal[g.GID] = i
			ix.byOwner[g.OwnerGID] = append(ix.byOwner[g.OwnerGID], i)
		}
		ws.idx = ix
	}
	return ws.idx
}

// Goal returns the goal with this gid.
func (ws *Workspace) Goal(gid string) (Goal, bool) {
	i, ok := ws.index().goal[gid]
	if !ok {
		return Goal{}, false
	}
	return ws.Goals[i], true
}

// User returns the user with this gid.
func (ws *Workspace) User(gid string) (User, bool) {
	i, ok := ws.index().user[gid]
	if !ok {
		return User{}, false
	}
	return ws.Users[i], true
}

// GoalsOwnedBy returns the goals owned by the user, in workspace (API) order.
// GoalsOwnedBy("") returns the ownerless goals.
func (ws *Workspace) GoalsOwnedBy(userGID string) []Goal {
	idx := ws.index().byOwner[userGID]
	out := make([]Goal, len(idx))
	for k, i := range idx {
		out[k] = ws.Goals[i]
	}
	return out
}

// Subgoals returns the sub-goals of the goal, in order (nil for an unknown
// goal or one without sub-goals).
func (ws *Workspace) Subgoals(gid string) []Goal {
	ix := ws.index()
	i, ok := ix.goal[gid]
	if !ok || len(ws.Goals[i].SubgoalGIDs) == 0 {
		return nil
	}
	subs := ws.Goals[i].SubgoalGIDs
	out := make([]Goal, 0, len(subs))
	for _, s := range subs {
		if j, ok := ix.goal[s]; ok {
			out = append(out, ws.Goals[j])
		}
	}
	return out
}

// Clone returns a deep copy of the workspace that can be changed freely.
func (ws *Workspace) Clone() *Workspace {
	c := &Workspace{
		GID:   ws.GID,
		Name:  ws.Name,
		Users: append([]User(nil), ws.Users...),
		Goals: append([]Goal(nil), ws.Goals...),
	}
	if ws.Others != nil {
		c.Others = append([]WorkspaceRef(nil), ws.Others...)
	}
	for i := range c.Goals {
		g := &c.Goals[i]
		if g.Metric != nil {
			m := *g.Metric
			g.Metric = &m
		}
		if g.TimePeriod != nil {
			tp := *g.TimePeriod
			g.TimePeriod = &tp
		}
		if g.SubgoalGIDs != nil {
			g.SubgoalGIDs = append([]string(nil), g.SubgoalGIDs...)
		}
	}
	return c
}

// Validate checks that the workspace can be served: a GID, other workspaces
// with non-empty gids unlike each other and the served one's, unique non-empty
// user and goal gids, owners that are users of the workspace, sub-goals that
// are goals of the workspace and listed once per parent, and no goal among
// its own sub-goals. (Deeper cycles are not checked; Asana forbids them and
// [Generate] never makes one.)
func (ws *Workspace) Validate() error {
	if ws == nil {
		return errors.New("asanafake: nil workspace")
	}
	var errs []error
	if ws.GID == "" {
		errs = append(errs, errors.New("workspace has no GID"))
	}
	seenWS := map[string]bool{ws.GID: true}
	for i, o := range ws.Others {
		switch {
		case o.GID == "":
			errs = append(errs, fmt.Errorf("other workspace #%d has no GID", i))
		case seenWS[o.GID]:
			errs = append(errs, fmt.Errorf("workspace gid %q appears twice", o.GID))
		}
		seenWS[o.GID] = true
	}
	userGIDs := make([]string, len(ws.Users))
	for i, u := range ws.Users {
		userGIDs[i] = u.GID
	}
	goalGIDs := make([]string, len(ws.Goals))
	for i, g := range ws.Goals {
		goalGIDs[i] = g.GID
	}
	users := uniqueGIDs("user", userGIDs, &errs)
	goals := uniqueGIDs("goal", goalGIDs, &errs)
	for _, g := range ws.Goals {
		if g.OwnerGID != "" && !users[g.OwnerGID] {
			errs = append(errs, fmt.Errorf("goal %q: owner %q is not a user of the workspace", g.GID, g.OwnerGID))
		}
		seen := make(map[string]bool, len(g.SubgoalGIDs))
		for _, s := range g.SubgoalGIDs {
			switch {
			case !goals[s]:
				errs = append(errs, fmt.Errorf("goal %q: sub-goal %q is not a goal of the workspace", g.GID, s))
			case s == g.GID:
				errs = append(errs, fmt.Errorf("goal %q is its own sub-goal", g.GID))
			case seen[s]:
				errs = append(errs, fmt.Errorf("goal %q: sub-goal %q listed twice", g.GID, s))
			}
			seen[s] = true
		}
		if len(errs) > 20 {
			break
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("asanafake: invalid workspace: %w", errors.Join(errs...))
}

// uniqueGIDs returns the set of gids, and adds to errs each one that is
// missing or repeated (kind names them: "user", "goal").
func uniqueGIDs(kind string, gids []string, errs *[]error) map[string]bool {
	set := make(map[string]bool, len(gids))
	for i, gid := range gids {
		switch {
		case gid == "":
			*errs = append(*errs, fmt.Errorf("%s #%d has no GID", kind, i))
		case set[gid]:
			*errs = append(*errs, fmt.Errorf("%s gid %q appears twice", kind, gid))
		}
		set[gid] = true
	}
	return set
}
