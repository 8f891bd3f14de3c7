package asana

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/go-retryablehttp"
)

// PageSize is the page size the client asks for: Asana's maximum.
const PageSize = 100

// pageSizeParam is PageSize as the limit parameter.
var pageSizeParam = strconv.Itoa(PageSize)

// goalFieldList is every goal field the library reads, and nothing else,
// in the order sent. opt_fields replaces Asana's compact field set: the
// answer holds gid, resource_type and only the fields named (a dotted
// path brings its object with gid and the sub-fields named), so
// everything read is listed, name included. Where each is read:
//
//   - name, html_notes, due_on, start_on: the goal's row (goals.Goal);
//     html_notes only when descriptions are kept;
//   - status, current_status_update.status_type: its status (the spec
//     names the dotted status_type; Asana's own list of getGoals fields
//     does not, since it is generated from the compact status update);
//   - owner: routing by owner.gid (the compact owner's name is not read);
//   - metric.*: goals.Metric (initial, current and target values, unit,
//     currency code);
//   - time_period.*: goals.TimePeriod (gid, display name, period, dates).
var goalFieldList = []string{
	"name", "html_notes", "due_on", "start_on", "status",
	"owner",
	"current_status_update.status_type",
	"metric.unit", "metric.currency_code",
	"metric.initial_number_value", "metric.target_number_value", "metric.current_number_value",
	"time_period", "time_period.display_name", "time_period.period",
	"time_period.start_on", "time_period.end_on",
}

// relationshipFields are the goal relationship fields the sync reads: the
// subtype, and the supporting resource's gid and resource_type (which the
// compact supporting_resource carries). A sub-goal's details come from the
// workspace scan, so its name is not asked for here.
const relationshipFields = "resource_subtype,supporting_resource"

// goalFields is the opt_fields of a request for whole goals;
// goalFieldsNoNotes leaves out html_notes, the description.
var (
	goalFields        = strings.Join(goalFieldList, ",")
	goalFieldsNoNotes = strings.Join(slices.DeleteFunc(slices.Clone(goalFieldList),
		func(f string) bool { return f == "html_notes" }), ",")
)

// StatusTypeField is the opt_fields entry for a goal's latest status
// update's status_type, which the product spec maps a goal's status from.
// Asana's published description lists it in no operation's opt_fields (they
// are generated from the compact status update, which lacks it), so a
// server that enforces those lists refuses it with a 400.
const StatusTypeField = "current_status_update.status_type"

// StatusTypeRefused reports whether Asana refused StatusTypeField: a 400
// that named it (in its error messages, or in a validating proxy's or
// mock's sl-violations header) to a request that asked for it. The client
// then sent that request again once without it, and from then on asks
// for it no more: every goal it reads has no StatusType, so a status can
// only come from the goal's own status field. It stays set for the
// client's life.
func (c *Client) StatusTypeRefused() bool { return c.statusTypeRefused.Load() }

// get sends one GET (with retries) as r asks (the answer's shape, the
// request's urgency) and decodes the JSON answer into v. When the answer
// was 2xx and of the wanted shape but did not decode into v, the error
// says so and undecoded is its body, for a listing to read again record
// by record; otherwise undecoded is nil.
//
// A request whose opt_fields hold StatusTypeField and that Asana refuses
// with a 400 naming it is sent again once without it, and no request of
// the client asks for it any more (see StatusTypeRefused).
func (c *Client) get(ctx context.Context, r request, path string, query url.Values, v any) (undecoded []byte, err error) {
	if c.statusTypeRefused.Load() {
		query = withoutOptField(query, StatusTypeField)
	}
	x := &call{request: r, target: v}
	refused, err := c.getOnce(ctx, x, path, query)
	if refused {
		if c.statusTypeRefused.CompareAndSwap(false, true) {
			c.logger.LogAttrs(ctx, slog.LevelWarn, "asana: Asana refused opt_fields "+StatusTypeField+
				" (400); asking without it from now on: statuses come from each goal's own status field",
				slog.String("path", path))
		}
		x = &call{request: r, target: v}
		_, err = c.getOnce(ctx, x, path, withoutOptField(query, StatusTypeField))
	}
	if x.undecoded {
		return x.answer, err
	}
	return nil, err
}

