package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// hostileText is a name an Asana user can give themself: a right-to-left
// override, an isolate, invisible characters, and terminal escape
// sequences (a title change ended by BEL, a screen clear).
const hostileText = "Ada \u202eecilA\u2066x\u2069\u200b\u061c \x1b]0;pwned\x07\x1b[2J\ufe0f end"

// unsafeRune reports the first character of s that a one-line output must
// not carry: a control (but the line's end), a bidi control, an invisible
// format character or a variation selector.
func unsafeRune(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\n':
		case r < 0x20, r >= 0x7f && r < 0xa0,
			r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0x061c, r >= 0xfe00 && r <= 0xfe0f:
			return r, true
		}
	}
	return 0, false
}

// Every line the command prints from Asana's data is cleaned as the
// [GOALS] block cleans names: -check's user name, -suggest's CSV, and an
// error message Asana sent, on stderr.
func TestOneLineOutputsAreClean(t *testing.T) {
	ws := asanafake.DemoWorkspace().Clone()
	for i := range ws.Users {
		if ws.Users[i].GID == ws.Users[0].GID || ws.Users[i].GID == asanafake.DemoUnmappedUserGID {
			ws.Users[i].Name = hostileText
		}
	}
	_, url := fake(t, ws, asanafake.Options{})
	_, refusing := fake(t, ws, asanafake.Options{Intercept: func(w http.ResponseWriter, r *http.Request) bool {
		msg, _ := json.Marshal("no access for " + hostileText)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"errors":[{"message":%s}]}`, msg)
		return true
	}})
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  func(result) string
	}{
		{"-check", []string{"-base-url", url, "-workspace", ws.GID, "-check"}, exitOK, func(r result) string { return r.stdout }},
		{"-suggest", []string{"-base-url", url, "-workspace", ws.GID, "-employees", demoEmployeesCSV(t), "-suggest"}, exitOK,
			func(r result) string { return r.stdout }},
		{"stderr", []string{"-base-url", refusing, "-workspace", ws.GID, "-check"}, exitFailed, func(r result) string { return r.stderr }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCmd(t, tokenEnvMap(testToken), tc.args...)
			res.wantCode(t, tc.code)
			out := tc.out(res)
			if !strings.Contains(out, "Ada ecilAx") || !strings.Contains(out, " end") {
				t.Errorf("the name is not shown, cleaned:\n%q", out)
			}
			if r, bad := unsafeRune(res.stdout + res.stderr); bad {
				t.Errorf("the output holds %U:\nstdout: %q\nstderr: %q", r, res.stdout, res.stderr)
			}
		})
	}
}

// JSON output keeps Asana's data as it is for programs, but no character in
// it can drive a terminal: bidi controls, invisible characters and C1
// controls are written as \u escapes, which decode back to the name.
func TestJSONOutputEscapesInvisibleCharacters(t *testing.T) {
	const name = hostileText + "\u009b31m"
	ws := asanafake.DemoWorkspace().Clone()
	for i := range ws.Users {
		if ws.Users[i].GID == asanafake.DemoUnmappedUserGID {
			ws.Users[i].Name = name
		}
	}
	for i := range ws.Goals {
		ws.Goals[i].Name = name
	}
	_, url := fake(t, ws, asanafake.Options{})
	for _, args := range [][]string{
		{"-base-url", url, "-workspace", ws.GID, "-employees", demoEmployeesCSV(t), "-suggest", "-format", "json"},
		{"-base-url", url, "-workspace", ws.GID, "-employees", demoEmployeesCSV(t), "-format", "json"},
	} {
		res := runCmd(t, tokenEnvMap(testToken), args...)
		res.wantCode(t, exitOK)
		if r, bad := unsafeRune(res.stdout); bad {
			t.Errorf("%v: the JSON holds %U raw", args[len(args)-3:], r)
		}
		if !json.Valid([]byte(res.stdout)) || !strings.Contains(res.stdout, `\u202e`) {
			t.Fatalf("%v: not JSON, or the override not escaped:\n%s", args[len(args)-3:], res.stdout)
		}
		var v any
		json.Unmarshal([]byte(res.stdout), &v)
		if !strings.Contains(fmt.Sprint(v), name) {
			t.Errorf("%v: the decoded JSON lost the name as Asana has it", args[len(args)-3:])
		}
	}
}
