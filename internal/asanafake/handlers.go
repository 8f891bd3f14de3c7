package asanafake

import (
	"net/http"
	"strings"
)

func unknownObject(param, gid string) reply {
	return errReply(http.StatusNotFound, param+": Unknown object: "+gid)
}

func missingInput(param string) reply {
	return errReply(http.StatusBadRequest, param+": Missing input")
}

// one answers {"data": record}.
func one(record object) reply {
	return okReply(object{{"data", record}})
}

// GET /goals?workspace=…
func (s *Server) listGoals(c *call) reply {
	ws := c.q.Get("workspace")
	if ws == "" {
		for _, other := range []string{"team", "project", "portfolio", "task"} {
			if c.q.Has(other) {
				return errReply(http.StatusBadRequest, other+": this fake Asana only lists goals by workspace")
			}
		}
		return errReply(http.StatusBadRequest, "workspace: Missing input. Specify the workspace whose goals to list.")
	}
	sn := c.snap
	if ws != sn.ws.GID {
		return unknownObject("workspace", ws)
	}
	p, errRep := s.paginate(c, len(sn.listed), "goals\x00"+ws)
	if errRep != nil {
		return *errRep
	}
	sel := optFields(c.q, compactGoal)
	data := make([]object, 0, p.end-p.start)
	for _, i := range sn.listed[p.start:p.end] {
		data = append(data, sn.goalRecord(&sn.ws.Goals[i]).project(sel))
	}
	return c.list(data, p)
}

// GET /goals/{gid}
func (s *Server) getGoal(c *call) reply {
	gid := c.r.PathValue("gid")
	g, found := c.snap.goal(gid)
	if !found {
		return unknownObject("goal", gid)
	}
	return one(c.snap.goalRecord(g).project(optFields(c.q, compactGoal)))
}

// ListsSubgoals reports whether r asks for the sub-goals of goal gid (of
// any goal when gid is ""), on either path: GET /goal_relationships with
// supported_goal (today's Asana) or GET /goals/{gid}/subgoals (the spec's).
// Tests use it in Options.Intercept to fail or hold a goal's sub-goal
// listing whatever the path.
func ListsSubgoals(r *http.Request, gid string) bool {
	if r.URL.Path == "/goal_relationships" {
		return gid == "" || r.URL.Query().Get("supported_goal") == gid
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/goals/")
	if !ok || !strings.HasSuffix(rest, "/subgoals") {
		return false
	}
	return gid == "" || strings.TrimSuffix(rest, "/subgoals") == gid
}

// GET /goals/{gid}/subgoals (the path the spec names; Asana has retired it).
func (s *Server) listSubgoals(c *call) reply {
	gid := c.r.PathValue("gid")
	g, found := c.snap.goal(gid)
	if !found {
		return unknownObject("goal", gid)
	}
	subs := c.snap.subgoals(g)
	p, errRep := s.paginate(c, len(subs), "subgoals\x00"+gid)
	if errRep != nil {
		return *errRep
	}
	sel := optFields(c.q, compactGoal)
	data := make([]object, 0, p.end-p.start)
	for _, sub := range subs[p.start:p.end] {
		data = append(data, c.snap.goalRecord(sub).project(sel))
	}
	return c.list(data, p)
}

// GET /goal_relationships?supported_goal=…&resource_subtype=…
func (s *Server) listGoalRelationships(c *call) reply {
	gid := c.q.Get("supported_goal")
	if gid == "" {
		return missingInput("supported_goal")
	}
	subtype := c.q.Get("resource_subtype")
	switch subtype {
	case "", "subgoal", "supporting_work":
	default:
		return errReply(http.StatusBadRequest, "resource_subtype: Invalid value. Expected one of subgoal, supporting_work.")
	}
	parent, found := c.snap.goal(gid)
	if !found {
		return unknownObject("supported_goal", gid)
	}
	var subs []*Goal
	if subtype != "supporting_work" { // projects, tasks, portfolios: not modelled
		subs = c.snap.subgoals(parent)
	}
	p, errRep := s.paginate(c, len(subs), "goal_relationships\x00"+gid+"\x00"+subtype)
	if errRep != nil {
		return *errRep
	}
	sel := optFields(c.q, compactRel)
	data := make([]object, 0, p.end-p.start)
	for _, sub := range subs[p.start:p.end] {
		data = append(data, c.snap.relationshipRecord(parent, sub).project(sel))
	}
	return c.list(data, p)
}

// GET /users/me
func (s *Server) getMe(c *call) reply {
	gid := c.me() // in open mode, the first user
	if gid == "" {
		return unknownObject("user", "me")
	}
	return s.userByGID(c, gid)
}

// GET /users/{gid}
func (s *Server) getUser(c *call) reply {
	return s.userByGID(c, c.r.PathValue("gid"))
}

func (s *Server) userByGID(c *call, gid string) reply {
	u, found := c.snap.user(gid)
	if !found {
		return unknownObject("user", gid)
	}
	return one(c.snap.fullUserRecord(u, gid == c.me()).project(optFields(c.q, fullUser)))
}

// me is the gid of the token's user: the token's own, or in open mode the
// workspace's first user ("" when it has none).
func (c *call) me() string {
	if c.tok.userGID != "" {
		return c.tok.userGID
	}
	if len(c.snap.ws.Users) == 0 {
		return ""
	}
	return c.snap.ws.Users[0].GID
}

// GET /users?workspace=…
func (s *Server) listUsers(c *call) reply {
	if ws := c.q.Get("workspace"); ws != "" && ws != c.snap.ws.GID {
		return unknownObject("workspace", ws)
	}
	users := c.snap.ws.Users
	p, errRep := s.paginate(c, len(users), "users\x00"+c.snap.ws.GID)
	if errRep != nil {
		return *errRep
	}
	sel := optFields(c.q, compactUser)
	me := c.me()
	data := make([]object, 0, p.end-p.start)
	for i := range users[p.start:p.end] {
		u := &users[p.start+i]
		data = append(data, c.snap.fullUserRecord(u, u.GID == me).project(sel))
	}
	return c.list(data, p)
}

// GET /workspaces: every workspace the token's user sees, the served one
// first, then Workspace.Others. The route has no filter; other query
// parameters are ignored.
func (s *Server) listWorkspaces(c *call) reply {
	all := c.snap.workspaceRecords()
	p, errRep := s.paginate(c, len(all), "workspaces")
	if errRep != nil {
		return *errRep
	}
	sel := optFields(c.q, compactWorkspace)
	data := make([]object, 0, p.end-p.start)
	for _, w := range all[p.start:p.end] {
		data = append(data, w.project(sel))
	}
	return c.list(data, p)
}
