package asana

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// DefaultBaseURL is the root of Asana's REST API.
const DefaultBaseURL = "https://app.asana.com/api/1.0"

// Asana's per-token rate limits, in requests per minute.
const (
	FreeRequestsPerMinute = 150
	PaidRequestsPerMinute = 1500
)

// MaxInFlight is Asana's limit of concurrent GET requests per token, and the
// most a Client will ever have open at once.
const MaxInFlight = 50

// Defaults for the retry policy.
const (
	DefaultMaxRetries   = 4
	DefaultRetryWaitMin = 500 * time.Millisecond
	DefaultRetryWaitMax = 30 * time.Second
)

// maxBodyBytes bounds how much of a response the client reads; Asana's pages
// of 100 goals with notes are far smaller.
const maxBodyBytes = 32 << 20

// Client talks to Asana's REST API with one access token. It limits its own
// request rate to the domain's tier, keeps at most MaxInFlight requests open,
// pauses every request when Asana answers 429, and retries what is worth
// retrying. Once Asana refuses its token (401, a token revoked or wrong),
// it sends nothing more: every later request fails at once with
// ErrUnauthorized, as it would at Asana. A Client is safe for concurrent
// use.
type Client struct {
	base      *url.URL
	token     string
	redact    redactor
	userAgent string
	logger    *slog.Logger
	// http is the HTTP client every request's own is a copy of (see
	// retryClient): the caller's, its Timeout moved into transport, its
	// redirects checked. Its Transport is set per request.
	http      http.Client
	transport *gatedTransport
	retry     retryPolicy
	gate      *gate
	stats     counters
	maxPages  int // the const maxPages; lowered by internal tests only
	changes   changeLog
	// statusTypeRefused is set once Asana refused opt_fields entry
	// StatusTypeField (see Client.StatusTypeRefused).
	statusTypeRefused atomic.Bool
}

// config collects what the options set before NewClient builds the Client.
type config struct {
	baseURL        string
	httpClient     *http.Client
	requestsPerMin int
	maxInFlight    int
	maxRetries     int
	retryWaitMin   time.Duration
	retryWaitMax   time.Duration
	logger         *slog.Logger
	userAgent      string
	maxWait        time.Duration
	requestTimeout time.Duration // -1: take the HTTP client's Timeout
	features       features      // WithAsanaEnable, WithAsanaDisable (changes.go)
	hooks          *Hooks        // WithHooks; nil for none
}

// Option configures a Client.
type Option func(*config) error

// WithBaseURL sets the API root (default DefaultBaseURL). A plain http://
// URL is refused unless its host is a loopback address, so that the token
// never travels in clear text.
func WithBaseURL(u string) Option {
	return func(c *config) error { c.baseURL = u; return nil }
}

// WithHTTPClient sets the underlying HTTP client (its Transport, timeouts,
// proxies). The default has a 60-second timeout and keeps up to
// MaxInFlight idle connections, so a sync reuses them. A Transport of your
// own should keep as many (http.Transport.MaxIdleConnsPerHost).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("asana: WithHTTPClient: nil *http.Client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithRequestsPerMinute sets the client-side rate limit: use
// FreeRequestsPerMinute or PaidRequestsPerMinute (the default) for Asana's
// tiers.
func WithRequestsPerMinute(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("asana: requests per minute must be positive, got %d", n)
		}
		c.requestsPerMin = n
		return nil
	}
}

// WithMaxInFlight bounds concurrent requests: 1 to MaxInFlight (default).
func WithMaxInFlight(n int) Option {
	return func(c *config) error {
		if n < 1 || n > MaxInFlight {
			return fmt.Errorf("asana: max in flight must be 1..%d, got %d", MaxInFlight, n)
		}
		c.maxInFlight = n
		return nil
	}
}

// WithMaxRetries sets how many times a failed request is retried (default
// DefaultMaxRetries; 0 disables retries).
func WithMaxRetries(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("asana: max retries must not be negative, got %d", n)
		}
		c.maxRetries = n
		return nil
	}
}

