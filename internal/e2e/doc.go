// Package e2e holds the end-to-end tests and benchmarks of a whole sync:
// the asana client and the goals ingester against the fake Asana server
// (internal/asanafake), checked against the generator's known truth and
// measured against the rate limit's physical floor.
//
//	go test ./internal/e2e/                          # the truth tests
//	go test -run '^$' -bench . ./internal/e2e/       # the benchmarks
package e2e
