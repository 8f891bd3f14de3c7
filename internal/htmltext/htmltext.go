// Package htmltext turns Asana rich text (a goal's html_notes) into the plain
// text stored as the goal's description, and caps it at a number of Unicode
// characters (runes) without ever cutting a character in half.
//
// The design contract is: "Descriptions are html_notes turned into plain text
// (tags removed, entities decoded, block elements to line breaks, whitespace
// tidied) and then capped at 1,000 Unicode characters (runes), never cutting a
// character in half." [ToText] does the first part, [Truncate] the second and
// [Description] both.
//
// The input is read with the streaming tokenizer of golang.org/x/net/html, so
// any string is accepted: Asana's well-formed XHTML, sloppy HTML, plain text
// or binary junk. Nothing here panics, and the output is always valid UTF-8.
package htmltext

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxListIndent is the deepest list nesting level that still gets its own
// indentation; deeper levels are indented like this one, so that hostile
// input (thousands of nested <ul>) cannot blow up the output.
const maxListIndent = 8

// ToText converts Asana rich text (html_notes) to plain text.
//
// The rules, in the order a reader will care about them:
//
//   - Tags are removed and character references are decoded (&amp; → "&",
//     &lt; → "<", &#x1F600; → "😀"). Markup-looking text that came from a
//     reference, such as "&lt;b&gt;", is kept as text ("<b>").
//   - Literal newlines in the text are line breaks, as in Asana rich text,
//     which keeps the user's line breaks as "\n" characters rather than as
//     <p> or <br>. <br> is a line break too. (So a paragraph of generic HTML
//     hard-wrapped in its source keeps its source line breaks.)
//   - Block elements (p, div, h1-h6, blockquote, pre, ul, ol, li, table, tr,
//     hr, body, and the other HTML block elements) end the current line, at
//     their start and at their end, without adding blank lines. The first
//     newline of source formatting just after a block boundary or a <br>
//     (the "\n" in "<ul>\n  <li>") is ignored, so pretty-printed HTML does
//     not come out double-spaced.
//   - Each <li> is a line starting with "- ", or with "1. ", "2. ", ... in an
//     <ol> (which honours a numeric start attribute). Items of nested lists
//     are indented by two spaces per level beyond the first, up to
//     maxListIndent levels.
//   - Table cells (td, th) on one row are separated by a space (and, as
//     for blocks, a source newline right after a cell boundary is ignored).
//   - The contents of script, style, template, noscript, iframe, noembed,
//     noframes and title are dropped, as are comments and doctypes. Images
//     contribute nothing (not even their alt text).
//   - Whitespace is tidied: runs of spaces, tabs and other Unicode spaces
//     (including the no-break space of &nbsp;) become one space, lines are
//     trimmed, there is never more than one blank line in a row, and there
//     are no blank lines at the start or the end.
//   - Control characters other than "\n" are removed (NEL, U+2028 and U+2029
//     are line breaks; CR and CRLF were already turned into "\n" by the
//     tokenizer). Invalid UTF-8 becomes U+FFFD.
//
// Plain text without tags passes through, tidied by the same rules. Text
// that merely looks like a tag ("a<b") is taken as one, as a browser would.
func ToText(htmlNotes string) string {
	return convert(htmlNotes, -1)
}

// Description returns the stored form of a goal description: ToText capped
// with Truncate, that is Truncate(ToText(htmlNotes), max), and exactly that.
//
// It stops reading htmlNotes as soon as enough text has been produced, so
// very long notes cost little more than short ones. max <= 0 yields "".
func Description(htmlNotes string, max int) string {
	if max <= 0 {
		return ""
	}
	// convert stops after max+1 runes: Truncate needs to see whether there
	// is more than max, and the rune after the cut decides whether the cut
	// splits a combining sequence.
	return Truncate(convert(htmlNotes, max), max)
}

