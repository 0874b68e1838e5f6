package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/store"
)

// Invitations: an operator's link ({SPSYNC_OAUTH_BASE_URL}/oauth/invite/
// {token}) that lets one seller authorize spsync once, before it expires.
// The token is the only proof the link was given by the operator, so only
// its SHA-256 is stored and it appears in no log, error or job.

// InviteRequest is an invitation an operator creates.
type InviteRequest struct {
	Region         string
	MarketplaceIDs []string
	// AccountID is the id for the new account ("" → derived from the
	// selling partner id: accounts.DerivedAccountID).
	AccountID string
	// ReauthAccountID re-authorizes this existing account instead; Region
	// and MarketplaceIDs default to the account's.
	ReauthAccountID string
	// TTL is how long the link works (0 → DefaultInvitationTTL).
	TTL time.Duration
	Now time.Time
}

// Invitation is a stored invitation, without its token.
type Invitation struct {
	ID              int64
	Region          string
	MarketplaceIDs  []string
	AccountID       string
	ReauthAccountID string
	CreatedAt       time.Time
	ExpiresAt       time.Time
	UsedAt          *time.Time
}

// DefaultInvitationTTL is how long an invitation works unless told.
const DefaultInvitationTTL = 7 * 24 * time.Hour

var (
	// ErrNoInvitation: no invitation has the token (or id).
	ErrNoInvitation = errors.New("oauth: no such invitation")
	// ErrInvitationUsed: MarkInvitationUsed on an invitation a seller used
	// already.
	ErrInvitationUsed = errors.New("oauth: the invitation was used already")
)

// tokenBytes is the entropy of an invitation token and of a state.
const tokenBytes = 32

// NewToken returns a new random token (32 bytes from crypto/rand,
// base64url without padding) and its SHA-256, the only form stored.
func NewToken() (token string, hash []byte, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("oauth: read random bytes: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken returns the SHA-256 of a token, state or cookie value: what the
// tables hold and lookups compare.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Invite stores a new invitation and returns its token (for the link,
// shown once) and the invitation. A re-authorization invitation takes the
// account's region and marketplaces; a new-account one needs both, and an
// AccountID that no account has yet.
func Invite(ctx context.Context, pool *pgxpool.Pool, req InviteRequest) (token string, inv Invitation, err error) {
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	ttl := req.TTL
	if ttl == 0 {
		ttl = DefaultInvitationTTL
	}
	if ttl < 0 {
		return "", Invitation{}, fmt.Errorf("invitation lifetime %s: give a positive duration, e.g. 72h", ttl)
	}
	if req.AccountID != "" && req.ReauthAccountID != "" {
		return "", Invitation{}, errors.New("an invitation either creates an account (--id) or re-authorizes one (--account), not both")
	}
	token, hash, err := NewToken()
	if err != nil {
		return "", Invitation{}, err
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		row := store.NewOAuthInvitation{TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(ttl)}
		region := strings.ToLower(strings.TrimSpace(req.Region))
		mps := req.MarketplaceIDs
		if id := req.ReauthAccountID; id != "" {
			acc, err := store.GetAccount(ctx, tx, id, false)
			if errors.Is(err, store.ErrNoAccount) {
				return fmt.Errorf("account %q does not exist: `worker accounts list` shows the accounts", id)
			}
			if err != nil {
				return err
			}
			if acc.State == store.AccountRemoved {
				return fmt.Errorf("account %s is removed: bring it back with `worker accounts resume %s` first", id, id)
			}
			if region == "" {
				region = acc.Region
			}
			if region != acc.Region {
				return fmt.Errorf("account %s is in region %s, not %s", id, acc.Region, region)
			}
			if len(mps) == 0 {
				mps = acc.MarketplaceIds
			}
			row.ReauthAccountID = &id
		}
		if !slices.Contains(config.Regions, region) {
			return fmt.Errorf("unknown region %q: use one of %s", req.Region, strings.Join(config.Regions, ", "))
		}
		mps, err := accounts.NormalizeMarketplaceIDs(region, mps)
		if err != nil {
			return err
		}
		row.Region, row.MarketplaceIds = region, mps
		if id := req.AccountID; id != "" {
			if err := accounts.ValidateAccountID(id); err != nil {
				return err
			}
			switch _, err := store.GetAccount(ctx, tx, id, false); {
			case err == nil:
				return fmt.Errorf("account %s exists: re-authorize it with --account %s", id, id)
			case !errors.Is(err, store.ErrNoAccount):
				return err
			}
			row.AccountID = &id
		}
		stored, err := store.InsertOAuthInvitation(ctx, tx, row)
		if err != nil {
			return err
		}
		inv = invitationOf(stored)
		return nil
	})
	if err != nil {
		return "", Invitation{}, err
	}
	return token, inv, nil
}

// LookupInvitation returns the invitation of token, expired and used ones
// included (the caller says which); with forUpdate its row stays locked
// until tx ends. ErrNoInvitation when there is none.
func LookupInvitation(ctx context.Context, tx pgx.Tx, token string, forUpdate bool) (Invitation, error) {
	row, err := store.GetOAuthInvitationByTokenHash(ctx, tx, HashToken(token), forUpdate)
	if errors.Is(err, store.ErrNoOAuthInvitation) {
		return Invitation{}, ErrNoInvitation
	}
	if err != nil {
		return Invitation{}, err
	}
	return invitationOf(row), nil
}

// LookupInvitationByID is LookupInvitation by the invitation's id (a
// flow's invitation_id).
func LookupInvitationByID(ctx context.Context, tx pgx.Tx, id int64, forUpdate bool) (Invitation, error) {
	row, err := store.GetOAuthInvitation(ctx, tx, id, forUpdate)
	if errors.Is(err, store.ErrNoOAuthInvitation) {
		return Invitation{}, fmt.Errorf("invitation %d: %w", id, ErrNoInvitation)
	}
	if err != nil {
		return Invitation{}, err
	}
	return invitationOf(row), nil
}

// MarkInvitationUsed records that the seller sellingPartnerID used the
// invitation at now. ErrInvitationUsed when a seller used it already,
// ErrNoInvitation when there is none.
func MarkInvitationUsed(ctx context.Context, tx pgx.Tx, id int64, sellingPartnerID string, now time.Time) error {
	marked, err := store.MarkOAuthInvitationUsed(ctx, tx, id, sellingPartnerID, now)
	if err != nil {
		return err
	}
	if marked {
		return nil
	}
	if _, err := LookupInvitationByID(ctx, tx, id, false); err != nil {
		return err
	}
	return fmt.Errorf("invitation %d: %w", id, ErrInvitationUsed)
}

func invitationOf(r *store.OAuthInvitation) Invitation {
	inv := Invitation{ID: r.ID, Region: r.Region, MarketplaceIDs: r.MarketplaceIds,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, UsedAt: r.UsedAt}
	if r.AccountID != nil {
		inv.AccountID = *r.AccountID
	}
	if r.ReauthAccountID != nil {
		inv.ReauthAccountID = *r.ReauthAccountID
	}
	return inv
}
