package asana_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
)

// changeResponder answers /users/me with the given Asana-Change values and
// records the Asana-Enable / Asana-Disable headers it receives.
func changeResponder(t *testing.T, h *harness, values []string, got *http.Header) {
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", requireAuth(t, func(req *http.Request) (*http.Response, error) {
		if got != nil {
			*got = req.Header.Clone()
		}
		r := jsonResponse(200, `{"data":{"gid":"1","name":"Ada"}}`)
		for _, v := range values {
			r.Header.Add("Asana-Change", v)
		}
		return r, nil
	}))
}

// Every Asana-Change header is parsed (names, info and affected case
// insensitively, several changes to a header), each change is warned about
// once however often it is announced, and Changes lists each once, as a copy.
func TestClient_Changes_parsedLoggedOnceAndListed(t *testing.T) {
	h := newHarness(t)
	changeResponder(t, h, []string{
		"name=new_goal_memberships;info=https://asana.com/developers/docs/goal-memberships;affected=true",
		"name=string_ids;info=https://asana.com/developers/docs/string-ids, NAME=new_sections ; INFO=https://asana.com/s ; Affected=TRUE",
		"name=string_ids;info=https://asana.com/other;affected=true", // same change again, now affected
	}, nil)
	for range 3 {
		if _, err := h.client.Me(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	want := []asana.Change{
		{Name: "new_goal_memberships", Info: "https://asana.com/developers/docs/goal-memberships", Affected: true, Path: "/users/me"},
		{Name: "string_ids", Info: "https://asana.com/developers/docs/string-ids", Affected: true, Path: "/users/me"},
		{Name: "new_sections", Info: "https://asana.com/s", Affected: true, Path: "/users/me"},
	}
	if got := h.client.Changes(); !slices.Equal(got, want) {
		t.Errorf("Changes() = %+v\nwant %+v", got, want)
	}
	logs := h.logs.String()
	if n := strings.Count(logs, `msg="asana: Asana announced a breaking change"`); n != 3 {
		t.Errorf("%d warnings for 3 changes over 3 requests, want 3:\n%s", n, logs)
	}
	for _, w := range want {
		if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "change="+w.Name) {
			t.Errorf("no warning names %s:\n%s", w.Name, logs)
		}
	}
	// The list is a copy.
	h.client.Changes()[0].Name = "changed"
	if h.client.Changes()[0].Name != "new_goal_memberships" {
		t.Error("Changes() returns the client's own slice")
	}
}

// Asana-Change values a broken or hostile server might send are read
// without harm: an entry without a usable name is skipped, a bad link (not
// http(s), a control character, too long, holding the token) is dropped
// with the change kept, the token never stays in a change, a repeated key
// keeps its first value, and a flood stops at the per-answer and
// per-client bounds.
func TestClient_Changes_skipsBadEntriesAndBoundsFloods(t *testing.T) {
	h := newHarness(t)
	many := make([]string, 0, 40)
	for i := range 40 {
		many = append(many, fmt.Sprintf("name=flood_%d", i))
	}
	changeResponder(t, h, append([]string{
		"",
		";;;,,,",
		"info=https://asana.com/no-name;affected=true",
		"name=;info=https://asana.com/empty-name",
		"name=bad name;info=https://asana.com/space",
		"name=bad\x01ctl",
		"name=" + strings.Repeat("n", 101),
		"name=javascript_link;info=javascript:alert(1)",
		"name=ctl_link;info=https://asana.com/\x00x",
		"name=long_link;info=https://asana.com/" + strings.Repeat("a", 600),
		"name=" + testToken,
		"name=echo;info=https://asana.com/?t=" + testToken,
		"name=first_key_wins;name=second;affected=false;affected=true",
		"name=huge;" + strings.Repeat("x", 5000),
	}, many...), nil)
	if _, err := h.client.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := h.client.Changes()
	names := make([]string, len(got))
	for i, c := range got {
		names[i] = c.Name
		if strings.Contains(c.Name+c.Info, "supersecret") {
			t.Errorf("a change keeps the token: %+v", c)
		}
	}
	wantStart := []string{"javascript_link", "ctl_link", "long_link", "echo", "first_key_wins"}
	if len(names) < len(wantStart) || !slices.Equal(names[:len(wantStart)], wantStart) {
		t.Fatalf("changes %v, want them to start with %v", names, wantStart)
	}
	for _, c := range got[:4] {
		if c.Info != "" {
			t.Errorf("change %s keeps a bad link %q", c.Name, c.Info)
		}
	}
	if got[4].Affected {
		t.Error("a repeated key's second value counted")
	}
	// At most 16 header values are read from one answer, so only the first
	// flood entries get in; and the client never keeps more than MaxChanges.
	if slices.Contains(names, "huge") || slices.Contains(names, "flood_2") {
		t.Errorf("changes %v: values past the bounds were read", names)
	}
	if len(got) > asana.MaxChanges {
		t.Errorf("%d changes kept, more than MaxChanges", len(got))
	}
}

// A client keeps and warns about at most MaxChanges announced changes, and
// says once that further ones are not logged: a server cannot grow its memory
// or its log without bound.
func TestClient_Changes_boundedPerClient(t *testing.T) {
	h := newHarness(t)
	n := 0
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
		r := jsonResponse(200, `{"data":{"gid":"1"}}`)
		for range 10 {
			n++
			r.Header.Add("Asana-Change", fmt.Sprintf("name=change_%d", n))
		}
		return r, nil
	})
	for range 10 {
		if _, err := h.client.Me(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(h.client.Changes()); got != asana.MaxChanges {
		t.Errorf("%d changes kept after 100 announced, want MaxChanges (%d)", got, asana.MaxChanges)
	}
	if n := strings.Count(h.logs.String(), "announced a breaking change"); n != asana.MaxChanges {
		t.Errorf("%d warnings, want %d", n, asana.MaxChanges)
	}
	if n := strings.Count(h.logs.String(), "further ones are not logged"); n != 1 {
		t.Errorf("%d warnings about the bound, want 1", n)
	}
}

// WithAsanaEnable and WithAsanaDisable send their names, deduplicated and
// comma-joined, in one Asana-Enable and one Asana-Disable header; a client
// without them sends neither header.
func TestWithAsanaEnable_andDisableSendTheirHeaders(t *testing.T) {
	var got http.Header
	h := newHarness(t, asana.WithAsanaEnable("new_goal_memberships", "string_ids", "new_goal_memberships"),
		asana.WithAsanaDisable("new_sections"))
	changeResponder(t, h, nil, &got)
	if _, err := h.client.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	if e, d := got.Values("Asana-Enable"), got.Values("Asana-Disable"); !slices.Equal(e, []string{"new_goal_memberships,string_ids"}) ||
		!slices.Equal(d, []string{"new_sections"}) {
		t.Errorf("Asana-Enable %q, Asana-Disable %q", e, d)
	}

	plain := newHarness(t)
	changeResponder(t, plain, nil, &got)
	if _, err := plain.client.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["Asana-Enable"]; ok {
		t.Errorf("a client without the option sends Asana-Enable: %v", got)
	}
	if _, ok := got["Asana-Disable"]; ok {
		t.Errorf("a client without the option sends Asana-Disable: %v", got)
	}
}

// NewClient refuses a change both enabled and disabled (in either order), a
// name with a comma or a line break (header injection) and an empty name.
func TestWithAsanaEnable_andDisableRefuseBadNames(t *testing.T) {
	for name, opts := range map[string][]asana.Option{
		"both":              {asana.WithAsanaEnable("x"), asana.WithAsanaDisable("x")},
		"both, other order": {asana.WithAsanaDisable("x"), asana.WithAsanaEnable("x")},
		"comma":             {asana.WithAsanaEnable("a,b")},
		"newline":           {asana.WithAsanaDisable("a\r\nX-Evil: 1")},
		"empty":             {asana.WithAsanaEnable("")},
	} {
		if _, err := asana.NewClient(testToken, opts...); err == nil {
			t.Errorf("%s: NewClient accepted %d options", name, len(opts))
		}
	}
}

// CheckChangeName accepts what Asana's change names look like and refuses
// anything else, exactly as WithAsanaEnable and WithAsanaDisable do.
func TestCheckChangeName(t *testing.T) {
	long := strings.Repeat("a", 101)
	for name, ok := range map[string]bool{
		"new_goal_memberships":      true,
		"string-ids.v2":             true,
		"X9":                        true,
		strings.Repeat("a", 100):    true,
		"":                          false,
		long:                        false,
		"a,b":                       false,
		"new goal":                  false,
		"a;x=1":                     false,
		"a\r\nX-Evil: 1":            false,
		"caf\u00e9":                 false,
		"name=new_goal_memberships": false,
	} {
		err := asana.CheckChangeName(name)
		if (err == nil) != ok {
			t.Errorf("CheckChangeName(%q) = %v, want ok %v", name, err, ok)
			continue
		}
		for _, opt := range []asana.Option{asana.WithAsanaEnable(name), asana.WithAsanaDisable(name)} {
			if _, cerr := asana.NewClient(testToken, opt); (cerr == nil) != ok {
				t.Errorf("CheckChangeName(%q) = %v, but NewClient says %v", name, err, cerr)
			}
		}
		if ok {
			continue
		}
		msg := err.Error()
		quoted := fmt.Sprintf("%q", name)
		if len(name) > 40 {
			quoted = fmt.Sprintf("%q", name[:40]+"…")
		}
		if !strings.HasPrefix(msg, "asana: ") || !strings.Contains(msg, quoted+" is not an Asana change name") {
			t.Errorf("CheckChangeName(%q) = %q, want the name quoted (cut to 40 bytes)", name, msg)
		}
	}
}

// A token made only of the characters a change name may hold is still
// never kept as a change's name: an echo of the request, not an
// announcement.
func TestClient_Changes_dropEchoedToken(t *testing.T) {
	const token = "supersecret_token_of_name_characters"
	h := newHarnessWithToken(t, token)
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
		r := jsonResponse(200, `{"data":{"gid":"1"}}`)
		r.Header.Add("Asana-Change", "name="+token+";info=https://asana.com/x")
		r.Header.Add("Asana-Change", "name=real_change")
		return r, nil
	})
	if _, err := h.client.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := h.client.Changes(); len(got) != 1 || got[0].Name != "real_change" {
		t.Errorf("Changes() = %+v, want only real_change", got)
	}
}

