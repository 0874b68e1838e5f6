package backfill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/store"
)

// Register adds the window workers (page walks and reports of the
// backfillable streams of the registry) with the report windows' default
// options. The follow-ups it queues (order items, fulfillment order
// details) run on the streams' own workers, which the process registers
// too.
func Register(workers *river.Workers, deps *jobs.Deps, streams jobs.Streams) {
	RegisterWith(workers, deps, streams, ReportOptions{})
}

// RegisterWith is Register with report window options (tests shorten the
// waits).
func RegisterWith(workers *river.Workers, deps *jobs.Deps, streams jobs.Streams, opts ReportOptions) {
	river.AddWorker(workers, &WindowWorker{deps: deps, streams: streams})
	river.AddWorker(workers, &ReportWindowWorker{deps: deps, streams: streams, opts: opts.withDefaults(), storing: make(chan struct{}, 1)})
}

// WindowWorker runs WindowArgs.
type WindowWorker struct {
	river.WorkerDefaults[WindowArgs]
	deps    *jobs.Deps
	streams jobs.Streams
}

// Timeout lets a long window page on: each page commits on its own, and
// budget waits beyond a few seconds snooze the job instead.
func (w *WindowWorker) Timeout(*river.Job[WindowArgs]) time.Duration { return 30 * time.Minute }

// Work fetches the window from its saved page to its last.
func (w *WindowWorker) Work(ctx context.Context, job *river.Job[WindowArgs]) error {
	a := job.Args
	return windowJobError(ctx, w.deps, job.JobRow, a.BackfillID, "window", a.WindowStart, w.work(ctx, a))
}

// windowJobError is what a window job (a page walk's or a report's)
// returns to River for err, the error of its work on window start of
// backfill backfillID: nil and snoozes as they are; anything else named
// with the backfill and the window, turned into River's outcome
// (Deps.JobError), and counted on the backfill, which fails with the
// job's last attempt or a cancel (`worker backfill list` shows why).
func windowJobError(ctx context.Context, deps *jobs.Deps, job *rivertype.JobRow, backfillID int64, what string, start time.Time, err error) error {
	var snooze *river.JobSnoozeError
	if err == nil || errors.As(err, &snooze) {
		return err
	}
	jerr := deps.JobError(fmt.Errorf("backfill %d %s %s: %w", backfillID, what, start.UTC().Format(time.RFC3339), err))
	if errors.As(jerr, &snooze) {
		return jerr
	}
	var cancel *river.JobCancelError
	final := errors.As(jerr, &cancel) || job.Attempt >= job.MaxAttempts
	recordBackfillError(ctx, deps, backfillID, jerr, final)
	return jerr
}

func (w *WindowWorker) work(ctx context.Context, a WindowArgs) error {
	acct, err := w.deps.Account(ctx, a.AccountID)
	if err != nil {
		return err
	}
	s, ok := w.streams.Lookup(a.Stream)
	if !ok || s.Backfill == nil {
		return river.JobCancel(fmt.Errorf("stream %q has no backfill (want %s)", a.Stream, w.streams.Backfillable().Names()))
	}
	page, class := s.Backfill.Page, jobs.ClassBackfill
	if a.Via == ViaLookback {
		class = jobs.ClassLookback
		if page = s.Backfill.Lookback; page == nil {
			return river.JobCancel(fmt.Errorf("stream %q has no lookback backfill", a.Stream))
		}
	}
	pending := func(ctx context.Context) (bool, error) {
		_, _, ok, err := pendingWindow(ctx, w.deps, a.BackfillID, a.WindowStart, a.WindowEnd)
		return ok, err
	}
	finished := false // the window's last page committed by this run
	st, err := w.deps.RunWalk(ctx, jobs.Walk{
		Account: acct, Stream: s.Name, Key: WalkKey(a.BackfillID, a.WindowStart),
		Op: s.Backfill.Op(&acct.Account), Class: class,
		Begin: func(ctx context.Context) (jobs.WalkState, bool, error) {
			ok, err := pending(ctx)
			return jobs.WalkState{From: a.WindowStart.UTC(), To: a.WindowEnd.UTC()}, ok, err
		},
		// The backfill and the window are read before every page, and again
		// once the token is granted (a budget wait can be long): a cancelled
		// backfill or a window committed by an earlier run costs no call to
		// Amazon.
		Proceed: pending,
		Fetch: func(ctx context.Context, st jobs.WalkState) (*jobs.Page, error) {
			return page(ctx, w.deps, acct, st.From, st.To, st.Token)
		},
		Commit: func(ctx context.Context, tx pgx.Tx, _ jobs.WalkState, rows int64, last bool) error {
			if err := commitPage(ctx, tx, a, rows, last); err != nil {
				return err
			}
			finished = last
			return nil
		},
	})
	if errors.Is(err, store.ErrBackfillStopped) {
		return nil // cancelled while a page was fetched: the page rolled back
	}
	if err == nil && finished {
		// One line per window, the backfill's notable event (its pages
		// are not logged); st counts the window's pages and rows across
		// runs of it.
		w.deps.Log().InfoContext(ctx, "backfill window done", "backfill", a.BackfillID, "account", a.AccountID, "stream", a.Stream,
			"window_start", a.WindowStart.UTC(), "window_end", a.WindowEnd.UTC(), "pages", st.Pages, "rows", st.Rows)
	}
	return err
}

// WalkKey is the walk key of one backfill window (store.WalkKey.Walk).
func WalkKey(backfillID int64, windowStart time.Time) string {
	return fmt.Sprintf("backfill:%d:%d", backfillID, windowStart.Unix())
}

// pendingWindow reads backfill backfillID and its window [start, end): ok
// when the backfill is running and the window is still to do. A window
// that smaller ones replaced (a split keeps the start, not the end) is not
// to do; a backfill that is gone cancels the job. Both window jobs (page
// walks and reports) ask it before they call Amazon.
func pendingWindow(ctx context.Context, deps *jobs.Deps, backfillID int64, start, end time.Time) (*store.Backfill, *store.BackfillWindow, bool, error) {
	b, err := store.GetBackfill(ctx, deps.Pool, backfillID)
	if errors.Is(err, store.ErrBackfillNotFound) {
		return nil, nil, false, river.JobCancel(err)
	}
	if err != nil {
		return nil, nil, false, err
	}
	if b.State != "running" {
		return b, nil, false, nil
	}
	win, err := store.GetBackfillWindow(ctx, deps.Pool, backfillID, start)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, nil, false, nil // split by an earlier run: smaller windows replace it
	}
	if err != nil {
		return nil, nil, false, err
	}
	return b, win, win.DoneAt == nil && win.WindowEnd.Equal(end), nil
}

// commitPage counts one page in tx, the page's transaction: the window's
// pages and rows (and, on its last page, the window done) and the
// backfill's counts. It returns store.ErrBackfillStopped, so that the page
// rolls back, when the backfill was cancelled meanwhile.
func commitPage(ctx context.Context, tx pgx.Tx, a WindowArgs, rows int64, last bool) error {
	return store.CountBackfillPage(ctx, tx, a.BackfillID, a.WindowStart, rows, last)
}

// recordBackfillError counts a failed attempt on the backfill, for `worker
// backfill list` and `worker status`; final marks the backfill failed.
func recordBackfillError(ctx context.Context, deps *jobs.Deps, id int64, err error, final bool) {
	msg := jobs.ErrorText(err)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if rerr := store.RecordBackfillError(ctx, deps.Pool, id, msg, final); rerr != nil {
		deps.Log().Warn("record backfill failure", "backfill", id, "err", rerr)
	}
}
