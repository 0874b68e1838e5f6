package spapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"
)

// DefaultMaxBodyBytes is the response size limit when Options.MaxBodyBytes is zero. The
// largest legitimate answers (a 100-order getOrders page, a fulfillment order with many
// shipments) are well under 1 MiB.
const DefaultMaxBodyBytes = 10 << 20

// DefaultUserAgent is sent when Options.UserAgent is empty; Amazon asks for an application
// name and language in the User-Agent.
const DefaultUserAgent = "spsync/1.0 (Language=Go)"

// Options configure a Client. Only credentials (or a TokenSource) are required.
type Options struct {
	// Region selects the endpoint and is part of the identity of rate limits. Defaults to
	// RegionNA.
	Region Region
	// Sandbox selects Amazon's sandbox host of the region instead of production.
	Sandbox bool
	// Endpoint overrides the SP-API base URL (simulator, proxy, tests), e.g.
	// "http://127.0.0.1:8081". Region is still validated.
	Endpoint string
	// LWAEndpoint overrides the LWA token URL. Defaults to DefaultLWAEndpoint.
	LWAEndpoint string
	// Credentials are used to build an LWATokenSource when TokenSource is nil.
	Credentials Credentials
	// TokenSource replaces the built-in LWA token source, e.g. to share one cache between
	// clients of the same seller or to use a Restricted Data Token.
	TokenSource TokenSource
	// HTTPClient sends every request, SP-API and LWA alike. Defaults to a client with a 60
	// second timeout.
	HTTPClient *http.Client
	// MaxBodyBytes limits how much of a response body is read. Defaults to
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// UserAgent is sent with every SP-API request. Defaults to DefaultUserAgent.
	UserAgent string
	// TokenExpirySkew is passed to the built-in LWA token source. Defaults to 60 seconds.
	TokenExpirySkew time.Duration
	// Now is the clock of the built-in LWA token source, for tests. Defaults to time.Now.
	Now func() time.Time
	// Account names the seller account in auth errors, so an operator with several accounts
	// knows whose credentials to fix. Optional.
	Account string
	// DownloadIdleTimeout is how long a report document download (DownloadReportDocument)
	// may wait for the storage server, for the response headers or for the next bytes of the
	// body, before it fails as stalled. Defaults to 60 seconds. A download has no overall
	// deadline of its own and HTTPClient's Timeout is not applied to it, because a large
	// document takes longer than any fixed limit to stream; the caller's context bounds it.
	DownloadIdleTimeout time.Duration
	// OnResponse, when set, is called with the metadata of every SP-API response
	// received, successful or not (429s included), before the body is decoded. The rate
	// budget learns from it (x-amzn-RateLimit-Limit, throttles) without every call site
	// having to remember to report.
	OnResponse func(ctx context.Context, meta ResponseMeta)
	// LargeAnswers, when set, bounds how many answers of more than
	// LargeAnswer bytes are decoded at once, with every other holder of the
	// same semaphore (the worker shares it with its page transactions:
	// jobs.Deps.HeavyWork). Decoding a page of 100 orders is CPU work that
	// lighter calls would otherwise wait behind.
	LargeAnswers *semaphore.Weighted
}

// LargeAnswer is the size from which an answer is decoded under
// Options.LargeAnswers: a page of orders is hundreds of kilobytes, a
// fulfillment order's details or a package's tracking a few.
const LargeAnswer = 32 << 10

// String describes the options with secrets redacted.
func (o Options) String() string {
	return fmt.Sprintf("Options{Region: %q, Sandbox: %t, Endpoint: %q, LWAEndpoint: %q, %s, MaxBodyBytes: %d}",
		string(o.Region), o.Sandbox, o.Endpoint, o.LWAEndpoint, o.Credentials, o.MaxBodyBytes)
}

// GoString makes %#v redact like String.
func (o Options) GoString() string { return "spapi." + o.String() }