// WithRetryWait sets the bounds of the exponential backoff between retries
// that Asana gave no Retry-After for.
func WithRetryWait(min, max time.Duration) Option {
	return func(c *config) error {
		if min <= 0 || max < min {
			return fmt.Errorf("asana: retry wait needs 0 < min <= max, got %s, %s", min, max)
		}
		c.retryWaitMin, c.retryWaitMax = min, max
		return nil
	}
}

// WithMaxWait sets the longest Retry-After the client waits out (default
// DefaultMaxWait). When Asana asks for a longer wait, the request fails at
// once, and so does every request that would queue behind it, with an
// *Error matching ErrWaitTooLong that says how long Asana asked for: a
// caller that cannot wait that long learns it now, not when its deadline
// runs out.
func WithMaxWait(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("asana: max wait must be positive, got %s", d)
		}
		c.maxWait = d
		return nil
	}
}

// WithRequestTimeout bounds each attempt of a request, from sending it to
// the end of its answer (default: the HTTP client's Timeout, 60 seconds for
// the default client; 0 for none). Time spent waiting for the client's own
// rate limiter or a Retry-After pause is not part of it: the caller's
// context bounds that.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("asana: request timeout must not be negative, got %s", d)
		}
		c.requestTimeout = d
		return nil
	}
}

// WithLogger sets the logger for retries, rate-limit pauses and (at debug
// level) each request. Log lines carry method and path, never the token or
// the query string. The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("asana: WithLogger: nil *slog.Logger")
		}
		c.logger = l
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) error { c.userAgent = ua; return nil }
}

// NewClient returns a Client that authenticates with the given Personal
// Access Token. An empty token, or a setting out of range, is an error; no
// error message ever contains the token.
func NewClient(token string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("asana: empty access token")
	}
	if strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, errors.New("asana: access token contains white space or control characters")
	}
	cfg := config{
		baseURL:        DefaultBaseURL,
		requestsPerMin: PaidRequestsPerMinute,
		maxInFlight:    MaxInFlight,
		maxRetries:     DefaultMaxRetries,
		retryWaitMin:   DefaultRetryWaitMin,
		retryWaitMax:   DefaultRetryWaitMax,
		logger:         slog.New(slog.DiscardHandler),
		userAgent:      "asanagoals (+https://github.com/perfcopilot/asanagoals)",
		maxWait:        DefaultMaxWait,
		requestTimeout: -1,
	}
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	base, err := parseBaseURL(cfg.baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:      base,
		token:     token,
		redact:    newRedactor(token),
		userAgent: cfg.userAgent,
		logger:    cfg.logger,
		maxPages:  maxPages,
		changes:   newChangeLog(cfg.features),
	}
	c.gate = newGate(cfg.requestsPerMin, cfg.maxInFlight, cfg.maxWait, cfg.logger, &c.stats)
	c.setHTTP(cfg)
	return c, nil
}

