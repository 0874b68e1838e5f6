package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store"
)

// Flows: one row per trip to Seller Central's consent page, keyed by the
// SHA-256 of the state sent there and bound to the browser by the SHA-256
// of its cookie. A callback takes its flow once (TakeFlow) in a
// transaction of its own, committed before the code is exchanged, so a
// replayed state finds it consumed even while the first exchange runs.

// Flow is a stored authorization flow, without its state or cookie.
type Flow struct {
	StateHash, CookieHash []byte
	// InvitationID is the invitation the flow uses; nil for a Login-URI
	// renewal of AccountID.
	InvitationID *int64
	// AccountID is the existing account a Login-URI renewal re-authorizes.
	AccountID   string
	Region      string
	Kind        string
	RedirectURI string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	ConsumedAt  *time.Time
}

// Flow kinds (oauth_flows.kind): started by an invitation link, or by
// Seller Central at the application's Login URI.
const FlowKindInvitation, FlowKindLogin = "invitation", "login"

// ErrNoFlow: no flow has the state.
var ErrNoFlow = errors.New("oauth: no such authorization flow")

// InsertFlow stores f. CreatedAt defaults to now; ExpiresAt must be set.
func InsertFlow(ctx context.Context, db store.DBTX, f Flow) error {
	if f.ExpiresAt.IsZero() {
		return errors.New("oauth: a flow needs an expiry")
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = time.Now()
	}
	if f.Kind != FlowKindInvitation && f.Kind != FlowKindLogin {
		return fmt.Errorf("oauth: flow kind %q: use %s or %s", f.Kind, FlowKindInvitation, FlowKindLogin)
	}
	var account *string
	if f.AccountID != "" {
		account = &f.AccountID
	}
	return store.InsertOAuthFlow(ctx, db, store.NewOAuthFlow{
		StateHash: f.StateHash, CookieHash: f.CookieHash, InvitationID: f.InvitationID, AccountID: account,
		Region: f.Region, Kind: f.Kind, RedirectUri: f.RedirectURI, CreatedAt: f.CreatedAt, ExpiresAt: f.ExpiresAt,
	})
}

// TakeFlow locks the flow row (FOR UPDATE) and returns it as it was, then
// marks it consumed (consumed_at = now) if it was not; the caller decides
// from the returned ConsumedAt/ExpiresAt. Of two callbacks with one state,
// the second waits for the first's transaction and then sees ConsumedAt
// set (or, if the first rolled back, takes the flow itself).
func TakeFlow(ctx context.Context, tx pgx.Tx, stateHash []byte, now time.Time) (Flow, error) {
	row, err := store.LockOAuthFlow(ctx, tx, stateHash)
	if errors.Is(err, store.ErrNoOAuthFlow) {
		return Flow{}, ErrNoFlow
	}
	if err != nil {
		return Flow{}, err
	}
	f := Flow{StateHash: row.StateHash, CookieHash: row.CookieHash, InvitationID: row.InvitationID,
		Region: row.Region, Kind: row.Kind, RedirectURI: row.RedirectUri,
		CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt, ConsumedAt: row.ConsumedAt}
	if row.AccountID != nil {
		f.AccountID = *row.AccountID
	}
	if f.ConsumedAt == nil {
		if err := store.ConsumeOAuthFlow(ctx, tx, stateHash, now); err != nil {
			return Flow{}, err
		}
	}
	return f, nil
}
