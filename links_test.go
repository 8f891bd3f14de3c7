package asanagoals_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The guides link to the package directories, the pictures of the admin
// pages and each other's sections; a link that no longer resolves (a
// moved file, a renamed heading) sends a reader nowhere.
func TestMarkdownLinks_resolve(t *testing.T) {
	for _, file := range []string{"README.md", "ARCHITECTURE.md", "docs/benchmarks.md"} {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range markdownLinks(string(text)) {
			if strings.Contains(target, "://") {
				continue // the web is not checked
			}
			path, anchor, _ := strings.Cut(target, "#")
			resolved := file
			if path != "" {
				resolved = filepath.Join(filepath.Dir(file), path)
				if _, err := os.Stat(resolved); err != nil {
					t.Errorf("%s links to %s, which does not exist", file, target)
					continue
				}
			}
			if anchor == "" {
				continue
			}
			doc, err := os.ReadFile(resolved)
			if err != nil {
				t.Errorf("%s links to %s, whose file cannot be read: %v", file, target, err)
				continue
			}
			if !hasAnchor(string(doc), anchor) {
				t.Errorf("%s links to %s, but %s has no heading with that anchor", file, target, resolved)
			}
		}
	}
}

var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// markdownLinks returns the targets of the inline links and images in text,
// leaving out fenced code blocks.
func markdownLinks(text string) []string {
	var targets []string
	fenced := false
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		for _, m := range markdownLink.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
		}
	}
	return targets
}

// hasAnchor reports whether a heading of doc has anchor as GitHub makes
// anchors: lower case, punctuation dropped but hyphens and underscores,
// spaces turned into hyphens.
func hasAnchor(doc, anchor string) bool {
	for line := range strings.Lines(doc) {
		heading, ok := strings.CutPrefix(line, "#")
		if !ok {
			continue
		}
		heading = strings.TrimSpace(strings.TrimLeft(heading, "#"))
		var slug strings.Builder
		for _, r := range strings.ToLower(heading) {
			switch {
			case r == ' ':
				slug.WriteRune('-')
			case r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 127:
				slug.WriteRune(r)
			}
		}
		if slug.String() == anchor {
			return true
		}
	}
	return false
}

// The README promises that its test command is exactly what CI runs:
// .ci/run runs it as a line of its own, stopping on its failure.
func TestREADME_testCommandIsWhatCIRuns(t *testing.T) {
	const command = "go vet ./... && go test -race -count=1 ./..."
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "\n"+command+"\n") {
		t.Errorf("README.md has no line %q", command)
	}
	if !strings.Contains(string(ci), "\n"+command+" || exit\n") {
		t.Errorf(".ci/run has no line %q", command+" || exit")
	}
}
