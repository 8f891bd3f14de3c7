// Command goalsync runs the library's main job: one sync of employees'
// Asana goals (with their sub-goals as Key Results) into a store, in memory
// or the database of -db (goals/sqlstore on SQLite or PostgreSQL), then the
// sync report and every employee's [GOALS] review-prompt block, read back
// from the store.
//
// Demo: with no flags and no ASANA_TOKEN in the environment, or with -demo,
// it serves a small built-in fake Asana workspace on 127.0.0.1 and syncs
// that, so a newcomer sees the whole product work with one command:
//
//	go run ./internal/cmd/goalsync
//
// Real run: any other invocation talks to Asana (or to -base-url) and needs
// the token in ASANA_TOKEN, a -workspace and an -employees file; a missing
// one is a configuration error (exit 2), never a fall back to the demo:
//
//	ASANA_TOKEN=… go run ./internal/cmd/goalsync -workspace 1201234567890 -employees people.csv
//
// The token is read from the environment variable ASANA_TOKEN only, never
// from a flag, so that it stays out of shell history and process lists, and
// it is never printed.
//
// Flags:
//
//	-demo             run the built-in demo (not with -base-url, -workspace or -employees;
//	                  with -db, a SQLite file only)
//	-base-url URL     Asana API root (default https://app.asana.com/api/1.0); https,
//	                  or plain http to a loopback address only
//	-workspace GID    Asana workspace GID
//	-employees FILE   employee file, CSV or JSON
//	-rate N           client-side limit in requests per minute (default 1500; 150 on
//	                  Asana's free tier)
//	-format text|json output format (default text)
//	-timeout D        give up after D (default 30m; 0 for no limit)
//	-check            only check the connection: the token works and its user can
//	                  read the workspace's goals (no -employees needed)
//	-suggest          only suggest Asana users for employees without one, by e-mail
//	                  then by a name unique on both sides (CSV, or JSON); a CSV cell
//	                  that could start a formula (=, +, -, @, tab, CR) gets a leading '
//	-db PATH|URL      sync into a database: a SQLite file (created and migrated if
//	                  missing), or a postgres:// or postgresql:// URL (migrated)
//	-confirm-removals apply removals the mass-removal guard would hold back
//	-removal-threshold F
//	                  share of the stored goals removed without confirmation
//	                  (default 0.2; 1 turns the guard off)
//	-period FROM..TO  review window of the text output's [GOALS] blocks, e.g.
//	                  2026-01-01..2026-06-30 (either end may be left out); goals
//	                  outside it are left out and counted (not with -format json)
//	-no-descriptions  keep no descriptions: html_notes not requested, stored empty
//	-asana-enable NAME[,NAME], -asana-disable NAME[,NAME]
//	                  opt in to or out of changes Asana announces in Asana-Change
//	                  headers (sent as Asana-Enable / Asana-Disable)
//	-progress         progress on stderr (pages scanned, goals kept, requests, waits on
//	                  the rate limit, the writes); on by default when stderr is a terminal
//	-h, -help         usage
//
// The employee file is JSON when its name ends in .json or its first
// non-space character is '[', CSV otherwise. A CSV file has a header row
// naming its columns in any order: employee_id and asana_user_gid
// (required), name and email (optional); blank lines are skipped and an
// unknown column is an error. A JSON file is an array of objects with the
// same keys, each at most once. An empty asana_user_gid marks an employee
// not mapped to Asana yet. The file may be a named pipe; an interrupt
// (SIGINT, SIGTERM) while it waits ends the command.
//
// A sync that would remove more than the -removal-threshold share of the
// goals stored for its employees (and at least 10) removes none of them and
// exits 3: a token that lost visibility looks exactly like goals deleted in
// Asana. -confirm-removals applies them, for one run.
//
// With -format json, stdout is one JSON object:
//
//	{"report": <goals.Report>,
//	 "goals": [{"employee_id", "gid", "name", "description", "start_on", "due_on", "status",
//	            "status_source", "time_period",
//	            "key_results": [{"gid", "name", "status", "status_source", "due_on"}]}]}
//
// with dates as "YYYY-MM-DD" or null, goals ordered by employee_id and then
// in Asana's order, Key Results in Asana's order. status_source is
// "status_update", "goal_status" or "none"; time_period is {"gid",
// "display_name", "period", "start_on", "end_on"} or null.
//
// Exit status:
//
//	0  every employee synced
//	1  the sync failed outright (for example Asana refused the token)
//	2  usage or configuration error, such as a missing workspace or a -db
//	   that cannot be used; nothing was requested from Asana
//	3  some employees could not be synced, or removals were held back; the
//	   report says which and why
//
// Errors are one line on stderr, prefixed "goalsync: ".
package main
