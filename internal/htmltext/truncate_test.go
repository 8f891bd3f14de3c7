package htmltext_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/perfcopilot/asanagoals/internal/htmltext"
)

// TestTruncate pins that Truncate cuts to at most max runes without
// splitting a character as a reader sees it (combining marks, ZWJ sequences,
// flag pairs, skin tones, variation selectors), trims white space left at
// the cut, keeps a string that fits as it is, gives up the grapheme rule for
// a cluster too long to back off over, and counts invalid bytes as runes.
func TestTruncate(t *testing.T) {
	const (
		family = "👨\u200d👩\u200d👧" // 5 runes: man ZWJ woman ZWJ girl
		usGB   = "🇺🇸🇬🇧"            // 4 regional indicators, 2 flags
		thumb  = "👍🏽"              // thumbs up + skin tone modifier
		heart  = "❤\ufe0f"         // heart + VARIATION SELECTOR-16
	)
	zalgo := "a" + strings.Repeat("\u0301", 40) + "b"
	tests := []struct {
		name string
		s    string
		max  int
		want string
	}{
		{"max zero", "hello", 0, ""},
		{"max negative", "hello", -5, ""},
		{"empty", "", 10, ""},
		{"ascii shorter", "hello", 10, "hello"},
		{"ascii exactly max", "hello", 5, "hello"},
		{"ascii cut", "hello", 3, "hel"},
		{"ascii one", "hello", 1, "h"},
		{"trailing space at cut trimmed", "hello world", 6, "hello"},
		{"trailing newline at cut trimmed", "one\n\ntwo", 4, "one"},
		{"only whitespace before cut", "   \n  x", 4, ""},
		{"short string kept as is", "ab \n", 10, "ab \n"},
		{"cjk cut", "日本語のテキスト", 3, "日本語"},
		{"cjk exactly max", "日本語", 3, "日本語"},
		{"cjk byte length above max", "日本語", 4, "日本語"},
		{"emoji cut", "😀😃😄", 2, "😀😃"},
		{"emoji exactly max", "😀😃😄", 3, "😀😃😄"},
		{"emoji after ascii", "goal 🎯 done", 6, "goal 🎯"},
		{"combining mark not separated", "cafe\u0301s", 4, "caf"},
		{"combining mark kept whole", "cafe\u0301s", 5, "cafe\u0301"},
		{"combining whole string", "cafe\u0301", 5, "cafe\u0301"},
		{"precomposed", "café!", 4, "café"},
		{"two combining marks", "xe\u0301\u0302y", 2, "x"},
		{"combining at very start", "e\u0301", 1, ""},
		{"zalgo cluster does not fit", zalgo, 10, ""},
		{"zalgo too long to back off falls back to rune cut", zalgo, 40, zalgo[:1+39*2]},
		{"zwj sequence not split", "a" + family + "b", 3, "a"},
		{"zwj sequence kept whole", "a" + family + "b", 6, "a" + family},
		{"zwj sequence cut before joiner", "a" + family, 4, "a"},
		{"flags not split", usGB + "x", 3, "🇺🇸"},
		{"flags whole pair", usGB + "x", 2, "🇺🇸"},
		{"flags before first pair", usGB, 1, ""},
		{"skin tone not split", thumb + "x", 1, ""},
		{"skin tone kept", thumb + "x", 2, thumb},
		{"variation selector not split", heart + "x", 1, ""},
		{"variation selector kept", heart + "x", 2, heart},
		{"invalid bytes count as runes", "\xff\xfeabc", 2, "\xff\xfe"},
		{"invalid byte after cut", "ab\xff", 2, "ab"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := htmltext.Truncate(tc.s, tc.max)
			if got != tc.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tc.s, tc.max, got, tc.want)
			}
			checkTruncate(t, tc.s, tc.max, got)
		})
	}
}

// TestTruncate_properties checks the invariants of Truncate on random
// strings built from characters that stress it.
func TestTruncate_properties(t *testing.T) {
	pieces := []string{
		"a", "Z", "0", " ", "  ", "\n", "\t", "é", "e\u0301", "\u0301",
		"日", "語", "😀", "👍🏽", "❤\ufe0f", "\u200d", "👨\u200d👩", "🇺", "🇸",
		"\u00a0", "\u3000", "\ufffd", "-", ".",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		n := rng.IntN(50) - 2
		checkTruncate(t, s, n, htmltext.Truncate(s, n))
	}
}

// checkTruncate checks the invariants of got = Truncate(s, max).
func checkTruncate(t *testing.T, s string, max int, got string) {
	t.Helper()
	n := utf8.RuneCountInString(got)
	if max <= 0 && got != "" {
		t.Fatalf("Truncate(%q, %d) = %q, want \"\"", s, max, got)
	}
	if n > max && max > 0 {
		t.Fatalf("Truncate(%q, %d) = %q: %d runes", s, max, got, n)
	}
	if utf8.ValidString(s) && !utf8.ValidString(got) {
		t.Fatalf("Truncate(%q, %d) = %q: invalid UTF-8", s, max, got)
	}
	if !strings.HasPrefix(s, got) {
		t.Fatalf("Truncate(%q, %d) = %q: not a prefix", s, max, got)
	}
	if max > 0 && utf8.RuneCountInString(s) <= max {
		if got != s {
			t.Fatalf("Truncate(%q, %d) = %q: changed a string that fits", s, max, got)
		}
		return
	}
	if strings.TrimRightFunc(got, unicode.IsSpace) != got {
		t.Fatalf("Truncate(%q, %d) = %q: trailing whitespace at the cut", s, max, got)
	}
}

// FuzzTruncate: a cut keeps whole characters and gives up at most 32
// runes to do so.
func FuzzTruncate(f *testing.F) {
	seeds := []string{
		"", "hello world", "日本語のテキスト", "😀😃😄", "cafe\u0301s",
		"a👨\u200d👩\u200d👧b", "🇺🇸🇬🇧", "👍🏽", "❤\ufe0f", "a\n\n b ", "\xff\xfeab",
		"a" + strings.Repeat("\u0301", 40),
	}
	for _, s := range seeds {
		for _, n := range []int{-1, 0, 1, 2, 3, 5, 40} {
			f.Add(s, n)
		}
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		got := htmltext.Truncate(s, max)
		checkTruncate(t, s, max, got)
		if max > 0 && utf8.RuneCountInString(s) > max {
			// The cut may only move back to keep a character whole, by at
			// most 32 runes, and then lose the whitespace before it.
			space := 0
			for _, r := range s[len(got):] {
				if !unicode.IsSpace(r) {
					break
				}
				space++
			}
			if lost := max - utf8.RuneCountInString(got) - space; lost > 32 {
				t.Fatalf("Truncate(%q, %d) = %q: gave up %d runes", s, max, got, lost)
			}
		}
	})
}
