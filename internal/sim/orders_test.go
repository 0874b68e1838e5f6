package sim_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

func TestGetOrdersPagingMatchesTruth(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		req  func(b *testBundle) spapi.GetOrdersRequest
	}{
		{"CreatedAfterWholeHistory", func(b *testBundle) spapi.GetOrdersRequest {
			return spapi.GetOrdersRequest{MarketplaceIDs: marketplaces(b.acct), CreatedAfter: start.Add(-30 * 24 * time.Hour), MaxResultsPerPage: 37}
		}},
		{"LastUpdatedAfterWholeHistory", func(b *testBundle) spapi.GetOrdersRequest {
			return spapi.GetOrdersRequest{MarketplaceIDs: marketplaces(b.acct), LastUpdatedAfter: start.Add(-30 * 24 * time.Hour)}
		}},
	}
	for _, tt := range tests {
		for _, mode := range shapeModes {
			t.Run(tt.name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, func(o *sim.Options) { o.CleanShapes = mode.clean })
				// Move past the two-minute horizon so the window covers every order.
				b.data.Advance(3 * time.Minute)
				truth, err := b.sim.TruthOrders(b.acct.ID)
				require.NoError(t, err)
				require.NotEmpty(t, truth)

				got := allOrders(t, b.client, tt.req(b))
				byID := map[string]spapi.Order{}
				for _, o := range got {
					require.NotContains(t, byID, o.AmazonOrderId, "order returned twice")
					byID[o.AmazonOrderId] = o
				}
				// Orders created or updated within the last two minutes lie
				// outside the default window; none do at this instant.
				require.Len(t, byID, len(truth))
				for _, want := range truth {
					o, ok := byID[want.AmazonOrderID]
					require.True(t, ok, "order %s missing", want.AmazonOrderID)
					requireMatchesTruth(t, kindOrder, mode.clean, want, o.Raw)
				}
			})
		}
	}
}

// TestPendingOrdersCountNoItems: a Pending order says NumberOfItemsShipped
// 0 and NumberOfItemsUnshipped 0 in getOrders and getOrder, in both shape
// modes, as every Pending order in Amazon's getOrders and getOrder examples
// (with their history) does, although its items hold units and its 2026
// rendering reports them unfulfilled.
func TestPendingOrdersCountNoItems(t *testing.T) {
	t.Parallel()
	for _, mode := range shapeModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			// An hour of history: orders stay Pending 2 to 30 minutes, so
			// many still are.
			b := setup(t, func(o *sim.Options) {
				o.History, o.Horizon, o.Orders = time.Hour, time.Hour, 200
				o.ItemsPerOrderMin = 2
				o.CleanShapes = mode.clean
			})
			b.data.Advance(3 * time.Minute)
			ctx := context.Background()
			pending := 0
			for _, o := range allOrders(t, b.client, spapi.GetOrdersRequest{MarketplaceIDs: marketplaces(b.acct), CreatedAfter: start.Add(-2 * time.Hour)}) {
				if o.OrderStatus != "Pending" {
					continue
				}
				pending++
				require.Equal(t, []int{0, 0}, []int{*o.NumberOfItemsShipped, *o.NumberOfItemsUnshipped}, "%s listed", o.AmazonOrderId)
				res, err := b.client.GetOrder(ctx, o.AmazonOrderId)
				require.NoError(t, err)
				require.Equal(t, []int{0, 0}, []int{*res.Order.NumberOfItemsShipped, *res.Order.NumberOfItemsUnshipped}, "%s fetched", o.AmazonOrderId)

				n, err := b.sim.TruthOrder2026(b.acct.ID, o.AmazonOrderId)
				require.NoError(t, err)
				unfulfilled := 0
				for _, it := range n.OrderItems {
					unfulfilled += it.Fulfillment.QuantityUnfulfilled
				}
				require.GreaterOrEqual(t, unfulfilled, 2, "%s: 2026 counts the units", o.AmazonOrderId)
			}
			require.Positive(t, pending, "the dataset has Pending orders at this instant")
			t.Logf("%d Pending orders checked", pending)
		})
	}
}

func TestGetOrdersWindowsAreInclusiveAndReportTheirEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	truth, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)
	ctx := context.Background()

	// Pick an order and ask for a window that starts and ends exactly at
	// its last update.
	o := truth[len(truth)/2]
	res, err := b.client.GetOrders(ctx, spapi.GetOrdersRequest{
		MarketplaceIDs: []string{o.MarketplaceID}, LastUpdatedAfter: o.LastUpdateDate, LastUpdatedBefore: o.LastUpdateDate,
	})
	require.NoError(t, err)
	ids := []string{}
	for _, got := range res.Orders {
		ids = append(ids, got.AmazonOrderId)
	}
	require.Contains(t, ids, o.AmazonOrderID)
	require.NotNil(t, res.LastUpdatedBefore)
	require.True(t, res.LastUpdatedBefore.Equal(o.LastUpdateDate))

	// Without LastUpdatedBefore the window ends two minutes before now.
	res, err = b.client.GetOrders(ctx, spapi.GetOrdersRequest{MarketplaceIDs: marketplaces(b.acct), LastUpdatedAfter: start.Add(-time.Hour)})
	require.NoError(t, err)
	require.True(t, res.LastUpdatedBefore.Equal(start.Add(-2*time.Minute)), "got %v", res.LastUpdatedBefore)
	for _, got := range res.Orders {
		require.False(t, got.LastUpdateDate.After(start.Add(-2*time.Minute)))
		require.False(t, got.LastUpdateDate.Before(start.Add(-time.Hour)))
	}
}

