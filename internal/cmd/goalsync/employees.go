package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/perfcopilot/asanagoals/goals"
)

// Column names (CSV) and keys (JSON) of the employee file.
const (
	colEmployeeID   = "employee_id"
	colAsanaUserGID = "asana_user_gid"
	colName         = "name"
	colEmail        = "email"
)

var (
	requiredColumns = []string{colEmployeeID, colAsanaUserGID}
	knownColumns    = []string{colEmployeeID, colAsanaUserGID, colName, colEmail}
)

// maxEmployeeFileSize bounds the file read into memory: far more than any
// company's employee list.
const maxEmployeeFileSize = 64 << 20

// Bounds on one employee's fields, checked as the file is read. An HR
// system's IDs, names and addresses are far shorter; a longer one is a
// pasted document or a broken export, and would go whole into every
// header, report and stored row (a 20 MB ID is 20 MB per stored goal).
const (
	// maxEmployeeIDBytes caps employee_id, in bytes: it is a key, stored
	// with every goal.
	maxEmployeeIDBytes = 256
	// maxEmployeeTextRunes caps name and email, in Unicode characters, as
	// goal names are capped (goals.MaxNameRunes).
	maxEmployeeTextRunes = 1000
)

// employeeList is the content of an employee file: the employees in file
// order, and where each one was read, to point a later error (such as a
// duplicate ID found by the ingester) at the right line.
type employeeList struct {
	employees []goals.Employee
	where     []string // "people.csv:4", parallel to employees
}

// errEmployeesInterrupted is the cause of an employee file read that the
// context stopped (SIGINT or SIGTERM).
var errEmployeesInterrupted = errors.New("interrupted")

// loadEmployees reads an employee file. It is JSON when its name ends in
// ".json" or its first non-space character is '[', CSV otherwise. Errors name
// the file and, when they can, the line.
//
// The file may be a FIFO (a named pipe, or a shell's process substitution),
// whose opening and reading wait for a writer: both stop when ctx ends, with
// an error matching errEmployeesInterrupted. stage, when not nil, is called
// with "opening" once the open has started and with "reading" once the file
// is open and its reading can be interrupted.
func loadEmployees(ctx context.Context, path string, stage func(string)) (*employeeList, error) {
	if stage == nil {
		stage = func(string) {}
	}
	f, err := openCtx(ctx, path, func() { stage("opening") })
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A pipe's read waits for its writer; a deadline in the past ends it.
	// On a regular file SetReadDeadline fails and a read never waits long.
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Now()) })
	defer stop()
	stage("reading")
	data, err := io.ReadAll(io.LimitReader(f, maxEmployeeFileSize+1))
	if ctx.Err() != nil {
		return nil, fmt.Errorf("employee file %s: %w while reading it", path, errEmployeesInterrupted)
	}
	if err != nil {
		return nil, fmt.Errorf("employee file %s: %w", path, err)
	}
	if len(data) > maxEmployeeFileSize {
		return nil, fmt.Errorf("employee file %s: larger than %d MiB", path, maxEmployeeFileSize>>20)
	}
	return parseEmployees(path, data)
}

// openCtx opens path for reading, giving up when ctx ends. Opening a FIFO
// waits, in the kernel, for a writer; nothing can interrupt that call, so it
// runs on a goroutine of its own, which closes the file should it open after
// all (or stays blocked until the process exits). opening is called once
// that goroutine has been started.
func openCtx(ctx context.Context, path string, opening func()) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened) // unbuffered: an abandoned open closes its file
	abandon := make(chan struct{})
	go func() {
		f, err := os.Open(path)
		select {
		case done <- opened{f, err}:
		case <-abandon:
			if f != nil {
				f.Close()
			}
		}
	}()
	opening()
	select {
	case o := <-done:
		if o.err != nil {
			return nil, fmt.Errorf("employee file: %w", o.err)
		}
		if ctx.Err() != nil {
			o.f.Close()
			return nil, fmt.Errorf("employee file %s: %w while opening it", path, errEmployeesInterrupted)
		}
		return o.f, nil
	case <-ctx.Done():
		close(abandon)
		return nil, fmt.Errorf("employee file %s: %w while opening it (a named pipe waits for a writer)", path, errEmployeesInterrupted)
	}
}

// parseEmployees parses the content of an employee file named name.
func parseEmployees(name string, data []byte) (*employeeList, error) {
	list, err := parseEmployeeFile(name, data)
	if err != nil {
		return nil, err
	}
	if len(list.employees) == 0 {
		return nil, fmt.Errorf("%s: no employees listed", name)
	}
	return list, nil
}

