package asanafake_test

import (
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/internal/fieldtest"
)

// The fake's model serves every field of asana.Goal, Asana's wire form as
// the client reads it: a goal with the model's fields set, fetched by the
// client (which asks for its fields in opt_fields), leaves none of
// asana.Goal's fields unset but those a goal request does not ask for. A field added to asana.Goal fails here until
// the client asks for it and the fake's model serves it.
func TestGoal_servesEveryFieldOfTheWireForm(t *testing.T) {
	ws := &asanafake.Workspace{GID: "100", Name: "Fields",
		Users: []asanafake.User{{GID: "501", Name: "Ada", Email: "ada@example.com"}},
		Goals: []asanafake.Goal{{
			GID: "11", Name: "Every field", HTMLNotes: "<body>notes</body>", Notes: "notes",
			DueOn: "2026-09-30", StartOn: "2026-07-01", OwnerGID: "501", StatusType: "at_risk", StatusTitle: "Slipping",
			TimePeriod: &asanafake.TimePeriod{GID: "70", DisplayName: "Q3 FY26", Period: "Q3", StartOn: "2026-07-01", EndOn: "2026-09-30"},
			Metric:     &asanafake.Metric{Unit: "currency", CurrencyCode: "EUR", InitialNumberValue: 1, CurrentNumberValue: 2, TargetNumberValue: 3},
		}},
	}
	srv := httptest.NewServer(asanafake.NewServer(ws, asanafake.Options{Tokens: map[string]string{"tok": "501"}}))
	defer srv.Close()
	c, err := asana.NewClient("tok", asana.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.Goal(t.Context(), "11")
	if err != nil {
		t.Fatal(err)
	}
	// Fields of types asana.Goal shares with other requests, which a goal
	// request does not ask for: the owner is read by GID alone (a sync
	// stores no other user's name or e-mail), and a status update by its
	// status_type.
	notAskedFor := []string{"CurrentStatusUpdate.Title", "Owner.Email", "Owner.Name"}
	if unset := fieldtest.Unset(g); !slices.Equal(unset, notAskedFor) {
		t.Errorf("asana.Goal read from the fake leaves %q unset, want only %q: the client's opt_fields or the fake's model lack the others",
			unset, notAskedFor)
	}
}
