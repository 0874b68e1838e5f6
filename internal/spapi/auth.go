package spapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const redacted = "[REDACTED]"

// opLWA is the Op of errors from the LWA token endpoint.
const opLWA = "lwaRefreshToken"

// opLWAGrantless is the Op of errors from the LWA token endpoint for the client-credentials
// grant of grantless operations.
const opLWAGrantless = "lwaClientCredentials"

// ScopeNotifications is the LWA scope of the client-credentials token that the Notifications
// API's grantless operations (GrantlessOps) take.
const ScopeNotifications = "sellingpartnerapi::notifications"

// ScopeClientCredentialRotation is the LWA scope of the client-credentials token that the
// Application Management API's rotateApplicationClientSecret takes (Amazon's lwa-rotation
// sample, Constants.java).
const ScopeClientCredentialRotation = "sellingpartnerapi::client_credential:rotation"

// Credentials are the LWA application credentials and the seller's refresh token. They are
// secrets: every formatting path (String, GoString, Format, LogValue, MarshalJSON) redacts
// ClientSecret and RefreshToken, so a config dump or a log line cannot leak them.
type Credentials struct {
	// ClientID is the LWA application client id; it is not secret and is shown in logs.
	ClientID string
	// ClientSecret is the LWA application client secret.
	ClientSecret string
	// RefreshToken is the seller's long-lived LWA refresh token.
	RefreshToken string
}

func redact(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}

// String returns the credentials with secrets redacted.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{ClientID: %q, ClientSecret: %s, RefreshToken: %s}",
		c.ClientID, redact(c.ClientSecret), redact(c.RefreshToken))
}

// GoString makes %#v redact like String.
func (c Credentials) GoString() string { return "spapi." + c.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %d, %x, …) print the redacted form.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue makes slog print the redacted form.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", redact(c.ClientSecret)),
		slog.String("refresh_token", redact(c.RefreshToken)),
	)
}

// MarshalJSON redacts secrets so that a JSON config dump is as safe as a log line.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"client_id":     c.ClientID,
		"client_secret": redact(c.ClientSecret),
		"refresh_token": redact(c.RefreshToken),
	})
}

// redactSecrets replaces every occurrence of a secret in s, for text that came from a server
// and might echo what it was sent.
func (c Credentials) redactSecrets(s string) string {
	for _, secret := range []string{c.ClientSecret, c.RefreshToken} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	return s
}

// TokenSource supplies the access token sent as x-amz-access-token. The client calls
// Invalidate with a token that SP-API refused (403 Unauthorized saying it expired or is
// invalid, or 401) so that the next Token call fetches a new one. Implementations must be safe for concurrent use.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	Invalidate(token string)
}

// LWAOptions configure an LWATokenSource.
type LWAOptions struct {
	// Credentials are required.
	Credentials Credentials
	// Endpoint is the token URL. Defaults to DefaultLWAEndpoint.
	Endpoint string
	// HTTPClient sends the refresh request. Defaults to a client with a 30 second timeout.
	HTTPClient *http.Client
	// ExpirySkew is how long before its expiry a token stops being used, so that a token
	// never expires in flight. Defaults to 60 seconds.
	ExpirySkew time.Duration
	// RefreshTimeout bounds one refresh, which runs detached from the caller's context so
	// that one cancelled caller does not fail everyone waiting on the same refresh.
	// Defaults to 30 seconds.
	RefreshTimeout time.Duration
	// Now is the clock, for tests. Defaults to time.Now.
	Now func() time.Time
}

// LWATokenSource exchanges a refresh token for access tokens and caches the current one
// until ExpirySkew before it expires. Concurrent callers that find no valid token share one
// in-flight refresh, so 50 goroutines starting at once cause one HTTP request to LWA.
//
// Built with NewGrantlessTokenSource it uses the client-credentials grant with a scope
// instead, for grantless operations; such a source has its own cache, so a seller's token
// and the application's grantless token never replace each other.
type LWATokenSource struct {
	creds    Credentials
	scope    string // non-empty: client_credentials grant with this scope
	endpoint string
	http     *http.Client
	skew     time.Duration
	timeout  time.Duration
	now      func() time.Time

	mu       sync.Mutex
	token    string
	expiry   time.Time
	inflight *refreshCall
}

// refreshCall is one in-flight refresh that several callers wait on.
type refreshCall struct {
	done   chan struct{}
	token  string
	expiry time.Time
	err    error
}

// NewLWATokenSource validates the options and returns a token source with an empty cache.
func NewLWATokenSource(opts LWAOptions) (*LWATokenSource, error) {
	c := opts.Credentials
	if c.ClientID == "" || c.ClientSecret == "" || c.RefreshToken == "" {
		return nil, errors.New("spapi: LWA credentials need a client id, client secret and refresh token")
	}
	s := &LWATokenSource{creds: c}
	return s.init(opts)
}

// NewGrantlessTokenSource returns a token source for grantless operations: it obtains access
// tokens with LWA's client_credentials grant for scope (e.g. ScopeNotifications), using the
// application's client id and secret; Credentials.RefreshToken is ignored. Its tokens are
// cached apart from any seller's.
func NewGrantlessTokenSource(opts LWAOptions, scope string) (*LWATokenSource, error) {
	c := opts.Credentials
	if c.ClientID == "" || c.ClientSecret == "" {
		return nil, errors.New("spapi: a grantless LWA token needs a client id and client secret")
	}
	if strings.TrimSpace(scope) == "" {
		return nil, errors.New("spapi: a grantless LWA token needs a scope")
	}
	c.RefreshToken = ""
	s := &LWATokenSource{creds: c, scope: scope}
	return s.init(opts)
}

