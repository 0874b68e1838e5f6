package oauth_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/oauth"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/store"
)

// flowEnv is the onboarding listener (an https httptest server, so the
// Secure cookies travel as in production) in front of the simulator
// playing Seller Central and LWA, over a real database.
type flowEnv struct {
	sim      *sim.Sim
	simURL   string
	credClk  *sim.ManualClock
	srv      *httptest.Server
	cfg      oauth.Config
	pool     *pgxpool.Pool
	keys     *secretbox.Keyring
	admin    *accounts.Admin
	sellers  map[string]string // sim account id → selling partner id
	logs     *syncBuffer
	mu       sync.Mutex
	seen     []seenResponse // every answer of the listener
	secrets  []string       // tokens, states and codes seen: never in a log
	callback *url.URL       // the last callback URL the browser was sent to
}

type seenResponse struct {
	method, path string
	status       int
	header       http.Header
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type envOption func(*oauth.Config)

func newFlowEnv(t *testing.T, opts ...envOption) *flowEnv {
	t.Helper()
	e := &flowEnv{credClk: sim.NewManualClock(time.Now()), logs: &syncBuffer{}, sellers: map[string]string{}}
	accts := make([]sim.Account, 2)
	for i := range accts {
		a := sim.DemoAccount
		a.ID, a.SellerID = fmt.Sprintf("seller-%02d", i+1), ""
		a.RefreshToken += "-" + a.ID
		a.MarketplaceIDs = []string{sim.MarketplaceUS}
		accts[i] = a
	}
	e.sim = sim.MustNew(sim.Options{Seed: 27, Accounts: accts, Orders: 1, CredentialClock: e.credClk})
	for _, a := range e.sim.Accounts() {
		e.sellers[a.ID] = a.SellerID
	}
	simSrv := httptest.NewServer(e.sim)
	t.Cleanup(simSrv.Close)
	e.simURL = simSrv.URL

	e.pool = dbtest.NewPool(t)
	_, keyText, err := secretbox.GenerateKey()
	require.NoError(t, err)
	e.keys, err = accounts.LoadKeyring(func(k string) string {
		if k == "SPSYNC_SECRET_KEY" {
			return keyText
		}
		return ""
	})
	require.NoError(t, err)
	e.admin = &accounts.Admin{Pool: e.pool, Keys: e.keys}
	_, _, err = e.admin.SetSecret(context.Background(), sim.DemoAccount.ClientID, sim.DemoAccount.ClientSecret, nil)
	require.NoError(t, err)

	var handler http.Handler
	e.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	e.cfg = oauth.Config{Addr: "127.0.0.1:0", BaseURL: e.srv.URL, ApplicationID: sim.DemoApplicationID,
		ClientID: sim.DemoAccount.ClientID, InvitationTTL: oauth.DefaultInvitationTTL, SellerCentralURL: simSrv.URL + "/sellercentral"}
	for _, o := range opts {
		o(&e.cfg)
	}
	s, err := oauth.New(oauth.Options{Config: e.cfg, Pool: e.pool, Keys: e.keys, LWAEndpoint: simSrv.URL + "/auth/o2/token", SPAPIEndpoint: simSrv.URL,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	handler = s.Handler()
	e.sim.SetApplicationURIs(sim.DemoApplicationID, e.cfg.LoginURI(), e.cfg.RedirectURI())
	t.Cleanup(func() {
		logs := e.logs.String()
		for _, secret := range e.secrets {
			if strings.Contains(logs, secret) {
				t.Errorf("a token, state or code is in the log")
			}
		}
	})
	return e
}

// browser is a client with its own cookies. follow=false stops at every
// redirect (the test then decides where to go).
type browser struct {
	e      *flowEnv
	client *http.Client
}

func (e *flowEnv) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b := &browser{e: e}
	b.client = &http.Client{Jar: jar, Transport: &recorder{e: e, next: e.srv.Client().Transport}}
	return b
}

// recorder keeps every answer of the listener and the secrets the flow
// carries in URLs.
type recorder struct {
	e    *flowEnv
	next http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	r.e.mu.Lock()
	for _, k := range []string{"state", "spapi_oauth_code", "amazon_state"} {
		if v := q.Get(k); len(v) > 8 {
			r.e.secrets = append(r.e.secrets, v)
		}
	}
	if tok, ok := strings.CutPrefix(req.URL.Path, "/oauth/invite/"); ok && len(tok) > 8 {
		r.e.secrets = append(r.e.secrets, tok)
	}
	if req.URL.Path == "/oauth/callback" {
		u := *req.URL
		r.e.callback = &u
	}
	r.e.mu.Unlock()
	resp, err := r.next.RoundTrip(req)
	if err == nil && "https://"+req.URL.Host == r.e.srv.URL {
		r.e.mu.Lock()
		r.e.seen = append(r.e.seen, seenResponse{req.Method, req.URL.Path, resp.StatusCode, resp.Header.Clone()})
		r.e.mu.Unlock()
	}
	return resp, err
}

// answer is a page read in full.
type answer struct {
	status int
	url    *url.URL
	body   string
}

func read(t *testing.T, resp *http.Response) answer {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, url: resp.Request.URL, body: string(body)}
}

func (b *browser) get(t *testing.T, u string) answer {
	t.Helper()
	resp, err := b.client.Get(u)
	require.NoError(t, err)
	return read(t, resp)
}

// noFollow returns the first answer to GET u without following redirects.
func (b *browser) noFollow(t *testing.T, u string) *http.Response {
	t.Helper()
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(u)
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)">`)

// decide submits the simulator's consent page as seller with decision
// (confirm or cancel). follow=false returns Seller Central's redirect
// without going to spsync.
func (b *browser) decide(t *testing.T, consent answer, seller, decision string, follow bool) (answer, *http.Response) {
	t.Helper()
	require.Contains(t, consent.body, `id="confirm"`, "the consent page, not %d %s", consent.status, consent.body)
	form := url.Values{"seller": {seller}, "decision": {decision}}
	for _, m := range hiddenField.FindAllStringSubmatch(consent.body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	action := formAction.FindStringSubmatch(consent.body)
	require.NotNil(t, action)
	c := *b.client
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	resp, err := c.PostForm(b.e.simURL+html.UnescapeString(action[1]), form)
	require.NoError(t, err)
	if !follow {
		_ = resp.Body.Close()
		return answer{}, resp
	}
	return read(t, resp), nil
}

func (e *flowEnv) invite(t *testing.T, req oauth.InviteRequest) string {
	t.Helper()
	if req.Region == "" {
		req.Region = "na"
	}
	if req.MarketplaceIDs == nil && req.ReauthAccountID == "" {
		req.MarketplaceIDs = []string{sim.MarketplaceUS}
	}
	token, _, err := oauth.Invite(context.Background(), e.pool, req)
	require.NoError(t, err)
	return e.cfg.InviteURL(token)
}

func (e *flowEnv) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	require.NoError(t, e.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

func (e *flowEnv) account(t *testing.T, id string) *store.AccountRow {
	t.Helper()
	a, err := store.GetAccount(context.Background(), e.pool, id, false)
	require.NoError(t, err)
	return a
}

// reason is the refusal page's reference code.
var reasonCode = regexp.MustCompile(`<code id="reason">([a-z_]+)</code>`)

func reasonOf(a answer) string {
	if m := reasonCode.FindStringSubmatch(a.body); m != nil {
		return m[1]
	}
	return ""
}

// requireRefused checks the page and the one log line of a refusal.
func (e *flowEnv) requireRefused(t *testing.T, a answer, reason string, status int) {
	t.Helper()
	require.Equal(t, reason, reasonOf(a), "page: %s", a.body)
	require.Equal(t, status, a.status)
	require.Equal(t, 1, strings.Count(e.logs.String(), `"reason":"`+reason+`"`), "one log line for %s:\n%s", reason, e.logs.String())
}

// onboard runs the whole website flow for a new account of seller (a sim
// account id) and returns the success page.
func (e *flowEnv) onboard(t *testing.T, b *browser, link, seller string) answer {
	t.Helper()
	consent := b.get(t, link)
	require.Equal(t, http.StatusOK, consent.status, consent.body)
	done, _ := b.decide(t, consent, e.sellers[seller], "confirm", true)
	return done
}

func TestInvitationFlowCreatesAccount(t *testing.T) {
	e := newFlowEnv(t)
	b := e.browser(t)
	link := e.invite(t, oauth.InviteRequest{AccountID: "acme-us"})

	// The link sends the browser to Seller Central with a cookie.
	resp := b.noFollow(t, link)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, e.simURL+"/sellercentral/na/apps/authorize/consent", loc.Scheme+"://"+loc.Host+loc.Path)
	require.Equal(t, sim.DemoApplicationID, loc.Query().Get("application_id"))
	require.Equal(t, e.cfg.RedirectURI(), loc.Query().Get("redirect_uri"))
	require.Empty(t, loc.Query().Get("version"))
	var flowCookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == oauth.FlowCookie {
			flowCookie = c
		}
	}
	require.NotNil(t, flowCookie)
	require.True(t, flowCookie.Secure && flowCookie.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, flowCookie.SameSite)
	require.Equal(t, "/oauth/", flowCookie.Path)

	// The same link again (the seller reloads) starts a new flow; Confirm.
	done := e.onboard(t, b, link, "seller-01")
	require.Equal(t, http.StatusOK, done.status, done.body)
	require.Contains(t, done.body, "Authorization complete")
	require.Contains(t, done.body, `<dd id="account">acme-us</dd>`)
	require.Contains(t, done.body, `<dd id="seller">`+e.sellers["seller-01"]+`</dd>`)

	a := e.account(t, "acme-us")
	require.Equal(t, store.AccountActive, a.State)
	require.Equal(t, e.sellers["seller-01"], *a.SellingPartnerID)
	require.Equal(t, accounts.DeclaredByOAuth, a.DeclaredBy)
	require.NotNil(t, a.RefreshTokenSealed)
	require.NotContains(t, *a.RefreshTokenSealed, "Atzr|", "the refresh token is stored sealed")
	require.Equal(t, 1, e.sim.OAuthStats().CodesExchanged)
	require.Contains(t, e.logs.String(), `"msg":"oauth: seller authorized"`)

	// The stored token works: it is the seller's current authorization.
	reg, err := accounts.NewRegistry(context.Background(), accounts.Options{Pool: e.pool, Keys: e.keys})
	require.NoError(t, err)
	tok, err := reg.TokenSource("acme-us", accounts.TokenOptions{Endpoint: e.simURL + "/auth/o2/token"}).Token(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, tok)

	// Every answer of the listener carried the three headers.
	e.requireHeaders(t)
}

func (e *flowEnv) requireHeaders(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	require.NotEmpty(t, e.seen)
	for _, r := range e.seen {
		require.Equal(t, "no-referrer", r.header.Get("Referrer-Policy"), "%s %s", r.method, r.path)
		require.Equal(t, "no-store", r.header.Get("Cache-Control"), "%s %s", r.method, r.path)
		require.Equal(t, "DENY", r.header.Get("X-Frame-Options"), "%s %s", r.method, r.path)
	}
}

func TestConsentCancelled(t *testing.T) {
	e := newFlowEnv(t)
	b := e.browser(t)
	consent := b.get(t, e.invite(t, oauth.InviteRequest{}))
	done, _ := b.decide(t, consent, e.sellers["seller-01"], "cancel", true)
	e.requireRefused(t, done, oauth.ReasonConsentDenied, http.StatusOK)
	require.Contains(t, done.body, "Authorization cancelled")
	require.Equal(t, 0, e.count(t, "accounts"))
	e.requireHeaders(t)
}

func TestRefusals(t *testing.T) {
	t.Run("forged state", func(t *testing.T) {
		e := newFlowEnv(t)
		b := e.browser(t)
		_ = b.noFollow(t, e.invite(t, oauth.InviteRequest{})) // a cookie, a real flow
		a := b.get(t, e.cfg.RedirectURI()+"?state=forged-state-value&selling_partner_id="+e.sellers["seller-01"]+"&spapi_oauth_code=ANcode")
		e.requireRefused(t, a, oauth.ReasonStateUnknown, http.StatusBadRequest)
		require.Equal(t, 0, e.count(t, "accounts"))
		require.Equal(t, 0, e.sim.OAuthStats().CodesExchanged+e.sim.OAuthStats().CodesRefused, "no code sent to LWA")
	})
	t.Run("replayed state", func(t *testing.T) {
		e := newFlowEnv(t)
		b := e.browser(t)
		done := e.onboard(t, b, e.invite(t, oauth.InviteRequest{}), "seller-01")
		require.Equal(t, http.StatusOK, done.status, done.body)
		// The same callback again: the flow was consumed.
		a := b.get(t, e.callback.String())
		e.requireRefused(t, a, oauth.ReasonStateReplayed, http.StatusBadRequest)
		require.Equal(t, 1, e.sim.OAuthStats().CodesExchanged, "the replayed code never reached LWA")
	})
	t.Run("state without the cookie", func(t *testing.T) {
		e := newFlowEnv(t)
		seller := e.browser(t)
		consent := seller.get(t, e.invite(t, oauth.InviteRequest{}))
		_, redirect := seller.decide(t, consent, e.sellers["seller-01"], "confirm", false)
		require.Equal(t, http.StatusFound, redirect.StatusCode)
		callback := redirect.Header.Get("Location")
		other := e.browser(t)
		a := other.get(t, callback)
		e.requireRefused(t, a, oauth.ReasonCookieMissing, http.StatusForbidden)
		require.Equal(t, 0, e.count(t, "accounts"))
		// The seller's own browser still completes: the stolen state did
		// not spend the flow.
		done := seller.get(t, callback)
		require.Equal(t, http.StatusOK, done.status, done.body)
		require.Equal(t, 1, e.count(t, "accounts"))
	})
	t.Run("expired invitation", func(t *testing.T) {
		e := newFlowEnv(t)
		link := e.invite(t, oauth.InviteRequest{Now: time.Now().Add(-2 * time.Hour), TTL: time.Hour})
		a := e.browser(t).get(t, link)
		e.requireRefused(t, a, oauth.ReasonInvitationExpired, http.StatusGone)
		require.Equal(t, 0, e.count(t, "oauth_flows"))
	})
	t.Run("used invitation", func(t *testing.T) {
		e := newFlowEnv(t)
		link := e.invite(t, oauth.InviteRequest{})
		done := e.onboard(t, e.browser(t), link, "seller-01")
		require.Equal(t, http.StatusOK, done.status, done.body)
		a := e.browser(t).get(t, link)
		e.requireRefused(t, a, oauth.ReasonInvitationUsed, http.StatusGone)
		require.Equal(t, 1, e.count(t, "accounts"))
	})
	t.Run("invitation used in another browser while this one consented", func(t *testing.T) {
		e := newFlowEnv(t)
		link := e.invite(t, oauth.InviteRequest{})
		late := e.browser(t)
		consent := late.get(t, link)
		done := e.onboard(t, e.browser(t), link, "seller-01")
		require.Equal(t, http.StatusOK, done.status, done.body)
		a, _ := late.decide(t, consent, e.sellers["seller-02"], "confirm", true)
		e.requireRefused(t, a, oauth.ReasonInvitationUsed, http.StatusGone)
		require.Equal(t, 1, e.count(t, "accounts"))
	})
	t.Run("code after 5 minutes", func(t *testing.T) {
		e := newFlowEnv(t)
		b := e.browser(t)
		link := e.invite(t, oauth.InviteRequest{})
		consent := b.get(t, link)
		_, redirect := b.decide(t, consent, e.sellers["seller-01"], "confirm", false)
		e.credClk.Advance(sim.AuthorizationCodeLifetime + time.Second)
		a := b.get(t, redirect.Header.Get("Location"))
		e.requireRefused(t, a, oauth.ReasonCodeRefused, http.StatusBadRequest)
		require.Equal(t, 0, e.count(t, "accounts"))
		// The invitation is still unused: the seller tries again at once.
		done := e.onboard(t, b, link, "seller-01")
		require.Equal(t, http.StatusOK, done.status, done.body)
	})
	t.Run("code used twice", func(t *testing.T) {
		e := newFlowEnv(t)
		b := e.browser(t)
		done := e.onboard(t, b, e.invite(t, oauth.InviteRequest{}), "seller-01")
		require.Equal(t, http.StatusOK, done.status, done.body)
		usedCode := e.callback.Query().Get("spapi_oauth_code")
		// A new flow (its own state and cookie) presenting the spent code.
		consent := b.get(t, e.invite(t, oauth.InviteRequest{}))
		_, redirect := b.decide(t, consent, e.sellers["seller-02"], "confirm", false)
		cb, err := url.Parse(redirect.Header.Get("Location"))
		require.NoError(t, err)
		q := cb.Query()
		q.Set("spapi_oauth_code", usedCode)
		cb.RawQuery = q.Encode()
		a := b.get(t, cb.String())
		e.requireRefused(t, a, oauth.ReasonCodeRefused, http.StatusBadRequest)
		require.Equal(t, 1, e.count(t, "accounts"))
	})
	t.Run("re-authorization by another seller", func(t *testing.T) {
		e := newFlowEnv(t)
		done := e.onboard(t, e.browser(t), e.invite(t, oauth.InviteRequest{AccountID: "acme"}), "seller-01")
		require.Equal(t, http.StatusOK, done.status, done.body)
		exchanged := e.sim.OAuthStats().CodesExchanged
		b := e.browser(t)
		consent := b.get(t, e.invite(t, oauth.InviteRequest{ReauthAccountID: "acme"}))
		a, _ := b.decide(t, consent, e.sellers["seller-02"], "confirm", true)
		e.requireRefused(t, a, oauth.ReasonWrongSeller, http.StatusForbidden)
		require.Equal(t, exchanged, e.sim.OAuthStats().CodesExchanged, "the code was not exchanged")
		require.Equal(t, 1, e.count(t, "accounts"))
		require.Equal(t, e.sellers["seller-01"], *e.account(t, "acme").SellingPartnerID)
	})
	t.Run("new account for a seller who has one", func(t *testing.T) {
		e := newFlowEnv(t)
		done := e.onboard(t, e.browser(t), e.invite(t, oauth.InviteRequest{AccountID: "acme"}), "seller-01")
		require.Equal(t, http.StatusOK, done.status, done.body)
		a := e.onboard(t, e.browser(t), e.invite(t, oauth.InviteRequest{AccountID: "acme-2"}), "seller-01")
		e.requireRefused(t, a, oauth.ReasonSellerHasAccount, http.StatusConflict)
		require.Equal(t, 1, e.count(t, "accounts"))
		require.Equal(t, 1, e.sim.OAuthStats().CodesExchanged, "the seller's authorization was left alone")
	})
	t.Run("unknown seller at the Login URI", func(t *testing.T) {
		e := newFlowEnv(t)
		a := e.browser(t).get(t, e.manageURL("seller-02"))
		// The Manage page's Authorize button, as a browser submits it.
		e.requireRefused(t, e.authorizeFromManage(t, e.browser(t), "seller-02"), oauth.ReasonUnknownSeller, http.StatusForbidden)
		require.Contains(t, a.body, `id="authorize"`)
		require.Equal(t, 0, e.count(t, "oauth_flows"), "nothing written")
		require.Equal(t, 0, e.count(t, "accounts"))
	})
}

// manageURL is Seller Central's "Manage your apps" page for a seller.
func (e *flowEnv) manageURL(seller string) string {
	return e.simURL + "/sellercentral/na/apps/manage?" + url.Values{"application_id": {sim.DemoApplicationID}, "seller": {e.sellers[seller]}}.Encode()
}

// authorizeFromManage clicks Authorize on the Manage page: Seller Central
// calls the Login URI; spsync answers.
func (e *flowEnv) authorizeFromManage(t *testing.T, b *browser, seller string) answer {
	t.Helper()
	resp, err := b.client.PostForm(e.simURL+"/sellercentral/na/apps/manage/authorize",
		url.Values{"application_id": {sim.DemoApplicationID}, "seller": {e.sellers[seller]}})
	require.NoError(t, err)
	return read(t, resp)
}

func TestLoginURIRenewalResumesAccount(t *testing.T) {
	ctx := context.Background()
	e := newFlowEnv(t)
	done := e.onboard(t, e.browser(t), e.invite(t, oauth.InviteRequest{AccountID: "acme"}), "seller-01")
	require.Equal(t, http.StatusOK, done.status, done.body)
	before := e.account(t, "acme")
	_, err := store.SetAccountState(ctx, e.pool, "acme", store.AccountNeedsReauth, "LWA answered invalid_grant", store.AccountActive)
	require.NoError(t, err)

	b := e.browser(t)
	consent := e.authorizeFromManage(t, b, "seller-01")
	require.Equal(t, http.StatusOK, consent.status, consent.body)
	a, _ := b.decide(t, consent, e.sellers["seller-01"], "confirm", true)
	require.Equal(t, http.StatusOK, a.status, a.body)
	require.Contains(t, a.body, "Authorization renewed")
	require.Contains(t, a.body, `<dd id="account">acme</dd>`)

	after := e.account(t, "acme")
	require.Equal(t, store.AccountActive, after.State, "resumed")
	require.NotEqual(t, *before.RefreshTokenSealed, *after.RefreshTokenSealed, "a new refresh token")
	require.Equal(t, 1, e.count(t, "accounts"))
	require.Contains(t, e.logs.String(), `"kind":"login"`)
	e.requireHeaders(t)
}

func TestLoginURIWithInvitationCookie(t *testing.T) {
	e := newFlowEnv(t)
	b := e.browser(t)
	// The seller opened the link, then went to the Appstore instead.
	_ = b.noFollow(t, e.invite(t, oauth.InviteRequest{AccountID: "from-appstore"}))
	consent := e.authorizeFromManage(t, b, "seller-02")
	a, _ := b.decide(t, consent, e.sellers["seller-02"], "confirm", true)
	require.Equal(t, http.StatusOK, a.status, a.body)
	require.Contains(t, a.body, `<dd id="account">from-appstore</dd>`)
	require.Equal(t, e.sellers["seller-02"], *e.account(t, "from-appstore").SellingPartnerID)
}

func TestBetaAddsVersion(t *testing.T) {
	e := newFlowEnv(t, func(c *oauth.Config) { c.Beta = true })
	e.sim.SetApplicationDraft(sim.DemoApplicationID, true)
	b := e.browser(t)
	link := e.invite(t, oauth.InviteRequest{})
	resp := b.noFollow(t, link)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "beta", loc.Query().Get("version"))
	// A draft application's flow completes end to end.
	done := e.onboard(t, b, link, "seller-01")
	require.Equal(t, http.StatusOK, done.status, done.body)
}

