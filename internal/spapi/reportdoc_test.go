package spapi_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"

	"github.com/spsync/spsync/internal/spapi"
)

// presignedQuery is the shape of an S3 presigned URL's query; "sekrit" marks what must not
// leak.
const presignedQuery = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261127T120000Z&X-Amz-SignedHeaders=host" +
	"&X-Amz-Expires=300&X-Amz-Credential=AKIASEKRIT%2F20261127%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=sekrit0123456789"

// docBundle is a client (with its fake SP-API) and a fake storage server for documents.
type docBundle struct {
	*testBundle
	storage *httptest.Server
	mu      sync.Mutex
	seen    []*http.Request
}

// setupDocs starts a storage server that records each request and answers with handler.
func setupDocs(t *testing.T, handler http.HandlerFunc, mod func(*spapi.Options)) *docBundle {
	t.Helper()
	b := &docBundle{}
	b.testBundle = setup(t, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected SP-API request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	}, mod)
	b.storage = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.seen = append(b.seen, r.Clone(context.Background()))
		b.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(b.storage.Close)
	return b
}

func (b *docBundle) doc(compression string) *spapi.ReportDocument {
	return &spapi.ReportDocument{
		ReportDocumentID:     "amzn1.tortuga.4.na.doc-1",
		URL:                  b.storage.URL + "/NinetyDays/amzn1.tortuga.4.na.doc-1" + presignedQuery,
		CompressionAlgorithm: compression,
	}
}

