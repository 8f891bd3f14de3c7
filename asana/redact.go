package asana

import (
	"bytes"
	"net/url"
	"strings"
)

// redacted stands in for the token wherever an answer echoed it.
const redacted = "[redacted]"

// minPartialToken is the shortest start of the token that redact removes
// from the end of a text: a body cut short can end inside an echoed token.
const minPartialToken = 4

// redactor removes the client's token from text the client keeps from an
// answer (Asana's message, help and phrase, a body excerpt). A proxy or a
// misconfigured gateway can echo the request's headers back, Authorization
// included, and an error is the kind of value that gets logged and shown.
type redactor struct {
	token string
	forms []string // the token as it may appear in a body
}

func newRedactor(token string) redactor {
	r := redactor{token: token}
	for _, f := range []string{token, url.QueryEscape(token), strings.ReplaceAll(token, "/", `\/`)} {
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
func (r redactor) bytes(b []byte) []byte {
	for _, f := range r.forms {
		if bytes.Contains(b, []byte(f)) {
			b = bytes.ReplaceAll(b, []byte(f), []byte(redacted))
		}
	}
	for n := len(r.token) - 1; n >= minPartialToken; n-- {
		if bytes.HasSuffix(b, []byte(r.token[:n])) {
			return append(b[:len(b)-n:len(b)-n], redacted...)
		}
	}
	return b
}

// string is bytes for a string.
func (r redactor) string(s string) string {
	if s == "" {
		return s
	}
	return string(r.bytes([]byte(s)))
}
