package goals

import (
	"encoding/binary"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
)

// subgoalIndex keeps what a Key Result needs of every scanned goal, for the
// goal-relationships path: a relationship names a sub-goal by GID only, and
// sub-goals are goals of the same workspace, so their details come from the
// scan instead of one GET /goals/{gid} each. Any scanned goal may turn out
// to be a kept goal's sub-goal, so every one is kept, and compactly: a
// record is the goal's name, its two status words, its due date and its
// metric, packed into shared byte chunks and found through a map keyed by
// the GID's number. That is about a tenth of an asana.Goal with its
// strings, so the scan's memory stays close to what the kept goals need
// even for workspaces of hundreds of thousands of goals
// (BenchmarkSubgoalIndex, BenchmarkScan50000Goals).
//
// A record is not a shape of the goal, but an encoding of part of an
// asana.Goal: put takes an asana.Goal, get gives one back, and the Key
// Result is then built from it by toKeyResults, as from a goal fetched on
// its own. appendRecord and readRecord are the one place that says which
// fields it keeps: the fields toKeyResults reads.
// TestSubgoalIndex_keepsWhatAKeyResultReads fails when toKeyResults reads
// a field the record drops.
//
// It is safe for concurrent use.
type subgoalIndex struct {
	mu     sync.Mutex
	nums   map[uint64]uint32 // GID as a number → record location
	others map[string]uint32 // any other GID → record location
	chunks [][]byte
	buf    []byte // scratch for one record
}

// indexChunkSize is the size of the chunks records are packed into; a
// record's location is its chunk's index (high 16 bits) and its offset in
// it (low 16 bits). A record larger than a chunk gets a chunk of its own.
const indexChunkSize = 1 << 16

func newSubgoalIndex() *subgoalIndex {
	return &subgoalIndex{nums: make(map[uint64]uint32), others: make(map[string]uint32)}
}

// put keeps g's Key Result details under its GID; a later put of the same
// GID replaces them. It reports false when the index is full (65,536
// chunks, about 4 GiB of records), which no workspace comes near; the goal
// is then fetched on its own if it turns out to be a sub-goal.
func (x *subgoalIndex) put(g asana.Goal) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	rec := appendRecord(x.buf[:0], g)
	x.buf = rec
	loc, ok := x.store(rec)
	if !ok {
		return false
	}
	if n, ok := numericGID(g.GID); ok {
		x.nums[n] = loc
	} else {
		x.others[g.GID] = loc
	}
	return true
}

