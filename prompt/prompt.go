// Package prompt renders one employee's goals as the [GOALS] block of a
// PerfCopilot review prompt (spec/asana-goals.md, "What hits a review").
//
// A block looks like this:
//
//	[GOALS]
//	- Goal: "Grow enterprise revenue" | status: on_track | due: 2025-12-31 | progress: 40% (400000/1000000 EUR)
//	  - Key result: "Close ten enterprise deals" | status: at_risk | progress: 30% (3/10)
//	  (+2 more key results)
//	(+1 more goal)
//	(+3 outside the review period)
//	[/GOALS]
//
// Goal and Key Result names are written by anyone in the Asana workspace, so
// they are treated as hostile: see [Render] for how they are made safe. The
// block is bounded by [Options] and deterministic: the same goals and options
// always give the same bytes.
package prompt

import (
	"math"
	"strconv"
	"strings"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/textline"
	"github.com/perfcopilot/asanagoals/status"
)

// The lines that open and close the block. They are the block's first and
// last lines, and no other line of the block contains a square bracket.
const (
	OpenMarker  = "[GOALS]"
	CloseMarker = "[/GOALS]"
)

// NoGoals is the block's only line between the markers when there are no
// goals, so that the model reads "none" rather than a missing section.
const NoGoals = "No goals on record."

// NoGoalsInPeriod replaces the goal lines when there are goals but every
// one of them lies outside Options.Period; a "(+N outside the review
// period)" line follows it.
const NoGoalsInPeriod = "No goals in the review period."

// The limits used for the zero (or a negative) field of [Options].
const (
	// DefaultMaxGoals keeps the block to a size a review prompt can afford;
	// the ingester itself keeps up to 200 goals per employee.
	DefaultMaxGoals = 50
	// DefaultMaxKeyResults is the number of Key Results shown per goal.
	DefaultMaxKeyResults = 10
	// DefaultMaxNameRunes is comfortably longer than a real goal name.
	DefaultMaxNameRunes = 200
)

// Options bounds the size of a block. A zero or negative field means its
// default, so the zero Options is safe to use; there is deliberately no way
// to ask for "unlimited".
type Options struct {
	// MaxGoals is the number of goals shown; the others are counted on a
	// "(+N more goals)" line. Default [DefaultMaxGoals].
	MaxGoals int
	// MaxKeyResults is the number of Key Results shown under each goal; the
	// others are counted on a "(+N more key results)" line. Default
	// [DefaultMaxKeyResults].
	MaxKeyResults int
	// MaxNameRunes is the length, in Unicode characters, at which a name is
	// cut and ends with "…". Quoting may add a backslash before each '"' or
	// '\' kept. Default [DefaultMaxNameRunes].
	MaxNameRunes int
	// Period is the review window. Goals it does not include (see
	// [Period.Includes]: their time period, or else their start and due
	// dates, do not overlap it) are left out and counted on a "(+N outside
	// the review period)" line. Goals with no dates at all stay in. The
	// zero Period shows every goal.
	Period Period
}

// withDefaults returns o with every unset field at its default.
func (o Options) withDefaults() Options {
	if o.MaxGoals <= 0 {
		o.MaxGoals = DefaultMaxGoals
	}
	if o.MaxKeyResults <= 0 {
		o.MaxKeyResults = DefaultMaxKeyResults
	}
	if o.MaxNameRunes <= 0 {
		o.MaxNameRunes = DefaultMaxNameRunes
	}
	return o
}

