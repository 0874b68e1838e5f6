package store

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/spsync/spsync/internal/spapi"
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

// Orders2026Options tune UpsertOrders2026.
type Orders2026Options struct {
	// Marketplace is the marketplace the orders were listed for, the
	// marketplace_id of an order whose salesChannel names none ("" when the
	// request named several).
	Marketplace string
}

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

// v0OrderStatus maps a 2026 fulfillmentStatus (already in the model's
// spelling) to orders.order_status, which keeps v0's spelling.
var v0OrderStatus = map[string]string{
	"PENDING_AVAILABILITY": "PendingAvailability",
	"PENDING":              "Pending",
	"UNSHIPPED":            "Unshipped",
	"PARTIALLY_SHIPPED":    "PartiallyShipped",
	"SHIPPED":              "Shipped",
	"CANCELLED":            "Canceled",
	"UNFULFILLABLE":        "Unfulfillable",
}

// v0ShipmentCategory maps fulfillmentServiceLevel to v0's
// ShipmentServiceLevelCategory spelling (PRIORITY has no v0 value and is kept
// as sent).
var v0ShipmentCategory = spapi.NewEnum("shipmentServiceLevelCategory",
	"Expedited", "FreeEconomy", "NextDay", "SameDay", "SecondDay", "Scheduled", "Standard")

// v0Condition maps conditionType (NEW, USED, …) to v0's ConditionId spelling.
var v0Condition = spapi.NewEnum("conditionId", "New", "Used", "Collectible", "Refurbished", "Preorder", "Club")

// v0ConditionSubtype maps conditionSubtype to v0's ConditionSubtypeId.
var v0ConditionSubtype = spapi.NewEnum("conditionSubtypeId",
	"New", "Mint", "VeryGood", "Good", "Acceptable", "Poor", "Club", "OEM", "Warranty", "RefurbishedWarranty",
	"Refurbished", "OpenBox", "Any", "Other")

// v0PriceDesignation maps priceDesignation (BUSINESS_PRICE) to v0's.
var v0PriceDesignation = spapi.NewEnum("priceDesignation", "BusinessPrice")

