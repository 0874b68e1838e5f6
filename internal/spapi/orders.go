package spapi

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"time"
)

// Order is an Orders v0 order. JSON names are Amazon's. Optional scalars are pointers (or
// empty strings) so that a pending order, which lacks totals and several fields, is stored
// with NULLs instead of invented zeros. Nested objects nobody filters on stay json.RawMessage.
type Order struct {
	AmazonOrderId                  string          `json:"AmazonOrderId"`
	SellerOrderId                  string          `json:"SellerOrderId,omitempty"`
	PurchaseDate                   time.Time       `json:"PurchaseDate"`
	LastUpdateDate                 time.Time       `json:"LastUpdateDate"`
	OrderStatus                    string          `json:"OrderStatus" enum:"OrderStatus"`
	FulfillmentChannel             string          `json:"FulfillmentChannel,omitempty" enum:"FulfillmentChannel"`
	SalesChannel                   string          `json:"SalesChannel,omitempty"`
	OrderChannel                   string          `json:"OrderChannel,omitempty"`
	ShipServiceLevel               string          `json:"ShipServiceLevel,omitempty"`
	OrderTotal                     *Money          `json:"OrderTotal,omitempty"`
	NumberOfItemsShipped           *int            `json:"NumberOfItemsShipped,omitempty"`
	NumberOfItemsUnshipped         *int            `json:"NumberOfItemsUnshipped,omitempty"`
	PaymentExecutionDetail         json.RawMessage `json:"PaymentExecutionDetail,omitempty"`
	PaymentMethod                  string          `json:"PaymentMethod,omitempty" enum:"PaymentMethod"`
	PaymentMethodDetails           []string        `json:"PaymentMethodDetails,omitempty"`
	MarketplaceId                  string          `json:"MarketplaceId,omitempty"`
	ShipmentServiceLevelCategory   string          `json:"ShipmentServiceLevelCategory,omitempty"`
	EasyShipShipmentStatus         string          `json:"EasyShipShipmentStatus,omitempty" enum:"EasyShipShipmentStatus"`
	CbaDisplayableShippingLabel    string          `json:"CbaDisplayableShippingLabel,omitempty"`
	OrderType                      string          `json:"OrderType,omitempty" enum:"OrderType"`
	EarliestShipDate               *time.Time      `json:"EarliestShipDate,omitempty"`
	LatestShipDate                 *time.Time      `json:"LatestShipDate,omitempty"`
	EarliestDeliveryDate           *time.Time      `json:"EarliestDeliveryDate,omitempty"`
	LatestDeliveryDate             *time.Time      `json:"LatestDeliveryDate,omitempty"`
	IsBusinessOrder                *bool           `json:"IsBusinessOrder,omitempty"`
	IsPrime                        *bool           `json:"IsPrime,omitempty"`
	IsPremiumOrder                 *bool           `json:"IsPremiumOrder,omitempty"`
	IsGlobalExpressEnabled         *bool           `json:"IsGlobalExpressEnabled,omitempty"`
	ReplacedOrderId                string          `json:"ReplacedOrderId,omitempty"`
	IsReplacementOrder             *bool           `json:"IsReplacementOrder,omitempty"`
	PromiseResponseDueDate         *time.Time      `json:"PromiseResponseDueDate,omitempty"`
	IsEstimatedShipDateSet         *bool           `json:"IsEstimatedShipDateSet,omitempty"`
	IsSoldByAB                     *bool           `json:"IsSoldByAB,omitempty"`
	IsIBA                          *bool           `json:"IsIBA,omitempty"`
	DefaultShipFromLocationAddress *OrderAddress   `json:"DefaultShipFromLocationAddress,omitempty"`
	BuyerInvoicePreference         string          `json:"BuyerInvoicePreference,omitempty" enum:"BuyerInvoicePreference"`
	BuyerTaxInformation            json.RawMessage `json:"BuyerTaxInformation,omitempty"`
	FulfillmentInstruction         json.RawMessage `json:"FulfillmentInstruction,omitempty"`
	IsISPU                         *bool           `json:"IsISPU,omitempty"`
	IsAccessPointOrder             *bool           `json:"IsAccessPointOrder,omitempty"`
	MarketplaceTaxInfo             json.RawMessage `json:"MarketplaceTaxInfo,omitempty"`
	SellerDisplayName              string          `json:"SellerDisplayName,omitempty"`
	ShippingAddress                *OrderAddress   `json:"ShippingAddress,omitempty"`
	BuyerInfo                      json.RawMessage `json:"BuyerInfo,omitempty"`
	AutomatedShippingSettings      json.RawMessage `json:"AutomatedShippingSettings,omitempty"`
	HasRegulatedItems              *bool           `json:"HasRegulatedItems,omitempty"`
	ElectronicInvoiceStatus        string          `json:"ElectronicInvoiceStatus,omitempty" enum:"ElectronicInvoiceStatus"`
	// Raw is the order exactly as Amazon sent it, for the raw jsonb column.
	Raw json.RawMessage `json:"-"`
	// Warnings are the fields that did not decode cleanly (see DecodeWarning).
	Warnings []DecodeWarning `json:"-"`
}

