package finances

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
)

// RefreshWorker runs RefreshArgs.
type RefreshWorker struct {
	river.WorkerDefaults[RefreshArgs]
	deps *jobs.Deps
	opts Options
}

// Work re-reads the order's transactions (or the postings around the posted
// date) and writes them in one transaction. Like every upsert it changes
// nothing when nothing changed; a DEFERRED transaction it stores is re-read
// after its maturity like any stored one (the polls queue that).
func (w *RefreshWorker) Work(ctx context.Context, job *river.Job[RefreshArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	tg := target{orderID: job.Args.OrderID, postedAt: job.Args.PostedAt}
	if err := tg.check(); err != nil {
		return river.JobCancel(err)
	}
	if wait := tg.notReadableFor(w.deps.Clock(), w.opts); wait > 0 {
		// Amazon serves postings from two minutes ago; a notification of
		// one the instant it posted waits that long.
		return river.JobSnooze(w.deps.RealDuration(wait))
	}
	recs, bad, err := fetchTarget(ctx, w.deps, w.opts, acct, tg, jobs.ClassFollowup)
	if err != nil {
		return w.deps.JobError(err)
	}
	err = pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		_, err := jobs.StorePage(ctx, w.deps, tx, pageStore(w.deps, w.opts, acct, recs, bad, pageRefresh))
		return err
	})
	return w.deps.JobError(err)
}

// DeferredWorker runs DeferredArgs.
type DeferredWorker struct {
	river.WorkerDefaults[DeferredArgs]
	deps *jobs.Deps
	opts Options
}

// Work re-reads an order holding DEFERRED cash once it is due, and writes
// what Amazon answers. In the same transaction the job completes itself
// before the rows are written, so that the re-read the rows still call for
// (a transaction still DEFERRED past its maturity: DeferredRetry later,
// until DeferredGiveUp) is inserted rather than skipped as a duplicate of
// this running job; a rollback leaves the job running for River's retry.
// There is exactly one pending re-read per order while it holds deferred
// cash, and none once it is released.
func (w *DeferredWorker) Work(ctx context.Context, job *river.Job[DeferredArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	tg := target{orderID: job.Args.OrderID, postedAt: job.Args.PostedAt}
	if err := tg.check(); err != nil {
		return river.JobCancel(err)
	}
	now := w.deps.Clock()
	if job.Args.Due.After(now) {
		// Early on the data clock: wait again, without a call.
		err := pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
			return w.reschedule(ctx, tx, job, job.Args.Due.Sub(now))
		})
		return w.deps.JobError(err)
	}
	if wait := tg.notReadableFor(now, w.opts); wait > 0 {
		return river.JobSnooze(w.deps.RealDuration(wait))
	}
	recs, bad, err := fetchTarget(ctx, w.deps, w.opts, acct, tg, jobs.ClassFollowup)
	if err != nil {
		return w.deps.JobError(err)
	}
	err = pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
			return fmt.Errorf("complete deferred re-read of %s: %w", tg, err)
		}
		if _, err := jobs.StorePage(ctx, w.deps, tx, pageStore(w.deps, w.opts, acct, recs, bad, pageDeferred)); err != nil {
			return err
		}
		next, ok := nextReread(recs, now, w.opts)
		if !ok {
			return nil
		}
		again := job.Args
		again.Due = next.UTC()
		return jobs.InsertFollowups(ctx, tx, []river.InsertManyParams{{
			Args: again, InsertOpts: &river.InsertOpts{ScheduledAt: w.deps.ScheduledAt(next.Sub(now))},
		}})
	})
	if err == nil {
		w.warnGivenUp(acct.ID, tg, recs)
	}
	return w.deps.JobError(err)
}

// reschedule completes the running job in tx and inserts it again, due
// wait later on the data clock.
func (w *DeferredWorker) reschedule(ctx context.Context, tx pgx.Tx, job *river.Job[DeferredArgs], wait time.Duration) error {
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return fmt.Errorf("complete early deferred re-read: %w", err)
	}
	return jobs.InsertFollowups(ctx, tx, []river.InsertManyParams{{
		Args: job.Args, InsertOpts: &river.InsertOpts{ScheduledAt: w.deps.ScheduledAt(wait)},
	}})
}

