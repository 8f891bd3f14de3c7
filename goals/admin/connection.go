package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

// maxTokenBytes bounds a token typed into the form: Asana's are about 50
// characters.
const maxTokenBytes = 512

// connectionView is the Connection page's data. It never holds the token.
type connectionView struct {
	// Saved is the saved connection, without its token.
	Saved     savedConnection
	Connected bool
	// The form's values as typed (never the token).
	WorkspaceGID string
	Rate         int
	Rates        []rateChoice
	Errors       map[string]string // field name → what is wrong
	Findings     []finding
	Workspaces   []asana.Workspace
	Notice       string
	// Unreadable is set when the saved connection could not be read (a
	// seal key changed): the page then takes a new one whole.
	Unreadable bool
}

// savedConnection is what the page says of the saved connection.
type savedConnection struct {
	WorkspaceGID  string
	Rate          int
	TokenSet      bool
	TokenUserName string
	TokenUserGID  string
	CheckedAt     string
}

type rateChoice struct {
	Value    int
	Label    string
	Selected bool
}

// finding is one result of a check, in words, with what to do about it.
type finding struct {
	OK   bool
	Text string
	Fix  string
}

func (h *Handler) loadConnection(ctx context.Context) (Connection, bool, error) {
	c, err := h.cfg.Settings.Connection(ctx)
	if errors.Is(err, ErrNotConnected) {
		return Connection{}, false, nil
	}
	if err != nil {
		return Connection{}, false, err
	}
	return c, true, nil
}

func (h *Handler) connectionPage(w http.ResponseWriter, r *http.Request) {
	conn, ok, err := h.loadConnection(r.Context())
	v := h.newConnectionView(conn, ok)
	if err != nil {
		h.logError("read the saved connection", err, "")
		v.Unreadable = true
	}
	v.WorkspaceGID, v.Rate = conn.WorkspaceGID, conn.RequestsPerMinute
	if r.URL.Query().Get("saved") == "1" {
		v.Notice = "The connection was checked and saved."
	}
	if ok && conn.Token != "" {
		ctx, cancel := h.pageContext(r)
		defer cancel()
		if client, err := h.client(conn.Token, conn.RequestsPerMinute); err == nil {
			v.Workspaces = workspaces(ctx, client)
			client.CloseIdleConnections()
		}
	}
	v.Rates = rateChoices(v.Rate)
	h.render(w, http.StatusOK, "connection", "connection", v)
}

func (h *Handler) newConnectionView(conn Connection, ok bool) *connectionView {
	v := &connectionView{Connected: ok, Errors: map[string]string{}}
	if ok {
		v.Saved = savedConnection{
			WorkspaceGID: conn.WorkspaceGID, Rate: conn.RequestsPerMinute, TokenSet: conn.Token != "",
			TokenUserName: conn.TokenUserName, TokenUserGID: conn.TokenUserGID, CheckedAt: when(conn.CheckedAt),
		}
	}
	return v
}

func rateChoices(selected int) []rateChoice {
	if selected == 0 {
		selected = asana.PaidRequestsPerMinute
	}
	return []rateChoice{
		{asana.PaidRequestsPerMinute, fmt.Sprintf("Paid plan: %d requests a minute", asana.PaidRequestsPerMinute), selected == asana.PaidRequestsPerMinute},
		{asana.FreeRequestsPerMinute, fmt.Sprintf("Free plan: %d requests a minute", asana.FreeRequestsPerMinute), selected == asana.FreeRequestsPerMinute},
	}
}

// connectionForm is a posted Connection form, checked.
type connectionForm struct {
	token        string // "" keeps the saved one
	workspaceGID string
	rate         int
}

// readConnectionForm checks the posted fields. Each problem is put in
// errs under the field's name.
func readConnectionForm(r *http.Request, errs map[string]string) connectionForm {
	f := connectionForm{token: r.PostFormValue("token"), workspaceGID: strings.TrimSpace(r.PostFormValue("workspace_gid"))}
	if choice := r.PostFormValue("workspace_choice"); choice != "" {
		f.workspaceGID = choice
	}
	if msg := tokenProblem(f.token); msg != "" {
		errs["token"] = msg
	}
	if msg := gidProblem(f.workspaceGID, "Workspace GID", "Enter the Workspace GID: the number in your Asana workspace URL, or from Admin Console → Workspace settings."); msg != "" {
		errs["workspace_gid"] = msg
	}
	rate, err := strconv.Atoi(r.PostFormValue("rate"))
	if err != nil || (rate != asana.PaidRequestsPerMinute && rate != asana.FreeRequestsPerMinute) {
		errs["rate"] = "Choose the plan's rate: paid or free."
	}
	f.rate = rate
	return f
}

