package admin

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

// employeesView is the Employees page's data.
type employeesView struct {
	Connected bool
	// UsersError says why the workspace's users could not be listed
	// (suggestions and names are missing then).
	UsersError string
	Unmapped   []unmappedRow
	Mapped     []mappedRow
	Notice     string
}

type unmappedRow struct {
	goals.Employee
	Suggestion *goals.Suggestion
	// SuggestedEmail is the suggested Asana user's e-mail address, for the
	// admin to check a match by name against.
	SuggestedEmail string
	// Typed is the GID typed by hand, shown again with its Error.
	Typed string
	Error string
}

type mappedRow struct {
	goals.Employee
	AsanaName string
	// SharedWith lists the other employees mapped to the same GID.
	SharedWith []string
	// Unknown is true when the workspace's users were listed and this GID
	// was not among them.
	Unknown bool
}

// users is one listing of the workspace's users, replayed to
// SuggestMappings so that a page view lists them once.
type users struct {
	list  []asana.User
	byGID map[string]asana.User
}

func (u *users) Me(context.Context) (asana.User, error) { return asana.User{}, errors.ErrUnsupported }
func (u *users) Goals(context.Context, asana.ListGoalsOptions) iter.Seq2[asana.Goal, error] {
	return func(func(asana.Goal, error) bool) {}
}
func (u *users) WorkspaceUsers(context.Context, string) iter.Seq2[asana.User, error] {
	return func(yield func(asana.User, error) bool) {
		for _, x := range u.list {
			if !yield(x, nil) {
				return
			}
		}
	}
}

// listUsers lists the connection's workspace users once.
func (h *Handler) listUsers(ctx context.Context, conn Connection) (*users, error) {
	client, err := h.client(conn.Token, conn.RequestsPerMinute)
	if err != nil {
		return nil, err
	}
	defer client.CloseIdleConnections()
	u := &users{byGID: map[string]asana.User{}}
	for x, err := range client.WorkspaceUsers(ctx, conn.WorkspaceGID) {
		if err != nil {
			return nil, err
		}
		u.list = append(u.list, x)
		u.byGID[x.GID] = x
	}
	return u, nil
}

func (h *Handler) employeesPage(w http.ResponseWriter, r *http.Request) {
	v, status := h.employeesView(w, r)
	if v == nil {
		return
	}
	switch r.URL.Query().Get("mapped") {
	case "1":
		v.Notice = "The mapping was saved. The next sync pulls that employee's goals."
	}
	h.render(w, status, "employees", "employees", v)
}

// employeesView builds the page's data; nil when it answered an error
// itself.
func (h *Handler) employeesView(w http.ResponseWriter, r *http.Request) (*employeesView, int) {
	ctx, cancel := h.pageContext(r)
	defer cancel()
	conn, connected, err := h.loadConnection(ctx)
	unreadable := err != nil
	if unreadable {
		h.logError("read the saved connection", err, "")
	}
	emps, err := h.cfg.Directory.Employees(ctx)
	if err != nil {
		h.fail(w, "employees", "The employees could not be read", err, conn.Token)
		return nil, 0
	}
	v := &employeesView{Connected: connected && conn.Token != ""}
	if unreadable {
		v.UsersError = "The saved connection could not be read: save it again on the Connection page."
	}
	var us *users
	if v.Connected {
		if us, err = h.listUsers(ctx, conn); err != nil {
			v.UsersError = usersProblem(err, conn.Token)
		}
	}
	var suggestions map[string]goals.Suggestion
	if us != nil {
		suggestions = map[string]goals.Suggestion{}
		if list, err := goals.SuggestMappings(ctx, us, conn.WorkspaceGID, emps); err == nil {
			for _, s := range list {
				suggestions[s.EmployeeID] = s
			}
		}
	}
	byGID := map[string][]string{}
	for _, e := range emps {
		if e.AsanaUserGID != "" {
			byGID[e.AsanaUserGID] = append(byGID[e.AsanaUserGID], e.ID)
		}
	}
	for _, e := range emps {
		if e.AsanaUserGID == "" {
			row := unmappedRow{Employee: e}
			if s, ok := suggestions[e.ID]; ok {
				row.Suggestion, row.SuggestedEmail = &s, us.byGID[s.AsanaUserGID].Email
			}
			v.Unmapped = append(v.Unmapped, row)
			continue
		}
		row := mappedRow{Employee: e}
		for _, id := range byGID[e.AsanaUserGID] {
			if id != e.ID {
				row.SharedWith = append(row.SharedWith, id)
			}
		}
		if us != nil {
			u, ok := us.byGID[e.AsanaUserGID]
			row.AsanaName, row.Unknown = u.Name, !ok
		}
		v.Mapped = append(v.Mapped, row)
	}
	return v, http.StatusOK
}

