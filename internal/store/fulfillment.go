package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// Fulfillment orders (Fulfillment Outbound 2020-07-01) travel to Postgres the
// way orders do: one jsonb array of typed rows per table and statement
// (queries/fulfillment.sql), NULLs kept NULL, decimals as JSON strings. A
// listAllFulfillmentOrders page writes headers only (UpsertFulfillmentOrders);
// a getFulfillmentOrder answer writes the header and replaces every child
// table of that order (ReplaceFulfillmentOrderDetail), one statement per
// table, all on the caller's transaction. The rows come mapped from Amazon's
// records by the fulfillment stream (internal/jobs/fulfillment); the store
// only writes them.

// FulfillmentOrderRow is one fulfillment_orders row as UpsertFulfillmentOrders
// reads it. JSON names are the column names.
type FulfillmentOrderRow struct {
	SellerFulfillmentOrderID           string          `json:"seller_fulfillment_order_id"`
	MarketplaceID                      *string         `json:"marketplace_id"`
	DisplayableOrderID                 *string         `json:"displayable_order_id"`
	DisplayableOrderDate               *time.Time      `json:"displayable_order_date"`
	DisplayableOrderComment            *string         `json:"displayable_order_comment"`
	ShippingSpeedCategory              *string         `json:"shipping_speed_category"`
	DeliveryWindowStartDate            *time.Time      `json:"delivery_window_start_date"`
	DeliveryWindowEndDate              *time.Time      `json:"delivery_window_end_date"`
	DestinationAddressCity             *string         `json:"destination_address_city"`
	DestinationAddressDistrictOrCounty *string         `json:"destination_address_district_or_county"`
	DestinationAddressStateOrRegion    *string         `json:"destination_address_state_or_region"`
	DestinationAddressPostalCode       *string         `json:"destination_address_postal_code"`
	DestinationAddressCountryCode      *string         `json:"destination_address_country_code"`
	FulfillmentAction                  *string         `json:"fulfillment_action"`
	FulfillmentPolicy                  *string         `json:"fulfillment_policy"`
	ReceivedDate                       time.Time       `json:"received_date"`
	FulfillmentOrderStatus             string          `json:"fulfillment_order_status"`
	StatusUpdatedDate                  time.Time       `json:"status_updated_date"`
	ReturnAuthorizations               json.RawMessage `json:"return_authorizations,omitempty"`
	PaymentInformation                 json.RawMessage `json:"payment_information,omitempty"`
	DetailStatusUpdatedDate            *time.Time      `json:"detail_status_updated_date"`
	Raw                                json.RawMessage `json:"raw"`
}

// FulfillmentOrderChange is a fulfillment order UpsertFulfillmentOrders wrote
// (new or changed) or whose stored detail is behind its status.
type FulfillmentOrderChange struct {
	SellerFulfillmentOrderID string
	// StatusUpdatedDate is the order's statusUpdatedDate in the batch.
	StatusUpdatedDate time.Time
	// PreviousStatusUpdatedDate is the stored statusUpdatedDate before the
	// write, nil for a new order.
	PreviousStatusUpdatedDate *time.Time
	// DetailStatusUpdatedDate is the statusUpdatedDate of the
	// getFulfillmentOrder answer the stored children were written from, nil
	// when the detail was never fetched.
	DetailStatusUpdatedDate *time.Time
	// Written reports whether the header row was inserted or changed.
	Written bool
}

// IsNew reports whether the order was not stored before.
func (c FulfillmentOrderChange) IsNew() bool { return c.PreviousStatusUpdatedDate == nil }

// NeedsDetail reports whether a getFulfillmentOrder follow-up is due: the
// order is new, its statusUpdatedDate moved forward, or its children were
// never written or were written from an older status (a follow-up that
// failed or is still pending; River's uniqueness absorbs the repeat).
func (c FulfillmentOrderChange) NeedsDetail() bool {
	return c.PreviousStatusUpdatedDate == nil || c.PreviousStatusUpdatedDate.Before(c.StatusUpdatedDate) ||
		c.DetailStatusUpdatedDate == nil || c.DetailStatusUpdatedDate.Before(c.StatusUpdatedDate)
}

