package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/textline"
	"github.com/perfcopilot/asanagoals/prompt"
)

// view is what the text output adds to the report and the stored goals.
type view struct {
	// note, when not empty, opens the text output.
	note string
	// period is the review window of the [GOALS] blocks (-period); zero
	// for none.
	period prompt.Period
	// notReadBack, when not empty, is why the stored goals are not read
	// back: the output is the report alone, which says so (text), or
	// lists every employee in unread_goals (JSON).
	notReadBack string
}

// render returns the output of a sync in the given format.
// It reads each employee's goals back from store, so it shows what is
// stored, not what was fetched. An employee whose goals cannot be read
// back is one line in the output instead (and one of unread): the report
// is printed whatever the store does. With v.notReadBack, it reads
// nothing.
func render(ctx context.Context, format string, r *goals.Report, store goals.Reader, list *employeeList, v view) (out []byte, unread []unreadGoals, err error) {
	if v.notReadBack != "" {
		store = notReadBack(v.notReadBack)
	}
	if format == "json" {
		return jsonOutput(ctx, r, store, list)
	}
	return textOutput(ctx, r, store, list, v)
}

// notReadBack is a goals.Reader that reads nothing: its error says why.
type notReadBack string

func (n notReadBack) Goals(context.Context, string) ([]goals.Goal, error) {
	return nil, errors.New("not read back: " + string(n))
}

// unreadGoals is an employee whose stored goals could not be read back.
type unreadGoals struct {
	EmployeeID string `json:"employee_id"`
	Error      string `json:"error"`
}

// readBack reads the stored goals of e, or notes in unread why it could
// not.
func readBack(ctx context.Context, store goals.Reader, e goals.Employee, unread *[]unreadGoals) ([]goals.Goal, bool) {
	stored, err := store.Goals(ctx, e.ID)
	if err != nil {
		*unread = append(*unread, unreadGoals{EmployeeID: e.ID, Error: textline.OneLine(err.Error())})
		return nil, false
	}
	return stored, true
}

// sortedEmployees returns the employees ordered by ID.
func sortedEmployees(list *employeeList) []goals.Employee {
	emps := slices.Clone(list.employees)
	slices.SortStableFunc(emps, func(a, b goals.Employee) int { return strings.Compare(a.ID, b.ID) })
	return emps
}

// The -format json output. The keys are a documented contract: change them
// only with the README and the tests.
type jsonOut struct {
	Report *goals.Report `json:"report"`
	Goals  []shownGoal   `json:"goals"`
	// Unread lists the employees whose stored goals could not be read
	// back (their goals are missing from Goals); only when there are any.
	Unread []unreadGoals `json:"unread_goals,omitempty"`
}

// hidden is the type of a field that shadows a key of an embedded goal:
// always nil and omitempty, it is never written, and encoding/json's rule
// that the shallower of two fields of one name wins keeps the embedded
// field out.
type hidden = *struct{}

// shownGoal is a stored goal as the JSON output shows it: goals.Goal's own
// JSON, in its order, less the keys the contract leaves out (the raw word,
// the metric and the time of the sync, which are the store's), and with
// its Key Results shown likewise. It is goals.Goal, not a copy of its
// fields: a field added to goals.Goal is in the output unless a field
// here hides it, and the output's contract tests then name the new key.
type shownGoal struct {
	goals.Goal
	RawStatus hidden `json:"raw_status,omitempty"`
	Metric    hidden `json:"progress,omitempty"`
	SyncedAt  hidden `json:"synced_at,omitempty"`
	// KeyResults is never null: a goal without Key Results shows [].
	// encoding/json writes the embedded goal's fields first, then these:
	// key_results stays last, as in goals.Goal among the shown keys.
	KeyResults []shownKeyResult `json:"key_results"`
}

// shownKeyResult is a stored Key Result as the JSON output shows it:
// goals.KeyResult's JSON less its goal's GID (the goal holds it), the raw
// word and the metric.
type shownKeyResult struct {
	goals.KeyResult
	GoalGID   hidden `json:"goal_gid,omitempty"`
	RawStatus hidden `json:"raw_status,omitempty"`
	Metric    hidden `json:"progress,omitempty"`
}

