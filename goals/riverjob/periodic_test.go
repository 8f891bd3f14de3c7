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
// runs it; a sized one puts a large tenant's sync on the large queue, with
// its size in the job's arguments.
func TestPeriodicJobRuns(t *testing.T) {
	t.Parallel()
	f := &fleet{}
	tn, big := newTenant(7, normal), newTenant(8, normal)
	for _, x := range []*tenant{tn, big} {
		x.connect(t, x.serve(t, nil), nil)
		f.add(x)
	}
	d := sqliteDriver(t, sqliteDSN(t))
	migrate(t, d)
	workers := river.NewWorkers()
	river.AddWorker(workers, riverjob.NewWorker(f.resolve, riverjob.WorkerOptions{}))
	c, err := river.NewClient(d, &river.Config{
		Queues:   riverjob.Queues(2, 1),
		Workers:  workers,
		TestOnly: true,
		Logger:   testLogger(t),
		PeriodicJobs: []*river.PeriodicJob{
			riverjob.PeriodicJob(tn.id, soon{300 * time.Millisecond}),
			riverjob.SizedPeriodicJob(big.id, func() int { return 5000 }, soon{300 * time.Millisecond}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	evs := events(c)
	startMachine(t, c)
	rows := map[string]*rivertype.JobRow{}
	waitFor(t, evs, 30*time.Second, func(ev *river.Event) bool {
		if ev.Kind == river.EventKindJobCompleted {
			rows[tenantOfArgs(ev.Job)] = ev.Job
		}
		return len(rows) == 2
	})
	if row := rows[tn.id]; string(row.EncodedArgs) != `{"tenant_id":"tenant-07"}` || row.Queue != riverjob.Queue {
		t.Errorf("args %s on %s", row.EncodedArgs, row.Queue)
	}
	if row := rows[big.id]; string(row.EncodedArgs) != `{"tenant_id":"tenant-08","goals":5000}` || row.Queue != riverjob.QueueLarge {
		t.Errorf("args %s on %s", row.EncodedArgs, row.Queue)
	}
	checkTruth(t, tn, tn.mem, "")
	checkTruth(t, big, big.mem, "")
}
