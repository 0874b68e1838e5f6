package spapi

import (
	"encoding/json"
	"strconv"
)

// Problem says why a field produced a DecodeWarning.
type Problem string

const (
	// ProblemUndecodable: the value could not be read as the field's type even tolerantly
	// (e.g. "maybe" for a boolean). The typed field is left empty (NULL in its column); raw
	// keeps the value.
	ProblemUndecodable Problem = "undecodable"
	// ProblemUnknownEnum: the value is not in the model's enum in any spelling. It is kept
	// verbatim in the typed field.
	ProblemUnknownEnum Problem = "unknown_enum"
	// ProblemDroppedElement: an element of a nested list (a shipment, a package, a tracking
	// event) lacked the key it is stored under and was left out of the typed result; the
	// parent's raw keeps it.
	ProblemDroppedElement Problem = "dropped_element"
)

// DecodeWarning is one field of a record that did not decode cleanly. It never carries the
// value, which may be PII; the record's raw JSON has it.
type DecodeWarning struct {
	// Field is the JSON path inside the record with array positions as [], e.g.
	// "IsReplacementOrder", "OrderTotal.Amount" or
	// "fulfillmentShipments[].fulfillmentShipmentPackage[].packageNumber". Its set of values
	// is bounded by the model, so it is safe as a metrics label.
	Field   string
	Problem Problem
}

// Quarantined is a record of a page that cannot be stored because it lacks a key the sync
// needs (an order without AmazonOrderId or LastUpdateDate, a fulfillment order without
// sellerFulfillmentOrderId, …). The page's other records are returned as usual; the caller
// keeps the quarantined ones where operators can read them.
type Quarantined struct {
	// Op is the operation whose answer held the record.
	Op string
	// EntityID is the record's identifier when it has a usable one (it may lack another
	// required field), else empty.
	EntityID string
	// Reason names the missing or undecodable required fields; never values.
	Reason string
	// Raw is the record exactly as Amazon sent it.
	Raw json.RawMessage
}

// Record is an entity of an answer that spsync stores: its key, and what its decoding
// reported. The jobs log and count the warnings of every record they store.
type Record interface {
	RecordID() string
	DecodeWarnings() []DecodeWarning
}

// RecordID returns AmazonOrderId.
func (o Order) RecordID() string { return o.AmazonOrderId }

// DecodeWarnings returns Warnings.
func (o Order) DecodeWarnings() []DecodeWarning { return o.Warnings }

// RecordID returns OrderItemId.
func (it OrderItem) RecordID() string { return it.OrderItemId }

// DecodeWarnings returns Warnings.
func (it OrderItem) DecodeWarnings() []DecodeWarning { return it.Warnings }

// RecordID returns sellerFulfillmentOrderId.
func (o FulfillmentOrder) RecordID() string { return o.SellerFulfillmentOrderId }

// DecodeWarnings returns Warnings.
func (o FulfillmentOrder) DecodeWarnings() []DecodeWarning { return o.Warnings }

// RecordID returns the header's sellerFulfillmentOrderId.
func (r GetFulfillmentOrderResult) RecordID() string {
	return r.FulfillmentOrder.SellerFulfillmentOrderId
}

// DecodeWarnings returns the warnings of the whole answer, children included.
func (r GetFulfillmentOrderResult) DecodeWarnings() []DecodeWarning {
	return append(append([]DecodeWarning(nil), r.Warnings...), r.FulfillmentOrder.Warnings...)
}

// RecordID returns the package number.
func (d PackageTrackingDetails) RecordID() string { return strconv.Itoa(d.PackageNumber) }

// DecodeWarnings returns Warnings.
func (d PackageTrackingDetails) DecodeWarnings() []DecodeWarning { return d.Warnings }

// RecordID returns serviceJobId.
func (j ServiceJob) RecordID() string { return j.ServiceJobId }

// DecodeWarnings returns Warnings.
func (j ServiceJob) DecodeWarnings() []DecodeWarning { return j.Warnings }
