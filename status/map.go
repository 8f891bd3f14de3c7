package status

import (
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Map returns the PerfCopilot status of a tool's status word, by the spec's
// table (see the package documentation). It never fails: a word the table
// does not know, or an empty one, is [OnTrack].
func Map(raw string) Status {
	return (*Mapper)(nil).Map(raw)
}

// A Mapper maps status words by the spec's table extended with a tool's own
// aliases. Build one with [NewMapper]. A Mapper is immutable, so it is safe
// for concurrent use; the nil *Mapper and the zero Mapper map exactly like
// [Map].
type Mapper struct {
	// aliases holds normalised words that the default table does not
	// already map to the same status. It is never written after NewMapper
	// returns.
	aliases map[string]Status
	// maxLen is the length in bytes of the longest normalised alias, so
	// that Map can stop normalising a long input as soon as it cannot match.
	maxLen int
}

// NewMapper returns a Mapper that knows the spec's table plus aliases, a map
// from a tool's words to statuses (for Jira, say, {"Done": Completed}).
// Alias words are normalised like [Map]'s input, so "In Progress" also
// matches "in-progress". The caller's map is copied: changing it afterwards
// does not change the Mapper.
//
// NewMapper reports an error when an alias maps to an invalid Status
// (wrapping [ErrUnknown]), when an alias word is empty once normalised (the
// empty word means "no status" and is always [OnTrack]), when an alias
// contradicts the spec's table (so "done" is [Completed] in every Mapper and
// a status's own word always maps to itself), or when two aliases normalise
// to the same word but map to different statuses (which one won would
// otherwise depend on map iteration order).
func NewMapper(aliases map[string]Status) (*Mapper, error) {
	m := &Mapper{aliases: make(map[string]Status, len(aliases))}
	// Sorted so that, of several bad aliases, the same one is always named.
	words := make([]string, 0, len(aliases))
	for w := range aliases {
		words = append(words, w)
	}
	slices.Sort(words)
	origin := make(map[string]string, len(aliases)) // normalised → alias as given
	for _, w := range words {
		s := aliases[w]
		if !s.Valid() {
			return nil, fmt.Errorf("status: alias %q: %w", w, unknownError(string(s)))
		}
		key, _ := normalize(w, -1)
		if key == "" {
			return nil, fmt.Errorf("status: alias %q is empty once normalised; an empty status is always %s", w, OnTrack)
		}
		if d, ok := lookupDefault(key); ok {
			if d != s {
				return nil, fmt.Errorf("status: alias %q → %s contradicts the default table, which maps %q to %s", w, s, key, d)
			}
			continue // already in the default table; nothing to store
		}
		if prev, ok := m.aliases[key]; ok && prev != s {
			return nil, fmt.Errorf("status: aliases %q → %s and %q → %s are the same word %q", origin[key], prev, w, s, key)
		}
		m.aliases[key] = s
		origin[key] = w
		m.maxLen = max(m.maxLen, len(key))
	}
	return m, nil
}

// Map returns the status of raw by m's table: its aliases, then the spec's
// table; anything else, or empty, is [OnTrack]. Like [Map] it is total and
// never fails.
func (m *Mapper) Map(raw string) Status {
	limit := maxDefaultWord
	if m != nil {
		limit = max(limit, m.maxLen)
	}
	key, ok := normalize(raw, limit)
	if !ok {
		return OnTrack // longer than every known word, so it cannot be one
	}
	if m != nil {
		if s, ok := m.aliases[key]; ok {
			return s
		}
	}
	if s, ok := lookupDefault(key); ok {
		return s
	}
	return OnTrack
}

// maxDefaultWord is the length of the longest word in lookupDefault. TestMap
// lists every word of the table, so a longer word added without raising this
// fails there.
const maxDefaultWord = len("completed")

// lookupDefault is the spec's table, for normalised words. It is a switch
// rather than a package-level map so that no code can change the default.
// "on_track" is listed although the "anything else" row already covers it,
// so that NewMapper refuses an alias redefining it: each status's own word
// must map to itself in every Mapper.
func lookupDefault(word string) (Status, bool) {
	switch word {
	case "on_track":
		return OnTrack, true
	case "achieved", "completed", "done":
		return Completed, true
	case "at_risk", "behind", "partial":
		return AtRisk, true
	case "off_track", "missed", "dropped":
		return OffTrack, true
	}
	return "", false
}

// normalize returns raw lower-cased, with separators (white space, hyphens
// and dashes, underscores) trimmed from both ends and each inner run of them
// replaced by one underscore. Invalid UTF-8 becomes U+FFFD, which no table
// word contains. When limit is not negative and the result would be longer
// than limit bytes, normalize gives up early and reports false: this bounds
// the work spent on a huge input that cannot match any word.
func normalize(raw string, limit int) (string, bool) {
	var buf []byte
	pending := false // a separator run is waiting to be written as '_'
	for _, r := range raw {
		if isSeparator(r) {
			pending = len(buf) > 0 // leading separators are dropped
			continue
		}
		if pending {
			buf = append(buf, '_')
			pending = false
		}
		buf = utf8.AppendRune(buf, unicode.ToLower(r))
		if limit >= 0 && len(buf) > limit {
			return "", false
		}
	}
	return string(buf), true // a trailing pending separator is dropped
}

// isSeparator reports whether r separates the parts of a status word. Dashes
// other than '-' count as hyphens because word processors substitute them.
func isSeparator(r rune) bool {
	return r == '_' || unicode.IsSpace(r) || unicode.Is(unicode.Pd, r)
}
