package jobstest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

// PIIOrder2026 decodes an Orders 2026-01-01 order with a buyer (PII to keep
// or purge), last updated at updated with fulfillmentStatus status.
func PIIOrder2026(t testing.TB, id, status string, updated time.Time) spapi.Order2026 {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"orderId": id, "createdTime": "2026-01-01T00:00:00Z", "lastUpdatedTime": updated.UTC().Format(time.RFC3339),
		"salesChannel": map[string]any{"channelName": "AMAZON"},
		"fulfillment":  map[string]any{"fulfillmentStatus": status, "fulfilledBy": "MERCHANT"},
		"buyer":        map[string]any{"buyerName": "Jane Buyer"},
		"orderItems":   []any{map[string]any{"orderItemId": "1", "quantityOrdered": 1, "product": map[string]any{"asin": "B0PII"}}},
	})
	require.NoError(t, err)
	var o spapi.Order2026
	require.NoError(t, json.Unmarshal(b, &o))
	return o
}
