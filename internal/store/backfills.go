package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// A backfill (`worker backfill`) is a backfills row and one backfill_windows
// row per window; each window is walked like a poll (walk_progress), and its
// pages move the window's and the backfill's accounting in their own
// transactions.

type (
	// Backfill is one backfills row.
	Backfill = dbsqlc.Backfill
	// BackfillWindow is one backfill_windows row.
	BackfillWindow = dbsqlc.BackfillWindow
	// NewBackfill are the arguments of CreateBackfill.
	NewBackfill = dbsqlc.CreateBackfillParams
)

// ErrBackfillNotFound means no backfill has the id.
var ErrBackfillNotFound = errors.New("no such backfill")

// ErrBackfillStopped means the backfill is no longer running (cancelled,
// failed or done) where a running one was needed.
var ErrBackfillStopped = errors.New("backfill is not running")

// CreateBackfill records a backfill and its windows on tx.
func CreateBackfill(ctx context.Context, tx pgx.Tx, b NewBackfill, starts, ends []time.Time) (*Backfill, error) {
	q := dbsqlc.New()
	row, err := q.CreateBackfill(ctx, tx, b)
	if err != nil {
		return nil, fmt.Errorf("create backfill: %w", err)
	}
	if err := q.CreateBackfillWindows(ctx, tx, dbsqlc.CreateBackfillWindowsParams{BackfillID: row.ID, WindowStarts: starts, WindowEnds: ends}); err != nil {
		return nil, fmt.Errorf("create backfill windows: %w", err)
	}
	return row, nil
}

// GetBackfill reads backfill id; ErrBackfillNotFound when there is none.
func GetBackfill(ctx context.Context, db DBTX, id int64) (*Backfill, error) {
	b, err := dbsqlc.New().GetBackfill(ctx, db, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w %d", ErrBackfillNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("read backfill %d: %w", id, err)
	}
	return b, nil
}

// ListBackfills returns the latest n backfills, newest first.
func ListBackfills(ctx context.Context, db DBTX, n int32) ([]*Backfill, error) {
	bs, err := dbsqlc.New().ListBackfills(ctx, db, n)
	if err != nil {
		return nil, fmt.Errorf("list backfills: %w", err)
	}
	return bs, nil
}

// ListRunningBackfills returns the running backfills, oldest first.
func ListRunningBackfills(ctx context.Context, db DBTX) ([]*Backfill, error) {
	bs, err := dbsqlc.New().ListRunningBackfills(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list running backfills: %w", err)
	}
	return bs, nil
}

// GetBackfillWindow reads one window of a backfill.
func GetBackfillWindow(ctx context.Context, db DBTX, backfillID int64, start time.Time) (*BackfillWindow, error) {
	w, err := dbsqlc.New().GetBackfillWindow(ctx, db, dbsqlc.GetBackfillWindowParams{BackfillID: backfillID, WindowStart: start})
	if err != nil {
		return nil, fmt.Errorf("read window %s of backfill %d: %w", start.UTC().Format(time.RFC3339), backfillID, err)
	}
	return w, nil
}

// CountBackfillPage adds one committed page of a window to the window's and
// the backfill's accounting, in tx, the page's transaction; last marks the
// window done. It fails with ErrBackfillStopped, so that the page rolls
// back, when the backfill is no longer running.
func CountBackfillPage(ctx context.Context, tx pgx.Tx, backfillID int64, start time.Time, rows int64, last bool) error {
	q := dbsqlc.New()
	_, err := q.CountBackfillWindowPage(ctx, tx, dbsqlc.CountBackfillWindowPageParams{Rows: rows, Last: last, BackfillID: backfillID, WindowStart: start})
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("window %s of backfill %d is already done (another run of it?)", start.UTC().Format(time.RFC3339), backfillID)
	}
	if err != nil {
		return fmt.Errorf("save window progress: %w", err)
	}
	var windows int32
	if last {
		windows = 1
	}
	_, err = q.AddBackfillProgress(ctx, tx, dbsqlc.AddBackfillProgressParams{Rows: rows, Windows: windows, ID: backfillID})
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrBackfillStopped
	}
	if err != nil {
		return fmt.Errorf("save backfill progress: %w", err)
	}
	return nil
}

// RecordBackfillError counts a failed window attempt; fail marks the
// backfill failed.
func RecordBackfillError(ctx context.Context, db DBTX, id int64, msg string, fail bool) error {
	if err := dbsqlc.New().RecordBackfillError(ctx, db, dbsqlc.RecordBackfillErrorParams{LastError: &msg, Fail: fail, ID: id}); err != nil {
		return fmt.Errorf("record failure of backfill %d: %w", id, err)
	}
	return nil
}

// CancelBackfill marks a running backfill cancelled on tx. It fails with
// ErrBackfillNotFound or ErrBackfillStopped (naming its state).
func CancelBackfill(ctx context.Context, tx pgx.Tx, id int64) (*Backfill, error) {
	q := dbsqlc.New()
	b, err := q.CancelBackfill(ctx, tx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		cur, gerr := GetBackfill(ctx, tx, id)
		if gerr != nil {
			return nil, gerr
		}
		return nil, fmt.Errorf("%w: backfill %d is %s", ErrBackfillStopped, id, cur.State)
	}
	if err != nil {
		return nil, fmt.Errorf("cancel backfill %d: %w", id, err)
	}
	return b, nil
}

