package orders

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
)

// PollCron is the orders poll's schedule. SPSYNC_ORDERS_CRON set, it is each
// account's poll schedule. Unset, the poll is budget-aware (jobs.NextPoll):
// one self-scheduled poll per account runs every refill of its list bucket
// (179 s for 2026-01-01's searchOrders, 60 s for v0's getOrders), waits for
// full pages while a backfill shares the bucket, and with push is a safety
// net at most five refills apart; the cron (pollSchedule) is then only the
// fallback of a poll without the budget-aware schedule.
var PollCron = config.ScheduleSpec{Env: "SPSYNC_ORDERS_CRON", Default: "*/5 * * * *", SafetyNet: config.SafetyNetSchedule}

// pollSchedule is an account's orders poll cron: the configured one, else
// the safety net with push, else its API's default (v0's getOrders refills
// faster than searchOrders).
func pollSchedule(s config.Schedules, acct *jobs.Account) string {
	if s.Configured(PollCron) == "" && !s.SafetyNet && acct != nil && acct.OrdersAPI == config.OrdersAPIV0 {
		return "*/2 * * * *"
	}
	return s.Cron(PollCron)
}

// NewStream describes the orders stream (see jobs.Stream): its poll, its
// follow-ups, `worker refresh order ID`, and backfills by creation date
// (page walks) or by order date (order reports).
func NewStream(opts Options) jobs.Stream {
	opts = opts.withDefaults()
	src := newSource2026(opts)
	return jobs.Stream{
		Name:     Stream,
		Tables:   []string{"orders", "order_items", "order_packages", "order_package_items", "order_proceeds", "order_pii", "order_report_lines"},
		Register: func(w *river.Workers, deps *jobs.Deps) { register(w, deps, opts, src) },
		Periodic: []jobs.Periodic{{
			// Budget-aware unless the operator set SPSYNC_ORDERS_CRON: one
			// self-scheduled poll per account decides its cadence from the
			// bucket, the change rate, running backfills and push
			// (jobs.NextPoll).
			ID: "orders_poll", Poll: true, Cron: PollCron, Schedule: pollSchedule,
			Args:          func(accountID string) river.JobArgs { return PollArgs{AccountID: accountID} },
			SelfScheduled: func(s config.Schedules, _ *jobs.Account) bool { return s.Configured(PollCron) == "" },
			SelfArgs:      func(accountID string) river.JobArgs { return PollArgs{AccountID: accountID, Scheduled: true} },
		}, {
			// Hourly, whether or not PII is stored now: rows kept before the
			// opt-in was turned off are purged too. One job covers every
			// account, so it is registered once.
			ID: "order_pii_purge", Shared: true, Cron: config.ScheduleSpec{Default: "17 * * * *"},
			Args: func(string) river.JobArgs { return PIIPurgeArgs{} },
		}},
		Refresh: []jobs.RefreshKind{{Kind: "order", Args: func(accountID, id string) (river.JobArgs, error) {
			return RefreshArgs{AccountID: accountID, AmazonOrderID: id}, nil
		}}},
		Push: pushSource(),
		// `worker backfill orders --via reports`: history as order reports.
		Reports: reportSource(),
		Backfill: &jobs.BackfillSource{
			// A busy seller's day of orders is a few pages.
			Op: func(acct *config.Account) string {
				if acct != nil && acct.OrdersAPI == config.OrdersAPIV0 {
					return spapi.OpGetOrders
				}
				return spapi.OpSearchOrders
			},
			DefaultWindow: 24 * time.Hour,
			Page: func(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, from, to time.Time, token string) (*jobs.Page, error) {
				if uses2026(acct) {
					return src.backfillPage(ctx, deps, acct, from, to, token)
				}
				return backfillPage(ctx, deps, acct, from, to, token)
			},
			// The rest of a first poll's lookback (lookback.go).
			Lookback: func(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, from, to time.Time, token string) (*jobs.Page, error) {
				if uses2026(acct) {
					return src.lookbackPage(ctx, deps, acct, from, to, token)
				}
				return lookbackPage(ctx, deps, acct, from, to, token)
			},
		},
	}
}

// backfillPage fetches one page of orders created in [from, to) and keeps
// the ones created in it: Amazon's CreatedBefore includes its instant, so an
// order created exactly at to belongs to the next window.
func backfillPage(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, from, to time.Time, token string) (*jobs.Page, error) {
	req := spapi.GetOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, CreatedAfter: from, CreatedBefore: to, MaxResultsPerPage: 100}
	if token != "" {
		req = spapi.GetOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, NextToken: token}
	}
	res, err := acct.Client.GetOrders(ctx, req)
	if err != nil {
		return nil, err
	}
	keep := res.Orders[:0:0]
	for _, o := range res.Orders {
		if jobs.InWindow(o.PurchaseDate, from, to) {
			keep = append(keep, o)
		}
	}
	return &jobs.Page{Next: res.NextToken, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
		return jobs.StorePage(ctx, deps, tx, pageStore(acct, keep, res.Quarantined, true))
	}}, nil
}
