package asana

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// nameEntries returns n "name=<prefix><i>" entries, i from 1.
func nameEntries(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("name=%s%d", prefix, i+1)
	}
	return out
}

func changeNames(cs []Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// One answer's Asana-Change headers are read for their first
// maxChangeEntries entries, counted across values, whether an entry is
// valid or not and whether its name was seen before.
func TestParseChangesReadsAtMost32EntriesPerAnswer(t *testing.T) {
	red := newRedactor("1/1234567890:supersecrettokenvalue")
	var perValue []string // 16 values of 3 entries: 48
	for i := range maxChangeValues {
		perValue = append(perValue, strings.Join(nameEntries(fmt.Sprintf("v%d_", i), 3), ","))
	}
	for _, tc := range []struct {
		name   string
		values []string
		want   []string
	}{
		{"in one value", []string{strings.Join(nameEntries("c", 40), ",")}, changeNamesOf("c", 32)},
		{"across values", perValue, append(slices.Concat(changeNamesPerValue(10)...), "v10_1", "v10_2")},
		{"invalid entries count", []string{",,,,,,,,,", strings.Join(nameEntries("c", 30), ",")}, changeNamesOf("c", 22)},
		{"repeated names count", []string{strings.Repeat("name=same,", 19) + "name=same", strings.Join(nameEntries("c", 20), ",")},
			append([]string{"same"}, changeNamesOf("c", 12)...)},
		{"exactly the bound", []string{strings.Join(nameEntries("c", 32), ",")}, changeNamesOf("c", 32)},
	} {
		if got := changeNames(parseChanges(tc.values, red)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: read %v\nwant %v", tc.name, got, tc.want)
		}
	}
}

func changeNamesOf(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return out
}

func changeNamesPerValue(values int) [][]string {
	var out [][]string
	for i := range values {
		out = append(out, changeNamesOf(fmt.Sprintf("v%d_", i), 3))
	}
	return out
}
