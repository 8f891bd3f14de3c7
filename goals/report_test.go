package goals_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// The report's JSON form names how each employee was written with the
// words hosts and the command read: "complete" (the store equals Asana),
// "partial" (upserted, nothing removed), "none" (untouched); and the
// sub-goal path with Asana's names for it.
func TestReport_jsonNamesHowEachEmployeeWasWritten(t *testing.T) {
	m := newMock(t,
		asanafake.Goal{GID: "11", Name: "Ada's", OwnerGID: "501"},
		asanafake.Goal{GID: "21", Name: "Brian's, broken", OwnerGID: "502"},
		asanafake.Goal{GID: "22", Name: "Brian's", OwnerGID: "502"},
		asanafake.Goal{GID: "31", Name: "Cleo's, broken", OwnerGID: "503"},
	)
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if (gid == "21" || gid == "31") && (kind == "subgoals" || kind == "relationships") {
			return asanaError(500, "Server Error"), nil
		}
		return nil, nil
	}
	cfg := testConfig()
	cfg.Concurrency = 1 // goal 11 finds the path
	rep, err := runSync(t, m, goals.NewMemoryStore(), cfg, ada, brian, cleo)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		SubgoalSource string `json:"subgoal_source"`
		Employees     []struct {
			EmployeeID string `json:"employee_id"`
			Written    string `json:"written"`
		} `json:"employees"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"emp-ada": "complete", "emp-brian": "partial", "emp-cleo": "none"}
	if len(got.Employees) != len(want) {
		t.Fatalf("employees = %+v, want %d", got.Employees, len(want))
	}
	for _, e := range got.Employees {
		if e.Written != want[e.EmployeeID] {
			t.Errorf("%s: \"written\":%q, want %q", e.EmployeeID, e.Written, want[e.EmployeeID])
		}
	}
	if got.SubgoalSource != "goal_relationships" {
		t.Errorf("\"subgoal_source\":%q, want \"goal_relationships\"", got.SubgoalSource)
	}
}

// employeeReportWithText is the shape EmployeeReport's JSON form had when
// the reasons were a string field of their own: the command's -format json
// and the kept sync reports must stay byte for byte what it wrote.
type employeeReportWithText struct {
	EmployeeID         string          `json:"employee_id"`
	AsanaUserGID       string          `json:"asana_user_gid"`
	GoalsOwned         int             `json:"goals_owned"`
	GoalsKept          int             `json:"goals_kept"`
	KeyResults         int             `json:"key_results"`
	Truncated          bool            `json:"truncated"`
	GoalsOutsidePeriod int             `json:"goals_outside_period"`
	Written            goals.WriteKind `json:"written"`
	RemovalsHeld       int             `json:"removals_held,omitempty"`
	Error              string          `json:"error,omitempty"`
}

// An EmployeeReport's JSON form writes Err's message as "error", after the
// other fields, and omits it for a nil Err: byte for byte what a string
// field of that name wrote, through json.Marshal and through an encoder
// that does not escape HTML and indents (as goalsync -format json does),
// for a message with HTML, quotes, a line separator and invalid UTF-8 too.
func TestEmployeeReport_MarshalJSON(t *testing.T) {
	text := "GET /goals?workspace=1&limit=100: <b>\"quoted\"</b> \u2028 \xff done"
	for _, tc := range []struct {
		name string
		err  error
		text string
	}{
		{"no error", nil, ""},
		{"error", fmt.Errorf("%s: %w", text, errors.New("cause")), text + ": cause"},
	} {
		e := goals.EmployeeReport{EmployeeID: "emp-<1>", AsanaUserGID: "501", GoalsOwned: 3, GoalsKept: 2, KeyResults: 4,
			Truncated: true, GoalsOutsidePeriod: 1, Written: goals.WrittenPartial, RemovalsHeld: 5, Err: tc.err}
		old := employeeReportWithText{EmployeeID: e.EmployeeID, AsanaUserGID: e.AsanaUserGID, GoalsOwned: e.GoalsOwned,
			GoalsKept: e.GoalsKept, KeyResults: e.KeyResults, Truncated: e.Truncated, GoalsOutsidePeriod: e.GoalsOutsidePeriod,
			Written: e.Written, RemovalsHeld: e.RemovalsHeld, Error: tc.text}
		for _, escapeHTML := range []bool{true, false} {
			encode := func(v any) string {
				var b bytes.Buffer
				enc := json.NewEncoder(&b)
				enc.SetEscapeHTML(escapeHTML)
				enc.SetIndent("", "  ")
				if err := enc.Encode(v); err != nil {
					t.Fatal(err)
				}
				return b.String()
			}
			if got, want := encode([]goals.EmployeeReport{e}), encode([]employeeReportWithText{old}); got != want {
				t.Errorf("%s, escapeHTML %v: encoded\n%s\nwant\n%s", tc.name, escapeHTML, got, want)
			}
		}
		got, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := json.Marshal(old); !bytes.Equal(got, want) {
			t.Errorf("%s: json.Marshal = %s, want %s", tc.name, got, want)
		}
	}
}

// An EmployeeReport decoded from its JSON form has every field back, and an
// Err with the message alone (the errors it wrapped are not in the JSON
// form); an absent or empty "error" is a nil Err.
func TestEmployeeReport_UnmarshalJSON(t *testing.T) {
	cause := errors.New("database is locked")
	e := goals.EmployeeReport{EmployeeID: "emp-1", AsanaUserGID: "501", GoalsOwned: 3, GoalsKept: 2, KeyResults: 4,
		Truncated: true, GoalsOutsidePeriod: 1, Written: goals.WrittenPartial, RemovalsHeld: 5,
		Err: fmt.Errorf("store write failed: %w", cause)}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got goals.EmployeeReport
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Err == nil || got.Err.Error() != e.Err.Error() {
		t.Errorf("Err read back = %v, want the message %q", got.Err, e.Err.Error())
	}
	if errors.Is(got.Err, cause) {
		t.Errorf("Err read back wraps %v; the JSON form has the message alone", cause)
	}
	want := e
	want.Err, got.Err = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %+v, want %+v", got, want)
	}
	for _, in := range []string{`{"employee_id":"emp-1"}`, `{"employee_id":"emp-1","error":""}`} {
		var e goals.EmployeeReport
		if err := json.Unmarshal([]byte(in), &e); err != nil || e.Err != nil || e.EmployeeID != "emp-1" {
			t.Errorf("%s: read back %+v, %v; want emp-1 with a nil Err", in, e, err)
		}
	}
	if err := json.Unmarshal([]byte(`{"goals_kept":"two"}`), new(goals.EmployeeReport)); err == nil {
		t.Error(`{"goals_kept":"two"} decoded without an error`)
	}
}

// Asana's own words can carry the token (a gateway echoing the request's
// headers): neither the error nor the report may. runSync checks both for
// the token; this test makes sure there is one to find.
func TestIngester_Sync_echoedTokenStaysOutOfReport(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501"})
	echo := "Authorization: Bearer " + testToken
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		switch {
		case kind == m.listingKind() && gid == "1":
			return asanaError(500, "upstream said: "+echo), nil
		case kind == m.listingKind() && gid == "2":
			return textResp(502, "<html><body><pre>"+echo+"</pre></body></html>"), nil
		}
		return nil, nil
	}
	rep, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	e := employeeReport(t, rep, "emp-ada")
	if !strings.Contains(message(e.Err), "upstream said: Authorization: Bearer [redacted]") {
		t.Errorf("ada's error = %q, want Asana's words with the token redacted", message(e.Err))
	}
}
