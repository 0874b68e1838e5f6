package schema_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/schema"
	"github.com/spsync/spsync/internal/status"
)

// TestServiceJobsPerMarketplaceMigration migrates to the schema before
// 00018, stores what an earlier release left behind (a three-marketplace
// account's combined service jobs cursor and half-done poll, a
// one-marketplace account's cursor and poll, a half-done service jobs
// backfill window, and the orders stream's combined scope, which getOrders
// allows), migrates up, and checks that only the combined service jobs scope
// is gone: from the tables and from `worker status`.
func TestServiceJobsPerMarketplaceMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.NewURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	m, err := schema.New(pool, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	require.NoError(t, m.DownTo(ctx, 17))

	const combined = "A1AM78C64UM0Y8,A2EUQ1WTGCTBG2,ATVPDKIKX0DER"
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	exec := func(sql string, args ...any) {
		t.Helper()
		_, err := pool.Exec(ctx, sql, args...)
		require.NoError(t, err)
	}
	exec(`INSERT INTO sync_cursors (account_id, stream, scope, cursor_at, rows_written) VALUES
		('three', 'service_jobs', $1, $2, 0),
		('three', 'orders', $1, $2, 10),
		('one', 'service_jobs', 'ATVPDKIKX0DER', $2, 20)`, combined, at)
	exec(`INSERT INTO walk_progress (account_id, stream, walk, window_from, window_to, started_at, next_token, pages) VALUES
		('three', 'service_jobs', 'poll:' || $1, $2, $2, $2, 'sj-tok', 1),
		('three', 'orders', 'poll:' || $1, $2, $2, $2, 'orders-tok', 1),
		('three', 'service_jobs', 'backfill:7:1772323200', $2, $2, $2, 'bf-tok', 2),
		('one', 'service_jobs', 'poll:ATVPDKIKX0DER', $2, $2, $2, 'one-tok', 3)`, combined, at)

	require.NoError(t, m.Up(ctx))

	rows, err := pool.Query(ctx, `SELECT account_id || '/' || stream || '/' || scope FROM sync_cursors ORDER BY 1`)
	require.NoError(t, err)
	cursors, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{
		"one/service_jobs/ATVPDKIKX0DER",
		"three/orders/" + combined,
	}, cursors, "the combined service jobs cursor is gone; the one-marketplace one and orders' stay")
	var kept time.Time
	require.NoError(t, pool.QueryRow(ctx, `SELECT cursor_at FROM sync_cursors WHERE account_id = 'one' AND stream = 'service_jobs'`).Scan(&kept))
	require.True(t, at.Equal(kept), "the one-marketplace account keeps its cursor: %s", kept)

	rows, err = pool.Query(ctx, `SELECT account_id || '/' || stream || '/' || walk || '/' || next_token FROM walk_progress ORDER BY 1`)
	require.NoError(t, err)
	walks, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{
		"one/service_jobs/poll:ATVPDKIKX0DER/one-tok",
		"three/orders/poll:" + combined + "/orders-tok",
		"three/service_jobs/backfill:7:1772323200/bf-tok",
	}, walks)

	r, err := status.Collect(ctx, pool)
	require.NoError(t, err)
	for _, s := range r.Streams {
		if s.Stream == "service_jobs" {
			require.Equal(t, "ATVPDKIKX0DER", s.Scope, "worker status shows no orphaned service jobs scope")
		}
	}

	// Down changes nothing; up again works.
	require.NoError(t, m.DownTo(ctx, 17))
	require.NoError(t, m.Up(ctx))
}
