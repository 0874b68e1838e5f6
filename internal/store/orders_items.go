package store

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/jackc/pgx/v5"
)

// OrderItemRow is one order_items row as ReplaceOrderItems reads it. JSON
// names are the column names, and its fields are the columns
// ReplaceOrderItems writes: the statement's column lists are built from them
// (see orders.go). A NULL column is left out (omitzero).
type OrderItemRow struct {
	AmazonOrderID                string          `json:"amazon_order_id"`
	OrderItemID                  string          `json:"order_item_id"`
	ASIN                         string          `json:"asin"`
	SellerSKU                    *string         `json:"seller_sku,omitzero"`
	Title                        *string         `json:"title,omitzero"`
	QuantityOrdered              int             `json:"quantity_ordered"`
	QuantityShipped              *int            `json:"quantity_shipped,omitzero"`
	ItemPriceAmount              *ScaledDecimal  `json:"item_price_amount,omitzero"`
	ItemPriceCurrency            *string         `json:"item_price_currency,omitzero"`
	ShippingPriceAmount          *ScaledDecimal  `json:"shipping_price_amount,omitzero"`
	ShippingPriceCurrency        *string         `json:"shipping_price_currency,omitzero"`
	ItemTaxAmount                *ScaledDecimal  `json:"item_tax_amount,omitzero"`
	ItemTaxCurrency              *string         `json:"item_tax_currency,omitzero"`
	ShippingTaxAmount            *ScaledDecimal  `json:"shipping_tax_amount,omitzero"`
	ShippingTaxCurrency          *string         `json:"shipping_tax_currency,omitzero"`
	ShippingDiscountAmount       *ScaledDecimal  `json:"shipping_discount_amount,omitzero"`
	ShippingDiscountCurrency     *string         `json:"shipping_discount_currency,omitzero"`
	ShippingDiscountTaxAmount    *ScaledDecimal  `json:"shipping_discount_tax_amount,omitzero"`
	ShippingDiscountTaxCurrency  *string         `json:"shipping_discount_tax_currency,omitzero"`
	PromotionDiscountAmount      *ScaledDecimal  `json:"promotion_discount_amount,omitzero"`
	PromotionDiscountCurrency    *string         `json:"promotion_discount_currency,omitzero"`
	PromotionDiscountTaxAmount   *ScaledDecimal  `json:"promotion_discount_tax_amount,omitzero"`
	PromotionDiscountTaxCurrency *string         `json:"promotion_discount_tax_currency,omitzero"`
	CODFeeAmount                 *ScaledDecimal  `json:"cod_fee_amount,omitzero"`
	CODFeeCurrency               *string         `json:"cod_fee_currency,omitzero"`
	CODFeeDiscountAmount         *ScaledDecimal  `json:"cod_fee_discount_amount,omitzero"`
	CODFeeDiscountCurrency       *string         `json:"cod_fee_discount_currency,omitzero"`
	IsGift                       *bool           `json:"is_gift,omitzero"`
	ConditionID                  *string         `json:"condition_id,omitzero"`
	ConditionSubtypeID           *string         `json:"condition_subtype_id,omitzero"`
	PriceDesignation             *string         `json:"price_designation,omitzero"`
	IsTransparency               *bool           `json:"is_transparency,omitzero"`
	SerialNumberRequired         *bool           `json:"serial_number_required,omitzero"`
	IossNumber                   *string         `json:"ioss_number,omitzero"`
	StoreChainStoreID            *string         `json:"store_chain_store_id,omitzero"`
	DeemedResellerCategory       *string         `json:"deemed_reseller_category,omitzero"`
	APIVersion                   string          `json:"api_version"`
	UnitPriceAmount              *ScaledDecimal  `json:"unit_price_amount,omitzero"`
	UnitPriceCurrency            *string         `json:"unit_price_currency,omitzero"`
	ProceedsTotalAmount          *ScaledDecimal  `json:"proceeds_total_amount,omitzero"`
	ProceedsTotalCurrency        *string         `json:"proceeds_total_currency,omitzero"`
	Programs                     []string        `json:"programs,omitzero"`
	Raw                          json.RawMessage `json:"raw"`
}

// OrderItems is the complete item list of one order (every page of
// getOrderItems together), as rows.
type OrderItems struct {
	AmazonOrderID string
	Items         []OrderItemRow
}

// ItemsResult counts what ReplaceOrderItems did.
type ItemsResult struct {
	// Written is items inserted or changed.
	Written int64
	// Deleted is items the orders no longer list.
	Deleted int64
}

