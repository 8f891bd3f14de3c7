package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/admin"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

func employee(t *testing.T, d admin.Directory, id string) goals.Employee {
	t.Helper()
	emps, err := d.Employees(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range emps {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("no employee %s", id)
	return goals.Employee{}
}

// Every unmapped employee is listed with SuggestMappings' proposal and a
// Confirm button; confirming saves that mapping and nothing else.
func TestEmployees_confirmSavesTheSuggestion(t *testing.T) {
	p := demoPages(t)
	p.connect()
	code, body, _ := p.get("employees")
	if code != http.StatusOK {
		t.Fatalf("GET employees: %d", code)
	}
	for _, want := range []string{"Margaret Hamilton", "Suggested: Asana user Margaret Hamilton (" + asanafake.DemoUnmappedUserGID + ", margaret@acme.example), matched by e-mail address",
		`aria-label="Confirm Margaret Hamilton for Margaret Hamilton"`, `<label for="gid-0">Asana user GID for Margaret Hamilton</label>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
	before, _ := p.dir.Employees(context.Background())
	code, _, hdr := p.post("employees", url.Values{"employee_id": {"emp-004"}, "asana_user_gid": {asanafake.DemoUnmappedUserGID}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "employees?mapped=1" {
		t.Fatalf("confirm: %d %q", code, hdr.Get("Location"))
	}
	after, _ := p.dir.Employees(context.Background())
	for i := range after {
		want := before[i]
		if want.ID == "emp-004" {
			want.AsanaUserGID = asanafake.DemoUnmappedUserGID
		}
		if after[i] != want {
			t.Errorf("after confirming emp-004: %+v, want %+v", after[i], want)
		}
	}
	_, body, _ = p.get("employees?mapped=1")
	if !strings.Contains(body, "Every employee is mapped") || !strings.Contains(body, "The mapping was saved") {
		t.Errorf("after confirming:\n%s", body)
	}
}

// A GID typed by hand is checked against the workspace's users before it
// is saved: garbage, a GID no user of the workspace has, and one of
// another workspace are refused next to the field.
func TestEmployees_typedGIDIsCheckedAgainstTheWorkspace(t *testing.T) {
	for _, c := range []struct{ name, gid, want string }{
		{"empty", "", "Enter the Asana user GID"},
		{"garbage", "margaret", "must be a number"},
		{"a user of no workspace", "1209000000009999", "No user of this workspace has GID 1209000000009999"},
		{"a workspace, not a user", asanafake.DemoWorkspaceGID, "No user of this workspace has GID"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := demoPages(t)
			p.connect()
			code, body, _ := p.post("employees", url.Values{"employee_id": {"emp-004"}, "asana_user_gid": {c.gid}})
			if code != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", code)
			}
			if !strings.Contains(body, `id="gid-0-error"`) || !strings.Contains(body, c.want) {
				t.Errorf("want %q next to the field:\n%s", c.want, body)
			}
			if e := employee(t, p.dir, "emp-004"); e.AsanaUserGID != "" {
				t.Errorf("a refused GID was saved: %+v", e)
			}
		})
	}
	p := demoPages(t)
	p.connect()
	if code, _, _ := p.post("employees", url.Values{"employee_id": {"emp-004"}, "asana_user_gid": {asanafake.DemoUnmappedUserGID}}); code != http.StatusSeeOther {
		t.Errorf("a user of the workspace typed by hand: %d", code)
	}
	if e := employee(t, p.dir, "emp-004"); e.AsanaUserGID != asanafake.DemoUnmappedUserGID {
		t.Errorf("the typed GID was not saved: %+v", e)
	}
}

// Without a connection nothing can be checked, so nothing is saved.
func TestEmployees_mappingNeedsAConnection(t *testing.T) {
	p := demoPages(t)
	code, body, _ := p.post("employees", url.Values{"employee_id": {"emp-004"}, "asana_user_gid": {asanafake.DemoUnmappedUserGID}})
	if code != http.StatusConflict || !strings.Contains(body, "Connect Asana first") {
		t.Errorf("mapping without a connection: %d\n%s", code, body)
	}
	if e := employee(t, p.dir, "emp-004"); e.AsanaUserGID != "" {
		t.Errorf("saved without a check: %+v", e)
	}
	if code, _, _ := p.post("employees", url.Values{"employee_id": {"emp-999"}, "asana_user_gid": {"1"}}); code != http.StatusConflict {
		t.Errorf("an unknown employee without a connection: %d", code)
	}
}

// An unknown employee ID is refused, and nothing changes.
func TestEmployees_unknownEmployeeIsRefused(t *testing.T) {
	p := demoPages(t)
	p.connect()
	before, _ := p.dir.Employees(context.Background())
	asked := p.fake.Stats().Requests
	code, body, _ := p.post("employees", url.Values{"employee_id": {"emp-999"}, "asana_user_gid": {asanafake.DemoUnmappedUserGID}})
	// The page then lists the users for itself (one request); the refusal
	// itself asks Asana nothing.
	if n := p.fake.Stats().Requests - asked; n > 1 {
		t.Errorf("refusing an unknown employee sent %d requests to Asana, want the page's one listing", n)
	}
	if code != http.StatusNotFound || !strings.Contains(body, "no such employee") {
		t.Errorf("an unknown employee: %d\n%s", code, body)
	}
	after, _ := p.dir.Employees(context.Background())
	for i := range after {
		if after[i] != before[i] {
			t.Errorf("an unknown employee's mapping changed %+v", after[i])
		}
	}
}

// The mapped employees show their Asana user; a GID mapped to two
// employees is flagged on both.
func TestEmployees_flagsAGIDMappedTwice(t *testing.T) {
	p := demoPages(t)
	p.connect()
	if err := p.dir.MapEmployee(context.Background(), "emp-004", "1209000000000101"); err != nil {
		t.Fatal(err)
	}
	_, body, _ := p.get("employees")
	if got := strings.Count(body, "one Asana user for two employees"); got != 2 {
		t.Errorf("the shared GID is flagged %d times, want on both employees:\n%s", got, body)
	}
	for _, want := range []string{"Also mapped to emp-004", "Also mapped to emp-001", "<td>Grace Hopper</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
}

// Names from Asana and the host are text: a user named like a script
// link, or an employee named like markup, never becomes a link or a tag.
func TestEmployees_namesStayText(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	for i := range ws.Users {
		if ws.Users[i].GID == asanafake.DemoUnmappedUserGID {
			ws.Users[i].Name = "javascript:alert(1)"
		}
	}
	p := newPages(t, ws, asanafake.DemoOptions(), func(c *admin.Config) {
		c.Directory = admin.NewMemoryDirectory([]goals.Employee{
			{ID: "emp-1", Name: `<img src=x onerror=alert(1)>`, Email: "margaret@acme.example"},
			{ID: "emp-2", Name: `"><script>alert(2)</script>`, AsanaUserGID: asanafake.DemoUnmappedUserGID},
		})
	})
	p.connect()
	_, body, _ := p.get("employees")
	for _, bad := range []string{"<img src=x", "<script>alert", `href="javascript:`, `"><script>`} {
		if strings.Contains(body, bad) {
			t.Errorf("the page renders %q as markup:\n%s", bad, body)
		}
	}
	for _, want := range []string{"&lt;img src=x onerror=alert(1)&gt;", "javascript:alert(1)", "&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks the escaped text %q:\n%s", want, body)
		}
	}
}

