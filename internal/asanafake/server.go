package asanafake

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// route is what the server knows of a request's route: whether it belongs
// to the Goals feature (a paid Asana feature: see Options.PaymentRequired)
// and whether it is the retired sub-goals path.
type route struct{ goals, subgoals bool }

// Options configure a [Server]. The zero value means: any bearer token is
// accepted, no rate or concurrency limit, no latency, no faults.
type Options struct {
	// Tokens maps each accepted personal access token to its user's gid
	// (what GET /users/me answers; the user must be in the workspace). When
	// empty, any non-empty bearer token is accepted and /users/me answers
	// the workspace's first user.
	Tokens map[string]string

	// RequestsPerMinute is the per-token quota, evaluated over a sliding
	// window of RateWindow (default one minute). Past it the server answers
	// 429 with Retry-After (whole seconds until a slot frees, at least 1).
	// Rejected requests count against the quota, as in Asana. 0: no limit.
	RequestsPerMinute int
	// RateWindow is the length of the sliding window (default time.Minute);
	// tests use a short one.
	RateWindow time.Duration
	// RateModel is how the quota is counted (default SlidingWindow, as
	// Asana counts); RateBurst is a TokenBucket's size (0: its per-second
	// rate). See ratemodel.go.
	RateModel RateModel
	RateBurst int

	// PageSize is the most items a page holds, whatever limit asks for (a
	// server may serve fewer than asked). 0: limit alone decides.
	PageSize int

	// MaxInFlight is the number of concurrent requests allowed per token
	// (Asana: 50 GETs). Past it the server answers 429 with Retry-After: 1.
	// 0: no limit.
	MaxInFlight int

	// Latency is added to every admitted request (not to 401s and 429s). A
	// request whose context ends while waiting gets no answer.
	Latency time.Duration

	// Faults are injected at random into admitted requests (never into 401s
	// or 429s). Seed makes the draws reproducible in sequential use.
	Faults Faults
	Seed   int64

	// SpecSubgoalPath serves GET /goals/{gid}/subgoals, the sub-goal path
	// the product spec names. Asana has retired it: by default the fake
	// answers it as Asana answers a route it does not have (404 "No
	// matching route for request" with Asana's error body), so the default
	// world is today's Asana and the spec's path is the case a test asks
	// for.
	SpecSubgoalPath bool

	// PaymentRequired makes the goal routes answer 402 Payment Required, as
	// Asana does for a workspace below the plan that has Goals.
	PaymentRequired bool

	// AsanaChange, when set, is sent as Asana-Change response headers, one
	// header per value, on every answer to an authenticated request (an
	// injected connection reset aside): the way Asana
	// announces a breaking change, e.g.
	// "name=new_goal_memberships;info=https://…;affected=true". Values are
	// sent as given, so a test can also send malformed ones.
	AsanaChange []string

	// Intercept, when set, is called for every admitted request after the
	// latency and before fault injection; if it returns true it has answered
	// the request and the server does nothing more. Tests use it to fail
	// one goal's sub-goal fetch, block a request, etc. It must be safe for
	// concurrent use.
	Intercept func(w http.ResponseWriter, r *http.Request) bool
}

// Faults are probabilities (0..1, summed at most 1) that an admitted request
// fails in each way.
type Faults struct {
	// ServerError answers 500 (with an error phrase) or 503, half each.
	ServerError float64
	// ConnReset closes the connection without answering (a TCP reset on
	// HTTP/1). Note that net/http's Transport silently retries an idempotent
	// request that failed this way on a reused keep-alive connection.
	ConnReset float64
	// TruncatedBody declares the full Content-Length, writes part of the body
	// and closes the connection.
	TruncatedBody float64
	// MalformedJSON answers 200 with a body that is not valid JSON.
	MalformedJSON float64
	// GatewayHTML answers 502 with an HTML page, as a gateway in front of
	// Asana can.
	GatewayHTML float64
	// RateLimited answers 429 with Retry-After: 1 whatever the rate: what
	// Asana's limits on concurrent and costly requests, or another program
	// on the same token, look like to a client.
	RateLimited float64
}

func (f Faults) total() float64 {
	return f.ServerError + f.ConnReset + f.TruncatedBody + f.MalformedJSON + f.GatewayHTML + f.RateLimited
}

// Stats are the server's counters since it started.
type Stats struct {
	// Requests counts every request received.
	Requests int64
	// Unauthorized counts 401s.
	Unauthorized int64
	// RateLimited counts 429s served, for either limit.
	RateLimited int64
	// ConcurrencyLimited counts the 429s due to MaxInFlight (included in
	// RateLimited).
	ConcurrencyLimited int64
	// PeakInFlight is the largest number of requests being handled at once.
	PeakInFlight int64
	// FaultsInjected counts injected faults of every kind; Faults splits it.
	FaultsInjected int64
	Faults         FaultCounts
}

