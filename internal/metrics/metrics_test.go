package metrics_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/metrics"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// scrape returns the /metrics page of m.
func scrape(t testing.TB, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	return string(body)
}

// TestSeries checks every spsync series: each line must be on the page
// exactly, value included.
func TestSeries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)

	// Database state the gauges read.
	_, err := pool.Exec(ctx, `INSERT INTO sync_cursors (account_id, stream, scope, cursor_at) VALUES ('acct', 'orders', '', now() - interval '1 hour')`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO rate_budgets (account_id, region, operation, plan_rate, plan_burst, rate, burst, tokens, updated_at)
		VALUES ('acct', 'na', 'getOrders', 0.0167, 20, 0.0167, 20, 20, now())`)
	require.NoError(t, err)
	// Two buckets Amazon sent a rate for: one follows it, one is pinned by
	// SPSYNC_RATE_LIMITS and keeps its plan. The gauge is the rate in force.
	_, err = pool.Exec(ctx, `INSERT INTO rate_budgets (account_id, region, operation, plan_rate, plan_burst, pinned, learned_rate, rate, burst, tokens, updated_at)
		VALUES ('acct', 'na', 'getOrder', 0.5, 30, false, 2, 2, 29, 0, now()),
		       ('acct', 'na', 'searchOrders', 0.0056, 20, true, 0.5, 0.0056, 19, 0, now())`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO river_job (kind, args, queue, priority, max_attempts, state) VALUES ('x', '{}', 'default', 1, 1, 'available')`)
	require.NoError(t, err)
	require.NoError(t, store.QuarantineRecords(ctx, pool, "acct", []spapi.Quarantined{
		{Op: spapi.OpGetOrders, Reason: "missing AmazonOrderId", Raw: json.RawMessage(`{"n":1}`)},
		{Op: spapi.OpGetOrders, Reason: "missing AmazonOrderId", Raw: json.RawMessage(`{"n":2}`)},
		{Op: spapi.OpListAllFulfillmentOrders, Reason: "missing sellerFulfillmentOrderId", Raw: json.RawMessage(`{"n":1}`)},
	}))

	m := metrics.New(pool, nil)
	m.ObserveResponse("acct", spapi.OpGetOrders, http.StatusTooManyRequests)
	m.BudgetWaits.WithLabelValues(spapi.OpGetOrders, "snoozed").Inc()
	m.BudgetProbes.WithLabelValues(spapi.OpSearchOrders, "restored").Inc()
	m.RowsUpserted.WithLabelValues("orders", "changed").Add(3)
	m.ObserveDecodeWarning(spapi.OpGetOrders, "IsPrime")
	m.ObserveDecodeWarning(spapi.OpGetOrders, "IsPrime")
	m.ObserveDecodeWarning(spapi.OpGetFulfillmentOrder, "fulfillmentShipments[].fulfillmentShipmentPackage[].packageNumber")
	m.ObserveUnknownEnum(spapi.OpGetOrders, "OrderStatus")
	m.ObservePushLatency("orders", 3.5)
	m.ObservePushLatency("orders", 700)

	page := scrape(t, m)
	tests := []struct {
		series string
		line   string // a whole line of the page, or its prefix up to the value when the value moves
	}{
		{"spsync_api_calls_total", `spsync_api_calls_total{account="acct",operation="getOrders",status="429"} 1`},
		{"spsync_api_throttles_total", `spsync_api_throttles_total{account="acct",operation="getOrders"} 1`},
		{"spsync_budget_waits_total", `spsync_budget_waits_total{operation="getOrders",outcome="snoozed"} 1`},
		{"spsync_budget_probes_total", `spsync_budget_probes_total{operation="searchOrders",outcome="restored"} 1`},
		{"spsync_rows_upserted_total", `spsync_rows_upserted_total{outcome="changed",table="orders"} 3`},
		{"spsync_decode_warnings_total", `spsync_decode_warnings_total{field="IsPrime",operation="getOrders"} 2`},
		{"spsync_decode_warnings_total nested field", `spsync_decode_warnings_total{field="fulfillmentShipments[].fulfillmentShipmentPackage[].packageNumber",operation="getFulfillmentOrder"} 1`},
		{"spsync_unknown_enum_values_total", `spsync_unknown_enum_values_total{field="OrderStatus",operation="getOrders"} 1`},
		{"spsync_quarantined_records", `spsync_quarantined_records{account="acct",operation="getOrders"} 2`},
		{"spsync_quarantined_records other operation", `spsync_quarantined_records{account="acct",operation="listAllFulfillmentOrders"} 1`},
		{"spsync_queue_jobs", `spsync_queue_jobs{queue="default",state="available"} 1`},
		{"spsync_budget_tokens", `spsync_budget_tokens{account="acct",operation="getOrders",region="na"} `},
		{"spsync_budget_rate plan", `spsync_budget_rate{account="acct",operation="getOrders",region="na"} 0.0167`},
		{"spsync_budget_rate learned", `spsync_budget_rate{account="acct",operation="getOrder",region="na"} 2`},
		{"spsync_budget_rate pinned keeps its plan", `spsync_budget_rate{account="acct",operation="searchOrders",region="na"} 0.0056`},
		{"spsync_budget_burst", `spsync_budget_burst{account="acct",operation="getOrders",region="na"} 20`},
		{"spsync_budget_burst other bucket", `spsync_budget_burst{account="acct",operation="getOrder",region="na"} 29`},
		{"spsync_push_change_to_row_seconds below", `spsync_push_change_to_row_seconds_bucket{stream="orders",le="2"} 0`},
		{"spsync_push_change_to_row_seconds bucket", `spsync_push_change_to_row_seconds_bucket{stream="orders",le="5"} 1`},
		{"spsync_push_change_to_row_seconds long", `spsync_push_change_to_row_seconds_bucket{stream="orders",le="1800"} 2`},
		{"spsync_push_change_to_row_seconds count", `spsync_push_change_to_row_seconds_count{stream="orders"} 2`},
		{"spsync_push_change_to_row_seconds sum", `spsync_push_change_to_row_seconds_sum{stream="orders"} 703.5`},
		{"spsync_quarantine_pruned_total", `spsync_quarantine_pruned_total 0`},
		{"spsync_sync_lag_seconds", `spsync_sync_lag_seconds{account="acct",scope="",stream="orders"} `},
	}
	for _, tt := range tests {
		t.Run(tt.series, func(t *testing.T) {
			found := false
			for _, l := range strings.Split(page, "\n") {
				if l == tt.line || (strings.HasSuffix(tt.line, " ") && strings.HasPrefix(l, tt.line)) {
					found = true
				}
			}
			require.True(t, found, "no line %q on the page:\n%s", tt.line, page)
		})
	}

	t.Run("QuarantineGaugeFollowsTheTable", func(t *testing.T) {
		_, err := pool.Exec(ctx, `DELETE FROM quarantined_records WHERE operation = 'getOrders'`)
		require.NoError(t, err)
		page := scrape(t, m)
		require.NotContains(t, page, `spsync_quarantined_records{account="acct",operation="getOrders"}`)
		require.Contains(t, page, `spsync_quarantined_records{account="acct",operation="listAllFulfillmentOrders"} 1`)
	})
}
