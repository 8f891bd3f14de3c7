package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/internal/textline"
)

// parseErr parses content as the employee file name and returns the error,
// failing t when there is none or when it spans lines.
func parseErr(t *testing.T, name, content string) string {
	t.Helper()
	list, err := parseEmployees(name, []byte(content))
	if err == nil {
		t.Fatalf("%s: no error; got %d employees", name, len(list.employees))
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("%s: error spans lines: %q", name, err)
	}
	return err.Error()
}

// A NUL character in an employee's field is refused as the file is read,
// with the line: PostgreSQL cannot store it, and SQLite stores an ID that
// prints as another one ("emp\x00p" shows as "emp p"). Other control
// characters in an ID are refused for the same reason: the ID shown would
// not be the ID stored.
func TestEmployeeFileRefusesNULAndControlCharacters(t *testing.T) {
	for _, tc := range []struct{ name, content, want string }{
		{"nul.csv", "employee_id,asana_user_gid\nemp-1,1201\nemp\x00p,1202\n", "nul.csv:3: employee_id holds a NUL character"},
		{"nul-name.csv", "employee_id,asana_user_gid,name\nemp-1,1201,Ada\x00\n", "nul-name.csv:2: name holds a NUL character"},
		{"nul-email.csv", "employee_id,asana_user_gid,email\nemp-1,1201,a\x00@example.com\n", "nul-email.csv:2: email holds a NUL character"},
		{"nul.json", "[\n{\"employee_id\":\"emp-1\",\"asana_user_gid\":\"1201\"},\n{\"employee_id\":\"emp\\u0000p\",\"asana_user_gid\":\"1202\"}]",
			"nul.json:3: entry 2: employee_id holds a NUL character"},
		{"nul-name.json", `[{"employee_id":"emp-1","asana_user_gid":"1201","name":"Ada\u0000"}]`, "nul-name.json:1: entry 1: name holds a NUL character"},
		{"tab.csv", "employee_id,asana_user_gid\n\"emp\tp\",1202\n", "tab.csv:2: employee_id holds the control character U+0009"},
		{"escape.json", `[{"employee_id":"emp\u001b[2Jp","asana_user_gid":"1201"}]`, "escape.json:1: entry 1: employee_id holds the control character U+001B"},
		{"c1.json", `[{"employee_id":"emp\u009bp","asana_user_gid":"1201"}]`, "employee_id holds the control character U+009B"},
		{"del.csv", "employee_id,asana_user_gid\nemp\x7f,1202\n", "del.csv:2: employee_id holds the control character U+007F"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseErr(t, tc.name, tc.content); !strings.Contains(got, tc.want) {
				t.Errorf("error %q\nwant it to contain %q", got, tc.want)
			}
		})
	}
	// A name may hold what an ID may not, but for a NUL: it is shown
	// cleaned, and stored as written.
	list, err := parseEmployees("tab-name.csv", []byte("employee_id,asana_user_gid,name\nemp-1,1201,\"Ada\tLovelace\"\n"))
	if err != nil || list.employees[0].Name != "Ada\tLovelace" {
		t.Errorf("a tab in a name: %v, %+v", err, list)
	}

	// The command: exit 2, the line named, nothing asked of Asana.
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	path := writeFile(t, "people.csv", "employee_id,asana_user_gid\nemp-1,1209000000000101\nemp\x00p,1209000000000102\n")
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", path)
	res.wantCode(t, exitUsage)
	res.wantOneErrorLine(t, "people.csv:3: employee_id holds a NUL character")
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
}

