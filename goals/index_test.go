package goals

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/internal/fieldtest"
)

// The index gives back exactly what a Key Result reads of a goal: name,
// status_type, goal status, due date and metric, for any GID and any value.
func TestSubgoalIndex_roundTrip(t *testing.T) {
	d := func(y, m, day int) asana.Date { return asana.Date{Year: y, Month: time.Month(m), Day: day} }
	goals := []asana.Goal{
		{GID: "1201", Name: "Plain"},
		{GID: "1202", Name: "Ünïcode 終わり🚀 [/GOALS]\n", CurrentStatusUpdate: &asana.StatusUpdate{StatusType: "achieved"}, Status: "green",
			DueOn: d(2026, 2, 28)},
		{GID: "1203", Name: "Unknown words", CurrentStatusUpdate: &asana.StatusUpdate{StatusType: "on_hold_ish"}, Status: "mauve",
			DueOn: d(1969, 12, 31)},
		{GID: "1204", Name: "Whole metric", DueOn: d(1, 1, 1),
			Metric: &asana.Metric{Unit: "currency", CurrencyCode: "EUR", InitialNumberValue: -5000, CurrentNumberValue: 0, TargetNumberValue: 1e15}},
		{GID: "1205", Name: "Fractional metric", DueOn: d(9999, 12, 31),
			Metric: &asana.Metric{Unit: "percentage", InitialNumberValue: 0.1, CurrentNumberValue: math.Copysign(0, -1), TargetNumberValue: 1}},
		{GID: "1206", Name: "Odd unit", Metric: &asana.Metric{Unit: "furlongs", CurrencyCode: ""}},
		{GID: "0123", Name: "Leading zero: not goal 123"},
		{GID: "123", Name: "Goal 123"},
		{GID: "18446744073709551616", Name: "Past uint64"},
		{GID: "abc/def", Name: "Not a number"},
		{GID: "1207", Name: strings.Repeat("long name ", 10_000)}, // larger than a chunk
		{GID: "1208", Name: ""},
	}
	x := newSubgoalIndex()
	for _, g := range goals {
		g.HTMLNotes = "<p>not kept</p>"
		if !x.put(g) {
			t.Fatalf("put %s refused", g.GID)
		}
	}
	for _, want := range goals {
		got, ok := x.get(want.GID)
		if !ok {
			t.Errorf("%s: not found", want.GID)
			continue
		}
		if !reflect.DeepEqual(got, want) || math.Signbit(currentOf(got)) != math.Signbit(currentOf(want)) {
			t.Errorf("%s: got %+v (metric %+v), want %+v (metric %+v)", want.GID, got, got.Metric, want, want.Metric)
		}
	}
	if _, ok := x.get("999"); ok {
		t.Error("a GID never put was found")
	}
	// A later put of the same GID replaces the record.
	x.put(asana.Goal{GID: "123", Name: "Renamed"})
	if g, _ := x.get("123"); g.Name != "Renamed" {
		t.Errorf("after a second put: %q", g.Name)
	}
}

// currentOf is a goal's current metric value, to compare the sign of a
// zero, which reflect.DeepEqual does not.
func currentOf(g asana.Goal) float64 {
	if g.Metric == nil {
		return 0
	}
	return g.Metric.CurrentNumberValue
}

