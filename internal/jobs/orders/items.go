package orders

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/orders/ordermap"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// ItemsWorker runs ItemsArgs.
type ItemsWorker struct {
	river.WorkerDefaults[ItemsArgs]
	deps *jobs.Deps
}

// Work fetches every page of the order's items and replaces the stored
// ones. Pages are gathered first: a partial list would delete the items of
// the pages not yet read.
func (w *ItemsWorker) Work(ctx context.Context, job *river.Job[ItemsArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	class := jobs.ClassFollowup
	if job.Args.Backfill {
		class = jobs.ClassBackfill
	}
	items, bad, err := fetchItems(ctx, w.deps, acct, job.Args.AmazonOrderID, class)
	if err != nil {
		return w.deps.JobError(err)
	}
	err = pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		_, err := jobs.StorePage(ctx, w.deps, tx, itemsStore(acct, job.Args.AmazonOrderID, items, bad))
		return err
	})
	return w.deps.JobError(err)
}

// itemsStore is how an order's items are stored (jobs.StorePage): all of
// them at once, replacing the stored ones, the records without an
// OrderItemId set aside.
func itemsStore(acct *jobs.Account, orderID string, items []spapi.OrderItem, bad []spapi.Quarantined) jobs.PageStore[spapi.OrderItem] {
	return jobs.PageStore[spapi.OrderItem]{
		Account: acct, Stream: Stream, Op: spapi.OpGetOrderItems, Table: "order_items",
		Records: items, Quarantined: bad,
		Write: func(ctx context.Context, tx pgx.Tx, items []spapi.OrderItem) (jobs.Written, error) {
			rows, err := ordermap.Items(orderID, items)
			if err != nil {
				return jobs.Written{}, err
			}
			res, err := store.ReplaceOrderItems(ctx, tx, acct.ID, []store.OrderItems{rows})
			if err != nil {
				return jobs.Written{}, err
			}
			return jobs.Written{Changed: int(res.Written)}, nil
		},
	}
}

// fetchItems walks getOrderItems, one budget token per page. It returns the
// items and the records Amazon sent without an OrderItemId (to quarantine).
func fetchItems(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, orderID string, class jobs.BudgetClass) ([]spapi.OrderItem, []spapi.Quarantined, error) {
	var items []spapi.OrderItem
	var bad []spapi.Quarantined
	pager := acct.Client.GetOrderItemsPager(spapi.GetOrderItemsRequest{AmazonOrderID: orderID})
	for pager.More() {
		if err := deps.Take(ctx, acct, spapi.OpGetOrderItems, class); err != nil {
			return nil, nil, err
		}
		page, err := pager.Next(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("get items of order %s, page %d: %w", orderID, pager.Pages()+1, err)
		}
		items = append(items, page.OrderItems...)
		bad = append(bad, page.Quarantined...)
	}
	return items, bad, nil
}
