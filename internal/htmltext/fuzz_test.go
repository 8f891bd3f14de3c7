package htmltext_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/perfcopilot/asanagoals/internal/htmltext"
)

func FuzzToText(f *testing.F) {
	for _, tc := range toTextCases {
		f.Add(tc.in)
	}
	f.Add(tenKBNotes[:2000])
	f.Fuzz(func(t *testing.T, in string) {
		out := htmltext.ToText(in)
		checkText(t, in, out)
		// Description must be exactly Truncate(ToText), early stop or not.
		for _, max := range []int{1, len(in) % 64, 1000} {
			want := htmltext.Truncate(out, max)
			if got := htmltext.Description(in, max); got != want {
				t.Fatalf("Description(%q, %d) = %q, want %q", in, max, got, want)
			}
		}
	})
}

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