// parseEmployeeFile parses the content of an employee file named name, as
// JSON or as CSV (see isJSON), once it is known to be UTF-8 text; a file
// listing no employee is an empty list.
func parseEmployeeFile(name string, data []byte) (*employeeList, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // spreadsheet exports often start with a BOM
	kind := "CSV"
	if isJSON(name, data) {
		kind = "JSON"
	}
	// Whatever the format: a spreadsheet's "Unicode text" is UTF-16, which
	// neither reader could make sense of (JSON's would stop at a stray
	// 'ÿ' of the byte order mark, CSV's at a header of NUL bytes).
	if isUTF16(data) {
		return nil, fmt.Errorf("%s: not UTF-8 text (it looks like UTF-16); save the %s as UTF-8", name, kind)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%s: not UTF-8 text; save the %s as UTF-8", name, kind)
	}
	if kind == "JSON" {
		return parseEmployeesJSON(name, data)
	}
	return parseEmployeesCSV(name, data)
}

func isJSON(name string, data []byte) bool {
	if strings.EqualFold(filepath.Ext(name), ".json") {
		return true
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '['
}

// isUTF16 reports content that is UTF-16 text: it starts with a UTF-16
// byte order mark, or its first character is ASCII written on two bytes
// (a CSV header's letter, a JSON array's '[', a space), one of them NUL.
func isUTF16(data []byte) bool {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return true
	}
	if len(data) < 2 {
		return false
	}
	a, b := data[0], data[1]
	return (a == 0 && b != 0 && b < utf8.RuneSelf) || (b == 0 && a != 0 && a < utf8.RuneSelf)
}

// checkEmployee checks the fields of one employee read at where: no NUL
// (PostgreSQL cannot store one, and SQLite would store an ID that prints
// as another), no other control character in the ID (it would print as a
// space, or not at all, so the ID shown would not be the ID stored), and
// no field longer than its cap.
func checkEmployee(where string, e goals.Employee) error {
	for _, f := range []struct{ col, v string }{
		{colEmployeeID, e.ID}, {colAsanaUserGID, e.AsanaUserGID}, {colName, e.Name}, {colEmail, e.Email},
	} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return fmt.Errorf("%s: %s holds a NUL character (\\u0000 or a zero byte), which no database stores as written", where, f.col)
		}
	}
	if i := strings.IndexFunc(e.ID, unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(e.ID[i:])
		return fmt.Errorf("%s: %s holds the control character %U, which would print as a space or not at all", where, colEmployeeID, r)
	}
	if n := len(e.ID); n > maxEmployeeIDBytes {
		return fmt.Errorf("%s: %s is %d bytes long; the most is %d bytes", where, colEmployeeID, n, maxEmployeeIDBytes)
	}
	for _, f := range []struct{ col, v string }{{colName, e.Name}, {colEmail, e.Email}} {
		if n := utf8.RuneCountInString(f.v); n > maxEmployeeTextRunes {
			return fmt.Errorf("%s: %s is %d characters long; the most is %d characters", where, f.col, n, maxEmployeeTextRunes)
		}
	}
	return nil
}

// parseEmployeesCSV reads a CSV file with a header row.
func parseEmployeesCSV(name string, data []byte) (*employeeList, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // checked here, to name the line and skip blank rows
	r.TrimLeadingSpace = true

	var (
		header map[string]int // column name → index
		list   = &employeeList{}
	)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: %v", name, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		if header == nil {
			header, err = csvHeader(rec)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, line, err)
			}
			continue
		}
		if len(rec) != len(header) {
			return nil, fmt.Errorf("%s:%d: %d fields, but the header has %d columns", name, line, len(rec), len(header))
		}
		field := func(col string) string {
			if i, ok := header[col]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		e := goals.Employee{
			ID:           field(colEmployeeID),
			AsanaUserGID: field(colAsanaUserGID),
			Name:         field(colName),
			Email:        field(colEmail),
		}
		where := fmt.Sprintf("%s:%d", name, line)
		if e.ID == "" {
			return nil, fmt.Errorf("%s: empty %s", where, colEmployeeID)
		}
		if err := checkEmployee(where, e); err != nil {
			return nil, err
		}
		list.employees = append(list.employees, e)
		list.where = append(list.where, where)
	}
	if header == nil {
		return nil, fmt.Errorf("%s: empty file; expected a header row with columns %s (and optionally %s, %s)",
			name, strings.Join(requiredColumns, ","), colName, colEmail)
	}
	return list, nil
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// csvHeader checks a header row and maps each column name to its index.
func csvHeader(rec []string) (map[string]int, error) {
	header := make(map[string]int, len(rec))
	var unknown []string
	for i, col := range rec {
		col = strings.ToLower(strings.TrimSpace(col))
		if _, dup := header[col]; dup {
			return nil, fmt.Errorf("header names column %q twice", col)
		}
		if !slices.Contains(knownColumns, col) {
			unknown = append(unknown, fmt.Sprintf("%q", col))
		}
		header[col] = i
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown column(s) %s in the header; the columns are %s", strings.Join(unknown, ", "), strings.Join(knownColumns, ","))
	}
	if missing := missingKeys(header); len(missing) > 0 {
		return nil, fmt.Errorf("the header has no %s column; expected a header row with columns %s (and optionally %s, %s)",
			strings.Join(missing, " or "), strings.Join(requiredColumns, ","), colName, colEmail)
	}
	return header, nil
}

