package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/sqlstore"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/internal/textline"
	"github.com/perfcopilot/asanagoals/prompt"
)

// tokenEnv is the only place the access token is read from.
const tokenEnv = "ASANA_TOKEN"

const (
	defaultTimeout = 30 * time.Minute
	userAgent      = "asanagoals-goalsync (+https://github.com/perfcopilot/asanagoals)"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func main() {
	// SIGHUP too: a closed terminal or a supervisor's hang-up stops the
	// sync like an interrupt, with its report and error line, instead of
	// killing the process without a word.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	routeStdLog(os.Stderr, os.Getenv(tokenEnv))
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the parsed flags.
type options struct {
	demo          bool
	baseURL       string
	workspace     string
	employeesFile string
	rate          int
	format        string
	timeout       time.Duration
	maxWait       time.Duration
	progress      bool
	check         bool
	suggest       bool
	db            string
	dbSet         bool    // -db given, even empty
	confirm       bool    // -confirm-removals
	threshold     float64 // -removal-threshold
	periodText    string  // -period as given
	period        prompt.Period
	noNotes       bool     // -no-descriptions
	asanaEnable   []string // -asana-enable, names split at commas
	asanaDisable  []string // -asana-disable
	serve         string   // -serve ADDR
}

// cli is one invocation: its options and where it writes.
type cli struct {
	opts   options
	stdout io.Writer
	stderr io.Writer
	token  string // redacted from every error line, should one ever hold it
	getenv func(string) string
	hooks  hooks
}

// hooks are what tests change about the command's surroundings.
type hooks struct {
	// clientOpts are added to the Asana client's options (tests shorten
	// retry waits).
	clientOpts []asana.Option
	// isTerminal says whether a writer is a terminal; nil means isTerminal.
	isTerminal func(io.Writer) bool
	// employeeFile, when set, is called as the employee file is read: with
	// "opening" once its open has started, "reading" once it is open.
	employeeFile func(stage string)
	// progressEvery is how often progress to a file or pipe prints at most;
	// 0 means defaultProgressEvery.
	progressEvery time.Duration
}

// run is the whole command: it parses args, reads the token through getenv,
// writes the output to stdout and errors to stderr, and returns the exit
// code. Its steps return errors that carry the exit code (exitError); exit
// prints them and returns the code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, getenv, stdout, stderr, hooks{})
}

// runWith is run with test hooks.
func runWith(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, h hooks) int {
	token := strings.TrimSpace(getenv(tokenEnv))
	if h.isTerminal == nil {
		h.isTerminal = isTerminal
	}
	c := &cli{stdout: stdout, stderr: stderr, token: token, getenv: getenv, hooks: h}
	return c.exit(c.run(ctx, args))
}

// run runs the command; exit prints what its error says.
func (c *cli) run(ctx context.Context, args []string) error {
	if err := c.parseFlags(args); err != nil {
		return err
	}
	if c.opts.serve != "" {
		return c.runServe(ctx)
	}
	if c.opts.demo || (len(args) == 0 && c.token == "") {
		return c.runDemo(ctx)
	}
	return c.runReal(ctx)
}

// parseFlags fills c.opts. It returns flag.ErrHelp once it printed the
// help, and a usage error for flags the command cannot run with.
func (c *cli) parseFlags(args []string) error {
	o := &c.opts
	fs := o.flagSet()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(c.stdout, fs)
			return err
		}
		msg := err.Error()
		if strings.HasPrefix(msg, "flag provided but not defined: -token") ||
			strings.HasPrefix(msg, "flag provided but not defined: -asana-token") {
			msg += "; the token is read from the environment variable " + tokenEnv + " only"
		}
		return usageError("%s (goalsync -h for help)", msg)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q: goalsync takes flags only (goalsync -h for help)", textline.Clip(fs.Arg(0)))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o.dbSet = set["db"]
	period, periodErr := prompt.ParsePeriod(o.periodText)
	o.period = period
	switch {
	case periodErr != nil:
		return usageError("-period: %s (e.g. -period 2026-01-01..2026-06-30; either end may be left out)",
			strings.TrimPrefix(periodErr.Error(), "goals: "))
	case (o.check || o.suggest) && !o.period.IsZero(), o.suggest && o.noNotes:
		// -check takes -no-descriptions: the goal it reads comes without
		// its description anyway.
		return usageError("-period and -no-descriptions are for a sync; -check and -suggest sync no goals (-check takes -no-descriptions)")
	case o.format != "text" && o.format != "json":
		return usageError("-format must be text or json, not %q", textline.Clip(o.format))
	case o.rate <= 0:
		return usageError("-rate must be a positive number of requests per minute (Asana allows %d on paid plans, %d on free ones), not %d",
			asana.PaidRequestsPerMinute, asana.FreeRequestsPerMinute, o.rate)
	case o.maxWait <= 0:
		return usageError("-max-wait must be positive, not %s", o.maxWait)
	case o.timeout < 0:
		return usageError("-timeout must not be negative (0 for no limit), not %s", o.timeout)
	case o.demo && (set["base-url"] || set["workspace"] || set["employees"] || o.check || o.suggest):
		return usageError("-demo runs the built-in fake workspace; it cannot be combined with -base-url, -workspace, -employees, -check or -suggest")
	case set["serve"] && (o.check || o.suggest || set["format"] || set["period"] || set["workspace"] || o.confirm ||
		set["removal-threshold"] || set["progress"]):
		return usageError("-serve serves the admin pages, where the workspace, the sync and its confirmations are chosen; " +
			"it takes -db, -employees, -base-url, -no-descriptions and -max-wait only")
	case set["serve"] && o.demo && (set["db"] || set["employees"] || set["base-url"]):
		return usageError("-serve -demo serves the built-in demo on scratch files; it cannot be combined with -db, -employees or -base-url")
	case set["serve"] && !o.demo && set["employees"] != set["db"]:
		return usageError("-serve needs -db and -employees together (or neither, for the demo)")
	case o.check && o.suggest:
		return usageError("-check and -suggest are separate steps; give one of them")
	case (o.check || o.suggest) && (set["db"] || o.confirm || set["removal-threshold"]):
		return usageError("-db, -confirm-removals and -removal-threshold are for a sync; -check and -suggest write nothing")
	case !(o.threshold > 0 && o.threshold <= 1): // NaN too
		return usageError("-removal-threshold must be a share above 0 and at most 1 (default %.2f; 1 turns the guard off), not %v",
			goals.DefaultRemovalThreshold, o.threshold)
	case o.demo && isPostgresURL(o.db):
		return usageError("-demo with -db takes a SQLite file only: the demo's made-up goals do not belong in a shared PostgreSQL database")
	case set["asana-enable"] && len(o.asanaEnable) == 0, set["asana-disable"] && len(o.asanaDisable) == 0:
		return usageError("-asana-enable and -asana-disable take the names of Asana changes, NAME[,NAME] (the name= of an Asana-Change header)")
	}
	// The client would refuse them too, but only once the employee file
	// is read and the database opened.
	return checkChangeNames(o.asanaEnable, o.asanaDisable)
}

