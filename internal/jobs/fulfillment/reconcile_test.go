package fulfillment_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/spapi"
)

// TestReconcileQueuesLostWorkAgain loses follow-up jobs the three ways they
// can be lost (deleted by an operator, cancelled, failed for good) and
// checks that the reconciliation queues exactly those again, and nothing
// for packages and orders whose jobs are still pending.
func TestReconcileQueuesLostWorkAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := setup(t, 200)
	client := tb.StartClient(t, tb.workers(tb.Deps, fulfillment.Options{}), nil)
	tb.poll(t, client)
	truth, pkgs := tb.requireInSync(t)
	live, _ := tb.requireTrackingJobs(t, pkgs)
	require.GreaterOrEqual(t, len(live), 4)

	reconcile := func() {
		t.Helper()
		res, err := client.Insert(ctx, fulfillment.ReconcileArgs{AccountID: acct}, nil)
		require.NoError(t, err)
		tb.RunUntilIdle(t, time.Minute)
		var state string
		var errs int
		require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT state, coalesce(array_length(errors, 1), 0) FROM river_job WHERE id = $1`, res.Job.ID).Scan(&state, &errs))
		require.Equal(t, "completed", state)
		require.Zero(t, errs, "the reconciliation ran without an error")
	}
	jobCount := func() int {
		t.Helper()
		var n int
		require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind <> 'fulfillment_reconcile'`).Scan(&n))
		return n
	}
	// Nine hours pass without a write (ReconcileAfter is 8 h): every row
	// is old enough to be looked at.
	age := func() {
		t.Helper()
		for _, q := range []string{
			`UPDATE package_tracking SET synced_at = synced_at - interval '9 hours'`,
			`UPDATE fulfillment_orders SET synced_at = synced_at - interval '9 hours'`,
			`UPDATE fulfillment_shipment_packages SET first_seen_at = first_seen_at - interval '9 hours'`,
		} {
			_, err := tb.Pool.Exec(ctx, q)
			require.NoError(t, err)
		}
	}

	// Nothing lost: every live package has its refresh scheduled, every
	// order its detail done. The reconciliation queues nothing.
	age()
	before := jobCount()
	calls := tb.Sim.Stats()
	reconcile()
	require.Equal(t, before, jobCount(), "no job queued while nothing is lost")
	require.Equal(t, calls, tb.Sim.Stats(), "the reconciliation makes no SP-API call")

	// Lose work. Package a's refresh is deleted, b's cancelled, c's
	// discarded; package d never got its first tracking stored; order o's
	// detail was discarded before it wrote its items.
	a, b, c, d := live[0], live[1], live[2], live[3]
	exec := func(q string, args ...any) {
		t.Helper()
		_, err := tb.Pool.Exec(ctx, q, args...)
		require.NoError(t, err)
	}
	const trackingJob = `kind = 'package_tracking' AND (args->>'package_number')::int = $1 AND state = 'scheduled'`
	exec(`DELETE FROM river_job WHERE `+trackingJob, a)
	exec(`UPDATE river_job SET state = 'cancelled', finalized_at = now() WHERE `+trackingJob, b)
	exec(`UPDATE river_job SET state = 'discarded', finalized_at = now() WHERE `+trackingJob, c)
	exec(`DELETE FROM river_job WHERE `+trackingJob, d)
	exec(`DELETE FROM package_tracking_events WHERE package_number = $1`, d)
	exec(`DELETE FROM package_tracking WHERE package_number = $1`, d)
	o := truth[0].FulfillmentOrder.SellerFulfillmentOrderID
	exec(`UPDATE river_job SET state = 'discarded', finalized_at = now() WHERE kind = 'fulfillment_order_detail' AND args->>'seller_fulfillment_order_id' = $1`, o)
	exec(`DELETE FROM fulfillment_order_items WHERE seller_fulfillment_order_id = $1`, o)
	exec(`UPDATE fulfillment_orders SET detail_status_updated_date = NULL WHERE seller_fulfillment_order_id = $1`, o)
	require.Len(t, tb.pendingTracking(t), len(live)-4)

	trackingCalls := tb.trackingCalls(pkgs)
	orderCalls := tb.Sim.EntityCalls(acct, spapi.OpGetFulfillmentOrder, o)
	reconcile()

	// The lost work was queued, ran, and everything is in sync again with
	// one pending refresh per live package.
	tb.requireInSync(t)
	tb.requireTrackingJobs(t, pkgs)
	after := tb.trackingCalls(pkgs)
	for _, n := range pkgs {
		want := trackingCalls[n]
		if n == a || n == b || n == c || n == d {
			want++
		}
		require.Equal(t, want, after[n], "package %d: fetched again only if its job was lost", n)
	}
	require.Equal(t, orderCalls+1, tb.Sim.EntityCalls(acct, spapi.OpGetFulfillmentOrder, o), "order %s fetched again", o)

	// Once reconciled, a second run finds nothing lost.
	age()
	before = jobCount()
	reconcile()
	require.Equal(t, before, jobCount(), "nothing queued twice")
}

// TestReconcileLeavesRetiredPackagesAlone checks the age limit: a package
// past TrackingMaxAge stopped being refreshed on purpose and is not
// revived.
func TestReconcileLeavesRetiredPackagesAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := setup(t, 60)
	// Every package of the simulation shipped less than 16 days before
	// the data clock; an age limit of 20 days retires none of them now.
	opts := fulfillment.Options{TrackingMaxAge: 20 * 24 * time.Hour}
	client := tb.StartClient(t, tb.workers(tb.Deps, opts), nil)
	tb.poll(t, client)
	_, pkgs := tb.requireInSync(t)
	live, _ := tb.requireTrackingJobs(t, pkgs)
	require.NotEmpty(t, live)

	// Every refresh is lost and 30 days pass on Amazon's clock: all live
	// packages are now past the limit.
	_, err := tb.Pool.Exec(ctx, `DELETE FROM river_job WHERE kind = 'package_tracking'`)
	require.NoError(t, err)
	_, err = tb.Pool.Exec(ctx, `UPDATE package_tracking SET synced_at = synced_at - interval '9 hours'`)
	require.NoError(t, err)
	tb.clock.Advance(30 * 24 * time.Hour)
	calls := tb.trackingCalls(pkgs)
	_, err = client.Insert(ctx, fulfillment.ReconcileArgs{AccountID: acct}, nil)
	require.NoError(t, err)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.pendingTracking(t), "no retired package revived")
	require.Equal(t, calls, tb.trackingCalls(pkgs))
	var n int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'package_tracking'`).Scan(&n))
	require.Zero(t, n, "no tracking job for any of the %d retired packages", len(live))
}
