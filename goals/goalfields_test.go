package goals_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// A goal's time period is asked for and kept.
func TestTimePeriodPulledAndStored(t *testing.T) {
	d := func(s string) asana.Date { x, _ := asana.ParseDate(s); return x }
	q1 := &asanafake.TimePeriod{GID: "7001", DisplayName: "Q1 FY26", Period: "Q1", StartOn: "2026-01-01", EndOn: "2026-03-31"}
	m := newMock(t,
		asanafake.Goal{GID: "1", Name: "In Q1", OwnerGID: "501", TimePeriod: q1, SubgoalGIDs: []string{"2"}},
		asanafake.Goal{GID: "2", Name: "Sub", TimePeriod: q1},
		asanafake.Goal{GID: "3", Name: "No period", OwnerGID: "501"},
		// A reference without a GID names no period.
		asanafake.Goal{GID: "4", Name: "Broken period", OwnerGID: "501", TimePeriod: &asanafake.TimePeriod{DisplayName: "?"}},
	)
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	gs := stored(t, store, "emp-ada")
	want := goals.TimePeriod{GID: "7001", DisplayName: "Q1 FY26", Period: "Q1", StartOn: d("2026-01-01"), EndOn: d("2026-03-31")}
	if gs[0].TimePeriod == nil || *gs[0].TimePeriod != want {
		t.Errorf("goal 1 time period = %+v, want %+v", gs[0].TimePeriod, want)
	}
	if gs[1].TimePeriod != nil || gs[2].TimePeriod != nil {
		t.Errorf("goals 3 and 4 have time periods %+v, %+v; want none", gs[1].TimePeriod, gs[2].TimePeriod)
	}
	fields := strings.Split(m.optFields("pages")[0], ",")
	for _, f := range []string{"time_period", "time_period.display_name", "time_period.period", "time_period.start_on", "time_period.end_on"} {
		if !slices.Contains(fields, f) {
			t.Errorf("scan opt_fields %v lacks %s", fields, f)
		}
	}
	b, _ := json.Marshal(gs[0])
	if !strings.Contains(string(b), `"time_period":{"gid":"7001","display_name":"Q1 FY26","period":"Q1","start_on":"2026-01-01","end_on":"2026-03-31"}`) {
		t.Errorf("goal JSON %s", b)
	}
}

// With OmitDescriptions, html_notes is never asked for,
// and descriptions are written empty, blanking what an earlier sync stored.
// Sub-goal requests never ask for html_notes: a Key Result has no
// description.
func TestOmitDescriptions(t *testing.T) {
	ws := []asanafake.Goal{
		{GID: "1", Name: "Secret plans", OwnerGID: "501", HTMLNotes: "<body>Layoffs in Q3</body>", SubgoalGIDs: []string{"2", "3"}},
		{GID: "2", Name: "Sub", HTMLNotes: "<body>sub notes</body>"},
		{GID: "3", Name: "Unlisted sub", HTMLNotes: "<body>sub notes</body>", Unlisted: true},
	}
	store := goals.NewMemoryStore()
	m := newMock(t, ws...)
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, store, "emp-ada")[0].Description; got != "Layoffs in Q3" {
		t.Fatalf("description without the option = %q", got)
	}
	for _, f := range m.optFields("subgoals") {
		if slices.Contains(strings.Split(f, ","), "html_notes") {
			t.Errorf("sub-goal request asks for html_notes: %q", f)
		}
	}

	for _, retired := range []bool{false, true} {
		m := newMock(t, ws...)
		m.specPath = !retired
		fetched := fetchedGoals(m)
		cfg := testConfig()
		cfg.OmitDescriptions = true
		rep, err := runSync(t, m, store, cfg, ada)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.DescriptionsOmitted {
			t.Error("report does not say descriptions were omitted")
		}
		gs := stored(t, store, "emp-ada")
		if gs[0].Description != "" || len(gs[0].KeyResults) != 2 {
			t.Errorf("retired=%v: stored %+v; want the description blanked and both key results", retired, gs[0])
		}
		for kind, fs := range map[string][]string{"pages": m.optFields("pages"), "subgoals": m.optFields("subgoals"), "goal": m.optFields("goal")} {
			for _, f := range fs {
				if slices.Contains(strings.Split(f, ","), "html_notes") {
					t.Errorf("retired=%v: %s request asks for html_notes: %q", retired, kind, f)
				}
			}
		}
		if retired {
			checkFetchedAlone(t, fetched(), "3")
		}
	}

	// A source that sends notes anyway (it ignores opt_fields) still has
	// them written empty.
	m = newMock(t, ws...)
	m.ignoreOptFields = true
	cfg := testConfig()
	cfg.OmitDescriptions = true
	if _, err := runSync(t, m, store, cfg, ada); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, store, "emp-ada")[0].Description; got != "" {
		t.Errorf("description from a source that sent notes anyway = %q, want empty", got)
	}
}
