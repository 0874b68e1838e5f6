package orderreport_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi/orderreport"
)

// TestIsPII checks which report columns are PII: the buyer's and
// recipient's names and contact, street lines, postal code, the Brazilian
// taxpayer number and the customization; not where the order ships to at
// city level, nor the order's and line's other columns.
func TestIsPII(t *testing.T) {
	t.Parallel()
	tests := []struct {
		column string
		pii    bool
	}{
		{orderreport.ColShipPostalCode, true},
		{"cpf", true},
		{"buyer-name", true},
		{"buyer-email", true},
		{"buyer-phone-number", true},
		{"recipient-name", true},
		{"ship-address-1", true},
		{"ship-address-2", true},
		{"ship-address-3", true},
		{"ship-phone-number", true},
		{"customized-url", true},
		{"customized-page", true},
		{orderreport.ColShipCity, false},
		{orderreport.ColShipState, false},
		{orderreport.ColShipCountry, false},
		{orderreport.ColAmazonOrderID, false},
		{orderreport.ColSKU, false},
		{orderreport.ColItemPrice, false},
		{"Buyer-Name", false}, // header names are matched as Amazon spells them
		{"", false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.pii, orderreport.IsPII(tt.column), "column %q", tt.column)
	}
}
