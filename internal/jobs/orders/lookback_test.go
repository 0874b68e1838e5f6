package orders_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// TestFirstPollReadsItsLastHourFirst: with FirstWindow an account's first
// poll reads one hour (one searchOrders call) and sets its cursor, and in
// that same transaction starts a lookback backfill of the rest of the 30
// days by last update date; when it is done the table holds exactly the
// orders Amazon has with a last update in the 30 days — including orders
// created before them and changed within them, which a backfill by creation
// date would miss — and the first window's orders are not read twice.
func TestFirstPollReadsItsLastHourFirst(t *testing.T) {
	for _, api := range []string{config.OrdersAPI2026, config.OrdersAPIV0} {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
			clock := sim.NewManualClock(start)
			tb := &testBundle{clock: clock, start: start, Bundle: jobstest.New(t, jobstest.Options{OrdersAPI: api, Sim: sim.Options{
				Seed: 9, Start: start, History: 45 * 24 * time.Hour, Orders: 900, DataClock: clock, RateScale: 600,
			}})}
			const lookback = 30 * 24 * time.Hour
			stream := orders.NewStream(orders.Options{InitialLookback: lookback, FirstWindow: time.Hour})
			w := river.NewWorkers()
			stream.Register(w, tb.Deps)
			backfill.Register(w, tb.Deps, jobs.Streams{stream})
			client := tb.StartClient(t, w, nil)
			tb.poll(t, client)

			ctx := context.Background()
			acct := sim.DemoAccount.ID
			end := start.Add(-twoMinutes) // the first window's end: Amazon's two minutes
			var cursor, success, created time.Time
			var from, to time.Time
			var via, state string
			var windows, done int32
			require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT c.cursor_at, c.last_success_at, b.created_at, b.from_time, b.to_time, b.via, b.state, b.windows_total, b.windows_done
				FROM sync_cursors c JOIN backfills b ON b.account_id = c.account_id AND b.stream = c.stream
				WHERE c.account_id = $1 AND c.stream = 'orders'`, acct).
				Scan(&cursor, &success, &created, &from, &to, &via, &state, &windows, &done))
			require.True(t, cursor.Equal(end), "cursor %s, want the first window's end %s", cursor, end)
			require.True(t, created.Equal(success), "the lookback (started %s) is made in the transaction of the first cursor (%s)", created, success)
			require.Equal(t, backfill.ViaLookback, via)
			require.Equal(t, "done", state)
			require.EqualValues(t, 1, windows, "one window, paged by token")
			require.EqualValues(t, 1, done)
			require.True(t, from.Equal(end.Add(-lookback)), "lookback from %s, want 30 days before the first window's end", from)
			require.True(t, to.Equal(start.Add(-time.Hour)), "lookback to %s, want the first window's start", to)
			var queue string
			require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT queue FROM river_job WHERE kind = 'backfill_window'`).Scan(&queue))
			require.Equal(t, jobs.QueuePoll, queue, "a lookback runs beside the polls, not in the backfill queue sized for an operator's few")
			var mode string
			require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT mode FROM poll_schedules WHERE account_id = $1 AND stream = 'orders'`, acct).Scan(&mode))
			require.Equal(t, "fresh", mode, "the poll that starts the lookback plans its next a refill away: most lookbacks are done in seconds")

			// What Amazon has, last updated in the 30 days, is what is stored.
			clock.Set(end)
			truth, err := tb.Sim.TruthOrders(acct)
			clock.Set(start)
			require.NoError(t, err)
			stored := tb.stored(t)
			want, oldButChanged, inFirst := 0, 0, 0
			for _, o := range truth {
				got, ok := stored[o.AmazonOrderID]
				if o.LastUpdateDate.Before(from) {
					require.False(t, ok, "order %s last updated %s, before the lookback, was stored", o.AmazonOrderID, o.LastUpdateDate)
					continue
				}
				want++
				require.True(t, ok, "order %s (created %s, updated %s) missing", o.AmazonOrderID, o.PurchaseDate, o.LastUpdateDate)
				require.True(t, o.LastUpdateDate.Equal(got.updated), "order %s last update", o.AmazonOrderID)
				require.Equal(t, o.OrderStatus, got.status, "order %s status", o.AmazonOrderID)
				if o.PurchaseDate.Before(from) {
					oldButChanged++
				}
				if !o.LastUpdateDate.Before(to) {
					inFirst++
				}
			}
			require.Len(t, stored, want, "orders stored vs orders Amazon has updated in the lookback")
			require.Positive(t, oldButChanged, "the data must hold orders created before the lookback and changed in it")
			require.Positive(t, inFirst, "the first hour must hold orders")

			// The first poll spent one call; the lookback a page per 100 orders.
			op := spapi.OpSearchOrders
			if api == config.OrdersAPIV0 {
				op = spapi.OpGetOrders
			}
			calls := tb.Sim.Stats()[op].Successes
			var pages int64
			require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT pages FROM backfill_windows WHERE backfill_id = (SELECT id FROM backfills WHERE account_id = $1)`, acct).Scan(&pages))
			require.EqualValues(t, (want-inFirst+99)/100, pages, "lookback pages for %d orders", want-inFirst)
			require.EqualValues(t, 1+pages, calls, "%s calls: the first poll's one and the lookback's pages", op)
		})
	}
}