// checkChangeNames checks the names of -asana-enable and -asana-disable.
func checkChangeNames(enable, disable []string) error {
	for _, f := range []struct {
		name  string
		names []string
	}{{"-asana-enable", enable}, {"-asana-disable", disable}} {
		for _, n := range f.names {
			if err := asana.CheckChangeName(n); err != nil {
				return usageError("%s: %s", f.name, strings.TrimPrefix(err.Error(), "asana: "))
			}
		}
	}
	for _, n := range enable {
		if slices.Contains(disable, n) {
			return usageError("-asana-enable / -asana-disable: change %q is both enabled and disabled", n)
		}
	}
	return nil
}

// changeNames returns a flag.Func that adds the comma-separated names of a
// flag's value to names; the flag may be given more than once.
func changeNames(names *[]string) func(string) error {
	return func(v string) error {
		for n := range strings.SplitSeq(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				*names = append(*names, n)
			}
		}
		return nil
	}
}

// changeOptions are the client options of -asana-enable and -asana-disable.
func (c *cli) changeOptions() []asana.Option {
	var opts []asana.Option
	if len(c.opts.asanaEnable) > 0 {
		opts = append(opts, asana.WithAsanaEnable(c.opts.asanaEnable...))
	}
	if len(c.opts.asanaDisable) > 0 {
		opts = append(opts, asana.WithAsanaDisable(c.opts.asanaDisable...))
	}
	return opts
}

