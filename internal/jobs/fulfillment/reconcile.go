package fulfillment

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/store"
)

// ReconcileArgs looks for one account's fulfillment work that was lost and
// queues it again. A tracking or detail job can end without its successor:
// it failed for good after River's retries, it was cancelled on a bad
// answer, or an operator deleted it. The rows it should have refreshed then
// stay behind for ever; the reconciliation finds them and queues the job
// once more. It makes no SP-API call.
type ReconcileArgs struct {
	AccountID string `json:"account_id" river:"unique"`
}

// Kind is the River job kind.
func (ReconcileArgs) Kind() string { return "fulfillment_reconcile" }

// InsertOpts runs the reconciliation beside the polls, one per account at a
// time.
func (ReconcileArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePoll, Priority: jobs.PriorityPoll, UniqueOpts: jobs.UniqueWhileActive()}
}

// ReconcileSchedule is when each account's reconciliation runs: hourly, and
// once when the worker starts.
const ReconcileSchedule = "@hourly"

// reconcileBatch caps the rows of each kind one run looks at, longest
// untouched first. Lost work beyond it waits for a later run; so can lost
// work behind more than this many stale rows whose jobs are still pending
// (a refresh backlog of hours), which is left until that backlog clears.
const reconcileBatch = 2000

// ReconcileWorker runs ReconcileArgs.
type ReconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	deps *jobs.Deps
	opts Options
}

// Work queues, in one transaction:
//   - a tracking refresh, due now, for each live package younger than
//     TrackingMaxAge whose tracking was not refreshed for ReconcileAfter;
//   - a first tracking fetch for each package seen ReconcileAfter ago and
//     younger than TrackingMaxAge that has no tracking stored;
//   - a detail fetch for each order whose detail is behind its header,
//     unchanged for ReconcileAfter, its status changed within
//     TrackingMaxAge.
//
// The jobs are unique (tracking while active, detail per status version),
// so a package or order whose job is still pending gets no second one; only
// lost work is queued.
func (w *ReconcileWorker) Work(ctx context.Context, job *river.Job[ReconcileArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	// synced_at and first_seen_at are stamped by the database's clock, ship
	// and status dates by Amazon's (Deps.Clock plays it).
	q := store.ReconcileQuery{
		AccountID:      acct.ID,
		UntouchedSince: time.Now().Add(-w.opts.ReconcileAfter),
		NewerThan:      w.deps.Clock().Add(-w.opts.TrackingMaxAge),
		Limit:          reconcileBatch,
	}
	var tracking, first, details int
	err = pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		open, err := store.ListOpenPackageTracking(ctx, tx, q)
		if err != nil {
			return err
		}
		missing, err := store.ListPackagesWithoutTracking(ctx, tx, q)
		if err != nil {
			return err
		}
		behind, err := store.ListFulfillmentOrdersDetailBehind(ctx, tx, q)
		if err != nil {
			return err
		}
		now := time.Now()
		var params []river.InsertManyParams
		for _, p := range open {
			params = append(params, river.InsertManyParams{
				Args:       TrackingArgs{AccountID: acct.ID, PackageNumber: p.PackageNumber},
				InsertOpts: &river.InsertOpts{ScheduledAt: now},
			})
		}
		for _, p := range missing {
			params = append(params, river.InsertManyParams{
				Args:       TrackingArgs{AccountID: acct.ID, PackageNumber: p.PackageNumber, SellerFulfillmentOrderID: p.SellerFulfillmentOrderID},
				InsertOpts: &river.InsertOpts{ScheduledAt: now},
			})
		}
		for _, o := range behind {
			params = append(params, river.InsertManyParams{
				Args: DetailArgs{AccountID: acct.ID, SellerFulfillmentOrderID: o.SellerFulfillmentOrderID, StatusUpdatedDate: o.StatusUpdatedDate},
			})
		}
		inserted, err := jobs.InsertNew(ctx, tx, params)
		if err != nil {
			return err
		}
		tracking, first, details = countTrue(inserted[:len(open)]), countTrue(inserted[len(open):len(open)+len(missing)]), countTrue(inserted[len(open)+len(missing):])
		return nil
	})
	if err != nil {
		return w.deps.JobError(fmt.Errorf("reconcile fulfillment of account %s: %w", acct.ID, err))
	}
	if tracking+first+details > 0 {
		w.deps.Log().Warn("fulfillment reconciliation queued lost work again", "account", acct.ID,
			"tracking_refreshes", tracking, "first_tracking_fetches", first, "order_details", details)
	}
	return nil
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
