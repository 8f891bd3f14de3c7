package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

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

func FuzzParseEmployeesJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkEmployeeFile(t, "people.json", data) })
}