// runReal syncs a real Asana (or whatever -base-url points at).
func (c *cli) runReal(ctx context.Context) error {
	cfg := goals.Config{WorkspaceGID: c.opts.workspace}
	if err := cfg.Validate(); err != nil {
		return usageError("%w (set it with -workspace GID; run with -demo for the built-in demo)", err)
	}
	if c.token == "" {
		return usageError("%s is not set: a real run reads the Asana Personal Access Token from the environment variable %s only "+
			"(Asana: Profile > My Settings > Apps > Developer Apps > New Access Token); run with -demo for the built-in demo",
			tokenEnv, tokenEnv)
	}
	if c.opts.check {
		return c.runCheck(ctx)
	}
	if c.opts.employeesFile == "" {
		return usageError("-employees FILE is required for a real run: a CSV or JSON file of employee_id,asana_user_gid (goalsync -h for the format)")
	}
	list, err := loadEmployees(ctx, c.opts.employeesFile, c.hooks.employeeFile)
	if errors.Is(err, errEmployeesInterrupted) {
		return failure("%w; nothing was requested from Asana", err)
	}
	if err != nil {
		return usageError("%w", err)
	}
	client, err := c.newClient(c.token, c.opts.baseURL)
	if err != nil {
		return usageError("%w", err)
	}
	defer client.CloseIdleConnections()
	if c.opts.suggest {
		return c.suggestMappings(ctx, client, list)
	}
	return c.syncInto(ctx, client, c.syncConfig(cfg), list, "")
}

// syncInto opens the store (-db, or memory) within -timeout and syncs into
// it.
func (c *cli) syncInto(ctx context.Context, client *asana.Client, cfg goals.Config, list *employeeList, note string) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	ids := make([]string, len(list.employees))
	for i, e := range list.employees {
		ids[i] = e.ID
	}
	store, closeStore, err := c.openStore(ctx, syncOf{workspaceGID: cfg.WorkspaceGID, employeeIDs: ids, demo: c.opts.demo})
	if err != nil {
		return err
	}
	defer closeStore()
	return c.sync(ctx, client, cfg, store, list, note)
}

// syncConfig adds the removal flags and -no-descriptions to cfg.
func (c *cli) syncConfig(cfg goals.Config) goals.Config {
	cfg.RemovalThreshold = c.opts.threshold
	cfg.ConfirmRemovals = c.opts.confirm
	cfg.OmitDescriptions = c.opts.noNotes
	cfg.Period = c.opts.period
	return cfg
}

// openStore opens the store sync writes to: the -db database, or a new
// memory store. Nothing was requested from Asana when it fails.
func (c *cli) openStore(ctx context.Context, sync syncOf) (store goals.Store, closeStore func(), err error) {
	if !c.opts.dbSet {
		return goals.NewMemoryStore(), func() {}, nil
	}
	target, err := parseDB(c.opts.db)
	if err == nil && target.dialect == sqlstore.SQLite {
		err = checkSQLitePath(c.opts.db)
	}
	if err != nil {
		return nil, nil, usageError("%w", err)
	}
	store, closeStore, err = openStore(ctx, target, sync)
	switch {
	case err != nil && (ctx.Err() != nil || sqlstore.IsLockWait(err)):
		// Not the database's configuration: time, a signal or another
		// session's lock stopped it.
		note := c.stopNote(ctx)
		if sqlstore.IsLockWait(err) && !strings.Contains(err.Error(), "another session holds") {
			note += "; " + lockWaitNote
		}
		return nil, nil, failure("%w%s; nothing was requested from Asana", err, note)
	case err != nil:
		return nil, nil, usageError("%w; nothing was requested from Asana", err)
	}
	return store, closeStore, nil
}