func (b *docBundle) requests() []*http.Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*http.Request(nil), b.seen...)
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func encode(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

// requireNoLeak checks that an error says nothing of the presigned URL.
func requireNoLeak(t *testing.T, err error) {
	t.Helper()
	require.NotContains(t, err.Error(), "sekrit")
	require.NotContains(t, err.Error(), "X-Amz-Signature")
	require.NotContains(t, err.Error(), "NinetyDays")
	require.NotContains(t, err.Error(), "127.0.0.1")
	require.Contains(t, err.Error(), "amzn1.tortuga.4.na.doc-1")
}

func TestDownloadReportDocument(t *testing.T) {
	t.Parallel()

	const tsv = "amazon-order-id\tproduct-name\n111-0000001-0000001\tplain\n"

	t.Run("PlainGETWithoutSPAPIAuth", func(t *testing.T) {
		t.Parallel()
		b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/tab-separated-values; charset=UTF-8")
			_, _ = io.WriteString(w, tsv)
		}, nil)
		rc, err := b.client.DownloadReportDocument(context.Background(), b.doc(""))
		require.NoError(t, err)
		got, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		require.Equal(t, tsv, string(got))

		reqs := b.requests()
		require.Len(t, reqs, 1)
		r := reqs[0]
		require.Equal(t, http.MethodGet, r.Method)
		require.Equal(t, "/NinetyDays/amzn1.tortuga.4.na.doc-1", r.URL.Path)
		require.Equal(t, presignedQuery[1:], r.URL.RawQuery, "the presigned query goes out untouched")
		for name := range r.Header {
			lower := strings.ToLower(name)
			require.False(t, strings.HasPrefix(lower, "x-amz"), "header %s sent to storage", name)
			require.NotEqual(t, "authorization", lower)
		}
		require.Zero(t, b.lwaCalls.Load(), "no access token is even fetched")
		require.Zero(t, b.spapiCalls.Load())
	})

	t.Run("ExpiredURLIsRetryableWithAFreshURL", func(t *testing.T) {
		t.Parallel()
		var metas metaLog
		b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.Header().Set("x-amz-request-id", "S3REQ1")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>300</X-Amz-Expires>`+
				`<Expires>2026-11-27T12:05:00Z</Expires><ServerTime>2026-11-27T12:09:13Z</ServerTime>`+
				`<RequestId>S3REQ1</RequestId><HostId>sekrit-host-id</HostId></Error>`)
		}, metas.option)
		rc, err := b.client.DownloadReportDocument(context.Background(), b.doc(spapi.CompressionGZIP))
		require.Nil(t, rc)
		require.ErrorIs(t, err, spapi.ErrDocumentURLExpired)
		require.ErrorIs(t, err, spapi.ErrRetryable)
		var e *spapi.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, http.StatusForbidden, e.StatusCode)
		require.Equal(t, "S3REQ1", e.RequestID)
		require.ErrorContains(t, err, "AccessDenied: Request has expired")
		requireNoLeak(t, err)
		require.Empty(t, metas.ops(), "storage answers are not SP-API responses")
	})

	t.Run("OtherFailuresAreClassified", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name     string
			status   int
			body     string
			sentinel error
		}{
			{"NoSuchKeyIsNotFound", 404, `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`, spapi.ErrNotFound},
			{"InternalErrorIsRetryable", 500, `<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`, spapi.ErrRetryable},
			{"SlowDownIsRetryable", 503, `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`, spapi.ErrRetryable},
			{"TooManyRequestsIsThrottled", 429, ``, spapi.ErrThrottled},
			{"BadRequestIsInvalidInput", 400, `<Error><Code>AuthorizationQueryParametersError</Code><Message>X-Amz-Expires must be less than a week</Message></Error>`, spapi.ErrInvalidInput},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(tt.status)
					_, _ = io.WriteString(w, tt.body)
				}, nil)
				_, err := b.client.DownloadReportDocument(context.Background(), b.doc(""))
				require.ErrorIs(t, err, tt.sentinel)
				require.NotErrorIs(t, err, spapi.ErrDocumentURLExpired)
				requireNoLeak(t, err)
			})
		}
	})

	t.Run("TransportErrorsDoNotQuoteTheURL", func(t *testing.T) {
		t.Parallel()
		b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) {
			hj, ok := w.(http.Hijacker)
			require.True(t, ok)
			conn, _, err := hj.Hijack()
			require.NoError(t, err)
			_ = conn.Close() // cut before any header
		}, nil)
		_, err := b.client.DownloadReportDocument(context.Background(), b.doc(""))
		require.ErrorIs(t, err, spapi.ErrRetryable)
		requireNoLeak(t, err)
	})

	t.Run("DecompressesAndDecodesToUTF8", func(t *testing.T) {
		t.Parallel()
		const jp = "amazon-order-id\tproduct-name\tship-city\n503-0000001-0000001\t緑茶 ティーバッグ ①\t東京都\n"
		const eu = "amazon-order-id\tproduct-name\tship-city\n028-0000001-0000001\tCafé crème – 5 € “Größe”\tZürich\n"
		const latin = "amazon-order-id\tproduct-name\tship-city\n028-0000002-0000002\tCafé crème\tMünchen\n"
		tests := []struct {
			name        string
			contentType string
			body        []byte
			compression string
			encodingHdr string
			want        string
		}{
			{"UTF8WithoutCharset", "text/tab-separated-values", []byte(eu), "", "", eu},
			{"UTF8Gzip", "text/tab-separated-values; charset=UTF-8", gzipped(t, []byte(eu)), spapi.CompressionGZIP, "", eu},
			{"CP932Gzip", "text/tab-separated-values; charset=CP932", gzipped(t, encode(t, japanese.ShiftJIS, jp)), spapi.CompressionGZIP, "", jp},
			{"Windows31J", "text/tab-separated-values;charset=Windows-31J", encode(t, japanese.ShiftJIS, jp), "", "", jp},
			{"ShiftJISQuoted", `text/tab-separated-values; charset="Shift_JIS"`, encode(t, japanese.ShiftJIS, jp), "", "", jp},
			{"CP1252WithEuroAndQuotes", "text/tab-separated-values; charset=Cp1252", encode(t, charmap.Windows1252, eu), "", "", eu},
			// Labelled CP1252, really ISO-8859-1: the two agree outside 0x80-0x9F.
			{"CP1252LabelOnISO88591Bytes", "text/tab-separated-values; charset=CP1252", encode(t, charmap.ISO8859_1, latin), "", "", latin},
			// Labelled ISO-8859-1, really CP1252 (the € and the quotes are 0x80-0x9F).
			{"ISO88591LabelOnCP1252Bytes", "text/tab-separated-values; charset=ISO-8859-1", gzipped(t, encode(t, charmap.Windows1252, eu)), spapi.CompressionGZIP, "", eu},
			{"Latin1", "text/plain; charset=latin1", encode(t, charmap.ISO8859_1, latin), "", "", latin},
			// enableContentEncodingUrlHeader=true: the transport gunzips, the client must not again.
			{"ContentEncodingGzipIsNotGunzippedTwice", "text/tab-separated-values; charset=UTF-8", gzipped(t, []byte(eu)), spapi.CompressionGZIP, "gzip", eu},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", tt.contentType)
					if tt.encodingHdr != "" {
						w.Header().Set("Content-Encoding", tt.encodingHdr)
					}
					_, _ = w.Write(tt.body)
				}, nil)
				rc, err := b.client.DownloadReportDocument(context.Background(), b.doc(tt.compression))
				require.NoError(t, err)
				defer rc.Close()
				got, err := io.ReadAll(rc)
				require.NoError(t, err)
				require.Equal(t, tt.want, string(got))
			})
		}
	})

	t.Run("UnsupportedCharsetIsRefusedBeforeAnyByte", func(t *testing.T) {
		t.Parallel()
		b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/tab-separated-values; charset=EBCDIC-US")
			_, _ = io.WriteString(w, tsv)
		}, nil)
		rc, err := b.client.DownloadReportDocument(context.Background(), b.doc(""))
		require.Nil(t, rc)
		require.ErrorIs(t, err, spapi.ErrUnsupportedCharset)
		require.ErrorIs(t, err, spapi.ErrPermanent)
		require.ErrorContains(t, err, "EBCDIC-US")
		requireNoLeak(t, err)
	})

	t.Run("NotGzipDespiteGZIPIsPermanent", func(t *testing.T) {
		t.Parallel()
		b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, tsv) }, nil)
		_, err := b.client.DownloadReportDocument(context.Background(), b.doc(spapi.CompressionGZIP))
		require.ErrorIs(t, err, spapi.ErrPermanent)
		require.ErrorIs(t, err, gzip.ErrHeader)
		requireNoLeak(t, err)
	})

	t.Run("UnknownCompressionIsRefusedWithoutARequest", func(t *testing.T) {
		t.Parallel()
		b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) {}, nil)
		_, err := b.client.DownloadReportDocument(context.Background(), b.doc("ZSTD"))
		require.ErrorIs(t, err, spapi.ErrPermanent)
		require.Empty(t, b.requests())
	})

	t.Run("TruncatedGzipFailsOnReadAsRetryable", func(t *testing.T) {
		t.Parallel()
		full := gzipped(t, []byte(strings.Repeat(tsv, 200)))
		b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(full[:len(full)/2]) }, nil)
		rc, err := b.client.DownloadReportDocument(context.Background(), b.doc(spapi.CompressionGZIP))
		require.NoError(t, err)
		defer rc.Close()
		_, err = io.ReadAll(rc)
		require.ErrorIs(t, err, spapi.ErrRetryable)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		requireNoLeak(t, err)
		_, again := rc.Read(make([]byte, 10))
		require.Equal(t, err, again, "the failure sticks")
	})

	t.Run("StreamsBeforeTheServerHasFinished", func(t *testing.T) {
		t.Parallel()
		const header = "amazon-order-id\tproduct-name\n"
		firstLine := "503-0000001-0000001\t緑茶\n"
		release := make(chan struct{})
		b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/tab-separated-values; charset=CP932")
			zw := gzip.NewWriter(w)
			_, _ = zw.Write(encode(t, japanese.ShiftJIS, header+firstLine))
			_ = zw.Flush()
			w.(http.Flusher).Flush()
			select { // the rest only once the client has read the first line
			case <-release:
			case <-r.Context().Done():
				return
			}
			_, _ = zw.Write(encode(t, japanese.ShiftJIS, "503-0000002-0000002\t煎茶\n"))
			_ = zw.Close()
		}, nil)
		rc, err := b.client.DownloadReportDocument(context.Background(), b.doc(spapi.CompressionGZIP))
		require.NoError(t, err)
		defer rc.Close()
		br := bufio.NewReader(rc)
		got, err := br.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, header, got)
		got, err = br.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, firstLine, got)
		close(release)
		rest, err := io.ReadAll(br)
		require.NoError(t, err)
		require.Equal(t, "503-0000002-0000002\t煎茶\n", string(rest))
	})

	t.Run("CancelledContextStopsTheStream", func(t *testing.T) {
		t.Parallel()
		b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, tsv)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		rc, err := b.client.DownloadReportDocument(ctx, b.doc(""))
		require.NoError(t, err)
		defer rc.Close()
		buf := make([]byte, len(tsv))
		_, err = io.ReadFull(rc, buf)
		require.NoError(t, err)
		cancel()
		_, err = rc.Read(buf)
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, err, spapi.ErrRetryable)
	})

	t.Run("StallIsRetryable", func(t *testing.T) {
		t.Parallel()
		idle := func(o *spapi.Options) { o.DownloadIdleTimeout = 100 * time.Millisecond }
		tests := []struct {
			name       string
			sendHeader bool
		}{
			{"BeforeHeaders", false},
			{"MidBody", true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) {
					if tt.sendHeader {
						_, _ = io.WriteString(w, tsv)
						w.(http.Flusher).Flush()
					}
					<-r.Context().Done()
				}, idle)
				start := time.Now()
				rc, err := b.client.DownloadReportDocument(context.Background(), b.doc(""))
				if err == nil {
					defer rc.Close()
					_, err = io.ReadAll(rc)
				}
				require.ErrorIs(t, err, spapi.ErrDownloadStalled)
				require.ErrorIs(t, err, spapi.ErrRetryable)
				require.Less(t, time.Since(start), 5*time.Second)
				requireNoLeak(t, err)
			})
		}
	})

	t.Run("SlowConsumerAndLongDownloadAreNotStalls", func(t *testing.T) {
		t.Parallel()
		// The client's own HTTP timeout (100ms) and the idle timeout (200ms) are both shorter
		// than the download, which keeps sending; the caller also pauses 300ms between reads.
		opts := func(o *spapi.Options) {
			o.DownloadIdleTimeout = 200 * time.Millisecond
			hc := *o.HTTPClient
			hc.Timeout = 100 * time.Millisecond
			o.HTTPClient = &hc
		}
		b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) {
			for range 8 {
				_, _ = io.WriteString(w, tsv)
				w.(http.Flusher).Flush()
				time.Sleep(50 * time.Millisecond)
			}
		}, opts)
		rc, err := b.client.DownloadReportDocument(context.Background(), b.doc(""))
		require.NoError(t, err)
		defer rc.Close()
		buf := make([]byte, len(tsv))
		_, err = io.ReadFull(rc, buf)
		require.NoError(t, err)
		time.Sleep(300 * time.Millisecond)
		rest, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.Equal(t, strings.Repeat(tsv, 7), string(rest))
	})

	t.Run("RefusesADocumentWithoutUsableURL", func(t *testing.T) {
		t.Parallel()
		b := setupDocs(t, func(w http.ResponseWriter, r *http.Request) {}, nil)
		for _, doc := range []*spapi.ReportDocument{nil, {ReportDocumentID: "amzn1.tortuga.4.na.doc-1"},
			{ReportDocumentID: "amzn1.tortuga.4.na.doc-1", URL: "ftp://sekrit.example/x"},
			{ReportDocumentID: "amzn1.tortuga.4.na.doc-1", URL: "://sekrit"}} {
			_, err := b.client.DownloadReportDocument(context.Background(), doc)
			require.ErrorIs(t, err, spapi.ErrInvalidInput)
			require.NotContains(t, err.Error(), "sekrit")
		}
		require.Empty(t, b.requests())
	})
}
