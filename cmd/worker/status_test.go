package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/status"
	"github.com/spsync/spsync/internal/status/statustest"
)

// statusEnv seeds n accounts (statustest.Seed) into a new database and
// returns the environment `worker status` reads it with.
func statusEnv(t testing.TB, n int) map[string]string {
	t.Helper()
	url := dbtest.NewURL(t)
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	defer pool.Close()
	require.NoError(t, statustest.Seed(context.Background(), pool, n))
	return map[string]string{"DATABASE_URL": url, "SPSYNC_HTTP_ADDR": "127.0.0.1:0"}
}

// TestStatusAtScale: with more rows than --worst, each per-account table
// is summarised and shows its worst rows; --account shows one account in
// full; --all every row; --json every row plus the summary.
func TestStatusAtScale(t *testing.T) {
	t.Parallel()
	env := statusEnv(t, 100)

	code, out, stderr := runCmd(t, env, "status")
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{
		"STREAMS: 500 cursors of 100 accounts",
		"WORST 20 CURSORS: failing, not polled yet, then by lag",
		"… 480 more cursors (worker status --account ID shows one account, --all every row)",
		"BUDGETS: 1,000 buckets",
		"POLLS: 97 budget-aware polls: 83 fresh, 0 backfill, 10 safety-net, 4 over-ceiling",
		"The same holds for the other 3 polls over their ceiling",
		"ACCOUNTS: 97 active, 1 paused, 1 needs_reauth, 1 removed",
	} {
		require.Contains(t, out, want)
	}
	// The per-stream table counts every cursor once: seller-0011 fails
	// (its 1 + 2 service_jobs marketplaces), seller-0009 and 0059 are hours
	// behind, seller-0003 is not polled yet, 0007/0017/0027 not active.
	require.Regexp(t, `(?m)^orders\s+100\s+93\s+2\s+1\s+1\s+3\s`, out)
	// The worst rows are the failing ones first.
	worstRows := out[strings.Index(out, "WORST 20 CURSORS"):strings.Index(out, "… 480 more cursors")]
	require.Regexp(t, `(?m)^seller-0011\s+\S+.*InternalFailure`, strings.Split(worstRows, "\n")[2])
	require.Less(t, strings.Count(out, "\n"), 300, "the report at 100 accounts stays a few screens")

	code, out, stderr = runCmd(t, env, "status", "--account", "seller-0011")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "spsync status of account seller-0011 at ")
	require.Contains(t, out, "ACCOUNT seller-0011: active; selling partner A000000000011; last authorized ")
	require.Equal(t, 6, len(regexp.MustCompile(`(?m)^seller-0011\s+(orders|fulfillment_orders|financial_transactions|service_jobs)\s+\S+\s+\d{4}-`).FindAllString(out, -1)), out)
	require.Equal(t, 10, len(regexp.MustCompile(`(?m)^seller-0011\s+na\s+\S+\s+\d`).FindAllString(out, -1)), "every bucket of the account:\n%s", out)
	require.NotContains(t, out, "seller-0012")
	require.NotContains(t, out, "QUEUE", "deployment-wide sections are left out")
	require.NotContains(t, out, "more cursors")

	code, out, stderr = runCmd(t, env, "status", "--account", "seller-0017")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "ACCOUNT seller-0017: needs_reauth; selling partner A000000000017; last authorized ")
	require.Contains(t, out, "seller-0017: the seller must authorize the application again")

	code, _, stderr = runCmd(t, env, "status", "--account", "nobody")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `no account "nobody"`)

	code, out, stderr = runCmd(t, env, "status", "--all")
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, out, "WORST")
	require.Len(t, regexp.MustCompile(`(?m)^seller-\d{4}\s+(orders|fulfillment_orders|financial_transactions|service_jobs)\s+\S+\s+(\d{4}-|-)`).FindAllString(out, -1), 500)

	code, out, stderr = runCmd(t, env, "status", "--worst", "5")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "WORST 5 CURSORS")
	require.Contains(t, out, "… 495 more cursors")

	code, out, stderr = runCmd(t, env, "status", "--json", "--worst", "3")
	require.Equal(t, 0, code, stderr)
	var r status.Report
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.Len(t, r.Streams, 500, "the JSON keeps every row")
	require.Len(t, r.Budgets, 1000)
	require.NotNil(t, r.Summary)
	require.Equal(t, 100, r.Summary.Accounts)
	require.Len(t, r.Summary.WorstLags, 3)
	require.Equal(t, "seller-0011", r.Summary.WorstLags[0].AccountID)
	require.Len(t, r.Summary.Streams, 4)
	require.Len(t, r.Summary.BucketsNearEmpty, 3)
	require.Equal(t, map[string]int{"fresh": 83, "safety-net": 10, "over-ceiling": 4}, r.Summary.PollModes)

	code, out, stderr = runCmd(t, env, "status", "--json", "--account", "seller-0042")
	require.Equal(t, 0, code, stderr)
	r = status.Report{}
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.Len(t, r.Streams, 4, "three streams and service jobs in its one marketplace")
	require.Len(t, r.Quarantine, 1)
	require.Empty(t, r.Queues)

	code, _, stderr = runCmd(t, env, "status", "--worst", "-1")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--worst -1")
}