// runCheck checks the token and the workspace, the spec's Connecting steps.
func (c *cli) runCheck(ctx context.Context) error {
	client, err := c.newClient(c.token, c.opts.baseURL)
	if err != nil {
		return usageError("%w", err)
	}
	defer client.CloseIdleConnections()
	conn, err := goals.CheckConnection(ctx, client, c.opts.workspace)
	if err != nil {
		return failure("check failed: %w", err)
	}
	if c.opts.format == "json" {
		return c.printJSON(checkOutput{OK: true, WorkspaceGID: c.opts.workspace,
			User: checkUser{GID: conn.User.GID, Name: conn.User.Name}, GoalsVisible: conn.GoalsVisible})
	}
	seen := "no goal is visible yet (an empty workspace, or goals the token's user cannot see)"
	if conn.GoalsVisible {
		seen = "its goals are readable"
	}
	fmt.Fprintf(c.stdout, "OK: the token belongs to %s (Asana user %s); workspace %s: %s.\n",
		textline.OneLine(conn.User.Name), textline.OneLine(conn.User.GID), c.opts.workspace, seen)
	return nil
}

// checkOutput is what -check -format json prints once the check passed.
// The keys are a documented contract (goalsync -h).
type checkOutput struct {
	OK           bool      `json:"ok"`
	WorkspaceGID string    `json:"workspace_gid"`
	User         checkUser `json:"user"`
	GoalsVisible bool      `json:"goals_visible"`
}

// checkUser is the token's user, as -check shows it.
type checkUser struct {
	GID  string `json:"gid"`
	Name string `json:"name"`
}

// printJSON prints v as indented JSON, with invisible characters escaped.
func (c *cli) printJSON(v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return failure("cannot write the json output: %w", err)
	}
	if _, err := fmt.Fprintf(c.stdout, "%s\n", escapeInvisible(out)); err != nil {
		return failure("cannot write the output: %w", err)
	}
	return nil
}

// suggestMappings prints proposed Asana users for unmapped employees.
func (c *cli) suggestMappings(ctx context.Context, client *asana.Client, list *employeeList) error {
	sugg, err := goals.SuggestMappings(ctx, client, c.opts.workspace, list.employees)
	var ce *goals.GoalsConfigError
	switch {
	case errors.As(err, &ce):
		return usageError("%w", err)
	case err != nil:
		return failure("suggest failed: %w", err)
	}
	if c.opts.format == "json" {
		if sugg == nil {
			sugg = []goals.Suggestion{}
		}
		return c.printJSON(sugg)
	}
	w := csv.NewWriter(c.stdout)
	_ = w.Write([]string{"employee_id", "asana_user_gid", "asana_name", "matched_by"})
	for _, s := range sugg {
		_ = w.Write(csvCells(s.EmployeeID, s.AsanaUserGID, textline.OneLine(s.AsanaName), string(s.By)))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return failure("cannot write the output: %w", err)
	}
	return nil
}

// csvCells returns cells for a CSV file an admin opens in a spreadsheet:
// a cell that begins with '=', '+', '-', '@', a tab or a carriage return
// would be read as a formula (an Asana user can name themself
// =HYPERLINK(…)), so it gets a leading single quote, which spreadsheets
// show as text (OWASP's guidance on CSV injection).
func csvCells(cells ...string) []string {
	out := make([]string, len(cells))
	for i, cell := range cells {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			cell = "'" + cell
		}
		out[i] = cell
	}
	return out
}

// runDemo serves the demo workspace on loopback and syncs it.
func (c *cli) runDemo(ctx context.Context) error {
	ws := asanafake.DemoWorkspace()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return failure("cannot start the demo's fake Asana server: %w", err)
	}
	hs := &http.Server{
		Handler:           asanafake.NewServer(ws, asanafake.DemoOptions()),
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			hs.Close()
		}
		<-served
	}()

	client, err := c.newClient(asanafake.DemoToken, "http://"+ln.Addr().String())
	if err != nil {
		return failure("%w", err)
	}
	defer client.CloseIdleConnections()
	list := demoEmployees()
	note := fmt.Sprintf("Demo: the built-in fake Asana workspace %q, served on 127.0.0.1, with %d employees.\n"+
		"For a real workspace: ASANA_TOKEN=… goalsync -workspace GID -employees FILE (goalsync -h).\n\n",
		ws.Name, len(list.employees))
	return c.syncInto(ctx, client, c.syncConfig(goals.Config{WorkspaceGID: ws.GID}), list, note)
}

// demoEmployees returns the demo company's employees.
func demoEmployees() *employeeList {
	list := &employeeList{}
	for _, e := range asanafake.DemoEmployees() {
		list.employees = append(list.employees, goals.Employee{ID: e.ID, AsanaUserGID: e.AsanaUserGID, Name: e.Name, Email: e.Email})
		list.where = append(list.where, "demo employee "+e.ID)
	}
	return list
}