// FaultCounts counts injected faults by kind.
type FaultCounts struct {
	ServerErrors    int64
	ConnResets      int64
	TruncatedBodies int64
	MalformedJSON   int64
	GatewayHTML     int64
	RateLimited     int64
}

type counters struct {
	requests           atomic.Int64
	unauthorized       atomic.Int64
	rateLimited        atomic.Int64
	concurrencyLimited atomic.Int64
	peak               atomic.Int64
	faults             [numFaultKinds]atomic.Int64
}

type faultKind int

const (
	fNone faultKind = iota - 1
	fServerError
	fConnReset
	fTruncated
	fMalformed
	fGatewayHTML
	fRateLimited
	numFaultKinds
)

// tokenState is the per-token limiter state.
type tokenState struct {
	userGID string

	mu sync.Mutex
	// ring holds the times (ns since the server's epoch) of the most recent
	// requests (at most the quota), oldest at head. It grows on demand, so a
	// huge quota costs memory only for the requests actually made.
	ring []int64
	head int
	n    int

	inflight atomic.Int64
	model    modelState // the counters of Options.RateModel, under mu
}

// take records a request at now and reports whether it is within the quota
// (fewer than limit requests, rejected ones included, in the window before
// it); if not, wait is how long until a slot frees.
func (t *tokenState) take(now int64, limit int, window int64) (ok bool, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ok = t.n < limit || t.ring[t.head] <= now-window
	switch {
	case t.n == limit: // full: the newest replaces the oldest
		t.ring[t.head] = now
		t.head = (t.head + 1) % len(t.ring)
	default:
		if t.n == len(t.ring) {
			grown := make([]int64, min(max(2*len(t.ring), 16), limit))
			for i := range t.n {
				grown[i] = t.ring[(t.head+i)%len(t.ring)]
			}
			t.ring, t.head = grown, 0
		}
		t.ring[(t.head+t.n)%len(t.ring)] = now
		t.n++
	}
	if !ok {
		wait = time.Duration(t.ring[t.head] + window - now)
	}
	return ok, wait
}

// Server is the fake Asana API: an [http.Handler]. Create it with
// [NewServer]; it is safe for concurrent use.
type Server struct {
	opts   Options
	window int64
	epoch  time.Time // limiter times are monotonic durations since epoch
	mux    *http.ServeMux

	snap            atomic.Pointer[snapshot]
	paymentRequired atomic.Bool
	faultTotal      float64

	tokens     map[string]*tokenState
	openTokens sync.Map // token → *tokenState, when Options.Tokens is empty

	pageSeed maphash.Seed

	rngMu sync.Mutex
	rng   *rand.Rand

	inflight atomic.Int64
	stats    counters
	bufs     sync.Pool
}

// NewServer returns a server for a copy of ws. It panics if ws is invalid
// (see [Workspace.Validate]) or a token's user is not in ws: both are
// mistakes in a test's setup.
func NewServer(ws *Workspace, opts Options) *Server {
	if err := ws.Validate(); err != nil {
		panic(err)
	}
	s := &Server{
		opts:       opts,
		window:     int64(opts.RateWindow),
		epoch:      time.Now(),
		tokens:     make(map[string]*tokenState, len(opts.Tokens)),
		pageSeed:   maphash.MakeSeed(),
		rng:        rand.New(rand.NewPCG(uint64(opts.Seed), 0x9e3779b97f4a7c15)),
		faultTotal: opts.Faults.total(),
	}
	if s.window <= 0 {
		s.window = int64(time.Minute)
	}
	s.bufs.New = func() any { b := make([]byte, 0, 16<<10); return &b }
	sn := compile(ws)
	for tok, gid := range opts.Tokens {
		if _, ok := sn.userIdx[gid]; !ok {
			panic(fmt.Sprintf("asanafake: a token's user %q is not a user of the workspace", gid))
		}
		s.tokens[tok] = &tokenState{userGID: gid}
	}
	s.snap.Store(sn)
	s.paymentRequired.Store(opts.PaymentRequired)

	goalRoute := route{goals: true}
	mux := http.NewServeMux()
	mux.Handle("GET /goals", s.route(goalRoute, s.listGoals))
	mux.Handle("GET /goals/{gid}", s.route(goalRoute, s.getGoal))
	mux.Handle("GET /goals/{gid}/subgoals", s.route(route{goals: true, subgoals: true}, s.listSubgoals))
	mux.Handle("GET /goal_relationships", s.route(goalRoute, s.listGoalRelationships))
	mux.Handle("GET /users/me", s.route(route{}, s.getMe))
	mux.Handle("GET /users", s.route(route{}, s.listUsers))
	mux.Handle("GET /users/{gid}", s.route(route{}, s.getUser))
	mux.Handle("/", s.route(route{}, func(*call) reply { return noRoute() }))
	s.mux = mux
	return s
}

