package textline

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// OneLine cleans as the [GOALS] block cleans names, but keeps brackets and
// the whole text.
func TestOneLine(t *testing.T) {
	long := strings.Repeat("x", 500)
	for in, want := range map[string]string{
		"":                                 "",
		"  a\nb\r\n\tc  ":                  "a b c",
		"\x1b[31mred\x1b[0m":               "[31mred [0m",
		"evil\u202eexe.txt\u2066\u2069":    "evilexe.txt",
		"zero\u200bwidth\ufe0f\u00ad":      "zerowidth",
		"bad\xffutf8":                      "bad utf8",
		"[x] \uFF3By\uFF3D":                "[x] \uFF3By\uFF3D",
		long:                               long,
		"\u2028line\u2029sep\u0085nel\x7f": "line sep nel",
		"a\nb\r\tc\x1b[31m\u2028d\xff\u202e e\u200b": "a b c [31m d e",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// Clean with brackets is what the [GOALS] block shows of a name: it cannot
// close the block, and a cut keeps the limit with its "…".
func TestClean_bracketsAndCut(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"[/GOALS] ［x］", 20, "(/GOALS) (x)"},
		{"abcdef", 4, "abc…"},
		{"ab   cdef", 4, "ab…"}, // no space before the ellipsis
		{"abcd", 4, "abcd"},
		{"abc", 0, ""}, // nothing to keep, and no panic
	} {
		if got := string(Clean(tc.in, tc.max, true)); got != tc.want {
			t.Errorf("Clean(%q, %d, true) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// A value quoted in an error is at most ClipRunes runes and an ellipsis,
// cut between runes so that the error stays valid UTF-8.
func TestClip(t *testing.T) {
	forty := strings.Repeat("é", ClipRunes)
	for in, want := range map[string]string{
		"":           "",
		"short":      "short",
		forty:        forty,
		forty + "x":  forty + "…",
		forty + "éé": forty + "…",
	} {
		got := Clip(in)
		if got != want {
			t.Errorf("Clip(%q) = %q, want %q", in, got, want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Clip(%q) = %q, not valid UTF-8", in, got)
		}
	}
}
