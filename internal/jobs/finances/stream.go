package finances

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// PollCron is the financial transactions poll's schedule
// (SPSYNC_FINANCIAL_TRANSACTIONS_CRON): every ten minutes, every fifteen as
// the safety net of push (config.SafetyNetSchedule). Money posts hours
// after the order event and Amazon may list it up to two days late, so a
// faster poll buys little; each poll costs two calls at least (its
// trailing re-read and its new window).
var PollCron = config.ScheduleSpec{Env: "SPSYNC_FINANCIAL_TRANSACTIONS_CRON", Default: "*/10 * * * *", SafetyNet: config.SafetyNetSchedule}

// RefreshKind is `worker refresh order-transactions ORDER_ID`: the
// transactions of one order read again.
const RefreshKind = "order-transactions"

// DefaultBackfillWindow is a backfill window's length when the operator
// names none: a week of a busy seller's postings is a few dozen pages, and a
// window is the unit a backfill resumes and reports by. Amazon's limit is
// 180 days (BackfillSource.MaxWindow).
const DefaultBackfillWindow = 7 * 24 * time.Hour

// NewStream describes the financial transactions stream (see jobs.Stream):
// its poll, the re-reads of deferred cash, `worker refresh
// order-transactions ID`, TRANSACTION_UPDATE notifications and backfills
// by posted date.
func NewStream(opts Options) jobs.Stream {
	opts = opts.withDefaults()
	return jobs.Stream{
		Name:     Stream,
		Tables:   []string{"financial_transactions", "financial_transaction_items", "financial_transaction_breakdowns"},
		Register: func(w *river.Workers, deps *jobs.Deps) { register(w, deps, opts) },
		Periodic: []jobs.Periodic{{
			ID: "financial_transactions_poll", Poll: true, Cron: PollCron,
			Args: func(accountID string) river.JobArgs { return PollArgs{AccountID: accountID} },
		}},
		Refresh: []jobs.RefreshKind{{Kind: RefreshKind, Args: func(accountID, id string) (river.JobArgs, error) {
			if id == "" {
				return nil, fmt.Errorf("an order id is required")
			}
			return RefreshArgs{AccountID: accountID, OrderID: id}, nil
		}}},
		Push: pushSource(),
		Backfill: &jobs.BackfillSource{
			Op: jobs.OneOp(spapi.OpListTransactions), DefaultWindow: DefaultBackfillWindow, MaxWindow: spapi.TransactionsMaxWindow,
			Page: func(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, from, to time.Time, token string) (*jobs.Page, error) {
				return backfillPage(ctx, deps, opts, acct, from, to, token)
			},
		},
	}
}

// backfillPage fetches one page of the transactions posted in [from, to).
// postedBefore is exclusive, so windows that share an end list a posting
// once; a posting without a date cannot be placed and is kept by every
// window that lists it (the upsert makes repeats no-ops). A window over 180
// days, which Amazon would answer with an empty list, is refused by the
// client, never sent.
func backfillPage(ctx context.Context, deps *jobs.Deps, o Options, acct *jobs.Account, from, to time.Time, token string) (*jobs.Page, error) {
	res, err := acct.Client.ListTransactions(ctx, spapi.ListTransactionsParams{PostedAfter: &from, PostedBefore: &to, NextToken: token})
	if err != nil {
		return nil, err
	}
	keep := res.Transactions[:0:0]
	for _, t := range res.Transactions {
		if t.PostedDate == nil || jobs.InWindow(*t.PostedDate, from, to) {
			keep = append(keep, t)
		}
	}
	return &jobs.Page{Next: res.NextToken, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
		return jobs.StorePage(ctx, deps, tx, pageStore(deps, o, acct, keep, res.Quarantined, pageBackfill))
	}}, nil
}

// pageKind says where a page of transactions comes from.
type pageKind int

const (
	// pagePoll is a poll's page: its changes feed the safety-net count.
	pagePoll pageKind = iota
	// pageBackfill is a backfill window's page.
	pageBackfill
	// pageRefresh is a refresh's answer (push, `worker refresh`).
	pageRefresh
	// pageDeferred is a deferred re-read's answer.
	pageDeferred
)

// pageStore is how a page of transactions is stored (jobs.StorePage): the
// transactions with their items and breakdowns, and the records without a
// transactionId set aside. Only the transactions whose content changed
// count as written; a poll's changes feed the safety-net count under their
// push entity (the order, else the posted date) and posted date, as
// TRANSACTION_UPDATE's receipts are kept.
func pageStore(deps *jobs.Deps, o Options, acct *jobs.Account, recs []spapi.Transaction, bad []spapi.Quarantined, kind pageKind) jobs.PageStore[spapi.Transaction] {
	return jobs.PageStore[spapi.Transaction]{
		Account: acct, Stream: Stream, Op: spapi.OpListTransactions, Table: "financial_transactions",
		Records: recs, Quarantined: bad, Poll: kind == pagePoll,
		Write: func(ctx context.Context, tx pgx.Tx, recs []spapi.Transaction) (jobs.Written, error) {
			rows, err := MapTransactions(recs)
			if err != nil {
				return jobs.Written{}, fmt.Errorf("account %s: %w", acct.ID, err)
			}
			res, err := store.UpsertFinancialTransactions(ctx, tx, acct.ID, rows)
			if err != nil {
				return jobs.Written{}, err
			}
			byID := make(map[string]*spapi.Transaction, len(recs))
			items, breakdowns := 0, 0
			for i := range recs {
				byID[recs[i].TransactionId] = &recs[i]
			}
			for _, r := range rows {
				items, breakdowns = items+len(r.Items), breakdowns+len(r.Breakdowns)
			}
			var changes []store.EntityChange
			for _, c := range res.Changes {
				t := byID[c.TransactionID]
				if t == nil || t.PostedDate == nil {
					continue
				}
				if e := entityOf(t); e != "" {
					changes = append(changes, store.EntityChange{EntityID: e, ChangeTime: t.PostedDate.UTC()})
				}
			}
			return jobs.Written{
				Changed: len(res.Changes), Changes: changes,
				Also: []jobs.RowCount{
					{Table: "financial_transaction_items", Offered: items, Changed: int(res.ItemsWritten)},
					{Table: "financial_transaction_breakdowns", Offered: breakdowns, Changed: int(res.BreakdownsWritten)},
				},
			}, nil
		},
	}
}
