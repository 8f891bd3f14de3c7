package admin_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/perfcopilot/asanagoals/goals/admin"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// Saving checks the token first, keeps it, and from then on the page says
// whose it is and when it was checked, without ever rendering it.
func TestConnection_saveKeepsTheTokenAndNeverShowsIt(t *testing.T) {
	p := demoPages(t)
	p.connect()
	c, err := p.settings.Connection(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Token != asanafake.DemoToken || c.WorkspaceGID != asanafake.DemoWorkspaceGID || c.RequestsPerMinute != 1500 ||
		c.TokenUserGID != asanafake.DemoServiceAccountGID || c.TokenUserName != "PerfCopilot service account" || c.CheckedAt.IsZero() {
		t.Errorf("saved connection %+v", c)
	}
	code, body, _ := p.get("connection")
	if code != http.StatusOK {
		t.Fatalf("GET connection: %d", code)
	}
	want := "A token is set, belonging to Asana user PerfCopilot service account (" + asanafake.DemoServiceAccountGID + "), checked at " +
		c.CheckedAt.UTC().Format("2006-01-02 15:04 UTC")
	if !strings.Contains(body, want) {
		t.Errorf("the page does not say %q:\n%s", want, body)
	}
	assertNoSecret(t, "the Connection page", body, asanafake.DemoToken)
	if strings.Contains(body, "••") || strings.Contains(body, "****") {
		t.Errorf("the page shows the token masked:\n%s", body)
	}
	if !strings.Contains(body, "Acme Robotics") {
		t.Errorf("the page offers no choice among the token's workspaces:\n%s", body)
	}
	assertNoSecret(t, "the log", p.log.String(), asanafake.DemoToken)
}

// assertNoSecret fails when text holds the secret part of a token, in any
// case, escaped for HTML or URLs.
func assertNoSecret(t *testing.T, what, text, token string) {
	t.Helper()
	secret := token[strings.LastIndex(token, ":")+1:]
	lower := strings.ToLower(text)
	for _, form := range []string{secret, url.QueryEscape(secret), strings.ReplaceAll(secret, "0", "&#48;")} {
		if strings.Contains(lower, strings.ToLower(form)) {
			t.Errorf("%s holds the token (as %q)", what, form)
		}
	}
}

// A token Asana refuses is not saved; the page says so next to the
// field, with what to do, and does not echo it.
func TestConnection_wrongTokenIsRefusedWithoutEcho(t *testing.T) {
	p := demoPages(t)
	wrong := "2/1209000000000199/1209000000000999:wrong0secret0value0abc"
	code, body, _ := p.post("connection", url.Values{"token": {wrong}, "workspace_gid": {asanafake.DemoWorkspaceGID},
		"rate": {"1500"}, "action": {"save"}})
	if code != http.StatusUnprocessableEntity {
		t.Errorf("saving a wrong token: %d, want 422", code)
	}
	for _, want := range []string{`id="token-error"`, "Asana refused the token", "New Access Token"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
	assertNoSecret(t, "the page", body, wrong)
	assertNoSecret(t, "the log", p.log.String(), wrong)
	if _, err := p.settings.Connection(context.Background()); err != admin.ErrNotConnected {
		t.Errorf("a refused token was saved: %v", err)
	}
}

// "Check connection" says what it found, in words, and saves nothing.
func TestConnection_checkShowsFindingsAndSavesNothing(t *testing.T) {
	p := demoPages(t)
	code, body, _ := p.post("connection", url.Values{"token": {asanafake.DemoToken}, "workspace_gid": {asanafake.DemoWorkspaceGID},
		"rate": {"150"}, "action": {"check"}})
	if code != http.StatusOK {
		t.Errorf("check: %d", code)
	}
	for _, want := range []string{"The token works: it belongs to Asana user PerfCopilot service account",
		"can read the workspace&#39;s goals", "Acme Robotics (" + asanafake.DemoWorkspaceGID + ")"} {
		if !strings.Contains(body, want) {
			t.Errorf("the check lacks %q:\n%s", want, body)
		}
	}
	assertNoSecret(t, "the page", body, asanafake.DemoToken)
	if _, err := p.settings.Connection(context.Background()); err != admin.ErrNotConnected {
		t.Errorf("a check saved the connection: %v", err)
	}
}

// Each of CheckConnection's failures reads as what is wrong and what to
// fix: a plan without Goals, a GID Asana does not know, no member access.
func TestConnection_checkSaysWhatToFix(t *testing.T) {
	other := "1209000000000777"
	for _, c := range []struct {
		name  string
		opts  func(*asanafake.Options)
		gid   string
		wants []string
	}{
		{"plan without Goals", func(o *asanafake.Options) { o.PaymentRequired = true }, asanafake.DemoWorkspaceGID,
			[]string{"has no Asana Goals", "paid Asana plan", "Upgrade"}},
		{"wrong GID", nil, other, []string{"Asana knows no workspace " + other, "Check the Workspace GID"}},
		{"no member access", func(o *asanafake.Options) {
			o.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != "/goals" {
					return false
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte(`{"errors":[{"message":"Forbidden"}]}`))
				return true
			}
		}, asanafake.DemoWorkspaceGID, []string{"cannot read workspace", "member access"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := asanafake.DemoOptions()
			if c.opts != nil {
				c.opts(&opts)
			}
			p := newPages(t, asanafake.DemoWorkspace(), opts, nil)
			code, body, _ := p.post("connection", url.Values{"token": {asanafake.DemoToken}, "workspace_gid": {c.gid},
				"rate": {"1500"}, "action": {"save"}})
			if code != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", code)
			}
			if !strings.Contains(body, `id="workspace_gid-error"`) {
				t.Errorf("no message next to the Workspace GID field:\n%s", body)
			}
			for _, want := range c.wants {
				if !strings.Contains(body, want) {
					t.Errorf("the page lacks %q:\n%s", want, body)
				}
			}
			if _, err := p.settings.Connection(context.Background()); err != admin.ErrNotConnected {
				t.Errorf("saved despite the failed check: %v", err)
			}
		})
	}
}