// parseBaseURL checks that u is absolute and, unless it is a loopback
// address, HTTPS. Its errors show u without its credentials (see
// shownBaseURL), whichever check refused it.
func parseBaseURL(u string) (*url.URL, error) {
	shown := shownBaseURL(u)
	base, err := url.Parse(strings.TrimRight(u, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("asana: base URL %q is not an absolute URL", shown)
	}
	switch base.Scheme {
	case "https":
	case "http":
		if !isLoopback(base.Hostname()) {
			return nil, fmt.Errorf("asana: base URL %q: plain http is only allowed to a loopback address; use https so the token is not sent in clear text", shown)
		}
	default:
		return nil, fmt.Errorf("asana: base URL %q: scheme must be https", shown)
	}
	if base.RawQuery != "" || base.Fragment != "" || base.User != nil {
		return nil, fmt.Errorf("asana: base URL %q must not carry a query, fragment or credentials", shown)
	}
	return base, nil
}

// shownBaseURL is a base URL as an error may show it: everything before
// its last '@' after the scheme (a user name, a password, raw or escaped)
// is replaced with "xxxxx". It does not rely on url.Parse, which cannot
// find the user info of a URL it refuses (a space in the password, a
// missing "//"); an '@' in a path is cut the same way, which costs a
// refused URL's message some of its path at worst.
func shownBaseURL(u string) string {
	at := strings.LastIndexByte(u, '@')
	if at < 0 {
		return u
	}
	prefix := ""
	if i := strings.Index(u, "://"); i > 0 && i < at && isScheme(u[:i]) {
		prefix = u[:i+3]
	}
	return prefix + "xxxxx" + u[at:]
}

// isScheme reports whether s is written as a URL scheme (RFC 3986: a
// letter, then letters, digits, '+', '-' or '.').
func isScheme(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// retryPolicy is the retry settings every request's retry client is made
// with (see retryClient).
type retryPolicy struct {
	max              int
	waitMin, waitMax time.Duration
	check            retryablehttp.CheckRetry
}

// setHTTP sets the HTTP client, the gated transport and the retry policy
// that every request's retry client is made of.
func (c *Client) setHTTP(cfg config) {
	hc := cfg.httpClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second, Transport: pooledTransport(cfg.maxInFlight)}
	}
	inner := hc.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	// A copy, so the caller's *http.Client is left as they gave it. Its
	// Timeout moves into the transport, after the gate: an http.Client's
	// Timeout would count the waits for the rate limit too.
	timeout := cfg.requestTimeout
	if timeout < 0 {
		timeout = hc.Timeout
	}
	c.http = *hc
	c.http.Timeout = 0
	c.http.CheckRedirect = refuseInsecureRedirect(hc.CheckRedirect)
	c.http.Transport = nil
	c.transport = &gatedTransport{next: inner, gate: c.gate, stats: &c.stats, maxBody: maxBodyBytes, redact: c.redact, timeout: timeout, hooks: cfg.hooks,
		path: func(r *http.Request) string { return c.apiPath(r.URL) }}
	c.retry = retryPolicy{max: cfg.maxRetries, waitMin: cfg.retryWaitMin, waitMax: cfg.retryWaitMax, check: checkRetry(cfg.maxWait)}
}

// errInsecureRedirect is a redirect that would carry the token in clear
// text. net/http drops the Authorization header on a redirect to another
// host, but keeps it for the same host on plain http.
var errInsecureRedirect = errors.New("refusing a redirect to plain http: it would send the token in clear text")

func refuseInsecureRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" && !isLoopback(req.URL.Hostname()) {
			return errInsecureRedirect
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// CloseIdleConnections closes the idle keep-alive connections of the
// client's HTTP transport, for a program that is done with the client (see
// http.Client.CloseIdleConnections). The client stays usable.
func (c *Client) CloseIdleConnections() {
	// The transport under the gate, which keeps no connections itself
	// (see callTransport).
	if t, ok := c.transport.next.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// String describes the client without its token, so printing a *Client
// (with %v, %+v or a logger) cannot leak it.
func (c *Client) String() string {
	return fmt.Sprintf("asana.Client{base: %s, token: [redacted]}", c.base.Redacted())
}

// GoString is String for %#v.
func (c *Client) GoString() string { return c.String() }

// pooledTransport is http.DefaultTransport keeping as many idle connections
// to Asana as requests may be in flight; the default keeps two, and a sync
// would otherwise open and close connections all the time.
func pooledTransport(maxInFlight int) http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t = t.Clone()
	t.MaxIdleConnsPerHost = maxInFlight
	t.OnProxyConnectResponse = proxyRefusal
	return t
}

// ProxyError is a proxy (HTTPS_PROXY) that refused to open the connection
// to Asana: its answer to CONNECT was not 200. It is a matter of the
// proxy's configuration or rules, not of Asana, so it is not retried, and
// it never reads as Asana's own 403 or 407.
type ProxyError struct {
	Proxy  string // the proxy's scheme and host, without credentials
	Status string // the proxy's answer, e.g. "403 Forbidden"
}

func (e *ProxyError) Error() string {
	return fmt.Sprintf("the proxy %s refused the connection to Asana: %s (check HTTPS_PROXY, NO_PROXY and the proxy's rules)", e.Proxy, e.Status)
}

// proxyRefusal is the client transport's OnProxyConnectResponse: it turns
// a CONNECT refused by the proxy into a *ProxyError.
func proxyRefusal(_ context.Context, proxy *url.URL, _ *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return &ProxyError{Proxy: proxy.Scheme + "://" + proxy.Host, Status: resp.Status}
}

