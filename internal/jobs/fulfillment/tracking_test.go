package fulfillment_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// TestTrackingAgeLimitUnknownPackagesAndRefreshes covers the edges of a
// package's refreshes: the age limit, a package Amazon does not know yet
// (404: asked again later, tracked once it ships), one it never knows
// (given up at the age limit), and the on-demand refreshes.
func TestTrackingAgeLimitUnknownPackagesAndRefreshes(t *testing.T) {
	t.Parallel()
	tb := setup(t, 80)
	ctx := context.Background()
	const maxAge = 2 * 24 * time.Hour
	client := tb.StartClient(t, tb.workers(tb.Deps, fulfillment.Options{TrackingMaxAge: maxAge}), nil)

	// A package that ships within the next two days.
	known, err := tb.Sim.TruthPackageNumbers(acct)
	require.NoError(t, err)
	tb.clock.Set(tb.start.Add(2 * 24 * time.Hour))
	later, err := tb.Sim.TruthPackageNumbers(acct)
	require.NoError(t, err)
	future, shipsAt := 0, time.Time{}
	for _, n := range later {
		if slices.Contains(known, n) {
			continue
		}
		tr, err := tb.Sim.TruthPackageTracking(acct, n)
		require.NoError(t, err)
		if future == 0 || tr.ShipDate.Before(shipsAt) {
			future, shipsAt = n, tr.ShipDate
		}
	}
	require.NotZero(t, future)
	tb.clock.Set(tb.start)

	// Packages past the age limit are fetched once and not scheduled again.
	tb.poll(t, client)
	pending := tb.pendingTracking(t)
	aged := 0
	for _, n := range known {
		tr, err := tb.Sim.TruthPackageTracking(acct, n)
		require.NoError(t, err)
		live := !store.IsTerminalTrackingStatus(tr.CurrentStatus) && tb.start.Sub(tr.ShipDate) < maxAge
		require.Equal(t, live, pending[n], "package %d (%s, shipped %s)", n, tr.CurrentStatus, tr.ShipDate)
		if !store.IsTerminalTrackingStatus(tr.CurrentStatus) && !live {
			aged++
		}
	}
	t.Logf("%d packages, %d pending, %d live but past the age limit", len(known), len(pending), aged)

	// Unknown packages: 404, asked again later with the first 404 noted.
	const never = 999_999_999
	for _, n := range []int{future, never} {
		_, err := client.Insert(ctx, fulfillment.TrackingArgs{AccountID: acct, PackageNumber: n}, nil)
		require.NoError(t, err)
	}
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	notFoundSince := func(n int) *time.Time {
		var at *time.Time
		require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT (args->>'not_found_since')::timestamptz FROM river_job
			WHERE kind = 'package_tracking' AND state = 'scheduled' AND (args->>'package_number')::int = $1`, n).Scan(&at))
		return at
	}
	for _, n := range []int{future, never} {
		require.NotNil(t, notFoundSince(n), "package %d", n)
		require.True(t, notFoundSince(n).Equal(tb.start))
		require.Zero(t, tb.count(t, `SELECT count(*) FROM package_tracking WHERE package_number = $1`, n))
	}

	// Once it has shipped, the package is tracked like any other.
	tb.clock.Set(shipsAt.Add(time.Minute))
	tb.MakeScheduledDue(t)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	require.Equal(t, 1, tb.count(t, `SELECT count(*) FROM package_tracking WHERE package_number = $1`, future))
	require.Nil(t, notFoundSince(future), "a tracked package's next refresh carries no 404 mark")
	require.True(t, notFoundSince(never).Equal(tb.start))

	// One that never appears is given up at the age limit.
	tb.clock.Set(tb.start.Add(maxAge + time.Hour))
	tb.MakeScheduledDue(t)
	tb.RunUntilIdle(t, time.Minute)
	require.Equal(t, 1, tb.count(t, `SELECT count(*) FROM river_job WHERE kind = 'package_tracking' AND state = 'cancelled' AND (args->>'package_number')::int = $1`, never))
	require.Zero(t, tb.count(t, `SELECT count(*) FROM river_job WHERE kind = 'package_tracking' AND state <> 'cancelled' AND state <> 'completed' AND (args->>'package_number')::int = $1`, never))

	// On demand: a terminal package is fetched again without being
	// scheduled again; an order is fetched again whatever its version.
	var done int
	for _, n := range known {
		tr, _ := tb.Sim.TruthPackageTracking(acct, n)
		if store.IsTerminalTrackingStatus(tr.CurrentStatus) {
			done = n
			break
		}
	}
	require.NotZero(t, done)
	truth, err := tb.Sim.TruthFulfillmentOrders(acct)
	require.NoError(t, err)
	orderID := truth[0].FulfillmentOrder.SellerFulfillmentOrderID
	pkgCalls := tb.Sim.EntityCalls(acct, spapi.OpGetPackageTrackingDetails, strconv.Itoa(done))
	orderCalls := tb.Sim.EntityCalls(acct, spapi.OpGetFulfillmentOrder, orderID)
	_, err = client.Insert(ctx, fulfillment.RefreshPackageArgs{AccountID: acct, PackageNumber: done}, nil)
	require.NoError(t, err)
	_, err = client.Insert(ctx, fulfillment.RefreshArgs{AccountID: acct, SellerFulfillmentOrderID: orderID}, nil)
	require.NoError(t, err)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	require.Equal(t, pkgCalls+1, tb.Sim.EntityCalls(acct, spapi.OpGetPackageTrackingDetails, strconv.Itoa(done)))
	require.Equal(t, orderCalls+1, tb.Sim.EntityCalls(acct, spapi.OpGetFulfillmentOrder, orderID))
	require.False(t, tb.pendingTracking(t)[done], "a terminal package gets no refresh schedule")
}
