package riverext_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/riverext"
)

// TestQueueHasWaiting: a job available and due in the queue waits for a
// slot; one scheduled later or in another queue does not.
func TestQueueHasWaiting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	c := insertOnly(t, pool)

	waiting := func(queue string) bool {
		yes, err := riverext.QueueHasWaiting(ctx, pool, queue)
		require.NoError(t, err)
		return yes
	}
	require.False(t, waiting("followup"))
	_, err := c.Insert(ctx, noArgs{N: 1}, &river.InsertOpts{Queue: "followup", ScheduledAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	require.False(t, waiting("followup"), "scheduled in an hour: not waiting now")
	_, err = c.Insert(ctx, noArgs{N: 2}, &river.InsertOpts{Queue: "followup"})
	require.NoError(t, err)
	require.True(t, waiting("followup"))
	require.False(t, waiting("poll"))
}
