package orderreport_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/spapi/orderreport"
)

// noTokens fails the test if the client asks for an access token: downloading a document
// must not need one.
type noTokens struct{ t *testing.T }

func (n noTokens) Token(context.Context) (string, error) {
	n.t.Error("an access token was requested for a document download")
	return "", errors.New("no tokens here")
}

func (noTokens) Invalidate(string) {}

// testBundle is a client and a storage server that serves one document.
type testBundle struct {
	client  *spapi.Client
	storage *httptest.Server
}

func setup(t *testing.T, contentType string, body []byte) *testBundle {
	t.Helper()
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-amz-access-token") != "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(body)
	}))
	t.Cleanup(storage.Close)
	client, err := spapi.NewClient(spapi.Options{Endpoint: "http://127.0.0.1:1", TokenSource: noTokens{t}, HTTPClient: storage.Client()})
	require.NoError(t, err)
	return &testBundle{client: client, storage: storage}
}

func TestReadCP932GzipDocumentThroughDownload(t *testing.T) {
	t.Parallel()

	header := "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\t" +
		"order-channel\turl\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\tcurrency\titem-price\titem-tax\t" +
		"shipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\titem-promotion-discount\tship-promotion-discount\tship-city\t" +
		"ship-state\tship-postal-code\tship-country\tpromotion-ids\tis-business-order\tpurchase-order-number\tprice-designation"
	rows := []string{
		"503-0000001-0000001\t\t2026-10-01T03:00:00+00:00\t2026-10-02T01:00:00+00:00\tShipped\tAmazon\tAmazon.co.jp\t\t\tStandard\t" +
			"緑茶 ティーバッグ ①\tTEA-01\tB0TEST0101\tShipped\t2\tJPY\t1980\t180\t0\t0\t\t\t\t\t千代田区\t東京都\t100-0001\tJP\t\tfalse\t\t",
		"503-0000002-0000002\t\t2026-10-01T04:00:00+00:00\t2026-10-01T04:00:00+00:00\tPending\tMerchant\tAmazon.co.jp\t\t\tStandard\t" +
			"急須（常滑焼）\tKYUSU-01\tB0TEST0102\tUnshipped\t1\t\t\t\t\t\t\t\t\t\t大阪市\t大阪府\t530-0001\tJP\t\tfalse\t\t",
	}
	doc := header + "\r\n" + strings.Join(rows, "\r\n") + "\r\n"
	sjis, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(doc))
	require.NoError(t, err)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err = zw.Write(sjis)
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	b := setup(t, "text/tab-separated-values; charset=CP932", gz.Bytes())
	rc, err := b.client.DownloadReportDocument(context.Background(), &spapi.ReportDocument{
		ReportDocumentID: "amzn1.tortuga.4.fe.jp-1", URL: b.storage.URL + "/doc?X-Amz-Signature=x", CompressionAlgorithm: spapi.CompressionGZIP,
	})
	require.NoError(t, err)
	defer rc.Close()
	_, lines := readFrom(t, rc)
	require.Len(t, lines, 2)
	require.Equal(t, "緑茶 ティーバッグ ①", lines[0].ProductName, "CP932's NEC special characters (①) decode too")
	require.Equal(t, "東京都", lines[0].ShipState)
	require.Equal(t, dec("1980"), lines[0].ItemPrice)
	require.Equal(t, "JPY", lines[0].Currency)
	require.Equal(t, "急須（常滑焼）", lines[1].ProductName)
	require.Nil(t, lines[1].ItemPrice)
	require.Empty(t, lines[0].Warnings)
	require.Empty(t, lines[1].Warnings)
}

func TestReadCP1252DocumentThroughDownload(t *testing.T) {
	t.Parallel()

	var doc strings.Builder
	doc.WriteString("amazon-order-id\tpurchase-date\tproduct-name\n")
	for i := range 5000 {
		fmt.Fprintf(&doc, "111-0000000-%07d\t2026-10-01T00:00:00+00:00\tCafé crème – 5 €\n", i)
	}
	cp1252, err := charmap.Windows1252.NewEncoder().Bytes([]byte(doc.String()))
	require.NoError(t, err)
	b := setup(t, "text/tab-separated-values; charset=windows-1252", cp1252)
	rc, err := b.client.DownloadReportDocument(context.Background(), &spapi.ReportDocument{ReportDocumentID: "d", URL: b.storage.URL + "/d"})
	require.NoError(t, err)
	defer rc.Close()
	r, err := orderreport.NewReader(rc)
	require.NoError(t, err)
	n := 0
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Equal(t, "Café crème – 5 €", l.ProductName)
		n++
	}
	require.Equal(t, 5000, n)
}