// Render returns the [GOALS] block for gs, one employee's goals, ending with
// a newline. The block opens with an [OpenMarker] line and closes with a
// [CloseMarker] line; between them is one line per goal, in the order of gs
// (the ingester keeps Asana's API order; Render never sorts), each followed
// by its Key Results in the order of Goal.KeyResults. With no goals the only
// line inside is [NoGoals].
//
// Each line shows the name, the status, the due date when set, a goal's
// Asana time period when it has one, and the progress when the goal has a
// metric: the percentage of the way from the initial value to the target
// (rounded down, so 100% means the target is reached) and current/target.
// A Status that is not one of the four words (stores never hold one, see
// goals.Write.Validate) is shown as the spec's table maps it, so the status
// shown is always one of the four. Descriptions are not shown.
//
// With a review window (Options.Period), goals outside it are left out
// before MaxGoals is applied, and a last "(+N outside the review period)"
// line counts them; when every goal is outside, the line inside the
// markers is [NoGoalsInPeriod].
//
// Names are made safe before they are written, because anyone in the
// workspace can write one:
//   - line breaks, tabs, other white space, control characters (C0 and C1)
//     and invalid UTF-8 become a space, and runs of spaces become one, so a
//     name never spans lines and never starts one: it always follows
//     Render's own prefix;
//   - invisible format characters (zero-width spaces and joiners, bidi
//     controls, Unicode tag characters) and variation selectors are removed,
//     because they can hide text that the model reads but a reviewer does not
//     see;
//   - square brackets (ASCII and full-width) become parentheses, so no part
//     of a name can look like a block marker such as [/GOALS] or [SYSTEM];
//   - a name longer than Options.MaxNameRunes characters is cut and ends
//     with "…", never inside a UTF-8 sequence;
//   - the name is written in double quotes, with '"' and '\' escaped by a
//     backslash, so it cannot pose as the status or another field.
func Render(gs []goals.Goal, opts Options) string {
	opts = opts.withDefaults()
	var b strings.Builder
	b.WriteString(OpenMarker)
	b.WriteByte('\n')
	in := gs
	if !opts.Period.IsZero() {
		in = make([]goals.Goal, 0, len(gs))
		for _, g := range gs {
			if opts.Period.Includes(g) {
				in = append(in, g)
			}
		}
	}
	outside := len(gs) - len(in)
	switch {
	case len(gs) == 0:
		b.WriteString(NoGoals)
		b.WriteByte('\n')
	case len(in) == 0:
		b.WriteString(NoGoalsInPeriod)
		b.WriteByte('\n')
	}
	for _, g := range in[:min(len(in), opts.MaxGoals)] {
		it := item{name: g.Name, status: g.Status, due: g.DueOn.String(), metric: g.Metric}
		if g.TimePeriod != nil {
			it.period = g.TimePeriod.DisplayName
		}
		writeItem(&b, "- Goal: ", it, opts)
		for _, kr := range g.KeyResults[:min(len(g.KeyResults), opts.MaxKeyResults)] {
			writeItem(&b, "  - Key result: ", item{name: kr.Name, status: kr.Status,
				due: kr.DueOn.String(), metric: kr.Metric}, opts)
		}
		writeMore(&b, "  ", len(g.KeyResults)-opts.MaxKeyResults, "key result", "key results")
	}
	writeMore(&b, "", len(in)-opts.MaxGoals, "goal", "goals")
	if outside > 0 {
		b.WriteString("(+")
		b.WriteString(strconv.Itoa(outside))
		b.WriteString(" outside the review period)\n")
	}
	b.WriteString(CloseMarker)
	b.WriteByte('\n')
	return b.String()
}

// item is what a goal's or Key Result's line shows.
type item struct {
	name   string
	status status.Status
	due    string
	period string // the time period's display name; "" for none
	// metric is nil when there is none.
	metric *goals.Metric
}

// writeItem writes the line of one goal or Key Result.
func writeItem(b *strings.Builder, prefix string, it item, opts Options) {
	b.WriteString(prefix)
	writeName(b, it.name, opts.MaxNameRunes)
	b.WriteString(" | status: ")
	s := it.status
	if !s.Valid() {
		// Stores hold only the four (goals.Write.Validate); a host's own
		// goals may not. The spec's table sends any other word to on_track.
		s = status.Map(string(s))
	}
	b.WriteString(string(s))
	if it.due != "" {
		// asana.Date.String formats integers only, so it needs no cleaning.
		b.WriteString(" | due: ")
		b.WriteString(it.due)
	}
	if len(cleanText(it.period, maxPeriodRunes)) > 0 {
		// Asana's label for the period, quoted and made safe like a name.
		b.WriteString(" | period: ")
		writeName(b, it.period, maxPeriodRunes)
	}
	if it.metric != nil {
		b.WriteString(" | progress: ")
		writeMetric(b, *it.metric)
	}
	b.WriteByte('\n')
}

