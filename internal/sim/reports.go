package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Report types the simulator generates: Amazon's two flat-file order
// tracking reports ("All Orders"), rendered from the same orders as
// getOrders and searchOrders. Every other report type is refused.
const (
	ReportOrdersByOrderDate  = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
	ReportOrdersByLastUpdate = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
)

// ReportTypes lists the report types createReport accepts.
var ReportTypes = []string{ReportOrdersByOrderDate, ReportOrdersByLastUpdate}

// Processing statuses of a report (the model's Report.processingStatus).
const (
	ReportStatusInQueue    = "IN_QUEUE"
	ReportStatusInProgress = "IN_PROGRESS"
	ReportStatusDone       = "DONE"
	ReportStatusCancelled  = "CANCELLED"
	ReportStatusFatal      = "FATAL"
)

var reportStatuses = []string{ReportStatusCancelled, ReportStatusDone, ReportStatusFatal, ReportStatusInProgress, ReportStatusInQueue}

// Report is a report as getReport and getReports answer it (the model's
// Report). Times are whole seconds on the limiter clock (createdTime and
// the processing times) or the requested window (dataStartTime,
// dataEndTime); on the wire they read "2022-05-12T14:49:52+00:00", as
// Amazon writes them (amzn/selling-partner-api-models#2420). Processing
// times are zero until they happen, and reportDocumentId is empty unless
// the report is DONE.
type Report struct {
	ReportID            string    `json:"reportId"`
	ReportType          string    `json:"reportType"`
	MarketplaceIDs      []string  `json:"marketplaceIds"`
	DataStartTime       time.Time `json:"dataStartTime"`
	DataEndTime         time.Time `json:"dataEndTime"`
	CreatedTime         time.Time `json:"createdTime"`
	ProcessingStatus    string    `json:"processingStatus"`
	ProcessingStartTime time.Time `json:"processingStartTime,omitzero"`
	ProcessingEndTime   time.Time `json:"processingEndTime,omitzero"`
	ReportDocumentID    string    `json:"reportDocumentId,omitempty"`
}

// reportTimeLayout is how Amazon writes the times of a report.
const reportTimeLayout = "2006-01-02T15:04:05-07:00"

// MarshalJSON writes the report with Amazon's "+00:00" times.
func (r Report) MarshalJSON() ([]byte, error) {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(reportTimeLayout)
	}
	return json.Marshal(struct {
		ReportID            string   `json:"reportId"`
		ReportType          string   `json:"reportType"`
		MarketplaceIDs      []string `json:"marketplaceIds"`
		DataStartTime       string   `json:"dataStartTime,omitempty"`
		DataEndTime         string   `json:"dataEndTime,omitempty"`
		CreatedTime         string   `json:"createdTime"`
		ProcessingStatus    string   `json:"processingStatus"`
		ProcessingStartTime string   `json:"processingStartTime,omitempty"`
		ProcessingEndTime   string   `json:"processingEndTime,omitempty"`
		ReportDocumentID    string   `json:"reportDocumentId,omitempty"`
	}{r.ReportID, r.ReportType, r.MarketplaceIDs, ts(r.DataStartTime), ts(r.DataEndTime), ts(r.CreatedTime),
		r.ProcessingStatus, ts(r.ProcessingStartTime), ts(r.ProcessingEndTime), r.ReportDocumentID})
}

// ReportAttempt is what Options.FatalReports is told about a report as it
// completes.
type ReportAttempt struct {
	Account        string
	ReportID       string
	ReportType     string
	MarketplaceIDs []string
	// Start and End are the report's dataStartTime and dataEndTime as
	// requested (or defaulted to the request time).
	Start, End time.Time
	// Attempt is 1 for the first report of this account, type and window
	// (Start and End), 2 for the second, and so on, counting every
	// createReport that succeeded.
	Attempt int
}

// ReportStats counts what happened to one account's reports.
type ReportStats struct {
	// Created is every report createReport accepted.
	Created int
	// Done, Cancelled and Fatal count the reports that ended so.
	Done, Cancelled, Fatal int
	// Downloads is every document download served; RefusedDownloads every
	// download refused (expired URL, bad signature, unknown document).
	Downloads, RefusedDownloads int
}

// simReport is one report and what the simulator keeps about it.
type simReport struct {
	rep      Report
	seq      int
	account  string
	created  time.Time // limiter clock, full precision
	from, to int64     // the window in data-clock seconds, both inclusive
	attempt  int
	snap     int64 // data-clock second its document shows
	doc      *reportDoc
}

