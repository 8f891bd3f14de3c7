package riverjob_test

import (
	"context"
	"database/sql"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/riverjob"
	"github.com/perfcopilot/asanagoals/status"
)

// A job whose context River cancels (here: the client stopping with
// StopAndCancel) cancels its sync at once, and the sync removes nothing,
// although a complete write would have removed a goal Asana no longer has.
func TestCancelledJobRemovesNothing(t *testing.T) {
	t.Parallel()
	dsn := sqliteDSN(t)
	testCancelledJob(t, func() riverdriver.Driver[*sql.Tx] { return sqliteDriver(t, dsn) })
}

func testCancelledJob[TTx any](t *testing.T, newDriver func() riverdriver.Driver[TTx]) {
	ctx := context.Background()
	g := newGate()
	tn := newTenant(0, normal)
	tn.connect(t, tn.serve(t, g), nil)
	f := &fleet{}
	f.add(tn)
	emp := tn.emps[0].ID
	stale := goals.Goal{EmployeeID: emp, GID: "1299999999999999", Name: "deleted in Asana since", Status: status.OnTrack, KeyResults: []goals.KeyResult{}}
	if err := tn.mem.WriteGoals(ctx, goals.Write{EmployeeID: emp, Goals: []goals.Goal{stale}, Complete: true}); err != nil {
		t.Fatal(err)
	}

	d := newDriver()
	migrate(t, d)
	c := newMachine(t, d, f, machineConfig{id: "machine", workers: 1})
	res, err := c.Insert(ctx, riverjob.SyncArgs{TenantID: tn.id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startMachine(t, c)
	select {
	case <-g.entered: // the sync is in flight
	case <-time.After(30 * time.Second):
		t.Fatal("the sync did not start")
	}

	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stopErr := c.StopAndCancel(stopCtx)
	close(g.release) // a sync that ignored its context would now finish
	if stopErr != nil {
		t.Fatalf("StopAndCancel: %v: the sync did not stop when its job's context was cancelled", stopErr)
	}
	got, err := tn.mem.Goals(ctx, emp)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].GID != stale.GID || tn.mem.writesOf(emp) != 1 {
		t.Errorf("after the cancelled sync %s holds %d goals (writes: %d); want the stored one only, untouched", emp, len(got), tn.mem.writesOf(emp))
	}
	row, err := c.JobGet(ctx, res.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if row.State == rivertype.JobStateCompleted || row.State == rivertype.JobStateCancelled || row.State == rivertype.JobStateDiscarded {
		t.Errorf("job state %s: a sync cut short must run again", row.State)
	}
}

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
