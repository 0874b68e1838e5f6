package store

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// Orders API 2026-01-01 fills the same orders and order_items rows as v0,
// each column with the same meaning (the README's mapping table lists the v0
// field and the 2026 path of every column). Columns 2026 has no source for
// are NULL, never guessed; what only 2026 has gets its own columns and tables
// (api_version, proceeds, programs, packages, EasyShip shipments, proceeds
// breakdowns). Both versions write through the same statements, so a switch
// from v0 to 2026 rewrites each order once (its raw changes) and then only
// when Amazon changes it.

// APIVersion2026 is orders.api_version of rows Orders 2026-01-01 wrote.
const APIVersion2026 = "2026-01-01"

// Orders2026Result is what UpsertOrders2026 wrote.
type Orders2026Result struct {
	// Changes are the orders inserted or changed.
	Changes []OrderChange
	// Items counts the items written and deleted.
	Items ItemsResult
	// NoFulfillment are orders Amazon sent without their fulfillment
	// dataset: they kept their stored status, ship windows and channel.
	NoFulfillment []string
	// Stale are orders left alone because the stored copy is newer than
	// the answer (see StaleOrders).
	Stale []string
}

// OrderPackageRow is one order_packages row (see OrderRow).
type OrderPackageRow struct {
	AmazonOrderID      string          `json:"amazon_order_id"`
	PackageReferenceID string          `json:"package_reference_id"`
	Carrier            *string         `json:"carrier,omitzero"`
	TrackingNumber     *string         `json:"tracking_number,omitzero"`
	ShippingService    *string         `json:"shipping_service,omitzero"`
	PackageStatus      *string         `json:"package_status,omitzero"`
	DetailedStatus     *string         `json:"detailed_status,omitzero"`
	ShipTime           *time.Time      `json:"ship_time,omitzero"`
	CreatedTime        *time.Time      `json:"created_time,omitzero"`
	Raw                json.RawMessage `json:"raw"`
}

// OrderPackageItemRow is one order_package_items row.
type OrderPackageItemRow struct {
	AmazonOrderID      string `json:"amazon_order_id"`
	PackageReferenceID string `json:"package_reference_id"`
	OrderItemID        string `json:"order_item_id"`
	Quantity           int    `json:"quantity"`
}

// OrderProceedsRow is one order_proceeds row.
type OrderProceedsRow struct {
	AmazonOrderID string        `json:"amazon_order_id"`
	OrderItemID   string        `json:"order_item_id"`
	Type          string        `json:"type"`
	Status        *string       `json:"status,omitzero"`
	Amount        ScaledDecimal `json:"amount"`
	Currency      string        `json:"currency"`
}

// Orders2026Rows are the rows of every table one page of Orders 2026-01-01
// orders writes, as the orders stream maps them (PII already stripped from
// every raw). Orders holds one row per order.
type Orders2026Rows struct {
	Orders []OrderRow
	Items  []OrderItemRow
	// Keep maps each order to its item ids: stored items it does not list
	// are deleted.
	Keep         map[string][]string
	Packages     []OrderPackageRow
	PackageItems []OrderPackageItemRow
	Proceeds     []OrderProceedsRow
}

// without returns the rows of the orders not in drop.
func (r *Orders2026Rows) without(drop map[string]bool) *Orders2026Rows {
	out := &Orders2026Rows{Keep: map[string][]string{}}
	for _, o := range r.Orders {
		if !drop[o.AmazonOrderID] {
			out.Orders = append(out.Orders, o)
		}
	}
	for id, items := range r.Keep {
		if !drop[id] {
			out.Keep[id] = items
		}
	}
	out.Items = slices.DeleteFunc(slices.Clone(r.Items), func(x OrderItemRow) bool { return drop[x.AmazonOrderID] })
	out.Packages = slices.DeleteFunc(slices.Clone(r.Packages), func(x OrderPackageRow) bool { return drop[x.AmazonOrderID] })
	out.PackageItems = slices.DeleteFunc(slices.Clone(r.PackageItems), func(x OrderPackageItemRow) bool { return drop[x.AmazonOrderID] })
	out.Proceeds = slices.DeleteFunc(slices.Clone(r.Proceeds), func(x OrderProceedsRow) bool { return drop[x.AmazonOrderID] })
	return out
}