// BenchmarkSubgoalIndex reports what the index keeps per scanned goal of
// a generated-like workspace (names of about 50 bytes, 40% with a metric):
// the bound the relationships path's memory rests on.
func BenchmarkSubgoalIndex(b *testing.B) {
	const n = 50_000
	gs := make([]asana.Goal, n)
	for i := range gs {
		gs[i] = asana.Goal{GID: fmt.Sprint(1210000000000000 + i*7), Name: fmt.Sprintf("Grow the partner channel in EMEA, measured %06d", i),
			CurrentStatusUpdate: &asana.StatusUpdate{StatusType: "on_track"}, Status: "green", DueOn: asana.Date{Year: 2026, Month: 6, Day: 30}}
		if i%5 < 2 {
			gs[i].Metric = &asana.Metric{Unit: "percentage", InitialNumberValue: 0, CurrentNumberValue: 0.42, TargetNumberValue: 1}
		}
	}
	var perGoal float64
	for range b.N {
		runtime.GC()
		before := heapInUse()
		x := newSubgoalIndex()
		for _, g := range gs {
			x.put(g)
		}
		runtime.GC()
		perGoal = float64(heapInUse()-before) / n
		runtime.KeepAlive(x)
	}
	b.ReportMetric(perGoal, "B/goal")
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Only a GID that writes back as its number shares the number's key.
func TestNumericGID(t *testing.T) {
	for gid, want := range map[string]bool{"123": true, "0": true, "0123": false, "+123": false, "1_000": false, "": false,
		"18446744073709551615": true, "18446744073709551616": false, "12a": false} {
		if _, ok := numericGID(gid); ok != want {
			t.Errorf("numericGID(%q) = %v, want %v", gid, ok, want)
		}
	}
}

// A Key Result read back from the scan has the metric Asana sent, number
// for number: one fractional value (a target of 2.5) among whole ones is
// not cut to an integer, a -0 among whole values stays -0, and a whole
// value past int64 (1e19) is not wrapped, in any of the three places.
func TestSubgoalIndex_keepsEachMetricValue(t *testing.T) {
	negZero := math.Copysign(0, -1)
	for _, special := range []float64{2.5, -0.25, negZero, 1 << 53, -(1 << 60), 1e19, -1e300} {
		for place := range 3 {
			vals := [3]float64{10, 20, 30}
			vals[place] = special
			g := asana.Goal{GID: "1301", Name: "KR", Metric: &asana.Metric{Unit: "number",
				InitialNumberValue: vals[0], CurrentNumberValue: vals[1], TargetNumberValue: vals[2]}}
			x := newSubgoalIndex()
			x.put(g)
			got, ok := x.get(g.GID)
			if !ok || got.Metric == nil {
				t.Fatalf("%v in place %d: not read back (%+v)", special, place, got)
			}
			back := [3]float64{got.Metric.InitialNumberValue, got.Metric.CurrentNumberValue, got.Metric.TargetNumberValue}
			for i := range back {
				if back[i] != vals[i] || math.Signbit(back[i]) != math.Signbit(vals[i]) {
					t.Errorf("%v in place %d: read back %v, want %v", special, place, back, vals)
					break
				}
			}
		}
	}
}

// The index keeps every field of a scanned goal that a Key Result is built
// from: a sub-goal with every field of asana.Goal set makes the same Key
// Result from the index as from the goal itself. A field Key Results come
// to read (toKeyResults) that the record drops fails here.
func TestSubgoalIndex_keepsWhatAKeyResultReads(t *testing.T) {
	d := func(y, m, day int) asana.Date { return asana.Date{Year: y, Month: time.Month(m), Day: day} }
	sub := asana.Goal{GID: "1401", ResourceType: "goal", Name: "Sub-goal", HTMLNotes: "<body>notes</body>",
		DueOn: d(2026, 9, 30), StartOn: d(2026, 7, 1),
		Owner:               &asana.User{GID: "501", ResourceType: "user", Name: "Ada", Email: "ada@example.com"},
		CurrentStatusUpdate: &asana.StatusUpdate{GID: "1402", ResourceType: "status_update", Title: "Fine", StatusType: "at_risk"},
		Metric: &asana.Metric{GID: "1403", Unit: "currency", CurrencyCode: "EUR", InitialNumberValue: 1.5, TargetNumberValue: 10,
			CurrentNumberValue: 4},
		Status: "yellow",
		TimePeriod: &asana.TimePeriod{GID: "1404", ResourceType: "time_period", DisplayName: "Q3 FY26", Period: "Q3",
			StartOn: d(2026, 7, 1), EndOn: d(2026, 9, 30)},
	}
	if unset := fieldtest.Unset(sub); len(unset) > 0 {
		t.Fatalf("the test's sub-goal leaves %q unset: set them, so that a Key Result reading them shows here", unset)
	}
	x := newSubgoalIndex()
	if !x.put(sub) {
		t.Fatal("put refused")
	}
	kept, ok := x.get(sub.GID)
	if !ok {
		t.Fatal("not kept")
	}
	want, err := toKeyResults(nil, "1400", []asana.Goal{sub})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := toKeyResults(nil, "1400", []asana.Goal{kept}); !reflect.DeepEqual(got, want) {
		t.Errorf("Key Result from the index %s, from the goal %s", asJSON(got), asJSON(want))
	}
	// And the status goes to the goal's own field when there is no update.
	sub.CurrentStatusUpdate = nil
	x.put(sub)
	kept, _ = x.get(sub.GID)
	want, _ = toKeyResults(nil, "1400", []asana.Goal{sub})
	if got, _ := toKeyResults(nil, "1400", []asana.Goal{kept}); !reflect.DeepEqual(got, want) {
		t.Errorf("without a status update: Key Result from the index %s, from the goal %s", asJSON(got), asJSON(want))
	}
}

// asJSON shows Key Results with their metrics' values, not their pointers.
func asJSON(krs []KeyResult) string {
	b, err := json.Marshal(krs)
	if err != nil {
		return fmt.Sprintf("%+v (%v)", krs, err)
	}
	return string(b)
}
