package asana_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/asana"
)

// A record the client cannot read is that record's error alone: the
// listing yields it in the record's place, with its GID, matching
// ErrMalformedResponse, and goes on with the records after it and the next
// page.
func TestUnreadableRecordIsThatRecordsErrorAlone(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Get("offset") == "" {
			return jsonResponse(200, `{"data":[{"gid":"1","name":"A"},{"gid":"2","due_on":"next spring"},{"gid":"3","name":"C"}],`+
				`"next_page":{"offset":"p2"}}`), nil
		}
		return jsonResponse(200, goalsPage([]string{"4"}, "")), nil
	})
	var got []string
	for g, err := range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1"}) {
		var re *asana.RecordError
		switch {
		case err == nil:
			got = append(got, g.GID)
		case errors.As(err, &re) && errors.Is(err, asana.ErrMalformedResponse):
			got = append(got, "bad "+re.GID)
		default:
			t.Fatalf("after %v: err = %v (%T), want a *RecordError or none", got, err, err)
		}
	}
	if want := []string{"1", "bad 2", "3", "4"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("listing yielded %v, want %v", got, want)
	}
}

// The error of an unreadable record keeps none of the token: the decoder's
// message quotes the value it could not read, and a field can echo the
// request's Authorization header.
func TestUnreadableRecordErrorHoldsNoToken(t *testing.T) {
	h := newHarness(t)
	h.mock.RegisterResponder("GET", apiRoot+"/goals", func(*http.Request) (*http.Response, error) {
		return jsonResponse(200, `{"data":[{"gid":"1","due_on":"Bearer `+testToken+`"}],"next_page":null}`), nil
	})
	n := 0
	for _, err := range h.client.Goals(context.Background(), asana.ListGoalsOptions{Workspace: "1"}) {
		n++
		var re *asana.RecordError
		if !errors.As(err, &re) {
			t.Fatalf("err = %v, want a *RecordError", err)
		}
		for what, s := range map[string]string{"Error()": err.Error(), "Err": re.Err.Error(), "%+v": fmt.Sprintf("%+v", err)} {
			if strings.Contains(s, "supersecret") {
				t.Errorf("%s holds the token: %s", what, s)
			}
		}
		if !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("error %q does not show where the token was removed", err)
		}
	}
	if n != 1 {
		t.Errorf("%d records yielded, want 1", n)
	}
}