// init applies opts' defaults to s.
func (s *LWATokenSource) init(opts LWAOptions) (*LWATokenSource, error) {
	s.endpoint = opts.Endpoint
	s.http = opts.HTTPClient
	s.skew = opts.ExpirySkew
	s.timeout = opts.RefreshTimeout
	s.now = opts.Now
	if s.endpoint == "" {
		s.endpoint = DefaultLWAEndpoint
	}
	if _, err := parseBaseURL(s.endpoint); err != nil {
		return nil, fmt.Errorf("spapi: LWA endpoint: %w", err)
	}
	if s.http == nil {
		s.http = &http.Client{Timeout: 30 * time.Second}
	}
	if s.skew <= 0 {
		s.skew = 60 * time.Second
	}
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// String describes the source without its secrets or its access token.
func (s *LWATokenSource) String() string {
	if s.scope != "" {
		return fmt.Sprintf("LWATokenSource{Endpoint: %q, Scope: %q, %s}", s.endpoint, s.scope, s.creds)
	}
	return fmt.Sprintf("LWATokenSource{Endpoint: %q, %s}", s.endpoint, s.creds)
}

// GoString makes %#v redact like String.
func (s *LWATokenSource) GoString() string { return "spapi." + s.String() }

// Format makes every fmt verb print the redacted form.
func (s *LWATokenSource) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue makes slog print the redacted form.
func (s *LWATokenSource) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint", s.endpoint), slog.Any("credentials", s.creds))
}

// Token returns a cached access token or waits for a refresh. Waiting honours ctx; the
// refresh itself continues for the other waiters when ctx ends.
func (s *LWATokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.token != "" && s.now().Before(s.expiry) {
		tok := s.token
		s.mu.Unlock()
		return tok, nil
	}
	call := s.inflight
	if call == nil {
		call = &refreshCall{done: make(chan struct{})}
		s.inflight = call
		go s.runRefresh(context.WithoutCancel(ctx), call)
	}
	s.mu.Unlock()

	select {
	case <-call.done:
		return call.token, call.err
	case <-ctx.Done():
		return "", fmt.Errorf("spapi: waiting for LWA token: %w", ctx.Err())
	}
}

// Invalidate drops token from the cache if it is still the cached one, so several calls
// failing with the same stale token trigger one refresh, not one each.
func (s *LWATokenSource) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == token {
		s.token = ""
		s.expiry = time.Time{}
	}
}

func (s *LWATokenSource) runRefresh(ctx context.Context, call *refreshCall) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	start := s.now()
	tok, ttl, err := s.refresh(ctx)

	s.mu.Lock()
	if err == nil {
		life := ttl - s.skew
		if life <= 0 {
			life = ttl / 2
		}
		call.token, call.expiry = tok, start.Add(life)
		s.token, s.expiry = call.token, call.expiry
	}
	call.err = err
	s.inflight = nil
	s.mu.Unlock()
	close(call.done)
}

type lwaTokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

type lwaErrorResponse struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// refresh performs the refresh-token grant, or the client-credentials grant of a grantless
// source. Its errors are *Error with Op "lwaRefreshToken" ("lwaClientCredentials" for a
// grantless source); they never contain the form that was posted.
func (s *LWATokenSource) refresh(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {s.creds.RefreshToken},
		"client_id":     {s.creds.ClientID},
		"client_secret": {s.creds.ClientSecret},
	}
	opLWA := opLWA
	if s.scope != "" {
		opLWA = opLWAGrantless
		form = url.Values{
			"grant_type":    {"client_credentials"},
			"scope":         {s.scope},
			"client_id":     {s.creds.ClientID},
			"client_secret": {s.creds.ClientSecret},
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, &Error{Op: opLWA, Kind: KindPermanent, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return "", 0, &Error{Op: opLWA, Kind: KindRetryable, Err: err}
	}
	body, readErr := readLimited(resp.Body, 1<<20)
	_ = resp.Body.Close()
	status := resp.StatusCode
	if readErr != nil {
		kind := KindRetryable
		if errors.Is(readErr, ErrResponseTooLarge) {
			kind = KindPermanent
		}
		return "", 0, &Error{Op: opLWA, Kind: kind, StatusCode: status, Err: readErr}
	}
	if status < 200 || status > 299 {
		e := &Error{Op: opLWA, Kind: kindForStatus(status), StatusCode: status}
		if status == 400 {
			// LWA answers 400 invalid_grant / invalid_client for bad credentials; retrying
			// will not help, an operator must fix them.
			e.Kind = KindAuth
		}
		var le lwaErrorResponse
		if json.Unmarshal(body, &le) == nil && le.Error != "" {
			e.APIErrors = []APIError{{
				Code:    s.creds.redactSecrets(le.Error),
				Message: s.creds.redactSecrets(le.ErrorDescription),
			}}
		}
		return "", 0, e
	}
	var tr lwaTokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", 0, &Error{Op: opLWA, Kind: KindRetryable, StatusCode: status,
			Err: fmt.Errorf("%w: %v", ErrMalformedResponse, err)}
	}
	if tr.AccessToken == "" || tr.ExpiresIn <= 0 {
		return "", 0, &Error{Op: opLWA, Kind: KindRetryable, StatusCode: status,
			Err: fmt.Errorf("%w: token response lacks access_token or expires_in", ErrMalformedResponse)}
	}
	return tr.AccessToken, time.Duration(tr.ExpiresIn) * time.Second, nil
}