// Bad input gets a clear message next to its field, and nothing is
// saved (nor is Asana asked).
func TestConnection_badInputIsRefusedNextToItsField(t *testing.T) {
	base := url.Values{"token": {asanafake.DemoToken}, "workspace_gid": {asanafake.DemoWorkspaceGID}, "rate": {"1500"}, "action": {"save"}}
	for _, c := range []struct {
		name, field, value, errID, want string
	}{
		{"empty GID", "workspace_gid", "", "workspace_gid-error", "Enter the Workspace GID"},
		{"garbage GID", "workspace_gid", "acme<b>", "workspace_gid-error", "must be a number"},
		{"token with a space", "token", "2/12 34:abc", "token-error", "has a space"},
		{"token with a newline", "token", "2/1234:abc\ndef", "token-error", "line break"},
		{"token with a non-ASCII character", "token", "2/1234:abcé", "token-error", "character no Asana token has"},
		{"unknown rate", "rate", "99999", "rate-error", "Choose the plan"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := demoPages(t)
			form := url.Values{}
			for k, v := range base {
				form[k] = v
			}
			form.Set(c.field, c.value)
			code, body, _ := p.post("connection", form)
			if code != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", code)
			}
			if !strings.Contains(body, `id="`+c.errID+`"`) || !strings.Contains(body, c.want) {
				t.Errorf("want %q in #%s:\n%s", c.want, c.errID, body)
			}
			if strings.Contains(body, "acme<b>") {
				t.Errorf("the typed GID is rendered as HTML")
			}
			if _, err := p.settings.Connection(context.Background()); err != admin.ErrNotConnected {
				t.Errorf("saved despite bad input: %v", err)
			}
			if n := p.fake.Stats().Requests; n != 0 {
				t.Errorf("bad input still asked Asana (%d requests)", n)
			}
		})
	}
}

// A form far larger than any honest one is refused whole.
func TestConnection_oversizedFormIsRefused(t *testing.T) {
	p := demoPages(t)
	code, body, _ := p.post("connection", url.Values{"token": {asanafake.DemoToken}, "workspace_gid": {asanafake.DemoWorkspaceGID},
		"rate": {"1500"}, "action": {"save"}, "pad": {strings.Repeat("x", 1<<20)}})
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "nothing was saved") {
		t.Errorf("a 1 MB form: %d\n%s", code, body)
	}
	if _, err := p.settings.Connection(context.Background()); err != admin.ErrNotConnected {
		t.Errorf("saved from an oversized form: %v", err)
	}
}

