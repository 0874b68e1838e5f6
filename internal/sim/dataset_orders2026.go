package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Orders API 2026-01-01.
//
// The 2026 version serves the very orders v0 serves: renderOrder2026 starts
// from v0's own rendering of the order and its items (renderOrderWith,
// orderItems) and maps it, so the two versions cannot drift apart on any
// fact they share. What v0 does not carry (personal data, promotion ids,
// cancellation reasons, packages, delivery tips) comes from random streams
// of its own ("order-2026", "order-2026-items", "order-2026-package-N"),
// so adding the 2026 facts changed no v0 value and no v0 timeline.
//
// The types below are the model's clean shapes (orders_2026-01-01.json),
// reduced to the fields the simulated dataset can fill; the wire carries
// Amazon's real shapes of the same values unless Options.CleanShapes
// (shapes_orders2026.go).

// Money2026 is the 2026 Money: amount is a decimal string, as in v0, but
// the keys are lower camel case.
type Money2026 struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

// Alias2026 is another identifier of an order (v0's SellerOrderId).
type Alias2026 struct {
	AliasID   string `json:"aliasId"`
	AliasType string `json:"aliasType"`
}

// SalesChannel2026 is where the order was placed.
type SalesChannel2026 struct {
	ChannelName     string `json:"channelName"`
	MarketplaceID   string `json:"marketplaceId,omitempty"`
	MarketplaceName string `json:"marketplaceName,omitempty"`
}

// Buyer2026 is the order's buyer (includedData BUYER). BuyerName and
// BuyerEmail are personal data that need a role (Account.MissingRoles).
type Buyer2026 struct {
	BuyerName                string `json:"buyerName,omitempty"`
	BuyerEmail               string `json:"buyerEmail,omitempty"`
	BuyerCompanyName         string `json:"buyerCompanyName,omitempty"`
	BuyerPurchaseOrderNumber string `json:"buyerPurchaseOrderNumber,omitempty"`
}

// Recipient2026 is where the order goes (includedData RECIPIENT).
type Recipient2026 struct {
	DeliveryAddress *CustomerAddress2026 `json:"deliveryAddress,omitempty"`
}

// CustomerAddress2026 is a delivery address. Name, AddressLine1-3,
// PostalCode and Phone are personal data that need
// RoleDirectToConsumerShipping.
type CustomerAddress2026 struct {
	Name             string `json:"name,omitempty"`
	CompanyName      string `json:"companyName,omitempty"`
	AddressLine1     string `json:"addressLine1,omitempty"`
	AddressLine2     string `json:"addressLine2,omitempty"`
	AddressLine3     string `json:"addressLine3,omitempty"`
	City             string `json:"city,omitempty"`
	DistrictOrCounty string `json:"districtOrCounty,omitempty"`
	StateOrRegion    string `json:"stateOrRegion,omitempty"`
	Municipality     string `json:"municipality,omitempty"`
	PostalCode       string `json:"postalCode,omitempty"`
	CountryCode      string `json:"countryCode,omitempty"`
	Phone            string `json:"phone,omitempty"`
	AddressType      string `json:"addressType,omitempty"`
}

// OrderProceeds2026 is what the seller receives for the order (includedData
// PROCEEDS): GrandTotal is the sum of the breakdowns.
type OrderProceeds2026 struct {
	GrandTotal *Money2026                   `json:"grandTotal,omitempty"`
	Breakdowns []OrderProceedsBreakdown2026 `json:"breakdowns,omitempty"`
}

// OrderProceedsBreakdown2026 is one category of an order's proceeds: ITEM,
// TAX and DISCOUNT aggregate the items, DELIVERY_TIP belongs to the order
// and alone carries a Status (PENDING or FINALIZED).
type OrderProceedsBreakdown2026 struct {
	Type     string    `json:"type"`
	Status   string    `json:"status,omitempty"`
	Subtotal Money2026 `json:"subtotal"`
}

// DateTimeRange2026 is a time window.
type DateTimeRange2026 struct {
	EarliestDateTime time.Time `json:"earliestDateTime,omitzero"`
	LatestDateTime   time.Time `json:"latestDateTime,omitzero"`
}

