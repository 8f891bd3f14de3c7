package asana

import (
	"net/http"
	"testing"
	"time"
)

// parseRetryAfter never gives a negative wait, nor one past maxRetryAfter
// but overLongRetryAfter, and a value it does not read is no wait at all.
func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	for _, seed := range []string{
		"1e12", "99999999999999999999", "0.5", "-3", "NaN", "soon", "3600", "0", "-0", "Inf", "-Inf", "1e-300",
		"0x1p-2", " 42 ", "", "1_000",
		now.Add(time.Hour).Format(http.TimeFormat),
		now.Add(-time.Hour).Format(http.TimeFormat),
		now.Add(30 * 24 * time.Hour).Format(http.TimeFormat),
		"Monday, 02-Jan-06 15:04:05 GMT",
		"Mon Jan  2 15:04:05 2006",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if d < 0 || d > maxRetryAfter && d != overLongRetryAfter {
			t.Errorf("parseRetryAfter(%q) = %s, want 0..%s or overLongRetryAfter", v, d, maxRetryAfter)
		}
		if !ok && d != 0 {
			t.Errorf("parseRetryAfter(%q) = %s, not ok: want no wait", v, d)
		}
	})
}
