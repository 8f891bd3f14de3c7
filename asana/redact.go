package asana

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
)

// redacted stands in for the token wherever an answer echoed it.
const redacted = "[redacted]"

// minPartialToken is the shortest start of the token that redact removes
// from the end of a text: a body cut short can end inside an echoed token.
const minPartialToken = 4

// minTokenRun is the shortest run of the token's characters that redact
// removes wherever it appears: an answer can echo part of the token (the
// secret after the last ':' of an Asana token, say), and sixteen of its
// characters are enough to matter.
const minTokenRun = 16

// redactor removes the client's token from text the client keeps from an
// answer (Asana's message, help and phrase, a body excerpt). A proxy or a
// misconfigured gateway can echo the request's headers back, Authorization
// included, and an error is the kind of value that gets logged and shown.
//
// The token is matched without regard to the case of its ASCII letters: an
// answer that echoes it upper-cased (a gateway's error page, say) gives it
// away as surely, since its secret part is hexadecimal.
type redactor struct {
	token string   // lower-cased
	forms []string // the token as it may appear in a body, lower-cased
	// runs holds every minTokenRun-long run of the lower-cased token, with
	// where it starts in it.
	runs map[string]int
}

func newRedactor(token string) redactor {
	r := redactor{token: string(lowerASCII([]byte(token)))}
	if len(r.token) >= minTokenRun {
		r.runs = make(map[string]int, len(r.token)-minTokenRun+1)
		for i := 0; i+minTokenRun <= len(r.token); i++ {
			if _, dup := r.runs[r.token[i:i+minTokenRun]]; !dup {
				r.runs[r.token[i:i+minTokenRun]] = i
			}
		}
	}
	for _, f := range []string{token, url.QueryEscape(token), strings.ReplaceAll(token, "/", `\/`)} {
		f = string(lowerASCII([]byte(f)))
		if f != "" && !contains(r.forms, f) {
			r.forms = append(r.forms, f)
		}
	}
	return r
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// bytes returns b without the token; it returns b itself when the token is
// not in it.
//
// A JSON or URL encoder can spell only some of the token's characters as
// escapes (a colon as \u003a or %3A), so that no form of the whole token
// is in b while most of it, the secret part included, is. When b holds
// escapes, bytes looks again in b with its escapes undone, and returns that
// text, redacted, when the token was in it.
func (r redactor) bytes(b []byte) []byte {
	if bytes.IndexByte(b, '\\') >= 0 || bytes.IndexByte(b, '%') >= 0 {
		dec := unescape(b)
		if red := r.plain(dec); !bytes.Equal(red, dec) {
			return red
		}
	}
	return r.plain(b)
}

// plain is bytes without the look through escapes.
func (r redactor) plain(b []byte) []byte {
	low := lowerASCII(b)
	for _, f := range r.forms {
		if bytes.Contains(low, []byte(f)) {
			b = replaceAt(b, low, []byte(f))
			low = lowerASCII(b)
		}
	}
	for n := len(r.token) - 1; n >= minPartialToken; n-- {
		if bytes.HasSuffix(low, []byte(r.token[:n])) {
			b, low = append(b[:len(b)-n:len(b)-n], redacted...), nil
			break
		}
	}
	if low == nil {
		low = lowerASCII(b)
	}
	return r.removeRuns(b, low)
}

// removeRuns returns b with redacted in place of every run of at least
// minTokenRun characters of the token, each run taken as long as it goes.
func (r redactor) removeRuns(b, low []byte) []byte {
	if len(r.runs) == 0 || len(b) < minTokenRun {
		return b
	}
	var out []byte
	last := 0
	for i := 0; i+minTokenRun <= len(low); {
		j, ok := r.runs[string(low[i:i+minTokenRun])]
		if !ok {
			i++
			continue
		}
		n := minTokenRun
		for i+n < len(low) && j+n < len(r.token) && low[i+n] == r.token[j+n] {
			n++
		}
		out = append(append(out, b[last:i]...), redacted...)
		i += n
		last = i
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// replaceAt returns b with redacted in place of every f in low, b with its
// ASCII letters lower-cased.
func replaceAt(b, low, f []byte) []byte {
	out := make([]byte, 0, len(b))
	for {
		i := bytes.Index(low, f)
		if i < 0 {
			return append(out, b...)
		}
		out = append(append(out, b[:i]...), redacted...)
		b, low = b[i+len(f):], low[i+len(f):]
	}
}

// lowerASCII returns a copy of b with its ASCII letters lower-cased and
// every other byte as it is, so that an index into it is one into b.
func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// string is bytes for a string.
func (r redactor) string(s string) string {
	if s == "" {
		return s
	}
	return string(r.bytes([]byte(s)))
}

// unescape undoes JSON's \uXXXX and \/ escapes and URL's %XX escapes in
// b, in one pass (an escaped backslash stays as it is). Only escapes of
// printable ASCII other than '"' and '\\' are undone, the characters a
// token is made of, so that JSON stays JSON. An escape cut off at the end
// of b is dropped: b may be a body cut short.
func unescape(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\\' && i+1 < len(b) && b[i+1] == '/':
			out = append(out, '/')
			i++
		case c == '\\' && i+1 < len(b) && b[i+1] == 'u':
			if i+6 > len(b) {
				if hexDigits(b[i+2:]) {
					return out // cut short inside the escape
				}
				out = append(out, c)
				continue
			}
			if n, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 32); err == nil && plainASCII(n) {
				out = append(out, byte(n))
				i += 5
				continue
			}
			out = append(out, c)
		case c == '\\' && i+1 < len(b):
			out = append(out, c, b[i+1])
			i++
		case c == '\\':
			return out // cut short after the backslash
		case c == '%':
			if i+3 > len(b) {
				if hexDigits(b[i+1:]) {
					return out
				}
				out = append(out, c)
				continue
			}
			if n, err := strconv.ParseUint(string(b[i+1:i+3]), 16, 8); err == nil && plainASCII(n) {
				out = append(out, byte(n))
				i += 2
				continue
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out
}

func hexDigits(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// plainASCII reports whether c is printable ASCII that needs no escape in
// a JSON string.
func plainASCII(c uint64) bool {
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'
}

// Redactor removes a token from text the way a Client removes its own
// token from everything it keeps of an answer: whole, JSON- or
// URL-escaped, in any case of its letters, cut short at the end of the
// text, and any run of sixteen or more of its characters. A program that
// prints text which may hold the token (a log line of the HTTP stack, an
// error of its own) passes it through one.
type Redactor struct{ r redactor }

// NewRedactor returns a Redactor for token. An empty token redacts
// nothing.
func NewRedactor(token string) Redactor {
	if token == "" {
		return Redactor{}
	}
	return Redactor{r: newRedactor(token)}
}

// String returns s without the token.
func (r Redactor) String(s string) string {
	if r.r.token == "" {
		return s
	}
	return r.r.string(s)
}