// tokenProblem says what is wrong with a typed token, or "". It never
// quotes the token.
func tokenProblem(t string) string {
	switch {
	case t == "":
		return ""
	case len(t) > maxTokenBytes:
		return fmt.Sprintf("That is longer than any Asana token (over %d characters). Copy the token again.", maxTokenBytes)
	case strings.ContainsFunc(t, func(r rune) bool { return r == '\n' || r == '\r' }):
		return "The token has a line break in it. Paste it again, on one line."
	case strings.ContainsFunc(t, func(r rune) bool { return r == ' ' || r == '\t' }):
		return "The token has a space in it. Asana tokens have none: paste it again without spaces."
	case !utf8.ValidString(t) || strings.ContainsFunc(t, func(r rune) bool { return r < 0x21 || r > 0x7e }):
		return "The token has a character no Asana token has. Copy it again from Asana."
	}
	return ""
}

// gidProblem says what is wrong with a typed GID, or "".
func gidProblem(gid, what, empty string) string {
	switch {
	case gid == "":
		return empty
	case !asana.IsGID(gid):
		// The value is not quoted: it may be a token pasted into the
		// wrong field.
		return fmt.Sprintf("%s must be a number of up to %d digits (it is the number in the Asana URL); what was entered is not.",
			what, asana.MaxGIDDigits)
	}
	return ""
}

func (h *Handler) connectionPost(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r, "connection") {
		return
	}
	// A connection that cannot be read (a seal key changed) is replaced
	// whole: the form must then carry a token.
	conn, ok, err := h.loadConnection(r.Context())
	v := h.newConnectionView(conn, ok)
	if err != nil {
		h.logError("read the saved connection", err, "")
		v.Unreadable = true
	}
	f := readConnectionForm(r, v.Errors)
	v.Rate, v.Rates = f.rate, rateChoices(f.rate)
	if asana.IsGID(f.workspaceGID) {
		// Anything else is not shown again: a token pasted into the
		// wrong field must not come back in the page.
		v.WorkspaceGID = f.workspaceGID
	}
	token := f.token
	if token == "" && v.Errors["token"] == "" {
		token = conn.Token
		if token == "" {
			v.Errors["token"] = "Enter the Personal Access Token (Asana: Profile → My Settings → Apps → Developer Apps → New Access Token)."
		}
	}
	if len(v.Errors) > 0 {
		h.render(w, http.StatusUnprocessableEntity, "connection", "connection", v)
		return
	}
	ctx, cancel := h.pageContext(r)
	defer cancel()
	checked, ok := h.check(ctx, v, token, f)
	if ok && r.PostFormValue("action") == "save" {
		saved := Connection{WorkspaceGID: f.workspaceGID, RequestsPerMinute: f.rate, Token: token,
			TokenUserGID: checked.User.GID, TokenUserName: checked.User.Name, CheckedAt: h.cfg.Now()}
		if err := h.cfg.Settings.SaveConnection(r.Context(), saved); errors.Is(err, ErrNoSealKey) {
			v.Errors["token"] = "This server has no key to seal the token with, so it keeps none: its operator must give it one " +
				"(goalsync: the environment variable ASANAGOALS_SEAL_KEY; a host: sqlstore.WithSealKey). Nothing was saved."
			h.render(w, http.StatusServiceUnavailable, "connection", "connection", v)
			return
		} else if err != nil {
			h.fail(w, "connection", "The connection could not be saved", err, token)
			return
		}
		// A confirmation of removals was for what the old connection saw.
		h.runner.forgetConfirmation()
		seeOther(w, "connection?saved=1")
		return
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, status, "connection", "connection", v)
}

