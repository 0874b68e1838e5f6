package orders_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// setup2026 is setup with the demo account on Orders 2026-01-01.
func setup2026(t *testing.T) *testBundle {
	t.Helper()
	return setup2026Orders(t, 800)
}

// setup2026Orders is setup2026 with n orders, for tests that need fewer.
func setup2026Orders(t *testing.T, n int) *testBundle {
	t.Helper()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	b := jobstest.New(t, jobstest.Options{OrdersAPI: config.OrdersAPI2026, Sim: sim.Options{
		Seed: 5, Start: start, Orders: n, DataClock: clock, RateScale: 600,
	}})
	return &testBundle{Bundle: b, clock: clock, start: start}
}

// requireInSync2026 compares Postgres with the simulator's ground truth at
// syncedAt-2m, both versions of it: raw with the 2026 order (PII removed),
// items with its items, and the typed columns with what v0 says of the same
// order (status, total, last update), so the 2026 mapper is checked against
// v0's meaning, not against itself. Items come with their order: all are
// compared.
func (tb *testBundle) requireInSync2026(t *testing.T, syncedAt time.Time) int {
	t.Helper()
	acct := sim.DemoAccount.ID
	tb.clock.Set(syncedAt.Add(-twoMinutes))
	defer tb.clock.Set(syncedAt)
	truth, err := tb.Sim.TruthOrders2026(acct)
	require.NoError(t, err)
	v0, err := tb.Sim.TruthOrders(acct)
	require.NoError(t, err)
	v0ByID := map[string]sim.Order{}
	for _, o := range v0 {
		v0ByID[o.AmazonOrderID] = o
	}

	stored := tb.stored(t)
	require.Len(t, stored, len(truth), "orders stored vs orders Amazon has")
	for _, want := range truth {
		got := stored[want.OrderID]
		require.NotNil(t, got, "order %s missing", want.OrderID)
		jobstest.RequireSameTyped[spapi.Order2026](t, jobstest.Order2026AsStored(t, want), got.raw, "order ", want.OrderID)
		var raw struct {
			Buyer     json.RawMessage `json:"buyer"`
			Recipient struct {
				DeliveryAddress map[string]any `json:"deliveryAddress"`
			} `json:"recipient"`
		}
		require.NoError(t, json.Unmarshal(got.raw, &raw))
		require.Nil(t, raw.Buyer, "order %s stored its buyer", want.OrderID)
		for _, pii := range []string{"name", "postalCode", "phone", "addressLine1"} {
			require.NotContains(t, raw.Recipient.DeliveryAddress, pii, "order %s stored the recipient's %s", want.OrderID, pii)
		}
		old := v0ByID[want.OrderID]
		require.Equal(t, old.OrderStatus, got.status, "order %s status", want.OrderID)
		require.True(t, old.LastUpdateDate.Equal(got.updated))
		if old.OrderTotal == nil {
			require.Nil(t, got.total, "order %s has no total on Amazon (Pending): none may be invented", want.OrderID)
		} else {
			require.NotNil(t, got.total, "order %s total", want.OrderID)
			require.True(t, decimal.RequireFromString(old.OrderTotal.Amount).Equal(decimal.RequireFromString(*got.total)),
				"order %s total %s, v0 says %s (a delivery tip is proceeds, not OrderTotal)", want.OrderID, *got.total, old.OrderTotal.Amount)
		}
		require.Len(t, got.itemsRaw, len(want.OrderItems), "items of order %s", want.OrderID)
		wantItems := jobstest.Order2026AsStored(t, want)["orderItems"].([]any)
		for k, it := range want.OrderItems {
			jobstest.RequireSameTyped[spapi.OrderItem2026](t, wantItems[k], got.itemsRaw[it.OrderItemID], "item ", it.OrderItemID, " of order ", want.OrderID)
		}
	}
	return len(truth)
}

