package ordermap

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// Orders API 2026-01-01 fills the same orders and order_items rows as v0,
// each column with the same meaning (the README's mapping table lists the v0
// field and the 2026 path of every column). Columns 2026 has no source for
// are NULL, never guessed; what only 2026 has gets its own columns and tables
// (api_version, proceeds, programs, packages, EasyShip shipments, proceeds
// breakdowns).

// Options2026 tune Orders2026.
type Options2026 struct {
	// Marketplace is the marketplace the orders were listed for, the
	// marketplace_id of an order whose salesChannel names none ("" when the
	// request named several).
	Marketplace string
}

// Orders2026 maps a page of 2026 orders to the rows of every table
// store.UpsertOrders2026 writes, PII stripped from every raw. Of a repeated
// order the copy with the latest lastUpdatedTime is mapped.
func Orders2026(orders []spapi.Order2026, opts Options2026) (*store.Orders2026Rows, error) {
	out := &store.Orders2026Rows{Keep: map[string][]string{}}
	latest := latest2026(orders)
	for i := range latest {
		o := &latest[i]
		raw, err := store.RawPayload(o.Raw, o)
		if err != nil {
			return nil, fmt.Errorf("order %s: %w", o.OrderId, err)
		}
		if raw, err = spapi.StripOrder2026PII(raw); err != nil {
			return nil, fmt.Errorf("order %s: strip PII: %w", o.OrderId, err)
		}
		out.Orders = append(out.Orders, newOrderRow2026(o, raw, opts))
		ids := []string{}
		for k := range o.OrderItems {
			it := &o.OrderItems[k]
			iraw, err := store.RawPayload(it.Raw, it)
			if err != nil {
				return nil, fmt.Errorf("order %s item %s: %w", o.OrderId, it.OrderItemId, err)
			}
			if iraw, err = spapi.StripOrderItem2026PII(iraw); err != nil {
				return nil, fmt.Errorf("order %s item %s: strip PII: %w", o.OrderId, it.OrderItemId, err)
			}
			out.Items = append(out.Items, newOrderItemRow2026(o.OrderId, it, iraw))
			ids = append(ids, it.OrderItemId)
			if p := it.Proceeds; p != nil {
				for _, b := range p.Breakdowns {
					if b.Subtotal != nil && b.Type != "" {
						out.Proceeds = append(out.Proceeds, store.OrderProceedsRow{AmazonOrderID: o.OrderId, OrderItemID: it.OrderItemId,
							Type: strings.ToUpper(b.Type), Amount: store.NewScaledDecimal(b.Subtotal.Amount), Currency: b.Subtotal.CurrencyCode})
					}
				}
			}
		}
		out.Keep[o.OrderId] = ids
		if p := o.Proceeds; p != nil {
			for _, b := range p.Breakdowns {
				if b.Subtotal != nil && b.Type != "" {
					out.Proceeds = append(out.Proceeds, store.OrderProceedsRow{AmazonOrderID: o.OrderId, Type: strings.ToUpper(b.Type),
						Status: store.NullIfEmpty(b.Status), Amount: store.NewScaledDecimal(b.Subtotal.Amount), Currency: b.Subtotal.CurrencyCode})
				}
			}
		}
		for k := range o.Packages {
			p := &o.Packages[k]
			praw, err := store.RawPayload(p.Raw, p)
			if err != nil {
				return nil, fmt.Errorf("order %s package %s: %w", o.OrderId, p.PackageReferenceId, err)
			}
			row := store.OrderPackageRow{AmazonOrderID: o.OrderId, PackageReferenceID: p.PackageReferenceId,
				Carrier: store.NullIfEmpty(p.Carrier), TrackingNumber: store.NullIfEmpty(p.TrackingNumber), ShippingService: store.NullIfEmpty(p.ShippingService),
				ShipTime: p.ShipTime, CreatedTime: p.CreatedTime, Raw: praw}
			if s := p.PackageStatus; s != nil {
				row.PackageStatus, row.DetailedStatus = store.NullIfEmpty(s.Status), store.NullIfEmpty(s.DetailedStatus)
			}
			out.Packages = append(out.Packages, row)
			for _, pi := range p.PackageItems {
				if pi.OrderItemId != "" {
					out.PackageItems = append(out.PackageItems, store.OrderPackageItemRow{AmazonOrderID: o.OrderId, PackageReferenceID: p.PackageReferenceId,
						OrderItemID: pi.OrderItemId, Quantity: pi.Quantity})
				}
			}
		}
	}
	return out, nil
}

