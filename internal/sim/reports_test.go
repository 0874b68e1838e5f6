package sim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
)

// The window most report tests ask for: three days of orders before the
// data clock's start, well inside the dataset.
var (
	winFrom = start.Add(-72 * time.Hour)
	winTo   = start.Add(-time.Hour)
)

func TestReportLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tok := b.accessToken(t)
	mk := marketplaces(b.acct)

	first := b.createReport(t, tok, orderSpec(sim.ReportOrdersByOrderDate, mk, winFrom, winTo))
	r := b.report(t, tok, first)
	require.Equal(t, sim.ReportStatusInQueue, r.ProcessingStatus)
	require.Equal(t, sim.ReportOrdersByOrderDate, r.ReportType)
	require.Equal(t, mk, r.MarketplaceIDs)
	require.True(t, r.DataStartTime.Equal(winFrom) && r.DataEndTime.Equal(winTo))
	require.True(t, r.CreatedTime.Equal(start))
	require.True(t, r.ProcessingStartTime.IsZero())
	require.Empty(t, r.ReportDocumentID)

	// The same seller's next report of the same type waits behind it; one
	// of the other type, or of another seller, does not.
	b.limiter.Advance(2 * time.Second)
	second := b.createReport(t, tok, orderSpec(sim.ReportOrdersByOrderDate, mk, winFrom.Add(-72*time.Hour), winFrom.Add(-time.Second)))
	other := b.createReport(t, tok, orderSpec(sim.ReportOrdersByLastUpdate, mk, winFrom, winTo))

	b.limiter.Advance(3 * time.Second) // the first's queue delay (5s) is over
	r = b.report(t, tok, first)
	require.Equal(t, sim.ReportStatusInProgress, r.ProcessingStatus)
	require.True(t, r.ProcessingStartTime.Equal(start.Add(5*time.Second)), "%v", r.ProcessingStartTime)
	require.True(t, r.ProcessingEndTime.IsZero())
	require.Equal(t, sim.ReportStatusInQueue, b.report(t, tok, second).ProcessingStatus)

	b.limiter.Advance(2 * time.Second)
	require.Equal(t, sim.ReportStatusInProgress, b.report(t, tok, other).ProcessingStatus, "another report type has a queue of its own")
	require.Equal(t, sim.ReportStatusInQueue, b.report(t, tok, second).ProcessingStatus, "may be waiting for another IN_PROGRESS report")

	// One minute of processing (ReportProcessingDelay's default).
	b.limiter.Advance(59 * time.Second) // start+66s: the first ended at start+65s
	r = b.report(t, tok, first)
	require.Equal(t, sim.ReportStatusDone, r.ProcessingStatus)
	require.True(t, r.ProcessingEndTime.Equal(start.Add(65*time.Second)), "%v", r.ProcessingEndTime)
	require.NotEmpty(t, r.ReportDocumentID)
	require.True(t, strings.HasPrefix(r.ReportDocumentID, "amzn1.spdoc.1.4.na."), r.ReportDocumentID)

	r2 := b.report(t, tok, second)
	require.Equal(t, sim.ReportStatusInProgress, r2.ProcessingStatus)
	require.True(t, r2.ProcessingStartTime.Equal(r.ProcessingEndTime), "the next report starts when the one ahead ends")
	b.limiter.Advance(time.Minute)
	require.Equal(t, sim.ReportStatusDone, b.report(t, tok, second).ProcessingStatus)
	require.Equal(t, sim.ReportStatusDone, b.report(t, tok, other).ProcessingStatus)

	// Times are whole seconds with Amazon's +00:00 offset.
	raw := b.get(t, tok, reportsPath+"/"+first).body
	require.Contains(t, raw, `"createdTime":"2025-03-01T12:00:00+00:00"`)
	require.Contains(t, raw, `"processingEndTime":"2025-03-01T12:01:05+00:00"`)

	st := b.sim.ReportStats(b.acct.ID)
	require.Equal(t, 3, st.Created)
	require.Equal(t, 3, st.Done)
	require.Equal(t, 1, b.sim.ReportRequests(b.acct.ID, sim.ReportOrdersByOrderDate, winFrom, winTo))
	require.Equal(t, 1, b.sim.ReportRequests(b.acct.ID, sim.ReportOrdersByOrderDate, winFrom.In(time.FixedZone("x", 3600)), winTo),
		"the same instants however written")
	require.Zero(t, b.sim.ReportRequests(b.acct.ID, sim.ReportOrdersByOrderDate, winFrom, winTo.Add(time.Second)))
}

