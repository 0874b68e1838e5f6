package fulfillment

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

// Timeout lets a long walk page on: each page commits on its own, and
// budget waits beyond a few seconds snooze the job instead.
func (w *PollWorker) Timeout(*river.Job[PollArgs]) time.Duration { return 30 * time.Minute }

// Work polls one account's fulfillment orders, page by page.
func (w *PollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	acct, err := w.deps.Account(job.Args.AccountID)
	if err != nil {
		return err
	}
	if err := w.poll(ctx, acct); err != nil {
		w.deps.RecordFailure(ctx, acct.ID, Stream, Scope, err)
		return w.deps.JobError(fmt.Errorf("fulfillment orders poll of account %s: %w", acct.ID, err))
	}
	return nil
}

// walk is the part of a poll that survives between pages.
type walk struct {
	queryStart time.Time
	startedAt  time.Time
	cursor     *time.Time // the cursor the walk started from, nil on the first poll
	token      string
	maxSeen    *time.Time // greatest statusUpdatedDate of the pages done
	pages      int32
	rows       int64
}

func (w *PollWorker) poll(ctx context.Context, acct *jobs.Account) error {
	wk, err := w.start(ctx, acct)
	if err != nil {
		return err
	}
	restarts := 0
	for {
		if err := w.deps.Take(ctx, acct, spapi.OpListAllFulfillmentOrders, jobs.ClassPoll); err != nil {
			return err
		}
		req := spapi.ListAllFulfillmentOrdersRequest{QueryStartDate: wk.queryStart, NextToken: wk.token}
		page, err := acct.Client.ListAllFulfillmentOrders(ctx, req)
		if err != nil {
			if jobs.ExpiredPageToken(err, wk.token != "") {
				// The cursor has not moved, so walking again from the same
				// queryStartDate loses nothing.
				if restarts == jobs.MaxPageTokenRestarts {
					return jobs.PageTokenGiveUp(spapi.OpListAllFulfillmentOrders, err)
				}
				restarts++
				if derr := dbsqlc.New().DeleteFulfillmentPollProgress(ctx, w.deps.Pool, dbsqlc.DeleteFulfillmentPollProgressParams{AccountID: acct.ID, Scope: Scope}); derr != nil {
					return fmt.Errorf("restart walk after expired page token: %w", derr)
				}
				wk = walk{queryStart: wk.queryStart, startedAt: w.deps.Clock(), cursor: wk.cursor, maxSeen: wk.maxSeen}
				continue
			}
			return fmt.Errorf("list fulfillment orders page %d: %w", wk.pages+1, err)
		}
		if err := pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
			return w.storePage(ctx, tx, acct, &wk, page)
		}); err != nil {
			return err
		}
		if page.NextToken == "" {
			return nil
		}
		wk.token = page.NextToken
	}
}

// start resumes a half-done walk or begins a new one at the cursor.
func (w *PollWorker) start(ctx context.Context, acct *jobs.Account) (walk, error) {
	cursor, err := jobs.Cursor(ctx, w.deps.Pool, acct.ID, Stream, Scope)
	if err != nil {
		return walk{}, fmt.Errorf("read fulfillment orders cursor: %w", err)
	}
	prog, err := dbsqlc.New().GetFulfillmentPollProgress(ctx, w.deps.Pool, dbsqlc.GetFulfillmentPollProgressParams{AccountID: acct.ID, Scope: Scope})
	switch {
	case err == nil:
		return walk{
			queryStart: prog.QueryStartDate.UTC(), startedAt: prog.StartedAt, cursor: cursor, token: prog.NextToken,
			maxSeen: prog.MaxStatusUpdatedDate, pages: prog.Pages, rows: prog.RowsWritten,
		}, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return walk{}, fmt.Errorf("read fulfillment orders poll progress: %w", err)
	}
	start := w.deps.Clock().Add(-w.opts.InitialLookback)
	if cursor != nil {
		start = cursor.Add(-w.opts.Overlap)
	}
	return walk{queryStart: start.UTC().Truncate(time.Second), startedAt: w.deps.Clock(), cursor: cursor}, nil
}

