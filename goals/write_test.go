package goals_test

import (
	"net/http"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// An employee of whom the sync wrote nothing (the one goal kept could not
// be fetched whole) is reported written "none", not "partial": the store
// holds what it held, untouched.
func TestEmployeeWithNothingWrittenIsReportedNone(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == "subgoals" || kind == "relationships" {
			return asanaError(500, "Server Error"), nil
		}
		return nil, nil
	}
	store := &countingStore{MemoryStore: goals.NewMemoryStore()}
	seed(t, store.MemoryStore, "emp-ada", goals.Goal{GID: "7", Name: "Stored", Status: status.OnTrack})
	rep, err := runSync(t, m, store, testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != "none" || e.GoalsKept != 0 || e.Error == "" {
		t.Errorf("ada = %+v, want written \"none\", nothing kept, the failure in Error", e)
	}
	if n := store.writes.Load(); n != 0 {
		t.Errorf("%d store writes, want none", n)
	}
	if got := gidsOf(stored(t, store, "emp-ada")); got != "7" {
		t.Errorf("ada = %s, want 7 as stored", got)
	}
}
