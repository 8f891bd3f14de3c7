package goals_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// A configuration error about one employee says which, as an index a front
// end can map back to the line it read; one about the configuration says
// none.
func TestGoalsConfigError_namesTheEmployee(t *testing.T) {
	for _, tc := range []struct {
		name  string
		emps  []goals.Employee
		index int
		ok    bool
		field string
	}{
		{"empty ID", []goals.Employee{{ID: "a"}, {ID: ""}}, 1, true, "employees[1].ID"},
		{"bad GID", []goals.Employee{{ID: "a", AsanaUserGID: "x1"}}, 0, true, "employees[0].AsanaUserGID"},
		{"ID twice", []goals.Employee{{ID: "a"}, {ID: "b"}, {ID: "a"}}, 2, true, "employees[2].ID"},
		{"GID twice", []goals.Employee{{ID: "a", AsanaUserGID: "5"}, {ID: "b", AsanaUserGID: "5"}}, 1, true, "employees[1].AsanaUserGID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t)
			_, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), tc.emps...)
			var ce *goals.GoalsConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a GoalsConfigError", err)
			}
			if i, ok := ce.Employee(); i != tc.index || ok != tc.ok || ce.Field != tc.field {
				t.Errorf("Employee() = %d, %v; Field %q; want %d, %v, %q", i, ok, ce.Field, tc.index, tc.ok, tc.field)
			}
		})
	}
	err := goals.Config{}.Validate()
	var ce *goals.GoalsConfigError
	if !errors.As(err, &ce) {
		t.Fatal(err)
	}
	if _, ok := ce.Employee(); ok {
		t.Error("a missing workspace is about an employee")
	}
	if _, ok := (&goals.GoalsConfigError{Field: "employees[3].ID"}).Employee(); ok {
		t.Error("an error made outside the package points at an employee")
	}
}

// A host extends Asana's status words with its own Mapper; without one the
// spec's table applies.
func TestConfig_statusMapper(t *testing.T) {
	onHold, err := status.NewMapper(map[string]status.Status{"on_hold": status.AtRisk})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		mapper *status.Mapper
		want   status.Status
	}{
		{"spec's table", nil, status.OnTrack},
		{"host's mapper", onHold, status.AtRisk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, asanafake.Goal{GID: "1", Name: "Paused", OwnerGID: "501", StatusType: "on_hold", SubgoalGIDs: []string{"2"}},
				asanafake.Goal{GID: "2", Name: "Paused too", StatusType: "on_hold"})
			cfg := testConfig()
			cfg.StatusMapper = tc.mapper
			store := goals.NewMemoryStore()
			if _, err := runSync(t, m, store, cfg, ada); err != nil {
				t.Fatal(err)
			}
			g := stored(t, store, "emp-ada")[0]
			if g.Status != tc.want || g.RawStatus != "on_hold" || g.KeyResults[0].Status != tc.want {
				t.Errorf("goal %+v, want %s from on_hold for it and its Key Result", g, tc.want)
			}
		})
	}
}

// RemovalThreshold is a share from 0 to 1: NaN, infinities and values
// outside are refused before any request (a NaN would compare false with
// everything and silently decide the guard).
func TestConfig_Validate_removalThresholdIsAShare(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -0.01, 1.01} {
		cfg := testConfig()
		cfg.RemovalThreshold = v
		var ce *goals.GoalsConfigError
		if err := cfg.Validate(); !errors.As(err, &ce) || ce.Field != "RemovalThreshold" {
			t.Errorf("RemovalThreshold %v: Validate = %v, want a GoalsConfigError about RemovalThreshold", v, err)
		}
	}
	for _, v := range []float64{0, 0.5, 1} {
		cfg := testConfig()
		cfg.RemovalThreshold = v
		if err := cfg.Validate(); err != nil {
			t.Errorf("RemovalThreshold %v: %v", v, err)
		}
	}
}

// An Asana GID is at most 32 digits: a longer number, workspace or user,
// is refused before any request.
func TestConfig_Validate_gidsLongerThan32DigitsAreRefused(t *testing.T) {
	gid32, gid33 := strings.Repeat("1", 32), strings.Repeat("1", 33)
	if err := (goals.Config{WorkspaceGID: gid32}).Validate(); err != nil {
		t.Errorf("32-digit workspace GID: %v", err)
	}
	var ce *goals.GoalsConfigError
	if err := (goals.Config{WorkspaceGID: gid33}).Validate(); !errors.As(err, &ce) || ce.Field != "WorkspaceGID" {
		t.Errorf("33-digit workspace GID: Validate = %v, want a GoalsConfigError about WorkspaceGID", err)
	}
	m := newMock(t, wsOwned("501", 1, 1)...)
	_, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), goals.Employee{ID: "e", AsanaUserGID: gid33})
	if !errors.As(err, &ce) || ce.Field != "employees[0].AsanaUserGID" {
		t.Errorf("33-digit user GID: err = %v, want a GoalsConfigError about employees[0].AsanaUserGID", err)
	}
	if n := m.total(); n != 0 {
		t.Errorf("%d requests before the configuration error", n)
	}
	if _, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), goals.Employee{ID: "e", AsanaUserGID: gid32}); err != nil {
		t.Errorf("32-digit user GID: %v", err)
	}
}

// A window that ends before it starts is a config error: no request.
func TestConfig_Validate_periodEndingBeforeItStartsIsRefused(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"})
	cfg := testConfig()
	cfg.Period = goals.Period{From: h1FY26.To, To: h1FY26.From}
	_, err := runSync(t, m, goals.NewMemoryStore(), cfg, ada)
	var ce *goals.GoalsConfigError
	if !errors.As(err, &ce) || ce.Field != "Period" {
		t.Fatalf("err = %v, want a GoalsConfigError about Period", err)
	}
	if n := m.total(); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

// The pause in force shows in progress, and the ETA counts it.
func TestSyncProgress_ETA_countsThePause(t *testing.T) {
	p := goals.SyncProgress{Phase: "walking", GoalsKept: 10, KeyResultGoalsDone: 4, RequestsPerMinute: 60, Paused: 42 * time.Second}
	if eta, ok := p.ETA(); !ok || eta != 48*time.Second {
		t.Errorf("ETA = %s, %v; want 42 s of pause plus 6 requests at one a second", eta, ok)
	}
	if _, ok := (goals.SyncProgress{}).ETA(); ok {
		t.Error("an ETA without a rate")
	}
}
