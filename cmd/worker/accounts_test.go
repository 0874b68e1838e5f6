package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
)

const (
	testClientID     = "amzn1.application-oa2-client.cmdtest"
	testClientSecret = "amzn1.oa2-cs.v1.cmd-test-client-secret-1"
	testNextSecret   = "amzn1.oa2-cs.v1.cmd-test-client-secret-2"
	testTokenA       = "Atzr|IwEBIcmd-test-refresh-token-A"
	testTokenB       = "Atzr|IwEBIcmd-test-refresh-token-B"
)

// secretsOf are the values no command may print.
var secretsOf = []string{testClientSecret, testNextSecret, testTokenA, testTokenB, "Atzr|", "oa2-cs"}

func requireNoSecret(t *testing.T, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		for _, s := range secretsOf {
			require.NotContains(t, out, s)
		}
	}
}

// accountsEnv is a migrated database, a sealing key and the variables the
// secrets are passed in.
func accountsEnv(t *testing.T) map[string]string {
	t.Helper()
	_, key, err := secretbox.GenerateKey()
	require.NoError(t, err)
	return map[string]string{
		"DATABASE_URL":      dbtest.NewURL(t),
		"SPSYNC_SECRET_KEY": key,
		"CLIENT_SECRET":     testClientSecret,
		"NEXT_SECRET":       testNextSecret,
		"TOKEN_A":           testTokenA,
		"TOKEN_B":           testTokenB,
	}
}

type cmdTestJob struct {
	AccountID string `json:"account_id"`
}

func (cmdTestJob) Kind() string { return "worker_accounts_test" }

func insertJobFor(t *testing.T, pool *pgxpool.Pool, accountID string) int64 {
	t.Helper()
	ctx := context.Background()
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	var id int64
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		res, err := c.InsertTx(ctx, tx, cmdTestJob{AccountID: accountID}, nil)
		if err == nil {
			id = res.Job.ID
		}
		return err
	}))
	return id
}

