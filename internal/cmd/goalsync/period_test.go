package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/prompt"
)

// block returns the [GOALS] block of an employee in the text output.
func block(t *testing.T, out, header string) string {
	t.Helper()
	i := strings.Index(out, "\n== "+header+" ==\n")
	if i < 0 {
		t.Fatalf("no block %q in:\n%s", header, out)
	}
	b := out[i+1:]
	end := strings.Index(b, "[/GOALS]\n")
	if end < 0 {
		t.Fatalf("block %q not closed", header)
	}
	return b[:end+len("[/GOALS]\n")]
}

// The demo's review window: Grace's FY25 goal and Alan's H2 goal are left
// out of a review of the first half of 2026, and counted.
func TestPeriodFlag(t *testing.T) {
	all := runCmd(t, nil, "-demo")
	all.wantCode(t, exitOK)
	for _, want := range []string{"Grow self-serve revenue", "Raise test coverage to 80%", `period: "FY25"`} {
		if !strings.Contains(all.stdout, want) {
			t.Errorf("without -period the demo lacks %q:\n%s", want, all.stdout)
		}
	}
	if strings.Contains(all.stdout, "outside the review period") || strings.Contains(all.stdout, "review period") {
		t.Errorf("without -period the output speaks of a review period:\n%s", all.stdout)
	}

	// The demo's store is new each run, so a scoped sync stores only the
	// goals in the window: nothing is outside to count.
	res := runCmd(t, nil, "-demo", "-period", "2026-01-01..2026-06-30")
	res.wantCode(t, exitOK)
	if !strings.Contains(res.stdout, "  review period       2026-01-01..2026-06-30: the sync kept and walked only goals in it; 2 goals outside it (those stored take their fields from the scan, Key Results as stored), about") {
		t.Errorf("the summary does not name the review period and what it left:\n%s", res.stdout)
	}
	grace := block(t, res.stdout, "emp-002 · Grace Hopper")
	if strings.Contains(grace, "Grow self-serve revenue") || !strings.Contains(grace, "Launch the self-serve onboarding flow") {
		t.Errorf("Grace's block in H1 2026:\n%s", grace)
	}
	alan := block(t, res.stdout, "emp-003 · Alan Turing")
	if strings.Contains(alan, "Raise test coverage") || !strings.Contains(alan, "Move every service to connection pooling") {
		t.Errorf("Alan's block in H1 2026:\n%s", alan)
	}
	// Ada's goal with no dates stays in; nothing of hers is outside.
	ada := block(t, res.stdout, "emp-001 · Ada Lovelace")
	if !strings.Contains(ada, "Keep prompt inputs inert") || strings.Contains(ada, "outside the review period") {
		t.Errorf("Ada's block in H1 2026:\n%s", ada)
	}

	// An open start: up to the end of 2025 holds Grace's FY25 goal and her
	// sub-goal with a due date and no start (an open side), not her FY26
	// goal.
	res = runCmd(t, nil, "-demo", "-period", "..2025-12-31")
	res.wantCode(t, exitOK)
	grace = block(t, res.stdout, "emp-002 · Grace Hopper")
	if !strings.Contains(grace, "Grow self-serve revenue") || !strings.Contains(grace, "Ship the signup wizard") ||
		strings.Contains(grace, "Launch the self-serve onboarding flow") {
		t.Errorf("Grace's block up to 2025:\n%s", grace)
	}
	if !strings.Contains(res.stdout, "  review period       up to 2025-12-31: ") {
		t.Errorf("the summary does not name the open review period:\n%s", res.stdout)
	}
}

