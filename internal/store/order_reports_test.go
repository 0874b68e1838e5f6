package store_test

import (
	"context"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/spapi/orderreport"
	"github.com/spsync/spsync/internal/store"
)

func reportLine(order, sku string, qty int, price, status string) orderreport.Line {
	purchase := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	updated := purchase.Add(48 * time.Hour)
	q := qty
	l := orderreport.Line{
		AmazonOrderID: order, PurchaseDate: purchase, LastUpdatedDate: &updated, OrderStatus: "Shipped",
		FulfillmentChannel: "Amazon", SalesChannel: "Amazon.com", ShipServiceLevel: "Expedited",
		ProductName: "Thing " + sku, SKU: sku, ASIN: "B0" + sku, ItemStatus: status, Quantity: &q, Currency: "USD",
		ShipCity: "Seattle", ShipState: "WA", ShipCountry: "US",
		Fields: map[string]string{"amazon-order-id": order, "sku": sku, "item-price": price, "ship-postal-code": "98109",
			"ship-city": "Seattle", "order-status": "Shipped", "item-status": status},
	}
	if price != "" {
		p := decimal.RequireFromString(price)
		tax := p.Mul(decimal.RequireFromString("0.1")).Round(2)
		l.ItemPrice, l.ItemTax = &p, &tax
		l.Fields["item-tax"] = tax.String()
	}
	return l
}

func replaceReport(t *testing.T, pool pgxPool, report string, lines []orderreport.Line) store.ReportLinesResult {
	t.Helper()
	var res store.ReportLinesResult
	require.NoError(t, pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		var err error
		res, err = store.ReplaceOrderReportLines(context.Background(), tx, "acct", report, lines)
		return err
	}))
	return res
}

type pgxPool interface {
	Begin(context.Context) (pgx.Tx, error)
}

