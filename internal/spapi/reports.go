package spapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reports API 2021-06-30 produces bulk documents (order history among them) in
// four steps: createReport asks for a report, getReport polls it until
// processingStatus is terminal, getReportDocument turns its reportDocumentId
// into a presigned URL that expires after 5 minutes, and the document is
// downloaded from that URL without SP-API credentials (reportdoc.go). Answers
// have no {"payload"} envelope. Field names are the model's
// (reports_2021-06-30.json).

// Report processing statuses (model Report.processingStatus).
const (
	// ReportInQueue: not started yet, possibly waiting for another IN_PROGRESS report.
	ReportInQueue = "IN_QUEUE"
	// ReportInProgress: being processed.
	ReportInProgress = "IN_PROGRESS"
	// ReportDone: processed; reportDocumentId is set.
	ReportDone = "DONE"
	// ReportCancelled: cancelled on request, or by Amazon because there was no data to
	// return. For order reports it means "nothing in the window", not a failure.
	ReportCancelled = "CANCELLED"
	// ReportFatal: aborted by an error on Amazon's side.
	ReportFatal = "FATAL"
)

// maxReportMarketplaces is the model's maxItems of CreateReportSpecification.marketplaceIds.
const maxReportMarketplaces = 25

// CreateReportRequest asks Amazon to produce a report. ReportType and MarketplaceIDs are
// required. The data window is optional (not every report type uses it; Amazon's default
// is now) and must not lie in the future, which Amazon checks: the client does not, since
// it would need a clock that agrees with Amazon's. ReportOptions vary by report type.
type CreateReportRequest struct {
	ReportType     string
	MarketplaceIDs []string
	DataStartTime  time.Time
	DataEndTime    time.Time
	ReportOptions  map[string]string
}

// createReportSpecification is the body of createReport (model CreateReportSpecification).
type createReportSpecification struct {
	ReportType     string            `json:"reportType"`
	MarketplaceIDs []string          `json:"marketplaceIds"`
	DataStartTime  string            `json:"dataStartTime,omitempty"`
	DataEndTime    string            `json:"dataEndTime,omitempty"`
	ReportOptions  map[string]string `json:"reportOptions,omitempty"`
}

// body validates the documented rules that can be checked locally and builds the body.
func (r CreateReportRequest) body() (createReportSpecification, error) {
	switch {
	case strings.TrimSpace(r.ReportType) == "":
		return createReportSpecification{}, invalidInput(OpCreateReport, "reportType is required")
	case len(r.MarketplaceIDs) == 0:
		return createReportSpecification{}, invalidInput(OpCreateReport, "marketplaceIds is required")
	case len(r.MarketplaceIDs) > maxReportMarketplaces:
		return createReportSpecification{}, invalidInput(OpCreateReport, "at most %d marketplaceIds, got %d", maxReportMarketplaces, len(r.MarketplaceIDs))
	case slices.Contains(r.MarketplaceIDs, ""):
		return createReportSpecification{}, invalidInput(OpCreateReport, "empty marketplace id")
	case !r.DataStartTime.IsZero() && !r.DataEndTime.IsZero() && r.DataEndTime.Before(r.DataStartTime):
		return createReportSpecification{}, invalidInput(OpCreateReport, "dataEndTime %s is before dataStartTime %s",
			formatTime(r.DataEndTime), formatTime(r.DataStartTime))
	}
	spec := createReportSpecification{ReportType: r.ReportType, MarketplaceIDs: r.MarketplaceIDs, ReportOptions: r.ReportOptions}
	if !r.DataStartTime.IsZero() {
		spec.DataStartTime = formatTime(r.DataStartTime)
	}
	if !r.DataEndTime.IsZero() {
		spec.DataEndTime = formatTime(r.DataEndTime)
	}
	return spec, nil
}

// createReportResponse is the answer of createReport.
type createReportResponse struct {
	ReportID string `json:"reportId"`
}

// missing: without a reportId there is nothing to poll.
func (r *createReportResponse) missing() (string, []string) {
	if r.ReportID == "" {
		return "", []string{"reportId"}
	}
	return r.ReportID, nil
}

// CreateReport asks Amazon for a report and returns its id, to poll with GetReport. Amazon
// answers 202: the report is queued, not produced. A 2xx answer without reportId is an
// error of KindPermanent (ErrIncompleteRecord): a retry might create a second report.
func (c *Client) CreateReport(ctx context.Context, req CreateReportRequest) (string, error) {
	spec, err := req.body()
	if err != nil {
		return "", err
	}
	var res createReportResponse
	if _, err := c.postBare(ctx, OpCreateReport, "/reports/2021-06-30/reports", spec, &res); err != nil {
		return "", err
	}
	return res.ReportID, nil
}

