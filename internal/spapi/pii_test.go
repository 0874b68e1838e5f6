package spapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

// fullOrder2026 is an Orders 2026-01-01 order carrying every PII path of
// Amazon's list and spsync's additions, next to fields that must stay.
const fullOrder2026 = `{
  "orderId": "113-1",
  "buyer": {"buyerName": "Jane Doe", "buyerEmail": "jane@example.com"},
  "recipient": {
    "deliveryAddress": {
      "name": "Jane Doe", "companyName": "Doe Ltd", "addressLine1": "1 Main St",
      "addressLine2": "Apt 2", "addressLine3": "Rear", "postalCode": "98101",
      "phone": "+1 555 0100", "extendedFields": {"streetName": "Main"},
      "city": "Seattle", "stateOrRegion": "WA", "countryCode": "US", "addressType": "RESIDENTIAL"
    },
    "deliveryPreference": {"addressInstruction": "door code 1234", "dropOffLocation": "porch", "deliveryCapabilities": ["SATURDAY"]}
  },
  "orderItems": [
    {"orderItemId": "I1", "quantityOrdered": 1.50,
     "product": {"asin": "B01", "customization": {"customizedUrl": "https://example.com/c/1"}},
     "fulfillment": {"packing": {"giftOption": {"giftMessage": "Happy birthday Jane", "giftWrapLevel": "Classic"}}}},
    {"orderItemId": "I2", "product": {"asin": "B02"}}
  ]
}`

// strippedOrder2026 is fullOrder2026 as stored: the PII paths gone,
// everything else kept.
const strippedOrder2026 = `{
  "orderId": "113-1",
  "recipient": {
    "deliveryAddress": {"city": "Seattle", "stateOrRegion": "WA", "countryCode": "US", "addressType": "RESIDENTIAL"},
    "deliveryPreference": {"deliveryCapabilities": ["SATURDAY"]}
  },
  "orderItems": [
    {"orderItemId": "I1", "quantityOrdered": 1.50,
     "product": {"asin": "B01"},
     "fulfillment": {"packing": {"giftOption": {"giftWrapLevel": "Classic"}}}},
    {"orderItemId": "I2", "product": {"asin": "B02"}}
  ]
}`

// TestStripOrder2026PII checks which paths of a 2026 order are PII: each
// one goes, the rest stays, and what is not an object is left as sent.
func TestStripOrder2026PII(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want string // JSON; "" when the bytes must come back unchanged
	}{
		{name: "every PII path", raw: fullOrder2026, want: strippedOrder2026},
		// Nothing to remove: Amazon's bytes, whitespace and key order
		// included, not a re-encoding.
		{name: "no PII", raw: strippedOrder2026},
		{name: "recipient without address", raw: `{"orderId":"1","recipient":{"deliveryPreference":{"dropOffLocation":"porch"}}}`, want: `{"orderId":"1","recipient":{"deliveryPreference":{}}}`},
		{name: "recipient not an object", raw: `{"orderId":"1","buyer":{"buyerName":"X"},"recipient":"Jane"}`, want: `{"orderId":"1","recipient":"Jane"}`},
		{name: "items not a list", raw: `{"orderId":"1","orderItems":{"product":{"customization":{}}}}`, want: `{"orderId":"1","orderItems":{"product":{"customization":{}}}}`},
		{name: "null", raw: `null`},
		{name: "string", raw: `"Jane Doe"`},
		{name: "empty", raw: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := spapi.StripOrder2026PII(json.RawMessage(tt.raw))
			require.NoError(t, err)
			if tt.want == "" {
				require.Equal(t, tt.raw, string(got), "returned as sent")
				return
			}
			require.JSONEq(t, tt.want, string(got))
		})
	}
}

// TestStripOrder2026PIIKeepsNoPIIString checks the stripped order holds none
// of the PII values fullOrder2026 carries, and still holds what is not PII.
func TestStripOrder2026PIIKeepsNoPIIString(t *testing.T) {
	t.Parallel()
	got, err := spapi.StripOrder2026PII(json.RawMessage(fullOrder2026))
	require.NoError(t, err)
	for _, s := range []string{"Jane", "jane@", "Doe Ltd", "Main St", "Apt 2", "Rear", "98101", "555 0100", "streetName", "1234", "porch", "example.com/c/1", "Happy birthday"} {
		require.NotContains(t, string(got), s)
	}
	for _, s := range []string{"Seattle", "SATURDAY", "Classic", "B01", "1.50"} {
		require.Contains(t, string(got), s)
	}
}

