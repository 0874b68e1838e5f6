package push

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
	"github.com/spsync/spsync/internal/streams"
)

// With push on and no poll after the first sync, every change reaches
// Postgres equal to the truth, a refresh per changed entity (not a list
// call), fulfillment orders included; the polls are not needed.
func TestPushKeepsPostgresEqualToTruth(t *testing.T) {
	t.Parallel()
	w := newPushWorld(t, pushOptions{})
	searches, lists := w.apiCalls(spapi.OpSearchOrders), w.apiCalls(spapi.OpListAllFulfillmentOrders)
	refreshesBefore := w.apiCalls(spapi.OpGetOrder2026) + w.apiCalls(spapi.OpGetFulfillmentOrder)
	for range 6 {
		w.step(t, 40*time.Minute)
		ob, fb := w.behind(t)
		require.Empty(t, ob, "orders behind the truth")
		require.Empty(t, fb, "fulfillment orders behind the truth")
	}
	st := w.notifier.Stats()
	require.Greater(t, st.Delivered, 30, "the 4 simulated hours must change things: %+v", st)
	require.Zero(t, st.Failed)
	require.Equal(t, searches, w.apiCalls(spapi.OpSearchOrders), "no list call: push alone")
	require.Equal(t, lists, w.apiCalls(spapi.OpListAllFulfillmentOrders))
	changed := map[string]bool{}
	for _, r := range w.notifier.Log() {
		changed[r.Type+" "+r.EntityID] = true
	}
	refreshes := w.apiCalls(spapi.OpGetOrder2026) + w.apiCalls(spapi.OpGetFulfillmentOrder) - refreshesBefore
	require.Positive(t, refreshes)
	require.LessOrEqual(t, refreshes, len(changed)*2, "at most a fetch and a follow-up per changed entity and step")
	t.Logf("%d notifications delivered for %d entities: %d refreshes, 0 list calls", st.Delivered, len(changed), refreshes)
	streams, err := store.ListPushStreams(context.Background(), w.Pool)
	require.NoError(t, err)
	require.Len(t, streams, 2)
	for _, s := range streams {
		require.Positive(t, s.Notifications, s.Stream)
		require.Zero(t, s.SafetyNetUnannounced, s.Stream)
	}
}

// With 20 % of the notifications dropped, push leaves exactly the entities
// whose latest notification was lost behind; the safety-net poll brings
// them back, and counts them as found only by the poll.
func TestSafetyNetPollCatchesDroppedNotifications(t *testing.T) {
	t.Parallel()
	w := newPushWorld(t, pushOptions{drop: 0.2, seed: 1})
	for range 6 {
		w.step(t, 40*time.Minute)
	}
	ob, fb := w.behind(t)
	require.NotEmpty(t, append(ob, fb...), "with 20 %% dropped some entity must be behind (stats %+v)", w.notifier.Stats())
	w.requireBehindOnlyWhereDropped(t, ob, fb)

	w.poll(t)
	// The poll reads Amazon up to two minutes ago (Amazon's rule): what
	// changed since may still be behind, and only if its notification was
	// dropped.
	ob2, fb2 := w.behind(t)
	w.requireBehindOnlyWhereDropped(t, ob2, fb2)
	latest := w.latest()
	cutoff := w.clock.Now().Add(-twoMinutes)
	for _, id := range ob2 {
		require.True(t, latest[sim.NotificationTypeOrderChange+" "+id].ChangeTime.After(cutoff), "order %s still behind after the poll", id)
	}
	for _, id := range fb2 {
		require.True(t, latest[sim.NotificationTypeFulfillmentOrderStatus+" "+id].ChangeTime.After(cutoff), "fulfillment order %s still behind after the poll", id)
	}

	streams, err := store.ListPushStreams(context.Background(), w.Pool)
	require.NoError(t, err)
	found := int64(0)
	for _, s := range streams {
		found += s.SafetyNetUnannounced
	}
	caught := len(ob) + len(fb) - len(ob2) - len(fb2)
	require.Positive(t, caught)
	require.GreaterOrEqual(t, found, int64(caught), "every entity the poll caught up was unannounced")
	// Found-only-by-the-poll counts dropped notifications only: at most the
	// entities with a dropped latest change.
	dropped := 0
	for _, r := range latest {
		if r.Dropped {
			dropped++
		}
	}
	require.LessOrEqual(t, found, int64(dropped))
	t.Logf("notifier %+v; behind before the poll: %d orders, %d fulfillment orders; after: %d, %d; found only by the poll: %d (entities whose latest notification was dropped: %d)",
		w.notifier.Stats(), len(ob), len(fb), len(ob2), len(fb2), found, dropped)
}