// UpsertOrders2026 writes a page of Orders 2026-01-01 rows of one account
// on db, a transaction: the orders, their items (replacing each order's
// list: items an order no longer lists are deleted), packages with their
// items, and proceeds breakdowns. Unchanged rows are not touched. An order
// whose stored copy is newer than the row (see StaleOrders) is left alone,
// children included, and named in Stale. An order row without a status
// (Amazon sent no fulfillment dataset) keeps the stored status, channel and
// windows (a new one has none), and is named in NoFulfillment. Repeated
// child rows are merged: a package item's quantities and a proceeds
// breakdown's amounts add up, other rows keep their last copy.
func UpsertOrders2026(ctx context.Context, db DBTX, accountID string, rows *Orders2026Rows) (Orders2026Result, error) {
	var res Orders2026Result
	if rows == nil || len(rows.Orders) == 0 {
		return res, nil
	}
	updated := make(map[string]time.Time, len(rows.Orders))
	for _, o := range rows.Orders {
		updated[o.AmazonOrderID] = o.LastUpdateDate
	}
	stale, err := StaleOrders(ctx, db, accountID, updated)
	if err != nil {
		return res, err
	}
	if len(stale) > 0 {
		for _, o := range rows.Orders {
			if stale[o.AmazonOrderID] {
				res.Stale = append(res.Stale, o.AmazonOrderID)
			}
		}
		if rows = rows.without(stale); len(rows.Orders) == 0 {
			return res, nil
		}
	}
	ids := make([]string, 0, len(rows.Orders))
	for _, o := range rows.Orders {
		ids = append(ids, o.AmazonOrderID)
	}
	items := dedupe(rows.Items, func(r *OrderItemRow) [2]string { return [2]string{r.AmazonOrderID, r.OrderItemID} }, nil)
	packages := dedupe(rows.Packages, func(r *OrderPackageRow) [2]string { return [2]string{r.AmazonOrderID, r.PackageReferenceID} }, nil)
	pkgItems := dedupe(rows.PackageItems, func(r *OrderPackageItemRow) [3]string {
		return [3]string{r.AmazonOrderID, r.PackageReferenceID, r.OrderItemID}
	}, func(kept, later *OrderPackageItemRow) bool { later.Quantity += kept.Quantity; return true })
	proceeds := dedupe(rows.Proceeds, func(r *OrderProceedsRow) [3]string { return [3]string{r.AmazonOrderID, r.OrderItemID, r.Type} },
		func(kept, later *OrderProceedsRow) bool {
			later.Amount = ScaledDecimal{kept.Amount.d.Add(later.Amount.d)}
			return true
		})
	orders := slices.Clone(rows.Orders)
	if err := keepStoredFulfillment(ctx, db, accountID, orders, &res); err != nil {
		return res, err
	}
	if res.Changes, err = upsertOrderRows(ctx, db, accountID, orders); err != nil {
		return res, err
	}
	if res.Items, err = replaceOrderItemRows(ctx, db, accountID, items, rows.Keep); err != nil {
		return res, err
	}
	for _, r := range []struct {
		what string
		sql  string
		rows any
	}{
		{"packages", replaceOrderPackagesSQL, packages},
		{"package items", replaceOrderPackageItemsSQL, pkgItems},
		{"proceeds", replaceOrderProceedsSQL, proceeds},
	} {
		payload, err := json.Marshal(nonNil(r.rows))
		if err != nil {
			return res, fmt.Errorf("encode order %s: %w", r.what, err)
		}
		if _, err := db.Exec(ctx, r.sql, pgx.NamedArgs{"rows": payload, "account_id": accountID, "orders": ids}); err != nil {
			return res, fmt.Errorf("replace order %s of account %s: %w", r.what, accountID, err)
		}
	}
	return res, nil
}

// nonNil encodes a nil slice as [] (the statements read a jsonb array).
func nonNil(rows any) any {
	if v := reflect.ValueOf(rows); v.Kind() == reflect.Slice && v.IsNil() {
		return []struct{}{}
	}
	return rows
}