// OrderFulfillment2026 is how the order ships (includedData FULFILLMENT).
type OrderFulfillment2026 struct {
	FulfillmentStatus       string             `json:"fulfillmentStatus"`
	FulfilledBy             string             `json:"fulfilledBy,omitempty"`
	FulfillmentServiceLevel string             `json:"fulfillmentServiceLevel,omitempty"`
	ShipByWindow            *DateTimeRange2026 `json:"shipByWindow,omitempty"`
	DeliverByWindow         *DateTimeRange2026 `json:"deliverByWindow,omitempty"`
}

// ItemCondition2026 is an item's condition.
type ItemCondition2026 struct {
	ConditionType string `json:"conditionType,omitempty"`
}

// ItemPrice2026 is an item's price: the price of one unit, where v0's
// ItemPrice is the line total.
type ItemPrice2026 struct {
	UnitPrice *Money2026 `json:"unitPrice,omitempty"`
}

// ItemProduct2026 is what was ordered. Price is absent while the order is
// Pending, as v0's ItemPrice is.
type ItemProduct2026 struct {
	ASIN      string             `json:"asin,omitempty"`
	Title     string             `json:"title,omitempty"`
	SellerSKU string             `json:"sellerSku,omitempty"`
	Condition *ItemCondition2026 `json:"condition,omitempty"`
	Price     *ItemPrice2026     `json:"price,omitempty"`
}

// ItemProceedsDetailedBreakdown2026 splits a TAX or DISCOUNT subtotal.
type ItemProceedsDetailedBreakdown2026 struct {
	Subtype string    `json:"subtype"`
	Value   Money2026 `json:"value"`
}

// ItemProceedsBreakdown2026 is one category of an item's proceeds.
type ItemProceedsBreakdown2026 struct {
	Type               string                              `json:"type"`
	Subtotal           Money2026                           `json:"subtotal"`
	DetailedBreakdowns []ItemProceedsDetailedBreakdown2026 `json:"detailedBreakdowns,omitempty"`
}

// ItemProceeds2026 is what the seller receives for an item (includedData
// PROCEEDS): ProceedsTotal is the sum of the breakdowns.
type ItemProceeds2026 struct {
	ProceedsTotal *Money2026                  `json:"proceedsTotal,omitempty"`
	Breakdowns    []ItemProceedsBreakdown2026 `json:"breakdowns,omitempty"`
}

// ItemPromotionBreakdown2026 names one promotion applied to an item.
type ItemPromotionBreakdown2026 struct {
	PromotionID string `json:"promotionId,omitempty"`
}

// ItemPromotion2026 lists an item's promotions (includedData PROMOTION).
type ItemPromotion2026 struct {
	Breakdowns []ItemPromotionBreakdown2026 `json:"breakdowns,omitempty"`
}

// ItemCancellationRequest2026 is a cancellation someone asked for.
type ItemCancellationRequest2026 struct {
	Requester    string `json:"requester,omitempty"`
	CancelReason string `json:"cancelReason,omitempty"`
}

// ItemCancellationExecution2026 is who cancelled an item, and why.
type ItemCancellationExecution2026 struct {
	CancelledBy  string `json:"cancelledBy,omitempty"`
	CancelReason string `json:"cancelReason,omitempty"`
}

// ItemCancellation2026 is an item's cancellation (includedData
// CANCELLATION), present on the items of Canceled orders.
type ItemCancellation2026 struct {
	CancellationRequest   *ItemCancellationRequest2026   `json:"cancellationRequest,omitempty"`
	CancellationExecution *ItemCancellationExecution2026 `json:"cancellationExecution,omitempty"`
}

// GiftOption2026 is the gift wrapping of a gift item (v0 IsGift).
type GiftOption2026 struct {
	GiftWrapLevel string `json:"giftWrapLevel,omitempty"`
}

// ItemPacking2026 is how an item is packed.
type ItemPacking2026 struct {
	GiftOption *GiftOption2026 `json:"giftOption,omitempty"`
}

// ItemFulfillment2026 is an item's progress (includedData FULFILLMENT).
type ItemFulfillment2026 struct {
	QuantityFulfilled   int              `json:"quantityFulfilled"`
	QuantityUnfulfilled int              `json:"quantityUnfulfilled"`
	Packing             *ItemPacking2026 `json:"packing,omitempty"`
}

// ItemTaxCollection2026 names who collects an item's tax.
type ItemTaxCollection2026 struct {
	Model            string `json:"model,omitempty"`
	ResponsibleParty string `json:"responsibleParty,omitempty"`
}

// ItemTax2026 is an item's tax information (includedData TAX).
type ItemTax2026 struct {
	TaxCollections []ItemTaxCollection2026 `json:"taxCollections,omitempty"`
}

