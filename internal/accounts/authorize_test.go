package accounts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/store"
)

const (
	oauthSeller        = "A2OAUTHSELLER1"
	oauthTokenC        = "Atzr|IwEBIoauth-test-refresh-token-C"
	oauthMarketplaceJP = "A1VC38T7YXB528"
	oauthMarketplaceAU = "A39IBJ37TRP1C6"
)

// authorize runs AuthorizeTx in a transaction of its own.
func authorize(t *testing.T, a *accounts.Admin, pool *pgxpool.Pool, au accounts.Authorization) (id string, created bool, err error) {
	t.Helper()
	err = pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		id, created, err = a.AuthorizeTx(context.Background(), tx, au)
		return err
	})
	return id, created, err
}

func oauthAuthorization(spid, region string, mps ...string) accounts.Authorization {
	return accounts.Authorization{SellingPartnerID: spid, Region: region, MarketplaceIDs: mps,
		ClientID: adminClientID, RefreshToken: oauthTokenC, Now: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
}

// requireToken checks the account's stored token opens to want, and when
// it was authorized.
func requireToken(t *testing.T, a *accounts.Admin, pool *pgxpool.Pool, id, want string, authorizedAt time.Time) *store.AccountRow {
	t.Helper()
	row, err := store.GetAccount(context.Background(), pool, id, false)
	require.NoError(t, err)
	require.NotNil(t, row.RefreshTokenSealed)
	require.NotContains(t, *row.RefreshTokenSealed, want)
	got, err := a.Keys.Open(accounts.RefreshTokenBinding(id), *row.RefreshTokenSealed)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.NotNil(t, row.LastAuthorizedAt)
	require.True(t, row.LastAuthorizedAt.Equal(authorizedAt), "last_authorized_at %s, want %s", row.LastAuthorizedAt, authorizedAt)
	return row
}

func TestAuthorizeTxCreatesAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, pool := newAdmin(t)

	for _, tc := range []struct {
		name, newID, spid, wantID string
	}{
		{name: "DerivedID", spid: oauthSeller, wantID: "a2oauthseller1-na"},
		{name: "GivenID", newID: "shop-us", spid: "A2OAUTHSELLER2", wantID: "shop-us"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			au := oauthAuthorization(tc.spid, "na", "atvpdkikx0der", "A2EUQ1WTGCTBG2")
			au.NewAccountID = tc.newID
			id, created, err := authorize(t, a, pool, au)
			require.NoError(t, err)
			require.True(t, created)
			require.Equal(t, tc.wantID, id)
			row := requireToken(t, a, pool, id, oauthTokenC, au.Now)
			require.Equal(t, store.AccountActive, row.State)
			require.Equal(t, accounts.DeclaredByOAuth, row.DeclaredBy)
			require.Equal(t, "na", row.Region)
			require.Equal(t, []string{"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}, row.MarketplaceIds)
			require.Equal(t, tc.spid, *row.SellingPartnerID)
			require.Equal(t, adminClientID, row.ClientID)

			found, err := accounts.FindBySellingPartner(ctx, pool, tc.spid, "na")
			require.NoError(t, err)
			require.Equal(t, id, found)
			found, err = accounts.FindBySellingPartner(ctx, pool, tc.spid, "eu")
			require.NoError(t, err)
			require.Empty(t, found)
		})
	}
}

func TestAuthorizeTxReauthorizeResumesNeedsReauth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, pool := newAdmin(t)
	require.NoError(t, a.Add(ctx, adminSpec("seller-a", adminTokenA)))
	job := insertAccountJob(t, pool, "seller-a", 1, nil)
	markNeedsReauth(t, pool, "seller-a")
	require.Equal(t, "cancelled", jobState(t, pool, job))

	au := oauthAuthorization(sellingPartnerFor("seller-a"), "na", "ATVPDKIKX0DER")
	au.ReauthAccountID = "seller-a"
	id, created, err := authorize(t, a, pool, au)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, "seller-a", id)
	requireToken(t, a, pool, "seller-a", oauthTokenC, au.Now)
	require.Equal(t, store.AccountActive, accountState(t, pool, "seller-a"))
	require.Equal(t, "available", jobState(t, pool, job), "the jobs the ended authorization cancelled continue")

	list, err := a.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.NotNil(t, list[0].LastAuthorized)
	require.True(t, list[0].LastAuthorized.Equal(au.Now))
}

