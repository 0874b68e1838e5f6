package push

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/devtools/fauxqs"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/streams"
)

const (
	seller  = "A3TH9S8BH6GOGM"
	account = "acct-1"
)

// world is one test's database, queue and River client.
type world struct {
	pool     *pgxpool.Pool
	sqs      *sqs.Client
	queueURL string
	dlqURL   string
	river    *river.Client[pgx.Tx]
}

func newWorld(t *testing.T, withDLQ bool, maxReceive int) *world {
	t.Helper()
	srv := fauxqs.Start(t)
	w := &world{pool: dbtest.NewPool(t), sqs: fauxqs.Client(t, srv)}
	w.queueURL, _ = srv.CreateQueue(t, "notifications", withDLQ, maxReceive)
	if withDLQ {
		out, err := w.sqs.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("notifications-dlq")})
		require.NoError(t, err)
		w.dlqURL = aws.ToString(out.QueueUrl)
	}
	var err error
	w.river, err = river.NewClient(riverpgxv5.New(w.pool), &river.Config{})
	require.NoError(t, err)
	return w
}

// run starts a consumer over w with cfg's test settings and returns a stop
// that cancels it and waits for Run to return.
func (w *world) run(t *testing.T, edit func(*ConsumerConfig)) (*Consumer, func()) {
	t.Helper()
	cfg := ConsumerConfig{
		Pool: w.pool, River: w.river, SQS: w.sqs, QueueURL: w.queueURL, Streams: streams.All(nil),
		Accounts:          map[string]string{seller: account},
		VisibilityTimeout: 2 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := NewConsumer(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(30 * time.Second):
				t.Error("consumer did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return c, stop
}

func (w *world) send(t *testing.T, bodies ...string) {
	t.Helper()
	entries := make([]sqstypes.SendMessageBatchRequestEntry, len(bodies))
	for i, b := range bodies {
		entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)}
	}
	out, err := w.sqs.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(w.queueURL), Entries: entries})
	require.NoError(t, err)
	require.Empty(t, out.Failed)
}

// counts returns the queue's visible and in-flight messages.
func (w *world) counts(t *testing.T, url string) (visible, inFlight int) {
	t.Helper()
	out, err := w.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	require.NoError(t, err)
	visible, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible, inFlight
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *world) waitDrained(t *testing.T) {
	t.Helper()
	eventually(t, "the queue to be empty", func() bool {
		v, f := w.counts(t, w.queueURL)
		return v == 0 && f == 0
	})
}

// jobsOf lists the jobs of kind.
func (w *world) jobsOf(t *testing.T, kind string) []*rivertype.JobRow {
	t.Helper()
	res, err := w.river.JobList(context.Background(), river.NewJobListParams().Kinds(kind).First(1000))
	require.NoError(t, err)
	return res.Jobs
}

func orderChange(sellerID, orderID, notificationID string, at time.Time) string {
	return fmt.Sprintf(`{"NotificationVersion":"1.0","NotificationType":"ORDER_CHANGE","PayloadVersion":"1.0",
"EventTime":"2026-11-01T10:00:00.109Z","Payload":{"OrderChangeNotification":{"NotificationLevel":"OrderLevel",
"SellerId":%q,"AmazonOrderId":%q,"OrderChangeType":"OrderStatusChange","OrderChangeTrigger":{"TimeOfOrderChange":%q,
"ChangeReason":"Order status changed"},"Summary":{"MarketplaceId":"ATVPDKIKX0DER","OrderStatus":"Shipped","SomethingNew":1}}},
"NotificationMetadata":{"ApplicationId":"app","SubscriptionId":"sub","PublishTime":"2026-11-01T10:00:01Z","NotificationId":%q}}`,
		sellerID, orderID, at.Format(time.RFC3339Nano), notificationID)
}