// keepStoredFulfillment gives orders sent without their fulfillment dataset
// (no status in the row) the stored status, channel, service level and
// windows: the dataset was asked for, so its absence says nothing about them.
func keepStoredFulfillment(ctx context.Context, db DBTX, accountID string, rows []OrderRow, res *Orders2026Result) error {
	var ids []string
	for _, r := range rows {
		if r.OrderStatus == nil {
			ids = append(ids, r.AmazonOrderID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	res.NoFulfillment = ids
	stored, err := dbsqlc.New().GetOrdersFulfillment(ctx, db, dbsqlc.GetOrdersFulfillmentParams{AccountID: accountID, AmazonOrderIds: ids})
	if err != nil {
		return fmt.Errorf("read stored fulfillment of %d orders: %w", len(ids), err)
	}
	byID := make(map[string]*dbsqlc.GetOrdersFulfillmentRow, len(stored))
	for _, s := range stored {
		byID[s.AmazonOrderID] = s
	}
	for i := range rows {
		s, ok := byID[rows[i].AmazonOrderID]
		if !ok || rows[i].OrderStatus != nil {
			continue
		}
		r := &rows[i]
		r.OrderStatus, r.FulfillmentChannel, r.ShipmentServiceLevelCategory = s.OrderStatus, s.FulfillmentChannel, s.ShipmentServiceLevelCategory
		r.EarliestShipDate, r.LatestShipDate = s.EarliestShipDate, s.LatestShipDate
		r.EarliestDeliveryDate, r.LatestDeliveryDate = s.EarliestDeliveryDate, s.LatestDeliveryDate
	}
	return nil
}

// The child tables of 2026 orders are replaced per order in one statement
// each: rows of the page's orders that the page no longer lists are deleted,
// the rest upserted, unchanged rows untouched.
var (
	replaceOrderPackagesSQL     = upsertStatement(replaceOrderPackagesTemplate, reflect.TypeFor[OrderPackageRow](), "amazon_order_id", "package_reference_id")
	replaceOrderPackageItemsSQL = upsertStatement(replaceOrderPackageItemsTemplate, reflect.TypeFor[OrderPackageItemRow](), "amazon_order_id", "package_reference_id", "order_item_id")
	replaceOrderProceedsSQL     = upsertStatement(replaceOrderProceedsTemplate, reflect.TypeFor[OrderProceedsRow](), "amazon_order_id", "order_item_id", "type")
)

const replaceOrderPackagesTemplate = `
WITH input AS MATERIALIZED (
    SELECT * FROM jsonb_populate_recordset(NULL::order_packages, @rows::jsonb)
), gone AS (
    DELETE FROM order_packages t
    WHERE t.account_id = @account_id::text AND t.amazon_order_id = ANY(@orders::text[])
      AND NOT EXISTS (SELECT 1 FROM input i WHERE i.amazon_order_id = t.amazon_order_id AND i.package_reference_id = t.package_reference_id)
)
INSERT INTO order_packages (account_id, {{columns}})
SELECT @account_id::text, {{columns}} FROM input
ON CONFLICT (account_id, amazon_order_id, package_reference_id) DO UPDATE SET
    {{update}},
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
WHERE order_packages.raw IS DISTINCT FROM EXCLUDED.raw`

const replaceOrderPackageItemsTemplate = `
WITH input AS MATERIALIZED (
    SELECT * FROM jsonb_populate_recordset(NULL::order_package_items, @rows::jsonb)
), gone AS (
    DELETE FROM order_package_items t
    WHERE t.account_id = @account_id::text AND t.amazon_order_id = ANY(@orders::text[])
      AND NOT EXISTS (SELECT 1 FROM input i WHERE i.amazon_order_id = t.amazon_order_id
          AND i.package_reference_id = t.package_reference_id AND i.order_item_id = t.order_item_id)
)
INSERT INTO order_package_items (account_id, {{columns}})
SELECT @account_id::text, {{columns}} FROM input
ON CONFLICT (account_id, amazon_order_id, package_reference_id, order_item_id) DO UPDATE SET
    {{update}}
WHERE order_package_items IS DISTINCT FROM EXCLUDED`

const replaceOrderProceedsTemplate = `
WITH input AS MATERIALIZED (
    SELECT * FROM jsonb_populate_recordset(NULL::order_proceeds, @rows::jsonb)
), gone AS (
    DELETE FROM order_proceeds t
    WHERE t.account_id = @account_id::text AND t.amazon_order_id = ANY(@orders::text[])
      AND NOT EXISTS (SELECT 1 FROM input i WHERE i.amazon_order_id = t.amazon_order_id
          AND i.order_item_id = t.order_item_id AND i.type = t.type)
)
INSERT INTO order_proceeds (account_id, {{columns}})
SELECT @account_id::text, {{columns}} FROM input
ON CONFLICT (account_id, amazon_order_id, order_item_id, type) DO UPDATE SET
    {{update}}
WHERE order_proceeds IS DISTINCT FROM EXCLUDED`
