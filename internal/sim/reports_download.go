package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report documents are downloaded from a presigned URL on the simulator's
// own server, shaped like the S3 URLs getReportDocument returns:
//
//	GET /sim-s3/{reportDocumentId}?X-Amz-Algorithm=AWS4-HMAC-SHA256
//	    &X-Amz-Credential=…&X-Amz-Date=20250301T120000Z&X-Amz-Expires=300
//	    &X-Amz-SignedHeaders=host[&response-content-encoding=gzip]
//	    &X-Amz-Signature=<64 hex digits>
//
// Like S3 it needs no SP-API access token and counts against no usage
// plan. The signature is an HMAC of the document id and every other query
// parameter, so an edited URL is refused; the URL is good for
// X-Amz-Expires (300) seconds after X-Amz-Date on the limiter clock.
// Refusals are S3's XML errors: 403 AccessDenied "Request has expired",
// 403 SignatureDoesNotMatch, 403 AccessDenied "Access Denied" without a
// signature, 400 InvalidArgument for a request that also carries an
// Authorization header (S3 takes one authentication mechanism, so a client
// that signs or bears a token on every request fails here as on Amazon),
// and 404 NoSuchKey for a document past retention.

const documentPathPrefix = "/sim-s3/"

// documentURLTTL is how long a document URL works: "This URL expires
// after 5 minutes" (the model's ReportDocument.url).
const documentURLTTL = 5 * time.Minute

const amzDateLayout = "20060102T150405Z"

// documentKey signs document URLs; it comes from the seed, so the same
// run issues the same URLs.
func (s *Sim) documentKey() []byte {
	k := sha256.Sum256([]byte("spsync-sim-s3|" + strconv.FormatInt(s.opts.Seed, 10)))
	return k[:]
}

// documentSignature signs a document id and the query parameters other
// than X-Amz-Signature, as S3 signs a presigned URL's canonical query.
func (s *Sim) documentSignature(docID string, q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "X-Amz-Signature" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	mac := hmac.New(sha256.New, s.documentKey())
	mac.Write([]byte(docID))
	for _, k := range keys {
		for _, v := range q[k] {
			fmt.Fprintf(mac, "\n%s=%s", k, v)
		}
	}
	return hex.EncodeToString(mac.Sum(nil))
}

// presign returns the URL of a document on the server that req reached,
// issued now on the limiter clock.
func (s *Sim) presign(req *http.Request, docID string, gzipHeader bool) string {
	now := s.opts.LimiterClock.Now().UTC()
	q := url.Values{}
	q.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
	q.Set("X-Amz-Credential", "ASIASIMREPORTDOCS000/"+now.Format("20060102")+"/us-east-1/s3/aws4_request")
	q.Set("X-Amz-Date", now.Format(amzDateLayout))
	q.Set("X-Amz-Expires", strconv.Itoa(int(documentURLTTL/time.Second)))
	q.Set("X-Amz-SignedHeaders", "host")
	if gzipHeader {
		q.Set("response-content-encoding", "gzip")
	}
	q.Set("X-Amz-Signature", s.documentSignature(docID, q))
	scheme := "http"
	if req.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + req.Host + documentPathPrefix + url.PathEscape(docID) + "?" + q.Encode()
}

// s3Error is S3's XML error body.
type s3Error struct {
	XMLName           xml.Name `xml:"Error"`
	Code              string   `xml:"Code"`
	Message           string   `xml:"Message"`
	Expires           string   `xml:"X-Amz-Expires,omitempty"`
	ExpiresAt         string   `xml:"Expires,omitempty"`
	ServerTime        string   `xml:"ServerTime,omitempty"`
	SignatureProvided string   `xml:"SignatureProvided,omitempty"`
	Key               string   `xml:"Key,omitempty"`
	RequestID         string   `xml:"RequestId"`
	HostID            string   `xml:"HostId"`
}

func writeS3Error(w http.ResponseWriter, status int, e s3Error) {
	body, _ := xml.Marshal(e)
	body = append([]byte(xml.Header), body...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// handleDocumentDownload serves GET /sim-s3/{documentId}.
func (s *Sim) handleDocumentDownload(w http.ResponseWriter, r *http.Request) {
	reqID := strings.ToUpper(fmt.Sprintf("%016x", hash64(0, s.requestID())))
	hostID := fmt.Sprintf("%x", hash64(1, reqID))
	w.Header().Set("x-amz-request-id", reqID)
	w.Header().Set("x-amz-id-2", hostID)
	id := r.PathValue("documentId")
	q := r.URL.Query()
	doc, lastModified, status, fail := s.documentFor(r, id, q)
	if fail != nil {
		fail.RequestID, fail.HostID = reqID, hostID
		writeS3Error(w, status, *fail)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/tab-separated-values; charset="+doc.charset)
	h.Set("Content-Length", strconv.Itoa(len(doc.gz)))
	h.Set("ETag", doc.etag)
	h.Set("Last-Modified", lastModified.Format(http.TimeFormat))
	if q.Get("response-content-encoding") == "gzip" {
		h.Set("Content-Encoding", "gzip")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc.gz) // a document never changes once rendered
}

// documentFor checks a download request and returns the document, or the
// S3 error to answer, counting the download either way.
func (s *Sim) documentFor(r *http.Request, id string, q url.Values) (*reportDoc, time.Time, int, *s3Error) {
	now := s.opts.LimiterClock.Now().UTC()
	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	rep := s.reports.docs[id]
	if rep != nil {
		if d, err := s.data(rep.account); err == nil {
			s.reportStore(d) // retention
		}
		rep = s.reports.docs[id]
	}
	refuse := func(status int, e s3Error) (*reportDoc, time.Time, int, *s3Error) {
		if rep != nil {
			s.reports.accounts[rep.account].stats.RefusedDownloads++
		}
		return nil, time.Time{}, status, &e
	}

	if r.Header.Get("Authorization") != "" {
		return refuse(http.StatusBadRequest, s3Error{Code: "InvalidArgument", Message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"})
	}
	sig := q.Get("X-Amz-Signature")
	if sig == "" || q.Get("X-Amz-Algorithm") == "" {
		return refuse(http.StatusForbidden, s3Error{Code: "AccessDenied", Message: "Access Denied"})
	}
	if !hmac.Equal([]byte(sig), []byte(s.documentSignature(id, q))) {
		return refuse(http.StatusForbidden, s3Error{Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.", SignatureProvided: sig})
	}
	issued, err := time.Parse(amzDateLayout, q.Get("X-Amz-Date"))
	expires, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || err2 != nil {
		return refuse(http.StatusBadRequest, s3Error{Code: "AuthorizationQueryParametersError", Message: "X-Amz-Date and X-Amz-Expires must be a date and a number of seconds."})
	}
	if deadline := issued.Add(time.Duration(expires) * time.Second); now.After(deadline) {
		return refuse(http.StatusForbidden, s3Error{Code: "AccessDenied", Message: "Request has expired", Expires: strconv.Itoa(expires),
			ExpiresAt: deadline.Format(time.RFC3339), ServerTime: now.Format(time.RFC3339)})
	}
	if rep == nil || rep.doc == nil {
		return refuse(http.StatusNotFound, s3Error{Code: "NoSuchKey", Message: "The specified key does not exist.", Key: id})
	}
	st := s.reports.accounts[rep.account]
	st.stats.Downloads++
	st.downloads[rep.rep.ReportID]++
	return rep.doc, rep.rep.ProcessingEndTime, http.StatusOK, nil
}