func fulfillmentStatus(sellerID, orderID, notificationID string, at time.Time) string {
	return fmt.Sprintf(`{"NotificationVersion":"1.0","NotificationType":"FULFILLMENT_ORDER_STATUS","PayloadVersion":"1.0",
"EventTime":"2026-11-01T10:00:00Z","Payload":{"FulfillmentOrderStatusNotification":{"SellerId":%q,"EventType":"Shipment",
"StatusUpdatedDateTime":%q,"SellerFulfillmentOrderId":%q,"FulfillmentOrderStatus":"PROCESSING"}},
"NotificationMetadata":{"NotificationId":%q}}`, sellerID, at.Format(time.RFC3339), orderID, notificationID)
}

func receiptCount(t *testing.T, pool *pgxpool.Pool, stream, entity string) int64 {
	t.Helper()
	var n int64
	err := pool.QueryRow(context.Background(), `SELECT coalesce(sum(notifications), 0) FROM push_receipts WHERE stream = $1 AND entity_id = $2`, stream, entity).Scan(&n)
	require.NoError(t, err)
	return n
}

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

// Duplicates and a burst for one entity become one job per entity; the
// messages are deleted and the receipts counted.
func TestDuplicatesBecomeOneJob(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 0)
	m := NewMetrics()
	w.send(t,
		orderChange(seller, "111-1", "n1", t0), orderChange(seller, "111-1", "n1", t0), // Amazon's duplicate
		orderChange(seller, "111-1", "n2", t0.Add(time.Minute)),
		fulfillmentStatus(seller, "FO-1", "f1", t0), fulfillmentStatus(seller, "FO-1", "f1", t0),
	)
	w.run(t, func(c *ConsumerConfig) { c.Metrics = m })
	w.waitDrained(t)
	// A later delivery of the same notification, after the first batch
	// committed: still one waiting job.
	w.send(t, orderChange(seller, "111-1", "n1", t0))
	w.waitDrained(t)

	oj := w.jobsOf(t, orders.RefreshArgs{}.Kind())
	require.Len(t, oj, 1)
	var oa orders.RefreshArgs
	require.NoError(t, json.Unmarshal(oj[0].EncodedArgs, &oa))
	// The job carries the first notification's change time for the
	// latency histogram; n2's later one does not replace it.
	require.NotNil(t, oa.NotifiedChange)
	require.True(t, t0.Equal(*oa.NotifiedChange), "notified change %v", oa.NotifiedChange)
	oa.NotifiedChange = nil
	require.Equal(t, orders.RefreshArgs{AccountID: account, AmazonOrderID: "111-1"}, oa)
	require.Equal(t, jobs.QueueFollowup, oj[0].Queue)

	fj := w.jobsOf(t, fulfillment.RefreshArgs{}.Kind())
	require.Len(t, fj, 1)
	var fa fulfillment.RefreshArgs
	require.NoError(t, json.Unmarshal(fj[0].EncodedArgs, &fa))
	require.NotNil(t, fa.NotifiedChange)
	require.True(t, t0.Equal(*fa.NotifiedChange), "notified change %v", fa.NotifiedChange)
	fa.NotifiedChange = nil
	require.Equal(t, fulfillment.RefreshArgs{AccountID: account, SellerFulfillmentOrderID: "FO-1"}, fa)

	require.EqualValues(t, 4, receiptCount(t, w.pool, "orders", "111-1"))
	require.EqualValues(t, 2, receiptCount(t, w.pool, "fulfillment_orders", "FO-1"))
	var change time.Time
	require.NoError(t, w.pool.QueryRow(context.Background(), `SELECT last_change_time FROM push_receipts WHERE entity_id = '111-1'`).Scan(&change))
	require.True(t, change.Equal(t0.Add(time.Minute)), "last change %v", change)

	require.InDelta(t, 1, testutil.ToFloat64(m.Messages.WithLabelValues(TypeOrderChange, outcomeEnqueued)), 0)
	require.InDelta(t, 1, testutil.ToFloat64(m.Messages.WithLabelValues(TypeFulfillmentOrderStatus, outcomeEnqueued)), 0)
	require.InDelta(t, 4, testutil.ToFloat64(m.Messages.WithLabelValues(TypeOrderChange, outcomeDuplicate))+testutil.ToFloat64(m.Messages.WithLabelValues(TypeFulfillmentOrderStatus, outcomeDuplicate)), 0)
	require.Positive(t, testutil.ToFloat64(m.LastReceived.WithLabelValues(account, "orders")))
}

