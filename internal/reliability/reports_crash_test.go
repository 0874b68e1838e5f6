package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// TestReportBackfillSIGKILL runs `worker backfill orders --via reports`
// with the real worker binary against a simulator process whose reports
// take seconds to process, SIGKILLs the worker at seeded random moments
// (while it requests reports, waits for them, downloads and stores their
// documents), restarts it each time, and lets the last one finish: the
// backfill is done, Amazon got one report request per window (the
// simulator's own report list says so), and every order of the span is
// stored with its status and its units, equal to the truth.
func TestReportBackfillSIGKILL(t *testing.T) {
	t.Parallel()
	kills, orders := 4, 1500
	if long() {
		kills, orders = 12, 4000
	}
	const seed = 20261127
	rng := rand.New(rand.NewPCG(seed, 17))
	bin := workerBinary(t)
	// 150 settled days of history, of which the 115 oldest are backfilled:
	// four 30-day report windows, older than the polls. 30-day lookback.
	d := dataset{
		Seed:    seed,
		Start:   time.Now().UTC().Truncate(24 * time.Hour).Add(-40 * 24 * time.Hour),
		History: 150 * 24 * time.Hour, Horizon: 24 * time.Hour,
		Orders: orders, ServiceJobs: 1, FulfillmentOrders: 1,
	}
	truth := d.truth(t)
	p := startProc(t, "worker sim", bin, nil, append(d.simArgs(), "--report-delay", "2s")...)
	simURL := p.match(t, simURLPattern, 30*time.Second)

	dbURL := dbtest.NewURL(t)
	pool := newPool(t, dbURL)
	// The polls stay out of the way: this is the backfill's test.
	env := workerEnv(dbURL, simURL, sim.DemoAccount,
		"SPSYNC_ORDERS_CRON=@every 24h", "SPSYNC_SERVICE_JOBS_CRON=@every 24h", "SPSYNC_FULFILLMENT_ORDERS_CRON=@every 24h",
		"SPSYNC_RATE_LIMITS="+rateLimits+",createReport=10:15,getReport=10:15,getReports=10:10,getReportDocument=10:15")

	from := d.Start.Add(-d.History).Truncate(24 * time.Hour)
	to := d.Start.Add(-35 * 24 * time.Hour)
	bf := startProc(t, "worker backfill", bin, env, "backfill", "orders", "--via", "reports",
		"--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339))
	require.Equal(t, 0, bf.wait(t, time.Minute), "worker backfill:\n%s", tail(bf.stderr.String(), 20))

	done := func() (bool, error) {
		var state string
		err := pool.QueryRow(context.Background(), `SELECT state FROM backfills WHERE via = 'reports' ORDER BY id DESC LIMIT 1`).Scan(&state)
		return state == "done", err
	}
	started := time.Now()
	killed := 0
	var storedAfter []int
	for killed < kills {
		w := startProc(t, "worker run", bin, env, "run")
		delay := time.Duration(2000+rng.IntN(38000)) * time.Millisecond // reports snooze 30 s between checks
		select {
		case <-w.done:
			t.Fatalf("worker run exited on its own\n%s", tail(w.stderr.String(), 30))
		case <-time.After(delay):
			w.kill(t)
			killed++
		}
		storedAfter = append(storedAfter, count(t, pool, `SELECT count(*) FROM order_report_lines`))
		if ok, err := done(); err == nil && ok {
			break
		}
	}
	w, _ := startWorker(t, bin, env)
	waitFor(t, 5*time.Minute, "the report backfill to finish", done)
	w.kill(t)
	t.Logf("%d SIGKILLs in %s; report lines stored after each: %v", killed, time.Since(started).Round(time.Millisecond), storedAfter)

	// One report per window, as Amazon's own list shows.
	ctx := context.Background()
	client, err := spapi.NewClient(spapi.Options{Region: spapi.RegionNA, Account: "check", Endpoint: simURL, LWAEndpoint: simURL + "/auth/o2/token",
		Credentials: spapi.Credentials{ClientID: sim.DemoAccount.ClientID, ClientSecret: sim.DemoAccount.ClientSecret, RefreshToken: sim.DemoAccount.RefreshToken}})
	require.NoError(t, err)
	perWindow := map[string]int{}
	pager := client.GetReportsPager(spapi.GetReportsRequest{ReportTypes: []string{sim.ReportOrdersByOrderDate}, CreatedSince: started.Add(-time.Hour), PageSize: 100})
	for page, err := range pager.All(ctx, nil) {
		require.NoError(t, err)
		for _, r := range page.Reports {
			perWindow[fmt.Sprint(r.DataStartTime.UTC().Format(time.RFC3339), "..", r.DataEndTime.UTC().Format(time.RFC3339))]++
		}
	}
	var windows int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM backfill_windows w JOIN backfills b ON b.id = w.backfill_id WHERE b.via = 'reports'`).Scan(&windows))
	require.Len(t, perWindow, windows, "a report per window: %v", perWindow)
	for w, n := range perWindow {
		require.Equal(t, 1, n, "window %s requested %d times", w, n)
	}

	// Every order of the span, with its status and units, as the truth has it.
	all, err := truth.TruthOrders(sim.DemoAccount.ID)
	require.NoError(t, err)
	checked := 0
	for _, o := range all {
		if o.PurchaseDate.Before(from) || !o.PurchaseDate.Before(to) {
			continue
		}
		items, err := truth.TruthOrderItems(sim.DemoAccount.ID, o.AmazonOrderID)
		require.NoError(t, err)
		want := 0
		for _, it := range items {
			want += it.QuantityOrdered
		}
		var status string
		var units int
		require.NoError(t, pool.QueryRow(ctx, `
			SELECT o.order_status, (SELECT coalesce(sum(quantity), 0)::int FROM order_lines l WHERE l.account_id = o.account_id AND l.amazon_order_id = o.amazon_order_id)
			FROM orders o WHERE o.account_id = $1 AND o.amazon_order_id = $2`, accountID, o.AmazonOrderID).Scan(&status, &units),
			"order %s", o.AmazonOrderID)
		require.Equal(t, o.OrderStatus, status, "order %s", o.AmazonOrderID)
		require.Equal(t, want, units, "units of order %s", o.AmazonOrderID)
		checked++
	}
	require.Positive(t, checked)
	t.Logf("%d windows, one report each; %d orders of the span equal to the truth", windows, checked)
}
