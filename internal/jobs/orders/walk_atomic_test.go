package orders_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// TestWalkPageIsAtomic injects a fault into a page's transaction after its
// rows, follow-up jobs and progress (or cursor) are written and before it
// commits: nothing of that page may be visible — no orders, no items jobs,
// no progress and no cursor change — and the next poll resumes at that page.
// It covers a middle page (progress) and the last page (cursor). Writing the
// progress or the cursor outside the page's transaction makes it fail.
func TestWalkPageIsAtomic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// failAt picks the page whose commit fails, from the number of pages.
		failAt func(pages int) int
	}{
		{"MiddlePage", func(int) int { return 2 }},
		{"LastPage", func(pages int) int { return pages }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const pageSize = 20
			start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
			clock := sim.NewManualClock(start)
			b := jobstest.New(t, jobstest.Options{Sim: sim.Options{Seed: 21, Start: start, Orders: 100, DataClock: clock, RateScale: 600}})
			tb := &testBundle{Bundle: b, clock: clock, start: start}
			ctx := context.Background()
			truth, err := tb.Sim.TruthOrders(sim.DemoAccount.ID)
			require.NoError(t, err)
			pages := (len(truth) + pageSize - 1) / pageSize
			require.GreaterOrEqual(t, pages, 3)
			failAt := tc.failAt(pages)

			// Commit pages until failAt, whose transaction fails just before COMMIT.
			committed := 0
			faulty := *tb.Deps
			faulty.BeforePageCommit = func(ctx context.Context, stream string) error {
				if committed+1 == failAt {
					return river.JobCancel(errors.New("injected fault before the commit"))
				}
				committed++
				return nil
			}
			w := river.NewWorkers()
			orders.NewStream(orders.Options{PageSize: pageSize}).Register(w, &faulty)
			client := tb.StartClient(t, w, nil)
			_, err = client.Insert(ctx, orders.PollArgs{AccountID: sim.DemoAccount.ID}, nil)
			require.NoError(t, err)
			tb.RunUntilIdle(t, time.Minute)
			require.Equal(t, failAt-1, committed)

			count := func(sql string) int {
				var n int
				require.NoError(t, tb.Pool.QueryRow(ctx, sql).Scan(&n))
				return n
			}
			require.Equal(t, (failAt-1)*pageSize, count(`SELECT count(*) FROM orders`), "only the committed pages' orders")
			require.Equal(t, (failAt-1)*pageSize, count(`SELECT count(*) FROM river_job WHERE kind = 'order_items'`), "only their items jobs")
			require.Equal(t, failAt-1, count(`SELECT coalesce(max(pages), 0) FROM walk_progress WHERE stream = 'orders'`), "progress at the last committed page")
			require.Zero(t, count(`SELECT count(*) FROM sync_cursors WHERE cursor_at IS NOT NULL`), "no cursor")
			require.Equal(t, failAt, tb.Sim.Stats()[spapi.OpGetOrders].Successes)

			// Without the fault the next poll resumes at the failed page.
			require.NoError(t, client.Stop(ctx))
			healthy := tb.StartClient(t, tb.workers(tb.Deps), nil)
			_, err = healthy.Insert(ctx, orders.PollArgs{AccountID: sim.DemoAccount.ID}, nil)
			require.NoError(t, err)
			tb.RunUntilIdle(t, time.Minute)
			tb.requireInSync(t, start)
			require.Equal(t, pages+1, tb.Sim.Stats()[spapi.OpGetOrders].Successes, "only the failed page was fetched twice")
			require.Zero(t, count(`SELECT count(*) FROM walk_progress`))
		})
	}
}
