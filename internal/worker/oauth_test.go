package worker

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/devtools/freeport"
	"github.com/spsync/spsync/internal/oauth"
	"github.com/spsync/spsync/internal/secretbox"
)

func oauthTestConfig(t *testing.T) oauth.Config {
	t.Helper()
	addr := freeport.Loopback(t)
	env := map[string]string{"SPSYNC_OAUTH_ADDR": addr, "SPSYNC_OAUTH_BASE_URL": "http://" + addr}
	c, err := oauth.LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	return c
}

// TestOAuthListenerNeedsSecretKey: without a key the sellers' refresh
// tokens could not be stored, so the worker does not start.
func TestOAuthListenerNeedsSecretKey(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.NewURL(t), "SPSYNC_HTTP_ADDR": "127.0.0.1:0"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	err = Run(context.Background(), Options{Config: cfg, OAuth: oauthTestConfig(t), Migrate: true, ShutdownTimeout: 5 * time.Second})
	require.Error(t, err)
	require.Contains(t, err.Error(), "SPSYNC_OAUTH_ADDR")
	require.Contains(t, err.Error(), "SPSYNC_SECRET_KEY")
}

// TestOAuthListenerWithSimulator: the built-in simulator stands in for
// Seller Central; the listener serves only /oauth/, the main one the rest.
func TestOAuthListenerWithSimulator(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.NewURL(t), "SPSYNC_HTTP_ADDR": "127.0.0.1:0"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	_, keyText, err := secretbox.GenerateKey()
	require.NoError(t, err)
	keys, err := accounts.LoadKeyring(func(k string) string {
		if k == "SPSYNC_SECRET_KEY" {
			return keyText
		}
		return ""
	})
	require.NoError(t, err)
	ocfg := oauthTestConfig(t)

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan ReadyInfo, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, OAuth: ocfg, Keys: keys, Migrate: true, ShutdownTimeout: 5 * time.Second,
			Ready: func(r ReadyInfo) { ready <- r }})
	}()
	var info ReadyInfo
	select {
	case info = <-ready:
	case err := <-done:
		t.Fatalf("worker stopped before it was ready: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("worker not ready after 2 minutes")
	}
	require.Equal(t, ocfg.BaseURL, info.OAuthURL)

	get := func(u string) *http.Response {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(u)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp
	}
	for _, path := range []string{"/healthz", "/metrics", "/riverui/"} {
		require.Equal(t, http.StatusNotFound, get(info.OAuthURL+path).StatusCode, "OAuth listener %s", path)
		require.NotEqual(t, http.StatusNotFound, get("http://"+info.HTTPAddr+path).StatusCode, "main listener %s", path)
	}
	pool, err := pgxpool.New(ctx, env["DATABASE_URL"])
	require.NoError(t, err)
	defer pool.Close()
	token, _, err := oauth.Invite(ctx, pool, oauth.InviteRequest{Region: "na", MarketplaceIDs: []string{"ATVPDKIKX0DER"}})
	require.NoError(t, err)
	resp := get(ocfg.InviteURL(token))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.True(t, strings.Contains(loc, "/sellercentral/na/apps/authorize/consent?"), loc)
	require.True(t, strings.HasPrefix(loc, "http://127.0.0.1:"), "the built-in simulator's Seller Central: %s", loc)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("worker did not stop")
	}
	_, err = http.Get(info.OAuthURL + "/oauth/login")
	require.Error(t, err, "the OAuth listener stopped with the worker")
}
