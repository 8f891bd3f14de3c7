package riverjob_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// A window shorter than one second, the documented window of 0 among
// them, spreads nothing: every tenant fires at from, and building the
// schedule must not divide by a window of zero whole seconds.
func TestNightlyWindowUnderOneSecondIsFrom(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	want := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	for _, window := range []time.Duration{0, time.Nanosecond, 500 * time.Millisecond, time.Second - 1, -time.Hour} {
		for _, id := range []string{"", "tenant-1", "tenant-2"} {
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Errorf("Nightly(%q, 1h, %s) panicked: %v", id, window, p)
					}
				}()
				if got := riverjob.Nightly(id, time.Hour, window, nil).Next(now); !got.Equal(want) {
					t.Errorf("Nightly(%q, 1h, %s).Next = %s, want %s", id, window, got, want)
				}
			}()
		}
	}
}

// A time of day past the day's end fires at the day's last second, every
// day: Daily(25h) must not move to the next day's 01:00 and skip a day.
func TestDaily_clampsTheTimeOfDay(t *testing.T) {
	for _, tc := range []struct {
		at   time.Duration
		want time.Duration // time of day it fires at
	}{
		{25 * time.Hour, 24*time.Hour - time.Second},
		{24 * time.Hour, 24*time.Hour - time.Second},
		{-time.Hour, 0},
	} {
		s := riverjob.Daily(tc.at, nil)
		for h := range 24 {
			now := time.Date(2026, 3, 1, h, 30, 0, 0, time.UTC)
			next := s.Next(now)
			if !next.After(now) || next.Sub(now) > 24*time.Hour {
				t.Errorf("Daily(%s).Next(%s) = %s: not within the next 24 hours", tc.at, now, next)
				continue
			}
			midnight := time.Date(next.Year(), next.Month(), next.Day(), 0, 0, 0, 0, time.UTC)
			if got := next.Sub(midnight); got != tc.want {
				t.Errorf("Daily(%s).Next(%s) = %s, want the time of day %s", tc.at, now, next, tc.want)
			}
		}
	}
}

// Daily fires once a day at its time of day in its location, the first
// such time strictly after now, moved as time.Date moves it on the night
// clocks go forward; Nightly spreads tenants over its window, each at a
// fixed time.
func TestDaily(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database")
	}
	s := riverjob.Daily(2*time.Hour+30*time.Minute, paris)
	tests := []struct{ now, want time.Time }{
		{time.Date(2026, 3, 1, 1, 0, 0, 0, paris), time.Date(2026, 3, 1, 2, 30, 0, 0, paris)},
		{time.Date(2026, 3, 1, 2, 30, 0, 0, paris), time.Date(2026, 3, 2, 2, 30, 0, 0, paris)},
		{time.Date(2026, 3, 1, 23, 0, 0, 0, paris), time.Date(2026, 3, 2, 2, 30, 0, 0, paris)},
		// The night clocks go forward, 02:30 does not exist: 03:30 instead.
		{time.Date(2026, 3, 28, 23, 0, 0, 0, paris), time.Date(2026, 3, 29, 3, 30, 0, 0, paris)},
	}
	for _, tc := range tests {
		if got := s.Next(tc.now); !got.Equal(tc.want) {
			t.Errorf("Next(%s) = %s, want %s", tc.now, got, tc.want)
		}
	}
	// Nightly spreads tenants over the window, each at a fixed time.
	from := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	seen := map[time.Time]bool{}
	for i := range 20 {
		id := fmt.Sprintf("tenant-%d", i)
		next := riverjob.Nightly(id, time.Hour, 2*time.Hour, nil).Next(from)
		if next.Before(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)) || !next.Before(time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: %s, outside 01:00..03:00", id, next)
		}
		if again := riverjob.Nightly(id, time.Hour, 2*time.Hour, nil).Next(from); !again.Equal(next) {
			t.Errorf("%s: %s then %s", id, next, again)
		}
		seen[next] = true
	}
	if len(seen) < 10 {
		t.Errorf("20 tenants at %d times: not spread", len(seen))
	}
	if n := len(riverjob.NightlyJobs([]string{"a", "b"}, time.Hour, time.Hour, nil)); n != 2 {
		t.Errorf("%d periodic jobs for 2 tenants", n)
	}
}

type soon struct{ every time.Duration }

func (s soon) Next(t time.Time) time.Time { return t.Add(s.every) }

// The periodic job of a tenant inserts its sync on schedule, and a worker
// runs it; a sized one puts a large tenant's sync on the large queue, with
// its size in the job's arguments.
func TestPeriodicJob_insertsTheTenantsSyncOnSchedule(t *testing.T) {
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
