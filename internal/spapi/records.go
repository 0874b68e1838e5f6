package spapi

import "encoding/json"

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