// newClient builds the Asana client, on the client's own pooled transport;
// the caller closes its idle connections when done.
func (c *cli) newClient(token, baseURL string) (*asana.Client, error) {
	opts := []asana.Option{
		asana.WithBaseURL(baseURL),
		asana.WithRequestsPerMinute(c.opts.rate),
		asana.WithMaxWait(c.opts.maxWait),
		asana.WithUserAgent(userAgent),
	}
	opts = append(opts, c.changeOptions()...)
	return asana.NewClient(token, append(opts, c.hooks.clientOpts...)...)
}

// errTimeout is the cause of a sync stopped by -timeout.
var errTimeout = errors.New("timeout")

// sync runs one sync and prints its output; its error says whether the
// sync failed (exit 1) or left employees or removals undone (exit 3). note,
// when not empty, opens the text output.
func (c *cli) sync(ctx context.Context, client *asana.Client, cfg goals.Config, store goals.Store, list *employeeList, note string) error {
	watch := &lockWatch{Store: store}
	report, err := c.runIngester(ctx, client, cfg, watch, list)
	var ce *goals.GoalsConfigError
	if errors.As(err, &ce) {
		return usageError("%s%w", list.locate(ce), err)
	}
	// After a signal no new wait on the database starts: the output is the
	// report alone, from memory, and says the stored goals were not read
	// back (a locked table would hold the read-back for its whole bound).
	interrupted := ctx.Err() != nil && !errors.Is(context.Cause(ctx), errTimeout)
	var unread []unreadGoals
	if report != nil {
		var werr error
		if unread, werr = c.printReport(ctx, report, err, watch, list, note, interrupted); werr != nil {
			return werr
		}
	}
	if err != nil {
		return c.syncFailed(ctx, err, interrupted && report != nil, unread, watch)
	}
	return c.syncOutcome(ctx, report, interrupted, unread, watch)
}

// runIngester runs the ingester's Sync into store, with progress on stderr
// when -progress asks for it or stderr is a terminal.
func (c *cli) runIngester(ctx context.Context, client *asana.Client, cfg goals.Config, store goals.Store, list *employeeList) (*goals.Report, error) {
	var prog *progress
	if tty := c.hooks.isTerminal(c.stderr); c.opts.progress || tty {
		prog = newProgress(c.stderr, client.Stats, tty, c.hooks.progressEvery)
		cfg.OnProgress = prog.update
	}
	report, err := goals.NewIngester(client, store, cfg).Sync(ctx, list.employees)
	prog.finish()
	return report, err
}

// printReport writes the output of a sync that produced a report, then
// the warnings and notices of stderr. The output shows what is stored even
// when the sync failed or ran out of time: the read-back then gets a short
// time of its own, and an employee whose goals cannot be read back is a
// line of it; after an interrupt nothing is read back. It returns those
// employees, or an error when the output could not be made, or written
// after a sync that did not fail.
func (c *cli) printReport(ctx context.Context, report *goals.Report, syncErr error, watch *lockWatch, list *employeeList, note string, interrupted bool) ([]unreadGoals, error) {
	v := view{note: note, period: c.opts.period}
	if interrupted {
		v.notReadBack = "the command was interrupted"
	}
	rctx, cancel := readBackContext(ctx, syncErr != nil || len(report.Failed()) > 0)
	out, unread, err := render(rctx, c.opts.format, report, watch, list, v)
	cancel()
	if err != nil {
		return nil, failure("cannot write the %s output: %w%s%s", c.opts.format, err, c.stopNote(ctx), watch.note())
	}
	if _, err := c.stdout.Write(out); err != nil && syncErr == nil {
		return unread, failure("cannot write the output: %w", err)
	}
	c.warnChanges(report.AsanaChanges)
	c.noticeStatusSource(report)
	return unread, nil
}

