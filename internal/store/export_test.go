package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/spapi/orderreport"
)

// ReplaceOrderReportLines, for tests, writes one report document's lines of
// one account on tx (BeginReportImport, Add, Finish in one call). Orders an order API
// wrote (api_version v0 or 2026-01-01) are left alone, lines and all. For
// the others the document is the truth: the order row is inserted or
// updated from its lines, and all its stored lines are replaced by the
// document's (unchanged lines untouched, gone ones deleted), so importing a
// window again, in any line order, changes nothing. reportID names the
// report in each line.
func ReplaceOrderReportLines(ctx context.Context, tx pgx.Tx, accountID, reportID string, lines []orderreport.Line) (ReportLinesResult, error) {
	imp, err := BeginReportImport(ctx, tx, accountID, reportID)
	if err != nil {
		return ReportLinesResult{}, err
	}
	if err := imp.Add(ctx, lines); err != nil {
		return ReportLinesResult{}, err
	}
	return imp.Finish(ctx)
}
