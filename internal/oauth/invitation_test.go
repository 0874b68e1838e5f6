package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/oauth"
	"github.com/spsync/spsync/internal/store"
)

const inviteClientID = "amzn1.application-oa2-client.invitetest"

// inviteDB is a fresh database with the stored accounts seller-us (na, US
// and CA) and seller-gone (removed).
func inviteDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := store.EnsureApplication(ctx, tx, inviteClientID); err != nil {
			return err
		}
		for _, id := range []string{"seller-us", "seller-gone"} {
			if err := store.InsertAccount(ctx, tx, store.NewAccount{ID: id, Region: "na", MarketplaceIds: []string{"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"},
				ClientID: inviteClientID, OrdersApi: "2026-01-01", DeclaredBy: "operator"}); err != nil {
				return err
			}
		}
		_, err := store.SetAccountState(ctx, tx, "seller-gone", store.AccountRemoved, "removed by operator", store.AccountActive)
		return err
	}))
	return pool
}

func inTx(t *testing.T, pool *pgxpool.Pool, f func(tx pgx.Tx) error) {
	t.Helper()
	require.NoError(t, pgx.BeginFunc(context.Background(), pool, f))
}

func TestNewToken(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		token, hash, err := oauth.NewToken()
		require.NoError(t, err)
		raw, err := base64.RawURLEncoding.DecodeString(token)
		require.NoError(t, err, "base64url without padding")
		require.Len(t, raw, 32)
		sum := sha256.Sum256([]byte(token))
		require.Equal(t, sum[:], hash)
		require.Equal(t, hash, oauth.HashToken(token))
		require.False(t, seen[token])
		seen[token] = true
	}
}

func TestInvite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := inviteDB(t)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

	t.Run("NewAccount", func(t *testing.T) {
		token, inv, err := oauth.Invite(ctx, pool, oauth.InviteRequest{Region: "NA", MarketplaceIDs: []string{"atvpdkikx0der"}, AccountID: "shop-us", Now: now})
		require.NoError(t, err)
		require.Equal(t, "na", inv.Region)
		require.Equal(t, []string{"ATVPDKIKX0DER"}, inv.MarketplaceIDs)
		require.Equal(t, "shop-us", inv.AccountID)
		require.Empty(t, inv.ReauthAccountID)
		require.True(t, inv.ExpiresAt.Equal(now.Add(oauth.DefaultInvitationTTL)))
		require.Nil(t, inv.UsedAt)

		// Only the hash is stored.
		var row string
		require.NoError(t, pool.QueryRow(ctx, `SELECT i::text FROM oauth_invitations i WHERE id = $1`, inv.ID).Scan(&row))
		require.NotContains(t, row, token)
		var stored []byte
		require.NoError(t, pool.QueryRow(ctx, `SELECT token_hash FROM oauth_invitations WHERE id = $1`, inv.ID).Scan(&stored))
		require.Equal(t, oauth.HashToken(token), stored)

		inTx(t, pool, func(tx pgx.Tx) error {
			got, err := oauth.LookupInvitation(ctx, tx, token, true)
			require.NoError(t, err)
			require.Equal(t, inv.ID, got.ID)
			require.Equal(t, inv.MarketplaceIDs, got.MarketplaceIDs)
			byID, err := oauth.LookupInvitationByID(ctx, tx, inv.ID, false)
			require.NoError(t, err)
			require.Equal(t, got, byID)
			return nil
		})
	})

	t.Run("Reauthorization", func(t *testing.T) {
		_, inv, err := oauth.Invite(ctx, pool, oauth.InviteRequest{ReauthAccountID: "seller-us", TTL: 72 * time.Hour, Now: now})
		require.NoError(t, err)
		require.Equal(t, "seller-us", inv.ReauthAccountID)
		require.Equal(t, "na", inv.Region, "the account's region")
		require.Equal(t, []string{"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}, inv.MarketplaceIDs, "the account's marketplaces")
		require.True(t, inv.ExpiresAt.Equal(now.Add(72*time.Hour)))
	})

	for _, tc := range []struct {
		name    string
		req     oauth.InviteRequest
		wantMsg string
	}{
		{"UnknownRegion", oauth.InviteRequest{Region: "xx", MarketplaceIDs: []string{"ATVPDKIKX0DER"}}, `unknown region "xx"`},
		{"NoMarketplacesNamesTheRegions", oauth.InviteRequest{Region: "fe"}, "A19VAU5U5O7RUS, A39IBJ37TRP1C6, A1VC38T7YXB528"},
		{"MarketplaceOfAnotherRegion", oauth.InviteRequest{Region: "eu", MarketplaceIDs: []string{"ATVPDKIKX0DER"}}, "ATVPDKIKX0DER is in region na, not eu"},
		{"AccountIDTaken", oauth.InviteRequest{Region: "na", MarketplaceIDs: []string{"ATVPDKIKX0DER"}, AccountID: "seller-us"}, "--account seller-us"},
		{"BadAccountID", oauth.InviteRequest{Region: "na", MarketplaceIDs: []string{"ATVPDKIKX0DER"}, AccountID: "a b"}, "use letters, digits"},
		{"UnknownAccount", oauth.InviteRequest{ReauthAccountID: "nobody"}, `account "nobody" does not exist`},
		{"RemovedAccount", oauth.InviteRequest{ReauthAccountID: "seller-gone"}, "worker accounts resume seller-gone"},
		{"AccountInAnotherRegion", oauth.InviteRequest{ReauthAccountID: "seller-us", Region: "eu"}, "seller-us is in region na, not eu"},
		{"BothIDs", oauth.InviteRequest{ReauthAccountID: "seller-us", AccountID: "x"}, "not both"},
		{"NegativeTTL", oauth.InviteRequest{Region: "na", MarketplaceIDs: []string{"ATVPDKIKX0DER"}, TTL: -time.Hour}, "positive duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before int
			require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM oauth_invitations`).Scan(&before))
			token, _, err := oauth.Invite(ctx, pool, tc.req)
			require.ErrorContains(t, err, tc.wantMsg)
			require.Empty(t, token)
			var after int
			require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM oauth_invitations`).Scan(&after))
			require.Equal(t, before, after, "a refused invitation is not stored")
		})
	}
}

