package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/store"
)

func pushTx(t *testing.T, pool *pgxpool.Pool, fn func(tx pgx.Tx)) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck
	fn(tx)
	require.NoError(t, tx.Commit(ctx))
}

func TestPushReceiptsKeepTheGreatestChange(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	recv := time.Date(2026, 11, 1, 10, 5, 0, 0, time.UTC)

	pushTx(t, pool, func(tx pgx.Tx) {
		require.NoError(t, store.RecordPushReceipts(ctx, tx, []store.PushReceipt{
			{AccountID: "a", Stream: "orders", EntityID: "O1", NotificationID: "n2", ChangeTime: t0.Add(2 * time.Minute), ReceivedAt: recv},
			{AccountID: "a", Stream: "orders", EntityID: "O1", NotificationID: "n1", ChangeTime: t0, ReceivedAt: recv.Add(time.Second)},
			{AccountID: "a", Stream: "fulfillment_orders", EntityID: "F1", NotificationID: "f1", ChangeTime: t0, ReceivedAt: recv},
		}))
	})
	// A late, older notification does not move the change time back.
	pushTx(t, pool, func(tx pgx.Tx) {
		require.NoError(t, store.RecordPushReceipts(ctx, tx, []store.PushReceipt{
			{AccountID: "a", Stream: "orders", EntityID: "O1", NotificationID: "n0", ChangeTime: t0.Add(-time.Hour), ReceivedAt: recv.Add(time.Minute)},
		}))
	})
	var id string
	var change time.Time
	var n int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT last_notification_id, last_change_time, notifications FROM push_receipts WHERE entity_id = 'O1'`).Scan(&id, &change, &n))
	require.Equal(t, "n2", id)
	require.True(t, change.Equal(t0.Add(2*time.Minute)), "change time %v", change)
	require.EqualValues(t, 3, n)

	streams, err := store.ListPushStreams(ctx, pool)
	require.NoError(t, err)
	require.Len(t, streams, 2)
	require.Equal(t, "fulfillment_orders", streams[0].Stream)
	require.EqualValues(t, 1, streams[0].Notifications)
	require.Equal(t, "orders", streams[1].Stream)
	require.EqualValues(t, 3, streams[1].Notifications)
	require.True(t, streams[1].LastReceivedAt.Equal(recv.Add(time.Minute)))
}

func TestCountUnannounced(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	pushTx(t, pool, func(tx pgx.Tx) {
		require.NoError(t, store.RecordPushReceipts(ctx, tx, []store.PushReceipt{
			{AccountID: "a", Stream: "orders", EntityID: "announced", NotificationID: "n1", ChangeTime: t0, ReceivedAt: t0},
			{AccountID: "a", Stream: "orders", EntityID: "older", NotificationID: "n2", ChangeTime: t0, ReceivedAt: t0},
			{AccountID: "b", Stream: "orders", EntityID: "other-account", NotificationID: "n3", ChangeTime: t0, ReceivedAt: t0},
		}))
	})
	changes := []store.EntityChange{
		{EntityID: "announced", ChangeTime: t0.Add(800 * time.Millisecond)}, // within a second: announced
		{EntityID: "older", ChangeTime: t0.Add(5 * time.Second)},            // a later change nobody announced
		{EntityID: "other-account", ChangeTime: t0},
		{EntityID: "never", ChangeTime: t0},
		{EntityID: "never", ChangeTime: t0.Add(-time.Minute)}, // repeated in one page: one change
	}
	var n int
	pushTx(t, pool, func(tx pgx.Tx) {
		var err error
		n, err = store.CountUnannounced(ctx, tx, "a", "orders", changes)
		require.NoError(t, err)
	})
	require.Equal(t, 3, n)
	// An overlapping poll sees the same changes: nothing new to count.
	pushTx(t, pool, func(tx pgx.Tx) {
		var err error
		n, err = store.CountUnannounced(ctx, tx, "a", "orders", changes)
		require.NoError(t, err)
	})
	require.Equal(t, 0, n)
	// A late notification for a change the safety net found is still recorded.
	pushTx(t, pool, func(tx pgx.Tx) {
		require.NoError(t, store.RecordPushReceipts(ctx, tx, []store.PushReceipt{
			{AccountID: "a", Stream: "orders", EntityID: "never", NotificationID: "late", ChangeTime: t0, ReceivedAt: t0.Add(time.Hour)},
		}))
	})
	var id string
	require.NoError(t, pool.QueryRow(ctx, `SELECT last_notification_id FROM push_receipts WHERE account_id = 'a' AND entity_id = 'never'`).Scan(&id))
	require.Equal(t, "late", id)

	streams, err := store.ListPushStreams(ctx, pool)
	require.NoError(t, err)
	byKey := map[string]store.PushStream{}
	for _, s := range streams {
		byKey[s.AccountID+"/"+s.Stream] = s
	}
	require.EqualValues(t, 3, byKey["a/orders"].SafetyNetUnannounced)
	require.EqualValues(t, 0, byKey["b/orders"].SafetyNetUnannounced)
}
