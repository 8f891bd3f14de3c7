//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"go.uber.org/goleak"
)

// hangGuard bounds how long a test waits for a command that the rule under
// test should stop at once; past it the rule is broken. It orders nothing.
const hangGuard = 10 * time.Second

// mkfifo makes a named pipe in a temporary directory. Its cleanup (which
// runs after the test's other cleanups) holds the pipe open for reading and
// writing, which lets any open of it still waiting return, and checks that
// the test left no goroutine behind before letting go.
func mkfifo(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		// O_RDWR never waits on Linux: it is a reader and a writer at once.
		release, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Errorf("releasing the pipe: %v", err)
			return
		}
		defer release.Close()
		goleak.VerifyNone(t, before)
	})
	return path
}

type cmdResult struct {
	res  result
	done bool
}

// runAsync runs the command on a goroutine; wait returns its result, or
// done=false when it has not ended within hangGuard.
func runAsync(t *testing.T, ctx context.Context, env map[string]string, h hooks, args ...string) (wait func() cmdResult) {
	t.Helper()
	ch := make(chan result, 1)
	go func() { ch <- runCmdWith(t, ctx, env, h, args...) }()
	return func() cmdResult {
		select {
		case r := <-ch:
			return cmdResult{res: r, done: true}
		case <-time.After(hangGuard):
			return cmdResult{}
		}
	}
}

// Defect 7: SIGINT or SIGTERM (a cancelled context) while the employee
// file, a named pipe no one writes to, is being opened or read ends the
// command at once with exit 1, and nothing is requested from Asana.
func TestEmployeeFIFOInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name string
		// writer, when true, opens the pipe for writing but writes
		// nothing, so the command waits in a read, not in the open.
		writer bool
		stage  string // when to cancel
		want   string
	}{
		{"no writer", false, "opening", "interrupted while opening it"},
		{"writer silent", true, "reading", "interrupted while reading it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := mkfifo(t, "people.csv")
			srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()

			if tc.writer {
				writer := make(chan *os.File, 1)
				go func() {
					w, err := os.OpenFile(path, os.O_WRONLY, 0) // waits for the command's open
					if err != nil {
						t.Errorf("opening the pipe for writing: %v", err)
					}
					writer <- w
				}()
				t.Cleanup(func() {
					// A reader and writer at once: lets the writer's open
					// return even if the command never opened the pipe.
					if rel, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
						defer rel.Close()
					}
					if w := <-writer; w != nil {
						w.Close()
					}
				})
			}
			// Cancel as the command reaches the stage: its open waiting for a
			// writer, or its read waiting for data.
			h := hooks{employeeFile: func(stage string) {
				if stage == tc.stage {
					cancel()
				}
			}}
			wait := runAsync(t, ctx, tokenEnvMap(testToken), h,
				"-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", path)
			got := wait()
			if !got.done {
				t.Fatalf("the command did not end within %s of the cancel", hangGuard)
			}
			got.res.wantCode(t, exitFailed)
			got.res.wantOneErrorLine(t, "goalsync: employee file "+path, tc.want, "nothing was requested from Asana")
			if got.res.stdout != "" {
				t.Errorf("stdout not empty:\n%s", got.res.stdout)
			}
			if n := srv.Stats().Requests; n != 0 {
				t.Errorf("%d requests reached Asana, want none", n)
			}
		})
	}
}

// A named pipe that delivers (a shell's process substitution, say) is read
// as a file.
func TestEmployeeFIFODelivers(t *testing.T) {
	path := mkfifo(t, "people.csv")
	ws := asanafake.DemoWorkspace()
	_, url := fake(t, ws, asanafake.Options{})
	var csv strings.Builder
	csv.WriteString("employee_id,asana_user_gid,name,email\n")
	for _, e := range demoEmployees().employees {
		csv.WriteString(e.ID + "," + e.AsanaUserGID + "," + e.Name + "," + e.Email + "\n")
	}
	wrote := make(chan error, 1)
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			wrote <- err
			return
		}
		_, err = w.WriteString(csv.String())
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		wrote <- err
	}()
	wait := runAsync(t, context.Background(), tokenEnvMap(testToken), hooks{},
		"-base-url", url, "-workspace", ws.GID, "-employees", path, "-format", "json")
	got := wait()
	if !got.done {
		t.Fatalf("the command did not end within %s", hangGuard)
	}
	if err := <-wrote; err != nil {
		t.Fatalf("writing the pipe: %v", err)
	}
	got.res.wantCode(t, exitOK)
	v := decodeTyped(t, got.res.stdout)
	checkAgainstWorkspace(t, ws, demoEmployees().employees, v.Goals)
}
