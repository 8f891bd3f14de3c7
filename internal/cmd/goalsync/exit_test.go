package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
)

// exit is the one place that turns what the command's steps return into
// lines on stderr and an exit status.
func TestExit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"nil", nil, exitOK, ""},
		{"help", flag.ErrHelp, exitOK, ""},
		{"usage", usageError("-format must be text or json, not %q", "xml"), exitUsage,
			"goalsync: -format must be text or json, not \"xml\"\n"},
		{"failure", failure("sync failed: %w", errors.New("boom")), exitFailed, "goalsync: sync failed: boom\n"},
		{"partial, two lines", partial(errors.New("2 of 5 employees not fully synced"), errors.New("removals held back")), exitPartial,
			"goalsync: 2 of 5 employees not fully synced\ngoalsync: removals held back\n"},
		{"an error without a status fails", errors.New("unexpected"), exitFailed, "goalsync: unexpected\n"},
		{"wrapped", fmt.Errorf("while syncing: %w", usageError("bad")), exitUsage, "goalsync: while syncing: bad\n"},
		{"a joined error that is not partial is one line", errors.Join(errors.New("a"), errors.New("b")), exitFailed,
			"goalsync: a b\n"},
		{"line breaks and the token", failure("asana said\n%s", testToken), exitFailed, "goalsync: asana said [redacted]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			c := &cli{stderr: &stderr, token: testToken}
			if code := c.exit(tc.err); code != tc.code {
				t.Errorf("exit code %d, want %d", code, tc.code)
			}
			if got := stderr.String(); got != tc.stderr {
				t.Errorf("stderr %q, want %q", got, tc.stderr)
			}
		})
	}
}

// checkChangeNames refuses, as a usage error naming the flag, the names an
// Asana client would refuse.
func TestCheckChangeNames(t *testing.T) {
	for _, tc := range []struct {
		enable, disable []string
		want            string // "" for no error
	}{
		{[]string{"a", "b.c"}, []string{"d-e"}, ""},
		{nil, nil, ""},
		{[]string{"new goal"}, nil, `-asana-enable: "new goal" is not an Asana change name`},
		{nil, []string{"x\r\nX-Evil: 1"}, `-asana-disable: "x\r\nX-Evil: 1" is not an Asana change name`},
		{[]string{"a", "b"}, []string{"b"}, `-asana-enable / -asana-disable: change "b" is both enabled and disabled`},
	} {
		err := checkChangeNames(tc.enable, tc.disable)
		if tc.want == "" {
			if err != nil {
				t.Errorf("checkChangeNames(%q, %q) = %v", tc.enable, tc.disable, err)
			}
			continue
		}
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("checkChangeNames(%q, %q) = %v, want a usage error starting %q", tc.enable, tc.disable, err, tc.want)
		}
	}
}