// Format makes every fmt verb print the redacted form.
func (o Options) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// LogValue makes slog print the redacted form.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("region", string(o.Region)),
		slog.Bool("sandbox", o.Sandbox),
		slog.String("endpoint", o.Endpoint),
		slog.String("lwa_endpoint", o.LWAEndpoint),
		slog.Any("credentials", o.Credentials),
	)
}

// Client calls SP-API operations for one seller in one region. It is safe for concurrent
// use; share one per (account, region) so the access token is refreshed once for all.
type Client struct {
	region    Region
	base      *url.URL
	tokens    TokenSource
	http      *http.Client
	maxBody   int64
	userAgent string
	account   string
	onResp    func(ctx context.Context, meta ResponseMeta)
	large     *semaphore.Weighted
	// download fetches report documents: http without its overall Timeout (see
	// Options.DownloadIdleTimeout), which downloadIdle replaces.
	download     *http.Client
	downloadIdle time.Duration
}

// NewClient validates opts, applies defaults and returns a ready Client. It makes no
// request; the first call fetches the access token.
func NewClient(opts Options) (*Client, error) {
	region := opts.Region
	if region == "" {
		region = RegionNA
	}
	region, err := ParseRegion(string(region))
	if err != nil {
		return nil, err
	}
	endpoint := opts.Endpoint
	if endpoint == "" {
		if endpoint, err = region.Endpoint(opts.Sandbox); err != nil {
			return nil, err
		}
	}
	base, err := parseBaseURL(endpoint)
	if err != nil {
		return nil, fmt.Errorf("spapi: SP-API endpoint: %w", err)
	}
	c := &Client{
		region:    region,
		base:      base,
		tokens:    opts.TokenSource,
		http:      opts.HTTPClient,
		maxBody:   opts.MaxBodyBytes,
		userAgent: opts.UserAgent,
		account:   opts.Account,
		onResp:    opts.OnResponse,
		large:     opts.LargeAnswers,
	}
	if c.account == "" {
		c.account = "(unnamed)"
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 60 * time.Second, Transport: sharedTransport}
	}
	download := *c.http
	download.Timeout = 0
	c.download = &download
	c.downloadIdle = opts.DownloadIdleTimeout
	if c.downloadIdle <= 0 {
		c.downloadIdle = DefaultDownloadIdleTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.tokens == nil {
		c.tokens, err = NewLWATokenSource(LWAOptions{
			Credentials: opts.Credentials,
			Endpoint:    opts.LWAEndpoint,
			HTTPClient:  c.http,
			ExpirySkew:  opts.TokenExpirySkew,
			Now:         opts.Now,
		})
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Region returns the client's region, for budget keys and logs.
func (c *Client) Region() Region { return c.region }

// String describes the client without secrets.
func (c *Client) String() string {
	return fmt.Sprintf("spapi.Client{Region: %q, Endpoint: %q}", string(c.region), c.base.String())
}

// GoString makes %#v redact like String.
func (c *Client) GoString() string { return c.String() }

// Format makes every fmt verb print the redacted form.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue makes slog print the redacted form.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("region", string(c.region)), slog.String("endpoint", c.base.String()))
}

// ResponseMeta is what every successful call reports besides its payload: the rate limit
// Amazon applied (for the budget package) and the request id (for logs).
type ResponseMeta struct {
	// Op is the operation name.
	Op string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// RequestID is the x-amzn-RequestId header, empty when absent.
	RequestID string
	// RateLimit is the x-amzn-RateLimit-Limit header in requests per second, 0 when absent
	// or unparsable.
	RateLimit float64
	// PermissionDenied is set on a 403 that is not about the access token (a role or API
	// the application lacks); Denial then holds Amazon's errors[] as text.
	PermissionDenied bool
	Denial           string
}

func metaFromResponse(op string, resp *http.Response) ResponseMeta {
	m := ResponseMeta{Op: op, StatusCode: resp.StatusCode, RequestID: resp.Header.Get("x-amzn-RequestId")}
	if v := strings.TrimSpace(resp.Header.Get("x-amzn-RateLimit-Limit")); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
			m.RateLimit = f
		}
	}
	return m
}

