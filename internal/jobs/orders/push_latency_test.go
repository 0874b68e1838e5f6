package orders_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/sim"
)

// A refresh a push notification asked for reports, once committed, the
// seconds from the notified change to now on Deps.Now; a refresh without a
// notified change (a poll's, `worker refresh`) reports nothing. The change
// time is no part of the job's identity: a second notification of a
// waiting refresh is a duplicate, and the first one's time is kept.
func TestRefreshReportsPushLatency(t *testing.T) {
	t.Parallel()
	for _, api := range []string{config.OrdersAPIV0, config.OrdersAPI2026} {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
			b := jobstest.New(t, jobstest.Options{OrdersAPI: api, Sim: sim.Options{
				Seed: 5, Start: start, Orders: 40, DataClock: sim.NewManualClock(start), RateScale: 600,
			}})
			type observation struct {
				stream  string
				seconds float64
			}
			var (
				mu  sync.Mutex
				got []observation
			)
			b.Deps.OnPushLatency = func(stream string, seconds float64) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, observation{stream, seconds})
			}
			truth, err := b.Sim.TruthOrders(sim.DemoAccount.ID)
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(truth), 2)
			notified, polled := truth[0].AmazonOrderID, truth[1].AmazonOrderID

			inserter, err := river.NewClient(riverpgxv5.New(b.Pool), &river.Config{})
			require.NoError(t, err)
			first, second := start.Add(-90*time.Second), start.Add(-10*time.Second)
			res, err := inserter.Insert(ctx, orders.RefreshArgs{AccountID: sim.DemoAccount.ID, AmazonOrderID: notified, NotifiedChange: &first}, nil)
			require.NoError(t, err)
			require.False(t, res.UniqueSkippedAsDuplicate)
			res, err = inserter.Insert(ctx, orders.RefreshArgs{AccountID: sim.DemoAccount.ID, AmazonOrderID: notified, NotifiedChange: &second}, nil)
			require.NoError(t, err)
			require.True(t, res.UniqueSkippedAsDuplicate, "a later notification of a waiting refresh is the same job")
			_, err = inserter.Insert(ctx, orders.RefreshArgs{AccountID: sim.DemoAccount.ID, AmazonOrderID: polled}, nil)
			require.NoError(t, err)

			w := river.NewWorkers()
			orders.NewStream(orders.Options{}).Register(w, b.Deps)
			b.StartClient(t, w, nil)
			b.RunUntilIdle(t, time.Minute)
			require.Empty(t, b.DiscardedJobs(t))

			var stored int
			require.NoError(t, b.Pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE amazon_order_id = ANY($1)`, []string{notified, polled}).Scan(&stored))
			require.Equal(t, 2, stored, "both refreshes wrote their order")
			mu.Lock()
			defer mu.Unlock()
			// The data clock stands still at start: the first notified
			// change is exactly 90 s before it.
			require.Equal(t, []observation{{orders.Stream, 90}}, got)
		})
	}
}