// getOnce is get without the second try, for the call x: refused says the
// answer was a 400 refusing StatusTypeField, which query asked for.
func (c *Client) getOnce(ctx context.Context, x *call, path string, query url.Values) (refused bool, err error) {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawPath = ""
	u.RawQuery = query.Encode()
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false, fmt.Errorf("asana: GET %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	c.changes.setHeaders(req.Header)
	resp, err := c.retryClient(x).Do(req)
	if err != nil {
		if resp != nil {
			// An error can come with the response (the context ended as it
			// arrived); its body still holds the connection.
			resp.Body.Close()
		}
		return false, c.requestError(ctx, path, x.attempts, err)
	}
	c.changes.observe(ctx, c.logger, c.redact, path, resp.Header)
	defer resp.Body.Close()
	data := x.answer // the transport read the body whole
	if data == nil {
		var err error
		if data, err = readLimited(resp.Body, maxBodyBytes); err != nil {
			return false, fmt.Errorf("asana: GET %s: reading body: %w", path, err)
		}
	}
	c.logger.DebugContext(ctx, "asana: request done", "method", http.MethodGet, "path", path,
		"status", resp.StatusCode, "attempts", x.attempts)
	if resp.StatusCode/100 != 2 {
		e := newError(http.MethodGet, path, resp.StatusCode, resp.Header, data, c.redact)
		e.Attempts = x.attempts
		if e.StatusCode == http.StatusTooManyRequests && e.RetryAfter > c.gate.maxWait {
			e.MaxWait = c.gate.maxWait
		}
		refused := e.StatusCode == http.StatusBadRequest && refusesOptField(StatusTypeField, query, resp.Header, e)
		return refused, e
	}
	if x.decoded {
		return false, nil // the transport decoded it into the target
	}
	if err := json.Unmarshal(data, x.target); err != nil {
		x.undecoded = true
		return false, &Error{Method: http.MethodGet, Path: path, StatusCode: resp.StatusCode,
			Excerpt: excerpt(c.redact.bytes(data)), Attempts: x.attempts, Err: fmt.Errorf("decoding JSON: %w", err)}
	}
	return false, nil
}

// withoutOptField returns query without field among its opt_fields (a
// copy; query itself is left as it is).
func withoutOptField(query url.Values, field string) url.Values {
	vals, ok := query["opt_fields"]
	if !ok || !hasOptField(query, field) {
		return query
	}
	q := cloneValues(query)
	q.Del("opt_fields")
	for _, v := range vals {
		kept := slices.DeleteFunc(strings.Split(v, ","), func(f string) bool { return f == field })
		if len(kept) > 0 {
			q.Add("opt_fields", strings.Join(kept, ","))
		}
	}
	return q
}

// hasOptField reports whether query's opt_fields hold field.
func hasOptField(query url.Values, field string) bool {
	for _, v := range query["opt_fields"] {
		if slices.Contains(strings.Split(v, ","), field) {
			return true
		}
	}
	return false
}

// maxViolationsHeader bounds the sl-violations header refusesOptField reads.
const maxViolationsHeader = 64 << 10

// optFieldsIndex finds "opt_fields.6", "opt_fields/6" or "opt_fields[6]"
// in a validator's message: the entry's place in the list sent.
var optFieldsIndex = regexp.MustCompile(`opt_fields[./\[](\d+)`)

// refusesOptField reports whether a 400 answer (e, with its header) names
// field, which query's opt_fields hold: in one of Asana's error messages,
// or in the sl-violations header of a mock or proxy that validates
// requests against Asana's description (Prism answers the description's
// example error body, which names nothing, and lists the violations
// there, an entry by its place in opt_fields: location ["request",
// "query", "opt_fields", "6"], "Request query parameter opt_fields.6
// must be equal to one of the allowed values: …").
func refusesOptField(field string, query url.Values, header http.Header, e *Error) bool {
	vals := query["opt_fields"]
	if len(vals) == 0 || !hasOptField(query, field) {
		return false
	}
	for _, d := range e.Errors {
		if strings.Contains(d.Message, field) || strings.Contains(d.Help, field) {
			return true
		}
	}
	sent := strings.Split(vals[0], ",") // what a validator reads: the first value
	at := func(i int) bool { return i >= 0 && i < len(sent) && sent[i] == field }
	for _, h := range header.Values("sl-violations") {
		if len(h) > maxViolationsHeader {
			continue
		}
		var violations []struct {
			Location []any  `json:"location"`
			Message  string `json:"message"`
		}
		if json.Unmarshal([]byte(h), &violations) != nil {
			continue
		}
		for _, v := range violations {
			if strings.Contains(v.Message, field) {
				return true
			}
			for i, l := range v.Location {
				if l != "opt_fields" || i+1 >= len(v.Location) {
					continue
				}
				switch n := v.Location[i+1].(type) {
				case string:
					if k, err := strconv.Atoi(n); err == nil && at(k) {
						return true
					}
				case float64:
					if at(int(n)) {
						return true
					}
				}
			}
			for _, m := range optFieldsIndex.FindAllStringSubmatch(v.Message, -1) {
				if k, err := strconv.Atoi(m[1]); err == nil && at(k) {
					return true
				}
			}
		}
	}
	return false
}

// requestError turns what the HTTP stack returned into an error that names
// the endpoint but not the query string, and that still matches
// context.Canceled / DeadlineExceeded with errors.Is.
func (c *Client) requestError(ctx context.Context, path string, attempts int, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("asana: GET %s: %w", path, ctxErr)
	}
	if errors.Is(err, errRefused) {
		return &Error{Method: http.MethodGet, Path: path, StatusCode: http.StatusUnauthorized, Attempts: attempts, Err: errRefused}
	}
	var we *waitError
	if errors.As(err, &we) {
		return &Error{Method: http.MethodGet, Path: path, StatusCode: http.StatusTooManyRequests,
			RetryAfter: we.after, MaxWait: we.max, Attempts: attempts}
	}
	var be *bodyError
	if errors.As(err, &be) {
		return &Error{Method: http.MethodGet, Path: path, StatusCode: be.status,
			Excerpt: be.excerpt, Attempts: attempts, Err: be.err}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its message holds the full URL, query included
	}
	if attempts > 1 {
		return fmt.Errorf("asana: GET %s: %w (after %d attempts)", path, err, attempts)
	}
	return fmt.Errorf("asana: GET %s: %w", path, err)
}

