package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// mustBeEscaped is the rule the JSON output follows: a character a reader
// cannot see, or that drives a terminal, never stands raw in it. That is
// DEL and the C1 controls, every format character (Cf), every other
// character that is not graphic, the variation selectors and the other
// default-ignorable code points. ASCII below DEL is encoding/json's own.
func mustBeEscaped(r rune) bool {
	return r >= 0x7f && (r < 0xa0 || !unicode.IsGraphic(r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Variation_Selector, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r))
}

// Every character, one at a time in a JSON string: the invisible ones are
// escaped, the others left raw, and the JSON decodes back to the character
// either way.
func TestEscapeInvisibleEscapesEveryInvisibleCharacter(t *testing.T) {
	escaped := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue // surrogates: not characters of UTF-8 text
		}
		s := "a" + string(r) + "b"
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		out := escapeInvisible(raw)
		var back string
		if err := json.Unmarshal(out, &back); err != nil || back != s {
			t.Fatalf("%U: %s decodes to %q (%v), want %q", r, out, back, err, s)
		}
		has := strings.ContainsRune(string(out), r)
		switch {
		case mustBeEscaped(r) && has:
			t.Errorf("%U is written raw: %q", r, out)
		case !mustBeEscaped(r) && r >= 0x20 && r != '"' && r != '\\' && r != '<' && r != '>' && r != '&' &&
			r != '\u2028' && r != '\u2029' && !has:
			t.Errorf("%U is escaped: %q", r, out)
		}
		if mustBeEscaped(r) {
			escaped++
		}
	}
	t.Logf("%d characters escaped", escaped)

	// The characters named: each escaped, with its own escape (a surrogate
	// pair past U+FFFF), or left raw.
	for _, tc := range []struct {
		r    rune
		want string
	}{
		{0x7e, "~"},
		{0x7f, `\u007f`}, // DEL
		{0x80, `\u0080`},
		{0x9b, `\u009b`}, // CSI
		{0x9f, `\u009f`},
		{0xa0, "\u00a0"}, // a no-break space shows as a space
		{0xad, `\u00ad`}, // soft hyphen
		{0x061c, `\u061c`},
		{0x115f, `\u115f`}, // Hangul choseong filler
		{0x180e, `\u180e`},
		{0x200b, `\u200b`},
		{0x202e, `\u202e`},
		{0x2062, `\u2062`}, // invisible times
		{0x2064, `\u2064`},
		{0x3164, `\u3164`}, // Hangul filler
		{0xfe0f, `\ufe0f`},
		{0xfeff, `\ufeff`},
		{0xfff9, `\ufff9`}, // interlinear annotation anchor
		{0xfffa, `\ufffa`},
		{0xfffb, `\ufffb`},
		{0xe000, `\ue000`},        // private use
		{0x1d173, `\ud834\udd73`}, // musical symbol begin beam
		{0xe0001, `\udb40\udc01`}, // language tag
		{0xe0041, `\udb40\udc41`}, // tag Latin capital letter A
		{0xe007f, `\udb40\udc7f`}, // cancel tag
		{0xe0100, `\udb40\udd00`}, // variation selector 17
		{0x1f600, "\U0001f600"},   // an emoji shows
		{'é', "é"},
	} {
		raw, _ := json.Marshal(string(tc.r))
		if got, want := string(escapeInvisible(raw)), `"`+tc.want+`"`; got != want {
			t.Errorf("%U: %s, want %s", tc.r, got, want)
		}
	}
}

// hiddenText spells "IGNORE" in tag characters, which no font draws, amid
// other invisible characters: a soft hyphen, an invisible times, the
// interlinear annotation characters, a DEL.
var hiddenText = "Ada\u00ad Love\u2062lace \U000E0049\U000E0047\U000E004E\U000E004F\U000E0052\U000E0045" +
	"\ufff9note\ufffacomment\ufffb\x7f end"

// The JSON output of a sync and of -suggest escapes every invisible
// character of Asana's names, while the text output removes them: tag
// characters, the soft hyphen, invisible operators, the interlinear
// annotation characters, DEL.
func TestJSONOutputEscapesHiddenText(t *testing.T) {
	ws := asanafake.DemoWorkspace().Clone()
	for i := range ws.Users {
		if ws.Users[i].GID == asanafake.DemoUnmappedUserGID {
			ws.Users[i].Name = hiddenText
		}
	}
	for i := range ws.Goals {
		ws.Goals[i].Name = hiddenText
	}
	_, url := fake(t, ws, asanafake.Options{})
	emps := demoEmployeesCSV(t)
	for _, args := range [][]string{
		{"-base-url", url, "-workspace", ws.GID, "-employees", emps, "-suggest", "-format", "json"},
		{"-base-url", url, "-workspace", ws.GID, "-employees", emps, "-format", "json"},
	} {
		what := strings.Join(args[6:], " ")
		res := runCmd(t, tokenEnvMap(testToken), args...)
		res.wantCode(t, exitOK)
		for _, r := range res.stdout {
			if mustBeEscaped(r) {
				t.Errorf("%s: the JSON holds %U raw", what, r)
			}
		}
		for _, esc := range []string{`\u00ad`, `\u2062`, `\udb40\udc49`, `\ufff9`, `\ufffb`, `\u007f`} {
			if !strings.Contains(res.stdout, esc) {
				t.Errorf("%s: the JSON lacks %s", what, esc)
			}
		}
		var v any
		if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
			t.Fatalf("%s: not JSON: %v", what, err)
		}
		if !strings.Contains(fmt.Sprint(v), hiddenText) {
			t.Errorf("%s: the decoded JSON lost the name as Asana has it", what)
		}
		if strings.Contains(args[len(args)-3], "suggest") {
			var got []goals.Suggestion
			if err := json.Unmarshal([]byte(res.stdout), &got); err != nil || len(got) != 1 || got[0].AsanaName != hiddenText {
				t.Errorf("-suggest: %s (%v), want the name as Asana has it", res.stdout, err)
			}
		}
	}
	// The text output, for comparison, shows none of them.
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", ws.GID, "-employees", emps)
	res.wantCode(t, exitOK)
	for _, r := range res.stdout {
		if r != '\n' && mustBeEscaped(r) {
			t.Errorf("text: the output holds %U", r)
		}
	}
}
