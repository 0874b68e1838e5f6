package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
)

// Accounts a seller authorizes through Amazon's website authorization
// workflow (internal/oauth): the callback has exchanged the seller's code
// for a refresh token (after consuming the flow in a transaction of its
// own) and calls AuthorizeTx in the transaction that marks the invitation
// used, so an account is written only together with the invitation it
// used.

// DeclaredByOAuth is accounts.declared_by of an account created by a
// seller's authorization.
const DeclaredByOAuth = "oauth"

// Authorization is a seller's completed authorization.
type Authorization struct {
	// NewAccountID is the id for a new account ("" → DerivedAccountID).
	NewAccountID string
	// ReauthAccountID is set for an invitation or Login-URI flow that
	// re-authorizes this existing account.
	ReauthAccountID  string
	SellingPartnerID string
	Region           string
	MarketplaceIDs   []string
	// ClientID is the LWA client id the refresh token was issued to.
	ClientID     string
	RefreshToken string
	Now          time.Time
}

var (
	// ErrWrongSeller: a re-authorization was completed by another seller
	// than the account's.
	ErrWrongSeller = errors.New("the authorization is for another seller")
	// ErrSellerHasAccount: a new-account invitation was completed by a
	// seller who has an account for it already (wrapped with its id).
	ErrSellerHasAccount = errors.New("this seller already has an account")
)

// marketplacesByRegion are the SP-API marketplaces of each region
// (developer-docs.amazon.com/sp-api/docs/marketplace-ids), in Amazon's
// order.
var marketplacesByRegion = map[string][]string{
	"na": {"A2EUQ1WTGCTBG2", "ATVPDKIKX0DER", "A1AM78C64UM0Y8", "A2Q3Y263D00KWC"},
	"eu": {"A28R8C7NBKEWEA", "A1RKKUPIHCS9HS", "A1F83G8C2ARO7P", "A13V1IB3VIYZZH", "AMEN7PMS3EDWL", "A1805IZSGTT6HS",
		"A1PA6795UKMFR9", "APJ6JRA9NG5V4", "A2NODRKZP88ZB9", "AE08WJ6YKNBMC", "A1C3SOZRARQ6R3", "ARBP9OOSHTCHU",
		"A33AVAJ2PDY3EV", "A17E79C6D8DWNP", "A2VIGQ35RCS4UG", "A21TJRUUN4KGV"},
	"fe": {"A19VAU5U5O7RUS", "A39IBJ37TRP1C6", "A1VC38T7YXB528"},
}

// MarketplacesOfRegion returns the marketplace ids of region (nil for an
// unknown region).
func MarketplacesOfRegion(region string) []string {
	return slices.Clone(marketplacesByRegion[region])
}

// RegionOfMarketplace returns the region of a known marketplace id, ""
// for an id spsync does not know (a marketplace newer than this table).
func RegionOfMarketplace(id string) string {
	for r, ids := range marketplacesByRegion {
		if slices.Contains(ids, id) {
			return r
		}
	}
	return ""
}

// ValidateAccountID checks an account id as `worker accounts add` does.
func ValidateAccountID(id string) error {
	if !accountIDPattern.MatchString(id) {
		return fmt.Errorf("account id %q: use letters, digits, '.', '_' or '-' (at most 63), like seller-us", id)
	}
	return nil
}

