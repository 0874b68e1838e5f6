package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

func TestOrderRates(t *testing.T) {
	t.Parallel()

	// Two hours at 300 an hour, then one at 1,200, after a history whose
	// orders are all done changing.
	rates := []sim.OrderRate{
		{From: start, To: start.Add(2 * time.Hour), PerHour: 300},
		{From: start.Add(2 * time.Hour), To: start.Add(3 * time.Hour), PerHour: 1200},
	}
	setupRates := func(t *testing.T) *testBundle {
		t.Helper()
		return setup(t, func(o *sim.Options) {
			o.Start, o.History, o.Horizon = start.Add(-20*24*time.Hour), 10*24*time.Hour, time.Second
			o.OrderRates = rates
		})
	}

	t.Run("EachSpanHoldsItsRateOfChanges", func(t *testing.T) {
		t.Parallel()
		b := setupRates(t)
		b.data.Set(start.Add(3 * time.Hour))
		acct := b.acct.ID
		all, err := b.sim.OrderChanges(acct, start.Add(-time.Hour), start.Add(4*time.Hour))
		require.NoError(t, err)
		require.Len(t, all, 600+1200, "the history's orders changed long before")
		first, err := b.sim.OrderChanges(acct, start, start.Add(time.Hour))
		require.NoError(t, err)
		require.InDelta(t, 300, len(first), 60, "an hour of the first span")
		last, err := b.sim.OrderChanges(acct, start.Add(2*time.Hour), start.Add(3*time.Hour))
		require.NoError(t, err)
		require.Len(t, last, 1200)
		for i := 1; i < len(all); i++ {
			require.False(t, all[i].At.Before(all[i-1].At), "in time order")
		}
	})

	t.Run("TheLogEndsAtTheDataClock", func(t *testing.T) {
		t.Parallel()
		b := setupRates(t)
		b.data.Set(start.Add(30 * time.Minute))
		got, err := b.sim.OrderChanges(b.acct.ID, start, start.Add(4*time.Hour))
		require.NoError(t, err)
		require.InDelta(t, 150, len(got), 45)
		for _, c := range got {
			require.False(t, c.At.After(start.Add(30*time.Minute)))
		}
	})

	t.Run("SearchOrdersListsEachChangeOfItsWindowOnce", func(t *testing.T) {
		t.Parallel()
		b := setupRates(t)
		b.data.Set(start.Add(3 * time.Hour))
		from, to := start.Add(2*time.Hour), start.Add(2*time.Hour+20*time.Minute)
		want, err := b.sim.OrderChanges(b.acct.ID, from, to.Add(time.Second)) // lastUpdatedBefore is inclusive
		require.NoError(t, err)
		ids := map[string]bool{}
		token := ""
		for {
			page, err := b.client.SearchOrders(context.Background(), spapi.SearchOrdersRequest{MarketplaceIDs: marketplaces(b.acct),
				LastUpdatedAfter: from, LastUpdatedBefore: to, MaxResultsPerPage: 100, PaginationToken: token})
			require.NoError(t, err)
			for _, o := range page.Orders {
				require.False(t, ids[o.OrderId])
				ids[o.OrderId] = true
			}
			if token = page.NextToken(); token == "" {
				break
			}
		}
		require.Len(t, ids, len(want))
		for _, c := range want {
			require.True(t, ids[c.OrderID], c.OrderID)
		}
	})
}
