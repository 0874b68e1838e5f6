package backfill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/spapi/orderreport"
	"github.com/spsync/spsync/internal/store"
)

// A backfill via reports (`worker backfill orders --via reports`) fetches
// each window of order history as one order report: createReport, wait
// while Amazon processes it (the job snoozes: no worker slot is held),
// getReportDocument, download, store every line in one transaction with
// the window done. Amazon processes one report per seller and report type
// at a time, and a 2-year history is ~25 reports, so this is minutes of API
// time where the order APIs take days.
//
// Windows go by order date (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL),
// like the API backfill's windows by creation date; an order changed after
// its window was fetched reaches the poll through its update date.

// ReportType is the order report a backfill via reports asks for.
const ReportType = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"

// Report windows and limits.
const (
	// MaxReportWindow is the longest window of one order report.
	MaxReportWindow = 30 * 24 * time.Hour
	// MaxReportAge is how far back order reports reach: orders less than
	// two years old (older history needs the archived-orders report).
	MaxReportAge = 730 * 24 * time.Hour
	// fatalBeforeSplit is how many FATAL reports a window gets before it
	// is split in smaller windows.
	fatalBeforeSplit = 2
)

// splitSizes are the window lengths a window that keeps failing is split
// into, in turn.
var splitSizes = []time.Duration{15 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour}

// ReportWindowArgs fetches one window of a backfill via reports.
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
	deps *jobs.Deps
	opts ReportOptions
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
	err := w.work(ctx, a)
	if err == nil {
		return nil
	}
	var snooze *river.JobSnoozeError
	if errors.As(err, &snooze) {
		return err
	}
	jerr := w.deps.JobError(fmt.Errorf("backfill %d report window %s: %w", a.BackfillID, a.WindowStart.UTC().Format(time.RFC3339), err))
	if errors.As(jerr, &snooze) {
		return jerr
	}
	var cancel *river.JobCancelError
	final := errors.As(jerr, &cancel) || job.Attempt >= job.MaxAttempts
	recordBackfillError(ctx, w.deps, a.BackfillID, jerr, final)
	return jerr
}

func (w *ReportWindowWorker) work(ctx context.Context, a ReportWindowArgs) error {
	win, ok, err := pendingWindow(ctx, w.deps, a.BackfillID, a.WindowStart, a.WindowEnd)
	if err != nil || !ok {
		return err
	}
	acct, err := w.deps.Account(ctx, a.AccountID)
	if err != nil {
		return err
	}
	reportID := ""
	if win.ReportID != nil {
		reportID = *win.ReportID
	}
	if reportID == "" && win.ReportRequestedAt != nil {
		// A createReport may have reached Amazon before the last run
		// stopped: find that report rather than ask twice.
		if reportID, err = w.findReport(ctx, acct, a, *win.ReportRequestedAt); err != nil {
			return err
		}
	}
	if reportID == "" {
		if reportID, err = w.requestReport(ctx, acct, a); err != nil {
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
	case "IN_QUEUE", "IN_PROGRESS":
		if win.ReportStatus == nil || *win.ReportStatus != rep.ProcessingStatus {
			if err := store.SetWindowReport(ctx, w.deps.Pool, a.BackfillID, a.WindowStart, reportID, rep.ProcessingStatus); err != nil {
				return err
			}
		}
		return river.JobSnooze(w.opts.PollInterval)
	case "CANCELLED":
		// Amazon cancels a report with no data: the window is empty.
		return pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
			if err := store.SetWindowReport(ctx, tx, a.BackfillID, a.WindowStart, reportID, rep.ProcessingStatus); err != nil {
				return err
			}
			return store.CountBackfillPage(ctx, tx, a.BackfillID, a.WindowStart, 0, true)
		})
	case "FATAL":
		return w.fatal(ctx, a, reportID)
	case "DONE":
		return w.store(ctx, acct, a, reportID, rep.ReportDocumentID)
	default:
		return fmt.Errorf("report %s: unknown processingStatus %q", reportID, rep.ProcessingStatus)
	}
}

// pendingWindow reads the window [start, end) when its backfill is running
// and it is not done yet; false otherwise, and when smaller windows
// replaced it (a split keeps the start, not the end).
func pendingWindow(ctx context.Context, deps *jobs.Deps, backfillID int64, start, end time.Time) (*store.BackfillWindow, bool, error) {
	b, err := store.GetBackfill(ctx, deps.Pool, backfillID)
	if errors.Is(err, store.ErrBackfillNotFound) {
		return nil, false, river.JobCancel(err)
	}
	if err != nil {
		return nil, false, err
	}
	if b.State != "running" {
		return nil, false, nil
	}
	win, err := store.GetBackfillWindow(ctx, deps.Pool, backfillID, start)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil // split by an earlier run: smaller windows replace it
	}
	if err != nil {
		return nil, false, err
	}
	return win, win.DoneAt == nil && win.WindowEnd.Equal(end), nil
}

