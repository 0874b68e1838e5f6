package store

import (
	"context"
	"fmt"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// What `worker status` and /metrics read about accounts and credentials:
// states, rotation bookkeeping and secrets' expiries, never a sealed value.

type (
	// AccountStateCount is how many accounts are in one state.
	AccountStateCount = dbsqlc.StatusAccountStatesRow
	// AccountNotActive is an account that is paused, needs_reauth or removed.
	AccountNotActive = dbsqlc.StatusAccountsNotActiveRow
	// ApplicationStatus is an application's rotation bookkeeping and how
	// many active accounts use it.
	ApplicationStatus = dbsqlc.StatusApplicationsRow
	// SecretStatus is a client secret in use, without its value.
	SecretStatus = dbsqlc.StatusApplicationSecretsRow
	// AccountAuthorization is when an account's seller last authorized
	// spsync.
	AccountAuthorization = dbsqlc.StatusAccountAuthorizationsRow
)

// CountAccountStates counts the stored accounts by state (states with none
// left out).
func CountAccountStates(ctx context.Context, db DBTX) ([]*AccountStateCount, error) {
	out, err := dbsqlc.New().StatusAccountStates(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("count accounts by state: %w", err)
	}
	return out, nil
}

// ListAccountsNotActive returns the accounts that are not active, by state
// and id.
func ListAccountsNotActive(ctx context.Context, db DBTX) ([]*AccountNotActive, error) {
	out, err := dbsqlc.New().StatusAccountsNotActive(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list accounts not active: %w", err)
	}
	return out, nil
}

// ListApplicationStatus returns every stored application's rotation
// bookkeeping.
func ListApplicationStatus(ctx context.Context, db DBTX) ([]*ApplicationStatus, error) {
	out, err := dbsqlc.New().StatusApplications(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	return out, nil
}

// ListSecretStatus returns the client secrets not retired, by application
// and id, without their sealed values.
func ListSecretStatus(ctx context.Context, db DBTX) ([]*SecretStatus, error) {
	out, err := dbsqlc.New().StatusApplicationSecrets(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list client secrets: %w", err)
	}
	return out, nil
}

// ListAccountAuthorizations returns, by id, when each account not removed
// was last authorized and its selling partner id (nil: unmatched).
func ListAccountAuthorizations(ctx context.Context, db DBTX) ([]*AccountAuthorization, error) {
	out, err := dbsqlc.New().StatusAccountAuthorizations(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list account authorizations: %w", err)
	}
	return out, nil
}
