package sim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
)

// Amazon's exact answers to an access token it no longer accepts. Both are
// 403 with the same code and message; only details differ.
const (
	bodyTokenExpired = `{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided has expired."}]}`
	bodyTokenInvalid = `{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided is revoked, malformed or invalid."}]}`
)

// lwaGrant is the token endpoint's answer.
type lwaGrant struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// grant logs in through the simulator's LWA endpoint and returns the whole answer.
func (b *testBundle) grant(t *testing.T) lwaGrant {
	t.Helper()
	resp, err := http.PostForm(b.srv.URL+"/auth/o2/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {b.acct.RefreshToken},
		"client_id": {b.acct.ClientID}, "client_secret": {b.acct.ClientSecret},
	})
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var g lwaGrant
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&g))
	return g
}

func TestRefusedAccessTokensAnswer403(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		mod  func(*sim.Options)
		// still is how long after the grant the token still works; zero
		// skips that check.
		still time.Duration
		// refuse makes the token unusable.
		refuse func(b *testBundle)
		body   string
	}{
		{"AfterTTL", nil, time.Hour - time.Second, func(b *testBundle) { b.limiter.Set(start.Add(time.Hour)) }, bodyTokenExpired},
		{
			"AfterInvalidateAfter", func(o *sim.Options) { o.AccessTokenInvalidateAfter = 10 * time.Minute },
			10*time.Minute - time.Second, func(b *testBundle) { b.limiter.Set(start.Add(10 * time.Minute)) }, bodyTokenExpired,
		},
		{
			"InvalidateAfterLongerThanTTL", func(o *sim.Options) { o.AccessTokenInvalidateAfter = 2 * time.Hour },
			time.Hour - time.Second, func(b *testBundle) { b.limiter.Set(start.Add(time.Hour)) }, bodyTokenExpired,
		},
		{"ExpireAccessTokens", nil, 0, func(b *testBundle) { b.sim.ExpireAccessTokens() }, bodyTokenExpired},
		{"ExpireAccessTokenFault", nil, 0, func(b *testBundle) { b.sim.SetFaults(sim.Faults{ExpireAccessToken: 1}) }, bodyTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tt.mod)
			truth, err := b.sim.TruthOrders(b.acct.ID)
			require.NoError(t, err)
			path := "/orders/v0/orders/" + truth[0].AmazonOrderID

			g := b.grant(t)
			require.Equal(t, 3600, g.ExpiresIn, "LWA reports the TTL whatever the invalidation")
			if tt.still > 0 {
				b.limiter.Set(start.Add(tt.still))
				require.Equal(t, http.StatusOK, b.get(t, g.AccessToken, path).status)
			}

			tt.refuse(b)
			for range 2 { // the fault's call and every later one
				resp := b.get(t, g.AccessToken, path)
				require.Equal(t, http.StatusForbidden, resp.status)
				require.Equal(t, tt.body, resp.body)
				require.NotEmpty(t, resp.header.Get("x-amzn-RequestId"))
			}
			b.sim.SetFaults(sim.Faults{})
			require.Equal(t, http.StatusForbidden, b.get(t, g.AccessToken, path).status, "an expired token stays expired")

			fresh := b.grant(t)
			require.Equal(t, http.StatusOK, b.get(t, fresh.AccessToken, path).status, "a new grant works")
			require.Equal(t, 2, b.sim.TokenGrants(b.acct.ID))
			st := b.sim.Stats()[sim.OpGetOrder]
			require.Equal(t, 3, st.Errors)
		})
	}

	t.Run("AfterCalls", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *sim.Options) { o.AccessTokenInvalidateAfterCalls = 3 })
		truth, err := b.sim.TruthOrders(b.acct.ID)
		require.NoError(t, err)
		path := "/orders/v0/orders/" + truth[0].AmazonOrderID
		g := b.grant(t)
		for i := range 3 {
			require.Equal(t, http.StatusOK, b.get(t, g.AccessToken, path).status, "call %d", i+1)
		}
		resp := b.get(t, g.AccessToken, path)
		require.Equal(t, http.StatusForbidden, resp.status, "the fourth call")
		require.Equal(t, bodyTokenExpired, resp.body)
		require.Equal(t, 1, b.sim.RefusedTokens(b.acct.ID))
		require.Equal(t, http.StatusOK, b.get(t, b.grant(t).AccessToken, path).status, "a new grant works")
	})

	t.Run("UnknownToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		resp := b.get(t, "Atza|forged", "/orders/v0/orders/111-0000000-0000000")
		require.Equal(t, http.StatusForbidden, resp.status)
		require.Equal(t, bodyTokenInvalid, resp.body)
	})
}

func TestTokenGrantsCountsIssuedTokensOnly(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	require.Zero(t, b.sim.TokenGrants(b.acct.ID))
	for range 3 {
		b.grant(t)
	}
	resp, err := http.PostForm(b.srv.URL+"/auth/o2/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {b.acct.RefreshToken},
		"client_id": {b.acct.ClientID}, "client_secret": {"wrong"},
	})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, 3, b.sim.TokenGrants(b.acct.ID))
	require.Zero(t, b.sim.TokenGrants("nobody"))

	b.sim.ResetStats()
	require.Zero(t, b.sim.TokenGrants(b.acct.ID))
}
