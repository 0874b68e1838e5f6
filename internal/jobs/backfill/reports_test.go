package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/streams"
)

// A scaled year: the simulator holds a year of orders, Amazon's report
// processing takes 40 ms instead of a minute, and windows poll every 10 ms.
// The year at Amazon's rates is `make bench` (BENCHMARKS.md).

type reportBundle struct {
	*testBundle
	clock *sim.ManualClock
}

func setupReports(t *testing.T, mutate func(*sim.Options), wrap func(http.Handler) http.Handler) *reportBundle {
	t.Helper()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	opts := sim.Options{Seed: 17, Start: start, DataClock: clock, RateScale: 600, History: 365 * 24 * time.Hour, Orders: 2400,
		ReportProcessingDelay: 40 * time.Millisecond, ReportQueueDelay: time.Millisecond, ShuffleReportLines: true}
	if mutate != nil {
		mutate(&opts)
	}
	b := jobstest.New(t, jobstest.Options{Sim: opts, OrdersAPI: config.OrdersAPI2026, Wrap: wrap})
	return &reportBundle{testBundle: &testBundle{Bundle: b, start: start}, clock: clock}
}

func reportWorkers(deps *jobs.Deps) *river.Workers {
	w := river.NewWorkers()
	orders.NewStream(orders.Options{}).Register(w, deps)
	backfill.RegisterWith(w, deps, streams.All(nil), backfill.ReportOptions{PollInterval: 10 * time.Millisecond, FatalCooldown: 10 * time.Millisecond})
	return w
}

// startReports starts a backfill via reports of [from, to).
func (tb *reportBundle) startReports(t *testing.T, client *river.Client[pgx.Tx], from, to time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	require.NoError(t, pgx.BeginFunc(ctx, tb.Pool, func(tx pgx.Tx) error {
		var err error
		id, err = backfill.Start(ctx, tx, client, acctID, mustStream(t, "orders"), from, to, backfill.Options{Now: tb.Sim.Now, Via: backfill.ViaReports})
		return err
	}))
	return id
}

// span is the history the report tests backfill: the year before the
// polls' 30 days, and those 30 days too, so the backfill meets orders the
// API synced first.
func (tb *reportBundle) span() (time.Time, time.Time) {
	return tb.start.Add(-360 * 24 * time.Hour), tb.start.Add(-time.Hour)
}

func (tb *reportBundle) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, tb.Pool.QueryRow(context.Background(), q, args...).Scan(&n))
	return n
}

func (tb *reportBundle) versions(t *testing.T, q string) map[string]int64 {
	t.Helper()
	rows, err := tb.Pool.Query(context.Background(), q)
	require.NoError(t, err)
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var v int64
		require.NoError(t, rows.Scan(&k, &v))
		out[k] = v
	}
	require.NoError(t, rows.Err())
	return out
}

