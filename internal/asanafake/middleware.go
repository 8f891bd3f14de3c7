package asanafake

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A request goes through the admission steps in order, each a middleware
// with one job, and then to its route:
//
//	count → authenticate → announce changes → rate limit → in-flight limit
//	→ latency → Options.Intercept → faults → route
//
// A step that an option turns off is left out of the chain.

// handle registers the route h for pattern, behind the admission steps.
func (s *Server) handle(pattern string, h http.Handler) {
	steps := []func(http.Handler) http.Handler{
		s.count, s.authenticate, s.announceChanges, s.rateLimit, s.limitInFlight,
		s.delay, s.intercept, s.injectFaults,
	}
	for i := len(steps) - 1; i >= 0; i-- {
		h = steps[i](h)
	}
	s.mux.Handle(pattern, h)
}

// route serves what h answers to an admitted request.
func (s *Server) route(h func(*call) reply) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeReply(w, h(&call{r: r, q: r.URL.Query(), snap: s.snap.Load(), tok: tokenOf(r)}))
	})
}

// paid answers 402 in place of h while the server is in its 402 mode
// (Goals is a paid Asana feature).
func (s *Server) paid(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.paymentRequired.Load() {
			writeReply(w, errReply(http.StatusPaymentRequired, "Goals are not available on your workspace's plan. Upgrade to use this feature."))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// statusTypeField is the opt_fields entry Options.RefuseStatusType refuses.
const statusTypeField = "current_status_update.status_type"

// The error body Prism answers a request that fails its validation with,
// when the operation declares a 400 (every Asana goal route does): the
// description's example of each field of Error.
const (
	prismMessage = "project: Missing input"
	prismHelp    = "For more information on API status codes and how to handle them, read the docs on errors: https://asana.github.io/developer-docs/#errors'"
	prismPhrase  = "6 sad squid snuggle softly"
)

// refuseStatusType answers 400 in place of h to a request asking for
// statusTypeField, when Options.RefuseStatusType is set.
func (s *Server) refuseStatusType(h http.Handler) http.Handler {
	if !s.opts.RefuseStatusType {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := -1
		for _, v := range r.URL.Query()["opt_fields"] {
			if i = slices.Index(strings.Split(v, ","), statusTypeField); i >= 0 {
				break
			}
		}
		if i < 0 {
			h.ServeHTTP(w, r)
			return
		}
		s.stats.statusTypeRefusals.Add(1)
		w.Header().Set("sl-violations", fmt.Sprintf(`[{"location":["request","query","opt_fields","%d"],"severity":"Error","code":"enum",`+
			`"message":"Request query parameter opt_fields.%d must be equal to one of the allowed values: current_status_update, `+
			`current_status_update.resource_subtype, current_status_update.title, due_on, html_notes, metric, name, owner, start_on, status, time_period, ..."}]`, i, i))
		writeReply(w, reply{status: http.StatusBadRequest,
			body: marshal(map[string][]apiError{"errors": {{Message: prismMessage, Help: prismHelp, Phrase: prismPhrase}}})})
	})
}

// count counts every request and the peak of requests in flight.
func (s *Server) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.stats.requests.Add(1)
		cur := s.inflight.Add(1)
		defer s.inflight.Add(-1)
		for {
			p := s.stats.peak.Load()
			if cur <= p || s.stats.peak.CompareAndSwap(p, cur) {
				break
			}
		}
		next.ServeHTTP(w, r)
	})
}

type tokenKey struct{}

// tokenOf is the state of the token that authenticated r.
func tokenOf(r *http.Request) *tokenState {
	return r.Context().Value(tokenKey{}).(*tokenState)
}

// authenticate answers 401 to a request without a bearer token the server
// accepts; the token's state goes on with the request (see tokenOf). The
// token never appears in any answer.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := s.token(r)
		if tok == nil {
			s.stats.unauthorized.Add(1)
			writeReply(w, errReply(http.StatusUnauthorized, "Not Authorized"))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, tok)))
	})
}

// token returns the state of r's bearer token, or nil for a missing or
// unknown one.
func (s *Server) token(r *http.Request) *tokenState {
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

// announceChanges sends Options.AsanaChange.
func (s *Server) announceChanges(next http.Handler) http.Handler {
	if len(s.opts.AsanaChange) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, v := range s.opts.AsanaChange {
			w.Header().Add("Asana-Change", v)
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimit answers 429 past the token's quota (Options.RequestsPerMinute).
func (s *Server) rateLimit(next http.Handler) http.Handler {
	limit := s.opts.RequestsPerMinute
	if limit <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := s.admit(tokenOf(r), int64(time.Since(s.epoch))); !ok {
			s.stats.rateLimited.Add(1)
			writeReply(w, tooMany(wait))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitInFlight answers 429 past the token's requests in flight
// (Options.MaxInFlight).
func (s *Server) limitInFlight(next http.Handler) http.Handler {
	maxIn := int64(s.opts.MaxInFlight)
	if maxIn <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := tokenOf(r)
		n := tok.inflight.Add(1)
		defer tok.inflight.Add(-1)
		if n > maxIn {
			s.stats.rateLimited.Add(1)
			s.stats.concurrencyLimited.Add(1)
			writeReply(w, tooMany(time.Second))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// delay waits Options.Latency; a request whose context ends first gets no
// answer.
func (s *Server) delay(next http.Handler) http.Handler {
	d := s.opts.Latency
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(d)
		select {
		case <-t.C:
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
			t.Stop()
		}
	})
}

// intercept lets Options.Intercept answer first.
func (s *Server) intercept(next http.Handler) http.Handler {
	icpt := s.opts.Intercept
	if icpt == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !icpt(w, r) {
			next.ServeHTTP(w, r)
		}
	})
}

// injectFaults answers with a fault drawn from Options.Faults in place of
// the route's answer, or mangles the route's answer.
func (s *Server) injectFaults(next http.Handler) http.Handler {
	if s.faultTotal <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fault, u := s.drawFault()
		if fault == fNone {
			next.ServeHTTP(w, r)
			return
		}
		s.stats.faults[fault].Add(1)
		switch fault {
		case fConnReset:
			resetConn(w)
		case fServerError:
			if u < s.opts.Faults.ServerError/2 {
				writeReply(w, s.serverError())
			} else {
				writeReply(w, errReply(http.StatusServiceUnavailable, "Service Unavailable. Please try again later."))
			}
		case fGatewayHTML:
			writeReply(w, reply{status: http.StatusBadGateway, body: []byte(gatewayHTML), html: true})
		case fRateLimited:
			s.stats.rateLimited.Add(1)
			writeReply(w, tooMany(time.Second))
		case fTruncated:
			writeTruncated(w, capture(next, w, r))
		case fMalformed:
			body := capture(next, w, r).body
			writeReply(w, reply{status: http.StatusOK, body: append(body[:len(body)/2:len(body)/2], "\x00<!-- malformed -->"...)})
		}
	})
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

// capture returns the answer h gives to r, for a fault to mangle. The
// headers h sets go to w.
func capture(h http.Handler, w http.ResponseWriter, r *http.Request) reply {
	c := &captured{header: w.Header()}
	h.ServeHTTP(c, r)
	return reply{status: c.status, body: c.body.Bytes()}
}

// captured is a ResponseWriter that holds the answer back.
type captured struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captured) Header() http.Header { return c.header }

func (c *captured) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *captured) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return c.body.Write(b)
}

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
