package main

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// escapeInvisible writes, in JSON the command prints, every character that
// changes how a terminal shows a line without being seen itself (bidi
// controls, zero-width characters, variation selectors, DEL and the C1
// controls, which encoding/json leaves raw) as a \uXXXX escape. JSON allows
// them raw inside strings, where a terminal or a log viewer would obey them
// (U+202E turns the rest of a line around); escaped, a program decoding the
// JSON still gets the name as Asana has it, and a person reading it sees
// the escape. Such characters can only stand inside JSON strings, so
// escaping them keeps the JSON valid.
func escapeInvisible(b []byte) []byte {
	if !bytes.ContainsFunc(b, invisible) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if invisible(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

// invisible reports the characters escapeInvisible escapes.
func invisible(r rune) bool {
	switch {
	case r == '\u061c', r >= '\u200b' && r <= '\u200f', r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true // bidi controls and zero-width characters
	case r == '\u2060', r == '\ufeff', r >= '\ufe00' && r <= '\ufe0f':
		return true // word joiner, BOM, variation selectors
	case r >= 0x7f && r < 0xa0:
		return true // DEL and the C1 controls (0x9b starts an escape sequence)
	}
	return false
}
