package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// Batches of orders and items travel to Postgres as one jsonb array of typed
// rows, unpacked there by jsonb_populate_recordset into the table's own row
// type. That keeps a whole page in one statement and one round trip, lets
// NULLs stay NULL (a Pending order has no total; nothing is invented: a NULL
// column is left out of the JSON and a key the array lacks is NULL), and
// needs no temporary table per transaction. Decimal amounts travel as JSON
// strings, so they arrive exact.
//
// The two statements (upsertOrdersSQL, replaceOrderItemsSQL) are written
// here, not in queries/ for sqlc, because their column lists are not written
// at all: they come from the row struct (upsertStatement), and the types come
// from the table (NULL::orders), so a typed column is a migration plus a
// field of OrderRow (see doc.go). Postgres has no way to say "set every
// column from EXCLUDED" and sqlc compiles literal text, so the lists have to
// be spelled somewhere; spelling them from the struct keeps one copy. The
// statements stay SQL with two markers ({{columns}}, {{update}}) rather than
// a Go query builder, so they read like the sqlc queries beside them with
// only the column names left out. Built in Go, they still stay in
// internal/store, the SQL boundary; every other statement here is sqlc's.

// OrderRow is one orders row as UpsertOrders reads it: the orders stream
// maps Amazon's order to it (internal/jobs/orders/ordermap), the store only
// writes it. JSON names are the column names, and its fields are the columns
// UpsertOrders writes: the statement's column lists are built from them. A
// NULL column is left out (omitzero).
type OrderRow struct {
	AmazonOrderID                string          `json:"amazon_order_id"`
	SellerOrderID                *string         `json:"seller_order_id,omitzero"`
	PurchaseDate                 time.Time       `json:"purchase_date"`
	LastUpdateDate               time.Time       `json:"last_update_date"`
	OrderStatus                  *string         `json:"order_status,omitzero"`
	FulfillmentChannel           *string         `json:"fulfillment_channel,omitzero"`
	SalesChannel                 *string         `json:"sales_channel,omitzero"`
	OrderChannel                 *string         `json:"order_channel,omitzero"`
	ShipServiceLevel             *string         `json:"ship_service_level,omitzero"`
	ShipmentServiceLevelCategory *string         `json:"shipment_service_level_category,omitzero"`
	MarketplaceID                *string         `json:"marketplace_id,omitzero"`
	OrderType                    *string         `json:"order_type,omitzero"`
	OrderTotalAmount             *ScaledDecimal  `json:"order_total_amount,omitzero"`
	OrderTotalCurrency           *string         `json:"order_total_currency,omitzero"`
	NumberOfItemsShipped         *int            `json:"number_of_items_shipped,omitzero"`
	NumberOfItemsUnshipped       *int            `json:"number_of_items_unshipped,omitzero"`
	PaymentMethod                *string         `json:"payment_method,omitzero"`
	PaymentMethodDetails         []string        `json:"payment_method_details,omitzero"`
	EasyShipShipmentStatus       *string         `json:"easy_ship_shipment_status,omitzero"`
	ElectronicInvoiceStatus      *string         `json:"electronic_invoice_status,omitzero"`
	BuyerInvoicePreference       *string         `json:"buyer_invoice_preference,omitzero"`
	EarliestShipDate             *time.Time      `json:"earliest_ship_date,omitzero"`
	LatestShipDate               *time.Time      `json:"latest_ship_date,omitzero"`
	EarliestDeliveryDate         *time.Time      `json:"earliest_delivery_date,omitzero"`
	LatestDeliveryDate           *time.Time      `json:"latest_delivery_date,omitzero"`
	PromiseResponseDueDate       *time.Time      `json:"promise_response_due_date,omitzero"`
	IsBusinessOrder              *bool           `json:"is_business_order,omitzero"`
	IsPrime                      *bool           `json:"is_prime,omitzero"`
	IsPremiumOrder               *bool           `json:"is_premium_order,omitzero"`
	IsGlobalExpressEnabled       *bool           `json:"is_global_express_enabled,omitzero"`
	IsReplacementOrder           *bool           `json:"is_replacement_order,omitzero"`
	ReplacedOrderID              *string         `json:"replaced_order_id,omitzero"`
	IsEstimatedShipDateSet       *bool           `json:"is_estimated_ship_date_set,omitzero"`
	IsSoldByAB                   *bool           `json:"is_sold_by_ab,omitzero"`
	IsIBA                        *bool           `json:"is_iba,omitzero"`
	IsISPU                       *bool           `json:"is_ispu,omitzero"`
	IsAccessPointOrder           *bool           `json:"is_access_point_order,omitzero"`
	HasRegulatedItems            *bool           `json:"has_regulated_items,omitzero"`
	SellerDisplayName            *string         `json:"seller_display_name,omitzero"`
	ShippingAddressCity          *string         `json:"shipping_address_city,omitzero"`
	ShippingAddressStateOrRegion *string         `json:"shipping_address_state_or_region,omitzero"`
	ShippingAddressPostalCode    *string         `json:"shipping_address_postal_code,omitzero"`
	ShippingAddressCountryCode   *string         `json:"shipping_address_country_code,omitzero"`
	APIVersion                   string          `json:"api_version"`
	ProceedsAmount               *ScaledDecimal  `json:"proceeds_amount,omitzero"`
	ProceedsCurrency             *string         `json:"proceeds_currency,omitzero"`
	Programs                     []string        `json:"programs,omitzero"`
	EasyshipShipmentIDs          []string        `json:"easyship_shipment_ids,omitzero"`
	Raw                          json.RawMessage `json:"raw"`
}

