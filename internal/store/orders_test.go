package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// testOrder decodes an order the way the SP-API client does, so Raw holds
// the exact payload.
func testOrder(t testing.TB, id, status string, updated time.Time, total string) spapi.Order {
	t.Helper()
	m := map[string]any{
		"AmazonOrderId":          id,
		"PurchaseDate":           "2025-01-02T03:04:05Z",
		"LastUpdateDate":         updated.UTC().Format(time.RFC3339),
		"OrderStatus":            status,
		"FulfillmentChannel":     "MFN",
		"SalesChannel":           "Amazon.com",
		"MarketplaceId":          "ATVPDKIKX0DER",
		"NumberOfItemsShipped":   0,
		"NumberOfItemsUnshipped": 2,
		"IsPrime":                true,
		"IsBusinessOrder":        false,
		"EarliestShipDate":       "2025-01-02T04:04:05Z",
		"PaymentMethodDetails":   []string{"Standard"},
		"ShippingAddress":        map[string]any{"City": "Seattle", "StateOrRegion": "WA", "PostalCode": "98109", "CountryCode": "US"},
	}
	if total != "" {
		m["OrderTotal"] = map[string]any{"CurrencyCode": "USD", "Amount": total}
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	var o spapi.Order
	require.NoError(t, json.Unmarshal(b, &o))
	return o
}

func testItem(t testing.TB, id string, qty int, price string) spapi.OrderItem {
	t.Helper()
	m := map[string]any{
		"ASIN": "B0TEST" + id, "SellerSKU": "SKU-" + id, "OrderItemId": id, "Title": "Thing " + id,
		"QuantityOrdered": qty, "QuantityShipped": 0,
	}
	if price != "" {
		m["ItemPrice"] = map[string]any{"CurrencyCode": "USD", "Amount": price}
		m["ItemTax"] = map[string]any{"CurrencyCode": "USD", "Amount": "0.10"}
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	var it spapi.OrderItem
	require.NoError(t, json.Unmarshal(b, &it))
	return it
}

// rowVersion is what proves a no-op: the tuple's xmin (a new tuple version
// means a write happened), sync_version and synced_at.
type rowVersion struct {
	Xmin        string
	SyncVersion int64
	SyncedAt    time.Time
}

func orderVersions(t *testing.T, pool *pgxpool.Pool) map[string]rowVersion {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT amazon_order_id, xmin::text, sync_version, synced_at FROM orders`)
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

func itemVersions(t *testing.T, pool *pgxpool.Pool) map[string]rowVersion {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT amazon_order_id || '/' || order_item_id, xmin::text, sync_version, synced_at FROM order_items`)
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

func TestUpsertOrders(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	t0 := time.Date(2025, 1, 2, 3, 10, 0, 0, time.UTC)

	type testBundle struct{ pool *pgxpool.Pool }
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{pool: dbtest.NewPool(t)}
	}

	t.Run("NewOrdersAreWrittenWithTypedColumnsAndNeedItems", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		changes, err := upsertV0(ctx, b.pool, "acct", []spapi.Order{
			testOrder(t, "111-0000001-0000001", "Unshipped", t0, "12.30"),
			testOrder(t, "111-0000001-0000002", "Pending", t0, ""),
		})
		require.NoError(t, err)
		require.Len(t, changes, 2)
		for _, c := range changes {
			require.True(t, c.NeedsItems())
			require.Nil(t, c.PreviousLastUpdateDate)
		}

		var (
			status, city, marketplace string
			amount                    *decimal.Decimal
			currency                  *string
			prime                     *bool
			unshipped                 *int
			details                   []string
			purchase, earliestShip    time.Time
			raw                       map[string]any
		)
		err = b.pool.QueryRow(ctx, `SELECT order_status, shipping_address_city, marketplace_id, order_total_amount, order_total_currency,
			is_prime, number_of_items_unshipped, payment_method_details, purchase_date, earliest_ship_date, raw
			FROM orders WHERE account_id = 'acct' AND amazon_order_id = '111-0000001-0000001'`).
			Scan(&status, &city, &marketplace, &amount, &currency, &prime, &unshipped, &details, &purchase, &earliestShip, &raw)
		require.NoError(t, err)
		require.Equal(t, "Unshipped", status)
		require.Equal(t, "Seattle", city)
		require.Equal(t, "ATVPDKIKX0DER", marketplace)
		require.Equal(t, "12.3", amount.String())
		require.Equal(t, "USD", *currency)
		require.True(t, *prime)
		require.Equal(t, 2, *unshipped)
		require.Equal(t, []string{"Standard"}, details)
		require.True(t, purchase.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)))
		require.True(t, earliestShip.Equal(time.Date(2025, 1, 2, 4, 4, 5, 0, time.UTC)))
		require.Equal(t, "12.30", raw["OrderTotal"].(map[string]any)["Amount"])
		// The typed column keeps Amazon's scale: BI sees 12.30, not 12.3.
		var amountText string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT order_total_amount::text FROM orders`).Scan(&amountText))
		require.Equal(t, "12.30", amountText)
	})

	t.Run("PendingOrderKeepsNullTotals", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := upsertV0(ctx, b.pool, "acct", []spapi.Order{testOrder(t, "111-0000001-0000002", "Pending", t0, "")})
		require.NoError(t, err)
		var amount *decimal.Decimal
		var currency *string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT order_total_amount, order_total_currency FROM orders`).Scan(&amount, &currency))
		require.Nil(t, amount)
		require.Nil(t, currency)
	})

	t.Run("UnchangedOrdersAreNotTouched", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		orders := []spapi.Order{
			testOrder(t, "111-0000001-0000001", "Unshipped", t0, "12.30"),
			testOrder(t, "111-0000001-0000002", "Pending", t0, ""),
		}
		_, err := upsertV0(ctx, b.pool, "acct", orders)
		require.NoError(t, err)
		before := orderVersions(t, b.pool)

		changes, err := upsertV0(ctx, b.pool, "acct", orders)
		require.NoError(t, err)
		require.Empty(t, changes)
		require.Equal(t, before, orderVersions(t, b.pool))
	})

	t.Run("ChangedOrderGetsNewSyncVersion", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := upsertV0(ctx, b.pool, "acct", []spapi.Order{
			testOrder(t, "111-0000001-0000001", "Pending", t0, ""),
			testOrder(t, "111-0000001-0000002", "Pending", t0, ""),
		})
		require.NoError(t, err)
		before := orderVersions(t, b.pool)

		t1 := t0.Add(time.Hour)
		changes, err := upsertV0(ctx, b.pool, "acct", []spapi.Order{
			testOrder(t, "111-0000001-0000001", "Unshipped", t1, "12.30"),
			testOrder(t, "111-0000001-0000002", "Pending", t0, ""),
		})
		require.NoError(t, err)
		require.Len(t, changes, 1)
		require.Equal(t, "111-0000001-0000001", changes[0].AmazonOrderID)
		require.True(t, changes[0].PreviousLastUpdateDate.Equal(t0))
		require.True(t, changes[0].NeedsItems())

		after := orderVersions(t, b.pool)
		require.Greater(t, after["111-0000001-0000001"].SyncVersion, before["111-0000001-0000002"].SyncVersion)
		require.Equal(t, before["111-0000001-0000002"], after["111-0000001-0000002"])
	})

	t.Run("SameUpdateDateDoesNotNeedItems", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := upsertV0(ctx, b.pool, "acct", []spapi.Order{testOrder(t, "111-0000001-0000001", "Unshipped", t0, "12.30")})
		require.NoError(t, err)
		changes, err := upsertV0(ctx, b.pool, "acct", []spapi.Order{testOrder(t, "111-0000001-0000001", "Unshipped", t0, "12.31")})
		require.NoError(t, err)
		require.Len(t, changes, 1)
		require.False(t, changes[0].NeedsItems())
	})

	t.Run("RepeatedOrderInBatchKeepsLatest", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		changes, err := upsertV0(ctx, b.pool, "acct", []spapi.Order{
			testOrder(t, "111-0000001-0000001", "Shipped", t0.Add(time.Hour), "12.30"),
			testOrder(t, "111-0000001-0000001", "Unshipped", t0, "12.30"),
		})
		require.NoError(t, err)
		require.Len(t, changes, 1)
		var status string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT order_status FROM orders`).Scan(&status))
		require.Equal(t, "Shipped", status)
	})

	t.Run("AccountsAreSeparate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		o := testOrder(t, "111-0000001-0000001", "Unshipped", t0, "12.30")
		_, err := upsertV0(ctx, b.pool, "a", []spapi.Order{o})
		require.NoError(t, err)
		changes, err := upsertV0(ctx, b.pool, "b", []spapi.Order{o})
		require.NoError(t, err)
		require.Len(t, changes, 1)
		require.Nil(t, changes[0].PreviousLastUpdateDate)
	})
}

func TestReplaceOrderItems(t *testing.T) {
	t.Parallel()

	ctx := context.Background()

	type testBundle struct{ pool *pgxpool.Pool }
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{pool: dbtest.NewPool(t)}
	}

	t.Run("WritesTypedColumnsAndNullPrices", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		res, err := replaceV0Items(ctx, b.pool, "acct", []v0Items{
			{AmazonOrderID: "o1", Items: []spapi.OrderItem{testItem(t, "1", 2, "25.99"), testItem(t, "2", 1, "")}},
		})
		require.NoError(t, err)
		require.Equal(t, store.ItemsResult{Written: 2}, res)

		var price, tax *decimal.Decimal
		var qty int
		var sku string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT item_price_amount, item_tax_amount, quantity_ordered, seller_sku FROM order_items WHERE order_item_id = '1'`).
			Scan(&price, &tax, &qty, &sku))
		require.Equal(t, "25.99", price.String())
		require.Equal(t, "0.1", tax.String())
		var taxText string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT item_tax_amount::text FROM order_items WHERE order_item_id = '1'`).Scan(&taxText))
		require.Equal(t, "0.10", taxText, "the typed column keeps Amazon's scale")
		require.Equal(t, 2, qty)
		require.Equal(t, "SKU-1", sku)
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT item_price_amount FROM order_items WHERE order_item_id = '2'`).Scan(&price))
		require.Nil(t, price)
	})

	t.Run("UnchangedItemsAreNotTouched", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		batch := []v0Items{{AmazonOrderID: "o1", Items: []spapi.OrderItem{testItem(t, "1", 2, "25.99"), testItem(t, "2", 1, "3.00")}}}
		_, err := replaceV0Items(ctx, b.pool, "acct", batch)
		require.NoError(t, err)
		before := itemVersions(t, b.pool)
		res, err := replaceV0Items(ctx, b.pool, "acct", batch)
		require.NoError(t, err)
		require.Equal(t, store.ItemsResult{}, res)
		require.Equal(t, before, itemVersions(t, b.pool))
	})

	t.Run("MissingItemsAreDeletedOnlyFromTheirOrder", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := replaceV0Items(ctx, b.pool, "acct", []v0Items{
			{AmazonOrderID: "o1", Items: []spapi.OrderItem{testItem(t, "1", 2, "25.99"), testItem(t, "2", 1, "3.00")}},
			{AmazonOrderID: "o2", Items: []spapi.OrderItem{testItem(t, "3", 1, "3.00")}},
		})
		require.NoError(t, err)
		before := itemVersions(t, b.pool)

		res, err := replaceV0Items(ctx, b.pool, "acct", []v0Items{
			{AmazonOrderID: "o1", Items: []spapi.OrderItem{testItem(t, "1", 3, "38.99")}},
		})
		require.NoError(t, err)
		require.Equal(t, store.ItemsResult{Written: 1, Deleted: 1}, res)
		after := itemVersions(t, b.pool)
		require.Len(t, after, 2)
		require.Contains(t, after, "o1/1")
		require.Equal(t, before["o2/3"], after["o2/3"])
		require.Greater(t, after["o1/1"].SyncVersion, before["o2/3"].SyncVersion)
	})

	t.Run("EmptyListDeletesEveryItem", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := replaceV0Items(ctx, b.pool, "acct", []v0Items{{AmazonOrderID: "o1", Items: []spapi.OrderItem{testItem(t, "1", 2, "25.99")}}})
		require.NoError(t, err)
		res, err := replaceV0Items(ctx, b.pool, "acct", []v0Items{{AmazonOrderID: "o1"}})
		require.NoError(t, err)
		require.Equal(t, store.ItemsResult{Deleted: 1}, res)
	})
}

// benchOrders builds n orders with itemsPer items each, decoded like client
// responses.
func benchOrders(b *testing.B, n, itemsPer int, updated time.Time) ([]spapi.Order, []v0Items) {
	b.Helper()
	orders := make([]spapi.Order, n)
	items := make([]v0Items, n)
	for i := range orders {
		id := fmt.Sprintf("111-%07d-%07d", i/10_000_000, i%10_000_000)
		orders[i] = testOrder(b, id, "Unshipped", updated, fmt.Sprintf("%d.%02d", 10+i%90, i%100))
		its := make([]spapi.OrderItem, itemsPer)
		for k := range its {
			its[k] = testItem(b, fmt.Sprintf("%014d", i*100+k), 1+k%3, fmt.Sprintf("%d.99", 5+k))
		}
		items[i] = v0Items{AmazonOrderID: id, Items: its}
	}
	return orders, items
}
