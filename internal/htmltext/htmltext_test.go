package htmltext_test

import (
	"math"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/perfcopilot/asanagoals/internal/htmltext"
)

var toTextCases = []struct {
	name string
	in   string
	want string
}{
	// Empty and plain text.
	{"empty", "", ""},
	{"whitespace only", " \n\t \r\n \u00a0 ", ""},
	{"plain text", "Hello, world", "Hello, world"},
	{"plain text lines", "first\nsecond", "first\nsecond"},
	{"plain text blank lines squeezed", "a\n\n\n\nb", "a\n\nb"},
	{"plain text trimmed", "\n\n  a  \n\n", "a"},
	{"plain text lines trimmed", "  a  \n\t b \t", "a\nb"},
	{"spaces and tabs collapsed", "a   b\t\tc \t d", "a b c d"},
	{"crlf and cr", "a\r\nb\rc", "a\nb\nc"},
	{"form feed and vertical tab are spaces", "a\fb\vc", "a b c"},
	{"unicode spaces", "a\u2003\u3000b", "a b"},
	{"less-than in prose", "1 < 2 && 3 > 2", "1 < 2 && 3 > 2"},
	{"bare ampersands", "AT&T, R&D & co", "AT&T, R&D & co"},

	// The Asana examples.
	{
		"asana example",
		`<body>Start <strong>building</strong> brand &amp; awareness.<ul><li>one</li><li>two</li></ul>Line<br>break</body>`,
		"Start building brand & awareness.\n- one\n- two\nLine\nbreak",
	},
	{
		"asana newlines and list",
		"<body>Intro\n\nGoals:<ul><li>a</li><li>b</li></ul>Done</body>",
		"Intro\n\nGoals:\n- a\n- b\nDone",
	},
	{
		"asana formatting tags",
		`<body><em>Italic</em>, <u>under</u>, <s>struck</s>, <code>x := 1</code>, <a href="https://example.com">link</a>.</body>`,
		"Italic, under, struck, x := 1, link.",
	},
	{"asana mention without text", `<body>Ask <a data-asana-gid="123"/> today</body>`, "Ask today"},
	{"inline tags do not add spaces", "<b>bold</b><i>italic</i>", "bolditalic"},

	// Entities.
	{"named entities", "&amp; &lt;b&gt; &quot;q&quot; &apos;s&#39;", `& <b> "q" 's'`},
	{"numeric entities", "&#65;&#x42;&#X43;&#100;", "ABCd"},
	{"emoji entity", "goal &#x1F3AF; &#128512;", "goal 🎯 😀"},
	{"literal emoji", "🎯 ship it 🚀", "🎯 ship it 🚀"},
	{"nbsp entity", "a&nbsp;&nbsp;&nbsp;b", "a b"},
	{"nbsp trimmed", "&nbsp;a&nbsp;", "a"},
	{"literal nbsp", "a\u00a0b", "a b"},
	{"legacy entity without semicolon", "&copy 2024", "© 2024"},
	{"entity for invalid code point", "a&#0;b&#xD800;c", "a\ufffdb\ufffdc"},
	{"escaped markup stays text", "&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"},

	// Line breaks and blocks.
	{"br variants", "a<br>b<br/>c<br />d<BR>e", "a\nb\nc\nd\ne"},
	{"double br makes blank line", "a<br><br>b", "a\n\nb"},
	{"many br make one blank line", "a<br><br><br><br>b", "a\n\nb"},
	{"br then source newline", "a<br>\nb", "a\nb"},
	{"leading and trailing br", "<br><br>a<br><br>", "a"},
	{"paragraphs", "<p>one</p><p>two</p>", "one\ntwo"},
	{"paragraphs separated by a blank source line", "<p>a</p>\n\n<p>b</p>", "a\n\nb"},
	{"div around inline text", "x<div>y</div>z", "x\ny\nz"},
	{"empty blocks", "<p></p><div></div><p>a</p><div> </div>", "a"},
	{"headings", "<h1>Title <em>one</em></h1><h2>Sub</h2>Body", "Title one\nSub\nBody"},
	{"hr", "a<hr>b<hr/>c", "a\nb\nc"},
	{"blockquote", "said:<blockquote>quote</blockquote>end", "said:\nquote\nend"},
	{"pre is tidied too", "<pre>x    y\n   z\n</pre>", "x y\nz"},
	{"table", "<table><tr><td>Hello </td><td>World</td></tr><tr><th>a</th><th>b</th></tr></table>", "Hello World\na b"},
	{
		"pretty-printed table",
		"<table>\n  <tr>\n    <td>a</td>\n    <td>b</td>\n  </tr>\n  <tr>\n    <td>c</td>\n  </tr>\n</table>",
		"a b\nc",
	},
	{"table without spaces", "<table><tr><td>1</td><td>2</td></tr></table>", "1 2"},
	{"unicode line separators", "a\u2028b\u2029c\u0085d", "a\nb\nc\nd"},

	// Lists.
	{"unordered list", "<ul><li>a</li><li>b</li></ul>", "- a\n- b"},
	{"ordered list", "<ol><li>x</li><li>y</li><li>z</li></ol>", "1. x\n2. y\n3. z"},
	{"ordered list start", `<ol start="3"><li>x</li><li>y</li></ol>`, "3. x\n4. y"},
	{"ordered list bad start", `<ol start="three"><li>x</li></ol>`, "1. x"},
	{"nested unordered", "<ul><li>a<ul><li>b</li><li>c</li></ul></li><li>d</li></ul>", "- a\n  - b\n  - c\n- d"},
	{"nested ordered in unordered", "<ul><li>a<ol><li>b</li><li>c</li></ol></li><li>d</li></ul>", "- a\n  1. b\n  2. c\n- d"},
	{"nested numbering resumes", "<ol><li>a<ol><li>b</li></ol></li><li>c</li></ol>", "1. a\n  1. b\n2. c"},
	{"three levels", "<ul><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li></ul>", "- a\n  - b\n    - c"},
	{"list item with paragraph", "<ul><li><p>a</p></li><li><p>b</p></li></ul>", "- a\n- b"},
	{"empty list items", "<ul><li></li><li> </li><li>x</li></ul>", "- x"},
	{"li outside a list", "<li>x</li>", "- x"},
	{"list item with br", "<ul><li>a<br>b</li></ul>", "- a\nb"},
	{
		"pretty-printed list",
		"<body>\n  <ul>\n    <li>one</li>\n    <li>two</li>\n  </ul>\n  <p>after</p>\n</body>\n",
		"- one\n- two\nafter",
	},
	{"text before and after list", "a<ul><li>b</li></ul>c", "a\n- b\nc"},
	{"deep nesting indent is capped", strings.Repeat("<ul>", 50) + "<li>x", strings.Repeat("  ", 7) + "- x"},

	// Dropped content.
	{"script and style", "a<script>var s = '<b>x</b>';</script>b<style>p { color: red }</style>c", "abc"},
	{"script upper case", "<SCRIPT type=\"text/javascript\">x()</SCRIPT>y", "y"},
	{"self-closing script still swallows", "<script/>x</script>y", "y"},
	{"unclosed script", "a<script>never closed <p>b</p>", "a"},
	{"unclosed style", "a<style>p{}", "a"},
	{"noscript and iframe", "<noscript><p>no</p></noscript>a<iframe>fallback</iframe>b", "ab"},
	{"template", "<template><p>hidden</p><template>deeper</template></template>shown", "shown"},
	{"head and title", "<!DOCTYPE html><html><head><title>T</title><meta charset=\"utf-8\"></head><body><p>x</p></body></html>", "x"},
	{"comment", "a<!-- hidden <b>x</b> -->b", "ab"},
	{"unclosed comment", "a<!-- hidden", "a"},
	{"cdata is a bogus comment", "<![CDATA[x]]>y", "y"},
	{"img contributes nothing", `a<img src="x.png" alt="pic">b`, "ab"},

	// Kept raw text.
	{"xmp keeps markup as text", "<xmp><b>x</b></xmp>", "<b>x</b>"},
	{"textarea decodes", "<textarea>a &amp; b</textarea>", "a & b"},
	{"plaintext runs to the end", "a<plaintext><b>x</b>", "a\n<b>x</b>"},

	// Malformed HTML.
	{"unclosed tags", "<p>unclosed <b>bold <i>both", "unclosed bold both"},
	{"stray end tags", "</div>a</li></ul></ol>b</p>", "a\nb"},
	{"stray end br", "a</br>b", "a\nb"},
	{"unterminated tag at end", "a <b", "a"},
	{"lone less-than at end", "a<", "a<"},
	{"angle bracket in attribute", `<a title="x>y">link</a>`, "link"},
	{"unquoted attributes", "<p class=x id=y>text</p>", "text"},
	{"mismatched nesting", "<b><i>x</b></i>y", "xy"},
	{"xhtml namespaces", `<body xmlns="http://www.w3.org/1999/xhtml">x</body>`, "x"},

	// Control characters and invalid UTF-8.
	{"control characters dropped", "a\x00b\x01c\x1bd\x7fe\u0080f\u009bg", "abcdefg"},
	{"nul in markup", "<p>a\x00b</p>", "ab"},
	{"invalid utf8", "a\xffb\xc3(c", "a\ufffdb\ufffd(c"},
	{"truncated utf8 at end", "ab\xe6\x97", "ab\ufffd\ufffd"},
	{"zero-width characters kept", "a\u200bb", "a\u200bb"},
}

