package fulfillment

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// The mapping of Amazon's fulfillment orders (Fulfillment Outbound
// 2020-07-01) and package tracking to the store's rows lives with the
// stream, so that the store only writes rows: MapFulfillmentOrders for
// store.UpsertFulfillmentOrders, MapFulfillmentOrderDetail for
// store.ReplaceFulfillmentOrderDetail and MapPackageTracking for
// store.UpsertPackageTracking. Fields Amazon left out stay NULL.

// MapFulfillmentOrders maps a listAllFulfillmentOrders page of order
// headers to their rows, in page order.
func MapFulfillmentOrders(orders []spapi.FulfillmentOrder) ([]store.FulfillmentOrderRow, error) {
	rows := make([]store.FulfillmentOrderRow, 0, len(orders))
	for i := range orders {
		r, err := mapFulfillmentOrder(&orders[i])
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// mapFulfillmentOrder maps an order header to its row. Of the destination
// address only city, district, state, postal code and country are typed:
// name, street lines and phone are PII.
func mapFulfillmentOrder(o *spapi.FulfillmentOrder) (store.FulfillmentOrderRow, error) {
	raw, err := store.RawPayload(o.Raw, o)
	if err != nil {
		return store.FulfillmentOrderRow{}, fmt.Errorf("fulfillment order %s: %w", o.SellerFulfillmentOrderId, err)
	}
	r := store.FulfillmentOrderRow{
		SellerFulfillmentOrderID: o.SellerFulfillmentOrderId,
		MarketplaceID:            store.NullIfEmpty(o.MarketplaceId),
		DisplayableOrderID:       store.NullIfEmpty(o.DisplayableOrderId),
		DisplayableOrderDate:     store.NullIfZero(o.DisplayableOrderDate),
		DisplayableOrderComment:  store.NullIfEmpty(o.DisplayableOrderComment),
		ShippingSpeedCategory:    store.NullIfEmpty(o.ShippingSpeedCategory),
		FulfillmentAction:        store.NullIfEmpty(o.FulfillmentAction),
		FulfillmentPolicy:        store.NullIfEmpty(o.FulfillmentPolicy),
		ReceivedDate:             o.ReceivedDate,
		FulfillmentOrderStatus:   o.FulfillmentOrderStatus,
		StatusUpdatedDate:        o.StatusUpdatedDate,
		Raw:                      raw,
	}
	if len(o.DeliveryWindow) > 0 {
		// A window that does not decode stays NULL in the typed columns; raw
		// keeps it as sent.
		var w struct {
			StartDate *time.Time `json:"startDate"`
			EndDate   *time.Time `json:"endDate"`
		}
		if json.Unmarshal(o.DeliveryWindow, &w) == nil {
			r.DeliveryWindowStartDate, r.DeliveryWindowEndDate = w.StartDate, w.EndDate
		}
	}
	if a := o.DestinationAddress; a != nil {
		r.DestinationAddressCity = store.NullIfEmpty(a.City)
		r.DestinationAddressDistrictOrCounty = store.NullIfEmpty(a.DistrictOrCounty)
		r.DestinationAddressStateOrRegion = store.NullIfEmpty(a.StateOrRegion)
		r.DestinationAddressPostalCode = store.NullIfEmpty(a.PostalCode)
		r.DestinationAddressCountryCode = store.NullIfEmpty(a.CountryCode)
	}
	return r, nil
}

// MapFulfillmentOrderDetail maps a getFulfillmentOrder answer to the rows of
// every table it writes. A shipment listed twice keeps the lines of its last
// copy; the store keeps one row per key of each list.
func MapFulfillmentOrderDetail(d *spapi.GetFulfillmentOrderResult) (*store.FulfillmentDetailRows, error) {
	if d == nil {
		return nil, fmt.Errorf("map fulfillment order detail: no answer")
	}
	id := d.FulfillmentOrder.SellerFulfillmentOrderId
	fail := func(err error) (*store.FulfillmentDetailRows, error) {
		return nil, fmt.Errorf("fulfillment order %s: map answer: %w", id, err)
	}
	header, err := mapFulfillmentOrder(&d.FulfillmentOrder)
	if err != nil {
		return fail(fmt.Errorf("header: %w", err))
	}
	var rest struct {
		ReturnAuthorizations json.RawMessage `json:"returnAuthorizations"`
		PaymentInformation   json.RawMessage `json:"paymentInformation"`
	}
	if len(d.Raw) > 0 {
		if err := json.Unmarshal(d.Raw, &rest); err != nil {
			return fail(fmt.Errorf("decode raw payload: %w", err))
		}
	} else {
		if rest.ReturnAuthorizations, err = json.Marshal(d.ReturnAuthorizations); err != nil {
			return fail(fmt.Errorf("encode return authorizations: %w", err))
		}
		if d.PaymentInformation != nil {
			if rest.PaymentInformation, err = json.Marshal(d.PaymentInformation); err != nil {
				return fail(fmt.Errorf("encode payment information: %w", err))
			}
		}
	}
	header.ReturnAuthorizations = jsonOrNil(rest.ReturnAuthorizations)
	header.PaymentInformation = jsonOrNil(rest.PaymentInformation)
	detailAt := header.StatusUpdatedDate
	header.DetailStatusUpdatedDate = &detailAt
	out := &store.FulfillmentDetailRows{Header: header}

	for i := range d.FulfillmentOrderItems {
		r, err := mapFulfillmentOrderItem(id, &d.FulfillmentOrderItems[i])
		if err != nil {
			return fail(err)
		}
		out.Items = append(out.Items, r)
	}

	// The lines of each shipment come from its last copy, in the order
	// shipments first appear.
	var order []string
	lines := map[string][]store.FulfillmentShipmentItemRow{}
	for i := range d.FulfillmentShipments {
		s := &d.FulfillmentShipments[i]
		r, ls, ps, err := mapFulfillmentShipment(id, s)
		if err != nil {
			return fail(err)
		}
		out.Shipments = append(out.Shipments, r)
		if _, seen := lines[s.AmazonShipmentId]; !seen {
			order = append(order, s.AmazonShipmentId)
		}
		lines[s.AmazonShipmentId] = ls
		out.Packages = append(out.Packages, ps...)
	}
	for _, sid := range order {
		out.ShipmentItems = append(out.ShipmentItems, lines[sid]...)
	}

	for i := range d.ReturnItems {
		r, err := mapFulfillmentReturnItem(id, &d.ReturnItems[i])
		if err != nil {
			return fail(err)
		}
		out.ReturnItems = append(out.ReturnItems, r)
	}
	return out, nil
}

func mapFulfillmentOrderItem(orderID string, it *spapi.FulfillmentOrderItem) (store.FulfillmentOrderItemRow, error) {
	raw, err := store.RawPayload(it.Raw, it)
	if err != nil {
		return store.FulfillmentOrderItemRow{}, fmt.Errorf("item %s: %w", it.SellerFulfillmentOrderItemId, err)
	}
	r := store.FulfillmentOrderItemRow{
		SellerFulfillmentOrderID:     orderID,
		SellerFulfillmentOrderItemID: it.SellerFulfillmentOrderItemId,
		SellerSKU:                    store.NullIfEmpty(it.SellerSku),
		Quantity:                     it.Quantity,
		GiftMessage:                  store.NullIfEmpty(it.GiftMessage),
		DisplayableComment:           store.NullIfEmpty(it.DisplayableComment),
		FulfillmentNetworkSKU:        store.NullIfEmpty(it.FulfillmentNetworkSku),
		OrderItemDisposition:         store.NullIfEmpty(it.OrderItemDisposition),
		CancelledQuantity:            it.CancelledQuantity,
		UnfulfillableQuantity:        it.UnfulfillableQuantity,
		EstimatedShipDate:            it.EstimatedShipDate,
		EstimatedArrivalDate:         it.EstimatedArrivalDate,
		Raw:                          raw,
	}
	r.PerUnitPriceAmount, r.PerUnitPriceCurrency = store.MoneyColumns(it.PerUnitPrice)
	r.PerUnitTaxAmount, r.PerUnitTaxCurrency = store.MoneyColumns(it.PerUnitTax)
	r.PerUnitDeclaredValueAmount, r.PerUnitDeclaredValueCurrency = store.MoneyColumns(it.PerUnitDeclaredValue)
	return r, nil
}

// mapFulfillmentShipment maps a shipment to its row, its lines (numbered
// from 1 in Amazon's order) and its packages.
func mapFulfillmentShipment(orderID string, s *spapi.FulfillmentShipment) (store.FulfillmentShipmentRow, []store.FulfillmentShipmentItemRow, []store.FulfillmentPackageRow, error) {
	raw, err := store.RawPayload(s.Raw, s)
	if err != nil {
		return store.FulfillmentShipmentRow{}, nil, nil, fmt.Errorf("shipment %s: %w", s.AmazonShipmentId, err)
	}
	r := store.FulfillmentShipmentRow{
		SellerFulfillmentOrderID:  orderID,
		AmazonShipmentID:          s.AmazonShipmentId,
		FulfillmentCenterID:       store.NullIfEmpty(s.FulfillmentCenterId),
		FulfillmentShipmentStatus: store.NullIfEmpty(s.FulfillmentShipmentStatus),
		ShippingDate:              s.ShippingDate,
		EstimatedArrivalDate:      s.EstimatedArrivalDate,
		ShippingNotes:             s.ShippingNotes,
		Raw:                       raw,
	}
	lines := make([]store.FulfillmentShipmentItemRow, 0, len(s.FulfillmentShipmentItem))
	for k := range s.FulfillmentShipmentItem {
		it := &s.FulfillmentShipmentItem[k]
		lraw, err := store.RawPayload(it.Raw, it)
		if err != nil {
			return store.FulfillmentShipmentRow{}, nil, nil, fmt.Errorf("shipment %s item %d: %w", s.AmazonShipmentId, k+1, err)
		}
		lines = append(lines, store.FulfillmentShipmentItemRow{
			SellerFulfillmentOrderID:     orderID,
			AmazonShipmentID:             s.AmazonShipmentId,
			Ordinal:                      k + 1,
			SellerSKU:                    store.NullIfEmpty(it.SellerSku),
			SellerFulfillmentOrderItemID: store.NullIfEmpty(it.SellerFulfillmentOrderItemId),
			Quantity:                     it.Quantity,
			PackageNumber:                it.PackageNumber,
			SerialNumber:                 store.NullIfEmpty(it.SerialNumber),
			ManufacturerLotCodes:         it.ManufacturerLotCodes,
			Raw:                          lraw,
		})
	}
	packages := make([]store.FulfillmentPackageRow, 0, len(s.FulfillmentShipmentPackage))
	for k := range s.FulfillmentShipmentPackage {
		p := &s.FulfillmentShipmentPackage[k]
		praw, err := store.RawPayload(p.Raw, p)
		if err != nil {
			return store.FulfillmentShipmentRow{}, nil, nil, fmt.Errorf("package %d: %w", p.PackageNumber, err)
		}
		var extra struct {
			AmazonFulfillmentTrackingNumber string `json:"amazonFulfillmentTrackingNumber"`
		}
		_ = json.Unmarshal(praw, &extra) // absent or malformed: NULL
		packages = append(packages, store.FulfillmentPackageRow{
			SellerFulfillmentOrderID:        orderID,
			AmazonShipmentID:                s.AmazonShipmentId,
			PackageNumber:                   p.PackageNumber,
			CarrierCode:                     store.NullIfEmpty(p.CarrierCode),
			TrackingNumber:                  store.NullIfEmpty(p.TrackingNumber),
			AmazonFulfillmentTrackingNumber: store.NullIfEmpty(extra.AmazonFulfillmentTrackingNumber),
			EstimatedArrivalDate:            p.EstimatedArrivalDate,
			Raw:                             praw,
		})
	}
	return r, lines, packages, nil
}

func mapFulfillmentReturnItem(orderID string, it *spapi.ReturnItem) (store.FulfillmentReturnItemRow, error) {
	raw, err := store.RawPayload(it.Raw, it)
	if err != nil {
		return store.FulfillmentReturnItemRow{}, fmt.Errorf("return item %s: %w", it.SellerReturnItemId, err)
	}
	return store.FulfillmentReturnItemRow{
		SellerFulfillmentOrderID:     orderID,
		SellerReturnItemID:           it.SellerReturnItemId,
		SellerFulfillmentOrderItemID: store.NullIfEmpty(it.SellerFulfillmentOrderItemId),
		AmazonShipmentID:             store.NullIfEmpty(it.AmazonShipmentId),
		SellerReturnReasonCode:       store.NullIfEmpty(it.SellerReturnReasonCode),
		ReturnComment:                store.NullIfEmpty(it.ReturnComment),
		AmazonReturnReasonCode:       store.NullIfEmpty(it.AmazonReturnReasonCode),
		Status:                       store.NullIfEmpty(it.Status),
		StatusChangedDate:            it.StatusChangedDate,
		ReturnAuthorizationID:        store.NullIfEmpty(it.ReturnAuthorizationId),
		ReturnReceivedCondition:      store.NullIfEmpty(it.ReturnReceivedCondition),
		FulfillmentCenterID:          store.NullIfEmpty(it.FulfillmentCenterId),
		Raw:                          raw,
	}, nil
}

// MapPackageTracking maps a getPackageTrackingDetails answer to its
// package_tracking row and its events. Events repeating an (eventDate,
// eventCode) pair, at Postgres' microsecond precision, keep their first
// copy; ordinal is the position in Amazon's list.
func MapPackageTracking(d *spapi.PackageTrackingDetails) (*store.PackageTrackingRows, error) {
	if d == nil {
		return nil, fmt.Errorf("map package tracking: no answer")
	}
	fail := func(what string, err error) (*store.PackageTrackingRows, error) {
		return nil, fmt.Errorf("package %d: %s: %w", d.PackageNumber, what, err)
	}
	raw, err := store.RawPayload(d.Raw, d)
	if err != nil {
		return fail("header", err)
	}
	row := store.PackageTrackingRow{
		PackageNumber:            d.PackageNumber,
		TrackingNumber:           store.NullIfEmpty(d.TrackingNumber),
		CustomerTrackingLink:     store.NullIfEmpty(d.CustomerTrackingLink),
		CarrierCode:              store.NullIfEmpty(d.CarrierCode),
		CarrierPhoneNumber:       store.NullIfEmpty(d.CarrierPhoneNumber),
		CarrierURL:               store.NullIfEmpty(d.CarrierURL),
		ShipDate:                 d.ShipDate,
		EstimatedArrivalDate:     d.EstimatedArrivalDate,
		CurrentStatus:            store.NullIfEmpty(d.CurrentStatus),
		CurrentStatusDescription: store.NullIfEmpty(d.CurrentStatusDescription),
		SignedForBy:              store.NullIfEmpty(d.SignedForBy),
		AdditionalLocationInfo:   store.NullIfEmpty(d.AdditionalLocationInfo),
		Terminal:                 store.IsTerminalTrackingStatus(d.CurrentStatus),
		Raw:                      raw,
	}
	if a := d.ShipToAddress; a != nil {
		row.ShipToAddressCity = store.NullIfEmpty(a.City)
		row.ShipToAddressState = store.NullIfEmpty(a.State)
		row.ShipToAddressCountry = store.NullIfEmpty(a.Country)
	}
	out := &store.PackageTrackingRows{Tracking: row, Events: make([]store.TrackingEventRow, 0, len(d.TrackingEvents))}
	for i := range d.TrackingEvents {
		e := &d.TrackingEvents[i]
		// Postgres keeps microseconds; the store keeps the first of a
		// repeated (event date, code).
		at := e.EventDate.Truncate(time.Microsecond).UTC()
		eraw, err := store.RawPayload(e.Raw, e)
		if err != nil {
			return fail("encode event", err)
		}
		r := store.TrackingEventRow{
			PackageNumber:    d.PackageNumber,
			EventDate:        at,
			EventCode:        e.EventCode,
			Ordinal:          i + 1,
			EventDescription: store.NullIfEmpty(e.EventDescription),
			Raw:              eraw,
		}
		if a := e.EventAddress; a != nil {
			r.City, r.State, r.Country = store.NullIfEmpty(a.City), store.NullIfEmpty(a.State), store.NullIfEmpty(a.Country)
		}
		out.Events = append(out.Events, r)
	}
	return out, nil
}

// jsonOrNil maps an absent or JSON-null value to nil (SQL NULL).
func jsonOrNil(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return b
}
