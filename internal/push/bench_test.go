package push

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/devtools/fauxqs"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/streams"
)

// BenchmarkPushVsPoll runs two sellers side by side in one simulator, on
// the real clock at Amazon's usage plans: "poll" syncs by polling only (the
// default 5-minute schedules), "push" consumes notifications through a real
// SQS server with the 15-minute safety-net polls. Both see the same change
// rate (their datasets are the same size). It reports, per seller and
// stream, the change→row latency (from the change on Amazon's clock to the
// first moment Postgres holds that version, sampled every 250 ms) and every
// operation's calls per hour.
//
// SPSYNC_BENCH_PUSH_MINUTES (default 20; 0 skips) is the run's length,
// SPSYNC_BENCH_PUSH_ORDERS (default 12000) the orders per seller over two
// days, which sets the change rate (~600 order changes an hour).
func BenchmarkPushVsPoll(b *testing.B) {
	minutes := benchEnvInt(b, "SPSYNC_BENCH_PUSH_MINUTES", 20)
	n := benchEnvInt(b, "SPSYNC_BENCH_PUSH_ORDERS", 12000)
	for range b.N {
		r := runPushBench(b, pushBenchOptions{minutes: minutes, orders: n, pollSeller: true, maxBacklog: DefaultMaxBacklog, settle: 8 * time.Minute})
		r.report(b)
	}
}

// BenchmarkPushPastBudget is the push seller alone at a change rate above
// getOrder's budget (0.5/s, 1,800 refreshes an hour): the refresh backlog
// stays bounded (MaxBacklog), the rest is shed to the orders poll, and
// Postgres still catches up.
//
// SPSYNC_BENCH_PUSH_PAST_MINUTES (default 8; 0 skips),
// SPSYNC_BENCH_PUSH_PAST_ORDERS (default 80000: ~4,000 order changes an
// hour).
func BenchmarkPushPastBudget(b *testing.B) {
	minutes := benchEnvInt(b, "SPSYNC_BENCH_PUSH_PAST_MINUTES", 8)
	n := benchEnvInt(b, "SPSYNC_BENCH_PUSH_PAST_ORDERS", 80000)
	for range b.N {
		r := runPushBench(b, pushBenchOptions{minutes: minutes, orders: n, maxBacklog: DefaultMaxBacklog, settle: 2 * time.Minute})
		r.report(b)
	}
}

// BenchmarkPushAtRate is the push seller alone at a set order change rate
// (the simulator's OrderRates: new orders at uniformly drawn instants, each
// changing once, on top of a small base dataset), on the real clock at
// Amazon's plans, with the committed orders poll (budget-aware, safety-net
// mode). Changes are made for SPSYNC_BENCH_PUSH_RATE_MINUTES (default 10),
// then the run goes on for SPSYNC_BENCH_PUSH_RATE_SETTLE minutes (default
// 10) with no new rate orders: every change of the span is measured, and one
// not in Postgres at the end is lost. Calls are counted over the span.
//
// SPSYNC_BENCH_PUSH_RATE is the order changes an hour (default: skipped),
// e.g. 1500 or 3600 (issue 24).
func BenchmarkPushAtRate(b *testing.B) {
	if os.Getenv("SPSYNC_BENCH_PUSH_RATE") == "" {
		b.Skip("SPSYNC_BENCH_PUSH_RATE is not set")
	}
	rate := benchEnvInt(b, "SPSYNC_BENCH_PUSH_RATE", 0)
	minutes := benchEnvInt(b, "SPSYNC_BENCH_PUSH_RATE_MINUTES", 10)
	settle := benchEnvInt(b, "SPSYNC_BENCH_PUSH_RATE_SETTLE", 10)
	for range b.N {
		r := runPushBench(b, pushBenchOptions{minutes: minutes, orders: 500, rate: float64(rate),
			maxBacklog: DefaultMaxBacklog, settle: time.Duration(settle) * time.Minute})
		r.report(b)
	}
}

func benchEnvInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		b.Fatalf("%s=%q is not a whole number", name, v)
	}
	if n == 0 {
		b.Skipf("%s=0", name)
	}
	return n
}

type pushBenchOptions struct {
	minutes, orders int
	pollSeller      bool
	maxBacklog      int
	// settle is the end of the run whose changes are left out of the
	// latencies: a sync may not have had the time to catch them. With rate,
	// it is instead a time after the span with no new rate orders, and every
	// change of the span is measured.
	settle time.Duration
	// rate, when set, adds order changes at this rate an hour
	// (sim.OrderRates) for minutes, starting once the notifier runs.
	rate float64
}

