package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/oauth"
)

const inviteBaseURL = "https://sync.example.com/spsync"

// inviteLink is the link `worker accounts invite` prints.
var inviteLink = regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(inviteBaseURL) + `/oauth/invite/([A-Za-z0-9_-]{43})$`)

func TestAccountsInviteArgumentErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"BothIDs", []string{"--account", "seller-us", "--id", "shop"}, "give one"},
		{"AccountAndMarketplaces", []string{"--account", "seller-us", "--marketplaces", "ATVPDKIKX0DER"}, "uses the account's marketplaces"},
		{"NoRegion", []string{"--marketplaces", "ATVPDKIKX0DER"}, "--region is required"},
		{"UnknownRegion", []string{"--region", "moon", "--marketplaces", "ATVPDKIKX0DER"}, `unknown region "moon"`},
		{"NoMarketplacesNamesTheRegions", []string{"--region", "fe"}, "region fe has A19VAU5U5O7RUS,A39IBJ37TRP1C6,A1VC38T7YXB528"},
		{"NoMarketplacesNA", []string{"--region", "na"}, "ATVPDKIKX0DER"},
		{"ShortExpiry", []string{"--region", "na", "--marketplaces", "ATVPDKIKX0DER", "--expires", "10s"}, "at least 1m"},
		{"Positional", []string{"seller-us"}, "--account ID"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// No environment: argument errors come before the base URL,
			// the key and the database.
			code, stdout, stderr := runCmd(t, nil, append([]string{"accounts", "invite"}, c.args...)...)
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, c.want)
			require.Empty(t, stdout)
		})
	}
}

func TestAccountsInviteNeedsBaseURLAndKey(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	args := []string{"accounts", "invite", "--region", "na", "--marketplaces", "ATVPDKIKX0DER"}
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NoBaseURL", map[string]string{"DATABASE_URL": url, "SPSYNC_SECRET_KEY": accountsEnv(t)["SPSYNC_SECRET_KEY"]}, oauth.EnvBaseURL},
		{"PlainHTTPBaseURL", map[string]string{"DATABASE_URL": url, "SPSYNC_SECRET_KEY": accountsEnv(t)["SPSYNC_SECRET_KEY"],
			oauth.EnvBaseURL: "http://sync.example.com"}, "use https"},
		{"NoKey", map[string]string{"DATABASE_URL": url, oauth.EnvBaseURL: inviteBaseURL}, "SPSYNC_SECRET_KEY"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, c.env, args...)
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, c.want)
			require.NotRegexp(t, `/oauth/invite/`, stdout)
		})
	}
	var n int
	require.NoError(t, testPool(t, url).QueryRow(context.Background(), `SELECT count(*) FROM oauth_invitations`).Scan(&n))
	require.Zero(t, n, "a refused invite stores nothing")
}