// Duplicated and reordered deliveries, and late stale copies of every
// notification, change nothing: Postgres stays equal to the truth and no row
// gets a new version from them (ERP readers see no phantom update). Each
// extra refresh reads Amazon's current state, so this does not exercise the
// refusal of an answer older than the stored row: that is
// store.TestStaleAnswersChangeNothing.
func TestDuplicatesReorderingAndStaleNotificationsChangeNothing(t *testing.T) {
	t.Parallel()
	w := newPushWorld(t, pushOptions{duplicate: 0.5, reorder: 7, seed: 2})
	for range 4 {
		w.step(t, 40*time.Minute)
		ob, fb := w.behind(t)
		require.Empty(t, ob)
		require.Empty(t, fb)
	}
	require.Positive(t, w.notifier.Stats().Duplicated)

	before := versions(t, w.Pool)
	// Every notification again, late and out of order (the oldest change
	// times last), as Amazon may deliver them.
	log := w.notifier.Log()
	var bodies []string
	for i := len(log) - 1; i >= 0; i-- {
		r := log[i]
		if r.Type == sim.NotificationTypeOrderChange {
			bodies = append(bodies, orderChange(sim.DemoAccount.SellerID, r.EntityID, r.NotificationID, r.ChangeTime))
		} else {
			bodies = append(bodies, fulfillmentStatus(sim.DemoAccount.SellerID, r.EntityID, r.NotificationID, r.ChangeTime))
		}
	}
	for len(bodies) > 0 {
		n := min(10, len(bodies))
		w.q.send(t, bodies[:n]...)
		bodies = bodies[n:]
	}
	w.drain(t)
	require.Equal(t, before, versions(t, w.Pool), "late and repeated notifications wrote nothing")
	ob, fb := w.behind(t)
	require.Empty(t, ob)
	require.Empty(t, fb)
}

