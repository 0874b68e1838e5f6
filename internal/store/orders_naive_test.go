package store

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// This file holds the row-at-a-time baseline BenchmarkOrdersUpsert measures
// the batch path against: the plain way to write a page, one statement per
// order and per item, each an INSERT ... ON CONFLICT DO UPDATE with the same
// no-op rule (a row whose raw payload is unchanged is not written), plus one
// DELETE per order for the items it no longer lists. It is test-only.

// rowValues lists the field values of a flat row struct, in rowColumns
// order. pgx has no encoder for ScaledDecimal (the batch path sends it as
// JSON), so an amount goes as the text it marshals to, scale kept.
func rowValues(row any) []any {
	v := reflect.ValueOf(row)
	vals := make([]any, v.NumField())
	for i := range vals {
		vals[i] = v.Field(i).Interface()
		if d, ok := vals[i].(*ScaledDecimal); ok {
			vals[i] = nil
			if d != nil {
				b, _ := d.MarshalJSON() // cannot fail: a quoted decimal
				vals[i] = strings.Trim(string(b), `"`)
			}
		}
	}
	return vals
}

// upsertOneSQL is an INSERT of one row of table with the first column
// account_id ($1), then cols ($2...), updating on conflict on key only when
// raw differs.
func upsertOneSQL(table string, cols, key []string, returning string) string {
	ph := make([]string, len(cols))
	var set []string
	isKey := map[string]bool{}
	for _, k := range key {
		isKey[k] = true
	}
	for i, c := range cols {
		ph[i] = fmt.Sprintf("$%d", i+2)
		if !isKey[c] {
			set = append(set, fmt.Sprintf("%s = EXCLUDED.%s", c, c))
		}
	}
	return fmt.Sprintf(`INSERT INTO %s (account_id, %s) VALUES ($1, %s)
ON CONFLICT (account_id, %s) DO UPDATE SET %s, sync_version = nextval('sync_version_seq'), synced_at = now()
WHERE %s.raw IS DISTINCT FROM EXCLUDED.raw %s`,
		table, strings.Join(cols, ", "), strings.Join(ph, ", "), strings.Join(key, ", "), strings.Join(set, ", "), table, returning)
}

var naiveSQL = sync.OnceValues(func() (string, string) {
	orders := `WITH previous AS (SELECT last_update_date FROM orders WHERE account_id = $1 AND amazon_order_id = $2) ` +
		upsertOneSQL("orders", rowColumns(reflect.TypeFor[OrderRow]()), []string{"amazon_order_id"},
			"RETURNING orders.amazon_order_id, orders.last_update_date, (SELECT last_update_date FROM previous)")
	items := upsertOneSQL("order_items", rowColumns(reflect.TypeFor[OrderItemRow]()), []string{"amazon_order_id", "order_item_id"}, "")
	return orders, items
})

// UpsertOrdersRowAtATime is the baseline of UpsertOrders and
// ReplaceOrderItems: each order, then each of its items, in statements of
// their own on db; then the order's vanished items are deleted. It returns
// the orders written.
func UpsertOrdersRowAtATime(ctx context.Context, db DBTX, accountID string, orders []OrderRow, items []OrderItems) ([]OrderChange, error) {
	ordersSQL, itemsSQL := naiveSQL()
	var out []OrderChange
	for _, r := range orders {
		rows, err := db.Query(ctx, ordersSQL, append([]any{accountID}, rowValues(r)...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c OrderChange
			if err := rows.Scan(&c.AmazonOrderID, &c.LastUpdateDate, &c.PreviousLastUpdateDate); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, c)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, o := range items {
		ids := []string{}
		for _, r := range o.Items {
			if _, err := db.Exec(ctx, itemsSQL, append([]any{accountID}, rowValues(r)...)...); err != nil {
				return nil, err
			}
			ids = append(ids, r.OrderItemID)
		}
		if _, err := db.Exec(ctx, `DELETE FROM order_items WHERE account_id = $1 AND amazon_order_id = $2 AND NOT order_item_id = ANY($3)`,
			accountID, o.AmazonOrderID, ids); err != nil {
			return nil, err
		}
	}
	return out, nil
}