func (m ResponseMeta) errorf(kind Kind, err error) *Error {
	return &Error{Op: m.Op, Kind: kind, StatusCode: m.StatusCode, RequestID: m.RequestID, RateLimit: m.RateLimit, Err: err}
}

// withAPIErrors fills APIErrors from an error body, when it has Amazon's shape.
func (e *Error) withAPIErrors(body []byte) *Error {
	var env envelope
	if json.Unmarshal(body, &env) == nil {
		e.APIErrors = env.Errors
	}
	return e
}

// envelope is the {"payload":…,"errors":[…]} wrapper every synced operation answers with.
type envelope struct {
	Payload json.RawMessage `json:"payload"`
	Errors  []APIError      `json:"errors"`
}

// get sends a GET for op, with one retry on 401 after invalidating the token, and decodes
// the payload into out. out is only meaningful when the error is nil.
func (c *Client) get(ctx context.Context, op, path string, query url.Values, out any) (ResponseMeta, error) {
	return c.getBody(ctx, op, path, query, out, decodePayload)
}

// getBare is get for the newer APIs (Orders 2026-01-01) whose answers have no
// {"payload": …} envelope: the body is the result.
func (c *Client) getBare(ctx context.Context, op, path string, query url.Values, out any) (ResponseMeta, error) {
	return c.getBody(ctx, op, path, query, out, decodeBare)
}

// getBody sends a GET for op and decodes a successful body with decode.
func (c *Client) getBody(ctx context.Context, op, path string, query url.Values, out any, decode func(op string, body []byte, out any) error) (ResponseMeta, error) {
	return c.send(ctx, op, http.MethodGet, path, query, nil, out, decode)
}

// postBare sends a POST for op with in as its JSON body and decodes a successful answer
// without envelope (Reports 2021-06-30) into out. It goes through the same token refresh,
// OnResponse hook and classification as a GET; the one retry after a refused token is safe
// for a POST because a refused request was not acted on.
func (c *Client) postBare(ctx context.Context, op, path string, in, out any) (ResponseMeta, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return ResponseMeta{Op: op}, &Error{Op: op, Kind: KindInvalidInput, Err: fmt.Errorf("encoding request body: %w", err)}
	}
	return c.send(ctx, op, http.MethodPost, path, nil, body, out, decodeBare)
}