// UpsertFulfillmentOrders writes a listAllFulfillmentOrders page of order
// headers of one account in one statement on db (a transaction, so the
// caller's cursor and follow-up jobs commit with the rows). Headers whose
// payload is unchanged are not touched, and a header older than the stored
// one (by statusUpdatedDate) never overwrites it. Child tables are left
// alone. When the batch repeats an order, the copy with the latest
// statusUpdatedDate wins.
//
// listAllFulfillmentOrders leaves out marketplaceId, which the detail
// (ReplaceFulfillmentOrderDetail) stores: a listed header keeps the stored
// marketplace_id, and one that differs from the stored header only by the
// missing key is not written, so ERP readers see no version without a change.
//
// It returns the orders it wrote and the orders whose detail is behind, in
// batch order; queue a getFulfillmentOrder for each change whose
// NeedsDetail() is true.
func UpsertFulfillmentOrders(ctx context.Context, db DBTX, accountID string, orders []FulfillmentOrderRow) ([]FulfillmentOrderChange, error) {
	if len(orders) == 0 {
		return nil, nil
	}
	rows := dedupe(orders, func(r *FulfillmentOrderRow) string { return r.SellerFulfillmentOrderID },
		func(kept, later *FulfillmentOrderRow) bool {
			return !later.StatusUpdatedDate.Before(kept.StatusUpdatedDate)
		})
	written, err := upsertFulfillmentOrderRows(ctx, db, accountID, rows, false)
	if err != nil {
		return nil, err
	}
	var out []FulfillmentOrderChange
	for _, c := range written {
		if c.Written || c.NeedsDetail() {
			out = append(out, c)
		}
	}
	return out, nil
}

func upsertFulfillmentOrderRows(ctx context.Context, db dbsqlc.DBTX, accountID string, rows []FulfillmentOrderRow, withDetail bool) ([]FulfillmentOrderChange, error) {
	payload, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("encode %d fulfillment orders: %w", len(rows), err)
	}
	res, err := dbsqlc.New().UpsertFulfillmentOrders(ctx, db, dbsqlc.UpsertFulfillmentOrdersParams{Rows: payload, AccountID: accountID, WithDetail: withDetail})
	if err != nil {
		return nil, fmt.Errorf("upsert %d fulfillment orders of account %s: %w", len(rows), accountID, err)
	}
	out := make([]FulfillmentOrderChange, len(res))
	for i, w := range res {
		out[i] = FulfillmentOrderChange{
			SellerFulfillmentOrderID:  w.SellerFulfillmentOrderID,
			StatusUpdatedDate:         w.StatusUpdatedDate,
			PreviousStatusUpdatedDate: w.PreviousStatusUpdatedDate,
			DetailStatusUpdatedDate:   w.PreviousDetailStatusUpdatedDate,
			Written:                   w.Written,
		}
	}
	return out, nil
}

// FulfillmentOrderItemRow is one fulfillment_order_items row.
type FulfillmentOrderItemRow struct {
	SellerFulfillmentOrderID     string          `json:"seller_fulfillment_order_id"`
	SellerFulfillmentOrderItemID string          `json:"seller_fulfillment_order_item_id"`
	SellerSKU                    *string         `json:"seller_sku"`
	Quantity                     int             `json:"quantity"`
	GiftMessage                  *string         `json:"gift_message"`
	DisplayableComment           *string         `json:"displayable_comment"`
	FulfillmentNetworkSKU        *string         `json:"fulfillment_network_sku"`
	OrderItemDisposition         *string         `json:"order_item_disposition"`
	CancelledQuantity            int             `json:"cancelled_quantity"`
	UnfulfillableQuantity        int             `json:"unfulfillable_quantity"`
	EstimatedShipDate            *time.Time      `json:"estimated_ship_date"`
	EstimatedArrivalDate         *time.Time      `json:"estimated_arrival_date"`
	PerUnitPriceAmount           *ScaledDecimal  `json:"per_unit_price_amount"`
	PerUnitPriceCurrency         *string         `json:"per_unit_price_currency"`
	PerUnitTaxAmount             *ScaledDecimal  `json:"per_unit_tax_amount"`
	PerUnitTaxCurrency           *string         `json:"per_unit_tax_currency"`
	PerUnitDeclaredValueAmount   *ScaledDecimal  `json:"per_unit_declared_value_amount"`
	PerUnitDeclaredValueCurrency *string         `json:"per_unit_declared_value_currency"`
	Raw                          json.RawMessage `json:"raw"`
}

