package main

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// optFieldsLog records the opt_fields of every request a fake answers.
type optFieldsLog struct {
	mu     sync.Mutex
	fields []string
}

func (l *optFieldsLog) intercept(_ http.ResponseWriter, r *http.Request) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fields = append(l.fields, r.URL.Path+"?"+r.URL.Query().Get("opt_fields"))
	return false
}

func (l *optFieldsLog) asked(field string) (with, all int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.fields {
		_, q, _ := strings.Cut(f, "?")
		if slices.Contains(strings.Split(q, ","), field) {
			with++
		}
	}
	return with, len(l.fields)
}

func TestNoDescriptions(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	path := demoEmployeesCSV(t)
	run := func(t *testing.T, extra ...string) (result, *optFieldsLog) {
		t.Helper()
		log := &optFieldsLog{}
		_, url := fake(t, ws, asanafake.Options{Intercept: log.intercept})
		res := runCmd(t, tokenEnvMap(testToken), append([]string{"-base-url", url, "-workspace", ws.GID, "-employees", path}, extra...)...)
		res.wantCode(t, exitOK)
		return res, log
	}

	res, log := run(t, "-format", "json")
	v := decodeTyped(t, res.stdout)
	if with, _ := log.asked("html_notes"); with == 0 || v.Report.DescriptionsOmitted || !slices.ContainsFunc(v.Goals, func(g jsonGoal) bool { return g.Description != "" }) {
		t.Fatalf("without -no-descriptions: html_notes asked %d times, report %+v", with, v.Report)
	}

	res, log = run(t, "-format", "json", "-no-descriptions")
	checkJSONShape(t, res.stdout)
	v = decodeTyped(t, res.stdout)
	if with, all := log.asked("html_notes"); with != 0 || all == 0 {
		t.Errorf("-no-descriptions: html_notes asked in %d of %d requests", with, all)
	}
	if !v.Report.DescriptionsOmitted || len(v.Goals) == 0 {
		t.Errorf("report %+v, %d goals", v.Report, len(v.Goals))
	}
	for _, g := range v.Goals {
		if g.Description != "" {
			t.Errorf("goal %s keeps its description %q", g.GID, g.Description)
		}
	}

	res, _ = run(t, "-no-descriptions")
	if !strings.Contains(res.stdout, "  descriptions        not kept (-no-descriptions)") {
		t.Errorf("the text summary does not say descriptions were not kept:\n%s", res.stdout)
	}
	res, _ = run(t)
	if strings.Contains(res.stdout, "not kept (-no-descriptions)") {
		t.Errorf("the text summary says descriptions were not kept without the flag")
	}
}

// In a database, -no-descriptions blanks what an earlier sync stored; in
// the demo too.
func TestNoDescriptionsBlanksStored(t *testing.T) {
	db := filepath.Join(t.TempDir(), "goals.db")
	res := runCmd(t, nil, "-demo", "-db", db, "-format", "json")
	res.wantCode(t, exitOK)
	if v := decodeTyped(t, res.stdout); !slices.ContainsFunc(v.Goals, func(g jsonGoal) bool { return g.Description != "" }) {
		t.Fatal("the demo stored no description")
	}
	res = runCmd(t, nil, "-demo", "-db", db, "-format", "json", "-no-descriptions")
	res.wantCode(t, exitOK)
	v := decodeTyped(t, res.stdout)
	if len(v.Goals) != 9 {
		t.Errorf("%d goals stored, want 9", len(v.Goals))
	}
	for _, g := range v.Goals {
		if g.Description != "" {
			t.Errorf("goal %s still has its description in the database: %q", g.GID, g.Description)
		}
	}
}