// What the consumer cannot handle stays in the queue and, with a redrive
// policy, ends in the dead-letter queue; the good messages of the same
// batches are handled.
func TestUnhandledMessagesGoToTheDLQ(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true, 2)
	m := NewMetrics()
	w.send(t,
		orderChange("UNKNOWN-SELLER", "222-1", "u1", t0),
		`{"NotificationType": "ORDER_CHANGE", "Payload": `, // not JSON
		`{"NotificationType":"ANY_OFFER_CHANGED","Payload":{},"NotificationMetadata":{"NotificationId":"x"}}`,
		orderChange(seller, "333-1", "ok1", t0),
	)
	w.run(t, func(c *ConsumerConfig) { c.Metrics = m; c.VisibilityTimeout = time.Second })
	eventually(t, "three messages in the DLQ", func() bool {
		v, f := w.counts(t, w.dlqURL)
		return v+f == 3
	})
	w.waitDrained(t)
	require.Len(t, w.jobsOf(t, orders.RefreshArgs{}.Kind()), 1)
	require.EqualValues(t, 0, receiptCount(t, w.pool, "orders", "222-1"))
	require.GreaterOrEqual(t, testutil.ToFloat64(m.Messages.WithLabelValues(TypeOrderChange, errUnknownSeller.Error())), 2.0)
	require.GreaterOrEqual(t, testutil.ToFloat64(m.Messages.WithLabelValues("other", errNotJSON.Error())), 2.0)
	require.GreaterOrEqual(t, testutil.ToFloat64(m.Messages.WithLabelValues("other", errUnknownType.Error())), 2.0)
}

// Without a redrive policy, a bad message stays in the queue: it becomes
// visible again once the consumer lets it go.
func TestBadMessageStaysInTheQueue(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 0)
	w.send(t, `not json at all`)
	_, stop := w.run(t, func(c *ConsumerConfig) { c.VisibilityTimeout = time.Second })
	eventually(t, "the consumer to receive the message", func() bool {
		_, f := w.counts(t, w.queueURL)
		return f == 1
	})
	stop()
	var got []sqstypes.Message
	eventually(t, "the message to be visible again", func() bool {
		out, err := w.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(w.queueURL), MaxNumberOfMessages: 10})
		require.NoError(t, err)
		got = out.Messages
		return len(got) > 0
	})
	require.Len(t, got, 1)
	require.Equal(t, "not json at all", aws.ToString(got[0].Body))
	require.Empty(t, w.jobsOf(t, orders.RefreshArgs{}.Kind()))
}

// A crash between the commit and the delete loses nothing: the message
// comes back, its insert is a no-op while the refresh waits, and it is
// deleted by the next consumer.
func TestCrashBetweenCommitAndDelete(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 0)
	w.send(t, orderChange(seller, "444-1", "c1", t0))
	committed := make(chan struct{})
	ctx, crash := context.WithCancel(context.Background())
	defer crash()
	c, err := NewConsumer(ConsumerConfig{
		Pool: w.pool, River: w.river, SQS: w.sqs, QueueURL: w.queueURL, Streams: streams.All(nil),
		Accounts: map[string]string{seller: account}, VisibilityTimeout: time.Second,
		// The process dies right after the commit: its context ends, so the
		// delete never reaches the queue.
		afterCommit: func() { crash(); close(committed) },
	})
	require.NoError(t, err)
	require.NoError(t, c.Run(ctx))
	<-committed
	require.Len(t, w.jobsOf(t, orders.RefreshArgs{}.Kind()), 1)
	v, f := w.counts(t, w.queueURL)
	require.Equal(t, 1, v+f, "the message must still be in the queue")

	// The restarted consumer gets it again after the visibility timeout.
	w.run(t, nil)
	w.waitDrained(t)
	require.Len(t, w.jobsOf(t, orders.RefreshArgs{}.Kind()), 1, "the redelivery must not add a second fetch while the first waits")
	require.EqualValues(t, 2, receiptCount(t, w.pool, "orders", "444-1"))
}