// show returns g as the JSON output shows it, with each status source as
// shownSource has it.
func show(g goals.Goal) shownGoal {
	g.StatusSource = shownSource(g.StatusSource, g.RawStatus)
	sg := shownGoal{Goal: g, KeyResults: make([]shownKeyResult, len(g.KeyResults))}
	for i, kr := range g.KeyResults {
		kr.StatusSource = shownSource(kr.StatusSource, kr.RawStatus)
		sg.KeyResults[i] = shownKeyResult{KeyResult: kr}
	}
	return sg
}

// shownSource is the source as stored, or, should a store hold none (one
// written before sources were kept), the only source there was then: the
// status update's word, or none without a word.
func shownSource(src goals.StatusSource, raw string) goals.StatusSource {
	switch {
	case src != "":
		return src
	case strings.TrimSpace(raw) == "":
		return goals.StatusFromNone
	}
	return goals.StatusFromUpdate
}

// checkStatuses refuses a stored goal whose status, or a Key Result's, is
// not one of the four: goals.Write.Validate keeps them out of every store
// that checks writes, and the JSON contract has no fifth word.
func checkStatuses(g goals.Goal) error {
	if !g.Status.Valid() {
		return fmt.Errorf("the store holds goal %s of %s with status %q, not one of the four", g.GID, g.EmployeeID, g.Status)
	}
	for _, kr := range g.KeyResults {
		if !kr.Status.Valid() {
			return fmt.Errorf("the store holds key result %s of goal %s with status %q, not one of the four", kr.GID, g.GID, kr.Status)
		}
	}
	return nil
}

func jsonOutput(ctx context.Context, r *goals.Report, store goals.Reader, list *employeeList) ([]byte, []unreadGoals, error) {
	out := jsonOut{Report: r, Goals: []shownGoal{}}
	for _, e := range sortedEmployees(list) {
		stored, ok := readBack(ctx, store, e, &out.Unread)
		if !ok {
			continue
		}
		for _, g := range stored {
			if err := checkStatuses(g); err != nil {
				return nil, nil, err
			}
			out.Goals = append(out.Goals, show(g))
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, nil, err
	}
	return escapeInvisible(buf.Bytes()), out.Unread, nil
}

// textOutput is the human summary of the report followed by each
// employee's [GOALS] block. Apart from the duration it is deterministic.
func textOutput(ctx context.Context, r *goals.Report, store goals.Reader, list *employeeList, v view) ([]byte, []unreadGoals, error) {
	var b bytes.Buffer
	writeHeading(&b, r, v.note)
	writeSummary(&b, r, v.period)
	writeAsanaChanges(&b, r.AsanaChanges)
	writeEmployeeTable(&b, r, list)
	failed := r.Failed()
	writeEmployeeErrors(&b, failed)
	writeResult(&b, r, failed)
	if v.notReadBack != "" {
		fmt.Fprintf(&b, "\nThe stored goals were not read back: %s, and no new wait on the database starts after that.\n", v.notReadBack)
		return b.Bytes(), nil, nil
	}
	unread := writeGoalBlocks(ctx, &b, r, store, list, v.period)
	return b.Bytes(), unread, nil
}

// writeHeading writes the note, the workspace, and the lines a reader
// must not miss: a failed sync, and statuses taken from the goal field
// because Asana refused the status update's.
func writeHeading(b *bytes.Buffer, r *goals.Report, note string) {
	b.WriteString(note)
	fmt.Fprintf(b, "Asana goals sync of workspace %s\n", textline.OneLine(r.WorkspaceGID))
	if r.Error != "" {
		fmt.Fprintf(b, "SYNC FAILED: %s\n", textline.OneLine(r.Error))
	}
	if r.StatusSource == goals.StatusFromGoal {
		fmt.Fprintf(b, "Notice: %s.\n", textline.OneLine(r.StatusSourceNote))
	}
}

// writeSummary writes the report's counts as aligned label/value rows;
// rows that would only say "nothing happened" are left out, except the
// ones a reader looks for every time.
func writeSummary(b *bytes.Buffer, r *goals.Report, period prompt.Period) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	row := func(label, format string, args ...any) {
		fmt.Fprintf(tw, "  %s\t%s\n", label, textline.OneLine(fmt.Sprintf(format, args...)))
	}
	row("goals scanned", "%d", r.WorkspaceGoalsScanned)
	row("ownerless goals", "%d%s", r.OwnerlessGoals, ifNonZero(r.OwnerlessGoals, " (never pulled: a goal needs an owner in Asana)"))
	row("unmapped owners", "%s", describeUnmappedOwners(r))
	row("unmapped employees", "%s", describeUnmappedEmployees(r.UnmappedEmployees))
	row("sub-goal source", "%s", describeSource(r.SubgoalPath))
	if n := r.StatusesFromGoalField; n > 0 {
		row("goal status field", "%s taken from the goal's own status (green, yellow, red, …): no status update", plural(n, "status"))
	}
	if r.DescriptionsOmitted {
		row("descriptions", "not kept (-no-descriptions): not requested from Asana, stored empty")
	}
	if !period.IsZero() {
		row("review period", "%s: the sync kept and walked only goals in it; %s outside it (those stored take their fields from the scan, Key Results as stored), about %s saved",
			describePeriod(period), plural(r.GoalsOutsidePeriod, "goal"), plural(r.RequestsSaved, "request"))
	}
	if r.MalformedRecords > 0 {
		row("malformed records", "%d (records Asana cannot have meant; nothing was removed)", r.MalformedRecords)
	}
	if r.RemovalsHeld > 0 {
		row("removals held", "%s that Asana no longer lists kept, not removed: too many at once (run again with -confirm-removals if they did leave Asana)",
			plural(r.RemovalsHeld, "stored goal"))
	}
	row("requests", "%d (%s, %d answered 429 Too Many Requests)", r.Requests, plural(int(r.Retries), "retry"), r.RateLimited)
	row("duration", "%s", (time.Duration(r.DurationSeconds * float64(time.Second))).Round(time.Millisecond))
	tw.Flush()
}