func TestGetOrdersFilters(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	from := start.Add(-30 * 24 * time.Hour)

	got := allOrders(t, b.client, spapi.GetOrdersRequest{
		MarketplaceIDs: []string{sim.MarketplaceCA}, CreatedAfter: from,
		OrderStatuses: []string{"Shipped"}, FulfillmentChannels: []string{"AFN"},
	})
	require.NotEmpty(t, got)
	for _, o := range got {
		require.Equal(t, sim.MarketplaceCA, o.MarketplaceId)
		require.Equal(t, "Shipped", o.OrderStatus)
		require.Equal(t, "AFN", o.FulfillmentChannel)
	}

	res, err := b.client.GetOrders(ctx, spapi.GetOrdersRequest{
		MarketplaceIDs: marketplaces(b.acct), CreatedAfter: from, AmazonOrderIDs: []string{got[0].AmazonOrderId},
	})
	require.NoError(t, err)
	require.Len(t, res.Orders, 1)
	require.Equal(t, got[0].AmazonOrderId, res.Orders[0].AmazonOrderId)
}

func TestGetOrdersPagesAreASnapshot(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	truth, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)

	// A day passes between every two pages: orders change status and new
	// ones arrive, yet the walk returns exactly the orders of the window
	// as it stood at the first page, each once.
	pager := b.client.GetOrdersPager(spapi.GetOrdersRequest{MarketplaceIDs: marketplaces(b.acct), LastUpdatedAfter: start.Add(-30 * 24 * time.Hour), MaxResultsPerPage: 50})
	seen := map[string]bool{}
	for pager.More() {
		page, err := pager.Next(ctx)
		require.NoError(t, err)
		for _, o := range page.Orders {
			require.False(t, seen[o.AmazonOrderId], "order %s returned twice", o.AmazonOrderId)
			seen[o.AmazonOrderId] = true
			require.False(t, o.LastUpdateDate.After(start.Add(-2*time.Minute)))
		}
		b.data.Advance(24 * time.Hour)
	}
	want := 0
	for _, o := range truth {
		if !o.LastUpdateDate.After(start.Add(-2 * time.Minute)) {
			want++
		}
	}
	require.Len(t, seen, want)
}

func TestPageTokenExpiry(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		advance time.Duration
		mutate  func(b *testBundle, req *spapi.GetOrdersRequest)
		ok      bool
	}{
		{"ValidWithinTTL", 4 * time.Minute, nil, true},
		{"ExpiredAfterTTL", 5*time.Minute + time.Second, nil, false},
		{"TamperedToken", 0, func(b *testBundle, req *spapi.GetOrdersRequest) { req.NextToken = "x" + req.NextToken[1:] }, false},
		{"OtherMarketplaces", 0, func(b *testBundle, req *spapi.GetOrdersRequest) { req.MarketplaceIDs = []string{sim.MarketplaceUS} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			ctx := context.Background()
			req := spapi.GetOrdersRequest{MarketplaceIDs: marketplaces(b.acct), CreatedAfter: start.Add(-30 * 24 * time.Hour), MaxResultsPerPage: 10}
			first, err := b.client.GetOrders(ctx, req)
			require.NoError(t, err)
			require.NotEmpty(t, first.NextToken)

			b.limiter.Advance(tt.advance)
			req.NextToken = first.NextToken
			if tt.mutate != nil {
				tt.mutate(b, &req)
			}
			_, err = b.client.GetOrders(ctx, req)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			e := requireKind(t, err, spapi.KindInvalidInput)
			require.Equal(t, http.StatusBadRequest, e.StatusCode)
			require.Equal(t, "InvalidInput", e.APIErrors[0].Code)
		})
	}
}

func TestGetOrdersValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	tok := b.accessToken(t)
	now := start
	iso := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	old := iso(now.Add(-time.Hour))

	tests := []struct {
		name  string
		query string
	}{
		{"MissingMarketplaceIds", "CreatedAfter=" + old},
		{"NoDateFilter", "MarketplaceIds=ATVPDKIKX0DER"},
		{"CreatedAndUpdated", "MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=" + old + "&LastUpdatedAfter=" + old},
		{"LastUpdatedBeforeWithinTwoMinutes", "MarketplaceIds=ATVPDKIKX0DER&LastUpdatedAfter=" + old + "&LastUpdatedBefore=" + iso(now.Add(-time.Minute))},
		{"CreatedAfterInTheFuture", "MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=" + iso(now.Add(time.Hour))},
		{"BeforeEarlierThanAfter", "MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=" + old + "&CreatedBefore=" + iso(now.Add(-2*time.Hour))},
		{"PageSizeZero", "MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=" + old + "&MaxResultsPerPage=0"},
		{"PageSizeTooLarge", "MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=" + old + "&MaxResultsPerPage=101"},
		{"BadDate", "MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=yesterday"},
		{"UnknownStatus", "MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=" + old + "&OrderStatuses=Lost"},
		{"GarbageNextToken", "MarketplaceIds=ATVPDKIKX0DER&NextToken=abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := b.get(t, tok, "/orders/v0/orders?"+tt.query)
			require.Equal(t, http.StatusBadRequest, resp.status, resp.body)
			errs := apiErrors(t, resp.body)
			require.Len(t, errs, 1)
			require.Equal(t, "InvalidInput", errs[0].Code)
			require.NotEmpty(t, resp.header.Get("x-amzn-RequestId"))
		})
	}

	// The client sends what it cannot check locally; the simulator's 400
	// must reach the caller as invalid input.
	_, err := b.client.GetOrders(context.Background(), spapi.GetOrdersRequest{
		MarketplaceIDs: []string{sim.MarketplaceUS}, LastUpdatedAfter: now.Add(-time.Hour), LastUpdatedBefore: now.Add(-90 * time.Second),
	})
	e := requireKind(t, err, spapi.KindInvalidInput)
	require.Equal(t, http.StatusBadRequest, e.StatusCode)
	require.NotEmpty(t, e.RequestID)
}

func TestGetOrderAndItems(t *testing.T) {
	t.Parallel()
	for _, mode := range shapeModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			testGetOrderAndItems(t, mode.clean)
		})
	}
}

func testGetOrderAndItems(t *testing.T, clean bool) {
	b := setup(t, func(o *sim.Options) {
		o.ItemsPerOrderMin, o.ItemsPerOrderMax = 3, 7
		o.OrderItemsPageSize = 2
		o.CleanShapes = clean
	})
	ctx := context.Background()
	truth, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)

	for _, want := range truth[:20] {
		res, err := b.client.GetOrder(ctx, want.AmazonOrderID)
		require.NoError(t, err)
		requireMatchesTruth(t, kindOrder, clean, want, res.Order.Raw)

		items, err := b.sim.TruthOrderItems(b.acct.ID, want.AmazonOrderID)
		require.NoError(t, err)
		var got []spapi.OrderItem
		pager := b.client.GetOrderItemsPager(spapi.GetOrderItemsRequest{AmazonOrderID: want.AmazonOrderID})
		for pager.More() {
			page, err := pager.Next(ctx)
			require.NoError(t, err)
			require.Equal(t, want.AmazonOrderID, page.AmazonOrderId)
			require.LessOrEqual(t, len(page.OrderItems), 2)
			got = append(got, page.OrderItems...)
		}
		require.Greater(t, pager.Pages(), 1)
		require.Len(t, got, len(items))
		for k := range items {
			requireMatchesTruth(t, kindOrderItem, clean, items[k], got[k].Raw)
		}
		require.Equal(t, 1, b.sim.EntityCalls(b.acct.ID, sim.OpGetOrder, want.AmazonOrderID))
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"GetOrder", func() error { _, err := b.client.GetOrder(ctx, "999-0000000-0000000"); return err }},
		{"GetOrderItems", func() error {
			_, err := b.client.GetOrderItems(ctx, spapi.GetOrderItemsRequest{AmazonOrderID: "999-0000000-0000000"})
			return err
		}},
		{"GetFulfillmentOrder", func() error { _, err := b.client.GetFulfillmentOrder(ctx, "MCF-nope"); return err }},
		{"GetPackageTrackingDetails", func() error { _, err := b.client.GetPackageTrackingDetails(ctx, 42); return err }},
		{"GetServiceJob", func() error { _, err := b.client.GetServiceJobByServiceJobID(ctx, "1"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := requireKind(t, tt.call(), spapi.KindNotFound)
			require.Equal(t, http.StatusNotFound, e.StatusCode)
			require.Equal(t, "NotFound", e.APIErrors[0].Code)
		})
	}
}

func TestOrdersFromTheFutureDoNotExistYet(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) { o.Orders = 2000 })
	ctx := context.Background()
	before, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)

	b.data.Advance(48 * time.Hour) // the whole Horizon
	after, err := b.sim.TruthOrders(b.acct.ID)
	require.NoError(t, err)
	require.Len(t, after, 2000)
	require.Less(t, len(before), len(after))

	known := map[string]bool{}
	for _, o := range before {
		known[o.AmazonOrderID] = true
	}
	for _, o := range after {
		if !known[o.AmazonOrderID] {
			b.data.Set(start)
			_, err := b.client.GetOrder(ctx, o.AmazonOrderID)
			requireKind(t, err, spapi.KindNotFound)
			return
		}
	}
	t.Fatal("no order arrived during the horizon")
}
