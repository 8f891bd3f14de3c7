package asanafake

import (
	"encoding/base64"
	"encoding/binary"
	"hash/maphash"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// call is one admitted request being served.
type call struct {
	r    *http.Request
	q    url.Values
	snap *snapshot
	tok  *tokenState
}

// reply is an answer: what a route or an admission step sends.
type reply struct {
	status     int
	body       []byte
	retryAfter int  // seconds; 0: no header
	html       bool // Content-Type text/html
}

// okReply answers 200 with v as JSON.
func okReply(v any) reply {
	return reply{status: http.StatusOK, body: marshal(v)}
}

// setHeaders sets the headers of rep, its whole body's length among them.
func setHeaders(w http.ResponseWriter, rep reply) {
	h := w.Header()
	if rep.html {
		h.Set("Content-Type", "text/html; charset=UTF-8")
	} else {
		h.Set("Content-Type", "application/json; charset=UTF-8")
	}
	h.Set("Content-Length", strconv.Itoa(len(rep.body)))
	if rep.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(rep.retryAfter))
	}
}

func writeReply(w http.ResponseWriter, rep reply) {
	setHeaders(w, rep)
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// writeTruncated declares the whole body, sends part of it and drops the
// connection.
func writeTruncated(w http.ResponseWriter, rep reply) {
	setHeaders(w, rep)
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body[:len(rep.body)/2])
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	conn, buf, err := rc.Hijack()
	if err != nil {
		// HTTP/2 or a wrapped writer: abort the stream instead.
		panic(http.ErrAbortHandler)
	}
	_ = buf.Flush()
	_ = conn.Close()
}

