package servicejobs

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

// Timeout lets a long window page on: each page commits on its own, and
// budget waits beyond a few seconds snooze the job instead.
func (w *PollWorker) Timeout(*river.Job[PollArgs]) time.Duration { return 30 * time.Minute }

// Work polls one account's service jobs, window by window, page by page.
func (w *PollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	acct, err := w.deps.Account(job.Args.AccountID)
	if err != nil {
		return err
	}
	scope := jobs.Scope(acct.MarketplaceIDs)
	if err := w.poll(ctx, acct, scope); err != nil {
		w.deps.RecordFailure(ctx, acct.ID, Stream, scope, err)
		return w.deps.JobError(fmt.Errorf("service jobs poll of account %s: %w", acct.ID, err))
	}
	return nil
}

// poll walks windows from the cursor up to the data clock less the safety
// margin, at most MaxWindow long each, until the cursor reaches that end.
func (w *PollWorker) poll(ctx context.Context, acct *jobs.Account, scope string) error {
	// end is where this run stops. Services v1 reports no window end, so the
	// poller picks it and sends it as lastUpdatedBefore; the cursor moves to
	// exactly that value.
	end := w.deps.Clock().Add(-w.opts.SafetyMargin).UTC().Truncate(time.Second)
	for {
		st, err := w.deps.RunWalk(ctx, w.walk(acct, scope, end))
		if err != nil {
			return err
		}
		// A window is done and the cursor sits at its end. Walk on when
		// MaxWindow cut the span short.
		if st.To.IsZero() || !st.To.Before(end) {
			return nil
		}
	}
}

// walk is one window of a poll: from the cursor (less the overlap) to end or
// MaxWindow later, by lastUpdatedAfter/lastUpdatedBefore, page by page.
func (w *PollWorker) walk(acct *jobs.Account, scope string, end time.Time) jobs.Walk {
	return jobs.Walk{
		Account: acct, Stream: Stream, Key: jobs.PollWalkKey(scope),
		Op: spapi.OpGetServiceJobs, Class: jobs.ClassPoll,
		Begin: func(ctx context.Context) (jobs.WalkState, bool, error) {
			cursor, err := jobs.Cursor(ctx, w.deps.Pool, acct.ID, Stream, scope)
			if err != nil {
				return jobs.WalkState{}, false, fmt.Errorf("read service jobs cursor: %w", err)
			}
			var after time.Time
			if cursor == nil {
				after = w.deps.Clock().Add(-w.opts.InitialLookback)
			} else {
				after = cursor.Add(-w.opts.Overlap)
			}
			after = after.UTC().Truncate(time.Second)
			if !end.After(after) {
				return jobs.WalkState{}, false, nil // the data clock stands before the cursor's overlap
			}
			return jobs.WalkState{From: after, To: w.capWindow(after, end)}, true, nil
		},
		Fetch: func(ctx context.Context, st jobs.WalkState) (*jobs.Page, error) {
			// Services expects every filter again with the pageToken: the
			// request is the same on every page of a window but for the token.
			page, err := acct.Client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{
				MarketplaceIDs:    acct.MarketplaceIDs,
				LastUpdatedAfter:  st.From,
				LastUpdatedBefore: st.To,
				PageSize:          w.opts.PageSize,
				PageToken:         st.Token,
				SortField:         "JOB_DATE",
				SortOrder:         "ASC",
			})
			if err != nil {
				return nil, fmt.Errorf("window %s..%s: %w", st.From.Format(time.RFC3339), st.To.Format(time.RFC3339), err)
			}
			return &jobs.Page{Next: page.NextPageToken, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
				return w.storePage(ctx, tx, acct, page)
			}}, nil
		},
		Commit: func(ctx context.Context, tx pgx.Tx, st jobs.WalkState, _ int64, last bool) error {
			if !last {
				return nil
			}
			if err := jobs.AdvanceCursor(ctx, tx, acct.ID, Stream, scope, st.To, st.Rows); err != nil {
				return fmt.Errorf("advance service jobs cursor: %w", err)
			}
			refreshes, err := scheduleRefreshes(ctx, tx, acct.ID, w.deps.Clock(), w.opts)
			if err != nil {
				return err
			}
			return jobs.InsertFollowups(ctx, tx, refreshes)
		},
	}
}

// capWindow is the end of a window starting at after: end, or sooner when
// MaxWindow caps windows.
func (w *PollWorker) capWindow(after, end time.Time) time.Time {
	if w.opts.MaxWindow > 0 && end.Sub(after) > w.opts.MaxWindow {
		return after.Add(w.opts.MaxWindow)
	}
	return end
}

// storePage writes one page's jobs in tx, the records without their key
// set aside, and cancels the waiting scheduled refreshes of jobs that
// closed.
func (w *PollWorker) storePage(ctx context.Context, tx pgx.Tx, acct *jobs.Account, page *spapi.GetServiceJobsResult) (int64, error) {
	changes, err := store.UpsertServiceJobs(ctx, tx, acct.ID, page.Jobs, store.StoreServiceJobPII(w.opts.StorePII))
	if err != nil {
		return 0, err
	}
	if err := w.deps.Quarantine(ctx, tx, acct, page.Quarantined, store.StoreServiceJobPII(w.opts.StorePII)); err != nil {
		return 0, err
	}
	jobs.ReportDecoded(w.deps, acct.ID, spapi.OpGetServiceJobs, page.Jobs...)
	w.deps.CountRows("service_jobs", len(page.Jobs), len(changes))
	if err := cancelClosedRefreshes(ctx, tx, acct.ID, changes); err != nil {
		return 0, err
	}
	return int64(len(changes)), nil
}
