package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// fulfillmentOrderRows maps listed order headers as the fulfillment stream
// does (fulfillment.MapFulfillmentOrders), for store.UpsertFulfillmentOrders.
func fulfillmentOrderRows(t testing.TB, orders []spapi.FulfillmentOrder) []store.FulfillmentOrderRow {
	t.Helper()
	rows, err := fulfillment.MapFulfillmentOrders(orders)
	require.NoError(t, err)
	return rows
}

// fulfillmentDetailRows maps a getFulfillmentOrder answer as the
// fulfillment stream does, for store.ReplaceFulfillmentOrderDetail.
func fulfillmentDetailRows(t testing.TB, d *spapi.GetFulfillmentOrderResult) *store.FulfillmentDetailRows {
	t.Helper()
	rows, err := fulfillment.MapFulfillmentOrderDetail(d)
	require.NoError(t, err)
	return rows
}

// packageTrackingRows maps a getPackageTrackingDetails answer as the
// fulfillment stream does, for store.UpsertPackageTracking.
func packageTrackingRows(t testing.TB, d *spapi.PackageTrackingDetails) *store.PackageTrackingRows {
	t.Helper()
	rows, err := fulfillment.MapPackageTracking(d)
	require.NoError(t, err)
	return rows
}

// fulfillmentDecode encodes v and decodes it into T the way the SP-API client does, so
// Raw fields hold the exact payload.
func fulfillmentDecode[T any](t testing.TB, v any) T {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out T
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func foHeaderMap(id, status string, updated time.Time) map[string]any {
	return map[string]any{
		"sellerFulfillmentOrderId": id,
		"marketplaceId":            "ATVPDKIKX0DER",
		"displayableOrderId":       "DO-" + id,
		"displayableOrderDate":     "2025-01-02T03:04:05Z",
		"displayableOrderComment":  "Thanks",
		"shippingSpeedCategory":    "Standard",
		"destinationAddress": map[string]any{
			"name": "Jane Buyer", "addressLine1": "1 Main St", "city": "Seattle",
			"stateOrRegion": "WA", "postalCode": "98109", "countryCode": "US", "phone": "555-0100",
		},
		"fulfillmentAction":      "Ship",
		"fulfillmentPolicy":      "FillOrKill",
		"receivedDate":           "2025-01-02T03:04:05Z",
		"fulfillmentOrderStatus": status,
		"statusUpdatedDate":      updated.UTC().Format(time.RFC3339),
	}
}

func testFO(t testing.TB, id, status string, updated time.Time) spapi.FulfillmentOrder {
	t.Helper()
	return fulfillmentDecode[spapi.FulfillmentOrder](t, foHeaderMap(id, status, updated))
}

// foDetail builds getFulfillmentOrder payloads.
type foDetail struct {
	id        string
	status    string
	updated   time.Time
	items     []map[string]any
	shipments []map[string]any
	returns   []map[string]any
}

func (d foDetail) decode(t testing.TB) *spapi.GetFulfillmentOrderResult {
	t.Helper()
	m := map[string]any{
		"fulfillmentOrder":      foHeaderMap(d.id, d.status, d.updated),
		"fulfillmentOrderItems": fulfillmentOrEmpty(d.items),
		"returnItems":           fulfillmentOrEmpty(d.returns),
		"returnAuthorizations":  []any{},
	}
	if d.shipments != nil {
		m["fulfillmentShipments"] = d.shipments
	}
	r := fulfillmentDecode[spapi.GetFulfillmentOrderResult](t, m)
	return &r
}

func fulfillmentOrEmpty(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}

func foItem(id string, qty int, price string) map[string]any {
	m := map[string]any{
		"sellerSku": "SKU-" + id, "sellerFulfillmentOrderItemId": id, "quantity": qty,
		"cancelledQuantity": 0, "unfulfillableQuantity": 0,
	}
	if price != "" {
		m["perUnitPrice"] = map[string]any{"currencyCode": "USD", "amount": price}
		m["perUnitTax"] = map[string]any{"currencyCode": "USD", "amount": "0.10"}
	}
	return m
}

func foShipment(id, status string, items []map[string]any, packages ...int) map[string]any {
	m := map[string]any{
		"amazonShipmentId": id, "fulfillmentCenterId": "PHX7", "fulfillmentShipmentStatus": status,
		"fulfillmentShipmentItem": items,
	}
	if len(packages) > 0 {
		m["shippingDate"] = "2025-01-03T00:00:00Z"
		var pk []map[string]any
		for _, n := range packages {
			pk = append(pk, map[string]any{"packageNumber": n, "carrierCode": "UPS", "trackingNumber": fmt.Sprintf("1Z%d", n)})
		}
		m["fulfillmentShipmentPackage"] = pk
	}
	return m
}

func shipItem(itemID string, qty int, pkg *int) map[string]any {
	m := map[string]any{"sellerSku": "SKU-" + itemID, "sellerFulfillmentOrderItemId": itemID, "quantity": qty}
	if pkg != nil {
		m["packageNumber"] = *pkg
	}
	return m
}

func fulfillmentIntp(n int) *int { return &n }

// fulfillmentTableVersions maps key to the row's version triple for every row of table.
func fulfillmentTableVersions(t *testing.T, pool *pgxpool.Pool, table, key string) map[string]rowVersion {
	t.Helper()
	rows, err := pool.Query(context.Background(), fmt.Sprintf(`SELECT (%s)::text, xmin::text, sync_version, synced_at FROM %s`, key, table))
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]rowVersion{}
	for rows.Next() {
		var id string
		var v rowVersion
		require.NoError(t, rows.Scan(&id, &v.Xmin, &v.SyncVersion, &v.SyncedAt))
		out[id] = v
	}
	require.NoError(t, rows.Err())
	return out
}

