package orders_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/metrics"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/status"
)

// oddFieldPage rewrites getOrders answers: the first order of the first page gets an
// IsPrime that no decoder can read ("maybe"). Amazon has sent booleans as strings; a value
// that is neither must cost that field, not the page.
func oddFieldPage(victim *atomic.Value) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/orders/v0/orders" || victim.Load() != nil {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			var env struct {
				Payload map[string]json.RawMessage `json:"payload"`
			}
			if rec.Code == http.StatusOK && json.Unmarshal(body, &env) == nil {
				var orders []map[string]json.RawMessage
				if json.Unmarshal(env.Payload["Orders"], &orders) == nil && len(orders) > 0 {
					var id string
					_ = json.Unmarshal(orders[0]["AmazonOrderId"], &id)
					orders[0]["IsPrime"] = json.RawMessage(`"maybe"`)
					victim.Store(id)
					env.Payload["Orders"], _ = json.Marshal(orders)
					body, _ = json.Marshal(env)
				}
			}
			for k, v := range rec.Header() {
				if k != "Content-Length" {
					w.Header()[k] = v
				}
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body)
		})
	}
}

// TestOneOddFieldNeverLosesThePage: a page where one order has an optional field that
// cannot be decoded even tolerantly commits whole. The other orders equal the truth, the
// odd order is stored with its raw as sent and that column NULL, the cursor moves, its
// items are fetched, and the decode warning is counted once.
func TestOneOddFieldNeverLosesThePage(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	var victim atomic.Value
	b := jobstest.New(t, jobstest.Options{
		Sim:  sim.Options{Seed: 11, Start: start, Orders: 300, DataClock: clock, RateScale: 600},
		Wrap: oddFieldPage(&victim),
	})
	m := metrics.New(nil, nil)
	b.Deps.OnDecodeWarning = m.ObserveDecodeProblem
	tb := &testBundle{Bundle: b, clock: clock, start: start}
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)

	tb.poll(t, client)

	id, _ := victim.Load().(string)
	require.NotEmpty(t, id, "the wrapper changed an order")
	ctx := context.Background()
	var raw []byte
	var isPrime *bool
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT raw, is_prime FROM orders WHERE account_id = $1 AND amazon_order_id = $2`,
		sim.DemoAccount.ID, id).Scan(&raw, &isPrime))
	require.Nil(t, isPrime, "the undecodable field is NULL, not a guess")
	require.Contains(t, string(raw), `"IsPrime": "maybe"`, "raw keeps what Amazon sent")

	// Every order, the odd one's other fields included, equals the truth; the odd
	// field is the one difference.
	truth, err := tb.Sim.TruthOrders(sim.DemoAccount.ID)
	require.NoError(t, err)
	stored := tb.stored(t)
	require.Len(t, stored, len(truth))
	for _, want := range truth {
		got := stored[want.AmazonOrderID]
		require.NotNil(t, got, "order %s missing", want.AmazonOrderID)
		if want.AmazonOrderID == id {
			fixed := bytes.Replace(got.raw, []byte(`"IsPrime": "maybe"`), []byte(`"IsPrime": `+boolText(want.IsPrime)), 1)
			jobstest.RequireSameTyped[spapi.Order](t, want, fixed, "odd order ", id)
			require.NotEmpty(t, got.itemsRaw, "the odd order's items were fetched")
			continue
		}
		jobstest.RequireSameTyped[spapi.Order](t, want, got.raw, "order ", want.AmazonOrderID)
	}

	require.Equal(t, 1.0, testutil.ToFloat64(m.DecodeWarnings.WithLabelValues(spapi.OpGetOrders, "IsPrime")))
	require.Equal(t, 1, testutil.CollectAndCount(m.DecodeWarnings), "no other field warned")
	var cursor time.Time
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT cursor_at FROM sync_cursors WHERE account_id = $1 AND stream = 'orders'`,
		sim.DemoAccount.ID).Scan(&cursor))
	require.True(t, cursor.Equal(start.Add(-twoMinutes)), "the cursor moved past the page: %s", cursor)
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestTokensInvalidatedEarlyCostOneRefreshEach: Amazon invalidates access
// tokens long before their expires_in and answers 403 "The access token you
// provided has expired.". Here every token dies after 40 SP-API calls
// (counted, not timed, so a loaded machine cannot turn it into a different
// test): a whole sync still ends equal to the truth, each invalidated token
// causes exactly one refresh however many calls held it, and no job attempt
// fails. (The timed variant, sim.Options.AccessTokenInvalidateAfter, is
// covered by the simulator's own tests.)
func TestTokensInvalidatedEarlyCostOneRefreshEach(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	b := jobstest.New(t, jobstest.Options{Sim: sim.Options{
		Seed: 12, Start: start, Orders: 600, DataClock: clock, RateScale: 200,
		AccessTokenInvalidateAfterCalls: 40,
	}})
	tb := &testBundle{Bundle: b, clock: clock, start: start}
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)

	tb.poll(t, client)
	tb.requireInSync(t, start)

	acct := sim.DemoAccount.ID
	refused, grants := tb.Sim.RefusedTokens(acct), tb.Sim.TokenGrants(acct)
	t.Logf("%d access tokens granted, %d refused as expired", grants, refused)
	require.GreaterOrEqual(t, refused, 5, "the sync outlived several tokens")
	require.Equal(t, refused+1, grants, "one refresh per invalidated token")
	var failedAttempts int
	require.NoError(t, tb.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM river_job WHERE coalesce(array_length(errors, 1), 0) > 0`).Scan(&failedAttempts))
	require.Zero(t, failedAttempts, "no job attempt failed")
}

// TestPermissionDeniedIsReportedAndContained: Amazon answers getOrderItems with a 403
// that is not about the token (the application lacks the role). The items jobs are
// cancelled without a token refresh, the orders themselves are stored and the cursor
// moves, worker status names the refused operation, and the first success clears it.
func TestPermissionDeniedIsReportedAndContained(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	var deny atomic.Bool
	deny.Store(true)
	b := jobstest.New(t, jobstest.Options{
		Sim: sim.Options{Seed: 13, Start: start, Orders: 40, DataClock: clock, RateScale: 600},
		Wrap: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if deny.Load() && strings.HasSuffix(r.URL.Path, "/orderItems") {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusForbidden)
					_, _ = w.Write([]byte(`{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":""}]}`))
					return
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	tb := &testBundle{Bundle: b, clock: clock, start: start}
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)
	ctx := context.Background()

	_, err := client.Insert(ctx, orders.PollArgs{AccountID: sim.DemoAccount.ID}, nil)
	require.NoError(t, err)
	tb.RunUntilIdle(t, time.Minute)

	truth, err := tb.Sim.TruthOrders(sim.DemoAccount.ID)
	require.NoError(t, err)
	require.Len(t, tb.stored(t), len(truth), "the orders stream went on")
	var cancelled int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'order_items' AND state = 'cancelled'`).Scan(&cancelled))
	require.Equal(t, len(truth), cancelled, "each items job cancelled: retrying does not grant a role")
	require.Equal(t, 1, tb.Sim.TokenGrants(sim.DemoAccount.ID), "a permission 403 is not a token problem: no refresh")

	rep, err := status.Collect(ctx, tb.Pool)
	require.NoError(t, err)
	require.Len(t, rep.PermissionDenied, 1)
	d := rep.PermissionDenied[0]
	require.Equal(t, spapi.OpGetOrderItems, d.Operation)
	require.EqualValues(t, len(truth), d.Times)
	require.Contains(t, d.Error, "Access to requested resource is denied")
	var text strings.Builder
	require.NoError(t, rep.WriteText(&text))
	require.Contains(t, text.String(), "PERMISSION DENIED")

	// The role is granted: the next items call succeeds and the record is gone.
	deny.Store(false)
	_, err = client.Insert(ctx, orders.ItemsArgs{AccountID: sim.DemoAccount.ID, AmazonOrderID: truth[0].AmazonOrderID, LastUpdateDate: truth[0].LastUpdateDate}, nil)
	require.NoError(t, err)
	tb.RunUntilIdle(t, time.Minute)
	rep, err = status.Collect(ctx, tb.Pool)
	require.NoError(t, err)
	require.Empty(t, rep.PermissionDenied)
}
