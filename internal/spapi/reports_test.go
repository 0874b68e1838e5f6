package spapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

// recordedRequest is what a handler saw of one request.
type recordedRequest struct {
	Method, Path, RawQuery, ContentType string
	Query                               url.Values
	Body                                []byte
}

// recorder serves answer to every request and keeps what it saw.
type recorder struct {
	mu       sync.Mutex
	requests []recordedRequest
}

func (rec *recorder) handler(status int, answer string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.requests = append(rec.requests, recordedRequest{
			Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, ContentType: r.Header.Get("Content-Type"),
			Query: r.URL.Query(), Body: body,
		})
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-amzn-RateLimit-Limit", "0.0167")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}
}

func (rec *recorder) all() []recordedRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recordedRequest(nil), rec.requests...)
}

// metaLog collects the ResponseMeta the client reports through OnResponse.
type metaLog struct {
	mu    sync.Mutex
	metas []spapi.ResponseMeta
}

func (m *metaLog) option(o *spapi.Options) {
	o.OnResponse = func(_ context.Context, meta spapi.ResponseMeta) {
		m.mu.Lock()
		m.metas = append(m.metas, meta)
		m.mu.Unlock()
	}
}

func (m *metaLog) ops() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ops []string
	for _, meta := range m.metas {
		ops = append(ops, meta.Op)
	}
	return ops
}

// reportExample is the model's getReport sandbox answer.
const reportExample = `{"reportId":"ReportId1","reportType":"FEE_DISCOUNTS_REPORT","dataStartTime":"2024-03-11T13:47:20.677Z",` +
	`"dataEndTime":"2024-03-12T13:47:20.677Z","createdTime":"2024-03-10T13:47:20.677Z","processingStatus":"IN_PROGRESS",` +
	`"processingStartTime":"2024-03-10T13:47:20.677Z","processingEndTime":"2024-03-12T13:47:20.677Z"}`