// Bounds on a listing, so that a server that never ends a list (fresh
// offsets forever) is stopped with an error instead of followed until the
// context's deadline. No real listing comes near either.
const (
	// maxPages is the most pages one listing follows: ten million goals at
	// 100 a page, hundreds of times more than the largest workspaces hold.
	maxPages = 100_000
	// maxEmptyPages is the most pages in a row without an item that a
	// listing follows. Asana can answer an empty page with a next_page
	// (items removed while a listing runs); a run of them this long is a
	// server going round in circles.
	maxEmptyPages = 20
	// maxOffsetBytes is the longest next_page offset a listing follows.
	// Asana's offsets are a few hundred bytes at most; a longer one is a
	// broken or hostile server, and would go into every request's query.
	maxOffsetBytes = 4096
)

// list walks every page of a paginated GET, yielding items as each page
// arrives. It stops at the first error, which it yields once. onPage, when
// not nil, hears of each page after its items were yielded. Each range over
// the sequence works on its own copy of query.
//
// The pages of an urgent listing (the workspace scan, which the rest of a
// sync follows) go ahead of other requests waiting for the client's
// limiter, and each is asked for while the caller still reads the items
// of the one before: the page chain is a sync's critical path.
func list[T any](ctx context.Context, c *Client, path string, query url.Values, urgent bool, onPage func(page, items int)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		listOnce[T](ctx, c, path, cloneValues(query), urgent, onPage)(yield)
	}
}

