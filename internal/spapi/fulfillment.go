package spapi

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// FulfillmentOrder is the header of a Multi-Channel Fulfillment order (Fulfillment Outbound
// 2020-07-01), as listAllFulfillmentOrders lists it and getFulfillmentOrder details it.
type FulfillmentOrder struct {
	SellerFulfillmentOrderId string              `json:"sellerFulfillmentOrderId"`
	MarketplaceId            string              `json:"marketplaceId"`
	DisplayableOrderId       string              `json:"displayableOrderId"`
	DisplayableOrderDate     time.Time           `json:"displayableOrderDate"`
	DisplayableOrderComment  string              `json:"displayableOrderComment"`
	ShippingSpeedCategory    string              `json:"shippingSpeedCategory" enum:"shippingSpeedCategory"`
	DeliveryWindow           json.RawMessage     `json:"deliveryWindow,omitempty"`
	DestinationAddress       *FulfillmentAddress `json:"destinationAddress,omitempty"`
	FulfillmentAction        string              `json:"fulfillmentAction,omitempty" enum:"fulfillmentAction"`
	FulfillmentPolicy        string              `json:"fulfillmentPolicy,omitempty" enum:"fulfillmentPolicy"`
	CodSettings              json.RawMessage     `json:"codSettings,omitempty"`
	ReceivedDate             time.Time           `json:"receivedDate"`
	FulfillmentOrderStatus   string              `json:"fulfillmentOrderStatus" enum:"fulfillmentOrderStatus"`
	StatusUpdatedDate        time.Time           `json:"statusUpdatedDate"`
	NotificationEmails       []string            `json:"notificationEmails,omitempty"`
	FeatureConstraints       json.RawMessage     `json:"featureConstraints,omitempty"`
	// Raw is the order header exactly as Amazon sent it, for the raw jsonb column.
	Raw json.RawMessage `json:"-"`
	// Warnings are the fields that did not decode cleanly (see DecodeWarning).
	Warnings []DecodeWarning `json:"-"`
}

// UnmarshalJSON decodes the header tolerantly (see decode.go) and keeps its raw JSON.
func (o *FulfillmentOrder) UnmarshalJSON(b []byte) error { return decodeRecord(b, o) }

// missing: a header is stored under sellerFulfillmentOrderId and ordered by the status
// dates the model requires.
func (o *FulfillmentOrder) missing() (string, []string) {
	var m []string
	if o.SellerFulfillmentOrderId == "" {
		m = append(m, "sellerFulfillmentOrderId")
	}
	if o.ReceivedDate.IsZero() {
		m = append(m, "receivedDate")
	}
	if o.StatusUpdatedDate.IsZero() {
		m = append(m, "statusUpdatedDate")
	}
	return o.SellerFulfillmentOrderId, m
}

