package monitoring

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/devtools/fauxqs"
	"github.com/spsync/spsync/internal/jobs/servicejobs"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/worker"
	"github.com/spsync/spsync/internal/worker/workertest"
)

// TestDashboardShape checks what Grafana needs of the dashboard and what
// the live test relies on, without Prometheus: a provisionable dashboard
// whose every query goes to the $datasource variable's Prometheus and uses
// no variable but $account, $__rate_interval and $__range.
func TestDashboardShape(t *testing.T) {
	t.Parallel()
	d, queries := loadDashboard(t)
	require.Equal(t, "spsync", d.UID, "a fixed uid keeps links to the provisioned dashboard stable")
	require.NotEmpty(t, d.Title)
	require.GreaterOrEqual(t, d.SchemaVersion, 36, "a schema current Grafana reads without migrating")

	vars := map[string]int{}
	for i, v := range d.Templating.List {
		vars[v.Name] = i
	}
	require.Contains(t, vars, "datasource")
	ds := d.Templating.List[vars["datasource"]]
	require.Equal(t, "datasource", ds.Type)
	require.JSONEq(t, `"prometheus"`, string(ds.Query), "the datasource variable lists Prometheus data sources")
	require.Contains(t, vars, "account")
	acct := d.Templating.List[vars["account"]]
	require.Equal(t, "query", acct.Type)
	require.Contains(t, string(acct.Query), "label_values(spsync_api_calls_total, account)")
	require.True(t, acct.Multi)
	require.True(t, acct.IncludeAll)
	require.Equal(t, ".*", acct.AllValue, "All must be a regex, as every query matches account=~\"$account\"")
	require.Equal(t, &datasourceRef{Type: "prometheus", UID: "${datasource}"}, acct.Datasource)

	ids := map[int]string{}
	var check func([]panel)
	check = func(ps []panel) {
		for _, p := range ps {
			if prev, dup := ids[p.ID]; dup {
				t.Errorf("panels %q and %q share id %d", prev, p.Title, p.ID)
			}
			ids[p.ID] = p.Title
			if p.Type != "row" {
				assert.NotEmpty(t, p.Targets, "panel %q has no query", p.Title)
				assert.Equal(t, &datasourceRef{Type: "prometheus", UID: "${datasource}"}, p.Datasource, "panel %q", p.Title)
			}
			check(p.Panels)
		}
	}
	check(d.Panels)

	require.NotEmpty(t, queries)
	refs := map[string]bool{}
	for _, q := range queries {
		assert.NotEmpty(t, strings.TrimSpace(q.Expr), "%s has no expr", q)
		assert.Equal(t, &datasourceRef{Type: "prometheus", UID: "${datasource}"}, q.Datasource, "%s", q)
		key := q.Panel + "/" + q.RefID
		assert.False(t, refs[key], "%s: refId used twice in the panel", q)
		refs[key] = true
		for _, m := range variableRef.FindAllStringSubmatch(q.Expr, -1) {
			name := m[1] + m[2]
			assert.True(t, allowedVariables[name], "%s uses $%s: panel queries may use only $account, $__rate_interval and $__range", q, name)
		}
		if strings.Contains(q.Expr, "account=") || strings.Contains(q.Expr, "account!") {
			assert.Contains(t, q.Expr, `account=~"$account"`, "%s: the multi-value account variable needs a regex match", q)
		}
	}
	// Series read from the database at scrape time are the same in every
	// worker process (internal/metrics dbCollector): summing them across
	// processes would multiply them by the number of workers.
	for _, q := range queries {
		if m := summedSharedSeries.FindString(q.Expr); m != "" {
			t.Errorf("%s sums a series every worker reports alike (%s…): use max by", q, m)
		}
	}
	// The panels, by the series each needs.
	for _, series := range []string{"spsync_sync_lag_seconds", "spsync_budget_rate", "spsync_budget_burst", "spsync_budget_tokens",
		"spsync_api_calls_total", "spsync_api_throttles_total", "spsync_queue_jobs", "spsync_rows_upserted_total",
		"spsync_push_change_to_row_seconds_bucket", "spsync_push_safety_net_unannounced_total", "spsync_accounts",
		"spsync_lwa_client_secret_expiry_timestamp_seconds", "spsync_quarantined_records", "spsync_permission_denied"} {
		found := slices.ContainsFunc(queries, func(q panelQuery) bool { return strings.Contains(q.Expr, series) })
		assert.True(t, found, "no panel shows %s", series)
	}
}

