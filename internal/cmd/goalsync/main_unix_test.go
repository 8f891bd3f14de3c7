//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// childDeadline bounds a child command; past it the test fails (and the
// child is killed). It orders nothing.
const childDeadline = 60 * time.Second

// SIGINT, SIGTERM and SIGHUP (a closed terminal, or a supervisor's
// reload) sent to the command in the middle of a sync all end it the same
// way: exit 1 with one line that says it was interrupted, and the report
// still printed. The command runs as a child process (the test binary,
// through TestMain) and gets a real signal while Asana holds its first
// request.
func TestSignalsEndTheSync(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			ws := asanafake.DemoWorkspace()
			_, url := fake(t, ws, asanafake.Options{Intercept: func(w http.ResponseWriter, r *http.Request) bool {
				select {
				case arrived <- struct{}{}:
				default:
				}
				<-r.Context().Done() // held until the child goes or gives up
				return true
			}})
			args, err := json.Marshal([]string{"-base-url", url, "-workspace", ws.GID, "-employees", demoEmployeesCSV(t), "-max-wait", "1s"})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), childDeadline)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childArgsEnv+"="+string(args), tokenEnv+"="+testToken)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-arrived:
			case <-ctx.Done():
				t.Fatalf("no request reached Asana within %s; stderr:\n%s", childDeadline, stderr.String())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			if ctx.Err() != nil {
				t.Fatalf("the command did not end within %s of %v", childDeadline, sig)
			}
			res := result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				t.Fatalf("the command was killed by %v: exit status %d, stderr %q", ws.Signal(), 128+int(ws.Signal()), res.stderr)
			}
			res.wantCode(t, exitFailed)
			res.wantOneErrorLine(t, "goalsync: sync failed: ", "(interrupted)")
			if !bytes.Contains(stdout.Bytes(), []byte("Result: the sync failed")) {
				t.Errorf("no report on stdout:\n%s", res.stdout)
			}
		})
	}
}
