package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// BenchmarkFulfillmentDetail writes getFulfillmentOrder answers (3 items, 2
// shipments with 2 packages each) one transaction per order, as the detail
// follow-up does, then the same answers again (the no-op path), and tracking
// answers of every package (5 events each) twice. Metrics are orders and
// packages per second of each pass.
func BenchmarkFulfillmentDetail(b *testing.B) {
	const nOrders = 300
	ctx := context.Background()
	pool := dbtest.NewPool(b)
	t0 := time.Date(2025, 1, 2, 3, 10, 0, 0, time.UTC)

	details := make([]*spapi.GetFulfillmentOrderResult, nOrders)
	var tracking []*spapi.PackageTrackingDetails
	for i := range details {
		d := foDetail{id: fmt.Sprintf("fo-%06d", i), status: "Complete", updated: t0}
		for k := range 3 {
			d.items = append(d.items, foItem(fmt.Sprintf("%d-%d", i, k), 1+k, fmt.Sprintf("%d.99", 5+k)))
		}
		for sh := range 2 {
			p1, p2 := i*10+sh*2, i*10+sh*2+1
			d.shipments = append(d.shipments, foShipment(fmt.Sprintf("S%06d-%d", i, sh), "SHIPPED",
				[]map[string]any{shipItem(fmt.Sprintf("%d-0", i), 1, fulfillmentIntp(p1)), shipItem(fmt.Sprintf("%d-1", i), 1, fulfillmentIntp(p2))}, p1, p2))
			for _, p := range []int{p1, p2} {
				var ev []map[string]any
				for e := range 5 {
					ev = append(ev, trackEvent(e*6, fmt.Sprintf("EVENT_%d", 200+e), "scan"))
				}
				tracking = append(tracking, testTracking(b, p, "IN_TRANSIT", ev))
			}
		}
		details[i] = d.decode(b)
	}

	detailPass := func(b *testing.B) time.Duration {
		start := time.Now()
		for _, d := range details {
			require.NoError(b, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				_, err := store.ReplaceFulfillmentOrderDetail(ctx, tx, "bench", fulfillmentDetailRows(b, d))
				return err
			}))
		}
		return time.Since(start)
	}
	trackingPass := func(b *testing.B) time.Duration {
		start := time.Now()
		for _, d := range tracking {
			require.NoError(b, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				_, err := store.UpsertPackageTracking(ctx, tx, "bench", packageTrackingRows(b, d))
				return err
			}))
		}
		return time.Since(start)
	}

	var newDetail, sameDetail, newTracking, sameTracking time.Duration
	for b.Loop() {
		_, err := pool.Exec(ctx, `TRUNCATE fulfillment_orders, fulfillment_order_items, fulfillment_shipments, fulfillment_shipment_items,
			fulfillment_shipment_packages, fulfillment_return_items, package_tracking, package_tracking_events`)
		require.NoError(b, err)
		newDetail += detailPass(b)
		sameDetail += detailPass(b)
		newTracking += trackingPass(b)
		sameTracking += trackingPass(b)
	}
	perSec := func(n int, d time.Duration) float64 { return float64(n*b.N) / d.Seconds() }
	b.ReportMetric(perSec(nOrders, newDetail), "new-orders/s")
	b.ReportMetric(perSec(nOrders, sameDetail), "unchanged-orders/s")
	b.ReportMetric(perSec(len(tracking), newTracking), "new-packages/s")
	b.ReportMetric(perSec(len(tracking), sameTracking), "unchanged-packages/s")
}
