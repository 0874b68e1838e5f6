package orders_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// TestOrders2026OrderAtWindowEndStoredOnce: searchOrders includes both
// bounds, lastUpdatedAfter and lastUpdatedBefore. An order updated exactly
// at a window's end is stored by that window; the next window starts at
// the same instant (the cursor, no overlap), so Amazon lists the order
// again, and that second listing writes nothing and moves no
// sync_version. The order is neither lost nor stored twice, and the rest
// of the sync ends equal to the truth.
func TestOrders2026OrderAtWindowEndStoredOnce(t *testing.T) {
	t.Parallel()
	tb := setup2026Orders(t, 400)
	ctx := context.Background()
	acct := sim.DemoAccount.ID
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)
	tb.poll(t, client)

	// An order whose last update (u) comes after the first window and is
	// still its last one six hours on.
	later := tb.start.Add(6 * time.Hour)
	tb.clock.Set(later)
	truth, err := tb.Sim.TruthOrders2026(acct)
	require.NoError(t, err)
	var id string
	var u time.Time
	for _, o := range truth {
		if o.LastUpdatedTime.After(tb.start.Add(time.Hour)) && o.LastUpdatedTime.Before(later.Add(-time.Hour)) {
			id, u = o.OrderID, o.LastUpdatedTime
			break
		}
	}
	require.NotEmpty(t, id, "an order updated in the six hours")

	// The second window ends exactly at u: Amazon's end is two minutes
	// before its clock.
	tb.clock.Set(u.Add(twoMinutes))
	tb.poll(t, client)
	var cursor time.Time
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT cursor_at FROM sync_cursors WHERE account_id = $1 AND stream = 'orders'`, acct).Scan(&cursor))
	require.True(t, cursor.Equal(u), "the window ended at the order's update: cursor %s, update %s", cursor, u)
	var stored time.Time
	var version int64
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT last_update_date, sync_version FROM orders WHERE account_id = $1 AND amazon_order_id = $2`, acct, id).Scan(&stored, &version))
	require.True(t, stored.Equal(u), "the window that ends at the update stored it")

	// Amazon lists it again in the next window, which starts at the cursor.
	next, err := tb.Deps.Accounts[acct].Client.SearchOrders(ctx, spapi.SearchOrdersRequest{
		MarketplaceIDs: sim.DemoAccount.MarketplaceIDs, LastUpdatedAfter: cursor, LastUpdatedBefore: cursor, MaxResultsPerPage: 100,
	})
	require.NoError(t, err)
	listed := false
	for _, o := range next.Orders {
		listed = listed || o.OrderId == id
	}
	require.True(t, listed, "both bounds are inclusive: the next window lists the order again")

	tb.clock.Set(later)
	tb.poll(t, client)
	require.Equal(t, 1, tb.count(t, `SELECT count(*) FROM orders WHERE account_id = $1 AND amazon_order_id = $2`, acct, id))
	var again int64
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT sync_version FROM orders WHERE account_id = $1 AND amazon_order_id = $2`, acct, id).Scan(&again))
	require.Equal(t, version, again, "the second listing wrote nothing")
	tb.requireInSync2026(t, later)
}
