package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// ErrAccountStopped is wrapped by the error a TokenSource (and the jobs'
// account check) returns for an account that is not active: no LWA call is
// made for it, and jobs end without using an attempt.
var ErrAccountStopped = errors.New("account is not active")

// StoppedError says which account stopped and why.
type StoppedError struct {
	AccountID, State string
}

// Error starts with the reason a pause, removal or ended authorization
// records on the jobs it cancels (PauseReason, RemoveReason,
// ReauthReason), so resuming the account re-queues the jobs that stopped
// on their own as well.
func (e *StoppedError) Error() string {
	switch e.State {
	case store.AccountNeedsReauth:
		return ReauthReason(e.AccountID) + ": the seller must authorize the application again: send them `worker accounts invite --account " + e.AccountID + "` (or set the new token with `worker accounts set-refresh-token " + e.AccountID + "`)"
	case store.AccountPaused:
		return PauseReason(e.AccountID)
	case store.AccountRemoved:
		return RemoveReason(e.AccountID)
	case "":
		return fmt.Sprintf("account %s is not configured", e.AccountID)
	}
	return fmt.Sprintf("account %s is %s", e.AccountID, e.State)
}

func (e *StoppedError) Unwrap() error { return ErrAccountStopped }

// ErrAllSecretsRefused is returned when LWA refuses every usable client
// secret of the account's application: its accounts wait (jobs snooze)
// instead of burning retries, and status says so.
var ErrAllSecretsRefused = errors.New("LWA refuses every known client secret of the application (invalid_client)")

// TokenOptions configure the token sources of a Registry.
type TokenOptions struct {
	// Endpoint is LWA's token URL (spapi.DefaultLWAEndpoint when empty).
	Endpoint   string
	HTTPClient *http.Client
	// Now is the clock of access-token lifetimes (the real clock).
	Now func() time.Time
	// OnProbe hears the outcome of every try of a pending (new) secret:
	// "accepted" or "refused" by LWA, or "refused" by SP-API after LWA
	// accepted it (a new secret is refused while it propagates).
	OnProbe func(clientID, outcome string)
}

// TokenSource returns the access tokens of account id. It tries the
// application's secrets in the Registry's order (a pending secret first,
// when its probe is due, then the primary, then fallbacks), remembers
// which one LWA accepted, and marks the account needs_reauth at the first
// invalid_grant.
func (r *Registry) TokenSource(id string, opts TokenOptions) spapi.TokenSource {
	return &tokenSource{reg: r, id: id, opts: opts}
}

type tokenSource struct {
	reg  *Registry
	id   string
	opts TokenOptions

	mu       sync.Mutex
	cur      *spapi.LWATokenSource
	curID    int64
	curToken string // the refresh token cur was built with
	curState string
	lastTok  string // the access token Token returned last
}

// RefuseSecret implements spapi.SecretRefuser: SP-API refused token
// because of the client secret that minted it (a new secret still
// propagating). That secret is left out for PendingProbeEvery; one this
// process promoted goes back to pending and the previous primary returns.
func (t *tokenSource) RefuseSecret(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur == nil || token != t.lastTok {
		return
	}
	t.cur.Invalidate(token)
	acct, ok := t.reg.Get(t.id)
	if !ok {
		return
	}
	ctx := context.Background()
	if err := t.reg.secretRefusedBySPAPI(ctx, acct.ClientID, t.curID); err != nil {
		t.reg.opts.Logger.Warn("record client secret refused by SP-API", "client_id", acct.ClientID, "err", err)
	}
	t.probe(acct.ClientID, "refused")
	t.cur = nil
}

// Invalidate drops token from the current source's cache.
func (t *tokenSource) Invalidate(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur != nil {
		t.cur.Invalidate(token)
	}
}

