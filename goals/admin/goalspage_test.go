package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/admin"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

func day(s string) asana.Date {
	d, err := asana.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// storedGoals are two goals of emp-001 as a sync stores them: one in H1
// with a metric, a description and Key Results, one in H2.
func storedGoals() []goals.Goal {
	return []goals.Goal{
		{EmployeeID: "emp-001", GID: "501", Name: "<img src=x onerror=alert(1)> Ship it", Description: "Internal: the launch slipped twice.",
			StartOn: day("2026-01-05"), DueOn: day("2026-06-30"), Status: status.AtRisk, RawStatus: "at_risk", StatusSource: goals.StatusFromUpdate,
			TimePeriod: &goals.TimePeriod{GID: "7", DisplayName: "H1 FY26", Period: "H1", StartOn: day("2026-01-01"), EndOn: day("2026-06-30")},
			Metric:     &goals.Metric{Initial: 0, Current: 30, Target: 40, Unit: "percentage"},
			KeyResults: []goals.KeyResult{
				{GoalGID: "501", GID: "601", Name: "javascript:alert(1)", Status: status.Completed, RawStatus: "achieved", StatusSource: goals.StatusFromGoal, DueOn: day("2026-03-31")},
				{GoalGID: "501", GID: "602", Name: "Write the runbook", Status: status.OffTrack, RawStatus: "missed", StatusSource: goals.StatusFromUpdate,
					Metric: &goals.Metric{Initial: 0, Current: 1500, Target: 2000, Unit: "currency", CurrencyCode: "EUR"}},
			},
			SyncedAt: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)},
		{EmployeeID: "emp-001", GID: "502", Name: "Hire two engineers", Status: status.OnTrack, StatusSource: goals.StatusFromNone,
			TimePeriod: &goals.TimePeriod{GID: "8", DisplayName: "H2 FY26", Period: "H2", StartOn: day("2026-07-01"), EndOn: day("2026-12-31")},
			KeyResults: []goals.KeyResult{}, SyncedAt: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)},
	}
}

func goalsPages(t *testing.T, edit func(*admin.Config)) *pages {
	p := newPages(t, asanafake.DemoWorkspace(), asanafake.DemoOptions(), edit)
	if err := p.store.WriteGoals(context.Background(), goals.Write{EmployeeID: "emp-001", Goals: storedGoals(), Complete: true}); err != nil {
		t.Fatal(err)
	}
	return p
}

// The Goals tab lists an employee's goals as the [GOALS] block does:
// name, status, period, due date, progress and Key Results, and the
// description; every string stays text.
func TestGoals_listsAnEmployeesGoals(t *testing.T) {
	p := goalsPages(t, nil)
	code, body, _ := p.get("goals?employee=emp-001")
	if code != http.StatusOK {
		t.Fatalf("GET goals: %d", code)
	}
	for _, want := range []string{
		"Goals of Ada Lovelace",
		"&lt;img src=x onerror=alert(1)&gt; Ship it",
		"<dt>Status</dt><dd class=\"status status-at_risk\">At risk</dd>",
		"<dt>Period</dt><dd>H1 FY26 (2026-01-01 to 2026-06-30)</dd>",
		"<dt>Due</dt><dd>2026-06-30</dd>",
		"<dt>Progress</dt><dd>75% (30% of 40%, from 0%)</dd>",
		"Internal: the launch slipped twice.",
		"<h4>Key Results</h4>",
		"javascript:alert(1) <span class=\"status status-completed\">Completed</span>, due 2026-03-31",
		"Write the runbook <span class=\"status status-off_track\">Off track</span>, 75% (1500 EUR of 2000 EUR, from 0 EUR)",
		"Hire two engineers",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the Goals tab lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<img src=x") || strings.Contains(body, `href="javascript:`) {
		t.Errorf("a name became markup:\n%s", body)
	}
	if i, j := strings.Index(body, "Ship it"), strings.Index(body, "Hire two engineers"); i < 0 || j < i {
		t.Errorf("the goals are not in stored order")
	}
}

// A host may keep descriptions off the page (the spec's privacy note).
func TestGoals_hideDescriptions(t *testing.T) {
	p := goalsPages(t, func(c *admin.Config) { c.HideDescriptions = true })
	_, body, _ := p.get("goals?employee=emp-001")
	if strings.Contains(body, "the launch slipped") || strings.Contains(body, "Description") {
		t.Errorf("HideDescriptions still shows a description:\n%s", body)
	}
	if !strings.Contains(body, "Ship it") {
		t.Errorf("HideDescriptions hid the goal too:\n%s", body)
	}
}

// The review-window filter leaves out the goals outside it, and says how
// many; a window that is not one is refused next to its fields.
func TestGoals_reviewWindowFilter(t *testing.T) {
	p := goalsPages(t, nil)
	_, body, _ := p.get("goals?employee=emp-001&from=2026-07-01&to=2026-12-31")
	if strings.Contains(body, "Ship it") || !strings.Contains(body, "Hire two engineers") {
		t.Errorf("the H2 window does not show exactly the H2 goal:\n%s", body)
	}
	if !strings.Contains(body, "1 goals outside the review window are not shown") {
		t.Errorf("the page does not say a goal was left out:\n%s", body)
	}
	_, body, _ = p.get("goals?employee=emp-001&from=2026-01-01")
	if !strings.Contains(body, "Ship it") || !strings.Contains(body, "Hire two engineers") {
		t.Errorf("an open-ended window left goals out:\n%s", body)
	}
	for _, q := range []string{"from=2026-12-31&to=2026-01-01", "from=yesterday", "to=2026-02-30"} {
		code, body, _ := p.get("goals?employee=emp-001&" + q)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="period-error"`) {
			t.Errorf("window %s: %d, want 422 with a message next to the dates:\n%s", q, code, body)
		}
		if strings.Contains(body, "Ship it") {
			t.Errorf("window %s: goals listed despite the bad window", q)
		}
	}
}

// Without an employee chosen, or with one the directory does not hold,
// the page lists no goals.
func TestGoals_unknownEmployeeListsNothing(t *testing.T) {
	p := goalsPages(t, nil)
	for _, q := range []string{"goals", "goals?employee=emp-999", "goals?employee=%3Cscript%3E"} {
		code, body, _ := p.get(q)
		if code != http.StatusOK || strings.Contains(body, "Ship it") || strings.Contains(body, "<script>") {
			t.Errorf("GET %s: %d\n%s", q, code, body)
		}
	}
}