// NormalizeMarketplaceIDs upper-cases and de-duplicates ids, refusing
// one that is not a marketplace id or is known to be another region's.
func NormalizeMarketplaceIDs(region string, ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, m := range ids {
		m = strings.ToUpper(strings.TrimSpace(m))
		if !marketplaceIDPattern.MatchString(m) {
			return nil, fmt.Errorf("%q is not a marketplace id like ATVPDKIKX0DER", m)
		}
		if r := RegionOfMarketplace(m); r != "" && r != region {
			return nil, fmt.Errorf("marketplace %s is in region %s, not %s", m, r, region)
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no marketplace ids: region %s has %s", region, strings.Join(marketplacesByRegion[region], ", "))
	}
	return out, nil
}

// DerivedAccountID is the id of an account a seller's authorization
// creates when the invitation named none.
func DerivedAccountID(sellingPartnerID, region string) string {
	return strings.ToLower(sellingPartnerID) + "-" + region
}

// FindBySellingPartner returns the non-removed account of the seller in
// region ("" when none); with several (Far East marketplaces authorized
// one by one) the first by id.
func FindBySellingPartner(ctx context.Context, db store.DBTX, spid, region string) (string, error) {
	accs, err := store.AccountsOfSellingPartner(ctx, db, spid, region)
	if err != nil || len(accs) == 0 {
		return "", err
	}
	return accs[0].ID, nil
}

// sameAuthorization reports whether an account of the seller in region
// already covers an authorization for marketplaces. Amazon authorizes a
// seller per region, but a Far East seller may need one authorization per
// marketplace (selling-partner-api-docs#2384): there an account matches
// only when it shares a marketplace, so a second fe marketplace gets an
// account of its own.
func sameAuthorization(region string, accountMarketplaces, marketplaces []string) bool {
	if region != "fe" {
		return true
	}
	return slices.ContainsFunc(marketplaces, func(m string) bool { return slices.Contains(accountMarketplaces, m) })
}

// AuthorizeTx creates the account (active, sealed token, last_authorized_at
// = Now) or, for ReauthAccountID, replaces its refresh token, resuming it
// from its cursors when it needed re-authorization (as SetRefreshToken).
// A new account for a seller with one already in the region (in fe: for one
// of the marketplaces) is refused with ErrSellerHasAccount: the operator
// sends a re-authorization link instead. Returns the account id and whether
// it was created. Errors never carry the token.
func (a *Admin) AuthorizeTx(ctx context.Context, tx pgx.Tx, au Authorization) (id string, created bool, err error) {
	keys, err := a.keys()
	if err != nil {
		return "", false, err
	}
	if !sellingPartnerIDPattern.MatchString(au.SellingPartnerID) {
		return "", false, fmt.Errorf("selling partner id %q is not a merchant token like A3TH9S8BH6GOGM", au.SellingPartnerID)
	}
	if !slices.Contains(config.Regions, au.Region) {
		return "", false, fmt.Errorf("unknown region %q: use one of %s", au.Region, strings.Join(config.Regions, ", "))
	}
	token := strings.TrimSpace(au.RefreshToken)
	if token == "" {
		return "", false, errors.New("the authorization brought no refresh token")
	}
	if au.ClientID == "" || strings.ContainsAny(au.ClientID, " \t\r\n") {
		return "", false, errors.New("the authorization names no LWA client id")
	}
	now := au.Now
	if now.IsZero() {
		now = a.now()
	}
	if err := checkKeyIDs(ctx, tx, keys); err != nil {
		return "", false, err
	}
	if err := store.LockSellingPartner(ctx, tx, au.SellingPartnerID, au.Region); err != nil {
		return "", false, err
	}
	if au.ReauthAccountID != "" {
		return au.ReauthAccountID, false, a.reauthorize(ctx, tx, keys, au, token, now)
	}
	mps, err := NormalizeMarketplaceIDs(au.Region, au.MarketplaceIDs)
	if err != nil {
		return "", false, err
	}
	others, err := store.AccountsOfSellingPartner(ctx, tx, au.SellingPartnerID, au.Region)
	if err != nil {
		return "", false, err
	}
	for _, o := range others {
		if sameAuthorization(au.Region, o.MarketplaceIds, mps) {
			return "", false, fmt.Errorf("%w: %s (region %s, marketplaces %s)", ErrSellerHasAccount, o.ID, au.Region, strings.Join(o.MarketplaceIds, ","))
		}
	}
	id = au.NewAccountID
	if id == "" {
		id = DerivedAccountID(au.SellingPartnerID, au.Region)
		if len(others) > 0 {
			// A second Far East marketplace of the seller: the derived id
			// is the first account's.
			id += "-" + strings.ToLower(mps[0])
		}
	}
	if err := ValidateAccountID(id); err != nil {
		return "", false, err
	}
	switch existing, err := store.GetAccount(ctx, tx, id, false); {
	case err == nil:
		return "", false, fmt.Errorf("account %s exists (%s): the seller's authorization cannot create it", id, existing.State)
	case !errors.Is(err, store.ErrNoAccount):
		return "", false, err
	}
	if err := store.EnsureApplication(ctx, tx, au.ClientID); err != nil {
		return "", false, err
	}
	sealed, err := keys.Seal(RefreshTokenBinding(id), token)
	if err != nil {
		return "", false, err
	}
	spid := au.SellingPartnerID
	if err := store.InsertAccount(ctx, tx, store.NewAccount{
		ID: id, Region: au.Region, MarketplaceIds: mps, SellingPartnerID: &spid, ClientID: au.ClientID,
		OrdersApi: config.OrdersAPI2026, RefreshTokenSealed: &sealed, DeclaredBy: DeclaredByOAuth,
	}); err != nil {
		return "", false, err
	}
	if err := store.SetAccountLastAuthorized(ctx, tx, id, now); err != nil {
		return "", false, err
	}
	return id, true, nil
}

// reauthorize gives the existing account au.ReauthAccountID the seller's
// new refresh token. An account stored without a selling partner id (an
// "unmatched" one) takes the seller's, unless another account has it.
func (a *Admin) reauthorize(ctx context.Context, tx pgx.Tx, keys *secretbox.Keyring, au Authorization, token string, now time.Time) error {
	id := au.ReauthAccountID
	acc, err := store.GetAccount(ctx, tx, id, true)
	if err != nil {
		return noAccount(id, err)
	}
	if acc.SellingPartnerID != nil && *acc.SellingPartnerID != au.SellingPartnerID {
		return fmt.Errorf("%w: account %s is selling partner %s's, the authorization %s's", ErrWrongSeller, id, *acc.SellingPartnerID, au.SellingPartnerID)
	}
	if acc.Region != au.Region {
		return fmt.Errorf("account %s is in region %s, the authorization for %s", id, acc.Region, au.Region)
	}
	spid := acc.SellingPartnerID
	if spid == nil {
		others, err := store.AccountsOfSellingPartner(ctx, tx, au.SellingPartnerID, au.Region)
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.ID != id && sameAuthorization(au.Region, o.MarketplaceIds, acc.MarketplaceIds) {
				return fmt.Errorf("%w: %s, not %s", ErrSellerHasAccount, o.ID, id)
			}
		}
		spid = &au.SellingPartnerID
	}
	if acc.SellingPartnerID == nil || acc.ClientID != au.ClientID {
		// The token belongs to the application the seller authorized.
		if err := store.EnsureApplication(ctx, tx, au.ClientID); err != nil {
			return err
		}
		if _, err := store.UpdateAccountDeclaration(ctx, tx, store.AccountDeclaration{
			ID: id, Region: acc.Region, MarketplaceIds: acc.MarketplaceIds, SellingPartnerID: spid,
			ClientID: au.ClientID, OrdersApi: acc.OrdersApi,
		}); err != nil {
			return err
		}
	}
	return replaceRefreshToken(ctx, tx, keys, acc, token, now)
}