// newOrderRow2026 maps an Orders 2026-01-01 order to its orders row. raw is
// the payload to store (PII already stripped).
func newOrderRow2026(o *spapi.Order2026, raw json.RawMessage, opts Orders2026Options) orderRow {
	r := orderRow{
		AmazonOrderID:   o.OrderId,
		SellerOrderID:   orderText(o.Alias("SELLER_ORDER_ID")),
		PurchaseDate:    o.CreatedTime,
		LastUpdateDate:  o.LastUpdatedTime,
		APIVersion:      APIVersion2026,
		SalesChannel:    orderText(o.SalesChannel.MarketplaceName),
		MarketplaceID:   orderText(o.SalesChannel.MarketplaceId),
		IsBusinessOrder: boolPtr(o.HasProgram("AMAZON_BUSINESS")),
		IsPrime:         boolPtr(o.HasProgram("PRIME")),
		IsPremiumOrder:  boolPtr(o.HasProgram("PREMIUM")),
		IsISPU:          boolPtr(o.HasProgram("IN_STORE_PICK_UP")),
		Raw:             raw,
	}
	if r.MarketplaceID == nil && opts.Marketplace != "" {
		r.MarketplaceID = orderText(opts.Marketplace)
	}
	if len(o.Programs) > 0 {
		r.Programs = append([]string(nil), o.Programs...)
	}
	if o.SalesChannel.ChannelName != "" && !strings.EqualFold(o.SalesChannel.ChannelName, "AMAZON") {
		r.OrderChannel = orderText(o.SalesChannel.ChannelName)
	}
	replaced := ""
	for _, a := range o.AssociatedOrders {
		if strings.EqualFold(a.AssociationType, "REPLACEMENT_ORIGINAL_ID") {
			replaced = a.OrderId
		}
	}
	r.IsReplacementOrder = boolPtr(replaced != "")
	r.ReplacedOrderID = orderText(replaced)
	for _, f := range o.FulfillmentOrders {
		if f.FulfillmentOrderId != "" {
			r.EasyshipShipmentIDs = append(r.EasyshipShipmentIDs, f.FulfillmentOrderId)
		}
	}
	if f := o.Fulfillment; f != nil {
		if s, ok := v0OrderStatus[f.FulfillmentStatus]; ok {
			r.OrderStatus = &s
		} else {
			r.OrderStatus = orderText(f.FulfillmentStatus) // outside the enum: kept as sent
		}
		switch f.FulfilledBy {
		case "AMAZON":
			r.FulfillmentChannel = orderText("AFN")
		case "MERCHANT":
			r.FulfillmentChannel = orderText("MFN")
		default:
			r.FulfillmentChannel = orderText(f.FulfilledBy)
		}
		if f.FulfillmentServiceLevel != "" {
			c, _ := v0ShipmentCategory.Canonical(f.FulfillmentServiceLevel)
			r.ShipmentServiceLevelCategory = &c
		}
		if w := f.ShipByWindow; w != nil {
			r.EarliestShipDate, r.LatestShipDate = w.EarliestDateTime, w.LatestDateTime
		}
		if w := f.DeliverByWindow; w != nil {
			r.EarliestDeliveryDate, r.LatestDeliveryDate = w.EarliestDateTime, w.LatestDateTime
		}
	}
	if p := o.Proceeds; p != nil {
		r.ProceedsAmount, r.ProceedsCurrency = scaledMoney(p.GrandTotal)
		r.OrderTotalAmount, r.OrderTotalCurrency = orderTotal2026(p)
	}
	shipped, unshipped, known := 0, 0, false
	for i := range o.OrderItems {
		if f := o.OrderItems[i].Fulfillment; f != nil {
			known = true
			if f.QuantityFulfilled != nil {
				shipped += *f.QuantityFulfilled
			}
			if f.QuantityUnfulfilled != nil {
				unshipped += *f.QuantityUnfulfilled
			}
		}
	}
	if r.OrderStatus != nil && *r.OrderStatus == "Pending" {
		// v0 counts no items, shipped or unshipped, while an order is
		// Pending: every Pending order in Amazon's v0 examples (getOrders
		// and getOrder, with their history) says 0 and 0, and the columns
		// keep v0's meaning. 2026 reports the units as unfulfilled.
		shipped, unshipped, known = 0, 0, true
	}
	if known {
		r.NumberOfItemsShipped, r.NumberOfItemsUnshipped = &shipped, &unshipped
	}
	if rec := o.Recipient; rec != nil && rec.DeliveryAddress != nil {
		a := rec.DeliveryAddress
		r.ShippingAddressCity = orderText(a.City)
		r.ShippingAddressStateOrRegion = orderText(a.StateOrRegion)
		r.ShippingAddressCountryCode = orderText(a.CountryCode)
		// The postal code is PII in 2026-01-01 (role-gated), unlike v0's
		// shipping address: it is not typed.
	}
	return r
}

// orderTotal2026 is v0's OrderTotal from 2026 proceeds: what the order's
// charges add up to, which is the grand total without the charges made
// apart from checkout (a DELIVERY_TIP). Without breakdowns it is the grand
// total.
func orderTotal2026(p *spapi.OrderProceeds2026) (*scaledDecimal, *string) {
	if p.GrandTotal == nil {
		return nil, nil
	}
	if len(p.Breakdowns) == 0 {
		return scaledMoney(p.GrandTotal)
	}
	total := p.GrandTotal.Amount
	for _, b := range p.Breakdowns {
		if strings.EqualFold(b.Type, "DELIVERY_TIP") && b.Subtotal != nil {
			total = total.Sub(b.Subtotal.Amount)
		}
	}
	m := spapi.NewMoney(p.GrandTotal.CurrencyCode, total)
	return scaledMoney(&m)
}

