package riverjob_test

import (
	"testing"
	"time"

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