// replaceRefreshToken stores token as the locked account acc's refresh
// token, authorized at now. An account that needed re-authorization
// becomes active and its jobs, cancelled with ReauthReason, are re-queued:
// it continues from its cursors. A paused or removed account keeps its
// state (one removed while it needed re-authorization may then be resumed).
func replaceRefreshToken(ctx context.Context, tx pgx.Tx, keys *secretbox.Keyring, acc *store.AccountRow, token string, now time.Time) error {
	id := acc.ID
	sealed, err := keys.Seal(RefreshTokenBinding(id), token)
	if err != nil {
		return err
	}
	if err := store.SetAccountRefreshToken(ctx, tx, id, sealed); err != nil {
		return err
	}
	if err := store.SetAccountLastAuthorized(ctx, tx, id, now); err != nil {
		return err
	}
	switch {
	case acc.State == store.AccountNeedsReauth:
		if _, err := store.SetAccountState(ctx, tx, id, store.AccountActive, "", store.AccountNeedsReauth); err != nil {
			return err
		}
		_, err = riverext.RetryAccountJobs(ctx, tx, id, ReauthReason(id))
		return err
	case acc.State == store.AccountRemoved && acc.StateReason != nil && strings.HasSuffix(*acc.StateReason, removedWhileReauth):
		// The token is new: Resume may bring it back.
		_, err = store.SetAccountState(ctx, tx, id, store.AccountRemoved, RemoveReason(id), store.AccountRemoved)
		return err
	}
	return nil
}