// reportEnd is the dataEndTime of a window: Amazon's end is inclusive, the
// window's is not.
func reportEnd(a ReportWindowArgs) time.Time { return a.WindowEnd.Add(-time.Second) }

// requestReport asks Amazon for the window's report. The window's row says
// a request may be under way before it is sent, so a crash in between
// leads the next run to look for the report instead of asking twice.
func (w *ReportWindowWorker) requestReport(ctx context.Context, acct *jobs.Account, a ReportWindowArgs) (string, error) {
	if err := w.deps.Take(ctx, acct, spapi.OpCreateReport, jobs.ClassBackfill); err != nil {
		return "", err
	}
	if err := store.MarkWindowReportRequested(ctx, w.deps.Pool, a.BackfillID, a.WindowStart); err != nil {
		return "", err
	}
	id, err := acct.Client.CreateReport(ctx, spapi.CreateReportRequest{
		ReportType: ReportType, MarketplaceIDs: acct.MarketplaceIDs, DataStartTime: a.WindowStart, DataEndTime: reportEnd(a),
	})
	if err != nil {
		return "", fmt.Errorf("create report: %w", err)
	}
	if err := store.SetWindowReport(ctx, w.deps.Pool, a.BackfillID, a.WindowStart, id, "IN_QUEUE"); err != nil {
		return "", err
	}
	w.deps.Log().Debug("order report requested", "backfill", a.BackfillID, "window", a.WindowStart.UTC().Format(time.DateOnly), "report", id)
	return id, nil
}

