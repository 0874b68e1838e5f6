package budget_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/budget"
)

// TestInLineServesInOrder: follow-ups that find the bucket empty are each
// told when their own token is due, one refill apart in the order they
// asked, come back then and spend it without asking again; a follow-up
// arriving later queues behind them, whether or not it waits in line.
func TestInLineServesInOrder(t *testing.T) {
	tb := setup(t, nil) // 1 token/s, 10 held; a follow-up leaves 1 (need 2)
	ctx := context.Background()
	got, _ := takeAll(t, tb.budget, budget.ClassFollowup)
	require.Equal(t, 9, got)

	holder := func(i int) context.Context { return budget.InLine(ctx, fmt.Sprintf("job %d", i)) }
	for i := 1; i <= 5; i++ {
		err := tb.budget.Acquire(holder(i), testKey, budget.ClassFollowup)
		var we *budget.WaitError
		require.ErrorAs(t, err, &we, "job %d", i)
		require.InDelta(t, float64(i), we.Wait.Seconds(), 0.01, "job %d is %d refills back in line", i, i)
	}
	// A later follow-up, in line or not, waits behind all five.
	var we *budget.WaitError
	require.ErrorAs(t, tb.budget.Acquire(ctx, testKey, budget.ClassFollowup), &we)
	require.InDelta(t, 6, we.Wait.Seconds(), 0.01)
	require.ErrorAs(t, tb.budget.Acquire(holder(6), testKey, budget.ClassFollowup), &we)
	require.InDelta(t, 6, we.Wait.Seconds(), 0.01)

	// Coming back early is waiting again for the same place; on time, the
	// token is spent and nothing more is taken from the bucket.
	tb.clock.Advance(time.Second)
	require.ErrorAs(t, tb.budget.Acquire(holder(2), testKey, budget.ClassFollowup), &we)
	require.InDelta(t, 1, we.Wait.Seconds(), 0.01, "job 2 keeps its place")
	require.NoError(t, tb.budget.Acquire(holder(1), testKey, budget.ClassFollowup))
	tb.clock.Advance(4 * time.Second)
	for i := 5; i >= 2; i-- { // late and in any order: each spends its own token
		require.NoError(t, tb.budget.Acquire(holder(i), testKey, budget.ClassFollowup), "job %d", i)
	}
	require.Equal(t, 1, reservations(t, tb), "spent tokens leave the line: job 6's is left")
	// At 5 s: 6 debts (jobs 1–6) against 5 refilled: job 6 is still 1 s away.
	require.ErrorAs(t, tb.budget.Acquire(holder(6), testKey, budget.ClassFollowup), &we)
	require.InDelta(t, 1, we.Wait.Seconds(), 0.01)
	// A poll keeps the follow-ups' reserve ahead of the line: at job 6's due
	// time one token is there for it, and job 6's own is still covered.
	tb.clock.Advance(time.Second)
	require.NoError(t, tb.budget.Acquire(ctx, testKey, budget.ClassPoll))
	require.NoError(t, tb.budget.Acquire(holder(6), testKey, budget.ClassFollowup))
	require.InDelta(t, 0, level(t, tb), 0.01, "every token granted was refilled: the line never overdrew Amazon's bucket")
	require.Equal(t, 0, reservations(t, tb))
}

// TestInLineNearTokenWaitsInProcess: a token due within MaxWait is waited
// for in-process and recorded nowhere.
func TestInLineNearTokenWaitsInProcess(t *testing.T) {
	tb := setup(t, func(o *budget.Options) { o.MaxWait = 3 * time.Second })
	ctx := budget.InLine(context.Background(), "job 1")
	for range 9 {
		require.NoError(t, tb.budget.Acquire(ctx, testKey, budget.ClassFollowup))
	}
	require.NoError(t, tb.budget.Acquire(ctx, testKey, budget.ClassFollowup))
	require.Equal(t, []time.Duration{time.Second + time.Millisecond}, tb.clock.slept)
	require.Equal(t, 0, reservations(t, tb))
}

// TestInLineDroppedByA429: a 429 says Amazon's bucket is empty, so the
// tokens the line held in debt are not there: the line is dropped and the
// level starts from zero, and a holder coming back queues again.
func TestInLineDroppedByA429(t *testing.T) {
	tb := setup(t, nil)
	ctx := context.Background()
	takeAll(t, tb.budget, budget.ClassFollowup)
	for i := 1; i <= 3; i++ {
		require.Error(t, tb.budget.Acquire(budget.InLine(ctx, fmt.Sprintf("job %d", i)), testKey, budget.ClassFollowup))
	}
	require.Equal(t, 3, reservations(t, tb))
	tb.budget.Observe(ctx, testKey, 0, true)
	require.Equal(t, 0, reservations(t, tb))
	require.InDelta(t, 0, level(t, tb), 0.01, "the line's debt is forgiven with it")
	var we *budget.WaitError
	require.ErrorAs(t, tb.budget.Acquire(budget.InLine(ctx, "job 3"), testKey, budget.ClassFollowup), &we)
	require.InDelta(t, 2, we.Wait.Seconds(), 0.01, "job 3 queues again, first in the new line")
}

