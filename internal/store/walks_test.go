package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/store"
)

// TestWalkProgress: a walk's progress is saved page by page, is per account,
// stream and walk, refuses a page from a stale read (two runs of one walk),
// and is gone with the last page.
func TestWalkProgress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	key := store.WalkKey{AccountID: "acct", Stream: "service_jobs", Walk: "poll:ATVPDKIKX0DER"}
	tx := func(f func(tx pgx.Tx) error) error { return pgx.BeginFunc(ctx, pool, f) }

	got, err := store.GetWalk(ctx, pool, key)
	require.NoError(t, err)
	require.Nil(t, got, "no walk yet")

	page1 := store.WalkProgress{From: from, To: from.Add(time.Hour), StartedAt: from.Add(2 * time.Hour), Token: "tok1", Pages: 1, Rows: 20}
	require.NoError(t, tx(func(tx pgx.Tx) error { return store.SaveWalkPage(ctx, tx, key, store.WalkProgress{}, page1) }))
	high := from.Add(30 * time.Minute)
	page2 := page1
	page2.Token, page2.Pages, page2.Rows, page2.HighWater = "tok2", 2, 35, &high
	require.NoError(t, tx(func(tx pgx.Tx) error { return store.SaveWalkPage(ctx, tx, key, page1, page2) }))

	got, err = store.GetWalk(ctx, pool, key)
	require.NoError(t, err)
	require.NotNil(t, got)
	require.Equal(t, "tok2", got.Token)
	require.Equal(t, int32(2), got.Pages)
	require.Equal(t, int64(35), got.Rows)
	require.True(t, got.From.Equal(from))
	require.True(t, got.To.Equal(from.Add(time.Hour)))
	require.True(t, got.HighWater.Equal(high))

	other, err := store.GetWalk(ctx, pool, store.WalkKey{AccountID: "acct", Stream: "service_jobs", Walk: "poll:A2EUQ1WTGCTBG2"})
	require.NoError(t, err)
	require.Nil(t, other, "another scope is another walk")

	// A second run that read the walk at page 1 cannot commit page 2 again,
	// nor finish it, nor start it anew.
	require.ErrorIs(t, tx(func(tx pgx.Tx) error { return store.SaveWalkPage(ctx, tx, key, page1, page2) }), store.ErrWalkMoved)
	require.ErrorIs(t, tx(func(tx pgx.Tx) error { return store.FinishWalk(ctx, tx, key, page1) }), store.ErrWalkMoved)
	require.ErrorIs(t, tx(func(tx pgx.Tx) error { return store.SaveWalkPage(ctx, tx, key, store.WalkProgress{}, page1) }), store.ErrWalkMoved)
	require.ErrorIs(t, tx(func(tx pgx.Tx) error { return store.FinishWalk(ctx, tx, key, store.WalkProgress{}) }), store.ErrWalkMoved)

	require.NoError(t, tx(func(tx pgx.Tx) error { return store.FinishWalk(ctx, tx, key, page2) }))
	got, err = store.GetWalk(ctx, pool, key)
	require.NoError(t, err)
	require.Nil(t, got, "the last page removes the progress")

	// An expired token forgets the walk whatever its page.
	require.NoError(t, tx(func(tx pgx.Tx) error { return store.SaveWalkPage(ctx, tx, key, store.WalkProgress{}, page1) }))
	require.NoError(t, store.ForgetWalk(ctx, pool, key))
	got, err = store.GetWalk(ctx, pool, key)
	require.NoError(t, err)
	require.Nil(t, got)
}
