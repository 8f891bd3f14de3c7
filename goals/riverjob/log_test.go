package riverjob_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/perfcopilot/asanagoals/internal/syncbuf"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverlog"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// testLogger sends River's warnings and errors to the test's log.
func testLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(string(p))
	return len(p), nil
}

// riverLogOf returns what riverlog stored in a job's metadata: one entry
// per attempt that logged.
func riverLogOf(tb testing.TB, row *rivertype.JobRow) []riverLogAttempt {
	tb.Helper()
	var md struct {
		RiverLog []riverLogAttempt `json:"river:log"`
	}
	if err := json.Unmarshal(row.Metadata, &md); err != nil {
		tb.Fatalf("job %d metadata %s: %v", row.ID, row.Metadata, err)
	}
	return md.RiverLog
}

type riverLogAttempt struct {
	Attempt int    `json:"attempt"`
	Log     string `json:"log"`
}

// With River's riverlog middleware installed on the client, the worker's
// lines are the job's: River stores each attempt's lines in the job's
// metadata, where River UI shows them, and the configured Logger gets
// none of them.
func TestWorkerLogsThroughRiverlog(t *testing.T) {
	onBothDatabases(t, testWorkerLogsThroughRiverlog[*sql.Tx], testWorkerLogsThroughRiverlog[pgxTx])
}

func testWorkerLogsThroughRiverlog[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	var configured syncbuf.Buffer
	cfg := &river.Config{Middleware: []rivertype.Middleware{
		riverlog.NewMiddleware(func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }, nil),
	}}
	down := true
	resolve := func(_ context.Context, id string) (riverjob.Tenant, error) {
		if down {
			return riverjob.Tenant{}, errors.New("the tenant database is down")
		}
		return riverjob.Tenant{}, fmt.Errorf("%w: %s", riverjob.ErrUnknownTenant, id)
	}
	w := testWorker(t, db, cfg, resolve, riverjob.WorkerOptions{Logger: slog.New(slog.NewTextHandler(&configured, nil))})

	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: "tenant-log"}, nil)
	if err == nil || res.EventKind != river.EventKindJobFailed {
		t.Fatalf("first attempt: %v, error %v; want failed, to be retried", res.EventKind, err)
	}
	down = false
	res, err = w.WorkJob(ctx, t, db.tx, res.Job)
	if err != nil || res.EventKind != river.EventKindJobCancelled {
		t.Fatalf("second attempt: %v, error %v; want cancelled", res.EventKind, err)
	}

	logs := riverLogOf(t, res.Job)
	if len(logs) != 2 {
		t.Fatalf("riverlog entries %+v; want one per attempt", logs)
	}
	for i, want := range []string{
		`level=WARN msg="asana goals sync: resolving the tenant failed" tenant_id=tenant-log job_id=%d attempt=1 error="riverjob: tenant \"tenant-log\": the tenant database is down"`,
		`level=WARN msg="asana goals sync cancelled" tenant_id=tenant-log job_id=%d attempt=2 error="riverjob: tenant \"tenant-log\": riverjob: unknown tenant: tenant-log"`,
	} {
		want = fmt.Sprintf(want, res.Job.ID)
		if logs[i].Attempt != i+1 || strings.Count(logs[i].Log, "\n") != 1 || !strings.Contains(logs[i].Log, want) {
			t.Errorf("riverlog entry %d: attempt %d, log %q; want attempt %d, the one line %q", i, logs[i].Attempt, logs[i].Log, i+1, want)
		}
	}
	if got := configured.String(); got != "" {
		t.Errorf("the configured Logger got %q; with riverlog installed the lines are the job's", got)
	}
}

// Without riverlog, the configured Logger gets the worker's lines, and
// nothing is added to the job's metadata.
func TestWorkerLogsToTheConfiguredLoggerWithoutRiverlog(t *testing.T) {
	onBothDatabases(t, testWorkerLogsWithoutRiverlog[*sql.Tx], testWorkerLogsWithoutRiverlog[pgxTx])
}

func testWorkerLogsWithoutRiverlog[TTx any](t *testing.T, db workDB[TTx]) {
	ctx := context.Background()
	var configured syncbuf.Buffer
	resolve := func(_ context.Context, id string) (riverjob.Tenant, error) {
		return riverjob.Tenant{}, fmt.Errorf("%w: %s", riverjob.ErrUnknownTenant, id)
	}
	w := testWorker(t, db, nil, resolve, riverjob.WorkerOptions{Logger: slog.New(slog.NewTextHandler(&configured, nil))})
	res, err := w.Work(ctx, t, db.tx, riverjob.SyncArgs{TenantID: "tenant-log"}, nil)
	if err != nil || res.EventKind != river.EventKindJobCancelled {
		t.Fatalf("%v, error %v; want cancelled", res.EventKind, err)
	}
	want := fmt.Sprintf(`level=WARN msg="asana goals sync cancelled" tenant_id=tenant-log job_id=%d attempt=1 error="riverjob: tenant \"tenant-log\": riverjob: unknown tenant: tenant-log"`, res.Job.ID)
	if got := configured.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, want) {
		t.Errorf("the configured Logger got %q; want the one line %q", got, want)
	}
	if logs := riverLogOf(t, res.Job); len(logs) != 0 {
		t.Errorf("riverlog entries %+v without riverlog installed", logs)
	}
}
