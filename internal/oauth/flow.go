package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/store"
)

// FlowTTL is how long a seller has between opening the link (or arriving
// at the Login URI) and coming back with the code.
const FlowTTL = 15 * time.Minute

// Cookie names. Both are Secure, HttpOnly, SameSite=Lax (sent on Amazon's
// top-level redirect back to the callback) and limited to /oauth/.
const (
	// FlowCookie binds a flow's state to the browser that started it: its
	// value's SHA-256 is the flow's cookie_hash.
	FlowCookie = "spsync_oauth"
	// InviteCookie carries the invitation token of the link this browser
	// opened, for a seller who then arrives through the Login URI.
	InviteCookie = "spsync_invite"
)

// refusal is a flow step that ends with a refusal page: reason is the
// page and the log line's reason code.
type refusal struct {
	reason string
	// invitation and account, when known, go to the log line.
	invitation int64
	account    string
	err        error // an internal cause, logged (never a secret)
}

func (r *refusal) Error() string {
	if r.err != nil {
		return r.reason + ": " + r.err.Error()
	}
	return r.reason
}

func refuse(reason string) *refusal { return &refusal{reason: reason} }

func internalError(err error) *refusal { return &refusal{reason: ReasonInternal, err: err} }

// checkInvitation refuses an invitation that cannot be used at now.
func checkInvitation(inv Invitation, now time.Time) *refusal {
	switch {
	case inv.UsedAt != nil:
		return &refusal{reason: ReasonInvitationUsed, invitation: inv.ID}
	case !now.Before(inv.ExpiresAt):
		return &refusal{reason: ReasonInvitationExpired, invitation: inv.ID}
	}
	return nil
}

// started is a new flow: the state for Amazon, the cookie for the browser.
type started struct {
	state, cookie string
}

// startFlow stores a new flow f (its hashes filled in here).
func (s *Server) startFlow(ctx context.Context, db store.DBTX, f Flow) (started, error) {
	state, stateHash, err := NewToken()
	if err != nil {
		return started{}, err
	}
	cookie, cookieHash, err := NewToken()
	if err != nil {
		return started{}, err
	}
	now := s.now()
	f.StateHash, f.CookieHash = stateHash, cookieHash
	f.RedirectURI = s.cfg.RedirectURI()
	f.CreatedAt, f.ExpiresAt = now, now.Add(FlowTTL)
	if err := InsertFlow(ctx, db, f); err != nil {
		return started{}, fmt.Errorf("store the authorization flow: %w", err)
	}
	return started{state: state, cookie: cookie}, nil
}

// setCookie sets one of the flow's cookies; maxAge < 0 deletes it.
func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/oauth/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// callback is what Amazon's redirect carried.
type callback struct {
	state, spid, code string
	cookie            string // the FlowCookie's value, "" when absent
}

// authorized is a completed authorization.
type authorized struct {
	accountID string
	created   bool
	flow      Flow
}

// complete runs the callback: take the flow (once), exchange the code,
// and store the account with the invitation marked used.
func (s *Server) complete(ctx context.Context, cb callback) (authorized, *refusal) {
	now := s.now()
	flow, rf := s.takeFlow(ctx, cb, now)
	if rf != nil {
		return authorized{}, rf
	}
	inv, rf := s.precheck(ctx, flow, cb.spid)
	if rf != nil {
		return authorized{}, rf
	}
	g, err := s.ex.exchange(ctx, cb.code, flow.RedirectURI)
	switch {
	case errors.Is(err, ErrCodeRefused):
		return authorized{}, &refusal{reason: ReasonCodeRefused, invitation: inv.ID, account: flow.AccountID}
	case err != nil:
		return authorized{}, &refusal{reason: ReasonExchangeFailed, invitation: inv.ID, account: flow.AccountID, err: err}
	}
	token := g.refreshToken
	// A re-authorization replaces an existing account's token: prove first
	// that the token is that account's seller's (verify.go).
	target := flow.AccountID
	if inv.ReauthAccountID != "" {
		target = inv.ReauthAccountID
	}
	if target != "" {
		if rf := s.verifySeller(ctx, target, flow.Region, g.accessToken, inv.ID); rf != nil {
			return authorized{}, rf
		}
	}
	var out authorized
	rf = nil
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		au := accounts.Authorization{
			ReauthAccountID: flow.AccountID, SellingPartnerID: cb.spid, Region: flow.Region,
			ClientID: s.cfg.ClientID, RefreshToken: token, Now: s.now(),
		}
		if flow.InvitationID != nil {
			cur, err := LookupInvitationByID(ctx, tx, *flow.InvitationID, true)
			if err != nil {
				return err
			}
			if rf = checkInvitation(cur, s.now()); rf != nil {
				return rf
			}
			au.NewAccountID, au.MarketplaceIDs = cur.AccountID, cur.MarketplaceIDs
			if cur.ReauthAccountID != "" {
				au.ReauthAccountID = cur.ReauthAccountID
			}
		}
		id, created, err := s.admin.AuthorizeTx(ctx, tx, au)
		if err != nil {
			return err
		}
		if flow.InvitationID != nil {
			if err := MarkInvitationUsed(ctx, tx, *flow.InvitationID, cb.spid, au.Now); err != nil {
				return err
			}
		}
		out = authorized{accountID: id, created: created, flow: flow}
		return nil
	})
	switch {
	case err == nil:
		return out, nil
	case rf != nil:
		return authorized{}, rf
	case errors.Is(err, accounts.ErrWrongSeller):
		return authorized{}, &refusal{reason: ReasonWrongSeller, invitation: inv.ID, account: flow.AccountID}
	case errors.Is(err, accounts.ErrSellerHasAccount):
		return authorized{}, &refusal{reason: ReasonSellerHasAccount, invitation: inv.ID}
	case errors.Is(err, ErrInvitationUsed):
		return authorized{}, &refusal{reason: ReasonInvitationUsed, invitation: inv.ID}
	}
	return authorized{}, &refusal{reason: ReasonInternal, invitation: inv.ID, account: flow.AccountID, err: err}
}

