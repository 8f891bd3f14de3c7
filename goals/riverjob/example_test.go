package riverjob_test

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/riverjob"
)

// hostTenants stands for the host's own tenant table.
type hostTenants struct{}

func (hostTenants) lookup(ctx context.Context, id string) (token, workspaceGID string, emps []goals.Employee, store goals.Store, err error) {
	return "", "", nil, nil, errors.New("the host's own lookup")
}

// goals is the size of the tenant's workspace at its last sync (the
// WorkspaceGoalsScanned of the report its last job recorded), 0 if none.
func (hostTenants) goals(id string) int { return 0 }

// Example wires the sync worker into a host's River client on the pgx pool
// it already has, syncs every tenant nightly between 01:00 and 03:00 UTC,
// and asks for one tenant's sync now. It needs a PostgreSQL server, so it
// has no output to check; on SQLite, use riversqlite.New(db) on a
// database/sql pool instead (db.SetMaxOpenConns(1)).
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// River's own tables, once per deploy.
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		log.Fatal(err)
	}

	// The Resolver: a tenant ID in, what its sync needs out. The token
	// stays in the host's secret store, never in the job row.
	var tenants hostTenants
	resolve := func(ctx context.Context, tenantID string) (riverjob.Tenant, error) {
		token, workspace, emps, store, err := tenants.lookup(ctx, tenantID)
		if err != nil {
			return riverjob.Tenant{}, err // wrap riverjob.ErrUnknownTenant for a deleted tenant
		}
		client, err := asana.NewClient(token, asana.WithRequestsPerMinute(asana.PaidRequestsPerMinute))
		if err != nil {
			return riverjob.Tenant{}, &goals.GoalsConfigError{Field: "token", Problem: err.Error()}
		}
		return riverjob.Tenant{Client: client, Config: goals.Config{WorkspaceGID: workspace}, Employees: emps, Store: store}, nil
	}

	workers := river.NewWorkers()
	// The worker's timeout: what the largest sync needs, with a margin. It
	// is also how long a dead machine's syncs wait before another runs them.
	river.AddWorker(workers, riverjob.NewWorker(resolve, riverjob.WorkerOptions{Timeout: 20 * time.Minute}))
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		// Per machine, 50 syncs of small workspaces and 4 of large ones at once.
		Queues:               riverjob.Queues(0, 0),
		Workers:              workers,
		RescueStuckJobsAfter: 20 * time.Minute,
		// Every tenant once a night, each at its own time between 01:00 and
		// 03:00 UTC, on the queue its size (its last report's) says.
		PeriodicJobs: riverjob.SizedNightlyJobs([]string{"acme", "globex"}, tenants.goals, time.Hour, 2*time.Hour, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer client.Stop(ctx)

	// An admin asked for a sync now: a no-op while one is queued or running.
	if _, err := client.Insert(ctx, riverjob.SyncArgs{TenantID: "acme", Goals: tenants.goals("acme")}, nil); err != nil {
		log.Fatal(err)
	}
}