// fulfillmentVersions snapshots every fulfillment table.
func fulfillmentVersions(t *testing.T, pool *pgxpool.Pool) map[string]map[string]rowVersion {
	t.Helper()
	return map[string]map[string]rowVersion{
		"orders":    fulfillmentTableVersions(t, pool, "fulfillment_orders", "seller_fulfillment_order_id"),
		"items":     fulfillmentTableVersions(t, pool, "fulfillment_order_items", "seller_fulfillment_order_id || '/' || seller_fulfillment_order_item_id"),
		"shipments": fulfillmentTableVersions(t, pool, "fulfillment_shipments", "seller_fulfillment_order_id || '/' || amazon_shipment_id"),
		"lines":     fulfillmentTableVersions(t, pool, "fulfillment_shipment_items", "amazon_shipment_id || '/' || ordinal"),
		"packages":  fulfillmentTableVersions(t, pool, "fulfillment_shipment_packages", "amazon_shipment_id || '/' || package_number"),
		"returns":   fulfillmentTableVersions(t, pool, "fulfillment_return_items", "seller_return_item_id"),
	}
}

func fulfillmentPackageNumbers(ps []store.NewPackage) []int {
	var out []int
	for _, p := range ps {
		out = append(out, p.PackageNumber)
	}
	return out
}

