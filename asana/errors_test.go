package asana_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

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