// numericGID is gid as a number when that number writes back as gid (no
// leading zero, no sign), so that two GIDs never share a key.
func numericGID(gid string) (uint64, bool) {
	if gid == "" || len(gid) > 1 && gid[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(gid, 10, 64)
	return n, err == nil
}

// store copies rec into a chunk and returns where.
func (x *subgoalIndex) store(rec []byte) (uint32, bool) {
	last := len(x.chunks) - 1
	if last < 0 || len(x.chunks[last])+len(rec) > indexChunkSize {
		if len(x.chunks) >= 1<<16 {
			return 0, false
		}
		x.chunks = append(x.chunks, make([]byte, 0, max(indexChunkSize, len(rec))))
		last++
	}
	off := len(x.chunks[last])
	x.chunks[last] = append(x.chunks[last], rec...)
	return uint32(last)<<16 | uint32(off), true
}

// get returns the Key Result details kept for gid: GID, name, status
// update's status_type, goal status, due date and metric.
func (x *subgoalIndex) get(gid string) (asana.Goal, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	loc, ok := x.locate(gid)
	if !ok {
		return asana.Goal{}, false
	}
	g, ok := readRecord(x.chunks[loc>>16][loc&0xffff:])
	g.GID = gid
	return g, ok
}

// has reports whether gid's details are kept, without reading them.
func (x *subgoalIndex) has(gid string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	_, ok := x.locate(gid)
	return ok
}

// locate finds gid's record; x.mu is held.
func (x *subgoalIndex) locate(gid string) (uint32, bool) {
	if n, ok := numericGID(gid); ok {
		loc, ok := x.nums[n]
		return loc, ok
	}
	loc, ok := x.others[gid]
	return loc, ok
}

// A record: the name (a length and bytes); status_type, status and the
// metric's unit as words (one byte for Asana's own words, see wordList);
// the due date as a signed count of days (0: none); a metric flag and,
// when set, the three numbers (varints when all are whole, float64 bits
// otherwise), unit and currency code.

// wordList holds the words records store as one byte: every status_type
// and goal status Asana sends, and the metric units. Index 0 is "".
var wordList = [...]string{"", "on_track", "at_risk", "off_track", "achieved", "partial", "missed", "dropped",
	"on_hold", "complete", "green", "yellow", "red", "none", "percentage", "currency"}

// otherWord marks a word not in wordList, written out after it.
const otherWord = 0xff

func appendWord(b []byte, w string) []byte {
	for i, known := range wordList {
		if w == known {
			return append(b, byte(i))
		}
	}
	return appendString(append(b, otherWord), w)
}

// Metric flags.
const (
	noMetric     = 0
	wholeMetric  = 1 // three zig-zag varints
	floatsMetric = 2 // three float64s
)

func appendRecord(b []byte, g asana.Goal) []byte {
	b = appendString(b, g.Name)
	b = appendWord(b, g.StatusType())
	b = appendWord(b, g.Status)
	b = binary.AppendVarint(b, dateDays(g.DueOn))
	m := g.Metric
	if m == nil {
		return append(b, noMetric)
	}
	vals := [...]float64{m.InitialNumberValue, m.CurrentNumberValue, m.TargetNumberValue}
	if whole(vals[0]) && whole(vals[1]) && whole(vals[2]) {
		b = append(b, wholeMetric)
		for _, v := range vals {
			b = binary.AppendVarint(b, int64(v))
		}
	} else {
		b = append(b, floatsMetric)
		for _, v := range vals {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	b = appendWord(b, m.Unit)
	return appendString(b, m.CurrencyCode)
}

// whole reports whether v is an integer that survives a round trip
// through int64 (not -0, which must stay -0).
func whole(v float64) bool {
	return v == math.Trunc(v) && math.Abs(v) < 1<<53 && !(v == 0 && math.Signbit(v))
}

func readRecord(b []byte) (asana.Goal, bool) {
	r := recordReader{b: b}
	var g asana.Goal
	g.Name = r.string()
	if st := r.word(); st != "" {
		g.CurrentStatusUpdate = &asana.StatusUpdate{StatusType: st}
	}
	g.Status = r.word()
	g.DueOn = dateFromDays(r.varint())
	switch flag := r.byte(); flag {
	case noMetric:
	case wholeMetric, floatsMetric:
		var vals [3]float64
		for i := range vals {
			if flag == wholeMetric {
				vals[i] = float64(r.varint())
			} else {
				vals[i] = r.float()
			}
		}
		g.Metric = &asana.Metric{InitialNumberValue: vals[0], CurrentNumberValue: vals[1], TargetNumberValue: vals[2],
			Unit: r.word(), CurrencyCode: r.string()}
	default:
		r.bad = true
	}
	return g, !r.bad
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// recordReader reads a record; bad is set, and zero values returned, when
// the bytes end early (which would be a bug of appendRecord).
type recordReader struct {
	b   []byte
	bad bool
}

func (r *recordReader) string() string {
	n, k := binary.Uvarint(r.b)
	if k <= 0 || uint64(len(r.b)-k) < n {
		r.bad = true
		return ""
	}
	s := string(r.b[k : k+int(n)])
	r.b = r.b[k+int(n):]
	return s
}

func (r *recordReader) word() string {
	c := r.byte()
	switch {
	case c == otherWord:
		return r.string()
	case int(c) < len(wordList):
		return wordList[c]
	}
	r.bad = true
	return ""
}

func (r *recordReader) varint() int64 {
	v, k := binary.Varint(r.b)
	if k <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *recordReader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *recordReader) float() float64 {
	if len(r.b) < 8 {
		r.bad = true
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

// dateDays is d as days since 1970-01-01 plus one for dates on or after it
// (minus one before), 0 for no date, so the common case is three bytes.
func dateDays(d asana.Date) int64 {
	if d.IsZero() {
		return 0
	}
	days := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400
	if days >= 0 {
		return days + 1
	}
	return days - 1
}

func dateFromDays(v int64) asana.Date {
	switch {
	case v == 0:
		return asana.Date{}
	case v > 0:
		v--
	default:
		v++
	}
	return asana.DateOf(time.Unix(v*86400, 0).UTC())
}