// OrderItem2026 is one line of an order; items are always inline in 2026.
type OrderItem2026 struct {
	OrderItemID     string                `json:"orderItemId"`
	QuantityOrdered int                   `json:"quantityOrdered"`
	Product         ItemProduct2026       `json:"product"`
	Proceeds        *ItemProceeds2026     `json:"proceeds,omitempty"`
	Promotion       *ItemPromotion2026    `json:"promotion,omitempty"`
	Cancellation    *ItemCancellation2026 `json:"cancellation,omitempty"`
	Fulfillment     *ItemFulfillment2026  `json:"fulfillment,omitempty"`
	Tax             *ItemTax2026          `json:"tax,omitempty"`
}

// PackageStatus2026 is where a package is.
type PackageStatus2026 struct {
	Status         string `json:"status"`
	DetailedStatus string `json:"detailedStatus,omitempty"`
}

// MerchantAddress2026 is the seller's warehouse.
type MerchantAddress2026 struct {
	Name             string `json:"name,omitempty"`
	AddressLine1     string `json:"addressLine1,omitempty"`
	AddressLine2     string `json:"addressLine2,omitempty"`
	AddressLine3     string `json:"addressLine3,omitempty"`
	City             string `json:"city,omitempty"`
	DistrictOrCounty string `json:"districtOrCounty,omitempty"`
	StateOrRegion    string `json:"stateOrRegion,omitempty"`
	Municipality     string `json:"municipality,omitempty"`
	PostalCode       string `json:"postalCode,omitempty"`
	CountryCode      string `json:"countryCode,omitempty"`
}

// PackageItem2026 is how many units of an item a package holds.
type PackageItem2026 struct {
	OrderItemID string `json:"orderItemId"`
	Quantity    int    `json:"quantity"`
}

// Package2026 is a package of a merchant-fulfilled order (includedData
// PACKAGES), one per shipping event of the order.
type Package2026 struct {
	PackageReferenceID string               `json:"packageReferenceId"`
	CreatedTime        time.Time            `json:"createdTime,omitzero"`
	PackageStatus      *PackageStatus2026   `json:"packageStatus,omitempty"`
	Carrier            string               `json:"carrier,omitempty"`
	ShipTime           time.Time            `json:"shipTime,omitzero"`
	ShippingService    string               `json:"shippingService,omitempty"`
	TrackingNumber     string               `json:"trackingNumber,omitempty"`
	ShipFromAddress    *MerchantAddress2026 `json:"shipFromAddress,omitempty"`
	PackageItems       []PackageItem2026    `json:"packageItems,omitempty"`
}

// Order2026 is an Orders 2026-01-01 order as searchOrders and getOrder
// encode it with every includedData value; Only drops what a narrower
// includedData leaves out.
type Order2026 struct {
	OrderID         string                `json:"orderId"`
	OrderAliases    []Alias2026           `json:"orderAliases,omitempty"`
	CreatedTime     time.Time             `json:"createdTime"`
	LastUpdatedTime time.Time             `json:"lastUpdatedTime"`
	Programs        []string              `json:"programs,omitempty"`
	SalesChannel    SalesChannel2026      `json:"salesChannel"`
	Buyer           *Buyer2026            `json:"buyer,omitempty"`
	Recipient       *Recipient2026        `json:"recipient,omitempty"`
	Proceeds        *OrderProceeds2026    `json:"proceeds,omitempty"`
	Fulfillment     *OrderFulfillment2026 `json:"fulfillment,omitempty"`
	OrderItems      []OrderItem2026       `json:"orderItems"`
	Packages        []Package2026         `json:"packages,omitempty"`
}

// IncludedData2026 are the values of the includedData parameter, in the
// model's order. EXPENSE (points, JP only), PAYMENT (Brazilian and cash on
// delivery executions) and FULFILLMENT_ORDERS (Easy Ship only) are accepted
// but add nothing: the simulated dataset is a North American seller
// without them.
var IncludedData2026 = []string{"BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION", "FULFILLMENT", "PACKAGES", "TAX", "PAYMENT", "FULFILLMENT_ORDERS"}