func TestUpsertFulfillmentOrders(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	t0 := time.Date(2025, 1, 2, 3, 10, 0, 0, time.UTC)

	type testBundle struct{ pool *pgxpool.Pool }
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{pool: dbtest.NewPool(t)}
	}

	t.Run("NewOrdersAreWrittenWithTypedColumnsAndNeedDetail", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		changes, err := store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{
			testFO(t, "fo-1", "New", t0), testFO(t, "fo-2", "Received", t0),
		}))
		require.NoError(t, err)
		require.Len(t, changes, 2)
		for _, c := range changes {
			require.True(t, c.Written)
			require.True(t, c.IsNew())
			require.True(t, c.NeedsDetail())
		}

		var (
			status, city, state, postal, country, marketplace, speed string
			district                                                 *string
			windowStart, detailAt                                    *time.Time
			received, updated                                        time.Time
			retAuth                                                  []byte
			raw                                                      map[string]any
		)
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT fulfillment_order_status, destination_address_city, destination_address_state_or_region,
			destination_address_postal_code, destination_address_country_code, marketplace_id, shipping_speed_category,
			destination_address_district_or_county, delivery_window_start_date, detail_status_updated_date, received_date, status_updated_date,
			return_authorizations, raw
			FROM fulfillment_orders WHERE account_id = 'acct' AND seller_fulfillment_order_id = 'fo-1'`).
			Scan(&status, &city, &state, &postal, &country, &marketplace, &speed, &district, &windowStart, &detailAt, &received, &updated, &retAuth, &raw))
		require.Equal(t, "New", status)
		require.Equal(t, "Seattle", city)
		require.Equal(t, "WA", state)
		require.Equal(t, "98109", postal)
		require.Equal(t, "US", country)
		require.Equal(t, "ATVPDKIKX0DER", marketplace)
		require.Equal(t, "Standard", speed)
		require.Nil(t, district)
		require.Nil(t, windowStart)
		require.Nil(t, detailAt)
		require.Nil(t, retAuth)
		require.True(t, received.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)))
		require.True(t, updated.Equal(t0))
		require.Equal(t, "Jane Buyer", raw["destinationAddress"].(map[string]any)["name"], "raw keeps the payload")
	})

	t.Run("UnchangedPageTouchesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		page := []spapi.FulfillmentOrder{testFO(t, "fo-1", "New", t0), testFO(t, "fo-2", "Received", t0)}
		_, err := store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, page))
		require.NoError(t, err)
		before := fulfillmentTableVersions(t, b.pool, "fulfillment_orders", "seller_fulfillment_order_id")

		changes, err := store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, page))
		require.NoError(t, err)
		// Still reported, because their detail was never fetched, but not written.
		require.Len(t, changes, 2)
		for _, c := range changes {
			require.False(t, c.Written)
			require.False(t, c.IsNew())
			require.True(t, c.NeedsDetail())
		}
		require.Equal(t, before, fulfillmentTableVersions(t, b.pool, "fulfillment_orders", "seller_fulfillment_order_id"))
	})

	t.Run("ChangedStatusMovesSyncVersionAndNeedsDetail", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{testFO(t, "fo-1", "New", t0), testFO(t, "fo-2", "New", t0)}))
		require.NoError(t, err)
		before := fulfillmentTableVersions(t, b.pool, "fulfillment_orders", "seller_fulfillment_order_id")

		t1 := t0.Add(time.Hour)
		changes, err := store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{testFO(t, "fo-1", "Processing", t1), testFO(t, "fo-2", "New", t0)}))
		require.NoError(t, err)
		var fo1 store.FulfillmentOrderChange
		for _, c := range changes {
			if c.SellerFulfillmentOrderID == "fo-1" {
				fo1 = c
			}
		}
		require.True(t, fo1.Written)
		require.True(t, fo1.PreviousStatusUpdatedDate.Equal(t0))
		require.True(t, fo1.StatusUpdatedDate.Equal(t1))
		require.True(t, fo1.NeedsDetail())

		after := fulfillmentTableVersions(t, b.pool, "fulfillment_orders", "seller_fulfillment_order_id")
		require.Greater(t, after["fo-1"].SyncVersion, before["fo-2"].SyncVersion)
		require.Greater(t, after["fo-1"].SyncVersion, before["fo-1"].SyncVersion)
		require.Equal(t, before["fo-2"], after["fo-2"])
	})

	t.Run("OlderCopyNeverOverwritesNewer", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		t1 := t0.Add(time.Hour)
		_, err := store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{testFO(t, "fo-1", "Processing", t1)}))
		require.NoError(t, err)
		before := fulfillmentTableVersions(t, b.pool, "fulfillment_orders", "seller_fulfillment_order_id")
		changes, err := store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{testFO(t, "fo-1", "New", t0)}))
		require.NoError(t, err)
		for _, c := range changes {
			require.False(t, c.Written)
		}
		require.Equal(t, before, fulfillmentTableVersions(t, b.pool, "fulfillment_orders", "seller_fulfillment_order_id"))
		var status string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT fulfillment_order_status FROM fulfillment_orders`).Scan(&status))
		require.Equal(t, "Processing", status)
	})

	t.Run("RepeatedOrderInBatchKeepsLatest", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{
			testFO(t, "fo-1", "Complete", t0.Add(time.Hour)), testFO(t, "fo-1", "Processing", t0),
		}))
		require.NoError(t, err)
		var status string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT fulfillment_order_status FROM fulfillment_orders`).Scan(&status))
		require.Equal(t, "Complete", status)
	})

	t.Run("AccountsAreSeparate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		o := testFO(t, "fo-1", "New", t0)
		_, err := store.UpsertFulfillmentOrders(ctx, b.pool, "a", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{o}))
		require.NoError(t, err)
		changes, err := store.UpsertFulfillmentOrders(ctx, b.pool, "b", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{o}))
		require.NoError(t, err)
		require.Len(t, changes, 1)
		require.True(t, changes[0].IsNew())
	})

	t.Run("EmptyPageIsNoop", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		changes, err := store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, nil))
		require.NoError(t, err)
		require.Empty(t, changes)
	})
}

func TestReplaceFulfillmentOrderDetail(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	t0 := time.Date(2025, 1, 2, 3, 10, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	t2 := t1.Add(time.Hour)

	type testBundle struct{ pool *pgxpool.Pool }
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{pool: dbtest.NewPool(t)}
	}

	// processing is an order with two items, one packed shipment (packages
	// 101 and 102) and one pending shipment.
	processing := func() foDetail {
		return foDetail{
			id: "fo-1", status: "Processing", updated: t1,
			items: []map[string]any{foItem("i1", 2, "12.30"), foItem("i2", 1, "")},
			shipments: []map[string]any{
				foShipment("S1", "SHIPPED", []map[string]any{shipItem("i1", 1, fulfillmentIntp(101)), shipItem("i1", 1, fulfillmentIntp(102))}, 101, 102),
				foShipment("S2", "PENDING", []map[string]any{shipItem("i2", 1, nil)}),
			},
		}
	}

	t.Run("WritesEveryTableAndReportsNewPackages", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		d := processing()
		d.returns = []map[string]any{{"sellerReturnItemId": "r1", "sellerFulfillmentOrderItemId": "i1", "amazonShipmentId": "S1", "status": "New", "statusChangedDate": "2025-01-05T00:00:00Z"}}
		res, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, d.decode(t)))
		require.NoError(t, err)
		require.True(t, res.OrderWritten)
		require.False(t, res.Stale)
		require.True(t, res.Changed())
		require.Equal(t, store.ChildCounts{Written: 2}, res.Items)
		require.Equal(t, store.ChildCounts{Written: 2}, res.Shipments)
		require.Equal(t, store.ChildCounts{Written: 3}, res.ShipmentItems)
		require.Equal(t, store.ChildCounts{Written: 2}, res.Packages)
		require.Equal(t, store.ChildCounts{Written: 1}, res.ReturnItems)
		require.Equal(t, []store.NewPackage{
			{SellerFulfillmentOrderID: "fo-1", AmazonShipmentID: "S1", PackageNumber: 101, CarrierCode: "UPS", TrackingNumber: "1Z101"},
			{SellerFulfillmentOrderID: "fo-1", AmazonShipmentID: "S1", PackageNumber: 102, CarrierCode: "UPS", TrackingNumber: "1Z102"},
		}, res.NewPackages)

		// Decimals are exact, absent money stays NULL.
		var price, tax *decimal.Decimal
		var priceText, currency *string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT per_unit_price_amount, per_unit_price_amount::text, per_unit_price_currency, per_unit_tax_amount
			FROM fulfillment_order_items WHERE seller_fulfillment_order_item_id = 'i1'`).Scan(&price, &priceText, &currency, &tax))
		require.Equal(t, "12.30", *priceText)
		require.True(t, price.Equal(decimal.RequireFromString("12.3")))
		require.Equal(t, "USD", *currency)
		require.Equal(t, "0.1", tax.String())
		var declared *decimal.Decimal
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT per_unit_price_amount, per_unit_price_currency, per_unit_declared_value_amount
			FROM fulfillment_order_items WHERE seller_fulfillment_order_item_id = 'i2'`).Scan(&price, &currency, &declared))
		require.Nil(t, price)
		require.Nil(t, currency)
		require.Nil(t, declared)

		// Shipments: a pending shipment has no dates.
		var shipDate *time.Time
		var shipStatus string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT fulfillment_shipment_status, shipping_date FROM fulfillment_shipments WHERE amazon_shipment_id = 'S2'`).Scan(&shipStatus, &shipDate))
		require.Equal(t, "PENDING", shipStatus)
		require.Nil(t, shipDate)

		// Shipment lines keep their package and position.
		var pkg *int
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT package_number FROM fulfillment_shipment_items WHERE amazon_shipment_id = 'S1' AND ordinal = 2`).Scan(&pkg))
		require.Equal(t, 102, *pkg)
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT package_number FROM fulfillment_shipment_items WHERE amazon_shipment_id = 'S2' AND ordinal = 1`).Scan(&pkg))
		require.Nil(t, pkg)

		var carrier, tracking string
		var afn *string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT carrier_code, tracking_number, amazon_fulfillment_tracking_number FROM fulfillment_shipment_packages WHERE package_number = 101`).
			Scan(&carrier, &tracking, &afn))
		require.Equal(t, "UPS", carrier)
		require.Equal(t, "1Z101", tracking)
		require.Nil(t, afn)

		var retStatus string
		var retChanged time.Time
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT status, status_changed_date FROM fulfillment_return_items WHERE seller_return_item_id = 'r1'`).Scan(&retStatus, &retChanged))
		require.Equal(t, "New", retStatus)
		require.True(t, retChanged.Equal(time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC)))

		// The header carries the detail's state.
		var detailAt *time.Time
		var retAuth []any
		var payInfo []byte
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT detail_status_updated_date, return_authorizations, payment_information FROM fulfillment_orders`).Scan(&detailAt, &retAuth, &payInfo))
		require.True(t, detailAt.Equal(t1))
		require.Empty(t, retAuth)
		require.NotNil(t, retAuth, "an empty array stays an array")
		require.Nil(t, payInfo, "absent paymentInformation stays NULL")

		behind, err := store.ListFulfillmentOrdersDetailBehind(ctx, b.pool, store.ReconcileQuery{AccountID: "acct", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, behind)
	})

	t.Run("DecimalsAreExact", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		prices := []string{"0.01", "10.00", "19.99", "12345678901234567.89", "0.000001", "-5.50"}
		d := foDetail{id: "fo-1", status: "Received", updated: t0}
		for i, p := range prices {
			d.items = append(d.items, foItem(fmt.Sprintf("i%d", i), 1, p))
		}
		_, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, d.decode(t)))
		require.NoError(t, err)
		for i, p := range prices {
			var text string
			var amount decimal.Decimal
			require.NoError(t, b.pool.QueryRow(ctx, `SELECT per_unit_price_amount::text, per_unit_price_amount FROM fulfillment_order_items
				WHERE seller_fulfillment_order_item_id = $1`, fmt.Sprintf("i%d", i)).Scan(&text, &amount))
			require.Equal(t, p, text)
			require.True(t, amount.Equal(decimal.RequireFromString(p)), p)
		}
	})

	t.Run("UnchangedDetailTouchesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, processing().decode(t)))
		require.NoError(t, err)
		before := fulfillmentVersions(t, b.pool)

		res, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, processing().decode(t)))
		require.NoError(t, err)
		require.False(t, res.Changed())
		require.Empty(t, res.NewPackages)
		require.Equal(t, before, fulfillmentVersions(t, b.pool))

		// A list page with the same header neither writes nor asks for detail.
		changes, err := store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{testFO(t, "fo-1", "Processing", t1)}))
		require.NoError(t, err)
		require.Empty(t, changes)
		require.Equal(t, before, fulfillmentVersions(t, b.pool))
	})

	t.Run("ListThenDetailThenNoMoreDetail", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		changes, err := store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{testFO(t, "fo-1", "Processing", t1)}))
		require.NoError(t, err)
		require.Len(t, changes, 1)
		require.True(t, changes[0].NeedsDetail())
		behind, err := store.ListFulfillmentOrdersDetailBehind(ctx, b.pool, store.ReconcileQuery{AccountID: "acct", Limit: 10})
		require.NoError(t, err)
		require.Len(t, behind, 1)
		require.Nil(t, behind[0].DetailStatusUpdatedDate)

		res, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, processing().decode(t)))
		require.NoError(t, err)
		require.True(t, res.OrderWritten, "the detail columns are new content")
		require.Len(t, res.NewPackages, 2)

		changes, err = store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{testFO(t, "fo-1", "Processing", t1)}))
		require.NoError(t, err)
		require.Empty(t, changes)
		behind, err = store.ListFulfillmentOrdersDetailBehind(ctx, b.pool, store.ReconcileQuery{AccountID: "acct", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, behind)
	})

	t.Run("VanishedChildrenAreDeletedAndNewPackagesReportedOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, processing().decode(t)))
		require.NoError(t, err)
		before := fulfillmentVersions(t, b.pool)

		// S2 ships as package 201; S1 loses package 102 and its second line;
		// item i2 is no longer listed.
		next := foDetail{
			id: "fo-1", status: "Complete", updated: t2,
			items: []map[string]any{foItem("i1", 2, "12.30")},
			shipments: []map[string]any{
				foShipment("S1", "SHIPPED", []map[string]any{shipItem("i1", 1, fulfillmentIntp(101))}, 101),
				foShipment("S2", "SHIPPED", []map[string]any{shipItem("i2", 1, fulfillmentIntp(201))}, 201),
			},
		}
		res, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, next.decode(t)))
		require.NoError(t, err)
		require.Equal(t, []int{201}, fulfillmentPackageNumbers(res.NewPackages))
		require.Equal(t, store.ChildCounts{Deleted: 1}, res.Items)
		require.Equal(t, store.ChildCounts{Written: 2}, res.Shipments)
		require.Equal(t, store.ChildCounts{Written: 1, Deleted: 1}, res.ShipmentItems)
		require.Equal(t, store.ChildCounts{Written: 1, Deleted: 1}, res.Packages)

		after := fulfillmentVersions(t, b.pool)
		require.Equal(t, before["items"]["fo-1/i1"], after["items"]["fo-1/i1"])
		require.NotContains(t, after["items"], "fo-1/i2")
		require.Equal(t, before["packages"]["S1/101"], after["packages"]["S1/101"])
		require.NotContains(t, after["packages"], "S1/102")
		require.Contains(t, after["packages"], "S2/201")
		require.Equal(t, before["lines"]["S1/1"], after["lines"]["S1/1"])
		require.NotContains(t, after["lines"], "S1/2")
		require.Greater(t, after["shipments"]["fo-1/S2"].SyncVersion, before["shipments"]["fo-1/S2"].SyncVersion)

		// The same answer again reports no package.
		res, err = store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, next.decode(t)))
		require.NoError(t, err)
		require.Empty(t, res.NewPackages)
		require.False(t, res.Changed())
	})

	t.Run("PackageMovedToAnotherShipmentIsNotNew", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, processing().decode(t)))
		require.NoError(t, err)
		moved := processing()
		moved.updated = t2
		moved.shipments = []map[string]any{
			foShipment("S1", "SHIPPED", []map[string]any{shipItem("i1", 1, fulfillmentIntp(101))}, 101),
			foShipment("S3", "SHIPPED", []map[string]any{shipItem("i1", 1, fulfillmentIntp(102))}, 102),
		}
		res, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, moved.decode(t)))
		require.NoError(t, err)
		require.Empty(t, res.NewPackages)
		require.Equal(t, store.ChildCounts{Written: 1, Deleted: 1}, res.Packages)
	})

	t.Run("RolledBackPackagesAreReportedAgain", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tx, err := b.pool.Begin(ctx)
		require.NoError(t, err)
		res, err := store.ReplaceFulfillmentOrderDetail(ctx, tx, "acct", fulfillmentDetailRows(t, processing().decode(t)))
		require.NoError(t, err)
		require.Len(t, res.NewPackages, 2)
		require.NoError(t, tx.Rollback(ctx))

		err = pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
			res, err = store.ReplaceFulfillmentOrderDetail(ctx, tx, "acct", fulfillmentDetailRows(t, processing().decode(t)))
			return err
		})
		require.NoError(t, err)
		require.Equal(t, []int{101, 102}, fulfillmentPackageNumbers(res.NewPackages))
	})

	t.Run("ConcurrentWritersReportANewPackageOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tx1, err := b.pool.Begin(ctx)
		require.NoError(t, err)
		defer func() { _ = tx1.Rollback(ctx) }()
		res1, err := store.ReplaceFulfillmentOrderDetail(ctx, tx1, "acct", fulfillmentDetailRows(t, processing().decode(t)))
		require.NoError(t, err)
		require.Len(t, res1.NewPackages, 2)

		// The second writer blocks on the order row until the first commits,
		// then finds the packages stored.
		done := make(chan store.FulfillmentDetailResult, 1)
		errs := make(chan error, 1)
		go func() {
			var res store.FulfillmentDetailResult
			err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
				var err error
				res, err = store.ReplaceFulfillmentOrderDetail(ctx, tx, "acct", fulfillmentDetailRows(t, processing().decode(t)))
				return err
			})
			errs <- err
			done <- res
		}()
		// Commit only once the second writer waits on the first's lock, so
		// the two really overlap.
		require.Eventually(t, func() bool {
			var waiting int
			require.NoError(t, b.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting))
			return waiting > 0
		}, time.Minute, 5*time.Millisecond, "the second writer never blocked on the first")
		require.NoError(t, tx1.Commit(ctx))
		require.NoError(t, <-errs)
		res2 := <-done
		require.Empty(t, res2.NewPackages)
		require.False(t, res2.Changed())
	})

	t.Run("OlderDetailIsStaleAndWritesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		newer := processing()
		newer.updated = t2
		newer.status = "Complete"
		_, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, newer.decode(t)))
		require.NoError(t, err)
		before := fulfillmentVersions(t, b.pool)

		older := processing()
		older.items = []map[string]any{foItem("i9", 1, "1.00")}
		res, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, older.decode(t)))
		require.NoError(t, err)
		require.True(t, res.Stale)
		require.False(t, res.Changed())
		require.Equal(t, before, fulfillmentVersions(t, b.pool))
	})

	t.Run("DetailOlderThanListedHeaderKeepsHeader", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := store.UpsertFulfillmentOrders(ctx, b.pool, "acct", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{testFO(t, "fo-1", "Complete", t2)}))
		require.NoError(t, err)
		res, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, processing().decode(t)))
		require.NoError(t, err)
		require.True(t, res.Behind)
		require.False(t, res.OrderWritten)
		require.Len(t, res.NewPackages, 2)
		var status string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT fulfillment_order_status FROM fulfillment_orders`).Scan(&status))
		require.Equal(t, "Complete", status)
		behind, err := store.ListFulfillmentOrdersDetailBehind(ctx, b.pool, store.ReconcileQuery{AccountID: "acct", Limit: 10})
		require.NoError(t, err)
		require.Len(t, behind, 1)
	})

	t.Run("OrdersAndAccountsAreSeparate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, processing().decode(t)))
		require.NoError(t, err)
		other := processing()
		other.id = "fo-2"
		other.shipments = nil
		res, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, other.decode(t)))
		require.NoError(t, err)
		require.Zero(t, res.Packages.Deleted)
		res, err = store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct2", fulfillmentDetailRows(t, processing().decode(t)))
		require.NoError(t, err)
		require.Len(t, res.NewPackages, 2, "package numbers are per account")
		var n int
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT count(*) FROM fulfillment_shipment_packages`).Scan(&n))
		require.Equal(t, 4, n)
	})

	t.Run("PackagesWithoutTrackingAreListed", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := store.ReplaceFulfillmentOrderDetail(ctx, b.pool, "acct", fulfillmentDetailRows(t, processing().decode(t)))
		require.NoError(t, err)
		_, err = store.UpsertPackageTracking(ctx, b.pool, "acct", packageTrackingRows(t, testTracking(t, 101, "IN_TRANSIT", nil)))
		require.NoError(t, err)
		missing, err := store.ListPackagesWithoutTracking(ctx, b.pool, store.ReconcileQuery{AccountID: "acct", Limit: 10})
		require.NoError(t, err)
		require.Equal(t, []int{102}, fulfillmentPackageNumbers(missing))
	})
}

// TestListedHeaderKeepsTheDetailsMarketplace: listAllFulfillmentOrders
// leaves out marketplaceId, which getFulfillmentOrder sends. A list write
// must not blank it, nor move the row's version for it.
func TestListedHeaderKeepsTheDetailsMarketplace(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	t0 := time.Date(2025, 1, 2, 3, 10, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	const detailMarketplace, otherMarketplace = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
	ptr := func(s string) *string { return &s }

	// step is one write of fo-1: a getFulfillmentOrder answer (detail), or
	// a listAllFulfillmentOrders header with marketplaceId set to
	// *marketplace or, when nil, left out.
	type step struct {
		detail      bool
		status      string
		updated     time.Time
		marketplace *string
	}
	detail := func(status string, at time.Time) step { return step{detail: true, status: status, updated: at} }
	listed := func(status string, at time.Time, marketplace *string) step {
		return step{status: status, updated: at, marketplace: marketplace}
	}

	tests := []struct {
		name  string
		steps []step
		// Of the last step:
		wantWritten bool // the header row was written (sync_version and synced_at moved)
		// Of the stored row:
		wantMarketplace    *string
		wantRawMarketplace bool // raw has a marketplaceId key
		wantStatus         string
	}{
		{
			name:               "DetailThenTheSameHeaderListedWithoutMarketplaceIsNotWritten",
			steps:              []step{detail("Processing", t0), listed("Processing", t0, nil)},
			wantWritten:        false,
			wantMarketplace:    ptr(detailMarketplace),
			wantRawMarketplace: true,
			wantStatus:         "Processing",
		},
		{
			name:               "DetailThenAStatusChangeListedWithoutMarketplaceKeepsIt",
			steps:              []step{detail("Processing", t0), listed("Complete", t1, nil)},
			wantWritten:        true,
			wantMarketplace:    ptr(detailMarketplace),
			wantRawMarketplace: false, // raw is the header as Amazon listed it
			wantStatus:         "Complete",
		},
		{
			name:               "FirstListWithoutMarketplaceIsNull",
			steps:              []step{listed("New", t0, nil)},
			wantWritten:        true,
			wantMarketplace:    nil,
			wantRawMarketplace: false,
			wantStatus:         "New",
		},
		{
			name:               "ListedWithoutMarketplaceThenDetailFillsIt",
			steps:              []step{listed("New", t0, nil), detail("New", t0)},
			wantWritten:        true,
			wantMarketplace:    ptr(detailMarketplace),
			wantRawMarketplace: true,
			wantStatus:         "New",
		},
		{
			name:               "AListThatSendsMarketplaceIsBelieved",
			steps:              []step{detail("Processing", t0), listed("Processing", t0, ptr(otherMarketplace))},
			wantWritten:        true,
			wantMarketplace:    ptr(otherMarketplace),
			wantRawMarketplace: true,
			wantStatus:         "Processing",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := dbtest.NewPool(t)
			var before map[string]rowVersion
			var written bool
			for _, s := range tt.steps {
				before = fulfillmentTableVersions(t, pool, "fulfillment_orders", "seller_fulfillment_order_id")
				if s.detail {
					res, err := store.ReplaceFulfillmentOrderDetail(ctx, pool, "acct", fulfillmentDetailRows(t, foDetail{id: "fo-1", status: s.status, updated: s.updated}.decode(t)))
					require.NoError(t, err)
					written = res.OrderWritten
					continue
				}
				h := foHeaderMap("fo-1", s.status, s.updated)
				delete(h, "marketplaceId")
				if s.marketplace != nil {
					h["marketplaceId"] = *s.marketplace
				}
				changes, err := store.UpsertFulfillmentOrders(ctx, pool, "acct", fulfillmentOrderRows(t, []spapi.FulfillmentOrder{fulfillmentDecode[spapi.FulfillmentOrder](t, h)}))
				require.NoError(t, err)
				written = false
				for _, c := range changes {
					written = written || c.Written
				}
			}
			require.Equal(t, tt.wantWritten, written)
			after := fulfillmentTableVersions(t, pool, "fulfillment_orders", "seller_fulfillment_order_id")
			if tt.wantWritten {
				require.NotEqual(t, before["fo-1"].SyncVersion, after["fo-1"].SyncVersion)
			} else {
				require.Equal(t, before, after, "no new tuple, sync_version or synced_at")
			}

			var marketplace *string
			var rawHasMarketplace bool
			var status string
			require.NoError(t, pool.QueryRow(ctx, `SELECT marketplace_id, raw ? 'marketplaceId', fulfillment_order_status FROM fulfillment_orders
				WHERE account_id = 'acct' AND seller_fulfillment_order_id = 'fo-1'`).Scan(&marketplace, &rawHasMarketplace, &status))
			require.Equal(t, tt.wantMarketplace, marketplace)
			require.Equal(t, tt.wantRawMarketplace, rawHasMarketplace)
			require.Equal(t, tt.wantStatus, status)
		})
	}
}
