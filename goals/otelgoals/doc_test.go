package otelgoals_test

import (
	"os/exec"
	"strings"
	"testing"
)

// Only goals/otelgoals imports OpenTelemetry: importers of asana, goals,
// status, prompt (or any other package of the module) do not compile it.
func TestOnlyOtelgoalsImportsOpenTelemetry(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Deps \" \"}}",
		"github.com/perfcopilot/asanagoals/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const module = "github.com/perfcopilot/asanagoals"
	checked, otel := 0, false
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], module) {
			continue
		}
		pkg := fields[0]
		checked++
		for _, dep := range fields[1:] {
			if !strings.HasPrefix(dep, "go.opentelemetry.io/") {
				continue
			}
			if pkg == module+"/goals/otelgoals" {
				otel = true
				break
			}
			t.Errorf("%s depends on %s: only goals/otelgoals may import OpenTelemetry", pkg, dep)
			break
		}
	}
	for _, must := range []string{"asana", "goals", "status", "prompt", "goals/otelgoals"} {
		if !strings.Contains(string(out), module+"/"+must+" ") {
			t.Errorf("go list did not list %s", must)
		}
	}
	if !otel {
		t.Error("goals/otelgoals does not depend on OpenTelemetry: the check sees nothing")
	}
	if checked < 6 {
		t.Fatalf("only %d packages listed", checked)
	}
}
