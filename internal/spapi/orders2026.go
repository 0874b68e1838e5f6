package spapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Orders API 2026-01-01 replaces Orders v0, which Amazon removes on
// 2027-03-27. searchOrders lists orders with their items inline (no
// getOrderItems per order) and, by includedData, their proceeds,
// fulfillment, packages and buyer or recipient data; getOrder fetches one.
// Answers have no {"payload"} envelope. Field names are the model's
// (orders_2026-01-01.json); money is {amount, currencyCode}.

// IncludedData values: the datasets searchOrders and getOrder add to an order.
const (
	IncludedBuyer             = "BUYER"
	IncludedRecipient         = "RECIPIENT"
	IncludedProceeds          = "PROCEEDS"
	IncludedExpense           = "EXPENSE"
	IncludedPromotion         = "PROMOTION"
	IncludedCancellation      = "CANCELLATION"
	IncludedFulfillment       = "FULFILLMENT"
	IncludedPackages          = "PACKAGES"
	IncludedTax               = "TAX"
	IncludedPayment           = "PAYMENT"
	IncludedFulfillmentOrders = "FULFILLMENT_ORDERS"
)

// IncludedDataValues lists every includedData value, in the model's order.
var IncludedDataValues = []string{IncludedBuyer, IncludedRecipient, IncludedProceeds, IncludedExpense, IncludedPromotion,
	IncludedCancellation, IncludedFulfillment, IncludedPackages, IncludedTax, IncludedPayment, IncludedFulfillmentOrders}

// Order2026 is an Orders 2026-01-01 order. Datasets requested with
// includedData and not sent (a role the application lacks, a Pending order's
// proceeds) are nil, never empty values.
type Order2026 struct {
	OrderId           string                    `json:"orderId"`
	OrderAliases      []OrderAlias2026          `json:"orderAliases,omitempty"`
	CreatedTime       time.Time                 `json:"createdTime"`
	LastUpdatedTime   time.Time                 `json:"lastUpdatedTime"`
	Programs          []string                  `json:"programs,omitempty"`
	AssociatedOrders  []AssociatedOrder2026     `json:"associatedOrders,omitempty"`
	SalesChannel      SalesChannel2026          `json:"salesChannel"`
	Buyer             json.RawMessage           `json:"buyer,omitempty"`
	Recipient         *Recipient2026            `json:"recipient,omitempty"`
	Proceeds          *OrderProceeds2026        `json:"proceeds,omitempty"`
	Payment           json.RawMessage           `json:"payment,omitempty"`
	Tax               json.RawMessage           `json:"tax,omitempty"`
	Fulfillment       *OrderFulfillment2026     `json:"fulfillment,omitempty"`
	OrderItems        []OrderItem2026           `json:"orderItems"`
	Packages          []OrderPackage2026        `json:"packages,omitempty"`
	FulfillmentOrders []FulfillmentOrderRef2026 `json:"fulfillmentOrders,omitempty"`
	// Raw is the order exactly as Amazon sent it.
	Raw json.RawMessage `json:"-"`
	// Warnings are the fields that did not decode cleanly (see DecodeWarning).
	Warnings []DecodeWarning `json:"-"`
}

// UnmarshalJSON decodes the order tolerantly (see decode.go) and keeps its raw JSON.
func (o *Order2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, o) }

// missing: an order is stored under orderId and ordered by its times.
func (o *Order2026) missing() (string, []string) {
	var m []string
	if o.OrderId == "" {
		m = append(m, "orderId")
	}
	if o.CreatedTime.IsZero() {
		m = append(m, "createdTime")
	}
	if o.LastUpdatedTime.IsZero() {
		m = append(m, "lastUpdatedTime")
	}
	return o.OrderId, m
}

// RecordID returns orderId.
func (o Order2026) RecordID() string { return o.OrderId }

// DecodeWarnings returns Warnings.
func (o Order2026) DecodeWarnings() []DecodeWarning { return o.Warnings }

// HasProgram reports whether the order is in program (PRIME, AMAZON_BUSINESS, …).
func (o *Order2026) HasProgram(program string) bool {
	return slices.ContainsFunc(o.Programs, func(p string) bool { return strings.EqualFold(p, program) })
}

// Alias returns the order's alias of aliasType (SELLER_ORDER_ID), "" when none.
func (o *Order2026) Alias(aliasType string) string {
	for _, a := range o.OrderAliases {
		if strings.EqualFold(a.AliasType, aliasType) {
			return a.AliasId
		}
	}
	return ""
}

