package finances_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/finances"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

var acct = sim.DemoAccount.ID

// start is the simulator's data clock at the first poll; its orders began
// a month before.
var start = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

type world struct {
	*jobstest.Bundle
	clock  *sim.ManualClock
	stream jobs.Stream
	opts   finances.Options
	facts  map[string]sim.TransactionFacts
}

// newWorld builds a simulator with a month of orders (returns and deferred
// sales among them, deferrals maturing ten days after posting, a share of
// postings listed up to 48 hours late), its data clock standing still at
// start and its usage plans 200 times faster, and the stream's workers.
// With push, the polls are the safety net (config.Schedules.SafetyNet).
func newWorld(t *testing.T, push bool) *world {
	t.Helper()
	return newWorldWith(t, push, nil)
}

// newWorldWith is newWorld whose one River client also runs the workers
// more registers (a backfill's): a second client without them would take
// their jobs and fail them as unknown kinds.
func newWorldWith(t *testing.T, push bool, more func(*river.Workers, *jobs.Deps)) *world {
	t.Helper()
	clock := sim.NewManualClock(start)
	b := jobstest.New(t, jobstest.Options{Sim: sim.Options{
		Seed: 28, Start: start, History: 30 * 24 * time.Hour, Orders: 300, FulfillmentOrders: 1, ServiceJobs: 1,
		DataClock: clock, RateScale: 200, FinanceDeferralPeriod: 10 * 24 * time.Hour, FinanceDeferredRate: 0.3,
	}})
	if push {
		b.Deps.Schedules = config.Schedules{SafetyNet: true}
	}
	w := &world{Bundle: b, clock: clock, opts: finances.Options{InitialLookback: 40 * 24 * time.Hour}}
	w.stream = finances.NewStream(w.opts)
	workers := river.NewWorkers()
	w.stream.Register(workers, b.Deps)
	if more != nil {
		more(workers, b.Deps)
	}
	b.StartClient(t, workers, nil)
	facts, err := b.Sim.TruthTransactionFacts(acct)
	require.NoError(t, err)
	w.facts = map[string]sim.TransactionFacts{}
	for _, f := range facts {
		w.facts[f.TransactionID] = f
	}
	return w
}

// poll runs one poll of the demo account, and every job it queues, to
// idle.
func (w *world) poll(t *testing.T) {
	t.Helper()
	w.insert(t, finances.PollArgs{AccountID: acct})
	w.RunUntilIdle(t, 2*time.Minute)
	require.Empty(t, w.DiscardedJobs(t))
}

func (w *world) insert(t *testing.T, args river.JobArgs) {
	t.Helper()
	c, err := river.NewClient(riverpgxv5.New(w.Pool), &river.Config{})
	require.NoError(t, err)
	_, err = c.Insert(context.Background(), args, nil)
	require.NoError(t, err)
}

// cursor is the poll's cursor: the end of the last window it read.
func (w *world) cursor(t *testing.T) time.Time {
	t.Helper()
	var c time.Time
	require.NoError(t, w.Pool.QueryRow(context.Background(),
		`SELECT cursor_at FROM sync_cursors WHERE account_id = $1 AND stream = $2 AND scope = $3`, acct, finances.Stream, finances.Scope).Scan(&c))
	return c
}

type stored struct {
	status  string
	version int64
}

// stored returns the stored transactions' status and sync_version.
func (w *world) stored(t *testing.T) map[string]stored {
	t.Helper()
	rows, err := w.Pool.Query(context.Background(), `SELECT transaction_id, coalesce(transaction_status, ''), sync_version
		FROM financial_transactions WHERE account_id = $1`, acct)
	require.NoError(t, err)
	out := map[string]stored{}
	for rows.Next() {
		var id string
		var s stored
		require.NoError(t, rows.Scan(&id, &s.status, &s.version))
		out[id] = s
	}
	require.NoError(t, rows.Err())
	return out
}

func decEqual(t *testing.T, want json.Number, got *string, what string) {
	t.Helper()
	require.NotNil(t, got, what)
	require.True(t, decimal.RequireFromString(want.String()).Equal(decimal.RequireFromString(*got)), "%s: %s, want %s", what, *got, want)
}

