package riverjob_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// A wait Asana asked for that says no length (an *asana.Error matching
// ErrWaitTooLong without RetryAfter) is not a snooze: a snooze of 0 would
// run the job again at once, against the Asana that just asked for a
// wait. The error goes back to River, which retries it with backoff.
func TestWaitTooLongWithoutALengthIsRetriedWithBackoff(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("goals: sync stopped: %w", &asana.Error{StatusCode: 429, MaxWait: 5 * time.Minute}),
		fmt.Errorf("goals: sync stopped: %w", asana.ErrWaitTooLong),
	} {
		out := riverjob.Outcome(err)
		var snooze *rivertype.JobSnoozeError
		if errors.As(out, &snooze) {
			t.Errorf("Outcome(%v) = JobSnooze(%s), want the error itself", err, snooze.Duration)
		}
		if out != err {
			t.Errorf("Outcome(%v) = %v, want the error itself (River retries it)", err, out)
		}
	}
}

// A time of day past the day's end fires at the day's last second, every
// day: Daily(25h) must not move to the next day's 01:00 and skip a day.
func TestDailyClampsTheTimeOfDay(t *testing.T) {
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