// describeUnmappedOwners counts the goals of Asana users mapped to no
// employee, with examples of those users ("first ten:" when the report
// kept ten and there are more).
func describeUnmappedOwners(r *goals.Report) string {
	if r.UnmappedOwnerGoals == 0 {
		return "0 goals"
	}
	eg := "e.g."
	if len(r.UnmappedOwnerExamples) < r.UnmappedOwnerGoals && len(r.UnmappedOwnerExamples) >= 10 {
		eg = "first ten:"
	}
	return fmt.Sprintf("%s owned by Asana users mapped to no employee; map them (%s %s)",
		plural(r.UnmappedOwnerGoals, "goal"), eg, strings.Join(r.UnmappedOwnerExamples, ", "))
}

// describeUnmappedEmployees counts the employees without an Asana user
// GID, and names them.
func describeUnmappedEmployees(ids []string) string {
	if len(ids) == 0 {
		return "0"
	}
	return fmt.Sprintf("%d without an Asana user GID yet: %s", len(ids), strings.Join(ids, ", "))
}

// writeAsanaChanges lists the breaking changes Asana announced, if any,
// each with whether it affects this sync and where to read about it.
func writeAsanaChanges(b *bytes.Buffer, changes []asana.Change) {
	if len(changes) == 0 {
		return
	}
	fmt.Fprintf(b, "\n  Asana announced %s (Asana-Change headers; opt in or out with -asana-enable / -asana-disable NAME):\n",
		plural(len(changes), "breaking change"))
	for _, ch := range changes {
		line := "    " + textline.OneLine(ch.Name)
		if ch.Affected {
			line += " (affects this sync's requests)"
		}
		if ch.Info != "" {
			line += ": " + textline.OneLine(ch.Info)
		}
		b.WriteString(line + "\n")
	}
}

// writeEmployeeTable writes one row per employee of the report, in the
// report's order, with the name from the employee file.
func writeEmployeeTable(b *bytes.Buffer, r *goals.Report, list *employeeList) {
	if len(r.Employees) == 0 {
		return
	}
	names := make(map[string]string, len(list.employees))
	for _, e := range list.employees {
		names[e.ID] = e.Name
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  EMPLOYEE\tNAME\tASANA USER\tOWNED\tKEPT\tKEY RESULTS\tTRUNCATED\tWRITTEN")
	for _, e := range r.Employees {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n",
			textline.OneLine(e.EmployeeID), textline.Clip(textline.OneLine(names[e.EmployeeID])), textline.OneLine(e.AsanaUserGID),
			e.GoalsOwned, e.GoalsKept, e.KeyResults, yesNo(e.Truncated), e.Written)
	}
	tw.Flush()
}

// writeEmployeeErrors writes why each failed employee was not fully
// synced.
func writeEmployeeErrors(b *bytes.Buffer, failed []goals.EmployeeReport) {
	if len(failed) == 0 {
		return
	}
	b.WriteString("\n  errors:\n")
	for _, e := range failed {
		fmt.Fprintf(b, "    %s: %s\n", textline.OneLine(e.EmployeeID), textline.OneLine(e.Err.Error()))
	}
}

