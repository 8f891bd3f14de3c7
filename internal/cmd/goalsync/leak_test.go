package main

import (
	"testing"

	"go.uber.org/goleak"
)

// leakOptions are what goleak lets pass. net/http's per-request timer
// goroutine (the http.Client's 60 s Timeout) outlives a request whose
// response asana.Client drops without closing, which it does when the
// request's context ends as the answer arrives (a sync stopped by a 401
// while other requests are in flight): the goroutine ends with the timer.
var leakOptions = []goleak.Option{goleak.IgnoreTopFunction("net/http.setRequestCancel.func4")}

// TestMain fails the package when a test leaves a goroutine behind, such as
// an employee file's open still waiting on a named pipe.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, leakOptions...)
}
