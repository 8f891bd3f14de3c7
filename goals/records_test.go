package goals_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// A goal whose owner changes while the scan runs (on page 1 Ada's, on page
// 2 Brian's) is routed once: it is stored under neither employee by this
// sync, both are written partial (nothing removed), and the report counts
// it. It is never stored under both.
func TestOwnerChangedDuringScanIsStoredUnderNeither(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "Ada's", OwnerGID: "501"}, asanafake.Goal{GID: "5", Name: "Moving", OwnerGID: "502"},
		asanafake.Goal{GID: "2", Name: "Brian's", OwnerGID: "502"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind != "pages" {
			return nil, nil
		}
		if req.URL.Query().Get("offset") == "" {
			return rawResp(200, `{"data":[{"gid":"1","name":"Ada's","owner":{"gid":"501"}},{"gid":"5","name":"Moving","owner":{"gid":"501"}}],"next_page":{"offset":"p2"}}`), nil
		}
		return rawResp(200, `{"data":[{"gid":"5","name":"Moving","owner":{"gid":"502"}},{"gid":"2","name":"Brian's","owner":{"gid":"502"}}],"next_page":null}`), nil
	}
	store := goals.NewMemoryStore()
	seed(t, store, "emp-ada", goals.Goal{GID: "7", Name: "Stored", Status: status.OnTrack})
	seed(t, store, "emp-brian", goals.Goal{GID: "8", Name: "Stored", Status: status.OnTrack})
	rep, err := runSync(t, m, store, testConfig(), ada, brian)
	if err != nil {
		t.Fatal(err)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); got != "7,1" {
		t.Errorf("ada = %s, want 7 (kept) and 1; not 5", got)
	}
	if got := gidsOf(stored(t, store, "emp-brian")); got != "8,2" {
		t.Errorf("brian = %s, want 8 (kept) and 2; not 5", got)
	}
	for _, id := range []string{"emp-ada", "emp-brian"} {
		if e := employeeReport(t, rep, id); e.Written != goals.WrittenPartial || !strings.Contains(message(e.Err), "changed owner") ||
			!errors.Is(e.Err, goals.ErrOwnerChanged) {
			t.Errorf("%s = %+v, want partial saying a goal changed owner, Err matching ErrOwnerChanged", id, e)
		}
	}
	if rep.OwnerChanges != 1 {
		t.Errorf("owner_changes = %d, want 1", rep.OwnerChanges)
	}
}