// ReplaceOrderItems makes the stored items of each given order equal to its
// list, in one statement on db: new and changed items are written, unchanged
// ones are not touched, and items an order no longer lists are deleted. Pass
// complete lists only: an order given with no items loses all of its stored
// items. A repeated item id within an order keeps its last copy.
func ReplaceOrderItems(ctx context.Context, db DBTX, accountID string, orders []OrderItems) (ItemsResult, error) {
	if len(orders) == 0 {
		return ItemsResult{}, nil
	}
	// keep maps each order to the ids of its items, for the delete of
	// items the order no longer lists.
	keep := make(map[string][]string, len(orders))
	var rows []OrderItemRow
	index := map[[2]string]int{}
	for _, o := range orders {
		ids, seen := keep[o.AmazonOrderID]
		if !seen {
			ids = []string{} // encode as [], not null: an order with no items loses them all
		}
		for _, r := range o.Items {
			r.AmazonOrderID = o.AmazonOrderID
			key := [2]string{r.AmazonOrderID, r.OrderItemID}
			if at, dup := index[key]; dup {
				rows[at] = r
				continue
			}
			index[key] = len(rows)
			rows = append(rows, r)
			ids = append(ids, r.OrderItemID)
		}
		keep[o.AmazonOrderID] = ids
	}
	return replaceOrderItemRows(ctx, db, accountID, rows, keep)
}

// replaceOrderItemRows writes rows and deletes the items of the orders in
// keep that keep does not list, and those orders' report lines, in one
// statement (replaceOrderItemsSQL).
func replaceOrderItemRows(ctx context.Context, db DBTX, accountID string, rows []OrderItemRow, keep map[string][]string) (ItemsResult, error) {
	if len(keep) == 0 {
		return ItemsResult{}, nil
	}
	if rows == nil {
		rows = []OrderItemRow{} // encode as [], not null
	}
	payload, err := json.Marshal(rows)
	if err != nil {
		return ItemsResult{}, fmt.Errorf("encode %d order items: %w", len(rows), err)
	}
	keepJSON, err := json.Marshal(keep)
	if err != nil {
		return ItemsResult{}, fmt.Errorf("encode item ids of %d orders: %w", len(keep), err)
	}
	var res ItemsResult
	err = db.QueryRow(ctx, replaceOrderItemsSQL, pgx.NamedArgs{"rows": payload, "account_id": accountID, "keep": keepJSON}).
		Scan(&res.Written, &res.Deleted)
	if err != nil {
		return ItemsResult{}, fmt.Errorf("replace items of %d orders of account %s: %w", len(keep), accountID, err)
	}
	return res, nil
}

// replaceOrderItemsSQL is replaceOrderItemsTemplate with the columns of OrderItemRow.
var replaceOrderItemsSQL = upsertStatement(replaceOrderItemsTemplate, reflect.TypeFor[OrderItemRow](), "amazon_order_id", "order_item_id")

// replaceOrderItemsTemplate makes the stored items of the given orders of one
// account equal to the batch: items are upserted (untouched when their raw
// payload is unchanged) and items of those orders missing from the batch are
// deleted, in one statement. It reports how many rows were written and
// deleted. The batch must not repeat an (order id, item id) pair.
// {{columns}} and {{update}} are filled in by upsertStatement.
//
// @rows is a jsonb array of OrderItemRow, typed in one pass by
// jsonb_populate_recordset by the order_items row type. @keep maps each
// order id of the batch to the array of its item ids. gone walks the stored
// items of each order by primary key (a LATERAL that OFFSET 0 keeps from
// being flattened into a join) and tests each against its own order's short
// list. The delete runs only when gone found something (EXISTS is a one-time
// filter): in the usual page nothing vanished and the delete does not even
// start a scan. So no part of the statement scans the account's items in the
// usual case, whatever the statistics say (a freshly filled table has none
// and looks tiny to the planner).
const replaceOrderItemsTemplate = `
WITH gone AS MATERIALIZED (
    SELECT k.amazon_order_id, stored.order_item_id
    FROM jsonb_each(@keep::jsonb) AS k(amazon_order_id, item_ids)
    CROSS JOIN LATERAL (
        SELECT i.order_item_id FROM order_items i
        WHERE i.account_id = @account_id::text AND i.amazon_order_id = k.amazon_order_id
        OFFSET 0
    ) AS stored
    WHERE NOT k.item_ids ? stored.order_item_id
), deleted AS (
    DELETE FROM order_items t
    USING gone
    WHERE EXISTS (SELECT 1 FROM gone)
      AND t.account_id = @account_id::text
      AND t.amazon_order_id = gone.amazon_order_id
      AND t.order_item_id = gone.order_item_id
    RETURNING 1
), written AS (
    INSERT INTO order_items (account_id, {{columns}})
    SELECT @account_id::text, {{columns}}
    FROM jsonb_populate_recordset(NULL::order_items, @rows::jsonb)
    ON CONFLICT (account_id, amazon_order_id, order_item_id) DO UPDATE SET
    {{update}},
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE order_items.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING 1
), reported AS (
    -- Real items replace the lines an order report gave these orders (a
    -- data-modifying CTE runs whether or not it is read).
    DELETE FROM order_report_lines r
    WHERE r.account_id = @account_id::text
      AND r.amazon_order_id IN (SELECT jsonb_object_keys(@keep::jsonb))
)
SELECT (SELECT count(*) FROM written)::bigint AS written,
       (SELECT count(*) FROM deleted)::bigint AS deleted`
