package orders_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/jobs/orders/ordermap"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// piiAccounts hold the same orders' PII: one purge job serves every
// account (it is registered once, not once per account).
var piiAccounts = []string{"acct-pii", "acct-pii-2"}

// piiOrderV0 decodes an Orders v0 order header.
func piiOrderV0(t *testing.T, id, status string, updated time.Time) spapi.Order {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"AmazonOrderId": id, "PurchaseDate": "2026-01-01T00:00:00Z", "LastUpdateDate": updated.UTC().Format(time.RFC3339), "OrderStatus": status,
	})
	require.NoError(t, err)
	var o spapi.Order
	require.NoError(t, json.Unmarshal(b, &o))
	return o
}

func TestPIIPurge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	const retention = 30 * 24 * time.Hour

	type testBundle struct {
		*jobstest.Bundle
		clock  *sim.ManualClock
		client *river.Client[pgx.Tx]

		mu     sync.Mutex
		purged []int64
	}
	// setup stores each account's PII written with a 30-day retention, runs a River client
	// with the purge worker built with workerRetention, and has the data
	// clock stand still at start.
	setup := func(t *testing.T, workerRetention time.Duration, o2026 []spapi.Order2026, v0 []spapi.Order) *testBundle {
		t.Helper()
		clock := sim.NewManualClock(start)
		tb := &testBundle{Bundle: jobstest.New(t, jobstest.Options{Sim: sim.Options{Seed: 7, Start: start, Orders: 1, DataClock: clock}}), clock: clock}
		tb.Deps.OnPIIPurged = func(n int64) {
			tb.mu.Lock()
			defer tb.mu.Unlock()
			tb.purged = append(tb.purged, n)
		}
		piiRows, err := ordermap.PII(o2026)
		require.NoError(t, err)
		v0Rows, err := ordermap.Orders(v0)
		require.NoError(t, err)
		require.NoError(t, pgx.BeginFunc(ctx, tb.Pool, func(tx pgx.Tx) error {
			for _, acct := range piiAccounts {
				if _, err := store.UpsertOrderPII(ctx, tx, acct, piiRows, retention); err != nil {
					return err
				}
				if _, err := store.UpsertOrders(ctx, tx, acct, v0Rows); err != nil {
					return err
				}
			}
			return nil
		}))
		workers := river.NewWorkers()
		river.AddWorker(workers, orders.NewPIIPurgeWorker(tb.Deps, workerRetention))
		tb.client = tb.StartClient(t, workers, nil)
		return tb
	}
	// purge runs one purge job to completion and returns what it reported.
	purge := func(t *testing.T, tb *testBundle) int64 {
		t.Helper()
		res, err := tb.client.Insert(ctx, orders.PIIPurgeArgs{}, nil)
		require.NoError(t, err)
		tb.RunUntilIdle(t, time.Minute)
		job, err := tb.client.JobGet(ctx, res.Job.ID)
		require.NoError(t, err)
		require.Equal(t, rivertype.JobStateCompleted, job.State, "the purge ran without an error: %v", job.Errors)
		tb.mu.Lock()
		defer tb.mu.Unlock()
		require.NotEmpty(t, tb.purged, "the purge reported its count")
		return tb.purged[len(tb.purged)-1]
	}
	// remaining lists the order ids whose PII is left, once per account
	// (every account holds the same orders).
	remaining := func(t *testing.T, tb *testBundle) []string {
		t.Helper()
		rows, err := tb.Pool.Query(ctx, `SELECT account_id, amazon_order_id FROM order_pii ORDER BY 2, 1`)
		require.NoError(t, err)
		type row struct{ Account, ID string }
		left, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
		require.NoError(t, err)
		var ids []string
		for i := 0; i < len(left); i += len(piiAccounts) {
			for j, acct := range piiAccounts {
				require.Less(t, i+j, len(left), "every account keeps the same rows: %v", left)
				require.Equal(t, row{acct, left[i].ID}, left[i+j], "every account keeps the same rows: %v", left)
			}
			ids = append(ids, left[i].ID)
		}
		return ids
	}

	t.Run("DeletesWhatIsDueOnTheInjectedClock", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, retention, []spapi.Order2026{
			jobstest.PIIOrder2026(t, "EXPIRED", "SHIPPED", start.Add(-retention-time.Hour)),
			jobstest.PIIOrder2026(t, "TOMORROW", "CANCELLED", start.Add(-retention+24*time.Hour)),
			jobstest.PIIOrder2026(t, "OPEN", "UNSHIPPED", start.Add(-365*24*time.Hour)),
		}, nil)
		require.Equal(t, []string{"EXPIRED", "OPEN", "TOMORROW"}, remaining(t, tb))

		require.EqualValues(t, 2, purge(t, tb), "one row of each account")
		require.Equal(t, []string{"OPEN", "TOMORROW"}, remaining(t, tb))

		tb.clock.Advance(48 * time.Hour)
		require.EqualValues(t, 2, purge(t, tb))
		require.Equal(t, []string{"OPEN"}, remaining(t, tb))

		tb.clock.Advance(10 * 365 * 24 * time.Hour)
		require.EqualValues(t, 0, purge(t, tb), "an open order's PII is never due")
		require.Equal(t, []string{"OPEN"}, remaining(t, tb))
	})

	t.Run("RetentionDatesOrdersClosedOnlyInOrders", func(t *testing.T) {
		t.Parallel()
		shipped := start.Add(-5 * 24 * time.Hour)
		cases := []struct {
			name      string
			retention time.Duration
			want      time.Time
		}{
			{"Configured", 7 * 24 * time.Hour, shipped.Add(7 * 24 * time.Hour)},
			{"ZeroIsThirtyDays", 0, shipped.Add(30 * 24 * time.Hour)},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tb := setup(t, tc.retention,
					[]spapi.Order2026{jobstest.PIIOrder2026(t, "V0", "UNSHIPPED", shipped.Add(-time.Hour))},
					[]spapi.Order{piiOrderV0(t, "V0", "Shipped", shipped)})
				require.EqualValues(t, 0, purge(t, tb))
				var deleteAfter time.Time
				for _, acct := range piiAccounts {
					require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT delete_after FROM order_pii WHERE account_id = $1 AND amazon_order_id = 'V0'`, acct).Scan(&deleteAfter))
					require.True(t, tc.want.Equal(deleteAfter), "%s: delete_after %s, want %s", acct, deleteAfter, tc.want)
				}
			})
		}
	})
}
