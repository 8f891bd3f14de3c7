package asana_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
)

// A Date decodes from "YYYY-MM-DD", and null or "" decode to the zero Date;
// it encodes back the same way, the zero Date as null; an impossible day,
// another layout, a timestamp or a number are refused.
func TestDate_JSON(t *testing.T) {
	var v struct {
		Due   asana.Date `json:"due_on"`
		Start asana.Date `json:"start_on"`
		Empty asana.Date `json:"empty"`
	}
	if err := json.Unmarshal([]byte(`{"due_on":"2026-02-28","start_on":null,"empty":""}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Due != (asana.Date{Year: 2026, Month: time.February, Day: 28}) || !v.Start.IsZero() || !v.Empty.IsZero() {
		t.Errorf("decoded %+v", v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"due_on":"2026-02-28","start_on":null,"empty":null}`; got != want {
		t.Errorf("marshal = %s, want %s", got, want)
	}
	for _, bad := range []string{`"2026-02-30"`, `"26-1-1"`, `"2026-01-01T00:00:00Z"`, `20260101`} {
		var d asana.Date
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("Unmarshal(%s) accepted as %v", bad, d)
		}
	}
}

// The zero Date prints as the empty string; DateOf keeps the calendar day of
// the time it is given.
func TestDate_String(t *testing.T) {
	if s := (asana.Date{}).String(); s != "" {
		t.Errorf("zero Date = %q", s)
	}
	if s := asana.DateOf(time.Date(2027, 3, 4, 23, 0, 0, 0, time.UTC)).String(); s != "2027-03-04" {
		t.Errorf("DateOf = %q", s)
	}
}

// A Date is stored as "YYYY-MM-DD" and the zero Date as NULL; Scan reads
// NULL, a string, bytes, "" and a time (its calendar day), and refuses
// another layout or type.
func TestDate_SQL(t *testing.T) {
	d := asana.Date{Year: 2026, Month: time.March, Day: 7}
	if v, err := d.Value(); err != nil || v != "2026-03-07" {
		t.Errorf("Value() = %v, %v", v, err)
	}
	if v, err := (asana.Date{}).Value(); err != nil || v != nil {
		t.Errorf("zero Value() = %v, %v; want NULL", v, err)
	}
	for _, tc := range []struct {
		src  any
		want asana.Date
		ok   bool
	}{
		{nil, asana.Date{}, true},
		{"2026-03-07", d, true},
		{[]byte("2026-03-07"), d, true},
		{"", asana.Date{}, true},
		{time.Date(2026, 3, 7, 23, 59, 0, 0, time.UTC), d, true},
		{"07/03/2026", asana.Date{}, false},
		{int64(20260307), asana.Date{}, false},
	} {
		var got asana.Date
		err := got.Scan(tc.src)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Scan(%#v) = %v, %v; want %v, ok %v", tc.src, got, err, tc.want, tc.ok)
		}
	}
}

// Before is strict: a day is not before itself, so that a period that
// starts and ends the same day is valid (its end is not before its start).
// Year, then month, then day decide.
func TestDate_Before_isStrict(t *testing.T) {
	day := func(y int, m time.Month, d int) asana.Date { return asana.Date{Year: y, Month: m, Day: d} }
	for _, tc := range []struct {
		d, e asana.Date
		want bool
	}{
		{day(2026, time.March, 7), day(2026, time.March, 7), false},
		{day(2026, time.March, 6), day(2026, time.March, 7), true},
		{day(2026, time.March, 8), day(2026, time.March, 7), false},
		{day(2026, time.February, 28), day(2026, time.March, 1), true},
		{day(2026, time.April, 1), day(2026, time.March, 31), false},
		{day(2025, time.December, 31), day(2026, time.January, 1), true},
		{day(2027, time.January, 1), day(2026, time.December, 31), false},
		{asana.Date{}, day(1, time.January, 1), true},
		{asana.Date{}, asana.Date{}, false},
	} {
		if got := tc.d.Before(tc.e); got != tc.want {
			t.Errorf("%v.Before(%v) = %v, want %v", tc.d, tc.e, got, tc.want)
		}
	}
}

// A date read from JSON is what ParseDate makes of the string, valid or
// not: the quick reading of plain YYYY-MM-DD strings changes nothing.
func TestDate_UnmarshalJSON_agreesWithParseDate(t *testing.T) {
	for _, s := range []string{
		"2026-02-28", "2026-02-29", "2028-02-29", "2100-02-29", "2000-02-29", "0000-01-01", "9999-12-31",
		"2026-00-10", "2026-13-10", "2026-04-31", "2026-04-30", "2026-01-00", "2026-01-32", "2026-1-01",
		"2026-01-1", "20260101", "2026/01/01", "2026-01-01 ", " 2026-01-0", "2026-01-0a", "２０２６-01-01",
		"2026-12-31", "1969-12-31", "", "2026-01-01T00:00:00Z", "+026-01-01", "-026-01-01",
	} {
		want, wantErr := asana.ParseDate(s)
		b, _ := json.Marshal(s)
		var got asana.Date
		err := json.Unmarshal(b, &got)
		if (err == nil) != (wantErr == nil) || got != want {
			t.Errorf("%q: Unmarshal gives %v, %v; ParseDate %v, %v", s, got, err, want, wantErr)
		}
	}
	var got asana.Date
	if err := json.Unmarshal([]byte(`"2026\u002d01-02"`), &got); err != nil || got != (asana.Date{Year: 2026, Month: 1, Day: 2}) {
		t.Errorf("an escaped dash: %v, %v", got, err)
	}
}

// A date before the year 1000 is still YYYY-MM-DD, and reads back as the
// same date.
func TestDate_String_beforeTheYear1000HasFourDigits(t *testing.T) {
	for _, tc := range []struct {
		d    asana.Date
		want string
	}{
		{asana.Date{Year: 999, Month: time.January, Day: 2}, "0999-01-02"},
		{asana.Date{Year: 5, Month: time.December, Day: 31}, "0005-12-31"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
		if b, err := tc.d.MarshalJSON(); err != nil || string(b) != `"`+tc.want+`"` {
			t.Errorf("MarshalJSON() = %s, %v; want %q", b, err, tc.want)
		}
		if back, err := asana.ParseDate(tc.d.String()); err != nil || back != tc.d {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tc.d.String(), back, err, tc.d)
		}
	}
}