// TestToText pins how Asana's html_notes become plain text: entities
// decoded, tags dropped without adding spaces, line breaks and blocks as
// lines with at most one blank line between, lists as "- " or numbered items
// indented by nesting (capped), script, style, comments and other hidden
// content dropped, malformed HTML still giving its text, control characters
// dropped and invalid UTF-8 as U+FFFD; and each output keeps the invariants
// checkText states.
func TestToText(t *testing.T) {
	for _, tc := range toTextCases {
		t.Run(tc.name, func(t *testing.T) {
			got := htmltext.ToText(tc.in)
			if got != tc.want {
				t.Errorf("ToText(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			checkText(t, tc.in, got)
		})
	}
}

// TestDescription pins that Description is exactly Truncate of ToText, for
// every case and for limits from negative to large.
func TestDescription(t *testing.T) {
	for _, tc := range toTextCases {
		for _, max := range []int{-1, 0, 1, 2, 3, 5, 8, 13, 1000} {
			want := htmltext.Truncate(htmltext.ToText(tc.in), max)
			if got := htmltext.Description(tc.in, max); got != want {
				t.Errorf("Description(%q, %d) = %q, want %q", tc.in, max, got, want)
			}
		}
	}
}

// TestDescription_hugeMax pins that a limit of math.MaxInt cuts nothing and
// does not overflow: Description is then ToText.
func TestDescription_hugeMax(t *testing.T) {
	for _, tc := range toTextCases {
		if got, want := htmltext.Description(tc.in, math.MaxInt), htmltext.ToText(tc.in); got != want {
			t.Errorf("Description(%q, MaxInt) = %q, want %q", tc.in, got, want)
		}
	}
}

// TestDescription_longNotes pins that on a very long note, where Description
// stops converting early, it still agrees with Truncate of the full
// conversion, and fills the limit to within two runes.
func TestDescription_longNotes(t *testing.T) {
	// A very long note: Description stops early but must agree with the
	// full conversion.
	item := "<li>Grow <strong>revenue</strong> in the EMEA region &amp; APAC 🌍</li>\n"
	notes := "<body>" + strings.Repeat("Intro paragraph, long enough. ", 50) +
		"<ul>" + strings.Repeat(item, 20000) + "</ul></body>"
	for _, max := range []int{1, 999, 1000, 1001, 5000} {
		got := htmltext.Description(notes, max)
		want := htmltext.Truncate(htmltext.ToText(notes), max)
		if got != want {
			t.Fatalf("Description(notes, %d) differs from Truncate(ToText(notes))\n got %q\nwant %q", max, got, want)
		}
		if n := utf8.RuneCountInString(got); n > max || n < max-2 {
			t.Errorf("Description(notes, %d) has %d runes", max, n)
		}
	}
}

// checkText checks the invariants every ToText output must satisfy.
func checkText(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("ToText(%q) = %q: invalid UTF-8", in, out)
	}
	for _, r := range out {
		if r != '\n' && unicode.IsControl(r) {
			t.Fatalf("ToText(%q) = %q: control character %U", in, out, r)
		}
		if r != '\n' && r != ' ' && unicode.IsSpace(r) {
			t.Fatalf("ToText(%q) = %q: untidied space %U", in, out, r)
		}
	}
	if out == "" {
		return
	}
	if strings.HasPrefix(out, "\n") || strings.HasSuffix(out, "\n") {
		t.Fatalf("ToText(%q) = %q: leading or trailing line break", in, out)
	}
	if strings.Contains(out, "\n\n\n") {
		t.Fatalf("ToText(%q) = %q: more than one blank line in a row", in, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue // a single blank line
		}
		if strings.TrimRight(line, " ") != line {
			t.Fatalf("ToText(%q) = %q: line %q has trailing spaces", in, out, line)
		}
		body := strings.TrimLeft(line, " ")
		if body == "" {
			t.Fatalf("ToText(%q) = %q: whitespace-only line", in, out)
		}
		if body != line && !isListMarker(body) {
			// Only nested list items are indented.
			t.Fatalf("ToText(%q) = %q: line %q has leading spaces", in, out, line)
		}
		if strings.Contains(body, "  ") {
			t.Fatalf("ToText(%q) = %q: line %q has a run of spaces", in, out, line)
		}
	}
}

// isListMarker reports whether s starts with "- " or a number and ". ".
func isListMarker(s string) bool {
	if strings.HasPrefix(s, "- ") {
		return true
	}
	s = strings.TrimPrefix(s, "-")
	digits := strings.TrimLeft(s, "0123456789")
	return len(digits) < len(s) && strings.HasPrefix(digits, ". ")
}

// tenKBNotes is about 10 KB of html_notes in the shape Asana produces.
var tenKBNotes = func() string {
	var b strings.Builder
	b.WriteString("<body>")
	for b.Len() < 10_000 {
		b.WriteString("Start <strong>building</strong> brand &amp; awareness in <em>EMEA</em> — " +
			"see <a href=\"https://example.com/plan\">the plan</a>.\n\n" +
			"Key outcomes:<ul><li>Grow trials by 20%</li><li>Ship the <code>v2</code> onboarding</li>" +
			"<li>Nested:<ol><li>first</li><li>second</li></ol></li></ul>" +
			"Owner notes: 日本語のテキスト 🎯 &#x1F680;<br>Next line&nbsp;with&nbsp;nbsp.\n")
	}
	b.WriteString("</body>")
	return b.String()
}()

func BenchmarkToText(b *testing.B) {
	b.SetBytes(int64(len(tenKBNotes)))
	b.ReportAllocs()
	for b.Loop() {
		htmltext.ToText(tenKBNotes)
	}
}

func BenchmarkDescription(b *testing.B) {
	b.SetBytes(int64(len(tenKBNotes)))
	b.ReportAllocs()
	for b.Loop() {
		htmltext.Description(tenKBNotes, 1000)
	}
}

// FuzzToText: ToText keeps the text of any input, and Description is
// exactly Truncate of it.
func FuzzToText(f *testing.F) {
	for _, tc := range toTextCases {
		f.Add(tc.in)
	}
	f.Add(tenKBNotes[:2000])
	f.Fuzz(func(t *testing.T, in string) {
		out := htmltext.ToText(in)
		checkText(t, in, out)
		// Description must be exactly Truncate(ToText), early stop or not.
		for _, max := range []int{1, len(in) % 64, 1000} {
			want := htmltext.Truncate(out, max)
			if got := htmltext.Description(in, max); got != want {
				t.Fatalf("Description(%q, %d) = %q, want %q", in, max, got, want)
			}
		}
	})
}