// OrderChange is an order UpsertOrders wrote: new, or with a changed
// payload.
type OrderChange struct {
	AmazonOrderID  string
	LastUpdateDate time.Time
	// PreviousLastUpdateDate is the stored LastUpdateDate before the write,
	// nil for a new order.
	PreviousLastUpdateDate *time.Time
}

// NeedsItems reports whether the order is new or its LastUpdateDate moved,
// the cases in which its items may have changed and must be fetched.
func (c OrderChange) NeedsItems() bool {
	return c.PreviousLastUpdateDate == nil || !c.PreviousLastUpdateDate.Equal(c.LastUpdateDate)
}

// UpsertOrders writes order rows of one account in one statement on db (a
// transaction, so the caller's cursor and follow-up jobs commit with the
// rows). Orders whose payload is unchanged are not touched; an order whose
// stored LastUpdateDate is later is not written. When the batch repeats an
// order, the copy with the latest LastUpdateDate wins. It returns the orders
// it wrote.
func UpsertOrders(ctx context.Context, db DBTX, accountID string, rows []OrderRow) ([]OrderChange, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	return upsertOrderRows(ctx, db, accountID, rows)
}

// upsertOrderRows writes rows in one statement (upsertOrdersSQL); of a
// repeated order the copy with the latest LastUpdateDate wins.
func upsertOrderRows(ctx context.Context, db DBTX, accountID string, rows []OrderRow) ([]OrderChange, error) {
	rows = dedupe(rows, func(r *OrderRow) string { return r.AmazonOrderID },
		func(kept, later *OrderRow) bool { return !later.LastUpdateDate.Before(kept.LastUpdateDate) })
	payload, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("encode %d orders: %w", len(rows), err)
	}
	res, err := db.Query(ctx, upsertOrdersSQL, pgx.NamedArgs{"rows": payload, "account_id": accountID})
	if err != nil {
		return nil, fmt.Errorf("upsert %d orders of account %s: %w", len(rows), accountID, err)
	}
	out, err := pgx.CollectRows(res, func(row pgx.CollectableRow) (OrderChange, error) {
		var c OrderChange
		err := row.Scan(&c.AmazonOrderID, &c.LastUpdateDate, &c.PreviousLastUpdateDate)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("upsert %d orders of account %s: %w", len(rows), accountID, err)
	}
	return out, nil
}

// upsertOrdersSQL is upsertOrdersTemplate with the columns of OrderRow.
var upsertOrdersSQL = upsertStatement(upsertOrdersTemplate, reflect.TypeFor[OrderRow](), "amazon_order_id")