// Token returns an access token for the account.
func (t *tokenSource) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	// Read under t.mu: a call that waited here while another got
	// invalid_grant sees the refusal instead of asking LWA again.
	acct, ok := t.reg.Get(t.id)
	if !ok || !acct.Active() {
		return "", &StoppedError{AccountID: t.id, State: acct.State}
	}
	if t.reg.tokenRefused(t.id, string(acct.RefreshToken)) {
		return "", &StoppedError{AccountID: t.id, State: store.AccountNeedsReauth}
	}
	cands := t.reg.candidates(acct.ClientID)
	// Keep the current source (and its cached token) while its secret is
	// still the first choice and the refresh token has not changed.
	if t.cur != nil && len(cands) > 0 && cands[0].id == t.curID && t.curToken == string(acct.RefreshToken) {
		tok, err := t.cur.Token(ctx)
		if err == nil {
			t.lastTok = tok
			return tok, nil
		}
		if !isLWARefusal(err, "invalid_client") {
			return "", t.handle(ctx, err, string(acct.RefreshToken))
		}
		_ = t.reg.secretRefused(ctx, acct.ClientID, cands[0])
		cands = cands[1:]
	}
	t.cur = nil
	for _, s := range cands {
		src, err := spapi.NewLWATokenSource(spapi.LWAOptions{
			Credentials: spapi.Credentials{ClientID: acct.ClientID, ClientSecret: s.value, RefreshToken: string(acct.RefreshToken)},
			Endpoint:    t.opts.Endpoint, HTTPClient: t.opts.HTTPClient, Now: t.opts.Now,
		})
		if err != nil {
			return "", fmt.Errorf("account %s: %w", t.id, err)
		}
		tok, err := src.Token(ctx)
		if err == nil {
			t.cur, t.curID, t.curToken, t.curState, t.lastTok = src, s.id, string(acct.RefreshToken), store.SecretPrimary, tok
			if s.state == store.SecretPending {
				t.probe(acct.ClientID, "accepted")
			}
			if err := t.reg.secretAccepted(ctx, acct.ClientID, s); err != nil {
				t.reg.opts.Logger.Warn("record accepted client secret", "client_id", acct.ClientID, "err", err)
			}
			return tok, nil
		}
		if !isLWARefusal(err, "invalid_client") {
			return "", t.handle(ctx, err, string(acct.RefreshToken))
		}
		if s.state == store.SecretPending {
			t.probe(acct.ClientID, "refused")
		}
		if err := t.reg.secretRefused(ctx, acct.ClientID, s); err != nil {
			t.reg.opts.Logger.Warn("record refused client secret", "client_id", acct.ClientID, "err", err)
		}
	}
	if err := t.reg.allRefused(ctx, acct.ClientID); err != nil {
		t.reg.opts.Logger.Warn("record refused application", "client_id", acct.ClientID, "err", err)
	}
	return "", fmt.Errorf("account %s, application %s: %w", t.id, acct.ClientID, ErrAllSecretsRefused)
}

// handle turns an invalid_grant into needs_reauth; other errors pass.
func (t *tokenSource) handle(ctx context.Context, err error, refreshToken string) error {
	if !isLWARefusal(err, "invalid_grant") {
		return err
	}
	t.cur = nil
	t.reg.refuseToken(t.id, refreshToken)
	if merr := t.reg.MarkNeedsReauth(ctx, t.id, "LWA answered invalid_grant: the authorization ended or was revoked"); merr != nil {
		t.reg.opts.Logger.Warn("record needs_reauth", "account", t.id, "err", merr)
	}
	return &StoppedError{AccountID: t.id, State: store.AccountNeedsReauth}
}

func (t *tokenSource) probe(clientID, outcome string) {
	if t.opts.OnProbe != nil {
		t.opts.OnProbe(clientID, outcome)
	}
}

// isLWARefusal reports whether err is LWA's answer with error code.
func isLWARefusal(err error, code string) bool {
	var e *spapi.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, a := range e.APIErrors {
		if a.Code == code {
			return true
		}
	}
	return false
}
