package riverjob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverlog"
	"github.com/riverqueue/river/rivertype"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

const (
	// Kind is the River job kind of a tenant's sync.
	Kind = "asanagoals_sync"
	// Queue is the River queue of the syncs of workspaces below
	// LargeWorkspace goals, or of unknown size. A client that works sync
	// jobs lists it and QueueLarge in river.Config.Queues (see Queues);
	// its MaxWorkers is how many of those tenants one machine syncs at
	// once.
	Queue = "asanagoals"
	// QueueLarge is the River queue of the syncs of workspaces of at least
	// LargeWorkspace goals (SyncArgs.Goals): each takes minutes, and on a
	// queue of their own they never hold the slots of the small ones, nor
	// wait behind them.
	QueueLarge = "asanagoals_large"
	// LargeWorkspace is the size, in goals, from which a tenant's sync
	// goes to QueueLarge: at Asana's paid quota (1,500 requests a minute)
	// its sync takes 40 seconds or more, against a few seconds for the
	// 20 to 200 goals most workspaces have.
	LargeWorkspace = 1000
	// DefaultMaxWorkers and DefaultLargeMaxWorkers are the MaxWorkers of
	// Queue and QueueLarge that Queues(0, 0) gives: how many syncs of
	// each kind one machine runs at once (the package doc says why).
	DefaultMaxWorkers      = 50
	DefaultLargeMaxWorkers = 4
	// DefaultTimeout is how long one sync may run before its context is
	// cancelled, when WorkerOptions.Timeout is 0: a workspace of several
	// thousand goals on a free plan (150 requests a minute) takes about
	// half of it. River's rescuer leaves a running job alone for at least
	// this long, so a live sync is never run twice.
	DefaultTimeout = time.Hour
)

// SyncArgs are the arguments of one tenant's sync job: the tenant's ID in
// the host's terms, and nothing secret. The Worker resolves it into a token,
// a configuration, employees and a store each time the job runs.
type SyncArgs struct {
	// TenantID identifies the tenant (a customer workspace) to the host's
	// Resolver.
	TenantID string `json:"tenant_id" river:"unique"`
	// Goals is the size of the tenant's workspace as the host last saw it
	// (the WorkspaceGoalsScanned of its last goals.Report, which is the
	// job's output), 0 when it does not know. It only chooses the queue
	// (see InsertOpts): it is not part of the job's uniqueness, so a
	// tenant still has one sync at a time whatever sizes its inserts say.
	Goals int `json:"goals,omitempty"`
}

// Kind returns Kind.
func (SyncArgs) Kind() string { return Kind }

// InsertOpts puts a sync job on QueueLarge when its Goals is at least
// LargeWorkspace, on Queue otherwise, and makes it unique per tenant in
// UniqueStates, whatever its queue.
func (a SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:      QueueOf(a.Goals),
		Priority:   priorityOf(a.Goals),
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: UniqueStates()},
	}
}

// QueueOf returns the queue of the sync of a workspace of goals goals:
// QueueLarge from LargeWorkspace on, Queue below it and for 0 (unknown).
func QueueOf(goals int) string {
	if goals >= LargeWorkspace {
		return QueueLarge
	}
	return Queue
}

// priorityOf puts the longer syncs of each queue first (River's priority
// 1; 2 for the others): of Queue, workspaces of 200 to 999 goals and those
// of unknown size; of QueueLarge, those of 5,000 goals or more.
func priorityOf(goals int) int {
	switch {
	case goals <= 0:
		return 1
	case goals < 200:
		return 2
	case goals < LargeWorkspace:
		return 1
	case goals < 5*LargeWorkspace:
		return 2
	}
	return 1
}

// Queues returns what a client that works sync jobs puts in
// river.Config.Queues (or merges into its own queues): Queue with
// maxWorkers and QueueLarge with largeMaxWorkers, 0 meaning
// DefaultMaxWorkers and DefaultLargeMaxWorkers. A client that listed Queue
// alone would never run the syncs of large workspaces.
func Queues(maxWorkers, largeMaxWorkers int) map[string]river.QueueConfig {
	if maxWorkers <= 0 {
		maxWorkers = DefaultMaxWorkers
	}
	if largeMaxWorkers <= 0 {
		largeMaxWorkers = DefaultLargeMaxWorkers
	}
	return map[string]river.QueueConfig{
		Queue:      {MaxWorkers: maxWorkers},
		QueueLarge: {MaxWorkers: largeMaxWorkers},
	}
}