func TestAuthorizeTxReauthorizeUnmatchedAccountTakesTheSeller(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, pool := newAdmin(t)
	spec := adminSpec("seller-env", adminTokenA)
	spec.SellingPartnerID = ""
	require.NoError(t, a.Add(ctx, spec))

	au := oauthAuthorization(oauthSeller, "na", "ATVPDKIKX0DER")
	au.ReauthAccountID = "seller-env"
	_, _, err := authorize(t, a, pool, au)
	require.NoError(t, err)
	row := requireToken(t, a, pool, "seller-env", oauthTokenC, au.Now)
	require.NotNil(t, row.SellingPartnerID)
	require.Equal(t, oauthSeller, *row.SellingPartnerID)
}

func TestAuthorizeTxRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	for _, tc := range []struct {
		name    string
		au      func(accounts.Authorization) accounts.Authorization
		wantIs  error
		wantMsg string
	}{
		{
			name: "WrongSellerForReauthorization",
			au: func(au accounts.Authorization) accounts.Authorization {
				au.ReauthAccountID, au.SellingPartnerID = "seller-a", "A2SOMEONEELSE9"
				return au
			},
			wantIs: accounts.ErrWrongSeller, wantMsg: "account seller-a is selling partner " + sellingPartnerFor("seller-a"),
		},
		{
			name: "SellerHasAnAccountAlready",
			au: func(au accounts.Authorization) accounts.Authorization {
				au.NewAccountID = "seller-a-again"
				return au
			},
			wantIs: accounts.ErrSellerHasAccount, wantMsg: "seller-a (region na",
		},
		{
			name:   "SellerHasAnAccountAlreadyDerivedID",
			au:     func(au accounts.Authorization) accounts.Authorization { return au },
			wantIs: accounts.ErrSellerHasAccount, wantMsg: "seller-a",
		},
		{
			name: "IDTakenByAnotherSeller",
			au: func(au accounts.Authorization) accounts.Authorization {
				au.NewAccountID, au.SellingPartnerID = "seller-a", "A2SOMEONEELSE9"
				return au
			},
			wantMsg: "account seller-a exists",
		},
		{
			name: "ReauthorizationInAnotherRegion",
			au: func(au accounts.Authorization) accounts.Authorization {
				au.ReauthAccountID, au.Region, au.MarketplaceIDs = "seller-a", "eu", []string{"A1PA6795UKMFR9"}
				return au
			},
			wantMsg: "account seller-a is in region na",
		},
		{
			name: "MarketplaceOfAnotherRegion",
			au: func(au accounts.Authorization) accounts.Authorization {
				au.SellingPartnerID, au.MarketplaceIDs = "A2SOMEONEELSE9", []string{"A1PA6795UKMFR9"}
				return au
			},
			wantMsg: "marketplace A1PA6795UKMFR9 is in region eu, not na",
		},
		{
			name: "NoRefreshToken",
			au: func(au accounts.Authorization) accounts.Authorization {
				au.RefreshToken = " "
				return au
			},
			wantMsg: "no refresh token",
		},
		{
			name: "NotASellingPartnerID",
			au: func(au accounts.Authorization) accounts.Authorization {
				au.SellingPartnerID = "seller"
				return au
			},
			wantMsg: "not a merchant token",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, pool := newAdmin(t)
			require.NoError(t, a.Add(ctx, adminSpec("seller-a", adminTokenA)))
			before, err := store.ListAccounts(ctx, pool)
			require.NoError(t, err)

			au := tc.au(oauthAuthorization(sellingPartnerFor("seller-a"), "na", "ATVPDKIKX0DER"))
			_, _, err = authorize(t, a, pool, au)
			require.Error(t, err)
			if tc.wantIs != nil {
				require.ErrorIs(t, err, tc.wantIs)
			}
			require.ErrorContains(t, err, tc.wantMsg)
			require.NotContains(t, err.Error(), oauthTokenC)

			after, err := store.ListAccounts(ctx, pool)
			require.NoError(t, err)
			require.Equal(t, before, after, "a refused authorization changes no account")
		})
	}
}