// takeFlow consumes the flow of cb.state in its own transaction, which
// commits before the code is exchanged: a replayed state finds it consumed
// even while the first exchange runs. A state presented without the
// browser's cookie rolls back, so a stolen state cannot spend the seller's
// flow.
func (s *Server) takeFlow(ctx context.Context, cb callback, now time.Time) (Flow, *refusal) {
	var (
		flow Flow
		rf   *refusal
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		f, err := TakeFlow(ctx, tx, HashToken(cb.state), now)
		if errors.Is(err, ErrNoFlow) {
			rf = refuse(ReasonStateUnknown)
			return rf
		}
		if err != nil {
			return err
		}
		var inv int64
		if f.InvitationID != nil {
			inv = *f.InvitationID
		}
		switch {
		case f.ConsumedAt != nil:
			rf = &refusal{reason: ReasonStateReplayed, invitation: inv, account: f.AccountID}
		case !now.Before(f.ExpiresAt):
			rf = &refusal{reason: ReasonStateExpired, invitation: inv, account: f.AccountID}
		case cb.cookie == "":
			rf = &refusal{reason: ReasonCookieMissing, invitation: inv, account: f.AccountID}
		case subtle.ConstantTimeCompare(HashToken(cb.cookie), f.CookieHash) != 1:
			rf = &refusal{reason: ReasonCookieMismatch, invitation: inv, account: f.AccountID}
		}
		if rf != nil {
			return rf
		}
		flow = f
		return nil
	})
	if rf != nil {
		return Flow{}, rf
	}
	if err != nil {
		return Flow{}, internalError(fmt.Errorf("take the authorization flow: %w", err))
	}
	return flow, nil
}

// precheck refuses, before the code is exchanged, what the account write
// would refuse anyway: an exchanged code gives the seller a new
// authorization, and one that cannot be stored should not be issued. It
// returns the flow's invitation (zero for a Login-URI renewal).
func (s *Server) precheck(ctx context.Context, flow Flow, spid string) (Invitation, *refusal) {
	var (
		inv Invitation
		rf  *refusal
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		reauth := flow.AccountID
		if flow.InvitationID != nil {
			var err error
			if inv, err = LookupInvitationByID(ctx, tx, *flow.InvitationID, false); err != nil {
				return err
			}
			if rf = checkInvitation(inv, s.now()); rf != nil {
				return nil
			}
			if inv.ReauthAccountID != "" {
				reauth = inv.ReauthAccountID
			}
		}
		if reauth != "" {
			acc, err := store.GetAccount(ctx, tx, reauth, false)
			if err != nil {
				return err
			}
			if acc.SellingPartnerID != nil && *acc.SellingPartnerID != spid {
				rf = &refusal{reason: ReasonWrongSeller, invitation: inv.ID, account: reauth}
			}
			return nil
		}
		if other, err := accounts.FindBySellingPartner(ctx, tx, spid, flow.Region); err != nil {
			return err
		} else if other != "" && flow.Region != "fe" {
			// In fe a seller may hold one account per marketplace:
			// AuthorizeTx decides there.
			rf = &refusal{reason: ReasonSellerHasAccount, invitation: inv.ID, account: other}
		}
		return nil
	})
	if err != nil {
		return inv, internalError(fmt.Errorf("check the authorization: %w", err))
	}
	return inv, rf
}

// consentURL is Seller Central's consent page for a flow of state.
func (s *Server) consentURL(base, state string) string {
	q := url.Values{
		"application_id": {s.cfg.ApplicationID},
		"state":          {state},
		"redirect_uri":   {s.cfg.RedirectURI()},
	}
	if s.cfg.Beta {
		q.Set("version", "beta")
	}
	return base + "/apps/authorize/consent?" + q.Encode()
}

// loginRedirect is the amazon_callback_uri with Amazon's and spsync's
// states: Seller Central then shows the consent page.
func (s *Server) loginRedirect(callbackURI, amazonState, state string, beta bool) (string, error) {
	u, err := url.Parse(callbackURI)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("amazon_state", amazonState)
	q.Set("state", state)
	q.Set("redirect_uri", s.cfg.RedirectURI())
	if beta || s.cfg.Beta {
		q.Set("version", "beta")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
