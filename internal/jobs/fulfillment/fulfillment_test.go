package fulfillment_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

const acct = "demo"

type testBundle struct {
	*jobstest.Bundle
	clock *sim.ManualClock
	start time.Time
}

// setup builds a simulator with n fulfillment orders spread over the 14
// days before Start and the 2 after, its data clock standing still at
// Start, its usage plans scaled up 200 times (every fulfillment operation
// 400/s, burst 30) and enforced on the real clock.
func setup(t *testing.T, n int) *testBundle {
	t.Helper()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	b := jobstest.New(t, jobstest.Options{Sim: sim.Options{
		Seed: 11, Start: start, Orders: 10, ServiceJobs: 1, FulfillmentOrders: n, DataClock: clock, RateScale: 200,
	}})
	return &testBundle{Bundle: b, clock: clock, start: start}
}

func (tb *testBundle) workers(deps *jobs.Deps, opts fulfillment.Options) *river.Workers {
	w := river.NewWorkers()
	fulfillment.NewStream(opts).Register(w, deps)
	return w
}

// poll inserts one poll of the demo account and runs the world to idle.
func (tb *testBundle) poll(t *testing.T, client *river.Client[pgx.Tx]) {
	t.Helper()
	_, err := client.Insert(context.Background(), fulfillment.PollArgs{AccountID: acct}, nil)
	require.NoError(t, err)
	tb.RunUntilIdle(t, 2*time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
}

func rawMap(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

func decEq(t *testing.T, want string, got *string, what string) {
	t.Helper()
	require.NotNil(t, got, what)
	require.True(t, decimal.RequireFromString(want).Equal(decimal.RequireFromString(*got)), "%s: %s, want %s", what, *got, want)
}

// requireInSync compares every fulfillment table with the simulator's
// ground truth at the data clock, field by field: raw jsonb against the
// JSON of the truth value, key typed columns, and no row more or less. It
// returns the truth orders and the package numbers.
func (tb *testBundle) requireInSync(t *testing.T) ([]sim.FulfillmentOrderDetail, []int) {
	t.Helper()
	ctx := context.Background()
	truth, err := tb.Sim.TruthFulfillmentOrders(acct)
	require.NoError(t, err)
	pkgNums, err := tb.Sim.TruthPackageNumbers(acct)
	require.NoError(t, err)

	type orderRow struct {
		raw                     []byte
		market, display, status string
		received, updated       time.Time
		detailAt                *time.Time
	}
	orders := map[string]orderRow{}
	rows, err := tb.Pool.Query(ctx, `SELECT seller_fulfillment_order_id, raw, marketplace_id, displayable_order_id, fulfillment_order_status,
		received_date, status_updated_date, detail_status_updated_date FROM fulfillment_orders WHERE account_id = $1`, acct)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		var r orderRow
		require.NoError(t, rows.Scan(&id, &r.raw, &r.market, &r.display, &r.status, &r.received, &r.updated, &r.detailAt))
		orders[id] = r
	}
	require.NoError(t, rows.Err())
	require.Len(t, orders, len(truth), "fulfillment orders stored vs Amazon's")

	// Stored raw payloads keep Amazon's spelling (UPPER statuses, quoted integers, …):
	// they are compared with the truth as the client reads them (jobstest.RequireSameTyped).
	wantItems, wantShips, wantLines, wantPkgs, wantReturns := map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}
	lineQty := map[string]string{}
	itemPrice := map[string]string{}
	shipStatus := map[string]string{}
	pkgTracking := map[string]string{}
	returnStatus := map[string]string{}
	for _, o := range truth {
		id := o.FulfillmentOrder.SellerFulfillmentOrderID
		got, ok := orders[id]
		require.True(t, ok, "order %s missing", id)
		jobstest.RequireSameTyped[spapi.FulfillmentOrder](t, o.FulfillmentOrder, got.raw, "order ", id)
		require.Equal(t, o.FulfillmentOrder.FulfillmentOrderStatus, got.status, "order %s", id)
		require.Equal(t, o.FulfillmentOrder.MarketplaceID, got.market)
		require.Equal(t, o.FulfillmentOrder.DisplayableOrderID, got.display)
		require.True(t, o.FulfillmentOrder.ReceivedDate.Equal(got.received))
		require.True(t, o.FulfillmentOrder.StatusUpdatedDate.Equal(got.updated), "order %s status_updated_date %s, want %s", id, got.updated, o.FulfillmentOrder.StatusUpdatedDate)
		require.NotNil(t, got.detailAt, "order %s detail never stored", id)
		require.True(t, got.detailAt.Equal(got.updated), "order %s detail behind its header", id)
		for _, it := range o.FulfillmentOrderItems {
			k := id + "/" + it.SellerFulfillmentOrderItemID
			wantItems[k] = it
			itemPrice[k] = it.PerUnitPrice.Value
		}
		for _, sh := range o.FulfillmentShipments {
			k := id + "/" + sh.AmazonShipmentID
			wantShips[k] = sh
			shipStatus[k] = sh.FulfillmentShipmentStatus
			for n, li := range sh.FulfillmentShipmentItem {
				wantLines[fmt.Sprintf("%s/%d", k, n+1)] = li
				lineQty[fmt.Sprintf("%s/%d", k, n+1)] = fmt.Sprint(li.Quantity)
			}
			for _, p := range sh.FulfillmentShipmentPackage {
				pk := fmt.Sprintf("%s/%d", k, p.PackageNumber)
				wantPkgs[pk] = p
				pkgTracking[pk] = p.CarrierCode + " " + p.TrackingNumber
			}
		}
		for _, r := range o.ReturnItems {
			k := id + "/" + r.SellerReturnItemID
			wantReturns[k] = r
			returnStatus[k] = r.Status
		}
	}
	require.Len(t, wantPkgs, len(pkgNums))

	check := func(what, sql string, want map[string]any, same func(t testing.TB, want any, got []byte, msg ...any), typed func(k string, typed string)) {
		t.Helper()
		rows, err := tb.Pool.Query(ctx, sql, acct)
		require.NoError(t, err)
		defer rows.Close()
		n := 0
		for rows.Next() {
			var k, ty string
			var raw []byte
			require.NoError(t, rows.Scan(&k, &raw, &ty))
			w, ok := want[k]
			require.True(t, ok, "%s %s stored but not on Amazon", what, k)
			same(t, w, raw, what, " ", k)
			typed(k, ty)
			n++
		}
		require.NoError(t, rows.Err())
		require.Equal(t, len(want), n, "%s rows", what)
	}
	check("item", `SELECT seller_fulfillment_order_id || '/' || seller_fulfillment_order_item_id, raw, per_unit_price_amount::text
		FROM fulfillment_order_items WHERE account_id = $1`, wantItems, jobstest.RequireSameTyped[spapi.FulfillmentOrderItem], func(k, price string) { decEq(t, itemPrice[k], &price, "price of "+k) })
	check("shipment", `SELECT seller_fulfillment_order_id || '/' || amazon_shipment_id, raw, fulfillment_shipment_status
		FROM fulfillment_shipments WHERE account_id = $1`, wantShips, jobstest.RequireSameTyped[spapi.FulfillmentShipment], func(k, st string) { require.Equal(t, shipStatus[k], st, k) })
	check("shipment item", `SELECT seller_fulfillment_order_id || '/' || amazon_shipment_id || '/' || ordinal, raw, quantity::text
		FROM fulfillment_shipment_items WHERE account_id = $1`, wantLines, jobstest.RequireSameTyped[spapi.FulfillmentShipmentItem], func(k, q string) { require.Equal(t, lineQty[k], q, k) })
	check("package", `SELECT seller_fulfillment_order_id || '/' || amazon_shipment_id || '/' || package_number, raw, carrier_code || ' ' || tracking_number
		FROM fulfillment_shipment_packages WHERE account_id = $1`, wantPkgs, jobstest.RequireSameTyped[spapi.FulfillmentShipmentPackage], func(k, tr string) { require.Equal(t, pkgTracking[k], tr, k) })
	check("return item", `SELECT seller_fulfillment_order_id || '/' || seller_return_item_id, raw, status
		FROM fulfillment_return_items WHERE account_id = $1`, wantReturns, jobstest.RequireSameTyped[spapi.ReturnItem], func(k, st string) { require.Equal(t, returnStatus[k], st, k) })

	// Tracking: one row per package, its events keyed by date and code.
	wantTrack, wantEvents := map[string]any{}, map[string]any{}
	trackStatus, eventCity := map[string]string{}, map[string]string{}
	for _, n := range pkgNums {
		tr, err := tb.Sim.TruthPackageTracking(acct, n)
		require.NoError(t, err)
		k := strconv.Itoa(n)
		wantTrack[k] = tr
		trackStatus[k] = fmt.Sprintf("%s %t %s", tr.CurrentStatus, store.IsTerminalTrackingStatus(tr.CurrentStatus), tr.ShipDate.Format(time.RFC3339))
		for _, e := range tr.TrackingEvents {
			ek := fmt.Sprintf("%d/%s/%s", n, e.EventDate.Format(time.RFC3339), e.EventCode)
			wantEvents[ek] = e
			eventCity[ek] = e.EventAddress.City + "," + e.EventAddress.State + "," + e.EventAddress.Country
		}
	}
	check("tracking", `SELECT package_number::text, raw, current_status || ' ' || terminal || ' ' || to_char(ship_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
		FROM package_tracking WHERE account_id = $1`, wantTrack, jobstest.RequireSameTyped[spapi.PackageTrackingDetails], func(k, st string) { require.Equal(t, trackStatus[k], st, "package %s", k) })
	check("tracking event", `SELECT package_number || '/' || to_char(event_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '/' || event_code, raw, city || ',' || state || ',' || country
		FROM package_tracking_events WHERE account_id = $1`, wantEvents, jobstest.RequireSameTyped[spapi.TrackingEvent], func(k, c string) { require.Equal(t, eventCity[k], c, k) })
	return truth, pkgNums
}

