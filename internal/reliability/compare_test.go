package reliability

import (
	"context"
	"encoding/json"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// summary is what a comparison with ground truth covered.
type summary struct {
	Orders, OrderItems                  int
	ServiceJobs, Appointments           int
	FulfillmentOrders, FulfillmentItems int
	FulfillmentCompared                 bool
}

// orphanChecks count child rows whose parent row is missing.
var orphanChecks = map[string]string{
	"order_items without order": `SELECT count(*) FROM order_items c WHERE NOT EXISTS (
		SELECT 1 FROM orders p WHERE p.account_id = c.account_id AND p.amazon_order_id = c.amazon_order_id)`,
	"service_job_appointments without job": `SELECT count(*) FROM service_job_appointments c WHERE NOT EXISTS (
		SELECT 1 FROM service_jobs p WHERE p.account_id = c.account_id AND p.service_job_id = c.service_job_id)`,
	"service_job_items without job": `SELECT count(*) FROM service_job_items c WHERE NOT EXISTS (
		SELECT 1 FROM service_jobs p WHERE p.account_id = c.account_id AND p.service_job_id = c.service_job_id)`,
	"fulfillment_order_items without order": `SELECT count(*) FROM fulfillment_order_items c WHERE NOT EXISTS (
		SELECT 1 FROM fulfillment_orders p WHERE p.account_id = c.account_id AND p.seller_fulfillment_order_id = c.seller_fulfillment_order_id)`,
	"fulfillment_shipments without order": `SELECT count(*) FROM fulfillment_shipments c WHERE NOT EXISTS (
		SELECT 1 FROM fulfillment_orders p WHERE p.account_id = c.account_id AND p.seller_fulfillment_order_id = c.seller_fulfillment_order_id)`,
	"fulfillment_shipment_items without shipment": `SELECT count(*) FROM fulfillment_shipment_items c WHERE NOT EXISTS (
		SELECT 1 FROM fulfillment_shipments p WHERE p.account_id = c.account_id AND p.seller_fulfillment_order_id = c.seller_fulfillment_order_id AND p.amazon_shipment_id = c.amazon_shipment_id)`,
	"fulfillment_shipment_packages without shipment": `SELECT count(*) FROM fulfillment_shipment_packages c WHERE NOT EXISTS (
		SELECT 1 FROM fulfillment_shipments p WHERE p.account_id = c.account_id AND p.seller_fulfillment_order_id = c.seller_fulfillment_order_id AND p.amazon_shipment_id = c.amazon_shipment_id)`,
	"fulfillment_return_items without order": `SELECT count(*) FROM fulfillment_return_items c WHERE NOT EXISTS (
		SELECT 1 FROM fulfillment_orders p WHERE p.account_id = c.account_id AND p.seller_fulfillment_order_id = c.seller_fulfillment_order_id)`,
	"package_tracking_events without package": `SELECT count(*) FROM package_tracking_events c WHERE NOT EXISTS (
		SELECT 1 FROM package_tracking p WHERE p.account_id = c.account_id AND p.package_number = c.package_number)`,
}

// requireOrphanFree fails on any child row without its parent.
func requireOrphanFree(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	names := make([]string, 0, len(orphanChecks))
	for n := range orphanChecks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		require.Zero(t, count(t, pool, orphanChecks[n]), "orphaned rows: %s", n)
	}
}

