// Package textline shapes text this module did not write (Asana's data, a
// file, a flag) for one line of output: cleaned of whatever could break
// the line, drive a terminal or reorder what a reader sees ([OneLine],
// [Clean]), or clipped short enough to quote in an error ([Clip]).
//
// The [GOALS] block of package prompt, the goalsync command's lines and the
// errors of packages asana and goals share these functions, so that every
// line the module prints from outside text is cleaned, and every value it
// quotes is clipped, the same way.
package textline

import (
	"unicode"
	"unicode/utf8"
)

// ClipRunes is how many runes of a value [Clip] keeps.
const ClipRunes = 40

// Clip returns s cut to its first ClipRunes runes, with "…" appended when
// it was cut, so that a bad value can be quoted in an error without
// flooding it. It cuts between runes, never inside one.
func Clip(s string) string {
	if r := []rune(s); len(r) > ClipRunes {
		return string(r[:ClipRunes]) + "…"
	}
	return s
}

// OneLine returns s as a single line of printable characters, cleaned the
// way the [GOALS] block cleans names, for a line of text a program prints
// from Asana's data (a log line, a CSV cell, a terminal message): line
// breaks, control characters (terminal escape sequences begin with one)
// and invalid UTF-8 collapsed to single spaces, leading and trailing
// spaces dropped, and invisible characters removed (bidi overrides and
// isolates, zero-width characters, variation selectors). Unlike the block
// it keeps square brackets and never cuts.
func OneLine(s string) string {
	return string(Clean(s, len(s), false))
}

// Clean returns s as a single line of at most maxRunes printable
// characters: line breaks, controls and invalid UTF-8 collapsed to single
// spaces, leading and trailing spaces dropped, invisible characters (format
// characters, variation selectors) removed, and a "…" ending, within
// maxRunes, when it was cut. With brackets, square brackets (ASCII and
// full-width) become parentheses, so that the text cannot close a
// bracketed block. It stops reading once it knows s is too long, so a huge
// text costs little. A maxRunes below 1 keeps nothing.
func Clean(s string, maxRunes int, brackets bool) []rune {
	if maxRunes < 1 {
		return nil
	}
	out := make([]rune, 0, min(len(s), maxRunes+1))
	space := false // a space is due before the next kept character
	for i := 0; i < len(s) && len(out) <= maxRunes; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1, // invalid UTF-8
			unicode.IsSpace(r), // includes U+0085, U+2028 and U+2029
			unicode.IsControl(r):
			space = len(out) > 0 // leading and trailing spaces are dropped
			continue
		case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Variation_Selector, r):
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		switch {
		case !brackets:
		case r == '[', r == '\uFF3B': // '[' and full-width '［'
			r = '('
		case r == ']', r == '\uFF3D':
			r = ')'
		}
		out = append(out, r)
	}
	if len(out) > maxRunes {
		out = out[:maxRunes-1]
		for len(out) > 0 && out[len(out)-1] == ' ' {
			out = out[:len(out)-1]
		}
		out = append(out, '…')
	}
	return out
}