// FulfillmentShipmentRow is one fulfillment_shipments row.
type FulfillmentShipmentRow struct {
	SellerFulfillmentOrderID  string          `json:"seller_fulfillment_order_id"`
	AmazonShipmentID          string          `json:"amazon_shipment_id"`
	FulfillmentCenterID       *string         `json:"fulfillment_center_id"`
	FulfillmentShipmentStatus *string         `json:"fulfillment_shipment_status"`
	ShippingDate              *time.Time      `json:"shipping_date"`
	EstimatedArrivalDate      *time.Time      `json:"estimated_arrival_date"`
	ShippingNotes             []string        `json:"shipping_notes"`
	Raw                       json.RawMessage `json:"raw"`
}

// FulfillmentShipmentItemRow is one fulfillment_shipment_items row.
type FulfillmentShipmentItemRow struct {
	SellerFulfillmentOrderID     string          `json:"seller_fulfillment_order_id"`
	AmazonShipmentID             string          `json:"amazon_shipment_id"`
	Ordinal                      int             `json:"ordinal"`
	SellerSKU                    *string         `json:"seller_sku"`
	SellerFulfillmentOrderItemID *string         `json:"seller_fulfillment_order_item_id"`
	Quantity                     int             `json:"quantity"`
	PackageNumber                *int            `json:"package_number"`
	SerialNumber                 *string         `json:"serial_number"`
	ManufacturerLotCodes         []string        `json:"manufacturer_lot_codes"`
	Raw                          json.RawMessage `json:"raw"`
}

// FulfillmentPackageRow is one fulfillment_shipment_packages row.
type FulfillmentPackageRow struct {
	SellerFulfillmentOrderID        string          `json:"seller_fulfillment_order_id"`
	AmazonShipmentID                string          `json:"amazon_shipment_id"`
	PackageNumber                   int             `json:"package_number"`
	CarrierCode                     *string         `json:"carrier_code"`
	TrackingNumber                  *string         `json:"tracking_number"`
	AmazonFulfillmentTrackingNumber *string         `json:"amazon_fulfillment_tracking_number"`
	EstimatedArrivalDate            *time.Time      `json:"estimated_arrival_date"`
	Raw                             json.RawMessage `json:"raw"`
}

// FulfillmentReturnItemRow is one fulfillment_return_items row.
type FulfillmentReturnItemRow struct {
	SellerFulfillmentOrderID     string          `json:"seller_fulfillment_order_id"`
	SellerReturnItemID           string          `json:"seller_return_item_id"`
	SellerFulfillmentOrderItemID *string         `json:"seller_fulfillment_order_item_id"`
	AmazonShipmentID             *string         `json:"amazon_shipment_id"`
	SellerReturnReasonCode       *string         `json:"seller_return_reason_code"`
	ReturnComment                *string         `json:"return_comment"`
	AmazonReturnReasonCode       *string         `json:"amazon_return_reason_code"`
	Status                       *string         `json:"status"`
	StatusChangedDate            *time.Time      `json:"status_changed_date"`
	ReturnAuthorizationID        *string         `json:"return_authorization_id"`
	ReturnReceivedCondition      *string         `json:"return_received_condition"`
	FulfillmentCenterID          *string         `json:"fulfillment_center_id"`
	Raw                          json.RawMessage `json:"raw"`
}

// ChildCounts counts what one child-table statement did.
type ChildCounts struct {
	// Written is rows inserted or changed.
	Written int64
	// Deleted is rows Amazon no longer lists.
	Deleted int64
}

// NewPackage is a package ReplaceFulfillmentOrderDetail stored for the first
// time: its tracking should start.
type NewPackage struct {
	SellerFulfillmentOrderID string
	AmazonShipmentID         string
	PackageNumber            int
	CarrierCode              string
	TrackingNumber           string
}

