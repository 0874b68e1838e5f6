package sim_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

func TestFulfillmentOrdersMatchTruth(t *testing.T) {
	t.Parallel()
	for _, mode := range shapeModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			testFulfillmentOrdersMatchTruth(t, mode.clean)
		})
	}
}

func testFulfillmentOrdersMatchTruth(t *testing.T, clean bool) {
	b := setup(t, func(o *sim.Options) {
		o.FulfillmentOrdersPageSize = 7
		o.CleanShapes = clean
	})
	ctx := context.Background()
	truth, err := b.sim.TruthFulfillmentOrders(b.acct.ID)
	require.NoError(t, err)
	require.NotEmpty(t, truth)

	// The list (default window 30 days) holds every header once.
	var headers []spapi.FulfillmentOrder
	pager := b.client.ListAllFulfillmentOrdersPager(spapi.ListAllFulfillmentOrdersRequest{})
	for page, err := range pager.All(ctx, nil) {
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.FulfillmentOrders), 7)
		headers = append(headers, page.FulfillmentOrders...)
	}
	require.Greater(t, pager.Pages(), 1)
	require.Len(t, headers, len(truth))
	byID := map[string]spapi.FulfillmentOrder{}
	for _, h := range headers {
		require.NotContains(t, byID, h.SellerFulfillmentOrderId)
		byID[h.SellerFulfillmentOrderId] = h
	}

	var packages []int
	for _, want := range truth {
		id := want.FulfillmentOrder.SellerFulfillmentOrderID
		requireMatchesTruth(t, kindFulfillmentOrderHeader, clean, want.FulfillmentOrder, byID[id].Raw)

		res, err := b.client.GetFulfillmentOrder(ctx, id)
		require.NoError(t, err)
		requireMatchesTruth(t, kindFulfillmentOrderDetail, clean, want, res.Raw)
		require.Len(t, res.ReturnItems, len(want.ReturnItems))
		for _, it := range res.FulfillmentOrderItems {
			require.NotNil(t, it.PerUnitPrice, "fulfillment money decodes")
			require.False(t, it.PerUnitPrice.Amount.IsZero())
		}
		for _, sh := range want.FulfillmentShipments {
			for _, p := range sh.FulfillmentShipmentPackage {
				packages = append(packages, p.PackageNumber)
			}
		}
	}
	slices.Sort(packages)
	nums, err := b.sim.TruthPackageNumbers(b.acct.ID)
	require.NoError(t, err)
	require.Equal(t, packages, nums)
	require.NotEmpty(t, nums)

	// Every package of the truth has tracking, equal to its truth.
	for _, num := range nums {
		res, err := b.client.GetPackageTrackingDetails(ctx, num)
		require.NoError(t, err)
		want, err := b.sim.TruthPackageTracking(b.acct.ID, num)
		require.NoError(t, err)
		requireMatchesTruth(t, kindPackageTracking, clean, want, res.Details.Raw)
		require.NotEmpty(t, res.Details.TrackingEvents)
	}
}

func TestListAllFulfillmentOrdersQueryStartDate(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	since := start.Add(-24 * time.Hour)
	var got []spapi.FulfillmentOrder
	for page, err := range b.client.ListAllFulfillmentOrdersPager(spapi.ListAllFulfillmentOrdersRequest{QueryStartDate: since}).All(ctx, nil) {
		require.NoError(t, err)
		got = append(got, page.FulfillmentOrders...)
	}
	require.NotEmpty(t, got)
	truth, err := b.sim.TruthFulfillmentOrders(b.acct.ID)
	require.NoError(t, err)
	want := 0
	for _, fo := range truth {
		if !fo.FulfillmentOrder.StatusUpdatedDate.Before(since) {
			want++
		}
	}
	require.Len(t, got, want)
	for k, fo := range got {
		require.False(t, fo.StatusUpdatedDate.Before(since))
		if k > 0 {
			require.False(t, fo.StatusUpdatedDate.Before(got[k-1].StatusUpdatedDate), "oldest change first")
		}
	}

	tok := b.accessToken(t)
	resp := b.get(t, tok, "/fba/outbound/2020-07-01/fulfillmentOrders?queryStartDate=soon")
	require.Equal(t, 400, resp.status)
	resp = b.get(t, tok, "/fba/outbound/2020-07-01/tracking")
	require.Equal(t, 400, resp.status)
	resp = b.get(t, tok, "/fba/outbound/2020-07-01/tracking?packageNumber=abc")
	require.Equal(t, 400, resp.status)
}

func TestFulfillmentProgressesWithTheClock(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) { o.FulfillmentOrders = 300 })
	ctx := context.Background()

	// Early in the history few orders have shipped; two weeks later
	// shipments and packages have appeared and tracking has advanced to a
	// terminal status, with some packages returned.
	b.data.Set(start.Add(-13 * 24 * time.Hour))
	early, err := b.sim.TruthPackageNumbers(b.acct.ID)
	require.NoError(t, err)
	b.data.Set(start.Add(48 * time.Hour))
	late, err := b.sim.TruthPackageNumbers(b.acct.ID)
	require.NoError(t, err)
	require.Greater(t, len(late), len(early))

	statuses := map[string]int{}
	for _, num := range late {
		res, err := b.client.GetPackageTrackingDetails(ctx, num)
		require.NoError(t, err)
		statuses[res.Details.CurrentStatus]++
	}
	require.Positive(t, statuses["DELIVERED"])
	require.Positive(t, statuses["IN_TRANSIT"]+statuses["OUT_FOR_DELIVERY"])

	truth, err := b.sim.TruthFulfillmentOrders(b.acct.ID)
	require.NoError(t, err)
	counts := map[string]int{}
	returns := 0
	for _, fo := range truth {
		counts[fo.FulfillmentOrder.FulfillmentOrderStatus]++
		returns += len(fo.ReturnItems)
	}
	require.Positive(t, counts["Complete"])
	require.Positive(t, counts["Processing"]+counts["Planning"]+counts["Received"]+counts["New"])
	require.Positive(t, returns, "undeliverable packages come back as return items")
}
