package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
)

// An account's first poll reads only its last Options.FirstWindow and
// leaves the rest of its lookback to a backfill by last update date that it
// starts in the transaction of its first cursor. The lookback used to be the
// first poll's own window, and a window's cursor moves only when its last
// page is stored: a seller with 3,000 orders in 30 days (30 pages of
// searchOrders, at one call every 179 s once the burst of 20 is spent) had
// no cursor, and its today's orders no rows, for ~33 minutes. Now the
// account is current after one call, today first, and the history follows
// on the same bucket at its own class (jobs.ClassLookback: it leaves the
// tokens a poll needs), while the poll waits for fuller windows as it does
// beside any backfill (jobs.NextPoll).
//
// The lookback is by last update date, like the poll it stands for: an
// order created before the lookback and changed within it (a return, a
// late shipment) is read as the old first poll would have read it. Its
// pages are stored like a backfill's (order items as history; the row
// guard keeps a newer version the poll stored meanwhile).

// firstWindow is where an account's first poll starts, at now: the last
// FirstWindow when that is shorter than the lookback, else the lookback's
// start (one window, oldest first).
func (o Options) firstWindow(now time.Time) time.Time {
	from := now.Add(-o.InitialLookback)
	if o.leavesLookback() {
		from = now.Add(-o.FirstWindow)
	}
	return from.UTC().Truncate(time.Second)
}

// leavesLookback reports whether a first poll leaves part of its lookback
// to a backfill: FirstWindow set and shorter than the lookback.
func (o Options) leavesLookback() bool {
	return o.FirstWindow > 0 && o.FirstWindow < o.InitialLookback
}

// startLookback starts, in tx (the first cursor's transaction), the
// backfill of what a first poll over st left of the lookback: from the
// lookback's start, reckoned from the window's end, to the window's start.
// A first window that read the whole lookback leaves nothing (reckoned from
// its end, it starts two minutes short of 30 days: not a gap), nor does one
// begun so by an older process and finished by this one.
// It reports whether it started one.
func (w *PollWorker) startLookback(ctx context.Context, tx pgx.Tx, acct *jobs.Account, st jobs.WalkState) (bool, error) {
	from := st.To.Add(-w.opts.InitialLookback).UTC().Truncate(time.Second)
	if !w.opts.leavesLookback() || st.From.Sub(from) < MinFirstWindow {
		return false, nil
	}
	id, err := jobs.StartLookback(ctx, tx, acct.ID, Stream, from, st.From)
	if err != nil {
		return false, fmt.Errorf("start orders lookback: %w", err)
	}
	w.deps.Log().InfoContext(ctx, "orders lookback started behind the first poll", "account", acct.ID, "backfill", id,
		"from", from, "to", st.From)
	return true, nil
}

// lookbackPage fetches one getOrders page of orders last updated in
// [from, to] (Amazon includes both bounds; an order updated exactly at to
// is the poll's too, stored twice at no cost).
func lookbackPage(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, from, to time.Time, token string) (*jobs.Page, error) {
	req := spapi.GetOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, LastUpdatedAfter: from, LastUpdatedBefore: to, MaxResultsPerPage: 100}
	if token != "" {
		req = spapi.GetOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, NextToken: token}
	}
	res, err := acct.Client.GetOrders(ctx, req)
	if err != nil {
		return nil, err
	}
	return &jobs.Page{Next: res.NextToken, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
		return jobs.StorePage(ctx, deps, tx, pageStore(acct, res.Orders, res.Quarantined, true))
	}}, nil
}

// lookbackPage is lookbackPage through searchOrders (2026-01-01).
func (s *source2026) lookbackPage(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, from, to time.Time, token string) (*jobs.Page, error) {
	req := spapi.SearchOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, LastUpdatedAfter: from, LastUpdatedBefore: to,
		MaxResultsPerPage: 100, PaginationToken: token}
	res, err := s.search(ctx, deps, acct, jobs.ClassLookback, req)
	if err != nil {
		return nil, err
	}
	mapped, err := s.mapPage(acct, res.Orders, res.Quarantined)
	if err != nil {
		return nil, err
	}
	return &jobs.Page{Next: res.NextToken(), Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
		return s.store(ctx, deps, tx, acct, mapped, false)
	}}, nil
}