// versions is every order and fulfillment order row's sync_version.
func versions(t *testing.T, pool *pgxpool.Pool) map[string]int64 {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT 'o ' || amazon_order_id, sync_version FROM orders
		UNION ALL SELECT 'i ' || order_item_id, sync_version FROM order_items
		UNION ALL SELECT 'f ' || seller_fulfillment_order_id, sync_version FROM fulfillment_orders`)
	require.NoError(t, err)
	out := map[string]int64{}
	var k string
	var v int64
	_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error { out[k] = v; return nil })
	require.NoError(t, err)
	return out
}

// A consumer process killed with SIGKILL after its batch's jobs committed
// and before it deleted the messages loses nothing: the messages come back,
// and each entity is fetched at most twice (once by the committed job,
// once more by the redelivery when that job had already run).
func TestKilledBetweenCommitAndDelete(t *testing.T) {
	t.Parallel()
	w := newPushWorld(t, pushOptions{seed: 3})
	w.stop() // the in-process consumer; a child process consumes instead

	// Five orders change; their notifications wait in the queue.
	w.clock.Advance(time.Minute)
	truth, err := w.Sim.TruthOrders(sim.DemoAccount.ID)
	require.NoError(t, err)
	var bodies []string
	for _, o := range truth[:5] {
		bodies = append(bodies, orderChange(sim.DemoAccount.SellerID, o.AmazonOrderID, "kill-"+o.AmazonOrderID, o.LastUpdateDate))
	}
	w.q.send(t, bodies...)
	fetchesBefore := w.apiCalls(spapi.OpGetOrder2026)

	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledConsumerProcess$", "-test.v")
	cmd.Env = append(os.Environ(),
		"SPSYNC_PUSH_KILL_CHILD=1",
		"SPSYNC_PUSH_KILL_DB="+w.Pool.Config().ConnString(),
		"SPSYNC_PUSH_KILL_SQS="+aws.ToString(w.sqs.Options().BaseEndpoint),
		"SPSYNC_PUSH_KILL_QUEUE="+w.queueURL,
		"SPSYNC_PUSH_KILL_SELLER="+sim.DemoAccount.SellerID+"="+sim.DemoAccount.ID,
	)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr, "the child must die, not exit: %s", out)
	status, ok := exitErr.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, status.Signaled() && status.Signal() == syscall.SIGKILL, "child ended by %v, not SIGKILL:\n%s", exitErr, out)

	// The first batch's jobs committed (SQS may hand out fewer than five at
	// once): River runs them, one fetch per order.
	w.RunUntilIdle(t, time.Minute)
	committed := w.apiCalls(spapi.OpGetOrder2026) - fetchesBefore
	require.Positive(t, committed, "the child's batch committed before the kill:\n%s", out)
	visible, inFlight := w.q.counts(t, w.queueURL)
	require.Equal(t, 5, visible+inFlight, "no message was deleted")

	// A new consumer gets them back after their visibility timeout.
	w.startConsumer(t, nil)
	w.drain(t)
	fetched := w.apiCalls(spapi.OpGetOrder2026) - fetchesBefore
	require.GreaterOrEqual(t, fetched, 5, "every change fetched")
	require.LessOrEqual(t, fetched, 5+committed, "at most one more fetch per entity whose job committed before the kill")
	ob, _ := w.behind(t)
	for _, o := range truth[:5] {
		require.NotContains(t, ob, o.AmazonOrderID)
	}
	var receipts int64
	require.NoError(t, w.Pool.QueryRow(context.Background(),
		`SELECT coalesce(sum(notifications), 0) FROM push_receipts WHERE last_notification_id LIKE 'kill-%'`).Scan(&receipts))
	require.EqualValues(t, 5+committed, receipts, "the first batch's receipts committed with its jobs, the redelivery's with its own")
}

// TestKilledConsumerProcess is the child of TestKilledBetweenCommitAndDelete:
// a consumer that SIGKILLs its own process right after its first batch
// commits, before it deletes the messages. It does nothing as a normal test.
func TestKilledConsumerProcess(t *testing.T) {
	if os.Getenv("SPSYNC_PUSH_KILL_CHILD") != "1" {
		t.Skip("the child process of TestKilledBetweenCommitAndDelete")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("SPSYNC_PUSH_KILL_DB"))
	require.NoError(t, err)
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	seller, account, _ := strings.Cut(os.Getenv("SPSYNC_PUSH_KILL_SELLER"), "=")
	c, err := NewConsumer(ConsumerConfig{
		Pool: pool, River: rc, QueueURL: os.Getenv("SPSYNC_PUSH_KILL_QUEUE"), Streams: streams.All(nil),
		SQS: sqs.New(sqs.Options{BaseEndpoint: aws.String(os.Getenv("SPSYNC_PUSH_KILL_SQS")), Region: "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}),
		Accounts: map[string]string{seller: account}, VisibilityTimeout: 2 * time.Second,
		afterCommit: func() {
			fmt.Println("committed; killing myself before the delete")
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		},
	})
	require.NoError(t, err)
	_ = c.Run(ctx)
	t.Fatal("the consumer returned instead of being killed")
}
