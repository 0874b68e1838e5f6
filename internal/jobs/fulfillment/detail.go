package fulfillment

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// DetailWorker runs DetailArgs.
type DetailWorker struct {
	river.WorkerDefaults[DetailArgs]
	deps *jobs.Deps
}

// Work fetches the order unless its stored children are already as new as
// the version the job was queued for (an earlier fetch saw a later
// status), then stores it with tracking jobs for its new packages.
func (w *DetailWorker) Work(ctx context.Context, job *river.Job[DetailArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	done, err := store.FulfillmentDetailVersion(ctx, w.deps.Pool, acct.ID, job.Args.SellerFulfillmentOrderID)
	if err != nil {
		return err
	}
	if done != nil && !done.Before(job.Args.StatusUpdatedDate) {
		return nil
	}
	class := jobs.ClassFollowup
	if job.Args.Backfill {
		class = jobs.ClassBackfill
	}
	return w.deps.JobError(fetchDetail(ctx, w.deps, acct, job.Args.SellerFulfillmentOrderID, class))
}

// RefreshWorker runs RefreshArgs.
type RefreshWorker struct {
	river.WorkerDefaults[RefreshArgs]
	deps *jobs.Deps
}

// Work refetches the order and its children. Like every upsert it changes
// nothing when nothing changed. A refresh a push notification asked for
// reports its change-to-row latency after the commit.
func (w *RefreshWorker) Work(ctx context.Context, job *river.Job[RefreshArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	err = fetchDetail(ctx, w.deps, acct, job.Args.SellerFulfillmentOrderID, jobs.ClassFollowup)
	if err == nil {
		// Committed: the row holds the change the notification announced.
		w.deps.ReportPushLatency(Stream, job.Args.NotifiedChange)
	}
	return w.deps.JobError(err)
}

// fetchDetail calls getFulfillmentOrder (one token of class) and stores the
// answer: the header and every child table in one transaction, with a
// tracking job for every package the account had never stored.
func fetchDetail(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, orderID string, class jobs.BudgetClass) error {
	if err := deps.Take(ctx, acct, spapi.OpGetFulfillmentOrder, class); err != nil {
		return err
	}
	res, err := acct.Client.GetFulfillmentOrder(ctx, orderID)
	if err != nil {
		return fmt.Errorf("get fulfillment order %s: %w", orderID, deps.QuarantineIncomplete(ctx, acct, err))
	}
	if err := pgx.BeginFunc(ctx, deps.Pool, func(tx pgx.Tx) error {
		return storeDetail(ctx, tx, acct.ID, res)
	}); err != nil {
		return err
	}
	jobs.ReportDecoded(deps, acct.ID, spapi.OpGetFulfillmentOrder, *res)
	return nil
}

// storeDetail writes a getFulfillmentOrder answer in tx and inserts, in the
// same transaction, a TrackingArgs job for every package stored for the
// first time. It must run inside a River job (the follow-ups are inserted
// with the job's client).
func storeDetail(ctx context.Context, tx pgx.Tx, accountID string, res *spapi.GetFulfillmentOrderResult) error {
	rows, err := MapFulfillmentOrderDetail(res)
	if err != nil {
		return fmt.Errorf("account %s: %w", accountID, err)
	}
	out, err := store.ReplaceFulfillmentOrderDetail(ctx, tx, accountID, rows)
	if err != nil {
		return err
	}
	return jobs.InsertFollowups(ctx, tx, trackingJobs(accountID, out.NewPackages))
}

// trackingJobs returns the first tracking job of each new package.
func trackingJobs(accountID string, pkgs []store.NewPackage) []river.InsertManyParams {
	params := make([]river.InsertManyParams, 0, len(pkgs))
	for _, p := range pkgs {
		params = append(params, river.InsertManyParams{Args: TrackingArgs{
			AccountID: accountID, PackageNumber: p.PackageNumber, SellerFulfillmentOrderID: p.SellerFulfillmentOrderID,
		}})
	}
	return params
}
