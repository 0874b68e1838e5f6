package orders

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
	"github.com/spsync/spsync/internal/store/dbsqlc"
)

// PollWorker runs PollArgs.
type PollWorker struct {
	river.WorkerDefaults[PollArgs]
	deps *jobs.Deps
	opts Options
}

// Timeout lets a long window page on: each page commits on its own, and
// budget waits beyond a few seconds snooze the job instead.
func (w *PollWorker) Timeout(*river.Job[PollArgs]) time.Duration { return 30 * time.Minute }

// Work polls one account's orders window, page by page.
func (w *PollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	acct, err := w.deps.Account(job.Args.AccountID)
	if err != nil {
		return err
	}
	scope := jobs.Scope(acct.MarketplaceIDs)
	if err := w.poll(ctx, acct, scope); err != nil {
		w.deps.RecordFailure(ctx, acct.ID, Stream, scope, err)
		return w.deps.JobError(fmt.Errorf("orders poll of account %s: %w", acct.ID, err))
	}
	return nil
}

// window is the part of a poll that survives between pages.
type window struct {
	after, before time.Time // before is zero until Amazon reports it
	token         string
	pages         int32
	rows          int64
}

func (w *PollWorker) poll(ctx context.Context, acct *jobs.Account, scope string) error {
	pool := w.deps.Pool
	q := dbsqlc.New()
	win, err := w.start(ctx, acct, scope)
	if err != nil {
		return err
	}
	restarts := 0
	for {
		if err := w.deps.Take(ctx, acct, spapi.OpGetOrders, jobs.ClassPoll); err != nil {
			return err
		}
		req := spapi.GetOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, LastUpdatedAfter: win.after, MaxResultsPerPage: w.opts.PageSize}
		if win.token != "" {
			req = spapi.GetOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, NextToken: win.token}
		}
		page, err := acct.Client.GetOrders(ctx, req)
		if err != nil {
			if jobs.ExpiredPageToken(err, win.token != "") {
				// The cursor has not moved, so restarting the window loses
				// nothing.
				if restarts == jobs.MaxPageTokenRestarts {
					return jobs.PageTokenGiveUp(spapi.OpGetOrders, err)
				}
				restarts++
				if derr := q.DeleteOrdersPollProgress(ctx, pool, dbsqlc.DeleteOrdersPollProgressParams{AccountID: acct.ID, Scope: scope}); derr != nil {
					return fmt.Errorf("restart window after expired page token: %w", derr)
				}
				win = window{after: win.after}
				continue
			}
			return fmt.Errorf("get orders page %d: %w", win.pages+1, err)
		}
		if win.token == "" {
			win.before = windowEnd(page, win.after)
		}
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			return w.storePage(ctx, tx, acct, scope, &win, page)
		}); err != nil {
			return err
		}
		if page.NextToken == "" {
			return nil
		}
		win.token = page.NextToken
	}
}

// start resumes a half-done window or opens a new one at the cursor.
func (w *PollWorker) start(ctx context.Context, acct *jobs.Account, scope string) (window, error) {
	prog, err := dbsqlc.New().GetOrdersPollProgress(ctx, w.deps.Pool, dbsqlc.GetOrdersPollProgressParams{AccountID: acct.ID, Scope: scope})
	switch {
	case err == nil:
		return window{after: prog.LastUpdatedAfter, before: prog.LastUpdatedBefore, token: prog.NextToken, pages: prog.Pages, rows: prog.RowsWritten}, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return window{}, fmt.Errorf("read orders poll progress: %w", err)
	}
	cursor, err := jobs.Cursor(ctx, w.deps.Pool, acct.ID, Stream, scope)
	if err != nil {
		return window{}, fmt.Errorf("read orders cursor: %w", err)
	}
	if cursor == nil {
		return window{after: w.deps.Clock().Add(-w.opts.InitialLookback).UTC().Truncate(time.Second)}, nil
	}
	return window{after: cursor.Add(-w.opts.Overlap)}, nil
}

// storePage writes one page in tx: the orders, an items job for each
// order that is new or changed, and either where the window continues or,
// on its last page, the cursor.
func (w *PollWorker) storePage(ctx context.Context, tx pgx.Tx, acct *jobs.Account, scope string, win *window, page *spapi.GetOrdersResult) error {
	q := dbsqlc.New()
	changes, err := store.UpsertOrders(ctx, tx, acct.ID, page.Orders)
	if err != nil {
		return err
	}
	if err := w.deps.Quarantine(ctx, tx, acct, page.Quarantined); err != nil {
		return err
	}
	jobs.ReportDecoded(w.deps, acct.ID, spapi.OpGetOrders, page.Orders...)
	w.deps.CountRows("orders", len(page.Orders), len(changes))
	if err := jobs.InsertFollowups(ctx, tx, ItemsJobs(acct.ID, changes, false)); err != nil {
		return err
	}
	pages, rows := win.pages+1, win.rows+int64(len(changes))
	if page.NextToken != "" {
		if err := q.SaveOrdersPollProgress(ctx, tx, dbsqlc.SaveOrdersPollProgressParams{
			AccountID: acct.ID, Scope: scope, LastUpdatedAfter: win.after, LastUpdatedBefore: win.before,
			NextToken: page.NextToken, Pages: pages, RowsWritten: rows,
		}); err != nil {
			return fmt.Errorf("save orders poll progress: %w", err)
		}
	} else {
		if err := q.DeleteOrdersPollProgress(ctx, tx, dbsqlc.DeleteOrdersPollProgressParams{AccountID: acct.ID, Scope: scope}); err != nil {
			return fmt.Errorf("clear orders poll progress: %w", err)
		}
		if err := jobs.AdvanceCursor(ctx, tx, acct.ID, Stream, scope, win.before, rows); err != nil {
			return fmt.Errorf("advance orders cursor: %w", err)
		}
	}
	win.pages, win.rows = pages, rows
	return nil
}

// windowEnd is where the cursor goes when the window is done: the end
// Amazon reports it used (LastUpdatedBefore, two minutes before its own
// clock by default), or, should it report none, the newest LastUpdateDate
// of the first page, never the host's clock.
func windowEnd(page *spapi.GetOrdersResult, after time.Time) time.Time {
	if page.LastUpdatedBefore != nil && !page.LastUpdatedBefore.IsZero() {
		return page.LastUpdatedBefore.UTC()
	}
	end := after
	for _, o := range page.Orders {
		if o.LastUpdateDate.After(end) {
			end = o.LastUpdateDate
		}
	}
	return end.UTC()
}

// ItemsJobs returns an items job for every change that needs one; backfill
// marks the items of history (ItemsArgs.Backfill).
func ItemsJobs(accountID string, changes []store.OrderChange, backfill bool) []river.InsertManyParams {
	var params []river.InsertManyParams
	for _, c := range changes {
		if !c.NeedsItems() {
			continue
		}
		params = append(params, river.InsertManyParams{Args: ItemsArgs{
			AccountID: accountID, AmazonOrderID: c.AmazonOrderID, LastUpdateDate: c.LastUpdateDate.UTC(), Backfill: backfill,
		}})
	}
	return params
}
