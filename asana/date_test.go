package asana_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
)

func TestDateJSON(t *testing.T) {
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

func TestDateString(t *testing.T) {
	if s := (asana.Date{}).String(); s != "" {
		t.Errorf("zero Date = %q", s)
	}
	if s := asana.DateOf(time.Date(2027, 3, 4, 23, 0, 0, 0, time.UTC)).String(); s != "2027-03-04" {
		t.Errorf("DateOf = %q", s)
	}
}

func TestDateSQL(t *testing.T) {
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