// storePage writes one page in tx: the headers, a detail job for each
// order that needs one, and either where the walk continues or, on its
// last page, the cursor.
func (w *PollWorker) storePage(ctx context.Context, tx pgx.Tx, acct *jobs.Account, wk *walk, page *spapi.ListAllFulfillmentOrdersResult) error {
	q := dbsqlc.New()
	changes, err := store.UpsertFulfillmentOrders(ctx, tx, acct.ID, page.FulfillmentOrders)
	if err != nil {
		return err
	}
	if err := w.deps.Quarantine(ctx, tx, acct, page.Quarantined); err != nil {
		return err
	}
	jobs.ReportDecoded(w.deps, acct.ID, spapi.OpListAllFulfillmentOrders, page.FulfillmentOrders...)
	written := 0
	for _, c := range changes {
		if c.Written {
			written++
		}
	}
	w.deps.CountRows("fulfillment_orders", len(page.FulfillmentOrders), written)
	if err := jobs.InsertFollowups(ctx, tx, DetailJobs(acct.ID, changes, false)); err != nil {
		return err
	}
	maxSeen := wk.maxSeen
	for _, o := range page.FulfillmentOrders {
		if maxSeen == nil || o.StatusUpdatedDate.After(*maxSeen) {
			at := o.StatusUpdatedDate.UTC()
			maxSeen = &at
		}
	}
	rows := wk.rows + int64(written)
	pages := wk.pages + 1
	if page.NextToken != "" {
		if err := q.SaveFulfillmentPollProgress(ctx, tx, dbsqlc.SaveFulfillmentPollProgressParams{
			AccountID: acct.ID, Scope: Scope, QueryStartDate: wk.queryStart, StartedAt: wk.startedAt,
			NextToken: page.NextToken, MaxStatusUpdatedDate: maxSeen, Pages: pages, RowsWritten: rows,
		}); err != nil {
			return fmt.Errorf("save fulfillment orders poll progress: %w", err)
		}
	} else {
		if err := q.DeleteFulfillmentPollProgress(ctx, tx, dbsqlc.DeleteFulfillmentPollProgressParams{AccountID: acct.ID, Scope: Scope}); err != nil {
			return fmt.Errorf("clear fulfillment orders poll progress: %w", err)
		}
		if err := jobs.AdvanceCursor(ctx, tx, acct.ID, Stream, Scope, highWater(wk.cursor, maxSeen, wk.queryStart), rows); err != nil {
			return fmt.Errorf("advance fulfillment orders cursor: %w", err)
		}
	}
	wk.maxSeen, wk.pages, wk.rows = maxSeen, pages, rows
	return nil
}

// highWater is where the cursor goes when a walk is done: the greatest
// statusUpdatedDate Amazon listed, never before the cursor the walk began
// from (the overlap re-reads older changes) and never the host's clock.
// A first walk that listed nothing leaves the cursor at its queryStartDate.
func highWater(cursor, maxSeen *time.Time, queryStart time.Time) time.Time {
	at := queryStart
	if cursor != nil && cursor.After(at) {
		at = *cursor
	}
	if maxSeen != nil && maxSeen.After(at) {
		at = *maxSeen
	}
	return at.UTC()
}

// DetailJobs returns a detail job for every change that needs one; backfill
// marks the details of history (DetailArgs.Backfill).
func DetailJobs(accountID string, changes []store.FulfillmentOrderChange, backfill bool) []river.InsertManyParams {
	var params []river.InsertManyParams
	for _, c := range changes {
		if !c.NeedsDetail() {
			continue
		}
		params = append(params, river.InsertManyParams{Args: DetailArgs{
			AccountID: accountID, SellerFulfillmentOrderID: c.SellerFulfillmentOrderID, StatusUpdatedDate: c.StatusUpdatedDate.UTC(), Backfill: backfill,
		}})
	}
	return params
}