// Only returns o as an answer with this includedData carries it: the
// order's identity, times, programs, sales channel and items with their
// products always; buyer with BUYER; recipient with RECIPIENT; proceeds of
// the order and its items with PROCEEDS; item promotions with PROMOTION;
// item cancellations with CANCELLATION; the order's and its items'
// fulfillment with FULFILLMENT; packages with PACKAGES; item tax with TAX.
func (o Order2026) Only(includedData ...string) Order2026 {
	has := func(v string) bool { return slices.Contains(includedData, v) }
	if !has("BUYER") {
		o.Buyer = nil
	}
	if !has("RECIPIENT") {
		o.Recipient = nil
	}
	if !has("PROCEEDS") {
		o.Proceeds = nil
	}
	if !has("FULFILLMENT") {
		o.Fulfillment = nil
	}
	if !has("PACKAGES") {
		o.Packages = nil
	}
	items := make([]OrderItem2026, len(o.OrderItems))
	for k, it := range o.OrderItems {
		if !has("PROCEEDS") {
			it.Proceeds = nil
		}
		if !has("PROMOTION") {
			it.Promotion = nil
		}
		if !has("CANCELLATION") {
			it.Cancellation = nil
		}
		if !has("FULFILLMENT") {
			it.Fulfillment = nil
		}
		if !has("TAX") {
			it.Tax = nil
		}
		items[k] = it
	}
	o.OrderItems = items
	return o
}

// fulfillmentStatuses2026 are the FulfillmentStatus values, in the model's
// order; searchOrders filters by them.
var fulfillmentStatuses2026 = []string{"PENDING_AVAILABILITY", "PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED", "UNFULFILLABLE"}

// status2026 maps v0's OrderStatus to the 2026 FulfillmentStatus. v0's
// InvoiceUnconfirmed has no 2026 counterpart; the dataset never produces
// it.
var status2026 = map[string]string{
	"PendingAvailability": "PENDING_AVAILABILITY",
	"Pending":             "PENDING",
	"Unshipped":           "UNSHIPPED",
	"PartiallyShipped":    "PARTIALLY_SHIPPED",
	"Shipped":             "SHIPPED",
	"Canceled":            "CANCELLED",
	"Unfulfillable":       "UNFULFILLABLE",
}

// statusV0 is status2026 reversed, for filtering.
var statusV0 = func() map[string]string {
	m := make(map[string]string, len(status2026))
	for v0, v26 := range status2026 {
		m[v26] = v0
	}
	return m
}()

// Shares of orders and items with a 2026-only fact.
const (
	shareDeliveryTip       = 0.08 // US orders with a delivery tip
	shareSameRecipient     = 0.8  // orders delivered to the buyer
	shareAddressLine2      = 0.25 // addresses with a second line
	sharePurchaseOrder     = 0.5  // business orders with a PO number
	shareBuyerCancellation = 0.6  // Canceled orders the buyer asked to cancel
)

var (
	firstNames   = []string{"Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sofia", "Lucas", "Chloe", "Ethan", "Camila", "Owen"}
	lastNames    = []string{"Smith", "Garcia", "Tremblay", "Nguyen", "Hernandez", "Roy", "Johnson", "Martinez", "Brown", "Lopez", "Wilson", "Gagnon"}
	streetNames  = []string{"Main Street", "Oak Avenue", "Maple Drive", "Pine Road", "Cedar Lane", "Elm Street", "Lakeview Boulevard", "Hillcrest Way"}
	companyNames = []string{"Northwind Supplies LLC", "Contoso Labs Inc.", "Fabrikam Partners", "Tailspin Outfitters", "Wide World Importers"}
	buyerReasons = []string{"Changed mind about purchase", "Ordered by mistake", "Found a better price", "Delivery too slow"}
)

// orderExtras2026 are the facts of an order that only the 2026 version
// shows. All are drawn up front, in a fixed order, so one branch never
// shifts another's draws.
type orderExtras2026 struct {
	buyerName, recipientName string
	street, line2, phone     string
	company, po              string
	tipCents                 int64
	buyerCancel              bool
	buyerReason              string
}