// writeResult writes the one-line verdict on the sync, and the removals
// held back when the verdict is about something else.
func writeResult(b *bytes.Buffer, r *goals.Report, failed []goals.EmployeeReport) {
	b.WriteString("\n")
	switch {
	case r.Error != "":
		b.WriteString("Result: the sync failed; goals fetched whole were stored, nothing was removed.\n")
	case len(failed) > 0:
		fmt.Fprintf(b, "Result: %d of %d mapped employees not fully synced (their stored goals were kept).\n", len(failed), len(r.Employees))
	case r.RemovalsHeld > 0:
		fmt.Fprintf(b, "Result: all %s synced, but %s held back (see above).\n",
			plural(len(r.Employees), "mapped employee"), plural(r.RemovalsHeld, "removal"))
	default:
		fmt.Fprintf(b, "Result: all %s synced.\n", plural(len(r.Employees), "mapped employee"))
	}
	if r.RemovalsHeld > 0 && (r.Error != "" || len(failed) > 0) {
		fmt.Fprintf(b, "Removals held back: %s (see above).\n", plural(r.RemovalsHeld, "stored goal"))
	}
}

// writeGoalBlocks writes, for each employee in ID order, a header line and
// the [GOALS] block of the goals stored for them, read back from store.
// It returns the employees whose goals could not be read back, each a
// line of the output instead.
func writeGoalBlocks(ctx context.Context, b *bytes.Buffer, r *goals.Report, store goals.Reader, list *employeeList, period prompt.Period) []unreadGoals {
	reports := make(map[string]goals.EmployeeReport, len(r.Employees))
	for _, e := range r.Employees {
		reports[e.EmployeeID] = e
	}
	var unread []unreadGoals
	for _, e := range sortedEmployees(list) {
		er, synced := reports[e.ID]
		unread = append(unread, writeGoalBlock(ctx, b, e, er, synced, store, period)...)
	}
	return unread
}

// writeGoalBlock writes one employee's header and [GOALS] block; the
// header says when what is shown is not this sync's complete write. It
// returns the employee as unread when the store could not read their
// goals back.
func writeGoalBlock(ctx context.Context, b *bytes.Buffer, e goals.Employee, er goals.EmployeeReport, synced bool, store goals.Reader, period prompt.Period) []unreadGoals {
	header := textline.OneLine(e.ID)
	if e.Name != "" {
		header += " · " + textline.OneLine(e.Name)
	}
	if e.AsanaUserGID == "" {
		fmt.Fprintf(b, "\n== %s: not mapped to an Asana user, no goals synced ==\n", header)
		return nil
	}
	var unread []unreadGoals
	stored, ok := readBack(ctx, store, e, &unread)
	if !ok {
		fmt.Fprintf(b, "\n== %s ==\n(the stored goals could not be read back: %s)\n", header, unread[0].Error)
		return unread
	}
	switch {
	case !synced && len(stored) == 0:
		fmt.Fprintf(b, "\n== %s: not synced, the sync failed ==\n", header)
		return nil
	case !synced:
		// A database (-db) keeps what earlier syncs stored.
		header += " (not synced, the sync failed; stored by an earlier sync)"
	case er.Written != goals.WrittenComplete:
		header += fmt.Sprintf(" (written: %s; see the report)", er.Written)
	}
	fmt.Fprintf(b, "\n== %s ==\n", header)
	b.WriteString(prompt.Render(stored, prompt.Options{Period: period}))
	return nil
}

func describeSource(s goals.SubgoalPath) string {
	switch s {
	case goals.PathSubgoals:
		return "subgoals (GET /goals/{gid}/subgoals, the spec's path)"
	case goals.PathGoalRelationships:
		return "goal_relationships (Asana has retired GET /goals/{gid}/subgoals)"
	case goals.PathNone:
		return "none (no goal was kept, so no sub-goal was asked for)"
	}
	return string(s)
}

// describePeriod writes a review window for a person: an open end says so.
func describePeriod(p prompt.Period) string {
	switch {
	case p.From.IsZero():
		return "up to " + p.To.String()
	case p.To.IsZero():
		return "from " + p.From.String()
	}
	return p.From.String() + ".." + p.To.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "s") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func ifNonZero(n int, s string) string {
	if n == 0 {
		return ""
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
