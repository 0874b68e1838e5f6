package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// apiError is one element of Amazon's {"errors":[...]} body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details string `json:"details"`
}

// errorBody is Amazon's error envelope.
type errorBody struct {
	Errors []apiError `json:"errors"`
}

// failure is an error answer chosen by an operation handler.
type failure struct {
	status int
	err    apiError
	// errorType, when set, is sent as x-amzn-ErrorType, the header Amazon
	// adds to some refusals (AccessDeniedException on a 403 for a missing
	// role, amzn/selling-partner-api-models#737).
	errorType string
}

func invalidInput(msg string) *failure {
	return &failure{status: http.StatusBadRequest, err: apiError{"InvalidInput", msg, ""}}
}

func notFound(msg string) *failure {
	return &failure{status: http.StatusNotFound, err: apiError{"NotFound", msg, ""}}
}

// call is the context of one authenticated request of one operation.
type call struct {
	r       *http.Request
	account string
	data    *accountData
	now     int64 // data clock, unix seconds
	entity  string
	// status is the success status to answer instead of 200 (createReport
	// answers 202 Accepted).
	status int
}

// opHandler answers one operation with a payload or a failure.
type opHandler func(c *call) (any, *failure)

func (s *Sim) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/o2/token", s.handleToken)
	s.route(mux, OpGetOrders, "GET /orders/v0/orders", s.getOrders)
	s.route(mux, OpGetOrder, "GET /orders/v0/orders/{orderId}", s.getOrder)
	s.route(mux, OpGetOrderItems, "GET /orders/v0/orders/{orderId}/orderItems", s.getOrderItems)
	s.route(mux, OpListAllFulfillmentOrders, "GET /fba/outbound/2020-07-01/fulfillmentOrders", s.listAllFulfillmentOrders)
	s.route(mux, OpGetFulfillmentOrder, "GET /fba/outbound/2020-07-01/fulfillmentOrders/{sellerFulfillmentOrderId}", s.getFulfillmentOrder)
	s.route(mux, OpGetPackageTrackingDetails, "GET /fba/outbound/2020-07-01/tracking", s.getPackageTrackingDetails)
	s.route(mux, OpGetServiceJobs, "GET /service/v1/serviceJobs", s.getServiceJobs)
	s.route(mux, OpGetServiceJobByServiceJobID, "GET /service/v1/serviceJobs/{serviceJobId}", s.getServiceJobByID)
	s.route(mux, OpSearchOrders, "GET /orders/2026-01-01/orders", s.searchOrders)
	s.route(mux, OpGetOrder2026, "GET /orders/2026-01-01/orders/{orderId}", s.getOrder2026)
	s.route(mux, OpCreateReport, "POST /reports/2021-06-30/reports", s.createReport)
	s.route(mux, OpGetReports, "GET /reports/2021-06-30/reports", s.getReports)
	s.route(mux, OpGetReport, "GET /reports/2021-06-30/reports/{reportId}", s.getReport)
	s.route(mux, OpGetReportDocument, "GET /reports/2021-06-30/documents/{reportDocumentId}", s.getReportDocument)
	// Finances 2024-06-19 (ops_finances.go).
	s.route(mux, OpListTransactions, "GET /finances/2024-06-19/transactions", s.listTransactions)
	s.notificationRoutes(mux)  // ops_notifications.go
	s.applicationRoutes(mux)   // ops_application.go
	s.sellerCentralRoutes(mux) // sellercentral.go: not SP-API, no access token
	// The document itself, at a presigned-like URL: not an SP-API call, so
	// no access token, usage plan or SP-API fault applies (reports_download.go).
	mux.HandleFunc("GET "+documentPathPrefix+"{documentId}", s.handleDocumentDownload)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-amzn-RequestId", s.requestID())
		writeJSON(w, http.StatusNotFound, errorBody{[]apiError{{"NotFound", "Resource not found.", r.URL.Path}}})
	})
	s.mux = mux
}

// ServeHTTP makes Sim an http.Handler.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// route wraps an operation with what every SP-API call goes through, in
// Amazon's order: the answer's latency (Options.Latency), request id, authentication, injected latency, the usage
// plan, injected transport and server faults, the model's request
// constraints (modelrules.go), the operation itself, Amazon's real shapes
// (shapes.go) and finally injected body corruption.
func (s *Sim) route(mux *http.ServeMux, op, pattern string, h opHandler) {
	s.patterns[op] = pattern
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w = s.answerLatency(w, r) // every answer, refusals included, after the usage plan saw it (scale.go)
		w.Header().Set("x-amzn-RequestId", s.requestID())
		tok := r.Header.Get("x-amz-access-token")
		account, verdict := s.tokens.check(tok)
		switch verdict {
		case tokenMissing:
			s.stats.record("", op, http.StatusForbidden)
			writeJSON(w, http.StatusForbidden, errorBody{[]apiError{{"Unauthorized", "Access to requested resource is denied.", "The request has no x-amz-access-token header."}}})
			return
		case tokenInvalid:
			s.stats.record("", op, http.StatusForbidden)
			writeJSON(w, http.StatusForbidden, errorBody{[]apiError{{"Unauthorized", "Access to requested resource is denied.", "The access token you provided is revoked, malformed or invalid."}}})
			return
		case tokenExpired:
			s.stats.record(account, op, http.StatusForbidden)
			writeExpired(w)
			return
		case tokenWrongKind:
			s.stats.record("", op, http.StatusForbidden)
			writeWrongKind(w)
			return
		case tokenSecretPropagating:
			s.stats.record(account, op, http.StatusForbidden)
			writeSecretPropagating(w)
			return
		}
		code := s.serveOp(w, r, op, account, tok, h)
		s.stats.record(account, op, code)
	})
}

