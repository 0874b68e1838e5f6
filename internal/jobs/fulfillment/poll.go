package fulfillment

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
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
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	if _, err := w.deps.RunWalk(ctx, w.walk(acct)); err != nil {
		w.deps.RecordFailure(ctx, acct.ID, Stream, Scope, err)
		return w.deps.JobError(fmt.Errorf("fulfillment orders poll of account %s: %w", acct.ID, err))
	}
	return nil
}

// walk is one poll of an account's fulfillment orders: every order whose
// status changed since queryStartDate (the cursor less the overlap), page
// by page; the cursor then goes to the greatest statusUpdatedDate listed.
func (w *PollWorker) walk(acct *jobs.Account) jobs.Walk {
	return jobs.Walk{
		Account: acct, Stream: Stream, Key: jobs.PollWalkKey(Scope),
		Op: spapi.OpListAllFulfillmentOrders, Class: jobs.ClassPoll,
		Begin: func(ctx context.Context) (jobs.WalkState, bool, error) {
			cursor, err := jobs.Cursor(ctx, w.deps.Pool, acct.ID, Stream, Scope)
			if err != nil {
				return jobs.WalkState{}, false, fmt.Errorf("read fulfillment orders cursor: %w", err)
			}
			start := w.deps.Clock().Add(-w.opts.InitialLookback)
			if cursor != nil {
				start = cursor.Add(-w.opts.Overlap)
			}
			return jobs.WalkState{From: start.UTC().Truncate(time.Second), StartedAt: w.deps.Clock()}, true, nil
		},
		Fetch: func(ctx context.Context, st jobs.WalkState) (*jobs.Page, error) {
			page, err := acct.Client.ListAllFulfillmentOrders(ctx, spapi.ListAllFulfillmentOrdersRequest{QueryStartDate: st.From, NextToken: st.Token})
			if err != nil {
				return nil, err
			}
			p := &jobs.Page{Next: page.NextToken, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
				return jobs.StorePage(ctx, w.deps, tx, pageStore(acct, page.FulfillmentOrders, page.Quarantined, false))
			}}
			for _, o := range page.FulfillmentOrders {
				if p.HighWater == nil || o.StatusUpdatedDate.After(*p.HighWater) {
					at := o.StatusUpdatedDate
					p.HighWater = &at
				}
			}
			return p, nil
		},
		Commit: func(ctx context.Context, tx pgx.Tx, st jobs.WalkState, _ int64, last bool) error {
			if !last {
				return nil
			}
			cursor, err := jobs.Cursor(ctx, tx, acct.ID, Stream, Scope)
			if err != nil {
				return fmt.Errorf("read fulfillment orders cursor: %w", err)
			}
			if err := jobs.AdvanceCursor(ctx, tx, acct.ID, Stream, Scope, highWater(cursor, st.HighWater, st.From), st.Rows); err != nil {
				return fmt.Errorf("advance fulfillment orders cursor: %w", err)
			}
			return nil
		},
	}
}

// pageStore is how a page of listAllFulfillmentOrders is stored
// (jobs.StorePage): the headers, with a detail job for each order that
// needs one, and the records without their key set aside. Only the orders
// whose row changed count as written, and a poll's (backfill false) feed
// the safety-net count; a backfill's detail jobs are marked as history.
func pageStore(acct *jobs.Account, orders []spapi.FulfillmentOrder, bad []spapi.Quarantined, backfill bool) jobs.PageStore[spapi.FulfillmentOrder] {
	return jobs.PageStore[spapi.FulfillmentOrder]{
		Account: acct, Stream: Stream, Op: spapi.OpListAllFulfillmentOrders, Table: "fulfillment_orders",
		Records: orders, Quarantined: bad, Poll: !backfill,
		Write: func(ctx context.Context, tx pgx.Tx, orders []spapi.FulfillmentOrder) (jobs.Written, error) {
			rows, err := MapFulfillmentOrders(orders)
			if err != nil {
				return jobs.Written{}, err
			}
			changes, err := store.UpsertFulfillmentOrders(ctx, tx, acct.ID, rows)
			if err != nil {
				return jobs.Written{}, err
			}
			var found []store.EntityChange
			for _, c := range changes {
				if c.Written {
					found = append(found, store.EntityChange{EntityID: c.SellerFulfillmentOrderID, ChangeTime: c.StatusUpdatedDate})
				}
			}
			return jobs.Written{Changed: len(found), Followups: DetailJobs(acct.ID, changes, backfill), Changes: found}, nil
		},
	}
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
