package orders_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// twoMinutes is Amazon's rule: a window ends two minutes before its clock,
// so a sync at T holds the source as it stood at T-2m.
const twoMinutes = 2 * time.Minute

type testBundle struct {
	*jobstest.Bundle
	clock *sim.ManualClock
	start time.Time
}

// setup builds a simulator with 2,000 orders spread over three
// marketplaces, its data clock standing still at Start, its usage plans
// scaled up 600 times (getOrders 10/s, getOrderItems 300/s) and enforced on
// the real clock.
func setup(t *testing.T) *testBundle {
	t.Helper()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	b := jobstest.New(t, jobstest.Options{Sim: sim.Options{
		Seed: 5, Start: start, Orders: 2000, DataClock: clock, RateScale: 600,
	}})
	return &testBundle{Bundle: b, clock: clock, start: start}
}

func (tb *testBundle) workers(deps *jobs.Deps) *river.Workers {
	w := river.NewWorkers()
	orders.NewStream(orders.Options{}).Register(w, deps)
	return w
}

// poll inserts one poll of the demo account and runs the world to idle.
func (tb *testBundle) poll(t *testing.T, client *river.Client[pgx.Tx]) {
	t.Helper()
	_, err := client.Insert(context.Background(), orders.PollArgs{AccountID: sim.DemoAccount.ID}, nil)
	require.NoError(t, err)
	tb.RunUntilIdle(t, 2*time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
}

// storedOrder is an order row as the comparison needs it.
type storedOrder struct {
	raw      []byte
	status   string
	updated  time.Time
	total    *string
	itemsRaw map[string][]byte
}

func (tb *testBundle) stored(t *testing.T) map[string]*storedOrder {
	t.Helper()
	ctx := context.Background()
	out := map[string]*storedOrder{}
	rows, err := tb.Pool.Query(ctx, `SELECT amazon_order_id, raw, order_status, last_update_date, order_total_amount::text FROM orders WHERE account_id = $1`, sim.DemoAccount.ID)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		var raw []byte
		o := &storedOrder{itemsRaw: map[string][]byte{}}
		require.NoError(t, rows.Scan(&id, &raw, &o.status, &o.updated, &o.total))
		o.raw = raw
		out[id] = o
	}
	require.NoError(t, rows.Err())
	rows, err = tb.Pool.Query(ctx, `SELECT amazon_order_id, order_item_id, raw FROM order_items WHERE account_id = $1`, sim.DemoAccount.ID)
	require.NoError(t, err)
	for rows.Next() {
		var orderID, itemID string
		var raw []byte
		require.NoError(t, rows.Scan(&orderID, &itemID, &raw))
		o := out[orderID]
		require.NotNil(t, o, "item %s of order %s that is not stored", itemID, orderID)
		o.itemsRaw[itemID] = raw
	}
	require.NoError(t, rows.Err())
	return out
}

// requireInSync compares Postgres with the simulator's ground truth at
// syncedAt-2m, the state a sync at syncedAt can see, field by field. Items
// are compared for every order that did not change in those last two
// minutes (the items job read them at syncedAt). It returns the number of
// orders compared.
func (tb *testBundle) requireInSync(t *testing.T, syncedAt time.Time) int {
	t.Helper()
	acct := sim.DemoAccount.ID
	latest, err := tb.Sim.TruthOrders(acct)
	require.NoError(t, err)
	changedLately := map[string]bool{}
	for _, o := range latest {
		if o.LastUpdateDate.After(syncedAt.Add(-twoMinutes)) {
			changedLately[o.AmazonOrderID] = true
		}
	}
	t.Logf("%d orders changed in the last two minutes before the sync: their items are not compared", len(changedLately))
	tb.clock.Set(syncedAt.Add(-twoMinutes))
	defer tb.clock.Set(syncedAt)
	truth, err := tb.Sim.TruthOrders(acct)
	require.NoError(t, err)

	stored := tb.stored(t)
	require.Len(t, stored, len(truth), "orders stored vs orders Amazon has")
	for _, want := range truth {
		got := stored[want.AmazonOrderID]
		require.NotNil(t, got, "order %s missing", want.AmazonOrderID)
		jobstest.RequireSameTyped[spapi.Order](t, want, got.raw, "order ", want.AmazonOrderID)
		require.Equal(t, want.OrderStatus, got.status)
		require.True(t, want.LastUpdateDate.Equal(got.updated), "order %s last_update_date %s, want %s", want.AmazonOrderID, got.updated, want.LastUpdateDate)
		if want.OrderTotal == nil {
			require.Nil(t, got.total, "order %s has no total on Amazon (Pending): none may be invented", want.AmazonOrderID)
		} else {
			require.NotNil(t, got.total)
			require.True(t, decimal.RequireFromString(want.OrderTotal.Amount).Equal(decimal.RequireFromString(*got.total)),
				"order %s total %s, want %s", want.AmazonOrderID, *got.total, want.OrderTotal.Amount)
		}
		if changedLately[want.AmazonOrderID] {
			continue
		}
		items, err := tb.Sim.TruthOrderItems(acct, want.AmazonOrderID)
		require.NoError(t, err)
		require.Len(t, got.itemsRaw, len(items), "items of order %s", want.AmazonOrderID)
		for _, it := range items {
			jobstest.RequireSameTyped[spapi.OrderItem](t, it, got.itemsRaw[it.OrderItemID], "item ", it.OrderItemID, " of order ", want.AmazonOrderID)
		}
	}
	return len(truth)
}

