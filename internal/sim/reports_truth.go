package sim

import (
	"fmt"
	"slices"
	"time"
)

// The report accessors below look at reports the way the operations do:
// each first brings the account's reports up to the limiter clock (see
// advanceReports), so what they say is what getReport would answer at
// that moment. Like the other ground-truth methods they cost no rate
// budget and are not counted in Stats.

// TruthOrderReportLines returns the lines an order report of reportType
// over [start, end] (both inclusive) would hold if it completed now on the
// data clock, in the order of an unshuffled document (by purchase date or
// last update, then order id, then item), independent of any report's
// column layout. marketplaceIDs narrows it to those marketplaces; none
// means every marketplace of the account. It is what a DONE report's
// document holds when the data clock has not moved since the report
// completed, and at any time the same orders and items as TruthOrders and
// TruthOrderItems.
func (s *Sim) TruthOrderReportLines(account, reportType string, start, end time.Time, marketplaceIDs ...string) ([]ReportLine, error) {
	if !slices.Contains(ReportTypes, reportType) {
		return nil, fmt.Errorf("sim: report type %q is not one of %v", reportType, ReportTypes)
	}
	d, err := s.data(account)
	if err != nil {
		return nil, err
	}
	if len(marketplaceIDs) == 0 {
		marketplaceIDs = d.acct.MarketplaceIDs
	}
	return d.orderReportLines(reportType, ceilSec(start), floorSec(end), s.dataNow(), marketplaceIDs), nil
}

// TruthReports returns every report of account still retained, as
// getReport answers them now, in creation order.
func (s *Sim) TruthReports(account string) ([]Report, error) {
	d, err := s.data(account)
	if err != nil {
		return nil, err
	}
	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	st := s.reportStore(d)
	out := make([]Report, len(st.list))
	for i, r := range st.list {
		out[i] = r.rep
		out[i].MarketplaceIDs = slices.Clone(r.rep.MarketplaceIDs)
	}
	return out, nil
}

// doneReport finds a DONE report, or says why there is none.
func (s *Sim) doneReport(account, reportID string) (*simReport, error) {
	d, err := s.data(account)
	if err != nil {
		return nil, err
	}
	r := s.reportStore(d).byID[reportID]
	if r == nil {
		return nil, fmt.Errorf("report %s of account %q: %w", reportID, account, ErrNotFound)
	}
	if r.doc == nil {
		return nil, fmt.Errorf("report %s of account %q is %s and has no document: %w", reportID, account, r.rep.ProcessingStatus, ErrNotFound)
	}
	return r, nil
}

// TruthReportLines returns the lines of a DONE report's document as typed
// values, in the document's order (shuffled if Options.ShuffleReportLines),
// or an error wrapping ErrNotFound for a report that is unknown, gone or
// not DONE. They are the data as of the report's completion, however the
// data clock has moved since.
func (s *Sim) TruthReportLines(account, reportID string) ([]ReportLine, error) {
	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	r, err := s.doneReport(account, reportID)
	if err != nil {
		return nil, err
	}
	d, _ := s.data(account)
	lines := d.orderReportLines(r.rep.ReportType, r.from, r.to, r.snap, r.rep.MarketplaceIDs)
	s.shuffleReport(account, reportID, lines)
	return lines, nil
}

// ReportColumns returns the header of a DONE report's document, which
// depends on its layout (Options.ReportLayout, ReportLayoutColumns), or an
// error wrapping ErrNotFound.
func (s *Sim) ReportColumns(account, reportID string) ([]string, error) {
	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	r, err := s.doneReport(account, reportID)
	if err != nil {
		return nil, err
	}
	return slices.Clone(r.doc.columns), nil
}

// ReportDocumentCharset returns the charset a DONE report's document is
// served in: "Windows-31J" (CP932) when the report covers Amazon.co.jp,
// "UTF-8" otherwise.
func (s *Sim) ReportDocumentCharset(account, reportID string) (string, error) {
	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	r, err := s.doneReport(account, reportID)
	if err != nil {
		return "", err
	}
	return r.doc.charset, nil
}

// ReportRequests returns how many reports createReport accepted for
// account, reportType and exactly this window (the same instants, however
// written), retained or not, since the last ResetStats: how a test asserts
// that a window is never requested twice.
func (s *Sim) ReportRequests(account, reportType string, start, end time.Time) int {
	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	st := s.reports.accounts[account]
	if st == nil {
		return 0
	}
	return st.requests[windowKey(reportType, start.UTC(), end.UTC())]
}

// ReportDownloads returns how many times the document of a report was
// served to a download.
func (s *Sim) ReportDownloads(account, reportID string) int {
	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	st := s.reports.accounts[account]
	if st == nil {
		return 0
	}
	return st.downloads[reportID]
}

// ReportStats returns the report counters of account, after bringing its
// reports up to the limiter clock.
func (s *Sim) ReportStats(account string) ReportStats {
	d, err := s.data(account)
	if err != nil {
		return ReportStats{}
	}
	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	return s.reportStore(d).stats
}