// rateLead is how long after the simulator is built its rate orders start:
// the notifier, SQS and the consumer are up by then.
const rateLead = 45 * time.Second

// discardSink takes the poll seller's notifications: they are logged (the
// change truth the latencies are measured against) but go nowhere, as for a
// seller that subscribed to nothing.
type discardSink struct {
	real sim.NotificationSink
}

const nowhereARN = "arn:aws:sqs:us-east-1:000000000000:nowhere"

func (d discardSink) Deliver(ctx context.Context, arn string, body []byte) error {
	if arn == nowhereARN {
		return nil
	}
	return d.real.Deliver(ctx, arn, body)
}

type pushBenchResult struct {
	opts     pushBenchOptions
	elapsed  time.Duration
	log      []sim.NotificationRecord
	seen     map[string][]seenVersion // account/stream/entity → versions seen
	calls    map[string]map[string]int
	start    time.Time
	backlog  int // the most refresh jobs waiting at once (push seller)
	shed     float64
	notified sim.NotifierStats
	// callSpan is the time calls were counted over (after the first
	// minute, or the rate span).
	callSpan time.Duration
	// changesFrom and changesTo, with a rate, are its span: the changes
	// measured.
	changesFrom, changesTo time.Time
	// spanBacklog is the backlog peak by the end of the rate span.
	spanBacklog int
	// throttled is every 429 of the run, per account and operation.
	throttled map[string]map[string]int
}

type seenVersion struct {
	version time.Time
	at      time.Time
}