func TestReportQueuePerSeller(t *testing.T) {
	t.Parallel()
	other := sim.Account{ID: "other", ClientID: "c2", ClientSecret: "s2", RefreshToken: "Atzr|other"}
	b := setup(t, func(o *sim.Options) {
		o.Accounts = []sim.Account{sim.DemoAccount, other}
		o.ReportQueueDelay = time.Second
		o.ReportProcessingDelay = 10 * time.Second
	})
	tok := b.accessToken(t)
	b2 := *b
	b2.acct = b.sim.Accounts()[1]
	tok2 := b2.accessToken(t)

	var ids []string
	for k := range 3 {
		ids = append(ids, b.createReport(t, tok, orderSpec(sim.ReportOrdersByLastUpdate, marketplaces(b.acct), winFrom.Add(time.Duration(k)*time.Hour), winTo)))
	}
	theirs := b2.createReport(t, tok2, orderSpec(sim.ReportOrdersByLastUpdate, marketplaces(b.acct), winFrom, winTo))
	statuses := func() []string {
		var out []string
		for _, id := range ids {
			out = append(out, b.report(t, tok, id).ProcessingStatus)
		}
		return out
	}
	b.limiter.Advance(time.Second)
	require.Equal(t, []string{"IN_PROGRESS", "IN_QUEUE", "IN_QUEUE"}, statuses())
	require.Equal(t, "IN_PROGRESS", b2.report(t, tok2, theirs).ProcessingStatus, "another seller's queue is its own")
	b.limiter.Advance(10 * time.Second)
	require.Equal(t, []string{"DONE", "IN_PROGRESS", "IN_QUEUE"}, statuses())
	b.limiter.Advance(10 * time.Second)
	require.Equal(t, []string{"DONE", "DONE", "IN_PROGRESS"}, statuses())
	b.limiter.Advance(10 * time.Second)
	require.Equal(t, []string{"DONE", "DONE", "DONE"}, statuses())
	// A report's id is unique only with its seller, and each seller sees
	// only its own.
	resp := b.get(t, tok2, reportsPath+"/"+ids[0])
	require.Equal(t, http.StatusNotFound, resp.status)
}

func TestReportCancelledWhenNoData(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tok := b.accessToken(t)
	// Before the dataset's first order.
	id := b.createReport(t, tok, orderSpec(sim.ReportOrdersByOrderDate, marketplaces(b.acct), start.AddDate(0, -3, 0), start.AddDate(0, -2, 0)))
	r := b.waitDone(t, tok, id)
	require.Equal(t, sim.ReportStatusCancelled, r.ProcessingStatus, "The reports are canceled if no eligible data is found")
	require.False(t, r.ProcessingEndTime.IsZero())
	require.Empty(t, r.ReportDocumentID)
	lines, err := b.sim.TruthOrderReportLines(b.acct.ID, sim.ReportOrdersByOrderDate, start.AddDate(0, -3, 0), start.AddDate(0, -2, 0))
	require.NoError(t, err)
	require.Empty(t, lines)

	// Without dates the window is the request's instant: nothing in it.
	resp := b.send(t, tok, http.MethodPost, reportsPath, spec{ReportType: sim.ReportOrdersByLastUpdate, MarketplaceIDs: marketplaces(b.acct)}, nil)
	require.Equal(t, http.StatusAccepted, resp.status, resp.body)
	var created struct{ ReportID string }
	require.NoError(t, json.Unmarshal([]byte(resp.body), &created))
	r = b.waitDone(t, tok, created.ReportID)
	require.True(t, r.DataStartTime.Equal(start) && r.DataEndTime.Equal(start), "dataStartTime and dataEndTime default to now")
	require.Equal(t, sim.ReportStatusCancelled, r.ProcessingStatus)
	require.Equal(t, 2, b.sim.ReportStats(b.acct.ID).Cancelled)
}

