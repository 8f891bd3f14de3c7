package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/admin"
)

// fileDirectory is the command's employee file (CSV or JSON, the format
// -employees reads) as an admin.Directory: the admin pages list its
// employees and save a confirmed mapping into it.
//
// Employees reads and parses the file on every call, without a cache: the
// file is small, the pages ask for it a few times a minute at most, and a
// cache keyed on the modification time would miss an edit made within the
// time's resolution (a second on some file systems) that kept the size,
// while reading it each time always shows what the file holds, edits made
// by hand included.
//
// MapEmployee changes the asana_user_gid of one employee and not one other
// byte of the file: every other cell, key, value, quote, space, line ending
// (CRLF stays CRLF) and a UTF-8 byte order mark stay as they were. It
// rewrites the file atomically (a temporary file beside it, synced, renamed
// over it, with the original's permission bits): a reader, or a crash,
// sees the old file or the new one, never a mix. Mappings are saved one at
// a time, by every fileDirectory of the same path in the process, so that
// none is lost; waiting for the one before is bounded by the caller's
// context.
type fileDirectory struct {
	path string
	// lock, of capacity 1, is held while a mapping is saved; it is shared
	// by every fileDirectory of the same absolute path.
	lock chan struct{}
	// rename is os.Rename; tests make it fail.
	rename func(oldpath, newpath string) error
	// afterRead, when set, is called once a mapping's file was read: tests
	// change the file or its link there.
	afterRead func()
}

var _ admin.Directory = (*fileDirectory)(nil)

// fileLocks holds the lock of each employee file a fileDirectory was made
// for, by absolute path.
var fileLocks sync.Map // string → chan struct{}

// newFileDirectory returns the Directory of the employee file at path. It
// does not touch the file: a file that is missing or unreadable is each
// method's error.
func newFileDirectory(path string) *fileDirectory {
	key := path
	if abs, err := filepath.Abs(path); err == nil {
		key = abs
	}
	l, _ := fileLocks.LoadOrStore(key, make(chan struct{}, 1))
	return &fileDirectory{path: path, lock: l.(chan struct{}), rename: os.Rename}
}

// Employees returns the employees of the file, in file order. A file with a
// header (CSV) or an empty array (JSON) and no employee is an empty
// directory, not an error.
func (d *fileDirectory) Employees(ctx context.Context) ([]goals.Employee, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("employee file %s: %w", d.path, err)
	}
	data, err := d.read(ctx)
	if err != nil {
		return nil, err
	}
	list, err := parseDirectory(d.path, data)
	if err != nil {
		return nil, err
	}
	return list.employees, nil
}

// read reads the whole file. Opening and reading a named pipe wait for a
// writer; both end with ctx, as loadEmployees' do.
func (d *fileDirectory) read(ctx context.Context) ([]byte, error) {
	data, _, err := d.readFile(ctx, d.path)
	return data, err
}

// readFile reads the file at path (d.path, or the file its link names),
// and returns what was read with the file's own information, taken from
// the open file: a link re-pointed meanwhile cannot mix two files.
func (d *fileDirectory) readFile(ctx context.Context, path string) ([]byte, os.FileInfo, error) {
	f, err := openCtx(ctx, path, func() {})
	if err != nil {
		return nil, nil, d.gone(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, d.gone(err)
	}
	data, err := d.readAll(ctx, f)
	return data, info, err
}

// readAll reads an open employee file, bounded by ctx and the size cap.
func (d *fileDirectory) readAll(ctx context.Context, f *os.File) ([]byte, error) {
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Now()) })
	defer stop()
	data, err := io.ReadAll(io.LimitReader(f, maxEmployeeFileSize+1))
	if ctx.Err() != nil {
		return nil, fmt.Errorf("employee file %s: %w while reading it", d.path, ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("employee file %s: %w", d.path, err)
	}
	if len(data) > maxEmployeeFileSize {
		return nil, fmt.Errorf("employee file %s: larger than %d MiB", d.path, maxEmployeeFileSize>>20)
	}
	return data, nil
}

// gone says so plainly when err is the file's absence; other errors
// name the file.
func (d *fileDirectory) gone(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe // openCtx's "employee file: " prefix would say it twice
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("employee file %s is gone (moved or deleted?): %w", d.path, err)
	}
	return fmt.Errorf("employee file %s: %w", d.path, err)
}

// parseDirectory is parseEmployees, except that a file listing no employee
// is an empty list rather than an error.
func parseDirectory(name string, data []byte) (*employeeList, error) {
	return parseEmployeeFile(name, data)
}

