package asana

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// redacted stands in for the token wherever an answer echoed it.
const redacted = "[redacted]"

// minSecret is the fewest characters of a secret, or of a whole token,
// that the redactor removes. A shorter one (a placeholder token "a" in a
// test or a demo) would match ordinary words and numbers, and cut Asana's
// answers apart before they are read; the secret of an Asana token is 32
// characters.
const minSecret = 8

// maxRedactRounds bounds how often bytes looks again in a text it changed:
// only a secret holding the characters of "[redacted]" can appear anew
// where one was removed.
const maxRedactRounds = 4

// redactor removes the client's token from text the client keeps from an
// answer (Asana's message, help and phrase, a body excerpt). A proxy or a
// misconfigured gateway can echo the request's headers back, Authorization
// included, and an error is the kind of value that gets logged and shown.
//
// What it removes is the token's secret and the whole token, wherever
// either appears whole. The secret is what follows the last ':' of the
// token (an Asana token reads "2/<user gid>/<app gid>:<secret>"), or the
// whole token when it has no ':'. Either is matched as it is, JSON-escaped
// (\uXXXX, \/ and a JSON string's other escapes), URL-escaped (%XX, the
// UTF-8 bytes of a character that is not ASCII included), in any mix of
// these, and in any case of its letters.
//
// Nothing else is removed. Not the token's user and app GIDs: they are
// public (Asana shows them in answers and links), and a message that names
// the token's user must still name it. Nor any fragment shorter than the
// secret: the token's first characters ("2/12") end "back on 12/2/12" as
// surely as a body cut inside the token, and a run of the token's
// characters is as often a GID. A secret or token shorter than minSecret is
// not sought at all.
type redactor struct {
	pats   []pattern // the whole token, then its secret
	maxLen int       // the longest pattern, in units
}

// pattern is a text to remove, as units (see units), with the
// failure function of a Knuth-Morris-Pratt search for it.
type pattern struct {
	units []rune
	fail  []int
}

func newRedactor(token string) redactor {
	secret := token
	if i := strings.LastIndexByte(token, ':'); i >= 0 && i+1 < len(token) {
		secret = token[i+1:]
	}
	var r redactor
	for _, s := range []string{token, secret} {
		units := foldedUnits(s)
		if len(units) < minSecret || slices.ContainsFunc(r.pats, func(p pattern) bool { return slices.Equal(p.units, units) }) {
			continue
		}
		r.pats = append(r.pats, newPattern(units))
		r.maxLen = max(r.maxLen, len(units))
	}
	return r
}

func newPattern(units []rune) pattern {
	fail := make([]int, len(units))
	for i, k := 1, 0; i < len(units); i++ {
		for k > 0 && units[i] != units[k] {
			k = fail[k-1]
		}
		if units[i] == units[k] {
			k++
		}
		fail[i] = k
	}
	return pattern{units: units, fail: fail}
}

// foldedUnits returns s as units, read as it is.
func foldedUnits(s string) []rune {
	var out []rune
	in := units{b: []byte(s)}
	for {
		u, _, _, ok := in.next()
		if !ok {
			return out
		}
		out = append(out, u)
	}
}

// bytes returns b without the token's secret or the whole token; it
// returns b itself when neither is in it.
func (r redactor) bytes(b []byte) []byte {
	for range maxRedactRounds {
		spans := r.find(b)
		if len(spans) == 0 {
			break
		}
		b = replaceSpans(b, spans)
	}
	return b
}

// string is bytes for a string.
func (r redactor) string(s string) string {
	if s == "" || len(r.pats) == 0 {
		return s
	}
	b := []byte(s)
	out := r.bytes(b)
	if len(out) == len(b) && &out[0] == &b[0] { // b itself: nothing removed
		return s
	}
	return string(out)
}

// span is where in a text a pattern was found: b[start:end].
type span struct{ start, end int }

// find returns where in b the patterns are: in b as it is, with its JSON
// escapes undone, with its URL escapes undone, and with both undone (a
// token holding a '%' or a '\' must be sought where only the escapes of
// its own encoding are undone).
func (r redactor) find(b []byte) []span {
	if len(r.pats) == 0 || len(b) == 0 {
		return nil
	}
	json, url := slices.Contains(b, '\\'), slices.Contains(b, '%')
	spans := r.scan(b, false, false, nil)
	if json {
		spans = r.scan(b, true, false, spans)
	}
	if url {
		spans = r.scan(b, false, true, spans)
	}
	if json && url {
		spans = r.scan(b, true, true, spans)
	}
	return spans
}

// scan appends to spans every place in b where a pattern's units are, in
// b read with the escapes chosen undone (see units).
func (r redactor) scan(b []byte, json, url bool, spans []span) []span {
	starts := make([]int, r.maxLen) // where the last maxLen units start, by unit number
	matched := make([]int, len(r.pats))
	in := units{b: b, json: json, url: url}
	for n := 0; ; n++ {
		u, start, end, ok := in.next()
		if !ok {
			return spans
		}
		starts[n%len(starts)] = start
		for j := range r.pats {
			p, k := &r.pats[j], matched[j]
			for k > 0 && p.units[k] != u {
				k = p.fail[k-1]
			}
			if p.units[k] == u {
				k++
			}
			if k == len(p.units) {
				spans = append(spans, span{starts[(n-k+1)%len(starts)], end})
				k = p.fail[k-1]
			}
			matched[j] = k
		}
	}
}

