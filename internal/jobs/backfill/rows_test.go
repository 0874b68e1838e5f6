package backfill_test

import (
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/streams"
)

// rowCounter records what Deps.OnRows hears, per table.
type rowCounter struct {
	mu               sync.Mutex
	offered, changed map[string]int
}

func (c *rowCounter) onRows(table string, offered, changed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offered[table] += offered
	c.changed[table] += changed
}

// take returns the counts so far and starts again from zero.
func (c *rowCounter) take() (offered, changed map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	offered, changed = c.offered, c.changed
	c.offered, c.changed = map[string]int{}, map[string]int{}
	return offered, changed
}

// TestEverySourceCountsItsRows runs, for every stream of the registry and
// both Orders APIs, a backfill and then a poll, each alone, and requires
// that the rows each stored reached Deps.OnRows (spsync_rows_upserted_total)
// under the stream's tables. Before the page-store recipe was one function
// (jobs.StorePage), the backfills of orders v0, fulfillment orders and
// service jobs stored their rows without counting them.
func TestEverySourceCountsItsRows(t *testing.T) {
	t.Parallel()
	// counted are the tables a stream's sources count (orders' items come
	// from the items follow-up under v0, inline under 2026).
	counted := map[string][]string{
		"orders":             {"orders", "order_items"},
		"fulfillment_orders": {"fulfillment_orders"},
		"service_jobs":       {"service_jobs"},
		// Items and breakdowns come inline with their transaction.
		"financial_transactions": {"financial_transactions", "financial_transaction_items", "financial_transaction_breakdowns"},
	}
	registry := streams.All(nil)
	for _, s := range registry {
		require.Contains(t, counted, s.Name, "stream %s: say which tables its sources count", s.Name)
	}
	for _, api := range []string{config.OrdersAPIV0, config.OrdersAPI2026} {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
			tb := &testBundle{start: start, Bundle: jobstest.New(t, jobstest.Options{OrdersAPI: api, Sim: sim.Options{
				Seed: 16, Orders: 200, FulfillmentOrders: 60, ServiceJobs: 60,
				Start: start, DataClock: sim.NewManualClock(start), RateScale: 600,
			}})}
			rows := &rowCounter{offered: map[string]int{}, changed: map[string]int{}}
			tb.Deps.OnRows = rows.onRows
			// Registered through the descriptors, as the worker does.
			w := river.NewWorkers()
			registry.Register(w, tb.Deps)
			backfill.Register(w, tb.Deps, registry)
			client := tb.StartClient(t, w, nil)

			for _, s := range registry {
				tb.startBackfill(t, client, s.Name, start.Add(-13*24*time.Hour), start.Add(-24*time.Hour), 0)
				tb.RunUntilIdle(t, time.Minute)
				offered, changed := rows.take()
				for _, table := range counted[s.Name] {
					require.Positive(t, offered[table], "backfill of %s: rows of %s offered (%v)", s.Name, table, offered)
					require.Positive(t, changed[table], "backfill of %s: rows of %s changed (%v)", s.Name, table, changed)
				}

				var poll river.JobArgs
				for _, p := range s.Periodic {
					if p.Poll {
						poll = p.Args(acctID)
					}
				}
				require.NotNil(t, poll, "stream %s has a poll", s.Name)
				_, err := client.Insert(t.Context(), poll, nil)
				require.NoError(t, err)
				tb.RunUntilIdle(t, time.Minute)
				offered, _ = rows.take()
				require.Positive(t, offered[counted[s.Name][0]], "poll of %s: rows offered (%v)", s.Name, offered)
			}
			require.Empty(t, tb.DiscardedJobs(t))
		})
	}
}
