package riverjob_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

func TestOutcome(t *testing.T) {
	scanFailed := fmt.Errorf("goals: workspace scan failed: %w", &asana.Error{StatusCode: 503, Method: "GET", Path: "/goals"})
	tooLong := fmt.Errorf("goals: sync stopped: %w", &asana.Error{StatusCode: 429, RetryAfter: 2 * time.Hour, MaxWait: 5 * time.Minute})
	tests := []struct {
		name   string
		err    error
		cancel bool
		snooze time.Duration
	}{
		{"success", nil, false, 0},
		{"config", fmt.Errorf("x: %w", &goals.GoalsConfigError{Field: "WorkspaceGID", Problem: "missing"}), true, 0},
		{"401", fmt.Errorf("x: %w", &asana.Error{StatusCode: 401}), true, 0},
		{"402", fmt.Errorf("x: %w", &asana.Error{StatusCode: 402}), true, 0},
		{"wait too long", tooLong, false, 2 * time.Hour},
		{"scan failed", scanFailed, false, 0},
		{"context", fmt.Errorf("x: %w", errors.New("context canceled")), false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := riverjob.Outcome(tc.err)
			var cancel *rivertype.JobCancelError
			var snooze *rivertype.JobSnoozeError
			switch {
			case tc.err == nil:
				if out != nil {
					t.Errorf("Outcome(nil) = %v", out)
				}
			case tc.cancel:
				if !errors.As(out, &cancel) || !errors.Is(out, tc.err) {
					t.Errorf("Outcome = %v, want JobCancel wrapping the error", out)
				}
			case tc.snooze > 0:
				if !errors.As(out, &snooze) || snooze.Duration != tc.snooze {
					t.Errorf("Outcome = %#v, want JobSnooze(%s)", out, tc.snooze)
				}
			default:
				if out != tc.err {
					t.Errorf("Outcome = %v, want the error itself (River retries it)", out)
				}
			}
		})
	}
}

// Sync jobs are unique per tenant until they finish, on Queue.
func TestSyncArgsInsertOpts(t *testing.T) {
	opts := riverjob.SyncArgs{TenantID: "t"}.InsertOpts()
	if opts.Queue != riverjob.Queue || !opts.UniqueOpts.ByArgs {
		t.Errorf("InsertOpts = %+v", opts)
	}
	for _, s := range opts.UniqueOpts.ByState {
		if s == rivertype.JobStateCompleted || s == rivertype.JobStateCancelled || s == rivertype.JobStateDiscarded {
			t.Errorf("a %s sync would block the next one", s)
		}
	}
	var _ river.JobArgsWithInsertOpts = riverjob.SyncArgs{}
}

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
