package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/spapi"
)

// Options configure a Server.
type Options struct {
	Config Config
	Pool   *pgxpool.Pool
	// Keys seal the refresh tokens and open the application's client
	// secrets; required.
	Keys *secretbox.Keyring
	// LWAEndpoint is the token URL the codes are exchanged at
	// (spapi.DefaultLWAEndpoint when empty).
	LWAEndpoint string
	// SPAPIEndpoint overrides the region's SP-API URL for the one call
	// that checks a re-authorizing seller (the simulator, a proxy).
	SPAPIEndpoint string
	// Budget is the shared rate budget: the seller check's getOrder
	// draws on the account's bucket like its refresh jobs, so it takes a
	// token and reports Amazon's answer (nil: no budget, tests).
	Budget     jobs.Budget
	HTTPClient *http.Client
	// Now is the clock of invitations and flows (time.Now when nil).
	Now func() time.Time
	// CredentialClock is the clock of client secret expiries (Now when
	// nil), as the workers' registries use.
	CredentialClock func() time.Time
	Logger          *slog.Logger
}

// Server serves the onboarding paths. It holds no state of its own: flows
// live in Postgres, so any worker's listener can finish a flow another
// began.
type Server struct {
	cfg    Config
	pool   *pgxpool.Pool
	admin  *accounts.Admin
	ex     *exchanger
	sc     SellerCentral
	now    func() time.Time
	logger *slog.Logger
	// spapiEndpoint, httpClient and budget serve the seller check's
	// SP-API call.
	spapiEndpoint string
	httpClient    *http.Client
	budget        jobs.Budget
}

// New checks opts and returns a Server.
func New(opts Options) (*Server, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	if opts.Config.BaseURL == "" || opts.Config.ApplicationID == "" || opts.Config.ClientID == "" {
		return nil, errors.New("oauth: the configuration needs a base URL, an application id and a client id")
	}
	if opts.Keys == nil || opts.Keys.Current == nil {
		return nil, errors.New("oauth: the onboarding listener needs a secret key (SPSYNC_SECRET_KEY): refresh tokens are stored sealed")
	}
	if opts.Pool == nil {
		return nil, errors.New("oauth: no database pool")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CredentialClock == nil {
		opts.CredentialClock = opts.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.LWAEndpoint == "" {
		opts.LWAEndpoint = spapi.DefaultLWAEndpoint
	}
	return &Server{
		cfg:   opts.Config,
		pool:  opts.Pool,
		admin: &accounts.Admin{Pool: opts.Pool, Keys: opts.Keys, Now: opts.CredentialClock},
		ex: &exchanger{db: opts.Pool, keys: opts.Keys, clientID: opts.Config.ClientID,
			endpoint: opts.LWAEndpoint, http: opts.HTTPClient, now: opts.CredentialClock},
		sc:            SellerCentral{Override: opts.Config.SellerCentralURL},
		now:           opts.Now,
		logger:        opts.Logger,
		spapiEndpoint: opts.SPAPIEndpoint,
		httpClient:    opts.HTTPClient,
		budget:        opts.Budget,
	}, nil
}

// Handler serves GET /oauth/invite/{token}, /oauth/callback and
// /oauth/login, and a 404 page for everything else: the listener may be
// exposed to the internet, so nothing of the operator's (metrics, River
// UI, health) is reachable on it.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/invite/{token}", s.invite)
	mux.HandleFunc("GET /oauth/callback", s.callback)
	mux.HandleFunc("GET /oauth/login", s.login)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		render(w, refusalPage(ReasonNotFound))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'")
		// A method the mux does not route (POST /oauth/callback) is
		// answered by the 404 page too, never with the mux's 405 and
		// Allow header.
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			render(w, refusalPage(ReasonNotFound))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// refused renders the refusal page and writes its one log line: the
// reason, and the invitation and account when known, never a token,
// state, cookie or code.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, step string, rf *refusal) {
	attrs := []any{"step", step, "reason", rf.reason}
	if rf.invitation != 0 {
		attrs = append(attrs, "invitation", rf.invitation)
	}
	if rf.account != "" {
		attrs = append(attrs, "account", rf.account)
	}
	if rf.err != nil {
		attrs = append(attrs, "err", rf.err.Error())
	}
	level := slog.LevelWarn
	if rf.reason == ReasonInternal || rf.reason == ReasonExchangeFailed {
		level = slog.LevelError
	}
	s.logger.Log(r.Context(), level, "oauth: refused", attrs...)
	render(w, refusalPage(rf.reason))
}

// invite starts a flow from an invitation link.
func (s *Server) invite(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	ctx := r.Context()
	var (
		inv Invitation
		st  started
		rf  *refusal
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		inv, err = LookupInvitation(ctx, tx, token, false)
		if errors.Is(err, ErrNoInvitation) {
			rf = refuse(ReasonInvitationUnknown)
			return nil
		}
		if err != nil {
			return err
		}
		if rf = checkInvitation(inv, s.now()); rf != nil {
			return nil
		}
		st, err = s.startFlow(ctx, tx, Flow{InvitationID: &inv.ID, Region: inv.Region, Kind: FlowKindInvitation})
		return err
	})
	if err != nil {
		s.refused(w, r, "invite", internalError(err))
		return
	}
	if rf != nil {
		s.refused(w, r, "invite", rf)
		return
	}
	first := ""
	if len(inv.MarketplaceIDs) > 0 {
		first = inv.MarketplaceIDs[0]
	}
	base, err := s.sc.ConsentBase(inv.Region, first)
	if err != nil {
		s.refused(w, r, "invite", &refusal{reason: ReasonInternal, invitation: inv.ID, err: err})
		return
	}
	setCookie(w, FlowCookie, st.cookie, int(FlowTTL/time.Second))
	setCookie(w, InviteCookie, token, int(inv.ExpiresAt.Sub(s.now())/time.Second)+1)
	s.logger.Info("oauth: invitation opened, seller sent to Seller Central", "invitation", inv.ID, "region", inv.Region)
	http.Redirect(w, r, s.consentURL(base, st.state), http.StatusFound)
}

