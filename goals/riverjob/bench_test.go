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

// BenchmarkFleetScale is the fleet at 1,000 tenants on PostgreSQL, at
// Asana's own speed (each token 1,500 requests a minute, 20 ms of
// latency; the fake counts the quota over 6 s, with a tenth of it): most
// tenants have 20 to 199 goals, one in twenty 200 to 999, one in two
// hundred 5,000 (the large queue). Two machines, each a River client in a
// process of its own, share the database, each running
// riverjob.DefaultMaxWorkers syncs of small tenants and
// riverjob.DefaultLargeMaxWorkers of large ones at once. The store is
// sqlstore in the same database, holding what an earlier night stored.
//
//   - postgres-1000: the fleet (about four minutes);
//   - postgres-1000-lose-a-machine: the same, machine-a killed (SIGKILL)
//     mid-fleet, its syncs rescued by River once the worker's timeout (5
//     minutes here: the largest sync takes over 3) has passed;
//   - sqlite-100: 100 tenants on SQLite (River's tables and the store),
//     one machine.
//
// Metrics: wall/ideal (ideal: the slowest tenant's floor or every
// request at the fleet's capacity, whichever is longer; target ≤ 1.20),
// MB/worker (the peak heap of the larger machine; target ≤ 200), tx/s and
// rows/s (on PostgreSQL the database's transactions and the schema's
// rows, River's and the store's; on SQLite the store's writes, goals and
// Key Results), small-p95-s (when 95% of the tenants of at most 200 goals
// were synced, from the insert) against small-drain-s (the small queue's
// requests at its capacity). Run it alone:
//
//	go test -run '^$' -bench BenchmarkFleetScale -benchtime 1x -timeout 60m ./goals/riverjob
func BenchmarkFleetScale(b *testing.B) {
	pg := scaleShape{tenants: 1000, midEvery: 20, largeEvery: 200, largeGoals: 5000, speed: 1}
	pgConfig := scaleConfig{shape: pg, machines: 2, maxWorkers: riverjob.DefaultMaxWorkers,
		largeMaxWorkers: riverjob.DefaultLargeMaxWorkers, storeConns: 8, timeout: 5 * time.Minute, within: 20 * time.Minute}
	b.Run("postgres-1000", func(b *testing.B) {
		benchScale(b, pgConfig, postgresScaleDB)
	})
	b.Run("postgres-1000-lose-a-machine", func(b *testing.B) {
		cfg := pgConfig
		cfg.kill, cfg.killAt = true, 0.2
		benchScale(b, cfg, postgresScaleDB)
	})
	b.Run("sqlite-100", func(b *testing.B) {
		shape := pg
		shape.tenants = 100
		cfg := pgConfig
		cfg.shape, cfg.machines, cfg.storeConns = shape, 1, 1
		benchScale(b, cfg, sqliteScaleDB)
	})
	b.Run("sqlite-1000", func(b *testing.B) {
		cfg := pgConfig
		cfg.machines, cfg.storeConns = 1, 1
		cfg.largeMaxWorkers = 8 // one machine runs the five large tenants at once
		benchScale(b, cfg, sqliteScaleDB)
	})
}

func benchScale[TTx any](b *testing.B, cfg scaleConfig, newDB func(testing.TB) scaleDB[TTx]) {
	tenants := buildScaleFleet(cfg.shape)
	var sum scaleResult
	for range b.N {
		b.StopTimer()
		res := runScaleFleet(b, cfg, newDB(b), tenants)
		b.Log(res)
		sum = res // one run is minutes; with -benchtime Nx the last run is reported
	}
	sum.report(b)
}