// newOrderItemRow2026 maps a 2026 item to its order_items row. The v0 money
// columns come from the item's proceeds breakdowns (amounts for all units,
// as v0's ItemPrice): ITEM, SHIPPING, TAX (split by its detailed subtypes
// into item and shipping tax), DISCOUNT (negative in 2026, positive in v0's
// PromotionDiscount and ShippingDiscount) and COD_FEE.
func newOrderItemRow2026(orderID string, it *spapi.OrderItem2026, raw json.RawMessage) orderItemRow {
	r := orderItemRow{
		AmazonOrderID:   orderID,
		OrderItemID:     it.OrderItemId,
		ASIN:            it.Product.ASIN,
		SellerSKU:       orderText(it.Product.SellerSku),
		Title:           orderText(it.Product.Title),
		QuantityOrdered: it.QuantityOrdered,
		APIVersion:      APIVersion2026,
		IsTransparency:  boolPtr(it.HasProgram("TRANSPARENCY")),
		Raw:             raw,
	}
	if len(it.Programs) > 0 {
		r.Programs = append([]string(nil), it.Programs...)
	}
	if c := it.Product.Condition; c != nil {
		if c.ConditionType != "" {
			v, _ := v0Condition.Canonical(c.ConditionType)
			r.ConditionID = &v
		}
		if c.ConditionSubtype != "" {
			v, _ := v0ConditionSubtype.Canonical(c.ConditionSubtype)
			r.ConditionSubtypeID = &v
		}
	}
	if p := it.Product.Price; p != nil {
		r.UnitPriceAmount, r.UnitPriceCurrency = scaledMoney(p.UnitPrice)
		if p.PriceDesignation != "" {
			v, _ := v0PriceDesignation.Canonical(p.PriceDesignation) // BUSINESS_PRICE is BusinessPrice
			r.PriceDesignation = &v
		}
	}
	if f := it.Fulfillment; f != nil {
		r.QuantityShipped = f.QuantityFulfilled
		r.IsGift = boolPtr(giftOption(f.Packing))
	}
	if p := it.Proceeds; p != nil {
		r.ProceedsTotalAmount, r.ProceedsTotalCurrency = scaledMoney(p.ProceedsTotal)
		r.ItemPriceAmount, r.ItemPriceCurrency = scaledMoney(p.Breakdown("ITEM"))
		r.ShippingPriceAmount, r.ShippingPriceCurrency = scaledMoney(p.Breakdown("SHIPPING"))
		r.CODFeeAmount, r.CODFeeCurrency = scaledMoney(p.Breakdown("COD_FEE"))
		itemTax, shipTax := splitBreakdown(p, "TAX", false)
		r.ItemTaxAmount, r.ItemTaxCurrency = scaledMoney(itemTax)
		r.ShippingTaxAmount, r.ShippingTaxCurrency = scaledMoney(shipTax)
		itemDiscount, shipDiscount := splitBreakdown(p, "DISCOUNT", true)
		r.PromotionDiscountAmount, r.PromotionDiscountCurrency = scaledMoney(itemDiscount)
		r.ShippingDiscountAmount, r.ShippingDiscountCurrency = scaledMoney(shipDiscount)
		// v0 sends ItemTax and PromotionDiscount "0.00" on a priced item
		// with none (Amazon's recorded getOrderItems); 2026 lists only the
		// breakdowns that are there, so on a priced item an absent one is
		// zero. Shipping columns stay NULL without a SHIPPING charge, as
		// v0 sends none then.
		if item := p.Breakdown("ITEM"); item != nil {
			zero := spapi.NewMoney(item.CurrencyCode, decimal.Zero)
			if r.ItemTaxAmount == nil {
				r.ItemTaxAmount, r.ItemTaxCurrency = scaledMoney(&zero)
			}
			if r.PromotionDiscountAmount == nil {
				r.PromotionDiscountAmount, r.PromotionDiscountCurrency = scaledMoney(&zero)
			}
		}
	}
	return r
}

