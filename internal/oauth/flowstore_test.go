package oauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/oauth"
)

// newFlow stores a flow of a fresh invitation and returns it with its
// state.
func newFlow(t *testing.T, pool *pgxpool.Pool, now time.Time) (oauth.Flow, string) {
	t.Helper()
	ctx := context.Background()
	_, inv, err := oauth.Invite(ctx, pool, oauth.InviteRequest{Region: "na", MarketplaceIDs: []string{"ATVPDKIKX0DER"}, Now: now})
	require.NoError(t, err)
	state, stateHash, err := oauth.NewToken()
	require.NoError(t, err)
	_, cookieHash, err := oauth.NewToken()
	require.NoError(t, err)
	f := oauth.Flow{StateHash: stateHash, CookieHash: cookieHash, InvitationID: &inv.ID, Region: "na",
		Kind: oauth.FlowKindInvitation, RedirectURI: "https://spsync.example/oauth/callback",
		CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
	require.NoError(t, oauth.InsertFlow(ctx, pool, f))
	return f, state
}

func TestTakeFlowConsumesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := inviteDB(t)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	f, state := newFlow(t, pool, now)

	// The flow is found by the state's hash, the key it was stored under.
	var stored []byte
	require.NoError(t, pool.QueryRow(ctx, `SELECT state_hash FROM oauth_flows`).Scan(&stored))
	require.Equal(t, oauth.HashToken(state), stored)

	took := now.Add(time.Minute)
	inTx(t, pool, func(tx pgx.Tx) error {
		got, err := oauth.TakeFlow(ctx, tx, oauth.HashToken(state), took)
		require.NoError(t, err)
		require.Nil(t, got.ConsumedAt, "returned as it was")
		require.Equal(t, f.CookieHash, got.CookieHash)
		require.Equal(t, *f.InvitationID, *got.InvitationID)
		require.Equal(t, f.RedirectURI, got.RedirectURI)
		require.Equal(t, oauth.FlowKindInvitation, got.Kind)
		require.True(t, got.ExpiresAt.Equal(f.ExpiresAt))
		return nil
	})
	inTx(t, pool, func(tx pgx.Tx) error {
		got, err := oauth.TakeFlow(ctx, tx, oauth.HashToken(state), took.Add(time.Minute))
		require.NoError(t, err)
		require.NotNil(t, got.ConsumedAt, "a second callback sees the flow consumed")
		require.True(t, got.ConsumedAt.Equal(took), "by the first")
		return nil
	})

	unknown, _, err := oauth.NewToken()
	require.NoError(t, err)
	inTx(t, pool, func(tx pgx.Tx) error {
		_, err := oauth.TakeFlow(ctx, tx, oauth.HashToken(unknown), took)
		require.ErrorIs(t, err, oauth.ErrNoFlow)
		return nil
	})
}

// Two callbacks with one state at once: the second waits for the first's
// transaction; it gets the flow consumed when the first commits, and
// unconsumed when the first rolls back.
func TestTakeFlowConcurrentCallbacks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		commit       bool
		wantConsumed bool
	}{
		{"FirstCommits", true, true},
		{"FirstRollsBack", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := inviteDB(t)
			now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
			_, state := newFlow(t, pool, now)

			first, err := pool.Begin(ctx)
			require.NoError(t, err)
			defer func() { _ = first.Rollback(ctx) }()
			got, err := oauth.TakeFlow(ctx, first, oauth.HashToken(state), now)
			require.NoError(t, err)
			require.Nil(t, got.ConsumedAt)

			type result struct {
				f   oauth.Flow
				err error
			}
			second := make(chan result, 1)
			go func() {
				var r result
				r.err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					r.f, r.err = oauth.TakeFlow(ctx, tx, oauth.HashToken(state), now.Add(time.Second))
					return r.err
				})
				second <- r
			}()
			require.Eventually(t, func() bool {
				var waiting bool
				err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting)
				return err == nil && waiting
			}, 10*time.Second, 10*time.Millisecond, "the second callback waits on the flow's row")
			if tc.commit {
				require.NoError(t, first.Commit(ctx))
			} else {
				require.NoError(t, first.Rollback(ctx))
			}
			select {
			case r := <-second:
				require.NoError(t, r.err)
				require.Equal(t, tc.wantConsumed, r.f.ConsumedAt != nil)
			case <-time.After(10 * time.Second):
				t.Fatal("the second callback did not finish")
			}
		})
	}
}

func TestInsertFlowRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := inviteDB(t)
	now := time.Now()
	_, hash, err := oauth.NewToken()
	require.NoError(t, err)
	good := oauth.Flow{StateHash: hash, CookieHash: hash, AccountID: "seller-us", Region: "na", Kind: oauth.FlowKindLogin,
		RedirectURI: "https://spsync.example/oauth/callback", ExpiresAt: now.Add(15 * time.Minute)}

	for _, tc := range []struct {
		name    string
		change  func(*oauth.Flow)
		wantMsg string
	}{
		{"NoExpiry", func(f *oauth.Flow) { f.ExpiresAt = time.Time{} }, "needs an expiry"},
		{"UnknownKind", func(f *oauth.Flow) { f.Kind = "other" }, `flow kind "other"`},
		{"NeitherInvitationNorAccount", func(f *oauth.Flow) { f.AccountID = "" }, "oauth_flows_check"},
		{"UnknownAccount", func(f *oauth.Flow) { f.AccountID = "nobody" }, "oauth_flows_account_id_fkey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := good
			tc.change(&f)
			require.ErrorContains(t, oauth.InsertFlow(ctx, pool, f), tc.wantMsg)
		})
	}
	require.NoError(t, oauth.InsertFlow(ctx, pool, good))
	require.Error(t, oauth.InsertFlow(ctx, pool, good), "a state is stored once")
}
