package status_test

import (
	"encoding/json"
	"fmt"

	"github.com/perfcopilot/asanagoals/status"
)

func ExampleMap() {
	for _, raw := range []string{"achieved", "At Risk", "partial", "missed", "on_hold", ""} {
		fmt.Printf("%q → %s\n", raw, status.Map(raw))
	}
	// Output:
	// "achieved" → completed
	// "At Risk" → at_risk
	// "partial" → at_risk
	// "missed" → off_track
	// "on_hold" → on_track
	// "" → on_track
}

func ExampleNewMapper() {
	// A Linear connector adds its own words to the spec's table.
	linear, err := status.NewMapper(map[string]status.Status{
		"Canceled":    status.OffTrack,
		"In Progress": status.OnTrack,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(linear.Map("canceled"))
	fmt.Println(linear.Map("done")) // the default table still applies
	fmt.Println(status.Map("canceled"))

	// An alias may not contradict the spec's table.
	_, err = status.NewMapper(map[string]status.Status{"Done": status.AtRisk})
	fmt.Println(err)
	// Output:
	// off_track
	// completed
	// on_track
	// status: alias "Done" → at_risk contradicts the default table, which maps "done" to completed
}

func ExampleParse() {
	s, err := status.Parse("at_risk")
	fmt.Println(s, err)
	_, err = status.Parse("At Risk")
	fmt.Println(err)
	// Output:
	// at_risk <nil>
	// status: unknown status "At Risk" (want completed, at_risk, off_track or on_track)
}

func ExampleStatus_UnmarshalText() {
	var row struct {
		Status status.Status `json:"status"`
	}
	fmt.Println(json.Unmarshal([]byte(`{"status":"off_track"}`), &row), row.Status)
	fmt.Println(json.Unmarshal([]byte(`{"status":"dropped"}`), &row))
	// Output:
	// <nil> off_track
	// status: unknown status "dropped" (want completed, at_risk, off_track or on_track)
}