// convert runs the tokenizer over h and renders it. When limit >= 0 it stops
// once more than limit runes have been written: what has been written by
// then is always a prefix of the full output.
func convert(h string, limit int) string {
	// The output is rarely longer than the input, and at most 4 bytes per
	// rune up to the limit (written so that it cannot overflow).
	size := len(h)
	if limit >= 0 && limit < size/4 {
		size = 4 * (limit + 1)
	}
	w := writer{buf: make([]byte, 0, size), limit: limit}
	z := html.NewTokenizer(strings.NewReader(h))

	var (
		lists     []list // open ul/ol elements, innermost last
		skipDepth int    // open <template> elements; their content is dropped
		dropNext  bool   // the next token is the raw text of a dropped element
		dropToken bool
	)
	for !w.full() {
		tt := z.Next()
		dropToken, dropNext = dropNext, false
		switch tt {
		case html.ErrorToken:
			// io.EOF or a tokenizer error: either way there is nothing more.
			return string(w.buf)

		case html.TextToken:
			if dropToken || skipDepth > 0 {
				continue
			}
			w.text(z.Text())

		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			selfClosing := tt == html.SelfClosingTagToken
			// The tokenizer reads the content of these elements as raw text,
			// in one text token, even for "<script/>".
			if dropNext = dropsContent(a); dropNext {
				continue
			}
			if a == atom.Template && !selfClosing {
				skipDepth++
				continue
			}
			if skipDepth > 0 {
				continue
			}
			switch a {
			case atom.Br:
				w.lineBreak()
			case atom.Ul, atom.Ol:
				w.blockBreak()
				w.prefix = marker{}
				if selfClosing {
					break
				}
				l := list{ordered: a == atom.Ol, next: 1}
				if l.ordered && hasAttr {
					l.next = olStart(z)
				}
				lists = append(lists, l)
			case atom.Li:
				w.blockBreak()
				w.prefix = itemMarker(lists)
				if selfClosing {
					w.prefix = marker{}
				}
			case atom.Td, atom.Th:
				w.cellBreak()
			default:
				if isBlock(a) {
					w.blockBreak()
				}
			}

		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if a == atom.Template {
				if skipDepth > 0 {
					skipDepth--
				}
				continue
			}
			if skipDepth > 0 {
				continue
			}
			switch a {
			case atom.Br:
				// Browsers treat a stray </br> as <br>.
				w.lineBreak()
			case atom.Ul, atom.Ol:
				w.blockBreak()
				w.prefix = marker{}
				if len(lists) > 0 {
					lists = lists[:len(lists)-1]
				}
			case atom.Li:
				w.blockBreak()
				w.prefix = marker{}
			case atom.Td, atom.Th:
				w.cellBreak()
			default:
				if isBlock(a) {
					w.blockBreak()
				}
			}
		}
		// CommentToken and DoctypeToken are ignored.
	}
	return string(w.buf)
}

// dropsContent reports whether the content of a is dropped. All of these
// are elements that the tokenizer reads as raw text: the text token right
// after the start tag (if any) is the element's whole content. The other
// raw-text elements, xmp, plaintext and textarea, are kept as text.
func dropsContent(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Iframe, atom.Noembed,
		atom.Noframes, atom.Title:
		return true
	}
	return false
}

// isBlock reports whether a starts and ends a line. ul, ol, li, br, td and
// th have their own handling.
func isBlock(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Body,
		atom.Caption, atom.Center, atom.Dd, atom.Details, atom.Dialog,
		atom.Dir, atom.Div, atom.Dl, atom.Dt, atom.Fieldset,
		atom.Figcaption, atom.Figure, atom.Footer, atom.Form,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Head, atom.Header, atom.Hgroup, atom.Hr, atom.Html,
		atom.Legend, atom.Listing, atom.Main, atom.Menu, atom.Nav,
		atom.Option, atom.P, atom.Plaintext, atom.Pre, atom.Search,
		atom.Section, atom.Summary, atom.Table, atom.Tbody, atom.Textarea,
		atom.Tfoot, atom.Thead, atom.Tr, atom.Xmp:
		return true
	}
	return false
}

// list is an open <ul> or <ol>.
type list struct {
	ordered bool
	next    int // number of the next <li> of an <ol>
}

// olStart returns the first item number of the <ol> whose attributes z is
// positioned at: its start attribute if that is a reasonable integer, else 1.
func olStart(z *html.Tokenizer) int {
	for {
		key, val, more := z.TagAttr()
		if string(key) == "start" {
			if n, err := strconv.Atoi(strings.TrimSpace(string(val))); err == nil &&
				n > -1_000_000_000 && n < 1_000_000_000 {
				return n
			}
			return 1
		}
		if !more {
			return 1
		}
	}
}

// marker is the list marker of a line: nothing, "- " or "N. ", after
// 2*indent spaces.
type marker struct {
	kind   byte // 0 (none), '-' or '.'
	indent int
	n      int
}