func TestReportFatal(t *testing.T) {
	t.Parallel()
	week := 7 * 24 * time.Hour
	b := setup(t, func(o *sim.Options) {
		o.FatalReports = func(a sim.ReportAttempt) bool {
			if a.End.Sub(a.Start) > week {
				return true // always, for windows longer than a week
			}
			return a.ReportType == sim.ReportOrdersByOrderDate && a.Attempt == 1 // once, then DONE
		}
	})
	tok := b.accessToken(t)
	mk := marketplaces(b.acct)

	id := b.createReport(t, tok, orderSpec(sim.ReportOrdersByOrderDate, mk, winFrom, winTo))
	r := b.waitDone(t, tok, id)
	require.Equal(t, sim.ReportStatusFatal, r.ProcessingStatus)
	require.False(t, r.ProcessingEndTime.IsZero())
	require.Empty(t, r.ReportDocumentID)
	id = b.createReport(t, tok, orderSpec(sim.ReportOrdersByOrderDate, mk, winFrom, winTo))
	require.Equal(t, sim.ReportStatusDone, b.waitDone(t, tok, id).ProcessingStatus, "the second attempt of the window succeeds")

	long := orderSpec(sim.ReportOrdersByLastUpdate, mk, start.Add(-9*24*time.Hour), winTo)
	for range 3 {
		id = b.createReport(t, tok, long)
		require.Equal(t, sim.ReportStatusFatal, b.waitDone(t, tok, id).ProcessingStatus)
	}
	require.Equal(t, 3, b.sim.ReportRequests(b.acct.ID, sim.ReportOrdersByLastUpdate, start.Add(-9*24*time.Hour), winTo))

	// FailNextReports fails the next ones to complete, whatever they are.
	b.sim.FailNextReports(1)
	short := orderSpec(sim.ReportOrdersByLastUpdate, mk, winFrom, winTo)
	require.Equal(t, sim.ReportStatusFatal, b.waitDone(t, tok, b.createReport(t, tok, short)).ProcessingStatus)
	require.Equal(t, sim.ReportStatusDone, b.waitDone(t, tok, b.createReport(t, tok, short)).ProcessingStatus)

	// A marketplace the seller does not sell in.
	foreign := orderSpec(sim.ReportOrdersByLastUpdate, []string{sim.MarketplaceUS, "A1PA6795UKMFR9"}, winFrom, winTo)
	require.Equal(t, sim.ReportStatusFatal, b.waitDone(t, tok, b.createReport(t, tok, foreign)).ProcessingStatus)
	require.Equal(t, 6, b.sim.ReportStats(b.acct.ID).Fatal)
}

func TestReportFatalFault(t *testing.T) {
	t.Parallel()
	fates := func(seed int64) []string {
		b := setup(t, func(o *sim.Options) { o.Faults = sim.Faults{Seed: seed, ReportFatal: 0.5} })
		tok := b.accessToken(t)
		var out []string
		for k := range 12 {
			id := b.createReport(t, tok, orderSpec(sim.ReportOrdersByLastUpdate, marketplaces(b.acct), winFrom.Add(time.Duration(k)*time.Minute), winTo))
			// Polled a different number of times per report: the fate
			// must not depend on it.
			for range k % 3 {
				b.report(t, tok, id)
			}
			out = append(out, b.waitDone(t, tok, id).ProcessingStatus)
		}
		return out
	}
	a := fates(3)
	require.Equal(t, a, fates(3), "seeded: the same reports fail on every run")
	require.Contains(t, a, sim.ReportStatusFatal)
	require.Contains(t, a, sim.ReportStatusDone)

	// Faults.Ops limits it like any fault.
	b := setup(t, func(o *sim.Options) {
		o.Faults = sim.Faults{ReportFatal: 1, Ops: []string{sim.OpGetOrders}}
	})
	tok := b.accessToken(t)
	id := b.createReport(t, tok, orderSpec(sim.ReportOrdersByLastUpdate, marketplaces(b.acct), winFrom, winTo))
	require.Equal(t, sim.ReportStatusDone, b.waitDone(t, tok, id).ProcessingStatus)
	b.sim.SetFaults(sim.Faults{ReportFatal: 1})
	id = b.createReport(t, tok, orderSpec(sim.ReportOrdersByLastUpdate, marketplaces(b.acct), winFrom, winTo))
	require.Equal(t, sim.ReportStatusFatal, b.waitDone(t, tok, id).ProcessingStatus)
}

func TestCreateReportValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tok := b.accessToken(t)
	mk := marketplaces(b.acct)
	future := start.Add(time.Minute)
	for _, tt := range []struct {
		name string
		body any
		msg  string
	}{
		{"no report type", spec{MarketplaceIDs: mk}, "Invalid Input"},
		{"unknown report type", spec{ReportType: "GET_MERCHANT_LISTINGS_ALL_DATA", MarketplaceIDs: mk}, "Invalid Input"},
		{"no marketplaces", spec{ReportType: sim.ReportOrdersByOrderDate}, "Invalid Input"},
		{"start in the future", orderSpec(sim.ReportOrdersByOrderDate, mk, future, future), "Invalid Input"},
		{"end in the future", orderSpec(sim.ReportOrdersByOrderDate, mk, winFrom, future), "Invalid Input"},
		{"start after end", orderSpec(sim.ReportOrdersByOrderDate, mk, winTo, winFrom), "dataStartTime is after dataEndTime"},
		{"end alone, before now", spec{ReportType: sim.ReportOrdersByOrderDate, MarketplaceIDs: mk, DataEndTime: iso(winTo)}, "dataStartTime is after dataEndTime"},
		{"bad date", spec{ReportType: sim.ReportOrdersByOrderDate, MarketplaceIDs: mk, DataStartTime: "yesterday"}, "Invalid Input"},
		{"not JSON", "{reportType:", "Invalid Input"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.send(t, tok, http.MethodPost, reportsPath, tt.body, nil)
			require.Equal(t, http.StatusBadRequest, resp.status, resp.body)
			e := apiErrors(t, resp.body)
			require.Equal(t, "InvalidInput", e[0].Code)
			require.Equal(t, tt.msg, e[0].Message)
		})
	}
	// The boundary: a window ending exactly now is accepted.
	b.createReport(t, tok, orderSpec(sim.ReportOrdersByOrderDate, mk, winFrom, start))
	require.Equal(t, 1, b.sim.ReportStats(b.acct.ID).Created)
	require.Equal(t, 10, b.sim.Stats()[sim.OpCreateReport].Calls)
	require.Equal(t, 1, b.sim.Stats()[sim.OpCreateReport].Successes)

	// Without a token, the SP-API's 403.
	resp := b.send(t, "", http.MethodPost, reportsPath, orderSpec(sim.ReportOrdersByOrderDate, mk, winFrom, winTo), nil)
	require.Equal(t, http.StatusForbidden, resp.status)
	// Unknown report: 404 with Amazon's message.
	resp = b.get(t, tok, reportsPath+"/123456789")
	require.Equal(t, http.StatusNotFound, resp.status)
	require.Equal(t, "One or more of the provided ReportRequestIds could not be found.", apiErrors(t, resp.body)[0].Message)
	// Unknown document: 400 with Amazon's message.
	resp = b.get(t, tok, "/reports/2021-06-30/documents/amzn1.spdoc.1.4.na.nope")
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Equal(t, "Invalid reportDocumentId amzn1.spdoc.1.4.na.nope", apiErrors(t, resp.body)[0].Message)
}

