package sim

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/spsync/spsync/internal/spapi"
)

// tokens is the simulator's LWA: it exchanges refresh tokens for access
// tokens and maps each access token back to its account.
type tokens struct {
	clock Clock
	// credClock is the credential clock (secret propagation).
	credClock Clock
	// life is how long a token is accepted: AccessTokenTTL, or
	// AccessTokenInvalidateAfter when that is shorter. LWA reports the TTL
	// either way, as Amazon does.
	life time.Duration
	// maxCalls is AccessTokenInvalidateAfterCalls (0: no limit).
	maxCalls int
	mu       sync.Mutex
	byTok    map[string]*accessToken
}

type accessToken struct {
	account string
	// app is the LWA client id of a grantless (client_credentials) token,
	// whose account is empty; scope is the scope it was granted.
	app     string
	scope   string
	expires time.Time
	revoked bool // set by the expired-token fault until the client refreshes
	// secretUntil: minted with a client secret still propagating; SP-API
	// refuses the token before this instant on the credential clock.
	secretUntil time.Time
	refused     bool // answered 403 at least once
	calls       int  // SP-API calls served
}

func newTokens(clock Clock, ttl, invalidateAfter time.Duration, maxCalls int) *tokens {
	life := ttl
	if invalidateAfter > 0 && invalidateAfter < life {
		life = invalidateAfter
	}
	return &tokens{clock: clock, life: life, maxCalls: maxCalls, byTok: map[string]*accessToken{}}
}

func (t *tokens) issue(account string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := "Atza|" + base64.RawURLEncoding.EncodeToString(b[:])
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byTok[tok] = &accessToken{account: account, expires: t.clock.Now().Add(t.life)}
	return tok
}

// issueGrantless issues a client_credentials token of application app for
// scope; it acts for no seller.
func (t *tokens) issueGrantless(app, scope string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := "Atc|" + base64.RawURLEncoding.EncodeToString(b[:])
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byTok[tok] = &accessToken{app: app, scope: scope, expires: t.clock.Now().Add(t.life)}
	return tok
}

type tokenVerdict int

const (
	tokenOK tokenVerdict = iota
	tokenMissing
	tokenInvalid
	tokenExpired
	// tokenWrongKind is a grantless token on a seller's operation or a
	// seller's token on a grantless one.
	tokenWrongKind
	// tokenSecretPropagating: minted with a client secret SP-API does not
	// accept yet (Options.NewSecretRefusal = NewSecretRefusedBySPAPI).
	tokenSecretPropagating
)