func TestCreateReport(t *testing.T) {
	t.Parallel()

	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2026, 10, 31, 0, 0, 0, 0, time.FixedZone("PST", -8*3600))

	t.Run("PostsTheSpecificationAsJSON", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		var metas metaLog
		b := setup(t, rec.handler(http.StatusAccepted, `{"reportId":"ID323"}`), metas.option)
		id, err := b.client.CreateReport(context.Background(), spapi.CreateReportRequest{
			ReportType:     "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
			MarketplaceIDs: []string{"A1PA6795UKMFR9", "ATVPDKIKX0DER"},
			DataStartTime:  start,
			DataEndTime:    end,
			ReportOptions:  map[string]string{"custom": "true"},
		})
		require.NoError(t, err)
		require.Equal(t, "ID323", id)

		reqs := rec.all()
		require.Len(t, reqs, 1)
		require.Equal(t, http.MethodPost, reqs[0].Method)
		require.Equal(t, "/reports/2021-06-30/reports", reqs[0].Path)
		require.Empty(t, reqs[0].RawQuery)
		require.Equal(t, "application/json", reqs[0].ContentType)
		require.JSONEq(t, `{"reportType":"GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
			"marketplaceIds":["A1PA6795UKMFR9","ATVPDKIKX0DER"],
			"dataStartTime":"2026-10-01T00:00:00Z","dataEndTime":"2026-10-31T08:00:00Z",
			"reportOptions":{"custom":"true"}}`, string(reqs[0].Body))
		require.Equal(t, []string{spapi.OpCreateReport}, metas.ops())
	})

	t.Run("LeavesOutUnsetTimesAndOptions", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		b := setup(t, rec.handler(http.StatusAccepted, `{"reportId":"ID324"}`), nil)
		_, err := b.client.CreateReport(context.Background(), spapi.CreateReportRequest{
			ReportType: "GET_MERCHANT_LISTINGS_ALL_DATA", MarketplaceIDs: []string{"ATVPDKIKX0DER"},
		})
		require.NoError(t, err)
		require.JSONEq(t, `{"reportType":"GET_MERCHANT_LISTINGS_ALL_DATA","marketplaceIds":["ATVPDKIKX0DER"]}`, string(rec.all()[0].Body))
	})

	t.Run("ResendsTheSameBodyAfterARefusedToken", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		var calls int
		var mu sync.Mutex
		ok := rec.handler(http.StatusAccepted, `{"reportId":"ID325"}`)
		refused := rec.handler(http.StatusForbidden, `{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided has expired."}]}`)
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			first := calls == 1
			mu.Unlock()
			if first {
				refused(w, r)
				return
			}
			ok(w, r)
		}, nil)
		id, err := b.client.CreateReport(context.Background(), spapi.CreateReportRequest{
			ReportType: "GET_MERCHANT_LISTINGS_ALL_DATA", MarketplaceIDs: []string{"ATVPDKIKX0DER"}, DataStartTime: start,
		})
		require.NoError(t, err)
		require.Equal(t, "ID325", id)
		reqs := rec.all()
		require.Len(t, reqs, 2)
		require.NotEmpty(t, reqs[1].Body)
		require.Equal(t, reqs[0].Body, reqs[1].Body)
		require.Equal(t, int64(2), b.lwaCalls.Load())
	})

	t.Run("AnswerWithoutReportIDIsPermanent", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		b := setup(t, rec.handler(http.StatusAccepted, `{"reportId":""}`), nil)
		_, err := b.client.CreateReport(context.Background(), spapi.CreateReportRequest{
			ReportType: "GET_MERCHANT_LISTINGS_ALL_DATA", MarketplaceIDs: []string{"ATVPDKIKX0DER"},
		})
		require.ErrorIs(t, err, spapi.ErrPermanent)
		require.ErrorIs(t, err, spapi.ErrIncompleteRecord)
	})

	t.Run("RefusesBrokenRulesWithoutARequest", func(t *testing.T) {
		t.Parallel()
		many := make([]string, 26)
		for i := range many {
			many[i] = "M" + string(rune('A'+i))
		}
		tests := []struct {
			name string
			req  spapi.CreateReportRequest
			want string
		}{
			{"NoReportType", spapi.CreateReportRequest{MarketplaceIDs: []string{"ATVPDKIKX0DER"}}, "reportType is required"},
			{"NoMarketplace", spapi.CreateReportRequest{ReportType: "X"}, "marketplaceIds is required"},
			{"TooManyMarketplaces", spapi.CreateReportRequest{ReportType: "X", MarketplaceIDs: many}, "at most 25"},
			{"EmptyMarketplace", spapi.CreateReportRequest{ReportType: "X", MarketplaceIDs: []string{""}}, "empty marketplace"},
			{"EndBeforeStart", spapi.CreateReportRequest{ReportType: "X", MarketplaceIDs: []string{"ATVPDKIKX0DER"}, DataStartTime: start, DataEndTime: start.Add(-time.Second)}, "dataEndTime"},
		}
		var rec recorder
		b := setup(t, rec.handler(http.StatusAccepted, `{"reportId":"never"}`), nil)
		for _, tt := range tests {
			_, err := b.client.CreateReport(context.Background(), tt.req)
			require.ErrorIs(t, err, spapi.ErrInvalidInput, tt.name)
			require.ErrorContains(t, err, tt.want, tt.name)
		}
		require.Empty(t, rec.all())
		require.Zero(t, b.lwaCalls.Load())
	})
}