// MapEmployee sets the Asana user GID of the employee whose employee_id is
// employeeID ("" unmaps them). An ID the file does not hold is an error
// matching admin.ErrUnknownEmployee; an ID it holds more than once, a GID
// that is not an Asana GID, a file that no longer parses or that is gone
// are errors too; in every error case the file is left as it was.
func (d *fileDirectory) MapEmployee(ctx context.Context, employeeID, asanaUserGID string) error {
	if asanaUserGID != "" && !asana.IsGID(asanaUserGID) {
		return fmt.Errorf("employee file %s: %q is not an Asana user GID (1 to %d digits); nothing saved",
			d.path, asanaUserGID, asana.MaxGIDDigits)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("employee file %s: %w; nothing saved", d.path, err)
	}
	select {
	case d.lock <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("employee file %s: %w while waiting for another mapping to be saved; nothing saved", d.path, ctx.Err())
	}
	defer func() { <-d.lock }()

	// A symbolic link stays one: the file it names is rewritten.
	target, err := filepath.EvalSymlinks(d.path)
	if err != nil {
		return d.gone(err)
	}
	if fi, err := os.Stat(target); err != nil {
		return d.gone(err)
	} else if !fi.Mode().IsRegular() {
		return fmt.Errorf("employee file %s is not a regular file (%s); a mapping cannot be saved into it", d.path, fi.Mode().Type())
	}
	data, before, err := d.readFile(ctx, target)
	if err != nil {
		return err
	}
	if d.afterRead != nil {
		d.afterRead()
	}
	updated, err := d.withGID(data, employeeID, asanaUserGID)
	if err != nil {
		return err
	}
	if bytes.Equal(updated, data) {
		return nil
	}
	// The last moment to give up: after the rename the mapping is saved.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("employee file %s: %w; nothing saved", d.path, err)
	}
	// An edit made since the file was read (by hand, or by another
	// process) would be lost: give up instead.
	now, err := os.Stat(target)
	if err != nil {
		return d.gone(err)
	}
	// The link itself may have been re-pointed to another file meanwhile.
	again, err := filepath.EvalSymlinks(d.path)
	if err != nil {
		return d.gone(err)
	}
	if again != target || !os.SameFile(before, now) || !now.ModTime().Equal(before.ModTime()) || now.Size() != before.Size() {
		return fmt.Errorf("employee file %s changed while the mapping was being saved; nothing saved, try again", d.path)
	}
	return d.replace(target, updated, before.Mode())
}

// withGID returns data with the asana_user_gid of employee id set to gid,
// and every other byte as it was. It checks its own work: the result must
// parse to the same employees but for that one GID.
func (d *fileDirectory) withGID(data []byte, id, gid string) ([]byte, error) {
	list, err := parseDirectory(d.path, data)
	if err != nil {
		return nil, fmt.Errorf("%w; nothing saved", err)
	}
	var rows []int
	for i, e := range list.employees {
		if e.ID == id {
			rows = append(rows, i)
		}
	}
	switch len(rows) {
	case 0:
		return nil, fmt.Errorf("%w: %q is not in employee file %s", admin.ErrUnknownEmployee, id, d.path)
	case 1:
	default:
		var where []string
		for _, i := range rows {
			where = append(where, list.where[i])
		}
		return nil, fmt.Errorf("employee %q is listed %d times (%s); which one to map is unclear, nothing saved",
			id, len(rows), strings.Join(where, ", "))
	}
	row := rows[0]
	bom := 0
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		bom = len("\ufeff")
	}
	body := data[bom:]
	var start, end int
	var value []byte
	if isJSON(d.path, body) {
		start, end, err = jsonGIDSpan(body, row)
		value, _ = json.Marshal(gid)
	} else {
		var quoted bool
		start, end, quoted, err = csvGIDSpan(body, row, id)
		value = []byte(gid)
		if quoted {
			value = []byte(`"` + gid + `"`) // a GID holds no quote
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot find the employee's asana_user_gid in the file (%v); nothing saved", list.where[row], err)
	}
	out := slices.Concat(data[:bom+start], value, data[bom+end:])

	check, err := parseDirectory(d.path, out)
	want := slices.Clone(list.employees)
	want[row].AsanaUserGID = gid
	if err != nil || !slices.Equal(check.employees, want) {
		return nil, fmt.Errorf("employee file %s: the rewritten file would not read back as the same employees with only %s's GID changed (%v); nothing saved",
			d.path, strconv.Quote(id), err)
	}
	return out, nil
}

// replace writes data over the file at path atomically: a temporary file
// in the same directory, with mode's permission bits, synced to disk, then
// renamed over path. On any error the temporary file is removed and path
// is as it was.
func (d *fileDirectory) replace(path string, data []byte, mode fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("employee file %s: cannot write beside it: %w; nothing saved", d.path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
			err = fmt.Errorf("employee file %s: %w; nothing saved, the file is as it was", d.path, err)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := d.rename(tmp.Name(), path); err != nil {
		return err
	}
	// The rename itself reaches the disk with the directory; not every
	// file system can sync one, and the mapping is saved either way.
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		_ = f.Close()
	}
	return nil
}

