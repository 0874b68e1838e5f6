package orderreport

import "slices"

// piiColumns are the order report columns that are PII under the orders'
// rule (see spapi.StripOrder2026PII: names, contact, street lines, postal
// code and customization), kept beside the columns' names so that whoever
// stores a line's cells leaves them out; cpf is a Brazilian taxpayer
// number. ship-city, ship-state and ship-country are not PII.
var piiColumns = []string{ColShipPostalCode, "cpf", "buyer-name", "buyer-email", "buyer-phone-number", "recipient-name",
	"ship-address-1", "ship-address-2", "ship-address-3", "ship-phone-number", "customized-url", "customized-page"}

// IsPII reports whether the report column named column holds PII, which
// is not to be stored.
func IsPII(column string) bool { return slices.Contains(piiColumns, column) }
