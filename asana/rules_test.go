package asana_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
)

// A token with a space or a base URL carrying credentials is refused when
// the client is made, and the refusal never repeats a password.
func TestNewClientRefusesSpacedTokensAndCredentialsInTheBaseURL(t *testing.T) {
	for _, tc := range []struct {
		name, token, base, wantErr string
	}{
		{"token with a space", "1/123 secret", "", "white space"},
		{"token with a tab", "1/123\tsecret", "", "white space"},
		{"base URL with user and password", testToken, "https://ada:hunter2@example.com/api", "credentials"},
		{"base URL with a user", testToken, "https://ada@example.com/api", "credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []asana.Option
			if tc.base != "" {
				opts = append(opts, asana.WithBaseURL(tc.base))
			}
			c, err := asana.NewClient(tc.token, opts...)
			if err == nil {
				t.Fatalf("NewClient succeeded (%v), want an error containing %q", c, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q repeats a secret", err)
			}
		})
	}
}

// ListGoalsOptions.TimePeriods sends every time period, comma-separated,
// and no filter when there is none.
func TestGoalsFiltersByEveryTimePeriod(t *testing.T) {
	for _, tc := range []struct {
		periods []string
		want    []string // the time_periods values sent; nil: none
	}{
		{[]string{"11", "22", "33"}, []string{"11,22,33"}},
		{[]string{"11"}, []string{"11"}},
		{nil, nil},
	} {
		h := newHarness(t)
		var got []string
		h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
			got = req.URL.Query()["time_periods"]
			return jsonResponse(200, goalsPage([]string{"1"}, "")), nil
		})
		if _, err := countSeq(h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1", TimePeriods: tc.periods})); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || (got == nil) != (tc.want == nil) {
			t.Errorf("TimePeriods %q: time_periods sent %q, want %q", tc.periods, got, tc.want)
		}
	}
}

// A 3xx that net/http does not follow (no Location, or 304) is an error
// with its status, never an answer, whatever its body holds.
func TestUnfollowedRedirectIsAnError(t *testing.T) {
	for _, status := range []int{http.StatusFound, http.StatusNotModified, http.StatusMultipleChoices} {
		h := newHarness(t)
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(status, `{"data":{"gid":"1","name":"Ada"}}`))
		u, err := h.client.Me(context.Background())
		var ae *asana.Error
		if !errors.As(err, &ae) || ae.StatusCode != status {
			t.Errorf("%d without Location: user %+v, err %v; want an *asana.Error with status %d", status, u, err, status)
			continue
		}
		if u != (asana.User{}) {
			t.Errorf("%d without Location: user %+v, want none", status, u)
		}
		if errors.Is(err, asana.ErrMalformedResponse) {
			t.Errorf("%d: err %v matches ErrMalformedResponse, which is for 2xx only", status, err)
		}
	}
}

// Every 2xx whose body is not what was asked for is ErrMalformedResponse,
// not only a 200.
func TestEvery2xxWithABadBodyIsMalformed(t *testing.T) {
	for _, status := range []int{200, 201, 203, 206, 299} {
		h := newHarness(t, asana.WithMaxRetries(0))
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(status, `<html><body>Sign in</body></html>`))
		_, err := h.client.Me(context.Background())
		var ae *asana.Error
		if !errors.As(err, &ae) || ae.StatusCode != status || !errors.Is(err, asana.ErrMalformedResponse) {
			t.Errorf("%d with HTML: err = %v, want ErrMalformedResponse with status %d", status, err, status)
		}
	}
}

// A '>' outside a tag is text, and the excerpt keeps it.
func TestExcerptKeepsAGreaterThanOutsideTags(t *testing.T) {
	for body, want := range map[string]string{
		"upstream latency > 30s":            "upstream latency > 30s",
		"<p>load > 90%</p><p>try later</p>": "load > 90% try later",
		"a->b":                              "a->b",
	} {
		h := newHarness(t, asana.WithMaxRetries(0))
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(502, body))
		_, err := h.client.Me(context.Background())
		var ae *asana.Error
		if !errors.As(err, &ae) || ae.Excerpt != want {
			t.Errorf("body %q: err = %v, want the excerpt %q", body, err, want)
		}
	}
}

// A date before the year 1000 is still YYYY-MM-DD, and reads back as the
// same date.
func TestDateBeforeTheYear1000HasFourDigits(t *testing.T) {
	for _, tc := range []struct {
		d    asana.Date
		want string
	}{
		{asana.Date{Year: 999, Month: time.January, Day: 2}, "0999-01-02"},
		{asana.Date{Year: 5, Month: time.December, Day: 31}, "0005-12-31"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
		if b, err := tc.d.MarshalJSON(); err != nil || string(b) != `"`+tc.want+`"` {
			t.Errorf("MarshalJSON() = %s, %v; want %q", b, err, tc.want)
		}
		if back, err := asana.ParseDate(tc.d.String()); err != nil || back != tc.d {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tc.d.String(), back, err, tc.d)
		}
	}
}
