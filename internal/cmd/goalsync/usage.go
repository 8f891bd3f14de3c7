package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

// The command's contract is written once, here: the flags' help strings
// (flagSet), and the text before and after them (usageHead, usageTail).
// goalsync -h prints it (printUsage), and go generate makes doc.go from
// that output (TestDocUpToDate fails when doc.go differs from it).

//go:generate go test -run=^TestDocUpToDate$ -fixdocs

// flagSet returns the command's flags, which fill o. A flag's help names
// its value in back quotes, as flag.UnquoteUsage reads it; line breaks in
// a help string are kept.
func (o *options) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("goalsync", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by the command, on one line
	fs.Usage = func() {}
	fs.BoolVar(&o.demo, "demo", false,
		"run the built-in demo (not with -base-url, -workspace,\n"+
			"-employees, -check or -suggest; with -db, a SQLite file\n"+
			"only, new or one an earlier demo wrote: the demo's goals\n"+
			"are made up)")
	fs.StringVar(&o.workspace, "workspace", "",
		"the Asana workspace's `GID`: the number in your workspace\n"+
			"URL, or Admin Console > Workspace settings")
	fs.StringVar(&o.employeesFile, "employees", "",
		"the employees to sync: a CSV or JSON `FILE` (see Employee\n"+
			"file below)")
	fs.StringVar(&o.db, "db", "",
		"sync into the database `PATH|URL` instead of memory: a file\n"+
			"path is a SQLite database (created, with its tables, if\n"+
			"missing); a postgres:// or postgresql:// URL, or a\n"+
			"key/value DSN (host=… dbname=…), is PostgreSQL (tables\n"+
			"created if missing). A database that cannot be opened or\n"+
			"written, or that holds the employees' goals from another\n"+
			"workspace, is a configuration error")
	fs.StringVar(&o.format, "format", "text",
		"the output format `F`: text or json (see Output below)")
	fs.StringVar(&o.periodText, "period", "",
		"the review window `FROM..TO`, dates as YYYY-MM-DD, e.g.\n"+
			"2026-01-01..2026-06-30; either end may be left out\n"+
			"(2026-01-01.. or ..2026-06-30). A goal is in it when its\n"+
			"Asana time period (or, without one, its start..due dates)\n"+
			"overlaps it; goals with no dates at all are in. The sync\n"+
			"keeps and walks only goals in the window (stored goals\n"+
			"outside it take their fields from the scan, their Key\n"+
			"Results as stored), and the text output's\n"+
			"[GOALS] blocks leave the others out, with a last line\n"+
			"\"(+N outside the review period)\"; -format json lists\n"+
			"every stored goal with its time_period")
	fs.StringVar(&o.serve, "serve", "",
		"serve the admin pages on `ADDR`, a loopback address such as\n"+
			"127.0.0.1:8080: connect Asana, map employees, sync and\n"+
			"read goals in a browser. It prints the URL to open, with a\n"+
			"one-time sign-in code. Alone (or with -demo) it serves the\n"+
			"demo workspace on scratch files; with -db and -employees\n"+
			"it serves that database and employee file, the token sealed\n"+
			"in -db under the key in "+sealKeyEnv+" (base64 of 32\n"+
			"bytes)")
	fs.BoolVar(&o.check, "check", false,
		"only check the connection: the token works and its user\n"+
			"can read the workspace's goals, proven by reading one\n"+
			"goal's gid and name (needs no -employees). With -format\n"+
			"json it prints {\"ok\": true, \"workspace_gid\", \"user\":\n"+
			"{\"gid\", \"name\"}, \"goals_visible\"}; a failed check prints\n"+
			"one line on stderr, nothing on stdout")
	fs.BoolVar(&o.suggest, "suggest", false,
		"only suggest Asana users for the employees of -employees\n"+
			"that have no asana_user_gid, by e-mail, then by a name\n"+
			"unique on both sides; prints CSV (or JSON with -format\n"+
			"json) to confirm and add to the employee file. A CSV cell\n"+
			"that would begin with =, +, -, @, a tab or a carriage\n"+
			"return gets a leading ' so that a spreadsheet shows it as\n"+
			"text; the JSON is as Asana has it")
	fs.StringVar(&o.baseURL, "base-url", asana.DefaultBaseURL,
		"the Asana API root `URL`: https only, plain http only to a\n"+
			"loopback address")
	fs.IntVar(&o.rate, "rate", asana.PaidRequestsPerMinute,
		fmt.Sprintf("client-side limit of `N` requests per minute: Asana\n"+
			"allows %d on paid plans, use %d on a free domain",
			asana.PaidRequestsPerMinute, asana.FreeRequestsPerMinute))
	fs.DurationVar(&o.timeout, "timeout", defaultTimeout,
		"give up after this long, a duration `D` such as 90s or 45m;\n"+
			"0 for no limit. It bounds opening the database and the\n"+
			"sync; after a failure, reading the stored goals back for\n"+
			"the output gets 5s of its own")
	fs.DurationVar(&o.maxWait, "max-wait", asana.DefaultMaxWait,
		"the longest Retry-After pause `D` of Asana's to wait out; a\n"+
			"longer one ends the sync at once (exit 1) with an error\n"+
			"saying how long Asana asked for")
	fs.BoolVar(&o.progress, "progress", false,
		fmt.Sprintf("progress on stderr (pages scanned, goals kept, sub-goals\n"+
			"fetched, requests, the rate, an estimate of the time left\n"+
			"and any wait for Asana's rate limit; one line redrawn on a\n"+
			"terminal, else a line per phase and at most one every %s);\n"+
			"on by default when stderr is a terminal", durationText(defaultProgressEvery)))
	fs.BoolVar(&o.confirm, "confirm-removals", false,
		"apply this sync's removals even when they are many (see\n"+
			"Removals below); for one run, after checking the goals did\n"+
			"leave Asana")
	fs.Float64Var(&o.threshold, "removal-threshold", goals.DefaultRemovalThreshold,
		"the largest share `F` of the stored goals a sync removes\n"+
			"without -confirm-removals, above 0 and at most 1 (1 turns\n"+
			"the guard off)")
	fs.BoolVar(&o.noNotes, "no-descriptions", false,
		"keep no goal descriptions: html_notes is not requested\n"+
			"from Asana and every description is stored empty (which\n"+
			"also blanks those an earlier sync stored), for workspaces\n"+
			"whose descriptions hold what reviews should not")
	fs.Func("asana-enable",
		"opt in to breaking changes Asana announces in Asana-Change\n"+
			"headers, during their deprecation period: the names\n"+
			"`NAME[,NAME]` are sent as Asana-Enable with every request.\n"+
			"May be given more than once. The announced changes are\n"+
			"listed in the report",
		changeNames(&o.asanaEnable))
	fs.Func("asana-disable",
		"opt out of breaking changes Asana announces, during their\n"+
			"deprecation period: the names `NAME[,NAME]` are sent as\n"+
			"Asana-Disable with every request. May be given more than\n"+
			"once",
		changeNames(&o.asanaDisable))
	return fs
}