// resetConn drops the connection without an answer: a TCP reset on HTTP/1,
// an aborted stream otherwise.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	type netConner interface{ NetConn() net.Conn }
	c := conn
	if nc, ok := c.(netConner); ok { // TLS
		c = nc.NetConn()
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

const errorHelp = "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors"

func errReply(status int, message string) reply {
	return errReplyPhrase(status, message, "")
}

// apiError is an error of Asana's error body, {"errors": [apiError]}.
type apiError struct {
	Message string `json:"message"`
	Help    string `json:"help"`
	Phrase  string `json:"phrase,omitempty"`
}

func errReplyPhrase(status int, message, phrase string) reply {
	body := map[string][]apiError{"errors": {{Message: message, Help: errorHelp, Phrase: phrase}}}
	return reply{status: status, body: marshal(body)}
}

func noRoute() reply {
	return errReply(http.StatusNotFound, "No matching route for request")
}

func tooMany(wait time.Duration) reply {
	secs := int((wait + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	rep := errReply(http.StatusTooManyRequests, "You've made too many requests and hit a rate limit. Please retry after the given amount of time.")
	rep.retryAfter = secs
	return rep
}

var phraseWords = [...][]string{
	{"2", "3", "4", "5", "6", "7", "8", "9", "11", "12"},
	{"sad", "happy", "sleepy", "brave", "shiny", "quiet", "fuzzy", "tiny"},
	{"squid", "otters", "pandas", "robins", "llamas", "badgers", "geckos", "whales"},
	{"snuggle", "juggle", "wander", "giggle", "sparkle", "tumble", "hum", "dance"},
	{"softly", "boldly", "quickly", "gently", "wildly", "calmly", "oddly", "loudly"},
}

// serverError is a 500 with an Asana-style error phrase.
func (s *Server) serverError() reply {
	s.rngMu.Lock()
	parts := make([]string, len(phraseWords))
	for i, words := range phraseWords {
		parts[i] = words[s.rng.IntN(len(words))]
	}
	s.rngMu.Unlock()
	return errReplyPhrase(http.StatusInternalServerError, "Server Error", strings.Join(parts, " "))
}

const gatewayHTML = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
</body>
</html>
`

// --- pagination ---

// page is the slice of a list one request serves.
type page struct {
	start, end int
	paged      bool   // limit given: the answer carries next_page
	next       string // offset token of the next page, "" on the last page
}

// paginate applies limit and offset to a list of total items identified by
// key (offset tokens are only valid for the list that issued them).
func (s *Server) paginate(c *call, total int, key string) (page, *reply) {
	limitStr := c.q.Get("limit")
	offset := c.q.Get("offset")
	if limitStr == "" {
		if offset != "" {
			rep := errReply(http.StatusBadRequest, "offset: A limit (1..100) is required when paginating with an offset.")
			return page{}, &rep
		}
		if total > 100 {
			rep := errReply(http.StatusBadRequest, "The result is too large. You should use pagination (may require specifying a workspace)!")
			return page{}, &rep
		}
		return page{start: 0, end: total}, nil
	}
	limit, err := strconv.Atoi(limitStr)
	if err != nil || limit < 1 || limit > 100 {
		rep := errReply(http.StatusBadRequest, "limit: Value must be an integer between 1 and 100.")
		return page{}, &rep
	}
	start := 0
	if offset != "" {
		pos, ok := s.decodeOffset(offset, key)
		if !ok {
			rep := errReply(http.StatusBadRequest, "offset: Your pagination token is invalid. Use the offset token returned in next_page by a previous request.")
			return page{}, &rep
		}
		start = min(pos, total)
	}
	if s.opts.PageSize > 0 {
		limit = min(limit, s.opts.PageSize)
	}
	p := page{start: start, end: min(start+limit, total), paged: true}
	if p.end < total {
		p.next = s.encodeOffset(p.end, key)
	}
	return p, nil
}

func (s *Server) offsetMAC(pos int, key string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.pageSeed)
	h.WriteString(key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(pos))
	h.Write(b[:])
	return h.Sum64()
}

func (s *Server) encodeOffset(pos int, key string) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(pos))
	binary.BigEndian.PutUint64(b[4:], s.offsetMAC(pos, key))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *Server) decodeOffset(tok, key string) (int, bool) {
	var b [12]byte
	if base64.RawURLEncoding.DecodedLen(len(tok)) != len(b) {
		return 0, false
	}
	if n, err := base64.RawURLEncoding.Decode(b[:], []byte(tok)); err != nil || n != len(b) {
		return 0, false
	}
	pos := int(binary.BigEndian.Uint32(b[:4]))
	if binary.BigEndian.Uint64(b[4:]) != s.offsetMAC(pos, key) {
		return 0, false
	}
	return pos, true
}

// nextPage is the next_page member of a paginated list.
type nextPage struct {
	Offset string `json:"offset"`
	Path   string `json:"path"`
	URI    string `json:"uri"`
}

// list answers {"data": data} for page p, with next_page when the request
// had a limit: null on the last page, otherwise the request again with the
// next page's offset.
func (c *call) list(data []object, p page) reply {
	body := object{{"data", data}}
	if !p.paged {
		return okReply(body)
	}
	var next *nextPage // null
	if p.next != "" {
		q := make(url.Values, len(c.q))
		for k, v := range c.q {
			q[k] = v
		}
		q.Set("offset", p.next)
		// path is relative to the API root, as Asana writes it; uri is
		// the whole address, with the root the request came through
		// (RequestURI keeps it when the fake is mounted under a prefix
		// with http.StripPrefix, as under /api/1.0).
		query := "?" + q.Encode()
		full, _, _ := strings.Cut(c.r.RequestURI, "?")
		if full == "" || strings.Contains(full, "://") {
			full = c.r.URL.Path
		}
		scheme := "http"
		if c.r.TLS != nil {
			scheme = "https"
		}
		next = &nextPage{Offset: p.next, Path: c.r.URL.Path + query, URI: scheme + "://" + c.r.Host + full + query}
	}
	return okReply(append(body, member{"next_page", next}))
}