func missingKeys[V any](m map[string]V) []string {
	var missing []string
	for _, col := range requiredColumns {
		if _, ok := m[col]; !ok {
			missing = append(missing, col)
		}
	}
	return missing
}

// parseEmployeesJSON reads a JSON array of objects.
func parseEmployeesJSON(name string, data []byte) (*employeeList, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	at := func(offset int64) string { return fmt.Sprintf("%s:%d", name, lineAt(data, offset)) }
	jsonErr := func(err error) error {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("%s: invalid JSON: %v", at(se.Offset), se)
		case errors.As(err, &te):
			return fmt.Errorf("%s: invalid JSON: %v", at(te.Offset), te)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%s: invalid JSON: unexpected end of file", name)
		}
		return fmt.Errorf("%s: invalid JSON: %v", name, err)
	}

	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("%s: expected a JSON array of employee objects, like [{\"%s\":\"emp-1\",\"%s\":\"1201234567890\"}]",
			at(dec.InputOffset()), colEmployeeID, colAsanaUserGID)
	}
	list := &employeeList{}
	for i := 0; dec.More(); i++ {
		start := dec.InputOffset()
		// InputOffset is just past the previous token (the '[' or the ','),
		// so skip the space before the object for the line number.
		for start < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[start]) >= 0 {
			start++
		}
		where := fmt.Sprintf("%s: entry %d", at(start), i+1)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, jsonErr(err)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, fmt.Errorf("%s: expected an object with keys %s, got %s", where, strings.Join(requiredColumns, ", "), te.Value)
			}
			return nil, jsonErr(err)
		}
		if obj == nil {
			return nil, fmt.Errorf("%s: expected an object, got null", where)
		}
		// A map keeps the last of a repeated key; which value was meant is
		// anyone's guess, as with a CSV header naming a column twice.
		if key, ok := repeatedKey(raw); ok {
			return nil, fmt.Errorf("%s: key %q given twice", where, key)
		}
		var unknown []string
		for k := range obj {
			if !slices.Contains(knownColumns, k) {
				unknown = append(unknown, fmt.Sprintf("%q", k))
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			return nil, fmt.Errorf("%s: unknown key(s) %s; the keys are %s", where, strings.Join(unknown, ", "), strings.Join(knownColumns, ", "))
		}
		if missing := missingKeys(obj); len(missing) > 0 {
			return nil, fmt.Errorf(`%s: no "%s" key (use "" for an employee not mapped to Asana yet)`, where, strings.Join(missing, `" or "`))
		}
		var e goals.Employee
		for _, f := range []struct {
			key string
			dst *string
		}{
			{colEmployeeID, &e.ID},
			{colAsanaUserGID, &e.AsanaUserGID},
			{colName, &e.Name},
			{colEmail, &e.Email},
		} {
			raw, ok := obj[f.key]
			if !ok {
				continue
			}
			var s *string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fmt.Errorf("%s: %q must be a string", where, f.key)
			}
			if s != nil {
				*f.dst = strings.TrimSpace(*s)
			}
		}
		if e.ID == "" {
			return nil, fmt.Errorf("%s: empty %s", where, colEmployeeID)
		}
		if err := checkEmployee(where, e); err != nil {
			return nil, err
		}
		list.employees = append(list.employees, e)
		list.where = append(list.where, where)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return nil, jsonErr(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: unexpected content after the JSON array", at(dec.InputOffset()))
	}
	return list, nil
}

// repeatedKey returns the first key that the JSON object raw gives more than
// once. raw must be a valid JSON object.
func repeatedKey(raw []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		key, _ := tok.(string)
		if seen[key] {
			return key, true
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", false
		}
	}
	return "", false
}

// lineAt returns the 1-based line of a byte offset in data.
func lineAt(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}
