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

// PollWorker runs PollArgs.
type PollWorker struct {
	river.WorkerDefaults[PollArgs]
	deps *jobs.Deps
	opts Options
	src  *source2026
}

// Timeout lets a long window page on: each page commits on its own, and
// budget waits beyond a few seconds snooze the job instead.
func (w *PollWorker) Timeout(*river.Job[PollArgs]) time.Duration { return 30 * time.Minute }

// Work polls one account's orders window, page by page.
func (w *PollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	scope := jobs.Scope(acct.MarketplaceIDs)
	var lookback bool // this poll set the first cursor and started the lookback
	walk := w.walk(acct, scope, &lookback)
	if uses2026(acct) {
		walk = w.walk2026(acct, scope, &lookback)
	}
	began := w.deps.Clock()
	st, err := w.deps.RunWalk(ctx, walk)
	if err == nil && !job.Args.Scheduled && resumedOlderWalk(st, began) {
		// The walk was older than this poll, its window fixed before this
		// poll was due: changes after its end (a push consumer's shed
		// changes, say) are what this poll is for. Read on from the
		// cursor. (The self-scheduled poll keeps its own cadence.)
		st, err = w.deps.RunWalk(ctx, walk)
	}
	if err != nil {
		w.deps.RecordFailure(ctx, acct.ID, Stream, scope, err)
		return w.deps.JobError(fmt.Errorf("orders poll of account %s: %w", acct.ID, err))
	}
	// The window is stored and the cursor moved: decide the next poll (and,
	// for the account's self-scheduled poll, snooze until then).
	return w.deps.SchedulePoll(ctx, jobs.PollDone{Account: acct, Stream: Stream, Op: walk.Op, Walked: st, Reschedule: job.Args.Scheduled,
		StartedLookback: lookback})
}

// resumedOlderWalk reports whether a walk that just finished ended its
// window well before the poll that ran it began could reach (its start
// minus Amazon's two minutes, with 30 s for the clocks): it was resumed,
// not begun, by this poll.
func resumedOlderWalk(st jobs.WalkState, began time.Time) bool {
	return !st.To.IsZero() && st.To.Before(began.Add(-jobs.AmazonSettle-30*time.Second))
}

// walk is one poll of an account's orders: the window from the cursor
// (LastUpdatedAfter; Options.Overlap earlier when set) to the end Amazon
// reports on the first page, by LastUpdateDate, page by page. Amazon
// includes both bounds; the poll counts the start as exclusive: an order
// updated exactly at the cursor was stored by the window that ended there,
// and this window lists it again at no cost (same page, nothing written).
func (w *PollWorker) walk(acct *jobs.Account, scope string, lookback *bool) jobs.Walk {
	return jobs.Walk{
		Account: acct, Stream: Stream, Key: jobs.PollWalkKey(scope),
		Op: spapi.OpGetOrders, Class: jobs.ClassPoll,
		Begin: func(ctx context.Context) (jobs.WalkState, bool, error) {
			cursor, err := jobs.Cursor(ctx, w.deps.Pool, acct.ID, Stream, scope)
			if err != nil {
				return jobs.WalkState{}, false, fmt.Errorf("read orders cursor: %w", err)
			}
			from := w.opts.firstWindow(w.deps.Clock())
			if cursor != nil {
				from = cursor.Add(-w.opts.Overlap)
			}
			return jobs.WalkState{From: from}, true, nil
		},
		Fetch: func(ctx context.Context, st jobs.WalkState) (*jobs.Page, error) {
			req := spapi.GetOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, LastUpdatedAfter: st.From, MaxResultsPerPage: w.opts.PageSize}
			if st.Token != "" {
				req = spapi.GetOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, NextToken: st.Token}
			}
			page, err := acct.Client.GetOrders(ctx, req)
			if err != nil {
				return nil, err
			}
			p := &jobs.Page{Next: page.NextToken, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
				return jobs.StorePage(ctx, w.deps, tx, pageStore(acct, page.Orders, page.Quarantined, false))
			}}
			if st.Token == "" {
				p.To = windowEnd(page, st.From)
			}
			return p, nil
		},
		Commit: func(ctx context.Context, tx pgx.Tx, st jobs.WalkState, _ int64, last bool) error {
			if !last {
				return nil
			}
			cursor, err := jobs.Cursor(ctx, tx, acct.ID, Stream, scope)
			if err != nil {
				return fmt.Errorf("read orders cursor: %w", err)
			}
			if err := jobs.AdvanceCursor(ctx, tx, acct.ID, Stream, scope, st.To, st.Rows); err != nil {
				return fmt.Errorf("advance orders cursor: %w", err)
			}
			if cursor == nil {
				// The first cursor: what the first window left of the
				// lookback is backfilled behind it (lookback.go).
				started, err := w.startLookback(ctx, tx, acct, st)
				*lookback = started
				return err
			}
			return nil
		},
	}
}

// pageStore is how a page of getOrders' orders is stored (jobs.StorePage):
// the orders, with an items job for each order that is new or changed, and
// the records Amazon sent without their key set aside. A poll's page
// (backfill false) feeds the safety-net count; a backfill's items jobs are
// marked as history.
func pageStore(acct *jobs.Account, orders []spapi.Order, bad []spapi.Quarantined, backfill bool) jobs.PageStore[spapi.Order] {
	return jobs.PageStore[spapi.Order]{
		Account: acct, Stream: Stream, Op: spapi.OpGetOrders, Table: "orders",
		Records: orders, Quarantined: bad, Poll: !backfill,
		Write: func(ctx context.Context, tx pgx.Tx, orders []spapi.Order) (jobs.Written, error) {
			rows, err := ordermap.Orders(orders)
			if err != nil {
				return jobs.Written{}, err
			}
			changes, err := store.UpsertOrders(ctx, tx, acct.ID, rows)
			if err != nil {
				return jobs.Written{}, err
			}
			return jobs.Written{Changed: len(changes), Followups: ItemsJobs(acct.ID, changes, backfill), Changes: entityChanges(changes)}, nil
		},
	}
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

// entityChanges are the orders a poll page wrote, for the safety-net count.
func entityChanges(changes []store.OrderChange) []store.EntityChange {
	out := make([]store.EntityChange, len(changes))
	for i, c := range changes {
		out[i] = store.EntityChange{EntityID: c.AmazonOrderID, ChangeTime: c.LastUpdateDate}
	}
	return out
}