// splitBreakdown splits a TAX or DISCOUNT breakdown into its ITEM and
// SHIPPING parts (detailedBreakdowns by subtype); without details the whole
// subtotal is the item's. negate turns 2026's negative discounts into v0's
// positive ones.
func splitBreakdown(p *spapi.ItemProceeds2026, typ string, negate bool) (item, shipping *spapi.Money) {
	for _, b := range p.Breakdowns {
		if !strings.EqualFold(b.Type, typ) || b.Subtotal == nil {
			continue
		}
		sign := func(m spapi.Money) *spapi.Money {
			if negate {
				m = spapi.NewMoney(m.CurrencyCode, m.Amount.Neg())
			}
			return &m
		}
		var details []struct {
			Subtype string       `json:"subtype"`
			Value   *spapi.Money `json:"value"`
		}
		if len(b.DetailedBreakdowns) > 0 && json.Unmarshal(b.DetailedBreakdowns, &details) == nil && len(details) > 0 {
			for _, d := range details {
				if d.Value == nil {
					continue
				}
				switch strings.ToUpper(d.Subtype) {
				case "ITEM":
					item = addMoney(item, sign(*d.Value))
				case "SHIPPING":
					shipping = addMoney(shipping, sign(*d.Value))
				}
			}
			return item, shipping
		}
		return sign(*b.Subtotal), nil
	}
	return nil, nil
}

func addMoney(a, b *spapi.Money) *spapi.Money {
	if a == nil {
		return b
	}
	m := spapi.NewMoney(a.CurrencyCode, a.Amount.Add(b.Amount))
	return &m
}

// giftOption reports whether an item's packing dataset has a giftOption.
func giftOption(packing json.RawMessage) bool {
	var p struct {
		GiftOption json.RawMessage `json:"giftOption"`
	}
	return json.Unmarshal(packing, &p) == nil && len(p.GiftOption) > 0 && string(p.GiftOption) != "null"
}

func boolPtr(b bool) *bool { return &b }