// listOnce is list for a sequence ranged over once: it sets limit and
// offset in query itself, which the caller made for this listing alone
// (each page's request has returned before the next offset is set).
func listOnce[T any](ctx context.Context, c *Client, path string, q url.Values, urgent bool, onPage func(page, items int)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		cancel := context.CancelFunc(func() {})
		if urgent {
			// The page asked for ahead is cancelled when the caller stops.
			ctx, cancel = context.WithCancel(ctx)
		}
		defer cancel()
		q.Set("limit", pageSizeParam)
		fetch := func(q url.Values) <-chan pageAnswer[T] {
			ch := make(chan pageAnswer[T], 1)
			get := func() {
				var a pageAnswer[T]
				var undecoded []byte
				undecoded, a.err = c.get(ctx, request{shape: shapeList, urgent: urgent}, path, q, &a.page)
				if undecoded != nil {
					// A page that is a list but that did not decode: read
					// it again record by record, so that one record the
					// client cannot read is that record's error alone.
					var raw listResponse[json.RawMessage]
					if json.Unmarshal(undecoded, &raw) == nil {
						a.err = nil
						a.page.NextPage = raw.NextPage
						a.page.Data, a.bad = decodeRecords[T](c, path, raw.Data)
					}
				}
				ch <- a
			}
			if urgent {
				go get()
			} else {
				get()
			}
			return ch
		}
		// The offsets seen, by their hash: a listing of maxPages pages
		// would otherwise keep every offset it followed.
		seen := make(map[[sha256.Size]byte]struct{})
		empty, items := 0, 0
		next := fetch(q)
		for pages := 1; ; pages++ {
			a := <-next
			if a.err != nil {
				yield(zero, a.err)
				return
			}
			page := a.page
			more := page.NextPage != nil && page.NextPage.Offset != ""
			items += len(page.Data)
			if empty = empty + 1; len(page.Data) > 0 {
				empty = 0
			}
			var stop string
			if more {
				switch off := page.NextPage.Offset; {
				case pages >= c.maxPages:
					stop = fmt.Sprintf("still more pages after %d (%d items); no real listing is that long, stopping", pages, items)
				case empty >= maxEmptyPages:
					stop = fmt.Sprintf("%d empty pages in a row, each with another next_page; stopping instead of following the server round in circles", empty)
				case len(off) > maxOffsetBytes:
					stop = fmt.Sprintf("next_page.offset of %d bytes, longer than the %d an offset may be; stopping", len(off), maxOffsetBytes)
				default:
					sum := sha256.Sum256([]byte(off))
					if _, dup := seen[sum]; dup {
						stop = "offset token returned twice; stopping instead of looping forever"
						break
					}
					seen[sum] = struct{}{}
					q.Set("offset", off)
					if urgent {
						next = fetch(q)
					}
				}
			}
			for i, item := range page.Data {
				var err error
				if a.bad != nil && a.bad[i] != nil {
					err = a.bad[i]
				}
				if !yield(item, err) {
					if more && stop == "" && urgent {
						cancel()
						<-next // the page asked for ahead ends with the context
					}
					return
				}
			}
			if onPage != nil {
				onPage(pages, len(page.Data))
			}
			switch {
			case !more:
				return
			case stop != "":
				yield(zero, fmt.Errorf("asana: GET %s: %w: %s", path, ErrMalformedResponse, stop))
				return
			case !urgent:
				next = fetch(q)
			}
		}
	}
}

// pageAnswer is one page of a listing, or why it could not be had: its
// records, each decoded or, in bad, why it could not be.
type pageAnswer[T any] struct {
	page listResponse[T]
	bad  []*RecordError // nil, or one entry per record: nil for those read
	err  error
}

// decodeRecords decodes a page's records one by one, so that one record the
// client cannot read (a date that is no date, a number sent as a string)
// is that record's error, not the page's.
func decodeRecords[T any](c *Client, path string, raw []json.RawMessage) (items []T, bad []*RecordError) {
	items = make([]T, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &items[i]); err != nil {
			if bad == nil {
				bad = make([]*RecordError, len(raw))
			}
			var id struct {
				GID string `json:"gid"`
			}
			_ = json.Unmarshal(r, &id) // the GID when it reads as one
			bad[i] = &RecordError{Path: path, GID: c.redact.string(id.GID), Err: errors.New(c.redact.string(err.Error()))}
		}
	}
	return items, bad
}

// RecordError is one record of a listing the client could not read: a
// field of the wrong type, a date that is no date. A listing yields it in
// that record's place, with the record's GID when it had one, and goes on
// with the next record: the caller decides whether one unreadable record
// spoils the whole list (errors.Is(err, ErrMalformedResponse) holds).
type RecordError struct {
	Path string // the listing's endpoint, e.g. /goals
	GID  string // the record's GID, "" when it had none
	Err  error
}

func (e *RecordError) Error() string {
	if e.GID == "" {
		return fmt.Sprintf("asana: GET %s: a record without a GID cannot be read: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("asana: GET %s: record %s cannot be read: %v", e.Path, e.GID, e.Err)
}

// Unwrap lets errors.Is match ErrMalformedResponse and the decoding error.
func (e *RecordError) Unwrap() []error { return []error{ErrMalformedResponse, e.Err} }

// collect gathers a paginated list into a slice.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for item, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, item)
	}
	return out, nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+2)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// ListGoalsOptions selects the goals [Client.Goals] lists.