func (r *simReport) terminal() bool {
	switch r.rep.ProcessingStatus {
	case ReportStatusDone, ReportStatusCancelled, ReportStatusFatal:
		return true
	}
	return false
}

// reportStore is one account's reports in creation order.
type reportStore struct {
	seq       int
	list      []*simReport
	byID      map[string]*simReport
	attempts  map[string]int // reports created per window (windowKey), for ReportAttempt
	requests  map[string]int // the same, for ReportRequests: ResetStats zeroes it
	downloads map[string]int // documents served per report id
	stats     ReportStats
}

// reportState is every account's reports, behind one lock: report calls
// are rare (createReport's plan is one a minute), so nothing is gained by
// finer locking.
type reportState struct {
	mu       sync.Mutex
	accounts map[string]*reportStore
	docs     map[string]*simReport // by reportDocumentId, every account
	failNext int
}

func newReportState(accounts []Account) *reportState {
	rs := &reportState{accounts: map[string]*reportStore{}, docs: map[string]*simReport{}}
	for _, a := range accounts {
		rs.accounts[a.ID] = &reportStore{byID: map[string]*simReport{}, attempts: map[string]int{}}
	}
	rs.resetStats()
	return rs
}

// resetStats zeroes the report counters; what reports exist, and how many
// attempts each window had, stays.
func (rs *reportState) resetStats() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, st := range rs.accounts {
		st.requests = map[string]int{}
		st.downloads = map[string]int{}
		st.stats = ReportStats{}
	}
}

// windowKey names a report window independently of how its times were
// written.
func windowKey(reportType string, start, end time.Time) string {
	return reportType + "|" + strconv.FormatInt(start.UnixNano(), 10) + "|" + strconv.FormatInt(end.UnixNano(), 10)
}

// FailNextReports makes the next n reports to complete, of any account and
// type, end FATAL; Options.FatalReports is the finer-grained hook.
func (s *Sim) FailNextReports(n int) {
	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	s.reports.failNext = max(0, n)
}