// check resolves a seller's access token to its account. A grantless token
// is the wrong kind here.
func (t *tokens) check(tok string) (string, tokenVerdict) {
	if tok == "" {
		return "", tokenMissing
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	at := t.byTok[tok]
	switch {
	case at == nil:
		return "", tokenInvalid
	case at.app != "":
		return "", tokenWrongKind
	case at.revoked || !t.clock.Now().Before(at.expires) || (t.maxCalls > 0 && at.calls >= t.maxCalls):
		at.refused = true
		return at.account, tokenExpired
	case !at.secretUntil.IsZero() && t.credClock != nil && t.credClock.Now().Before(at.secretUntil):
		return at.account, tokenSecretPropagating
	}
	at.calls++
	return at.account, tokenOK
}

// checkGrantless resolves a grantless access token of scope to its
// application (LWA client id). A seller's token, or one granted another
// scope, is the wrong kind.
func (t *tokens) checkGrantless(tok, scope string) (string, tokenVerdict) {
	if tok == "" {
		return "", tokenMissing
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	at := t.byTok[tok]
	switch {
	case at == nil:
		return "", tokenInvalid
	case at.app == "" || at.scope != scope:
		return "", tokenWrongKind
	case at.revoked || !t.clock.Now().Before(at.expires) || (t.maxCalls > 0 && at.calls >= t.maxCalls):
		at.refused = true
		return at.app, tokenExpired
	case !at.secretUntil.IsZero() && t.credClock != nil && t.credClock.Now().Before(at.secretUntil):
		return at.app, tokenSecretPropagating
	}
	at.calls++
	return at.app, tokenOK
}

// expire makes tok answer as expired from now on, which is what a client
// sees when its cached token outlives Amazon's idea of its lifetime.
// refuseUntil makes SP-API refuse tok until until (credential clock).
func (t *tokens) refuseUntil(tok string, until time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if at := t.byTok[tok]; at != nil {
		at.secretUntil = until
	}
}

func (t *tokens) expire(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if at := t.byTok[tok]; at != nil {
		at.revoked = true
	}
}

// RefusedTokens returns how many distinct access tokens of account were
// refused as expired or invalidated. A client that refreshes once per
// invalidation, not once per refused call, has TokenGrants = RefusedTokens +
// 1 after its first grant.
func (s *Sim) RefusedTokens(account string) int {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	n := 0
	for _, at := range s.tokens.byTok {
		if at.account == account && at.refused {
			n++
		}
	}
	return n
}

// ExpireAccessTokens makes every access token issued so far expired, so the
// next call of every client gets Amazon's 403 "The access token you provided
// has expired." until it refreshes its token.
func (s *Sim) ExpireAccessTokens() {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	for _, at := range s.tokens.byTok {
		at.revoked = true
	}
}

// lwaError is the body shape of Login with Amazon errors.
type lwaError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// handleToken plays POST /auth/o2/token for the refresh_token grant (and
// the client_credentials grant of grantless operations, see
// handleClientCredentials).
// expires_in is always AccessTokenTTL, even when AccessTokenInvalidateAfter
// will refuse the token sooner: Amazon's expires_in is an upper bound, not
// a promise.
func (s *Sim) handleToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", s.requestID())
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, lwaError{"invalid_request", "The request is missing a required parameter or is otherwise malformed."})
		return
	}
	grant := r.PostForm.Get("grant_type")
	refresh := r.PostForm.Get("refresh_token")
	clientID := r.PostForm.Get("client_id")
	secret := r.PostForm.Get("client_secret")
	switch {
	case grant == "":
		writeJSON(w, http.StatusBadRequest, lwaError{"invalid_request", "The request is missing a required parameter : grant_type"})
		return
	case grant == "client_credentials":
		s.handleClientCredentials(w, r)
		return
	case grant == "authorization_code": // Seller Central's spapi_oauth_code (sellercentral.go)
		_ = s.DeliverCredentialNotices(context.WithoutCancel(r.Context()))
		s.handleAuthorizationCode(w, r)
		return
	case grant != "refresh_token":
		writeJSON(w, http.StatusBadRequest, lwaError{"unsupported_grant_type", "The authorization grant type is not supported by the authorization server"})
		return
	case refresh == "" || clientID == "" || secret == "":
		writeJSON(w, http.StatusBadRequest, lwaError{"invalid_request", "The request is missing a required parameter : refresh_token, client_id or client_secret"})
		return
	}
	_ = s.DeliverCredentialNotices(context.WithoutCancel(r.Context()))
	account, refusal := s.creds.checkRefresh(refresh, clientID, secret)
	switch refusal {
	case lwaInvalidGrant:
		writeJSON(w, http.StatusBadRequest, lwaError{"invalid_grant", "The request has an invalid grant parameter : refresh_token"})
		return
	case lwaInvalidClient:
		writeJSON(w, http.StatusUnauthorized, lwaError{"invalid_client", "Client authentication failed"})
		return
	}
	tok := s.tokens.issue(account)
	if refusal == lwaPropagating {
		s.tokens.refuseUntil(tok, s.creds.propagatedAt(clientID, secret))
	}
	s.stats.recordGrant(account)
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  tok,
		"token_type":    "bearer",
		"expires_in":    int(s.opts.AccessTokenTTL / time.Second),
		"refresh_token": refresh,
	})
}

// ScopeNotifications is one of the two scopes the simulator's LWA grants
// with client_credentials: the Notifications API's grantless operations.
// The other is ScopeClientCredentialRotation.
const ScopeNotifications = spapi.ScopeNotifications

// handleClientCredentials plays LWA's client_credentials grant: the
// application's client id and secret (of any configured account) and a
// scope give an access token that acts for the application, for grantless
// operations only.
func (s *Sim) handleClientCredentials(w http.ResponseWriter, r *http.Request) {
	clientID := r.PostForm.Get("client_id")
	secret := r.PostForm.Get("client_secret")
	scope := r.PostForm.Get("scope")
	if clientID == "" || secret == "" || scope == "" {
		writeJSON(w, http.StatusBadRequest, lwaError{"invalid_request", "The request is missing a required parameter : scope, client_id or client_secret"})
		return
	}
	_ = s.DeliverCredentialNotices(context.WithoutCancel(r.Context()))
	refusal := s.creds.checkClient(clientID, secret)
	if refusal != lwaOK && refusal != lwaPropagating {
		writeJSON(w, http.StatusUnauthorized, lwaError{"invalid_client", "Client authentication failed"})
		return
	}
	if scope != ScopeNotifications && scope != ScopeClientCredentialRotation {
		writeJSON(w, http.StatusBadRequest, lwaError{"invalid_scope", "The request has an invalid parameter : scope"})
		return
	}
	tok := s.tokens.issueGrantless(clientID, scope)
	if refusal == lwaPropagating {
		s.tokens.refuseUntil(tok, s.creds.propagatedAt(clientID, secret))
	}
	s.notif.recordGrantlessGrant()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"scope":        scope,
		"token_type":   "bearer",
		"expires_in":   int(s.opts.AccessTokenTTL / time.Second),
	})
}