// replaceSpans returns a copy of b with redacted in place of each span,
// spans that overlap taken as one.
func replaceSpans(b []byte, spans []span) []byte {
	slices.SortFunc(spans, func(x, y span) int { return cmp.Compare(x.start, y.start) })
	out := make([]byte, 0, len(b))
	last := 0
	for _, s := range spans {
		switch {
		case s.end <= last: // within the span replaced last
		case s.start < last: // overlaps it: it goes on to s.end
			last = s.end
		default:
			out = append(append(out, b[last:s.start]...), redacted...)
			last = s.end
		}
	}
	return append(out, b[last:]...)
}

// A unit is one character of a text, folded so that the characters that
// differ only by case are one unit (see fold). A byte that is not part of
// UTF-8 is a unit of its own, beyond every character: notUTF8 plus the
// byte.
const notUTF8 = unicode.MaxRune + 1

// units reads a text unit by unit, with its JSON escapes (\uXXXX, a
// surrogate pair as one character, and \" \\ \/ \b \f \n \r \t) undone
// when json is set, and its URL escapes (%XX) when url is. Escapes are
// undone into bytes first, and the bytes read as UTF-8 after, so that a
// character's bytes escaped one by one are one unit. An escape that is not
// one reads as it is.
type units struct {
	b         []byte
	i         int // the next byte of b to read
	json, url bool
	// pending are the bytes undone from b[:i] and not yet read, each with
	// the bytes of b it comes from.
	pending [2 * utf8.UTFMax]pendingByte
	n       int
}

type pendingByte struct {
	c          byte
	start, end int
}

// next returns the next unit and the bytes of the text it was read from,
// b[start:end]; ok is false at the end of the text.
func (u *units) next() (unit rune, start, end int, ok bool) {
	u.fill(1)
	if u.n == 0 {
		return 0, 0, 0, false
	}
	first := u.pending[0]
	size := 1
	if first.c < utf8.RuneSelf {
		unit = fold(rune(first.c))
	} else {
		u.fill(utf8.UTFMax)
		var buf [utf8.UTFMax]byte
		k := min(u.n, utf8.UTFMax)
		for j := range k {
			buf[j] = u.pending[j].c
		}
		r, n := utf8.DecodeRune(buf[:k])
		if r == utf8.RuneError && n <= 1 {
			unit = notUTF8 + rune(first.c)
		} else {
			unit, size = fold(r), n
		}
	}
	start, end = first.start, u.pending[size-1].end
	copy(u.pending[:], u.pending[size:u.n])
	u.n -= size
	return unit, start, end, true
}

// fill undoes bytes of the text until k are pending or the text is read.
func (u *units) fill(k int) {
	for u.n < k && u.i < len(u.b) {
		b, i := u.b[u.i:], u.i
		if u.json && b[0] == '\\' {
			if r, size := jsonEscape(b); size > 0 {
				var enc [utf8.UTFMax]byte
				for _, c := range enc[:utf8.EncodeRune(enc[:], r)] {
					u.push(c, i, i+size)
				}
				u.i += size
				continue
			}
		}
		if u.url && b[0] == '%' {
			if c, ok := hexByte(b); ok {
				u.push(c, i, i+3)
				u.i += 3
				continue
			}
		}
		u.push(b[0], i, i+1)
		u.i++
	}
}

func (u *units) push(c byte, start, end int) {
	u.pending[u.n] = pendingByte{c, start, end}
	u.n++
}

// jsonEscape reads the JSON escape b starts with, or returns 0, 0. A lone
// surrogate reads as one, which is no character a token holds.
func jsonEscape(b []byte) (rune, int) {
	if len(b) < 2 {
		return 0, 0
	}
	switch b[1] {
	case '"', '\\', '/':
		return rune(b[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		r, ok := hex4(b[2:])
		if !ok {
			return 0, 0
		}
		if utf16.IsSurrogate(r) && len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
			if r2, ok := hex4(b[8:]); ok {
				if pair := utf16.DecodeRune(r, r2); pair != unicode.ReplacementChar {
					return pair, 12
				}
			}
		}
		return r, 6
	}
	return 0, 0
}

// hexByte reads "%XX" at the start of b.
func hexByte(b []byte) (byte, bool) {
	if len(b) < 3 || b[0] != '%' {
		return 0, false
	}
	hi, ok1 := hexDigit(b[1])
	lo, ok2 := hexDigit(b[2])
	return hi<<4 | lo, ok1 && ok2
}

// hex4 reads four hexadecimal digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		d, ok := hexDigit(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// fold returns the one character that stands for r and every character
// that differs from it only by case (unicode.SimpleFold): the smallest of
// them, an ASCII letter's upper case.
func fold(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

// Redactor removes a token from text the way a Client removes its own
// token from everything it keeps of an answer: the token's secret (what
// follows its last ':') and the whole token, as they are, JSON- or
// URL-escaped, in any case of their letters; never the token's public
// parts (the user and app GIDs of an Asana token) nor a fragment shorter
// than the secret. A secret shorter than eight characters is not sought
// alone, and a token that short not at all: a placeholder token such as
// "a" changes nothing. A program that prints text which may hold the token (a log line of the
// HTTP stack, an error of its own) passes it through one.
type Redactor struct{ r redactor }

// NewRedactor returns a Redactor for token. An empty token redacts
// nothing.
func NewRedactor(token string) Redactor {
	return Redactor{r: newRedactor(token)}
}

// String returns s without the token.
func (r Redactor) String(s string) string {
	return r.r.string(s)
}
