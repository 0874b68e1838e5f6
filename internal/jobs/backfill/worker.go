package backfill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/store/dbsqlc"
)

// WorkerOptions tune the window worker. Zero values are the defaults.
type WorkerOptions struct {
	// ServiceJobsStorePII keeps buyer PII of service jobs, as the
	// service jobs stream's option of the same meaning.
	ServiceJobsStorePII bool
}

// Register adds the window worker. The follow-ups it queues (order items,
// fulfillment order details) run on the streams' own workers, which the
// process registers too.
func Register(workers *river.Workers, deps *jobs.Deps, opts WorkerOptions) {
	river.AddWorker(workers, &WindowWorker{deps: deps, opts: opts})
}

// WindowWorker runs WindowArgs.
type WindowWorker struct {
	river.WorkerDefaults[WindowArgs]
	deps *jobs.Deps
	opts WorkerOptions
}

// Timeout lets a long window page on: each page commits on its own, and
// budget waits beyond a few seconds snooze the job instead.
func (w *WindowWorker) Timeout(*river.Job[WindowArgs]) time.Duration { return 30 * time.Minute }

// Work fetches the window from its saved page to its last.
func (w *WindowWorker) Work(ctx context.Context, job *river.Job[WindowArgs]) error {
	a := job.Args
	err := w.work(ctx, a)
	if err == nil {
		return nil
	}
	jerr := w.deps.JobError(fmt.Errorf("backfill %d window %s: %w", a.BackfillID, a.WindowStart.UTC().Format(time.RFC3339), err))
	var snooze *river.JobSnoozeError
	if errors.As(jerr, &snooze) {
		return jerr
	}
	var cancel *river.JobCancelError
	final := errors.As(jerr, &cancel) || job.Attempt >= job.MaxAttempts
	w.recordError(ctx, a.BackfillID, jerr, final)
	return jerr
}

func (w *WindowWorker) work(ctx context.Context, a WindowArgs) error {
	acct, err := w.deps.Account(a.AccountID)
	if err != nil {
		return err
	}
	s, err := w.stream(a.Stream)
	if err != nil {
		return err
	}
	pool := w.deps.Pool
	q := dbsqlc.New()
	restarts := 0
	for {
		// The backfill and the window are read before every page, and the
		// backfill again once the token is granted (a budget wait can be
		// long): a cancelled backfill or a window committed by an earlier
		// run costs no call to Amazon.
		win, ok, err := w.pending(ctx, a, true)
		if err != nil || !ok {
			return err
		}
		if err := w.deps.Take(ctx, acct, s.op, jobs.ClassBackfill); err != nil {
			return err
		}
		if _, ok, err := w.pending(ctx, a, false); err != nil || !ok {
			return err
		}
		page, err := s.fetch(ctx, acct, win)
		if err != nil {
			if jobs.ExpiredPageToken(err, win.NextToken != "") {
				// The window is not done, so reading it again from its
				// first page loses nothing.
				if restarts == jobs.MaxPageTokenRestarts {
					return jobs.PageTokenGiveUp(s.op, err)
				}
				restarts++
				if err := q.RestartBackfillWindow(ctx, pool, dbsqlc.RestartBackfillWindowParams{BackfillID: a.BackfillID, WindowStart: a.WindowStart}); err != nil {
					return fmt.Errorf("restart window after expired page token: %w", err)
				}
				continue
			}
			return fmt.Errorf("%s page %d: %w", s.op, win.Pages+1, err)
		}
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return commitPage(ctx, tx, win, page) })
		if errors.Is(err, errStopped) {
			return nil
		}
		if err != nil {
			return err
		}
		if page.next == "" {
			return nil
		}
	}
}

// pending reports whether the backfill is running and, with window, reads
// the window and reports whether it is still to do.
func (w *WindowWorker) pending(ctx context.Context, a WindowArgs, window bool) (*dbsqlc.BackfillWindow, bool, error) {
	q := dbsqlc.New()
	b, err := q.GetBackfill(ctx, w.deps.Pool, a.BackfillID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, river.JobCancel(fmt.Errorf("backfill %d does not exist", a.BackfillID))
	}
	if err != nil {
		return nil, false, fmt.Errorf("read backfill: %w", err)
	}
	if b.State != "running" || !window {
		return nil, b.State == "running", nil
	}
	win, err := q.GetBackfillWindow(ctx, w.deps.Pool, dbsqlc.GetBackfillWindowParams{BackfillID: a.BackfillID, WindowStart: a.WindowStart})
	if err != nil {
		return nil, false, fmt.Errorf("read window: %w", err)
	}
	return win, win.DoneAt == nil, nil
}

// errStopped rolls a page back when its backfill stopped running meanwhile.
var errStopped = errors.New("backfill no longer running")

// commitPage writes one page in tx: the rows and follow-ups, the window's
// progress and the backfill's counts. It returns errStopped, so that the
// page rolls back, when the backfill was cancelled meanwhile.
func commitPage(ctx context.Context, tx pgx.Tx, win *dbsqlc.BackfillWindow, page *page) error {
	q := dbsqlc.New()
	rows, err := page.store(ctx, tx)
	if err != nil {
		return err
	}
	var windows int32
	if page.next != "" {
		_, err = q.SaveBackfillWindowPage(ctx, tx, dbsqlc.SaveBackfillWindowPageParams{
			NextToken: page.next, Rows: rows, BackfillID: win.BackfillID, WindowStart: win.WindowStart, Pages: win.Pages,
		})
	} else {
		windows = 1
		_, err = q.FinishBackfillWindow(ctx, tx, dbsqlc.FinishBackfillWindowParams{
			Rows: rows, BackfillID: win.BackfillID, WindowStart: win.WindowStart, Pages: win.Pages,
		})
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("window moved on while page %d was fetched (another run of it?)", win.Pages+1)
	}
	if err != nil {
		return fmt.Errorf("save window progress: %w", err)
	}
	_, err = q.AddBackfillProgress(ctx, tx, dbsqlc.AddBackfillProgressParams{Rows: rows, Windows: windows, ID: win.BackfillID})
	if errors.Is(err, pgx.ErrNoRows) {
		// Cancelled while the page was fetched: roll the page back.
		return errStopped
	}
	if err != nil {
		return fmt.Errorf("save backfill progress: %w", err)
	}
	return nil
}

// recordError counts a failed attempt on the backfill, for `worker
// backfill list` and `worker status`; final marks the backfill failed.
func (w *WindowWorker) recordError(ctx context.Context, id int64, err error, final bool) {
	msg := jobs.ErrorText(err)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if rerr := dbsqlc.New().RecordBackfillError(ctx, w.deps.Pool, dbsqlc.RecordBackfillErrorParams{LastError: &msg, Fail: final, ID: id}); rerr != nil {
		w.deps.Log().Warn("record backfill failure", "backfill", id, "err", rerr)
	}
}
