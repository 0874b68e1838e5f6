package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs/orders/ordermap"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// BenchmarkOrdersUpsert compares, in one run, the batch upsert (a page of
// 100 orders and their 3 items each in two statements: UpsertOrders and
// ReplaceOrderItems) with a row-at-a-time path (UpsertOrdersRowAtATime: one
// INSERT ... ON CONFLICT per order and per item, one DELETE per order), each
// in one transaction per page as the poller commits. Each path writes the
// orders new, then again with a changed status and LastUpdateDate (their
// items unchanged, so the item upsert is a no-op then). Metrics are orders
// per second of each path and the speedup.
func BenchmarkOrdersUpsert(b *testing.B) {
	const (
		nOrders  = 4000
		itemsPer = 3
		pageSize = 100
	)
	ctx := context.Background()
	pool := dbtest.NewPool(b)
	t0 := time.Date(2025, 1, 2, 3, 10, 0, 0, time.UTC)
	newOrders, newItems := benchOrders(b, nOrders, itemsPer, t0)
	changedOrders, changedItems := benchOrders(b, nOrders, itemsPer, t0.Add(time.Hour))
	for i := range changedOrders {
		changedOrders[i].OrderStatus = "Shipped"
	}

	inPages := func(b *testing.B, orders []spapi.Order, items []v0Items, write func(pgx.Tx, []spapi.Order, []v0Items) error) {
		for from := 0; from < len(orders); from += pageSize {
			to := min(from+pageSize, len(orders))
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return write(tx, orders[from:to], items[from:to]) })
			require.NoError(b, err)
		}
	}
	batch := func(tx pgx.Tx, orders []spapi.Order, items []v0Items) error {
		if _, err := upsertV0(ctx, tx, "bench", orders); err != nil {
			return err
		}
		_, err := replaceV0Items(ctx, tx, "bench", items)
		return err
	}
	naive := func(tx pgx.Tx, orders []spapi.Order, items []v0Items) error {
		rows, err := ordermap.Orders(orders)
		if err != nil {
			return err
		}
		itemRows, err := mapV0Items(items)
		if err != nil {
			return err
		}
		_, err = store.UpsertOrdersRowAtATime(ctx, tx, "bench", rows, itemRows)
		return err
	}
	run := func(b *testing.B, pool *pgxpool.Pool, write func(pgx.Tx, []spapi.Order, []v0Items) error) time.Duration {
		_, err := pool.Exec(ctx, `TRUNCATE orders, order_items`)
		require.NoError(b, err)
		start := time.Now()
		inPages(b, newOrders, newItems, write)
		inPages(b, changedOrders, changedItems, write)
		elapsed := time.Since(start)
		var nOrd, nItems, shipped int
		require.NoError(b, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_items), (SELECT count(*) FROM orders WHERE order_status = 'Shipped')`).Scan(&nOrd, &nItems, &shipped))
		require.Equal(b, []int{nOrders, nOrders * itemsPer, nOrders}, []int{nOrd, nItems, shipped})
		return elapsed
	}
	var batchTime, naiveTime time.Duration
	runs := 0
	for b.Loop() {
		bt, nt := run(b, pool, batch), run(b, pool, naive)
		b.Logf("run %d: batch %.0f orders/s, naive %.0f orders/s", runs+1, float64(2*nOrders)/bt.Seconds(), float64(2*nOrders)/nt.Seconds())
		batchTime += bt
		naiveTime += nt
		runs++
	}
	written := float64(2 * nOrders * runs)
	batchRate := written / batchTime.Seconds()
	naiveRate := written / naiveTime.Seconds()
	b.ReportMetric(batchRate, "batch_orders/s")
	b.ReportMetric(naiveRate, "naive_orders/s")
	b.ReportMetric(batchRate/naiveRate, "speedup_x")
	b.ReportMetric(0, "ns/op")
}