// FulfillmentDetailResult tells what ReplaceFulfillmentOrderDetail did.
type FulfillmentDetailResult struct {
	SellerFulfillmentOrderID string
	// OrderWritten reports whether the order row was inserted or changed.
	OrderWritten bool
	// Stale reports that the answer is older (by statusUpdatedDate) than the
	// detail already stored: nothing was written. The caller may fetch again.
	Stale bool
	// Behind reports that the stored header is newer than the answer: the
	// children were written (they were older still), the header was kept,
	// and the order stays listed by ListFulfillmentOrdersDetailBehind.
	Behind bool

	Items, Shipments, ShipmentItems, Packages, ReturnItems ChildCounts

	// NewPackages are the packages of the answer whose package number the
	// account had never stored, in package number order. Each is reported
	// once: the next answer listing it finds it stored. Insert the tracking
	// job in the same transaction.
	NewPackages []NewPackage
}

// Changed reports whether any row was written or deleted.
func (r FulfillmentDetailResult) Changed() bool {
	for _, c := range []ChildCounts{r.Items, r.Shipments, r.ShipmentItems, r.Packages, r.ReturnItems} {
		if c.Written > 0 || c.Deleted > 0 {
			return true
		}
	}
	return r.OrderWritten
}

// ReplaceFulfillmentOrderDetail writes a getFulfillmentOrder answer of one
// account on db: the order header (with its return authorizations and
// payment information), and its items, shipments, shipment items, packages
// and return items, each child table in one statement that writes new and
// changed rows, leaves unchanged rows untouched and deletes the rows Amazon
// no longer lists. db should be a transaction: the caller's follow-up jobs
// (tracking of NewPackages) then commit or roll back with the rows.
//
// The header statement locks the order row, so concurrent writers of one
// order are serialized and a new package is reported by exactly one of them.
// Repeated keys within a list keep their last copy.
func ReplaceFulfillmentOrderDetail(ctx context.Context, db DBTX, accountID string, d *FulfillmentDetailRows) (FulfillmentDetailResult, error) {
	if d == nil {
		return FulfillmentDetailResult{}, fmt.Errorf("replace fulfillment order detail of account %s: no answer", accountID)
	}
	id := d.Header.SellerFulfillmentOrderID
	if id == "" {
		return FulfillmentDetailResult{}, fmt.Errorf("replace fulfillment order detail of account %s: answer lacks sellerFulfillmentOrderId", accountID)
	}
	fail := func(what string, err error) (FulfillmentDetailResult, error) {
		return FulfillmentDetailResult{}, fmt.Errorf("fulfillment order %s of account %s: %s: %w", id, accountID, what, err)
	}
	rows := d.deduped()
	res := FulfillmentDetailResult{SellerFulfillmentOrderID: id}

	hw, err := upsertFulfillmentOrderRows(ctx, db, accountID, []FulfillmentOrderRow{rows.Header}, true)
	if err != nil {
		return FulfillmentDetailResult{}, err
	}
	if len(hw) != 1 {
		return fail("header", fmt.Errorf("upsert returned %d rows, want 1", len(hw)))
	}
	h, detailAt := hw[0], rows.Header.StatusUpdatedDate
	res.OrderWritten = h.Written
	if h.DetailStatusUpdatedDate != nil && h.DetailStatusUpdatedDate.After(detailAt) {
		res.Stale = true
		return res, nil
	}
	res.Behind = h.PreviousStatusUpdatedDate != nil && h.PreviousStatusUpdatedDate.After(detailAt)

	// Each child table is replaced by one statement over a jsonb array:
	// rows Amazon no longer lists are deleted, unchanged ones not touched.
	q := dbsqlc.New()
	replace := func(what string, rows any, run func(payload []byte) (ChildCounts, error)) (ChildCounts, error) {
		payload, err := json.Marshal(rows)
		if err != nil {
			return ChildCounts{}, fmt.Errorf("encode %s: %w", what, err)
		}
		c, err := run(payload)
		if err != nil {
			return ChildCounts{}, fmt.Errorf("replace %s: %w", what, err)
		}
		return c, nil
	}
	if res.Items, err = replace("items", rows.Items, func(p []byte) (ChildCounts, error) {
		r, err := q.ReplaceFulfillmentOrderItems(ctx, db, dbsqlc.ReplaceFulfillmentOrderItemsParams{Rows: p, AccountID: accountID, SellerFulfillmentOrderID: id})
		if err != nil {
			return ChildCounts{}, err
		}
		return ChildCounts{r.Written, r.Deleted}, nil
	}); err != nil {
		return fail("items", err)
	}
	if res.Shipments, err = replace("shipments", rows.Shipments, func(p []byte) (ChildCounts, error) {
		r, err := q.ReplaceFulfillmentShipments(ctx, db, dbsqlc.ReplaceFulfillmentShipmentsParams{Rows: p, AccountID: accountID, SellerFulfillmentOrderID: id})
		if err != nil {
			return ChildCounts{}, err
		}
		return ChildCounts{r.Written, r.Deleted}, nil
	}); err != nil {
		return fail("shipments", err)
	}
	if res.ShipmentItems, err = replace("shipment items", rows.ShipmentItems, func(p []byte) (ChildCounts, error) {
		r, err := q.ReplaceFulfillmentShipmentItems(ctx, db, dbsqlc.ReplaceFulfillmentShipmentItemsParams{Rows: p, AccountID: accountID, SellerFulfillmentOrderID: id})
		if err != nil {
			return ChildCounts{}, err
		}
		return ChildCounts{r.Written, r.Deleted}, nil
	}); err != nil {
		return fail("shipment items", err)
	}
	var newNumbers []int32
	if res.Packages, err = replace("packages", rows.Packages, func(p []byte) (ChildCounts, error) {
		r, err := q.ReplaceFulfillmentShipmentPackages(ctx, db, dbsqlc.ReplaceFulfillmentShipmentPackagesParams{Rows: p, AccountID: accountID, SellerFulfillmentOrderID: id})
		if err != nil {
			return ChildCounts{}, err
		}
		newNumbers = r.NewPackageNumbers
		return ChildCounts{r.Written, r.Deleted}, nil
	}); err != nil {
		return fail("packages", err)
	}
	res.NewPackages = newPackages(id, rows.Packages, newNumbers)
	if res.ReturnItems, err = replace("return items", rows.ReturnItems, func(p []byte) (ChildCounts, error) {
		r, err := q.ReplaceFulfillmentReturnItems(ctx, db, dbsqlc.ReplaceFulfillmentReturnItemsParams{Rows: p, AccountID: accountID, SellerFulfillmentOrderID: id})
		if err != nil {
			return ChildCounts{}, err
		}
		return ChildCounts{r.Written, r.Deleted}, nil
	}); err != nil {
		return fail("return items", err)
	}
	return res, nil
}