// A real run into a database: a whole sync, then one scoped to the second
// half of 2026. The scoped sync refreshes the goals outside the window
// from its scan, and the demo did not change, so the JSON lists them
// unchanged; the [GOALS] block counts them on its last line.
func TestPeriodFlagRealRun(t *testing.T) {
	ws := asanafake.DemoWorkspace()
	_, url := fake(t, ws, asanafake.Options{})
	path := demoEmployeesCSV(t)
	db := filepath.Join(t.TempDir(), "goals.db")
	base := []string{"-base-url", url, "-workspace", ws.GID, "-employees", path, "-db", db}
	whole := runCmd(t, tokenEnvMap(testToken), append(slices.Clone(base), "-format", "json")...)
	whole.wantCode(t, exitOK)

	res := runCmd(t, tokenEnvMap(testToken), append(slices.Clone(base), "-period", "2026-07-01..")...)
	res.wantCode(t, exitOK)
	ada := block(t, res.stdout, "emp-001 · Ada Lovelace")
	if strings.Contains(ada, "Cut p95 API latency") || !strings.Contains(ada, "(+2 outside the review period)") {
		t.Errorf("Ada's block from July 2026:\n%s", ada)
	}

	after := runCmd(t, tokenEnvMap(testToken), append(slices.Clone(base), "-format", "json", "-period", "2026-07-01..")...)
	after.wantCode(t, exitOK)
	var before, now struct {
		Goals []map[string]any `json:"goals"`
	}
	if err := json.Unmarshal([]byte(whole.stdout), &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(after.stdout), &now); err != nil {
		t.Fatal(err)
	}
	if len(now.Goals) != len(before.Goals) || len(now.Goals) == 0 {
		t.Fatalf("-format json lists %d goals after the scoped sync, %d before: want every stored goal", len(now.Goals), len(before.Goals))
	}
	// The demo has no change between the runs, so every goal, outside the
	// window or in it, reads back the same, in Asana's order.
	was := map[string]string{}
	for _, g := range before.Goals {
		was[fmt.Sprint(g["employee_id"], g["gid"])] = fmt.Sprint(g)
	}
	for i, g := range now.Goals {
		if k := fmt.Sprint(g["employee_id"], g["gid"]); was[k] != fmt.Sprint(g) {
			t.Errorf("stored goal %s changed:\nwas %s\nnow %s", k, was[k], fmt.Sprint(g))
		} else if b := before.Goals[i]; k != fmt.Sprint(b["employee_id"], b["gid"]) {
			t.Errorf("goal %d is %s, was %s: not in Asana's order", i, k, fmt.Sprint(b["employee_id"], b["gid"]))
		}
	}
}

func TestPeriodFlagErrors(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	emps := demoEmployeesCSV(t)
	real := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", emps}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"not a range", append(slices.Clone(real), "-period", "last year"), []string{`-period: review period "last year": want FROM..TO`}},
		{"bad date", append(slices.Clone(real), "-period", "2026-13-01..2026-06-30"), []string{"-period: ", "2026-13-01", "e.g. -period 2026-01-01..2026-06-30"}},
		{"ends before it starts", append(slices.Clone(real), "-period", "2026-06-30..2026-01-01"), []string{"-period: ", "ends before it starts"}},
		{"no end at all", append(slices.Clone(real), "-period", ".."), []string{"-period: ", "want FROM..TO"}},
		{"in the demo", []string{"-demo", "-period", "2026-01-01"}, []string{"-period: ", "want FROM..TO"}},
		{"with check", []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-check", "-period", "2026-01-01.."}, []string{"are for a sync"}},
		{"no descriptions with suggest", append(slices.Clone(real), "-suggest", "-no-descriptions"), []string{"are for a sync"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCmd(t, tokenEnvMap(testToken), tc.args...)
			res.wantCode(t, exitUsage)
			res.wantOneErrorLine(t, tc.want...)
			if res.stdout != "" {
				t.Errorf("stdout not empty:\n%s", res.stdout)
			}
		})
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
}

func TestDescribePeriod(t *testing.T) {
	for in, want := range map[string]string{
		"2026-01-01..2026-06-30": "2026-01-01..2026-06-30",
		"2026-01-01..":           "from 2026-01-01",
		"..2026-06-30":           "up to 2026-06-30",
	} {
		p, err := prompt.ParsePeriod(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := describePeriod(p); got != want {
			t.Errorf("describePeriod(%s) = %q, want %q", in, got, want)
		}
	}
}