func TestGetReportsFiltersAndPaging(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) { o.ReportProcessingDelay = 30 * time.Second; o.ReportQueueDelay = time.Second })
	tok := b.accessToken(t)
	// 14 BY_LAST_UPDATE reports a minute apart (US, or CA), and 4
	// BY_ORDER_DATE ones; the oldest of each type finish first.
	var lastUpdate, orderDate []string
	for k := range 14 {
		mk := []string{sim.MarketplaceUS}
		if k%2 == 1 {
			mk = []string{sim.MarketplaceCA, sim.MarketplaceMX}
		}
		lastUpdate = append(lastUpdate, b.createReport(t, tok, orderSpec(sim.ReportOrdersByLastUpdate, mk, winFrom.Add(time.Duration(k)*time.Hour), winTo)))
		if k < 4 {
			orderDate = append(orderDate, b.createReport(t, tok, orderSpec(sim.ReportOrdersByOrderDate, mk, winFrom, winTo.Add(-time.Duration(k)*time.Hour))))
		}
		b.limiter.Advance(time.Minute)
	}
	slices.Reverse(lastUpdate) // newest first
	slices.Reverse(orderDate)
	list := func(q url.Values) ([]sim.Report, string) {
		t.Helper()
		resp := b.get(t, tok, reportsPath+"?"+q.Encode())
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		var page struct {
			Reports   []sim.Report `json:"reports"`
			NextToken string       `json:"nextToken"`
		}
		require.NoError(t, json.Unmarshal([]byte(resp.body), &page))
		require.NotContains(t, resp.body, `"payload"`)
		return page.Reports, page.NextToken
	}
	ids := func(rs []sim.Report) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ReportID)
		}
		return out
	}

	// Default page size 10, newest first, then the rest with nextToken
	// alone; a report created meanwhile does not shift the pages.
	page, next := list(url.Values{"reportTypes": {sim.ReportOrdersByLastUpdate}})
	require.Equal(t, lastUpdate[:10], ids(page))
	require.NotEmpty(t, next)
	b.createReport(t, tok, orderSpec(sim.ReportOrdersByLastUpdate, []string{sim.MarketplaceUS}, winFrom, winTo))
	page, next2 := list(url.Values{"nextToken": {next}})
	require.Equal(t, lastUpdate[10:], ids(page))
	require.Empty(t, next2)

	// Both types, pageSize 100.
	page, _ = list(url.Values{"reportTypes": {sim.ReportOrdersByOrderDate + "," + sim.ReportOrdersByLastUpdate}, "pageSize": {"100"}})
	require.Len(t, page, 19)

	// processingStatuses: the two oldest BY_LAST_UPDATE reports are DONE
	// by now (30 s each, one after the other, from a minute apart).
	page, _ = list(url.Values{"reportTypes": {sim.ReportOrdersByLastUpdate}, "processingStatuses": {"IN_QUEUE,IN_PROGRESS"}, "pageSize": {"100"}})
	for _, r := range page {
		require.Contains(t, []string{"IN_QUEUE", "IN_PROGRESS"}, r.ProcessingStatus)
	}
	done, _ := list(url.Values{"reportTypes": {sim.ReportOrdersByLastUpdate}, "processingStatuses": {"DONE"}, "pageSize": {"100"}})
	require.NotEmpty(t, done)
	require.Len(t, page, 15-len(done))

	// marketplaceIds: any one in common.
	page, _ = list(url.Values{"reportTypes": {sim.ReportOrdersByOrderDate}, "marketplaceIds": {sim.MarketplaceMX}})
	require.Equal(t, []string{orderDate[0], orderDate[2]}, ids(page))

	// createdSince and createdUntil, inclusive, on the limiter clock.
	page, _ = list(url.Values{"reportTypes": {sim.ReportOrdersByOrderDate}, "createdSince": {iso(start.Add(time.Minute))}, "createdUntil": {iso(start.Add(2 * time.Minute))}})
	require.Equal(t, []string{orderDate[1], orderDate[2]}, ids(page))
	page, _ = list(url.Values{"reportTypes": {sim.ReportOrdersByOrderDate}, "createdSince": {iso(start.Add(time.Hour))}})
	require.Empty(t, page)

	for _, q := range []url.Values{
		{},
		{"processingStatuses": {"DONE"}},
		{"reportTypes": {sim.ReportOrdersByOrderDate}, "processingStatuses": {"FINISHED"}},
		{"reportTypes": {sim.ReportOrdersByOrderDate}, "pageSize": {"0"}},
		{"reportTypes": {sim.ReportOrdersByOrderDate}, "pageSize": {"101"}},
		{"reportTypes": {sim.ReportOrdersByOrderDate}, "createdSince": {"soon"}},
		{"reportTypes": {sim.ReportOrdersByOrderDate}, "createdSince": {iso(start.Add(time.Hour))}, "createdUntil": {iso(start)}},
		{"nextToken": {next}, "pageSize": {"5"}},
		{"nextToken": {"forged"}},
	} {
		resp := b.get(t, tok, reportsPath+"?"+q.Encode())
		require.Equal(t, http.StatusBadRequest, resp.status, "%v: %s", q, resp.body)
		require.Equal(t, "InvalidInput", apiErrors(t, resp.body)[0].Code)
	}
}

