package asanagoals_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// conventionalTests are test files every package may have without a source
// of their name: the standard library's and go-github's conventions.
var conventionalTests = []string{
	"example_test.go", // runnable examples of the package doc
	"export_test.go",  // internal names exported to the package's _test tests
	"fake_test.go",    // the package's test harness (its fake Asana, its fixtures)
	"bench_test.go",   // the package's benchmarks, across its sources
	"race_test.go",    // the race detector's build-tag constant
	"norace_test.go",  // the same, without it
}

// layoutExceptions are test files allowed beside no source of their name,
// each for its reason.
var layoutExceptions = map[string]string{
	"links_test.go":                               "pins README.md, ARCHITECTURE.md and .ci/run, which are not Go",
	"layout_test.go":                              "pins this layout",
	"goals/riverjob/scale_test.go":                "the fleet benchmark, which runs the whole package against PostgreSQL",
	"internal/cmd/goalsync/serve_browser_test.go": "serve.go's test in Chromium, apart so that its setup reads alone",
}

// Every test lives beside the source it pins: x_test.go (or
// x_internal_test.go) has an x.go in its directory, so a maintainer who
// changes x.go finds its tests at once. Packages of tests alone, with a
// doc.go and nothing else (internal/e2e, internal/contract), name their
// files for what they test.
// No file is named for the effort that wrote it.
func TestLayout_testsBesideTheirSource(t *testing.T) {
	for _, path := range testFiles(t) {
		t.Run(path, func(t *testing.T) { checkTestFile(t, path) })
	}
}

func checkTestFile(t *testing.T, path string) {
	name := filepath.Base(path)
	for _, word := range []string{"hostile", "rules", "issue"} {
		if strings.Contains(name, word) {
			t.Errorf("%s is named for the effort that wrote it: move its tests beside the sources they pin", path)
		}
	}
	if slices.Contains(conventionalTests, name) || layoutExceptions[path] != "" {
		return
	}
	dir := filepath.Dir(path)
	if name == "doc_test.go" && exists(filepath.Join(dir, "doc.go")) {
		return
	}
	if !hasSource(t, dir) {
		return // a package of tests alone
	}
	base := strings.TrimSuffix(strings.TrimSuffix(name, "_test.go"), "_internal")
	for _, platform := range []string{"_unix", "_linux", "_darwin", "_windows"} {
		base = strings.TrimSuffix(base, platform) // x_unix_test.go: x.go's tests that need a Unix
	}
	if !exists(filepath.Join(dir, base+".go")) {
		t.Errorf("%s has no %s.go beside it: move its tests into the _test.go file of the source they pin", path, base)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// hasSource says whether dir holds a Go source that is not a test, other
// than a doc.go: a package of tests alone still has its doc.
func hasSource(t *testing.T, dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && n != "doc.go" {
			return true
		}
	}
	return false
}

// Every test and fuzz target says, in a comment above it, the rule it
// pins: a maintainer who breaks it reads why it mattered.
func TestLayout_everyTestSaysWhatItPins(t *testing.T) {
	for _, path := range testFiles(t) {
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Doc != nil {
				continue
			}
			if name := fn.Name.Name; strings.HasPrefix(name, "Test") && name != "TestMain" || strings.HasPrefix(name, "Fuzz") {
				t.Errorf("%s: %s has no comment saying the rule it pins", path, name)
			}
		}
	}
}

// testFiles lists the module's test files, slash-separated, outside hidden
// directories, testdata and docs.
func testFiles(t *testing.T) []string {
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "docs") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files = append(files, filepath.ToSlash(path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
