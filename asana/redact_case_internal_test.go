package asana

import "testing"

// The token echoed with its letters in another case is redacted too, whole,
// escaped or cut short: its hexadecimal secret is as readable upper-cased.
func TestRedactorMatchesTheTokenInAnyCase(t *testing.T) {
	const tok = "2/1205551234567890/1205559876543210:0123456789abcdef0123456789abcdef"
	r := newRedactor(tok)
	for _, tc := range []struct{ in, want string }{
		{"BEARER 2/1205551234567890/1205559876543210:0123456789ABCDEF0123456789ABCDEF.", "BEARER [redacted]."},
		{"Bearer 2/1205551234567890/1205559876543210:0123456789AbCdEf0123456789aBcDeF", "Bearer [redacted]"},
		{"TOKEN=2%2F1205551234567890%2F1205559876543210%3A0123456789ABCDEF0123456789ABCDEF&x", "TOKEN=[redacted]&x"},
		{`"2\/1205551234567890\/1205559876543210\u003A0123456789ABCDEF0123456789ABCDEF"`, `"[redacted]"`},
		{"cut short: BEARER 2/1205551234567890/1205559876543210:0123456789ABC", "cut short: BEARER [redacted]"},
		{"no token: 0123456789ABCDEF", "no token: 0123456789ABCDEF"},
	} {
		if got := string(r.bytes([]byte(tc.in))); got != tc.want {
			t.Errorf("bytes(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