func TestReportDocumentURL(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tok := b.accessToken(t)
	r := b.waitDone(t, tok, b.createReport(t, tok, orderSpec(sim.ReportOrdersByOrderDate, marketplaces(b.acct), winFrom, winTo)))
	issued := b.limiter.Now()
	u := b.documentURL(t, tok, r.ReportDocumentID, "")
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	require.Equal(t, "/sim-s3/"+r.ReportDocumentID, parsed.Path)
	q := parsed.Query()
	require.Equal(t, "300", q.Get("X-Amz-Expires"))
	require.Equal(t, issued.UTC().Format("20060102T150405Z"), q.Get("X-Amz-Date"))
	require.Len(t, q.Get("X-Amz-Signature"), 64)

	// No access token, no usage plan: downloads go on with every SP-API
	// bucket empty and count in no operation's stats.
	for _, op := range []string{sim.OpGetReportDocument, sim.OpGetReport, sim.OpCreateReport, sim.OpGetReports} {
		b.sim.DrainBucket(b.acct.ID, op)
	}
	calls := b.sim.Stats()
	for range 3 {
		resp := fetch(t, u, nil)
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		require.Equal(t, "text/tab-separated-values; charset=UTF-8", resp.header.Get("Content-Type"))
		require.Empty(t, resp.header.Get("Content-Encoding"), "compressionAlgorithm GZIP: the client decompresses")
	}
	require.Equal(t, calls, b.sim.Stats())
	require.Equal(t, 3, b.sim.ReportDownloads(b.acct.ID, r.ReportID))

	// Five minutes on the limiter clock, to the second.
	b.limiter.Set(issued.Truncate(time.Second).Add(5 * time.Minute))
	require.Equal(t, http.StatusOK, fetch(t, u, nil).status)
	b.limiter.Advance(time.Second)
	resp := fetch(t, u, nil)
	require.Equal(t, http.StatusForbidden, resp.status)
	require.Equal(t, "application/xml", resp.header.Get("Content-Type"))
	require.Contains(t, resp.body, "<Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>300</X-Amz-Expires>")
	require.True(t, strings.HasPrefix(resp.body, `<?xml version="1.0" encoding="UTF-8"?>`))

	// A new URL works again (the bucket refilled meanwhile).
	b.limiter.Advance(2 * time.Minute)
	u = b.documentURL(t, tok, r.ReportDocumentID, "")
	require.Equal(t, http.StatusOK, fetch(t, u, nil).status)

	// Edited URLs: signature, expiry, document; no signature; a second
	// authentication mechanism.
	edit := func(key, value string) string {
		p, _ := url.Parse(u)
		q := p.Query()
		q.Set(key, value)
		p.RawQuery = q.Encode()
		return p.String()
	}
	sig := []byte(q.Get("X-Amz-Signature"))
	sig[0] ^= 1
	for _, bad := range []string{edit("X-Amz-Signature", string(sig)), edit("X-Amz-Expires", "3600"), edit("X-Amz-Date", "20991231T000000Z")} {
		resp := fetch(t, bad, nil)
		require.Equal(t, http.StatusForbidden, resp.status)
		require.Contains(t, resp.body, "<Code>SignatureDoesNotMatch</Code>")
	}
	resp = fetch(t, strings.Split(u, "?")[0], nil)
	require.Equal(t, http.StatusForbidden, resp.status)
	require.Contains(t, resp.body, "<Code>AccessDenied</Code><Message>Access Denied</Message>")
	resp = fetch(t, u, http.Header{"Authorization": {"Bearer " + tok}})
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Contains(t, resp.body, "<Code>InvalidArgument</Code><Message>Only one auth mechanism allowed")
	require.Equal(t, 5, b.sim.ReportDownloads(b.acct.ID, r.ReportID))
	st := b.sim.ReportStats(b.acct.ID)
	require.Equal(t, 5, st.Downloads)
	require.Equal(t, 6, st.RefusedDownloads)

	// enableContentEncodingUrlHeader=true: the URL answers with
	// Content-Encoding: gzip, which Go's client undoes by itself.
	b.limiter.Advance(2 * time.Minute)
	gz := b.documentURL(t, tok, r.ReportDocumentID, "?enableContentEncodingUrlHeader=true")
	require.Contains(t, gz, "response-content-encoding=gzip")
	req, err := http.NewRequest(http.MethodGet, gz, nil)
	require.NoError(t, err)
	httpResp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer httpResp.Body.Close()
	require.True(t, httpResp.Uncompressed, "decompressed by the transport")
	plain, err := io.ReadAll(httpResp.Body)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(plain), "amazon-order-id\t"), string(plain[:min(len(plain), 80)]))
}

