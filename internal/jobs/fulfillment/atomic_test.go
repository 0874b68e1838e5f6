package fulfillment_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

func (tb *testBundle) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	_, err := tb.Pool.Exec(context.Background(), sql, args...)
	require.NoError(t, err)
}

func (tb *testBundle) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, tb.Pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// waitFor polls cond until it holds or a minute has passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// retryNow makes failed jobs due at once instead of after River's backoff.
func (tb *testBundle) retryNow(t *testing.T) {
	tb.exec(t, `UPDATE river_job SET state = 'available', scheduled_at = now() WHERE state = 'retryable'`)
}

// TestPackageAndTrackingJobCommitTogether makes the detail transaction fail
// twice, once when the tracking job is inserted and once at commit, after
// both the package rows and the tracking job were written: neither the
// packages nor their tracking jobs may survive alone. Then the failure goes
// away and both appear.
func TestPackageAndTrackingJobCommitTogether(t *testing.T) {
	t.Parallel()
	tb := setup(t, 60)
	ctx := context.Background()
	truth, err := tb.Sim.TruthFulfillmentOrders(acct)
	require.NoError(t, err)
	withPackages := 0
	for _, o := range truth {
		for _, sh := range o.FulfillmentShipments {
			if len(sh.FulfillmentShipmentPackage) > 0 {
				withPackages++
				break
			}
		}
	}
	require.Positive(t, withPackages)
	failedWith := func(msg string) func() bool {
		return func() bool {
			tb.retryNow(t) // no waiting for River's backoff
			return tb.count(t, `SELECT count(DISTINCT args->>'seller_fulfillment_order_id') FROM river_job
				WHERE kind = 'fulfillment_order_detail' AND errors::text LIKE '%' || $1 || '%'`, msg) == withPackages
		}
	}
	noPackagesNoJobs := func() {
		t.Helper()
		require.Zero(t, tb.count(t, `SELECT count(*) FROM fulfillment_shipment_packages`), "packages committed without their tracking jobs")
		require.Zero(t, tb.count(t, `SELECT count(*) FROM river_job WHERE kind = 'package_tracking'`), "tracking jobs committed without their packages")
	}

	began := time.Now()

	// 1. The tracking job's insert fails.
	tb.exec(t, `
		CREATE FUNCTION refuse_tracking_job() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.kind = 'package_tracking' THEN RAISE EXCEPTION 'injected: tracking job refused'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_tracking_job BEFORE INSERT ON river_job FOR EACH ROW EXECUTE FUNCTION refuse_tracking_job();`)
	client := tb.StartClient(t, tb.workers(tb.Deps, fulfillment.Options{}), nil)
	_, err = client.Insert(ctx, fulfillment.PollArgs{AccountID: acct}, nil)
	require.NoError(t, err)
	waitFor(t, "every detail with packages to fail on its tracking job", failedWith("tracking job refused"))
	noPackagesNoJobs()
	require.Equal(t, len(truth), tb.count(t, `SELECT count(*) FROM fulfillment_orders`), "headers are stored by the poll")
	require.Equal(t, len(truth)-withPackages, tb.count(t, `SELECT count(*) FROM fulfillment_orders WHERE detail_status_updated_date IS NOT NULL`),
		"details without packages commit; those with packages roll back whole")

	t.Logf("phase 1 done after %s", time.Since(began).Round(time.Millisecond))

	// 2. Everything is written, then the commit fails.
	// One statement (one lock) at a time: a DDL transaction that locked
	// river_job and then fulfillment_shipment_packages would deadlock with
	// the detail transactions, which take them in the other order.
	tb.exec(t, `CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'injected: commit refused'; END $$`)
	tb.exec(t, `CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON fulfillment_shipment_packages
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit()`)
	tb.exec(t, `DROP TRIGGER refuse_tracking_job ON river_job`)
	tb.retryNow(t)
	waitFor(t, "every detail with packages to fail at commit", failedWith("commit refused"))
	noPackagesNoJobs()

	t.Logf("phase 2 done after %s", time.Since(began).Round(time.Millisecond))

	// 3. The database accepts again: every package arrives with exactly one
	// tracking job, and the tracking is stored.
	tb.exec(t, `DROP TRIGGER refuse_commit ON fulfillment_shipment_packages`)
	// Jobs that failed just before the drop are made due as River's
	// completer reports them, not after its backoff.
	waitFor(t, "an idle queue", func() bool {
		tb.retryNow(t)
		n, err := riverext.Backlog(ctx, tb.Pool, 30*time.Second)
		require.NoError(t, err)
		return n == 0
	})
	require.Empty(t, tb.DiscardedJobs(t))
	_, pkgs := tb.requireInSync(t)
	require.NotEmpty(t, pkgs)
	require.Equal(t, len(pkgs), tb.count(t, `SELECT count(DISTINCT args->>'package_number') FROM river_job WHERE kind = 'package_tracking'`))
	tb.requireTrackingJobs(t, pkgs)
	t.Logf("phase 3 done after %s", time.Since(began).Round(time.Millisecond))
}

