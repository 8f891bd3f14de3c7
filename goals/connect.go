package goals

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sort"
	"strings"

	"github.com/perfcopilot/asanagoals/asana"
)

// ConnectionSource is what CheckConnection and SuggestMappings read from;
// *asana.Client satisfies it.
type ConnectionSource interface {
	Me(ctx context.Context) (asana.User, error)
	Goals(ctx context.Context, opts asana.ListGoalsOptions) iter.Seq2[asana.Goal, error]
	WorkspaceUsers(ctx context.Context, workspaceGID string) iter.Seq2[asana.User, error]
}

// Connection is what CheckConnection found out.
type Connection struct {
	// User is the Asana user the token belongs to (a service account is
	// best: a person's token stops working when they leave).
	User asana.User `json:"user"`
	// GoalsVisible reports whether the workspace has at least one goal the
	// token can see.
	GoalsVisible bool `json:"goals_visible"`
}

// CheckConnection checks, with two requests, the setup the spec's
// "Connecting" section asks an admin for: the workspace GID is a GID, the
// token works (GET /users/me), and the token's user can read the
// workspace's goals (one goal of GET /goals, its gid and name only: see
// asana.ListGoalsOptions.FirstOnly). Each failure is an
// error that says what to fix; a configuration problem is a
// *GoalsConfigError and makes no request.
func CheckConnection(ctx context.Context, src ConnectionSource, workspaceGID string) (Connection, error) {
	if err := (Config{WorkspaceGID: workspaceGID}).Validate(); err != nil {
		return Connection{}, err
	}
	var c Connection
	me, err := src.Me(ctx)
	switch {
	case errors.Is(err, asana.ErrUnauthorized):
		return c, fmt.Errorf("goals: the access token is wrong, expired or revoked; generate a new one "+
			"(Asana: Profile → My Settings → Apps → Developer Apps → New Access Token): %w", err)
	case err != nil:
		return c, fmt.Errorf("goals: checking the access token: %w", err)
	}
	c.User = me
	for _, err := range src.Goals(ctx, asana.ListGoalsOptions{Workspace: workspaceGID, FirstOnly: true}) {
		switch {
		case errors.Is(err, asana.ErrPaymentRequired):
			return c, fmt.Errorf("goals: workspace %s has no access to Asana Goals, which need a paid Asana plan: %w", workspaceGID, err)
		case errors.Is(err, asana.ErrNotFound):
			return c, fmt.Errorf("goals: workspace %s was not found: check the workspace GID (the number in your Asana workspace URL): %w",
				workspaceGID, err)
		case errors.Is(err, asana.ErrForbidden):
			return c, fmt.Errorf("goals: the token's user %s cannot read workspace %s: it needs workspace member access: %w",
				me.GID, workspaceGID, err)
		case err != nil:
			return c, fmt.Errorf("goals: listing the workspace's goals: %w", err)
		}
		c.GoalsVisible = true
		break // one goal is proof enough
	}
	return c, nil
}

// Suggestion proposes an Asana user for an employee who is not mapped yet.
type Suggestion struct {
	EmployeeID   string `json:"employee_id"`
	AsanaUserGID string `json:"asana_user_gid"`
	AsanaName    string `json:"asana_name"`
	// By says how the user was matched.
	By MatchedBy `json:"by"`
}

// MatchedBy is how SuggestMappings matched an employee to an Asana user.
type MatchedBy string

// The ways of matching, in the order tried.
const (
	// MatchedByEmail: the addresses match, ignoring case.
	MatchedByEmail MatchedBy = "email"
	// MatchedByName: the names match, ignoring case and spacing, and no
	// one else has that name on either side.
	MatchedByName MatchedBy = "name"
)

// SuggestMappings proposes Asana users for the employees with no
// AsanaUserGID, by e-mail address first, then by a name that is unique on
// both sides. It never proposes a user already mapped to an employee, a
// user without a valid GID, nor the same user twice. It only suggests: the admin confirms each mapping
// (the spec's step 4) before it is used. Suggestions are sorted by
// employee ID.
func SuggestMappings(ctx context.Context, src ConnectionSource, workspaceGID string, employees []Employee) ([]Suggestion, error) {
	if err := (Config{WorkspaceGID: workspaceGID}).Validate(); err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, e := range employees {
		if e.AsanaUserGID != "" {
			taken[e.AsanaUserGID] = true
		}
	}
	byEmail := map[string][]asana.User{}
	byName := map[string][]asana.User{}
	for u, err := range src.WorkspaceUsers(ctx, workspaceGID) {
		if err != nil {
			return nil, fmt.Errorf("goals: listing the workspace's users: %w", err)
		}
		// A user without a GID (or with one that is not a GID) cannot be
		// mapped: the employee list would refuse the suggestion.
		if taken[u.GID] || !isGID(u.GID) {
			continue
		}
		if k := foldEmail(u.Email); k != "" {
			byEmail[k] = append(byEmail[k], u)
		}
		if k := foldName(u.Name); k != "" {
			byName[k] = append(byName[k], u)
		}
	}
	employeesByName := map[string]int{}
	for _, e := range employees {
		employeesByName[foldName(e.Name)]++
	}
	var out []Suggestion
	used := map[string]bool{}
	suggest := func(e Employee, candidates []asana.User, by MatchedBy) bool {
		if len(candidates) != 1 || used[candidates[0].GID] {
			return false
		}
		u := candidates[0]
		used[u.GID] = true
		out = append(out, Suggestion{EmployeeID: e.ID, AsanaUserGID: u.GID, AsanaName: u.Name, By: by})
		return true
	}
	// E-mail first, for everyone: it is the stronger evidence.
	done := map[string]bool{}
	for _, e := range employees {
		if k := foldEmail(e.Email); e.AsanaUserGID == "" && k != "" && suggest(e, byEmail[k], MatchedByEmail) {
			done[e.ID] = true
		}
	}
	for _, e := range employees {
		if k := foldName(e.Name); e.AsanaUserGID == "" && !done[e.ID] && k != "" && employeesByName[k] == 1 {
			suggest(e, byName[k], MatchedByName)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].EmployeeID < out[j].EmployeeID })
	return out, nil
}

func foldEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func foldName(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
