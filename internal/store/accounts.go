package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// Accounts and their credentials are data (migration 00022): the accounts
// package seals and opens the secrets and decides; these functions only read
// and write the rows.

type (
	// AccountRow is one stored account; its refresh token is sealed.
	AccountRow = dbsqlc.Account
	// NewAccount is an account to insert.
	NewAccount = dbsqlc.InsertAccountParams
	// AccountDeclaration is what a declaration (accounts file, environment,
	// operator) sets on an existing account: never its state or token.
	AccountDeclaration = dbsqlc.UpdateAccountDeclarationParams
	// Application is one stored LWA application.
	Application = dbsqlc.Application
	// ApplicationRotation is an application's rotation bookkeeping.
	ApplicationRotation = dbsqlc.UpdateApplicationRotationParams
	// ApplicationSecret is one stored client secret, sealed.
	ApplicationSecret = dbsqlc.ApplicationSecret
	// NewApplicationSecret is a client secret to insert.
	NewApplicationSecret = dbsqlc.InsertApplicationSecretParams
)

// Account states (accounts.state).
const (
	AccountActive      = "active"
	AccountPaused      = "paused"
	AccountNeedsReauth = "needs_reauth"
	AccountRemoved     = "removed"
)

// Secret states (application_secrets.state).
const (
	SecretPending  = "pending"
	SecretPrimary  = "primary"
	SecretFallback = "fallback"
	SecretRetired  = "retired"
)

// ErrNoAccount is returned for an account id with no row.
var ErrNoAccount = errors.New("no such account")

