package goals_test

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// connSource is a ConnectionSource from fixed answers.
type connSource struct {
	me       asana.User
	meErr    error
	goals    []asana.Goal
	goalsErr error
	users    []asana.User
	listed   int // goals yielded
	requests int
}

func (s *connSource) Me(context.Context) (asana.User, error) {
	s.requests++
	return s.me, s.meErr
}

func (s *connSource) Goals(context.Context, asana.ListGoalsOptions) iter.Seq2[asana.Goal, error] {
	return func(yield func(asana.Goal, error) bool) {
		s.requests++
		if s.goalsErr != nil {
			yield(asana.Goal{}, s.goalsErr)
			return
		}
		for _, g := range s.goals {
			s.listed++
			if !yield(g, nil) {
				return
			}
		}
	}
}

func (s *connSource) WorkspaceUsers(context.Context, string) iter.Seq2[asana.User, error] {
	return func(yield func(asana.User, error) bool) {
		s.requests++
		for _, u := range s.users {
			if !yield(u, nil) {
				return
			}
		}
	}
}

// CheckConnection succeeds for a token that reaches the workspace, saying
// whether goals are visible after reading at most one; a missing workspace is
// a config error before any request, and a refused token, a free plan, a
// wrong workspace and an account without member access each get a
// message saying what to fix.
func TestCheckConnection(t *testing.T) {
	tests := []struct {
		name    string
		src     *connSource
		ws      string
		want    string
		visible bool
	}{
		{"ok", &connSource{me: asana.User{GID: "7"}, goals: []asana.Goal{{GID: "1"}, {GID: "2"}}}, wsGID, "", true},
		{"ok, no goals yet", &connSource{me: asana.User{GID: "7"}}, wsGID, "", false},
		{"no workspace", &connSource{}, "", "workspace GID is required", false},
		{"bad token", &connSource{meErr: &asana.Error{StatusCode: 401}}, wsGID, "New Access Token", false},
		{"free plan", &connSource{goalsErr: &asana.Error{StatusCode: 402}}, wsGID, "need a paid Asana plan", false},
		{"wrong workspace", &connSource{goalsErr: &asana.Error{StatusCode: 404}}, wsGID, "check the workspace GID", false},
		{"no member access", &connSource{goalsErr: &asana.Error{StatusCode: 403}}, wsGID, "workspace member access", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := goals.CheckConnection(context.Background(), tc.src, tc.ws)
			if tc.want == "" {
				if err != nil || c.GoalsVisible != tc.visible || c.User.GID != "7" {
					t.Fatalf("CheckConnection = %+v, %v", c, err)
				}
				if tc.src.listed > 1 {
					t.Errorf("read %d goals; one is proof enough", tc.src.listed)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var ce *goals.GoalsConfigError
			if errors.As(err, &ce) && tc.src.requests != 0 {
				t.Errorf("a config error made %d requests", tc.src.requests)
			}
		})
	}
}

// The check proves access cheaply: one goal of the workspace's listing
// (limit=1), with its gid and name only, never a page of a hundred goals
// with every field, however many goals the workspace holds.
func TestCheckConnection_readsOneGoalNameOnly(t *testing.T) {
	ws := asanafake.Generate(3, asanafake.DefaultGenConfig(250, 4))
	var (
		mu   sync.Mutex
		reqs []string
		body int
	)
	fake := asanafake.NewServer(ws, asanafake.Options{Tokens: map[string]string{testToken: ws.Users[0].GID}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, r)
		mu.Lock()
		reqs = append(reqs, r.URL.Path+"?"+r.URL.RawQuery)
		if r.URL.Path == "/goals" {
			body += rec.Body.Len()
		}
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	defer srv.Close()
	client, err := asana.NewClient(testToken, asana.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseIdleConnections()
	c, err := goals.CheckConnection(context.Background(), client, ws.GID)
	if err != nil || !c.GoalsVisible || c.User.GID != ws.Users[0].GID {
		t.Fatalf("CheckConnection = %+v, %v", c, err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"/users/me?opt_fields=name%2Cemail", "/goals?limit=1&opt_fields=name&workspace=" + ws.GID}
	if strings.Join(reqs, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(reqs, "\n"), strings.Join(want, "\n"))
	}
	if body > 1000 {
		t.Errorf("GET /goals answered %d bytes: more than one goal's gid and name", body)
	}
}

// SuggestMappings proposes an Asana user for an unmapped employee by e-mail
// (trimmed, any case) first, then by a unique name (any case and spacing); it
// never guesses when a name is shared on either side, never proposes a user
// already mapped, and skips mapped employees.
func TestSuggestMappings(t *testing.T) {
	src := &connSource{users: []asana.User{
		{GID: "1", Name: "Ada Lovelace", Email: "ADA@example.com"},
		{GID: "2", Name: "Grace  Hopper", Email: "grace@other.example"},
		{GID: "3", Name: "Sam Smith", Email: "sam1@example.com"},
		{GID: "4", Name: "Sam Smith", Email: "sam2@example.com"},
		{GID: "5", Name: "Mapped Already", Email: "m@example.com"},
		{GID: "6", Name: "Lin Chen", Email: "lin@example.com"},
	}}
	emps := []goals.Employee{
		{ID: "e1", Email: " ada@example.com", Name: "Someone Else"},
		{ID: "e2", Name: "grace hopper"},                 // by unique name
		{ID: "e3", Name: "Sam Smith"},                    // two Asana users of that name: no guess
		{ID: "e4", AsanaUserGID: "5", Name: "Mapped"},    // mapped: skipped, user 5 never proposed
		{ID: "e5", Email: "m@example.com"},               // would match user 5, who is taken
		{ID: "e6", Name: "Lin Chen"},                     // employee names collide: no guess
		{ID: "e7", Name: "Lin Chen"},                     //
		{ID: "e0", Name: "Ada Lovelace", Email: "x@y.z"}, // user 1 goes to e1 by e-mail first
	}
	got, err := goals.SuggestMappings(context.Background(), src, wsGID, emps)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, s := range got {
		lines = append(lines, s.EmployeeID+"→"+s.AsanaUserGID+" by "+string(s.By))
	}
	if got, want := strings.Join(lines, "; "), "e1→1 by email; e2→2 by name"; got != want {
		t.Errorf("suggestions = %s, want %s", got, want)
	}
}

// An Asana user without a GID cannot be mapped: it is never suggested,
// whether its e-mail or its name matches, and it does not make another
// user's name look shared.
func TestSuggestMappings_skipsUsersWithoutGID(t *testing.T) {
	src := &connSource{users: []asana.User{
		{GID: "", Name: "No gid", Email: "nogid@example.com"},
		{GID: " ", Name: "Blank gid", Email: "blank@example.com"},
		{GID: "", Name: "Lin Chen", Email: "other@example.com"},
		{GID: "6", Name: "Lin Chen", Email: "lin@example.com"},
	}}
	emps := []goals.Employee{
		{ID: "s4", Email: "nogid@example.com"},
		{ID: "s5", Name: "Blank gid"},
		{ID: "s6", Name: "Lin Chen"},
	}
	got, err := goals.SuggestMappings(context.Background(), src, wsGID, emps)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, s := range got {
		lines = append(lines, s.EmployeeID+"→"+s.AsanaUserGID+" by "+string(s.By))
	}
	if got, want := strings.Join(lines, "; "), "s6→6 by name"; got != want {
		t.Errorf("suggestions = %q, want %q", got, want)
	}
}