// summedSharedSeries finds a sum over one of dbCollector's series.
var summedSharedSeries = regexp.MustCompile(`sum(?: by \([^)]*\))? \((?:increase\(|rate\()?spsync_(?:accounts|queue_jobs|budget_(?:rate|burst|tokens)|quarantined_records|permission_denied|sync_lag_seconds|push_safety_net_unannounced_total|lwa_[a-z_]+|secret_rotation_[a-z_]+)\b`)

func TestSubstitute(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want, err string
	}{
		{in: `rate(x{account=~"$account"}[$__rate_interval])`, want: `rate(x{account=~".*"}[1m])`},
		{in: `rate(x{account=~"${account}"}[${__rate_interval}])`, want: `rate(x{account=~".*"}[1m])`},
		{in: `x{account=~"${account:regex}"}`, want: `x{account=~".*"}`},
		{in: `up{job="spsync"}`, want: `up{job="spsync"}`},
		{in: `x{instance="$instance"}`, err: "$instance"},
	}
	for _, tc := range cases {
		got, err := substitute(tc.in, liveVariables)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got)
	}
}

// liveAccount is the one seller the live test syncs.
const liveAccount = "seller-a"

// TestDashboardAndAlertsAgainstLivePrometheus is issue 29's check of the
// dashboard and the alert rules against real data: Debian's Prometheus
// scrapes a real worker that syncs from the simulator with push on while
// the faults the panels and alerts are about happen (a 429, a 403 a new
// token does not fix, a record without its key, a dropped notification, a
// job that fails for good). Then every panel query, its Grafana variables
// substituted ($account → .*, $__rate_interval → 1m), must parse and
// return series through Prometheus' HTTP API, and every alert expression
// must evaluate.
func TestDashboardAndAlertsAgainstLivePrometheus(t *testing.T) {
	promBin := prometheusBinary(t)
	began := time.Now()
	ctx := context.Background()
	// The worker's SQS client reads the AWS SDK's default chain (not the
	// config getter); fauxqs takes any credentials.
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", fauxqs.Region)

	fq := fauxqs.Start(t)
	sqsClient := fauxqs.Client(t, fq)
	queueURL, queueARN := fq.CreateQueue(t, "spsync-notifications", true, 5)

	// The dataset settled weeks ago, so the only changes while the test
	// runs are the orders of the rate span: one a second for 10 s, from
	// 10 s on (after the worker began consuming: its safety-net count
	// leaves out older changes; it is ready within about a second). The application lacks the role the
	// default RECIPIENT dataset needs: every searchOrders and getOrder
	// asking for it is refused 403 and the worker records the denial.
	clock := &shiftClock{}
	spanFrom := time.Now().Add(10 * time.Second).Truncate(time.Second)
	spanTo := spanFrom.Add(10 * time.Second)
	acct := sim.DemoAccount
	acct.ID, acct.SellerID = liveAccount, "A29LIVESELLER"
	acct.RefreshToken += "-" + liveAccount
	acct.MarketplaceIDs = []string{sim.MarketplaceUS}
	acct.MissingRoles = []string{sim.RoleDirectToConsumerShipping}
	s := sim.MustNew(sim.Options{Seed: 29, Accounts: []sim.Account{acct},
		Start: time.Now().UTC().Truncate(24 * time.Hour).Add(-18 * 24 * time.Hour), History: 3 * 24 * time.Hour, Horizon: 24 * time.Hour,
		Orders: 30, FulfillmentOrders: 4, ServiceJobs: 4,
		OrderRates: []sim.OrderRate{{From: spanFrom, To: spanTo, PerHour: 3600}},
		DataClock:  clock, BurstScale: 100, RateScale: 20,
		// 429s on the service jobs poll from the start.
		Faults: sim.Faults{Seed: 29, Ops: []string{spapi.OpGetServiceJobs}, Throttle: 0.5},
	})
	proxy := &keylessProxy{target: s}
	srv := newHTTPServer(t, proxy)

	// Push: the seller subscribes as `worker notifications setup` does;
	// every third notification is lost on its way to the queue.
	nc, err := spapi.NewNotificationsClient(spapi.Options{
		Region: spapi.RegionNA, Account: acct.ID, Endpoint: srv, LWAEndpoint: srv + "/auth/o2/token",
		Credentials: spapi.Credentials{ClientID: acct.ClientID, ClientSecret: acct.ClientSecret, RefreshToken: acct.RefreshToken},
	})
	require.NoError(t, err)
	dest, err := nc.CreateDestination(ctx, "spsync", queueARN)
	require.NoError(t, err)
	for _, typ := range []string{spapi.NotificationOrderChange, spapi.NotificationFulfillmentOrderStatus} {
		_, err := nc.CreateSubscription(ctx, typ, "1.0", dest.DestinationID)
		require.NoError(t, err)
	}
	nctx, stopNotifier := context.WithCancel(ctx)
	sink := &losingSink{next: sim.NewSQSSink(sqsClient)}
	notifier, err := s.StartNotifier(nctx, sim.NotifierOptions{Sink: sink, Route: s.NotificationDestinations,
		DelayMin: 100 * time.Millisecond, DelayMax: 500 * time.Millisecond, Seed: 29})
	require.NoError(t, err)
	t.Cleanup(func() { stopNotifier(); <-notifier.Done() })

	// The worker, its account stored (a secretbox key), so spsync_accounts
	// and the client secret's expiry are exported.
	pool, httpAddr := startWorker(t, srv, queueURL, fq.Endpoint, acct)
	t.Logf("worker ready after %.1f s", time.Since(began).Seconds())

	// Prometheus scrapes it from now on.
	rules := readRules(t)
	prom := startPrometheus(t, promBin, httpAddr, rulesFile)
	var health string
	if !assert.Eventually(t, func() bool {
		var up bool
		up, health = prom.targetUp(ctx)
		return up
	}, 30*time.Second, 100*time.Millisecond, "prometheus scrapes the worker") {
		t.Fatalf("the spsync target is not up: %s\n%s", health, prom.logs.tail(20))
	}

	// A 429 served, then a job that fails for good: a service job refresh
	// allowed one attempt while the simulator answers that operation 500.
	require.Eventually(t, func() bool { return s.Stats()[spapi.OpGetServiceJobs].Throttled > 0 },
		30*time.Second, 50*time.Millisecond, "the simulator throttles the service jobs poll")
	s.SetFaults(sim.Faults{Seed: 29, Ops: []string{spapi.OpGetServiceJobByServiceJobID}, Error500: 1})
	failing := insertFailingJob(t, pool)
	require.Eventually(t, func() bool { return jobState(t, pool, failing) == "discarded" },
		time.Minute, 100*time.Millisecond, "the refresh allowed one attempt fails for good")
	s.SetFaults(sim.Faults{})

	// The rate span's notifications, a third lost; then the data clock
	// jumps past Amazon's two-minute rule so the safety-net poll reads the
	// span now rather than two minutes later, and finds the dropped ones.
	require.Eventually(t, func() bool { return clock.Now().After(spanTo) }, time.Minute, 100*time.Millisecond, "the rate span ends")
	require.NoError(t, notifier.Sync(ctx))
	seen, lost := sink.counts()
	require.Positive(t, lost, "a notification was lost (%d sent)", seen)
	clock.Shift(2*time.Minute + 10*time.Second)
	t.Logf("push: %d notifications, %d lost; data clock moved 2m10s ahead at %.1f s", seen, lost, time.Since(began).Seconds())

	require.Eventually(t, func() bool { return count(t, pool, `SELECT count(*) FROM quarantined_records`) > 0 },
		time.Minute, 100*time.Millisecond, "the keyless order is quarantined")
	require.Eventually(t, func() bool { return count(t, pool, `SELECT count(*) FROM permission_denials`) > 0 },
		time.Minute, 100*time.Millisecond, "the refused RECIPIENT dataset is recorded")

	// Each fault shows in the series the panels and alerts read.
	shows := []struct {
		what, expr string
		least      float64
	}{
		{"the 429s", `sum(spsync_api_throttles_total{operation="getServiceJobs"})`, 1},
		{"the refused RECIPIENT dataset", `sum(spsync_permission_denied)`, 1},
		{"the keyless record", `sum(spsync_quarantined_records)`, 1},
		{"the job failed for good", `sum(spsync_queue_jobs{state="discarded"})`, 1},
		// The safety net finds every lost notification's change.
		{"the lost notifications", `sum(spsync_push_safety_net_unannounced_total{stream="orders"})`, float64(lost)},
		{"the pushed changes' latency", `sum(spsync_push_change_to_row_seconds_count)`, 1},
		{"the stored account", `sum(spsync_accounts{state="active"})`, 1},
		{"the declared secret expiry", `min(spsync_lwa_client_secret_expiry_timestamp_seconds) - time()`, 149 * 24 * 3600},
	}
	for _, c := range shows {
		var last string
		if !assert.Eventually(t, func() bool {
			v, ok, err := prom.value(ctx, c.expr)
			last = fmt.Sprintf("%v (series: %v, err: %v)", v, ok, err)
			return err == nil && ok && v >= c.least
		}, 30*time.Second, 250*time.Millisecond, c.what) {
			t.Errorf("%s: %s >= %v never held; last %s", c.what, c.expr, c.least, last)
			continue
		}
		t.Logf("%s: %s = %s", c.what, c.expr, last)
	}

	// Every panel query returns series. Counters and histograms need two
	// scrapes after their last change for rate(), and the database-backed
	// gauges a scrape after the facts above: wait until all do (a query
	// Prometheus refuses will not get better: no waiting then), and name
	// every panel that still fails.
	_, queries := loadDashboard(t)
	var failures []string
	evalPanels := func() (failed []string, refused bool) {
		for _, q := range queries {
			expr, err := substitute(q.Expr, liveVariables)
			if err != nil {
				failed, refused = append(failed, fmt.Sprintf("%s: %v", q, err)), true
				continue
			}
			n, err := prom.query(ctx, expr)
			switch {
			case err != nil:
				failed, refused = append(failed, fmt.Sprintf("%s: %v\n\t%s", q, err, expr)), true
			case n == 0:
				failed = append(failed, fmt.Sprintf("%s: no series\n\t%s", q, expr))
			}
		}
		return failed, refused
	}
	assert.Eventually(t, func() bool {
		var refused bool
		failures, refused = evalPanels()
		return len(failures) == 0 || refused
	}, time.Minute, 500*time.Millisecond, "every panel query returns series")
	if len(failures) > 0 {
		t.Errorf("%d of %d panel queries failed:\n%s", len(failures), len(queries), strings.Join(failures, "\n"))
	} else {
		t.Logf("%d panel queries return series (%.1f s)", len(queries), time.Since(began).Seconds())
	}

	// Every alert expression evaluates, and Prometheus loaded every rule.
	require.NotEmpty(t, rules, "%s has no rules", rulesFile)
	var bad []string
	for _, r := range rules {
		if _, err := prom.query(ctx, r.Expr); err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v\n\t%s", r.Alert, err, r.Expr))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d of %d alert expressions do not evaluate:\n%s", len(bad), len(rules), strings.Join(bad, "\n"))
	}
	loaded, err := prom.loadedRules(ctx)
	require.NoError(t, err)
	for _, r := range rules {
		if h, ok := loaded[r.Alert]; !ok {
			t.Errorf("prometheus did not load the rule %s", r.Alert)
		} else if strings.HasPrefix(h, "err") {
			t.Errorf("rule %s: %s", r.Alert, h)
		}
	}
	t.Logf("%d alert expressions evaluate", len(rules))
	if t.Failed() {
		t.Logf("prometheus log (tail):\n%s", prom.logs.tail(20))
	}
	t.Logf("test ran %.1f s", time.Since(began).Seconds())
}