// A record the client cannot read (a date that is no date, a number sent
// as a string, a time period that ends before it starts) is skipped and
// counted with its GID, as a record without a GID is: every write is
// partial, so its stored copy stays as it was, and the rest is synced.
func TestUnreadableRecordIsSkippedAndCounted(t *testing.T) {
	for _, tc := range []struct{ name, fields string }{
		{"impossible day", `"due_on":"2026-02-30"`},
		{"all zeros", `"due_on":"0000-00-00"`},
		{"a date-time", `"start_on":"2026-01-01T00:00:00Z"`},
		{"a number", `"due_on":20260101`},
		{"metric value as a string", `"metric":{"gid":"m","current_number_value":"12"}`},
		{"name as a number", `"name":12`},
		{"time period ending before it starts", `"time_period":{"gid":"tp","display_name":"Q1","start_on":"2026-03-31","end_on":"2026-01-01"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, asanafake.Goal{GID: "1", Name: "Fine", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "Odd", OwnerGID: "501"},
				asanafake.Goal{GID: "3", Name: "Also fine", OwnerGID: "501"})
			m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
				if kind == "pages" {
					return rawResp(200, `{"data":[{"gid":"1","name":"Fine","owner":{"gid":"501"}},`+
						`{"gid":"2","name":"Odd","owner":{"gid":"501"},`+tc.fields+`},`+
						`{"gid":"3","name":"Also fine","owner":{"gid":"501"}}],"next_page":null}`), nil
				}
				return nil, nil
			}
			store := goals.NewMemoryStore()
			seed(t, store, "emp-ada", goals.Goal{GID: "2", Name: "Stored two", Status: status.AtRisk},
				goals.Goal{GID: "9", Name: "Stored nine", Status: status.OnTrack})
			rep, err := runSync(t, m, store, testConfig(), ada)
			if err != nil {
				t.Fatalf("Sync: %v; one unreadable record must not fail the sync", err)
			}
			gs := stored(t, store, "emp-ada")
			if got := gidsOf(gs); got != "2,9,1,3" || gs[0].Name != "Stored two" {
				t.Errorf("stored = %s (%q), want 2 as stored, 9 kept, 1 and 3 written", got, gs[0].Name)
			}
			if rep.MalformedRecords != 1 || len(rep.MalformedRecordGIDs) != 1 || rep.MalformedRecordGIDs[0] != "2" {
				t.Errorf("malformed = %d %v, want 1 naming goal 2", rep.MalformedRecords, rep.MalformedRecordGIDs)
			}
			if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenPartial || !errors.Is(e.Err, asana.ErrMalformedResponse) {
				t.Errorf("ada = %+v, want partial, Err matching asana.ErrMalformedResponse", e)
			}
		})
	}
}

// A name longer than MaxNameRunes (goal or Key Result) is stored cut to
// that many characters, never inside one.
func TestLongNamesAreCappedInTheStore(t *testing.T) {
	long := strings.Repeat("名前🎯 ", 2000) // 8,000 runes
	m := newMock(t, asanafake.Goal{GID: "1", Name: long, OwnerGID: "501", SubgoalGIDs: []string{"2"}}, asanafake.Goal{GID: "2", Name: long})
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	if len(gs) != 1 || len(gs[0].KeyResults) != 1 {
		t.Fatalf("stored %+v", gs)
	}
	for what, name := range map[string]string{"goal": gs[0].Name, "key result": gs[0].KeyResults[0].Name} {
		if n := utf8.RuneCountInString(name); n > goals.MaxNameRunes || n < goals.MaxNameRunes-4 || !utf8.ValidString(name) || !strings.HasPrefix(long, name) {
			t.Errorf("%s name stored with %d runes (valid %v, a prefix %v), want at most %d, cut cleanly", what, n, utf8.ValidString(name), strings.HasPrefix(long, name), goals.MaxNameRunes)
		}
	}
}

// A nil client or store, typed or not, is a configuration error before any
// request, never a panic.
func TestNilClientOrStoreIsAConfigError(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"})
	var nilStore *goals.MemoryStore
	var nilClient *asana.Client
	for name, ing := range map[string]*goals.Ingester{
		"typed nil store":  goals.NewIngester(m.newClient(t), nilStore, testConfig()),
		"nil store":        goals.NewIngester(m.newClient(t), nil, testConfig()),
		"typed nil client": goals.NewIngester(nilClient, goals.NewMemoryStore(), testConfig()),
	} {
		_, err := ing.Sync(t.Context(), []goals.Employee{ada})
		var ce *goals.GoalsConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: err = %v, want a GoalsConfigError", name, err)
		}
	}
	if n := m.total(); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

// A sub-goal relationship without its supporting resource (or one without a
// GID) names no sub-goal: that goal is not written, nothing is removed, and
// the error says why.
func TestRelationshipWithoutSupportingResourceFailsThatGoal(t *testing.T) {
	for name, rel := range map[string]string{
		"null":     `{"gid":"r1","resource_subtype":"subgoal","supporting_resource":null}`,
		"no GID":   `{"gid":"r1","resource_subtype":"subgoal","supporting_resource":{"resource_type":"goal"}}`,
		"left out": `{"gid":"r1","resource_subtype":"subgoal"}`,
	} {
		t.Run(name, func(t *testing.T) {
			m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501"})
			m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
				if kind == "relationships" && gid == "1" {
					return rawResp(200, `{"data":[`+rel+`],"next_page":null}`), nil
				}
				return nil, nil
			}
			store := goals.NewMemoryStore()
			seed(t, store, "emp-ada", goals.Goal{GID: "1", Name: "Stored one", Status: status.OnTrack})
			rep, err := runSync(t, m, store, testConfig(), ada)
			if err != nil {
				t.Fatal(err)
			}
			if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenPartial || !strings.Contains(message(e.Err), "has no supporting resource") {
				t.Errorf("ada = %+v, want partial saying the relationship has no supporting resource", e)
			}
			if gs := stored(t, store, "emp-ada"); gidsOf(gs) != "1,2" || gs[0].Name != "Stored one" {
				t.Errorf("stored = %s (%q), want goal 1 as stored and 2 written", gidsOf(gs), gs[0].Name)
			}
		})
	}
}
