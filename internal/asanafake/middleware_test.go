package asanafake

import (
	"encoding/json"
	"net/http"
	"testing"
)

// Options.RefuseStatusType answers as Prism, which enforces Asana's
// description, answers a goal request asking for the status update's
// status_type (listed in no opt_fields): 400 with the description's example
// error body and an sl-violations header naming the entry by its place. A
// request without it is answered as ever; so is every request when the
// option is off.
func TestServer_refuseStatusTypeAnswersAsPrism(t *testing.T) {
	ws := smallWorkspace()
	f := newFakeAPI(t, ws, Options{RefuseStatusType: true, SpecSubgoalPath: true})
	for _, path := range []string{
		"/goals?workspace=100&opt_fields=name,current_status_update.status_type,status",
		"/goals/11?opt_fields=name,current_status_update.status_type,status",
		"/goals/11/subgoals?opt_fields=name,current_status_update.status_type,status",
	} {
		a := f.get(path)
		wantError(t, a, http.StatusBadRequest, "project: Missing input")
		var violations []struct {
			Location []string `json:"location"`
			Code     string   `json:"code"`
			Message  string   `json:"message"`
		}
		if err := json.Unmarshal([]byte(a.header.Get("sl-violations")), &violations); err != nil || len(violations) != 1 {
			t.Fatalf("%s: sl-violations %q (%v)", path, a.header.Get("sl-violations"), err)
		}
		v := violations[0]
		if want := []string{"request", "query", "opt_fields", "1"}; len(v.Location) != 4 || v.Location[2] != want[2] || v.Location[3] != want[3] ||
			v.Code != "enum" || v.Message == "" {
			t.Errorf("%s: violation %+v, want the entry at opt_fields 1", path, v)
		}
	}
	if got := f.srv.Stats().StatusTypeRefusals; got != 3 {
		t.Errorf("StatusTypeRefusals = %d, want 3", got)
	}
	for _, path := range []string{
		"/goals?workspace=100&opt_fields=name,status",
		"/goals/11?opt_fields=name,status",
		"/goals/11",
		"/users/me",
	} {
		if a := f.get(path); a.status != http.StatusOK || a.header.Get("sl-violations") != "" {
			t.Errorf("%s: status %d, sl-violations %q; want 200 without", path, a.status, a.header.Get("sl-violations"))
		}
	}
	off := newFakeAPI(t, ws, Options{})
	a := off.get("/goals/11?opt_fields=current_status_update.status_type")
	if a.status != http.StatusOK {
		t.Fatalf("option off: status %d", a.status)
	}
	if cu, _ := a.json(t)["data"].(map[string]any)["current_status_update"].(map[string]any); cu["status_type"] != "on_track" {
		t.Errorf("option off: current_status_update %v, want its status_type", cu)
	}
}
