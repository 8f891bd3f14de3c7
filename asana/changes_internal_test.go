package asana

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// nameEntries returns n "name=<prefix><i>" entries, i from 1.
func nameEntries(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("name=%s%d", prefix, i+1)
	}
	return out
}

func changeNames(cs []Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// One answer's Asana-Change headers are read for their first
// maxChangeEntries entries, counted across values, whether an entry is
// valid or not and whether its name was seen before.
func TestParseChanges_readsAtMost32EntriesPerAnswer(t *testing.T) {
	red := newRedactor("1/1234567890:supersecrettokenvalue")
	var perValue []string // 16 values of 3 entries: 48
	for i := range maxChangeValues {
		perValue = append(perValue, strings.Join(nameEntries(fmt.Sprintf("v%d_", i), 3), ","))
	}
	for _, tc := range []struct {
		name   string
		values []string
		want   []string
	}{
		{"in one value", []string{strings.Join(nameEntries("c", 40), ",")}, changeNamesOf("c", 32)},
		{"across values", perValue, append(slices.Concat(changeNamesPerValue(10)...), "v10_1", "v10_2")},
		{"invalid entries count", []string{",,,,,,,,,", strings.Join(nameEntries("c", 30), ",")}, changeNamesOf("c", 22)},
		{"repeated names count", []string{strings.Repeat("name=same,", 19) + "name=same", strings.Join(nameEntries("c", 20), ",")},
			append([]string{"same"}, changeNamesOf("c", 12)...)},
		{"exactly the bound", []string{strings.Join(nameEntries("c", 32), ",")}, changeNamesOf("c", 32)},
	} {
		if got := changeNames(parseChanges(tc.values, red)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: read %v\nwant %v", tc.name, got, tc.want)
		}
	}
}

func changeNamesOf(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return out
}

func changeNamesPerValue(values int) [][]string {
	var out [][]string
	for i := range values {
		out = append(out, changeNamesOf(fmt.Sprintf("v%d_", i), 3))
	}
	return out
}

// fuzzTokens are the tokens FuzzParseChanges redacts: a token of Asana's
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
