package spapi

import (
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
)

// DefaultDownloadIdleTimeout is Options.DownloadIdleTimeout when it is zero.
const DefaultDownloadIdleTimeout = 60 * time.Second

// opDownloadReportDocument names the download in errors. It is not an SP-API operation:
// it has no usage plan and is not reported to OnResponse, since the storage server's
// answers say nothing about SP-API rate limits.
const opDownloadReportDocument = "downloadReportDocument"

// maxStorageErrorBody bounds how much of a failed download's body is read for its error
// code.
const maxStorageErrorBody = 64 << 10

var (
	// ErrDocumentURLExpired is the cause (in an *Error of KindRetryable) of a download the
	// storage server refused with 403. A presigned URL is valid for 5 minutes, and an expired
	// one answers 403 AccessDenied "Request has expired"; every other 403 of a presigned URL
	// (a signature that no longer matches, a revoked grant) is fixed the same way, so all
	// are reported alike. Retrying the download with the same URL fails again: call
	// GetReportDocument for a fresh URL, then download.
	ErrDocumentURLExpired = errors.New("spapi: report document URL expired or refused")
	// ErrDownloadStalled is the cause (in an *Error of KindRetryable) of a download that
	// waited longer than Options.DownloadIdleTimeout for the server.
	ErrDownloadStalled = errors.New("spapi: report document download stalled")
	// ErrUnsupportedCharset is the cause (in an *Error of KindPermanent) of a document
	// whose Content-Type names a charset the client cannot decode. Such a document is
	// refused rather than passed on undecoded, which would store garbled text.
	ErrUnsupportedCharset = errors.New("spapi: unsupported report document charset")
)

// DownloadReportDocument streams the document doc describes, decompressed and decoded to
// UTF-8. The caller must Close it. Nothing is read into memory beyond a small buffer, so a
// document of any size costs the same.
//
// The request is a plain GET of the presigned URL: the URL is its own authorization, and
// no SP-API header (x-amz-access-token in particular) is sent to the storage server. The
// URL never appears in an error; errors name doc.ReportDocumentID.
//
// The body is gunzipped when CompressionAlgorithm is GZIP (unless the transport already
// did so because the server sent Content-Encoding: gzip), then decoded according to the
// charset of its Content-Type (text/tab-separated-values; charset=…):
//
//   - absent, UTF-8 or US-ASCII: passed through as is;
//   - CP932, Windows-31J, Shift_JIS and their aliases (Japanese documents):
//     japanese.ShiftJIS, which is Microsoft's code page 932;
//   - CP1252, windows-1252, ISO-8859-1, latin1 and their aliases: charmap.Windows1252 for
//     all of them. Amazon labels some EU documents CP1252 that are really ISO-8859-1, and
//     may do the reverse. The two agree on every byte except 0x80–0x9F, which ISO-8859-1
//     gives to C1 control characters that no real text contains and windows-1252 to €, ‘’,
//     “”, –, — and the like. So decoding as windows-1252 reads a true ISO-8859-1 document
//     exactly and a true CP1252 one too, whereas ISO-8859-1 would turn a CP1252 € into an
//     invisible control character. Browsers do the same: the WHATWG Encoding Standard maps
//     the iso-8859-1 and latin1 labels to windows-1252;
//   - ISO-8859-15 (latin9): charmap.ISO8859_15;
//   - anything else: an error wrapping ErrUnsupportedCharset, before any byte is returned.
//
// Failures are *Error values: a 403 wraps ErrDocumentURLExpired (KindRetryable: repeat
// GetReportDocument and the download); 404 is KindNotFound; 5xx, 408, transport errors,
// a truncated or corrupt gzip stream and a stall (ErrDownloadStalled) are KindRetryable;
// 429 is KindThrottled. Errors while reading the stream are *Error values too, returned
// by Read. ctx bounds the whole download, reads included.
func (c *Client) DownloadReportDocument(ctx context.Context, doc *ReportDocument) (io.ReadCloser, error) {
	if doc == nil || doc.URL == "" {
		return nil, invalidInput(opDownloadReportDocument, "no report document URL")
	}
	id := doc.ReportDocumentID
	fail := func(kind Kind, status int, err error) error {
		return &Error{Op: opDownloadReportDocument, Kind: kind, StatusCode: status, Err: fmt.Errorf("report document %s: %w", id, err)}
	}
	// url.Parse's errors quote the URL, so they are not passed on.
	if u, err := url.Parse(doc.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fail(KindInvalidInput, 0, errors.New("the URL is not an absolute http(s) URL"))
	}
	gunzip := false
	switch strings.ToUpper(strings.TrimSpace(doc.CompressionAlgorithm)) {
	case "":
	case CompressionGZIP:
		gunzip = true
	default:
		return nil, fail(KindPermanent, 0, fmt.Errorf("unsupported compressionAlgorithm %q", doc.CompressionAlgorithm))
	}

	// The idle timer runs only while the download waits for the server (headers, then each
	// Read), never while the caller works between reads.
	dctx, cancel := context.WithCancelCause(ctx)
	idle := time.AfterFunc(c.downloadIdle, func() { cancel(ErrDownloadStalled) })
	release := func() {
		idle.Stop()
		cancel(nil)
	}
	req, err := http.NewRequestWithContext(dctx, http.MethodGet, doc.URL, nil)
	if err != nil {
		release()
		return nil, fail(KindInvalidInput, 0, errors.New("the URL does not make a request"))
	}
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.download.Do(req)
	idle.Stop()
	if err != nil {
		release()
		return nil, fail(KindRetryable, 0, downloadCause(dctx, err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxStorageErrorBody))
		_ = resp.Body.Close()
		release()
		e := &Error{Op: opDownloadReportDocument, Kind: kindForStatus(resp.StatusCode), StatusCode: resp.StatusCode,
			RequestID: resp.Header.Get("x-amz-request-id")}
		cause := fmt.Errorf("report document %s: storage answered %s", id, storageError(body))
		if resp.StatusCode == http.StatusForbidden {
			e.Kind = KindRetryable
			cause = fmt.Errorf("%w: report document %s: storage answered %s; get a fresh URL with getReportDocument",
				ErrDocumentURLExpired, id, storageError(body))
		}
		e.Err = cause
		return nil, e
	}
	enc, err := documentEncoding(resp.Header.Get("Content-Type"))
	if err != nil {
		_ = resp.Body.Close()
		release()
		return nil, fail(KindPermanent, resp.StatusCode, err)
	}

	d := &documentReader{id: id, status: resp.StatusCode, ctx: dctx, body: resp.Body, release: release}
	d.r = &idleReader{r: resp.Body, timer: idle, idle: c.downloadIdle}
	if gunzip && !resp.Uncompressed {
		zr, err := gzip.NewReader(d.r)
		if err != nil {
			_ = d.Close()
			kind := KindRetryable
			if errors.Is(err, gzip.ErrHeader) {
				// Not gzip at all: the same bytes come back on every retry.
				kind = KindPermanent
			}
			return nil, fail(kind, resp.StatusCode, fmt.Errorf("gunzip: %w", downloadCause(dctx, err)))
		}
		d.gz, d.r = zr, zr
	}
	if enc != nil {
		d.r = enc.NewDecoder().Reader(d.r)
	}
	return d, nil
}