// OrderAlias2026 is another id of the order, such as the seller's own.
type OrderAlias2026 struct {
	AliasId   string `json:"aliasId"`
	AliasType string `json:"aliasType"`
}

// UnmarshalJSON decodes tolerantly.
func (x *OrderAlias2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// AssociatedOrder2026 links an order to another (REPLACEMENT_ORIGINAL_ID:
// the order a replacement replaces).
type AssociatedOrder2026 struct {
	OrderId         string `json:"orderId"`
	AssociationType string `json:"associationType"`
}

// UnmarshalJSON decodes tolerantly.
func (x *AssociatedOrder2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// SalesChannel2026 is where the order was placed.
type SalesChannel2026 struct {
	ChannelName     string `json:"channelName"`
	MarketplaceId   string `json:"marketplaceId,omitempty"`
	MarketplaceName string `json:"marketplaceName,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *SalesChannel2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// Recipient2026 is who receives the order. deliveryAddress holds PII
// (name, street lines, postal code, phone) next to city, state and country.
type Recipient2026 struct {
	DeliveryAddress    *CustomerAddress2026 `json:"deliveryAddress,omitempty"`
	DeliveryPreference json.RawMessage      `json:"deliveryPreference,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *Recipient2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// CustomerAddress2026 is a buyer's address.
type CustomerAddress2026 struct {
	Name             string          `json:"name,omitempty"`
	CompanyName      string          `json:"companyName,omitempty"`
	AddressLine1     string          `json:"addressLine1,omitempty"`
	AddressLine2     string          `json:"addressLine2,omitempty"`
	AddressLine3     string          `json:"addressLine3,omitempty"`
	City             string          `json:"city,omitempty"`
	DistrictOrCounty string          `json:"districtOrCounty,omitempty"`
	StateOrRegion    string          `json:"stateOrRegion,omitempty"`
	Municipality     string          `json:"municipality,omitempty"`
	PostalCode       string          `json:"postalCode,omitempty"`
	CountryCode      string          `json:"countryCode,omitempty"`
	Phone            string          `json:"phone,omitempty"`
	ExtendedFields   json.RawMessage `json:"extendedFields,omitempty"`
	AddressType      string          `json:"addressType,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *CustomerAddress2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// OrderProceeds2026 is what the seller receives for the order: grandTotal
// and its breakdowns by type (ITEM, SHIPPING, TAX, DELIVERY_TIP, …). It is
// not v0's OrderTotal (what the buyer paid): a delivery tip is proceeds.
type OrderProceeds2026 struct {
	GrandTotal *Money                       `json:"grandTotal,omitempty"`
	Breakdowns []OrderProceedsBreakdown2026 `json:"breakdowns,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *OrderProceeds2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// OrderProceedsBreakdown2026 is one part of an order's proceeds.
type OrderProceedsBreakdown2026 struct {
	Type     string `json:"type"`
	Status   string `json:"status,omitempty"`
	Subtotal *Money `json:"subtotal,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *OrderProceedsBreakdown2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// OrderFulfillment2026 is the order's fulfillment state; sent only with
// includedData FULFILLMENT.
type OrderFulfillment2026 struct {
	FulfillmentStatus       string          `json:"fulfillmentStatus" enum:"fulfillmentStatus2026"`
	FulfilledBy             string          `json:"fulfilledBy,omitempty" enum:"fulfilledBy"`
	FulfillmentServiceLevel string          `json:"fulfillmentServiceLevel,omitempty"`
	ShipByWindow            *DateTimeRange  `json:"shipByWindow,omitempty"`
	DeliverByWindow         *DateTimeRange  `json:"deliverByWindow,omitempty"`
	LabelPrintingWindow     json.RawMessage `json:"labelPrintingWindow,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *OrderFulfillment2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// DateTimeRange is a window of time.
type DateTimeRange struct {
	EarliestDateTime *time.Time `json:"earliestDateTime,omitempty"`
	LatestDateTime   *time.Time `json:"latestDateTime,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *DateTimeRange) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// OrderItem2026 is an item of an order.
type OrderItem2026 struct {
	OrderItemId          string               `json:"orderItemId"`
	QuantityOrdered      int                  `json:"quantityOrdered"`
	Measurement          json.RawMessage      `json:"measurement,omitempty"`
	AssociatedOrderItems json.RawMessage      `json:"associatedOrderItems,omitempty"`
	Programs             []string             `json:"programs,omitempty"`
	Product              ItemProduct2026      `json:"product"`
	Proceeds             *ItemProceeds2026    `json:"proceeds,omitempty"`
	Expense              json.RawMessage      `json:"expense,omitempty"`
	Promotion            *ItemPromotion2026   `json:"promotion,omitempty"`
	Cancellation         json.RawMessage      `json:"cancellation,omitempty"`
	Fulfillment          *ItemFulfillment2026 `json:"fulfillment,omitempty"`
	Tax                  json.RawMessage      `json:"tax,omitempty"`
	// Raw is the item exactly as Amazon sent it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly.
func (x *OrderItem2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// missing: an item is stored under its orderItemId.
func (x *OrderItem2026) missing() (string, []string) {
	if x.OrderItemId == "" {
		return "", []string{"orderItemId"}
	}
	return x.OrderItemId, nil
}

// HasProgram reports whether the item is in program (TRANSPARENCY, …).
func (x *OrderItem2026) HasProgram(program string) bool {
	return slices.ContainsFunc(x.Programs, func(p string) bool { return strings.EqualFold(p, program) })
}

// ItemProduct2026 is what was bought.
type ItemProduct2026 struct {
	ASIN          string             `json:"asin,omitempty"`
	Title         string             `json:"title,omitempty"`
	SellerSku     string             `json:"sellerSku,omitempty"`
	Condition     *ItemCondition2026 `json:"condition,omitempty"`
	Price         *ItemPrice2026     `json:"price,omitempty"`
	SerialNumbers []string           `json:"serialNumbers,omitempty"`
	Customization json.RawMessage    `json:"customization,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *ItemProduct2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// ItemCondition2026 is an item's condition (conditionType NEW, USED, …).
type ItemCondition2026 struct {
	ConditionType    string `json:"conditionType,omitempty"`
	ConditionSubtype string `json:"conditionSubtype,omitempty"`
	ConditionNote    string `json:"conditionNote,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *ItemCondition2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// ItemPrice2026 is the price of one unit.
type ItemPrice2026 struct {
	UnitPrice        *Money `json:"unitPrice,omitempty"`
	PriceDesignation string `json:"priceDesignation,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *ItemPrice2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// ItemProceeds2026 is what the seller receives for an item, by type (ITEM,
// SHIPPING, TAX, PROMOTION, …; amounts for all units).
type ItemProceeds2026 struct {
	ProceedsTotal *Money                      `json:"proceedsTotal,omitempty"`
	Breakdowns    []ItemProceedsBreakdown2026 `json:"breakdowns,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *ItemProceeds2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// Breakdown returns the subtotal of the breakdown of typ, nil when absent.
func (x *ItemProceeds2026) Breakdown(typ string) *Money {
	if x == nil {
		return nil
	}
	for _, b := range x.Breakdowns {
		if strings.EqualFold(b.Type, typ) {
			return b.Subtotal
		}
	}
	return nil
}

// ItemProceedsBreakdown2026 is one part of an item's proceeds; its
// detailedBreakdowns (e.g. the tax of a discount) stay raw.
type ItemProceedsBreakdown2026 struct {
	Type               string          `json:"type"`
	Subtotal           *Money          `json:"subtotal,omitempty"`
	DetailedBreakdowns json.RawMessage `json:"detailedBreakdowns,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *ItemProceedsBreakdown2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// ItemPromotion2026 lists the promotions applied to an item.
type ItemPromotion2026 struct {
	Breakdowns []struct {
		PromotionId string `json:"promotionId,omitempty"`
	} `json:"breakdowns,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *ItemPromotion2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// ItemFulfillment2026 is how much of an item is fulfilled.
type ItemFulfillment2026 struct {
	QuantityFulfilled   *int            `json:"quantityFulfilled,omitempty"`
	QuantityUnfulfilled *int            `json:"quantityUnfulfilled,omitempty"`
	Picking             json.RawMessage `json:"picking,omitempty"`
	Packing             json.RawMessage `json:"packing,omitempty"`
	Shipping            json.RawMessage `json:"shipping,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *ItemFulfillment2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// OrderPackage2026 is a package of a merchant-fulfilled order (includedData
// PACKAGES).
type OrderPackage2026 struct {
	PackageReferenceId string               `json:"packageReferenceId"`
	CreatedTime        *time.Time           `json:"createdTime,omitempty"`
	PackageStatus      *PackageStatus2026   `json:"packageStatus,omitempty"`
	Carrier            string               `json:"carrier,omitempty"`
	ShipTime           *time.Time           `json:"shipTime,omitempty"`
	ShippingService    string               `json:"shippingService,omitempty"`
	TrackingNumber     string               `json:"trackingNumber,omitempty"`
	ShipFromAddress    *MerchantAddress2026 `json:"shipFromAddress,omitempty"`
	PackageItems       []PackageItem2026    `json:"packageItems,omitempty"`
	// Raw is the package exactly as Amazon sent it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly.
func (x *OrderPackage2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// missing: a package is stored under its packageReferenceId.
func (x *OrderPackage2026) missing() (string, []string) {
	if x.PackageReferenceId == "" {
		return "", []string{"packageReferenceId"}
	}
	return x.PackageReferenceId, nil
}

// MerchantAddress2026 is the seller's address a package left from (not
// personal data).
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

// UnmarshalJSON decodes tolerantly.
func (x *MerchantAddress2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// PackageStatus2026 is a package's state.
type PackageStatus2026 struct {
	Status         string `json:"status" enum:"packageStatus2026"`
	DetailedStatus string `json:"detailedStatus,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *PackageStatus2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// PackageItem2026 is how many units of an item a package holds.
type PackageItem2026 struct {
	OrderItemId       string   `json:"orderItemId"`
	Quantity          int      `json:"quantity"`
	TransparencyCodes []string `json:"transparencyCodes,omitempty"`
}

// UnmarshalJSON decodes tolerantly.
func (x *PackageItem2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// FulfillmentOrderRef2026 is an EasyShip shipment of the order. Its id is an
// EasyShip shipment id, not a Multi-Channel Fulfillment sellerFulfillmentOrderId.
type FulfillmentOrderRef2026 struct {
	FulfillmentOrderId string `json:"fulfillmentOrderId"`
}

// UnmarshalJSON decodes tolerantly.
func (x *FulfillmentOrderRef2026) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// SearchOrdersRequest is the query of searchOrders. On the first page exactly
// one of CreatedAfter or LastUpdatedAfter is required. Amazon ties a
// paginationToken to the first page's parameters: the next page repeats
// them unchanged (only MaxResultsPerPage and IncludedData may change), so the
// pager resends the request with the token.
type SearchOrdersRequest struct {
	CreatedAfter        time.Time
	CreatedBefore       time.Time
	LastUpdatedAfter    time.Time
	LastUpdatedBefore   time.Time
	FulfillmentStatuses []string
	MarketplaceIDs      []string
	FulfilledBy         []string
	MaxResultsPerPage   int
	IncludedData        []string
	PaginationToken     string
}

// query validates the documented rules that can be checked locally and
// encodes the request.
func (r SearchOrdersRequest) query() (url.Values, error) {
	created := !r.CreatedAfter.IsZero() || !r.CreatedBefore.IsZero()
	updated := !r.LastUpdatedAfter.IsZero() || !r.LastUpdatedBefore.IsZero()
	switch {
	case r.CreatedAfter.IsZero() && r.LastUpdatedAfter.IsZero():
		return nil, invalidInput(OpSearchOrders, "one of createdAfter or lastUpdatedAfter is required")
	case created && updated:
		return nil, invalidInput(OpSearchOrders, "createdAfter/createdBefore cannot be combined with lastUpdatedAfter/lastUpdatedBefore")
	case !r.CreatedBefore.IsZero() && r.CreatedBefore.Before(r.CreatedAfter):
		return nil, invalidInput(OpSearchOrders, "createdBefore is before createdAfter")
	case !r.LastUpdatedBefore.IsZero() && r.LastUpdatedBefore.Before(r.LastUpdatedAfter):
		return nil, invalidInput(OpSearchOrders, "lastUpdatedBefore is before lastUpdatedAfter")
	case r.MaxResultsPerPage < 0 || r.MaxResultsPerPage > 100:
		return nil, invalidInput(OpSearchOrders, "maxResultsPerPage must be 1 to 100, got %d", r.MaxResultsPerPage)
	}
	for _, d := range r.IncludedData {
		if !slices.Contains(IncludedDataValues, d) {
			return nil, invalidInput(OpSearchOrders, "includedData %q is not one of %s", d, strings.Join(IncludedDataValues, ", "))
		}
	}
	q := url.Values{}
	setTime(q, "createdAfter", r.CreatedAfter)
	setTime(q, "createdBefore", r.CreatedBefore)
	setTime(q, "lastUpdatedAfter", r.LastUpdatedAfter)
	setTime(q, "lastUpdatedBefore", r.LastUpdatedBefore)
	setList(q, "fulfillmentStatuses", r.FulfillmentStatuses)
	setList(q, "marketplaceIds", r.MarketplaceIDs)
	setList(q, "fulfilledBy", r.FulfilledBy)
	if r.MaxResultsPerPage > 0 {
		q.Set("maxResultsPerPage", strconv.Itoa(r.MaxResultsPerPage))
	}
	setList(q, "includedData", r.IncludedData)
	setString(q, "paginationToken", r.PaginationToken)
	return q, nil
}

// SearchOrdersResult is one searchOrders page. LastUpdatedBefore /
// CreatedBefore report the end of the window Amazon used; a cursor advances
// to it.
type SearchOrdersResult struct {
	Orders     []Order2026 `json:"orders" spapi:"records"`
	Pagination *struct {
		NextToken string `json:"nextToken,omitempty"`
	} `json:"pagination,omitempty"`
	LastUpdatedBefore *time.Time `json:"lastUpdatedBefore,omitempty"`
	CreatedBefore     *time.Time `json:"createdBefore,omitempty"`
	// Quarantined are the page's orders that lack a key and were left out of Orders.
	Quarantined []Quarantined   `json:"-"`
	Warnings    []DecodeWarning `json:"-"`
	Meta        ResponseMeta    `json:"-"`
}

// NextToken is the paginationToken of the next page, "" on the last.
func (r *SearchOrdersResult) NextToken() string {
	if r.Pagination == nil {
		return ""
	}
	return r.Pagination.NextToken
}

// SearchOrders fetches one page of orders. Use SearchOrdersPager to walk
// every page.
func (c *Client) SearchOrders(ctx context.Context, req SearchOrdersRequest) (*SearchOrdersResult, error) {
	q, err := req.query()
	if err != nil {
		return nil, err
	}
	var res SearchOrdersResult
	meta, err := c.getBare(ctx, OpSearchOrders, "/orders/2026-01-01/orders", q, &res)
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	return &res, nil
}

// SearchOrdersPager returns a pager over every page of req, starting at
// req.PaginationToken when it is set.
func (c *Client) SearchOrdersPager(req SearchOrdersRequest) *Pager[*SearchOrdersResult] {
	return newPager(OpSearchOrders, req.PaginationToken, func(ctx context.Context, token string) (*SearchOrdersResult, string, error) {
		r := req
		r.PaginationToken = token
		res, err := c.SearchOrders(ctx, r)
		if err != nil {
			return nil, "", err
		}
		return res, res.NextToken(), nil
	})
}

// GetOrder2026Result is the answer of getOrder (2026-01-01).
type GetOrder2026Result struct {
	Order Order2026       `json:"order"`
	Meta  ResponseMeta    `json:"-"`
	Raw   json.RawMessage `json:"-"`
}

// missing: the answer is stored under its order's keys.
func (r *GetOrder2026Result) missing() (string, []string) { return r.Order.missing() }

// GetOrder2026 fetches one order with the datasets of includedData.
func (c *Client) GetOrder2026(ctx context.Context, orderID string, includedData []string) (*GetOrder2026Result, error) {
	if orderID == "" {
		return nil, invalidInput(OpGetOrder2026, "empty order id")
	}
	for _, d := range includedData {
		if !slices.Contains(IncludedDataValues, d) {
			return nil, invalidInput(OpGetOrder2026, "includedData %q is not one of %s", d, strings.Join(IncludedDataValues, ", "))
		}
	}
	q := url.Values{}
	setList(q, "includedData", includedData)
	var res GetOrder2026Result
	meta, err := c.getBare(ctx, OpGetOrder2026, "/orders/2026-01-01/orders/"+pathSegment(orderID), q, &res)
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	return &res, nil
}

// String names the request's window for errors and logs.
func (r SearchOrdersRequest) String() string {
	if !r.LastUpdatedAfter.IsZero() {
		return fmt.Sprintf("lastUpdatedAfter %s", r.LastUpdatedAfter.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("createdAfter %s..%s", r.CreatedAfter.UTC().Format(time.RFC3339), r.CreatedBefore.UTC().Format(time.RFC3339))
}
