package asana

import "testing"

// The redactor removes the token, or its secret alone, however it is written
// (raw, JSON-escaped, percent-escaped), leaves every other byte and escape as
// it was, and leaves a token cut short alone rather than guess.
func TestRedactor_bytes(t *testing.T) {
	const tok = "2/1205551234567890/1205559876543210:0123456789abcdef0123456789abcdef"
	r := newRedactor(tok)
	tests := []struct{ in, want string }{
		{"no token here", "no token here"},
		{`escapes without the token stay escaped: \u003cb\u003e \/ %2F`, `escapes without the token stay escaped: \u003cb\u003e \/ %2F`},
		{"Bearer " + tok + ".", "Bearer [redacted]."},
		{`Bearer 2\/1205551234567890\/1205559876543210:0123456789abcdef0123456789abcdef`, "Bearer [redacted]"},
		{`"Bearer 2/1205551234567890/1205559876543210\u003a0123456789abcdef0123456789abcdef", \u003cb\u003e`, `"Bearer [redacted]", \u003cb\u003e`},
		{`Bearer 2%2F1205551234567890%2F1205559876543210%3A0123456789abcdef0123456789abcdef`, "Bearer [redacted]"},
		{`Bearer 2/1205551234567890/1205559876543210%3A0123456789abcdef0123456789abcdef`, "Bearer [redacted]"},
		{`JSON stays JSON: "\u0022q\u0022 \u005c \u000a \u00e9 %22 Bearer 2/1205551234567890/1205559876543210\u003a0123456789abcdef0123456789abcdef"`,
			`JSON stays JSON: "\u0022q\u0022 \u005c \u000a \u00e9 %22 Bearer [redacted]"`},
		{`an escaped backslash is not an escape: \\u0032`, `an escaped backslash is not an escape: \\u0032`},
		// A token cut short keeps its public parts and the start of its
		// secret: only the whole secret or the whole token is removed.
		{"cut short: Bearer 2/12055", "cut short: Bearer 2/12055"},
		{`cut short: Bearer 2/1205551234567890/1205559876543210\u00`, `cut short: Bearer 2/1205551234567890/1205559876543210\u00`},
		{`cut short: Bearer 2/1205551234567890/1205559876543210%3`, `cut short: Bearer 2/1205551234567890/1205559876543210%3`},
		{`cut short: Bearer 2/1205551234567890/1205559876543210\u003a0123`, `cut short: Bearer 2/1205551234567890/1205559876543210\u003a0123`},
		{`the secret alone, escaped: \u0030123456789abcdef0123456789abcdef%2e`, `the secret alone, escaped: [redacted]%2e`},
	}
	for _, tc := range tests {
		if got := string(r.bytes([]byte(tc.in))); got != tc.want {
			t.Errorf("bytes(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// The token echoed with its letters in another case is redacted too, whole,
// escaped or its secret alone: its hexadecimal secret is as readable
// upper-cased.
func TestRedactor_bytesMatchesTheTokenInAnyCase(t *testing.T) {
	const tok = "2/1205551234567890/1205559876543210:0123456789abcdef0123456789abcdef"
	r := newRedactor(tok)
	for _, tc := range []struct{ in, want string }{
		{"BEARER 2/1205551234567890/1205559876543210:0123456789ABCDEF0123456789ABCDEF.", "BEARER [redacted]."},
		{"Bearer 2/1205551234567890/1205559876543210:0123456789AbCdEf0123456789aBcDeF", "Bearer [redacted]"},
		{"TOKEN=2%2F1205551234567890%2F1205559876543210%3A0123456789ABCDEF0123456789ABCDEF&x", "TOKEN=[redacted]&x"},
		{`"2\/1205551234567890\/1205559876543210\u003A0123456789ABCDEF0123456789ABCDEF"`, `"[redacted]"`},
		{"the secret alone, upper-cased: 0123456789ABCDEF0123456789ABCDEF!", "the secret alone, upper-cased: [redacted]!"},
		{"the secret alone, mixed: 0123456789aBcDeF0123456789AbCdEf!", "the secret alone, mixed: [redacted]!"},
		// Fragments shorter than the secret stay, in any case.
		{"cut short: BEARER 2/1205551234567890/1205559876543210:0123456789ABC", "cut short: BEARER 2/1205551234567890/1205559876543210:0123456789ABC"},
		{"16 of its characters: 0123456789ABCDEF", "16 of its characters: 0123456789ABCDEF"},
	} {
		if got := string(r.bytes([]byte(tc.in))); got != tc.want {
			t.Errorf("bytes(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// The exported Redactor is the client's: the same forms go, an empty token
// takes nothing away.
func TestNewRedactor_isTheClients(t *testing.T) {
	const tok = "2/1205551234567890/1205559876543210:0123456789abcdef0123456789abcdef"
	r := NewRedactor(tok)
	for _, in := range []string{"Bearer " + tok, "BEARER 2%2F1205551234567890%2F1205559876543210%3A0123456789ABCDEF0123456789ABCDEF",
		"secret: 0123456789abcdef0123456789abcdef"} {
		if got := r.String(in); got != newRedactor(tok).string(in) || got == in {
			t.Errorf("String(%q) = %q, want the client's redaction", in, got)
		}
	}
	if got := NewRedactor("").String("nothing 0123456789abcdef"); got != "nothing 0123456789abcdef" {
		t.Errorf("an empty token redacted %q", got)
	}
}