// syncFailed is the error of a sync that failed outright (exit 1): why,
// whether the -timeout or an interrupt ended it, what the output lacks
// (notReadBack: nothing was read back after an interrupt), and any wait
// on a lock.
func (c *cli) syncFailed(ctx context.Context, err error, notReadBack bool, unread []unreadGoals, watch *lockWatch) error {
	msg := err.Error()
	switch {
	case errors.Is(context.Cause(ctx), errTimeout):
		msg += fmt.Sprintf(" (the -timeout of %s ran out)", c.opts.timeout)
	case errors.Is(err, context.Canceled):
		msg += " (interrupted)"
	}
	switch {
	case notReadBack:
		msg += "; " + notReadBackLine
	case len(unread) > 0:
		msg += "; " + unreadLine(unread)
	}
	return failure("sync failed: %s%s", msg, watch.note())
}

// syncOutcome is the verdict on a sync that ran to its end: nil when all
// is done; a failure (exit 1) when the output does not show what is
// stored, or when the database gave up a write on a lock; else a partial
// sync (exit 3) when employees or removals were left undone.
func (c *cli) syncOutcome(ctx context.Context, report *goals.Report, interrupted bool, unread []unreadGoals, watch *lockWatch) error {
	undone := c.undoneWork(report)
	if interrupted || len(unread) > 0 {
		// The output does not show what is stored: not a partial sync.
		line := unreadLine(unread)
		if interrupted {
			line = notReadBackLine
		}
		undone = append(undone, errors.New(line+c.stopNote(ctx)))
		return failure("%s%s", joinErrors(undone), watch.note())
	}
	if watch.waited.Load() {
		// Not a partial sync: nothing will get through until the lock goes.
		msg := "the database did not take every write"
		if len(undone) > 0 {
			msg = joinErrors(undone)
		}
		return failure("sync failed: %s%s", msg, watch.note())
	}
	if len(undone) > 0 {
		return partial(undone...)
	}
	return nil
}

// undoneWork lists what a sync that ran to its end left undone: the
// employees not fully synced (the first ten named) and the removals the
// mass-removal guard held back.
func (c *cli) undoneWork(report *goals.Report) []error {
	var undone []error
	if failed := report.Failed(); len(failed) > 0 {
		undone = append(undone, fmt.Errorf("%d of %d employees not fully synced (%s); the report says why",
			len(failed), len(report.Employees), strings.Join(firstIDs(failed, 10), ", ")))
	}
	if report.RemovalsHeld > 0 {
		undone = append(undone, fmt.Errorf("%s; if they did leave Asana (not only the token's view of them), run again with -confirm-removals",
			removalsHeldLine(report.RemovalsHeld, c.opts.threshold)))
	}
	return undone
}

// firstIDs returns the IDs of the first shown employees, and "and N more"
// for the others.
func firstIDs(emps []goals.EmployeeReport, shown int) []string {
	var ids []string
	for _, e := range emps[:min(len(emps), shown)] {
		ids = append(ids, e.EmployeeID)
	}
	if len(emps) > shown {
		ids = append(ids, fmt.Sprintf("and %d more", len(emps)-shown))
	}
	return ids
}

// joinErrors is errs on one line, separated by "; ".
func joinErrors(errs []error) string {
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// notReadBackLine says that the output lacks the stored goals because a
// signal came before they were read back.
const notReadBackLine = "the stored goals were not read back: after an interrupt no new wait on the database starts"

// unreadLine says whose stored goals the output lacks, and why.
func unreadLine(unread []unreadGoals) string {
	const shown = 10
	var ids []string
	for _, u := range unread[:min(len(unread), shown)] {
		ids = append(ids, u.EmployeeID)
	}
	if len(unread) > shown {
		ids = append(ids, fmt.Sprintf("and %d more", len(unread)-shown))
	}
	return fmt.Sprintf("the output lacks the stored goals of %s (%s): reading them back failed: %s",
		plural(len(unread), "employee"), strings.Join(ids, ", "), unread[0].Error)
}

// withTimeout returns ctx bounded by -timeout, whose cause is errTimeout
// when it runs out. Every step after the employee file runs under it:
// opening and migrating the database, the sync, and the read-back.
func (c *cli) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.opts.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, c.opts.timeout, errTimeout)
}

// stopNote says why ctx ended, "" when it has not.
func (c *cli) stopNote(ctx context.Context) string {
	switch {
	case ctx.Err() == nil:
		return ""
	case errors.Is(context.Cause(ctx), errTimeout):
		return fmt.Sprintf(" (the -timeout of %s ran out)", c.opts.timeout)
	}
	return " (interrupted)"
}

