package asanafake

import (
	"net/http"
	"strings"
)

func okReply(b []byte) reply {
	return reply{status: http.StatusOK, body: b, keep: b}
}

func unknownObject(param, gid string) reply {
	return errReply(http.StatusNotFound, param+": Unknown object: "+gid)
}

func missingInput(param string) reply {
	return errReply(http.StatusBadRequest, param+": Missing input")
}

// goalProjection is the goal projection a request asks for.
func goalProjection(c *call) goalProj {
	if fields, ok := optFields(c.q); ok {
		return compileGoalProj(fields)
	}
	return compactGoal
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
	if ws != c.snap.wsGID {
		return unknownObject("workspace", ws)
	}
	sn := c.snap
	total := len(sn.goals)
	if sn.listed != nil {
		total = len(sn.listed)
	}
	p, errRep := s.paginate(c, total, "goals\x00"+ws)
	if errRep != nil {
		return *errRep
	}
	proj := goalProjection(c)
	b := append(c.buf, `{"data":[`...)
	for i := p.start; i < p.end; i++ {
		if i > p.start {
			b = append(b, ',')
		}
		g := i
		if sn.listed != nil {
			g = int(sn.listed[i])
		}
		b = sn.appendGoal(b, &sn.goals[g], &proj)
	}
	b = append(b, ']')
	b = appendNextPage(b, c, p)
	return okReply(append(b, '}'))
}

// GET /goals/{gid}
func (s *Server) getGoal(c *call) reply {
	gid := c.r.PathValue("gid")
	i, found := c.snap.goalIdx[gid]
	if !found {
		return unknownObject("goal", gid)
	}
	proj := goalProjection(c)
	b := append(c.buf, `{"data":`...)
	b = c.snap.appendGoal(b, &c.snap.goals[i], &proj)
	return okReply(append(b, '}'))
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
	i, found := c.snap.goalIdx[gid]
	if !found {
		return unknownObject("goal", gid)
	}
	subs := c.snap.goals[i].subs
	p, errRep := s.paginate(c, len(subs), "subgoals\x00"+gid)
	if errRep != nil {
		return *errRep
	}
	proj := goalProjection(c)
	b := append(c.buf, `{"data":[`...)
	for k := p.start; k < p.end; k++ {
		if k > p.start {
			b = append(b, ',')
		}
		b = c.snap.appendGoal(b, &c.snap.goals[subs[k].child], &proj)
	}
	b = append(b, ']')
	b = appendNextPage(b, c, p)
	return okReply(append(b, '}'))
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
	i, found := c.snap.goalIdx[gid]
	if !found {
		return unknownObject("supported_goal", gid)
	}
	parent := &c.snap.goals[i]
	rels := parent.subs
	if subtype == "supporting_work" { // projects, tasks, portfolios: not modelled
		rels = nil
	}
	p, errRep := s.paginate(c, len(rels), "goal_relationships\x00"+gid+"\x00"+subtype)
	if errRep != nil {
		return *errRep
	}
	proj := compactRel
	if fields, ok := optFields(c.q); ok {
		proj = compileRelProj(fields)
	}
	b := append(c.buf, `{"data":[`...)
	for k := p.start; k < p.end; k++ {
		if k > p.start {
			b = append(b, ',')
		}
		b = c.snap.appendRel(b, parent, &rels[k], &proj)
	}
	b = append(b, ']')
	b = appendNextPage(b, c, p)
	return okReply(append(b, '}'))
}

func userProjection(c *call, def userProj) userProj {
	if fields, ok := optFields(c.q); ok {
		return compileUserProj(fields)
	}
	return def
}

// GET /users/me
func (s *Server) getMe(c *call) reply {
	gid := c.tok.userGID
	if gid == "" { // open mode: the first user
		if len(c.snap.users) == 0 {
			return unknownObject("user", "me")
		}
		return userReply(c, 0)
	}
	return s.userByGID(c, gid)
}

// GET /users/{gid}
func (s *Server) getUser(c *call) reply {
	return s.userByGID(c, c.r.PathValue("gid"))
}

func (s *Server) userByGID(c *call, gid string) reply {
	i, found := c.snap.userIdx[gid]
	if !found {
		return unknownObject("user", gid)
	}
	return userReply(c, i)
}

// userReply answers {"data": user i}, projected by the call's opt_fields.
func userReply(c *call, i int32) reply {
	b := append(c.buf, `{"data":`...)
	b = c.snap.appendUser(b, &c.snap.users[i], userProjection(c, fullUser))
	return okReply(append(b, '}'))
}

// GET /users?workspace=…
func (s *Server) listUsers(c *call) reply {
	if ws := c.q.Get("workspace"); ws != "" && ws != c.snap.wsGID {
		return unknownObject("workspace", ws)
	}
	p, errRep := s.paginate(c, len(c.snap.users), "users\x00"+c.snap.wsGID)
	if errRep != nil {
		return *errRep
	}
	proj := userProjection(c, compactUser)
	b := append(c.buf, `{"data":[`...)
	for i := p.start; i < p.end; i++ {
		if i > p.start {
			b = append(b, ',')
		}
		b = c.snap.appendUser(b, &c.snap.users[i], proj)
	}
	b = append(b, ']')
	b = appendNextPage(b, c, p)
	return okReply(append(b, '}'))
}