// callback completes a flow from Amazon's redirect.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		// Cancel on the consent page (the OAuth 2.0 convention the
		// simulator follows; Amazon does not document it). Nothing is
		// written; the flow expires on its own.
		reason := ReasonAmazonError
		if e == "access_denied" {
			reason = ReasonConsentDenied
		}
		s.refused(w, r, "callback", refuse(reason))
		return
	}
	cb := callback{state: q.Get("state"), spid: strings.TrimSpace(q.Get("selling_partner_id")), code: q.Get("spapi_oauth_code")}
	if cb.state == "" {
		s.refused(w, r, "callback", refuse(ReasonStateMissing))
		return
	}
	if cb.spid == "" || cb.code == "" {
		s.refused(w, r, "callback", refuse(ReasonBadCallback))
		return
	}
	if c, err := r.Cookie(FlowCookie); err == nil {
		cb.cookie = c.Value
	}
	// The exchange and the account write finish even if the seller closes
	// the tab: the code is spent either way.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), time.Minute)
	defer cancel()
	done, rf := s.complete(ctx, cb)
	if rf != nil {
		s.refused(w, r, "callback", rf)
		return
	}
	setCookie(w, FlowCookie, "", -1)
	if done.flow.InvitationID != nil {
		setCookie(w, InviteCookie, "", -1)
	}
	attrs := []any{"account", done.accountID, "selling_partner_id", cb.spid, "region", done.flow.Region, "created", done.created, "kind", done.flow.Kind}
	if done.flow.InvitationID != nil {
		attrs = append(attrs, "invitation", *done.flow.InvitationID)
	}
	s.logger.Info("oauth: seller authorized", attrs...)
	render(w, successPage(done.accountID, cb.spid, done.created))
}

// login is the application's Login URI: Amazon's Appstore and renewal
// flows start here.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	callbackURI, amazonState, spid := q.Get("amazon_callback_uri"), q.Get("amazon_state"), strings.TrimSpace(q.Get("selling_partner_id"))
	if callbackURI == "" || amazonState == "" || spid == "" {
		s.refused(w, r, "login", refuse(ReasonBadLoginRequest))
		return
	}
	region, err := s.sc.CallbackRegion(callbackURI)
	if err != nil {
		s.refused(w, r, "login", &refusal{reason: ReasonBadLoginRequest, err: fmt.Errorf("amazon_callback_uri: %w", err)})
		return
	}
	var inviteToken string
	if c, err := r.Cookie(InviteCookie); err == nil {
		inviteToken = c.Value
	}
	ctx := r.Context()
	var (
		st   started
		rf   *refusal
		flow Flow
	)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		id, err := accounts.FindBySellingPartner(ctx, tx, spid, region)
		if err != nil {
			return err
		}
		switch {
		case id != "":
			flow = Flow{AccountID: id, Region: region, Kind: FlowKindLogin}
		case inviteToken != "":
			inv, err := LookupInvitation(ctx, tx, inviteToken, false)
			if errors.Is(err, ErrNoInvitation) {
				rf = refuse(ReasonUnknownSeller)
				return nil
			}
			if err != nil {
				return err
			}
			if rf = checkInvitation(inv, s.now()); rf != nil {
				return nil
			}
			if inv.Region != region {
				rf = &refusal{reason: ReasonInvitationMismatch, invitation: inv.ID}
				return nil
			}
			flow = Flow{InvitationID: &inv.ID, Region: region, Kind: FlowKindLogin}
		default:
			rf = refuse(ReasonUnknownSeller)
			return nil
		}
		st, err = s.startFlow(ctx, tx, flow)
		return err
	})
	if err != nil {
		s.refused(w, r, "login", internalError(err))
		return
	}
	if rf != nil {
		s.refused(w, r, "login", rf)
		return
	}
	to, err := s.loginRedirect(callbackURI, amazonState, st.state, q.Get("version") == "beta")
	if err != nil {
		s.refused(w, r, "login", internalError(err))
		return
	}
	setCookie(w, FlowCookie, st.cookie, int(FlowTTL/time.Second))
	attrs := []any{"region", region, "selling_partner_id", spid}
	if flow.AccountID != "" {
		attrs = append(attrs, "account", flow.AccountID)
	}
	if flow.InvitationID != nil {
		attrs = append(attrs, "invitation", *flow.InvitationID)
	}
	s.logger.Info("oauth: Login URI call, seller sent back to Seller Central", attrs...)
	http.Redirect(w, r, to, http.StatusFound)
}