// FulfillmentDetailRows are the rows of every table a getFulfillmentOrder
// answer writes: the header (with DetailStatusUpdatedDate set to its
// StatusUpdatedDate, the version the children are written from) and the
// children of the order.
type FulfillmentDetailRows struct {
	Header        FulfillmentOrderRow
	Items         []FulfillmentOrderItemRow
	Shipments     []FulfillmentShipmentRow
	ShipmentItems []FulfillmentShipmentItemRow
	Packages      []FulfillmentPackageRow
	ReturnItems   []FulfillmentReturnItemRow
}

// deduped returns the rows with one row per key in each list, the last copy
// of a repeated key kept where the key first appears (one statement cannot
// write a key twice), and no list nil (the statements read their input as a
// jsonb array).
func (d *FulfillmentDetailRows) deduped() FulfillmentDetailRows {
	out := FulfillmentDetailRows{Header: d.Header}
	out.Items = dedupe(d.Items, func(r *FulfillmentOrderItemRow) string { return r.SellerFulfillmentOrderItemID }, nil)
	out.Shipments = dedupe(d.Shipments, func(r *FulfillmentShipmentRow) string { return r.AmazonShipmentID }, nil)
	out.ShipmentItems = dedupe(d.ShipmentItems, func(r *FulfillmentShipmentItemRow) string {
		return fmt.Sprintf("%s\x00%d", r.AmazonShipmentID, r.Ordinal)
	}, nil)
	out.Packages = dedupe(d.Packages, func(r *FulfillmentPackageRow) string {
		return fmt.Sprintf("%s\x00%d", r.AmazonShipmentID, r.PackageNumber)
	}, nil)
	out.ReturnItems = dedupe(d.ReturnItems, func(r *FulfillmentReturnItemRow) string { return r.SellerReturnItemID }, nil)
	return out
}

