package push

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// With accounts aggregated, the last-received gauge is one series a
// stream whatever the number of sellers, holding the newest of them.
func TestLastReceivedAggregated(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, aggregate := range []bool{false, true} {
		m := NewMetricsWith(aggregate)
		for i, account := range []string{"seller-a", "seller-b", "seller-c"} {
			m.received(account, "orders", at.Add(time.Duration(i)*time.Second))
		}
		m.received("seller-a", "fulfillment_orders", at)
		if aggregate {
			require.Equal(t, 2, testutil.CollectAndCount(m.LastReceived))
			require.Equal(t, float64(at.Add(2*time.Second).Unix()), testutil.ToFloat64(m.LastReceived.WithLabelValues("orders")))
			continue
		}
		require.Equal(t, 4, testutil.CollectAndCount(m.LastReceived))
		require.Equal(t, float64(at.Unix()), testutil.ToFloat64(m.LastReceived.WithLabelValues("seller-a", "orders")))
	}
}
