package budget_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/budget"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/spapi"
)

// TestSearchOrdersDayWithBackfill plays a day of Orders 2026-01-01 on
// Amazon's searchOrders plan (0.0056/s, burst 20): the default 2026 poll
// schedule (orders.PollCron's default), each poll one page and a
// three-page window every hour (a busy moment), while a backfill takes every
// token its class may, every 10 seconds. No poll page ever has to wait or
// snooze, the bucket never runs low (the backfill leaves the polls half of
// it), and the backfill still gets the rest of the day's tokens.
func TestSearchOrdersDayWithBackfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	plan := spapi.DefaultUsagePlans[spapi.OpSearchOrders]
	tb := setup(t, func(o *budget.Options) {
		o.Plans = budget.Plans{spapi.OpSearchOrders: {Rate: plan.Rate, Burst: float64(plan.Burst)}}
	})
	key := budget.Key{AccountID: "acct", Region: "na", Operation: spapi.OpSearchOrders}
	schedule, err := cron.ParseStandard(config.Schedules{}.Cron(orders.PollCron))
	require.NoError(t, err)

	level := func() float64 {
		var l float64
		require.NoError(t, tb.pool.QueryRow(ctx, `SELECT least(burst, tokens + rate * extract(epoch FROM $1::timestamptz - updated_at))
			FROM rate_budgets WHERE operation = $2`, tb.clock.Now(), spapi.OpSearchOrders).Scan(&l))
		return l
	}

	start := tb.clock.Now()
	end := start.Add(24 * time.Hour)
	nextPoll := schedule.Next(start.Add(-time.Second))
	polls, pollPages, backfillPages := 0, 0, 0
	minLevel := float64(plan.Burst)
	for tb.clock.Now().Before(end) {
		if !tb.clock.Now().Before(nextPoll) {
			pages := 1
			if polls%12 == 0 {
				pages = 3
			}
			for p := 0; p < pages; p++ {
				require.NoError(t, tb.budget.Acquire(ctx, key, budget.ClassPoll), "poll %d page %d at %s", polls, p, tb.clock.Now())
				pollPages++
			}
			polls++
			nextPoll = schedule.Next(tb.clock.Now())
			minLevel = min(minLevel, level())
		}
		for {
			err := tb.budget.Acquire(ctx, key, budget.ClassBackfill)
			var we *budget.WaitError
			if errors.As(err, &we) {
				break
			}
			require.NoError(t, err)
			backfillPages++
		}
		tb.clock.Advance(10 * time.Second)
	}
	refill := int(plan.Rate * 24 * 3600)
	t.Logf("a day of searchOrders (%d tokens refilled, burst %.0f): %d polls, %d poll pages, %d backfill pages (%d orders at 100 a page), lowest level after a poll %.1f",
		refill, float64(plan.Burst), polls, pollPages, backfillPages, backfillPages*100, minLevel)
	require.Equal(t, 288, polls, "every 5 minutes")
	require.Empty(t, tb.clock.slept, "no poll page waited in-process")
	require.GreaterOrEqual(t, minLevel, 5.0, "the backfill leaves half the bucket, so even a three-page poll leaves tokens: polls never find it dry")
	require.Greater(t, backfillPages, refill-pollPages-int(plan.Burst), "the backfill gets the rest of the day")
}