func TestReplaceOrderReportLines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	count := func(q string, args ...any) int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, q, args...).Scan(&n))
		return n
	}
	versions := func() map[string]int64 {
		rows, err := pool.Query(ctx, `SELECT 'o:' || amazon_order_id, sync_version FROM orders UNION ALL
			SELECT 'l:' || amazon_order_id || ':' || line_no, sync_version FROM order_report_lines`)
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

	cancelledLine := reportLine("111-0000000-0000001", "B", 1, "5.00", "Cancelled")
	pending := reportLine("111-0000000-0000002", "C", 1, "", "Unshipped")
	pending.OrderStatus, pending.FulfillmentChannel = "Pending", "Merchant"
	apiOrder := reportLine("111-0000000-0000003", "D", 1, "9.99", "Shipped")
	doc := []orderreport.Line{
		reportLine("111-0000000-0000001", "A", 2, "20.00", "Shipped"),
		cancelledLine,
		reportLine("111-0000000-0000001", "A", 1, "10.00", "Shipped"), // the same SKU on a second line
		pending,
		apiOrder,
	}
	// Order 3 was synced through an order API before the backfill.
	_, err := upsertV0(ctx, pool, "acct", []spapi.Order{testOrder(t, "111-0000000-0000003", "Shipped", time.Now(), "1.00")})
	require.NoError(t, err)
	apiBefore := versions()["o:111-0000000-0000003"]

	res := replaceReport(t, pool, "R1", doc)
	require.Equal(t, store.ReportLinesResult{Orders: 3, OrdersWritten: 2, OrdersKept: 1, Lines: 4, LinesWritten: 4}, res)
	require.Equal(t, apiBefore, versions()["o:111-0000000-0000003"], "an API row is never overwritten by report data")
	require.Zero(t, count(`SELECT count(*) FROM order_report_lines WHERE amazon_order_id = '111-0000000-0000003'`))

	var status, channel, marketplace, total, version string
	var city *string
	require.NoError(t, pool.QueryRow(ctx, `SELECT order_status, fulfillment_channel, marketplace_id, order_total_amount::text, api_version, shipping_address_city
		FROM orders WHERE amazon_order_id = '111-0000000-0000001'`).Scan(&status, &channel, &marketplace, &total, &version, &city))
	require.Equal(t, "Shipped", status)
	require.Equal(t, "AFN", channel, "Amazon is AFN")
	require.Equal(t, "ATVPDKIKX0DER", marketplace, "Amazon.com")
	require.Equal(t, "38.50", total, "20 + 2 + 10 + 1 + 5 + 0.5: prices and taxes of every line")
	require.Equal(t, store.APIVersionReports, version)
	require.Equal(t, "Seattle", *city)
	var pendingTotal *string
	var pendingStatus, pendingChannel string
	require.NoError(t, pool.QueryRow(ctx, `SELECT order_total_amount::text, order_status, fulfillment_channel FROM orders WHERE amazon_order_id = '111-0000000-0000002'`).
		Scan(&pendingTotal, &pendingStatus, &pendingChannel))
	require.Nil(t, pendingTotal, "a pending merchant item has no price: no total, never 0")
	require.Equal(t, "Pending", pendingStatus)
	require.Equal(t, "MFN", pendingChannel)
	require.Zero(t, count(`SELECT count(*) FROM order_report_lines WHERE raw ? 'ship-postal-code'`), "the postal code is PII")
	require.Zero(t, count(`SELECT count(*) FROM orders WHERE raw ? 'ship-postal-code'`))
	require.Equal(t, 1, count(`SELECT count(*) FROM order_report_lines WHERE amazon_order_id = '111-0000000-0000001' AND item_status = 'Cancelled'`))

	// The same document again, lines shuffled: nothing is written.
	before := versions()
	shuffled := append([]orderreport.Line(nil), doc...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	res = replaceReport(t, pool, "R2", shuffled)
	require.Equal(t, store.ReportLinesResult{Orders: 3, OrdersKept: 1, Lines: 4}, res)
	require.Equal(t, before, versions(), "re-importing a window moves no version")

	// A leaner layout (no ship-city or item-tax column) says nothing new:
	// nothing is written either.
	var lean []orderreport.Line
	for _, l := range doc {
		l.Fields = maps.Clone(l.Fields)
		delete(l.Fields, "ship-city")
		delete(l.Fields, "item-tax")
		l.ShipCity, l.ItemTax = "", nil
		lean = append(lean, l)
	}
	res = replaceReport(t, pool, "R2b", lean)
	require.Zero(t, res.OrdersWritten+res.LinesWritten)
	require.Equal(t, before, versions())

	// A later report without the cancelled line: that line goes.
	res = replaceReport(t, pool, "R3", []orderreport.Line{doc[0], doc[2]})
	require.Equal(t, 1, res.LinesDeleted)
	require.Equal(t, 2, count(`SELECT count(*) FROM order_report_lines WHERE amazon_order_id = '111-0000000-0000001'`))

	// order_lines shows report lines of orders without API items.
	require.Equal(t, 3, count(`SELECT count(*) FROM order_lines WHERE source = 'report'`))
	require.Equal(t, 3, count(`SELECT sum(quantity) FROM order_lines WHERE sku = 'A'`))

	// The order API syncs order 1: its row becomes the API's, counted as new
	// (its items were never fetched), and its items replace the report lines.
	changes, err := upsertV0(ctx, pool, "acct", []spapi.Order{testOrder(t, "111-0000000-0000001", "Shipped", time.Date(2025, 3, 6, 5, 6, 7, 0, time.UTC), "38.50")})
	require.NoError(t, err)
	require.Len(t, changes, 1)
	require.True(t, changes[0].NeedsItems(), "a report-only order's items must be fetched")
	require.Equal(t, 2, count(`SELECT count(*) FROM order_report_lines WHERE amazon_order_id = '111-0000000-0000001'`), "lines stay until real items arrive")
	_, err = replaceV0Items(ctx, pool, "acct", []v0Items{{AmazonOrderID: "111-0000000-0000001", Items: []spapi.OrderItem{testItem(t, "1", 3, "30.00")}}})
	require.NoError(t, err)
	require.Zero(t, count(`SELECT count(*) FROM order_report_lines WHERE amazon_order_id = '111-0000000-0000001'`))
	require.Equal(t, 1, count(`SELECT count(*) FROM order_lines WHERE amazon_order_id = '111-0000000-0000001' AND source = 'api'`))

	// A report now leaves the API-synced order alone.
	res = replaceReport(t, pool, "R4", doc)
	require.Equal(t, 2, res.OrdersKept)
	require.Zero(t, count(`SELECT count(*) FROM order_report_lines WHERE amazon_order_id = '111-0000000-0000001'`))
}