// pendingTracking returns the package numbers with a queued, scheduled or
// running tracking job, failing on any package with more than one.
func (tb *testBundle) pendingTracking(t *testing.T) map[int]bool {
	t.Helper()
	rows, err := tb.Pool.Query(context.Background(), `SELECT (args->>'package_number')::int, count(*) FROM river_job
		WHERE kind = 'package_tracking' AND state IN ('available', 'pending', 'retryable', 'running', 'scheduled') GROUP BY 1`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var n, c int
		require.NoError(t, rows.Scan(&n, &c))
		require.Equal(t, 1, c, "package %d has %d pending tracking jobs", n, c)
		out[n] = true
	}
	require.NoError(t, rows.Err())
	return out
}

// requireTrackingJobs asserts that tracking jobs exist exactly for the
// packages that are not terminal, one each.
func (tb *testBundle) requireTrackingJobs(t *testing.T, pkgNums []int) (live, done []int) {
	t.Helper()
	pending := tb.pendingTracking(t)
	for _, n := range pkgNums {
		tr, err := tb.Sim.TruthPackageTracking(acct, n)
		require.NoError(t, err)
		if store.IsTerminalTrackingStatus(tr.CurrentStatus) {
			require.False(t, pending[n], "terminal package %d (%s) still has a tracking job", n, tr.CurrentStatus)
			done = append(done, n)
		} else {
			require.True(t, pending[n], "live package %d (%s) has no tracking job", n, tr.CurrentStatus)
			live = append(live, n)
		}
	}
	require.Len(t, pending, len(live))
	return live, done
}

