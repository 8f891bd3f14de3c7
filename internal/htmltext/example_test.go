package htmltext_test

import (
	"fmt"

	"github.com/perfcopilot/asanagoals/internal/htmltext"
)

func Example() {
	notes := `<body>Start <strong>building</strong> brand &amp; awareness.` +
		`<ul><li>one</li><li>two</li></ul>` +
		`<ol><li>first<ul><li>nested</li></ul></li><li>second</li></ol>` +
		`Line<br>break</body>`
	fmt.Println(htmltext.ToText(notes))
	// Output:
	// Start building brand & awareness.
	// - one
	// - two
	// 1. first
	//   - nested
	// 2. second
	// Line
	// break
}

func ExampleDescription() {
	notes := "<body>Grow <em>trials</em> by 20% in EMEA.\n\nOwner: Ana</body>"
	fmt.Printf("%q\n", htmltext.Description(notes, 1000))
	fmt.Printf("%q\n", htmltext.Description(notes, 10))
	// Output:
	// "Grow trials by 20% in EMEA.\n\nOwner: Ana"
	// "Grow trial"
}

func ExampleTruncate() {
	fmt.Printf("%q\n", htmltext.Truncate("日本語のテキスト", 3))
	fmt.Printf("%q\n", htmltext.Truncate("ship it 🚀🚀", 8)) // no trailing space
	fmt.Printf("%q\n", htmltext.Truncate("short", 1000))
	fmt.Printf("%q\n", htmltext.Truncate("anything", 0))
	// Output:
	// "日本語"
	// "ship it"
	// "short"
	// ""
}