func (d *accountData) orderExtras2026(i int) orderExtras2026 {
	r := newRand(d.base, "order-2026", i)
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	var x orderExtras2026
	x.buyerName = pick(firstNames) + " " + pick(lastNames)
	other := pick(firstNames) + " " + pick(lastNames)
	x.recipientName = x.buyerName
	if !chance(r, shareSameRecipient) {
		x.recipientName = other
	}
	x.street = fmt.Sprintf("%d %s", 1+r.IntN(9899), pick(streetNames))
	unit := 1 + r.IntN(400)
	if chance(r, shareAddressLine2) {
		x.line2 = fmt.Sprintf("Apt %d", unit)
	}
	area, line := 200+r.IntN(800), r.IntN(100)
	// 555-01xx numbers are reserved for fiction in North America.
	x.phone = fmt.Sprintf("+1 %03d-555-01%02d", area, line)
	switch d.orders.market[i] {
	case MarketplaceMX:
		x.phone = fmt.Sprintf("+52 %02d 5555 01%02d", 10+area%90, line)
	case MarketplaceJP:
		x.phone = fmt.Sprintf("+81 90-5555-%02d%02d", area%100, line)
	}
	x.company = pick(companyNames)
	po := fmt.Sprintf("PO-%06d", r.IntN(1_000_000))
	if chance(r, sharePurchaseOrder) {
		x.po = po
	}
	tip := int64(2+r.IntN(9)) * 100
	if chance(r, shareDeliveryTip) {
		x.tipCents = tip
	}
	x.buyerCancel = chance(r, shareBuyerCancellation)
	x.buyerReason = pick(buyerReasons)
	return x
}

// carrier is a carrier that merchant-fulfilled packages travel with.
type carrier struct {
	name, service string
	tracking      func(r *rand.Rand) string
}

func digits(r *rand.Rand, n int) string { return randString(r, "0123456789", n) }

// carriers are the carriers per marketplace, with tracking numbers in
// each one's format.
var carriers = map[string][]carrier{
	MarketplaceUS: {
		{"UPS", "UPS Ground", func(r *rand.Rand) string { return "1Z" + randString(r, alnum, 16) }},
		{"USPS", "USPS Ground Advantage", func(r *rand.Rand) string { return "9400" + digits(r, 18) }},
		{"FedEx", "FedEx Home Delivery", func(r *rand.Rand) string { return digits(r, 12) }},
	},
	MarketplaceCA: {
		{"Canada Post", "Expedited Parcel", func(r *rand.Rand) string { return digits(r, 16) }},
		{"UPS", "UPS Standard", func(r *rand.Rand) string { return "1Z" + randString(r, alnum, 16) }},
	},
	MarketplaceMX: {
		{"Estafeta", "Dia Siguiente", func(r *rand.Rand) string { return digits(r, 22) }},
		{"DHL", "DHL Express", func(r *rand.Rand) string { return digits(r, 10) }},
	},
	MarketplaceJP: {
		{"YAMATO", "TA-Q-BIN", func(r *rand.Rand) string { return digits(r, 12) }},
		{"SAGAWA", "Hikyaku Express", func(r *rand.Rand) string { return digits(r, 12) }},
	},
}

// shippedFirst reports whether item k of count ships with the first
// shipment of a PartiallyShipped order: the first half, rounded up.
// orderItems (QuantityShipped) and the 2026 packages share it.
func shippedFirst(k, count int) bool { return k < (count+1)/2 }

// access2026 is what an account's roles let it see of an order's personal
// data.
type access2026 struct {
	buyer     bool // buyer.buyerName: Tax Invoicing or Tax Remittance
	email     bool // buyer.buyerEmail: Direct-to-Consumer Shipping too
	recipient bool // recipient's name, street, postal code, phone
}

func accessOf(a Account) access2026 {
	has := func(role string) bool { return !slices.Contains(a.MissingRoles, role) }
	return access2026{
		buyer:     has(RoleTaxInvoicing) || has(RoleTaxRemittance),
		email:     has(RoleDirectToConsumerShipping),
		recipient: has(RoleDirectToConsumerShipping),
	}
}

// upperWord spells a one-word v0 value as a 2026 enum: Standard becomes
// STANDARD, New becomes NEW.
func upperWord(s string) string { return strings.ToUpper(s) }