// jsonGIDSpan returns where the asana_user_gid value of entry row of a
// JSON employee file is: body[start:end].
func jsonGIDSpan(body []byte, row int) (start, end int, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return 0, 0, errors.New("not a JSON array")
	}
	for i := 0; dec.More(); i++ {
		s, e, err := nextValue(dec, body)
		if err != nil {
			return 0, 0, err
		}
		if i < row {
			continue
		}
		obj := body[s:e]
		od := json.NewDecoder(bytes.NewReader(obj))
		if tok, err := od.Token(); err != nil || tok != json.Delim('{') {
			return 0, 0, errors.New("not a JSON object")
		}
		for od.More() {
			tok, err := od.Token()
			if err != nil {
				return 0, 0, err
			}
			vs, ve, err := nextValue(od, obj)
			if err != nil {
				return 0, 0, err
			}
			if tok == colAsanaUserGID {
				return s + vs, s + ve, nil
			}
		}
		return 0, 0, errors.New("no asana_user_gid key")
	}
	return 0, 0, errors.New("no such entry")
}

// nextValue decodes the next value of dec, which reads data, and returns
// where it is in data.
func nextValue(dec *json.Decoder, data []byte) (start, end int, err error) {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return 0, 0, err
	}
	end = int(dec.InputOffset())
	start = end - len(raw)
	if start < 0 || end > len(data) || !bytes.Equal(data[start:end], raw) {
		return 0, 0, errors.New("a value is not where the decoder says")
	}
	return start, end, nil
}

// csvField is one field of a CSV record: where it is in the file (from its
// first byte after the leading space encoding/csv trims to its last byte
// before trailing space, quotes included) and its value.
type csvField struct {
	start, end int
	quoted     bool
	value      string
}

// csvGIDSpan returns where the asana_user_gid cell of data row row (0 for
// the first employee) of a CSV employee file is, body[start:end], and
// whether it is quoted. The row's employee_id must be id.
func csvGIDSpan(body []byte, row int, id string) (start, end int, quoted bool, err error) {
	recs, err := csvRecords(body)
	if err != nil {
		return 0, 0, false, err
	}
	var header map[string]int
	n := 0
	for _, rec := range recs {
		blank := true
		values := make([]string, len(rec))
		for i, f := range rec {
			values[i] = f.value
			if strings.TrimSpace(f.value) != "" {
				blank = false
			}
		}
		switch {
		case blank:
			continue
		case header == nil:
			if header, err = csvHeader(values); err != nil {
				return 0, 0, false, err
			}
			continue
		case n < row:
			n++
			continue
		}
		if len(rec) != len(header) || strings.TrimSpace(rec[header[colEmployeeID]].value) != id {
			return 0, 0, false, errors.New("the rows are not where encoding/csv read them")
		}
		f := rec[header[colAsanaUserGID]]
		return f.start, f.end, f.quoted, nil
	}
	return 0, 0, false, errors.New("no such row")
}

// csvRecords splits body into records the way encoding/csv reads a file
// it accepts with TrimLeadingSpace (and neither LazyQuotes nor comments):
// empty lines skipped, fields split at commas outside quotes, records at
// LF or CRLF outside quotes, "" inside quotes a quote.
func csvRecords(body []byte) ([][]csvField, error) {
	n := len(body)
	crlf := func(i int) bool { return body[i] == '\r' && i+1 < n && body[i+1] == '\n' }
	var recs [][]csvField
	i := 0
	for i < n {
		if body[i] == '\n' {
			i++
			continue
		}
		if crlf(i) {
			i += 2
			continue
		}
		var rec []csvField
		for {
			for i < n && body[i] != '\n' && !crlf(i) {
				r, size := utf8.DecodeRune(body[i:])
				if !unicode.IsSpace(r) {
					break
				}
				i += size
			}
			f := csvField{start: i}
			if i < n && body[i] == '"' {
				f.quoted = true
				var v strings.Builder
				for i++; ; i++ {
					if i >= n {
						return nil, errors.New("a quoted field does not end")
					}
					if body[i] == '"' {
						if i+1 < n && body[i+1] == '"' {
							v.WriteByte('"')
							i++
							continue
						}
						i++
						break
					}
					v.WriteByte(body[i])
				}
				if i < n && body[i] != ',' && body[i] != '\n' && !crlf(i) {
					return nil, errors.New("text after a quoted field")
				}
				f.value = v.String()
				f.end = i
			} else {
				for i < n && body[i] != ',' && body[i] != '\n' && !crlf(i) {
					if body[i] == '"' {
						return nil, errors.New("a quote in an unquoted field")
					}
					i++
				}
				f.value = string(body[f.start:i])
				if i == n && strings.HasSuffix(f.value, "\r") { // encoding/csv drops a \r before EOF
					f.value = f.value[:len(f.value)-1]
					i--
				}
				// Trailing space is read (and trimmed by the parser) but
				// left out of the span, so that it stays as it is.
				f.end = f.start + len(strings.TrimRightFunc(f.value, unicode.IsSpace))
			}
			rec = append(rec, f)
			if i < n && body[i] == ',' {
				i++
				continue
			}
			switch {
			case i < n && crlf(i):
				i += 2
			case i < n && body[i] == '\n':
				i++
			case i < n: // the \r before EOF
				i++
			}
			break
		}
		recs = append(recs, rec)
	}
	return recs, nil
}