// orderPackageRow is one order_packages row.
type orderPackageRow struct {
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

// orderPackageItemRow is one order_package_items row.
type orderPackageItemRow struct {
	AmazonOrderID      string `json:"amazon_order_id"`
	PackageReferenceID string `json:"package_reference_id"`
	OrderItemID        string `json:"order_item_id"`
	Quantity           int    `json:"quantity"`
}

// orderProceedsRow is one order_proceeds row.
type orderProceedsRow struct {
	AmazonOrderID string        `json:"amazon_order_id"`
	OrderItemID   string        `json:"order_item_id"`
	Type          string        `json:"type"`
	Status        *string       `json:"status,omitzero"`
	Amount        scaledDecimal `json:"amount"`
	Currency      string        `json:"currency"`
}

// orders2026Rows are the rows of every table one page writes.
type orders2026Rows struct {
	orders   []orderRow
	items    []orderItemRow
	keep     map[string][]string // order → its item ids (items not listed are deleted)
	packages []orderPackageRow
	pkgItems []orderPackageItemRow
	proceeds []orderProceedsRow
	ids      []string
}

// newOrders2026Rows maps a page of 2026 orders, PII stripped from every raw.
func newOrders2026Rows(orders []spapi.Order2026, opts Orders2026Options) (*orders2026Rows, error) {
	out := &orders2026Rows{keep: map[string][]string{}}
	latest := dedupe(orders, func(o *spapi.Order2026) string { return o.OrderId },
		func(kept, later *spapi.Order2026) bool { return !later.LastUpdatedTime.Before(kept.LastUpdatedTime) })
	for i := range latest {
		o := &latest[i]
		raw, err := orderRaw(o.Raw, o)
		if err != nil {
			return nil, fmt.Errorf("order %s: %w", o.OrderId, err)
		}
		if raw, err = stripOrderPII(raw); err != nil {
			return nil, fmt.Errorf("order %s: strip PII: %w", o.OrderId, err)
		}
		out.orders = append(out.orders, newOrderRow2026(o, raw, opts))
		out.ids = append(out.ids, o.OrderId)
		ids := []string{}
		for k := range o.OrderItems {
			it := &o.OrderItems[k]
			iraw, err := orderRaw(it.Raw, it)
			if err != nil {
				return nil, fmt.Errorf("order %s item %s: %w", o.OrderId, it.OrderItemId, err)
			}
			if iraw, err = stripItemPII(iraw); err != nil {
				return nil, fmt.Errorf("order %s item %s: strip PII: %w", o.OrderId, it.OrderItemId, err)
			}
			out.items = append(out.items, newOrderItemRow2026(o.OrderId, it, iraw))
			ids = append(ids, it.OrderItemId)
			if p := it.Proceeds; p != nil {
				for _, b := range p.Breakdowns {
					if b.Subtotal != nil && b.Type != "" {
						out.proceeds = append(out.proceeds, orderProceedsRow{AmazonOrderID: o.OrderId, OrderItemID: it.OrderItemId,
							Type: strings.ToUpper(b.Type), Amount: scaledDecimal{b.Subtotal.Amount}, Currency: b.Subtotal.CurrencyCode})
					}
				}
			}
		}
		out.keep[o.OrderId] = ids
		if p := o.Proceeds; p != nil {
			for _, b := range p.Breakdowns {
				if b.Subtotal != nil && b.Type != "" {
					out.proceeds = append(out.proceeds, orderProceedsRow{AmazonOrderID: o.OrderId, Type: strings.ToUpper(b.Type),
						Status: orderText(b.Status), Amount: scaledDecimal{b.Subtotal.Amount}, Currency: b.Subtotal.CurrencyCode})
				}
			}
		}
		for k := range o.Packages {
			p := &o.Packages[k]
			praw, err := orderRaw(p.Raw, p)
			if err != nil {
				return nil, fmt.Errorf("order %s package %s: %w", o.OrderId, p.PackageReferenceId, err)
			}
			row := orderPackageRow{AmazonOrderID: o.OrderId, PackageReferenceID: p.PackageReferenceId,
				Carrier: orderText(p.Carrier), TrackingNumber: orderText(p.TrackingNumber), ShippingService: orderText(p.ShippingService),
				ShipTime: p.ShipTime, CreatedTime: p.CreatedTime, Raw: praw}
			if s := p.PackageStatus; s != nil {
				row.PackageStatus, row.DetailedStatus = orderText(s.Status), orderText(s.DetailedStatus)
			}
			out.packages = append(out.packages, row)
			for _, pi := range p.PackageItems {
				if pi.OrderItemId != "" {
					out.pkgItems = append(out.pkgItems, orderPackageItemRow{AmazonOrderID: o.OrderId, PackageReferenceID: p.PackageReferenceId,
						OrderItemID: pi.OrderItemId, Quantity: pi.Quantity})
				}
			}
		}
	}
	out.items = dedupe(out.items, func(r *orderItemRow) [2]string { return [2]string{r.AmazonOrderID, r.OrderItemID} }, nil)
	out.packages = dedupe(out.packages, func(r *orderPackageRow) [2]string { return [2]string{r.AmazonOrderID, r.PackageReferenceID} }, nil)
	out.pkgItems = dedupe(out.pkgItems, func(r *orderPackageItemRow) [3]string {
		return [3]string{r.AmazonOrderID, r.PackageReferenceID, r.OrderItemID}
	}, func(kept, later *orderPackageItemRow) bool { later.Quantity += kept.Quantity; return true })
	out.proceeds = dedupe(out.proceeds, func(r *orderProceedsRow) [3]string { return [3]string{r.AmazonOrderID, r.OrderItemID, r.Type} },
		func(kept, later *orderProceedsRow) bool {
			later.Amount = scaledDecimal{kept.Amount.d.Add(later.Amount.d)}
			return true
		})
	return out, nil
}

// UpsertOrders2026 writes a page of Orders 2026-01-01 orders of one account
// on tx: the orders, their items (replacing each order's list: items an order
// no longer lists are deleted), packages with their items, and proceeds
// breakdowns. Unchanged rows are not touched. An order Amazon sent without
// its fulfillment dataset keeps the stored status, channel and windows (a new
// one has none), and is named in NoFulfillment.
func UpsertOrders2026(ctx context.Context, tx pgx.Tx, accountID string, orders []spapi.Order2026, opts Orders2026Options) (Orders2026Result, error) {
	var res Orders2026Result
	if len(orders) == 0 {
		return res, nil
	}
	updated := make(map[string]time.Time, len(orders))
	for _, o := range orders {
		// A page may repeat an order: its latest copy is the one written.
		if t, ok := updated[o.OrderId]; !ok || o.LastUpdatedTime.After(t) {
			updated[o.OrderId] = o.LastUpdatedTime
		}
	}
	stale, err := StaleOrders(ctx, tx, accountID, updated)
	if err != nil {
		return res, err
	}
	if len(stale) > 0 {
		fresh := make([]spapi.Order2026, 0, len(orders))
		for _, o := range orders {
			if stale[o.OrderId] {
				res.Stale = append(res.Stale, o.OrderId)
				continue
			}
			fresh = append(fresh, o)
		}
		if orders = fresh; len(orders) == 0 {
			return res, nil
		}
	}
	rows, err := newOrders2026Rows(orders, opts)
	if err != nil {
		return res, err
	}
	if err := keepStoredFulfillment(ctx, tx, accountID, rows.orders, &res); err != nil {
		return res, err
	}
	if res.Changes, err = upsertOrderRows(ctx, tx, accountID, rows.orders); err != nil {
		return res, err
	}
	if res.Items, err = replaceOrderItemRows(ctx, tx, accountID, rows.items, rows.keep); err != nil {
		return res, err
	}
	for _, r := range []struct {
		what string
		sql  string
		rows any
	}{
		{"packages", replaceOrderPackagesSQL, rows.packages},
		{"package items", replaceOrderPackageItemsSQL, rows.pkgItems},
		{"proceeds", replaceOrderProceedsSQL, rows.proceeds},
	} {
		payload, err := json.Marshal(nonNil(r.rows))
		if err != nil {
			return res, fmt.Errorf("encode order %s: %w", r.what, err)
		}
		if _, err := tx.Exec(ctx, r.sql, pgx.NamedArgs{"rows": payload, "account_id": accountID, "orders": rows.ids}); err != nil {
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
func keepStoredFulfillment(ctx context.Context, tx pgx.Tx, accountID string, rows []orderRow, res *Orders2026Result) error {
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
	stored, err := dbsqlc.New().GetOrdersFulfillment(ctx, tx, dbsqlc.GetOrdersFulfillmentParams{AccountID: accountID, AmazonOrderIds: ids})
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
	replaceOrderPackagesSQL     = upsertStatement(replaceOrderPackagesTemplate, reflect.TypeFor[orderPackageRow](), "amazon_order_id", "package_reference_id")
	replaceOrderPackageItemsSQL = upsertStatement(replaceOrderPackageItemsTemplate, reflect.TypeFor[orderPackageItemRow](), "amazon_order_id", "package_reference_id", "order_item_id")
	replaceOrderProceedsSQL     = upsertStatement(replaceOrderProceedsTemplate, reflect.TypeFor[orderProceedsRow](), "amazon_order_id", "order_item_id", "type")
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
