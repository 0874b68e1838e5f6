package servicejobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/spsync/spsync/internal/store"
)

// refreshDelay is how long after now (the data clock) an open job is next
// refreshed: a quarter of the time until its next open appointment, so
// refreshes tighten as it approaches (a job three days out is looked at
// twice a day, one due in an hour every fifteen minutes), and a quarter of
// the time since it once it has passed (completion is reported within
// hours; a job stuck for days is looked at less and less), bounded by
// RefreshMin and RefreshMax. A job without an open appointment waits
// RefreshUnscheduled.
func refreshDelay(now time.Time, next *time.Time, o Options) time.Duration {
	if next == nil {
		return o.RefreshUnscheduled
	}
	d := next.Sub(now)
	if d < 0 {
		d = -d
	}
	return min(max(d/4, o.RefreshMin), o.RefreshMax)
}

// scheduleRefreshes returns a scheduled refresh for each open job of the
// account's marketplace market, most urgent first, up to MaxOpenRefreshes.
// Each marketplace's poll schedules its own jobs: the polls of an account's
// marketplaces run at the same time, and one must not schedule a refresh of
// a job another has just closed in a transaction it cannot see yet. River
// schedules on the real clock; the delay comes from the data clock. A job
// whose refresh is already waiting keeps it (unique while active).
func scheduleRefreshes(ctx context.Context, tx pgx.Tx, accountID, market string, now time.Time, o Options) ([]river.InsertManyParams, error) {
	open, err := store.ListOpenServiceJobsIn(ctx, tx, accountID, market, o.MaxOpenRefreshes)
	if err != nil {
		return nil, err
	}
	wall := time.Now()
	params := make([]river.InsertManyParams, 0, len(open))
	for _, j := range open {
		params = append(params, river.InsertManyParams{
			Args:       RefreshArgs{AccountID: accountID, ServiceJobID: j.ServiceJobID, Scheduled: true},
			InsertOpts: &river.InsertOpts{ScheduledAt: wall.Add(refreshDelay(now, j.NextAppointmentTime, o))},
		})
	}
	return params, nil
}

// cancelClosedRefreshes cancels, in tx, the scheduled refreshes still
// waiting for jobs this page wrote as closed, so refresh jobs exist only
// for open jobs. On-demand refreshes are left alone.
func cancelClosedRefreshes(ctx context.Context, tx pgx.Tx, accountID string, changes []store.ServiceJobChange) error {
	var closed []string
	for _, c := range changes {
		if !c.Open {
			closed = append(closed, c.ServiceJobID)
		}
	}
	if len(closed) == 0 {
		return nil
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("cancel refreshes of closed service jobs: %w", err)
	}
	res, err := client.JobListTx(ctx, tx, river.NewJobListParams().Kinds(RefreshArgs{}.Kind()).
		States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateScheduled).
		Where("args->>'account_id' = @account_id AND args->>'service_job_id' = ANY(@closed::text[]) AND (args->>'scheduled')::boolean IS TRUE",
			river.NamedArgs{"account_id": accountID, "closed": closed}).
		First(len(closed)*4+10))
	if err != nil {
		return fmt.Errorf("find refreshes of closed service jobs: %w", err)
	}
	for _, j := range res.Jobs {
		if _, err := client.JobCancelTx(ctx, tx, j.ID); err != nil {
			return fmt.Errorf("cancel refresh job %d of a closed service job: %w", j.ID, err)
		}
	}
	return nil
}