// Leaving the token empty keeps the saved one: the person need not (and
// cannot) see it to change the workspace or the rate.
func TestConnection_emptyTokenKeepsTheSavedOne(t *testing.T) {
	p := demoPages(t)
	p.connect()
	code, _, _ := p.post("connection", url.Values{"workspace_gid": {asanafake.DemoWorkspaceGID}, "rate": {"150"}, "action": {"save"}})
	if code != http.StatusSeeOther {
		t.Fatalf("save without a token: %d", code)
	}
	c, _ := p.settings.Connection(context.Background())
	if c.Token != asanafake.DemoToken || c.RequestsPerMinute != 150 {
		t.Errorf("after saving without a token: rate %d, token kept %v", c.RequestsPerMinute, c.Token == asanafake.DemoToken)
	}
}

// Choosing a workspace from the list the token sees wins over the typed
// GID.
func TestConnection_chosenWorkspaceIsSaved(t *testing.T) {
	p := demoPages(t)
	code, _, _ := p.post("connection", url.Values{"token": {asanafake.DemoToken}, "workspace_gid": {""},
		"workspace_choice": {asanafake.DemoWorkspaceGID}, "rate": {"1500"}, "action": {"save"}})
	if code != http.StatusSeeOther {
		t.Fatalf("save with a chosen workspace: %d", code)
	}
	if c, _ := p.settings.Connection(context.Background()); c.WorkspaceGID != asanafake.DemoWorkspaceGID {
		t.Errorf("saved workspace %q", c.WorkspaceGID)
	}
}

// unreadableSettings fails to read a saved connection, as a store whose
// seal key changed does, until a new one is saved.
type unreadableSettings struct {
	admin.MemorySettings
	saved atomic.Bool
}

func (s *unreadableSettings) Connection(ctx context.Context) (admin.Connection, error) {
	if !s.saved.Load() {
		return admin.Connection{}, errors.New("open the saved token: it does not open with this seal key")
	}
	return s.MemorySettings.Connection(ctx)
}

func (s *unreadableSettings) SaveConnection(ctx context.Context, c admin.Connection) error {
	s.saved.Store(true)
	return s.MemorySettings.SaveConnection(ctx, c)
}

// A saved connection that cannot be read (its seal key changed) does not
// lock the admin out: every page says so, and saving a new token
// replaces it.
func TestConnection_unreadableConnectionCanBeReplaced(t *testing.T) {
	settings := &unreadableSettings{}
	p := newPages(t, asanafake.DemoWorkspace(), asanafake.DemoOptions(), func(c *admin.Config) { c.Settings = settings })
	for _, page := range []string{"connection", "employees", "sync"} {
		code, body, _ := p.get(page)
		if code != http.StatusOK || !strings.Contains(body, "could not be read") {
			t.Errorf("GET %s with an unreadable connection: %d\n%s", page, code, body)
		}
		if strings.Contains(body, "seal key") && page != "connection" {
			t.Errorf("GET %s shows the store's error text", page)
		}
	}
	if code, body, _ := p.post("sync", url.Values{"action": {"start"}}); code != http.StatusConflict || !strings.Contains(body, "save it again") {
		t.Errorf("Sync now with an unreadable connection: %d\n%s", code, body)
	}
	p.connect()
	if c, err := settings.Connection(context.Background()); err != nil || c.Token != asanafake.DemoToken {
		t.Errorf("after saving again: %+v, %v", c, err)
	}
}

// A token pasted into the Workspace GID field (or the workspace choice)
// is not shown again, neither in the field nor in its message.
func TestConnection_tokenInTheGIDFieldIsNotEchoed(t *testing.T) {
	p := demoPages(t)
	for _, field := range []string{"workspace_gid", "workspace_choice"} {
		form := url.Values{"token": {asanafake.DemoToken}, "workspace_gid": {asanafake.DemoWorkspaceGID}, "rate": {"1500"}, "action": {"check"}}
		form.Set(field, asanafake.DemoToken)
		code, body, _ := p.post("connection", form)
		if code != http.StatusUnprocessableEntity {
			t.Errorf("a token in %s: %d, want 422", field, code)
		}
		assertNoSecret(t, "the page after a token in "+field, body, asanafake.DemoToken)
		if strings.Contains(body, "1209000000000999") {
			t.Errorf("a token in %s: part of it is in the page", field)
		}
	}
}
