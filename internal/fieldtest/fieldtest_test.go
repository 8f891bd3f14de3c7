package fieldtest

import (
	"slices"
	"testing"
	"time"
)

type inner struct {
	A string
	B *float64
	D day
}

// day says itself whether it is zero: one field, whatever its fields.
type day struct{ Year, Month, Day int }

func (d day) IsZero() bool { return d == day{} }

type outer struct {
	Name  string
	In    *inner
	List  []inner
	When  time.Time
	Words []string
	self  *outer // unexported: never walked
}

type node struct {
	Value string
	Next  *node
}

// A field is set when it is anywhere in the value, and a field under a nil
// pointer or an empty slice is unset.
func TestUnset(t *testing.T) {
	two := 2.0
	for _, c := range []struct {
		name string
		v    any
		want []string
	}{
		{"zero", outer{}, []string{"In.A", "In.B", "In.D", "List[].A", "List[].B", "List[].D", "Name", "When", "Words[]"}},
		{"all", outer{Name: "n", In: &inner{A: "a", B: &two, D: day{Day: 1}}, List: []inner{{A: "a"}, {B: &two, D: day{Year: 1}}},
			When: time.Unix(1, 0), Words: []string{"", "w"}}, nil},
		{"slice elements each set part", outer{Name: "n", In: &inner{A: "a", B: &two, D: day{Month: 1}},
			List: []inner{{A: "a"}, {A: "b"}}, When: time.Unix(1, 0), Words: []string{"w"}},
			[]string{"List[].B", "List[].D"}},
		{"zero pointee", outer{Name: "n", In: &inner{}, List: []inner{{A: "a", B: new(float64), D: day{Day: 2}}}, When: time.Unix(1, 0), Words: []string{"w"}},
			[]string{"In.A", "In.B", "In.D", "List[].B"}},
		{"recursive type", node{Value: "v"}, []string{"Next"}},
		{"not a struct", 0, []string{""}},
	} {
		if got := Unset(c.v); !slices.Equal(got, c.want) {
			t.Errorf("%s: Unset = %q, want %q", c.name, got, c.want)
		}
	}
}
