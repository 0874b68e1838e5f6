package store_test

import (
	"context"

	"github.com/spsync/spsync/internal/jobs/orders/ordermap"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// The store writes rows; the orders stream maps Amazon's records to them
// (ordermap). These tests write records as the stream does: mapped, then
// written.

// upsertV0 maps v0 orders and writes them with store.UpsertOrders.
func upsertV0(ctx context.Context, db store.DBTX, accountID string, orders []spapi.Order) ([]store.OrderChange, error) {
	rows, err := ordermap.Orders(orders)
	if err != nil {
		return nil, err
	}
	return store.UpsertOrders(ctx, db, accountID, rows)
}

// v0Items is one order's complete item list as getOrderItems decodes it.
type v0Items struct {
	AmazonOrderID string
	Items         []spapi.OrderItem
}

// mapV0Items maps item lists to the rows store.ReplaceOrderItems writes.
func mapV0Items(orders []v0Items) ([]store.OrderItems, error) {
	out := make([]store.OrderItems, 0, len(orders))
	for _, o := range orders {
		rows, err := ordermap.Items(o.AmazonOrderID, o.Items)
		if err != nil {
			return nil, err
		}
		out = append(out, rows)
	}
	return out, nil
}

// replaceV0Items maps item lists and writes them with
// store.ReplaceOrderItems.
func replaceV0Items(ctx context.Context, db store.DBTX, accountID string, orders []v0Items) (store.ItemsResult, error) {
	rows, err := mapV0Items(orders)
	if err != nil {
		return store.ItemsResult{}, err
	}
	return store.ReplaceOrderItems(ctx, db, accountID, rows)
}
