package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/store"
)

// TestPollBackfillRunning: a poll shares its list bucket with a running
// backfill by the list's windows or with a first poll's lookback, not with
// one of reports (other buckets) or one that is over.
func TestPollBackfillRunning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	for _, tc := range []struct {
		account, via, state string
		running             bool
	}{
		{"by-list", "api", "running", true},
		{"lookback", "lookback", "running", true},
		{"reports", "reports", "running", false},
		{"lookback-done", "lookback", "done", false},
	} {
		require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			b, err := store.CreateBackfill(ctx, tx, store.NewBackfill{AccountID: tc.account, Stream: "orders", FromTime: from, ToTime: to,
				WindowSeconds: 86400, WindowsTotal: 1, Via: tc.via}, []time.Time{from}, []time.Time{to})
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE backfills SET state = $2 WHERE id = $1`, b.ID, tc.state)
			return err
		}))
		got, err := store.PollBackfillRunning(ctx, pool, tc.account, "orders")
		require.NoError(t, err)
		require.Equal(t, tc.running, got, "%s backfill, %s", tc.via, tc.state)
		other, err := store.PollBackfillRunning(ctx, pool, tc.account, "service_jobs")
		require.NoError(t, err)
		require.False(t, other, "another stream's bucket")
	}
}
