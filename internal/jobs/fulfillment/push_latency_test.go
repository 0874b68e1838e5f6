package fulfillment_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/sim"
)

// A refresh a push notification asked for reports, once committed, the
// seconds from the notified change to now on Deps.Now; one without a
// notified change (`worker refresh fulfillment-order`) reports nothing.
func TestRefreshReportsPushLatency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	b := jobstest.New(t, jobstest.Options{Sim: sim.Options{
		Seed: 11, Start: start, Orders: 10, ServiceJobs: 1, FulfillmentOrders: 5, DataClock: sim.NewManualClock(start), RateScale: 200,
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
	truth, err := b.Sim.TruthFulfillmentOrders(sim.DemoAccount.ID)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(truth), 2)
	notified, asked := truth[0].FulfillmentOrder.SellerFulfillmentOrderID, truth[1].FulfillmentOrder.SellerFulfillmentOrderID

	inserter, err := river.NewClient(riverpgxv5.New(b.Pool), &river.Config{})
	require.NoError(t, err)
	changed := start.Add(-42 * time.Second)
	_, err = inserter.Insert(ctx, fulfillment.RefreshArgs{AccountID: sim.DemoAccount.ID, SellerFulfillmentOrderID: notified, NotifiedChange: &changed}, nil)
	require.NoError(t, err)
	_, err = inserter.Insert(ctx, fulfillment.RefreshArgs{AccountID: sim.DemoAccount.ID, SellerFulfillmentOrderID: asked}, nil)
	require.NoError(t, err)

	w := river.NewWorkers()
	fulfillment.NewStream(fulfillment.Options{}).Register(w, b.Deps)
	b.StartClient(t, w, nil)
	b.RunUntilIdle(t, time.Minute)
	require.Empty(t, b.DiscardedJobs(t))

	var stored int
	require.NoError(t, b.Pool.QueryRow(ctx, `SELECT count(*) FROM fulfillment_orders WHERE seller_fulfillment_order_id = ANY($1)`, []string{notified, asked}).Scan(&stored))
	require.Equal(t, 2, stored, "both refreshes wrote their order")
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []observation{{fulfillment.Stream, 42}}, got, "the data clock stands still at start")
}
