package backfill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// A backfill via reports (`worker backfill STREAM --via reports`) fetches
// each window of a stream's history as one report: createReport, wait
// while Amazon processes it (the job snoozes: no worker slot is held),
// getReportDocument, download, store the document in one transaction with
// the window done. This job is the same for every stream: what a stream's
// reports are (type, windows) and how a document is stored come from its
// descriptor (jobs.Stream.Reports), found by the backfill's stream.

// fatalBeforeSplit is how many FATAL reports a window gets before it is
// split in smaller windows.
const fatalBeforeSplit = 2

// ReportWindowArgs fetches one window of a backfill via reports. It does
// not name the stream: the backfill's row does.
type ReportWindowArgs struct {
	BackfillID  int64     `json:"backfill_id"`
	AccountID   string    `json:"account_id"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
}

// Kind is the River job kind.
func (ReportWindowArgs) Kind() string { return "backfill_report_window" }

// InsertOpts puts report windows in the backfill queue at the lowest
// priority.
func (ReportWindowArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueBackfill, Priority: jobs.PriorityBackfill}
}

// ReportOptions tune the report windows. Zero values are the defaults.
type ReportOptions struct {
	// PollInterval is how long a window snoozes while its report is
	// processed. Defaults to 30 seconds (Amazon takes a minute or more).
	PollInterval time.Duration
	// FatalCooldown is how long a window waits after a FATAL report before
	// asking again. Defaults to 5 minutes.
	FatalCooldown time.Duration
}

func (o ReportOptions) withDefaults() ReportOptions {
	if o.PollInterval <= 0 {
		o.PollInterval = 30 * time.Second
	}
	if o.FatalCooldown <= 0 {
		o.FatalCooldown = 5 * time.Minute
	}
	return o
}

// ReportWindowWorker runs ReportWindowArgs.
type ReportWindowWorker struct {
	river.WorkerDefaults[ReportWindowArgs]
	deps    *jobs.Deps
	streams jobs.Streams
	opts    ReportOptions
	// storing admits one document at a time per process: a document is held
	// whole until its transaction commits, and Amazon finishes reports one
	// at a time anyway.
	storing chan struct{}
}

// Timeout covers downloading and storing a large document.
func (w *ReportWindowWorker) Timeout(*river.Job[ReportWindowArgs]) time.Duration {
	return 30 * time.Minute
}

// Work moves the window one step on from where its row says it stands: ask
// for the report (once), wait for it, store its document.
func (w *ReportWindowWorker) Work(ctx context.Context, job *river.Job[ReportWindowArgs]) error {
	a := job.Args
	return windowJobError(ctx, w.deps, job.JobRow, a.BackfillID, "report window", a.WindowStart, w.work(ctx, a))
}

func (w *ReportWindowWorker) work(ctx context.Context, a ReportWindowArgs) error {
	b, row, ok, err := pendingWindow(ctx, w.deps, a.BackfillID, a.WindowStart, a.WindowEnd)
	if err != nil || !ok {
		return err
	}
	s, ok := w.streams.Lookup(b.Stream)
	if !ok || s.Reports == nil {
		return river.JobCancel(fmt.Errorf("stream %q has no reports to backfill from (want %s)", b.Stream, w.streams.Reportable().Names()))
	}
	win := &reportWindow{args: a, stream: s.Name, src: s.Reports, row: row}
	acct, err := w.deps.Account(ctx, a.AccountID)
	if err != nil {
		return err
	}
	reportID := win.reportID()
	if reportID == "" && row.ReportRequestedAt != nil {
		// A createReport may have reached Amazon before the last run
		// stopped: find that report rather than ask twice.
		if reportID, err = w.findReport(ctx, acct, win, *row.ReportRequestedAt); err != nil {
			return err
		}
	}
	if reportID == "" {
		if reportID, err = w.requestReport(ctx, acct, win); err != nil {
			return err
		}
	}

	if err := w.deps.Take(ctx, acct, spapi.OpGetReport, jobs.ClassBackfill); err != nil {
		return err
	}
	rep, err := acct.Client.GetReport(ctx, reportID)
	if err != nil {
		return fmt.Errorf("get report %s: %w", reportID, err)
	}
	switch rep.ProcessingStatus {
	case spapi.ReportInQueue, spapi.ReportInProgress:
		if err := win.setReport(ctx, w.deps.Pool, reportID, rep.ProcessingStatus); err != nil {
			return err
		}
		return river.JobSnooze(w.opts.PollInterval)
	case spapi.ReportCancelled:
		// Amazon cancels a report with no data: the window is empty.
		return pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
			return win.done(ctx, tx, reportID, rep.ProcessingStatus, 0)
		})
	case spapi.ReportFatal:
		return w.fatal(ctx, win, reportID)
	case spapi.ReportDone:
		return w.store(ctx, acct, win, reportID, rep.ReportDocumentID)
	default:
		return fmt.Errorf("report %s: unknown processingStatus %q", reportID, rep.ProcessingStatus)
	}
}

// reportWindow is a report window's state as its backfill_windows row keeps
// it across runs and crashes: whether a report of it may have been asked
// for, the report and its processing status, how many of its reports ended
// FATAL, and the window done with its rows. The report window job changes
// that state through these methods only; the one that ends the window
// (done) writes in the transaction that stores the window's document.
type reportWindow struct {
	args ReportWindowArgs
	// stream is the backfill's stream (the descriptor's name it was
	// started with), src its reports.
	stream string
	src    *jobs.ReportSource
	// row is the window's row as this run read it, kept up to date by the
	// methods.
	row *store.BackfillWindow
}

// reportID is the window's report, "" before one is known.
func (w *reportWindow) reportID() string {
	if w.row.ReportID == nil {
		return ""
	}
	return *w.row.ReportID
}

// requested notes, before createReport is sent, that a report of the window
// may exist from now on, so that a crash before its id is saved leads the
// next run to look for it instead of asking twice.
func (w *reportWindow) requested(ctx context.Context, db store.DBTX) error {
	return store.MarkWindowReportRequested(ctx, db, w.args.BackfillID, w.args.WindowStart)
}

// setReport records the window's report and its processing status, when
// they are news.
func (w *reportWindow) setReport(ctx context.Context, db store.DBTX, reportID, status string) error {
	if w.reportID() == reportID && w.row.ReportStatus != nil && *w.row.ReportStatus == status {
		return nil
	}
	if err := store.SetWindowReport(ctx, db, w.args.BackfillID, w.args.WindowStart, reportID, status); err != nil {
		return err
	}
	w.row.ReportID, w.row.ReportStatus = &reportID, &status
	return nil
}

// done records the report's last status and the window done with rows in
// tx, the transaction that stored the window's document (or, for an empty
// window, its own), and counts them on the backfill. It fails with
// store.ErrBackfillStopped, so that the document rolls back, when the
// backfill was cancelled meanwhile.
func (w *reportWindow) done(ctx context.Context, tx pgx.Tx, reportID, status string, rows int64) error {
	// Written whatever the row said: tx may roll back, the row in memory
	// would not.
	if err := store.SetWindowReport(ctx, tx, w.args.BackfillID, w.args.WindowStart, reportID, status); err != nil {
		return err
	}
	return store.CountBackfillPage(ctx, tx, w.args.BackfillID, w.args.WindowStart, rows, true)
}

// fatal drops the window's FATAL report in tx, so that the next run asks
// again, and returns how many of its reports ended FATAL.
func (w *reportWindow) fatal(ctx context.Context, tx pgx.Tx) (int, error) {
	return store.ForgetWindowReport(ctx, tx, w.args.BackfillID, w.args.WindowStart)
}

// split replaces the window in tx by windows of size (the last one
// shorter), and queues their jobs in tx. It returns how many.
func (w *reportWindow) split(ctx context.Context, tx pgx.Tx, size time.Duration) (int, error) {
	a := w.args
	var params []river.InsertManyParams
	var starts, ends []time.Time
	for s := a.WindowStart; s.Before(a.WindowEnd); s = s.Add(size) {
		e := minTime(s.Add(size), a.WindowEnd)
		starts, ends = append(starts, s), append(ends, e)
		params = append(params, river.InsertManyParams{Args: ReportWindowArgs{BackfillID: a.BackfillID, AccountID: a.AccountID, WindowStart: s, WindowEnd: e}})
	}
	if err := store.SplitBackfillWindow(ctx, tx, a.BackfillID, a.WindowStart, starts, ends); err != nil {
		return 0, err
	}
	return len(starts), jobs.InsertFollowups(ctx, tx, params)
}

// reportEnd is the dataEndTime of a window: Amazon's end is inclusive, the
// window's is not.
func reportEnd(a ReportWindowArgs) time.Time { return a.WindowEnd.Add(-time.Second) }

// requestReport asks Amazon for the window's report. The window's row says
// a request may be under way before it is sent, so a crash in between
// leads the next run to look for the report instead of asking twice.
func (w *ReportWindowWorker) requestReport(ctx context.Context, acct *jobs.Account, win *reportWindow) (string, error) {
	a := win.args
	if err := w.deps.Take(ctx, acct, spapi.OpCreateReport, jobs.ClassBackfill); err != nil {
		return "", err
	}
	if err := win.requested(ctx, w.deps.Pool); err != nil {
		return "", err
	}
	id, err := acct.Client.CreateReport(ctx, spapi.CreateReportRequest{
		ReportType: win.src.Type, MarketplaceIDs: acct.MarketplaceIDs, DataStartTime: a.WindowStart, DataEndTime: reportEnd(a),
	})
	if err != nil {
		return "", fmt.Errorf("create report: %w", err)
	}
	if err := win.setReport(ctx, w.deps.Pool, id, spapi.ReportInQueue); err != nil {
		return "", err
	}
	w.deps.Log().Debug(win.src.Noun+" requested", "backfill", a.BackfillID, "window", a.WindowStart.UTC().Format(time.DateOnly), "report", id)
	return id, nil
}

// findReport looks for a report of the window requested since requestedAt
// (less a minute of clock skew). A FATAL one is not adopted: the window
// asks again.
func (w *ReportWindowWorker) findReport(ctx context.Context, acct *jobs.Account, win *reportWindow, requestedAt time.Time) (string, error) {
	a := win.args
	req := spapi.GetReportsRequest{ReportTypes: []string{win.src.Type}, MarketplaceIDs: acct.MarketplaceIDs,
		CreatedSince: requestedAt.Add(-time.Minute), PageSize: 100}
	for {
		if err := w.deps.Take(ctx, acct, spapi.OpGetReports, jobs.ClassBackfill); err != nil {
			return "", err
		}
		res, err := acct.Client.GetReports(ctx, req)
		if err != nil {
			return "", fmt.Errorf("look for the window's report: %w", err)
		}
		for _, r := range res.Reports {
			if r.ProcessingStatus == spapi.ReportFatal || r.DataStartTime == nil || r.DataEndTime == nil {
				continue
			}
			if r.DataStartTime.Equal(a.WindowStart) && r.DataEndTime.Equal(reportEnd(a)) {
				if err := win.setReport(ctx, w.deps.Pool, r.ReportID, r.ProcessingStatus); err != nil {
					return "", err
				}
				w.deps.Log().Info(win.src.Noun+" found again after a restart", "backfill", a.BackfillID, "report", r.ReportID)
				return r.ReportID, nil
			}
		}
		if res.NextToken == "" {
			return "", nil
		}
		req = spapi.GetReportsRequest{NextToken: res.NextToken}
	}
}

// fatal handles a FATAL report: ask again after a cooldown; after
// fatalBeforeSplit of them, split the window into smaller ones; a one-day
// window that keeps failing fails the backfill. The report is forgotten and
// the window split in one transaction, so a crash between the two cannot
// leave a window that asks again instead of splitting.
func (w *ReportWindowWorker) fatal(ctx context.Context, win *reportWindow, reportID string) error {
	a := win.args
	size := a.WindowEnd.Sub(a.WindowStart)
	next := smallerReportWindow(win.src.SplitSizes, size)
	var n, windows int
	err := pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		var err error
		if n, err = win.fatal(ctx, tx); err != nil || n < fatalBeforeSplit || next == 0 {
			return err
		}
		windows, err = win.split(ctx, tx, next)
		return err
	})
	if err != nil {
		return err
	}
	w.deps.Log().Warn(win.src.Noun+" ended FATAL", "backfill", a.BackfillID, "window", a.WindowStart.UTC().Format(time.DateOnly), "report", reportID, "fatal_reports", n)
	switch {
	case n < fatalBeforeSplit:
		return river.JobSnooze(w.opts.FatalCooldown)
	case next == 0:
		return river.JobCancel(fmt.Errorf("report %s: Amazon ended %d reports of this %s window FATAL; no smaller window is left to try", reportID, n, size))
	}
	w.deps.Log().Warn("split a report window that keeps failing", "backfill", a.BackfillID, "window", a.WindowStart.UTC().Format(time.DateOnly),
		"from", size, "to", next, "windows", windows)
	return nil
}

// smallerReportWindow is the window length of sizes (longest first) a
// failing window of size is split into; 0 when none is smaller.
func smallerReportWindow(sizes []time.Duration, size time.Duration) time.Duration {
	for _, s := range sizes {
		if s < size {
			return s
		}
	}
	return 0
}

// store downloads the report's document and has the stream store it
// (ReportSource.Store), with the window done and the backfill's progress,
// in one transaction; the stream reads the document as it downloads. The
// document's URL lives five minutes: an expired one is asked for again,
// once.
func (w *ReportWindowWorker) store(ctx context.Context, acct *jobs.Account, win *reportWindow, reportID, documentID string) error {
	select {
	case w.storing <- struct{}{}:
		defer func() { <-w.storing }()
	case <-ctx.Done():
		return ctx.Err()
	}
	a := win.args
	began := time.Now()
	var res jobs.ReportStored
	attempt := func() error {
		return pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
			body, err := w.download(ctx, acct, documentID)
			if err != nil {
				return err
			}
			defer body.Close()
			if res, err = win.src.Store(ctx, w.deps, tx, acct, reportID, body); err != nil {
				return err
			}
			if err := win.done(ctx, tx, reportID, spapi.ReportDone, res.Rows); err != nil {
				return err
			}
			if w.deps.BeforePageCommit != nil {
				return w.deps.BeforePageCommit(ctx, win.stream)
			}
			return nil
		})
	}
	err := attempt()
	if errors.Is(err, spapi.ErrDocumentURLExpired) {
		err = attempt()
	}
	if errors.Is(err, store.ErrBackfillStopped) {
		return nil // cancelled meanwhile: nothing of the window was kept
	}
	if err != nil {
		return fmt.Errorf("report %s document %s: %w", reportID, documentID, err)
	}
	for _, c := range res.Counts {
		w.deps.CountRows(c.Table, c.Offered, c.Changed)
	}
	attrs := append([]any{"backfill", a.BackfillID, "window", a.WindowStart.UTC().Format(time.DateOnly), "report", reportID}, res.Log...)
	w.deps.Log().Info(win.src.Noun+" stored", append(attrs, "seconds", time.Since(began).Seconds())...)
	return nil
}

// download fetches a fresh document URL and opens the document.
func (w *ReportWindowWorker) download(ctx context.Context, acct *jobs.Account, documentID string) (io.ReadCloser, error) {
	if err := w.deps.Take(ctx, acct, spapi.OpGetReportDocument, jobs.ClassBackfill); err != nil {
		return nil, err
	}
	doc, err := acct.Client.GetReportDocument(ctx, documentID)
	if err != nil {
		return nil, fmt.Errorf("get report document: %w", err)
	}
	return acct.Client.DownloadReportDocument(ctx, doc)
}