// A failed transaction deletes nothing: the message comes back and the
// next try commits it.
func TestFailedCommitKeepsTheMessage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 0)
	w.send(t, fulfillmentStatus(seller, "FO-9", "f9", t0))
	var mu sync.Mutex
	fails := 1
	w.run(t, func(c *ConsumerConfig) {
		c.VisibilityTimeout = time.Second
		c.beforeCommit = func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			if fails > 0 {
				fails--
				return fmt.Errorf("injected failure")
			}
			return nil
		}
	})
	w.waitDrained(t)
	require.Len(t, w.jobsOf(t, fulfillment.RefreshArgs{}.Kind()), 1)
	require.EqualValues(t, 1, receiptCount(t, w.pool, "fulfillment_orders", "FO-9"), "the failed try recorded nothing")
}

// While a batch's transaction is slow, the heartbeat keeps its messages
// invisible past the visibility timeout.
func TestVisibilityIsExtendedWhileTheBatchCommits(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 0)
	w.send(t, orderChange(seller, "555-1", "v1", t0))
	extended := make(chan struct{}, 16)
	w.run(t, func(c *ConsumerConfig) {
		c.VisibilityTimeout = 2 * time.Second
		c.onExtend = func() { extended <- struct{}{} }
		c.beforeCommit = func(ctx context.Context) error {
			start := time.Now()
			// Three extensions, one per second: past the two-second timeout.
			for range 3 {
				select {
				case <-extended:
				case <-time.After(10 * time.Second):
					return fmt.Errorf("no visibility extension")
				}
			}
			if time.Since(start) < 2*time.Second {
				return fmt.Errorf("extensions came too fast")
			}
			// Past the original timeout, the message is still hidden.
			out, err := w.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(w.queueURL), MaxNumberOfMessages: 10})
			if err != nil {
				return err
			}
			if len(out.Messages) > 0 {
				return fmt.Errorf("the message became visible while its batch was committing")
			}
			return nil
		}
	})
	w.waitDrained(t)
	require.Len(t, w.jobsOf(t, orders.RefreshArgs{}.Kind()), 1)
	require.EqualValues(t, 1, receiptCount(t, w.pool, "orders", "555-1"), "committed once, on the first try")
}

// blockingRefresh is an order refresh worker that holds its job until
// released, so a test can deliver notifications while it runs.
type blockingRefresh struct {
	river.WorkerDefaults[orders.RefreshArgs]
	started chan orders.RefreshArgs
	release chan struct{}
}

func (b *blockingRefresh) Work(ctx context.Context, job *river.Job[orders.RefreshArgs]) error {
	b.started <- job.Args
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return nil
}

