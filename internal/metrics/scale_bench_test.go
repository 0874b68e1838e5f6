package metrics_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/metrics"
	"github.com/spsync/spsync/internal/status/statustest"
)

// BenchmarkScrapeAtScale times a /metrics scrape over 1,000 seeded
// accounts (statustest.Seed) in a process that has called every account's
// ten operations (200s, and 429s on the accounts the seed throttles), per
// account and aggregated (SPSYNC_METRICS_ACCOUNT_LABELS), and reports the
// page's size and series (spsync's and all, Go runtime included).
func BenchmarkScrapeAtScale(b *testing.B) {
	ctx := context.Background()
	pool := dbtest.NewPool(b)
	const accounts = 1000
	if err := statustest.Seed(ctx, pool, accounts); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts metrics.Options
	}{{"PerAccount", metrics.Options{}}, {"Aggregate", metrics.Options{Aggregate: true}}} {
		b.Run(bc.name, func(b *testing.B) {
			m := metrics.NewWith(pool, nil, bc.opts)
			for i := 1; i <= accounts; i++ {
				for _, op := range statustest.Operations {
					m.ObserveResponse(statustest.AccountID(i), op, http.StatusOK)
					if i%20 == 5 {
						m.ObserveResponse(statustest.AccountID(i), op, http.StatusTooManyRequests)
					}
				}
			}
			var page string
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				page = scrape(b, m)
			}
			b.StopTimer()
			series, spsync := 0, 0
			for _, line := range strings.Split(page, "\n") {
				if line != "" && !strings.HasPrefix(line, "#") {
					series++
					if strings.HasPrefix(line, "spsync_") {
						spsync++
					}
				}
			}
			b.ReportMetric(float64(len(page)), "bytes")
			b.ReportMetric(float64(series), "series")
			b.ReportMetric(float64(spsync), "spsync-series")
		})
	}
}