func (tb *testBundle) versions(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"fulfillment_orders", "fulfillment_order_items", "fulfillment_shipments", "fulfillment_shipment_items",
		"fulfillment_shipment_packages", "fulfillment_return_items", "package_tracking", "package_tracking_events"} {
		rows, err := tb.Pool.Query(context.Background(), fmt.Sprintf(`SELECT ctid::text, sync_version FROM %s`, table))
		require.NoError(t, err)
		for rows.Next() {
			var k string
			var v int64
			require.NoError(t, rows.Scan(&k, &v))
			out[table+k] = v
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	return out
}

func (tb *testBundle) trackingCalls(pkgs []int) map[int]int {
	out := map[int]int{}
	for _, n := range pkgs {
		out[n] = tb.Sim.EntityCalls(acct, spapi.OpGetPackageTrackingDetails, strconv.Itoa(n))
	}
	return out
}

func (tb *testBundle) cursor(t *testing.T) time.Time {
	t.Helper()
	var c time.Time
	require.NoError(t, tb.Pool.QueryRow(context.Background(),
		`SELECT cursor_at FROM sync_cursors WHERE account_id = $1 AND stream = $2 AND scope = $3`, acct, fulfillment.Stream, fulfillment.Scope).Scan(&c))
	return c
}

func maxStatusUpdated(truth []sim.FulfillmentOrderDetail) time.Time {
	var m time.Time
	for _, o := range truth {
		if o.FulfillmentOrder.StatusUpdatedDate.After(m) {
			m = o.FulfillmentOrder.StatusUpdatedDate
		}
	}
	return m
}

func TestFulfillmentSyncMatchesAmazon(t *testing.T) {
	t.Parallel()
	tb := setup(t, 600)
	client := tb.StartClient(t, tb.workers(tb.Deps, fulfillment.Options{}), nil)

	// First run: every order of the 14 days so far, their packages and
	// the packages' tracking.
	began := time.Now()
	tb.poll(t, client)
	truth, pkgs := tb.requireInSync(t)
	live, done := tb.requireTrackingJobs(t, pkgs)
	t.Logf("run 1 (%s): %d orders, %d packages, %d live, %d terminal; stats %+v", time.Since(began).Round(time.Millisecond),
		len(truth), len(pkgs), len(live), len(done), tb.Sim.Stats())
	require.Greater(t, len(truth), 400)
	require.Greater(t, len(live), 50)
	require.Positive(t, len(done))
	require.True(t, tb.cursor(t).Equal(maxStatusUpdated(truth)), "cursor %s: the newest statusUpdatedDate listed", tb.cursor(t))
	for _, n := range pkgs {
		require.Equal(t, 1, tb.Sim.EntityCalls(acct, spapi.OpGetPackageTrackingDetails, strconv.Itoa(n)), "package %d fetched once", n)
	}

	// Five hours later: new orders, shipments and packages, statuses and
	// carrier scans moved on. Every scheduled refresh is made due (River
	// schedules on the real clock).
	for step := 2; step <= 3; step++ {
		calls := tb.trackingCalls(pkgs)
		before := tb.versions(t)
		tb.clock.Advance(5 * time.Hour)
		due := tb.MakeScheduledDue(t)
		require.EqualValues(t, len(live), due, "one due refresh per live package")
		began = time.Now()
		tb.poll(t, client)
		truth2, pkgs2 := tb.requireInSync(t)
		live2, done2 := tb.requireTrackingJobs(t, pkgs2)
		t.Logf("run %d (%s): %d orders, %d packages, %d live, %d terminal; stats %+v", step, time.Since(began).Round(time.Millisecond),
			len(truth2), len(pkgs2), len(live2), len(done2), tb.Sim.Stats())
		require.Greater(t, len(truth2), len(truth), "new orders arrived")
		require.Greater(t, len(pkgs2), len(pkgs), "new packages shipped")
		require.True(t, tb.cursor(t).Equal(maxStatusUpdated(truth2)))
		after := tb.trackingCalls(pkgs2)
		for _, n := range done {
			require.Equal(t, calls[n], after[n], "terminal package %d fetched again", n)
		}
		for _, n := range live {
			require.Equal(t, calls[n]+1, after[n], "live package %d refreshed once", n)
		}
		changed := 0
		for k, v := range tb.versions(t) {
			if before[k] != v {
				changed++
			}
		}
		require.Positive(t, changed)
		truth, pkgs, live, done = truth2, pkgs2, live2, done2
	}

	// A run with nothing new at the source moves no sync_version and
	// fetches no order detail.
	before := tb.versions(t)
	detailCalls := tb.Sim.Stats()[spapi.OpGetFulfillmentOrder].Calls
	tb.MakeScheduledDue(t)
	tb.poll(t, client)
	tb.requireInSync(t)
	require.Equal(t, before, tb.versions(t), "an unchanged re-run moves no sync_version")
	require.Equal(t, detailCalls, tb.Sim.Stats()[spapi.OpGetFulfillmentOrder].Calls, "no detail fetched for unchanged orders")

	for op, st := range tb.Sim.Stats() {
		require.LessOrEqual(t, st.Throttled, 2, "%s throttled %d times", op, st.Throttled)
	}
}
