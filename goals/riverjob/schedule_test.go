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
