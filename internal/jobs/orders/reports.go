package orders

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/spapi/orderreport"
	"github.com/spsync/spsync/internal/store"
)

// A backfill via reports (`worker backfill orders --via reports`) fetches
// each window of order history as one order report; the staged job that
// asks for, waits for and downloads it is the backfill package's, and this
// file is what it knows of orders through the descriptor (Stream.Reports):
// the report type, its windows, and how a document's lines are read
// (orderreport) and stored (store.ReportImport). Amazon processes one
// report per seller and report type at a time, and a 2-year history is ~25
// reports, so this is minutes of API time where the order APIs take days.
//
// Windows go by order date (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL),
// like the API backfill's windows by creation date; an order changed after
// its window was fetched reaches the poll through its update date.

// ReportType is the order report a backfill via reports asks for.
const ReportType = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"

// Order report windows.
const (
	// MaxReportWindow is the longest window of one order report.
	MaxReportWindow = 30 * 24 * time.Hour
	// MaxReportAge is how far back order reports reach: orders less than
	// two years old (older history needs the archived-orders report).
	MaxReportAge = 730 * 24 * time.Hour
)

// reportSource describes the order reports a backfill via reports reads.
func reportSource() *jobs.ReportSource {
	return &jobs.ReportSource{
		Type: ReportType, Noun: "order report",
		MaxWindow: MaxReportWindow, MaxAge: MaxReportAge,
		TooOld: "order reports cover orders less than two years old; older history needs the archived-orders report (GET_FLAT_FILE_ARCHIVED_ORDERS_DATA_BY_ORDER_DATE), which spsync does not read yet",
		// A window whose reports keep failing is tried in halves, then
		// weeks, then days.
		SplitSizes: []time.Duration{15 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour},
		Store:      storeReport,
	}
}

// importBatch is how many lines go to Postgres in one COPY.
const importBatch = 2000

// storeReport streams every line of an order report's document into one
// import in tx (orders known only from reports, and their lines) and sets
// aside the lines without an order id or purchase date.
func storeReport(ctx context.Context, deps *jobs.Deps, tx pgx.Tx, acct *jobs.Account, reportID string, body io.Reader) (jobs.ReportStored, error) {
	imp, err := store.BeginReportImport(ctx, tx, acct.ID, reportID)
	if err != nil {
		return jobs.ReportStored{}, err
	}
	lines, bad, err := readReport(ctx, body, imp)
	if err != nil {
		return jobs.ReportStored{}, err
	}
	res, err := imp.Finish(ctx)
	if err != nil {
		return jobs.ReportStored{}, err
	}
	if err := deps.Quarantine(ctx, tx, acct, bad); err != nil {
		return jobs.ReportStored{}, err
	}
	out := jobs.ReportStored{Rows: res.Rows(),
		Log: []any{"lines", lines, "orders", res.Orders, "orders_kept_from_api", res.OrdersKept}}
	res.CountRows(func(table string, offered, changed int) {
		out.Counts = append(out.Counts, jobs.RowCount{Table: table, Offered: offered, Changed: changed})
	})
	return out, nil
}

// readReport streams every line of the document into imp; lines without
// an order id or purchase date are set aside. It returns how many lines it
// read.
func readReport(ctx context.Context, body io.Reader, imp *store.ReportImport) (int, []spapi.Quarantined, error) {
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
