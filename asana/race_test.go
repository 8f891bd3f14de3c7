//go:build race

package asana_test

// raceEnabled says the tests run under the race detector.
const raceEnabled = true
