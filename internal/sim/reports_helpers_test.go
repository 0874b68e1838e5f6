package sim_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/japanese"

	"github.com/spsync/spsync/internal/sim"
)

// The Reports tests read the wire with encoding/json and their own flat
// file parser: an importer written elsewhere must not share code with the
// simulator it is tested against.

const reportsPath = "/reports/2021-06-30/reports"

// send sends a raw request with token (none when empty).
func (b *testBundle) send(t *testing.T, token, method, pathAndQuery string, body any, header http.Header) rawResponse {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, ok := body.(string)
		if !ok {
			raw = jsonString(t, body)
		}
		rd = strings.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.srv.URL+pathAndQuery, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("x-amz-access-token", token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawResponse{resp.StatusCode, resp.Header, string(out)}
}

// spec is a createReport body.
type spec struct {
	ReportType     string   `json:"reportType,omitempty"`
	MarketplaceIDs []string `json:"marketplaceIds,omitempty"`
	DataStartTime  string   `json:"dataStartTime,omitempty"`
	DataEndTime    string   `json:"dataEndTime,omitempty"`
}

func orderSpec(typ string, markets []string, from, to time.Time) spec {
	return spec{ReportType: typ, MarketplaceIDs: markets, DataStartTime: iso(from), DataEndTime: iso(to)}
}

// createReport creates a report and returns its id.
func (b *testBundle) createReport(t *testing.T, tok string, s spec) string {
	t.Helper()
	resp := b.send(t, tok, http.MethodPost, reportsPath, s, nil)
	require.Equal(t, http.StatusAccepted, resp.status, resp.body)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp.body), &got))
	require.Len(t, got, 1, "createReport answers {reportId} alone, without a payload envelope: %s", resp.body)
	id, _ := got["reportId"].(string)
	require.NotEmpty(t, id)
	return id
}

// report fetches a report with getReport.
func (b *testBundle) report(t *testing.T, tok, id string) sim.Report {
	t.Helper()
	resp := b.get(t, tok, reportsPath+"/"+id)
	require.Equal(t, http.StatusOK, resp.status, resp.body)
	require.NotContains(t, resp.body, `"payload"`)
	var r sim.Report
	require.NoError(t, json.Unmarshal([]byte(resp.body), &r))
	return r
}

// documentURL asks getReportDocument for a document's URL.
func (b *testBundle) documentURL(t *testing.T, tok, docID, query string) string {
	t.Helper()
	resp := b.get(t, tok, "/reports/2021-06-30/documents/"+docID+query)
	require.Equal(t, http.StatusOK, resp.status, resp.body)
	var d struct {
		ReportDocumentID     string `json:"reportDocumentId"`
		URL                  string `json:"url"`
		CompressionAlgorithm string `json:"compressionAlgorithm"`
	}
	require.NoError(t, json.Unmarshal([]byte(resp.body), &d))
	require.Equal(t, docID, d.ReportDocumentID)
	require.Equal(t, "GZIP", d.CompressionAlgorithm)
	return d.URL
}

// fetch downloads a URL the way an S3 client does: no SP-API token.
func fetch(t *testing.T, u string, header http.Header) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawResponse{resp.StatusCode, resp.Header, string(body)}
}

// waitDone steps the limiter clock until the report ends and returns it.
func (b *testBundle) waitDone(t *testing.T, tok, id string) sim.Report {
	t.Helper()
	for range 1000 {
		r := b.report(t, tok, id)
		switch r.ProcessingStatus {
		case sim.ReportStatusDone, sim.ReportStatusCancelled, sim.ReportStatusFatal:
			return r
		}
		b.limiter.Advance(5 * time.Second)
	}
	t.Fatalf("report %s never ended", id)
	return sim.Report{}
}

// flatFile is a downloaded order report: its header and its lines split
// into cells, and the raw text.
type flatFile struct {
	header []string
	rows   [][]string
	text   string
	crlf   bool
}

// parseFlatFile gunzips a document, decodes it by the charset its
// Content-Type names and splits it into lines and cells.
func parseFlatFile(t *testing.T, gz []byte, contentType string) flatFile {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err, "documents are gzip-compressed")
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	mt, params, err := mime.ParseMediaType(contentType)
	require.NoError(t, err)
	require.Equal(t, "text/tab-separated-values", mt)
	raw = decodeCharset(t, raw, params["charset"])
	text := string(raw)
	var f flatFile
	f.text = text
	f.crlf = strings.Contains(text, "\r\n")
	require.True(t, strings.HasSuffix(text, "\n"), "every line ends with a line ending")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for k, l := range lines {
		if f.crlf {
			require.True(t, strings.HasSuffix(l, "\r"), "one line ending per document")
			l = strings.TrimSuffix(l, "\r")
		} else {
			require.NotContains(t, l, "\r")
		}
		cells := strings.Split(l, "\t")
		if k == 0 {
			f.header = cells
			continue
		}
		require.Len(t, cells, len(f.header), "every line has every column, trailing empty ones too: %q", l)
		f.rows = append(f.rows, cells)
	}
	return f
}