// readBackTimeout bounds the read-back of the output after a failed sync,
// or one stopped by -timeout. After a signal there is no read-back.
const readBackTimeout = 5 * time.Second

// readBackContext is the context the output is read back under. After a
// sync that went well, it is ctx. After a failure it is readBackTimeout of
// its own, so that the output still shows what is stored when the sync
// failed or ran out of time, and a database that does not answer (a
// locked table) still cannot hold the command; while ctx has not ended,
// its end (the -timeout, a signal) ends the read-back too. (After a
// signal, sync reads nothing back.)
func readBackContext(ctx context.Context, failed bool) (context.Context, context.CancelFunc) {
	if !failed && ctx.Err() == nil {
		return ctx, func() {}
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackTimeout)
	if ctx.Err() != nil {
		return rctx, cancel
	}
	stop := context.AfterFunc(ctx, cancel)
	return rctx, func() {
		stop()
		cancel()
	}
}

// lockWaitNote says that the database waited on another session's lock.
const lockWaitNote = "the database was waiting on a lock another session holds on the goals tables " +
	"(a long transaction, or LOCK TABLE); run again once it ends"

// lockWatch is the store of a sync, noting whether the database gave up
// waiting on a lock (sqlstore.IsLockWait).
type lockWatch struct {
	goals.Store
	waited atomic.Bool
}

func (l *lockWatch) WriteGoals(ctx context.Context, w goals.Write) error {
	err := l.Store.WriteGoals(ctx, w)
	l.see(err)
	return err
}

func (l *lockWatch) Goals(ctx context.Context, employeeID string) ([]goals.Goal, error) {
	gs, err := l.Store.Goals(ctx, employeeID)
	l.see(err)
	return gs, err
}

func (l *lockWatch) see(err error) {
	if err != nil && sqlstore.IsLockWait(err) {
		l.waited.Store(true)
	}
}

// note is "; " and lockWaitNote when the database waited on a lock, else "".
func (l *lockWatch) note() string {
	if !l.waited.Load() {
		return ""
	}
	return "; " + lockWaitNote
}

// removalsHeldLine says that a sync held n removals back.
func removalsHeldLine(n int, threshold float64) string {
	return fmt.Sprintf("removals held back: this sync would remove %s that Asana no longer lists, more than %.0f%% of those stored "+
		"(-removal-threshold %v), so it removed nothing", plural(n, "stored goal"), threshold*100, threshold)
}

// warnChanges says on stderr, a line each, which breaking changes Asana
// announced: a nightly job's log is often all anyone reads, and a change
// Asana announces is one the sync may soon break on. The exit code stays.
func (c *cli) warnChanges(changes []asana.Change) {
	for _, ch := range changes {
		affected := ""
		if ch.Affected {
			affected = ", and it affects this sync's requests"
		}
		link := ""
		if ch.Info != "" {
			link = " (" + ch.Info + ")"
		}
		c.errorf("warning: Asana announces the breaking change %s%s%s; opt in or out with -asana-enable / -asana-disable %s",
			ch.Name, link, affected, ch.Name)
	}
}

// noticeStatusSource says on stderr, in one line, that Asana refused the
// status update's status_type, so that every status of the sync came from
// the goal's own status field. The exit status stays.
func (c *cli) noticeStatusSource(r *goals.Report) {
	if r.StatusSource == goals.StatusFromGoal {
		c.errorf("notice: %s", r.StatusSourceNote)
	}
}

// locate returns "where: " for a configuration error about one employee of
// the list, or "".
func (l *employeeList) locate(ce *goals.GoalsConfigError) string {
	i, ok := ce.Employee()
	if !ok || i < 0 || i >= len(l.where) {
		return ""
	}
	return l.where[i] + ": "
}

// minRedactLen is the shortest token errorf redacts.
const minRedactLen = 8

// errorf writes one line to stderr, prefixed with the command's name, with
// line breaks and control characters flattened and the token redacted.
func (c *cli) errorf(format string, args ...any) {
	// Defence in depth: no error is known to carry the token, whole,
	// escaped, in another case or in part (see asana.Redactor).
	msg := textline.OneLine(newTokenRedactor(c.token).String(fmt.Sprintf(format, args...)))
	fmt.Fprintf(c.stderr, "goalsync: %s\n", msg)
}