// renderOrder2026 builds order i as it stands after n applied events, with
// every includedData dataset, personal data reduced to what the account's
// roles allow. Every value v0 also has is taken from v0's rendering.
func (d *accountData) renderOrder2026(i, n int) Order2026 {
	items := d.orderItems(i, n)
	v0 := d.renderOrderWith(i, n, items)
	x := d.orderExtras2026(i)
	cur := market(v0.MarketplaceID).currency
	m := func(cents int64) Money2026 { return Money2026{Amount: money(cents), CurrencyCode: cur} }
	mp := func(cents int64) *Money2026 { v := m(cents); return &v }
	status := v0.OrderStatus
	mfn := v0.FulfillmentChannel == "MFN"

	o := Order2026{
		OrderID:         v0.AmazonOrderID,
		CreatedTime:     v0.PurchaseDate,
		LastUpdatedTime: v0.LastUpdateDate,
		SalesChannel:    SalesChannel2026{ChannelName: "AMAZON", MarketplaceID: v0.MarketplaceID, MarketplaceName: v0.SalesChannel},
	}
	if v0.SellerOrderID != "" {
		o.OrderAliases = []Alias2026{{AliasID: v0.SellerOrderID, AliasType: "SELLER_ORDER_ID"}}
	}
	if v0.IsPrime {
		o.Programs = append(o.Programs, "PRIME")
	}
	if v0.IsBusinessOrder {
		o.Programs = append(o.Programs, "AMAZON_BUSINESS")
	}

	// BUYER: the relay address only on merchant-fulfilled orders past
	// Pending and not Canceled ("Access Orders PII"; the model: "Only
	// available for merchant-fulfilled (FBM) orders").
	b := &Buyer2026{BuyerName: x.buyerName}
	if mfn && (status == "Unshipped" || status == "PartiallyShipped" || status == "Shipped") {
		b.BuyerEmail = d.relayEmail(o.OrderID)
	}
	if v0.IsBusinessOrder {
		b.BuyerCompanyName, b.BuyerPurchaseOrderNumber = x.company, x.po
	}
	o.Buyer = b

	// RECIPIENT: v0's ShippingAddress (city, state, postal code, country)
	// plus the personal parts v0 shows only with a Restricted Data Token,
	// which the simulator never issues. The phone is suppressed on
	// Amazon-fulfilled orders (the model), and here on Canceled ones too.
	a := v0.ShippingAddress
	addr := &CustomerAddress2026{
		Name: x.recipientName, AddressLine1: x.street, AddressLine2: x.line2,
		City: a.City, StateOrRegion: a.StateOrRegion, PostalCode: a.PostalCode, CountryCode: a.CountryCode,
		AddressType: "RESIDENTIAL",
	}
	if v0.IsBusinessOrder {
		addr.CompanyName, addr.AddressType = x.company, "COMMERCIAL"
	}
	if mfn && status != "Canceled" {
		addr.Phone = x.phone
	}
	o.Recipient = &Recipient2026{DeliveryAddress: addr}

	// FULFILLMENT, from v0's status, channel, service level and dates.
	f := &OrderFulfillment2026{FulfillmentStatus: status2026[status], FulfilledBy: "MERCHANT", FulfillmentServiceLevel: upperWord(v0.ShipmentServiceLevelCategory)}
	if !mfn {
		f.FulfilledBy = "AMAZON"
	}
	if !v0.EarliestShipDate.IsZero() || !v0.LatestShipDate.IsZero() {
		f.ShipByWindow = &DateTimeRange2026{EarliestDateTime: v0.EarliestShipDate, LatestDateTime: v0.LatestShipDate}
	}
	if !v0.EarliestDeliveryDate.IsZero() || !v0.LatestDeliveryDate.IsZero() {
		f.DeliverByWindow = &DateTimeRange2026{EarliestDateTime: v0.EarliestDeliveryDate, LatestDateTime: v0.LatestDeliveryDate}
	}
	o.Fulfillment = f

	ir := newRand(d.base, "order-2026-items", i)
	var sumItem, sumTax, sumDiscount int64
	o.OrderItems = make([]OrderItem2026, len(items))
	for k, it := range items {
		promotionID := "A" + randString(ir, alnum, 12)
		wrap := "STANDARD"
		if chance(ir, 0.3) {
			wrap = "PREMIUM"
		}
		oi := OrderItem2026{
			OrderItemID:     it.OrderItemID,
			QuantityOrdered: it.QuantityOrdered,
			Product: ItemProduct2026{
				ASIN: it.ASIN, Title: it.Title, SellerSKU: it.SellerSKU,
				Condition: &ItemCondition2026{ConditionType: upperWord(it.ConditionID)},
			},
		}
		if it.ItemPrice != nil {
			price, tax, discount := parseCents(it.ItemPrice.Amount), parseCents(it.ItemTax.Amount), parseCents(it.PromotionDiscount.Amount)
			sumItem, sumTax, sumDiscount = sumItem+price, sumTax+tax, sumDiscount+discount
			// v0's ItemPrice is the line total (unit price × quantity, an
			// exact multiple); 2026 shows the unit price.
			oi.Product.Price = &ItemPrice2026{UnitPrice: mp(price / int64(it.QuantityOrdered))}
			p := &ItemProceeds2026{ProceedsTotal: mp(price + tax - discount), Breakdowns: []ItemProceedsBreakdown2026{
				{Type: "ITEM", Subtotal: m(price)},
				{Type: "TAX", Subtotal: m(tax), DetailedBreakdowns: []ItemProceedsDetailedBreakdown2026{{Subtype: "ITEM", Value: m(tax)}}},
			}}
			if discount > 0 {
				// A discount reduces the proceeds, so its subtotal is
				// negative and the total stays the sum of the breakdowns.
				p.Breakdowns = append(p.Breakdowns, ItemProceedsBreakdown2026{Type: "DISCOUNT", Subtotal: m(-discount),
					DetailedBreakdowns: []ItemProceedsDetailedBreakdown2026{{Subtype: "ITEM", Value: m(-discount)}}})
				oi.Promotion = &ItemPromotion2026{Breakdowns: []ItemPromotionBreakdown2026{{PromotionID: promotionID}}}
			}
			oi.Proceeds = p
			if v0.MarketplaceID == MarketplaceUS {
				oi.Tax = &ItemTax2026{TaxCollections: []ItemTaxCollection2026{{Model: "MARKETPLACE_FACILITATOR", ResponsibleParty: "Amazon Services, Inc."}}}
			}
		}
		fi := &ItemFulfillment2026{QuantityFulfilled: it.QuantityShipped}
		if status != "Canceled" {
			fi.QuantityUnfulfilled = it.QuantityOrdered - it.QuantityShipped
		}
		if it.IsGift {
			fi.Packing = &ItemPacking2026{GiftOption: &GiftOption2026{GiftWrapLevel: wrap}}
		}
		oi.Fulfillment = fi
		if status == "Canceled" {
			oi.Cancellation = d.cancellation2026(i, mfn, x)
		}
		o.OrderItems[k] = oi
	}

	// PROCEEDS exactly when v0 has an OrderTotal: grandTotal is v0's
	// OrderTotal plus the delivery tip, which v0 does not know.
	if v0.OrderTotal != nil {
		p := &OrderProceeds2026{Breakdowns: []OrderProceedsBreakdown2026{
			{Type: "ITEM", Subtotal: m(sumItem)},
			{Type: "TAX", Subtotal: m(sumTax)},
		}}
		if sumDiscount > 0 {
			p.Breakdowns = append(p.Breakdowns, OrderProceedsBreakdown2026{Type: "DISCOUNT", Subtotal: m(-sumDiscount)})
		}
		grand := parseCents(v0.OrderTotal.Amount)
		if tip := d.deliveryTip(i, status, x); tip > 0 {
			tipStatus := "PENDING"
			if status == "Shipped" {
				tipStatus = "FINALIZED"
			}
			p.Breakdowns = append(p.Breakdowns, OrderProceedsBreakdown2026{Type: "DELIVERY_TIP", Status: tipStatus, Subtotal: m(tip)})
			grand += tip
		}
		p.GrandTotal = mp(grand)
		o.Proceeds = p
	}

	if mfn {
		o.Packages = d.packages2026(i, n, items)
	}
	o.redact(accessOf(d.acct))
	return o
}

