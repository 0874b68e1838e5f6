package backfill

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
	"github.com/spsync/spsync/internal/store/dbsqlc"
)

// page is one fetched page: where the window continues ("" on its last
// page) and how to store it.
type page struct {
	next string
	// store writes the page's rows and follow-ups in tx and returns the
	// number of rows inserted or changed.
	store func(ctx context.Context, tx pgx.Tx) (int64, error)
}

// streamOps is how a window of one stream is fetched.
type streamOps struct {
	op    string // the list operation, whose budget each page takes
	fetch func(ctx context.Context, acct *jobs.Account, win *dbsqlc.BackfillWindow) (*page, error)
}

func (w *WindowWorker) stream(name string) (streamOps, error) {
	switch name {
	case StreamOrders:
		return streamOps{op: spapi.OpGetOrders, fetch: w.fetchOrders}, nil
	case StreamServiceJobs:
		return streamOps{op: spapi.OpGetServiceJobs, fetch: w.fetchServiceJobs}, nil
	case StreamFulfillmentOrders:
		return streamOps{op: spapi.OpListAllFulfillmentOrders, fetch: w.fetchFulfillmentOrders}, nil
	}
	return streamOps{}, river.JobCancel(fmt.Errorf("unknown backfill stream %q", name))
}

// inWindow reports whether created lies in [start, end). Amazon's "before"
// includes its instant, so a row created exactly at end is listed by this
// window and the next; the next one keeps it.
func inWindow(created, start, end time.Time) bool {
	return !created.Before(start) && created.Before(end)
}

func (w *WindowWorker) fetchOrders(ctx context.Context, acct *jobs.Account, win *dbsqlc.BackfillWindow) (*page, error) {
	req := spapi.GetOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, CreatedAfter: win.WindowStart, CreatedBefore: win.WindowEnd, MaxResultsPerPage: 100}
	if win.NextToken != "" {
		req = spapi.GetOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, NextToken: win.NextToken}
	}
	res, err := acct.Client.GetOrders(ctx, req)
	if err != nil {
		return nil, err
	}
	keep := res.Orders[:0:0]
	for _, o := range res.Orders {
		if inWindow(o.PurchaseDate, win.WindowStart, win.WindowEnd) {
			keep = append(keep, o)
		}
	}
	return &page{next: res.NextToken, store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
		changes, err := store.UpsertOrders(ctx, tx, acct.ID, keep)
		if err != nil {
			return 0, err
		}
		if err := w.deps.Quarantine(ctx, tx, acct, res.Quarantined); err != nil {
			return 0, err
		}
		jobs.ReportDecoded(w.deps, acct.ID, spapi.OpGetOrders, keep...)
		if err := jobs.InsertFollowups(ctx, tx, orders.ItemsJobs(acct.ID, changes, true)); err != nil {
			return 0, err
		}
		return int64(len(changes)), nil
	}}, nil
}

func (w *WindowWorker) fetchServiceJobs(ctx context.Context, acct *jobs.Account, win *dbsqlc.BackfillWindow) (*page, error) {
	// Services expects every filter again with the pageToken.
	res, err := acct.Client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{
		MarketplaceIDs: acct.MarketplaceIDs,
		CreatedAfter:   win.WindowStart,
		CreatedBefore:  win.WindowEnd,
		PageSize:       20,
		PageToken:      win.NextToken,
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
		if j.CreateTime == nil || inWindow(*j.CreateTime, win.WindowStart, win.WindowEnd) {
			keep = append(keep, j)
		}
	}
	storePII := w.opts.ServiceJobsStorePII
	return &page{next: res.NextPageToken, store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
		changes, err := store.UpsertServiceJobs(ctx, tx, acct.ID, keep, store.StoreServiceJobPII(storePII))
		if err != nil {
			return 0, err
		}
		if err := w.deps.Quarantine(ctx, tx, acct, res.Quarantined, store.StoreServiceJobPII(storePII)); err != nil {
			return 0, err
		}
		jobs.ReportDecoded(w.deps, acct.ID, spapi.OpGetServiceJobs, keep...)
		return int64(len(changes)), nil
	}}, nil
}

func (w *WindowWorker) fetchFulfillmentOrders(ctx context.Context, acct *jobs.Account, win *dbsqlc.BackfillWindow) (*page, error) {
	res, err := acct.Client.ListAllFulfillmentOrders(ctx, spapi.ListAllFulfillmentOrdersRequest{QueryStartDate: win.WindowStart, NextToken: win.NextToken})
	if err != nil {
		return nil, err
	}
	// No end date exists for this operation: everything listed is kept
	// (newer than `to` or not, it is the order as it stands now).
	return &page{next: res.NextToken, store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
		changes, err := store.UpsertFulfillmentOrders(ctx, tx, acct.ID, res.FulfillmentOrders)
		if err != nil {
			return 0, err
		}
		if err := w.deps.Quarantine(ctx, tx, acct, res.Quarantined); err != nil {
			return 0, err
		}
		jobs.ReportDecoded(w.deps, acct.ID, spapi.OpListAllFulfillmentOrders, res.FulfillmentOrders...)
		var rows int64
		for _, c := range changes {
			if c.Written {
				rows++
			}
		}
		if err := jobs.InsertFollowups(ctx, tx, fulfillment.DetailJobs(acct.ID, changes, true)); err != nil {
			return 0, err
		}
		return rows, nil
	}}, nil
}
