package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/orders/ordermap"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// RefreshWorker runs RefreshArgs.
type RefreshWorker struct {
	river.WorkerDefaults[RefreshArgs]
	deps *jobs.Deps
	src  *source2026
}

// Work refetches the order and all its items and writes them in one
// transaction. Like every upsert, it changes nothing when nothing changed.
// Orders 2026-01-01 accounts use its getOrder, items inline. A refresh a
// push notification asked for reports its change-to-row latency after the
// commit.
func (w *RefreshWorker) Work(ctx context.Context, job *river.Job[RefreshArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	if uses2026(acct) {
		err := w.src.refresh(ctx, w.deps, acct, job.Args.AmazonOrderID)
		if err == nil {
			w.deps.ReportPushLatency(Stream, job.Args.NotifiedChange)
		}
		return w.deps.JobError(err)
	}
	if err := w.deps.Take(ctx, acct, spapi.OpGetOrder, jobs.ClassFollowup); err != nil {
		return w.deps.JobError(err)
	}
	res, err := acct.Client.GetOrder(ctx, job.Args.AmazonOrderID)
	if err != nil {
		err = w.deps.QuarantineIncomplete(ctx, acct, err)
		return w.deps.JobError(fmt.Errorf("get order %s: %w", job.Args.AmazonOrderID, err))
	}
	items, bad, err := fetchItems(ctx, w.deps, acct, job.Args.AmazonOrderID, jobs.ClassFollowup)
	if err != nil {
		return w.deps.JobError(err)
	}
	err = pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		// A late answer (a poll or another refresh wrote a newer version
		// while this one was in flight) changes nothing, items included.
		stale, err := store.StaleOrders(ctx, tx, acct.ID, map[string]time.Time{res.Order.AmazonOrderId: res.Order.LastUpdateDate})
		if err != nil {
			return err
		}
		if stale[res.Order.AmazonOrderId] {
			w.deps.Logger.Debug("refresh answer older than the stored order: nothing written", "account", acct.ID, "order", job.Args.AmazonOrderID)
			return nil
		}
		order, err := ordermap.Order(&res.Order)
		if err != nil {
			return err
		}
		if _, err := store.UpsertOrders(ctx, tx, acct.ID, []store.OrderRow{order}); err != nil {
			return err
		}
		itemRows, err := ordermap.Items(job.Args.AmazonOrderID, items)
		if err != nil {
			return err
		}
		if _, err := store.ReplaceOrderItems(ctx, tx, acct.ID, []store.OrderItems{itemRows}); err != nil {
			return err
		}
		return w.deps.Quarantine(ctx, tx, acct, bad)
	})
	if err == nil {
		jobs.ReportDecoded(w.deps, acct.ID, spapi.OpGetOrder, res.Order)
		jobs.ReportDecoded(w.deps, acct.ID, spapi.OpGetOrderItems, items...)
		// Committed: the row holds the notified change (or, when the
		// answer was stale, a newer version that includes it).
		w.deps.ReportPushLatency(Stream, job.Args.NotifiedChange)
	}
	return w.deps.JobError(err)
}
