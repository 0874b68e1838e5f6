package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/status"
	"github.com/spsync/spsync/internal/store"
)

// simEnv serves a simulator for the test and returns the environment that
// points the worker at it as if it were Amazon (credentials set, so no
// built-in simulator), with usage plans pinned to the simulator's scaled
// ones.
func simEnv(t *testing.T, opts sim.Options) (*sim.Sim, map[string]string) {
	t.Helper()
	opts.RateScale = 600
	s := sim.MustNew(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	a := s.Accounts()[0]
	return s, map[string]string{
		"DATABASE_URL":          dbtest.NewURL(t),
		"SPSYNC_HTTP_ADDR":      "127.0.0.1:0",
		"SPAPI_ENDPOINT":        srv.URL,
		"LWA_ENDPOINT":          srv.URL + "/auth/o2/token",
		"LWA_CLIENT_ID":         a.ClientID,
		"LWA_CLIENT_SECRET":     a.ClientSecret,
		"SPAPI_REFRESH_TOKEN":   a.RefreshToken,
		"SPAPI_MARKETPLACE_IDS": strings.Join(a.MarketplaceIDs, ","),
		"SPSYNC_RATE_LIMITS":    "getOrders=10:20,getOrder=300:30,getOrderItems=300:30,searchOrders=10:20,getOrder2026=300:30",
	}
}

func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, envOf(env), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestStatusShowsAThrottleInjectedAtTheSimulator(t *testing.T) {
	t.Parallel()
	s, env := simEnv(t, sim.Options{Seed: 3, Orders: 300, Faults: sim.Faults{Seed: 1, Ops: []string{spapi.OpSearchOrders}, Throttle: 0.5}})

	code, _, stderr := runCmd(t, env, "run", "--once")
	require.Equal(t, 0, code, stderr)
	throttled := s.Stats()[spapi.OpSearchOrders].Throttled
	require.Positive(t, throttled, "the fault must have fired for the test to mean anything")

	// A record Amazon sent without its key, as the orders poll quarantines it.
	pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
	require.NoError(t, err)
	defer pool.Close()
	var acct string
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT account_id FROM sync_cursors WHERE stream = 'orders'`).Scan(&acct))
	require.NoError(t, store.QuarantineRecords(context.Background(), pool, acct, []spapi.Quarantined{
		{Op: spapi.OpGetOrders, Reason: "missing AmazonOrderId", Raw: json.RawMessage(`{"OrderStatus":"Shipped"}`)},
	}))

	code, out, stderr := runCmd(t, env, "status", "--json")
	require.Equal(t, 0, code, stderr)
	var r status.Report
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	var found bool
	for _, b := range r.Budgets {
		if b.Operation == spapi.OpSearchOrders {
			found = true
			require.EqualValues(t, throttled, b.Throttled, "every 429 the simulator sent is on the bucket")
			require.NotNil(t, b.LastThrottledAt)
		}
	}
	require.True(t, found, "searchOrders bucket in %s", out)
	streams := map[string]status.Stream{}
	for _, st := range r.Streams {
		streams[st.Stream] = st
	}
	require.Contains(t, streams, "orders")
	require.NotNil(t, streams["orders"].CursorAt)
	require.NotNil(t, streams["orders"].LagSeconds)
	require.Len(t, r.Quarantine, 1, out)
	require.Equal(t, acct, r.Quarantine[0].AccountID)
	require.Equal(t, spapi.OpGetOrders, r.Quarantine[0].Operation)
	require.EqualValues(t, 1, r.Quarantine[0].Records)
	require.Equal(t, "missing AmazonOrderId", r.Quarantine[0].LastReason)
	require.False(t, r.Quarantine[0].LastSeenAt.IsZero())

	code, out, stderr = runCmd(t, env, "status")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "searchOrders")
	require.Contains(t, out, "LAST ERROR")
	require.Contains(t, out, "QUARANTINED")
	require.Contains(t, out, "missing AmazonOrderId")
	require.Contains(t, out, "FROM quarantined_records")
}

func TestRefreshOrderRestoresIt(t *testing.T) {
	t.Parallel()
	s, env := simEnv(t, sim.Options{Seed: 4, Orders: 100})
	code, _, stderr := runCmd(t, env, "run", "--once")
	require.Equal(t, 0, code, stderr)

	truth, err := s.TruthOrders(sim.DemoAccount.ID)
	require.NoError(t, err)
	id := truth[0].AmazonOrderID
	pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
	require.NoError(t, err)
	defer pool.Close()
	_, err = pool.Exec(context.Background(), `DELETE FROM order_items WHERE amazon_order_id = $1`, id)
	require.NoError(t, err)
	_, err = pool.Exec(context.Background(), `DELETE FROM orders WHERE amazon_order_id = $1`, id)
	require.NoError(t, err)

	code, out, stderr := runCmd(t, env, "refresh", "order", id)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "refresh queued")
	before := s.EntityCalls(sim.DemoAccount.ID, spapi.OpGetOrder2026, id)
	code, _, stderr = runCmd(t, env, "run", "--once")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, before+1, s.EntityCalls(sim.DemoAccount.ID, spapi.OpGetOrder2026, id), "Orders 2026-01-01 getOrder, the default")
	require.Zero(t, s.EntityCalls(sim.DemoAccount.ID, spapi.OpGetOrder, id), "no v0 call")

	var orders, items int
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM orders WHERE amazon_order_id = $1`, id).Scan(&orders))
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM order_items WHERE amazon_order_id = $1`, id).Scan(&items))
	require.Equal(t, 1, orders)
	wantItems, err := s.TruthOrderItems(sim.DemoAccount.ID, id)
	require.NoError(t, err)
	require.Len(t, wantItems, items)
}

func TestRefreshRejectsBadArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"UnknownKind", []string{"refresh", "invoice", "1"}, `unknown kind "invoice"`},
		{"MissingID", []string{"refresh", "order"}, "want KIND ID"},
		{"TooMany", []string{"refresh", "order", "1", "2"}, "want KIND ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCmd(t, nil, tt.args...)
			require.Equal(t, 2, code)
			require.Contains(t, stderr, tt.want)
		})
	}
}

func TestOnceFailsNamingAJobThatFailedForGood(t *testing.T) {
	t.Parallel()
	_, env := simEnv(t, sim.Options{Seed: 6, Orders: 50})
	code, _, stderr := runCmd(t, env, "run", "--once")
	require.Equal(t, 0, code, stderr)

	// Amazon answers 404 for an order it does not have: retrying cannot
	// help, so the job is cancelled, and the round reports it.
	code, _, stderr = runCmd(t, env, "refresh", "order", "000-0000000-0000000")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCmd(t, env, "run", "--once")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "1 jobs failed for good")
	require.Contains(t, stderr, "order_refresh")
	require.Contains(t, stderr, "000-0000000-0000000")
}