// One Asana user's goals go to one employee: a GID already mapped to
// another employee is refused, as is mapping an employee already mapped
// (unmap first); Unmap clears a mapping.
func TestEmployees_mappingsStayOneToOne(t *testing.T) {
	p := demoPages(t)
	p.connect()
	code, body, _ := p.post("employees", url.Values{"employee_id": {"emp-004"}, "asana_user_gid": {"1209000000000101"}})
	if code != http.StatusConflict || !strings.Contains(body, "already mapped to Ada Lovelace (emp-001)") {
		t.Errorf("Ada's GID for Margaret: %d\n%s", code, body)
	}
	if e := employee(t, p.dir, "emp-004"); e.AsanaUserGID != "" {
		t.Errorf("a GID mapped twice was saved: %+v", e)
	}
	code, body, _ = p.post("employees", url.Values{"employee_id": {"emp-001"}, "asana_user_gid": {asanafake.DemoUnmappedUserGID}})
	if code != http.StatusConflict || !strings.Contains(body, "unmap them first") {
		t.Errorf("remapping a mapped employee: %d\n%s", code, body)
	}
	if e := employee(t, p.dir, "emp-001"); e.AsanaUserGID != "1209000000000101" {
		t.Errorf("a mapped employee was remapped: %+v", e)
	}
	_, body, _ = p.get("employees")
	if !strings.Contains(body, `aria-label="Unmap Ada Lovelace"`) {
		t.Errorf("no Unmap button for Ada:\n%s", body)
	}
	if code, _, _ := p.post("employees", url.Values{"employee_id": {"emp-001"}, "action": {"unmap"}}); code != http.StatusSeeOther {
		t.Errorf("unmap: %d", code)
	}
	if e := employee(t, p.dir, "emp-001"); e.AsanaUserGID != "" {
		t.Errorf("unmap left %+v", e)
	}
	if code, _, _ := p.post("employees", url.Values{"employee_id": {"emp-999"}, "action": {"unmap"}}); code != http.StatusNotFound {
		t.Errorf("unmapping an unknown employee: %d, want 404", code)
	}
}

// A value that is not a GID is never shown again: it may be the token,
// pasted into the wrong field.
func TestEmployees_typedNonGIDIsNotEchoed(t *testing.T) {
	p := demoPages(t)
	p.connect()
	_, body, _ := p.post("employees", url.Values{"employee_id": {"emp-004"}, "asana_user_gid": {asanafake.DemoToken}})
	assertNoSecret(t, "the Employees page", body, asanafake.DemoToken)
	if strings.Contains(body, "1209000000000999") {
		t.Errorf("the typed value came back in the page")
	}
}

// Element ids come from row numbers, not from employee IDs: IDs such as
// "x" and "x-error", or one with a space, give no duplicate or split id.
func TestEmployees_idsAreUniqueWhateverTheEmployeeIDs(t *testing.T) {
	p := newPages(t, asanafake.DemoWorkspace(), asanafake.DemoOptions(), func(c *admin.Config) {
		c.Directory = admin.NewMemoryDirectory([]goals.Employee{{ID: "x", Name: "X"}, {ID: "x-error", Name: "Y"}, {ID: "z mapped-heading", Name: "Z"}})
	})
	p.connect()
	_, body, _ := p.post("employees", url.Values{"employee_id": {"x"}, "asana_user_gid": {"nope"}})
	seen := map[string]int{}
	for _, m := range regexp.MustCompile(` id="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		seen[m[1]]++
		if strings.ContainsAny(m[1], " \t") {
			t.Errorf("id %q has a space", m[1])
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("id %q appears %d times", id, n)
		}
	}
}