// ServeHTTP serves the Asana API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// SetWorkspace replaces the served workspace (a copy of ws) atomically:
// requests already running finish with the old data. Offset tokens issued
// before stay valid, as positions. It panics if ws is invalid.
func (s *Server) SetWorkspace(ws *Workspace) {
	if err := ws.Validate(); err != nil {
		panic(err)
	}
	s.snap.Store(compile(ws))
}

// SetPaymentRequired turns the 402 mode of the goal routes on or off.
func (s *Server) SetPaymentRequired(required bool) {
	s.paymentRequired.Store(required)
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	st := Stats{
		Requests:           c.requests.Load(),
		Unauthorized:       c.unauthorized.Load(),
		RateLimited:        c.rateLimited.Load(),
		ConcurrencyLimited: c.concurrencyLimited.Load(),
		PeakInFlight:       c.peak.Load(),
		Faults: FaultCounts{
			ServerErrors:    c.faults[fServerError].Load(),
			ConnResets:      c.faults[fConnReset].Load(),
			TruncatedBodies: c.faults[fTruncated].Load(),
			MalformedJSON:   c.faults[fMalformed].Load(),
			GatewayHTML:     c.faults[fGatewayHTML].Load(),
			RateLimited:     c.faults[fRateLimited].Load(),
		},
	}
	f := st.Faults
	st.FaultsInjected = f.ServerErrors + f.ConnResets + f.TruncatedBodies + f.MalformedJSON + f.GatewayHTML + f.RateLimited
	return st
}

// call is one admitted request being served.
type call struct {
	r    *http.Request
	q    url.Values
	snap *snapshot
	tok  *tokenState
	buf  []byte
}

// reply is what a route handler answers.
type reply struct {
	status     int
	body       []byte
	retryAfter int    // seconds; 0: no header
	html       bool   // Content-Type text/html
	keep       []byte // pooled buffer to return after writing, if any
}

func (s *Server) route(rt route, h func(*call) reply) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(rt, h, w, r)
	})
}

func (s *Server) serve(rt route, h func(*call) reply, w http.ResponseWriter, r *http.Request) {
	s.stats.requests.Add(1)
	cur := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for {
		p := s.stats.peak.Load()
		if cur <= p || s.stats.peak.CompareAndSwap(p, cur) {
			break
		}
	}

	tok := s.authenticate(r)
	if tok == nil {
		s.stats.unauthorized.Add(1)
		writeReply(w, errReply(http.StatusUnauthorized, "Not Authorized"))
		return
	}
	for _, v := range s.opts.AsanaChange {
		w.Header().Add("Asana-Change", v)
	}
	if limit := s.opts.RequestsPerMinute; limit > 0 {
		if ok, wait := s.admit(tok, int64(time.Since(s.epoch))); !ok {
			s.stats.rateLimited.Add(1)
			writeReply(w, tooMany(wait))
			return
		}
	}
	if maxIn := s.opts.MaxInFlight; maxIn > 0 {
		n := tok.inflight.Add(1)
		defer tok.inflight.Add(-1)
		if n > int64(maxIn) {
			s.stats.rateLimited.Add(1)
			s.stats.concurrencyLimited.Add(1)
			writeReply(w, tooMany(time.Second))
			return
		}
	}
	if d := s.opts.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if s.opts.Intercept != nil && s.opts.Intercept(w, r) {
		return
	}

	fault, u := s.drawFault()
	switch fault {
	case fConnReset:
		s.stats.faults[fConnReset].Add(1)
		resetConn(w)
		return
	case fServerError:
		s.stats.faults[fServerError].Add(1)
		if u < s.opts.Faults.ServerError/2 {
			writeReply(w, s.serverError())
		} else {
			writeReply(w, errReply(http.StatusServiceUnavailable, "Service Unavailable. Please try again later."))
		}
		return
	case fGatewayHTML:
		s.stats.faults[fGatewayHTML].Add(1)
		writeReply(w, reply{status: http.StatusBadGateway, body: []byte(gatewayHTML), html: true})
		return
	case fRateLimited:
		s.stats.faults[fRateLimited].Add(1)
		s.stats.rateLimited.Add(1)
		writeReply(w, tooMany(time.Second))
		return
	}

	var rep reply
	switch {
	case rt.subgoals && !s.opts.SpecSubgoalPath:
		rep = noRoute()
	case rt.goals && s.paymentRequired.Load():
		rep = errReply(http.StatusPaymentRequired, "Goals are not available on your workspace's plan. Upgrade to use this feature.")
	default:
		bp := s.bufs.Get().(*[]byte)
		c := &call{r: r, q: r.URL.Query(), snap: s.snap.Load(), tok: tok, buf: (*bp)[:0]}
		rep = h(c)
		defer func() {
			if rep.keep != nil {
				*bp = rep.keep[:0]
			}
			s.bufs.Put(bp)
		}()
	}

	switch fault {
	case fTruncated:
		s.stats.faults[fTruncated].Add(1)
		writeTruncated(w, rep)
	case fMalformed:
		s.stats.faults[fMalformed].Add(1)
		body := make([]byte, 0, len(rep.body)/2+32)
		body = append(body, rep.body[:len(rep.body)/2]...)
		body = append(body, "\x00<!-- malformed -->"...)
		writeReply(w, reply{status: http.StatusOK, body: body})
	default:
		writeReply(w, rep)
	}
}