func riverJobState(t *testing.T, pool *pgxpool.Pool, id int64) string {
	t.Helper()
	var state string
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT state::text FROM river_job WHERE id = $1`, id).Scan(&state))
	return state
}

func testPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func TestAccountsArgumentErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"NoCommand", []string{"accounts"}, "usage:"},
		{"UnknownCommand", []string{"accounts", "frobnicate"}, `unknown command "frobnicate"`},
		{"ListExtra", []string{"accounts", "list", "all"}, `unexpected argument "all"`},
		{"PauseNoID", []string{"accounts", "pause"}, "name the account"},
		{"ResumeTwoIDs", []string{"accounts", "resume", "a", "b"}, "one account ID only"},
		{"AddNoClientID", []string{"accounts", "add", "seller-us", "--marketplace-ids", "ATVPDKIKX0DER"}, "--client-id is required"},
		{"AddNoMarketplace", []string{"accounts", "add", "seller-us", "--client-id", testClientID}, "--marketplace-ids is required"},
		{"AddBadMarketplace", []string{"accounts", "add", "seller-us", "--client-id", testClientID, "--marketplace-ids", "US"}, `"US" is not a marketplace id`},
		{"AddBadRegion", []string{"accounts", "add", "seller-us", "--client-id", testClientID, "--marketplace-ids", "ATVPDKIKX0DER", "--region", "moon"}, `unknown region "moon"`},
		{"AddBadMerchantToken", []string{"accounts", "add", "x", "--client-id", testClientID, "--marketplace-ids", "ATVPDKIKX0DER", "--selling-partner-id", "nope"}, "not a merchant token"},
		{"AddTokenOnTheCommandLine", []string{"accounts", "add", "seller-us", testTokenA, "--client-id", testClientID, "--marketplace-ids", "ATVPDKIKX0DER"}, "never read from the command line"},
		{"SetTokenOnTheCommandLine", []string{"accounts", "set-refresh-token", "seller-us", testTokenA}, "never read from the command line"},
		{"SetTokenUnknownFlag", []string{"accounts", "set-refresh-token", "seller-us", "--refresh-token", testTokenA}, "flag provided but not defined"},
		{"SetTokenNoID", []string{"accounts", "set-refresh-token"}, "name the account"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// No environment: argument errors are found before any
			// database or key is needed.
			code, stdout, stderr := runCmd(t, nil, c.args...)
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, c.want)
			requireNoSecret(t, stdout, stderr)
		})
	}
}

func TestAccountsNeedAKey(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": dbtest.NewURL(t), "TOKEN_A": testTokenA}
	for _, args := range [][]string{
		{"accounts", "add", "seller-us", "--client-id", testClientID, "--marketplace-ids", "ATVPDKIKX0DER", "--refresh-token-env", "TOKEN_A"},
		{"accounts", "set-refresh-token", "seller-us", "--refresh-token-env", "TOKEN_A"},
		{"credentials", "set-secret", "--client-id", testClientID, "--client-secret-env", "TOKEN_A"},
		{"credentials", "rekey"},
	} {
		code, _, stderr := runCmd(t, env, args...)
		require.Equal(t, 2, code, "%v: %s", args, stderr)
		require.Contains(t, stderr, "SPSYNC_SECRET_KEY", args)
	}

	// A key that is not one: the variable is named, its value not shown.
	bad := map[string]string{"DATABASE_URL": env["DATABASE_URL"], "SPSYNC_SECRET_KEY": "not-a-key-at-all"}
	code, _, stderr := runCmd(t, bad, "credentials", "rekey")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "SPSYNC_SECRET_KEY")
	require.NotContains(t, stderr, "not-a-key-at-all")

	// Listing and pausing need none.
	code, out, stderr := runCmd(t, env, "accounts", "list")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "(no accounts stored")
	code, _, stderr = runCmd(t, env, "accounts", "pause", "seller-us")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `account "seller-us" does not exist`)
}

// TestAccountsCommands drives every `worker accounts` command against a
// real database, as an operator would while workers run.
func TestAccountsCommands(t *testing.T) {
	t.Parallel()
	env := accountsEnv(t)
	pool := testPool(t, env["DATABASE_URL"])
	var outputs []string
	cmd := func(args ...string) (int, string, string) {
		t.Helper()
		code, out, errOut := runCmd(t, env, args...)
		outputs = append(outputs, out, errOut)
		return code, out, errOut
	}
	add := []string{"accounts", "add", "seller-us", "--client-id", testClientID, "--marketplace-ids", "ATVPDKIKX0DER,A2EUQ1WTGCTBG2",
		"--selling-partner-id", "A3TH9S8BH6GOGM", "--refresh-token-env", "TOKEN_A"}

	code, _, stderr := cmd(add...)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "has no usable client secret")
	require.Contains(t, stderr, "--client-secret-env")

	code, out, stderr := cmd(append(add, "--client-secret-env", "CLIENT_SECRET")...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "account seller-us added (active)")

	code, out, stderr = cmd("accounts", "list")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `(?m)^ID +STATE +REGION +MARKETPLACES`, out)
	require.Regexp(t, `(?m)^seller-us +active +na +ATVPDKIKX0DER,A2EUQ1WTGCTBG2 +A3TH9S8BH6GOGM +`+testClientID+` +2026-01-01 +\S+ +never +[0-9a-f]{16} +operator +-$`, out)

	code, _, stderr = cmd(add...)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "account seller-us exists (active)")

	job := insertJobFor(t, pool, "seller-us")
	code, out, stderr = cmd("accounts", "pause", "seller-us")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "account seller-us paused")
	require.Equal(t, "cancelled", riverJobState(t, pool, job))

	code, out, stderr = cmd("accounts", "list", "--json")
	require.Equal(t, 0, code, stderr)
	var list []accounts.AccountInfo
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, 1)
	require.Equal(t, store.AccountPaused, list[0].State)
	require.Equal(t, accounts.PauseReason("seller-us"), list[0].StateReason)
	require.True(t, list[0].HasRefreshToken)

	code, out, stderr = cmd("accounts", "resume", "seller-us")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "account seller-us active")
	require.Equal(t, "available", riverJobState(t, pool, job))

	code, out, stderr = cmd("accounts", "remove", "seller-us")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "its rows stay")
	require.Equal(t, "cancelled", riverJobState(t, pool, job))
	code, _, stderr = cmd(add...)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "worker accounts resume seller-us")
	code, _, stderr = cmd("accounts", "resume", "seller-us")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "available", riverJobState(t, pool, job))

	// LWA ended the authorization (what a worker does on invalid_grant).
	ctx := context.Background()
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := store.SetAccountState(ctx, tx, "seller-us", store.AccountNeedsReauth, "invalid_grant", store.AccountActive); err != nil {
			return err
		}
		_, err := riverext.CancelAccountJobs(ctx, tx, "seller-us", accounts.ReauthReason("seller-us"))
		return err
	}))
	require.Equal(t, "cancelled", riverJobState(t, pool, job))
	code, _, stderr = cmd("accounts", "resume", "seller-us")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "worker accounts invite --account seller-us`, or set the new refresh token: worker accounts set-refresh-token seller-us")

	code, _, stderr = cmd("accounts", "set-refresh-token", "seller-us", "--refresh-token-env", "UNSET_VARIABLE")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "UNSET_VARIABLE")
	code, out, stderr = cmd("accounts", "set-refresh-token", "seller-us", "--refresh-token-env", "TOKEN_B")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "the account is active again")
	require.Equal(t, "available", riverJobState(t, pool, job))
	row, err := store.GetAccount(ctx, pool, "seller-us", false)
	require.NoError(t, err)
	keys, err := accounts.LoadKeyring(envOf(env))
	require.NoError(t, err)
	token, err := keys.Open(accounts.RefreshTokenBinding("seller-us"), *row.RefreshTokenSealed)
	require.NoError(t, err)
	require.Equal(t, testTokenB, token)

	code, out, stderr = cmd("accounts", "set-refresh-token", "seller-us", "--refresh-token-env", "TOKEN_A")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "refresh token replaced")

	code, _, stderr = cmd("accounts", "remove", "nobody")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `account "nobody" does not exist`)

	requireNoSecret(t, outputs...)
}