// Report is a report as getReport and getReports describe it (model Report). Times Amazon
// did not send are nil; ReportDocumentID is set once ProcessingStatus is DONE.
type Report struct {
	ReportID         string     `json:"reportId"`
	ReportType       string     `json:"reportType"`
	MarketplaceIDs   []string   `json:"marketplaceIds,omitempty"`
	DataStartTime    *time.Time `json:"dataStartTime,omitempty"`
	DataEndTime      *time.Time `json:"dataEndTime,omitempty"`
	ReportScheduleID string     `json:"reportScheduleId,omitempty"`
	// CreatedTime is required by the model but not by the client: a report without it can
	// still be polled and downloaded.
	CreatedTime time.Time `json:"createdTime"`
	// ProcessingStatus is one of the Report… constants in that spelling; an unknown value is
	// kept verbatim and reported in Warnings.
	ProcessingStatus    string     `json:"processingStatus" enum:"processingStatus"`
	ProcessingStartTime *time.Time `json:"processingStartTime,omitempty"`
	ProcessingEndTime   *time.Time `json:"processingEndTime,omitempty"`
	ReportDocumentID    string     `json:"reportDocumentId,omitempty"`
	// Raw is the report exactly as Amazon sent it.
	Raw json.RawMessage `json:"-"`
	// Warnings are the fields that did not decode cleanly (see DecodeWarning).
	Warnings []DecodeWarning `json:"-"`
}

// UnmarshalJSON decodes the report tolerantly (see decode.go) and keeps its raw JSON.
func (r *Report) UnmarshalJSON(b []byte) error { return decodeRecord(b, r) }

// missing: a report is found by reportId and acted on by processingStatus.
func (r *Report) missing() (string, []string) {
	var m []string
	if r.ReportID == "" {
		m = append(m, "reportId")
	}
	if r.ProcessingStatus == "" {
		m = append(m, "processingStatus")
	}
	return r.ReportID, m
}

// RecordID returns reportId.
func (r Report) RecordID() string { return r.ReportID }

// DecodeWarnings returns Warnings.
func (r Report) DecodeWarnings() []DecodeWarning { return r.Warnings }

// Terminal reports whether the report will not change any more: DONE, CANCELLED or FATAL.
// A poller stops there; only DONE has a document.
func (r *Report) Terminal() bool {
	switch r.ProcessingStatus {
	case ReportDone, ReportCancelled, ReportFatal:
		return true
	}
	return false
}

