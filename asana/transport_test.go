package asana_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// A retry is counted when it is sent, not when it is decided: a request
// whose context ends during the Retry-After pause before its retry counts
// one request and no retry, so that retries never exceed requests less one.
func TestClient_Stats_retryEndedDuringThePauseIsNotCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			return tooMany("60"), nil
		})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := h.client.Me(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the context's deadline", err)
		}
		st := h.client.Stats()
		if st.Requests != 1 || st.Retries != 0 {
			t.Errorf("requests %d, retries %d; want 1 request and no retry (the retry was never sent)", st.Requests, st.Retries)
		}
		if n := h.mock.GetTotalCallCount(); n != 1 {
			t.Errorf("%d requests reached the server, want 1", n)
		}
	})
}

// Every retry sent is counted: three 500s and a 200 are four requests, three
// of them retries.
func TestClient_Stats_retriesSentAreCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		n := 0
		h.mock.RegisterResponder("GET", apiRoot+"/users/me", func(*http.Request) (*http.Response, error) {
			if n++; n <= 3 {
				return jsonResponse(500, `{"errors":[{"message":"Server Error"}]}`), nil
			}
			return okMe(), nil
		})
		if _, err := h.client.Me(context.Background()); err != nil {
			t.Fatal(err)
		}
		if st := h.client.Stats(); st.Requests != 4 || st.Retries != 3 {
			t.Errorf("requests %d, retries %d; want 4 and 3", st.Requests, st.Retries)
		}
	})
}