// usersProblem says, in words, why the users could not be listed.
func usersProblem(err error, token string) string {
	switch {
	case errors.Is(err, asana.ErrUnauthorized):
		return "Asana refused the saved token: save a new one on the Connection page."
	case errors.Is(err, asana.ErrForbidden), errors.Is(err, asana.ErrNotFound):
		return "The token's user cannot list the workspace's users: check the connection."
	}
	return "The workspace's users could not be listed: " + asana.NewRedactor(token).String(err.Error())
}

func (h *Handler) employeesPost(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r, "employees") {
		return
	}
	id := r.PostFormValue("employee_id")
	gid := strings.TrimSpace(r.PostFormValue("asana_user_gid"))
	var msg string
	var status int
	if r.PostFormValue("action") == "unmap" {
		msg, status = h.unmapEmployee(r, id)
	} else {
		msg, status = h.mapEmployee(r, id, gid)
	}
	if msg == "" {
		seeOther(w, "employees?mapped=1")
		return
	}
	if !asana.IsGID(gid) {
		gid = "" // not shown again: it may be a token in the wrong field
	}
	v, _ := h.employeesView(w, r)
	if v == nil {
		return
	}
	for i := range v.Unmapped {
		if v.Unmapped[i].ID == id {
			v.Unmapped[i].Typed, v.Unmapped[i].Error = gid, msg
			h.render(w, status, "employees", "employees", v)
			return
		}
	}
	h.render(w, status, "error", "employees", errorPage{Message: msg})
}

// mapEmployee saves one mapping once the GID is known to be one of the
// workspace's users. It returns what is wrong, or "".
func (h *Handler) mapEmployee(r *http.Request, id, gid string) (string, int) {
	ctx, cancel := h.pageContext(r)
	defer cancel()
	if msg := gidProblem(gid, "An Asana user GID", "Enter the Asana user GID: the number in the user's Asana profile URL."); msg != "" {
		return msg, http.StatusUnprocessableEntity
	}
	conn, connected, err := h.loadConnection(ctx)
	if err != nil || !connected || conn.Token == "" {
		return "Connect Asana first (Connection page): a GID is checked against the workspace's users before it is saved.", http.StatusConflict
	}
	emps, err := h.cfg.Directory.Employees(ctx)
	if err != nil {
		return "The employees could not be read; nothing was saved.", http.StatusInternalServerError
	}
	var emp *goals.Employee
	for i, e := range emps {
		switch {
		case e.ID == id:
			emp = &emps[i]
		case e.AsanaUserGID == gid:
			return fmt.Sprintf("Asana user %s is already mapped to %s (%s): one Asana user's goals go to one employee. "+
				"Unmap them first if this is the right person.", gid, e.Name, e.ID), http.StatusConflict
		}
	}
	switch {
	case emp == nil:
		return "There is no such employee; nothing was saved.", http.StatusNotFound
	case emp.AsanaUserGID != "":
		return fmt.Sprintf("%s is already mapped to Asana user %s: unmap them first to map them again.", emp.Name, emp.AsanaUserGID), http.StatusConflict
	}
	us, err := h.listUsers(ctx, conn)
	if err != nil {
		return usersProblem(err, conn.Token) + " Nothing was saved.", http.StatusBadGateway
	}
	if _, ok := us.byGID[gid]; !ok {
		return fmt.Sprintf("No user of this workspace has GID %s. Copy it from the user's Asana profile URL; "+
			"a user of another workspace cannot be mapped.", gid), http.StatusUnprocessableEntity
	}
	if err := h.cfg.Directory.MapEmployee(ctx, id, gid); err != nil {
		if errors.Is(err, ErrUnknownEmployee) {
			return "There is no such employee; nothing was saved.", http.StatusNotFound
		}
		h.log.Error("admin: save a mapping", "error", asana.NewRedactor(conn.Token).String(err.Error()))
		return "The mapping could not be saved; the server's log says why.", http.StatusInternalServerError
	}
	return "", http.StatusOK
}

// unmapEmployee clears one employee's mapping; it returns what is wrong,
// or "".
func (h *Handler) unmapEmployee(r *http.Request, id string) (string, int) {
	ctx, cancel := h.pageContext(r)
	defer cancel()
	if err := h.cfg.Directory.MapEmployee(ctx, id, ""); err != nil {
		if errors.Is(err, ErrUnknownEmployee) {
			return "There is no such employee; nothing was saved.", http.StatusNotFound
		}
		h.logError("unmap an employee", err, "")
		return "The mapping could not be removed; the server's log says why.", http.StatusInternalServerError
	}
	return "", http.StatusOK
}
