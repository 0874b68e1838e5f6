package status_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/status"
	"github.com/spsync/spsync/internal/store"
)

// The PUSH section appears once notifications flow, with the last one per
// stream and the changes only the safety-net poll found.
func TestReportPush(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)

	r, err := status.Collect(ctx, pool)
	require.NoError(t, err)
	require.Empty(t, r.Push)
	var text bytes.Buffer
	require.NoError(t, r.WriteText(&text))
	require.NotContains(t, text.String(), "PUSH")

	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := store.RecordPushReceipts(ctx, tx, []store.PushReceipt{
			{AccountID: "acct", Stream: "orders", EntityID: "111-1", NotificationID: "n1", ChangeTime: at, ReceivedAt: at.Add(time.Second)},
			{AccountID: "acct", Stream: "orders", EntityID: "111-2", NotificationID: "n2", ChangeTime: at, ReceivedAt: at.Add(2 * time.Second)},
		}); err != nil {
			return err
		}
		// The poll wrote 111-1 (announced) and 111-3 (not).
		n, err := store.CountUnannounced(ctx, tx, "acct", "orders", []store.EntityChange{{EntityID: "111-1", ChangeTime: at}, {EntityID: "111-3", ChangeTime: at}})
		require.Equal(t, 1, n)
		return err
	}))

	r, err = status.Collect(ctx, pool)
	require.NoError(t, err)
	require.Len(t, r.Push, 1)
	p := r.Push[0]
	require.Equal(t, "acct", p.AccountID)
	require.Equal(t, "orders", p.Stream)
	require.EqualValues(t, 2, p.Notifications)
	require.EqualValues(t, 1, p.SafetyNetUnannounced)
	require.True(t, p.LastNotificationAt.Equal(at.Add(2*time.Second)))
	text.Reset()
	require.NoError(t, r.WriteText(&text))
	require.Contains(t, text.String(), "FOUND ONLY BY THE SAFETY-NET POLL")
	require.Regexp(t, `acct\s+orders\s+2026-11-27 10:00:02\s+2\s+1`, text.String())
}
