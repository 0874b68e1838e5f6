package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
)

// snapshot is everything a simulator holds for its demo account.
type snapshot struct {
	Orders      []sim.Order
	Items       [][]sim.OrderItem
	Fulfillment []sim.FulfillmentOrderDetail
	Packages    []int
	Jobs        []sim.ServiceJob
}

func takeSnapshot(t *testing.T, s *sim.Sim) snapshot {
	t.Helper()
	id := s.Accounts()[0].ID
	var snap snapshot
	var err error
	snap.Orders, err = s.TruthOrders(id)
	require.NoError(t, err)
	for _, o := range snap.Orders {
		items, err := s.TruthOrderItems(id, o.AmazonOrderID)
		require.NoError(t, err)
		snap.Items = append(snap.Items, items)
	}
	snap.Fulfillment, err = s.TruthFulfillmentOrders(id)
	require.NoError(t, err)
	snap.Packages, err = s.TruthPackageNumbers(id)
	require.NoError(t, err)
	snap.Jobs, err = s.TruthServiceJobs(id)
	require.NoError(t, err)
	return snap
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	build := func(seed int64) snapshot {
		return takeSnapshot(t, sim.MustNew(sim.Options{Seed: seed, Start: start, Orders: 200, DataClock: sim.NewManualClock(start)}))
	}
	tests := []struct {
		name  string
		seedA int64
		seedB int64
		same  bool
	}{
		{"SameSeedSameData", 42, 42, true},
		{"OtherSeedOtherData", 42, 43, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := build(tt.seedA), build(tt.seedB)
			if tt.same {
				require.Equal(t, jsonString(t, a), jsonString(t, b))
				return
			}
			require.NotEqual(t, a.Orders[0].AmazonOrderID, b.Orders[0].AmazonOrderID)
			require.NotEqual(t, jsonString(t, a.Jobs), jsonString(t, b.Jobs))
		})
	}
}

func TestOrderStatusesProgressWithTheClock(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) { o.Orders = 1000 })
	ctx := context.Background()

	b.data.Set(start.Add(-10 * 24 * time.Hour))
	before, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)
	var pending []sim.Order
	for _, o := range before {
		require.False(t, o.PurchaseDate.After(b.sim.Now()), "only orders created by now exist")
		require.False(t, o.LastUpdateDate.After(b.sim.Now()))
		if o.OrderStatus == "Pending" {
			require.Nil(t, o.OrderTotal, "pending orders have no total")
			pending = append(pending, o)
		}
	}
	require.NotEmpty(t, pending, "some orders are pending at any moment")

	// Through the API too: a pending order has no total.
	res, err := b.client.GetOrder(ctx, pending[0].AmazonOrderID)
	require.NoError(t, err)
	require.Equal(t, "Pending", res.Order.OrderStatus)
	require.Nil(t, res.Order.OrderTotal)

	b.data.Advance(3 * 24 * time.Hour)
	for _, p := range pending {
		res, err := b.client.GetOrder(ctx, p.AmazonOrderID)
		require.NoError(t, err)
		o := res.Order
		require.NotEqual(t, "Pending", o.OrderStatus, "pending never lasts three days")
		require.True(t, o.LastUpdateDate.After(p.LastUpdateDate), "LastUpdateDate moves with the status")
		require.Equal(t, p.PurchaseDate, o.PurchaseDate)
		if o.OrderStatus != "Canceled" {
			require.NotNil(t, o.OrderTotal)
		}
	}
	after, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)
	require.Greater(t, len(after), len(before), "new orders arrive")
}
