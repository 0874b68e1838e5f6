package servicejobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// NewStream describes the service jobs stream (see jobs.Stream): its poll,
// the scheduled refreshes of open jobs, `worker refresh service-job ID`, and
// backfills by creation date.
func NewStream(opts Options) jobs.Stream {
	return jobs.Stream{
		Name:     Stream,
		Aliases:  []string{"service-jobs"},
		Tables:   []string{"service_jobs", "service_job_appointments", "service_job_items"},
		Register: func(w *river.Workers, deps *jobs.Deps) { Register(w, deps, opts) },
		Periodic: []jobs.Periodic{{
			ID: "service_jobs_poll", Poll: true,
			Schedule: func(s config.Schedules, _ *jobs.Account) string { return s.ServiceJobs },
			Args:     func(accountID string) river.JobArgs { return PollArgs{AccountID: accountID} },
		}},
		Refresh: []jobs.RefreshKind{{Kind: "service-job", Args: func(accountID, id string) (river.JobArgs, error) {
			return RefreshArgs{AccountID: accountID, ServiceJobID: id}, nil
		}}},
		Backfill: &jobs.BackfillSource{
			// A week of service jobs is a few pages.
			Op: jobs.OneOp(spapi.OpGetServiceJobs), DefaultWindow: 7 * 24 * time.Hour,
			Page: func(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, from, to time.Time, token string) (*jobs.Page, error) {
				return backfillPage(ctx, deps, acct, from, to, token, opts.StorePII)
			},
		},
	}
}

// backfillPage fetches one page of jobs created in [from, to).
func backfillPage(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, from, to time.Time, token string, storePII bool) (*jobs.Page, error) {
	// Services expects every filter again with the pageToken.
	res, err := acct.Client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{
		MarketplaceIDs: acct.MarketplaceIDs,
		CreatedAfter:   from,
		CreatedBefore:  to,
		PageSize:       20,
		PageToken:      token,
		SortField:      "JOB_DATE",
		SortOrder:      "ASC",
	})
	if err != nil {
		return nil, err
	}
	keep := res.Jobs[:0:0]
	for _, j := range res.Jobs {
		// A job without createTime cannot be placed; every window that
		// lists it keeps it (the upsert makes the repeats no-ops).
		if j.CreateTime == nil || jobs.InWindow(*j.CreateTime, from, to) {
			keep = append(keep, j)
		}
	}
	return &jobs.Page{Next: res.NextPageToken, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
		changes, err := store.UpsertServiceJobs(ctx, tx, acct.ID, keep, store.StoreServiceJobPII(storePII))
		if err != nil {
			return 0, err
		}
		if err := deps.Quarantine(ctx, tx, acct, res.Quarantined, store.StoreServiceJobPII(storePII)); err != nil {
			return 0, err
		}
		jobs.ReportDecoded(deps, acct.ID, spapi.OpGetServiceJobs, keep...)
		return int64(len(changes)), nil
	}}, nil
}
