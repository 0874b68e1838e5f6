package main

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
)

func TestCredentialsArgumentErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"NoCommand", []string{"credentials"}, "usage:"},
		{"UnknownCommand", []string{"credentials", "frobnicate"}, `unknown command "frobnicate"`},
		{"ListExtra", []string{"credentials", "list", "all"}, `unexpected argument "all"`},
		{"SecretOnTheCommandLine", []string{"credentials", "set-secret", "--client-id", testClientID, testClientSecret}, "never read from the command line"},
		{"BadExpiry", []string{"credentials", "set-secret", "--client-id", testClientID, "--expires", "soon"}, `--expires "soon" is not a date`},
		{"RekeyExtra", []string{"credentials", "rekey", "now"}, `unexpected argument "now"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCmd(t, nil, c.args...)
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, c.want)
			requireNoSecret(t, stdout, stderr)
		})
	}
}

func TestCredentialsSetSecretAndList(t *testing.T) {
	t.Parallel()
	env := accountsEnv(t)
	var outputs []string
	cmd := func(args ...string) (int, string, string) {
		t.Helper()
		code, out, errOut := runCmd(t, env, args...)
		outputs = append(outputs, out, errOut)
		return code, out, errOut
	}

	code, out, stderr := cmd("credentials", "list")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "(no client secrets stored")

	// With no application stored, the client id is required.
	code, _, stderr = cmd("credentials", "set-secret", "--client-secret-env", "CLIENT_SECRET")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "0 applications are stored: name one with --client-id")

	code, out, stderr = cmd("credentials", "set-secret", "--client-id", testClientID, "--client-secret-env", "CLIENT_SECRET", "--expires", "2099-06-01")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `client secret \d+ of `+regexp.QuoteMeta(testClientID)+` stored \(primary\)`, out)

	// The next one, from the console: pending until LWA accepts it; the
	// only application is the default.
	code, out, stderr = cmd("credentials", "set-secret", "--client-secret-env", "NEXT_SECRET")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "stored (pending)")
	code, out, stderr = cmd("credentials", "set-secret", "--client-secret-env", "NEXT_SECRET", "--expires", "2099-12-01T00:00:00Z")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "is this secret already (pending)")

	code, _, stderr = cmd("credentials", "set-secret", "--client-secret-env", "CLIENT_SECRET", "--expires", "2001-01-01")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "has passed")

	code, out, stderr = cmd("credentials", "list")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `(?m)^ID +CLIENT ID +STATE +EXPIRES +EXPIRY FROM +SOURCE`, out)
	require.Regexp(t, `(?m)^\d+ +`+regexp.QuoteMeta(testClientID)+` +primary +2099-06-01T00:00:00Z +operator +operator +\S+ +- +- +0 +[0-9a-f]{16}$`, out)
	require.Regexp(t, `(?m)^\d+ +`+regexp.QuoteMeta(testClientID)+` +pending +2099-12-01T00:00:00Z +operator +operator +`, out,
		"a secret stored without an expiry takes the one given later")

	code, out, stderr = cmd("credentials", "list", "--json")
	require.Equal(t, 0, code, stderr)
	var list []accounts.SecretInfo
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, 2)
	require.Equal(t, store.SecretPrimary, list[0].State)
	require.Equal(t, store.SecretPending, list[1].State)

	// Another application, no expiry given: "unknown".
	code, _, stderr = cmd("credentials", "set-secret", "--client-id", "amzn1.application-oa2-client.other", "--client-secret-env", "TOKEN_A")
	require.Equal(t, 0, code, stderr)
	code, out, stderr = cmd("credentials", "list")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `(?m)^\d+ +amzn1\.application-oa2-client\.other +primary +unknown +- +operator `, out)
	code, _, stderr = cmd("credentials", "set-secret", "--client-secret-env", "TOKEN_B")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "2 applications are stored")

	requireNoSecret(t, outputs...)
}

// TestCredentialsRekey: the key changes while the workers run. The rekey
// with the new key and the old one as previous re-seals everything; the old
// key alone is then refused.
func TestCredentialsRekey(t *testing.T) {
	t.Parallel()
	env := accountsEnv(t)
	code, _, stderr := runCmd(t, env, "credentials", "set-secret", "--client-id", testClientID, "--client-secret-env", "CLIENT_SECRET")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCmd(t, env, "accounts", "add", "seller-us", "--client-id", testClientID, "--marketplace-ids", "ATVPDKIKX0DER", "--refresh-token-env", "TOKEN_A")
	require.Equal(t, 0, code, stderr)

	newKey, newText, err := secretbox.GenerateKey()
	require.NoError(t, err)
	changing := map[string]string{}
	for k, v := range env {
		changing[k] = v
	}
	changing["SPSYNC_SECRET_KEY"] = newText
	changing["SPSYNC_SECRET_KEY_PREVIOUS"] = env["SPSYNC_SECRET_KEY"]
	onlyNew := map[string]string{"DATABASE_URL": env["DATABASE_URL"], "SPSYNC_SECRET_KEY": newText}

	// The new key alone cannot open what the old one sealed.
	code, _, stderr = runCmd(t, onlyNew, "credentials", "rekey")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "SPSYNC_SECRET_KEY_PREVIOUS")

	code, out, stderr := runCmd(t, changing, "credentials", "rekey")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "2 stored secrets re-sealed with key "+newKey.ID())
	code, out, stderr = runCmd(t, onlyNew, "credentials", "rekey")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "0 stored secrets re-sealed")

	code, out, stderr = runCmd(t, onlyNew, "accounts", "list", "--json")
	require.Equal(t, 0, code, stderr)
	var accs []accounts.AccountInfo
	require.NoError(t, json.Unmarshal([]byte(out), &accs))
	require.Len(t, accs, 1)
	require.Equal(t, newKey.ID(), accs[0].KeyID)
	code, out, stderr = runCmd(t, onlyNew, "credentials", "list", "--json")
	require.Equal(t, 0, code, stderr)
	var secrets []accounts.SecretInfo
	require.NoError(t, json.Unmarshal([]byte(out), &secrets))
	require.Len(t, secrets, 1)
	require.Equal(t, newKey.ID(), secrets[0].KeyID)

	// The old key alone is now another key: nothing it would seal is
	// written.
	code, _, stderr = runCmd(t, env, "accounts", "set-refresh-token", "seller-us", "--refresh-token-env", "TOKEN_B")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "SPSYNC_SECRET_KEY")
	code, _, stderr = runCmd(t, env, "credentials", "rekey")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "sealed with a key this worker does not have")
	requireNoSecret(t, stderr)
}