// deliveryTip is the tip of order i in its status: some US orders carry
// one from checkout; a Canceled order's tip is gone. It is not part of v0's
// OrderTotal, so grandTotal and OrderTotal differ by exactly the tip.
func (d *accountData) deliveryTip(i int, status string, x orderExtras2026) int64 {
	if d.orders.market[i] != MarketplaceUS || status == "Canceled" || status == "Pending" {
		return 0
	}
	return x.tipCents
}

// cancellation2026 is why the items of a Canceled order were cancelled: on
// most the buyer asked and the seller (or Amazon, for FBA) executed it;
// otherwise the seller cancelled, or Amazon did while payment was pending.
func (d *accountData) cancellation2026(i int, mfn bool, x orderExtras2026) *ItemCancellation2026 {
	executor := "MERCHANT"
	if !mfn {
		executor = "AMAZON"
	}
	switch {
	case x.buyerCancel:
		return &ItemCancellation2026{
			CancellationRequest:   &ItemCancellationRequest2026{Requester: "BUYER", CancelReason: x.buyerReason},
			CancellationExecution: &ItemCancellationExecution2026{CancelledBy: executor, CancelReason: "Buyer requested cancellation"},
		}
	case d.orders.canceledWhilePending(i):
		return &ItemCancellation2026{CancellationExecution: &ItemCancellationExecution2026{CancelledBy: "AMAZON", CancelReason: "Payment authorization failed"}}
	default:
		return &ItemCancellation2026{CancellationExecution: &ItemCancellationExecution2026{CancelledBy: executor, CancelReason: "Out of stock"}}
	}
}