func TestGetReports(t *testing.T) {
	t.Parallel()

	since := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC)

	t.Run("SendsFiltersAsCommaSeparatedListsAndDecodesThePage", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		var metas metaLog
		b := setup(t, rec.handler(http.StatusOK, `{"nextToken":"VGhpcyB0b2tlbg==","reports":[`+reportExample+`]}`), metas.option)
		res, err := b.client.GetReports(context.Background(), spapi.GetReportsRequest{
			ReportTypes:        []string{"FEE_DISCOUNTS_REPORT", "GET_AFN_INVENTORY_DATA"},
			ProcessingStatuses: []string{"in_queue", "IN_PROGRESS"},
			MarketplaceIDs:     []string{"ATVPDKIKX0DER"},
			CreatedSince:       since,
			CreatedUntil:       until,
			PageSize:           100,
		})
		require.NoError(t, err)
		reqs := rec.all()
		require.Len(t, reqs, 1)
		require.Equal(t, http.MethodGet, reqs[0].Method)
		require.Equal(t, "/reports/2021-06-30/reports", reqs[0].Path)
		require.Equal(t, url.Values{
			"reportTypes":        {"FEE_DISCOUNTS_REPORT,GET_AFN_INVENTORY_DATA"},
			"processingStatuses": {"IN_QUEUE,IN_PROGRESS"},
			"marketplaceIds":     {"ATVPDKIKX0DER"},
			"createdSince":       {"2026-09-01T00:00:00Z"},
			"createdUntil":       {"2026-09-30T00:00:00Z"},
			"pageSize":           {"100"},
		}, reqs[0].Query)

		require.Equal(t, "VGhpcyB0b2tlbg==", res.NextToken)
		require.Len(t, res.Reports, 1)
		r := res.Reports[0]
		require.Equal(t, "ReportId1", r.ReportID)
		require.Equal(t, "FEE_DISCOUNTS_REPORT", r.ReportType)
		require.Equal(t, spapi.ReportInProgress, r.ProcessingStatus)
		require.False(t, r.Terminal())
		require.Equal(t, time.Date(2024, 3, 10, 13, 47, 20, 677e6, time.UTC), r.CreatedTime)
		require.NotNil(t, r.DataStartTime)
		require.Empty(t, r.ReportDocumentID)
		require.JSONEq(t, reportExample, string(r.Raw))
		require.Empty(t, r.Warnings)
		require.Equal(t, spapi.OpGetReports, res.Meta.Op)
		require.InDelta(t, 0.0167, res.Meta.RateLimit, 1e-9)
		require.Equal(t, []string{spapi.OpGetReports}, metas.ops())
	})

	t.Run("NextTokenIsSentAlone", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		b := setup(t, rec.handler(http.StatusOK, `{"reports":[]}`), nil)
		_, err := b.client.GetReports(context.Background(), spapi.GetReportsRequest{
			ReportTypes: []string{"FEE_DISCOUNTS_REPORT"}, PageSize: 5, CreatedSince: since, NextToken: "tok/2+=",
		})
		require.NoError(t, err)
		require.Equal(t, url.Values{"nextToken": {"tok/2+="}}, rec.all()[0].Query)
	})

	t.Run("PagerWalksEveryPageWithOnlyTheTokenAfterTheFirst", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		b := setup(t, func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Query().Get("nextToken") {
			case "":
				rec.handler(http.StatusOK, `{"nextToken":"p2","reports":[{"reportId":"r1","reportType":"T","createdTime":"2026-09-02T00:00:00Z","processingStatus":"DONE","reportDocumentId":"d1"}]}`)(w, r)
			case "p2":
				rec.handler(http.StatusOK, `{"reports":[{"reportId":"r2","reportType":"T","createdTime":"2026-09-03T00:00:00Z","processingStatus":"CANCELLED"}]}`)(w, r)
			default:
				w.WriteHeader(http.StatusBadRequest)
			}
		}, nil)
		p := b.client.GetReportsPager(spapi.GetReportsRequest{ReportTypes: []string{"T"}, PageSize: 1})
		var ids []string
		for page, err := range p.All(context.Background(), nil) {
			require.NoError(t, err)
			for _, r := range page.Reports {
				ids = append(ids, r.ReportID)
				require.True(t, r.Terminal())
			}
		}
		require.Equal(t, []string{"r1", "r2"}, ids)
		reqs := rec.all()
		require.Len(t, reqs, 2)
		require.Equal(t, url.Values{"reportTypes": {"T"}, "pageSize": {"1"}}, reqs[0].Query)
		require.Equal(t, url.Values{"nextToken": {"p2"}}, reqs[1].Query)
	})

	t.Run("QuarantinesAReportWithoutID", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		b := setup(t, rec.handler(http.StatusOK, `{"reports":[`+reportExample+`,{"reportType":"T","processingStatus":"DONE"}]}`), nil)
		res, err := b.client.GetReports(context.Background(), spapi.GetReportsRequest{ReportTypes: []string{"T"}})
		require.NoError(t, err)
		require.Len(t, res.Reports, 1)
		require.Len(t, res.Quarantined, 1)
		require.Equal(t, spapi.OpGetReports, res.Quarantined[0].Op)
		require.Contains(t, res.Quarantined[0].Reason, "reportId")
	})

	t.Run("RefusesBrokenRulesWithoutARequest", func(t *testing.T) {
		t.Parallel()
		eleven := strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")
		tests := []struct {
			name string
			req  spapi.GetReportsRequest
			want string
		}{
			{"NoReportTypesNorToken", spapi.GetReportsRequest{PageSize: 10}, "reportTypes is required"},
			{"TooManyReportTypes", spapi.GetReportsRequest{ReportTypes: eleven}, "at most 10 reportTypes"},
			{"TooManyMarketplaces", spapi.GetReportsRequest{ReportTypes: []string{"T"}, MarketplaceIDs: eleven}, "at most 10 marketplaceIds"},
			{"PageSizeTooLarge", spapi.GetReportsRequest{ReportTypes: []string{"T"}, PageSize: 101}, "pageSize"},
			{"UntilBeforeSince", spapi.GetReportsRequest{ReportTypes: []string{"T"}, CreatedSince: until, CreatedUntil: since}, "createdUntil"},
			{"UnknownStatus", spapi.GetReportsRequest{ReportTypes: []string{"T"}, ProcessingStatuses: []string{"FINISHED"}}, `"FINISHED"`},
		}
		var rec recorder
		b := setup(t, rec.handler(http.StatusOK, `{"reports":[]}`), nil)
		for _, tt := range tests {
			_, err := b.client.GetReports(context.Background(), tt.req)
			require.ErrorIs(t, err, spapi.ErrInvalidInput, tt.name)
			require.ErrorContains(t, err, tt.want, tt.name)
		}
		require.Empty(t, rec.all())
	})
}