// findReport looks for a report of the window requested since requestedAt
// (less a minute of clock skew). A FATAL one is not adopted: the window
// asks again.
func (w *ReportWindowWorker) findReport(ctx context.Context, acct *jobs.Account, a ReportWindowArgs, requestedAt time.Time) (string, error) {
	req := spapi.GetReportsRequest{ReportTypes: []string{ReportType}, MarketplaceIDs: acct.MarketplaceIDs,
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
			if r.ProcessingStatus == "FATAL" || r.DataStartTime == nil || r.DataEndTime == nil {
				continue
			}
			if r.DataStartTime.Equal(a.WindowStart) && r.DataEndTime.Equal(reportEnd(a)) {
				if err := store.SetWindowReport(ctx, w.deps.Pool, a.BackfillID, a.WindowStart, r.ReportID, r.ProcessingStatus); err != nil {
					return "", err
				}
				w.deps.Log().Info("order report found again after a restart", "backfill", a.BackfillID, "report", r.ReportID)
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
// window that keeps failing fails the backfill.
func (w *ReportWindowWorker) fatal(ctx context.Context, a ReportWindowArgs, reportID string) error {
	n, err := store.ForgetWindowReport(ctx, w.deps.Pool, a.BackfillID, a.WindowStart)
	if err != nil {
		return err
	}
	w.deps.Log().Warn("order report ended FATAL", "backfill", a.BackfillID, "window", a.WindowStart.UTC().Format(time.DateOnly), "report", reportID, "fatal_reports", n)
	if n < fatalBeforeSplit {
		return river.JobSnooze(w.opts.FatalCooldown)
	}
	size := a.WindowEnd.Sub(a.WindowStart)
	next := time.Duration(0)
	for _, s := range splitSizes {
		if s < size {
			next = s
			break
		}
	}
	if next == 0 {
		return river.JobCancel(fmt.Errorf("report %s: Amazon ended %d reports of this %s window FATAL; no smaller window is left to try", reportID, n, size))
	}
	var params []river.InsertManyParams
	var starts, ends []time.Time
	for s := a.WindowStart; s.Before(a.WindowEnd); s = s.Add(next) {
		e := minTime(s.Add(next), a.WindowEnd)
		starts, ends = append(starts, s), append(ends, e)
		params = append(params, river.InsertManyParams{Args: ReportWindowArgs{BackfillID: a.BackfillID, AccountID: a.AccountID, WindowStart: s, WindowEnd: e}})
	}
	w.deps.Log().Warn("splitting a report window that keeps failing", "backfill", a.BackfillID, "window", a.WindowStart.UTC().Format(time.DateOnly),
		"from", size, "to", next, "windows", len(starts))
	return pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		if err := store.SplitBackfillWindow(ctx, tx, a.BackfillID, a.WindowStart, starts, ends); err != nil {
			return err
		}
		return jobs.InsertFollowups(ctx, tx, params)
	})
}

// store downloads the report's document and writes every line, the
// window done and the backfill's progress in one transaction, streaming the
// lines into it as they are read. The document's URL lives five minutes: an
// expired one is asked for again, once.
func (w *ReportWindowWorker) store(ctx context.Context, acct *jobs.Account, a ReportWindowArgs, reportID, documentID string) error {
	select {
	case w.storing <- struct{}{}:
		defer func() { <-w.storing }()
	case <-ctx.Done():
		return ctx.Err()
	}
	began := time.Now()
	var res store.ReportLinesResult
	var lines int
	attempt := func() error {
		return pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
			imp, err := store.BeginReportImport(ctx, tx, acct.ID, reportID)
			if err != nil {
				return err
			}
			var bad []spapi.Quarantined
			if lines, bad, err = w.download(ctx, acct, documentID, imp); err != nil {
				return err
			}
			if res, err = imp.Finish(ctx); err != nil {
				return err
			}
			if err := w.deps.Quarantine(ctx, tx, acct, bad); err != nil {
				return err
			}
			if err := store.SetWindowReport(ctx, tx, a.BackfillID, a.WindowStart, reportID, "DONE"); err != nil {
				return err
			}
			if err := store.CountBackfillPage(ctx, tx, a.BackfillID, a.WindowStart, int64(res.OrdersWritten+res.LinesWritten), true); err != nil {
				return err
			}
			if w.deps.BeforePageCommit != nil {
				return w.deps.BeforePageCommit(ctx, "orders")
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
	w.deps.CountRows("orders", res.Orders-res.OrdersKept, res.OrdersWritten)
	w.deps.CountRows("order_report_lines", res.Lines, res.LinesWritten)
	w.deps.Log().Info("order report stored", "backfill", a.BackfillID, "window", a.WindowStart.UTC().Format(time.DateOnly),
		"report", reportID, "lines", lines, "orders", res.Orders, "orders_kept_from_api", res.OrdersKept,
		"seconds", time.Since(began).Seconds())
	return nil
}

// importBatch is how many lines go to Postgres in one COPY.
const importBatch = 2000

// download fetches a fresh document URL and streams every line of the
// document into imp; lines without an order id or purchase date are set
// aside. It returns how many lines it read.
func (w *ReportWindowWorker) download(ctx context.Context, acct *jobs.Account, documentID string, imp *store.ReportImport) (int, []spapi.Quarantined, error) {
	if err := w.deps.Take(ctx, acct, spapi.OpGetReportDocument, jobs.ClassBackfill); err != nil {
		return 0, nil, err
	}
	doc, err := acct.Client.GetReportDocument(ctx, documentID)
	if err != nil {
		return 0, nil, fmt.Errorf("get report document: %w", err)
	}
	body, err := acct.Client.DownloadReportDocument(ctx, doc)
	if err != nil {
		return 0, nil, err
	}
	defer body.Close()
	r, err := orderreport.NewReader(body)
	if err != nil {
		return 0, nil, fmt.Errorf("read report document: %w", err)
	}
	var bad []spapi.Quarantined
	batch := make([]orderreport.Line, 0, importBatch)
	n := 0
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, nil, fmt.Errorf("read report document: %w", err)
		}
		n++
		if !l.Complete() {
			q, err := quarantineLine(&l)
			if err != nil {
				return n, nil, err
			}
			bad = append(bad, q)
			continue
		}
		batch = append(batch, l)
		if len(batch) == importBatch {
			if err := imp.Add(ctx, batch); err != nil {
				return n, nil, err
			}
			batch = batch[:0]
		}
	}
	if err := imp.Add(ctx, batch); err != nil {
		return n, nil, err
	}
	return n, bad, nil
}

// quarantineLine sets aside a line without the order id or purchase date
// it would be stored under, with its cells less the personal ones.
func quarantineLine(l *orderreport.Line) (spapi.Quarantined, error) {
	raw, err := store.ReportLineRaw(l.Fields)
	if err != nil {
		return spapi.Quarantined{}, err
	}
	return spapi.Quarantined{Op: spapi.OpGetReportDocument, EntityID: l.AmazonOrderID,
		Reason: fmt.Sprintf("report line %d: missing %s", l.LineNo, strings.Join(l.Missing, ", ")), Raw: raw}, nil
}
