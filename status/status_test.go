package status

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestStatus_Valid pins that only the four exact status words are valid: no
// empty, other, differently cased or padded word.
func TestStatus_Valid(t *testing.T) {
	for _, s := range allStatuses {
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
	}
	for _, s := range []Status{"", "done", "On_Track", "on_track ", "complete"} {
		if s.Valid() {
			t.Errorf("%q.Valid() = true", s)
		}
	}
}

// TestParse pins that Parse takes the four exact words only, with no
// normalisation and no default, and refuses anything else with an error
// wrapping ErrUnknown that names the word.
func TestParse(t *testing.T) {
	for _, s := range allStatuses {
		got, err := Parse(string(s))
		if err != nil || got != s {
			t.Errorf("Parse(%q) = %q, %v; want %q, nil", s, got, err, s)
		}
	}
	// Parse takes exact words only: no normalisation, no default.
	for _, word := range []string{"", "done", "At Risk", "ON_TRACK", " on_track", "complete", "\xff"} {
		got, err := Parse(word)
		if err == nil {
			t.Errorf("Parse(%q) = %q, nil; want an error", word, got)
			continue
		}
		if !errors.Is(err, ErrUnknown) {
			t.Errorf("Parse(%q) error %v does not wrap ErrUnknown", word, err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", word)) {
			t.Errorf("Parse(%q) error %q does not name the word", word, err)
		}
	}
}

// TestStatus_MarshalText_roundTrip pins that each status marshals to its own
// word and unmarshals back to itself.
func TestStatus_MarshalText_roundTrip(t *testing.T) {
	for _, s := range allStatuses {
		text, err := s.MarshalText()
		if err != nil {
			t.Fatalf("%q.MarshalText: %v", s, err)
		}
		if string(text) != string(s) {
			t.Errorf("%q.MarshalText() = %q", s, text)
		}
		var back Status
		if err := back.UnmarshalText(text); err != nil || back != s {
			t.Errorf("UnmarshalText(%q) = %q, %v; want %q, nil", text, back, err, s)
		}
	}
}

// TestStatus_MarshalText_invalid pins that an invalid status, the zero one
// included, is never written: MarshalText fails with an error wrapping
// ErrUnknown.
func TestStatus_MarshalText_invalid(t *testing.T) {
	for _, s := range []Status{"", "done"} {
		if text, err := s.MarshalText(); err == nil || !errors.Is(err, ErrUnknown) {
			t.Errorf("%q.MarshalText() = %q, %v; want an error wrapping ErrUnknown", s, text, err)
		}
	}
}

// TestStatus_json pins a Status in JSON, as a value and as a map key: the
// exact word is written and read back, an unknown word is an error naming
// it, wrapping ErrUnknown and leaving the field as it was, never a silent
// on_track, and a zero Status cannot be marshalled.
func TestStatus_json(t *testing.T) {
	type row struct {
		Status Status            `json:"status"`
		ByKey  map[Status]string `json:"by_key,omitempty"`
	}
	in := row{Status: AtRisk, ByKey: map[Status]string{OffTrack: "x"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"status":"at_risk","by_key":{"off_track":"x"}}`; string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var out row
	if err := json.Unmarshal(b, &out); err != nil || out.Status != AtRisk || out.ByKey[OffTrack] != "x" {
		t.Errorf("json.Unmarshal(%s) = %+v, %v", b, out, err)
	}

	// An unknown word is an error naming it, never a silent on_track, and
	// leaves the field as it was.
	for _, doc := range []string{`{"status":"complete"}`, `{"status":"At Risk"}`, `{"status":""}`} {
		out := row{Status: Completed}
		err := json.Unmarshal([]byte(doc), &out)
		if err == nil {
			t.Errorf("json.Unmarshal(%s) = %+v, nil; want an error", doc, out)
			continue
		}
		if !errors.Is(err, ErrUnknown) {
			t.Errorf("json.Unmarshal(%s) error %v does not wrap ErrUnknown", doc, err)
		}
		word := strings.TrimSuffix(strings.TrimPrefix(doc, `{"status":`), "}")
		if !strings.Contains(err.Error(), word) {
			t.Errorf("json.Unmarshal(%s) error %q does not name %s", doc, err, word)
		}
		if out.Status != Completed {
			t.Errorf("json.Unmarshal(%s) changed the status to %q", doc, out.Status)
		}
	}
	if _, err := json.Marshal(row{}); err == nil || !errors.Is(err, ErrUnknown) {
		t.Errorf("json.Marshal of a zero Status: err = %v, want one wrapping ErrUnknown", err)
	}
}