// check runs CheckConnection with token and puts its findings, in words,
// into v; ok is false when the connection cannot be used.
func (h *Handler) check(ctx context.Context, v *connectionView, token string, f connectionForm) (goals.Connection, bool) {
	client, err := h.client(token, f.rate)
	if err != nil {
		v.Errors["token"] = "The token cannot be used: it has characters no Asana token has."
		return goals.Connection{}, false
	}
	defer client.CloseIdleConnections()
	c, err := goals.CheckConnection(ctx, client, f.workspaceGID)
	if err != nil {
		fd, field := findingOf(err, f.workspaceGID, token)
		v.Findings = append(v.Findings, fd)
		if field != "" {
			v.Errors[field] = fd.Text
		}
		if field != "token" {
			v.Workspaces = workspaces(ctx, client)
		}
		return c, false
	}
	v.Findings = append(v.Findings, finding{OK: true,
		Text: fmt.Sprintf("The token works: it belongs to Asana user %s (%s).", c.User.Name, c.User.GID),
		Fix:  "A service account's token is best: a person's stops working when they leave."})
	if c.GoalsVisible {
		v.Findings = append(v.Findings, finding{OK: true, Text: "The token's user can read the workspace's goals."})
	} else {
		v.Findings = append(v.Findings, finding{Text: "The workspace shows no goal to this token.",
			Fix: "If it has goals, the token's user needs workspace member access to see them."})
	}
	v.Workspaces = workspaces(ctx, client)
	return c, true
}

// findingOf turns CheckConnection's error into words and the field at
// fault.
func findingOf(err error, workspaceGID, token string) (finding, string) {
	switch {
	case errors.Is(err, asana.ErrUnauthorized):
		return finding{Text: "Asana refused the token: it is wrong, expired or revoked.",
			Fix: "Generate a new one in Asana (Profile → My Settings → Apps → Developer Apps → New Access Token) and paste it here."}, "token"
	case errors.Is(err, asana.ErrPaymentRequired):
		return finding{Text: fmt.Sprintf("Workspace %s has no Asana Goals: they need a paid Asana plan.", workspaceGID),
			Fix: "Upgrade the workspace's plan, or enter the GID of a workspace that has Goals."}, "workspace_gid"
	case errors.Is(err, asana.ErrNotFound):
		return finding{Text: fmt.Sprintf("Asana knows no workspace %s that this token can see.", workspaceGID),
			Fix: "Check the Workspace GID: the number in your Asana workspace URL, or choose one of the workspaces below."}, "workspace_gid"
	case errors.Is(err, asana.ErrForbidden):
		return finding{Text: fmt.Sprintf("The token's user cannot read workspace %s.", workspaceGID),
			Fix: "Give the token's user workspace member access, or use the token of a member (a service account is best)."}, "workspace_gid"
	}
	var ce *goals.GoalsConfigError
	if errors.As(err, &ce) {
		return finding{Text: ce.Problem, Fix: "Correct the Workspace GID."}, "workspace_gid"
	}
	return finding{Text: "Asana could not be asked: " + asana.NewRedactor(token).String(err.Error()),
		Fix: "Try again in a minute; if it persists, check this server's network access to Asana."}, ""
}

// workspaces lists the workspaces the client's token can see, for the
// page's choice; nil when they cannot be listed (the check says why).
func workspaces(ctx context.Context, client *asana.Client) []asana.Workspace {
	var out []asana.Workspace
	for ws, err := range client.Workspaces(ctx) {
		if err != nil {
			return nil
		}
		out = append(out, ws)
	}
	return out
}

// logError logs what failed, with the token (when known) redacted. The
// pages show their own words instead: a host's store error may hold
// anything.
func (h *Handler) logError(what string, err error, token string) {
	msg := err.Error()
	if token != "" {
		msg = asana.NewRedactor(token).String(msg)
	}
	h.log.Error("admin: "+what, "error", msg)
}

// fail answers 500 with a message that says what failed. The error's
// text is logged, never shown: a host's store error may hold anything.
func (h *Handler) fail(w http.ResponseWriter, nav, what string, err error, token string) {
	h.logError(what, err, token)
	h.render(w, http.StatusInternalServerError, "error", nav, errorPage{Message: what + "; the server's log says why. Nothing was changed."})
}