func runPushBench(b *testing.B, o pushBenchOptions) *pushBenchResult {
	b.Helper()
	ctx := context.Background()
	var rates []sim.OrderRate
	var rateFrom, rateTo time.Time
	if o.rate > 0 {
		rateFrom = time.Now().Add(rateLead).Truncate(time.Second)
		rateTo = rateFrom.Add(time.Duration(o.minutes) * time.Minute)
		rates = []sim.OrderRate{{From: rateFrom, To: rateTo, PerHour: o.rate}}
	}
	accounts := []sim.Account{pushBenchAccount("push")}
	if o.pollSeller {
		accounts = append(accounts, pushBenchAccount("poll"))
	}
	tb := jobstest.New(b, jobstest.Options{OrdersAPI: config.OrdersAPI2026, Sim: sim.Options{
		Seed: 21, Accounts: accounts, Orders: o.orders, FulfillmentOrders: o.orders / 5, ServiceJobs: 1,
		History: 24 * time.Hour, Horizon: 24 * time.Hour, OrderRates: rates,
	}})
	tb.Deps.Schedules.SafetyNet = true
	var pushSeller string // derived by the simulator from the account id
	for _, a := range tb.Sim.Accounts() {
		if a.ID == "push" {
			pushSeller = a.SellerID
		}
	}
	require.NotEmpty(b, pushSeller)
	started := time.Now()
	tb.Deps.PushSince = started

	srv := fauxqs.Start(b)
	client := fauxqs.Client(b, srv)
	queueURL, queueARN := srv.CreateQueue(b, "notifications", true, 5)
	nc, err := spapi.NewNotificationsClient(spapi.Options{
		Region: spapi.RegionNA, Account: "push", Endpoint: tb.Server.URL, LWAEndpoint: tb.Server.URL + "/auth/o2/token",
		Credentials: spapi.Credentials{ClientID: accounts[0].ClientID, ClientSecret: accounts[0].ClientSecret, RefreshToken: accounts[0].RefreshToken},
	})
	require.NoError(b, err)
	dest, err := nc.CreateDestination(ctx, "spsync", queueARN)
	require.NoError(b, err)
	for _, typ := range []string{spapi.NotificationOrderChange, spapi.NotificationFulfillmentOrderStatus} {
		_, err := nc.CreateSubscription(ctx, typ, "1.0", dest.DestinationID)
		require.NoError(b, err)
	}

	// Polls start ten minutes back: the benchmark measures changes, not a
	// first sync. The push seller's orders poll is the committed default
	// with push on: budget-aware (one self-scheduled poll, safety-net mode,
	// jobs.NextPoll), restarted by its watchdog cron; the poll seller keeps
	// the 5-minute cron.
	workers := river.NewWorkers()
	orders.NewStream(orders.Options{InitialLookback: 10 * time.Minute}).Register(workers, tb.Deps)
	fulfillment.NewStream(fulfillment.Options{InitialLookback: 10 * time.Minute}).Register(workers, tb.Deps)
	var periodic []*river.PeriodicJob
	schedules := map[string]string{"push": config.SafetyNetSchedule, "poll": "*/5 * * * *"}
	for _, a := range accounts {
		id := a.ID
		oj, err := jobs.NewCronJob("orders_poll/"+id, schedules[id], func() (river.JobArgs, *river.InsertOpts) { return orders.PollArgs{AccountID: id}, nil })
		if id == "push" {
			oj, err = jobs.NewCronJob("orders_poll/"+id, jobs.SelfScheduledWatchdog, func() (river.JobArgs, *river.InsertOpts) {
				return orders.PollArgs{AccountID: id, Scheduled: true}, nil
			})
		}
		require.NoError(b, err)
		fj, err := jobs.NewCronJob("fulfillment_poll/"+id, schedules[id], func() (river.JobArgs, *river.InsertOpts) {
			return fulfillment.PollArgs{AccountID: id}, nil
		})
		require.NoError(b, err)
		periodic = append(periodic, oj, fj)
	}
	rc := tb.StartClient(b, workers, periodic)

	nctx, stopNotifier := context.WithCancel(ctx)
	notifier, err := tb.Sim.StartNotifier(nctx, sim.NotifierOptions{
		Sink: discardSink{real: sim.NewSQSSink(client)},
		Route: func(account, typ string) []string {
			if account == "poll" {
				return []string{nowhereARN}
			}
			return tb.Sim.NotificationDestinations(account, typ)
		},
		// Amazon delivers "within seconds"; no figure is published.
		DelayMin: 500 * time.Millisecond, DelayMax: 2 * time.Second, Seed: 5,
	})
	require.NoError(b, err)
	m := NewMetrics()
	c, err := NewConsumer(ConsumerConfig{Pool: tb.Pool, River: rc, SQS: client, QueueURL: queueURL, Streams: streams.All(nil),
		Accounts: map[string]string{pushSeller: "push"}, Metrics: m, MaxBacklog: o.maxBacklog})
	require.NoError(b, err)
	cctx, stopConsumer := context.WithCancel(ctx)
	consumerDone := make(chan struct{})
	go func() { defer close(consumerDone); _ = c.Run(cctx) }()

	res := &pushBenchResult{opts: o, seen: map[string][]seenVersion{}, start: started, changesFrom: rateFrom, changesTo: rateTo}
	if o.rate > 0 && time.Now().After(rateFrom) {
		b.Logf("set-up took past the rate span's start (%s): its first changes may not be notified", rateFrom.Format(time.TimeOnly))
	}
	var mu sync.Mutex
	sample := func() {
		now := time.Now()
		rows, err := tb.Pool.Query(ctx, `
			SELECT account_id, 'orders', amazon_order_id, last_update_date FROM orders
			UNION ALL SELECT account_id, 'fulfillment_orders', seller_fulfillment_order_id, status_updated_date FROM fulfillment_orders`)
		if err != nil {
			return
		}
		defer rows.Close()
		mu.Lock()
		defer mu.Unlock()
		for rows.Next() {
			var acct, stream, id string
			var v time.Time
			if rows.Scan(&acct, &stream, &id, &v) != nil {
				return
			}
			k := acct + "/" + stream + "/" + id
			vs := res.seen[k]
			if len(vs) == 0 || !vs[len(vs)-1].version.Equal(v) {
				res.seen[k] = append(vs, seenVersion{version: v, at: now})
			}
		}
		if n, err := riverext.WaitingJobs(ctx, tb.Pool, orders.RefreshArgs{}.Kind(), orders.RefreshArgs{}.InsertOpts().Queue, "push", 1_000_000); err == nil && n > res.backlog {
			res.backlog = n
		}
	}
	deadline := started.Add(time.Duration(o.minutes) * time.Minute)
	// Calls are counted from the end of the first minute: every poll runs
	// once at start (RunOnStart), which a 20-minute run would count as a
	// third of its polls. With a rate, over the rate span.
	warm := started.Add(time.Minute)
	if o.rate > 0 {
		deadline, warm = rateTo.Add(o.settle), rateFrom
	}
	snapshot := func() map[string]map[string]int {
		out := map[string]map[string]int{}
		for _, a := range accounts {
			out[a.ID] = map[string]int{}
			for op, st := range tb.Sim.AccountStats(a.ID) {
				out[a.ID][op] = st.Calls
			}
		}
		return out
	}
	var warmCalls, spanCalls map[string]map[string]int
	var lastLine time.Time
	tick := time.NewTicker(250 * time.Millisecond)
	for now := range tick.C {
		sample()
		if warmCalls == nil && now.After(warm) {
			warmCalls = snapshot()
		}
		if o.rate > 0 && now.Sub(lastLine) >= time.Minute {
			// A timeline on standard output (a benchmark's log keeps ten
			// lines): calls so far, the refresh backlog, the shed count.
			lastLine = now
			st := tb.Sim.AccountStats("push")
			mu.Lock()
			fmt.Printf("timeline %s (+%s from the span's start): getOrder2026 %d, searchOrders %d (429: %d, %d), refresh jobs waiting peak %d, shed %g\n",
				now.Format(time.TimeOnly), now.Sub(rateFrom).Round(time.Second), st[spapi.OpGetOrder2026].Calls, st[spapi.OpSearchOrders].Calls,
				st[spapi.OpGetOrder2026].Throttled, st[spapi.OpSearchOrders].Throttled, res.backlog, testutilValue(m, TypeOrderChange, outcomeShed))
			mu.Unlock()
		}
		if o.rate > 0 && spanCalls == nil && now.After(rateTo) {
			spanCalls = snapshot()
			res.spanBacklog = res.backlog
		}
		if now.After(deadline) {
			break
		}
	}
	tick.Stop()
	res.elapsed = time.Since(started)
	if o.rate > 0 {
		// What a lost change needs to be explained: the orders cursor at the
		// end, and every order change of the span Postgres does not hold.
		if acct, err := tb.Deps.Account(ctx, "push"); err == nil {
			cur, err := jobs.Cursor(ctx, tb.Pool, "push", orders.Stream, jobs.Scope(acct.MarketplaceIDs))
			if err == nil && cur != nil {
				fmt.Printf("orders cursor at the end: %s (%s after the span's end)\n", cur.Format(time.TimeOnly), cur.Sub(rateTo).Round(time.Second))
			}
		}
		for _, rec := range notifier.Log() {
			if rec.AccountID != "push" || rec.Type != sim.NotificationTypeOrderChange || rec.ChangeTime.Before(rateFrom) || !rec.ChangeTime.Before(rateTo) {
				continue
			}
			held := false
			for _, v := range res.seen["push/orders/"+rec.EntityID] {
				held = held || !v.version.Before(rec.ChangeTime)
			}
			if !held {
				fmt.Printf("lost: order %s changed %s (+%s into the span), notification %+v, versions seen %v\n",
					rec.EntityID, rec.ChangeTime.Format("15:04:05.000"), rec.ChangeTime.Sub(rateFrom).Round(time.Millisecond), rec, res.seen["push/orders/"+rec.EntityID])
			}
		}
	}
	stopConsumer()
	<-consumerDone
	stopNotifier()
	<-notifier.Done()
	res.log = notifier.Log()
	res.notified = notifier.Stats()
	res.calls = snapshot()
	res.callSpan = time.Since(warm)
	if spanCalls != nil {
		res.calls, res.callSpan = spanCalls, rateTo.Sub(rateFrom)
	}
	for acct, ops := range res.calls {
		for op := range ops {
			ops[op] -= warmCalls[acct][op]
		}
	}
	res.throttled = map[string]map[string]int{}
	for _, a := range accounts {
		res.throttled[a.ID] = map[string]int{}
		for op, st := range tb.Sim.AccountStats(a.ID) {
			if st.Throttled > 0 {
				res.throttled[a.ID][op] = st.Throttled
			}
		}
	}
	res.shed = testutilValue(m, TypeOrderChange, outcomeShed)
	return res
}

