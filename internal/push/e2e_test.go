package push

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/devtools/fauxqs"
	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/streams"
)

// pushWorld is the whole push path on one machine: the simulator (Amazon,
// its data clock moved by the test), its notifier delivering to a real
// SQS-protocol server (fauxqs) through the destination and subscriptions
// made with the Notifications API, the consumer, a real River client running
// the order and fulfillment workers, and Postgres.
type pushWorld struct {
	*jobstest.Bundle
	clock    *sim.ManualClock
	start    time.Time
	sqs      *sqs.Client
	queueURL string
	// q sends to and counts the queue (the consumer tests' helpers).
	q        *world
	notifier *sim.Notifier
	river    *river.Client[pgx.Tx]
	consumer *Consumer
	stop     func()
}

// pushOptions are the delivery faults of a world.
type pushOptions struct {
	drop, duplicate float64
	reorder         int
	seed            int64
	// edit changes the consumer's configuration (test hooks).
	edit func(*ConsumerConfig)
}

const twoMinutes = 2 * time.Minute

func newPushWorld(t *testing.T, o pushOptions) *pushWorld {
	t.Helper()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	b := jobstest.New(t, jobstest.Options{OrdersAPI: config.OrdersAPI2026, Sim: sim.Options{
		Seed: 11 + o.seed, Start: start, Orders: 1500, FulfillmentOrders: 250, ServiceJobs: 1,
		DataClock: clock, RateScale: 600,
	}})
	// Push is on: the polls are the safety net and count what push missed.
	b.Deps.Schedules.SafetyNet = true
	b.Deps.PushSince = start

	srv := fauxqs.Start(t)
	client := fauxqs.Client(t, srv)
	queueURL, queueARN := srv.CreateQueue(t, "notifications", true, 5)

	// Subscribe the seller as `worker notifications setup` does.
	acct := sim.DemoAccount
	nc, err := spapi.NewNotificationsClient(spapi.Options{
		Region: spapi.RegionNA, Account: acct.ID, Endpoint: b.Server.URL, LWAEndpoint: b.Server.URL + "/auth/o2/token",
		Credentials: spapi.Credentials{ClientID: acct.ClientID, ClientSecret: acct.ClientSecret, RefreshToken: acct.RefreshToken},
	})
	require.NoError(t, err)
	ctx := context.Background()
	dest, err := nc.CreateDestination(ctx, "spsync", queueARN)
	require.NoError(t, err)
	for _, typ := range []string{spapi.NotificationOrderChange, spapi.NotificationFulfillmentOrderStatus} {
		_, err := nc.CreateSubscription(ctx, typ, "1.0", dest.DestinationID)
		require.NoError(t, err)
	}

	w := &pushWorld{Bundle: b, clock: clock, start: start, sqs: client, queueURL: queueURL,
		q: &world{sqs: client, queueURL: queueURL}}
	workers := river.NewWorkers()
	orders.NewStream(orders.Options{}).Register(workers, b.Deps)
	fulfillment.NewStream(fulfillment.Options{}).Register(workers, b.Deps)
	w.river = b.StartClient(t, workers, nil)

	// The first sync: one poll of each stream, before notifications flow.
	// It reads Amazon up to two minutes ago (Amazon's rule), so the data
	// clock goes back there: the notifier announces every change after
	// what the poll saw, as a subscription made before the poll would.
	w.poll(t)
	clock.Set(start.Add(-twoMinutes))

	nctx, cancelNotifier := context.WithCancel(context.Background())
	w.notifier, err = b.Sim.StartNotifier(nctx, sim.NotifierOptions{
		Sink: sim.NewSQSSink(client), Route: b.Sim.NotificationDestinations,
		DropRate: o.drop, DuplicateRate: o.duplicate, ReorderWindow: o.reorder, Seed: 3 + o.seed,
		Tick: time.Hour, // the test moves the data clock and calls Sync
	})
	require.NoError(t, err)
	t.Cleanup(func() { cancelNotifier(); <-w.notifier.Done() })
	w.startConsumer(t, o.edit)
	return w
}

// startConsumer runs a consumer until stop (or the test's end).
func (w *pushWorld) startConsumer(t *testing.T, edit func(*ConsumerConfig)) {
	t.Helper()
	cfg := ConsumerConfig{
		Pool: w.Pool, River: w.river, SQS: w.sqs, QueueURL: w.queueURL, Streams: streams.All(nil),
		Accounts:          map[string]string{sim.DemoAccount.SellerID: sim.DemoAccount.ID},
		VisibilityTimeout: 2 * time.Second, FollowupDelay: 200 * time.Millisecond,
		Clock: w.clock.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := NewConsumer(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	var once sync.Once
	w.consumer = c
	w.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(w.stop)
}

// poll runs one poll of each stream to idle: the safety net (or, before
// notifications flow, the first sync).
func (w *pushWorld) poll(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	_, err := w.river.InsertMany(ctx, []river.InsertManyParams{
		{Args: orders.PollArgs{AccountID: sim.DemoAccount.ID}},
		{Args: fulfillment.PollArgs{AccountID: sim.DemoAccount.ID}},
	})
	require.NoError(t, err)
	w.RunUntilIdle(t, 2*time.Minute)
	require.Empty(t, w.DiscardedJobs(t))
}

// step moves the data clock by d, lets the notifier deliver what changed,
// and waits until the consumer has emptied the queue and the refreshes ran.
func (w *pushWorld) step(t *testing.T, d time.Duration) {
	t.Helper()
	w.clock.Advance(d)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, w.notifier.Sync(ctx))
	w.drain(t)
}

// drain waits for an empty queue (nothing visible, nothing in flight) and
// then for River to be idle.
func (w *pushWorld) drain(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		visible, inFlight := w.q.counts(t, w.queueURL)
		if visible == 0 && inFlight == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %d visible, %d in flight", visible, inFlight)
		}
		time.Sleep(25 * time.Millisecond)
	}
	w.RunUntilIdle(t, 2*time.Minute)
	require.Empty(t, w.DiscardedJobs(t))
}