func TestStripOrder2026PIIRefusesBrokenJSON(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{`{"orderId":`, `{"orderId":"1","recipient":{"deliveryAddress":{"name":}}}`} {
		_, err := spapi.StripOrder2026PII(json.RawMessage(raw))
		require.Error(t, err, raw)
	}
}

// TestStripOrderItem2026PII checks an item alone (a quarantined item record
// or one of an order's): the customization and the gift message go, the
// gift option and the product stay.
func TestStripOrderItem2026PII(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, want string
	}{
		{
			name: "customization and gift message",
			raw:  `{"orderItemId":"I1","product":{"asin":"B01","customization":{"customizedUrl":"u"}},"fulfillment":{"packing":{"giftOption":{"giftMessage":"hi","giftWrapLevel":"W"}}}}`,
			want: `{"orderItemId":"I1","product":{"asin":"B01"},"fulfillment":{"packing":{"giftOption":{"giftWrapLevel":"W"}}}}`,
		},
		{
			name: "gift option emptied stays",
			raw:  `{"orderItemId":"I1","fulfillment":{"packing":{"giftOption":{"giftMessage":"hi"}}}}`,
			want: `{"orderItemId":"I1","fulfillment":{"packing":{"giftOption":{}}}}`,
		},
		{
			name: "no packing",
			raw:  `{"orderItemId":"I1","fulfillment":{"fulfilledBy":"MERCHANT"}}`,
			want: `{"orderItemId":"I1","fulfillment":{"fulfilledBy":"MERCHANT"}}`,
		},
		{
			name: "an order's buyer is not an item's PII",
			raw:  `{"buyer":{"buyerName":"X"}}`,
			want: `{"buyer":{"buyerName":"X"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := spapi.StripOrderItem2026PII(json.RawMessage(tt.raw))
			require.NoError(t, err)
			require.JSONEq(t, tt.want, string(got))
		})
	}
}

// TestStripServiceJobPII checks which fields of a service job are PII, that
// a job without any comes back as Amazon's bytes, and that numbers keep
// their spelling when the job is re-encoded.
func TestStripServiceJobPII(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want string // JSON; "" when the bytes must come back unchanged
	}{
		{
			name: "buyer and address",
			raw: `{"serviceJobId":"J1","buyer":{"buyerId":"B","name":"Jane","phone":"1","phoneNumber":"2"},
			  "serviceLocation":{"serviceLocationType":"IN_HOME","address":{"name":"Jane","addressLine1":"1 Main","addressLine2":"a","addressLine3":"b","phone":"3","phoneNumber":"4","city":"Seattle","postalCode":"98101"}}}`,
			want: `{"serviceJobId":"J1","buyer":{"buyerId":"B"},"serviceLocation":{"serviceLocationType":"IN_HOME","address":{"city":"Seattle","postalCode":"98101"}}}`,
		},
		{
			name: "numbers keep their spelling",
			raw:  `{"serviceJobId":"J1","buyer":{"name":"Jane"},"scopeOfWork":[{"quantity":1.50,"big":12345678901234567890}]}`,
			want: `{"serviceJobId":"J1","buyer":{},"scopeOfWork":[{"quantity":1.50,"big":12345678901234567890}]}`,
		},
		{name: "no PII", raw: `{ "serviceJobId" : "J1", "buyer": {"buyerId":"B"}, "serviceLocation": {"address": {"city":"Seattle"}} }`},
		{name: "PII keys elsewhere stay", raw: `{"serviceJobId":"J1","name":"not the buyer","serviceLocation":{"name":"x","address":"Main St"}}`},
		{name: "null", raw: `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := spapi.StripServiceJobPII(json.RawMessage(tt.raw))
			require.NoError(t, err)
			if tt.want == "" {
				require.Equal(t, tt.raw, string(got), "returned as sent")
				return
			}
			require.JSONEq(t, tt.want, string(got))
			if strings.Contains(tt.want, "1.50") {
				require.Contains(t, string(got), "1.50")
				require.Contains(t, string(got), "12345678901234567890")
			}
		})
	}
}

func TestStripServiceJobPIIRefusesBrokenJSON(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{``, `{"serviceJobId":`, `"J1"`} {
		_, err := spapi.StripServiceJobPII(json.RawMessage(raw))
		require.Error(t, err, raw)
	}
}
