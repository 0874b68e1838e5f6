package schema_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/schema"
)

// TestWalkProgressMigration migrates to the schema before 00012, stores a
// half-done walk of each poll and of a backfill window the old ways (three
// poll progress tables, backfill_windows.next_token) and a backfill with the
// old stream spelling, migrates up, and checks that every half-done walk
// resumes from walk_progress with its token, window and counts, that stream
// names are spelled once, and that the old tables are gone. Then down and up
// again.
func TestWalkProgressMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.NewURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	m, err := schema.New(pool, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	require.NoError(t, m.DownTo(ctx, 11))

	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(time.Hour)
	exec := func(sql string, args ...any) {
		t.Helper()
		_, err := pool.Exec(ctx, sql, args...)
		require.NoError(t, err)
	}
	exec(`INSERT INTO orders_poll_progress (account_id, scope, last_updated_after, last_updated_before, next_token, pages, rows_written)
		VALUES ('acct', 'M1', $1, $2, 'orders-tok', 3, 300)`, from, to)
	exec(`INSERT INTO fulfillment_poll_progress (account_id, scope, query_start_date, started_at, next_token, max_status_updated_date, pages, rows_written)
		VALUES ('acct', 'incremental', $1, $2, 'fo-tok', $2, 2, 20)`, from, to)
	exec(`INSERT INTO service_jobs_poll_progress (account_id, scope, last_updated_after, last_updated_before, page_token, pages, rows_written)
		VALUES ('acct', 'M1', $1, $2, 'sj-tok', 1, 7)`, from, to)
	var id int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO backfills (account_id, stream, from_time, to_time, window_seconds, windows_total)
		VALUES ('acct', 'fulfillment-orders', $1, $2, 3600, 2) RETURNING id`, from, to.Add(time.Hour)).Scan(&id))
	exec(`INSERT INTO backfill_windows (backfill_id, window_start, window_end, next_token, pages, rows_written) VALUES
		($1, $2, $3, 'bf-tok', 4, 40), ($1, $3, $4, '', 0, 0)`, id, from, to, to.Add(time.Hour))

	require.NoError(t, m.Up(ctx))

	rows, err := pool.Query(ctx, `SELECT stream, walk, next_token, window_from, window_to, high_water, pages, rows_written FROM walk_progress WHERE account_id = 'acct' ORDER BY stream, walk`)
	require.NoError(t, err)
	var got []walkRow
	for rows.Next() {
		var w walkRow
		require.NoError(t, rows.Scan(&w.stream, &w.walk, &w.token, &w.from, &w.to, &w.high, &w.pages, &w.rows))
		got = append(got, w)
	}
	require.NoError(t, rows.Err())
	backfillWalk := "backfill:" + itoa(id) + ":" + itoa(from.Unix())
	require.Len(t, got, 4)
	require.Equal(t, walkRow{"fulfillment_orders", backfillWalk, "bf-tok", from, &to, nil, 4, 40}, norm(got[0]))
	require.Equal(t, walkRow{"fulfillment_orders", "poll:incremental", "fo-tok", from, nil, &to, 2, 20}, norm(got[1]))
	require.Equal(t, walkRow{"orders", "poll:M1", "orders-tok", from, &to, nil, 3, 300}, norm(got[2]))
	require.Equal(t, walkRow{"service_jobs", "poll:M1", "sj-tok", from, &to, nil, 1, 7}, norm(got[3]))

	var stream string
	require.NoError(t, pool.QueryRow(ctx, `SELECT stream FROM backfills WHERE id = $1`, id).Scan(&stream))
	require.Equal(t, "fulfillment_orders", stream, "stream names are spelled once")
	_, err = pool.Exec(ctx, `INSERT INTO backfills (account_id, stream, from_time, to_time, window_seconds, windows_total)
		VALUES ('acct', 'service-jobs', $1, $2, 3600, 1)`, from, to)
	require.Error(t, err, "the old spelling is no longer stored")
	for _, gone := range []string{"orders_poll_progress", "fulfillment_poll_progress", "service_jobs_poll_progress"} {
		var exists bool
		require.NoError(t, pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, gone).Scan(&exists))
		require.False(t, exists, gone)
	}

	// Down restores the old tables (half-done walks start over, which loses
	// nothing) and the old spelling; up again works.
	require.NoError(t, m.DownTo(ctx, 11))
	require.NoError(t, pool.QueryRow(ctx, `SELECT stream FROM backfills WHERE id = $1`, id).Scan(&stream))
	require.Equal(t, "fulfillment-orders", stream)
	require.NoError(t, m.Up(ctx))
}

// walkRow is a walk_progress row as the test reads it.
type walkRow struct {
	stream, walk, token string
	from                time.Time
	to, high            *time.Time
	pages               int32
	rows                int64
}

// norm puts a walk's times in UTC for comparison.
func norm(w walkRow) walkRow {
	w.from = w.from.UTC()
	if w.to != nil {
		t := w.to.UTC()
		w.to = &t
	}
	if w.high != nil {
		t := w.high.UTC()
		w.high = &t
	}
	return w
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