// TestAccountsInvite creates invitations as an operator would and checks
// what is stored: the token's hash, never the token.
func TestAccountsInvite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := accountsEnv(t)
	env[oauth.EnvBaseURL] = inviteBaseURL + "/"
	pool := testPool(t, env["DATABASE_URL"])

	invite := func(t *testing.T, args ...string) (token string, expires time.Time) {
		t.Helper()
		start := time.Now()
		code, out, stderr := runCmd(t, env, append([]string{"accounts", "invite"}, args...)...)
		require.Equal(t, 0, code, stderr)
		m := inviteLink.FindStringSubmatch(out)
		require.NotNil(t, m, "the link on a line of its own: %s", out)
		token = m[1]
		var hash []byte
		var row string
		require.NoError(t, pool.QueryRow(ctx, `SELECT token_hash, i::text, expires_at FROM oauth_invitations i WHERE token_hash = $1`,
			oauth.HashToken(token)).Scan(&hash, &row, &expires))
		require.NotContains(t, row, token)
		require.Contains(t, out, "until "+expires.UTC().Format(time.RFC3339))
		require.False(t, expires.Before(start.Truncate(time.Second)))
		return token, expires
	}

	t.Run("NewAccount", func(t *testing.T) {
		start := time.Now()
		token, expires := invite(t, "--region", "NA", "--marketplaces", "ATVPDKIKX0DER,a2euq1wtgctbg2", "--id", "shop-us")
		require.WithinDuration(t, start.Add(oauth.DefaultInvitationTTL), expires, time.Minute)
		var region, accountID string
		var mps []string
		require.NoError(t, pool.QueryRow(ctx, `SELECT region, marketplace_ids, account_id FROM oauth_invitations WHERE token_hash = $1`,
			oauth.HashToken(token)).Scan(&region, &mps, &accountID))
		require.Equal(t, "na", region)
		require.Equal(t, []string{"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}, mps)
		require.Equal(t, "shop-us", accountID)
	})

	t.Run("Expires", func(t *testing.T) {
		start := time.Now()
		_, expires := invite(t, "--region", "fe", "--marketplaces", "A1VC38T7YXB528", "--expires", "72h")
		require.WithinDuration(t, start.Add(72*time.Hour), expires, time.Minute)
	})

	t.Run("ReauthorizeTakesTheAccountsMarketplaces", func(t *testing.T) {
		code, _, stderr := runCmd(t, env, "accounts", "add", "seller-us", "--client-id", testClientID, "--marketplace-ids", "ATVPDKIKX0DER,A1AM78C64UM0Y8",
			"--refresh-token-env", "TOKEN_A", "--client-secret-env", "CLIENT_SECRET")
		require.Equal(t, 0, code, stderr)
		token, _ := invite(t, "--account", "seller-us")
		var reauth string
		var mps []string
		require.NoError(t, pool.QueryRow(ctx, `SELECT reauth_account_id, marketplace_ids FROM oauth_invitations WHERE token_hash = $1`,
			oauth.HashToken(token)).Scan(&reauth, &mps))
		require.Equal(t, "seller-us", reauth)
		require.Equal(t, []string{"ATVPDKIKX0DER", "A1AM78C64UM0Y8"}, mps)

		code, _, stderr = runCmd(t, env, "accounts", "invite", "--account", "nobody")
		require.Equal(t, 1, code)
		require.Contains(t, stderr, `account "nobody" does not exist`)
		code, _, stderr = runCmd(t, env, "accounts", "invite", "--region", "na", "--marketplaces", "ATVPDKIKX0DER", "--id", "seller-us")
		require.Equal(t, 1, code)
		require.Contains(t, stderr, "re-authorize it with --account seller-us")
	})
}

// TestAccountsListLastAuthorizedAndUnmatched: an account stored without a
// selling partner id is marked unmatched; set-refresh-token records the
// authorization time.
func TestAccountsListLastAuthorizedAndUnmatched(t *testing.T) {
	t.Parallel()
	env := accountsEnv(t)
	code, _, stderr := runCmd(t, env, "accounts", "add", "seller-env", "--client-id", testClientID, "--marketplace-ids", "ATVPDKIKX0DER",
		"--refresh-token-env", "TOKEN_A", "--client-secret-env", "CLIENT_SECRET")
	require.Equal(t, 0, code, stderr)

	code, out, stderr := runCmd(t, env, "accounts", "list")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `(?m)^ID .* TOKEN SET +LAST AUTHORIZED +KEY`, out)
	require.Regexp(t, `(?m)^seller-env +active +na +ATVPDKIKX0DER +unmatched +\S+ +2026-01-01 +\S+ +never +`, out)

	before := time.Now().Truncate(time.Second)
	code, _, stderr = runCmd(t, env, "accounts", "set-refresh-token", "seller-env", "--refresh-token-env", "TOKEN_B")
	require.Equal(t, 0, code, stderr)
	code, out, stderr = runCmd(t, env, "accounts", "list")
	require.Equal(t, 0, code, stderr)
	m := regexp.MustCompile(`(?m)^seller-env +active +na +ATVPDKIKX0DER +unmatched +\S+ +2026-01-01 +\S+ +(\S+) +`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	at, err := time.Parse(time.RFC3339, m[1])
	require.NoError(t, err, out)
	require.False(t, at.Before(before), "last authorized %s, set-refresh-token ran at %s", at, before)
	requireNoSecret(t, out, stderr)
}