// An employee's ID is at most maxEmployeeIDBytes bytes, their name and
// e-mail address at most maxEmployeeTextRunes characters each: a longer
// one is refused as the file is read, with the line and the cap, and the
// error does not quote the value.
func TestEmployeeFileCapsFieldLengths(t *testing.T) {
	if maxEmployeeIDBytes != 256 || maxEmployeeTextRunes != 1000 {
		t.Fatalf("caps %d and %d: update goalsync -h's Employee file section and this test", maxEmployeeIDBytes, maxEmployeeTextRunes)
	}
	longID := strings.Repeat("x", maxEmployeeIDBytes+1)
	idOK := strings.Repeat("é", maxEmployeeIDBytes/2)   // 256 bytes, 128 characters
	nameOK := strings.Repeat("界", maxEmployeeTextRunes) // 1,000 characters, 3,000 bytes
	long := strings.Repeat("a", maxEmployeeTextRunes+1)
	huge := strings.Repeat("y", 20<<20)

	for _, tc := range []struct{ name, content, want string }{
		{"id.csv", "employee_id,asana_user_gid\nemp-1,1201\n" + longID + ",1202\n", "id.csv:3: employee_id is 257 bytes long; the most is 256 bytes"},
		{"id.json", `[{"employee_id":"` + longID + `","asana_user_gid":"1201"}]`, "id.json:1: entry 1: employee_id is 257 bytes long; the most is 256 bytes"},
		{"name.csv", "employee_id,asana_user_gid,name\nemp-1,1201," + long + "\n", "name.csv:2: name is 1001 characters long; the most is 1000 characters"},
		{"name.json", `[{"employee_id":"e","asana_user_gid":"1","name":"` + nameOK + `界"}]`, "name.json:1: entry 1: name is 1001 characters long; the most is 1000 characters"},
		{"email.csv", "employee_id,asana_user_gid,email\nemp-1,1201," + long + "@example.com\n", "email.csv:2: email is 1013 characters long; the most is 1000 characters"},
		{"huge-id.csv", "employee_id,asana_user_gid\n" + huge + ",1202\n", fmt.Sprintf("huge-id.csv:2: employee_id is %d bytes long; the most is 256 bytes", len(huge))},
		{"huge-name.json", `[{"employee_id":"e","asana_user_gid":"1","name":"` + huge + `"}]`, fmt.Sprintf("name is %d characters long", len(huge))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseErr(t, tc.name, tc.content)
			if !strings.Contains(got, tc.want) {
				t.Errorf("error %q\nwant it to contain %q", textline.Clip(got), tc.want)
			}
			if len(got) > 300 {
				t.Errorf("error of %d bytes: it quotes the value", len(got))
			}
		})
	}

	// At the caps, accepted as they are.
	list, err := parseEmployees("caps.csv", []byte("employee_id,asana_user_gid,name,email\n"+idOK+",1201,"+nameOK+","+nameOK+"\n"))
	if err != nil {
		t.Fatalf("fields at the caps: %v", err)
	}
	if e := list.employees[0]; e.ID != idOK || e.Name != nameOK || e.Email != nameOK {
		t.Errorf("fields at the caps changed: %d, %d, %d bytes", len(e.ID), len(e.Name), len(e.Email))
	}

	// The command: exit 2, nothing asked of Asana, no 20 MB line.
	srv, url := fake(t, asanafake.DemoWorkspace(), asanafake.Options{})
	path := writeFile(t, "people.csv", "employee_id,asana_user_gid,name\nemp-1,1209000000000101,"+huge+"\n")
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", url, "-workspace", asanafake.DemoWorkspaceGID, "-employees", path)
	res.wantCode(t, exitUsage)
	res.wantOneErrorLine(t, "people.csv:2: name is", "the most is 1000 characters")
	if len(res.stderr)+len(res.stdout) > 1000 {
		t.Errorf("%d bytes of output for a refused file", len(res.stderr)+len(res.stdout))
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Asana, want none", n)
	}
}

// goalsync -h documents the caps the reader applies.
func TestHelpDocumentsEmployeeFieldCaps(t *testing.T) {
	res := runCmd(t, tokenEnvMap(testToken), "-h")
	res.wantCode(t, exitOK)
	help := strings.Join(strings.Fields(res.stdout), " ")
	for _, want := range []string{
		fmt.Sprintf("employee_id at most %d bytes", maxEmployeeIDBytes),
		fmt.Sprintf("name and email at most %d,%03d characters each", maxEmployeeTextRunes/1000, maxEmployeeTextRunes%1000),
		"no field may hold a NUL character",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("goalsync -h lacks %q", want)
		}
	}
}