// requireReportsEqualTruth compares the backfilled span with the
// simulator's truth: every order purchased in it is stored; report-only
// orders carry v0's status, channel, marketplace, dates, total and city; and
// units and revenue by SKU and month in order_lines equal the truth's
// items of the span.
func (tb *reportBundle) requireReportsEqualTruth(t *testing.T, from, to time.Time) (reportOnly int) {
	t.Helper()
	ctx := context.Background()
	truth, err := tb.Sim.TruthOrders(acctID)
	require.NoError(t, err)
	type key struct{ month, sku string }
	wantUnits, wantRevenue := map[key]int{}, map[key]decimal.Decimal{}
	inSpan := 0
	for _, o := range truth {
		if o.PurchaseDate.Before(from) || !o.PurchaseDate.Before(to) {
			continue
		}
		inSpan++
		var status, channel, marketplace, version string
		var total, city *string
		var purchase time.Time
		err := tb.Pool.QueryRow(ctx, `SELECT order_status, fulfillment_channel, marketplace_id, api_version, trim_scale(order_total_amount)::text,
			shipping_address_city, purchase_date FROM orders WHERE account_id = $1 AND amazon_order_id = $2`, acctID, o.AmazonOrderID).
			Scan(&status, &channel, &marketplace, &version, &total, &city, &purchase)
		require.NoError(t, err, "order %s purchased %s is not stored", o.AmazonOrderID, o.PurchaseDate)
		if version == "reports-2021-06-30" {
			reportOnly++
			require.Equal(t, o.OrderStatus, status, "order %s status", o.AmazonOrderID)
			require.Equal(t, o.FulfillmentChannel, channel, "order %s channel", o.AmazonOrderID)
			require.Equal(t, o.MarketplaceID, marketplace, "order %s marketplace", o.AmazonOrderID)
			require.True(t, o.PurchaseDate.Equal(purchase))
			if o.OrderTotal == nil {
				require.Nil(t, total, "order %s has no total (Pending): none may be invented", o.AmazonOrderID)
			} else {
				require.NotNil(t, total, "order %s total", o.AmazonOrderID)
				require.True(t, decimal.RequireFromString(o.OrderTotal.Amount).Equal(decimal.RequireFromString(*total)),
					"order %s total %s, v0 says %s", o.AmazonOrderID, *total, o.OrderTotal.Amount)
			}
			if o.ShippingAddress != nil {
				require.Equal(t, o.ShippingAddress.City, *city)
			}
		}
		if o.OrderStatus == "Canceled" || o.OrderStatus == "Pending" {
			continue
		}
		items, err := tb.Sim.TruthOrderItems(acctID, o.AmazonOrderID)
		require.NoError(t, err)
		for _, it := range items {
			k := key{o.PurchaseDate.UTC().Format("2006-01"), it.SellerSKU}
			wantUnits[k] += it.QuantityOrdered
			if it.ItemPrice != nil {
				wantRevenue[k] = wantRevenue[k].Add(decimal.RequireFromString(it.ItemPrice.Amount))
			}
		}
	}
	require.Positive(t, inSpan)

	rows, err := tb.Pool.Query(ctx, `SELECT to_char(date_trunc('month', purchase_date), 'YYYY-MM'), sku, sum(quantity)::int, coalesce(sum(item_price_amount), 0)::text
		FROM order_lines WHERE account_id = $1 AND purchase_date >= $2 AND purchase_date < $3 AND order_status NOT IN ('Canceled', 'Pending')
		GROUP BY 1, 2`, acctID, from, to)
	require.NoError(t, err)
	got := 0
	for rows.Next() {
		var k key
		var units int
		var revenue string
		require.NoError(t, rows.Scan(&k.month, &k.sku, &units, &revenue))
		require.Equal(t, wantUnits[k], units, "units of %s in %s", k.sku, k.month)
		require.True(t, wantRevenue[k].Equal(decimal.RequireFromString(revenue)), "revenue of %s in %s: %s, want %s", k.sku, k.month, revenue, wantRevenue[k])
		got++
	}
	require.NoError(t, rows.Err())
	require.Equal(t, len(wantUnits), got, "SKU-months in order_lines")
	return reportOnly
}

// requireOneReportPerWindow checks that no window's report was requested
// twice.
func (tb *reportBundle) requireOneReportPerWindow(t *testing.T, id int64) {
	t.Helper()
	rows, err := tb.Pool.Query(context.Background(), `SELECT window_start, window_end FROM backfill_windows WHERE backfill_id = $1`, id)
	require.NoError(t, err)
	n := 0
	for rows.Next() {
		var s, e time.Time
		require.NoError(t, rows.Scan(&s, &e))
		require.Equal(t, 1, tb.Sim.ReportRequests(acctID, orders.ReportType, s, e.Add(-time.Second)), "reports requested for window %s", s)
		n++
	}
	require.NoError(t, rows.Err())
	require.Positive(t, n)
}