// checkRetry retries connection errors, unreadable bodies, 429 and 5xx; it
// never retries a cancelled request, an oversized body, another 4xx, or a
// 429 whose Retry-After is longer than maxWait (nor a request that would
// queue behind one).
func checkRetry(maxWait time.Duration) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err != nil && final(err) {
			return false, err
		}
		if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
			if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && d > maxWait {
				return false, nil
			}
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
}

// final reports an error no retry can help: an oversized body, an
// insecure redirect, a refused token, a wait longer than the client waits,
// a proxy's refusal. (Apart from checkRetry, so that a request answered
// without an error does not pay for the targets errors.As needs.)
func final(err error) bool {
	var we *waitError
	var pe *ProxyError
	return errors.Is(err, errBodyTooLarge) || errors.Is(err, errInsecureRedirect) || errors.Is(err, errRefused) ||
		errors.As(err, &we) || errors.As(err, &pe)
}

// backoff waits exponentially with jitter between retries. A 429 that
// carried Retry-After needs no wait here: the shared pause in the gate holds
// every request, this one included, until Asana's time is up.
func backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		if _, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return 0
		}
	}
	d := float64(min) * math.Pow(2, float64(attempt))
	if d > float64(max) || math.IsInf(d, 0) {
		d = float64(max)
	}
	// "Equal jitter": half fixed, half random, so retries of many workers
	// spread out but none comes back at once.
	half := d / 2
	return time.Duration(half + rand.Float64()*half)
}

// Stats are counters since the Client was made. Take two snapshots and
// subtract to measure one sync.
type Stats struct {
	// Requests is every HTTP request sent, retries included.
	Requests int64 `json:"requests"`
	// Retries is how many of those were retries.
	Retries int64 `json:"retries"`
	// RateLimited is how many answers were 429.
	RateLimited int64 `json:"rate_limited"`
	// RateLimitWait is the time requests spent waiting on the client-side
	// limiter and on Retry-After pauses, summed over requests: ten requests
	// waiting one second together count ten seconds.
	RateLimitWait time.Duration `json:"rate_limit_wait"`
	// RequestsPerMinute is the client-side limiter's rate now: the
	// configured tier (less 1% of headroom), or less after 429s showed the
	// real quota is lower.
	RequestsPerMinute float64 `json:"requests_per_minute"`
	// Paused is how long the Retry-After pause in force still lasts (0
	// when none is): what a progress display says the sync waits for.
	Paused time.Duration `json:"paused"`
	// Pauses is the time Retry-After pauses held the client, counted once
	// however many requests waited (overlapping pauses count once too).
	Pauses time.Duration `json:"pauses"`
}

// Sub returns s - old, the counters of what happened in between.
func (s Stats) Sub(old Stats) Stats {
	return Stats{
		Requests:      s.Requests - old.Requests,
		Retries:       s.Retries - old.Retries,
		RateLimited:   s.RateLimited - old.RateLimited,
		RateLimitWait: s.RateLimitWait - old.RateLimitWait,
		Pauses:        s.Pauses - old.Pauses,
		// A rate and a state, not counters: the newer values stand.
		RequestsPerMinute: s.RequestsPerMinute,
		Paused:            s.Paused,
	}
}

type counters struct {
	requests, retries, rateLimited, waitNanos, pauseNanos atomic.Int64
}

// Stats returns the client's counters so far.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:          c.stats.requests.Load(),
		Retries:           c.stats.retries.Load(),
		RateLimited:       c.stats.rateLimited.Load(),
		RateLimitWait:     time.Duration(c.stats.waitNanos.Load()),
		Pauses:            time.Duration(c.stats.pauseNanos.Load()),
		RequestsPerMinute: c.gate.requestsPerMinute(),
		Paused:            c.gate.pausedFor(),
	}
}

// apiPath returns the request's path relative to the API root, the way
// Asana's documentation names endpoints ("/goals/123"), without the query.
func (c *Client) apiPath(u *url.URL) string {
	p := strings.TrimPrefix(u.Path, c.base.Path)
	if p == "" {
		return "/"
	}
	return p
}