// A Far East seller may need one authorization per marketplace: an
// invitation for a marketplace the seller has no account for creates a new
// account; one for a marketplace it has is refused.
func TestAuthorizeTxFarEastMarketplaceSplit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, pool := newAdmin(t)

	jp, created, err := authorize(t, a, pool, oauthAuthorization(oauthSeller, "fe", oauthMarketplaceJP))
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, "a2oauthseller1-fe", jp)

	au, created, err := authorize(t, a, pool, oauthAuthorization(oauthSeller, "fe", oauthMarketplaceAU))
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, "a2oauthseller1-fe-"+strings.ToLower(oauthMarketplaceAU), au)
	row, err := store.GetAccount(ctx, pool, au, false)
	require.NoError(t, err)
	require.Equal(t, []string{oauthMarketplaceAU}, row.MarketplaceIds)

	_, _, err = authorize(t, a, pool, oauthAuthorization(oauthSeller, "fe", oauthMarketplaceAU, "A19VAU5U5O7RUS"))
	require.ErrorIs(t, err, accounts.ErrSellerHasAccount)
	require.ErrorContains(t, err, au)

	// Outside fe, one authorization covers the region's marketplaces.
	na, created, err := authorize(t, a, pool, oauthAuthorization(oauthSeller, "na", "ATVPDKIKX0DER"))
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, "a2oauthseller1-na", na)
	_, _, err = authorize(t, a, pool, oauthAuthorization(oauthSeller, "na", "A2EUQ1WTGCTBG2"))
	require.ErrorIs(t, err, accounts.ErrSellerHasAccount)
}

// Two callbacks of one seller at once: the second waits for the first and
// then sees its account, so the seller does not get two.
func TestAuthorizeTxSerialisesOneSeller(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, pool := newAdmin(t)

	first, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = first.Rollback(ctx) }()
	au := oauthAuthorization(oauthSeller, "na", "ATVPDKIKX0DER")
	au.NewAccountID = "first"
	_, _, err = a.AuthorizeTx(ctx, first, au)
	require.NoError(t, err)

	second := make(chan error, 1)
	go func() {
		au := au
		au.NewAccountID = "second"
		_, _, err := authorize(t, a, pool, au)
		second <- err
	}()
	require.Eventually(t, func() bool {
		var waiting bool
		err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting)
		return err == nil && waiting
	}, 10*time.Second, 10*time.Millisecond, "the second authorization waits for the first")
	require.NoError(t, first.Commit(ctx))

	select {
	case err := <-second:
		require.ErrorIs(t, err, accounts.ErrSellerHasAccount)
		require.ErrorContains(t, err, "first")
	case <-time.After(10 * time.Second):
		t.Fatal("the second authorization did not finish")
	}
	accs, err := store.ListAccounts(ctx, pool)
	require.NoError(t, err)
	require.Len(t, accs, 1)
}

func TestSetRefreshTokenRecordsLastAuthorized(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, pool := newAdmin(t)
	now := time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)
	a.Now = func() time.Time { return now }
	require.NoError(t, a.Add(ctx, adminSpec("seller-a", adminTokenA)))
	row, err := store.GetAccount(ctx, pool, "seller-a", false)
	require.NoError(t, err)
	require.Nil(t, row.LastAuthorizedAt, "an account added with its token was not authorized through spsync")

	require.NoError(t, a.SetRefreshToken(ctx, "seller-a", adminTokenB))
	requireToken(t, a, pool, "seller-a", adminTokenB, now)
}

func TestMarketplacesOfRegion(t *testing.T) {
	t.Parallel()
	for _, region := range []string{"na", "eu", "fe"} {
		mps := accounts.MarketplacesOfRegion(region)
		require.NotEmpty(t, mps, region)
		for _, m := range mps {
			require.Equal(t, region, accounts.RegionOfMarketplace(m))
		}
	}
	require.Contains(t, accounts.MarketplacesOfRegion("fe"), oauthMarketplaceJP)
	require.Empty(t, accounts.RegionOfMarketplace("AXXXXXXXXXXX"))
	_, err := accounts.NormalizeMarketplaceIDs("na", nil)
	require.ErrorContains(t, err, "ATVPDKIKX0DER")
}