// newPackages returns the packages the statement reported as stored for the
// first time, each once (a package listed in two shipments of one answer).
func newPackages(orderID string, packages []FulfillmentPackageRow, numbers []int32) []NewPackage {
	var out []NewPackage
	reported := map[int]bool{}
	for _, n := range numbers {
		if reported[int(n)] {
			continue
		}
		reported[int(n)] = true
		for _, p := range packages {
			if p.PackageNumber == int(n) {
				out = append(out, NewPackage{
					SellerFulfillmentOrderID: orderID,
					AmazonShipmentID:         p.AmazonShipmentID,
					PackageNumber:            p.PackageNumber,
					CarrierCode:              deref(p.CarrierCode),
					TrackingNumber:           deref(p.TrackingNumber),
				})
				break
			}
		}
	}
	return out
}

// FulfillmentOrderDetailBehind is an order whose children were never written
// or were written from an older status than its header shows.
type FulfillmentOrderDetailBehind struct {
	SellerFulfillmentOrderID string
	FulfillmentOrderStatus   string
	StatusUpdatedDate        time.Time
	DetailStatusUpdatedDate  *time.Time
}

// ListFulfillmentOrdersDetailBehind returns the orders of q.AccountID whose
// detail is behind their header, the header unchanged since
// q.UntouchedSince and its status changed after q.NewerThan, oldest status change first: the orders a
// reconciliation queues a getFulfillmentOrder for.
func ListFulfillmentOrdersDetailBehind(ctx context.Context, db DBTX, q ReconcileQuery) ([]FulfillmentOrderDetailBehind, error) {
	untouched, newer := q.bounds()
	rows, err := dbsqlc.New().ListFulfillmentOrdersDetailBehind(ctx, db, dbsqlc.ListFulfillmentOrdersDetailBehindParams{
		AccountID: q.AccountID, UntouchedSince: untouched, NewerThan: newer, MaxRows: int32(q.Limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list fulfillment orders with detail behind of account %s: %w", q.AccountID, err)
	}
	out := make([]FulfillmentOrderDetailBehind, len(rows))
	for i, r := range rows {
		out[i] = FulfillmentOrderDetailBehind{r.SellerFulfillmentOrderID, r.FulfillmentOrderStatus, r.StatusUpdatedDate, r.DetailStatusUpdatedDate}
	}
	return out, nil
}

// ListPackagesWithoutTracking returns the packages of q.AccountID that have
// no package_tracking row, first seen before q.UntouchedSince and after
// q.NewerThan: packages whose tracking job was lost, for a reconciliation
// that queues their tracking again.
func ListPackagesWithoutTracking(ctx context.Context, db DBTX, q ReconcileQuery) ([]NewPackage, error) {
	untouched, newer := q.bounds()
	rows, err := dbsqlc.New().ListPackagesWithoutTracking(ctx, db, dbsqlc.ListPackagesWithoutTrackingParams{
		AccountID: q.AccountID, UntouchedSince: untouched, NewerThan: newer, MaxRows: int32(q.Limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list packages without tracking of account %s: %w", q.AccountID, err)
	}
	out := make([]NewPackage, len(rows))
	for i, r := range rows {
		out[i] = NewPackage{SellerFulfillmentOrderID: r.SellerFulfillmentOrderID, AmazonShipmentID: r.AmazonShipmentID, PackageNumber: int(r.PackageNumber)}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// FulfillmentDetailVersion returns the statusUpdatedDate the stored
// children of an order were written from; nil when the detail was never
// stored or the order is unknown.
func FulfillmentDetailVersion(ctx context.Context, db DBTX, accountID, orderID string) (*time.Time, error) {
	at, err := dbsqlc.New().GetFulfillmentDetailVersion(ctx, db, dbsqlc.GetFulfillmentDetailVersionParams{AccountID: accountID, SellerFulfillmentOrderID: orderID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read detail version of fulfillment order %s: %w", orderID, err)
	}
	return at, nil
}