// flatten is the breakdown rows a tree should give, written out here
// rather than taken from spapi.FlattenBreakdowns so the two cannot agree
// by construction: every node under the path of types from its root, a
// type repeated among siblings suffixed #2, #3, ….
func flatten(into map[string]sim.Currency, prefix string, bs []sim.Breakdown) {
	seen := map[string]int{}
	for _, b := range bs {
		seen[b.BreakdownType]++
		elem := b.BreakdownType
		if n := seen[b.BreakdownType]; n > 1 {
			elem = fmt.Sprintf("%s#%d", elem, n)
		}
		path := prefix + "/" + elem
		into[path] = b.BreakdownAmount
		flatten(into, path, b.Breakdowns)
	}
}

// requireMatchesTruth compares the three tables with the simulator's
// truth at the data clock, field by field: every stored transaction is one
// Amazon lists, with its raw payload, typed columns, items and breakdowns
// equal to the truth's (but those skip names, released too recently for a
// re-read to have seen it), and every transaction posted before
// settledBefore is stored. It returns the truth.
func (w *world) requireMatchesTruth(t *testing.T, settledBefore time.Time, skip func(id string) bool) map[string]sim.Transaction {
	t.Helper()
	ctx := context.Background()
	list, err := w.Sim.TruthTransactions(acct)
	require.NoError(t, err)
	truth := map[string]sim.Transaction{}
	for _, tx := range list {
		truth[tx.TransactionID] = tx
	}

	type row struct {
		raw                        []byte
		status, orderID, amount    *string
		posted                     *time.Time
		market, maturity, currency *string
	}
	rows, err := w.Pool.Query(ctx, `SELECT transaction_id, raw, transaction_status, order_id, total_amount::text, posted_date,
		marketplace_id, to_char(deferred_maturity_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), total_currency
		FROM financial_transactions WHERE account_id = $1`, acct)
	require.NoError(t, err)
	got := map[string]row{}
	for rows.Next() {
		var id string
		var r row
		require.NoError(t, rows.Scan(&id, &r.raw, &r.status, &r.orderID, &r.amount, &r.posted, &r.market, &r.maturity, &r.currency))
		got[id] = r
	}
	require.NoError(t, rows.Err())

	compared := map[string]bool{}
	for id, r := range got {
		want, ok := truth[id]
		require.True(t, ok, "transaction %s stored but not listed by Amazon", id)
		if skip(id) {
			continue
		}
		compared[id] = true
		jobstest.RequireSameTyped[spapi.Transaction](t, want, r.raw, "transaction ", id)
		require.Equal(t, want.TransactionStatus, *r.status, id)
		require.True(t, want.PostedDate.Equal(*r.posted), id)
		decEqual(t, want.TotalAmount.CurrencyAmount, r.amount, "total of "+id)
		require.Equal(t, want.TotalAmount.CurrencyCode, *r.currency, id)
		require.Equal(t, w.facts[id].OrderID, *r.orderID, id)
		require.Equal(t, w.facts[id].MarketplaceID, *r.market, id)
		if f := w.facts[id]; f.Deferred {
			require.Equal(t, f.MaturityDate.UTC().Format(time.RFC3339), *r.maturity, id)
		} else {
			require.Nil(t, r.maturity, id)
		}
	}
	for id, tx := range truth {
		if tx.PostedDate.Before(settledBefore) {
			_, ok := got[id]
			require.True(t, ok, "transaction %s posted %s (listed from %s) is missing", id, tx.PostedDate, w.facts[id].VisibleAt)
		}
	}

	// Items: by position, raw and typed.
	wantItems := map[string]sim.TransactionItem{}
	wantBreakdowns := map[string]sim.Currency{}
	for id := range compared {
		tx := truth[id]
		flatten(wantBreakdowns, id+"/-1", tx.Breakdowns)
		for i, it := range tx.Items {
			k := fmt.Sprintf("%s/%d", id, i)
			wantItems[k] = it
			flatten(wantBreakdowns, k, it.Breakdowns)
		}
	}
	rows, err = w.Pool.Query(ctx, `SELECT transaction_id || '/' || item_index, raw, total_amount::text, sku, quantity_shipped
		FROM financial_transaction_items WHERE account_id = $1`, acct)
	require.NoError(t, err)
	items := 0
	for rows.Next() {
		var k string
		var raw []byte
		var amount, sku *string
		var qty *int
		require.NoError(t, rows.Scan(&k, &raw, &amount, &sku, &qty))
		id, _, _ := strings.Cut(k, "/")
		if !compared[id] {
			continue
		}
		want, ok := wantItems[k]
		require.True(t, ok, "item %s stored but not on Amazon", k)
		jobstest.RequireSameTyped[spapi.TransactionItem](t, want, raw, "item ", k)
		decEqual(t, want.TotalAmount.CurrencyAmount, amount, "item "+k)
		require.Len(t, want.Contexts, 1)
		require.Equal(t, want.Contexts[0].SKU, *sku, k)
		require.Equal(t, *want.Contexts[0].QuantityShipped, *qty, k)
		items++
	}
	require.NoError(t, rows.Err())
	require.Equal(t, len(wantItems), items, "items")

	rows, err = w.Pool.Query(ctx, `SELECT transaction_id || '/' || item_index || '/' || array_to_string(path, '/'), depth, breakdown_type, amount::text, currency
		FROM financial_transaction_breakdowns WHERE account_id = $1`, acct)
	require.NoError(t, err)
	nodes := 0
	for rows.Next() {
		var k, typ, currency string
		var depth int
		var amount *string
		require.NoError(t, rows.Scan(&k, &depth, &typ, &amount, &currency))
		id, rest, _ := strings.Cut(k, "/")
		if !compared[id] {
			continue
		}
		want, ok := wantBreakdowns[k]
		require.True(t, ok, "breakdown %s stored but not on Amazon", k)
		decEqual(t, want.CurrencyAmount, amount, "breakdown "+k)
		require.Equal(t, want.CurrencyCode, currency, k)
		elems := strings.Split(rest, "/")[1:]
		require.Equal(t, len(elems)-1, depth, k)
		leaf, _, _ := strings.Cut(elems[len(elems)-1], "#")
		require.Equal(t, leaf, typ, k)
		nodes++
	}
	require.NoError(t, rows.Err())
	require.Equal(t, len(wantBreakdowns), nodes, "breakdown nodes")
	return truth
}