// latest is, per entity, the notifier's record of its latest change.
func (w *pushWorld) latest() map[string]sim.NotificationRecord {
	out := map[string]sim.NotificationRecord{}
	for _, r := range w.notifier.Log() {
		if prev, ok := out[r.Type+" "+r.EntityID]; !ok || !r.ChangeTime.Before(prev.ChangeTime) {
			out[r.Type+" "+r.EntityID] = r
		}
	}
	return out
}

// behind compares Postgres with the truth now and returns the orders and
// fulfillment orders whose stored version is older than Amazon's. Stored
// versions are never newer than Amazon's, and status follows version.
func (w *pushWorld) behind(t *testing.T) (ordersBehind, fulfillmentBehind []string) {
	t.Helper()
	ctx := context.Background()
	acct := sim.DemoAccount.ID
	truth, err := w.Sim.TruthOrders(acct)
	require.NoError(t, err)
	for _, o := range truth {
		var status string
		var updated time.Time
		err := w.Pool.QueryRow(ctx, `SELECT order_status, last_update_date FROM orders WHERE account_id = $1 AND amazon_order_id = $2`,
			acct, o.AmazonOrderID).Scan(&status, &updated)
		if errors.Is(err, pgx.ErrNoRows) {
			ordersBehind = append(ordersBehind, o.AmazonOrderID)
			continue
		}
		require.NoError(t, err)
		require.False(t, updated.After(o.LastUpdateDate), "order %s stored %s, newer than Amazon's %s", o.AmazonOrderID, updated, o.LastUpdateDate)
		if updated.Equal(o.LastUpdateDate) {
			require.Equal(t, o.OrderStatus, status, "order %s", o.AmazonOrderID)
		} else {
			ordersBehind = append(ordersBehind, o.AmazonOrderID)
		}
	}
	fos, err := w.Sim.TruthFulfillmentOrders(acct)
	require.NoError(t, err)
	for _, f := range fos {
		fo := f.FulfillmentOrder
		var status string
		var updated time.Time
		err := w.Pool.QueryRow(ctx, `SELECT fulfillment_order_status, status_updated_date FROM fulfillment_orders WHERE account_id = $1 AND seller_fulfillment_order_id = $2`,
			acct, fo.SellerFulfillmentOrderID).Scan(&status, &updated)
		if errors.Is(err, pgx.ErrNoRows) {
			fulfillmentBehind = append(fulfillmentBehind, fo.SellerFulfillmentOrderID)
			continue
		}
		require.NoError(t, err)
		require.False(t, updated.After(fo.StatusUpdatedDate), "fulfillment order %s stored %s, newer than Amazon's", fo.SellerFulfillmentOrderID, updated)
		if updated.Equal(fo.StatusUpdatedDate) {
			want, _ := spapi.EnumFulfillmentOrderStatus.Canonical(fo.FulfillmentOrderStatus)
			require.Equal(t, want, status, "fulfillment order %s", fo.SellerFulfillmentOrderID)
		} else {
			fulfillmentBehind = append(fulfillmentBehind, fo.SellerFulfillmentOrderID)
		}
	}
	return ordersBehind, fulfillmentBehind
}

// requireBehindOnlyWhereDropped: every entity behind the truth had its
// latest change's notification dropped (push never loses one it received).
func (w *pushWorld) requireBehindOnlyWhereDropped(t *testing.T, ordersBehind, fulfillmentBehind []string) {
	t.Helper()
	latest := w.latest()
	for _, id := range ordersBehind {
		r, ok := latest[sim.NotificationTypeOrderChange+" "+id]
		require.True(t, ok, "order %s is behind without a notification since the first sync", id)
		require.True(t, r.Dropped, "order %s is behind though its latest change was delivered: %s", id, r)
	}
	for _, id := range fulfillmentBehind {
		r, ok := latest[sim.NotificationTypeFulfillmentOrderStatus+" "+id]
		require.True(t, ok, "fulfillment order %s is behind without a notification since the first sync", id)
		require.True(t, r.Dropped, "fulfillment order %s is behind though its latest change was delivered: %s", id, r)
	}
}

func (w *pushWorld) apiCalls(op string) int {
	return w.Sim.Stats()[op].Successes
}