// UniqueStates returns the job states in which a tenant's sync job keeps
// another from being inserted: every state before the job is finalised
// (pending, available, scheduled, which includes snoozed, retryable and
// running). A completed, cancelled or discarded sync does not block the
// next one.
//
// River requires available, pending, running and scheduled in any set of
// unique states. Retryable, which River lets a job leave out, is kept: a
// sync waiting for its retry is still the tenant's sync, and a second job
// would run a second sync of the same workspace once both are due.
//
// Completed is left out, unlike in River's default states. River keeps a
// completed job's row for its CompletedJobRetentionPeriod (24 hours by
// default), and a state among the unique states blocks inserts for as long
// as a row in it is kept. A tenant's nightly insert comes 24 hours after
// the previous one, so less than 24 hours after that sync completed: it
// would find the completed row and be skipped, and the tenant would be
// synced every other night; an admin's "sync now" after a sync would do
// nothing. Cancelled and discarded are left out too, as in River's
// default: once the host fixed what stopped the sync (a token, its
// configuration), the next insert syncs.
//
// So inserting a tenant's sync returns the tenant's job still waiting or
// running, with rivertype.JobInsertResult.UniqueSkippedAsDuplicate set,
// and otherwise adds a new job.
func UniqueStates() []rivertype.JobState {
	return []rivertype.JobState{
		rivertype.JobStateAvailable,
		rivertype.JobStatePending,
		rivertype.JobStateRetryable,
		rivertype.JobStateRunning,
		rivertype.JobStateScheduled,
	}
}

// Tenant is what one sync of a tenant needs, as the host's Resolver finds
// it when the job runs.
type Tenant struct {
	// Client talks to the tenant's Asana with the tenant's token.
	Client *asana.Client
	// Config is the tenant's sync configuration (its workspace GID, …).
	// A tenant's nightly job usually syncs the current review period only:
	// set Config.Period to it, and the sync keeps and walks the goals of
	// that window alone, at a fraction of the requests, and refreshes the
	// stored goals of other periods from the scan, their Key Results as
	// stored (see goals.Config.Period).
	Config goals.Config
	// Employees are the tenant's employees and their Asana user GIDs.
	Employees []goals.Employee
	// Store is where the tenant's goals are written, and read back by the
	// mass-removal guard.
	Store goals.Store
}

// Resolver turns a tenant ID into what its sync needs. An error wrapping
// ErrUnknownTenant, or a *goals.GoalsConfigError, cancels the job; any
// other error is retried with River's backoff. Its error messages end up in
// the job's row: they must not hold the token.
type Resolver func(ctx context.Context, tenantID string) (Tenant, error)

// ErrUnknownTenant is what a Resolver wraps when the tenant does not exist
// (any more): the job is cancelled instead of retried.
var ErrUnknownTenant = errors.New("riverjob: unknown tenant")

// WorkerOptions tune a Worker.
type WorkerOptions struct {
	// Timeout bounds one sync: 0 means DefaultTimeout, a negative value no
	// bound but the client's shutdown. Keep it below the client's
	// RescueStuckJobsAfter only if that is what you mean: the rescuer
	// leaves a job running for at least max(Timeout, RescueStuckJobsAfter),
	// so it is also how long the syncs of a machine that died wait before
	// another machine runs them (see "Losing a machine" in the package
	// doc). With a negative Timeout, River's rescuer never retries a job:
	// a dead machine's syncs stay running in the table, and keep their
	// tenants' next syncs from being inserted (see UniqueStates), until
	// cancelled (river.Client.JobCancel).
	Timeout time.Duration
	// Logger gets one line per sync outcome (tenant ID, job ID, attempt,
	// outcome; never a token) when the job runs without River's riverlog
	// middleware. nil discards.
	//
	// When the host installed riverlog.NewMiddleware (on its client, in
	// river.Config.Middleware), the lines go to riverlog.Logger(ctx)
	// instead, and River stores them with the job (its metadata, under
	// "river:log", one entry per attempt, as River UI shows them), not to
	// Logger.
	Logger *slog.Logger
}

// Worker is the River worker of SyncArgs: it runs one goals sync per job.
// Register it with river.AddWorker(workers, riverjob.NewWorker(resolve, opts)).
// It holds no state between jobs, so any worker of any machine can run any
// tenant.
type Worker struct {
	river.WorkerDefaults[SyncArgs]
	resolve Resolver
	timeout time.Duration
	logger  *slog.Logger
}

