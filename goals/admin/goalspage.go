package admin

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/status"
)

// goalsView is the Goals page's data.
type goalsView struct {
	Employees        []goals.Employee
	Selected         *goals.Employee
	From, To         string
	PeriodError      string
	Goals            []goals.Goal
	Hidden           int // goals outside the window
	HideDescriptions bool
}

func (h *Handler) goalsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	emps, err := h.cfg.Directory.Employees(ctx)
	if err != nil {
		h.fail(w, "goals", "The employees could not be read", err, "")
		return
	}
	q := r.URL.Query()
	v := &goalsView{Employees: emps, From: q.Get("from"), To: q.Get("to"), HideDescriptions: h.cfg.HideDescriptions}
	period, err := goals.ParsePeriod(v.From + ".." + v.To)
	if v.From == "" && v.To == "" {
		period, err = goals.Period{}, nil
	}
	status := http.StatusOK
	if err != nil {
		v.PeriodError = "The review window must be two dates, From on or before To (either may be left empty): " +
			strings.TrimPrefix(err.Error(), "goals: ")
		status = http.StatusUnprocessableEntity
	}
	id := q.Get("employee")
	for i := range emps {
		if emps[i].ID == id {
			v.Selected = &emps[i]
		}
	}
	if v.Selected != nil && err == nil {
		stored, err := h.cfg.Store.Goals(ctx, id)
		if err != nil {
			h.fail(w, "goals", "The stored goals could not be read", err, "")
			return
		}
		for _, g := range stored {
			if period.Includes(g) {
				v.Goals = append(v.Goals, g)
			} else {
				v.Hidden++
			}
		}
	}
	h.render(w, status, "goals", "goals", v)
}

// statusWord is a status as the pages write it.
func statusWord(s status.Status) string {
	switch s {
	case status.Completed:
		return "Completed"
	case status.AtRisk:
		return "At risk"
	case status.OffTrack:
		return "Off track"
	case status.OnTrack:
		return "On track"
	}
	return string(s)
}

// when writes a time for the pages, in UTC to the minute; "" for the zero
// time.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// fraction writes a metric's progress: "76% (260 of 200, from 450)".
func fraction(m *goals.Metric) string {
	if m == nil {
		return ""
	}
	values := fmt.Sprintf("%s of %s, from %s", number(m.Current, m), number(m.Target, m), number(m.Initial, m))
	if f, ok := m.Fraction(); ok {
		return fmt.Sprintf("%d%% (%s)", int(math.Round(f*100)), values)
	}
	return values
}

func number(x float64, m *goals.Metric) string {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	switch m.Unit {
	case "percentage":
		return s + "%"
	case "currency":
		return strings.TrimSpace(s + " " + m.CurrencyCode)
	}
	return s
}

// dateOf writes a date, "" when unset.
func dateOf(d asana.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}