// BackfillPages are the page counts an estimate of a backfill's remaining
// time needs.
type BackfillPages struct {
	// WindowsDone and PagesDone count the finished windows and their pages.
	WindowsDone, PagesDone int64
	// PagesPending counts the pages half-done windows committed.
	PagesPending int64
}

// CountBackfillPages reads a backfill's page counts.
func CountBackfillPages(ctx context.Context, db DBTX, id int64) (BackfillPages, error) {
	q := dbsqlc.New()
	done, err := q.BackfillPagesDone(ctx, db, id)
	if err != nil {
		return BackfillPages{}, fmt.Errorf("read backfill %d windows: %w", id, err)
	}
	pending, err := q.BackfillPagesPending(ctx, db, id)
	if err != nil {
		return BackfillPages{}, fmt.Errorf("read backfill %d windows: %w", id, err)
	}
	return BackfillPages{WindowsDone: done.Windows, PagesDone: done.Pages, PagesPending: pending}, nil
}

// ListBudgetNow is the budget of an operation now: its rate and the tokens in
// the bucket (the largest bucket when the account has several regions). ok
// is false before the operation's first call.
func ListBudgetNow(ctx context.Context, db DBTX, accountID, op string) (rate, tokens float64, ok bool, err error) {
	b, err := dbsqlc.New().BackfillListBudget(ctx, db, dbsqlc.BackfillListBudgetParams{AccountID: accountID, Operation: op})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("read %s budget: %w", op, err)
	}
	return b.Rate, b.Level, true, nil
}

// Report windows (`worker backfill orders --via reports`): a window's
// report survives crashes in its backfill_windows row.

// MarkWindowReportRequested notes, before createReport is sent, that a
// report of the window may exist from now on.
func MarkWindowReportRequested(ctx context.Context, db DBTX, backfillID int64, start time.Time) error {
	if err := dbsqlc.New().MarkWindowReportRequested(ctx, db, dbsqlc.MarkWindowReportRequestedParams{BackfillID: backfillID, WindowStart: start}); err != nil {
		return fmt.Errorf("mark report requested for window %s of backfill %d: %w", start.UTC().Format(time.RFC3339), backfillID, err)
	}
	return nil
}

// SetWindowReport records the window's report and its processing status.
func SetWindowReport(ctx context.Context, db DBTX, backfillID int64, start time.Time, reportID, status string) error {
	err := dbsqlc.New().SetWindowReport(ctx, db, dbsqlc.SetWindowReportParams{ReportID: &reportID, ReportStatus: &status, BackfillID: backfillID, WindowStart: start})
	if err != nil {
		return fmt.Errorf("record report %s of window %s of backfill %d: %w", reportID, start.UTC().Format(time.RFC3339), backfillID, err)
	}
	return nil
}

// ForgetWindowReport drops the window's FATAL report so the next run asks
// for a new one; it returns how many of the window's reports were FATAL.
func ForgetWindowReport(ctx context.Context, db DBTX, backfillID int64, start time.Time) (int, error) {
	n, err := dbsqlc.New().ForgetWindowReport(ctx, db, dbsqlc.ForgetWindowReportParams{BackfillID: backfillID, WindowStart: start})
	if err != nil {
		return 0, fmt.Errorf("forget report of window %s of backfill %d: %w", start.UTC().Format(time.RFC3339), backfillID, err)
	}
	return int(n), nil
}

// SplitBackfillWindow replaces a window by smaller ones on tx: its row goes
// (the first new window starts where it did) and the backfill counts the
// difference. It fails with ErrBackfillStopped when the backfill is no
// longer running or the window is gone or done.
func SplitBackfillWindow(ctx context.Context, tx pgx.Tx, backfillID int64, start time.Time, starts, ends []time.Time) error {
	q := dbsqlc.New()
	n, err := q.DeleteWindowForSplit(ctx, tx, dbsqlc.DeleteWindowForSplitParams{BackfillID: backfillID, WindowStart: start})
	if err != nil {
		return fmt.Errorf("split window %s of backfill %d: %w", start.UTC().Format(time.RFC3339), backfillID, err)
	}
	if n == 0 {
		return ErrBackfillStopped
	}
	if err := q.CreateBackfillWindows(ctx, tx, dbsqlc.CreateBackfillWindowsParams{BackfillID: backfillID, WindowStarts: starts, WindowEnds: ends}); err != nil {
		return fmt.Errorf("split window %s of backfill %d: %w", start.UTC().Format(time.RFC3339), backfillID, err)
	}
	if err := q.AddBackfillWindows(ctx, tx, dbsqlc.AddBackfillWindowsParams{Added: int32(len(starts) - 1), ID: backfillID}); err != nil {
		return fmt.Errorf("split window %s of backfill %d: %w", start.UTC().Format(time.RFC3339), backfillID, err)
	}
	return nil
}
