package sim

import "github.com/spsync/spsync/internal/spapi"

// Quirk is one way the default simulator's answers break a rule of
// Amazon's model because Amazon's own answers break it (see the package
// documentation, "Amazon's real shapes"). The conformance test
// (internal/conformance) runs spsync against the default simulator behind
// Prism and fails on a broken rule this list does not name.
type Quirk struct {
	// Operation is the operation whose answers carry it (spapi's Op names).
	Operation string
	// Path is the JSON path of the value in the answer's body, arrays as
	// [] (payload.Orders[].IsReplacementOrder); a missing required property
	// is named at its own path.
	Path string
	// Rule is the JSON Schema keyword the value breaks: type, enum,
	// required, …
	Rule string
	// Example is the file under ../shared/amazon-examples/ that shows
	// Amazon sending it.
	Example string
}

// Quirks lists every rule of the models the default simulator breaks, and
// only those; the package documentation's "Amazon's real shapes" says the
// same in prose (a test keeps the two together). Quirks that stay within
// the model (IsGift "false" is the string the schema declares,
// packageNumber 0 is an integer, "" is a string) are not listed: they
// break no rule. Treat it as read-only.
var Quirks = []Quirk{
	{spapi.OpGetOrders, "payload.Orders[].IsReplacementOrder", "type", "peers/airbyte-getOrders-real-records.json"},

	{spapi.OpListAllFulfillmentOrders, "payload.fulfillmentOrders[].fulfillmentOrderStatus", "enum", "listAllFulfillmentOrders/1-200.json"},
	{spapi.OpListAllFulfillmentOrders, "payload.fulfillmentOrders[].featureConstraints", "type", "listAllFulfillmentOrders/1-200.json"},
	{spapi.OpListAllFulfillmentOrders, "payload.fulfillmentOrders[].marketplaceId", "required", "listAllFulfillmentOrders/1-200.json"},

	{spapi.OpGetFulfillmentOrder, "payload.fulfillmentOrder.fulfillmentOrderStatus", "enum", "getFulfillmentOrder/1-200.json"},
	// The same order as in the list, whose examples show null.
	{spapi.OpGetFulfillmentOrder, "payload.fulfillmentOrder.featureConstraints", "type", "listAllFulfillmentOrders/1-200.json"},
	// Quoted integers: README.md describes the third-party fixture (in
	// Amazon's doc style, origin unverified, so not copied) that shows them.
	{spapi.OpGetFulfillmentOrder, "payload.fulfillmentOrderItems[].quantity", "type", "README.md"},
	{spapi.OpGetFulfillmentOrder, "payload.fulfillmentOrderItems[].cancelledQuantity", "type", "README.md"},
	{spapi.OpGetFulfillmentOrder, "payload.fulfillmentOrderItems[].unfulfillableQuantity", "type", "README.md"},
	{spapi.OpGetFulfillmentOrder, "payload.fulfillmentShipments[].fulfillmentShipmentItem[].quantity", "type", "README.md"},
	{spapi.OpGetFulfillmentOrder, "payload.fulfillmentShipments[].fulfillmentShipmentItem[].packageNumber", "type", "README.md"},
	{spapi.OpGetFulfillmentOrder, "payload.fulfillmentShipments[].fulfillmentShipmentPackage[].packageNumber", "type", "README.md"},

	// The full FBA address instead of TrackingAddress {city, state, country}.
	{spapi.OpGetPackageTrackingDetails, "payload.shipToAddress.state", "required", "getPackageTrackingDetails/1-200.json"},
	{spapi.OpGetPackageTrackingDetails, "payload.shipToAddress.country", "required", "getPackageTrackingDetails/1-200.json"},
}