func TestReportRetention(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tok := b.accessToken(t)
	r := b.waitDone(t, tok, b.createReport(t, tok, orderSpec(sim.ReportOrdersByOrderDate, marketplaces(b.acct), winFrom, winTo)))
	b.limiter.Set(start.Add(30 * 24 * time.Hour))
	tok = b.accessToken(t)
	require.Equal(t, r.ReportID, b.report(t, tok, r.ReportID).ReportID, "retained 30 days")
	u := b.documentURL(t, tok, r.ReportDocumentID, "")
	b.limiter.Advance(time.Second)
	require.Equal(t, http.StatusNotFound, b.get(t, tok, reportsPath+"/"+r.ReportID).status)
	resp := b.get(t, tok, reportsPath+"?reportTypes="+sim.ReportOrdersByOrderDate)
	require.Equal(t, http.StatusOK, resp.status)
	require.Contains(t, resp.body, `"reports":[]`)
	require.Equal(t, http.StatusBadRequest, b.get(t, tok, "/reports/2021-06-30/documents/"+r.ReportDocumentID).status)
	resp = fetch(t, u, nil)
	require.Equal(t, http.StatusNotFound, resp.status)
	require.Contains(t, resp.body, "<Code>NoSuchKey</Code>")
	reports, err := b.sim.TruthReports(b.acct.ID)
	require.NoError(t, err)
	require.Empty(t, reports)
	require.Equal(t, 1, b.sim.ReportRequests(b.acct.ID, sim.ReportOrdersByOrderDate, winFrom, winTo), "requests are counted past retention")
}

func TestReportUsagePlans(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) { o.BurstScale = 1 })
	tok := b.accessToken(t)
	mk := marketplaces(b.acct)
	var id string
	for k := range 15 {
		id = b.createReport(t, tok, orderSpec(sim.ReportOrdersByLastUpdate, mk, winFrom.Add(time.Duration(k)*time.Second), winTo))
	}
	resp := b.send(t, tok, http.MethodPost, reportsPath, orderSpec(sim.ReportOrdersByLastUpdate, mk, winFrom, winTo), nil)
	require.Equal(t, http.StatusTooManyRequests, resp.status)
	require.Equal(t, "QuotaExceeded", apiErrors(t, resp.body)[0].Code)
	require.Equal(t, 15, b.sim.ReportStats(b.acct.ID).Created, "a throttled createReport creates nothing")

	for range 15 {
		resp := b.get(t, tok, reportsPath+"/"+id)
		require.Equal(t, http.StatusOK, resp.status)
		require.Equal(t, "2", resp.header.Get("x-amzn-RateLimit-Limit"))
	}
	require.Equal(t, http.StatusTooManyRequests, b.get(t, tok, reportsPath+"/"+id).status)
	for range 10 {
		resp := b.get(t, tok, reportsPath+"?reportTypes="+sim.ReportOrdersByLastUpdate)
		require.Equal(t, http.StatusOK, resp.status)
		require.Equal(t, "0.0222", resp.header.Get("x-amzn-RateLimit-Limit"))
	}
	require.Equal(t, http.StatusTooManyRequests, b.get(t, tok, reportsPath+"?reportTypes="+sim.ReportOrdersByLastUpdate).status)

	b.limiter.Advance(70 * time.Second) // 0.0167/s: one createReport token; the first report is DONE
	reports, err := b.sim.TruthReports(b.acct.ID)
	require.NoError(t, err)
	require.Equal(t, sim.ReportStatusDone, reports[0].ProcessingStatus)
	require.Equal(t, sim.ReportStatusInProgress, reports[1].ProcessingStatus)
	first := reports[0].ReportDocumentID
	for range 15 {
		resp := b.get(t, tok, "/reports/2021-06-30/documents/"+first)
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		require.Equal(t, "0.0167", resp.header.Get("x-amzn-RateLimit-Limit"))
	}
	require.Equal(t, http.StatusTooManyRequests, b.get(t, tok, "/reports/2021-06-30/documents/"+first).status)
	require.Equal(t, http.StatusAccepted, b.send(t, tok, http.MethodPost, reportsPath, orderSpec(sim.ReportOrdersByLastUpdate, mk, winFrom, winTo), nil).status)

	stats := b.sim.Stats()
	require.Equal(t, sim.OpStats{Calls: 17, Successes: 16, Throttled: 1}, stats[sim.OpCreateReport])
	require.Equal(t, sim.OpStats{Calls: 16, Successes: 15, Throttled: 1}, stats[sim.OpGetReport])
	require.Equal(t, sim.OpStats{Calls: 11, Successes: 10, Throttled: 1}, stats[sim.OpGetReports])
	require.Equal(t, sim.OpStats{Calls: 16, Successes: 15, Throttled: 1}, stats[sim.OpGetReportDocument])
}