// decodeCharset decodes a document by the charset its Content-Type names.
// x/text's indexes do not agree on the names of code page 932: htmlindex
// knows Windows-31J and MS932 but not CP932, ianaindex has Windows-31J
// without an encoder, so an importer keeps its own aliases, as here.
func decodeCharset(t *testing.T, raw []byte, charset string) []byte {
	t.Helper()
	var enc encoding.Encoding
	switch strings.ToLower(charset) {
	case "utf-8", "utf8":
		require.True(t, utf8.Valid(raw))
		return raw
	case "cp932", "ms932", "windows-31j", "shift_jis", "sjis":
		enc = japanese.ShiftJIS
	default:
		var err error
		enc, err = htmlindex.Get(charset)
		require.NoError(t, err, "charset %q", charset)
	}
	out, err := enc.NewDecoder().Bytes(raw)
	require.NoError(t, err)
	return out
}

// columnFields maps report columns to ReportLine fields.
var columnFields = map[string]string{
	"amazon-order-id": "AmazonOrderID", "merchant-order-id": "MerchantOrderID", "purchase-date": "PurchaseDate",
	"last-updated-date": "LastUpdatedDate", "order-status": "OrderStatus", "fulfillment-channel": "FulfillmentChannel",
	"sales-channel": "SalesChannel", "order-channel": "OrderChannel", "url": "URL", "ship-service-level": "ShipServiceLevel",
	"product-name": "ProductName", "sku": "SKU", "asin": "ASIN", "item-status": "ItemStatus", "quantity": "Quantity",
	"currency": "Currency", "item-price": "ItemPrice", "item-tax": "ItemTax", "shipping-price": "ShippingPrice",
	"shipping-tax": "ShippingTax", "gift-wrap-price": "GiftWrapPrice", "gift-wrap-tax": "GiftWrapTax",
	"item-promotion-discount": "ItemPromotionDiscount", "ship-promotion-discount": "ShipPromotionDiscount",
	"ship-city": "ShipCity", "ship-state": "ShipState", "ship-postal-code": "ShipPostalCode", "ship-country": "ShipCountry",
	"promotion-ids": "PromotionIDs", "is-business-order": "IsBusinessOrder", "purchase-order-number": "PurchaseOrderNumber",
	"price-designation": "PriceDesignation", "cpf": "CPF", "ship-promotion-id": "ShipPromotionID",
	"customized-url": "CustomizedURL", "customized-page": "CustomizedPage", "is-heavy-or-bulky": "IsHeavyOrBulky",
	"is-replacement-order": "IsReplacementOrder",
}

// readLines reads a flat file's rows into typed lines by header name, the
// way an importer must; times are kept in UTC.
func readLines(t *testing.T, f flatFile) []sim.ReportLine {
	t.Helper()
	out := make([]sim.ReportLine, len(f.rows))
	for r, row := range f.rows {
		v := reflect.ValueOf(&out[r]).Elem()
		for c, name := range f.header {
			field, ok := columnFields[name]
			require.True(t, ok, "unknown column %q", name)
			fv := v.FieldByName(field)
			cell := row[c]
			switch fv.Interface().(type) {
			case string:
				fv.SetString(cell)
			case int:
				n, err := strconv.Atoi(cell)
				require.NoError(t, err, "%s %q", name, cell)
				fv.SetInt(int64(n))
			case bool:
				bv, err := strconv.ParseBool(cell)
				require.NoError(t, err, "%s %q", name, cell)
				fv.SetBool(bv)
			case time.Time:
				tv, err := time.Parse(time.RFC3339, cell)
				require.NoError(t, err, "%s %q", name, cell)
				require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`, cell, "dates like 2017-06-17T08:04:21+00:00")
				fv.Set(reflect.ValueOf(tv.UTC()))
			}
		}
	}
	return out
}

// masked keeps only the fields a document with these columns shows, times
// in UTC, so truth compares with what was read from a document.
func masked(lines []sim.ReportLine, columns []string) []sim.ReportLine {
	out := make([]sim.ReportLine, len(lines))
	for i := range lines {
		src := reflect.ValueOf(lines[i])
		dst := reflect.ValueOf(&out[i]).Elem()
		for _, c := range columns {
			f := columnFields[c]
			dst.FieldByName(f).Set(src.FieldByName(f))
		}
		out[i].PurchaseDate = out[i].PurchaseDate.UTC()
		out[i].LastUpdatedDate = out[i].LastUpdatedDate.UTC()
		if out[i].PurchaseDate.IsZero() {
			out[i].PurchaseDate = time.Time{}
		}
		if out[i].LastUpdatedDate.IsZero() {
			out[i].LastUpdatedDate = time.Time{}
		}
	}
	return out
}

// downloadReport fetches a DONE report's document and parses it.
func (b *testBundle) downloadReport(t *testing.T, tok string, r sim.Report) (flatFile, rawResponse) {
	t.Helper()
	require.Equal(t, sim.ReportStatusDone, r.ProcessingStatus)
	u := b.documentURL(t, tok, r.ReportDocumentID, "")
	resp := fetch(t, u, nil)
	require.Equal(t, http.StatusOK, resp.status, resp.body)
	return parseFlatFile(t, []byte(resp.body), resp.header.Get("Content-Type")), resp
}
