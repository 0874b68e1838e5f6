package fulfillment

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

func decodeAs[T any](t *testing.T, v any) *T {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out T
	require.NoError(t, json.Unmarshal(b, &out))
	return &out
}

// TestMapFulfillmentOrderDetail covers what the mapping decides without a
// database: typed address columns without the PII, money keeping Amazon's
// scale, and a shipment listed twice keeping the lines of its last copy in
// the place it first appeared.
func TestMapFulfillmentOrderDetail(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	shipment := func(id string, skus ...string) map[string]any {
		lines := make([]any, len(skus))
		for i, s := range skus {
			lines[i] = map[string]any{"sellerSku": s, "quantity": 1}
		}
		return map[string]any{"amazonShipmentId": id, "fulfillmentShipmentStatus": "SHIPPED", "fulfillmentShipmentItem": lines,
			"fulfillmentShipmentPackage": []any{map[string]any{"packageNumber": 7, "carrierCode": "UPS", "trackingNumber": "1Z"}}}
	}
	d := decodeAs[spapi.GetFulfillmentOrderResult](t, map[string]any{
		"fulfillmentOrder": map[string]any{
			"sellerFulfillmentOrderId": "fo-1", "fulfillmentOrderStatus": "Processing",
			"receivedDate": at, "statusUpdatedDate": at, "displayableOrderDate": at,
			"destinationAddress": map[string]any{"name": "Jane Buyer", "addressLine1": "1 Main St", "city": "Seattle", "countryCode": "US"},
		},
		"fulfillmentOrderItems": []any{map[string]any{"sellerSku": "SKU1", "sellerFulfillmentOrderItemId": "i1", "quantity": 2,
			"perUnitPrice": map[string]any{"currencyCode": "USD", "value": "12.30"}}},
		"fulfillmentShipments": []any{shipment("S1", "a", "b", "c"), shipment("S2", "x"), shipment("S1", "d")},
		"returnItems":          []any{},
	})
	rows, err := MapFulfillmentOrderDetail(d)
	require.NoError(t, err)

	h := rows.Header
	require.Equal(t, "fo-1", h.SellerFulfillmentOrderID)
	require.Equal(t, "Seattle", *h.DestinationAddressCity)
	require.Nil(t, h.MarketplaceID, "absent text is NULL")
	require.Equal(t, at, *h.DetailStatusUpdatedDate, "the children are written from this version")
	require.Equal(t, at, *h.DisplayableOrderDate)

	require.Len(t, rows.Items, 1)
	amount, err := json.Marshal(rows.Items[0].PerUnitPriceAmount)
	require.NoError(t, err)
	require.JSONEq(t, `"12.30"`, string(amount))
	require.Equal(t, "USD", *rows.Items[0].PerUnitPriceCurrency)

	var lines []string
	for _, l := range rows.ShipmentItems {
		lines = append(lines, l.AmazonShipmentID+"/"+*l.SellerSKU)
	}
	require.Equal(t, []string{"S1/d", "S2/x"}, lines)
	require.Len(t, rows.Shipments, 3, "the store keeps one row per shipment")
	require.Len(t, rows.Packages, 3)

	_, err = MapFulfillmentOrderDetail(nil)
	require.Error(t, err)
}

// TestMapPackageTracking: events keep their position and are cut to
// Postgres' precision, so a repeat 300 ns later is the same key (the store
// keeps its first copy: TestUpsertPackageTracking/RepeatedEventIsStoredOnce);
// a terminal status is marked.
func TestMapPackageTracking(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	d := decodeAs[spapi.PackageTrackingDetails](t, map[string]any{
		"packageNumber": 7, "currentStatus": "DELIVERED",
		"trackingEvents": []any{
			map[string]any{"eventDate": at, "eventCode": "EVENT_101", "eventDescription": "first"},
			map[string]any{"eventDate": at.Add(300 * time.Nanosecond), "eventCode": "EVENT_101", "eventDescription": "again"},
			map[string]any{"eventDate": at.Add(time.Hour), "eventCode": "EVENT_301"},
		},
	})
	rows, err := MapPackageTracking(d)
	require.NoError(t, err)
	require.True(t, rows.Tracking.Terminal)
	require.Len(t, rows.Events, 3)
	require.Equal(t, "first", *rows.Events[0].EventDescription)
	require.Equal(t, rows.Events[0].EventDate, rows.Events[1].EventDate, "300 ns apart is one key at Postgres' precision")
	require.Equal(t, []int{1, 2, 3}, []int{rows.Events[0].Ordinal, rows.Events[1].Ordinal, rows.Events[2].Ordinal})
	require.Nil(t, rows.Events[2].EventDescription)
}