// writeExpired answers a call made with an expired access token as Amazon
// does: 403, not 401, with the same code and message as a revoked or forged
// token. Only details tells them apart, so a client that wants to refresh
// and retry (and not page an operator) has to read it.
func writeExpired(w http.ResponseWriter) {
	writeJSON(w, http.StatusForbidden, errorBody{[]apiError{{"Unauthorized", "Access to requested resource is denied.", "The access token you provided has expired."}}})
}

// writeSecretPropagating answers a token minted with a client secret
// rotated less than NewSecretPropagation ago, when SP-API (not LWA) is the
// one refusing it (Options.NewSecretRefusal): the text users reported in
// selling-partner-api-models#4489.
func writeSecretPropagating(w http.ResponseWriter) {
	writeJSON(w, http.StatusForbidden, errorBody{[]apiError{{"Unauthorized", "Access to requested resource is denied.", "The LWA secret token you provided has expired."}}})
}

// writeWrongKind answers a grantless token on a seller's operation, or a
// seller's token on a grantless one, as Amazon does: 403 Unauthorized
// without details. A new token of the same kind does not help, so it is not
// one of the token-refused answers a client refreshes on.
func writeWrongKind(w http.ResponseWriter) {
	writeJSON(w, http.StatusForbidden, errorBody{[]apiError{{"Unauthorized", "Access to requested resource is denied.", ""}}})
}

var (
	bodyInternal    = errorBody{[]apiError{{"InternalFailure", "We encountered an internal error. Please try again.", ""}}}
	bodyUnavailable = errorBody{[]apiError{{"ServiceUnavailable", "Service temporarily unavailable. Please try again.", ""}}}
	bodyQuota       = errorBody{[]apiError{{"QuotaExceeded", "You exceeded your quota for the requested resource.", ""}}}
)

// serveOp runs one authenticated call and returns the status it answered
// (0 for a dropped connection).
func (s *Sim) serveOp(w http.ResponseWriter, r *http.Request, op, account, tok string, h opHandler) int {
	fs := s.faults
	if fs.roll(op, func(f Faults) float64 { return f.ExpireAccessToken }) {
		s.tokens.expire(tok)
		writeExpired(w)
		return http.StatusForbidden
	}
	if fs.roll(op, func(f Faults) float64 { return f.Latency }) {
		s.sleep(r.Context(), fs.get().LatencyDuration)
	}
	if fs.forcedThrottle(account, op) || !s.limiter.take(account, op) {
		if s.opts.RateLimitHeaderOn429 {
			w.Header().Set("x-amzn-RateLimit-Limit", s.limiter.rateHeader(op))
		}
		writeJSON(w, http.StatusTooManyRequests, bodyQuota)
		return http.StatusTooManyRequests
	}
	if fs.roll(op, func(f Faults) float64 { return f.DropConnection }) {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return 0
			}
		}
		panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort the stream instead
	}
	if fs.roll(op, func(f Faults) float64 { return f.Error500 }) {
		writeJSON(w, http.StatusInternalServerError, bodyInternal)
		return http.StatusInternalServerError
	}
	if fs.roll(op, func(f Faults) float64 { return f.Error503 }) {
		writeJSON(w, http.StatusServiceUnavailable, bodyUnavailable)
		return http.StatusServiceUnavailable
	}
	// Amazon's sandbox answers its static examples and nothing else, before
	// any rule (ops_finances.go).
	if s.opts.Sandbox {
		if status, body, ok := sandboxAnswer(op, r); ok {
			if status < 300 {
				w.Header().Set("x-amzn-RateLimit-Limit", s.limiter.rateHeader(op))
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(status)
			_, _ = w.Write(body)
			return status
		}
	}
	// What the models refuse is refused here, for every operation alike,
	// before the operation's own rules (modelrules.go).
	if fail := checkModel(op, r); fail != nil {
		writeJSON(w, fail.status, errorBody{[]apiError{fail.err}})
		return fail.status
	}
	var d *accountData
	if !isAppKey(account) { // a grantless call acts for no seller
		var err error
		if d, err = s.data(account); err != nil {
			writeJSON(w, http.StatusInternalServerError, bodyInternal)
			return http.StatusInternalServerError
		}
	}
	c := &call{r: r, account: account, data: d, now: s.dataNow()}
	payload, fail := h(c)
	if fail != nil {
		if fail.errorType != "" {
			w.Header().Set("x-amzn-ErrorType", fail.errorType)
		}
		writeJSON(w, fail.status, errorBody{[]apiError{fail.err}})
		return fail.status
	}
	if c.entity != "" {
		s.stats.recordEntity(account, op, c.entity)
	}
	if c.status == http.StatusNoContent { // no body at all (rotateApplicationClientSecret)
		w.Header().Set("x-amzn-RateLimit-Limit", s.limiter.rateHeader(op))
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent
	}
	body, err := encodePayload(d, op, payload, s.opts.CleanShapes)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, bodyInternal)
		return http.StatusInternalServerError
	}
	switch {
	case fs.roll(op, func(f Faults) float64 { return f.MalformedJSON }):
		body = append([]byte(`{"payload": <html><body>Internal proxy error</body></html>`), '\n')
	case fs.roll(op, func(f Faults) float64 { return f.TruncatedJSON }):
		body = body[:len(body)/2]
	}
	w.Header().Set("x-amzn-RateLimit-Limit", s.limiter.rateHeader(op))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	status := http.StatusOK
	if c.status != 0 {
		status = c.status
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

// sleep waits d for injected latency, or calls Options.Sleep.
func (s *Sim) sleep(ctx context.Context, d time.Duration) {
	if s.opts.Sleep != nil {
		s.opts.Sleep(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
