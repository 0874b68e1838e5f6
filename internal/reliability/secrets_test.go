package reliability

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/spapi/sim"
)

// TestSecretsStayOutOfLogsMetricsAndTables runs a full sync with
// recognizable fake credentials and a secret key (so accounts and client
// secrets are stored, sealed), under faults that make the worker log
// errors and refresh its access token. While it runs, the application's
// secret is rotated: rotation bookkeeping is written and the NEW_SECRET
// stored pending, which the worker then probes (LWA refuses a fresh secret
// for 30 minutes). It asserts that neither the client secrets (declared
// and rotated), the refresh token, any access token the simulator issued
// nor the key appears in the worker's output (every log line, River's
// included, at debug level, in JSON and in text), its /metrics, its health
// answer, `worker status`, River's job args, any row of any table (every
// column cast to text) or a pg_dump of the database.
func TestSecretsStayOutOfLogsMetricsAndTables(t *testing.T) {
	t.Parallel()
	const (
		clientSecret = "FAKE-LWA-CLIENT-SECRET-b7e1c2d9"
		refreshToken = "Atzr|FAKE-REFRESH-TOKEN-4f0a9e37"
	)
	acct := sim.Account{
		ID: "secrets", ClientID: "amzn1.application-oa2-client.reliability",
		ClientSecret: clientSecret, RefreshToken: refreshToken,
		MarketplaceIDs: sim.DemoAccount.MarketplaceIDs,
	}
	bin := workerBinary(t)
	d := settledDataset(31, 300)
	s := serveSim(t, d, func(o *sim.Options) {
		o.Accounts = []sim.Account{acct}
		o.Faults = sim.Faults{Seed: 5, Error500: 0.02, ExpireAccessToken: 0.05, MalformedJSON: 0.01}
		o.ApplicationQueueARN = applicationQueueARN
	})
	dbURL := dbtest.NewURL(t)
	pool := newPool(t, dbURL)
	key, keyText, err := secretbox.GenerateKey()
	require.NoError(t, err)
	keys := &secretbox.Keyring{Current: key}
	env := workerEnv(dbURL, s.URL, acct, "SPSYNC_SECRET_KEY="+keyText, "SPSYNC_ACCOUNTS_RELOAD=1s")
	// Every line spsync and River log, in both formats: the running
	// worker logs JSON at debug (River's job errors, with their error
	// text, are DEBUG lines), the --once run below text at debug.
	debugJSON := append(slices.Clip(env), "SPSYNC_LOG_LEVEL=debug", "SPSYNC_LOG_FORMAT=json")
	debugText := append(slices.Clip(env), "SPSYNC_LOG_LEVEL=debug", "SPSYNC_LOG_FORMAT=text")

	w, addr := startWorker(t, bin, debugJSON)
	waitFor(t, 2*time.Minute, "a full sync", synced(t, func(q string) (int, error) {
		var n int
		err := pool.QueryRow(context.Background(), q).Scan(&n)
		return n, err
	}, s.Sim, acct.ID))

	// A rotation while the worker runs: its new secret stored, pending;
	// the worker reloads it and probes it, and LWA refuses it while it
	// propagates (its error path runs with the secret in hand).
	newSecret := rotateAndStore(t, s, pool, keys, acct.ClientID, clientSecret)
	waitFor(t, time.Minute, "the worker probes the new secret and records LWA's refusal", func() (bool, error) {
		return count(t, pool, `SELECT count(*) FROM application_secrets WHERE state = 'pending' AND refused_at IS NOT NULL`) == 1, nil
	})
	require.Positive(t, s.CredentialStats().RefusedPropagatingSecret, "LWA refused the propagating secret")

	var exposed strings.Builder
	for _, path := range []string{"/metrics", "/healthz"} {
		resp, err := http.Get("http://" + addr + path)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		exposed.WriteString(path + ":\n" + string(b) + "\n")
	}
	require.Contains(t, exposed.String(), "spsync_", "the metrics page is served")
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, w.wait(t, 45*time.Second))

	// A status command and an --once run add their own output.
	st := startProc(t, "worker status", bin, env, "status")
	st.wait(t, time.Minute)
	require.Contains(t, st.stdout.String(), "CLIENT SECRETS", "status shows the stored credentials")
	once := startProc(t, "worker run --once", bin, debugText, "run", "--once")
	require.Equal(t, 0, once.wait(t, 2*time.Minute), "stderr (tail):\n%s", tail(once.stderr.String(), 20))
	requireEqualTruth(t, pool, s.Sim, acct.ID)

	tokens := s.accessTokens()
	require.GreaterOrEqual(t, len(tokens), 2, "the sync refreshed its access token after injected expiries")
	logs := w.stdout.String() + w.stderr.String() + st.stdout.String() + st.stderr.String() + once.stdout.String() + once.stderr.String()
	require.Contains(t, w.stderr.String(), `"level":"DEBUG","msg":"River client started"`, "the running worker logged River's debug lines, as JSON")
	require.Contains(t, w.stderr.String(), `"msg":"jobexecutor.JobExecutor: Job errored`, "River's job error lines are in the log")
	require.Contains(t, once.stderr.String(), `level=DEBUG msg="River client started"`, "the --once run logged River's debug lines, as text")
	require.Positive(t, count(t, pool, `SELECT count(*) FROM river_job WHERE cardinality(errors) > 0`),
		"job errors were recorded (they are in the dump checked below)")
	dump := dumpTables(t, pool)
	require.Greater(t, len(dump), 100_000, "the table dump holds the synced data")
	backup := pgDump(t, dbURL)
	require.Greater(t, len(backup), 100_000, "pg_dump holds the synced data")
	// The premises: the credentials are in the tables, sealed, and the
	// rotation left its bookkeeping.
	require.Equal(t, 1, count(t, pool, `SELECT count(*) FROM accounts WHERE refresh_token_sealed LIKE 'sb1.%'`), "the refresh token stored sealed")
	require.Equal(t, 2, count(t, pool, `SELECT count(*) FROM application_secrets WHERE secret_sealed LIKE 'sb1.%'`), "both client secrets stored sealed")
	require.Equal(t, 1, count(t, pool, `SELECT count(*) FROM applications WHERE rotation_requested_at IS NOT NULL`), "rotation bookkeeping stored")
	require.Contains(t, backup, "sb1."+key.ID()+".", "pg_dump holds the sealed values")
	var jobArgs string
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(args::text, E'\n'), '') FROM river_job`).Scan(&jobArgs))
	require.NotEmpty(t, jobArgs, "River jobs were recorded")

	secrets := append([]string{clientSecret, refreshToken, "FAKE-LWA-CLIENT-SECRET", "FAKE-REFRESH-TOKEN", newSecret, keyText}, tokens...)
	for i, sec := range secrets {
		for _, in := range []struct{ where, text string }{
			{"the worker's output", logs}, {"/metrics or /healthz", exposed.String()}, {"a table", dump},
			{"pg_dump", backup}, {"River's job args", jobArgs},
		} {
			requireAbsent(t, in.text, sec, fmt.Sprintf("secret #%d in %s", i, in.where))
		}
	}
	t.Logf("%d secrets (client secrets declared and rotated, refresh token, key, %d access tokens) absent from %d bytes of logs, %d bytes of metrics, %d bytes of job args, a %d-byte dump of every table and a %d-byte pg_dump",
		len(secrets), len(tokens), len(logs), exposed.Len(), len(jobArgs), len(dump), len(backup))
}

// requireAbsent fails when secret occurs in text, quoting where it
// occurs (the secret itself replaced) instead of the whole text, which
// may be megabytes.
func requireAbsent(t *testing.T, text, secret, what string) {
	t.Helper()
	i := strings.Index(text, secret)
	if i < 0 {
		return
	}
	from, to := max(0, i-120), min(len(text), i+len(secret)+120)
	t.Fatalf("%s at byte %d: …%s…", what, i, strings.ReplaceAll(text[from:to], secret, "<SECRET>"))
}

// dumpTables returns every row of every table in the database's schemas,
// River's included, as text.
func dumpTables(t *testing.T, pool interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.NotEmpty(t, tables)
	var b strings.Builder
	for _, tbl := range tables {
		rows, err := pool.Query(ctx, `SELECT t::text FROM `+tbl+` t`)
		require.NoError(t, err)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err, tbl)
		b.WriteString(tbl + "\n" + strings.Join(lines, "\n") + "\n")
	}
	return b.String()
}