type ListGoalsOptions struct {
	// Workspace is the workspace GID. Required: Asana refuses to list goals
	// without a workspace, team, project or portfolio, and this library
	// always scans a whole workspace.
	Workspace string
	// TimePeriods optionally restricts the list to goals of these time
	// period GIDs.
	TimePeriods []string
	// OnPage, when set, is called after each page's goals were yielded,
	// with the page's number (from 1) and how many goals it
	// holds. Empty pages are counted too, so a caller can show that a long
	// scan is moving.
	OnPage func(page, items int)
	// OmitNotes leaves html_notes (the description) out of opt_fields, so
	// Asana never sends it: for hosts that keep no descriptions.
	OmitNotes bool
	// FirstOnly asks for one goal, with its gid and name only
	// (limit=1&opt_fields=name; Asana sends the gid whatever opt_fields
	// says, and getGoals' listed opt_fields do not name it, so a server
	// that enforces the list would refuse opt_fields=gid), and reads that
	// one page: the cheapest proof that the token's user can list the
	// workspace's goals. The sequence yields that goal, if there is one,
	// and ends; OnPage is not called.
	FirstOnly bool
}

// Goals lists the goals of a workspace, every page of them, in Asana's
// order, with every field the library reads (html_notes left out with
// opts.OmitNotes). Pages are fetched as the caller ranges over the
// sequence, one page ahead (the next page is asked for while the caller
// reads the current one); stopping the range stops the scan and cancels
// the page asked for ahead. An error ends
// the sequence, except a *[RecordError]: one goal the client could not read,
// in its place, after which the sequence goes on.
func (c *Client) Goals(ctx context.Context, opts ListGoalsOptions) iter.Seq2[Goal, error] {
	if strings.TrimSpace(opts.Workspace) == "" {
		return func(yield func(Goal, error) bool) {
			yield(Goal{}, errors.New("asana: Goals: ListGoalsOptions.Workspace is required"))
		}
	}
	fields := goalFields
	if opts.OmitNotes {
		fields = goalFieldsNoNotes
	}
	if opts.FirstOnly {
		fields = "name"
	}
	q := url.Values{"workspace": {opts.Workspace}, "opt_fields": {fields}}
	if len(opts.TimePeriods) > 0 {
		q.Set("time_periods", strings.Join(opts.TimePeriods, ","))
	}
	if opts.FirstOnly {
		return c.firstGoal(ctx, q)
	}
	return list[Goal](ctx, c, "/goals", q, true, opts.OnPage)
}

// firstGoal asks for the first goal of a listing (limit=1) and yields it,
// if the page holds one: one request, whatever the page's next_page says.
func (c *Client) firstGoal(ctx context.Context, q url.Values) iter.Seq2[Goal, error] {
	return func(yield func(Goal, error) bool) {
		q.Set("limit", "1")
		var page listResponse[Goal]
		if _, err := c.get(ctx, request{shape: shapeList}, "/goals", q, &page); err != nil {
			yield(Goal{}, err)
			return
		}
		if len(page.Data) > 0 {
			yield(page.Data[0], nil)
		}
	}
}

// Goal fetches one goal by GID (GET /goals/{gid}).
func (c *Client) Goal(ctx context.Context, gid string) (Goal, error) {
	return c.goal(ctx, "Goal", gid, goalFields)
}

// GoalSummary fetches one goal by GID (GET /goals/{gid}) with every field
// of [Client.Goal] but html_notes: what a Key Result needs, since it has no
// description. Its HTMLNotes is always "".
func (c *Client) GoalSummary(ctx context.Context, gid string) (Goal, error) {
	return c.goal(ctx, "GoalSummary", gid, goalFieldsNoNotes)
}

func (c *Client) goal(ctx context.Context, method, gid, fields string) (Goal, error) {
	if err := checkGID(method, gid); err != nil {
		return Goal{}, err
	}
	var resp itemResponse[Goal]
	_, err := c.get(ctx, request{shape: shapeItem}, "/goals/"+gid, url.Values{"opt_fields": {fields}}, &resp)
	return resp.Data, err
}

// Subgoals lists a goal's sub-goals through GET /goals/{gid}/subgoals, the
// path the product spec names. Asana has retired it from its public API; a
// 404 there (errors.Is(err, ErrNotFound)) means the path, not necessarily
// the goal, is gone: see [Client.GoalRelationships].
//
// Sub-goals come with the fields of [Client.GoalSummary]: a sub-goal is
// read as a Key Result, which has no description, so html_notes (often the
// bulk of a goal's bytes) is not asked for and HTMLNotes is "".
func (c *Client) Subgoals(ctx context.Context, gid string) ([]Goal, error) {
	if err := checkGID("Subgoals", gid); err != nil {
		return nil, err
	}
	return collect(listOnce[Goal](ctx, c, "/goals/"+gid+"/subgoals",
		url.Values{"opt_fields": {goalFieldsNoNotes}}, false, nil))
}