// A change first announced without a link takes the link a later answer
// gives; a link once known is kept, whatever later answers say.
func TestClient_Changes_takeTheLinkOfALaterAnnouncement(t *testing.T) {
	h := newHarness(t)
	for i, values := range [][]string{
		{"name=new_goal_memberships;affected=false"},
		{"name=new_goal_memberships;info=https://asana.com/developers/docs/goal-memberships"},
		{"name=new_goal_memberships;info=https://asana.com/elsewhere"},
	} {
		changeResponder(t, h, values, nil)
		if _, err := h.client.Me(t.Context()); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	want := []asana.Change{{Name: "new_goal_memberships", Info: "https://asana.com/developers/docs/goal-memberships", Path: "/users/me"}}
	if got := h.client.Changes(); !slices.Equal(got, want) {
		t.Errorf("Changes() = %+v, want %+v", got, want)
	}
}

// A change's link is dropped when it carries credentials or a space; the
// change itself is kept.
func TestClient_Changes_dropsALinkWithCredentialsOrSpaces(t *testing.T) {
	h := newHarness(t)
	changeResponder(t, h, []string{
		"name=with_password;info=https://ada:hunter2@asana.com/x",
		"name=with_user;info=https://ada@asana.com/x",
		"name=with_space;info=https://asana.com/a b",
		"name=with_space_in_query;info=https://asana.com/?q=a b",
		"name=fine;info=https://asana.com/a%20b",
	}, nil)
	if _, err := h.client.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []asana.Change{
		{Name: "with_password", Path: "/users/me"},
		{Name: "with_user", Path: "/users/me"},
		{Name: "with_space", Path: "/users/me"},
		{Name: "with_space_in_query", Path: "/users/me"},
		{Name: "fine", Info: "https://asana.com/a%20b", Path: "/users/me"},
	}
	if got := h.client.Changes(); !slices.Equal(got, want) {
		t.Errorf("Changes() = %+v\nwant %+v", got, want)
	}
}

// A change is affected once any answer said so, and its Path is then the
// first affected request's: later answers, affected or not, change
// neither. Within one answer too, a later "affected=false" does not undo
// an earlier "affected=true".
func TestClient_Changes_affectedAndPathStayWithTheFirstAffectedAnswer(t *testing.T) {
	h := newHarness(t)
	headers := map[string][]string{
		"/goals/1": {"name=x;affected=false"},
		"/goals/2": {"name=x;affected=true"},
		"/goals/3": {"name=x;affected=true"},
		"/goals/4": {"name=x;affected=false", "name=y;affected=true, name=y;affected=false"},
	}
	for path, values := range headers {
		h.mock.RegisterResponder("GET", apiRoot+path, func(*http.Request) (*http.Response, error) {
			r := jsonResponse(200, `{"data":{"gid":"1"}}`)
			for _, v := range values {
				r.Header.Add("Asana-Change", v)
			}
			return r, nil
		})
	}
	wantPath := []string{"/goals/1", "/goals/2", "/goals/2", "/goals/2"}
	for i, gid := range []string{"1", "2", "3", "4"} {
		if _, err := h.client.Goal(context.Background(), gid); err != nil {
			t.Fatal(err)
		}
		got := h.client.Changes()[0]
		if got.Path != wantPath[i] || got.Affected != (i > 0) {
			t.Errorf("after /goals/%s: %+v, want Path %s, affected %v", gid, got, wantPath[i], i > 0)
		}
	}
	if got := h.client.Changes(); len(got) != 2 || got[1] != (asana.Change{Name: "y", Affected: true, Path: "/goals/4"}) {
		t.Errorf("Changes() = %+v, want y affected on /goals/4", got)
	}
}