// advanceReports brings an account's reports up to the limiter clock's
// now: it forgets reports older than Options.ReportRetention, starts
// queued reports when their seller's queue for their type is free, and
// completes the ones whose processing time has passed. It is called,
// under the lock, before every look at the reports, so report state is a
// function of the two clocks and the calls made; nothing runs in the
// background. A report completing here shows the data as of the data
// clock now: the first look at or after its processingEndTime.
func (s *Sim) advanceReports(d *accountData, st *reportStore) {
	now := s.opts.LimiterClock.Now()
	keep := st.list[:0]
	for _, r := range st.list {
		if now.Sub(r.created) > s.opts.ReportRetention {
			delete(st.byID, r.rep.ReportID)
			if r.rep.ReportDocumentID != "" {
				delete(s.reports.docs, r.rep.ReportDocumentID)
			}
			continue
		}
		keep = append(keep, r)
	}
	clear(st.list[len(keep):])
	st.list = keep

	free := map[string]time.Time{} // per report type: when its queue frees up
	for _, r := range st.list {
		typ := r.rep.ReportType
		if r.terminal() {
			free[typ] = laterOf(free[typ], r.rep.ProcessingEndTime)
			continue
		}
		begin := laterOf(r.created.Add(s.opts.ReportQueueDelay), free[typ])
		if begin.After(now) {
			// Waiting for its own queue delay or for the report ahead
			// of it; everything behind it waits too.
			free[typ] = begin.Add(s.opts.ReportProcessingDelay)
			continue
		}
		r.rep.ProcessingStatus = ReportStatusInProgress
		r.rep.ProcessingStartTime = begin.UTC().Truncate(time.Second)
		end := begin.Add(s.opts.ReportProcessingDelay)
		free[typ] = end
		if end.After(now) {
			continue
		}
		s.completeReport(d, st, r, end)
	}
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// completeReport ends a report at end (limiter clock): FATAL when a fault
// or hook says so or when it names a marketplace the seller does not sell
// in, CANCELLED when its window holds no order ("The reports are canceled
// if no eligible data is found"), DONE with a document otherwise.
func (s *Sim) completeReport(d *accountData, st *reportStore, r *simReport, end time.Time) {
	r.rep.ProcessingEndTime = end.UTC().Truncate(time.Second)
	r.snap = s.dataNow()
	if s.reportFatal(d, r) {
		r.rep.ProcessingStatus = ReportStatusFatal
		st.stats.Fatal++
		return
	}
	lines := d.orderReportLines(r.rep.ReportType, r.from, r.to, r.snap, r.rep.MarketplaceIDs)
	if len(lines) == 0 {
		r.rep.ProcessingStatus = ReportStatusCancelled
		st.stats.Cancelled++
		return
	}
	r.rep.ProcessingStatus = ReportStatusDone
	r.rep.ReportDocumentID = d.reportDocumentID(r.rep.ReportID)
	r.doc = s.renderReportDoc(d, r, lines)
	s.reports.docs[r.rep.ReportDocumentID] = r
	st.stats.Done++
}

// reportFatal decides whether a completing report fails.
func (s *Sim) reportFatal(d *accountData, r *simReport) bool {
	for _, m := range r.rep.MarketplaceIDs {
		// "The client does not sell in the marketplace(s) specified in
		// the report request" is one of the causes of FATAL Amazon gave
		// (Daton's FAQ, "What are FATAL and CANCELLED report statuses").
		if !slices.Contains(d.acct.MarketplaceIDs, m) {
			return true
		}
	}
	if s.opts.FatalReports != nil && s.opts.FatalReports(ReportAttempt{
		Account: r.account, ReportID: r.rep.ReportID, ReportType: r.rep.ReportType,
		MarketplaceIDs: slices.Clone(r.rep.MarketplaceIDs), Start: r.rep.DataStartTime, End: r.rep.DataEndTime, Attempt: r.attempt,
	}) {
		return true
	}
	if s.reports.failNext > 0 {
		s.reports.failNext--
		return true
	}
	f := s.faults.get()
	if f.ReportFatal > 0 && (len(f.Ops) == 0 || slices.Contains(f.Ops, OpCreateReport)) {
		u := float64(hash64(f.Seed, "report-fatal", r.account, r.rep.ReportID)>>11) / (1 << 53)
		return u < f.ReportFatal
	}
	return false
}

// reportIDs are numeric strings like Amazon's ("744201019124"), unique per
// seller, increasing with creation, from the seed.
func (d *accountData) reportID(seq int) string {
	base := int64(50_000_000_000) + int64(hash64(d.opts.Seed, "report-ids", d.acct.ID)%40_000_000_000)
	step := int64(1000 + hash64(d.opts.Seed, "report-id-step", d.acct.ID, strconv.Itoa(seq))%9000)
	return strconv.FormatInt(base+int64(seq)*10_000+step, 10)
}

// reportDocumentID is shaped like Amazon's document ids
// ("amzn1.spdoc.1.4.na.<uuid>.T<id>.<n>"), fixed by the seed, the account
// and the report.
func (d *accountData) reportDocumentID(reportID string) string {
	h1 := hash64(d.opts.Seed, "report-doc", d.acct.ID, reportID)
	h2 := splitmix(h1)
	r := d.quirkRand("report-doc", reportID)
	return fmt.Sprintf("amzn1.spdoc.1.4.na.%08x-%04x-4%03x-%04x-%012x.T%s.%04d",
		uint32(h1>>32), uint16(h1>>16), uint16(h1)&0xfff, uint16(h2>>48)&0x3fff|0x8000, h2&0xffffffffffff,
		randString(r, alnum, 13), r.IntN(10000))
}

// store returns an account's reports, brought up to now. The caller holds
// s.reports.mu.
func (s *Sim) reportStore(d *accountData) *reportStore {
	st := s.reports.accounts[d.acct.ID]
	s.advanceReports(d, st)
	return st
}

// msgInvalidInputReports is the message of the Reports API's 400s
// (amzn/selling-partner-api-models#1810); the simulator says what was
// wrong in details.
const msgInvalidInputReports = "Invalid Input"

// invalidReports is a Reports API InvalidInput failure.
func invalidReports(format string, args ...any) *failure {
	return invalidWith(msgInvalidInputReports, format, args...)
}

// createReportBody is the model's CreateReportSpecification.
type createReportBody struct {
	ReportType     *string           `json:"reportType"`
	MarketplaceIDs []string          `json:"marketplaceIds"`
	DataStartTime  *string           `json:"dataStartTime"`
	DataEndTime    *string           `json:"dataEndTime"`
	ReportOptions  map[string]string `json:"reportOptions"`
}

type createReportAnswer struct {
	ReportID string `json:"reportId"`
}

// createReport plays POST /reports/2021-06-30/reports: it validates the
// specification the way the model describes it and queues the report,
// answering 202 {"reportId"}.
func (s *Sim) createReport(c *call) (any, *failure) {
	var body createReportBody
	dec := json.NewDecoder(io.LimitReader(c.r.Body, 1<<20))
	if err := dec.Decode(&body); err != nil {
		return nil, invalidReports("The request body is not a CreateReportSpecification: %v.", err)
	}
	if body.ReportType == nil || *body.ReportType == "" {
		return nil, invalidReports("reportType is required.")
	}
	typ := *body.ReportType
	if !slices.Contains(ReportTypes, typ) {
		return nil, invalidReports("Invalid reportType %s: the simulator knows %s.", typ, strings.Join(ReportTypes, ", "))
	}
	if len(body.MarketplaceIDs) == 0 {
		return nil, invalidReports("marketplaceIds is required and needs at least one marketplace.")
	}
	if len(body.MarketplaceIDs) > 25 {
		return nil, invalidReports("marketplaceIds accepts at most 25 values, got %d.", len(body.MarketplaceIDs))
	}
	now := unix(c.now)
	start, end := now, now
	for _, p := range []struct {
		name string
		v    *string
		t    *time.Time
	}{{"dataStartTime", body.DataStartTime, &start}, {"dataEndTime", body.DataEndTime, &end}} {
		if p.v == nil {
			continue
		}
		t, ok := parseISO(*p.v)
		if !ok {
			return nil, invalidReports("%s %q is not an ISO 8601 date-time.", p.name, *p.v)
		}
		if t.After(s.Now()) {
			return nil, invalidReports("%s must be prior to or equal to the current date and time.", p.name)
		}
		*p.t = t
	}
	if start.After(end) {
		// The message Amazon sends (abuzuhri/Amazon-SP-API-CSharp#531).
		return nil, &failure{status: http.StatusBadRequest, err: apiError{"InvalidInput", "dataStartTime is after dataEndTime", ""}}
	}

	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	st := s.reportStore(c.data)
	st.seq++
	key := windowKey(typ, start, end)
	st.attempts[key]++
	st.requests[key]++
	created := s.opts.LimiterClock.Now()
	r := &simReport{
		rep: Report{
			ReportID: c.data.reportID(st.seq), ReportType: typ, MarketplaceIDs: slices.Clone(body.MarketplaceIDs),
			DataStartTime: start, DataEndTime: end, CreatedTime: created.UTC().Truncate(time.Second),
			ProcessingStatus: ReportStatusInQueue,
		},
		seq: st.seq, account: c.account, created: created,
		from: ceilSec(start), to: floorSec(end), attempt: st.attempts[key],
	}
	st.list = append(st.list, r)
	st.byID[r.rep.ReportID] = r
	st.stats.Created++
	s.advanceReports(c.data, st) // a zero queue and processing delay complete it at once
	c.entity = r.rep.ReportID
	c.status = http.StatusAccepted
	return createReportAnswer{ReportID: r.rep.ReportID}, nil
}

// reportNotFound is Amazon's answer for a report id it does not know
// (amzn/selling-partner-api-models#2419), also for one past retention.
func reportNotFound(id string) *failure {
	f := notFound("One or more of the provided ReportRequestIds could not be found.")
	f.err.Details = "reportId " + id
	return f
}

// getReport plays GET /reports/2021-06-30/reports/{reportId}.
func (s *Sim) getReport(c *call) (any, *failure) {
	id := c.r.PathValue("reportId")
	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	r := s.reportStore(c.data).byID[id]
	if r == nil {
		return nil, reportNotFound(id)
	}
	c.entity = id
	return r.rep, nil
}

type getReportsAnswer struct {
	Reports   []Report `json:"reports"`
	NextToken string   `json:"nextToken,omitempty"`
}

// getReports plays GET /reports/2021-06-30/reports: the account's
// retained reports matching the filters, newest first, pageSize at a time.
// A nextToken must come alone, as the model says ("Specifying nextToken
// with any other parameters will cause the request to fail"); it carries
// the filters and the position, so reports created meanwhile do not
// shift the pages.
func (s *Sim) getReports(c *call) (any, *failure) {
	q := c.r.URL.Query()
	var st pageState
	if tok := q.Get("nextToken"); tok != "" {
		for k := range q {
			if k != "nextToken" {
				return nil, invalidReports("nextToken must be the only parameter of a getReports request; got %s too.", k)
			}
		}
		var err error
		if st, err = s.decodePage(tok, c.account, OpGetReports, ""); err != nil {
			return nil, s.pageFailure("nextToken", err)
		}
	} else {
		types := listParam(q, "reportTypes")
		if len(types) == 0 {
			return nil, invalidReports("Either reportTypes or nextToken is required.")
		}
		if len(types) > 10 {
			return nil, invalidReports("reportTypes accepts at most 10 values, got %d.", len(types))
		}
		statuses, fail := enumParam(q, "processingStatuses", reportStatuses)
		if fail != nil {
			fail.err.Message = msgInvalidInputReports
			return nil, fail
		}
		markets := listParam(q, "marketplaceIds")
		if len(markets) > 10 {
			return nil, invalidReports("marketplaceIds accepts at most 10 values, got %d.", len(markets))
		}
		size, fail := intParam(q, "pageSize", 10, 1, 100)
		if fail != nil {
			fail.err.Message = msgInvalidInputReports
			return nil, fail
		}
		now := s.opts.LimiterClock.Now()
		since, until := now.Add(-90*24*time.Hour), now
		given := 0
		for _, p := range []struct {
			key string
			t   *time.Time
		}{{"createdSince", &since}, {"createdUntil", &until}} {
			t, ok, fail := timeParam(q, p.key)
			if fail != nil {
				fail.err.Message = msgInvalidInputReports
				return nil, fail
			}
			if ok {
				*p.t = t
				given++
			}
		}
		if given == 2 && until.Before(since) {
			return nil, invalidReports("createdUntil must be at or after createdSince.")
		}
		st = pageState{Account: c.account, Op: OpGetReports, Filter: types, Filter2: statuses, IDs: markets,
			From: since.UnixNano(), To: until.UnixNano(), Size: size}
	}

	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	store := s.reportStore(c.data)
	matches := make([]*simReport, 0, len(store.list))
	for _, r := range store.list {
		at := r.rep.CreatedTime.UnixNano()
		if at < st.From || at > st.To || !slices.Contains(st.Filter, r.rep.ReportType) {
			continue
		}
		if len(st.Filter2) > 0 && !slices.Contains(st.Filter2, r.rep.ProcessingStatus) {
			continue
		}
		if len(st.IDs) > 0 && !slices.ContainsFunc(r.rep.MarketplaceIDs, func(m string) bool { return slices.Contains(st.IDs, m) }) {
			continue
		}
		if st.After != nil && !reportBefore(r, st.After) {
			continue
		}
		matches = append(matches, r)
	}
	// Newest first; reports created in the same second by creation order.
	slices.SortFunc(matches, func(a, b *simReport) int {
		if c := b.rep.CreatedTime.Compare(a.rep.CreatedTime); c != 0 {
			return c
		}
		return b.seq - a.seq
	})
	page := getReportsAnswer{Reports: []Report{}}
	for i, r := range matches {
		if i == st.Size {
			next := st
			last := matches[i-1]
			next.After = &cursor{At: last.rep.CreatedTime.Unix(), ID: strconv.Itoa(last.seq)}
			page.NextToken = s.encodePage(next)
			break
		}
		page.Reports = append(page.Reports, r.rep)
	}
	return page, nil
}

// reportBefore reports whether r comes after the cursor in getReports'
// newest-first order.
func reportBefore(r *simReport, c *cursor) bool {
	at := r.rep.CreatedTime.Unix()
	if at != c.At {
		return at < c.At
	}
	seq, _ := strconv.Atoi(c.ID)
	return r.seq < seq
}

// reportDocumentAnswer is the model's ReportDocument.
type reportDocumentAnswer struct {
	ReportDocumentID     string `json:"reportDocumentId"`
	URL                  string `json:"url"`
	CompressionAlgorithm string `json:"compressionAlgorithm,omitempty"`
}

// getReportDocument plays GET /reports/2021-06-30/documents/{reportDocumentId}:
// a presigned URL to the gzip-compressed document, valid five minutes on
// the limiter clock. enableContentEncodingUrlHeader=true makes the URL
// answer with Content-Encoding: gzip, so HTTP clients decompress it
// themselves.
func (s *Sim) getReportDocument(c *call) (any, *failure) {
	id := c.r.PathValue("reportDocumentId")
	gzipHeader := false
	switch v := c.r.URL.Query().Get("enableContentEncodingUrlHeader"); v {
	case "", "false":
	case "true":
		gzipHeader = true
	default:
		return nil, invalidReports("enableContentEncodingUrlHeader must be true or false, got %q.", v)
	}
	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	s.reportStore(c.data) // retention
	r := s.reports.docs[id]
	if r == nil || r.account != c.account {
		// Amazon's answer for a document id it does not know
		// (jlevers/selling-partner-api#487).
		return nil, &failure{status: http.StatusBadRequest, err: apiError{"InvalidInput", "Invalid reportDocumentId " + id, ""}}
	}
	c.entity = id
	return reportDocumentAnswer{ReportDocumentID: id, URL: s.presign(c.r, id, gzipHeader), CompressionAlgorithm: "GZIP"}, nil
}
