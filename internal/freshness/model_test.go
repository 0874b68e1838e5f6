package freshness_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/freshness"
)

// searchOrdersModel is the benchmark's scenario at Amazon's searchOrders
// plan: 3-hour phases, ten quiet minutes first, a snoozed poll running
// 3 simulated seconds after it is due and the benchmark's 7.5-s sampling
// (both 100 ms and 250 ms real at k = 30).
func searchOrdersModel(rates ...float64) freshness.Model {
	return freshness.Model{
		Rates: rates, Phase: 3 * time.Hour, Warmup: 10 * time.Minute,
		Rate: 0.0056, Burst: 20, PageSize: 100,
		Wake: 3 * time.Second, Resolution: 7500 * time.Millisecond, Seed: 24,
	}
}

// TestModel holds the model to what follows from the budget alone: it
// never calls more than the bucket holds and refills, below the ceiling its
// lag is flat, above it its lag grows at least at 1 − ceiling/rate. With
// SPSYNC_FRESHNESS_MODEL=1 it prints the prediction table BENCHMARKS.md
// records before a benchmark run.
func TestModel(t *testing.T) {
	m := searchOrdersModel(300, 900, 1500, 1800, 2600, 900)
	phases := m.Run()
	require.Len(t, phases, 6)
	for _, p := range phases {
		// 3 hours of refills plus at most the starting bucket, spread over a phase.
		require.LessOrEqual(t, p.CallsPerHour, 3600*m.Rate+19.0/3+1e-9, "%.0f/h: calls an hour", p.Set)
	}
	for _, p := range phases[:3] {
		require.InDelta(t, 0, p.LastSlope, 1, "%.0f/h: lag flat in the last hour", p.Set)
		require.Less(t, p.P95, 8*time.Minute, "%.0f/h", p.Set)
	}
	ceiling := 3600 * m.Rate * 100
	over := phases[4]
	require.GreaterOrEqual(t, over.Slope, 60*(1-ceiling/over.Set)-0.5, "past the ceiling lag grows at least as the budget says")
	if os.Getenv("SPSYNC_FRESHNESS_MODEL") != "" {
		fmt.Println("| set /h | median | p95 | max | last hour: p95, slope min/h | slope after the first hour | calls/h | backlog at end | recovery |")
		fmt.Println("|---|---|---|---|---|---|---|---|---|")
		for _, p := range phases {
			rec := "—"
			if p.Recovered {
				rec = p.Recovery.Round(time.Minute).String()
			}
			fmt.Printf("| %.0f | %.1f | %.1f | %.1f | %.1f, %+.1f | %+.1f | %.1f | %d | %s |\n", p.Set,
				p.Median.Minutes(), p.P95.Minutes(), p.Max.Minutes(), p.LastP95.Minutes(), p.LastSlope, p.Slope,
				p.CallsPerHour, p.Backlog, rec)
		}
	}
}
