package servicejobs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
)

// PollCron is the service jobs poll's schedule (SPSYNC_SERVICE_JOBS_CRON,
// every five minutes): service jobs have no notification, so push leaves
// it as it is.
var PollCron = config.ScheduleSpec{Env: "SPSYNC_SERVICE_JOBS_CRON", Default: "*/5 * * * *"}

// NewStream describes the service jobs stream (see jobs.Stream): its poll,
// the scheduled refreshes of open jobs, `worker refresh service-job ID`, and
// backfills by creation date.
func NewStream(opts Options) jobs.Stream {
	return jobs.Stream{
		Name:     Stream,
		Aliases:  []string{"service-jobs"},
		Tables:   []string{"service_jobs", "service_job_appointments", "service_job_items"},
		Register: func(w *river.Workers, deps *jobs.Deps) { register(w, deps, opts) },
		Periodic: []jobs.Periodic{{
			ID: "service_jobs_poll", Poll: true, Cron: PollCron,
			Args: func(accountID string) river.JobArgs { return PollArgs{AccountID: accountID} },
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
//
// getServiceJobs takes one marketplace per call, so a window walks the
// account's marketplaces in turn, in sorted order (stable across restarts
// and configuration reorderings). The walk's token names the marketplace and
// Amazon's pageToken in it (see marketToken); the last page of one
// marketplace hands on to the first page of the next, and only the last
// marketplace's last page ends the window. A window killed in its second
// marketplace resumes there: the first marketplace's pages are not fetched
// again. One walk, not one per marketplace, keeps the backfill's accounting
// (a window is done once) as it is for every stream; its pages still take
// one token each of the account's getServiceJobs bucket.
func backfillPage(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, from, to time.Time, token string, storePII bool) (*jobs.Page, error) {
	markets := sortedMarkets(acct.MarketplaceIDs)
	if len(markets) == 0 {
		return nil, river.JobCancel(fmt.Errorf("account %s has no marketplace", acct.ID))
	}
	market, pageToken := resumeMarket(markets, token)
	// Services expects every filter again with the pageToken.
	res, err := acct.Client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{
		MarketplaceIDs: []string{market},
		CreatedAfter:   from,
		CreatedBefore:  to,
		PageSize:       20,
		PageToken:      pageToken,
		SortField:      "JOB_DATE",
		SortOrder:      "ASC",
	})
	if err != nil {
		return nil, fmt.Errorf("marketplace %s: %w", market, err)
	}
	next := ""
	if res.NextPageToken != "" {
		next = marketToken(market, res.NextPageToken)
	} else if k := slices.Index(markets, market); k+1 < len(markets) {
		next = marketToken(markets[k+1], "")
	}
	keep := res.Jobs[:0:0]
	for _, j := range res.Jobs {
		// A job without createTime cannot be placed; every window that
		// lists it keeps it (the upsert makes the repeats no-ops).
		if j.CreateTime == nil || jobs.InWindow(*j.CreateTime, from, to) {
			keep = append(keep, j)
		}
	}
	return &jobs.Page{Next: next, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
		return jobs.StorePage(ctx, deps, tx, pageStore(acct, keep, res.Quarantined, storePII, true))
	}}, nil
}

// marketTokenPrefix starts a backfill walk's token (walk_progress.next_token)
// that names its marketplace: "marketplace:<id>:<Amazon's pageToken>", the
// pageToken empty for the marketplace's first page.
const marketTokenPrefix = "marketplace:"

// marketToken is the walk token of market's page after pageToken.
func marketToken(market, pageToken string) string {
	return marketTokenPrefix + market + ":" + pageToken
}

// resumeMarket returns the marketplace and Amazon pageToken a backfill walk's
// token stands at; "" is the first marketplace's first page. A marketplace
// that has left the account's configuration hands on to the next one in
// order (past the last one, the last is walked again: its rows come back
// as no-op upserts, and a page must be fetched). A token without the prefix was saved by a release that asked for
// every marketplace at once: it carries on in the account's only
// marketplace (the same request), and starts the window again when there
// are several (Amazon refuses such a token with one marketplace; the pages
// come back as no-op upserts).
func resumeMarket(markets []string, token string) (market, pageToken string) {
	rest, ok := strings.CutPrefix(token, marketTokenPrefix)
	if !ok {
		if token != "" && len(markets) == 1 {
			return markets[0], token
		}
		return markets[0], ""
	}
	market, pageToken, _ = strings.Cut(rest, ":")
	if slices.Contains(markets, market) {
		return market, pageToken
	}
	for _, m := range markets {
		if m > market {
			return m, ""
		}
	}
	return markets[len(markets)-1], ""
}

// sortedMarkets is the account's marketplaces sorted, without repeats.
func sortedMarkets(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