// warnGivenUp logs the transactions of recs that are still DEFERRED
// DeferredGiveUp after their maturity: no re-read follows.
func (w *DeferredWorker) warnGivenUp(accountID string, tg target, recs []spapi.Transaction) {
	now := w.deps.Clock()
	for _, d := range stillDeferred(recs) {
		if now.After(d.matures.Add(w.opts.DeferredGiveUp)) {
			w.deps.Log().Warn("financial transaction still DEFERRED long after its maturity date: no more re-reads (worker refresh order-transactions reads it again)",
				"account", accountID, "target", tg.String(), "transaction", d.id, "maturity", d.matures.Format(time.RFC3339))
		}
	}
}

// target is what a refresh or a deferred re-read reads: an order's
// transactions, or the postings around a posted date.
type target struct {
	orderID  string
	postedAt *time.Time
}

func (tg target) check() error {
	if tg.orderID == "" && tg.postedAt == nil {
		return fmt.Errorf("financial transactions refresh names neither an order nor a posted date")
	}
	return nil
}

func (tg target) String() string {
	if tg.orderID != "" {
		return "order " + tg.orderID
	}
	return "posted " + tg.postedAt.UTC().Format(time.RFC3339)
}

// window is the posted-date window of a target without an order:
// PostedSlack either side of the date (the date's whole second included),
// ending no later than the safety margin before now.
func (tg target) window(now time.Time, o Options) (from, to time.Time) {
	at := tg.postedAt.UTC().Truncate(time.Second)
	from, to = at.Add(-o.PostedSlack), at.Add(o.PostedSlack+time.Second)
	if latest := now.Add(-o.SafetyMargin).Truncate(time.Second); to.After(latest) {
		to = latest
	}
	return from, to
}

// notReadableFor is how long until a posted-date target's date can be
// asked for (it must lie before postedBefore, at least the safety margin
// before the request); 0 for an order or a readable date.
func (tg target) notReadableFor(now time.Time, o Options) time.Duration {
	if tg.orderID != "" {
		return 0
	}
	at := tg.postedAt.UTC().Truncate(time.Second)
	readable := at.Add(time.Second + o.SafetyMargin)
	if now.Before(readable) {
		return readable.Sub(now) + time.Second
	}
	return 0
}

// params is the first page's query of a target.
func (tg target) params(now time.Time, o Options) spapi.ListTransactionsParams {
	if tg.orderID != "" {
		return spapi.ListTransactionsParams{RelatedIdentifierName: spapi.RelatedOrderID, RelatedIdentifierValue: tg.orderID}
	}
	from, to := tg.window(now, o)
	return spapi.ListTransactionsParams{PostedAfter: &from, PostedBefore: &to}
}

// fetchTarget reads every page of a target, one budget token of class each,
// and returns the transactions and the keyless records. An order's
// transactions are a page or two; they are written together, so the
// deferred rule sees a release transaction beside the one it releases.
func fetchTarget(ctx context.Context, deps *jobs.Deps, o Options, acct *jobs.Account, tg target, class jobs.BudgetClass) ([]spapi.Transaction, []spapi.Quarantined, error) {
	p := tg.params(deps.Clock(), o)
	var (
		recs []spapi.Transaction
		bad  []spapi.Quarantined
	)
	for page := 1; ; page++ {
		if err := deps.Take(ctx, acct, spapi.OpListTransactions, class); err != nil {
			return nil, nil, err
		}
		res, err := acct.Client.ListTransactions(ctx, p)
		if err != nil {
			return nil, nil, fmt.Errorf("list transactions of %s, page %d: %w", tg, page, err)
		}
		recs, bad = append(recs, res.Transactions...), append(bad, res.Quarantined...)
		if res.NextToken == "" {
			return recs, bad, nil
		}
		p.NextToken = res.NextToken
	}
}
