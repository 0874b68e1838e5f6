package oauth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/oauth"
)

func TestLoadConfig(t *testing.T) {
	full := map[string]string{
		"SPSYNC_OAUTH_ADDR": "127.0.0.1:8081", "SPSYNC_OAUTH_BASE_URL": "https://sync.example.com/",
		"SPSYNC_OAUTH_APPLICATION_ID": "amzn1.sp.solution.x", "LWA_CLIENT_ID": "amzn1.application-oa2-client.a",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for kk, vv := range full {
			m[kk] = vv
		}
		if v == "<unset>" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string // the variable the load or validation error names
		check   func(t *testing.T, c oauth.Config)
	}{
		{name: "complete", env: full, check: func(t *testing.T, c oauth.Config) {
			require.True(t, c.Enabled())
			require.Equal(t, "https://sync.example.com", c.BaseURL)
			require.Equal(t, "https://sync.example.com/oauth/callback", c.RedirectURI())
			require.Equal(t, "https://sync.example.com/oauth/login", c.LoginURI())
			require.Equal(t, "amzn1.application-oa2-client.a", c.ClientID, "LWA_CLIENT_ID by default")
			require.Equal(t, oauth.DefaultInvitationTTL, c.InvitationTTL)
			require.False(t, c.Beta)
		}},
		{name: "unset is off", env: map[string]string{}, check: func(t *testing.T, c oauth.Config) { require.False(t, c.Enabled()) }},
		{name: "client id override", env: with("SPSYNC_OAUTH_CLIENT_ID", "amzn1.application-oa2-client.b"), check: func(t *testing.T, c oauth.Config) {
			require.Equal(t, "amzn1.application-oa2-client.b", c.ClientID)
		}},
		{name: "beta and ttl", env: with("SPSYNC_OAUTH_BETA", "true"), check: func(t *testing.T, c oauth.Config) { require.True(t, c.Beta) }},
		{name: "ttl", env: with("SPSYNC_OAUTH_INVITATION_TTL", "72h"), check: func(t *testing.T, c oauth.Config) {
			require.Equal(t, 72*time.Hour, c.InvitationTTL)
		}},
		{name: "loopback http", env: with("SPSYNC_OAUTH_BASE_URL", "http://127.0.0.1:8081"), check: func(t *testing.T, c oauth.Config) {
			require.Equal(t, "http://127.0.0.1:8081", c.BaseURL)
		}},
		{name: "localhost http", env: with("SPSYNC_OAUTH_BASE_URL", "http://localhost:8081/sync/")},
		{name: "ipv6 loopback http", env: with("SPSYNC_OAUTH_BASE_URL", "http://[::1]:8081")},
		{name: "plain http refused", env: with("SPSYNC_OAUTH_BASE_URL", "http://sync.example.com"), wantVar: "SPSYNC_OAUTH_BASE_URL"},
		{name: "relative base", env: with("SPSYNC_OAUTH_BASE_URL", "sync.example.com"), wantVar: "SPSYNC_OAUTH_BASE_URL"},
		{name: "base with query", env: with("SPSYNC_OAUTH_BASE_URL", "https://sync.example.com/?a=b"), wantVar: "SPSYNC_OAUTH_BASE_URL"},
		{name: "base missing", env: with("SPSYNC_OAUTH_BASE_URL", "<unset>"), wantVar: "SPSYNC_OAUTH_BASE_URL"},
		{name: "application missing", env: with("SPSYNC_OAUTH_APPLICATION_ID", "<unset>"), wantVar: "SPSYNC_OAUTH_APPLICATION_ID"},
		{name: "client missing", env: with("LWA_CLIENT_ID", "<unset>"), wantVar: "SPSYNC_OAUTH_CLIENT_ID"},
		{name: "bad beta", env: with("SPSYNC_OAUTH_BETA", "maybe"), wantVar: "SPSYNC_OAUTH_BETA"},
		{name: "bad ttl", env: with("SPSYNC_OAUTH_INVITATION_TTL", "7 days"), wantVar: "SPSYNC_OAUTH_INVITATION_TTL"},
		{name: "tiny ttl", env: with("SPSYNC_OAUTH_INVITATION_TTL", "5s"), wantVar: "SPSYNC_OAUTH_INVITATION_TTL"},
		{name: "bad addr", env: with("SPSYNC_OAUTH_ADDR", "8081"), wantVar: "SPSYNC_OAUTH_ADDR"},
		{name: "bad seller central", env: with("SPSYNC_SELLER_CENTRAL_URL", "ftp://x"), wantVar: "SPSYNC_SELLER_CENTRAL_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := oauth.LoadConfig(func(k string) string { return tt.env[k] })
			if err == nil {
				err = c.Validate()
			}
			if tt.wantVar != "" {
				require.Error(t, err)
				require.Contains(t, err.Error(), tt.wantVar)
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestSellerCentral(t *testing.T) {
	amazon := oauth.SellerCentral{}
	sim := oauth.SellerCentral{Override: "http://127.0.0.1:9000/sellercentral"}
	for _, tt := range []struct {
		sc                  oauth.SellerCentral
		region, marketplace string
		want                string
	}{
		{amazon, "na", "ATVPDKIKX0DER", "https://sellercentral.amazon.com"},
		{amazon, "na", "A2EUQ1WTGCTBG2", "https://sellercentral.amazon.ca"},
		{amazon, "eu", "A1PA6795UKMFR9", "https://sellercentral-europe.amazon.com"},
		{amazon, "eu", "A1805IZSGTT6HS", "https://sellercentral.amazon.nl"},
		{amazon, "fe", "A1VC38T7YXB528", "https://sellercentral.amazon.co.jp"},
		{amazon, "fe", "A39IBJ37TRP1C6", "https://sellercentral.amazon.com.au"},
		{sim, "eu", "A1PA6795UKMFR9", "http://127.0.0.1:9000/sellercentral/eu"},
	} {
		got, err := tt.sc.ConsentBase(tt.region, tt.marketplace)
		require.NoError(t, err)
		require.Equal(t, tt.want, got, "%s %s", tt.region, tt.marketplace)
	}
	_, err := amazon.ConsentBase("na", "A1PA6795UKMFR9")
	require.Error(t, err, "a German marketplace is not in na")

	for _, tt := range []struct {
		sc       oauth.SellerCentral
		callback string
		want     string // "" for refused
	}{
		{amazon, "https://sellercentral.amazon.com/apps/authorize/callback", "na"},
		{amazon, "https://sellercentral.amazon.com.br/apps/authorize/callback", "na"},
		{amazon, "https://sellercentral.amazon.co.uk/apps/authorize/callback", "eu"},
		{amazon, "https://sellercentral-europe.amazon.com/apps/authorize/callback", "eu"},
		{amazon, "https://sellercentral.amazon.in/apps/authorize/callback", "eu"},
		{amazon, "https://sellercentral-japan.amazon.com/apps/authorize/callback", "fe"},
		{amazon, "https://sellercentral.amazon.sg/apps/authorize/callback", "fe"},
		{amazon, "http://sellercentral.amazon.com/apps/authorize/callback", ""},
		{amazon, "https://sellercentral.amazon.com.evil.example/apps/authorize/callback", ""},
		{amazon, "https://sellercentral.amazon.com:8443/apps/authorize/callback", ""},
		{amazon, "https://user@sellercentral.amazon.com/apps/authorize/callback", ""},
		{sim, "http://127.0.0.1:9000/sellercentral/fe/apps/authorize/callback", "fe"},
		{sim, "http://127.0.0.1:9000/sellercentral/xx/apps/authorize/callback", ""},
		{sim, "http://127.0.0.1:9001/sellercentral/na/apps/authorize/callback", ""},
		{sim, "https://sellercentral.amazon.com/apps/authorize/callback", ""},
	} {
		got, err := tt.sc.CallbackRegion(tt.callback)
		if tt.want == "" {
			require.Error(t, err, tt.callback)
			continue
		}
		require.NoError(t, err, tt.callback)
		require.Equal(t, tt.want, got, tt.callback)
	}
}

// TestEveryMarketplaceHasASellerCentral: the marketplaces accounts knows by
// region (invitations accept them) each have a consent site here, so an
// invitation never ends on an unknown marketplace.
func TestEveryMarketplaceHasASellerCentral(t *testing.T) {
	t.Parallel()
	for _, region := range config.Regions {
		ids := accounts.MarketplacesOfRegion(region)
		require.NotEmpty(t, ids, region)
		for _, id := range ids {
			base, err := (oauth.SellerCentral{}).ConsentBase(region, id)
			require.NoError(t, err, "%s in %s", id, region)
			require.True(t, strings.HasPrefix(base, "https://sellercentral"), base)
		}
	}
}