// killAt runs the fulfillment workers (inserting a poll when insert is set)
// until the poll asks for its page-th listAllFulfillmentOrders token of this
// run, then stops them, as a worker killed before that page.
func (tb *testBundle) killAt(t *testing.T, page int, insert bool) {
	t.Helper()
	ctx := context.Background()
	sb := jobstest.NewKillingBudget(tb.Deps.Budget, spapi.OpListAllFulfillmentOrders, page)
	deps := *tb.Deps
	deps.Budget = sb
	client := tb.StartClient(t, tb.workers(&deps, fulfillment.Options{}), nil)
	if insert {
		_, err := client.Insert(ctx, fulfillment.PollArgs{AccountID: acct}, nil)
		require.NoError(t, err)
	}
	select {
	case <-sb.Killed():
	case <-time.After(time.Minute):
		t.Fatalf("the poll never asked for its page %d", page)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, client.StopAndCancel(stopCtx))
}

func TestPollResumesAfterKillAndRestartsOnExpiredToken(t *testing.T) {
	t.Parallel()
	tb := setup(t, 300)
	ctx := context.Background()
	progress := func() (pages int, token string) {
		require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT pages, next_token FROM walk_progress WHERE account_id = $1 AND stream = 'fulfillment_orders'`, acct).Scan(&pages, &token))
		return pages, token
	}
	listed := func() sim.OpStats { return tb.Sim.Stats()[spapi.OpListAllFulfillmentOrders] }

	// Killed before its third page: two pages are stored with where the
	// walk continues, and the cursor has not moved.
	tb.killAt(t, 3, true)
	pages, token := progress()
	require.Equal(t, 2, pages)
	require.NotEmpty(t, token)
	require.Equal(t, 100, tb.count(t, `SELECT count(*) FROM fulfillment_orders`))
	require.Zero(t, tb.count(t, `SELECT count(*) FROM sync_cursors WHERE cursor_at IS NOT NULL`))

	// A new worker continues from the saved token (page 3), and is killed
	// again before page 4.
	tb.killAt(t, 2, false)
	pages, _ = progress()
	require.Equal(t, 3, pages, "the walk resumed at page 3, it did not restart")
	require.Equal(t, 3, listed().Successes)
	require.Equal(t, 150, tb.count(t, `SELECT count(*) FROM fulfillment_orders`))

	// The saved token has expired by the time the next worker presents it:
	// the walk restarts from the same queryStartDate and completes.
	sb := jobstest.NewKillingBudget(tb.Deps.Budget, spapi.OpListAllFulfillmentOrders, 0) // never kills
	sb.OnTake = func(n int) {
		switch n {
		case 1:
			tb.Sim.SetFaults(sim.Faults{ExpirePageToken: 1, Ops: []string{spapi.OpListAllFulfillmentOrders}})
		case 2:
			tb.Sim.SetFaults(sim.Faults{})
		}
	}
	deps := *tb.Deps
	deps.Budget = sb
	tb.StartClient(t, tb.workers(&deps, fulfillment.Options{}), nil)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	truth, _ := tb.requireInSync(t)
	full := (len(truth) + 49) / 50
	require.Equal(t, 1, listed().Errors, "one expired token")
	require.Equal(t, 3+full, listed().Successes, "three pages before the expiry, then one whole walk")
	require.Zero(t, tb.count(t, `SELECT count(*) FROM walk_progress WHERE stream = 'fulfillment_orders'`))
	require.True(t, tb.cursor(t).Equal(maxStatusUpdated(truth)))
	var detailJobs, distinct int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT args->>'seller_fulfillment_order_id') FROM river_job WHERE kind = 'fulfillment_order_detail'`).Scan(&detailJobs, &distinct))
	require.Equal(t, len(truth), detailJobs, "one detail job per order: re-listed pages queue nothing")
	require.Equal(t, len(truth), distinct)
}