// send sends one SP-API request for op, with one retry on a refused token after
// invalidating it, and decodes a successful body with decode. body, when not nil, is sent
// as JSON.
func (c *Client) send(ctx context.Context, op, method, path string, query url.Values, body []byte, out any, decode func(op string, body []byte, out any) error) (ResponseMeta, error) {
	// path is already escaped (identifiers go through url.PathEscape).
	target := strings.TrimSuffix(c.base.String(), "/") + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}

	for attempt := 0; ; attempt++ {
		token, err := c.tokens.Token(ctx)
		if err != nil {
			return ResponseMeta{Op: op}, fmt.Errorf("spapi: %s: getting access token: %w", op, err)
		}
		var reqBody io.Reader
		if body != nil {
			reqBody = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, target, reqBody)
		if err != nil {
			return ResponseMeta{Op: op}, &Error{Op: op, Kind: KindPermanent, Err: err}
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("x-amz-access-token", token)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.userAgent)
		req.Header.Set("x-amz-date", time.Now().UTC().Format("20060102T150405Z"))

		resp, err := c.http.Do(req)
		if err != nil {
			// Timeouts, resets, refused connections, EOF before headers and cancelled
			// contexts all land here; the cause stays reachable through Unwrap.
			return ResponseMeta{Op: op}, &Error{Op: op, Kind: KindRetryable, Err: err}
		}
		meta := metaFromResponse(op, resp)
		respBody, readErr := readLimited(resp.Body, c.maxBody)
		_ = resp.Body.Close()
		refused := tokenRefused(resp.StatusCode, respBody)
		secretRefused := !refused && lwaSecretRefused(resp.StatusCode, respBody)
		if resp.StatusCode == http.StatusForbidden && !refused && !secretRefused {
			meta.PermissionDenied = true
			meta.Denial = meta.errorf(KindPermission, nil).withAPIErrors(respBody).Error()
		}
		if c.onResp != nil {
			c.onResp(ctx, meta)
		}

		if secretRefused {
			// The token came from a client secret SP-API does not accept
			// (a new one still propagating, an old one past its expiry): a
			// source that knows other secrets switches, once.
			if sr, ok := c.tokens.(SecretRefuser); ok && attempt == 0 {
				sr.RefuseSecret(token)
				continue
			}
			e := meta.errorf(KindAuth, fmt.Errorf("%w: account %s", ErrSecretRefused, c.account))
			return meta, e.withAPIErrors(respBody)
		}
		if refused {
			if attempt == 0 {
				// One refresh per invalidated token, whoever sees it first: Invalidate
				// drops the token only while it is still the cached one.
				c.tokens.Invalidate(token)
				continue
			}
			e := meta.errorf(KindAuth, fmt.Errorf("%w: account %s: the access token was refused again right after a refresh", ErrTokenRefused, c.account))
			return meta, e.withAPIErrors(respBody)
		}
		if readErr != nil {
			kind := KindRetryable
			if errors.Is(readErr, ErrResponseTooLarge) {
				kind = KindPermanent
			}
			e := meta.errorf(kind, readErr)
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				e.Kind = kindForStatus(resp.StatusCode)
			}
			return meta, e
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return meta, meta.errorf(kindForStatus(resp.StatusCode), nil).withAPIErrors(respBody)
		}
		if err := c.decodeAnswer(ctx, op, respBody, out, decode); err != nil {
			kind := KindRetryable
			if errors.Is(err, ErrIncompleteRecord) {
				// The same answer comes back on every retry.
				kind = KindPermanent
			}
			return meta, meta.errorf(kind, err)
		}
		return meta, nil
	}
}

// decodeAnswer decodes body with decode, a large one under c.large.
func (c *Client) decodeAnswer(ctx context.Context, op string, body []byte, out any, decode func(op string, body []byte, out any) error) error {
	if c.large != nil && len(body) > LargeAnswer {
		if err := c.large.Acquire(ctx, 1); err != nil {
			return fmt.Errorf("waiting to decode a %d-byte answer: %w", len(body), err)
		}
		defer c.large.Release(1)
	}
	return decode(op, body, out)
}

// decodePayload decodes the envelope's payload of op into out with the tolerant decoder
// (decode.go). A missing or null payload is malformed: every synced operation documents one
// on success.
func decodePayload(op string, body []byte, out any) error {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedResponse, err)
	}
	if isNull(env.Payload) {
		return fmt.Errorf("%w: no payload", ErrMalformedResponse)
	}
	return decodeAnswer(op, env.Payload, out)
}

// decodeBare decodes a body without envelope into out with the tolerant
// decoder. An empty body or a JSON null is malformed.
func decodeBare(op string, body []byte, out any) error {
	body = bytes.TrimSpace(body)
	if isNull(body) {
		return fmt.Errorf("%w: empty body", ErrMalformedResponse)
	}
	if !json.Valid(body) {
		return fmt.Errorf("%w: not JSON", ErrMalformedResponse)
	}
	return decodeAnswer(op, body, out)
}

