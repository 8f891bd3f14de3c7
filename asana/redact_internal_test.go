package asana

import "testing"

func TestRedactorBytes(t *testing.T) {
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