func TestGetReport(t *testing.T) {
	t.Parallel()

	t.Run("FetchesOneReportByEscapedID", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		var metas metaLog
		b := setup(t, rec.handler(http.StatusOK, `{"reportId":"50009019","reportType":"GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
			"marketplaceIds":["ATVPDKIKX0DER"],"createdTime":"2026-10-31T08:00:00+00:00","processingStatus":"done",
			"processingStartTime":"2026-10-31T08:00:05Z","processingEndTime":"2026-10-31T08:01:40Z","reportDocumentId":"amzn1.tortuga.4.na.abc"}`), metas.option)
		r, err := b.client.GetReport(context.Background(), "id/with?odd")
		require.NoError(t, err)
		require.Equal(t, "/reports/2021-06-30/reports/id%2Fwith%3Fodd", rec.all()[0].Path)
		require.Equal(t, spapi.ReportDone, r.ProcessingStatus, "the model's spelling whatever Amazon sent")
		require.True(t, r.Terminal())
		require.Equal(t, []string{"ATVPDKIKX0DER"}, r.MarketplaceIDs)
		require.Equal(t, "amzn1.tortuga.4.na.abc", r.ReportDocumentID)
		require.Nil(t, r.DataStartTime)
		require.Nil(t, r.DataEndTime)
		require.Equal(t, time.Date(2026, 10, 31, 8, 1, 40, 0, time.UTC), *r.ProcessingEndTime)
		require.Equal(t, []string{spapi.OpGetReport}, metas.ops())
	})

	t.Run("UnknownStatusIsKeptAndReported", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		b := setup(t, rec.handler(http.StatusOK, `{"reportId":"r1","reportType":"T","createdTime":"2026-10-31T08:00:00Z","processingStatus":"ARCHIVED"}`), nil)
		r, err := b.client.GetReport(context.Background(), "r1")
		require.NoError(t, err)
		require.Equal(t, "ARCHIVED", r.ProcessingStatus)
		require.False(t, r.Terminal())
		require.Equal(t, []spapi.DecodeWarning{{Field: "processingStatus", Problem: spapi.ProblemUnknownEnum}}, r.Warnings)
	})

	t.Run("ReportWithoutStatusIsIncomplete", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		b := setup(t, rec.handler(http.StatusOK, `{"reportId":"r1","reportType":"T"}`), nil)
		_, err := b.client.GetReport(context.Background(), "r1")
		var inc *spapi.IncompleteRecordError
		require.ErrorAs(t, err, &inc)
		require.Equal(t, "r1", inc.Record.EntityID)
		require.ErrorIs(t, err, spapi.ErrPermanent)
	})

	t.Run("EmptyIDIsRefused", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		b := setup(t, rec.handler(http.StatusOK, `{}`), nil)
		_, err := b.client.GetReport(context.Background(), "")
		require.ErrorIs(t, err, spapi.ErrInvalidInput)
		require.Empty(t, rec.all())
	})
}