// FulfillmentAddress is a Fulfillment Outbound address (destination or return-to).
type FulfillmentAddress struct {
	Name             string `json:"name,omitempty"`
	AddressLine1     string `json:"addressLine1,omitempty"`
	AddressLine2     string `json:"addressLine2,omitempty"`
	AddressLine3     string `json:"addressLine3,omitempty"`
	City             string `json:"city,omitempty"`
	DistrictOrCounty string `json:"districtOrCounty,omitempty"`
	StateOrRegion    string `json:"stateOrRegion,omitempty"`
	PostalCode       string `json:"postalCode,omitempty"`
	CountryCode      string `json:"countryCode,omitempty"`
	Phone            string `json:"phone,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *FulfillmentAddress) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// FulfillmentOrderItem is one line of a fulfillment order.
type FulfillmentOrderItem struct {
	SellerSku                    string          `json:"sellerSku"`
	SellerFulfillmentOrderItemId string          `json:"sellerFulfillmentOrderItemId"`
	Quantity                     int             `json:"quantity"`
	GiftMessage                  string          `json:"giftMessage,omitempty"`
	DisplayableComment           string          `json:"displayableComment,omitempty"`
	FulfillmentNetworkSku        string          `json:"fulfillmentNetworkSku,omitempty"`
	OrderItemDisposition         string          `json:"orderItemDisposition,omitempty"`
	CancelledQuantity            int             `json:"cancelledQuantity"`
	UnfulfillableQuantity        int             `json:"unfulfillableQuantity"`
	EstimatedShipDate            *time.Time      `json:"estimatedShipDate,omitempty"`
	EstimatedArrivalDate         *time.Time      `json:"estimatedArrivalDate,omitempty"`
	PerUnitPrice                 *Money          `json:"perUnitPrice,omitempty"`
	PerUnitTax                   *Money          `json:"perUnitTax,omitempty"`
	PerUnitDeclaredValue         *Money          `json:"perUnitDeclaredValue,omitempty"`
	Raw                          json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the item tolerantly and keeps its raw JSON.
func (it *FulfillmentOrderItem) UnmarshalJSON(b []byte) error { return decodeRecord(b, it) }

func (it *FulfillmentOrderItem) missing() (string, []string) {
	if it.SellerFulfillmentOrderItemId == "" {
		return "", []string{"sellerFulfillmentOrderItemId"}
	}
	return it.SellerFulfillmentOrderItemId, nil
}

// FulfillmentShipment is one shipment of a fulfillment order with its items and packages.
type FulfillmentShipment struct {
	AmazonShipmentId           string                       `json:"amazonShipmentId"`
	FulfillmentCenterId        string                       `json:"fulfillmentCenterId"`
	FulfillmentShipmentStatus  string                       `json:"fulfillmentShipmentStatus" enum:"fulfillmentShipmentStatus"`
	ShippingDate               *time.Time                   `json:"shippingDate,omitempty"`
	EstimatedArrivalDate       *time.Time                   `json:"estimatedArrivalDate,omitempty"`
	ShippingNotes              []string                     `json:"shippingNotes,omitempty"`
	FulfillmentShipmentItem    []FulfillmentShipmentItem    `json:"fulfillmentShipmentItem,omitempty"`
	FulfillmentShipmentPackage []FulfillmentShipmentPackage `json:"fulfillmentShipmentPackage,omitempty"`
	Raw                        json.RawMessage              `json:"-"`
}

// UnmarshalJSON decodes the shipment tolerantly and keeps its raw JSON.
func (s *FulfillmentShipment) UnmarshalJSON(b []byte) error { return decodeRecord(b, s) }

func (s *FulfillmentShipment) missing() (string, []string) {
	if s.AmazonShipmentId == "" {
		return "", []string{"amazonShipmentId"}
	}
	return s.AmazonShipmentId, nil
}

// FulfillmentShipmentItem is an item in a shipment, linked to its package by PackageNumber.
type FulfillmentShipmentItem struct {
	SellerSku                    string   `json:"sellerSku"`
	SellerFulfillmentOrderItemId string   `json:"sellerFulfillmentOrderItemId"`
	Quantity                     int      `json:"quantity"`
	PackageNumber                *int     `json:"packageNumber,omitempty"`
	SerialNumber                 string   `json:"serialNumber,omitempty"`
	ManufacturerLotCodes         []string `json:"manufacturerLotCodes,omitempty"`
	// Raw is the line exactly as Amazon sent it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *FulfillmentShipmentItem) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// normalize: Amazon sends packageNumber 0 for an item not packed yet
// (getFulfillmentOrder/1-200.json); no package has number 0, so it means none.
func (it *FulfillmentShipmentItem) normalize() {
	if it.PackageNumber != nil && *it.PackageNumber == 0 {
		it.PackageNumber = nil
	}
}

// FulfillmentShipmentPackage is a package of a shipment; its PackageNumber is the key of
// getPackageTrackingDetails.
type FulfillmentShipmentPackage struct {
	PackageNumber        int             `json:"packageNumber"`
	CarrierCode          string          `json:"carrierCode"`
	TrackingNumber       string          `json:"trackingNumber,omitempty"`
	EstimatedArrivalDate *time.Time      `json:"estimatedArrivalDate,omitempty"`
	LockerDetails        json.RawMessage `json:"lockerDetails,omitempty"`
	DeliveryInformation  json.RawMessage `json:"deliveryInformation,omitempty"`
	Raw                  json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the package tolerantly and keeps its raw JSON.
func (pk *FulfillmentShipmentPackage) UnmarshalJSON(b []byte) error { return decodeRecord(b, pk) }

// missing: a package is stored, and tracked, under its number; 0 is Amazon's placeholder
// for "not packed yet", not a package.
func (pk *FulfillmentShipmentPackage) missing() (string, []string) {
	if pk.PackageNumber <= 0 {
		return "", []string{"packageNumber"}
	}
	return strconv.Itoa(pk.PackageNumber), nil
}

// ReturnItem is an item Amazon accepted for return.
type ReturnItem struct {
	SellerReturnItemId           string          `json:"sellerReturnItemId"`
	SellerFulfillmentOrderItemId string          `json:"sellerFulfillmentOrderItemId"`
	AmazonShipmentId             string          `json:"amazonShipmentId"`
	SellerReturnReasonCode       string          `json:"sellerReturnReasonCode,omitempty"`
	ReturnComment                string          `json:"returnComment,omitempty"`
	AmazonReturnReasonCode       string          `json:"amazonReturnReasonCode,omitempty"`
	Status                       string          `json:"status" enum:"returnItemStatus"`
	StatusChangedDate            *time.Time      `json:"statusChangedDate,omitempty"`
	ReturnAuthorizationId        string          `json:"returnAuthorizationId,omitempty"`
	ReturnReceivedCondition      string          `json:"returnReceivedCondition,omitempty" enum:"returnReceivedCondition"`
	FulfillmentCenterId          string          `json:"fulfillmentCenterId,omitempty"`
	Raw                          json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the return item tolerantly and keeps its raw JSON.
func (r *ReturnItem) UnmarshalJSON(b []byte) error { return decodeRecord(b, r) }

func (r *ReturnItem) missing() (string, []string) {
	if r.SellerReturnItemId == "" {
		return "", []string{"sellerReturnItemId"}
	}
	return r.SellerReturnItemId, nil
}

// ReturnAuthorization is a return merchandise authorization of a fulfillment order.
type ReturnAuthorization struct {
	ReturnAuthorizationId string              `json:"returnAuthorizationId"`
	FulfillmentCenterId   string              `json:"fulfillmentCenterId,omitempty"`
	ReturnToAddress       *FulfillmentAddress `json:"returnToAddress,omitempty"`
	AmazonRmaId           string              `json:"amazonRmaId,omitempty"`
	RmaPageURL            string              `json:"rmaPageURL,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *ReturnAuthorization) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// PaymentInformation is a payment attribute of a fulfillment order. PaymentDate stays a
// string because the model types it as a plain string.
type PaymentInformation struct {
	PaymentTransactionId string `json:"paymentTransactionId"`
	PaymentMode          string `json:"paymentMode"`
	PaymentDate          string `json:"paymentDate,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *PaymentInformation) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// ListAllFulfillmentOrdersRequest is the query of listAllFulfillmentOrders. QueryStartDate
// selects orders whose status changed after it; zero means Amazon's default window. With
// NextToken set only the token is sent.
type ListAllFulfillmentOrdersRequest struct {
	QueryStartDate time.Time
	NextToken      string
}

// ListAllFulfillmentOrdersResult is one listAllFulfillmentOrders page of order headers.
type ListAllFulfillmentOrdersResult struct {
	NextToken         string             `json:"nextToken,omitempty"`
	FulfillmentOrders []FulfillmentOrder `json:"fulfillmentOrders" spapi:"records"`
	// Quarantined are the page's headers that lack a key and were left out.
	Quarantined []Quarantined   `json:"-"`
	Warnings    []DecodeWarning `json:"-"`
	Meta        ResponseMeta    `json:"-"`
}

// ListAllFulfillmentOrders fetches one page of fulfillment order headers. Use
// ListAllFulfillmentOrdersPager to walk every page.
func (c *Client) ListAllFulfillmentOrders(ctx context.Context, req ListAllFulfillmentOrdersRequest) (*ListAllFulfillmentOrdersResult, error) {
	q := url.Values{}
	if req.NextToken != "" {
		q.Set("nextToken", req.NextToken)
	} else {
		setTime(q, "queryStartDate", req.QueryStartDate)
	}
	var res ListAllFulfillmentOrdersResult
	meta, err := c.get(ctx, OpListAllFulfillmentOrders, "/fba/outbound/2020-07-01/fulfillmentOrders", q, &res)
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	return &res, nil
}

// ListAllFulfillmentOrdersPager returns a pager over every page of req, starting at
// req.NextToken when it is set.
func (c *Client) ListAllFulfillmentOrdersPager(req ListAllFulfillmentOrdersRequest) *Pager[*ListAllFulfillmentOrdersResult] {
	return newPager(OpListAllFulfillmentOrders, req.NextToken, func(ctx context.Context, token string) (*ListAllFulfillmentOrdersResult, string, error) {
		r := req
		r.NextToken = token
		res, err := c.ListAllFulfillmentOrders(ctx, r)
		if err != nil {
			return nil, "", err
		}
		return res, res.NextToken, nil
	})
}

// GetFulfillmentOrderResult is the whole fulfillment order: header, items, shipments with
// their items and packages, returns and payment information.
type GetFulfillmentOrderResult struct {
	FulfillmentOrder      FulfillmentOrder       `json:"fulfillmentOrder"`
	FulfillmentOrderItems []FulfillmentOrderItem `json:"fulfillmentOrderItems"`
	FulfillmentShipments  []FulfillmentShipment  `json:"fulfillmentShipments,omitempty"`
	ReturnItems           []ReturnItem           `json:"returnItems"`
	ReturnAuthorizations  []ReturnAuthorization  `json:"returnAuthorizations"`
	PaymentInformation    []PaymentInformation   `json:"paymentInformation,omitempty"`
	// Raw is the whole payload exactly as Amazon sent it.
	Raw json.RawMessage `json:"-"`
	// Warnings are the fields of the whole payload, children included, that did not decode
	// cleanly (see DecodeWarning).
	Warnings []DecodeWarning `json:"-"`
	Meta     ResponseMeta    `json:"-"`
}

// UnmarshalJSON decodes the payload tolerantly and keeps its raw JSON.
func (r *GetFulfillmentOrderResult) UnmarshalJSON(b []byte) error { return decodeRecord(b, r) }

// missing: the answer is stored under its header's key.
func (r *GetFulfillmentOrderResult) missing() (string, []string) { return r.FulfillmentOrder.missing() }

// GetFulfillmentOrder fetches a fulfillment order with everything that hangs off it.
func (c *Client) GetFulfillmentOrder(ctx context.Context, sellerFulfillmentOrderID string) (*GetFulfillmentOrderResult, error) {
	if sellerFulfillmentOrderID == "" || len(sellerFulfillmentOrderID) > 40 {
		return nil, invalidInput(OpGetFulfillmentOrder, "sellerFulfillmentOrderId must be 1 to 40 characters")
	}
	var res GetFulfillmentOrderResult
	meta, err := c.get(ctx, OpGetFulfillmentOrder, "/fba/outbound/2020-07-01/fulfillmentOrders/"+pathSegment(sellerFulfillmentOrderID), nil, &res)
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	return &res, nil
}

// PackageTrackingDetails is the tracking state of one fulfillment package.
type PackageTrackingDetails struct {
	PackageNumber            int              `json:"packageNumber"`
	TrackingNumber           string           `json:"trackingNumber,omitempty"`
	CustomerTrackingLink     string           `json:"customerTrackingLink,omitempty"`
	CarrierCode              string           `json:"carrierCode,omitempty"`
	CarrierPhoneNumber       string           `json:"carrierPhoneNumber,omitempty"`
	CarrierURL               string           `json:"carrierURL,omitempty"`
	ShipDate                 *time.Time       `json:"shipDate,omitempty"`
	EstimatedArrivalDate     *time.Time       `json:"estimatedArrivalDate,omitempty"`
	ShipToAddress            *TrackingAddress `json:"shipToAddress,omitempty"`
	CurrentStatus            string           `json:"currentStatus,omitempty" enum:"currentStatus"`
	CurrentStatusDescription string           `json:"currentStatusDescription,omitempty"`
	SignedForBy              string           `json:"signedForBy,omitempty"`
	AdditionalLocationInfo   string           `json:"additionalLocationInfo,omitempty"`
	TrackingEvents           []TrackingEvent  `json:"trackingEvents,omitempty"`
	// Raw is the payload exactly as Amazon sent it, for the raw jsonb column.
	Raw json.RawMessage `json:"-"`
	// Warnings are the fields that did not decode cleanly (see DecodeWarning).
	Warnings []DecodeWarning `json:"-"`
}

// UnmarshalJSON decodes the details tolerantly and keeps their raw JSON.
func (d *PackageTrackingDetails) UnmarshalJSON(b []byte) error { return decodeRecord(b, d) }

// normalize: Amazon has sent customerTrackingLink URL-encoded, with an encoded newline at
// the end ("https%3A%2F%2Fwww.swiship.com%2Ftrack%3Fid%3D1Z50V7420354708051%0A",
// getPackageTrackingDetails/1-200.json). The typed field holds the usable link; raw keeps
// Amazon's text.
func (d *PackageTrackingDetails) normalize() {
	d.CustomerTrackingLink = decodeLink(d.CustomerTrackingLink)
}

// decodeLink undoes a URL-encoded absolute link and trims whitespace; anything else is
// returned trimmed.
func decodeLink(s string) string {
	lower := strings.ToLower(s)
	if strings.HasPrefix(lower, "http%3a") || strings.HasPrefix(lower, "https%3a") {
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
		}
	}
	return strings.TrimSpace(s)
}

// TrackingAddress is the coarse location of a package or a tracking event. The model says
// {city, state, country}; Amazon's example sends a package's shipToAddress in the full
// address shape (stateOrRegion, countryCode), so both spellings are read.
type TrackingAddress struct {
	City    string `json:"city"`
	State   string `json:"state" alt:"stateOrRegion"`
	Country string `json:"country" alt:"countryCode"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *TrackingAddress) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// TrackingEvent is one carrier scan of a package.
type TrackingEvent struct {
	EventDate        time.Time        `json:"eventDate"`
	EventAddress     *TrackingAddress `json:"eventAddress,omitempty"`
	EventCode        string           `json:"eventCode"`
	EventDescription string           `json:"eventDescription,omitempty"`
	// Raw is the event exactly as Amazon sent it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *TrackingEvent) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// missing: an event is stored under its date and code.
func (e *TrackingEvent) missing() (string, []string) {
	var m []string
	if e.EventDate.IsZero() {
		m = append(m, "eventDate")
	}
	if e.EventCode == "" {
		m = append(m, "eventCode")
	}
	return "", m
}

// GetPackageTrackingDetailsResult is the answer of getPackageTrackingDetails.
type GetPackageTrackingDetailsResult struct {
	Details PackageTrackingDetails
	Meta    ResponseMeta
}

// GetPackageTrackingDetails fetches the tracking of a package number taken from
// FulfillmentShipmentPackage.PackageNumber.
func (c *Client) GetPackageTrackingDetails(ctx context.Context, packageNumber int) (*GetPackageTrackingDetailsResult, error) {
	q := url.Values{"packageNumber": {strconv.Itoa(packageNumber)}}
	var res GetPackageTrackingDetailsResult
	meta, err := c.get(ctx, OpGetPackageTrackingDetails, "/fba/outbound/2020-07-01/tracking", q, &res.Details)
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	return &res, nil
}
