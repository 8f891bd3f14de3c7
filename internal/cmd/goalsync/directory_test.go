package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/admin"
	"github.com/perfcopilot/asanagoals/goals/admin/admintest"
	"github.com/perfcopilot/asanagoals/internal/textline"
)

// writeCSVEmployees writes employees as a CSV employee file in a new
// directory and returns its path.
func writeCSVEmployees(t *testing.T, emps []goals.Employee) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{colEmployeeID, colAsanaUserGID, colName, colEmail})
	for _, e := range emps {
		_ = w.Write([]string{e.ID, e.AsanaUserGID, e.Name, e.Email})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return writeDirFile(t, "people.csv", b.String())
}

// writeJSONEmployees is writeCSVEmployees for a JSON file.
func writeJSONEmployees(t *testing.T, emps []goals.Employee) string {
	t.Helper()
	type row struct {
		ID    string `json:"employee_id"`
		GID   string `json:"asana_user_gid"`
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	rows := []row{}
	for _, e := range emps {
		rows = append(rows, row{e.ID, e.AsanaUserGID, e.Name, e.Email})
	}
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return writeDirFile(t, "people.json", string(b))
}

func writeDirFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The employee file, CSV or JSON, keeps the admin pages' Directory contract.
func TestFileDirectoryContract(t *testing.T) {
	t.Run("csv", func(t *testing.T) {
		admintest.RunDirectory(t, func(t *testing.T, emps []goals.Employee) admin.Directory {
			return newFileDirectory(writeCSVEmployees(t, emps))
		})
	})
	t.Run("json", func(t *testing.T) {
		admintest.RunDirectory(t, func(t *testing.T, emps []goals.Employee) admin.Directory {
			return newFileDirectory(writeJSONEmployees(t, emps))
		})
	})
}

// The file keeps its format byte for byte: only the one cell or value
// changes. In each file, «» marks the asana_user_gid that MapEmployee of
// id changes.
func TestFileDirectoryKeepsTheFormat(t *testing.T) {
	const bom = "\ufeff"
	tests := []struct {
		name, fname, file, id, old, gid, new string
	}{
		{"csv-crlf-bom-column-order", "people.csv",
			bom + "Name , EMAIL,asana_user_gid,  employee_id\r\n" +
				"\"O'Brien, \"\"Zoë\"\"\r\nsecond line\",zoe@example.com,1201,e1\r\n" +
				"\r\n" +
				"Li Lei,lei@example.com,«»,e2\r\n" +
				" , ,,\r\n" +
				"Upper,,\"1203\",e3\r\n",
			"e2", "", "1299", "1299"},
		{"csv-quoted-cell-stays-quoted", "people.csv",
			bom + "Name , EMAIL,asana_user_gid,  employee_id\r\n" +
				"A,a@x,1201,e1\r\n" +
				"Upper,,  «»,e3\r\n",
			"e3", `"1203"`, "77", `"77"`},
		{"csv-unmap-with-spaces", "people.csv",
			"employee_id,asana_user_gid,name\n" +
				"e1,  «»  ,Ada\n" +
				"e2,1202,Bob\n",
			"e1", "1201", "", ""},
		{"csv-last-cell-no-final-newline", "people.csv",
			"employee_id,name,asana_user_gid\r\n" +
				"e1,Ada,1201\r\n" +
				"e2,Bob,«»",
			"e2", "", "1202", "1202"},
		{"csv-empty-last-cell-before-crlf", "people.csv",
			"employee_id,name,asana_user_gid\r\n" +
				"e2,Bob,   «»\r\n" +
				"e1,Ada,1201\r\n",
			"e2", "", "1202", "1202"},
		{"json-crlf-extra-spacing-key-order", "people.json",
			bom + "[\r\n" +
				"  {\"name\": \"Zo\\u00eb \\\"Z\\\"\", \"asana_user_gid\": \"1201\", \"employee_id\": \"e1\",\"email\":null},\r\n" +
				"  { \"email\" : \"lei@example.com\" ,\"employee_id\":\"e2\" , \"asana_user_gid\" :\t«» , \"name\" : \"Li\" }\r\n" +
				"]\r\n",
			"e2", "null", "1299", `"1299"`},
		{"json-compact-remap", "people.json",
			`[{"employee_id":"e1","asana_user_gid":«»},{"employee_id":"e2","asana_user_gid":"1202"}]`,
			"e1", `"\u0031201"`, "1250", `"1250"`},
		{"json-by-content", "people.txt",
			"  [{\"employee_id\":\"e1\",\"asana_user_gid\":«»}]\n",
			"e1", `"1201"`, "", `""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Count(tc.file, "«»") != 1 {
				t.Fatal("the file must mark one cell")
			}
			path := writeDirFile(t, tc.fname, strings.Replace(tc.file, "«»", tc.old, 1))
			d := newFileDirectory(path)
			before, err := d.Employees(context.Background())
			if err != nil {
				t.Fatalf("Employees of the original: %v", err)
			}
			if err := d.MapEmployee(context.Background(), tc.id, tc.gid); err != nil {
				t.Fatalf("MapEmployee: %v", err)
			}
			got, _ := os.ReadFile(path)
			want := strings.Replace(tc.file, "«»", tc.new, 1)
			if string(got) != want {
				t.Errorf("file after MapEmployee:\n%q\nwant\n%q", got, want)
			}
			after, err := d.Employees(context.Background())
			if err != nil {
				t.Fatalf("Employees after: %v", err)
			}
			for i := range before {
				if before[i].ID == tc.id {
					before[i].AsanaUserGID = tc.gid
				}
			}
			if !slices.Equal(after, before) {
				t.Errorf("employees after\n\t%+v\nwant\n\t%+v", after, before)
			}
			dirOnlyFile(t, path)
		})
	}
}

// dirOnlyFile fails t unless path's directory holds path alone: no temporary
// file left behind.
func dirOnlyFile(t *testing.T, path string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != filepath.Base(path) {
		t.Errorf("the directory holds %q, want %q alone", names, filepath.Base(path))
	}
}

const dirSampleCSV = "employee_id,asana_user_gid,name\r\ne1,1201,Ada\r\ne2,,Bob\r\ne2b,,Bob B\r\n"

// dirUnchanged fails t unless the file at path still holds content.
func dirUnchanged(t *testing.T, path, content string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the original is gone: %v", err)
	}
	if string(got) != content {
		t.Errorf("the file changed:\n%q\nwant\n%q", got, content)
	}
}

// A mapping saved to the employee file keeps the file's permissions and
// leaves no temporary file beside it.
func TestFileDirectoryKeepsPermissionsAndLeavesNoTempFile(t *testing.T) {
	for _, mode := range []fs.FileMode{0o640, 0o604, 0o600} {
		path := writeDirFile(t, "people.csv", dirSampleCSV)
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if err := newFileDirectory(path).MapEmployee(context.Background(), "e2", "1202"); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("mode %v after MapEmployee, want %v", fi.Mode(), mode)
		}
		dirOnlyFile(t, path)
	}
}

// A rename that fails leaves the original whole and no temporary file.
func TestFileDirectoryFailedRenameKeepsTheOriginal(t *testing.T) {
	path := writeDirFile(t, "people.csv", dirSampleCSV)
	d := newFileDirectory(path)
	renamed := false
	d.rename = func(oldpath, newpath string) error {
		renamed = true
		if b, err := os.ReadFile(oldpath); err != nil || !strings.Contains(string(b), "e2,1202,Bob") {
			t.Errorf("the temporary file does not hold the new mapping (%v): %q", err, b)
		}
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: errors.New("injected failure")}
	}
	err := d.MapEmployee(context.Background(), "e2", "1202")
	if err == nil || !strings.Contains(err.Error(), "injected failure") || !strings.Contains(err.Error(), "nothing saved") {
		t.Fatalf("err = %v, want the rename's failure and that nothing was saved", err)
	}
	if !renamed {
		t.Fatal("the rename was not attempted")
	}
	dirUnchanged(t, path, dirSampleCSV)
	dirOnlyFile(t, path)
}

// In a directory no file can be created in, nothing is written.
func TestFileDirectoryReadOnlyDirectory(t *testing.T) {
	path := writeDirFile(t, "people.csv", dirSampleCSV)
	dir := filepath.Dir(path)
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	if f, err := os.CreateTemp(dir, "probe"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skip("the directory stays writable (running as root?); TestFileDirectoryFailedRenameKeepsTheOriginal covers a failed write")
	}
	err := newFileDirectory(path).MapEmployee(context.Background(), "e2", "1202")
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "nothing saved") {
		t.Fatalf("err = %v, want a permission error saying nothing was saved", err)
	}
	dirUnchanged(t, path, dirSampleCSV)
	dirOnlyFile(t, path)
}

// An employee file removed after the Directory was made is an error that
// matches fs.ErrNotExist and names the file.
func TestFileDirectoryVanishedFile(t *testing.T) {
	path := writeDirFile(t, "people.csv", dirSampleCSV)
	d := newFileDirectory(path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	_, err := d.Employees(context.Background())
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "employee file "+path+" is gone") {
		t.Errorf("Employees: err = %v, want one saying the file is gone", err)
	}
	err = d.MapEmployee(context.Background(), "e2", "1202")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "employee file "+path+" is gone") {
		t.Errorf("MapEmployee: err = %v, want one saying the file is gone", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("MapEmployee recreated the file (%v)", err)
	}
}

// Refused mappings write nothing: an unknown ID (ErrUnknownEmployee), an
// ID listed twice, a GID that is not one, a file that does not parse.
func TestFileDirectoryRefusalsWriteNothing(t *testing.T) {
	dup := "employee_id,asana_user_gid\ne1,1201\ne2,\ne1,\n"
	bad := "employee_id,asana_user_gid\ne1,1201\ne2,\"unterminated\n"
	tests := []struct {
		name, file, id, gid, want string
		unknown                   bool
	}{
		{"unknown", dirSampleCSV, "e3", "1299", "not in employee file", true},
		{"unknown-by-case", dirSampleCSV, "E1", "1299", "not in employee file", true},
		{"listed-twice", dup, "e1", "1299", "listed 2 times (", false},
		{"not-a-gid", dirSampleCSV, "e2", "12 99", "is not an Asana user GID", false},
		{"not-a-gid-injection", dirSampleCSV, "e2", "1\r\ne9,1", "is not an Asana user GID", false},
		{"file-does-not-parse", bad, "e1", "1299", "nothing saved", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeDirFile(t, "people.csv", tc.file)
			err := newFileDirectory(path).MapEmployee(context.Background(), tc.id, tc.gid)
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, admin.ErrUnknownEmployee) != tc.unknown {
				t.Errorf("err = %v, want one with %q (ErrUnknownEmployee: %v)", err, tc.want, tc.unknown)
			}
			dirUnchanged(t, path, tc.file)
			dirOnlyFile(t, path)
		})
	}
}

// A symbolic link to the file stays a link; the file it names changes.
func TestFileDirectoryThroughASymlink(t *testing.T) {
	target := writeDirFile(t, "people.csv", dirSampleCSV)
	link := filepath.Join(t.TempDir(), "link.csv")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := newFileDirectory(link).MapEmployee(context.Background(), "e2", "1202"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link is no longer a link (%v)", err)
	}
	dirUnchanged(t, target, strings.Replace(dirSampleCSV, "e2,,Bob", "e2,1202,Bob", 1))
	dirOnlyFile(t, target)
}

// A link re-pointed to another file while a mapping is saved never gets
// one file's rows written into the other: the save gives up, and both
// files stay as they were.
func TestFileDirectoryLinkRepointedMidSave(t *testing.T) {
	a := writeDirFile(t, "a.csv", dirSampleCSV)
	other := strings.Replace(dirSampleCSV, "Bob", "Robert", 1)
	b := writeDirFile(t, "b.csv", other)
	dir := t.TempDir()
	link := filepath.Join(dir, "people.csv")
	if err := os.Symlink(a, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	d := newFileDirectory(link)
	d.afterRead = func() {
		tmp := filepath.Join(dir, "next")
		if err := os.Symlink(b, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, link); err != nil {
			t.Fatal(err)
		}
	}
	err := d.MapEmployee(context.Background(), "e2", "1202")
	if err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("err = %v, want a refusal saying the file changed", err)
	}
	dirUnchanged(t, a, dirSampleCSV)
	dirUnchanged(t, b, other)
}

// Concurrent mappings, through two directories of the same file, are all
// saved.
func TestFileDirectoryConcurrentMappingsAllSaved(t *testing.T) {
	var emps []goals.Employee
	for i := range 40 {
		emps = append(emps, goals.Employee{ID: fmt.Sprintf("e%02d", i), Name: fmt.Sprintf("N %d", i)})
	}
	path := writeCSVEmployees(t, emps)
	dirs := []*fileDirectory{newFileDirectory(path), newFileDirectory(path)}
	var wg sync.WaitGroup
	for i := range emps {
		wg.Go(func() {
			if err := dirs[i%2].MapEmployee(context.Background(), emps[i].ID, fmt.Sprint(1000+i)); err != nil {
				t.Errorf("MapEmployee(%s): %v", emps[i].ID, err)
			}
		})
	}
	wg.Wait()
	got, err := dirs[0].Employees(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range emps {
		emps[i].AsanaUserGID = fmt.Sprint(1000 + i)
	}
	if !slices.Equal(got, emps) {
		t.Errorf("after concurrent mappings:\n\t%+v\nwant\n\t%+v", got, emps)
	}
	dirOnlyFile(t, path)
}

// Waiting for another mapping ends with the context; nothing is written.
func TestFileDirectoryWaitIsBoundedByTheContext(t *testing.T) {
	path := writeDirFile(t, "people.csv", dirSampleCSV)
	d := newFileDirectory(path)
	d.lock <- struct{}{} // a mapping being saved, forever
	t.Cleanup(func() { <-d.lock })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := newFileDirectory(path).MapEmployee(ctx, "e2", "1202")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "waiting for another mapping") {
		t.Errorf("err = %v, want DeadlineExceeded while waiting", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("MapEmployee returned after %v", el)
	}
	dirUnchanged(t, path, dirSampleCSV)
}

// A file listing nobody is an empty directory; one that does not parse is
// an error naming it.
func TestFileDirectoryEmptyAndBrokenFiles(t *testing.T) {
	for _, content := range []string{"employee_id,asana_user_gid\r\n", "\ufeff[]"} {
		name := "people.csv"
		if strings.Contains(content, "[") {
			name = "people.json"
		}
		emps, err := newFileDirectory(writeDirFile(t, name, content)).Employees(context.Background())
		if err != nil || len(emps) != 0 {
			t.Errorf("%q: Employees = %+v, %v; want none and no error", content, emps, err)
		}
	}
	path := writeDirFile(t, "people.csv", "employee_id,asana_user_gid,department\ne1,1,x\n")
	if _, err := newFileDirectory(path).Employees(context.Background()); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Employees of a file with an unknown column: err = %v, want one naming the file", err)
	}
}

// csvRecords finds each field where encoding/csv reads it.
func TestCSVRecordsAgreeWithEncodingCSV(t *testing.T) {
	for _, body := range []string{
		"a,b\r\n\"x,\"\"y\"\"\r\nz\",  w\r\n",
		"a,b\n\n  ,\n c , \"\"\n",
		"a,b\r\nx,y\r",
		"a,b,\nx,y,\n",
		"a\tb,c\n\t\"q\",r\n",
	} {
		recs, err := csvRecords([]byte(body))
		if err != nil {
			t.Errorf("%q: %v", body, err)
			continue
		}
		r := csv.NewReader(strings.NewReader(body))
		r.FieldsPerRecord = -1
		r.TrimLeadingSpace = true
		want, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%q: encoding/csv: %v", body, err)
		}
		if len(recs) != len(want) {
			t.Errorf("%q: %d records, encoding/csv reads %d", body, len(recs), len(want))
			continue
		}
		for i, rec := range recs {
			var got []string
			for _, f := range rec {
				got = append(got, strings.ReplaceAll(f.value, "\r\n", "\n"))
				span := body[f.start:f.end]
				if f.quoted != strings.HasPrefix(span, `"`) || (f.quoted && !strings.HasSuffix(span, `"`)) {
					t.Errorf("%q: field span %q, quoted %v", body, span, f.quoted)
				}
			}
			if !slices.Equal(got, want[i]) {
				t.Errorf("%q: record %d = %q, encoding/csv reads %q", body, i, got, want[i])
			}
		}
	}
}

// The admin pages read the employee file by the command's rules: a file
// that is not UTF-8 text (UTF-16 from a spreadsheet, Latin-1) gets the
// hint to save it as UTF-8, and a NUL or an over-long field is refused
// with its line.
func TestFileDirectoryReadsByTheEmployeeFileRules(t *testing.T) {
	for _, tc := range []struct{ name, content, want string }{
		{"people.json", utf16Text(`[{"employee_id":"e1","asana_user_gid":"1201"}]`, false, true), "not UTF-8 text (it looks like UTF-16); save the JSON as UTF-8"},
		{"people.csv", utf16Text("employee_id,asana_user_gid\ne1,1201\n", true, false), "not UTF-8 text (it looks like UTF-16); save the CSV as UTF-8"},
		{"people.csv", "employee_id,asana_user_gid,name\ne1,1201,Ren\xe9\n", "not UTF-8 text; save the CSV as UTF-8"},
		{"people.json", `[{"employee_id":"e1","asana_user_gid":"1201","name":"Ren` + "\xe9" + `"}]`, "not UTF-8 text; save the JSON as UTF-8"},
		{"people.csv", "employee_id,asana_user_gid\ne1,1201\ne\x002,1202\n", "people.csv:3: employee_id holds a NUL character"},
		{"people.json", `[{"employee_id":"` + strings.Repeat("x", 300) + `","asana_user_gid":"1201"}]`, "employee_id is 300 bytes long; the most is 256 bytes"},
	} {
		path := writeDirFile(t, tc.name, tc.content)
		emps, err := newFileDirectory(path).Employees(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: Employees = %d employees, %v; want an error with %q", tc.name, textline.Clip(tc.content), len(emps), err, tc.want)
		}
	}
}