// GoalRelationships lists the relationships of a supported goal, filtered to
// one subtype (SubtypeSubgoal, or Asana's "supporting_work") unless subtype
// is "".
// It is the documented way to find sub-goals today
// (GET /goal_relationships?supported_goal=…&resource_subtype=subgoal).
func (c *Client) GoalRelationships(ctx context.Context, supportedGoalGID, subtype string) ([]GoalRelationship, error) {
	if err := checkGID("GoalRelationships", supportedGoalGID); err != nil {
		return nil, err
	}
	q := url.Values{
		"supported_goal": {supportedGoalGID},
		"opt_fields":     {relationshipFields},
	}
	if subtype != "" {
		q.Set("resource_subtype", subtype)
	}
	return collect(listOnce[GoalRelationship](ctx, c, "/goal_relationships", q, false, nil))
}

// Me returns the user the token belongs to (GET /users/me): the cheapest
// check that a token works.
func (c *Client) Me(ctx context.Context) (User, error) {
	var resp itemResponse[User]
	_, err := c.get(ctx, request{shape: shapeItem}, "/users/me", url.Values{"opt_fields": {"name,email"}}, &resp)
	return resp.Data, err
}

// WorkspaceUsers lists the users of a workspace with their names and
// e-mail addresses (GET /users?workspace=…), every page of them.
func (c *Client) WorkspaceUsers(ctx context.Context, workspaceGID string) iter.Seq2[User, error] {
	if err := checkGID("WorkspaceUsers", workspaceGID); err != nil {
		return func(yield func(User, error) bool) { yield(User{}, err) }
	}
	return list[User](ctx, c, "/users", url.Values{"workspace": {workspaceGID}, "opt_fields": {"name,email"}}, false, nil)
}

// Workspaces lists the workspaces (and organizations) the token's user can
// see (GET /workspaces), every page of them, in Asana's order, each with its
// GID and name (opt_fields=name). Pages are fetched as the caller ranges
// over the sequence; stopping the range stops the listing. An error ends the
// sequence, except a *[RecordError] (errors.Is(err, ErrMalformedResponse)
// holds): one record the client could not read, or one whose gid is not an
// Asana GID ([IsGID]), yielded in its place with a zero Workspace, after
// which the sequence goes on. Every Workspace yielded without an error has a
// valid GID.
func (c *Client) Workspaces(ctx context.Context) iter.Seq2[Workspace, error] {
	const path = "/workspaces"
	items := list[Workspace](ctx, c, path, url.Values{"opt_fields": {"name"}}, false, nil)
	return func(yield func(Workspace, error) bool) {
		for w, err := range items {
			if err == nil && !IsGID(w.GID) {
				w, err = Workspace{}, &RecordError{Path: path, Err: notAGID(c, w.GID)}
			} else if err != nil {
				w = Workspace{}
			}
			if !yield(w, err) {
				return
			}
		}
	}
}

// notAGID is why a record's gid is unusable: missing, or not written as a
// GID (quoted, cut short, the token redacted).
func notAGID(c *Client, gid string) error {
	if gid == "" {
		return errors.New("no gid")
	}
	if gid = c.redact.string(gid); len(gid) > 40 {
		gid = gid[:40] + "…"
	}
	return fmt.Errorf("gid %s is not an Asana GID (1 to %d digits)", strconv.Quote(gid), MaxGIDDigits)
}

func checkGID(method, gid string) error {
	if !IsGID(gid) {
		if len(gid) > 40 {
			gid = gid[:40] + "…"
		}
		return fmt.Errorf("asana: %s: %q is not an Asana GID (1 to %d digits)", method, gid, MaxGIDDigits)
	}
	return nil
}

// MaxGIDDigits is the most digits IsGID accepts: Asana's GIDs are numbers
// of 16 digits or so, written as strings; twice that leaves room to grow.
const MaxGIDDigits = 32

// IsGID reports whether s is written as an Asana GID: 1 to MaxGIDDigits
// ASCII digits. A GID goes into request paths as it is, so the client
// refuses anything else before a request is made (no path of a GID with a
// '/' or a space, escaped or not, ever reaches Asana).
func IsGID(s string) bool {
	if s == "" || len(s) > MaxGIDDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
