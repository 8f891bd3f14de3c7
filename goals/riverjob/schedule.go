package riverjob

import (
	"hash/fnv"
	"time"

	"github.com/riverqueue/river"
)

// Daily returns a schedule that fires once a day, at the time of day at
// (the time since midnight, 0 to 24h) in loc (nil means UTC). On a day a
// clock change skips or repeats that time, it fires at the time
// time.Date normalises it to.
func Daily(at time.Duration, loc *time.Location) river.PeriodicSchedule {
	if loc == nil {
		loc = time.UTC
	}
	at = max(0, min(at, 24*time.Hour-time.Second))
	return daily{at: at, loc: loc}
}

type daily struct {
	at  time.Duration
	loc *time.Location
}

// Next returns the first time of day d.at in d.loc strictly after current.
func (d daily) Next(current time.Time) time.Time {
	c := current.In(d.loc)
	for day := 0; ; day++ {
		next := time.Date(c.Year(), c.Month(), c.Day()+day, 0, 0, 0, 0, d.loc).Add(d.at)
		if next.After(current) {
			return next
		}
	}
}

// Nightly returns tenantID's schedule among many: once a day, at from plus
// an offset in [0, window) drawn from the tenant ID (the same every day and
// on every machine), so that a thousand tenants do not all start at once.
// A window of 0 puts every tenant at from.
func Nightly(tenantID string, from, window time.Duration, loc *time.Location) river.PeriodicSchedule {
	return Daily(from+spread(tenantID, window), loc)
}

// spread is tenantID's fixed offset in [0, window), whole seconds.
func spread(tenantID string, window time.Duration) time.Duration {
	secs := int64(window / time.Second)
	if secs <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(tenantID))
	return time.Duration(h.Sum64()%uint64(secs)) * time.Second
}

// PeriodicJob returns a River periodic job that inserts tenantID's sync on
// schedule. Its ID is Kind + ":" + tenantID, so adding a tenant twice to
// one client is an error, and removing it takes that ID. The insert is
// skipped while the tenant's previous sync is still waiting or running
// (see UniqueStates).
func PeriodicJob(tenantID string, schedule river.PeriodicSchedule) *river.PeriodicJob {
	return SizedPeriodicJob(tenantID, nil, schedule)
}

// SizedPeriodicJob is PeriodicJob for a tenant whose size the host knows:
// at each insert, goals() gives the job's SyncArgs.Goals (the
// WorkspaceGoalsScanned of the tenant's last report, say; 0 when it does
// not know), which puts the sync on its queue, the longer syncs first (see
// SyncArgs.InsertOpts). River's leader calls it as it inserts the job; nil
// is PeriodicJob.
func SizedPeriodicJob(tenantID string, goals func() int, schedule river.PeriodicSchedule) *river.PeriodicJob {
	return river.NewPeriodicJob(schedule, func() (river.JobArgs, *river.InsertOpts) {
		args := SyncArgs{TenantID: tenantID}
		if goals != nil {
			args.Goals = max(goals(), 0)
		}
		return args, nil
	}, &river.PeriodicJobOpts{ID: Kind + ":" + tenantID})
}

// NightlyJobs returns one periodic job per tenant, each on its Nightly
// schedule: put them in river.Config.PeriodicJobs, or add them to a running
// client with client.PeriodicJobs().AddMany. River's leader inserts the
// jobs; any client with the Worker runs them.
func NightlyJobs(tenantIDs []string, from, window time.Duration, loc *time.Location) []*river.PeriodicJob {
	jobs := make([]*river.PeriodicJob, 0, len(tenantIDs))
	for _, id := range tenantIDs {
		jobs = append(jobs, PeriodicJob(id, Nightly(id, from, window, loc)))
	}
	return jobs
}

// SizedNightlyJobs is NightlyJobs with each tenant's size: goals(tenantID),
// called as each job is inserted, is its SyncArgs.Goals (see
// SizedPeriodicJob). goals must be safe for concurrent use.
func SizedNightlyJobs(tenantIDs []string, goals func(tenantID string) int, from, window time.Duration, loc *time.Location) []*river.PeriodicJob {
	jobs := make([]*river.PeriodicJob, 0, len(tenantIDs))
	for _, id := range tenantIDs {
		var size func() int
		if goals != nil {
			size = func() int { return goals(id) }
		}
		jobs = append(jobs, SizedPeriodicJob(id, size, Nightly(id, from, window, loc)))
	}
	return jobs
}