// A notification that arrives while its order's refresh is running gets a
// follow-up refresh, scheduled FollowupDelay later; a further one while the
// follow-up is pending adds nothing.
func TestRunningRefreshGetsOneFollowup(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 0)
	worker := &blockingRefresh{started: make(chan orders.RefreshArgs, 4), release: make(chan struct{})}
	workers := river.NewWorkers()
	river.AddWorker(workers, worker)
	runner, err := river.NewClient(riverpgxv5.New(w.pool), &river.Config{
		Queues: jobs.QueueConfig(), Workers: workers,
		FetchCooldown: 10 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond, TestOnly: true,
	})
	require.NoError(t, err)
	require.NoError(t, runner.Start(context.Background()))
	t.Cleanup(func() {
		close(worker.release)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.StopAndCancel(ctx)
	})

	// The first notification's refresh starts and blocks.
	w.run(t, func(c *ConsumerConfig) { c.River = runner; c.FollowupDelay = time.Hour })
	w.send(t, orderChange(seller, "666-1", "r1", t0))
	select {
	case args := <-worker.started:
		require.Equal(t, "666-1", args.AmazonOrderID)
	case <-time.After(30 * time.Second):
		t.Fatal("the refresh never started")
	}
	w.waitDrained(t)

	// A change announced while it runs: a follow-up, an hour later.
	sent := time.Now()
	w.send(t, orderChange(seller, "666-1", "r2", t0.Add(time.Minute)))
	w.waitDrained(t)
	all := w.jobsOf(t, orders.RefreshArgs{}.Kind())
	require.Len(t, all, 2)
	var followup *rivertype.JobRow
	for _, j := range all {
		var a orders.RefreshArgs
		require.NoError(t, json.Unmarshal(j.EncodedArgs, &a))
		if a.Followup {
			followup = j
			require.NotNil(t, a.NotifiedChange)
			require.True(t, t0.Add(time.Minute).Equal(*a.NotifiedChange), "the follow-up carries r2's change: %v", a.NotifiedChange)
			a.NotifiedChange = nil
			require.Equal(t, orders.RefreshArgs{AccountID: account, AmazonOrderID: "666-1", Followup: true}, a)
		} else {
			require.Equal(t, rivertype.JobStateRunning, j.State)
		}
	}
	require.NotNil(t, followup, "no follow-up refresh")
	require.Equal(t, rivertype.JobStateScheduled, followup.State)
	require.True(t, followup.ScheduledAt.After(sent.Add(time.Hour-time.Minute)), "scheduled at %v", followup.ScheduledAt)

	// Two more while the follow-up is pending: nothing new.
	w.send(t, orderChange(seller, "666-1", "r3", t0.Add(2*time.Minute)), orderChange(seller, "666-1", "r4", t0.Add(3*time.Minute)))
	w.waitDrained(t)
	require.Len(t, w.jobsOf(t, orders.RefreshArgs{}.Kind()), 2)
	require.EqualValues(t, 4, receiptCount(t, w.pool, "orders", "666-1"))
}

func TestNewConsumerDefaults(t *testing.T) {
	_, err := NewConsumer(ConsumerConfig{})
	require.Error(t, err)
	c, err := NewConsumer(ConsumerConfig{Pool: &pgxpool.Pool{}, River: &river.Client[pgx.Tx]{}, SQS: &sqs.Client{}, QueueURL: "q", Streams: streams.All(nil)})
	require.NoError(t, err)
	require.Equal(t, 60*time.Second, c.cfg.VisibilityTimeout)
	require.Equal(t, 5*time.Second, c.cfg.FollowupDelay)
}

// Past MaxBacklog waiting refreshes, a notification for a new entity queues
// no refresh: the stream's poll is queued instead (once), the message is
// still deleted and its receipt kept, so the backlog stays bounded whatever
// Amazon sends.
func TestBacklogIsShedToThePoll(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 0)
	m := NewMetrics()
	var bodies []string
	for i := range 8 {
		bodies = append(bodies, orderChange(seller, fmt.Sprintf("111-%d", i), fmt.Sprintf("n%d", i), t0))
	}
	w.send(t, bodies...)
	w.send(t, fulfillmentStatus(seller, "FO-1", "f1", t0))
	w.run(t, func(c *ConsumerConfig) { c.Metrics = m; c.MaxBacklog = 3 })
	w.waitDrained(t)

	require.Len(t, w.jobsOf(t, orders.RefreshArgs{}.Kind()), 3, "refreshes up to the bound")
	polls := w.jobsOf(t, orders.PollArgs{}.Kind())
	require.Len(t, polls, 1, "the rest is the poll's, queued once")
	var pa orders.PollArgs
	require.NoError(t, json.Unmarshal(polls[0].EncodedArgs, &pa))
	require.Equal(t, account, pa.AccountID)
	require.Len(t, w.jobsOf(t, fulfillment.RefreshArgs{}.Kind()), 1, "another stream has its own bound")
	require.Empty(t, w.jobsOf(t, fulfillment.PollArgs{}.Kind()))
	require.InDelta(t, 5, testutil.ToFloat64(m.Messages.WithLabelValues(TypeOrderChange, outcomeShed)), 0)
	for i := range 8 {
		require.EqualValues(t, 1, receiptCount(t, w.pool, "orders", fmt.Sprintf("111-%d", i)), "shed or not, the notification was received")
	}

	// While the backlog is full every notification is shed (one for an
	// entity whose refresh waits too: that refresh reads the change
	// anyway), and the queued poll absorbs the new poll.
	w.send(t, orderChange(seller, "111-0", "n0b", t0.Add(time.Minute)), orderChange(seller, "111-9", "n9", t0))
	w.waitDrained(t)
	require.Len(t, w.jobsOf(t, orders.RefreshArgs{}.Kind()), 3)
	require.Len(t, w.jobsOf(t, orders.PollArgs{}.Kind()), 1)
	require.InDelta(t, 7, testutil.ToFloat64(m.Messages.WithLabelValues(TypeOrderChange, outcomeShed)), 0)
}

