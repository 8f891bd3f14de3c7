package riverjob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverlog"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

// DefaultTimeout is how long one sync may run before its context is
// cancelled, when WorkerOptions.Timeout is 0: a workspace of several
// thousand goals on a free plan (150 requests a minute) takes about
// half of it. River's rescuer leaves a running job alone for at least
// this long, so a live sync is never run twice.
const DefaultTimeout = time.Hour

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