// TestAccountsSecretFromStdin reads the refresh token and the client
// secret as one line on stdin. Not parallel: it replaces secretInput.
func TestAccountsSecretFromStdin(t *testing.T) {
	env := accountsEnv(t)
	saved := secretInput
	t.Cleanup(func() { secretInput = saved })

	secretInput = strings.NewReader(testClientSecret + "\n")
	code, out, stderr := runCmd(t, env, "credentials", "set-secret", "--client-id", testClientID)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "stored (primary)")

	secretInput = strings.NewReader(testTokenA + "\r\n")
	code, _, stderr = runCmd(t, env, "accounts", "add", "seller-us", "--client-id", testClientID, "--marketplace-ids", "ATVPDKIKX0DER")
	require.Equal(t, 0, code, stderr)

	secretInput = strings.NewReader("\n")
	code, _, stderr = runCmd(t, env, "accounts", "set-refresh-token", "seller-us")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "no refresh token on stdin")

	secretInput = strings.NewReader(testTokenB)
	code, _, stderr = runCmd(t, env, "accounts", "set-refresh-token", "seller-us")
	require.Equal(t, 0, code, stderr)

	keys, err := accounts.LoadKeyring(envOf(env))
	require.NoError(t, err)
	row, err := store.GetAccount(context.Background(), testPool(t, env["DATABASE_URL"]), "seller-us", false)
	require.NoError(t, err)
	token, err := keys.Open(accounts.RefreshTokenBinding("seller-us"), *row.RefreshTokenSealed)
	require.NoError(t, err)
	require.Equal(t, testTokenB, token, "a last line without a newline is read whole")
}

func TestReadSecret(t *testing.T) {
	t.Parallel()
	getenv := envOf(map[string]string{"HOLDS_IT": "  s3cret-value \n"})
	tests := []struct {
		name, env, stdin, want, err string
	}{
		{"variable", "HOLDS_IT", "ignored\n", "s3cret-value", ""},
		{"unset variable", "MISSING", "", "", "MISSING (the refresh token) is empty or unset"},
		{"one line", "", "s3cret-value\nsecond line\n", "s3cret-value", ""},
		{"crlf", "", "s3cret-value\r\n", "s3cret-value", ""},
		{"no newline", "", "s3cret-value", "s3cret-value", ""},
		{"empty", "", "", "", "no refresh token on stdin"},
		{"blank", "", "   \n", "", "--refresh-token-env NAME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readSecret("refresh token", tt.env, getenv, strings.NewReader(tt.stdin), nil)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.NotContains(t, err.Error(), "s3cret")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