// NewWorker returns a Worker resolving tenants with resolve.
func NewWorker(resolve Resolver, opts WorkerOptions) *Worker {
	w := &Worker{resolve: resolve, timeout: opts.Timeout, logger: opts.Logger}
	if w.timeout == 0 {
		w.timeout = DefaultTimeout
	}
	if w.timeout < 0 {
		w.timeout = -1
	}
	if w.logger == nil {
		w.logger = slog.New(slog.DiscardHandler)
	}
	return w
}

// Timeout returns the bound of one sync (see WorkerOptions.Timeout).
func (w *Worker) Timeout(*river.Job[SyncArgs]) time.Duration { return w.timeout }

// Work runs one sync of the job's tenant and returns its outcome in River's
// terms (see Outcome). The job's context is the sync's: when River cancels
// it (shutdown, timeout) the sync stops and removes nothing.
func (w *Worker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	tenantID := job.Args.TenantID
	log := w.jobLogger(ctx).With(slog.String("tenant_id", tenantID), slog.Int64("job_id", job.ID), slog.Int("attempt", job.Attempt))
	if tenantID == "" {
		return river.JobCancel(errors.New("riverjob: the job has no tenant ID"))
	}
	if w.resolve == nil {
		return river.JobCancel(errors.New("riverjob: the worker has no Resolver"))
	}
	t, err := w.resolve(ctx, tenantID)
	if err != nil {
		err = fmt.Errorf("riverjob: tenant %q: %w", tenantID, err)
		var cfgErr *goals.GoalsConfigError
		if errors.Is(err, ErrUnknownTenant) || errors.As(err, &cfgErr) {
			log.Warn("asana goals sync cancelled", slog.String("error", err.Error()))
			return river.JobCancel(err)
		}
		log.Warn("asana goals sync: resolving the tenant failed", slog.String("error", err.Error()))
		return err
	}
	if t.Client == nil || t.Store == nil {
		err := fmt.Errorf("riverjob: tenant %q: %w", tenantID,
			&goals.GoalsConfigError{Field: "Tenant", Problem: "the Resolver returned no Asana client or no store"})
		log.Warn("asana goals sync cancelled", slog.String("error", err.Error()))
		return river.JobCancel(err)
	}

	report, syncErr := goals.NewIngester(t.Client, t.Store, t.Config).Sync(ctx, t.Employees)
	if report != nil {
		if err := river.RecordOutput(ctx, report); err != nil {
			// The sync's outcome stands; only its record is missing.
			log.Warn("asana goals sync: recording the report failed", slog.String("error", err.Error()))
		}
	}
	if syncErr != nil {
		syncErr = fmt.Errorf("riverjob: tenant %q: %w", tenantID, syncErr)
	}
	out := Outcome(syncErr)
	switch {
	case out == nil:
		failed := 0
		if report != nil {
			failed = len(report.Failed())
		}
		log.Info("asana goals sync done", slog.Int("employees_failed", failed))
	case out == syncErr:
		log.Warn("asana goals sync failed; River retries it", slog.String("error", syncErr.Error()))
	default:
		log.Warn("asana goals sync stopped", slog.String("outcome", out.Error()), slog.String("error", syncErr.Error()))
	}
	return out
}

// jobLogger is the job's riverlog logger when River's riverlog middleware
// put one in ctx, and the configured logger otherwise.
func (w *Worker) jobLogger(ctx context.Context) *slog.Logger {
	if l, ok := riverlog.LoggerSafely(ctx); ok {
		return l
	}
	return w.logger
}

// Outcome turns the error of goals.Ingester.Sync into what a River worker
// returns:
//
//   - nil (the sync succeeded, even if some employees failed): nil;
//   - a *goals.GoalsConfigError, asana.ErrUnauthorized (401) or
//     asana.ErrPaymentRequired (402): river.JobCancel(err), never retried;
//   - asana.ErrWaitTooLong with the *asana.Error saying how long Asana
//     asked to wait: river.JobSnooze for that long;
//   - anything else (scan failed on 5xx or the network, context ended): err
//     itself, for River to retry with backoff.
func Outcome(err error) error {
	if err == nil {
		return nil
	}
	var cfgErr *goals.GoalsConfigError
	if errors.As(err, &cfgErr) || errors.Is(err, asana.ErrUnauthorized) || errors.Is(err, asana.ErrPaymentRequired) {
		return river.JobCancel(err)
	}
	var apiErr *asana.Error
	if errors.Is(err, asana.ErrWaitTooLong) && errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		return river.JobSnooze(apiErr.RetryAfter)
	}
	return err
}