// latest2026 keeps one copy of each order, in the order ids first appear:
// the one with the latest lastUpdatedTime (the later copy on a tie).
func latest2026(orders []spapi.Order2026) []spapi.Order2026 {
	out := make([]spapi.Order2026, 0, len(orders))
	at := make(map[string]int, len(orders))
	for _, o := range orders {
		j, dup := at[o.OrderId]
		if !dup {
			at[o.OrderId] = len(out)
			out = append(out, o)
			continue
		}
		if !o.LastUpdatedTime.Before(out[j].LastUpdatedTime) {
			out[j] = o
		}
	}
	return out
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
func newOrderRow2026(o *spapi.Order2026, raw json.RawMessage, opts Options2026) store.OrderRow {
	r := store.OrderRow{
		AmazonOrderID:   o.OrderId,
		SellerOrderID:   store.NullIfEmpty(o.Alias("SELLER_ORDER_ID")),
		PurchaseDate:    o.CreatedTime,
		LastUpdateDate:  o.LastUpdatedTime,
		APIVersion:      store.APIVersion2026,
		SalesChannel:    store.NullIfEmpty(o.SalesChannel.MarketplaceName),
		MarketplaceID:   store.NullIfEmpty(o.SalesChannel.MarketplaceId),
		IsBusinessOrder: boolPtr(o.HasProgram("AMAZON_BUSINESS")),
		IsPrime:         boolPtr(o.HasProgram("PRIME")),
		IsPremiumOrder:  boolPtr(o.HasProgram("PREMIUM")),
		IsISPU:          boolPtr(o.HasProgram("IN_STORE_PICK_UP")),
		Raw:             raw,
	}
	if r.MarketplaceID == nil && opts.Marketplace != "" {
		r.MarketplaceID = store.NullIfEmpty(opts.Marketplace)
	}
	if len(o.Programs) > 0 {
		r.Programs = append([]string(nil), o.Programs...)
	}
	if o.SalesChannel.ChannelName != "" && !strings.EqualFold(o.SalesChannel.ChannelName, "AMAZON") {
		r.OrderChannel = store.NullIfEmpty(o.SalesChannel.ChannelName)
	}
	replaced := ""
	for _, a := range o.AssociatedOrders {
		if strings.EqualFold(a.AssociationType, "REPLACEMENT_ORIGINAL_ID") {
			replaced = a.OrderId
		}
	}
	r.IsReplacementOrder = boolPtr(replaced != "")
	r.ReplacedOrderID = store.NullIfEmpty(replaced)
	for _, f := range o.FulfillmentOrders {
		if f.FulfillmentOrderId != "" {
			r.EasyshipShipmentIDs = append(r.EasyshipShipmentIDs, f.FulfillmentOrderId)
		}
	}
	if f := o.Fulfillment; f != nil {
		if s, ok := v0OrderStatus[f.FulfillmentStatus]; ok {
			r.OrderStatus = &s
		} else {
			r.OrderStatus = store.NullIfEmpty(f.FulfillmentStatus) // outside the enum: kept as sent
		}
		switch f.FulfilledBy {
		case "AMAZON":
			r.FulfillmentChannel = store.NullIfEmpty("AFN")
		case "MERCHANT":
			r.FulfillmentChannel = store.NullIfEmpty("MFN")
		default:
			r.FulfillmentChannel = store.NullIfEmpty(f.FulfilledBy)
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
		r.ProceedsAmount, r.ProceedsCurrency = store.MoneyColumns(p.GrandTotal)
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
		r.ShippingAddressCity = store.NullIfEmpty(a.City)
		r.ShippingAddressStateOrRegion = store.NullIfEmpty(a.StateOrRegion)
		r.ShippingAddressCountryCode = store.NullIfEmpty(a.CountryCode)
		// The postal code is PII in 2026-01-01 (role-gated), unlike v0's
		// shipping address: it is not typed.
	}
	return r
}

// orderTotal2026 is v0's OrderTotal from 2026 proceeds: what the order's
// charges add up to, which is the grand total without the charges made
// apart from checkout (a DELIVERY_TIP). Without breakdowns it is the grand
// total.
func orderTotal2026(p *spapi.OrderProceeds2026) (*store.ScaledDecimal, *string) {
	if p.GrandTotal == nil {
		return nil, nil
	}
	if len(p.Breakdowns) == 0 {
		return store.MoneyColumns(p.GrandTotal)
	}
	total := p.GrandTotal.Amount
	for _, b := range p.Breakdowns {
		if strings.EqualFold(b.Type, "DELIVERY_TIP") && b.Subtotal != nil {
			total = total.Sub(b.Subtotal.Amount)
		}
	}
	m := spapi.NewMoney(p.GrandTotal.CurrencyCode, total)
	return store.MoneyColumns(&m)
}

// newOrderItemRow2026 maps a 2026 item to its order_items row. The v0 money
// columns come from the item's proceeds breakdowns (amounts for all units,
// as v0's ItemPrice): ITEM, SHIPPING, TAX (split by its detailed subtypes
// into item and shipping tax), DISCOUNT (negative in 2026, positive in v0's
// PromotionDiscount and ShippingDiscount) and COD_FEE.
func newOrderItemRow2026(orderID string, it *spapi.OrderItem2026, raw json.RawMessage) store.OrderItemRow {
	r := store.OrderItemRow{
		AmazonOrderID:   orderID,
		OrderItemID:     it.OrderItemId,
		ASIN:            it.Product.ASIN,
		SellerSKU:       store.NullIfEmpty(it.Product.SellerSku),
		Title:           store.NullIfEmpty(it.Product.Title),
		QuantityOrdered: it.QuantityOrdered,
		APIVersion:      store.APIVersion2026,
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
		r.UnitPriceAmount, r.UnitPriceCurrency = store.MoneyColumns(p.UnitPrice)
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
		r.ProceedsTotalAmount, r.ProceedsTotalCurrency = store.MoneyColumns(p.ProceedsTotal)
		r.ItemPriceAmount, r.ItemPriceCurrency = store.MoneyColumns(p.Breakdown("ITEM"))
		r.ShippingPriceAmount, r.ShippingPriceCurrency = store.MoneyColumns(p.Breakdown("SHIPPING"))
		r.CODFeeAmount, r.CODFeeCurrency = store.MoneyColumns(p.Breakdown("COD_FEE"))
		itemTax, shipTax := splitBreakdown(p, "TAX", false)
		r.ItemTaxAmount, r.ItemTaxCurrency = store.MoneyColumns(itemTax)
		r.ShippingTaxAmount, r.ShippingTaxCurrency = store.MoneyColumns(shipTax)
		itemDiscount, shipDiscount := splitBreakdown(p, "DISCOUNT", true)
		r.PromotionDiscountAmount, r.PromotionDiscountCurrency = store.MoneyColumns(itemDiscount)
		r.ShippingDiscountAmount, r.ShippingDiscountCurrency = store.MoneyColumns(shipDiscount)
		// v0 sends ItemTax and PromotionDiscount "0.00" on a priced item
		// with none (Amazon's recorded getOrderItems); 2026 lists only the
		// breakdowns that are there, so on a priced item an absent one is
		// zero. Shipping columns stay NULL without a SHIPPING charge, as
		// v0 sends none then.
		if item := p.Breakdown("ITEM"); item != nil {
			zero := spapi.NewMoney(item.CurrencyCode, decimal.Zero)
			if r.ItemTaxAmount == nil {
				r.ItemTaxAmount, r.ItemTaxCurrency = store.MoneyColumns(&zero)
			}
			if r.PromotionDiscountAmount == nil {
				r.PromotionDiscountAmount, r.PromotionDiscountCurrency = store.MoneyColumns(&zero)
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
