package asana

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fuzzTokens are the tokens the fuzz targets redact: a token of Asana's
// shape, and one made only of characters a change name may hold.
var fuzzTokens = []string{
	"2/1205551234567890/1205559876543210:0123456789abcdef0123456789abcdef",
	"1/1234567890:supersecrettokenvalue",
	"supersecret_token_of_name_characters",
}

func fuzzToken(pick uint8) string { return fuzzTokens[int(pick)%len(fuzzTokens)] }

// Whatever the Asana-Change headers hold, parseChanges does not panic,
// returns at most maxChangeEntries changes with valid, distinct names and
// valid links or none, and keeps nothing of the client's token.
func FuzzParseChanges(f *testing.F) {
	for _, seed := range []string{
		"name=new_goal_memberships;info=https://asana.com/developers/docs/goal-memberships;affected=true",
		"name=string_ids;info=https://asana.com/developers/docs/string-ids, NAME=new_sections ; INFO=https://asana.com/s ; Affected=TRUE",
		"\n;;;,,,\ninfo=https://asana.com/no-name;affected=true\nname=;info=https://asana.com/empty-name",
		"name=bad name;info=https://asana.com/space\nname=bad\x01ctl\nname=" + strings.Repeat("n", 101),
		"name=javascript_link;info=javascript:alert(1)\nname=ctl_link;info=https://asana.com/\x00x",
		"name=long_link;info=https://asana.com/" + strings.Repeat("a", 600),
		"name=first_key_wins;name=second;affected=false;affected=true",
		"name=huge;" + strings.Repeat("x", 5000),
		"name=with_password;info=https://ada:hunter2@asana.com/x\nname=with_space;info=https://asana.com/a b",
		"name=x;affected=true, name=x;affected=false",
		strings.Repeat("name=same,", 40),
		strings.Join(nameEntries("c", 40), ","),
	} {
		for pick := range uint8(len(fuzzTokens)) {
			f.Add(seed, pick)
		}
	}
	for pick, tok := range fuzzTokens {
		f.Add("name="+tok+";info=https://asana.com/x\nname=echo;info=https://asana.com/?t="+tok, uint8(pick))
		f.Add("name=echo;info=https://asana.com/?t="+url.QueryEscape(tok), uint8(pick))
	}
	f.Fuzz(func(t *testing.T, headers string, pick uint8) {
		tok := fuzzToken(pick)
		red := newRedactor(tok)
		values := strings.Split(headers, "\n")
		out := parseChanges(values, red)
		if len(out) > maxChangeEntries {
			t.Fatalf("%d changes from one answer, more than %d", len(out), maxChangeEntries)
		}
		seen := make(map[string]bool)
		for _, c := range out {
			if !validChangeName(c.Name) || seen[c.Name] {
				t.Errorf("change name %q: invalid or repeated", c.Name)
			}
			seen[c.Name] = true
			if c.Info != "" && !validInfo(c.Info) {
				t.Errorf("change %s keeps an invalid link %q", c.Name, c.Info)
			}
			if c.Path != "" {
				t.Errorf("change %s has a path %q before any request named it", c.Name, c.Path)
			}
			for _, s := range []string{c.Name, c.Info} {
				if strings.Contains(s, tok) || red.string(s) != s {
					t.Errorf("change %+v keeps (part of) the token", c)
				}
			}
		}
	})
}

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