// newHTTPServer serves h on a loopback port until the test ends and
// returns its base URL.
func newHTTPServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// startWorker runs the worker in-process against the simulator at simURL
// with push from queueURL, its one account declared in an accounts file
// and stored (sealed with a fresh key); it stops when the test ends.
func startWorker(t *testing.T, simURL, queueURL, sqsEndpoint string, acct sim.Account) (*pgxpool.Pool, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "accounts.yaml")
	expires := time.Now().Add(150 * 24 * time.Hour).UTC().Format(time.DateOnly)
	yaml := fmt.Sprintf(`accounts:
  - id: %s
    marketplace_ids: [%s]
    client_id: %s
    client_secret_env: SECRET
    refresh_token_env: TOKEN
    selling_partner_id: %s
    client_secret_expires_at: %s
`, acct.ID, sim.MarketplaceUS, acct.ClientID, acct.SellerID, expires)
	require.NoError(t, os.WriteFile(file, []byte(yaml), 0o600))
	env := map[string]string{
		"DATABASE_URL":   dbtest.NewURL(t),
		"SPAPI_ENDPOINT": simURL, "LWA_ENDPOINT": simURL + "/auth/o2/token",
		"SECRET": acct.ClientSecret, "TOKEN": acct.RefreshToken,
		"SPSYNC_ACCOUNTS_FILE": file, "SPSYNC_HTTP_ADDR": "127.0.0.1:0",
		"SPSYNC_ORDERS_CRON": "@every 2s", "SPSYNC_FULFILLMENT_ORDERS_CRON": "@every 2s", "SPSYNC_SERVICE_JOBS_CRON": "@every 2s",
		"SPSYNC_SIM_RATE_SCALE": "20",
		"SPSYNC_SQS_QUEUE_URL":  queueURL, "SPSYNC_SQS_ENDPOINT": sqsEndpoint,
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	key, _, err := secretbox.GenerateKey()
	require.NoError(t, err)

	r := workertest.Start(t, worker.Options{Config: cfg, Keys: &secretbox.Keyring{Current: key}, Migrate: true, AccountsReload: time.Second})
	return pool, r.HTTPAddr
}

// insertFailingJob queues a refresh of a service job with a single
// attempt, through an insert-only River client as another process would.
func insertFailingJob(t *testing.T, pool *pgxpool.Pool) int64 {
	t.Helper()
	client, err := river.NewClient[pgx.Tx](riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	res, err := client.Insert(context.Background(), servicejobs.RefreshArgs{AccountID: liveAccount, ServiceJobID: "live-test-fails-for-good"},
		&river.InsertOpts{MaxAttempts: 1})
	require.NoError(t, err)
	return res.Job.ID
}

func jobState(t *testing.T, pool *pgxpool.Pool, id int64) string {
	var state string
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT state::text FROM river_job WHERE id = $1`, id).Scan(&state))
	return state
}

func count(t *testing.T, pool *pgxpool.Pool, q string) int {
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), q).Scan(&n))
	return n
}
