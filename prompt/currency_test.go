package prompt

import (
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/goals"
)

// A currency code is shown only when it is three capital letters, ISO
// 4217's shape: a longer or shorter one is left out, not cut or padded.
func TestCurrencyCodeIsExactlyThreeCapitalLetters(t *testing.T) {
	for code, shown := range map[string]bool{
		"EUR": true, "USD": true,
		"EURO": false, "USDT": false, "EU": false, "E": false, "": false, "eur": false, "EU1": false,
	} {
		var b strings.Builder
		writeMetric(&b, goals.Metric{Current: 1, Target: 2, Unit: "currency", CurrencyCode: code})
		want := "50% (1/2)"
		if shown {
			want = "50% (1/2 " + code + ")"
		}
		if got := b.String(); got != want {
			t.Errorf("currency code %q: %q, want %q", code, got, want)
		}
	}
}