func pushBenchAccount(id string) sim.Account {
	a := sim.DemoAccount
	a.ID, a.SellerID = id, ""
	a.RefreshToken = sim.DemoAccount.RefreshToken + "-" + id
	return a
}

// latencies are the change→row latencies of one seller's stream, for the
// changes old enough that the sync should have caught them (the run's last
// settle is left out, for both sellers alike).
func (r *pushBenchResult) latencies(account, stream string) (lat []time.Duration, missed int) {
	from, cutoff := r.start, r.start.Add(r.elapsed-r.opts.settle)
	if !r.changesFrom.IsZero() {
		from, cutoff = r.changesFrom, r.changesTo
	}
	typ := sim.NotificationTypeOrderChange
	if stream == "fulfillment_orders" {
		typ = sim.NotificationTypeFulfillmentOrderStatus
	}
	for _, rec := range r.log {
		if rec.AccountID != account || rec.Type != typ || rec.ChangeTime.Before(from) || !rec.ChangeTime.Before(cutoff) {
			continue
		}
		var found *time.Time
		for _, v := range r.seen[account+"/"+stream+"/"+rec.EntityID] {
			if !v.version.Before(rec.ChangeTime) {
				found = &v.at
				break
			}
		}
		if found == nil {
			missed++
			continue
		}
		lat = append(lat, max(0, found.Sub(rec.ChangeTime)))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat, missed
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

func (r *pushBenchResult) report(b *testing.B) {
	b.Helper()
	hours, callHours := r.elapsed.Hours(), r.callSpan.Hours()
	b.Logf("run %s, %d orders per seller; notifier %+v; push seller's refresh backlog peaked at %d; %g order notifications shed to the poll",
		r.elapsed.Round(time.Second), r.opts.orders, r.notified, r.backlog, r.shed)
	if !r.changesFrom.IsZero() {
		b.Logf("rate %.0f order changes/h set from %s to %s, then %s of settle; backlog peak by the span's end %d; latencies: every change of the span, missing ones lost",
			r.opts.rate, r.changesFrom.Format(time.TimeOnly), r.changesTo.Format(time.TimeOnly), r.opts.settle, r.spanBacklog)
	}
	for _, acct := range []string{"push", "poll"} {
		if r.calls[acct] == nil {
			continue
		}
		for _, stream := range []string{"orders", "fulfillment_orders"} {
			lat, missed := r.latencies(acct, stream)
			changes, span := 0, hours
			if !r.changesFrom.IsZero() {
				span = r.changesTo.Sub(r.changesFrom).Hours()
			}
			for _, rec := range r.log {
				if rec.AccountID == acct && (rec.Type == sim.NotificationTypeOrderChange) == (stream == "orders") &&
					(r.changesFrom.IsZero() || !rec.ChangeTime.Before(r.changesFrom) && rec.ChangeTime.Before(r.changesTo)) {
					changes++
				}
			}
			over := "all but the last " + r.opts.settle.String()
			if !r.changesFrom.IsZero() {
				over = "every change of the span"
			}
			b.Logf("%s %s: %.0f changes/h; latency over %d changes (%s): median %s, p95 %s, max %s; %d not in Postgres at the end",
				acct, stream, float64(changes)/span, len(lat), over, quantile(lat, 0.5).Round(100*time.Millisecond),
				quantile(lat, 0.95).Round(100*time.Millisecond), quantile(lat, 1).Round(100*time.Millisecond), missed)
			if stream == "orders" {
				b.ReportMetric(quantile(lat, 0.5).Seconds(), acct+"-orders-median-s")
				b.ReportMetric(quantile(lat, 0.95).Seconds(), acct+"-orders-p95-s")
				b.ReportMetric(quantile(lat, 1).Seconds(), acct+"-orders-max-s")
				b.ReportMetric(float64(missed), acct+"-orders-lost")
			}
		}
		ops := make([]string, 0, len(r.calls[acct]))
		for op := range r.calls[acct] {
			ops = append(ops, op)
		}
		slices.Sort(ops)
		line := ""
		for _, op := range ops {
			line += fmt.Sprintf(" %s %.1f/h", op, float64(r.calls[acct][op])/callHours)
		}
		b.Logf("%s calls after the first minute, or over the rate span (%s):%s; 429s over the whole run: %v", acct, r.callSpan.Round(time.Second), line, r.throttled[acct])
		b.ReportMetric(float64(r.calls[acct][spapi.OpSearchOrders]+r.calls[acct][spapi.OpListAllFulfillmentOrders])/callHours, acct+"-list-calls/h")
	}
}

// testutilValue reads one counter of m.
func testutilValue(m *Metrics, typ, outcome string) float64 {
	c, err := m.Messages.GetMetricWithLabelValues(typ, outcome)
	if err != nil {
		return 0
	}
	return testutil.ToFloat64(c)
}