// utf16Text encodes s as UTF-16 (little- or big-endian), with a byte order
// mark or without: what a spreadsheet's "Unicode text" export writes.
func utf16Text(s string, bigEndian, bom bool) string {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xfeff}, units...)
	}
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// A UTF-16 employee file gets the hint to save it as UTF-8, JSON as CSV
// does, whatever its byte order and with or without a byte order mark;
// so does JSON that is not UTF-8 at all (Latin-1), which the JSON decoder
// would otherwise read with replacement characters.
func TestNonUTF8EmployeeFileGetsTheUTF8Hint(t *testing.T) {
	const (
		jsonText = `[{"employee_id":"emp-1","asana_user_gid":"1201","name":"René"}]`
		csvText  = "employee_id,asana_user_gid,name\nemp-1,1201,René\n"
	)
	for _, tc := range []struct{ name, content, want string }{
		{"le-bom.json", utf16Text(jsonText, false, true), "le-bom.json: not UTF-8 text (it looks like UTF-16); save the JSON as UTF-8"},
		{"be-bom.json", utf16Text(jsonText, true, true), "be-bom.json: not UTF-8 text (it looks like UTF-16); save the JSON as UTF-8"},
		{"le.json", utf16Text(jsonText, false, false), "le.json: not UTF-8 text (it looks like UTF-16); save the JSON as UTF-8"},
		{"be.json", utf16Text(jsonText, true, false), "be.json: not UTF-8 text (it looks like UTF-16); save the JSON as UTF-8"},
		{"le-bom.csv", utf16Text(csvText, false, true), "le-bom.csv: not UTF-8 text (it looks like UTF-16); save the CSV as UTF-8"},
		{"le.csv", utf16Text(csvText, false, false), "le.csv: not UTF-8 text (it looks like UTF-16); save the CSV as UTF-8"},
		{"be.csv", utf16Text(csvText, true, false), "be.csv: not UTF-8 text (it looks like UTF-16); save the CSV as UTF-8"},
		{"latin1.json", `[{"employee_id":"emp-1","asana_user_gid":"1201","name":"Ren` + "\xe9" + `"}]`, "latin1.json: not UTF-8 text; save the JSON as UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseErr(t, tc.name, tc.content); got != tc.want {
				t.Errorf("error %q\nwant      %q", got, tc.want)
			}
		})
	}

	// The command: exit 2, with the hint.
	path := writeFile(t, "people.json", utf16Text(jsonText, false, true))
	res := runCmd(t, tokenEnvMap(testToken), "-base-url", "http://127.0.0.1:1", "-workspace", asanafake.DemoWorkspaceGID, "-employees", path)
	res.wantCode(t, exitUsage)
	res.wantOneErrorLine(t, "people.json: not UTF-8 text (it looks like UTF-16); save the JSON as UTF-8")
}

// Seeds: the shapes of TestParseEmployeesGood and TestParseEmployeesErrors.
var (
	csvSeeds = []string{
		"employee_id,asana_user_gid,name,email\nemp-1,1201,Ada Lovelace,ada@example.com\nemp-2,,\"Grace, \"\"Amazing\"\" Hopper\",\nemp-3,1203,,\n",
		"\ufeffEmail , Name,asana_user_gid,employee_id\r\n\r\nada@example.com,Ada Lovelace,1201,emp-1\r\n , \"Grace, \"\"Amazing\"\" Hopper\", ,emp-2\r\n  ,  ,  ,  \r\n,,1203, emp-3 \r\n",
		"asana_user_gid,employee_id\n1201,emp-1\n,emp-2\n1203,emp-3\n",
		"employee_id,name\nemp-1,Ada\n",
		"employee_id,asana_user_gid,team,Manager\nemp-1,1201,x,y\n",
		"employee_id,asana_user_gid,employee_id\n",
		"employee_id,asana_user_gid\nemp-1,1201\nemp-2,1202,extra\n",
		"employee_id,asana_user_gid\nemp-1,\"1201\n",
		"employee_id,asana_user_gid\nemp-1,1201\n ,1202\n",
		"",
		"\n \n",
		"employee_id,asana_user_gid,name\nemp-1,1201,Ren\xe9\n",
	}
	jsonSeeds = []string{
		`[
  {"employee_id": "emp-1", "asana_user_gid": "1201", "name": "Ada Lovelace", "email": "ada@example.com"},
  {"employee_id": "emp-2", "asana_user_gid": null, "name": "Grace, \"Amazing\" Hopper"},
  {"asana_user_gid": "1203", "employee_id": "emp-3", "email": null}
]`,
		"[\n {\"employee_id\": \"emp-1\", \"asana_user_gid\": \"1201\"},\n {\"employee_id\": \"emp-2\" \"asana_user_gid\": \"1202\"}\n]",
		`[{"employee_id": "emp-1", "asana_user_gid": "1201"}`,
		`{"employee_id": "emp-1", "asana_user_gid": "1201"}`,
		"[]",
		`[{"employee_id":"e"}]`,
		`[{"employee_id":42,"asana_user_gid":"1"}]`,
		`["emp-1"]`,
		`[null]`,
		`[{"employee_id":"","asana_user_gid":"1"}]`,
		`[{"employee_id":"e","asana_user_gid":"1"}] []`,
		"[\n{\"employee_id\":\"a\",\"asana_user_gid\":\"1\"},\n{\"employee_id\":\"a\",\"employee_id\":\"b\",\"asana_user_gid\":\"2\"}]",
		`[{"employee_id":"a","asana_user_gid":"1","team":{"a":1,"a":2},"team":3}]`,
		"employee_id,asana_user_gid\ne,1\n",
	}
)

