package jobs

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReportSource is how a stream's history comes from reports of the Reports
// API 2021-06-30 (`worker backfill STREAM --via reports`): one report per
// window of the history, asked for with createReport, waited for while
// Amazon processes it, its document downloaded and stored in one
// transaction with the window done. The staged job that does this is
// generic (internal/jobs/backfill, kind backfill_report_window): it knows a
// stream's reports only through this, the report type, its windows, and how
// a document's lines are read and stored.
type ReportSource struct {
	// Type is the report type createReport asks for, one report per
	// window (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL).
	Type string
	// Noun names the reports in log lines ("order report": "order report
	// stored") and messages.
	Noun string
	// MaxWindow is the longest window one report covers, and the window
	// when the operator names none.
	MaxWindow time.Duration
	// MaxAge, when set, is how far back the reports reach: a backfill that
	// starts earlier is refused with TooOld, which says what the reports
	// cover and where older history is.
	MaxAge time.Duration
	TooOld string
	// SplitSizes are the window lengths a window whose reports keep ending
	// FATAL is split into, in turn, longest first; a window no longer than
	// the last fails its backfill instead. None: a failing window is not
	// split.
	SplitSizes []time.Duration
	// Store reads a report's document from body and writes what it holds
	// in tx, the transaction that also marks the window done: the rows, and
	// the lines set aside (Deps.Quarantine). It says what it wrote.
	Store func(ctx context.Context, deps *Deps, tx pgx.Tx, acct *Account, reportID string, body io.Reader) (ReportStored, error)
}

// ReportStored is what one report document wrote (ReportSource.Store).
type ReportStored struct {
	// Rows is what the document changed, as its backfill window counts
	// rows.
	Rows int64
	// Counts are what it offered and changed per table, told to
	// Deps.CountRows once the document's transaction committed.
	Counts []RowCount
	// Log are the attributes (key, value pairs) the "stored" log line adds
	// about the document: its lines, its entities.
	Log []any
}

// CheckWindow refuses a window of size longer than one report covers, or a
// history from before the oldest the reports reach (now less MaxAge).
func (r *ReportSource) CheckWindow(size time.Duration, from, now time.Time) error {
	if size > r.MaxWindow {
		return fmt.Errorf("window %s is longer than one %s covers (%s)", size, r.Noun, Days(r.MaxWindow))
	}
	if r.MaxAge > 0 {
		if oldest := now.Add(-r.MaxAge); from.Before(oldest) {
			return fmt.Errorf("from %s is more than %s ago (oldest %s): %s", from.UTC().Format(time.DateOnly),
				Days(r.MaxAge), oldest.UTC().Format(time.DateOnly), r.TooOld)
		}
	}
	return nil
}

// Days spells a duration of whole days as days ("30 days"), any other as
// the duration.
func Days(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		if d == day {
			return "1 day"
		}
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}

// Reportable lists the streams whose history can come from reports.
func (ss Streams) Reportable() Streams {
	var out Streams
	for _, s := range ss {
		if s.Reports != nil {
			out = append(out, s)
		}
	}
	return out
}
