package finances

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
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

// Work polls one account's transactions, window by window, page by page.
func (w *PollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	if err := w.poll(ctx, acct); err != nil {
		w.deps.RecordFailure(ctx, acct.ID, Stream, Scope, err)
		return w.deps.JobError(fmt.Errorf("financial transactions poll of account %s: %w", acct.ID, err))
	}
	return nil
}

// poll walks windows from the cursor up to the data clock less the safety
// margin, at most MaxWindow long each, until the cursor reaches that end.
// listTransactions does not report the end of the window it used, so the
// poll picks it and sends it as postedBefore (exclusive), and the cursor
// moves to exactly that value: everything posted before it was asked for.
func (w *PollWorker) poll(ctx context.Context, acct *jobs.Account) error {
	end := w.deps.Clock().Add(-w.opts.SafetyMargin).UTC().Truncate(time.Second)
	for {
		st, err := w.deps.RunWalk(ctx, w.walk(acct, end))
		if err != nil {
			return err
		}
		if st.To.IsZero() || !st.To.Before(end) {
			return nil
		}
	}
}

// The two phases of a poll's walk, as the prefix of its saved token
// (walk_progress.next_token): "trail:" and Amazon's nextToken while the
// trailing re-read pages on, "head:" and Amazon's nextToken in the new
// window. The first page (token "") is the trailing re-read's. The head's
// first page carries "head:", so jobs.RunWalk takes an InvalidInput answer
// to it for an expired token and starts the walk again (at most
// MaxPageTokenRestarts times, then River retries): a few repeated calls,
// never a skipped window.
const (
	trailPhase = "trail:"
	headPhase  = "head:"
)

// windows are the two windows of a poll walk over [from, to): the
// trailing re-read [from-lag, min(to-lag, from)), the postings of the
// window read lag earlier, which Amazon may have listed late, and the head
// [from, to). The trailing windows of successive polls tile time as their
// heads do, lag behind, so every posted date is read once at about two
// minutes old and once more when at least lag old. A span longer than lag
// is its own trailing re-read beyond lag: the trailing window then only
// covers the lag before from.
func windows(from, to time.Time, lag time.Duration) (trailFrom, trailTo time.Time) {
	trailFrom, trailTo = from.Add(-lag), to.Add(-lag)
	if trailTo.After(from) {
		trailTo = from
	}
	return trailFrom, trailTo
}

// walk is one window of the poll: from the cursor (less the overlap) to
// end or MaxWindow later, preceded by its trailing re-read, page by page.
// A first poll starts InitialLookback before the data clock.
func (w *PollWorker) walk(acct *jobs.Account, end time.Time) jobs.Walk {
	return jobs.Walk{
		Account: acct, Stream: Stream, Key: jobs.PollWalkKey(Scope),
		Op: spapi.OpListTransactions, Class: jobs.ClassPoll,
		Begin: func(ctx context.Context) (jobs.WalkState, bool, error) {
			from, err := w.deps.WindowStart(ctx, acct.ID, Stream, Scope, w.opts.InitialLookback, w.opts.Overlap)
			if err != nil {
				return jobs.WalkState{}, false, err
			}
			if !end.After(from) {
				return jobs.WalkState{}, false, nil // the data clock stands before the cursor's overlap
			}
			to := end
			if to.Sub(from) > w.opts.MaxWindow {
				to = from.Add(w.opts.MaxWindow)
			}
			return jobs.WalkState{From: from, To: to}, true, nil
		},
		Fetch: func(ctx context.Context, st jobs.WalkState) (*jobs.Page, error) {
			after, before := st.From, st.To
			phase, token := splitToken(st.Token)
			if phase == trailPhase {
				after, before = windows(st.From, st.To, w.opts.Lag)
			}
			res, err := acct.Client.ListTransactions(ctx, spapi.ListTransactionsParams{PostedAfter: &after, PostedBefore: &before, NextToken: token})
			if err != nil {
				return nil, fmt.Errorf("%swindow %s..%s: %w", strings.TrimSuffix(phase, ":")+" ", after.Format(time.RFC3339), before.Format(time.RFC3339), err)
			}
			next := ""
			switch {
			case res.NextToken != "":
				next = phase + res.NextToken
			case phase == trailPhase:
				next = headPhase // the head window's first page
			}
			return &jobs.Page{Next: next, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
				return jobs.StorePage(ctx, w.deps, tx, pageStore(w.deps, w.opts, acct, res.Transactions, res.Quarantined, pagePoll))
			}}, nil
		},
		Commit: func(ctx context.Context, tx pgx.Tx, st jobs.WalkState, _ int64, last bool) error {
			if !last {
				return nil
			}
			if err := jobs.AdvanceCursor(ctx, tx, acct.ID, Stream, Scope, st.To, st.Rows); err != nil {
				return fmt.Errorf("advance financial transactions cursor: %w", err)
			}
			rereads, err := maturedRereads(ctx, tx, w.deps, w.opts, acct.ID)
			if err != nil {
				return err
			}
			return jobs.InsertFollowups(ctx, tx, rereads)
		},
	}
}

// splitToken reads a poll walk's token: its phase and Amazon's nextToken.
// "" is the trailing re-read's first page; a token without a known prefix
// (none is saved so) starts the walk's trailing re-read again.
func splitToken(tok string) (phase, amazon string) {
	for _, p := range []string{trailPhase, headPhase} {
		if rest, ok := strings.CutPrefix(tok, p); ok {
			return p, rest
		}
	}
	return trailPhase, ""
}
