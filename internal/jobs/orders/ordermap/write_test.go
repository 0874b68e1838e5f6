package ordermap

import (
	"context"
	"time"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// The store writes rows and the stream maps records to them: these write
// records the way the orders stream does, mapping and then writing.

// upsert2026 maps a page of 2026 orders and writes it with
// store.UpsertOrders2026.
func upsert2026(ctx context.Context, db store.DBTX, accountID string, orders []spapi.Order2026, opts Options2026) (store.Orders2026Result, error) {
	rows, err := Orders2026(orders, opts)
	if err != nil {
		return store.Orders2026Result{}, err
	}
	return store.UpsertOrders2026(ctx, db, accountID, rows)
}

// upsertPII reads a page's PII and writes it with store.UpsertOrderPII.
func upsertPII(ctx context.Context, db store.DBTX, accountID string, orders []spapi.Order2026, retention time.Duration) (int, error) {
	rows, err := PII(orders)
	if err != nil {
		return 0, err
	}
	return store.UpsertOrderPII(ctx, db, accountID, rows, retention)
}

// upsertV0 maps v0 orders and writes them with store.UpsertOrders.
func upsertV0(ctx context.Context, db store.DBTX, accountID string, orders []spapi.Order) ([]store.OrderChange, error) {
	rows, err := Orders(orders)
	if err != nil {
		return nil, err
	}
	return store.UpsertOrders(ctx, db, accountID, rows)
}
