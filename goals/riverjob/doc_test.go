package riverjob_test

import (
	"os/exec"
	"strings"
	"testing"
)

// Only goals/riverjob imports River: not asana, goals, status or prompt
// (nor anything else of the module but this package and its tests).
func TestOnlyRiverjobImportsRiver(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Deps \" \"}}",
		"github.com/perfcopilot/asanagoals/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const module = "github.com/perfcopilot/asanagoals"
	checked := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], module) {
			continue
		}
		pkg := fields[0]
		checked++
		if pkg == module+"/goals/riverjob" {
			continue
		}
		for _, dep := range fields[1:] {
			if strings.HasPrefix(dep, "github.com/riverqueue/") {
				t.Errorf("%s depends on %s: only goals/riverjob may import River", pkg, dep)
				break
			}
		}
	}
	for _, must := range []string{"asana", "goals", "status", "prompt"} {
		if !strings.Contains(string(out), module+"/"+must+" ") {
			t.Errorf("go list did not list %s", must)
		}
	}
	if checked < 5 {
		t.Fatalf("only %d packages listed", checked)
	}
}
