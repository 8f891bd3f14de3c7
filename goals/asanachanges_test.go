package goals_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// Asana-Change headers reach the report through the
// client, each change once, and are logged once per client.
func TestAsanaChangesInReport(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501", SubgoalGIDs: []string{"2"}}, asanafake.Goal{GID: "2", Name: "B"})
	m.header = http.Header{"Asana-Change": {
		"name=new_goal_memberships;info=https://asana.com/developers/docs/change-1;affected=true",
		"name=string_ids;info=https://asana.com/developers/docs/change-2, name=new_goal_memberships;info=https://asana.com/x",
	}}
	var logs bytes.Buffer
	client := m.newClient(t, asana.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	ing := goals.NewIngester(client, goals.NewMemoryStore(), testConfig())
	for range 2 {
		rep, err := ing.Sync(t.Context(), []goals.Employee{ada})
		if err != nil {
			t.Fatal(err)
		}
		want := []asana.Change{
			{Name: "new_goal_memberships", Info: "https://asana.com/developers/docs/change-1", Affected: true, Path: "/goals"},
			{Name: "string_ids", Info: "https://asana.com/developers/docs/change-2", Path: "/goals"},
		}
		if !slices.Equal(rep.AsanaChanges, want) {
			t.Errorf("report changes = %+v, want %+v", rep.AsanaChanges, want)
		}
	}
	if n := strings.Count(logs.String(), "level=WARN msg=\"asana: Asana announced a breaking change\""); n != 2 {
		t.Errorf("%d warnings for 2 changes over 2 syncs and many requests:\n%s", n, logs.String())
	}
}

// A source that does not report changes leaves the list empty, not null.
func TestAsanaChangesEmptyList(t *testing.T) {
	rep, err := runSync(t, newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}), goals.NewMemoryStore(), testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep)
	if !strings.Contains(string(b), `"asana_changes":[]`) {
		t.Errorf("report JSON %s", b)
	}
}
