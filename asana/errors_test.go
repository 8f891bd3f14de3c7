package asana_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
)

// Asana's message, help and phrase are redacted again once decoded: a
// field can spell the token so that only its decoded text holds it, here
// URL-escaped with each '%' JSON-escaped (\u0025), which no look at the
// raw body undoes.
func TestAsanaErrorFieldsAreRedactedOnceDecoded(t *testing.T) {
	var twice strings.Builder
	for _, c := range []byte(testToken) {
		fmt.Fprintf(&twice, `\u0025%02X`, c)
	}
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(401,
		`{"errors":[{"message":"echo: Bearer `+twice.String()+`","help":"token `+twice.String()+`","phrase":"6 sad `+twice.String()+`"}]}`))
	_, err := h.client.Me(context.Background())
	var ae *asana.Error
	if !errors.As(err, &ae) || len(ae.Errors) != 1 {
		t.Fatalf("err = %v, want a 401 *asana.Error with Asana's details", err)
	}
	want := asana.ErrorDetail{Message: "echo: Bearer [redacted]", Help: "token [redacted]", Phrase: "6 sad [redacted]"}
	if ae.Errors[0] != want {
		t.Errorf("Errors[0] = %+v, want %+v", ae.Errors[0], want)
	}
}

// An error for a Retry-After longer than the client waits says how long
// Asana asked for, or, beyond the longest wait the client reads (7 days),
// that it asked for more than 7 days: never the client's own bound as if
// Asana had said it. A request that meets the pause such an answer started
// says so too (within 7 days it gives the rest of the pause, which
// Error.RetryAfter holds for it).
func TestWaitTooLongSaysWhatAsanaAskedFor(t *testing.T) {
	for _, tc := range []struct {
		header, want string
		overLong     bool
	}{
		{"1000000000000", "Asana asked to wait more than 7 days", true},
		{"604801", "Asana asked to wait more than 7 days", true},
		{"Fri, 31 Dec 9999 23:59:59 GMT", "Asana asked to wait more than 7 days", true},
		{"604800", "Asana asked to wait 168h0m0s", false},
		{"3600", "Asana asked to wait 1h0m0s", false},
	} {
		t.Run(tc.header, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t)
				h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
					return tooMany(tc.header), nil
				})
				_, err := h.client.Me(context.Background())
				if !errors.Is(err, asana.ErrWaitTooLong) || !strings.Contains(err.Error(), tc.want+",") {
					t.Errorf("err = %v, want ErrWaitTooLong saying %q", err, tc.want)
				}
				if !tc.overLong {
					return
				}
				time.Sleep(time.Minute)
				_, err = h.client.Me(context.Background())
				if !errors.Is(err, asana.ErrWaitTooLong) || !strings.Contains(err.Error(), tc.want+",") {
					t.Errorf("a request that meets the pause: err = %v, want ErrWaitTooLong saying %q", err, tc.want)
				}
				if n := h.mock.GetTotalCallCount(); n != 1 {
					t.Errorf("%d requests sent, want 1: the second meets the pause", n)
				}
			})
		})
	}
}