// authenticate returns the token's limiter state, or nil for a missing or
// unknown token. The token never appears in any answer.
func (s *Server) authenticate(r *http.Request) *tokenState {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return nil
	}
	tok := strings.TrimSpace(h[7:])
	if tok == "" {
		return nil
	}
	if len(s.tokens) > 0 {
		return s.tokens[tok]
	}
	if t, ok := s.openTokens.Load(tok); ok {
		return t.(*tokenState)
	}
	t, _ := s.openTokens.LoadOrStore(tok, &tokenState{})
	return t.(*tokenState)
}

// drawFault picks the fault for one request. u is the draw, for sub-choices.
func (s *Server) drawFault() (faultKind, float64) {
	if s.faultTotal <= 0 {
		return fNone, 0
	}
	s.rngMu.Lock()
	u := s.rng.Float64()
	s.rngMu.Unlock()
	f := s.opts.Faults
	switch {
	case u < f.ServerError:
		return fServerError, u
	case u < f.ServerError+f.ConnReset:
		return fConnReset, u
	case u < f.ServerError+f.ConnReset+f.TruncatedBody:
		return fTruncated, u
	case u < f.ServerError+f.ConnReset+f.TruncatedBody+f.MalformedJSON:
		return fMalformed, u
	case u < f.ServerError+f.ConnReset+f.TruncatedBody+f.MalformedJSON+f.GatewayHTML:
		return fGatewayHTML, u
	case u < s.faultTotal:
		return fRateLimited, u
	}
	return fNone, u
}

// --- writing answers ---

func setHeaders(w http.ResponseWriter, rep reply, contentLength int) {
	h := w.Header()
	if rep.html {
		h.Set("Content-Type", "text/html; charset=UTF-8")
	} else {
		h.Set("Content-Type", "application/json; charset=UTF-8")
	}
	h.Set("Content-Length", strconv.Itoa(contentLength))
	if rep.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(rep.retryAfter))
	}
}

func writeReply(w http.ResponseWriter, rep reply) {
	setHeaders(w, rep, len(rep.body))
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// writeTruncated declares the whole body, sends part of it and drops the
// connection.
func writeTruncated(w http.ResponseWriter, rep reply) {
	setHeaders(w, rep, len(rep.body))
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

func errReplyPhrase(status int, message, phrase string) reply {
	b := make([]byte, 0, 64+len(message)+len(errorHelp)+len(phrase))
	b = append(b, `{"errors":[{"message":`...)
	b = appendJSONString(b, message)
	b = append(b, `,"help":`...)
	b = appendJSONString(b, errorHelp)
	if phrase != "" {
		b = append(b, `,"phrase":`...)
		b = appendJSONString(b, phrase)
	}
	b = append(b, "}]}"...)
	return reply{status: status, body: b}
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

// appendNextPage appends the next_page member for p (nothing when the
// request had no limit).
func appendNextPage(b []byte, c *call, p page) []byte {
	if !p.paged {
		return b
	}
	if p.next == "" {
		return append(b, `,"next_page":null`...)
	}
	q := make(url.Values, len(c.q))
	for k, v := range c.q {
		q[k] = v
	}
	q.Set("offset", p.next)
	path := c.r.URL.Path + "?" + q.Encode()
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	b = append(b, `,"next_page":{"offset":`...)
	b = appendJSONString(b, p.next)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, path)
	b = append(b, `,"uri":`...)
	b = appendJSONString(b, scheme+"://"+c.r.Host+path)
	return append(b, '}')
}