// wholeFile are the refusals about a file as a whole, which no line of it
// causes: every other refusal names the line.
var wholeFile = []string{
	"not UTF-8 text",
	"empty file",
	"no employees listed",
	"invalid JSON: unexpected end of file",
}

// checkEmployeeFile checks what parseEmployees makes of any content: an
// employee list whose every entry has an ID and says where it was read, or
// an error on one line naming the file and, unless the file as a whole is
// at fault, the line.
func checkEmployeeFile(t *testing.T, name string, data []byte) {
	list, err := parseEmployees(name, data)
	lines := 1 + bytes.Count(data, []byte("\n"))
	lineOf := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `:(\d+)`)
	inFile := func(s string) bool {
		m := lineOf.FindStringSubmatch(s)
		if m == nil {
			return false
		}
		n, err := strconv.Atoi(m[1])
		return err == nil && n >= 1 && n <= lines
	}
	if err != nil {
		msg := err.Error()
		if list != nil {
			t.Errorf("both a list and an error: %v", err)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("error spans lines: %q", msg)
		}
		if !strings.HasPrefix(msg, name+":") {
			t.Errorf("error does not name the file: %q", msg)
		}
		if inFile(msg) {
			return
		}
		for _, w := range wholeFile {
			if strings.HasPrefix(msg, name+": "+w) {
				return
			}
		}
		t.Errorf("error names no line of the file (%d lines): %q", lines, msg)
		return
	}
	if len(list.employees) == 0 {
		t.Fatal("no error and no employee")
	}
	if len(list.where) != len(list.employees) {
		t.Fatalf("%d employees, %d places", len(list.employees), len(list.where))
	}
	for i, e := range list.employees {
		if e.ID == "" {
			t.Errorf("employee %d (%s) accepted with an empty ID: %+v", i, list.where[i], e)
		}
		if !inFile(list.where[i]) {
			t.Errorf("employee %d read at %q, not a line of the file (%d lines)", i, list.where[i], lines)
		}
	}
}

// FuzzParseEmployeesCSV and FuzzParseEmployeesJSON feed the employee file
// reader any content (go test runs the seeds only):
//
//	go test -run '^$' -fuzz FuzzParseEmployeesCSV -fuzztime 20s -fuzzminimizetime 2s ./internal/cmd/goalsync
//
// A short -fuzzminimizetime keeps the minimising of a long new input
// (60 s by default) from outlasting -fuzztime, which go test reports as a
// failure ("context deadline exceeded").
func FuzzParseEmployeesCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkEmployeeFile(t, "people.csv", data) })
}

// FuzzParseEmployeesJSON: any JSON employee file is read or refused with a
// clear error, never a panic (see checkEmployeeFile).
func FuzzParseEmployeesJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkEmployeeFile(t, "people.json", data) })
}