// UnmarshalJSON decodes the order tolerantly (see decode.go) and keeps its raw JSON.
func (o *Order) UnmarshalJSON(b []byte) error { return decodeRecord(b, o) }

// missing: an order is stored under AmazonOrderId and ordered by its dates, which the
// model requires.
func (o *Order) missing() (string, []string) {
	var m []string
	if o.AmazonOrderId == "" {
		m = append(m, "AmazonOrderId")
	}
	if o.PurchaseDate.IsZero() {
		m = append(m, "PurchaseDate")
	}
	if o.LastUpdateDate.IsZero() {
		m = append(m, "LastUpdateDate")
	}
	return o.AmazonOrderId, m
}

// OrderAddress is an Orders v0 Address. Without a Restricted Data Token Amazon fills only
// city, state, postal code and country of a shipping address.
type OrderAddress struct {
	Name           string          `json:"Name,omitempty"`
	CompanyName    string          `json:"CompanyName,omitempty"`
	AddressLine1   string          `json:"AddressLine1,omitempty"`
	AddressLine2   string          `json:"AddressLine2,omitempty"`
	AddressLine3   string          `json:"AddressLine3,omitempty"`
	City           string          `json:"City,omitempty"`
	County         string          `json:"County,omitempty"`
	District       string          `json:"District,omitempty"`
	StateOrRegion  string          `json:"StateOrRegion,omitempty"`
	Municipality   string          `json:"Municipality,omitempty"`
	PostalCode     string          `json:"PostalCode,omitempty"`
	CountryCode    string          `json:"CountryCode,omitempty"`
	Phone          string          `json:"Phone,omitempty"`
	ExtendedFields json.RawMessage `json:"ExtendedFields,omitempty"`
	AddressType    string          `json:"AddressType,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *OrderAddress) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// OrderItem is an Orders v0 order item. Money and quantities are typed because BI sums
// them; the rest of the nested objects stay raw.
type OrderItem struct {
	ASIN                       string          `json:"ASIN"`
	SellerSKU                  string          `json:"SellerSKU,omitempty"`
	OrderItemId                string          `json:"OrderItemId"`
	AssociatedItems            json.RawMessage `json:"AssociatedItems,omitempty"`
	Title                      string          `json:"Title,omitempty"`
	QuantityOrdered            int             `json:"QuantityOrdered"`
	QuantityShipped            *int            `json:"QuantityShipped,omitempty"`
	ProductInfo                json.RawMessage `json:"ProductInfo,omitempty"`
	PointsGranted              json.RawMessage `json:"PointsGranted,omitempty"`
	ItemPrice                  *Money          `json:"ItemPrice,omitempty"`
	ShippingPrice              *Money          `json:"ShippingPrice,omitempty"`
	ItemTax                    *Money          `json:"ItemTax,omitempty"`
	ShippingTax                *Money          `json:"ShippingTax,omitempty"`
	ShippingDiscount           *Money          `json:"ShippingDiscount,omitempty"`
	ShippingDiscountTax        *Money          `json:"ShippingDiscountTax,omitempty"`
	PromotionDiscount          *Money          `json:"PromotionDiscount,omitempty"`
	PromotionDiscountTax       *Money          `json:"PromotionDiscountTax,omitempty"`
	PromotionIds               []string        `json:"PromotionIds,omitempty"`
	CODFee                     *Money          `json:"CODFee,omitempty"`
	CODFeeDiscount             *Money          `json:"CODFeeDiscount,omitempty"`
	IsGift                     *bool           `json:"IsGift,omitempty"`
	ConditionNote              string          `json:"ConditionNote,omitempty"`
	ConditionId                string          `json:"ConditionId,omitempty"`
	ConditionSubtypeId         string          `json:"ConditionSubtypeId,omitempty"`
	ScheduledDeliveryStartDate string          `json:"ScheduledDeliveryStartDate,omitempty"`
	ScheduledDeliveryEndDate   string          `json:"ScheduledDeliveryEndDate,omitempty"`
	PriceDesignation           string          `json:"PriceDesignation,omitempty"`
	TaxCollection              json.RawMessage `json:"TaxCollection,omitempty"`
	SerialNumberRequired       *bool           `json:"SerialNumberRequired,omitempty"`
	IsTransparency             *bool           `json:"IsTransparency,omitempty"`
	IossNumber                 string          `json:"IossNumber,omitempty"`
	StoreChainStoreId          string          `json:"StoreChainStoreId,omitempty"`
	DeemedResellerCategory     string          `json:"DeemedResellerCategory,omitempty" enum:"DeemedResellerCategory"`
	BuyerInfo                  json.RawMessage `json:"BuyerInfo,omitempty"`
	BuyerRequestedCancel       json.RawMessage `json:"BuyerRequestedCancel,omitempty"`
	SerialNumbers              []string        `json:"SerialNumbers,omitempty"`
	SubstitutionPreferences    json.RawMessage `json:"SubstitutionPreferences,omitempty"`
	Measurement                json.RawMessage `json:"Measurement,omitempty"`
	ShippingConstraints        json.RawMessage `json:"ShippingConstraints,omitempty"`
	AmazonPrograms             json.RawMessage `json:"AmazonPrograms,omitempty"`
	// Raw is the item exactly as Amazon sent it, for the raw jsonb column.
	Raw json.RawMessage `json:"-"`
	// Warnings are the fields that did not decode cleanly (see DecodeWarning).
	Warnings []DecodeWarning `json:"-"`
}

// UnmarshalJSON decodes the item tolerantly (see decode.go) and keeps its raw JSON.
func (it *OrderItem) UnmarshalJSON(b []byte) error { return decodeRecord(b, it) }

// missing: an item is stored under its OrderItemId.
func (it *OrderItem) missing() (string, []string) {
	if it.OrderItemId == "" {
		return "", []string{"OrderItemId"}
	}
	return it.OrderItemId, nil
}

// GetOrdersRequest is the query of getOrders. Zero values are left out. On the first page
// MarketplaceIDs and exactly one of CreatedAfter or LastUpdatedAfter are required; with
// NextToken set only MarketplaceIDs and the token are sent, because Amazon implies the other
// filters from the token.
type GetOrdersRequest struct {
	MarketplaceIDs                  []string
	CreatedAfter                    time.Time
	CreatedBefore                   time.Time
	LastUpdatedAfter                time.Time
	LastUpdatedBefore               time.Time
	OrderStatuses                   []string
	FulfillmentChannels             []string
	PaymentMethods                  []string
	BuyerEmail                      string
	SellerOrderID                   string
	MaxResultsPerPage               int
	EasyShipShipmentStatuses        []string
	ElectronicInvoiceStatuses       []string
	AmazonOrderIDs                  []string
	ActualFulfillmentSupplySourceID string
	IsISPU                          *bool
	StoreChainStoreID               string
	EarliestDeliveryDateBefore      time.Time
	EarliestDeliveryDateAfter       time.Time
	LatestDeliveryDateBefore        time.Time
	LatestDeliveryDateAfter         time.Time
	NextToken                       string
}

// query validates the documented rules that can be checked locally, so a bad request costs
// no rate budget, and encodes the rest.
func (r GetOrdersRequest) query() (url.Values, error) {
	q := url.Values{}
	if len(r.MarketplaceIDs) == 0 || len(r.MarketplaceIDs) > 50 {
		return nil, invalidInput(OpGetOrders, "MarketplaceIds needs 1 to 50 ids, got %d", len(r.MarketplaceIDs))
	}
	setList(q, "MarketplaceIds", r.MarketplaceIDs)
	if r.NextToken != "" {
		q.Set("NextToken", r.NextToken)
		return q, nil
	}
	created := !r.CreatedAfter.IsZero() || !r.CreatedBefore.IsZero()
	switch {
	case r.CreatedAfter.IsZero() && r.LastUpdatedAfter.IsZero():
		return nil, invalidInput(OpGetOrders, "one of CreatedAfter or LastUpdatedAfter is required")
	case created && !r.LastUpdatedAfter.IsZero():
		return nil, invalidInput(OpGetOrders, "CreatedAfter/CreatedBefore cannot be combined with LastUpdatedAfter")
	case !r.LastUpdatedBefore.IsZero() && r.LastUpdatedBefore.Before(r.LastUpdatedAfter):
		return nil, invalidInput(OpGetOrders, "LastUpdatedBefore is before LastUpdatedAfter")
	case !r.CreatedBefore.IsZero() && r.CreatedBefore.Before(r.CreatedAfter):
		return nil, invalidInput(OpGetOrders, "CreatedBefore is before CreatedAfter")
	case r.MaxResultsPerPage < 0 || r.MaxResultsPerPage > 100:
		return nil, invalidInput(OpGetOrders, "MaxResultsPerPage must be 1 to 100, got %d", r.MaxResultsPerPage)
	}
	setTime(q, "CreatedAfter", r.CreatedAfter)
	setTime(q, "CreatedBefore", r.CreatedBefore)
	setTime(q, "LastUpdatedAfter", r.LastUpdatedAfter)
	setTime(q, "LastUpdatedBefore", r.LastUpdatedBefore)
	setList(q, "OrderStatuses", r.OrderStatuses)
	setList(q, "FulfillmentChannels", r.FulfillmentChannels)
	setList(q, "PaymentMethods", r.PaymentMethods)
	setString(q, "BuyerEmail", r.BuyerEmail)
	setString(q, "SellerOrderId", r.SellerOrderID)
	if r.MaxResultsPerPage > 0 {
		q.Set("MaxResultsPerPage", strconv.Itoa(r.MaxResultsPerPage))
	}
	setList(q, "EasyShipShipmentStatuses", r.EasyShipShipmentStatuses)
	setList(q, "ElectronicInvoiceStatuses", r.ElectronicInvoiceStatuses)
	setList(q, "AmazonOrderIds", r.AmazonOrderIDs)
	setString(q, "ActualFulfillmentSupplySourceId", r.ActualFulfillmentSupplySourceID)
	if r.IsISPU != nil {
		q.Set("IsISPU", strconv.FormatBool(*r.IsISPU))
	}
	setString(q, "StoreChainStoreId", r.StoreChainStoreID)
	setTime(q, "EarliestDeliveryDateBefore", r.EarliestDeliveryDateBefore)
	setTime(q, "EarliestDeliveryDateAfter", r.EarliestDeliveryDateAfter)
	setTime(q, "LatestDeliveryDateBefore", r.LatestDeliveryDateBefore)
	setTime(q, "LatestDeliveryDateAfter", r.LatestDeliveryDateAfter)
	return q, nil
}

// GetOrdersResult is one getOrders page. LastUpdatedBefore / CreatedBefore report the end of
// the window Amazon actually used; a cursor advances to it, not to the local clock.
type GetOrdersResult struct {
	Orders            []Order    `json:"Orders" spapi:"records"`
	NextToken         string     `json:"NextToken,omitempty"`
	LastUpdatedBefore *time.Time `json:"LastUpdatedBefore,omitempty"`
	CreatedBefore     *time.Time `json:"CreatedBefore,omitempty"`
	// Quarantined are the page's orders that lack a key and were left out of Orders.
	Quarantined []Quarantined `json:"-"`
	// Warnings are page fields (not orders' fields) that did not decode cleanly.
	Warnings []DecodeWarning `json:"-"`
	Meta     ResponseMeta    `json:"-"`
}

// GetOrders fetches one page of orders. Use GetOrdersPager to walk every page.
func (c *Client) GetOrders(ctx context.Context, req GetOrdersRequest) (*GetOrdersResult, error) {
	q, err := req.query()
	if err != nil {
		return nil, err
	}
	var res GetOrdersResult
	meta, err := c.get(ctx, OpGetOrders, "/orders/v0/orders", q, &res)
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	return &res, nil
}

// GetOrdersPager returns a pager over every page of req, starting at req.NextToken when it
// is set (to resume a walk).
func (c *Client) GetOrdersPager(req GetOrdersRequest) *Pager[*GetOrdersResult] {
	return newPager(OpGetOrders, req.NextToken, func(ctx context.Context, token string) (*GetOrdersResult, string, error) {
		r := req
		r.NextToken = token
		res, err := c.GetOrders(ctx, r)
		if err != nil {
			return nil, "", err
		}
		return res, res.NextToken, nil
	})
}

// GetOrderResult is the answer of getOrder.
type GetOrderResult struct {
	Order Order
	Meta  ResponseMeta
}

// GetOrder fetches one order by its 3-7-7 Amazon order id.
func (c *Client) GetOrder(ctx context.Context, amazonOrderID string) (*GetOrderResult, error) {
	if amazonOrderID == "" {
		return nil, invalidInput(OpGetOrder, "empty order id")
	}
	var res GetOrderResult
	meta, err := c.get(ctx, OpGetOrder, "/orders/v0/orders/"+pathSegment(amazonOrderID), nil, &res.Order)
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	return &res, nil
}

// GetOrderItemsRequest names the order whose items to fetch and, after the first page, the
// NextToken of the previous one.
type GetOrderItemsRequest struct {
	AmazonOrderID string
	NextToken     string
}

// GetOrderItemsResult is one getOrderItems page.
type GetOrderItemsResult struct {
	OrderItems    []OrderItem `json:"OrderItems" spapi:"records"`
	NextToken     string      `json:"NextToken,omitempty"`
	AmazonOrderId string      `json:"AmazonOrderId"`
	// Quarantined are the page's items that lack a key and were left out of OrderItems.
	Quarantined []Quarantined   `json:"-"`
	Warnings    []DecodeWarning `json:"-"`
	Meta        ResponseMeta    `json:"-"`
}

// GetOrderItems fetches one page of an order's items. Use GetOrderItemsPager to walk every
// page.
func (c *Client) GetOrderItems(ctx context.Context, req GetOrderItemsRequest) (*GetOrderItemsResult, error) {
	if req.AmazonOrderID == "" {
		return nil, invalidInput(OpGetOrderItems, "empty order id")
	}
	q := url.Values{}
	setString(q, "NextToken", req.NextToken)
	var res GetOrderItemsResult
	meta, err := c.get(ctx, OpGetOrderItems, "/orders/v0/orders/"+pathSegment(req.AmazonOrderID)+"/orderItems", q, &res)
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	return &res, nil
}

// GetOrderItemsPager returns a pager over every page of an order's items, starting at
// req.NextToken when it is set.
func (c *Client) GetOrderItemsPager(req GetOrderItemsRequest) *Pager[*GetOrderItemsResult] {
	return newPager(OpGetOrderItems, req.NextToken, func(ctx context.Context, token string) (*GetOrderItemsResult, string, error) {
		r := req
		r.NextToken = token
		res, err := c.GetOrderItems(ctx, r)
		if err != nil {
			return nil, "", err
		}
		return res, res.NextToken, nil
	})
}
