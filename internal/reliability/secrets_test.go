package reliability

import (
	"context"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/spapi/sim"
)

// TestSecretsStayOutOfLogsMetricsAndTables runs a full sync with
// recognizable fake credentials, under faults that make the worker log
// errors and refresh its access token, and asserts that neither the client
// secret, the refresh token nor any access token the simulator issued
// appears in the worker's output, its /metrics, its health answer or any
// row of any table (every column cast to text).
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
	})
	dbURL := dbtest.NewURL(t)
	pool := newPool(t, dbURL)
	env := workerEnv(dbURL, s.URL, acct)

	w, addr := startWorker(t, bin, env)
	waitFor(t, 2*time.Minute, "a full sync", synced(t, func(q string) (int, error) {
		var n int
		err := pool.QueryRow(context.Background(), q).Scan(&n)
		return n, err
	}, s.Sim, acct.ID))
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
	once := startProc(t, "worker run --once", bin, env, "run", "--once")
	require.Equal(t, 0, once.wait(t, 2*time.Minute), "stderr (tail):\n%s", tail(once.stderr.String(), 20))
	requireEqualTruth(t, pool, s.Sim, acct.ID)

	tokens := s.accessTokens()
	require.GreaterOrEqual(t, len(tokens), 2, "the sync refreshed its access token after injected expiries")
	logs := w.stdout.String() + w.stderr.String() + st.stdout.String() + st.stderr.String() + once.stdout.String() + once.stderr.String()
	require.Contains(t, logs, `"level":"`, "the worker logged")
	require.Positive(t, count(t, pool, `SELECT count(*) FROM river_job WHERE cardinality(errors) > 0`),
		"job errors were recorded (they are in the dump checked below)")
	dump := dumpTables(t, pool)
	require.Greater(t, len(dump), 100_000, "the table dump holds the synced data")

	secrets := append([]string{clientSecret, refreshToken, "FAKE-LWA-CLIENT-SECRET", "FAKE-REFRESH-TOKEN"}, tokens...)
	for _, sec := range secrets {
		require.NotContains(t, logs, sec, "a secret in the worker's output")
		require.NotContains(t, exposed.String(), sec, "a secret in /metrics or /healthz")
		require.NotContains(t, dump, sec, "a secret in a table")
	}
	t.Logf("%d secrets (client secret, refresh token, %d access tokens) absent from %d bytes of logs, %d bytes of metrics and a %d-byte dump of every table",
		len(secrets), len(tokens), len(logs), exposed.Len(), len(dump))
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