// itemMarker returns the marker of an <li> inside lists (innermost last),
// and advances the numbering of an ordered innermost list.
func itemMarker(lists []list) marker {
	if len(lists) == 0 {
		return marker{kind: '-'}
	}
	m := marker{kind: '-', indent: min(len(lists), maxListIndent) - 1}
	if l := &lists[len(lists)-1]; l.ordered {
		m.kind, m.n = '.', l.next
		l.next++
	}
	return m
}

// appendTo appends the marker to b.
func (m marker) appendTo(b []byte) []byte {
	if m.kind == 0 {
		return b
	}
	for range m.indent {
		b = append(b, "  "...)
	}
	if m.kind == '.' {
		b = strconv.AppendInt(b, int64(m.n), 10)
		return append(b, ". "...)
	}
	return append(b, "- "...)
}

// writer accumulates tidied text. Whitespace and line breaks are kept
// pending and only written when visible text follows them, which is what
// trims lines and drops trailing blank lines; everything in buf is final.
type writer struct {
	buf   []byte
	runes int // runes in buf
	limit int // stop once runes > limit; < 0 means no limit

	lineHasText  bool   // the current line has visible text in buf
	pendingSpace bool   // a space goes before the next text on this line
	pendingNL    int    // line ends before the next text: 0, 1 or 2
	absorbNL     bool   // ignore the next "\n" of the text (source formatting)
	prefix       marker // list marker for the next line with text
}

// full reports whether the limit has been passed.
func (w *writer) full() bool {
	return w.limit >= 0 && w.runes > w.limit
}

// text writes decoded text from the tokenizer.
func (w *writer) text(s []byte) {
	for len(s) > 0 && !w.full() {
		if c := s[0]; c < utf8.RuneSelf {
			s = s[1:]
			switch {
			case c == '\n':
				w.newline()
			case c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r':
				w.space()
			case c < ' ' || c == 0x7f:
				// Other C0 controls and DEL are dropped.
			default:
				w.visible()
				w.buf = append(w.buf, c)
				w.runes++
			}
			continue
		}
		r, size := utf8.DecodeRune(s)
		s = s[size:]
		switch {
		case r == 0x85 || r == '\u2028' || r == '\u2029':
			// NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR.
			w.newline()
		case unicode.IsSpace(r):
			w.space()
		case unicode.IsControl(r):
			// C1 controls are dropped.
		default:
			// An invalid byte decodes as utf8.RuneError, which is U+FFFD.
			w.visible()
			w.buf = utf8.AppendRune(w.buf, r)
			w.runes++
		}
	}
}

// visible flushes what is pending before a visible character.
func (w *writer) visible() {
	if !w.lineHasText {
		if len(w.buf) > 0 {
			for range w.pendingNL {
				w.buf = append(w.buf, '\n')
			}
			w.runes += w.pendingNL
		}
		n := len(w.buf)
		w.buf = w.prefix.appendTo(w.buf)
		w.runes += len(w.buf) - n // markers are ASCII
		w.prefix = marker{}
		w.lineHasText = true
	} else if w.pendingSpace {
		w.buf = append(w.buf, ' ')
		w.runes++
	}
	w.pendingSpace = false
	w.pendingNL = 0
	w.absorbNL = false
}

// space records whitespace inside a line; leading whitespace is dropped.
func (w *writer) space() {
	if w.lineHasText {
		w.pendingSpace = true
	}
}

// cellBreak separates table cells on a row by a space.
func (w *writer) cellBreak() {
	w.space()
	w.absorbNL = true
}

// newline handles a "\n" in the text.
func (w *writer) newline() {
	if w.absorbNL {
		w.absorbNL = false
		return
	}
	w.hardBreak()
}

// lineBreak handles <br>.
func (w *writer) lineBreak() {
	w.hardBreak()
	w.absorbNL = true
}

// hardBreak ends the current line; on an empty line it makes a blank line
// (at most one in a row).
func (w *writer) hardBreak() {
	w.pendingSpace = false
	if w.lineHasText {
		w.lineHasText = false
		w.pendingNL = 1
		return
	}
	if w.pendingNL < 2 {
		w.pendingNL++
	}
}

// blockBreak ends the current line if it has text; it never makes a blank
// line.
func (w *writer) blockBreak() {
	w.pendingSpace = false
	if w.lineHasText {
		w.lineHasText = false
		w.pendingNL = 1
	}
	w.absorbNL = true
}
