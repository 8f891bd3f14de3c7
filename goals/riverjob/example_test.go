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
	river.AddWorker(workers, riverjob.NewWorker(resolve, riverjob.WorkerOptions{}))
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:  map[string]river.QueueConfig{riverjob.Queue: {MaxWorkers: 20}}, // 20 tenants at once per machine
		Workers: workers,
		// Every tenant once a night, each at its own time between 01:00 and 03:00 UTC.
		PeriodicJobs: riverjob.NightlyJobs([]string{"acme", "globex"}, time.Hour, 2*time.Hour, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer client.Stop(ctx)

	// An admin asked for a sync now: a no-op while one is queued or running.
	if _, err := client.Insert(ctx, riverjob.SyncArgs{TenantID: "acme"}, nil); err != nil {
		log.Fatal(err)
	}
}
