package riverjob_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// BenchmarkFleet syncs 50 tenants (each its own fake Asana, token and
// quota: 100 requests a second, 10 ms of latency) with two River clients
// sharing one database, and compares the wall time, from starting the
// clients to the last job completed, with each tenant's floor (the larger
// of its minimum requests at its quota and its chain of page fetches):
//
//   - wall/sum-floors: against running the tenants one after another
//     (target: well below 1; 1/50 would be perfect parallelism);
//   - wall/max-floor: against the slowest tenant alone (target: close to 1;
//     what is above is River's fetch and completion overhead and the CPU of
//     50 syncs at once).
func BenchmarkFleet(b *testing.B) {
	b.Run("postgres", func(b *testing.B) {
		benchFleet(b, func(b *testing.B) func() riverdriver.Driver[pgxTx] {
			dsn := postgresDSN(b)
			return func() riverdriver.Driver[pgxTx] { return pgDriver(b, dsn) }
		})
	})
	b.Run("sqlite", func(b *testing.B) {
		benchFleet(b, func(b *testing.B) func() riverdriver.Driver[*sql.Tx] {
			dsn := sqliteDSN(b)
			return func() riverdriver.Driver[*sql.Tx] { return sqliteDriver(b, dsn) }
		})
	})
}

func benchFleet[TTx any](b *testing.B, newDB func(*testing.B) func() riverdriver.Driver[TTx]) {
	var wall, sumFloors, maxFloor time.Duration
	for range b.N {
		b.StopTimer()
		newDriver := newDB(b)
		f := &fleet{}
		var sum, slowest time.Duration
		for i := range fleetSize {
			tn := newTenant(i, normal)
			f.add(tn)
			tn.connect(b, tn.serve(b, nil), nil)
			sum += tn.floor
			slowest = max(slowest, tn.floor)
		}
		dA, dB := newDriver(), newDriver()
		migrate(b, dA)
		m1 := newMachine(b, dA, f, machineConfig{id: "machine-a", workers: fleetSize})
		m2 := newMachine(b, dB, f, machineConfig{id: "machine-b", workers: fleetSize})
		for _, id := range f.ids {
			if _, err := m1.Insert(context.Background(), riverjob.SyncArgs{TenantID: id}, nil); err != nil {
				b.Fatal(err)
			}
		}
		evs := events(m1, m2)
		b.StartTimer()
		start := time.Now()
		startMachine(b, m1)
		startMachine(b, m2)
		done := 0
		waitFor(b, evs, 2*time.Minute, func(ev *river.Event) bool {
			if ev.Kind != river.EventKindJobCompleted {
				b.Fatalf("%s: %s", ev.Kind, errorsText(ev.Job))
			}
			done++
			return done == fleetSize
		})
		wall += time.Since(start)
		b.StopTimer()
		for _, id := range f.ids {
			checkTruth(b, f.byID[id], f.byID[id].mem, "")
		}
		sumFloors += sum
		maxFloor += slowest
	}
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "wall-s")
	b.ReportMetric(sumFloors.Seconds()/n, "sum-floors-s")
	b.ReportMetric(maxFloor.Seconds()/n, "max-floor-s")
	b.ReportMetric(wall.Seconds()/sumFloors.Seconds(), "wall/sum-floors")
	b.ReportMetric(wall.Seconds()/maxFloor.Seconds(), "wall/max-floor")
}