// maxPeriodRunes bounds a time period's label; Asana's are like "Q1 FY26".
const maxPeriodRunes = 40

// writeMore writes the "(+N more …)" line when n items were left out.
func writeMore(b *strings.Builder, indent string, n int, one, many string) {
	if n <= 0 {
		return
	}
	b.WriteString(indent)
	b.WriteString("(+")
	b.WriteString(strconv.Itoa(n))
	b.WriteString(" more ")
	if n == 1 {
		b.WriteString(one)
	} else {
		b.WriteString(many)
	}
	b.WriteString(")\n")
}

// writeName writes name made safe (see Render) and quoted.
func writeName(b *strings.Builder, name string, maxRunes int) {
	runes := cleanText(name, maxRunes)
	if len(runes) == 0 {
		b.WriteString("(no name)")
		return
	}
	b.WriteByte('"')
	for _, r := range runes {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
}

// cleanText returns s as a single line of at most maxRunes printable
// characters, as described on Render: breaks, controls and invalid UTF-8
// collapsed to single spaces, invisible characters removed, square brackets
// turned into parentheses, and a "…" ending when cut. It stops reading once
// it knows s is too long, so a huge name costs little.
func cleanText(s string, maxRunes int) []rune { return textline.Clean(s, maxRunes, true) }

// writeMetric writes a metric as "40% (4/10)": the percentage when one is
// defined, then current/target in the metric's unit, then the initial value
// when it is not zero, since the percentage is measured from it.
func writeMetric(b *strings.Builder, p goals.Metric) {
	f, ok := p.Fraction()
	// With a NaN or infinite value the fraction is NaN or meaningless (any
	// finite current is 0% of an infinite target), so none is shown; the
	// values themselves still are. Finite values can still overflow to a
	// NaN fraction, hence the second test.
	if ok && isFinite(p.Initial) && isFinite(p.Current) && isFinite(p.Target) && isFinite(f) {
		// The epsilon keeps float noise (0.29*100 = 28.999…) from rounding
		// a whole percentage down.
		b.WriteString(strconv.Itoa(int(math.Floor(f*100 + 1e-9))))
		b.WriteString("% (")
	} else {
		b.WriteByte('(')
	}
	b.WriteString(formatValue(p.Current, p.Unit))
	b.WriteByte('/')
	b.WriteString(formatValue(p.Target, p.Unit))
	currency := ""
	if p.Unit == "currency" && isCurrencyCode(p.CurrencyCode) {
		currency = p.CurrencyCode
	}
	if currency != "" {
		b.WriteString(" " + currency)
	}
	if p.Initial != 0 {
		b.WriteString(", from ")
		b.WriteString(formatValue(p.Initial, p.Unit))
		if currency != "" {
			b.WriteString(" " + currency)
		}
	}
	b.WriteByte(')')
}

// isCurrencyCode reports whether code has the shape of an ISO 4217 code.
// Anything else is left out rather than cleaned: it comes from the API, but
// only a well-formed code is worth a place in the prompt.
func isCurrencyCode(code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := range len(code) {
		if code[i] < 'A' || code[i] > 'Z' {
			return false
		}
	}
	return true
}

// isFinite reports whether v is neither NaN nor infinite.
func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// formatValue writes a metric value. Asana stores a percentage metric as a
// fraction (0.25 is shown as 25%), so it is scaled here the same way.
func formatValue(v float64, unit string) string {
	if unit == "percentage" {
		return formatNumber(v*100) + "%"
	}
	return formatNumber(v)
}

// formatNumber writes v with at most four decimals and no trailing zeros,
// so that float noise (28.999999999999996) does not reach the prompt, and in
// exponent form when it is too large for plain digits to be useful.
func formatNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1e15 {
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	s := strconv.FormatFloat(v, 'f', 4, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}
