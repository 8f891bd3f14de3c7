package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind, such as
// an employee file's open still waiting on a named pipe, or a request's
// timer outliving a sync stopped by a refused token.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
