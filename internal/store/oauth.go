package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// Invitations and authorization flows of the website authorization workflow
// (migration 00024). internal/oauth makes the tokens and decides; these
// functions only read and write rows keyed by SHA-256 hashes, so no token,
// state or cookie value ever reaches the database or an error here.

type (
	// OAuthInvitation is one stored invitation.
	OAuthInvitation = dbsqlc.OauthInvitation
	// NewOAuthInvitation is an invitation to insert.
	NewOAuthInvitation = dbsqlc.InsertOAuthInvitationParams
	// OAuthFlow is one stored authorization flow.
	OAuthFlow = dbsqlc.OauthFlow
	// NewOAuthFlow is a flow to insert.
	NewOAuthFlow = dbsqlc.InsertOAuthFlowParams
	// SellerAccount is an account of a selling partner in a region.
	SellerAccount = dbsqlc.AccountsBySellingPartnerRow
)

var (
	// ErrNoOAuthInvitation is returned for a token hash or id with no
	// invitation.
	ErrNoOAuthInvitation = errors.New("no such invitation")
	// ErrNoOAuthFlow is returned for a state hash with no flow.
	ErrNoOAuthFlow = errors.New("no such authorization flow")
)

// InsertOAuthInvitation stores an invitation and returns it with its id.
func InsertOAuthInvitation(ctx context.Context, db DBTX, inv NewOAuthInvitation) (*OAuthInvitation, error) {
	out, err := dbsqlc.New().InsertOAuthInvitation(ctx, db, inv)
	if err != nil {
		return nil, fmt.Errorf("store invitation for region %s: %w", inv.Region, err)
	}
	return out, nil
}

// GetOAuthInvitationByTokenHash returns the invitation whose token hashes
// to hash; with forUpdate its row stays locked until db's transaction ends.
// ErrNoOAuthInvitation when there is none.
func GetOAuthInvitationByTokenHash(ctx context.Context, db DBTX, hash []byte, forUpdate bool) (*OAuthInvitation, error) {
	q := dbsqlc.New()
	var (
		inv *OAuthInvitation
		err error
	)
	if forUpdate {
		inv, err = q.GetOAuthInvitationByTokenHashForUpdate(ctx, db, hash)
	} else {
		inv, err = q.GetOAuthInvitationByTokenHash(ctx, db, hash)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoOAuthInvitation
	}
	if err != nil {
		return nil, fmt.Errorf("read invitation: %w", err)
	}
	return inv, nil
}

// GetOAuthInvitation returns the invitation id; with forUpdate its row
// stays locked until db's transaction ends. ErrNoOAuthInvitation when there
// is none.
func GetOAuthInvitation(ctx context.Context, db DBTX, id int64, forUpdate bool) (*OAuthInvitation, error) {
	q := dbsqlc.New()
	var (
		inv *OAuthInvitation
		err error
	)
	if forUpdate {
		inv, err = q.GetOAuthInvitationForUpdate(ctx, db, id)
	} else {
		inv, err = q.GetOAuthInvitation(ctx, db, id)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("invitation %d: %w", id, ErrNoOAuthInvitation)
	}
	if err != nil {
		return nil, fmt.Errorf("read invitation %d: %w", id, err)
	}
	return inv, nil
}

// MarkOAuthInvitationUsed records that the seller sellingPartnerID used the
// invitation at at; marked is false when it was used already.
func MarkOAuthInvitationUsed(ctx context.Context, db DBTX, id int64, sellingPartnerID string, at time.Time) (marked bool, err error) {
	n, err := dbsqlc.New().MarkOAuthInvitationUsed(ctx, db, dbsqlc.MarkOAuthInvitationUsedParams{
		UsedAt: &at, SellingPartnerID: &sellingPartnerID, ID: id,
	})
	if err != nil {
		return false, fmt.Errorf("mark invitation %d used: %w", id, err)
	}
	return n > 0, nil
}

// InsertOAuthFlow stores a flow.
func InsertOAuthFlow(ctx context.Context, db DBTX, f NewOAuthFlow) error {
	if err := dbsqlc.New().InsertOAuthFlow(ctx, db, f); err != nil {
		return fmt.Errorf("store %s authorization flow: %w", f.Kind, err)
	}
	return nil
}

// LockOAuthFlow returns the flow whose state hashes to stateHash, its row
// locked until db's transaction ends. ErrNoOAuthFlow when there is none.
func LockOAuthFlow(ctx context.Context, db DBTX, stateHash []byte) (*OAuthFlow, error) {
	f, err := dbsqlc.New().GetOAuthFlowForUpdate(ctx, db, stateHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoOAuthFlow
	}
	if err != nil {
		return nil, fmt.Errorf("read authorization flow: %w", err)
	}
	return f, nil
}

// ConsumeOAuthFlow marks the flow consumed at at, unless it was already.
func ConsumeOAuthFlow(ctx context.Context, db DBTX, stateHash []byte, at time.Time) error {
	if err := dbsqlc.New().ConsumeOAuthFlow(ctx, db, dbsqlc.ConsumeOAuthFlowParams{ConsumedAt: &at, StateHash: stateHash}); err != nil {
		return fmt.Errorf("consume authorization flow: %w", err)
	}
	return nil
}

// AccountsOfSellingPartner returns the accounts, not removed, of the seller
// in region, by id. It locks nothing: writers serialise on
// LockSellingPartner.
func AccountsOfSellingPartner(ctx context.Context, db DBTX, sellingPartnerID, region string) ([]*SellerAccount, error) {
	out, err := dbsqlc.New().AccountsBySellingPartner(ctx, db, dbsqlc.AccountsBySellingPartnerParams{
		SellingPartnerID: &sellingPartnerID, Region: region,
	})
	if err != nil {
		return nil, fmt.Errorf("find accounts of selling partner %s in %s: %w", sellingPartnerID, region, err)
	}
	return out, nil
}

// SetAccountLastAuthorized records when spsync last received a refresh
// token for the account from its seller.
func SetAccountLastAuthorized(ctx context.Context, db DBTX, id string, at time.Time) error {
	n, err := dbsqlc.New().SetAccountLastAuthorized(ctx, db, dbsqlc.SetAccountLastAuthorizedParams{LastAuthorizedAt: &at, ID: id})
	if err != nil {
		return fmt.Errorf("set last authorization of account %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("account %q: %w", id, ErrNoAccount)
	}
	return nil
}

// LockSellingPartner serialises, until db's transaction ends, the
// authorizations of one seller in one region: two callbacks for a seller
// with no account yet would otherwise both find none and both create one.
func LockSellingPartner(ctx context.Context, db DBTX, sellingPartnerID, region string) error {
	if _, err := db.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('spsync.oauth.seller/' || $1::text || '/' || $2::text, 0))`,
		sellingPartnerID, region); err != nil {
		return fmt.Errorf("lock authorizations of selling partner %s in %s: %w", sellingPartnerID, region, err)
	}
	return nil
}