// requireEqualTruth compares every synced table of the worker's account
// with the simulator's ground truth for account simAccount: zero missing,
// zero extra, zero duplicated, same content, no orphans, no half-done
// poll windows left behind.
func requireEqualTruth(t *testing.T, pool *pgxpool.Pool, truth *sim.Sim, simAccount string) summary {
	t.Helper()
	ctx := context.Background()
	var s summary

	// Orders and items: the raw payload equals what Amazon answers, through
	// the Orders API that wrote the row (2026-01-01 by default: the 2026
	// order as stored, PII removed).
	orders, err := truth.TruthOrders(simAccount)
	require.NoError(t, err)
	require.NotEmpty(t, orders)
	orders2026, err := truth.TruthOrders2026(simAccount)
	require.NoError(t, err)
	truth2026 := map[string]map[string]any{}
	for _, o := range orders2026 {
		truth2026[o.OrderID] = jobstest.Order2026AsStored(t, o)
	}
	storedOrders := map[string]map[string]any{}
	is2026 := map[string]bool{}
	rows, err := pool.Query(ctx, `SELECT amazon_order_id, raw, api_version = '2026-01-01' FROM orders WHERE account_id = $1`, accountID)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		var raw []byte
		var v2026 bool
		require.NoError(t, rows.Scan(&id, &raw, &v2026))
		require.NotContains(t, storedOrders, id, "order %s stored twice", id)
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		storedOrders[id] = m
		is2026[id] = v2026
	}
	require.NoError(t, rows.Err())
	storedItems := map[string]map[string]map[string]any{}
	rows, err = pool.Query(ctx, `SELECT amazon_order_id, order_item_id, raw FROM order_items WHERE account_id = $1`, accountID)
	require.NoError(t, err)
	nItems := 0
	for rows.Next() {
		var oid, iid string
		var raw []byte
		require.NoError(t, rows.Scan(&oid, &iid, &raw))
		if storedItems[oid] == nil {
			storedItems[oid] = map[string]map[string]any{}
		}
		require.NotContains(t, storedItems[oid], iid, "item %s of order %s stored twice", iid, oid)
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		storedItems[oid][iid] = m
		nItems++
	}
	require.NoError(t, rows.Err())

	missing, wrong, itemsMissing := 0, 0, 0
	truthItems := 0
	for _, o := range orders {
		got, ok := storedOrders[o.AmazonOrderID]
		if !ok {
			missing++
			continue
		}
		items, err := truth.TruthOrderItems(simAccount, o.AmazonOrderID)
		require.NoError(t, err)
		truthItems += len(items)
		if is2026[o.AmazonOrderID] {
			want := truth2026[o.AmazonOrderID]
			if diff := jobstest.SameTyped[spapi.Order2026](t, want, got); diff != "" {
				noteDiff(t, &wrong, "order "+o.AmazonOrderID, diff)
			}
			wantItems, _ := want["orderItems"].([]any)
			for _, wi := range wantItems {
				id, _ := wi.(map[string]any)["orderItemId"].(string)
				gotItem, ok := storedItems[o.AmazonOrderID][id]
				if !ok {
					itemsMissing++
					continue
				}
				if diff := jobstest.SameTyped[spapi.OrderItem2026](t, wi, gotItem); diff != "" {
					noteDiff(t, &wrong, "item "+id, diff)
				}
			}
			continue
		}
		if diff := jobstest.SameTyped[spapi.Order](t, o, got); diff != "" {
			noteDiff(t, &wrong, "order "+o.AmazonOrderID, diff)
		}
		for _, it := range items {
			gotItem, ok := storedItems[o.AmazonOrderID][it.OrderItemID]
			if !ok {
				itemsMissing++
				continue
			}
			if diff := jobstest.SameTyped[spapi.OrderItem](t, it, gotItem); diff != "" {
				noteDiff(t, &wrong, "item "+it.OrderItemID, diff)
			}
		}
	}
	require.Zero(t, missing, "orders missing (of %d)", len(orders))
	require.Zero(t, itemsMissing, "order items missing (of %d)", truthItems)
	require.Zero(t, wrong, "rows differing from Amazon")
	require.Len(t, storedOrders, len(orders), "orders stored that Amazon does not have")
	require.Equal(t, truthItems, nItems, "order items stored that Amazon does not have")
	s.Orders, s.OrderItems = len(orders), nItems

	// Service jobs with their appointments and items.
	jobs, err := truth.TruthServiceJobs(simAccount)
	require.NoError(t, err)
	type storedJob struct {
		status            string
		appts, associated int
	}
	storedJobs := map[string]*storedJob{}
	rows, err = pool.Query(ctx, `SELECT j.service_job_id, coalesce(j.service_job_status, ''),
		(SELECT count(*) FROM service_job_appointments a WHERE a.account_id = j.account_id AND a.service_job_id = j.service_job_id),
		(SELECT count(*) FROM service_job_items i WHERE i.account_id = j.account_id AND i.service_job_id = j.service_job_id)
		FROM service_jobs j WHERE j.account_id = $1`, accountID)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		j := &storedJob{}
		require.NoError(t, rows.Scan(&id, &j.status, &j.appts, &j.associated))
		storedJobs[id] = j
	}
	require.NoError(t, rows.Err())
	for _, j := range jobs {
		got := storedJobs[j.ServiceJobID]
		require.NotNil(t, got, "service job %s missing (of %d)", j.ServiceJobID, len(jobs))
		require.Equal(t, j.ServiceJobStatus, got.status, "service job %s status", j.ServiceJobID)
		require.Equal(t, len(j.Appointments), got.appts, "appointments of service job %s", j.ServiceJobID)
		require.Equal(t, len(j.AssociatedItems), got.associated, "items of service job %s", j.ServiceJobID)
		s.Appointments += got.appts
	}
	require.Len(t, storedJobs, len(jobs), "service jobs stored that Amazon does not have")
	s.ServiceJobs = len(jobs)

	// Fulfillment orders, once the worker runs that stream.
	if count(t, pool, `SELECT count(*) FROM sync_cursors WHERE account_id = $1 AND stream = 'fulfillment_orders'`, accountID) > 0 {
		fos, err := truth.TruthFulfillmentOrders(simAccount)
		require.NoError(t, err)
		storedFO := map[string]int{}
		rows, err = pool.Query(ctx, `SELECT o.seller_fulfillment_order_id,
			(SELECT count(*) FROM fulfillment_order_items i WHERE i.account_id = o.account_id AND i.seller_fulfillment_order_id = o.seller_fulfillment_order_id)
			FROM fulfillment_orders o WHERE o.account_id = $1`, accountID)
		require.NoError(t, err)
		for rows.Next() {
			var id string
			var n int
			require.NoError(t, rows.Scan(&id, &n))
			storedFO[id] = n
		}
		require.NoError(t, rows.Err())
		for _, fo := range fos {
			n, ok := storedFO[fo.FulfillmentOrder.SellerFulfillmentOrderID]
			require.True(t, ok, "fulfillment order %s missing", fo.FulfillmentOrder.SellerFulfillmentOrderID)
			require.Equal(t, len(fo.FulfillmentOrderItems), n, "items of fulfillment order %s", fo.FulfillmentOrder.SellerFulfillmentOrderID)
			s.FulfillmentItems += n
		}
		require.Len(t, storedFO, len(fos), "fulfillment orders stored that Amazon does not have")
		s.FulfillmentOrders, s.FulfillmentCompared = len(fos), true
	} else {
		t.Log("the worker does not run the fulfillment stream yet: fulfillment tables not compared with truth")
	}

	requireOrphanFree(t, pool)
	require.Zero(t, count(t, pool, `SELECT count(*) FROM walk_progress WHERE walk LIKE 'poll:%'`), "poll progress left behind after a completed run")
	return s
}

// noteDiff counts a row that differs from Amazon and reports the first few,
// without stopping, so one run tells how many rows differ.
func noteDiff(t *testing.T, wrong *int, what, diff string) {
	t.Helper()
	if *wrong < 5 {
		t.Errorf("%s differs from Amazon: %s", what, diff)
	}
	*wrong++
}
