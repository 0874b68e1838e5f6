package orders_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/status"
)

// includedLog records the includedData of every searchOrders request.
type includedLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *includedLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/orders/2026-01-01/orders" {
			l.mu.Lock()
			l.seen = append(l.seen, strings.Join(r.URL.Query()["includedData"], ","))
			l.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (l *includedLog) requests() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.seen...)
}

// setupPII is setup2026 with 400 orders, an account as given, and every
// searchOrders request's includedData logged.
func setupPII(t *testing.T, acct sim.Account) (*testBundle, *includedLog) {
	t.Helper()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	log := &includedLog{}
	b := jobstest.New(t, jobstest.Options{OrdersAPI: config.OrdersAPI2026, Wrap: log.wrap, Sim: sim.Options{
		Seed: 21, Start: start, Orders: 400, DataClock: clock, RateScale: 600, Accounts: []sim.Account{acct},
	}})
	return &testBundle{Bundle: b, clock: clock, start: start}, log
}

func (tb *testBundle) runPoll(t *testing.T, opts orders.Options) *river.Client[pgx.Tx] {
	t.Helper()
	w := river.NewWorkers()
	orders.NewStream(opts).Register(w, tb.Deps)
	client := tb.StartClient(t, w, nil)
	tb.poll(t, client)
	return client
}

// TestOrders2026PIIOffByDefault: by default BUYER is never asked for, no
// PII is stored anywhere (order_pii stays empty, raw carries none), and the
// shipping city comes from RECIPIENT.
func TestOrders2026PIIOffByDefault(t *testing.T) {
	t.Parallel()
	tb, log := setupPII(t, sim.DemoAccount)
	tb.runPoll(t, orders.Options{})
	reqs := log.requests()
	require.NotEmpty(t, reqs)
	for _, r := range reqs {
		require.NotContains(t, r, "BUYER", "BUYER is PII only: not asked for by default")
		require.Contains(t, r, "FULFILLMENT")
		require.Contains(t, r, "PROCEEDS")
	}
	require.Zero(t, tb.count(t, `SELECT count(*) FROM order_pii`))
	require.Zero(t, tb.count(t, `SELECT count(*) FROM orders WHERE raw ? 'buyer' OR raw->'recipient'->'deliveryAddress' ?| array['name','addressLine1','postalCode','phone']`))
	require.Positive(t, tb.count(t, `SELECT count(*) FROM orders WHERE shipping_address_city IS NOT NULL`))
}

// TestOrders2026PIIStoredApartAndPurged: with the opt-in, buyer and
// recipient PII land in order_pii only, and the purge job deletes, on the
// injected clock, exactly the rows whose order closed longer ago than the
// retention.
func TestOrders2026PIIStoredApartAndPurged(t *testing.T) {
	t.Parallel()
	tb, log := setupPII(t, sim.DemoAccount)
	client := tb.runPoll(t, orders.Options{StorePII: true, PIIRetention: 72 * time.Hour})
	for _, r := range log.requests() {
		require.Contains(t, r, "BUYER")
		require.Contains(t, r, "RECIPIENT")
	}
	stored := tb.count(t, `SELECT count(*) FROM order_pii`)
	require.Positive(t, stored)
	require.Positive(t, tb.count(t, `SELECT count(*) FROM order_pii WHERE buyer_name IS NOT NULL AND address_line1 IS NOT NULL`))
	require.Zero(t, tb.count(t, `SELECT count(*) FROM orders WHERE raw ? 'buyer'`), "not in orders")

	now := tb.clock.Now()
	due := tb.count(t, `SELECT count(*) FROM order_pii p JOIN orders o USING (account_id, amazon_order_id)
		WHERE o.order_status IN ('Shipped', 'Canceled', 'Unfulfillable') AND o.last_update_date <= $1`, now.Add(-72*time.Hour))
	require.Positive(t, due, "the history has orders closed more than 3 days ago")
	require.Less(t, due, stored, "and PII of orders closed lately or open")
	_, err := client.Insert(context.Background(), orders.PIIPurgeArgs{}, nil)
	require.NoError(t, err)
	tb.RunUntilIdle(t, time.Minute)
	require.Equal(t, stored-due, tb.count(t, `SELECT count(*) FROM order_pii`), "exactly the rows due are purged")
	require.Zero(t, tb.count(t, `SELECT count(*) FROM order_pii p JOIN orders o USING (account_id, amazon_order_id)
		WHERE o.order_status IN ('Shipped', 'Canceled', 'Unfulfillable') AND o.last_update_date <= $1`, now.Add(-72*time.Hour)))
}