func TestLoginURIPassesVersionBeta(t *testing.T) {
	e := newFlowEnv(t)
	done := e.onboard(t, e.browser(t), e.invite(t, oauth.InviteRequest{}), "seller-01")
	require.Equal(t, http.StatusOK, done.status, done.body)
	q := url.Values{"amazon_callback_uri": {e.simURL + "/sellercentral/na/apps/authorize/callback"},
		"amazon_state": {"as-123"}, "selling_partner_id": {e.sellers["seller-01"]}, "version": {"beta"}}
	resp := e.browser(t).noFollow(t, e.cfg.LoginURI()+"?"+q.Encode())
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "beta", loc.Query().Get("version"))
	require.Equal(t, "as-123", loc.Query().Get("amazon_state"))
	require.Equal(t, e.cfg.RedirectURI(), loc.Query().Get("redirect_uri"))
	require.NotEmpty(t, loc.Query().Get("state"))
}

func TestLoginURIRefusesForeignCallback(t *testing.T) {
	e := newFlowEnv(t)
	q := url.Values{"amazon_callback_uri": {"https://evil.example/steal"}, "amazon_state": {"x"}, "selling_partner_id": {e.sellers["seller-01"]}}
	a := e.browser(t).get(t, e.cfg.LoginURI()+"?"+q.Encode())
	e.requireRefused(t, a, oauth.ReasonBadLoginRequest, http.StatusBadRequest)
	require.Equal(t, 0, e.count(t, "oauth_flows"))
}

func TestOnlyOAuthPaths(t *testing.T) {
	e := newFlowEnv(t)
	b := e.browser(t)
	for _, path := range []string{"/metrics", "/riverui/", "/healthz", "/", "/oauth/", "/oauth/invite/", "/debug/pprof/"} {
		a := b.get(t, e.srv.URL+path)
		require.Equal(t, http.StatusNotFound, a.status, path)
		require.NotContains(t, a.body, "river", path)
	}
	resp, err := b.client.PostForm(e.cfg.RedirectURI(), url.Values{"state": {"x"}})
	require.NoError(t, err)
	a := read(t, resp)
	require.Equal(t, http.StatusNotFound, a.status)
	require.Empty(t, resp.Header.Get("Allow"))
	e.requireHeaders(t)
}