func (tb *testBundle) versions(t *testing.T) map[string]int64 {
	t.Helper()
	rows, err := tb.Pool.Query(context.Background(), `
		SELECT 'o:' || amazon_order_id, sync_version FROM orders
		UNION ALL SELECT 'i:' || amazon_order_id || ':' || order_item_id, sync_version FROM order_items`)
	require.NoError(t, err)
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var v int64
		require.NoError(t, rows.Scan(&k, &v))
		out[k] = v
	}
	require.NoError(t, rows.Err())
	return out
}

func TestOrdersSyncMatchesAmazon(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)

	// First run: every order created in the 14 days of history so far.
	tb.poll(t, client)
	n := tb.requireInSync(t, tb.start)
	require.Greater(t, n, 1500)

	// Six hours later new orders arrived and statuses moved on.
	before := tb.versions(t)
	at := tb.clock.Advance(6 * time.Hour)
	tb.poll(t, client)
	n2 := tb.requireInSync(t, at)
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

	// A third run with no change at the source moves no sync_version.
	itemCalls := tb.Sim.Stats()[spapi.OpGetOrderItems].Calls
	tb.poll(t, client)
	require.Equal(t, after, tb.versions(t))
	require.Equal(t, itemCalls, tb.Sim.Stats()[spapi.OpGetOrderItems].Calls, "no items fetched for orders that did not change")

	// The cursor sits at the end Amazon reported, two minutes before its clock.
	var cursor time.Time
	require.NoError(t, tb.Pool.QueryRow(context.Background(),
		`SELECT cursor_at FROM sync_cursors WHERE account_id = $1 AND stream = 'orders'`, sim.DemoAccount.ID).Scan(&cursor))
	require.True(t, cursor.Equal(at.Add(-twoMinutes)), "cursor %s", cursor)
}

func TestOrdersPollKilledBetweenPagesResumes(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	ctx := context.Background()

	// A worker that dies before its fourth page.
	killer := jobstest.NewKillingBudget(tb.Deps.Budget, spapi.OpGetOrders, 4)
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

	// Three pages are stored, with where the window continues, and no cursor.
	var pages, stored int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT pages FROM walk_progress WHERE stream = 'orders'`).Scan(&pages))
	require.Equal(t, 3, pages)
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM orders`).Scan(&stored))
	require.Equal(t, 300, stored)
	var cursors int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM sync_cursors WHERE cursor_at IS NOT NULL`).Scan(&cursors))
	require.Zero(t, cursors)

	// A new worker picks the job up again and finishes the window from page 4.
	tb.StartClient(t, tb.workers(tb.Deps), nil)
	tb.RunUntilIdle(t, 2*time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	n := tb.requireInSync(t, tb.start)
	wantPages := int(math.Ceil(float64(n) / 100))
	require.Equal(t, wantPages, tb.Sim.Stats()[spapi.OpGetOrders].Successes, "every page fetched once: the window resumed, it did not restart")
	var itemJobs, distinct int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT args->>'amazon_order_id') FROM river_job WHERE kind = 'order_items'`).Scan(&itemJobs, &distinct))
	require.Equal(t, n, itemJobs, "one items job per order")
	require.Equal(t, n, distinct)
}