// upsertOrdersTemplate writes a batch of orders of one account (@rows, a
// jsonb array of OrderRow). A row whose raw payload is unchanged is not
// touched at all (no new sync_version, no synced_at churn, no dead tuple):
// the typed columns are read out of raw, so an equal raw is an equal row
// (when the reading changes, a migration fixes the stored rows: see doc.go).
// It returns the rows it wrote, with the last_update_date they had before
// (NULL for new orders), so the caller can queue item fetches for new orders
// and orders whose LastUpdateDate moved. The batch must not repeat an order
// id. {{columns}} and {{update}} are filled in by upsertStatement.
//
// jsonb_populate_recordset types the page in one pass by the orders row
// type, so the statement lists no casts. previous reads the stored
// last_update_date of written rows only, one primary-key lookup each (a
// LATERAL that OFFSET 0 keeps from being flattened into a join), so it never
// scans the account's orders, whatever the statistics say (a freshly filled
// table has none). Every part of the statement sees the snapshot from before
// the insert, so that is the value before this write. An order known only
// from an order report counts as new: its items have never been fetched.
const upsertOrdersTemplate = `
WITH written AS (
    INSERT INTO orders (account_id, {{columns}})
    SELECT @account_id::text, {{columns}}
    FROM jsonb_populate_recordset(NULL::orders, @rows::jsonb)
    ON CONFLICT (account_id, amazon_order_id) DO UPDATE SET
    {{update}},
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE orders.raw IS DISTINCT FROM EXCLUDED.raw
      AND (orders.api_version = 'reports-2021-06-30' OR EXCLUDED.last_update_date >= orders.last_update_date)
    RETURNING orders.amazon_order_id, orders.last_update_date
), previous AS (
    SELECT w.amazon_order_id, o.last_update_date
    FROM written w
    CROSS JOIN LATERAL (
        SELECT o.last_update_date FROM orders o
        WHERE o.account_id = @account_id::text AND o.amazon_order_id = w.amazon_order_id
          AND o.api_version <> 'reports-2021-06-30'
        OFFSET 0
    ) AS o
)
SELECT written.amazon_order_id, written.last_update_date,
       previous.last_update_date AS previous_last_update_date
FROM written LEFT JOIN previous ON previous.amazon_order_id = written.amazon_order_id`

// StaleOrders returns the orders of accountID among updated (order id →
// LastUpdateDate as fetched) whose stored copy is newer: an answer fetched
// before a later write (a refresh overtaken by a poll, a late or reordered
// push notification's fetch) must change nothing, its children included.
// Rows known only from an order report are never stale: API data replaces
// them whatever their dates. The rows read are locked (in id order) until
// the caller's transaction ends, so a concurrent writer cannot slip a newer
// version in between this check and the caller's writes.
func StaleOrders(ctx context.Context, db DBTX, accountID string, updated map[string]time.Time) (map[string]bool, error) {
	if len(updated) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(updated))
	for id := range updated {
		ids = append(ids, id)
	}
	rows, err := db.Query(ctx, `
SELECT amazon_order_id, last_update_date FROM orders
WHERE account_id = $1 AND amazon_order_id = ANY($2::text[])
  AND api_version <> 'reports-2021-06-30'
ORDER BY amazon_order_id
FOR NO KEY UPDATE`, accountID, ids)
	if err != nil {
		return nil, fmt.Errorf("read stored update dates of %d orders of account %s: %w", len(ids), accountID, err)
	}
	stale := map[string]bool{}
	var id string
	var stored time.Time
	_, err = pgx.ForEachRow(rows, []any{&id, &stored}, func() error {
		if stored.After(updated[id]) {
			stale[id] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read stored update dates of %d orders of account %s: %w", len(ids), accountID, err)
	}
	return stale, nil
}

// LatestOrderID returns the id of the account's most recently updated
// stored order ("" when it has none): onboarding reads it once with a
// seller's new token to prove the token is the account's seller's.
func LatestOrderID(ctx context.Context, db DBTX, accountID string) (string, error) {
	id, err := dbsqlc.New().LatestOrderID(ctx, db, accountID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("latest order of account %s: %w", accountID, err)
	}
	return id, nil
}
