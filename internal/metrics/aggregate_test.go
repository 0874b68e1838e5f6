package metrics_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/metrics"
	"github.com/spsync/spsync/internal/status/statustest"
)

// TestAccountLabels: per account (the default) every account's series are
// on the page; aggregated (SPSYNC_METRICS_ACCOUNT_LABELS=aggregate) no
// series has an account label and the database gauges are the max (lag)
// or sum (buckets, quarantined records, safety-net finds) over accounts.
// Both have the cursors by state and the near-empty buckets.
func TestAccountLabels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	// 100 accounts: 80 in na, 20 in eu; seller-0011 failing; 0009 and 0059
	// hours behind; 0003 not polled; 0007, 0017, 0027 not active.
	require.NoError(t, statustest.Seed(ctx, pool, 100))
	var maxLag float64
	require.NoError(t, pool.QueryRow(ctx, `SELECT max(extract(epoch FROM now() - cursor_at)) FROM sync_cursors c JOIN accounts a ON a.id = c.account_id
		WHERE stream = 'orders' AND a.state = 'active'`).Scan(&maxLag))

	observe := func(m *metrics.Metrics) {
		for i := 1; i <= 100; i++ {
			m.ObserveResponse(statustest.AccountID(i), "searchOrders", http.StatusOK)
		}
		m.ObserveResponse(statustest.AccountID(5), "searchOrders", http.StatusTooManyRequests)
	}
	fleet := []string{
		`spsync_sync_cursors{state="current",stream="orders"} 93`,
		`spsync_sync_cursors{state="behind",stream="orders"} 2`,
		`spsync_sync_cursors{state="failing",stream="orders"} 1`,
		`spsync_sync_cursors{state="not_polled",stream="orders"} 1`,
		`spsync_sync_cursors{state="quiet",stream="orders"} 3`,
		`spsync_budget_buckets_near_empty{operation="searchOrders"} 35`,
		`spsync_queue_jobs{queue="followup",state="discarded"} 1`,
		`spsync_accounts{state="active"} 97`,
	}

	t.Run("PerAccount", func(t *testing.T) {
		m := metrics.New(pool, nil)
		observe(m)
		page := scrape(t, m)
		for _, line := range append(fleet,
			`spsync_api_calls_total{account="seller-0001",operation="searchOrders",status="200"} 1`,
			`spsync_api_throttles_total{account="seller-0005",operation="searchOrders"} 1`,
			`spsync_budget_rate{account="seller-0100",operation="listTransactions",region="eu"} 1`,
			`spsync_quarantined_records{account="seller-0042",operation="searchOrders"} 3`,
			`spsync_permission_denied{account="seller-0055",operation="createRestrictedDataToken"} 1`,
		) {
			require.Contains(t, page, "\n"+line+"\n")
		}
		require.Regexp(t, `\nspsync_sync_lag_seconds\{account="seller-0001",scope="",stream="orders"\} \d`, page)
		require.NotContains(t, page, `account="seller-0007"`+",scope", "a paused account's lag leaves the page")
	})

	t.Run("Aggregate", func(t *testing.T) {
		m := metrics.NewWith(pool, nil, metrics.Options{Aggregate: true})
		observe(m)
		page := scrape(t, m)
		require.NotContains(t, page, "account=", "no series names an account")
		for _, line := range append(fleet,
			`spsync_api_calls_total{operation="searchOrders",status="200"} 100`,
			`spsync_api_throttles_total{operation="searchOrders"} 1`,
			`spsync_budget_rate{operation="listTransactions",region="na"} 80`,
			`spsync_budget_rate{operation="listTransactions",region="eu"} 20`,
			`spsync_budget_burst{operation="searchOrders",region="eu"} 380`,
			`spsync_quarantined_records{operation="searchOrders"} 3`,
			`spsync_permission_denied{operation="createRestrictedDataToken"} 1`,
			`spsync_push_safety_net_unannounced_total{stream="orders"} 4`,
		) {
			require.Contains(t, page, "\n"+line+"\n")
		}
		lag := regexp.MustCompile(`\nspsync_sync_lag_seconds\{scope="",stream="orders"\} (\S+)\n`).FindStringSubmatch(page)
		require.NotNil(t, lag, page)
		var got float64
		_, err := fmt.Sscan(lag[1], &got)
		require.NoError(t, err)
		require.InDelta(t, maxLag, got, 5, "the largest lag of the active accounts")
		series := 0
		for _, l := range strings.Split(page, "\n") {
			if strings.HasPrefix(l, "spsync_") {
				series++
			}
		}
		require.Less(t, series, 200, "a page's spsync series do not grow with accounts")
	})
}
