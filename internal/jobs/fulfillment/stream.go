package fulfillment

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
)

// PollCron is the fulfillment orders poll's schedule
// (SPSYNC_FULFILLMENT_ORDERS_CRON): every five minutes, every fifteen as
// the safety net of push (config.SafetyNetSchedule).
var PollCron = config.ScheduleSpec{Env: "SPSYNC_FULFILLMENT_ORDERS_CRON", Default: "*/5 * * * *", SafetyNet: config.SafetyNetSchedule}

// NewStream describes the fulfillment orders stream (see jobs.Stream): its
// poll and hourly reconciliation, details and package tracking as
// follow-ups, `worker refresh fulfillment-order ID` and `package N`, and
// backfills from a queryStartDate.
func NewStream(opts Options) jobs.Stream {
	return jobs.Stream{
		Name:    Stream,
		Aliases: []string{"fulfillment-orders"},
		Tables: []string{"fulfillment_orders", "fulfillment_order_items", "fulfillment_shipments", "fulfillment_shipment_items",
			"fulfillment_shipment_packages", "fulfillment_return_items", "package_tracking", "package_tracking_events"},
		Register: func(w *river.Workers, deps *jobs.Deps) { register(w, deps, opts) },
		Periodic: []jobs.Periodic{{
			ID: "fulfillment_orders_poll", Poll: true, Cron: PollCron,
			Args: func(accountID string) river.JobArgs { return PollArgs{AccountID: accountID} },
		}, {
			ID: "fulfillment_reconcile", Cron: config.ScheduleSpec{Default: ReconcileSchedule},
			Args: func(accountID string) river.JobArgs { return ReconcileArgs{AccountID: accountID} },
		}},
		Refresh: []jobs.RefreshKind{{Kind: "fulfillment-order", Args: func(accountID, id string) (river.JobArgs, error) {
			return RefreshArgs{AccountID: accountID, SellerFulfillmentOrderID: id}, nil
		}}, {Kind: "package", Args: func(accountID, id string) (river.JobArgs, error) {
			n, err := strconv.Atoi(id)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("package number %q is not a positive integer", id)
			}
			return RefreshPackageArgs{AccountID: accountID, PackageNumber: n}, nil
		}}},
		Push: pushSource(),
		Backfill: &jobs.BackfillSource{
			Op: jobs.OneOp(spapi.OpListAllFulfillmentOrders), SingleWindow: true, Page: backfillPage,
		},
	}
}

// backfillPage fetches one page of every order whose status changed since
// from. The operation has no end date: everything listed is kept (newer
// than the backfill's end or not, it is the order as it stands now).
func backfillPage(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, from, _ time.Time, token string) (*jobs.Page, error) {
	res, err := acct.Client.ListAllFulfillmentOrders(ctx, spapi.ListAllFulfillmentOrdersRequest{QueryStartDate: from, NextToken: token})
	if err != nil {
		return nil, err
	}
	return &jobs.Page{Next: res.NextToken, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
		return jobs.StorePage(ctx, deps, tx, pageStore(acct, res.FulfillmentOrders, res.Quarantined, true))
	}}, nil
}
