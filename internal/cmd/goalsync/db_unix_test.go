//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// A SQLite -db that is not a regular file (a device, a named pipe), a
// path whose directory is missing or is a file, and :memory: are refused
// before anything is opened: exit 2, one line that says what is wrong,
// nothing requested from Asana, and nothing created next to the path
// (SQLite would leave a -journal file beside a device).
func TestDBPathRefused(t *testing.T) {
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	emps := demoEmployeesCSV(t)
	real := []string{"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", emps}
	for _, tc := range []struct {
		name string
		path func(t *testing.T, dir string) string
		want func(path string) []string
	}{
		{"a character device", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "null")
			// The null device's numbers: writes vanish, as to /dev/null.
			if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
				t.Skipf("cannot make a device node here: %v", err)
			}
			return p
		}, func(p string) []string { return []string{"-db " + p + ": not a regular file"} }},
		{"a named pipe", func(t *testing.T, dir string) string {
			return mkfifo(t, "pipe.db")
		}, func(p string) []string { return []string{"-db " + p + ": not a regular file"} }},
		{"a missing directory", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "missing", "goals.db")
		}, func(p string) []string {
			return []string{"-db " + p + ": directory " + filepath.Dir(p) + " does not exist"}
		}},
		{"a directory that is a file", func(t *testing.T, dir string) string {
			f := filepath.Join(dir, "file")
			if err := os.WriteFile(f, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(f, "goals.db")
		}, func(p string) []string { return []string{"-db " + p + ": " + filepath.Dir(p) + " is not a directory"} }},
		{"memory", func(t *testing.T, dir string) string {
			return ":memory:"
		}, func(string) []string { return []string{"-db :memory:", "keeps nothing"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tc.path(t, dir)
			before, _ := os.ReadDir(filepath.Dir(path))
			wait := runAsync(t, context.Background(), tokenEnvMap(testToken), hooks{}, append(real, "-db", path)...)
			r := wait()
			if !r.done {
				t.Fatalf("goalsync -db %s has not ended after %s", path, hangGuard)
			}
			r.res.wantCode(t, exitUsage)
			r.res.wantOneErrorLine(t, tc.want(path)...)
			if after, _ := os.ReadDir(filepath.Dir(path)); len(after) != len(before) {
				t.Errorf("%d entries beside the path after the run, %d before: %v", len(after), len(before), after)
			}
		})
	}
	res := runCmd(t, nil, "-demo", "-db", ":memory:")
	res.wantCode(t, exitUsage)
	res.wantOneErrorLine(t, "-db :memory:", "keeps nothing")
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
}