// packages2026 are the packages of merchant-fulfilled order i after n
// events: one per shipping event (PartiallyShipped, Shipped), holding the
// items that event shipped, shipped at the event's time.
//
// A package's status stays SHIPPED: the dataset has no carrier scans for
// merchant-fulfilled orders, and moving a package to DELIVERED without an
// order event would change the 2026 order while its lastUpdatedTime, and
// v0's LastUpdateDate, stood still.
func (d *accountData) packages2026(i, n int, items []OrderItem) []Package2026 {
	times, kinds := d.orders.tl.events(i)
	wh := d.warehouse()
	var out []Package2026
	for k := 0; k < n; k++ {
		if kinds[k] != evPartiallyShipped && kinds[k] != evShipped {
			continue
		}
		p := len(out)
		r := newRand(d.base, "order-2026-package-"+strconv.Itoa(p), i)
		cs := carriers[d.orders.market[i]]
		if cs == nil {
			cs = carriers[MarketplaceUS]
		}
		c := cs[r.IntN(len(cs))]
		pkg := Package2026{
			PackageReferenceID: strconv.Itoa(100_000_000 + r.IntN(900_000_000)),
			ShipTime:           unix(times[k]),
			Carrier:            c.name,
			ShippingService:    c.service,
			TrackingNumber:     c.tracking(r),
			PackageStatus:      &PackageStatus2026{Status: "SHIPPED", DetailedStatus: "PICKED_UP"},
			ShipFromAddress: &MerchantAddress2026{
				Name: d.warehouseName(), AddressLine1: d.warehouseStreet(),
				City: wh.city, StateOrRegion: wh.state, PostalCode: wh.postal, CountryCode: "US",
			},
		}
		if chance(r, 0.4) {
			pkg.PackageStatus.DetailedStatus = "DROPPED_OFF"
		}
		// The label is bought before the hand-over, after the order left
		// Pending.
		pkg.CreatedTime = unix(max(times[k-1]+1, times[k]-between(r, 10*time.Minute, 3*time.Hour)))
		for j, it := range items {
			first := shippedFirst(j, len(items))
			if (p == 0 && kinds[k] == evPartiallyShipped && first) || (p == 1 && !first) || (p == 0 && kinds[k] == evShipped) {
				pkg.PackageItems = append(pkg.PackageItems, PackageItem2026{OrderItemID: it.OrderItemID, Quantity: it.QuantityOrdered})
			}
		}
		out = append(out, pkg)
	}
	return out
}

// warehouseName and warehouseStreet complete the account's warehouse
// (warehouse) for the 2026 packages, which show it in full.
func (d *accountData) warehouseName() string {
	r := d.quirkRand("WarehouseName", d.acct.ID)
	return titleWords[r.IntN(len(titleWords))] + " Goods Warehouse"
}

func (d *accountData) warehouseStreet() string {
	r := d.quirkRand("WarehouseStreet", d.acct.ID)
	return fmt.Sprintf("%d Industrial Parkway", 100+r.IntN(9000))
}

// redact removes the personal data the account's roles do not allow: the
// fields "Access Orders PII" lists, while the rest of buyer and recipient
// stays, as Amazon answers an application without the role
// (amzn/selling-partner-api-models#5300: an address without its PII).
func (o *Order2026) redact(a access2026) {
	if b := o.Buyer; b != nil {
		if !a.buyer {
			b.BuyerName = ""
		}
		if !a.buyer || !a.email {
			b.BuyerEmail = ""
		}
		if *b == (Buyer2026{}) {
			o.Buyer = nil
		}
	}
	if o.Recipient != nil && o.Recipient.DeliveryAddress != nil && !a.recipient {
		ad := o.Recipient.DeliveryAddress
		ad.Name, ad.AddressLine1, ad.AddressLine2, ad.AddressLine3, ad.PostalCode, ad.Phone = "", "", "", "", "", ""
	}
}
