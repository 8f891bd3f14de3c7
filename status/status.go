// Package status maps the status words of Asana (and of other tools) to
// PerfCopilot's four statuses.
//
// [Map] implements the product spec's table (spec/asana-goals.md, "Status
// mapping") and nothing else:
//
//	achieved, completed, done    → completed
//	at_risk, behind, partial     → at_risk
//	off_track, missed, dropped   → off_track
//	anything else, or empty      → on_track
//
// The input is normalised before the lookup: surrounding space is trimmed,
// case is folded, and runs of spaces, hyphens and underscores count as one
// underscore, so "At Risk", "at-risk" and " AT_RISK " all map to [AtRisk].
// The mapping is total and pure: every string, including invalid UTF-8, maps
// to exactly one of the four statuses, and a status's own word maps to
// itself.
//
// Note that two of Asana's own status_type values are not in the spec's
// table: "complete" (used by projects and portfolios) and "on_hold". Per the
// spec's "anything else" row both map to [OnTrack].
//
// Connectors for other tools (Jira's "Done", Linear's "Canceled", ...) build
// a [Mapper] with [NewMapper], which extends the table with their own words
// without changing the default.
package status

import (
	"errors"
	"fmt"
)

// Status is one of PerfCopilot's four goal statuses. The zero value is not a
// valid Status; use [Map] to obtain one from a tool's word.
type Status string

// The four statuses, spelled as PerfCopilot stores and prints them.
const (
	Completed Status = "completed"
	AtRisk    Status = "at_risk"
	OffTrack  Status = "off_track"
	OnTrack   Status = "on_track"
)

// ErrUnknown is wrapped by the errors of [Parse], [Status.UnmarshalText],
// [Status.MarshalText] and [NewMapper] when a word is not one of the four
// statuses. Test for it with [errors.Is].
var ErrUnknown = errors.New("unknown status")

// Valid reports whether s is one of the four statuses. The zero Status is
// not valid.
func (s Status) Valid() bool {
	switch s {
	case Completed, AtRisk, OffTrack, OnTrack:
		return true
	}
	return false
}

// Parse returns the Status spelled exactly word ("completed", "at_risk",
// "off_track" or "on_track"). Unlike [Map] it does not normalise and does not
// default: any other word, including "", is an error wrapping [ErrUnknown]
// that names the word. Use it to read statuses PerfCopilot itself wrote.
func Parse(word string) (Status, error) {
	if s := Status(word); s.Valid() {
		return s, nil
	}
	return "", unknownError(word)
}

// unknownError names the offending word, quoted so that an empty or
// whitespace-only word is visible in logs.
func unknownError(word string) error {
	return fmt.Errorf("status: %w %q (want completed, at_risk, off_track or on_track)", ErrUnknown, word)
}

// MarshalText implements [encoding.TextMarshaler]: a Status is written as its
// word. An invalid Status (including the zero value) is an error rather than
// an empty or made-up word, because [Status.UnmarshalText] would refuse to
// read it back.
func (s Status) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("status: cannot marshal: %w", unknownError(string(s)))
	}
	return []byte(s), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler] with [Parse]'s exact
// words. An unknown word is an error naming it (never a silent [OnTrack]:
// stored data that does not say one of the four words is corrupt, not
// "anything else"); *s is then left unchanged.
func (s *Status) UnmarshalText(text []byte) error {
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*s = p
	return nil
}