// flagOrder is the order the help lists the flags in: what a first run
// needs, then the other modes, then the settings. A flag not named here
// is listed after them, so that none is ever left out.
var flagOrder = []string{
	"demo", "workspace", "employees", "db", "format", "period",
	"check", "suggest", "serve",
	"base-url", "rate", "timeout", "max-wait", "progress",
	"confirm-removals", "removal-threshold", "no-descriptions", "asana-enable", "asana-disable",
}

const usageHead = `Usage: goalsync [flags]

goalsync syncs each employee's Asana goals, with their sub-goals as Key
Results, into a store (in memory, or the database of -db), then prints the
sync report and every employee's [GOALS] block as a review prompt would
show it, read back from the store.

Demo: with no flags and no ASANA_TOKEN in the environment, or with -demo, it
syncs a small built-in fake Asana workspace served on 127.0.0.1; nothing
leaves the machine.

Real run: any other invocation talks to Asana (or to -base-url) and needs
the Asana Personal Access Token in the environment variable ASANA_TOKEN,
a -workspace and an -employees file; a missing one is a configuration
error (exit 2), never a fall back to the demo:

  ASANA_TOKEN=… goalsync -workspace 1201234567890 -employees people.csv

The token is read from the environment only, never from a flag, so that it
stays out of shell history and process lists, and it is never printed.

Flags:
`

