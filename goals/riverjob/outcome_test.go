package riverjob_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// Outcome turns a sync's error into River's terms: nothing to do on
// success, a cancel for what can never succeed as it stands (a
// configuration error, 401, 402), a snooze for as long as Asana asked, and
// the error itself, for River to retry with backoff, for anything else.
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

// A wait Asana asked for that says no length (an *asana.Error matching
// ErrWaitTooLong without RetryAfter) is not a snooze: a snooze of 0 would
// run the job again at once, against the Asana that just asked for a
// wait. The error goes back to River, which retries it with backoff.
func TestOutcome_waitTooLongWithoutALengthIsRetriedWithBackoff(t *testing.T) {
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
