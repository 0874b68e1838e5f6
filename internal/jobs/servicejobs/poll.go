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

// window is the part of a poll that survives between pages.
type window struct {
	after, before time.Time
	token         string
	pages         int
	rows          int64
}

func (w *PollWorker) poll(ctx context.Context, acct *jobs.Account, scope string) error {
	// end is where this run stops: the data clock less the safety margin.
	// Services v1 reports no window end, so the poller picks it and sends
	// it as lastUpdatedBefore; the cursor moves to exactly that value.
	end := w.deps.Clock().Add(-w.opts.SafetyMargin).UTC().Truncate(time.Second)
	win, ok, err := w.start(ctx, acct, scope, end)
	if err != nil || !ok {
		return err
	}
	restarts := 0
	for {
		if err := w.deps.Take(ctx, acct, spapi.OpGetServiceJobs, jobs.ClassPoll); err != nil {
			return err
		}
		// Services expects every filter again with the pageToken: the
		// request is the same on every page of a window but for the token.
		page, err := acct.Client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{
			MarketplaceIDs:    acct.MarketplaceIDs,
			LastUpdatedAfter:  win.after,
			LastUpdatedBefore: win.before,
			PageSize:          w.opts.PageSize,
			PageToken:         win.token,
			SortField:         "JOB_DATE",
			SortOrder:         "ASC",
		})
		if err != nil {
			if jobs.ExpiredPageToken(err, win.token != "") {
				// The cursor has not moved, so restarting the window loses
				// nothing.
				if restarts == jobs.MaxPageTokenRestarts {
					return jobs.PageTokenGiveUp(spapi.OpGetServiceJobs, err)
				}
				restarts++
				if derr := store.DeleteServiceJobsProgress(ctx, w.deps.Pool, acct.ID, scope); derr != nil {
					return fmt.Errorf("restart window after expired page token: %w", derr)
				}
				win = window{after: win.after, before: win.before}
				continue
			}
			return fmt.Errorf("get service jobs page %d of window %s..%s: %w", win.pages+1,
				win.after.Format(time.RFC3339), win.before.Format(time.RFC3339), err)
		}
		if err := pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
			return w.storePage(ctx, tx, acct, scope, &win, page)
		}); err != nil {
			return err
		}
		if page.NextPageToken != "" {
			win.token = page.NextPageToken
			continue
		}
		// The window is done and the cursor sits at its end. Walk on when
		// MaxWindow cut the span short.
		if !win.before.Before(end) {
			return nil
		}
		win = window{after: win.before, before: w.capWindow(win.before, end)}
	}
}

// start resumes a half-done window or opens a new one at the cursor. It
// reports false when there is nothing to poll (the data clock stands
// before the cursor's overlap).
func (w *PollWorker) start(ctx context.Context, acct *jobs.Account, scope string, end time.Time) (window, bool, error) {
	prog, err := store.GetServiceJobsProgress(ctx, w.deps.Pool, acct.ID, scope)
	if err != nil {
		return window{}, false, err
	}
	if prog != nil {
		return window{
			after: prog.LastUpdatedAfter.UTC(), before: prog.LastUpdatedBefore.UTC(),
			token: prog.PageToken, pages: prog.Pages, rows: prog.RowsWritten,
		}, true, nil
	}
	cursor, err := jobs.Cursor(ctx, w.deps.Pool, acct.ID, Stream, scope)
	if err != nil {
		return window{}, false, fmt.Errorf("read service jobs cursor: %w", err)
	}
	var after time.Time
	if cursor == nil {
		after = w.deps.Clock().Add(-w.opts.InitialLookback)
	} else {
		after = cursor.Add(-w.opts.Overlap)
	}
	after = after.UTC().Truncate(time.Second)
	if !end.After(after) {
		return window{}, false, nil
	}
	return window{after: after, before: w.capWindow(after, end)}, true, nil
}

// capWindow is the end of a window starting at after: end, or sooner when
// MaxWindow caps windows.
func (w *PollWorker) capWindow(after, end time.Time) time.Time {
	if w.opts.MaxWindow > 0 && end.Sub(after) > w.opts.MaxWindow {
		return after.Add(w.opts.MaxWindow)
	}
	return end
}

// storePage writes one page in tx: the jobs; the cancellation of waiting
// scheduled refreshes of jobs that closed; and either where the window
// continues or, on its last page, the cursor and the refreshes of every
// open job.
func (w *PollWorker) storePage(ctx context.Context, tx pgx.Tx, acct *jobs.Account, scope string, win *window, page *spapi.GetServiceJobsResult) error {
	changes, err := store.UpsertServiceJobs(ctx, tx, acct.ID, page.Jobs, store.StoreServiceJobPII(w.opts.StorePII))
	if err != nil {
		return err
	}
	if err := w.deps.Quarantine(ctx, tx, acct, page.Quarantined, store.StoreServiceJobPII(w.opts.StorePII)); err != nil {
		return err
	}
	jobs.ReportDecoded(w.deps, acct.ID, spapi.OpGetServiceJobs, page.Jobs...)
	w.deps.CountRows("service_jobs", len(page.Jobs), len(changes))
	if err := cancelClosedRefreshes(ctx, tx, acct.ID, changes); err != nil {
		return err
	}
	pages, rows := win.pages+1, win.rows+int64(len(changes))
	if page.NextPageToken != "" {
		if err := store.SaveServiceJobsProgress(ctx, tx, acct.ID, scope, store.ServiceJobsProgress{
			LastUpdatedAfter: win.after, LastUpdatedBefore: win.before,
			PageToken: page.NextPageToken, Pages: pages, RowsWritten: rows,
		}); err != nil {
			return err
		}
	} else {
		if err := store.DeleteServiceJobsProgress(ctx, tx, acct.ID, scope); err != nil {
			return err
		}
		if err := jobs.AdvanceCursor(ctx, tx, acct.ID, Stream, scope, win.before, rows); err != nil {
			return fmt.Errorf("advance service jobs cursor: %w", err)
		}
		refreshes, err := scheduleRefreshes(ctx, tx, acct.ID, w.deps.Clock(), w.opts)
		if err != nil {
			return err
		}
		if err := jobs.InsertFollowups(ctx, tx, refreshes); err != nil {
			return err
		}
	}
	win.pages, win.rows = pages, rows
	return nil
}
