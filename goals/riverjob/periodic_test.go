package riverjob_test

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

type soon struct{ every time.Duration }

func (s soon) Next(t time.Time) time.Time { return t.Add(s.every) }

// The periodic job of a tenant inserts its sync on schedule, and a worker
// runs it.
func TestPeriodicJobRuns(t *testing.T) {
	t.Parallel()
	tn := newTenant(7, normal)
	tn.connect(t, tn.serve(t, nil), nil)
	f := &fleet{}
	f.add(tn)
	d := sqliteDriver(t, sqliteDSN(t))
	migrate(t, d)
	workers := river.NewWorkers()
	river.AddWorker(workers, riverjob.NewWorker(f.resolve, riverjob.WorkerOptions{}))
	c, err := river.NewClient(d, &river.Config{
		Queues:       map[string]river.QueueConfig{riverjob.Queue: {MaxWorkers: 2}},
		Workers:      workers,
		TestOnly:     true,
		Logger:       testLogger(t),
		PeriodicJobs: []*river.PeriodicJob{riverjob.PeriodicJob(tn.id, soon{300 * time.Millisecond})},
	})
	if err != nil {
		t.Fatal(err)
	}
	evs := events(c)
	startMachine(t, c)
	var row *rivertype.JobRow
	waitFor(t, evs, 30*time.Second, func(ev *river.Event) bool {
		row = ev.Job
		return ev.Kind == river.EventKindJobCompleted
	})
	if string(row.EncodedArgs) != `{"tenant_id":"tenant-07"}` {
		t.Errorf("args %s", row.EncodedArgs)
	}
	checkTruth(t, tn, tn.mem, "")
}
