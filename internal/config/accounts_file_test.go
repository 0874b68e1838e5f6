package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "accounts.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

func TestAccountsFile(t *testing.T) {
	t.Parallel()

	const good = `accounts:
  - id: seller-us
    region: na
    marketplace_ids: [ATVPDKIKX0DER, A2EUQ1WTGCTBG2]
    client_id: amzn1.application-oa2-client.us
    client_secret_env: US_SECRET
    refresh_token_env: US_REFRESH
  - id: seller-de
    region: eu
    marketplace_ids: [A1PA6795UKMFR9]
    client_id: amzn1.application-oa2-client.de
    client_secret_env: DE_SECRET
    refresh_token_env: DE_REFRESH
    orders_api: v0
`
	secrets := map[string]string{"US_SECRET": "s1", "US_REFRESH": "r1", "DE_SECRET": "s2", "DE_REFRESH": "r2"}

	t.Run("LoadsEveryAccountWithSecretsFromTheEnvironment", func(t *testing.T) {
		t.Parallel()
		e := map[string]string{"SPSYNC_ACCOUNTS_FILE": writeFile(t, good)}
		for k, v := range secrets {
			e[k] = v
		}
		cfg, err := config.Load(env(e))
		require.NoError(t, err)
		require.False(t, cfg.Simulate)
		require.Len(t, cfg.Accounts, 2)
		require.Equal(t, "seller-de", cfg.Accounts[1].ID)
		require.Equal(t, "eu", cfg.Accounts[1].Region)
		require.Equal(t, "r2", cfg.Accounts[1].RefreshToken.Reveal())
		require.Equal(t, config.OrdersAPI2026, cfg.Accounts[0].OrdersAPI, "SPSYNC_ORDERS_API's default")
		require.Equal(t, config.OrdersAPIV0, cfg.Accounts[1].OrdersAPI, "orders_api of the account")
	})

	cases := []struct {
		name     string
		body     string
		wantLine string
		wantText string
	}{
		{"UnknownOrdersAPINamesItsLine", "accounts:\n  - id: a\n    region: na\n    marketplace_ids: [ATVPDKIKX0DER]\n    client_id: c\n    client_secret_env: US_SECRET\n    refresh_token_env: US_REFRESH\n    orders_api: v1\n", ":2:", `orders_api: "v1" is not an Orders API version`},
		{"UnknownRegionNamesItsLine", "accounts:\n  - id: a\n    region: na\n    marketplace_ids: [ATVPDKIKX0DER]\n    client_id: c\n    client_secret_env: US_SECRET\n    refresh_token_env: US_REFRESH\n  - id: b\n    region: mars\n", ":8:", `unknown region "mars"`},
		{"MisspelledKey", "accounts:\n  - id: a\n    regoin: na\n", ":3", "regoin"},
		{"DuplicateID", "accounts:\n  - id: a\n    marketplace_ids: [ATVPDKIKX0DER]\n    client_id: c\n    client_secret_env: US_SECRET\n    refresh_token_env: US_REFRESH\n  - id: a\n", ":7:", "also used on line 2"},
		{"MissingSecretVariable", "accounts:\n  - id: a\n    marketplace_ids: [ATVPDKIKX0DER]\n    client_id: c\n    client_secret_env: NOPE\n    refresh_token_env: US_REFRESH\n", ":2:", "NOPE"},
		{"BadMarketplace", "accounts:\n  - id: a\n    marketplace_ids: [amazon.com]\n", ":2:", "amazon.com"},
		{"NotYAML", "accounts: [\n", "accounts.yaml", "accounts"},
		{"Empty", "", ":1:", "empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := map[string]string{"SPSYNC_ACCOUNTS_FILE": writeFile(t, tc.body)}
			for k, v := range secrets {
				e[k] = v
			}
			_, err := config.Load(env(e))
			require.Error(t, err)
			require.True(t, config.IsConfigError(err))
			require.Contains(t, err.Error(), tc.wantLine)
			require.Contains(t, err.Error(), tc.wantText)
			require.NotContains(t, err.Error(), "s1")
		})
	}

	t.Run("FileAndSingleAccountVariablesConflict", func(t *testing.T) {
		t.Parallel()
		_, err := config.Load(env(map[string]string{"SPSYNC_ACCOUNTS_FILE": writeFile(t, good), "LWA_CLIENT_ID": "x"}))
		require.ErrorContains(t, err, "not both")
	})
}
