package budget_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/budget"
)

// TestYieldingSnoozesInsteadOfWaiting: a token a second away is waited for
// in-process (MaxWait 3 s) while nothing else waits for the caller's slot;
// once others wait, the same request is a *WaitError at once, and a
// follow-up in line keeps its place (its token is held in debt and spent
// when it comes back, without asking again).
func TestYieldingSnoozesInsteadOfWaiting(t *testing.T) {
	tb := setup(t, func(o *budget.Options) { o.MaxWait = 3 * time.Second })
	others := false
	asked := 0
	check := func(context.Context) bool { asked++; return others }
	ctx := budget.Yielding(budget.InLine(context.Background(), "job 1"), check)
	for range 9 {
		require.NoError(t, tb.budget.Acquire(ctx, testKey, budget.ClassFollowup))
	}
	require.NoError(t, tb.budget.Acquire(ctx, testKey, budget.ClassFollowup), "nothing waits: the token a second away is waited for")
	require.Equal(t, []time.Duration{time.Second + time.Millisecond}, tb.clock.slept)
	require.Equal(t, 0, reservations(t, tb))
	require.Positive(t, asked, "the check was asked")

	others = true
	var we *budget.WaitError
	require.ErrorAs(t, tb.budget.Acquire(ctx, testKey, budget.ClassFollowup), &we, "others wait: snooze, do not sleep")
	require.InDelta(t, 1, we.Wait.Seconds(), 0.01)
	require.Len(t, tb.clock.slept, 1, "no second sleep")
	require.Equal(t, 1, reservations(t, tb), "the token is held in line")
	other := budget.Yielding(budget.InLine(context.Background(), "job 2"), check)
	require.ErrorAs(t, tb.budget.Acquire(other, testKey, budget.ClassFollowup), &we)
	require.InDelta(t, 2, we.Wait.Seconds(), 0.01, "a later follow-up queues behind the yielded one")

	tb.clock.Advance(time.Second)
	require.NoError(t, tb.budget.Acquire(ctx, testKey, budget.ClassFollowup), "back when due: its own token, no new request")
	require.Equal(t, 1, reservations(t, tb), "job 2's is left")
}

// TestYieldingPollSnoozes: a poll (no line) whose token is a second away
// waits in-process unless others wait for its slot; then it snoozes, and a
// wait shorter than the yield threshold is still slept.
func TestYieldingPollSnoozes(t *testing.T) {
	tb := setup(t, func(o *budget.Options) { o.MaxWait = 3 * time.Second })
	ctx := budget.Yielding(context.Background(), func(context.Context) bool { return true })
	for range 10 { // the whole bucket, at once
		require.NoError(t, tb.budget.Acquire(context.Background(), testKey, budget.ClassPoll))
	}
	var we *budget.WaitError
	require.ErrorAs(t, tb.budget.Acquire(ctx, testKey, budget.ClassPoll), &we)
	require.InDelta(t, 1, we.Wait.Seconds(), 0.01)
	require.Empty(t, tb.clock.slept)

	tb.clock.Advance(990 * time.Millisecond) // 10 ms from the next token
	require.NoError(t, tb.budget.Acquire(ctx, testKey, budget.ClassPoll), "a near token is slept for, not snoozed")
	require.Len(t, tb.clock.slept, 1)
	require.Less(t, tb.clock.slept[0], 50*time.Millisecond)
}
