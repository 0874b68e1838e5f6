package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
)

// ErrCodeRefused is returned when LWA refuses the authorization code
// (invalid_grant: expired after its 5 minutes, used already, or issued
// for another redirect URI or application).
var ErrCodeRefused = errors.New("LWA refused the authorization code")

// ErrNoClientSecret is returned when the application has no stored client
// secret that may be used: the code cannot be exchanged.
var ErrNoClientSecret = errors.New("no usable client secret is stored for the application")

// exchanger trades authorization codes for refresh tokens at LWA with the
// application's stored client secrets.
type exchanger struct {
	db       store.DBTX
	keys     *secretbox.Keyring
	clientID string
	endpoint string
	http     *http.Client
	now      func() time.Time // the credential clock: secret expiries
}

// exchange posts grant_type=authorization_code. It tries the
// application's usable secrets most-likely-accepted first: the primary,
// then the fallbacks (the newest expiry first), a pending secret last.
// That differs on purpose from the accounts' token sources
// (accounts.sortSecrets), which try a pending secret first to promote it:
// a seller's code is worth more than learning early that a secret works,
// and promotion stays the registries' job. Only invalid_client moves on —
// LWA checks the client before the code, so a refused secret does not use
// the code up. The secrets' states are left to the workers' registries.
func (e *exchanger) exchange(ctx context.Context, code, redirectURI string) (grant, error) {
	secrets, err := e.secrets(ctx)
	if err != nil {
		return grant{}, err
	}
	if len(secrets) == 0 {
		return grant{}, fmt.Errorf("application %s: %w (`worker credentials set-secret`)", e.clientID, ErrNoClientSecret)
	}
	for _, secret := range secrets {
		g, lwaCode, err := e.post(ctx, code, redirectURI, secret)
		switch {
		case err == nil:
			return g, nil
		case lwaCode == "invalid_client":
			continue
		case lwaCode == "invalid_grant":
			return grant{}, ErrCodeRefused
		default:
			return grant{}, err
		}
	}
	return grant{}, fmt.Errorf("application %s: %w", e.clientID, accounts.ErrAllSecretsRefused)
}

// grant is what LWA answered an exchanged code with.
type grant struct {
	refreshToken string
	// accessToken is the first hour's token: the callback uses it once, to
	// check that the authorization is the account's seller's.
	accessToken string
}

// secrets returns the opened client secrets in the order they are tried.
func (e *exchanger) secrets(ctx context.Context) ([]string, error) {
	all, err := store.ListApplicationSecrets(ctx, e.db)
	if err != nil {
		return nil, fmt.Errorf("read the client secrets of %s: %w", e.clientID, err)
	}
	now := e.now()
	var mine []*store.ApplicationSecret
	for _, s := range all {
		if s.ClientID == e.clientID && accounts.Usable(s, now) {
			mine = append(mine, s)
		}
	}
	rank := map[string]int{store.SecretPrimary: 0, store.SecretFallback: 1, store.SecretPending: 2}
	slices.SortStableFunc(mine, func(a, b *store.ApplicationSecret) int {
		if d := rank[a.State] - rank[b.State]; d != 0 {
			return d
		}
		switch {
		case a.ExpiresAt == nil && b.ExpiresAt == nil:
			return int(b.ID - a.ID)
		case a.ExpiresAt == nil:
			return -1
		case b.ExpiresAt == nil:
			return 1
		}
		return b.ExpiresAt.Compare(*a.ExpiresAt)
	})
	out := make([]string, 0, len(mine))
	for _, s := range mine {
		v, err := e.keys.Open(accounts.ClientSecretBinding(e.clientID), s.SecretSealed)
		if err != nil {
			return nil, fmt.Errorf("open client secret %d of %s: %w (is SPSYNC_SECRET_KEY the workers' key?)", s.ID, e.clientID, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// post makes one exchange; lwaCode is LWA's error code when it answered
// with one. Errors never hold the code, the secret or the response body.
func (e *exchanger) post(ctx context.Context, code, redirectURI, secret string) (g grant, lwaCode string, err error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"client_id":     {e.clientID},
		"client_secret": {secret},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return grant{}, "", fmt.Errorf("LWA authorization_code request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	resp, err := e.http.Do(req)
	if err != nil {
		// *url.Error names the endpoint only: the form is in the body.
		return grant{}, "", fmt.Errorf("LWA authorization_code exchange: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return grant{}, "", fmt.Errorf("LWA authorization_code exchange: read the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var le struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(body, &le)
		return grant{}, le.Error, fmt.Errorf("LWA authorization_code exchange: HTTP %d %s", resp.StatusCode, safeCode(le.Error))
	}
	var tr struct {
		RefreshToken string `json:"refresh_token"`
		AccessToken  string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.RefreshToken == "" {
		return grant{}, "", errors.New("LWA authorization_code exchange: the answer has no refresh_token")
	}
	return grant{refreshToken: tr.RefreshToken, accessToken: tr.AccessToken}, "", nil
}

// safeCode keeps an LWA error code printable and short: it is Amazon's
// word (invalid_grant), never a value spsync sent.
func safeCode(s string) string {
	if len(s) > 40 || strings.ContainsFunc(s, func(r rune) bool { return !(r == '_' || r >= 'a' && r <= 'z') }) {
		return "(unrecognised error code)"
	}
	return s
}