// TestOrders2026MissingRole: the application lacks Direct-to-Consumer
// Shipping, so Amazon refuses RECIPIENT with 403. The stream syncs on
// without it (every order stored, equal to v0's status), asks for it once,
// and worker status names the dataset and the role.
func TestOrders2026MissingRole(t *testing.T) {
	t.Parallel()
	acct := sim.DemoAccount
	acct.MissingRoles = []string{sim.RoleDirectToConsumerShipping}
	tb, log := setupPII(t, acct)
	tb.runPoll(t, orders.Options{})

	truth, err := tb.Sim.TruthOrders(acct.ID)
	require.NoError(t, err)
	require.Equal(t, len(truth), tb.count(t, `SELECT count(*) FROM orders`), "the stream went on without RECIPIENT")
	require.Zero(t, tb.count(t, `SELECT count(*) FROM orders WHERE order_status IS NULL`))
	reqs := log.requests()
	with := 0
	for _, r := range reqs {
		if strings.Contains(r, "RECIPIENT") {
			with++
		}
	}
	require.Equal(t, 1, with, "RECIPIENT asked for once, then left out: %v", reqs)
	require.Equal(t, 1, tb.Sim.Stats()[spapi.OpSearchOrders].Errors, "one 403")

	rep, err := status.Collect(context.Background(), tb.Pool)
	require.NoError(t, err)
	var found bool
	for _, d := range rep.PermissionDenied {
		if d.Operation == "searchOrders includedData=RECIPIENT" {
			found = true
			require.Contains(t, d.Error, "Direct-to-Consumer Shipping (Restricted)")
		}
	}
	require.True(t, found, "worker status names the refused dataset: %+v", rep.PermissionDenied)
}

func (tb *testBundle) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, tb.Pool.QueryRow(context.Background(), query, args...).Scan(&n))
	return n
}

// TestOrders2026RoleMissingFieldsOmitted: Amazon may answer a missing role
// with 200 and the personal fields left out. With PII kept, the stream
// syncs on, stores no address it was not sent, and worker status names the
// dataset and the role.
func TestOrders2026RoleMissingFieldsOmitted(t *testing.T) {
	t.Parallel()
	acct := sim.DemoAccount
	acct.MissingRoles = []string{sim.RoleDirectToConsumerShipping}
	acct.OmitPIIWithoutRole = true
	tb, _ := setupPII(t, acct)
	tb.runPoll(t, orders.Options{StorePII: true})

	truth, err := tb.Sim.TruthOrders(acct.ID)
	require.NoError(t, err)
	require.Equal(t, len(truth), tb.count(t, `SELECT count(*) FROM orders`))
	require.Zero(t, tb.Sim.Stats()[spapi.OpSearchOrders].Errors, "no 403: the fields were left out")
	require.Zero(t, tb.count(t, `SELECT count(*) FROM order_pii WHERE address_line1 IS NOT NULL`))
	require.Positive(t, tb.count(t, `SELECT count(*) FROM order_pii WHERE buyer_name IS NOT NULL`), "the buyer's role is there")

	rep, err := status.Collect(context.Background(), tb.Pool)
	require.NoError(t, err)
	var ops []string
	for _, d := range rep.PermissionDenied {
		ops = append(ops, d.Operation)
		if d.Operation == "searchOrders includedData=RECIPIENT" {
			require.Contains(t, d.Error, "Direct-to-Consumer Shipping (Restricted)")
		}
	}
	require.Equal(t, []string{"searchOrders includedData=RECIPIENT"}, ops)
}
