package main

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// childArgsEnv, when set in the environment of the test binary, makes it
// run the command itself (main, with these JSON-encoded arguments) instead
// of the tests: tests that send the process a signal run it as a child.
const childArgsEnv = "GOALSYNC_TEST_CHILD_ARGS"

// TestMain fails the package when a test leaves a goroutine behind, such as
// an employee file's open still waiting on a named pipe, or a request's
// timer outliving a sync stopped by a refused token.
func TestMain(m *testing.M) {
	if argsJSON := os.Getenv(childArgsEnv); argsJSON != "" {
		var args []string
		if err := json.Unmarshal([]byte(argsJSON), &args); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", childArgsEnv, err)
			os.Exit(99)
		}
		os.Args = append([]string{"goalsync"}, args...)
		main() // exits
	}
	goleak.VerifyTestMain(m)
}