// pushSink stands in for SQS and the push consumer: it reads each
// notification's envelope and payload as push does, through the stream's
// PushSource, and queues the refresh it names.
type pushSink struct {
	t      *testing.T
	w      *world
	client *river.Client[pgx.Tx]
	mu     sync.Mutex
	events []jobs.PushEvent
}

func (s *pushSink) Deliver(ctx context.Context, _ string, body []byte) error {
	var env struct {
		NotificationType string
		Payload          map[string]json.RawMessage
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return err
	}
	src := s.w.stream.Push
	for _, n := range src.Notifications {
		if n.Type != env.NotificationType {
			continue
		}
		ev, err := n.Parse(env.Payload[n.Payload])
		if err != nil {
			return err
		}
		if ev.EntityID == "" || ev.SellerID != sim.DemoAccount.SellerID {
			return fmt.Errorf("notification without entity or of another seller: %+v", ev)
		}
		s.mu.Lock()
		s.events = append(s.events, ev)
		s.mu.Unlock()
		_, err = s.client.Insert(ctx, src.Refresh(acct, ev.EntityID, false, &ev.ChangeTime), nil)
		return err
	}
	return fmt.Errorf("notification type %s consumed by no stream", env.NotificationType)
}

// TestFinancialTransactionsMatchAmazon syncs a month of orders' money, with
// push off and on: everything Amazon lists is stored field by field, a
// posting Amazon lists late is caught by the trailing re-read, US MFN
// orders' transactions are there, and a deferred sale released ten days
// after posting, in place or by a release transaction, moves its
// sync_version exactly once.
func TestFinancialTransactionsMatchAmazon(t *testing.T) {
	t.Parallel()
	for _, push := range []bool{false, true} {
		t.Run(map[bool]string{false: "PushOff", true: "PushOn"}[push], func(t *testing.T) {
			t.Parallel()
			testSync(t, push)
		})
	}
}