// TestOrders2026SyncMatchesAmazon is TestOrdersSyncMatchesAmazon through
// Orders 2026-01-01: three runs (history, changes, no change) end equal to
// the truth field by field, without a single getOrderItems call, and the
// run without source changes moves no version.
func TestOrders2026SyncMatchesAmazon(t *testing.T) {
	t.Parallel()
	tb := setup2026(t)
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)

	tb.poll(t, client)
	n := tb.requireInSync2026(t, tb.start)
	require.Greater(t, n, 600, "a window of several 100-order pages")

	before := tb.versions(t)
	at := tb.clock.Advance(6 * time.Hour)
	tb.poll(t, client)
	n2 := tb.requireInSync2026(t, at)
	require.Greater(t, n2, n, "new orders arrived")
	after := tb.versions(t)
	changed := 0
	for k, v := range before {
		if after[k] != v {
			changed++
		}
	}
	require.Positive(t, changed, "statuses changed, so some rows must have new versions")
	require.Less(t, changed, len(before), "unchanged rows keep their versions")

	pages := tb.Sim.Stats()[spapi.OpSearchOrders].Successes
	tb.poll(t, client)
	require.Equal(t, after, tb.versions(t), "a run without source changes moves no version")
	require.Equal(t, pages+1, tb.Sim.Stats()[spapi.OpSearchOrders].Successes, "one page: nothing changed in the overlap")

	stats := tb.Sim.Stats()
	require.Zero(t, stats[spapi.OpGetOrderItems].Calls, "items come inline: no getOrderItems")
	require.Zero(t, stats[spapi.OpGetOrders].Calls, "no v0 call at all")

	var cursor time.Time
	require.NoError(t, tb.Pool.QueryRow(context.Background(),
		`SELECT cursor_at FROM sync_cursors WHERE account_id = $1 AND stream = 'orders'`, sim.DemoAccount.ID).Scan(&cursor))
	require.True(t, cursor.Equal(at.Add(-twoMinutes)), "cursor %s", cursor)

	var versions []string
	rows, err := tb.Pool.Query(context.Background(), `SELECT DISTINCT api_version FROM orders UNION SELECT DISTINCT api_version FROM order_items`)
	require.NoError(t, err)
	for rows.Next() {
		var v string
		require.NoError(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"2026-01-01"}, versions)
}

// TestOrders2026KilledThenTokenExpired: a searchOrders walk killed before
// its fourth page keeps three pages and no cursor; the next worker presents
// the saved paginationToken, which Amazon refuses as expired (they live
// 24 h): the window starts again from the same cursor and the sync ends
// equal to the truth, every order written once per change.
func TestOrders2026KilledThenTokenExpired(t *testing.T) {
	t.Parallel()
	tb := setup2026(t)
	ctx := context.Background()

	killer := jobstest.NewKillingBudget(tb.Deps.Budget, spapi.OpSearchOrders, 4)
	dying := *tb.Deps
	dying.Budget = killer
	client := tb.StartClient(t, tb.workers(&dying), nil)
	_, err := client.Insert(ctx, orders.PollArgs{AccountID: sim.DemoAccount.ID}, nil)
	require.NoError(t, err)
	select {
	case <-killer.Killed():
	case <-time.After(time.Minute):
		t.Fatal("the poll never reached its fourth page")
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, client.StopAndCancel(stopCtx))

	var pages int
	var token string
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT pages, next_token FROM walk_progress WHERE stream = 'orders'`).Scan(&pages, &token))
	require.Equal(t, 3, pages)
	require.NotEmpty(t, token)
	require.Equal(t, 300, tb.count(t, `SELECT count(*) FROM orders`))
	require.Equal(t, 300, tb.count(t, `SELECT count(DISTINCT amazon_order_id) FROM order_items`), "items came with their orders")
	require.Zero(t, tb.count(t, `SELECT count(*) FROM sync_cursors WHERE cursor_at IS NOT NULL`))

	expiring := jobstest.NewKillingBudget(tb.Deps.Budget, spapi.OpSearchOrders, 0) // never kills
	expiring.OnTake = func(n int) {
		switch n {
		case 1:
			tb.Sim.SetFaults(sim.Faults{ExpirePageToken: 1, Ops: []string{spapi.OpSearchOrders}})
		case 2:
			tb.Sim.SetFaults(sim.Faults{})
		}
	}
	resumed := *tb.Deps
	resumed.Budget = expiring
	tb.StartClient(t, tb.workers(&resumed), nil)
	tb.RunUntilIdle(t, 2*time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	n := tb.requireInSync2026(t, tb.start)
	stats := tb.Sim.Stats()[spapi.OpSearchOrders]
	require.Equal(t, 1, stats.Errors, "one expired token")
	require.Equal(t, 3+(n+99)/100, stats.Successes, "three pages before the kill, then the whole window again")
	require.Zero(t, tb.count(t, `SELECT count(*) FROM walk_progress`))
	require.Zero(t, tb.Sim.Stats()[spapi.OpGetOrderItems].Calls)
}