func TestGetReportDocument(t *testing.T) {
	t.Parallel()

	const secretURL = "https://tortuga-prod-na.s3-external-1.amazonaws.com/%2FNinetyDays/amzn1.tortuga.4.na.abc?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=sekrit0123"

	t.Run("DecodesTheDocument", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		var metas metaLog
		b := setup(t, rec.handler(http.StatusOK, `{"reportDocumentId":"amzn1.tortuga.4.na.abc","url":"`+secretURL+`","compressionAlgorithm":"GZIP"}`), metas.option)
		doc, err := b.client.GetReportDocument(context.Background(), "amzn1.tortuga.4.na.abc")
		require.NoError(t, err)
		require.Equal(t, "/reports/2021-06-30/documents/amzn1.tortuga.4.na.abc", rec.all()[0].Path)
		require.Empty(t, rec.all()[0].RawQuery)
		require.Equal(t, spapi.ReportDocument{ReportDocumentID: "amzn1.tortuga.4.na.abc", URL: secretURL, CompressionAlgorithm: spapi.CompressionGZIP}, *doc)
		require.Equal(t, []string{spapi.OpGetReportDocument}, metas.ops())
	})

	t.Run("DocumentWithoutURLIsIncompleteAndNamesTheID", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		b := setup(t, rec.handler(http.StatusOK, `{"reportDocumentId":"doc-7"}`), nil)
		_, err := b.client.GetReportDocument(context.Background(), "doc-7")
		require.ErrorIs(t, err, spapi.ErrPermanent)
		require.ErrorIs(t, err, spapi.ErrIncompleteRecord)
		require.ErrorContains(t, err, "doc-7")
		require.ErrorContains(t, err, "url")
	})

	t.Run("FormattedFormsHideTheURL", func(t *testing.T) {
		t.Parallel()
		doc := spapi.ReportDocument{ReportDocumentID: "amzn1.tortuga.4.na.abc", URL: secretURL}
		for _, s := range formatEveryWay(doc) {
			require.NotContains(t, s, "sekrit")
			require.NotContains(t, s, "X-Amz")
			require.NotContains(t, s, "NinetyDays")
			require.Contains(t, s, "amzn1.tortuga.4.na.abc")
		}
	})
}

// formatEveryWay renders v with every fmt verb and both slog handlers, as a log line might.
func formatEveryWay(v any) []string {
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out = append(out, fmt.Sprintf(verb, v), fmt.Sprintf(verb, []any{v}))
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("doc", "doc", v)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("doc", "doc", v)
	return append(out, buf.String())
}

func TestReportDocumentJSONKeepsTheURL(t *testing.T) {
	t.Parallel()
	// A ReportDocument can be handed on (e.g. to a job) as JSON; only logs redact it.
	doc := spapi.ReportDocument{ReportDocumentID: "d", URL: "https://example.com/x?sig=1"}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	require.JSONEq(t, `{"reportDocumentId":"d","url":"https://example.com/x?sig=1"}`, string(b))
}