func testSync(t *testing.T, push bool) {
	w := newWorld(t, push)
	ctx := context.Background()
	lag := 49 * time.Hour

	// The transactions the test follows, from the simulator's timeline:
	// deferred sales listed before the first poll and maturing after the
	// late check, one released in place and one by a release transaction;
	// a sale posted before the first poll's window start but listed only
	// hours after it; a US MFN order's.
	var byStatus, byTx, late *sim.TransactionFacts
	usMFN := 0
	ids := make([]string, 0, len(w.facts))
	for id := range w.facts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		f := w.facts[id]
		listed := !f.VisibleAt.After(start) && f.PostedDate.Before(start.Add(-3*time.Minute))
		if f.Deferred && listed && f.MaturityDate.After(start.Add(60*time.Hour)) {
			switch {
			case f.ReleaseMode == sim.ReleaseByStatus && (byStatus == nil || f.MaturityDate.Before(byStatus.MaturityDate)):
				byStatus = &f
			case f.ReleaseMode == sim.ReleaseByTransaction && (byTx == nil || f.MaturityDate.Before(byTx.MaturityDate)):
				byTx = &f
			}
		}
		if late == nil && f.PostedDate.Before(start.Add(-10*time.Minute)) && f.PostedDate.After(start.Add(-40*time.Hour)) &&
			f.VisibleAt.After(start.Add(time.Hour)) && f.VisibleAt.Before(start.Add(40*time.Hour)) {
			late = &f
		}
		if f.USMFN && listed {
			usMFN++
		}
	}
	require.NotNil(t, byStatus, "a deferred sale released in place")
	require.NotNil(t, byTx, "a deferred sale released by a transaction")
	require.NotNil(t, late, "a sale listed late")
	require.Positive(t, usMFN)
	require.Equal(t, 10*24*time.Hour, byStatus.MaturityDate.Sub(byStatus.PostedDate))

	// First poll: a month and more of postings.
	w.poll(t)
	end := w.cursor(t)
	require.True(t, start.Add(-2*time.Minute).Equal(end), "the window ends two minutes before the data clock: %s", end)
	truth := w.requireMatchesTruth(t, end, func(string) bool { return false })
	st := w.stored(t)
	t.Logf("first poll: %d transactions stored; stats %+v", len(st), w.Sim.Stats()[spapi.OpListTransactions])
	require.Greater(t, len(st), 300)
	_, ok := st[late.TransactionID]
	require.False(t, ok, "listed only later")
	types := map[string]int{}
	mfn := 0
	for id := range st {
		types[truth[id].TransactionType]++
		if w.facts[id].USMFN {
			mfn++
		}
	}
	require.Positive(t, types["Refund"], "returns were refunded")
	require.Equal(t, usMFN, mfn, "every US MFN order's listed transaction is stored")
	require.Equal(t, sim.TransactionDeferred, st[byStatus.TransactionID].status)
	require.Equal(t, sim.TransactionDeferred, st[byTx.TransactionID].status)
	var quarantined int
	require.NoError(t, w.Pool.QueryRow(ctx, `SELECT count(*) FROM quarantined_records WHERE account_id = $1`, acct).Scan(&quarantined))
	require.Zero(t, quarantined)

	// Every version a deferred sale's row takes, in order.
	versions := map[string][]int64{}
	observe := func() {
		st := w.stored(t)
		for _, f := range []*sim.TransactionFacts{byStatus, byTx} {
			v := st[f.TransactionID].version
			if h := versions[f.TransactionID]; len(h) == 0 || h[len(h)-1] != v {
				versions[f.TransactionID] = append(h, v)
			}
		}
	}
	observe()

	var sink *pushSink
	var notifier *sim.Notifier
	if push {
		client, err := river.NewClient(riverpgxv5.New(w.Pool), &river.Config{})
		require.NoError(t, err)
		sink = &pushSink{t: t, w: w, client: client}
		nctx, cancel := context.WithCancel(ctx)
		t.Cleanup(cancel)
		notifier, err = w.Sim.StartNotifier(nctx, sim.NotifierOptions{Sink: sink, Tick: time.Hour, Route: func(_, typ string) []string {
			if typ == spapi.NotificationTransactionUpdate {
				return []string{"arn:aws:sqs:us-east-1:123456789012:spsync"}
			}
			return nil
		}})
		require.NoError(t, err)
	}
	// step moves the data clock to at, delivers the notifications of the
	// changes until then (push), polls, and runs every job now due, the
	// re-reads scheduled for then included.
	step := func(at time.Time) {
		t.Helper()
		w.clock.Set(at)
		if push {
			require.NoError(t, notifier.Sync(ctx))
			w.RunUntilIdle(t, 2*time.Minute)
		}
		w.MakeScheduledDue(t)
		w.poll(t)
		observe()
	}

	// Two days and more, polled every six hours: the late sale is stored
	// once its posted date is re-read Lag after it, by the trailing
	// window (its date lies before the first window's start, which no later
	// window reads again), or at once by its notification with push.
	for at := start.Add(6 * time.Hour); !at.After(start.Add(54 * time.Hour)); at = at.Add(6 * time.Hour) {
		step(at)
		if !push && at.Sub(late.PostedDate) < lag {
			_, ok := w.stored(t)[late.TransactionID]
			require.False(t, ok, "late posting stored before its date was re-read %s after it", lag)
		}
	}
	_, ok = w.stored(t)[late.TransactionID]
	require.True(t, ok, "the trailing re-read (or its notification) stored the late posting")
	require.True(t, late.PostedDate.Before(start.Add(-2*time.Minute-w.opts.Overlap)) || push)
	w.requireMatchesTruth(t, w.cursor(t).Add(-lag), func(string) bool { return false })
	for id, h := range versions {
		require.Len(t, h, 1, "deferred %s unchanged before its release", id)
	}

	// Past both releases: twelve-hour steps until a day after the later
	// one.
	last := byStatus.ReleasedAt
	if byTx.ReleasedAt.After(last) {
		last = byTx.ReleasedAt
	}
	at := start.Add(54 * time.Hour)
	for at.Before(last.Add(24 * time.Hour)) {
		at = at.Add(12 * time.Hour)
		step(at)
	}
	if push {
		// The safety-net re-read comes DeferredPushGrace after maturity.
		step(last.Add(25 * time.Hour))
	}
	st = w.stored(t)
	require.Equal(t, sim.TransactionDeferredReleased, st[byStatus.TransactionID].status)
	require.Equal(t, sim.TransactionDeferred, st[byTx.TransactionID].status, "released by a transaction, it keeps its status")
	_, ok = st[byTx.ReleaseTransactionID]
	require.True(t, ok, "the release transaction is stored")
	var releaseOf, releasedBy string
	require.NoError(t, w.Pool.QueryRow(ctx, `SELECT d.release_transaction_id, r.deferred_transaction_id FROM financial_transactions d, financial_transactions r
		WHERE d.account_id = $1 AND r.account_id = $1 AND d.transaction_id = $2 AND r.transaction_id = $3`, acct, byTx.TransactionID, byTx.ReleaseTransactionID).Scan(&releaseOf, &releasedBy))
	require.Equal(t, byTx.ReleaseTransactionID, releaseOf)
	require.Equal(t, byTx.TransactionID, releasedBy)
	for id, h := range versions {
		require.Len(t, h, 2, "deferred %s: sync_version moved once, at its release (%v)", id, h)
	}
	now := w.Sim.Now()
	w.requireMatchesTruth(t, w.cursor(t).Add(-lag), func(id string) bool {
		f := w.facts[id]
		return f.Deferred && f.ReleasedAt.After(now.Add(-13*time.Hour))
	})

	// No deferred re-read is left for a released order; one per order
	// still deferred at most.
	var pending int
	require.NoError(t, w.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'financial_transactions_deferred'
		AND state IN ('available', 'scheduled', 'retryable', 'running') AND args->>'order_id' = ANY($1)`,
		[]string{byStatus.OrderID, byTx.OrderID}).Scan(&pending))
	require.Zero(t, pending)
	if push {
		sink.mu.Lock()
		n := len(sink.events)
		sink.mu.Unlock()
		require.Positive(t, n)
		t.Logf("%d notifications", n)
	}
	stats := w.Sim.Stats()[spapi.OpListTransactions]
	t.Logf("listTransactions: %+v", stats)
	require.LessOrEqual(t, stats.Throttled, 2)
}