// TestShedChangesGetAPollThatReachesThem: a poll queued at once for shed
// changes would end its window two minutes before them (Amazon's rule) and
// leave them to the next scheduled poll, up to 15 minutes later with push
// on. The shed poll waits until its window reaches the latest shed change,
// and changes shed later, even while that poll runs, get the next period's.
func TestShedChangesGetAPollThatReachesThem(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 0)
	// The data clock and River's move together, by hand.
	dataNow, start := t0, time.Now()
	var mu sync.Mutex
	var passed time.Duration
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return dataNow.Add(passed) }
	riverNow := func() time.Time { mu.Lock(); defer mu.Unlock(); return start.Add(passed) }
	w.send(t, orderChange(seller, "111-1", "n1", t0), orderChange(seller, "111-2", "n2", t0))
	w.run(t, func(c *ConsumerConfig) { c.MaxBacklog = 1; c.Clock = clock; c.riverNow = riverNow })
	w.waitDrained(t)

	polls := w.jobsOf(t, orders.PollArgs{}.Kind())
	require.Len(t, polls, 1)
	first := polls[0]
	require.Equal(t, rivertype.JobStateScheduled, first.State)
	require.False(t, first.ScheduledAt.Before(start.Add(2*time.Minute+shedPollMargin)),
		"the poll runs once a window can reach the change: %s after the change", first.ScheduledAt.Sub(start))
	require.True(t, first.ScheduledAt.Before(start.Add(2*time.Minute+shedPollMargin+ShedPollPeriod)))

	// The poll runs; changes keep coming and are shed.
	_, err := w.pool.Exec(context.Background(), `UPDATE river_job SET state = 'running', attempted_at = now(), attempt = 1 WHERE id = $1`, first.ID)
	require.NoError(t, err)
	mu.Lock()
	passed = 4 * time.Minute
	mu.Unlock()
	w.send(t, orderChange(seller, "111-3", "n3", t0.Add(4*time.Minute)))
	w.waitDrained(t)
	polls = w.jobsOf(t, orders.PollArgs{}.Kind())
	require.Len(t, polls, 2, "a later change gets its own poll while the first one runs")
	var second *rivertype.JobRow
	for _, p := range polls {
		if p.ID != first.ID {
			second = p
		}
	}
	require.True(t, second.ScheduledAt.After(first.ScheduledAt))
}

func TestShedPollAt(t *testing.T) {
	real := time.Date(2026, 12, 7, 10, 0, 30, 0, time.UTC)
	tests := []struct {
		name            string
		latest, dataNow time.Time
		want            time.Time
	}{
		{"a fresh change waits for the two-minute rule", real, real, time.Date(2026, 12, 7, 10, 3, 0, 0, time.UTC)},
		{"an old change runs at the next boundary", real.Add(-time.Hour), real, time.Date(2026, 12, 7, 10, 3, 0, 0, time.UTC)},
		{"past a boundary it is the next one", real.Add(time.Minute), real, time.Date(2026, 12, 7, 10, 6, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shedPollAt(tt.latest, tt.dataNow, real)
			require.Equal(t, tt.want, got)
			require.False(t, got.Before(real.Add(tt.latest.Sub(tt.dataNow)+2*time.Minute)), "the window reaches the change")
		})
	}
}