// TestInLineForgetsHoldersThatNeverCameBack: a reservation ten minutes past
// due (its job cancelled) is dropped by the next request.
func TestInLineForgetsHoldersThatNeverCameBack(t *testing.T) {
	tb := setup(t, nil)
	ctx := context.Background()
	takeAll(t, tb.budget, budget.ClassFollowup)
	require.Error(t, tb.budget.Acquire(budget.InLine(ctx, "job 1"), testKey, budget.ClassFollowup))
	tb.clock.Advance(11 * time.Minute)
	require.NoError(t, tb.budget.Acquire(budget.InLine(ctx, "job 2"), testKey, budget.ClassFollowup))
	require.Equal(t, 0, reservations(t, tb))
}

func reservations(t *testing.T, tb *testBundle) int {
	t.Helper()
	var n int
	require.NoError(t, tb.pool.QueryRow(context.Background(), `SELECT count(*) FROM rate_reservations`).Scan(&n))
	return n
}

// level is the bucket's level now on the test clock.
func level(t *testing.T, tb *testBundle) float64 {
	t.Helper()
	var l float64
	require.NoError(t, tb.pool.QueryRow(context.Background(),
		`SELECT least(burst, tokens + rate * extract(epoch FROM ($1::timestamptz - updated_at))::float8) FROM rate_budgets WHERE operation = $2`,
		tb.clock.Now(), testKey.Operation).Scan(&l))
	return l
}

// TestInLineLateHolderPaysAgain: a holder back long after its due time (a
// snoozed job that then waited minutes for a worker slot) does not spend
// its reservation: Amazon counts a call when it arrives, and while the
// holder was away Amazon's bucket filled to its burst and lost the refill
// this one still counted as covering the reservation. It asks as a new
// caller and its old token stays spent, so this bucket never runs ahead
// of Amazon's.
func TestInLineLateHolderPaysAgain(t *testing.T) {
	tb := setup(t, nil) // 1 token/s, 10 held; a follow-up leaves 1 (need 2)
	ctx := context.Background()
	takeAll(t, tb.budget, budget.ClassFollowup)
	job1 := budget.InLine(ctx, "job 1")
	var we *budget.WaitError
	require.ErrorAs(t, tb.budget.Acquire(job1, testKey, budget.ClassFollowup), &we)
	require.InDelta(t, 1, we.Wait.Seconds(), 0.01)

	// Back 5 s after its due time: within the grace, it spends its token.
	tb.clock.Advance(6 * time.Second)
	require.NoError(t, tb.budget.Acquire(job1, testKey, budget.ClassFollowup))
	require.Equal(t, 0, reservations(t, tb))

	// Reserved again, back a minute late: it pays a second token.
	takeAll(t, tb.budget, budget.ClassFollowup)
	require.ErrorAs(t, tb.budget.Acquire(job1, testKey, budget.ClassFollowup), &we)
	before := level(t, tb)
	tb.clock.Advance(time.Minute)
	require.InDelta(t, 10, level(t, tb), 0.01, "the bucket refilled to its size meanwhile (Amazon's capped too)")
	require.NoError(t, tb.budget.Acquire(job1, testKey, budget.ClassFollowup))
	require.InDelta(t, 9, level(t, tb), 0.01, "the late holder took a token of its own")
	require.Equal(t, 0, reservations(t, tb), "its reservation is gone")
	require.Less(t, before, 1.0)

	// Late and the bucket short: it queues again, last in line.
	takeAll(t, tb.budget, budget.ClassFollowup)
	require.ErrorAs(t, tb.budget.Acquire(job1, testKey, budget.ClassFollowup), &we)
	require.ErrorAs(t, tb.budget.Acquire(budget.InLine(ctx, "job 2"), testKey, budget.ClassFollowup), &we)
	tb.clock.Advance(15 * time.Second)
	takeAll(t, tb.budget, budget.ClassFollowup)
	require.ErrorAs(t, tb.budget.Acquire(job1, testKey, budget.ClassFollowup), &we)
	require.Equal(t, 2, reservations(t, tb), "job 1 holds one new reservation; job 2's late one waits for its holder")
	var due time.Time
	require.NoError(t, tb.pool.QueryRow(ctx, `SELECT due_at FROM rate_reservations WHERE holder = 'job 1'`).Scan(&due))
	require.True(t, due.After(tb.clock.Now()), "job 1's reservation is a new one, due ahead")
}
