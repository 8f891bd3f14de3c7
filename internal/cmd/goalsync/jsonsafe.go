package main

import (
	"bytes"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// escapeInvisible writes, in JSON the command prints, every character that
// a reader cannot see or that changes how a terminal shows a line (see
// invisible) as a \uXXXX escape (a surrogate pair past U+FFFF). JSON allows
// them raw inside strings, where a terminal or a log viewer would obey or
// hide them (U+202E turns the rest of a line around; tag characters spell
// ASCII text no one sees); escaped, a program decoding the JSON still gets
// the name as Asana has it, and a person reading it sees the escape. Such
// characters can only stand inside JSON strings, so escaping them keeps the
// JSON valid.
func escapeInvisible(b []byte) []byte {
	if !bytes.ContainsFunc(b, invisible) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case !invisible(r):
			out = append(out, b[:n]...)
		case r > 0xffff:
			hi, lo := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, hi, lo)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		b = b[n:]
	}
	return out
}

// invisible reports the characters escapeInvisible escapes: DEL and the C1
// controls (which encoding/json leaves raw; 0x9b starts an escape
// sequence), every format character (Cf: bidi controls, zero-width
// characters, the soft hyphen, invisible operators, interlinear
// annotation, tag characters), every other character that is not graphic
// (line and paragraph separators, private use, unassigned code points),
// variation selectors, and the other default-ignorable code points (Hangul
// fillers, the combining grapheme joiner), which fonts draw as nothing.
// ASCII, the JSON's own white space among it, is left as it is: encoding/json
// has escaped its controls already.
func invisible(r rune) bool {
	switch {
	case r < 0x7f:
		return false
	case r < 0xa0:
		return true // DEL and the C1 controls
	}
	return !unicode.IsGraphic(r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Variation_Selector, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}