const usageTail = `  -h, -help         print this help

Employee file:
  JSON when the name ends in .json or the first non-space character is '[',
  CSV otherwise; UTF-8 either way (not a spreadsheet's UTF-16 "Unicode
  text").
  CSV: a header row naming the columns, in any order: employee_id and
    asana_user_gid (both required), name and email (optional); then one
    employee per row. Blank lines are skipped; any other column is an error.
      employee_id,asana_user_gid,name,email
      emp-001,1201234567890,Ada Lovelace,ada@example.com
      emp-002,,Grace Hopper,
  JSON: an array of objects with the same keys, each at most once:
      [{"employee_id":"emp-001","asana_user_gid":"1201234567890","name":"Ada Lovelace"}]
  An empty asana_user_gid means the employee is not mapped to Asana yet: the
  report lists them under unmapped employees.
  Limits: employee_id at most 256 bytes, name and email at most 1,000
  characters each; no field may hold a NUL character, nor employee_id any
  other control character. A file that breaks one is refused (exit 2), with
  the line.
  The file may be a named pipe (e.g. -employees <(…)); an interrupt while
  it waits for a writer or for data ends the command (exit 1).

Removals: a complete sync removes the stored goals Asana no longer lists
  for an employee. A token that lost visibility looks exactly like goals
  deleted in Asana, so when a sync would remove more than -removal-threshold
  of the goals stored for the employees it read whole (and at least 10), it
  removes none, updates the rest, says so in the report, and exits 3. Check
  that the goals did leave Asana, then run again with -confirm-removals.
  A failed sync (exit 1) never removes or changes stored goals, except for
  updating goals it fetched whole.

Output (stdout), read back from the store, so it shows what is stored,
also after a failed sync:
  text  a summary of the sync report (with the breaking changes Asana
        announced, if any, and how many statuses came from a goal's own
        status field), then for each employee, in ID order, a header line
        and their [GOALS] block (within -period, if given).
  json  one object: {"report": <sync report>, "goals": [{"employee_id",
        "gid", "name", "description", "start_on", "due_on", "status",
        "status_source", "time_period", "key_results": [{"gid", "name",
        "status", "status_source", "due_on"}]}]}, dates as "YYYY-MM-DD" or
        null, goals ordered by employee_id then Asana's order, Key Results
        in Asana's order. status_source says which Asana field the status
        was mapped from: "status_update" (the latest status update's
        status_type, which wins when present), "goal_status" (no status
        update: the goal's own status, green/yellow/red/achieved/partial/
        missed/dropped) or "none" (neither: on_track). time_period is
        {"gid", "display_name", "period", "start_on", "end_on"} or null.
The report is printed even when the stored goals cannot be read back: an
employee whose goals cannot be is one line that says so (text), or an
entry {"employee_id", "error"} of "unread_goals", a key present only then
(json); the command exits 1. After an interrupt (SIGINT, SIGTERM, SIGHUP)
nothing is read back, so that no new wait on the database starts: the
report is printed at once, with one line that says so (text), or every
employee in "unread_goals" (json).

Exit status:
  0  every employee synced
  1  the sync failed outright (e.g. Asana refused the token, or answered
     what Asana cannot have meant), or it was interrupted (SIGINT,
     SIGTERM or SIGHUP); one line on stderr says why
  2  usage or configuration error (including a -db that cannot be used);
     nothing was requested from Asana
  3  some employees could not be synced, or removals were held back (see
     Removals); the report and a line on stderr say which and why

Breaking changes Asana announces (Asana-Change headers) are listed in the
report and, a "warning:" line each, on stderr; they leave the exit status
as it is.

Should Asana refuse the status update's status_type (a 400 naming
current_status_update.status_type, which a server enforcing Asana's
published opt_fields lists answers), the sync goes on without it: every
status comes from the goal's own status field, the report's
"status_source" is "goal_status" (else "status_update"), the text output
opens with a "Notice:" line and stderr has a "notice:" line; the exit
status stays as it is.
`

// Columns of the flag list: a flag's help starts at helpColumn, on the
// flag's line when the flag and its value fit before it, else on the next;
// its default ends the help's last line when that stays within lineWidth,
// else it has a line of its own.
const (
	helpColumn = 20
	lineWidth  = 79
)

// printUsage writes the help: usageHead, every flag of fs in flagOrder
// with its help and its default, and usageTail.
func printUsage(w io.Writer, fs *flag.FlagSet) {
	var b strings.Builder
	b.WriteString(usageHead)
	var rest []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if !slices.Contains(flagOrder, f.Name) {
			rest = append(rest, f)
		}
	})
	for _, name := range flagOrder {
		if f := fs.Lookup(name); f != nil {
			writeFlag(&b, f)
		}
	}
	for _, f := range rest {
		writeFlag(&b, f)
	}
	b.WriteString(usageTail)
	io.WriteString(w, b.String())
}

// writeFlag writes one flag of the help: "-name VALUE", its help, and its
// default when that is not the zero value.
func writeFlag(b *strings.Builder, f *flag.Flag) {
	value, help := flag.UnquoteUsage(f)
	head := "  -" + f.Name
	if value != "" {
		head += " " + value
	}
	lines := strings.Split(help, "\n")
	if def := defaultText(f); def != "" {
		last := &lines[len(lines)-1]
		if helpColumn+len(*last)+len(def)+1 <= lineWidth {
			*last += " " + def
		} else {
			lines = append(lines, def)
		}
	}
	indent := strings.Repeat(" ", helpColumn)
	if len(head) < helpColumn {
		b.WriteString(head + indent[len(head):] + lines[0] + "\n")
		lines = lines[1:]
	} else {
		b.WriteString(head + "\n")
	}
	for _, l := range lines {
		b.WriteString(indent + l + "\n")
	}
}

// defaultText is "(default V)" for a flag whose default is not its type's
// zero value, else "".
func defaultText(f *flag.Flag) string {
	switch f.DefValue {
	case "", "false", "0", "0s":
		return ""
	}
	if g, ok := f.Value.(flag.Getter); ok {
		if d, ok := g.Get().(time.Duration); ok {
			return "(default " + durationText(d) + ")"
		}
	}
	return "(default " + f.DefValue + ")"
}

// durationText is d as time.Duration.String writes it, without the zero
// units after whole minutes or hours: 30m, 1h, 90s is 1m30s.
func durationText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
	}
	return s
}
