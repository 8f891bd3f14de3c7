package riverjob

import (
	"errors"

	"github.com/riverqueue/river"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

// Outcome turns the error of goals.Ingester.Sync into what a River worker
// returns:
//
//   - nil (the sync succeeded, even if some employees failed): nil;
//   - a *goals.GoalsConfigError, asana.ErrUnauthorized (401) or
//     asana.ErrPaymentRequired (402): river.JobCancel(err), never retried;
//   - asana.ErrWaitTooLong with the *asana.Error saying how long Asana
//     asked to wait: river.JobSnooze for that long;
//   - anything else (scan failed on 5xx or the network, context ended): err
//     itself, for River to retry with backoff.
func Outcome(err error) error {
	if err == nil {
		return nil
	}
	var cfgErr *goals.GoalsConfigError
	if errors.As(err, &cfgErr) || errors.Is(err, asana.ErrUnauthorized) || errors.Is(err, asana.ErrPaymentRequired) {
		return river.JobCancel(err)
	}
	var apiErr *asana.Error
	if errors.Is(err, asana.ErrWaitTooLong) && errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		return river.JobSnooze(apiErr.RetryAfter)
	}
	return err
}