// tokenRefused reports whether an answer says the access token itself is no good, which a
// fresh token fixes. Amazon answers an expired, revoked or invalidated token with 403
// Unauthorized and says why in details ("The access token you provided has expired.",
// "... is revoked, malformed or invalid."; amzn/selling-partner-api-models#4122, #2333,
// #2595), sometimes before the token's expires_in. A 401 means the same. Any other 403 (a
// role the application lacks, an API it was not granted) is not fixed by a new token.
func tokenRefused(status int, body []byte) bool {
	switch status {
	case http.StatusUnauthorized:
		return true
	case http.StatusForbidden:
	default:
		return false
	}
	var env envelope
	if json.Unmarshal(body, &env) != nil {
		return false
	}
	for _, e := range env.Errors {
		if !strings.EqualFold(e.Code, "Unauthorized") {
			continue
		}
		d := strings.ToLower(e.Details + " " + e.Message)
		if strings.Contains(d, "access token") && (strings.Contains(d, "expired") || strings.Contains(d, "revoked") ||
			strings.Contains(d, "malformed") || strings.Contains(d, "invalid")) {
			return true
		}
	}
	return false
}

// lwaSecretRefused reports whether SP-API refused a token because of the
// LWA client secret that minted it: 403 Unauthorized "The LWA secret token
// you provided has expired." (selling-partner-api-models#4489: a freshly
// rotated secret for about 30 minutes). A new token from the same secret
// does not help; another secret may.
func lwaSecretRefused(status int, body []byte) bool {
	if status != http.StatusForbidden {
		return false
	}
	var env envelope
	if json.Unmarshal(body, &env) != nil {
		return false
	}
	for _, e := range env.Errors {
		d := strings.ToLower(e.Details + " " + e.Message)
		if strings.EqualFold(e.Code, "Unauthorized") && strings.Contains(d, "lwa secret") {
			return true
		}
	}
	return false
}

// SecretRefuser is a TokenSource that knows several client secrets: told
// that SP-API refused a token because of its secret, it stops using that
// secret for a while and invalidates the token.
type SecretRefuser interface {
	RefuseSecret(token string)
}

// readLimited reads at most limit bytes of r and fails with ErrResponseTooLarge beyond it,
// so a huge or endless body costs at most limit+1 bytes of memory.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w (%d bytes)", ErrResponseTooLarge, limit)
	}
	return body, nil
}

// parseBaseURL accepts an absolute http(s) URL without query or fragment.
func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q must not have a query or fragment", s)
	}
	return u, nil
}

// pathSegment escapes one identifier for use in a path, so an id containing "/" or "?"
// cannot change the route.
func pathSegment(id string) string { return url.PathEscape(id) }

// formatTime renders a request timestamp the way Amazon documents it: ISO 8601 in UTC.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// setTime adds a timestamp parameter when t is set.
func setTime(q url.Values, key string, t time.Time) {
	if !t.IsZero() {
		q.Set(key, formatTime(t))
	}
}

// setList adds a comma-separated list parameter when values is not empty, the form Amazon's
// models declare for array query parameters.
func setList(q url.Values, key string, values []string) {
	if len(values) > 0 {
		q.Set(key, strings.Join(values, ","))
	}
}

// setString adds a parameter when v is not empty.
func setString(q url.Values, key, v string) {
	if v != "" {
		q.Set(key, v)
	}
}

// invalidInput is the error for a request refused before sending.
func invalidInput(op, format string, args ...any) error {
	return &Error{Op: op, Kind: KindInvalidInput, Err: fmt.Errorf(format, args...)}
}

// sharedTransport is the default transport of every Client: one pool of
// connections to each SP-API host for all the accounts of a process.
// http.DefaultTransport keeps only two idle connections per host, so with
// a few hundred calls in flight across sellers (Amazon answers in 200–600
// ms) nearly every call would open, and TLS-handshake, a connection of
// its own and leave it in TIME_WAIT.
var sharedTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	return t
}()

// MaxIdleConnsPerHost is how many idle connections to one SP-API host the
// default transport keeps for reuse: more than the worker slots that call
// one host at once (SPSYNC_MAX_WORKERS' default, 200).
const MaxIdleConnsPerHost = 256