// GetReport fetches one report, to poll its processing status. A report without reportId
// or processingStatus is an *IncompleteRecordError (KindPermanent).
func (c *Client) GetReport(ctx context.Context, reportID string) (*Report, error) {
	if reportID == "" {
		return nil, invalidInput(OpGetReport, "empty report id")
	}
	var r Report
	if _, err := c.getBare(ctx, OpGetReport, "/reports/2021-06-30/reports/"+pathSegment(reportID), nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Limits of getReports' filters (model).
const (
	maxReportTypesFilter  = 10
	maxMarketplacesFilter = 10
	maxGetReportsPageSize = 100
)

// GetReportsRequest is the query of getReports. ReportTypes is required on a first page.
// Amazon refuses a nextToken sent with any other parameter, so when NextToken is set it is
// the only thing sent and the filters are ignored; the pager relies on that to resend the
// request with each token. ProcessingStatuses are matched in any spelling (in_progress is
// IN_PROGRESS); a status Amazon does not define is refused before sending. Zero times and
// PageSize are left to Amazon's defaults (created in the last 90 days, 10 per page).
type GetReportsRequest struct {
	ReportTypes        []string
	ProcessingStatuses []string
	MarketplaceIDs     []string
	CreatedSince       time.Time
	CreatedUntil       time.Time
	PageSize           int
	NextToken          string
}

// query validates the documented rules that can be checked locally and encodes the
// request.
func (r GetReportsRequest) query() (url.Values, error) {
	if r.NextToken != "" {
		return url.Values{"nextToken": {r.NextToken}}, nil
	}
	switch {
	case len(r.ReportTypes) == 0:
		return nil, invalidInput(OpGetReports, "reportTypes is required unless nextToken is set")
	case len(r.ReportTypes) > maxReportTypesFilter:
		return nil, invalidInput(OpGetReports, "at most %d reportTypes, got %d", maxReportTypesFilter, len(r.ReportTypes))
	case len(r.MarketplaceIDs) > maxMarketplacesFilter:
		return nil, invalidInput(OpGetReports, "at most %d marketplaceIds, got %d", maxMarketplacesFilter, len(r.MarketplaceIDs))
	case r.PageSize < 0 || r.PageSize > maxGetReportsPageSize:
		return nil, invalidInput(OpGetReports, "pageSize must be 1 to %d, got %d", maxGetReportsPageSize, r.PageSize)
	case !r.CreatedSince.IsZero() && !r.CreatedUntil.IsZero() && r.CreatedUntil.Before(r.CreatedSince):
		return nil, invalidInput(OpGetReports, "createdUntil %s is before createdSince %s", formatTime(r.CreatedUntil), formatTime(r.CreatedSince))
	}
	statuses := make([]string, 0, len(r.ProcessingStatuses))
	for _, s := range r.ProcessingStatuses {
		canon, ok := EnumProcessingStatus.Canonical(s)
		if !ok || canon == "" {
			return nil, invalidInput(OpGetReports, "processingStatus %q is not one of %s", s, strings.Join(EnumProcessingStatus.Values(), ", "))
		}
		statuses = append(statuses, canon)
	}
	q := url.Values{}
	setList(q, "reportTypes", r.ReportTypes)
	setList(q, "processingStatuses", statuses)
	setList(q, "marketplaceIds", r.MarketplaceIDs)
	if r.PageSize > 0 {
		q.Set("pageSize", strconv.Itoa(r.PageSize))
	}
	setTime(q, "createdSince", r.CreatedSince)
	setTime(q, "createdUntil", r.CreatedUntil)
	return q, nil
}

// GetReportsResult is one getReports page.
type GetReportsResult struct {
	Reports   []Report `json:"reports" spapi:"records"`
	NextToken string   `json:"nextToken,omitempty"`
	// Quarantined are the page's reports that lack reportId or processingStatus and were
	// left out of Reports.
	Quarantined []Quarantined   `json:"-"`
	Warnings    []DecodeWarning `json:"-"`
	Meta        ResponseMeta    `json:"-"`
}

// GetReports fetches one page of reports. Use GetReportsPager to walk every page.
func (c *Client) GetReports(ctx context.Context, req GetReportsRequest) (*GetReportsResult, error) {
	q, err := req.query()
	if err != nil {
		return nil, err
	}
	var res GetReportsResult
	meta, err := c.getBare(ctx, OpGetReports, "/reports/2021-06-30/reports", q, &res)
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	return &res, nil
}

// GetReportsPager returns a pager over every page of req, starting at req.NextToken when it
// is set. Later pages send only their token, as Amazon requires.
func (c *Client) GetReportsPager(req GetReportsRequest) *Pager[*GetReportsResult] {
	return newPager(OpGetReports, req.NextToken, func(ctx context.Context, token string) (*GetReportsResult, string, error) {
		r := req
		r.NextToken = token
		res, err := c.GetReports(ctx, r)
		if err != nil {
			return nil, "", err
		}
		return res, res.NextToken, nil
	})
}

// Compression algorithms of a report document (model ReportDocument.compressionAlgorithm).
const CompressionGZIP = "GZIP"

// ReportDocument says where to download a report's document (model ReportDocument). URL
// is a presigned URL that expires 5 minutes after getReportDocument answered and grants
// access to the document to whoever holds it, so the formatted forms of a ReportDocument
// (fmt verbs, slog) show only its host, and errors name ReportDocumentID instead. JSON
// keeps it, so that a document can be passed on; do not store it.
type ReportDocument struct {
	ReportDocumentID string `json:"reportDocumentId"`
	URL              string `json:"url"`
	// CompressionAlgorithm is GZIP when the document must be decompressed, else empty.
	CompressionAlgorithm string `json:"compressionAlgorithm,omitempty"`
}

// String describes the document with its URL reduced to the host.
func (d ReportDocument) String() string {
	return fmt.Sprintf("ReportDocument{ReportDocumentID: %q, URL: %q, CompressionAlgorithm: %q}",
		d.ReportDocumentID, redactURL(d.URL), d.CompressionAlgorithm)
}

// GoString makes %#v redact like String.
func (d ReportDocument) GoString() string { return "spapi." + d.String() }

// Format makes every fmt verb print the redacted form.
func (d ReportDocument) Format(f fmt.State, _ rune) { _, _ = fmt.Fprint(f, d.String()) }

// LogValue makes slog print the redacted form.
func (d ReportDocument) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("report_document_id", d.ReportDocumentID),
		slog.String("url", redactURL(d.URL)),
		slog.String("compression_algorithm", d.CompressionAlgorithm),
	)
}

// redactURL keeps the scheme and host of a presigned URL: enough to tell which storage
// served it, nothing that grants access.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(redacted)"
	}
	return u.Scheme + "://" + u.Host + "/(redacted)"
}

// GetReportDocument fetches the download location of a report document. Call it right
// before DownloadReportDocument: the URL expires after 5 minutes, and a download refused
// with ErrDocumentURLExpired is fixed by calling GetReportDocument again. Restricted report
// types (with buyer PII) need a Restricted Data Token as the client's TokenSource; the order
// tracking reports do not. An answer without reportDocumentId or url is an error of
// KindPermanent (ErrIncompleteRecord).
func (c *Client) GetReportDocument(ctx context.Context, documentID string) (*ReportDocument, error) {
	if documentID == "" {
		return nil, invalidInput(OpGetReportDocument, "empty report document id")
	}
	var doc ReportDocument
	meta, err := c.getBare(ctx, OpGetReportDocument, "/reports/2021-06-30/documents/"+pathSegment(documentID), nil, &doc)
	if err != nil {
		return nil, err
	}
	// Not through keyed: an IncompleteRecordError carries the raw answer, which would
	// carry the URL.
	var missing []string
	if doc.ReportDocumentID == "" {
		missing = append(missing, "reportDocumentId")
	}
	if doc.URL == "" {
		missing = append(missing, "url")
	}
	if len(missing) > 0 {
		return nil, meta.errorf(KindPermanent, fmt.Errorf("%w: report document %s: %s", ErrIncompleteRecord, documentID, missingReason(missing)))
	}
	return &doc, nil
}