// documentReader is the stream DownloadReportDocument returns: it turns read errors into
// *Error values that name the document, and releases the request when done.
type documentReader struct {
	id      string
	status  int
	ctx     context.Context
	r       io.Reader
	body    io.Closer
	gz      *gzip.Reader
	release func()
	err     error
	closed  bool
}

// Read reads decoded bytes. A failure is an *Error (KindRetryable: a connection cut short,
// a corrupt gzip stream, a stall or a cancelled ctx); it repeats on every later Read.
func (d *documentReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.r.Read(p)
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		d.err = io.EOF
		d.release()
	default:
		d.err = &Error{Op: opDownloadReportDocument, Kind: KindRetryable, StatusCode: d.status,
			Err: fmt.Errorf("report document %s: reading: %w", d.id, downloadCause(d.ctx, err))}
		d.release()
	}
	return n, d.err
}

// Close releases the connection. Closing before the end abandons the download.
func (d *documentReader) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	if d.gz != nil {
		_ = d.gz.Close()
	}
	err := d.body.Close()
	d.release()
	return err
}

// idleReader runs the idle timer while a Read waits for the server.
type idleReader struct {
	r     io.Reader
	timer *time.Timer
	idle  time.Duration
}

func (r *idleReader) Read(p []byte) (int, error) {
	r.timer.Reset(r.idle)
	n, err := r.r.Read(p)
	r.timer.Stop()
	return n, err
}

// downloadCause replaces a cancellation caused by the idle timer with ErrDownloadStalled,
// and strips the *url.Error that http.Client wraps around transport errors, since it
// quotes the presigned URL.
func downloadCause(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, ErrDownloadStalled) {
		return cause
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// storageError summarizes an S3 error body (<Error><Code>AccessDenied</Code><Message>Request
// has expired</Message>…) as its code and message. The other elements are left out: some
// (StringToSign, CanonicalRequest) restate parts of the presigned URL.
func storageError(body []byte) string {
	var e struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if xml.Unmarshal(body, &e) != nil || e.Code == "" {
		return "a non-S3 error body"
	}
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// documentEncoding returns the decoder of a document's Content-Type charset, nil for UTF-8
// (and ASCII, its subset); see DownloadReportDocument.
func documentEncoding(contentType string) (encoding.Encoding, error) {
	charset := ""
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		charset = params["charset"]
	} else if _, after, ok := strings.Cut(strings.ToLower(contentType), "charset="); ok {
		// A malformed Content-Type still names its charset often enough.
		charset, _, _ = strings.Cut(after, ";")
	}
	key := strings.Trim(strings.ToLower(strings.TrimSpace(charset)), `"'`)
	key = strings.NewReplacer("-", "", "_", "", " ", "").Replace(key)
	switch key {
	case "", "utf8", "usascii", "ascii":
		return nil, nil
	case "cp932", "windows31j", "cswindows31j", "ms932", "mskanji", "shiftjis", "sjis", "xsjis", "csshiftjis":
		return japanese.ShiftJIS, nil
	case "cp1252", "windows1252", "xcp1252", "iso88591", "latin1", "l1", "cp819", "ibm819", "csisolatin1":
		return charmap.Windows1252, nil
	case "iso885915", "latin9", "l9":
		return charmap.ISO8859_15, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnsupportedCharset, charset)
}