func TestLookupInvitationUnknown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := inviteDB(t)
	token, _, err := oauth.NewToken()
	require.NoError(t, err)
	inTx(t, pool, func(tx pgx.Tx) error {
		_, err := oauth.LookupInvitation(ctx, tx, token, false)
		require.ErrorIs(t, err, oauth.ErrNoInvitation)
		_, err = oauth.LookupInvitationByID(ctx, tx, 42, true)
		require.ErrorIs(t, err, oauth.ErrNoInvitation)
		require.ErrorIs(t, oauth.MarkInvitationUsed(ctx, tx, 42, "A3TH9S8BH6GOGM", time.Now()), oauth.ErrNoInvitation)
		return nil
	})
}

func TestMarkInvitationUsedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := inviteDB(t)
	token, inv, err := oauth.Invite(ctx, pool, oauth.InviteRequest{Region: "na", MarketplaceIDs: []string{"ATVPDKIKX0DER"}})
	require.NoError(t, err)
	used := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)

	inTx(t, pool, func(tx pgx.Tx) error {
		return oauth.MarkInvitationUsed(ctx, tx, inv.ID, "A3TH9S8BH6GOGM", used)
	})
	inTx(t, pool, func(tx pgx.Tx) error {
		err := oauth.MarkInvitationUsed(ctx, tx, inv.ID, "A2OTHERSELLER9", used.Add(time.Minute))
		require.ErrorIs(t, err, oauth.ErrInvitationUsed)
		got, err := oauth.LookupInvitation(ctx, tx, token, false)
		require.NoError(t, err)
		require.NotNil(t, got.UsedAt)
		require.True(t, got.UsedAt.Equal(used), "the first use stays")
		return nil
	})
	var by string
	require.NoError(t, pool.QueryRow(ctx, `SELECT used_by_selling_partner_id FROM oauth_invitations WHERE id = $1`, inv.ID).Scan(&by))
	require.Equal(t, "A3TH9S8BH6GOGM", by)
}
