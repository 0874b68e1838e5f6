package status_test

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/status"
)

// TestReportLagPerMarketplace: service jobs are polled per marketplace, so
// each marketplace's cursor is its own row, with its own lag and error, in
// the JSON (scope) and in the text report (SCOPE).
func TestReportLagPerMarketplace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	_, err := pool.Exec(ctx, `INSERT INTO sync_cursors (account_id, stream, scope, cursor_at, last_success_at, last_error, last_error_at) VALUES
		('acct', 'orders', '', now() - interval '3 minutes', now(), NULL, NULL),
		('acct', 'service_jobs', 'ATVPDKIKX0DER', now() - interval '2 minutes', now(), NULL, NULL),
		('acct', 'service_jobs', 'A2EUQ1WTGCTBG2', now() - interval '61 minutes', now() - interval '59 minutes', 'InternalFailure', now()),
		('acct', 'service_jobs', 'A1AM78C64UM0Y8', now() - interval '4 minutes', now(), NULL, NULL)`)
	require.NoError(t, err)

	r, err := status.Collect(ctx, pool)
	require.NoError(t, err)
	lags := map[string]float64{}
	for _, s := range r.Streams {
		if s.Stream == "service_jobs" {
			require.NotNil(t, s.LagSeconds, s.Scope)
			lags[s.Scope] = *s.LagSeconds
		}
	}
	require.Len(t, lags, 3)
	require.InDelta(t, 120, lags["ATVPDKIKX0DER"], 5)
	require.InDelta(t, 61*60, lags["A2EUQ1WTGCTBG2"], 5)
	require.InDelta(t, 240, lags["A1AM78C64UM0Y8"], 5)

	var text bytes.Buffer
	require.NoError(t, r.WriteText(&text))
	require.Regexp(t, `ACCOUNT\s+STREAM\s+SCOPE\s+CURSOR\s+LAG`, text.String())
	for _, row := range []string{
		`acct\s+orders\s+-\s+\S+ \S+\s+3m\d+s\s`,
		`acct\s+service_jobs\s+ATVPDKIKX0DER\s+\S+ \S+\s+2m\d+s\s`,
		`acct\s+service_jobs\s+A2EUQ1WTGCTBG2\s+\S+ \S+\s+1h1m\d+s\s.*InternalFailure`,
		`acct\s+service_jobs\s+A1AM78C64UM0Y8\s+\S+ \S+\s+4m\d+s\s`,
	} {
		require.Regexp(t, regexp.MustCompile(row), text.String())
	}
}