// TestReportBackfillEqualsTruth: a year of orders backfilled through order
// reports, after the polls synced the last 30 days through the API: every
// order of the span is stored, report-only orders equal the truth in what
// the report carries, units and revenue by SKU and month over order_lines
// equal the truth, orders the API synced are untouched, one report per
// window, and importing the year again writes nothing.
func TestReportBackfillEqualsTruth(t *testing.T) {
	t.Parallel()
	// One column layout, so the second import is the same documents with
	// their lines in another order (the other tests vary layouts).
	tb := setupReports(t, func(o *sim.Options) { o.ReportLayout = sim.ReportLayoutStandard }, nil)
	ctx := context.Background()
	client := tb.StartClient(t, reportWorkers(tb.Deps), nil)
	_, err := client.Insert(ctx, orders.PollArgs{AccountID: acctID}, nil)
	require.NoError(t, err)
	tb.RunUntilIdle(t, time.Minute)
	apiOrders := tb.versions(t, `SELECT amazon_order_id, sync_version FROM orders`)
	require.NotEmpty(t, apiOrders)
	searchCalls := tb.Sim.Stats()[spapi.OpSearchOrders].Calls

	from, to := tb.span()
	id := tb.startReports(t, client, from, to)
	tb.RunUntilIdle(t, 2*time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	b := tb.backfillRow(t, id)
	require.Equal(t, "done", b.State, "last error: %v", b.LastError)
	require.Equal(t, int32(12), b.WindowsTotal, "360 days in 30-day windows")

	reportOnly := tb.requireReportsEqualTruth(t, from, to)
	require.Greater(t, reportOnly, 800)
	after := tb.versions(t, `SELECT amazon_order_id, sync_version FROM orders WHERE api_version <> 'reports-2021-06-30'`)
	require.Equal(t, apiOrders, after, "orders the API synced are never changed by report data")
	tb.requireOneReportPerWindow(t, id)
	require.Equal(t, searchCalls, tb.Sim.Stats()[spapi.OpSearchOrders].Calls, "the backfill made no order API call")

	// The same year again: new reports, nothing written.
	before := tb.versions(t, `SELECT 'o' || amazon_order_id, sync_version FROM orders UNION ALL
		SELECT 'l' || amazon_order_id || line_no, sync_version FROM order_report_lines`)
	again := tb.startReports(t, client, from, to)
	tb.RunUntilIdle(t, 2*time.Minute)
	require.Equal(t, "done", tb.backfillRow(t, again).State)
	require.Zero(t, tb.backfillRow(t, again).RowsWritten)
	require.Equal(t, before, tb.versions(t, `SELECT 'o' || amazon_order_id, sync_version FROM orders UNION ALL
		SELECT 'l' || amazon_order_id || line_no, sync_version FROM order_report_lines`), "a re-imported year moves no version")
}

// TestReportBackfillFatalCancelledAndSplit: a window FATAL once is asked
// again and done; windows longer than a week are always FATAL, so they are
// split (30 → 15 → 7 days) and done; a window with no orders is CANCELLED
// by Amazon and done empty. The history still equals the truth.
func TestReportBackfillFatalCancelledAndSplit(t *testing.T) {
	t.Parallel()
	var firstWindow atomic.Pointer[time.Time]
	tb := setupReports(t, func(o *sim.Options) {
		o.FatalReports = func(a sim.ReportAttempt) bool {
			if s := firstWindow.Load(); s != nil && a.Start.Equal(*s) {
				return a.Attempt == 1 // FATAL once, then DONE
			}
			return a.End.Sub(a.Start) > 8*24*time.Hour
		}
	}, nil)
	from, to := tb.span()
	from = tb.start.Add(-400 * 24 * time.Hour) // the first 40 days hold no order
	first := from
	firstWindow.Store(&first)
	client := tb.StartClient(t, reportWorkers(tb.Deps), nil)
	id := tb.startReports(t, client, from, to)
	tb.RunUntilIdle(t, 2*time.Minute)
	b := tb.backfillRow(t, id)
	require.Equal(t, "done", b.State, "last error: %v", b.LastError)
	require.Greater(t, b.WindowsTotal, int32(14), "windows were split")
	require.Equal(t, b.WindowsTotal, b.WindowsDone)
	require.Positive(t, tb.count(t, `SELECT count(*) FROM backfill_windows WHERE backfill_id = $1 AND window_end - window_start <= interval '7 days'`, id))
	require.Positive(t, tb.count(t, `SELECT count(*) FROM backfill_windows WHERE backfill_id = $1 AND report_status = 'CANCELLED'`, id), "empty windows")
	require.Equal(t, 2, tb.Sim.ReportRequests(acctID, orders.ReportType, first, first.Add(30*24*time.Hour-time.Second)), "the first window: FATAL once, then DONE")
	tb.requireReportsEqualTruth(t, tb.start.Add(-360*24*time.Hour), to)
}

// TestReportBackfillOneDayWindowKeepsFailing: a one-day window whose
// reports always end FATAL cannot be split further: the backfill fails,
// naming why.
func TestReportBackfillOneDayWindowKeepsFailing(t *testing.T) {
	t.Parallel()
	tb := setupReports(t, func(o *sim.Options) { o.FatalReports = func(sim.ReportAttempt) bool { return true } }, nil)
	client := tb.StartClient(t, reportWorkers(tb.Deps), nil)
	from := tb.start.Add(-10 * 24 * time.Hour)
	id := tb.startReports(t, client, from, from.Add(24*time.Hour))
	tb.RunUntilIdle(t, time.Minute)
	b := tb.backfillRow(t, id)
	require.Equal(t, "failed", b.State)
	require.NotNil(t, b.LastError)
	require.Contains(t, *b.LastError, "no smaller window")
	require.Equal(t, 2, tb.Sim.ReportRequests(acctID, orders.ReportType, from, from.Add(24*time.Hour-time.Second)))
}

// TestReportBackfillExpiredDocumentURL: the first download of every
// document finds its URL expired (403, as S3 says it): the window asks for
// the document again and stores it.
func TestReportBackfillExpiredDocumentURL(t *testing.T) {
	t.Parallel()
	var refused sync403
	tb := setupReports(t, nil, refused.wrap)
	client := tb.StartClient(t, reportWorkers(tb.Deps), nil)
	from, to := tb.span()
	id := tb.startReports(t, client, from, to)
	tb.RunUntilIdle(t, 2*time.Minute)
	require.Equal(t, "done", tb.backfillRow(t, id).State)
	require.Equal(t, int64(12), refused.n.Load(), "one expired URL per document")
	require.Equal(t, 24, tb.Sim.Stats()[spapi.OpGetReportDocument].Successes, "a fresh URL after each expiry")
	tb.requireReportsEqualTruth(t, from, to)
}

// sync403 answers the first download of each document 403 "Request has
// expired".
type sync403 struct {
	n    atomic.Int64
	seen syncSet
}

func (s *sync403) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/sim-s3/") && s.seen.add(r.URL.Path) {
			s.n.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TestReportBackfillKilledAtEveryStep kills the worker at each step of a
// report window (asking, waiting, fetching the document, storing) and
// starts a new one: the backfill resumes, asks for no window's report
// twice, and ends equal to the truth.
func TestReportBackfillKilledAtEveryStep(t *testing.T) {
	t.Parallel()
	for _, kill := range []struct {
		name string
		op   string
		at   int
	}{
		{"BeforeTheThirdRequest", spapi.OpCreateReport, 3},
		{"WhileWaiting", spapi.OpGetReport, 4},
		{"BeforeADocument", spapi.OpGetReportDocument, 2},
		{"WhileStoring", "", 2},
	} {
		t.Run(kill.name, func(t *testing.T) {
			t.Parallel()
			tb := setupReports(t, nil, nil)
			ctx := context.Background()
			dying := *tb.Deps
			var dead <-chan struct{}
			if kill.op != "" {
				killer := jobstest.NewKillingBudget(tb.Deps.Budget, kill.op, kill.at)
				dying.Budget, dead = killer, killer.Killed()
			} else {
				// The second document's transaction fails after its rows are
				// written, and the process dies with it.
				ch := make(chan struct{})
				var n atomic.Int32
				dying.BeforePageCommit = func(ctx context.Context, _ string) error {
					if n.Add(1) == int32(kill.at) {
						close(ch)
						<-ctx.Done()
						return errors.New("killed while storing")
					}
					return nil
				}
				dead = ch
			}
			client := tb.StartClient(t, reportWorkers(&dying), nil)
			from, to := tb.span()
			id := tb.startReports(t, client, from, to)
			select {
			case <-dead:
			case <-time.After(time.Minute):
				t.Fatal("the kill point was never reached")
			}
			stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			require.NoError(t, client.StopAndCancel(stopCtx))
			require.Equal(t, "running", tb.backfillRow(t, id).State)

			tb.StartClient(t, reportWorkers(tb.Deps), nil)
			tb.RunUntilIdle(t, 2*time.Minute)
			require.Equal(t, "done", tb.backfillRow(t, id).State)
			tb.requireOneReportPerWindow(t, id)
			tb.requireReportsEqualTruth(t, from, to)
		})
	}
}

// TestReportBackfillFindsARequestedReport: a crash after createReport
// reached Amazon but before its id was saved leaves the window marked
// requested with no report id; the next run finds the report with
// getReports instead of asking again.
func TestReportBackfillFindsARequestedReport(t *testing.T) {
	t.Parallel()
	tb := setupReports(t, nil, nil)
	ctx := context.Background()
	from, to := tb.start.Add(-60*24*time.Hour), tb.start.Add(-30*24*time.Hour)
	// The backfill exists (its job not yet run), a createReport was sent
	// and the process died before it saved the id.
	insertOnly, err := river.NewClient(riverpgxv5.New(tb.Pool), &river.Config{})
	require.NoError(t, err)
	id := tb.startReports(t, insertOnly, from, to)
	_, err = tb.Pool.Exec(ctx, `UPDATE backfill_windows SET report_requested_at = now() WHERE backfill_id = $1`, id)
	require.NoError(t, err)
	acct, err := tb.Deps.Account(ctx, acctID)
	require.NoError(t, err)
	_, err = acct.Client.CreateReport(ctx, spapi.CreateReportRequest{ReportType: orders.ReportType, MarketplaceIDs: acct.MarketplaceIDs,
		DataStartTime: from, DataEndTime: to.Add(-time.Second)})
	require.NoError(t, err)

	tb.StartClient(t, reportWorkers(tb.Deps), nil)
	tb.RunUntilIdle(t, time.Minute)
	require.Equal(t, "done", tb.backfillRow(t, id).State)
	require.Equal(t, 1, tb.Sim.ReportRequests(acctID, orders.ReportType, from, to.Add(-time.Second)), "the window's report was found, not asked for again")
	require.Equal(t, 1, tb.Sim.Stats()[spapi.OpGetReports].Successes)
	tb.requireReportsEqualTruth(t, from, to)
}

// TestReportBackfillRefusesOldHistory: order reports reach two years back.
func TestReportBackfillRefusesOldHistory(t *testing.T) {
	t.Parallel()
	tb := setupReports(t, func(o *sim.Options) { o.Orders, o.History = 10, 24*time.Hour }, nil)
	ctx := context.Background()
	insertOnly, err := river.NewClient(riverpgxv5.New(tb.Pool), &river.Config{})
	require.NoError(t, err)
	err = pgx.BeginFunc(ctx, tb.Pool, func(tx pgx.Tx) error {
		_, err := backfill.Start(ctx, tx, insertOnly, acctID, mustStream(t, "orders"), tb.start.Add(-800*24*time.Hour), tb.start.Add(-700*24*time.Hour),
			backfill.Options{Now: tb.Sim.Now, Via: backfill.ViaReports})
		return err
	})
	require.ErrorIs(t, err, backfill.ErrInvalid)
	require.Contains(t, err.Error(), "two years")
	err = pgx.BeginFunc(ctx, tb.Pool, func(tx pgx.Tx) error {
		_, err := backfill.Start(ctx, tx, insertOnly, acctID, mustStream(t, "service_jobs"), tb.start.Add(-80*24*time.Hour), tb.start.Add(-70*24*time.Hour),
			backfill.Options{Now: tb.Sim.Now, Via: backfill.ViaReports})
		return err
	})
	require.ErrorIs(t, err, backfill.ErrInvalid)
	require.Contains(t, err.Error(), "stream service_jobs has no report to backfill from")
}

// syncSet is a set of strings safe for concurrent use.
type syncSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

// add adds k and reports whether it was new.
func (s *syncSet) add(k string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if s.seen[k] {
		return false
	}
	s.seen[k] = true
	return true
}

// TestReportBackfillJapaneseDocument: an Amazon.co.jp seller's report is
// code page 932 (Windows-31J); the backfill stores its Japanese product
// names, yen and cities as the truth has them.
func TestReportBackfillJapaneseDocument(t *testing.T) {
	t.Parallel()
	acct := sim.DemoAccount
	acct.MarketplaceIDs = []string{sim.MarketplaceJP}
	tb := setupReports(t, func(o *sim.Options) { o.Accounts, o.Orders = []sim.Account{acct}, 600 }, nil)
	client := tb.StartClient(t, reportWorkers(tb.Deps), nil)
	from, to := tb.span()
	id := tb.startReports(t, client, from, to)
	tb.RunUntilIdle(t, 2*time.Minute)
	require.Equal(t, "done", tb.backfillRow(t, id).State)
	reports, err := tb.Sim.TruthReports(acctID)
	require.NoError(t, err)
	cp932 := 0
	for _, r := range reports {
		if cs, err := tb.Sim.ReportDocumentCharset(acctID, r.ReportID); err == nil && cs == "Windows-31J" {
			cp932++
		}
	}
	require.Positive(t, cp932, "documents were code page 932")
	truth, err := tb.Sim.TruthOrders(acctID)
	require.NoError(t, err)
	japanese := 0
	for _, o := range truth {
		if o.PurchaseDate.Before(from) || !o.PurchaseDate.Before(to) {
			continue
		}
		items, err := tb.Sim.TruthOrderItems(acctID, o.AmazonOrderID)
		require.NoError(t, err)
		for _, it := range items {
			n := tb.count(t, `SELECT count(*) FROM order_report_lines WHERE amazon_order_id = $1 AND sku = $2 AND product_name = $3`,
				o.AmazonOrderID, it.SellerSKU, it.Title)
			require.Positive(t, n, "order %s item %s %q", o.AmazonOrderID, it.SellerSKU, it.Title)
			if strings.ContainsFunc(it.Title, func(r rune) bool { return r >= 0x3040 && r <= 0x9fff }) {
				japanese++
			}
		}
	}
	require.Positive(t, japanese, "Japanese titles were compared")
	require.Positive(t, tb.count(t, `SELECT count(*) FROM order_report_lines WHERE currency = 'JPY'`))
	require.Zero(t, tb.count(t, `SELECT count(*) FROM order_report_lines WHERE currency <> 'JPY'`), "priced lines are in yen")
	tb.requireReportsEqualTruth(t, from, to)
}

// TestReportBackfillCountsItsRows: a backfill via reports counts its rows
// like every page (Deps.OnRows, spsync_rows_upserted_total): the orders and
// report lines its documents offered and wrote, equal to what the tables
// and the backfill's row count hold; a second import of the same span
// offers them again and changes none.
func TestReportBackfillCountsItsRows(t *testing.T) {
	t.Parallel()
	tb := setupReports(t, func(o *sim.Options) { o.ReportLayout = sim.ReportLayoutStandard }, nil)
	rows := &rowCounter{offered: map[string]int{}, changed: map[string]int{}}
	tb.Deps.OnRows = rows.onRows
	client := tb.StartClient(t, reportWorkers(tb.Deps), nil)
	from, to := tb.start.Add(-120*24*time.Hour), tb.start.Add(-60*24*time.Hour)

	id := tb.startReports(t, client, from, to)
	tb.RunUntilIdle(t, time.Minute)
	b := tb.backfillRow(t, id)
	require.Equal(t, "done", b.State, "last error: %v", b.LastError)
	offered, changed := rows.take()
	stored := map[string]int{
		"orders":             tb.count(t, `SELECT count(*) FROM orders`),
		"order_report_lines": tb.count(t, `SELECT count(*) FROM order_report_lines`),
	}
	require.Positive(t, stored["orders"])
	require.Equal(t, stored, offered, "offered: every order and line of the documents (none was the API's)")
	require.Equal(t, stored, changed, "changed: every row, new")
	require.Equal(t, int64(stored["orders"]+stored["order_report_lines"]), b.RowsWritten, "the backfill counts the same rows")

	again := tb.startReports(t, client, from, to)
	tb.RunUntilIdle(t, time.Minute)
	require.Equal(t, "done", tb.backfillRow(t, again).State)
	offered, changed = rows.take()
	require.Equal(t, stored, offered, "the same documents offer the same rows")
	require.Zero(t, changed["orders"]+changed["order_report_lines"], "and change none")
}
