package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
)

// Declare applies the declared accounts (accounts file or LWA_*/SPAPI_*
// variables) to the tables at start. How a declaration and a stored row
// combine (README "Credentials"):
//
//   - An account not stored is stored, active, with its refresh token.
//   - A stored account takes the declaration's region, marketplaces, selling
//     partner id, client id and Orders API; its state never changes: a
//     paused or removed account is not revived by a file that still
//     declares it (`worker accounts resume` does that).
//   - A declared refresh token replaces the stored one only when the account
//     has none or needs re-authorization (then it becomes active again);
//     otherwise the stored one stays (`worker accounts set-refresh-token`
//     replaces a working token).
//   - A declared client secret is added by AddSecret: one already stored
//     changes nothing (a restart with the pre-rotation secret still in
//     LWA_CLIENT_SECRET keeps the rotated one), an unknown one becomes
//     primary only for an application without one, fallback otherwise.
//
// Each account is applied in its own transaction.
func Declare(ctx context.Context, pool *pgxpool.Pool, keys *secretbox.Keyring, declared []config.Account, now time.Time) error {
	for _, d := range declared {
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return declareOne(ctx, tx, keys, d, now) }); err != nil {
			return fmt.Errorf("apply declared account %s: %w", d.ID, err)
		}
	}
	return nil
}

func declareOne(ctx context.Context, tx pgx.Tx, keys *secretbox.Keyring, d config.Account, now time.Time) error {
	source := d.Source
	if source == "" {
		source = SourceEnvironment
	}
	if _, _, err := AddSecret(ctx, tx, keys, NewSecret{
		ClientID: d.ClientID, Value: string(d.ClientSecret), Source: source, Expires: d.ClientSecretExpiresAt, Now: now,
	}); err != nil {
		return err
	}
	var spid *string
	if d.SellingPartnerID != "" {
		spid = &d.SellingPartnerID
	}
	row, err := store.GetAccount(ctx, tx, d.ID, true)
	if errors.Is(err, store.ErrNoAccount) {
		sealed, err := keys.Seal(RefreshTokenBinding(d.ID), string(d.RefreshToken))
		if err != nil {
			return err
		}
		return store.InsertAccount(ctx, tx, store.NewAccount{
			ID: d.ID, Region: d.Region, MarketplaceIds: d.MarketplaceIDs, SellingPartnerID: spid,
			ClientID: d.ClientID, OrdersApi: d.OrdersAPI, RefreshTokenSealed: &sealed, DeclaredBy: source,
		})
	}
	if err != nil {
		return err
	}
	if _, err := store.UpdateAccountDeclaration(ctx, tx, store.AccountDeclaration{
		ID: d.ID, Region: d.Region, MarketplaceIds: d.MarketplaceIDs, SellingPartnerID: spid,
		ClientID: d.ClientID, OrdersApi: d.OrdersAPI,
	}); err != nil {
		return err
	}
	if d.RefreshToken == "" || (row.RefreshTokenSealed != nil && row.State != store.AccountNeedsReauth) {
		return nil
	}
	if row.RefreshTokenSealed != nil {
		old, err := keys.Open(RefreshTokenBinding(d.ID), *row.RefreshTokenSealed)
		if err != nil {
			return keyError(err)
		}
		if old == string(d.RefreshToken) {
			return nil // the token LWA refused: the account stays needs_reauth
		}
	}
	sealed, err := keys.Seal(RefreshTokenBinding(d.ID), string(d.RefreshToken))
	if err != nil {
		return err
	}
	if err := store.SetAccountRefreshToken(ctx, tx, d.ID, sealed); err != nil {
		return err
	}
	if changed, err := store.SetAccountState(ctx, tx, d.ID, store.AccountActive, "a new refresh token was declared", store.AccountNeedsReauth); err != nil || !changed {
		return err
	}
	_, err = riverext.RetryAccountJobs(ctx, tx, d.ID, ReauthReason(d.ID))
	return err
}
