package htmltext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxClusterBackoff is how many runes Truncate gives up, at most, to avoid
// separating a character from its combining marks. Longer sequences (such
// as "Zalgo" text) are cut at the rune limit.
const maxClusterBackoff = 32

const zwj = '\u200d' // ZERO WIDTH JOINER

// Truncate returns s capped at max runes (Unicode code points).
//
//   - max <= 0 returns "".
//   - If s has at most max runes it is returned unchanged.
//   - Otherwise the result is the longest prefix of s of at most max runes
//     that does not end inside a multi-byte character, with trailing
//     whitespace (including newlines) then removed. No ellipsis or other
//     marker is added: the result is always a prefix of s and never longer
//     than max runes.
//   - Best effort beyond runes: the cut is moved back, by at most
//     maxClusterBackoff runes, rather than separate a character from the
//     combining marks, variation selectors, emoji modifiers or zero-width
//     joiner sequences that follow it, or split a flag (a pair of regional
//     indicators). So "cafe\u0301s" capped at 4 is "caf", not "cafe" with
//     its accent lost.
//
// Runes are counted as in a range loop: an invalid byte counts as one rune
// and is kept as it is, so the result is valid UTF-8 whenever s is.
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if len(s) <= max { // at most one rune per byte
		return s
	}
	cut := 0
	for n := 0; n < max && cut < len(s); n++ {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
	}
	if cut == len(s) {
		return s
	}
	cut = clusterStart(s, cut)
	return strings.TrimRightFunc(s[:cut], unicode.IsSpace)
}

// clusterStart returns cut, or an earlier index when cutting s at cut
// (0 < cut < len(s)) would split a character from what extends it.
func clusterStart(s string, cut int) int {
	c := cut
	for range maxClusterBackoff {
		if c == 0 || canBreak(s, c) {
			return c
		}
		_, size := utf8.DecodeLastRuneInString(s[:c])
		c -= size
	}
	return cut
}

// canBreak approximates the grapheme cluster boundary rules of Unicode
// UAX #29 (GB9, GB9a, GB11, GB12/13) at index i, 0 < i < len(s).
func canBreak(s string, i int) bool {
	next, _ := utf8.DecodeRuneInString(s[i:])
	prev, _ := utf8.DecodeLastRuneInString(s[:i])
	if next == zwj || prev == zwj || isExtend(next) {
		return false
	}
	if isRegionalIndicator(prev) && isRegionalIndicator(next) {
		// Flags are pairs: break only after an even number of indicators.
		n := 0
		for j := i; j > 0; n++ {
			r, size := utf8.DecodeLastRuneInString(s[:j])
			if !isRegionalIndicator(r) {
				break
			}
			j -= size
		}
		return n%2 == 0
	}
	return true
}

// isExtend reports whether r belongs to the character before it: combining
// marks (which include variation selectors), ZERO WIDTH NON-JOINER, emoji
// skin-tone modifiers and emoji tag characters.
func isExtend(r rune) bool {
	if r < 0x300 {
		return false // fast path: nothing below the combining diacritics
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) ||
		r == '\u200c' ||
		(r >= 0x1f3fb && r <= 0x1f3ff) ||
		(r >= 0xe0020 && r <= 0xe007f)
}

func isRegionalIndicator(r rune) bool {
	return r >= 0x1f1e6 && r <= 0x1f1ff
}
