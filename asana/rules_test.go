package asana_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
)

// A Retry-After date in the past asks for no wait: the error says 0, and no
// negative pause is counted.
func TestPastRetryAfterDateIsNoWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, asana.WithMaxRetries(0))
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			return tooMany(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)), nil
		})
		_, err := h.client.Me(context.Background())
		var ae *asana.Error
		if !errors.As(err, &ae) || !errors.Is(err, asana.ErrRateLimited) {
			t.Fatalf("err = %v, want ErrRateLimited", err)
		}
		if ae.RetryAfter != 0 {
			t.Errorf("RetryAfter = %s, want 0 for a date in the past", ae.RetryAfter)
		}
		if st := h.client.Stats(); st.Pauses != 0 || st.Paused != 0 {
			t.Errorf("Stats = %+v, want no pause counted", st)
		}
	})
}

// Once the token is refused, a request that is not sent is not retried
// either: one attempt, no retry counted or logged.
func TestRefusedRequestIsNotRetried(t *testing.T) {
	h := newHarness(t, asana.WithMaxRetries(4))
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(401, `{"errors":[{"message":"Not Authorized"}]}`))
	if _, err := h.client.Me(context.Background()); !errors.Is(err, asana.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	_, err := h.client.Me(context.Background())
	var ae *asana.Error
	if !errors.As(err, &ae) || !errors.Is(err, asana.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if ae.Attempts != 1 || strings.Contains(err.Error(), "attempts") {
		t.Errorf("err = %v (%d attempts), want one attempt", err, ae.Attempts)
	}
	if st := h.client.Stats(); st.Retries != 0 || st.Requests != 1 {
		t.Errorf("stats = %+v, want one request sent and no retry", st)
	}
	if strings.Contains(h.logs.String(), "retrying request") {
		t.Errorf("a refused request was retried:\n%s", h.logs.String())
	}
}

// A Retry-After longer than the client waits, by however little, ends the
// request at its first answer, with Asana's own message; it is not sent
// again to meet the pause.
func TestRetryAfterJustOverMaxWaitEndsAtTheFirstAnswer(t *testing.T) {
	for _, after := range []string{"301", "600", "2999"} {
		t.Run(after, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, asana.WithMaxWait(5*time.Minute), asana.WithMaxRetries(4))
				h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
					return tooMany(after), nil
				})
				_, err := h.client.Me(context.Background())
				var ae *asana.Error
				if !errors.As(err, &ae) || !errors.Is(err, asana.ErrWaitTooLong) {
					t.Fatalf("err = %v, want ErrWaitTooLong", err)
				}
				if ae.Attempts != 1 || len(ae.Errors) != 1 || !strings.Contains(ae.Errors[0].Message, "too many requests") {
					t.Errorf("err = %v (%d attempts, details %+v), want Asana's answer to the one attempt", err, ae.Attempts, ae.Errors)
				}
				if st := h.client.Stats(); st.Retries != 0 {
					t.Errorf("%d retries, want none", st.Retries)
				}
			})
		})
	}
}

// A 429 with Retry-After is retried when Asana said, even when that is
// sooner than the backoff's minimum: the pause is the wait.
func TestRetryAfterShorterThanTheBackoffIsAllTheWait(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"0.2", 200 * time.Millisecond},
		{"0", 0},
	} {
		t.Run(tc.header, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, asana.WithRetryWait(2*time.Second, 4*time.Second))
				var calls atomic.Int32
				var first, second time.Time
				h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
					if calls.Add(1) == 1 {
						first = time.Now()
						return tooMany(tc.header), nil
					}
					second = time.Now()
					return okMe(), nil
				})
				if _, err := h.client.Me(context.Background()); err != nil {
					t.Fatal(err)
				}
				// Within a millisecond: the limiter's next turn (0.1 ms at the
				// harness's rate) may come after the pause.
				if got := second.Sub(first); got < tc.want || got > tc.want+time.Millisecond {
					t.Errorf("retried %s after a 429 with Retry-After %s, want %s", got, tc.header, tc.want)
				}
			})
		})
	}
}