// ListAccounts returns every stored account, removed ones included.
func ListAccounts(ctx context.Context, db DBTX) ([]*AccountRow, error) {
	out, err := dbsqlc.New().ListAccounts(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return out, nil
}

// GetAccount returns the account id; with forUpdate its row stays locked
// until db's transaction ends. ErrNoAccount when there is none.
func GetAccount(ctx context.Context, db DBTX, id string, forUpdate bool) (*AccountRow, error) {
	q := dbsqlc.New()
	var (
		a   *AccountRow
		err error
	)
	if forUpdate {
		a, err = q.GetAccountForUpdate(ctx, db, id)
	} else {
		a, err = q.GetAccount(ctx, db, id)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("account %q: %w", id, ErrNoAccount)
	}
	if err != nil {
		return nil, fmt.Errorf("read account %s: %w", id, err)
	}
	return a, nil
}

// InsertAccount stores a new, active account.
func InsertAccount(ctx context.Context, db DBTX, a NewAccount) error {
	if err := dbsqlc.New().InsertAccount(ctx, db, a); err != nil {
		return fmt.Errorf("insert account %s: %w", a.ID, err)
	}
	return nil
}

// UpdateAccountDeclaration applies a declaration to an existing account;
// changed is false when it already said the same.
func UpdateAccountDeclaration(ctx context.Context, db DBTX, d AccountDeclaration) (changed bool, err error) {
	n, err := dbsqlc.New().UpdateAccountDeclaration(ctx, db, d)
	if err != nil {
		return false, fmt.Errorf("update account %s: %w", d.ID, err)
	}
	return n > 0, nil
}

// SetAccountState moves the account to state when it is in one of from;
// changed is false when it was not.
func SetAccountState(ctx context.Context, db DBTX, id, state, reason string, from ...string) (changed bool, err error) {
	var r *string
	if reason != "" {
		r = &reason
	}
	n, err := dbsqlc.New().SetAccountState(ctx, db, dbsqlc.SetAccountStateParams{State: state, StateReason: r, ID: id, FromStates: from})
	if err != nil {
		return false, fmt.Errorf("set account %s %s: %w", id, state, err)
	}
	return n > 0, nil
}

// SetAccountRefreshToken stores a sealed refresh token for the account.
func SetAccountRefreshToken(ctx context.Context, db DBTX, id, sealed string) error {
	n, err := dbsqlc.New().SetAccountRefreshToken(ctx, db, dbsqlc.SetAccountRefreshTokenParams{RefreshTokenSealed: &sealed, ID: id})
	if err != nil {
		return fmt.Errorf("set refresh token of account %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("account %q: %w", id, ErrNoAccount)
	}
	return nil
}

// ResealRefreshToken replaces the account's sealed token with the same
// token sealed under another key.
func ResealRefreshToken(ctx context.Context, db DBTX, id, sealed string) error {
	if err := dbsqlc.New().ResealRefreshToken(ctx, db, dbsqlc.ResealRefreshTokenParams{RefreshTokenSealed: &sealed, ID: id}); err != nil {
		return fmt.Errorf("reseal refresh token of account %s: %w", id, err)
	}
	return nil
}

// GetAccountsVersion reads the fingerprint workers compare before reloading.
func GetAccountsVersion(ctx context.Context, db DBTX) (string, error) {
	v, err := dbsqlc.New().AccountsVersion(ctx, db)
	if err != nil {
		return "", fmt.Errorf("read accounts version: %w", err)
	}
	return v, nil
}

// EnsureApplication stores the application if it is new.
func EnsureApplication(ctx context.Context, db DBTX, clientID string) error {
	if err := dbsqlc.New().EnsureApplication(ctx, db, clientID); err != nil {
		return fmt.Errorf("store application %s: %w", clientID, err)
	}
	return nil
}

// ListApplications returns every stored application.
func ListApplications(ctx context.Context, db DBTX) ([]*Application, error) {
	out, err := dbsqlc.New().ListApplications(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	return out, nil
}

// LockApplication reads the application and locks its row until db's
// transaction ends: rotation decisions and secret changes are serialised
// per application across workers.
func LockApplication(ctx context.Context, db DBTX, clientID string) (*Application, error) {
	a, err := dbsqlc.New().GetApplicationForUpdate(ctx, db, clientID)
	if err != nil {
		return nil, fmt.Errorf("lock application %s: %w", clientID, err)
	}
	return a, nil
}

// UpdateApplicationRotation writes the application's rotation bookkeeping.
func UpdateApplicationRotation(ctx context.Context, db DBTX, r ApplicationRotation) error {
	if err := dbsqlc.New().UpdateApplicationRotation(ctx, db, r); err != nil {
		return fmt.Errorf("update rotation of application %s: %w", r.ClientID, err)
	}
	return nil
}

// SetApplicationAllRefused records (at) or clears (nil) that LWA refuses
// every known secret of the application.
func SetApplicationAllRefused(ctx context.Context, db DBTX, clientID string, at *time.Time) error {
	if err := dbsqlc.New().SetApplicationAllRefused(ctx, db, dbsqlc.SetApplicationAllRefusedParams{AllRefusedAt: at, ClientID: clientID}); err != nil {
		return fmt.Errorf("record refusals of application %s: %w", clientID, err)
	}
	return nil
}

// ListApplicationSecrets returns every stored secret of every application.
func ListApplicationSecrets(ctx context.Context, db DBTX) ([]*ApplicationSecret, error) {
	out, err := dbsqlc.New().ListApplicationSecrets(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list client secrets: %w", err)
	}
	return out, nil
}

// LockSecretsOfApplication returns the application's secrets, locked until
// db's transaction ends.
func LockSecretsOfApplication(ctx context.Context, db DBTX, clientID string) ([]*ApplicationSecret, error) {
	out, err := dbsqlc.New().ListSecretsOfApplication(ctx, db, clientID)
	if err != nil {
		return nil, fmt.Errorf("list client secrets of %s: %w", clientID, err)
	}
	return out, nil
}

// InsertApplicationSecret stores a secret; stored is false when its
// notification was stored before (a redelivered message).
func InsertApplicationSecret(ctx context.Context, db DBTX, s NewApplicationSecret) (id int64, stored bool, err error) {
	id, err = dbsqlc.New().InsertApplicationSecret(ctx, db, s)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store client secret of %s: %w", s.ClientID, err)
	}
	return id, true, nil
}

// SetSecretState moves a secret to state (retired_at set once when
// retired).
func SetSecretState(ctx context.Context, db DBTX, id int64, state string, at time.Time) error {
	if err := dbsqlc.New().SetSecretState(ctx, db, dbsqlc.SetSecretStateParams{State: state, At: &at, ID: id}); err != nil {
		return fmt.Errorf("set client secret %d %s: %w", id, state, err)
	}
	return nil
}

// SetSecretExpiry records when a secret expires and how spsync knows.
func SetSecretExpiry(ctx context.Context, db DBTX, id int64, expires time.Time, source string) error {
	if err := dbsqlc.New().SetSecretExpiry(ctx, db, dbsqlc.SetSecretExpiryParams{ExpiresAt: &expires, ExpirySource: &source, ID: id}); err != nil {
		return fmt.Errorf("set expiry of client secret %d: %w", id, err)
	}
	return nil
}

// MarkSecretAccepted records that LWA accepted the secret at at.
func MarkSecretAccepted(ctx context.Context, db DBTX, id int64, at time.Time) error {
	if err := dbsqlc.New().MarkSecretAccepted(ctx, db, dbsqlc.MarkSecretAcceptedParams{At: &at, ID: id}); err != nil {
		return fmt.Errorf("mark client secret %d accepted: %w", id, err)
	}
	return nil
}

// MarkSecretRefused counts one LWA refusal of the secret at at.
func MarkSecretRefused(ctx context.Context, db DBTX, id int64, at time.Time) error {
	if err := dbsqlc.New().MarkSecretRefused(ctx, db, dbsqlc.MarkSecretRefusedParams{At: &at, ID: id}); err != nil {
		return fmt.Errorf("mark client secret %d refused: %w", id, err)
	}
	return nil
}

// ResealSecret replaces a secret's sealed value with the same secret sealed
// under another key.
func ResealSecret(ctx context.Context, db DBTX, id int64, sealed string) error {
	if err := dbsqlc.New().ResealSecret(ctx, db, dbsqlc.ResealSecretParams{SecretSealed: sealed, ID: id}); err != nil {
		return fmt.Errorf("reseal client secret %d: %w", id, err)
	}
	return nil
}
