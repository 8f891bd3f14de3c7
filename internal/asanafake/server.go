package asanafake

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

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

	// RefuseStatusType makes the goal routes (GET /goals, /goals/{gid} and
	// /goals/{gid}/subgoals) answer 400 to a request whose opt_fields hold
	// current_status_update.status_type, as Prism, a mock that enforces
	// Asana's description, does: the description lists that entry in no
	// operation's opt_fields. Like Prism, the fake answers the
	// description's example error body ("project: Missing input"), which
	// names nothing, and names the entry in an sl-violations header, by its
	// place in opt_fields. Stats.StatusTypeRefusals counts these answers.
	RefuseStatusType bool

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
	// StatusTypeRefusals counts the 400s of Options.RefuseStatusType.
	StatusTypeRefusals int64
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
	statusTypeRefusals atomic.Int64
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

// Server is the fake Asana API: an [http.Handler]. Create it with
// [NewServer]; it is safe for concurrent use.
type Server struct {
	opts   Options
	window int64
	epoch  time.Time      // limiter times are monotonic durations since epoch
	mux    *http.ServeMux // routes, each behind the admission of [Server.handle]

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
	sn := newSnapshot(ws)
	for tok, gid := range opts.Tokens {
		if _, ok := sn.user(gid); !ok {
			panic(fmt.Sprintf("asanafake: a token's user %q is not a user of the workspace", gid))
		}
		s.tokens[tok] = &tokenState{userGID: gid}
	}
	s.snap.Store(sn)
	s.paymentRequired.Store(opts.PaymentRequired)

	s.mux = http.NewServeMux()
	s.handle("GET /goals", s.paid(s.refuseStatusType(s.route(s.listGoals))))
	s.handle("GET /goals/{gid}", s.paid(s.refuseStatusType(s.route(s.getGoal))))
	if opts.SpecSubgoalPath { // otherwise "/" answers it, as Asana does
		s.handle("GET /goals/{gid}/subgoals", s.paid(s.refuseStatusType(s.route(s.listSubgoals))))
	}
	s.handle("GET /goal_relationships", s.paid(s.route(s.listGoalRelationships)))
	s.handle("GET /users/me", s.route(s.getMe))
	s.handle("GET /users", s.route(s.listUsers))
	s.handle("GET /users/{gid}", s.route(s.getUser))
	s.handle("GET /workspaces", s.route(s.listWorkspaces))
	s.handle("/", s.route(func(*call) reply { return noRoute() }))
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
	s.snap.Store(newSnapshot(ws))
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
		StatusTypeRefusals: c.statusTypeRefusals.Load(),
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
