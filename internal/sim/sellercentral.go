package sim

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DemoApplicationID is the SP-API application (Developer Console's
// "App ID") the simulator's Seller Central authorizes. Its LWA client id is
// the first configured account's ClientID (DemoAccount.ClientID by
// default): the simulator plays one application, whose sellers are all its
// accounts.
const DemoApplicationID = "amzn1.sp.solution.5f3c1a2e-7b4d-4e8a-9c61-2d0f8b7a4e93"

// Lifetimes of Seller Central's one-time values, on the credential clock.
const (
	// AuthorizationCodeLifetime is how long an spapi_oauth_code can be
	// exchanged: "The spapi_oauth_code expires after five minutes"
	// (developer-docs website-authorization-workflow).
	AuthorizationCodeLifetime = 5 * time.Minute
	// AmazonStateLifetime is how long the amazon_state of a Login-URI
	// call is accepted back at amazon_callback_uri. Amazon documents no
	// figure; ten minutes is the simulator's choice.
	AmazonStateLifetime = 10 * time.Minute
)

// sellerCentralPrefix is where the simulator serves Seller Central: one
// tree per region, /sellercentral/{region}/…, standing in for
// sellercentral.amazon.com and its European and Far East siblings.
const sellerCentralPrefix = "/sellercentral/"

// regions are the Seller Central regions served under sellerCentralPrefix.
var regions = []string{"na", "eu", "fe"}

// OAuthStats counts what the simulator's Seller Central and the LWA
// authorization_code grant did.
type OAuthStats struct {
	// ConsentsConfirmed and ConsentsCancelled count consent pages answered
	// with Confirm and Cancel.
	ConsentsConfirmed, ConsentsCancelled int
	// CodesIssued counts spapi_oauth_codes handed out (one per confirmed
	// consent), CodesExchanged those LWA turned into a refresh token, and
	// CodesRefused authorization_code grants LWA refused with
	// invalid_grant: an unknown, used or expired code, or one presented
	// with another client id or redirect_uri.
	CodesIssued, CodesExchanged, CodesRefused int
	// LoginStarts counts Login-URI calls started from the "Manage your
	// apps" page; AmazonStatesRefused callbacks refused for an unknown,
	// used or expired amazon_state.
	LoginStarts, AmazonStatesRefused int
	// ErrorPages counts every Seller Central error page served.
	ErrorPages int
}

// scApp is one application Seller Central knows, as registered in the
// Developer Console.
type scApp struct {
	id       string
	clientID string
	loginURI string
	// redirectURIs are the registered OAuth redirect URIs; the first is
	// the default when a consent URL names none.
	redirectURIs []string
	draft        bool
}

// authCode is one spapi_oauth_code.
type authCode struct {
	account, clientID, redirectURI string
	expires                        time.Time
	used                           bool
}

// amazonState is one amazon_state of a Login-URI call: bound to the
// application and the seller it was started for.
type amazonState struct {
	appID, account string
	beta           bool
	expires        time.Time
	used           bool
}

// consentTicket fixes the seller of a consent page reached through
// amazon_callback_uri, so the confirm step cannot pick another one.
type consentTicket struct {
	appID, account, state, redirectURI string
	beta                               bool
	expires                            time.Time
}

// sellerCentral is the simulator's Seller Central: applications, and the
// one-time values of the authorization workflows. Lock order: credState.mu
// before sellerCentral.mu (only the code exchange holds both).
type sellerCentral struct {
	mu      sync.Mutex
	apps    map[string]*scApp
	codes   map[string]*authCode
	states  map[string]*amazonState
	tickets map[string]*consentTicket
	stats   OAuthStats
}

func newSellerCentral(o Options) *sellerCentral {
	return &sellerCentral{
		apps: map[string]*scApp{DemoApplicationID: {
			id: DemoApplicationID, clientID: o.Accounts[0].ClientID,
		}},
		codes: map[string]*authCode{}, states: map[string]*amazonState{}, tickets: map[string]*consentTicket{},
	}
}

// appLocked returns the application id, or panics: the setters are test
// and setup calls, and an unknown id there is a programming error.
func (sc *sellerCentral) appLocked(applicationID string) *scApp {
	app := sc.apps[applicationID]
	if app == nil {
		panic(fmt.Sprintf("sim: unknown application %q (the simulator plays %s)", applicationID, DemoApplicationID))
	}
	return app
}

// SetApplicationURIs registers the application's Login URI ("" for none:
// the Login-URI workflow then ends on an error page) and its OAuth redirect
// URIs, replacing what was registered, as saving the Developer Console's
// "Edit App" page does. A consent URL's redirect_uri must equal one of
// them exactly; without one, the first is used. It panics for an
// application other than DemoApplicationID.
func (s *Sim) SetApplicationURIs(applicationID, loginURI string, redirectURIs ...string) {
	s.sc.mu.Lock()
	defer s.sc.mu.Unlock()
	app := s.sc.appLocked(applicationID)
	app.loginURI = loginURI
	app.redirectURIs = slices.Clone(redirectURIs)
}

// SetApplicationDraft marks the application as a draft (not yet
// published), whose consent URLs must carry version=beta and whose
// Login-URI calls carry it. Applications start published. It panics for an
// application other than DemoApplicationID.
func (s *Sim) SetApplicationDraft(applicationID string, draft bool) {
	s.sc.mu.Lock()
	defer s.sc.mu.Unlock()
	s.sc.appLocked(applicationID).draft = draft
}

// ApplicationClientID returns the LWA client id of the application, which
// the authorization_code grant must present ("" for an unknown one).
func (s *Sim) ApplicationClientID(applicationID string) string {
	s.sc.mu.Lock()
	defer s.sc.mu.Unlock()
	if app := s.sc.apps[applicationID]; app != nil {
		return app.clientID
	}
	return ""
}

// OAuthStats returns the Seller Central and authorization_code counters
// so far.
func (s *Sim) OAuthStats() OAuthStats {
	s.sc.mu.Lock()
	defer s.sc.mu.Unlock()
	return s.sc.stats
}

// accountBySeller returns the account whose selling partner id (SellerID)
// is spid, the first one if several share it.
func (s *Sim) accountBySeller(spid string) (Account, bool) {
	for _, a := range s.opts.Accounts {
		if a.SellerID == spid {
			return a, true
		}
	}
	return Account{}, false
}

// randomValue returns n random characters of [A-Za-z0-9]: Amazon's codes
// and states are alphanumeric.
func randomValue(prefix string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)] // 256 % 62 bias: irrelevant for a simulator
	}
	return prefix + string(b)
}

// pruneLocked forgets one-time values past their expiry: an expired value
// is refused whether it is remembered or not, so the maps stay as large as
// the flows in progress.
func (sc *sellerCentral) pruneLocked(now time.Time) {
	maps.DeleteFunc(sc.codes, func(_ string, c *authCode) bool { return !now.Before(c.expires) })
	maps.DeleteFunc(sc.states, func(_ string, a *amazonState) bool { return !now.Before(a.expires) })
	maps.DeleteFunc(sc.tickets, func(_ string, t *consentTicket) bool { return !now.Before(t.expires) })
}

func (s *Sim) sellerCentralRoutes(mux *http.ServeMux) {
	p := sellerCentralPrefix + "{region}/apps/"
	mux.HandleFunc("GET "+p+"authorize/consent", s.handleConsent)
	mux.HandleFunc("POST "+p+"authorize/confirm", s.handleConfirm)
	mux.HandleFunc("GET "+p+"authorize/callback", s.handleAmazonCallback)
	mux.HandleFunc("GET "+p+"manage", s.handleManage)
	mux.HandleFunc("POST "+p+"manage/authorize", s.handleManageAuthorize)
}

// scRegion returns the request's region, or answers an error page.
func (s *Sim) scRegion(w http.ResponseWriter, r *http.Request) (string, bool) {
	region := r.PathValue("region")
	if !slices.Contains(regions, region) {
		s.scError(w, http.StatusNotFound, "There is no Seller Central for region "+region+" (na, eu or fe).")
		return "", false
	}
	return region, true
}

// checkConsentLocked validates what a consent URL (or the confirm form
// that repeats it) names and returns the application and the redirect URI
// to use, or the error page's message.
func (sc *sellerCentral) checkConsentLocked(appID, redirectURI string, beta bool) (*scApp, string, string) {
	app := sc.apps[appID]
	switch {
	case appID == "":
		return nil, "", "The request has no application_id."
	case app == nil:
		return nil, "", "The application " + appID + " does not exist."
	case app.draft && !beta:
		return nil, "", "The application " + appID + " is a draft: its authorization URL needs version=beta."
	case redirectURI == "" && len(app.redirectURIs) == 0:
		return nil, "", "The application " + appID + " has no OAuth redirect URI registered."
	case redirectURI == "":
		return app, app.redirectURIs[0], ""
	case !slices.Contains(app.redirectURIs, redirectURI):
		return nil, "", "The redirect URI " + redirectURI + " is not registered for the application " + appID + "."
	}
	return app, redirectURI, ""
}

// handleConsent serves the consent page of the website authorization
// workflow: GET /sellercentral/{region}/apps/authorize/consent?
// application_id=…&state=…[&redirect_uri=…][&version=beta].
func (s *Sim) handleConsent(w http.ResponseWriter, r *http.Request) {
	region, ok := s.scRegion(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	appID, state := q.Get("application_id"), q.Get("state")
	beta := q.Get("version") == "beta"
	s.sc.mu.Lock()
	_, redirectURI, msg := s.sc.checkConsentLocked(appID, q.Get("redirect_uri"), beta)
	s.sc.mu.Unlock()
	if msg == "" && state == "" {
		msg = "The request has no state."
	}
	if msg != "" {
		s.scError(w, http.StatusBadRequest, msg)
		return
	}
	sellers := make([]scSeller, len(s.opts.Accounts))
	for i, a := range s.opts.Accounts {
		sellers[i] = scSeller{SPID: a.SellerID, AccountID: a.ID}
	}
	s.scPage(w, http.StatusOK, consentPage, consentData{
		Region: region, ApplicationID: appID, State: state, RedirectURI: redirectURI, Beta: beta,
		Sellers: sellers,
	})
}

// handleConfirm answers the consent form: POST
// /sellercentral/{region}/apps/authorize/confirm with decision=confirm
// (302 to redirect_uri with state, selling_partner_id and
// spapi_oauth_code) or decision=cancel (302 with state and
// error=access_denied: Amazon does not document what Cancel does, so the
// simulator assumes OAuth 2.0's answer to a refused consent).
func (s *Sim) handleConfirm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.scRegion(w, r); !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.scError(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	f := r.PostForm
	decision, spid := f.Get("decision"), f.Get("seller")
	appID, state, redirectURI := f.Get("application_id"), f.Get("state"), f.Get("redirect_uri")
	beta := f.Get("version") == "beta"
	if decision != "confirm" && decision != "cancel" {
		s.scError(w, http.StatusBadRequest, "Choose Confirm or Cancel.")
		return
	}
	now := s.creds.clock.Now()
	sc := s.sc
	sc.mu.Lock()
	var app *scApp
	var msg string
	if ticket := f.Get("ticket"); ticket != "" {
		// Reached through amazon_callback_uri: the ticket, not the
		// form, says which application, seller and redirect URI.
		t := sc.tickets[ticket]
		delete(sc.tickets, ticket)
		switch {
		case t == nil || !now.Before(t.expires):
			msg = "This authorization page has expired or was already answered. Start again from Seller Central."
		case decision == "confirm" && spid != sellerOf(s.opts.Accounts, t.account):
			msg = "This authorization is for another selling account."
		default:
			app, state, redirectURI = sc.apps[t.appID], t.state, t.redirectURI
		}
	} else {
		app, redirectURI, msg = sc.checkConsentLocked(appID, redirectURI, beta)
		if msg == "" && state == "" {
			msg = "The request has no state."
		}
	}
	var acct Account
	if msg == "" && decision == "confirm" {
		var known bool
		if acct, known = s.accountBySeller(spid); !known {
			msg = "Choose one of your selling accounts."
		}
	}
	if msg != "" {
		sc.mu.Unlock()
		s.scError(w, http.StatusBadRequest, msg)
		return
	}
	params := []string{"state", state}
	if decision == "cancel" {
		sc.stats.ConsentsCancelled++
		params = append(params, "error", "access_denied")
	} else {
		sc.pruneLocked(now)
		code := randomValue("ANDM", 20)
		sc.codes[code] = &authCode{
			account: acct.ID, clientID: app.clientID, redirectURI: redirectURI,
			expires: now.Add(AuthorizationCodeLifetime),
		}
		sc.stats.ConsentsConfirmed++
		sc.stats.CodesIssued++
		params = append(params, "selling_partner_id", acct.SellerID, "spapi_oauth_code", code)
	}
	sc.mu.Unlock()
	target, err := addQuery(redirectURI, params...)
	if err != nil {
		s.scError(w, http.StatusBadRequest, "The redirect URI is not a URL.")
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// sellerOf is the selling partner id of account id ("" for none).
func sellerOf(accts []Account, id string) string {
	for _, a := range accts {
		if a.ID == id {
			return a.SellerID
		}
	}
	return ""
}

// handleManage serves "Manage your apps" for one seller and application:
// GET /sellercentral/{region}/apps/manage?application_id=…&seller={spid},
// whose Authorize button starts the Login-URI workflow, as a seller's
// 365-day renewal does.
func (s *Sim) handleManage(w http.ResponseWriter, r *http.Request) {
	region, ok := s.scRegion(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	appID, spid := q.Get("application_id"), q.Get("seller")
	acct, msg := s.checkManage(appID, spid)
	if msg != "" {
		s.scError(w, http.StatusBadRequest, msg)
		return
	}
	s.scPage(w, http.StatusOK, managePage, manageData{
		Region: region, ApplicationID: appID, SPID: spid, AccountID: acct.ID,
	})
}

// checkManage validates a Login-URI start: a known application with a
// Login URI, a known seller.
func (s *Sim) checkManage(appID, spid string) (Account, string) {
	s.sc.mu.Lock()
	app := s.sc.apps[appID]
	s.sc.mu.Unlock()
	acct, known := s.accountBySeller(spid)
	switch {
	case app == nil:
		return acct, "The application " + appID + " does not exist."
	case app.loginURI == "":
		return acct, "The application " + appID + " has no Login URI registered."
	case !known:
		return acct, "There is no selling account " + spid + "."
	}
	return acct, ""
}

// handleManageAuthorize is the Authorize button: it calls the
// application's Login URI with amazon_callback_uri, amazon_state,
// selling_partner_id and, for a draft application, version=beta.
func (s *Sim) handleManageAuthorize(w http.ResponseWriter, r *http.Request) {
	region, ok := s.scRegion(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.scError(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	appID, spid := r.PostForm.Get("application_id"), r.PostForm.Get("seller")
	acct, msg := s.checkManage(appID, spid)
	if msg != "" {
		s.scError(w, http.StatusBadRequest, msg)
		return
	}
	now := s.creds.clock.Now()
	as := randomValue("", 32)
	s.sc.mu.Lock()
	app := s.sc.apps[appID]
	s.sc.pruneLocked(now)
	s.sc.states[as] = &amazonState{appID: appID, account: acct.ID, beta: app.draft, expires: now.Add(AmazonStateLifetime)}
	s.sc.stats.LoginStarts++
	loginURI, beta := app.loginURI, app.draft
	s.sc.mu.Unlock()
	params := []string{
		"amazon_callback_uri", requestBase(r) + sellerCentralPrefix + region + "/apps/authorize/callback",
		"amazon_state", as,
		"selling_partner_id", acct.SellerID,
	}
	if beta {
		params = append(params, "version", "beta")
	}
	target, err := addQuery(loginURI, params...)
	if err != nil {
		s.scError(w, http.StatusBadRequest, "The application's Login URI is not a URL.")
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// handleAmazonCallback is amazon_callback_uri: GET
// /sellercentral/{region}/apps/authorize/callback?amazon_state=…&state=…
// [&redirect_uri=…]. The amazon_state works once, for AmazonStateLifetime;
// the consent page it shows offers only the seller the Login-URI call was
// for. The application's draft status was settled when the call started
// (it carried version=beta), so version is not asked for again.
func (s *Sim) handleAmazonCallback(w http.ResponseWriter, r *http.Request) {
	region, ok := s.scRegion(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	as, state := q.Get("amazon_state"), q.Get("state")
	now := s.creds.clock.Now()
	sc := s.sc
	sc.mu.Lock()
	st := sc.states[as]
	if st == nil || st.used || !now.Before(st.expires) {
		sc.stats.AmazonStatesRefused++
		sc.mu.Unlock()
		s.scError(w, http.StatusBadRequest, "This authorization request has expired or was already used. Start again from Seller Central.")
		return
	}
	st.used = true
	_, redirectURI, msg := sc.checkConsentLocked(st.appID, q.Get("redirect_uri"), true)
	if msg == "" && state == "" {
		msg = "The request has no state."
	}
	var ticket string
	if msg == "" {
		ticket = randomValue("", 32)
		sc.tickets[ticket] = &consentTicket{
			appID: st.appID, account: st.account, state: state, redirectURI: redirectURI,
			beta: st.beta, expires: now.Add(AmazonStateLifetime),
		}
	}
	sc.mu.Unlock()
	if msg != "" {
		s.scError(w, http.StatusBadRequest, msg)
		return
	}
	s.scPage(w, http.StatusOK, consentPage, consentData{
		Region: region, ApplicationID: st.appID, State: state, RedirectURI: redirectURI, Beta: st.beta,
		Ticket:  ticket,
		Sellers: []scSeller{{SPID: sellerOf(s.opts.Accounts, st.account), AccountID: st.account}},
	})
}

// exchangeCode plays LWA's authorization_code grant: the client
// authenticates as for refresh_token, then the code must be known, unused,
// younger than AuthorizationCodeLifetime, issued to clientID and for
// redirectURI. On success the code is used up and the seller's
// authorization is replaced by a new one, as Reauthorize does; it returns
// the account and the new refresh token. A refused code stays as it was
// (a wrong redirect_uri does not burn it), and a used code's refresh token
// keeps working: what LWA does there is undocumented.
func (s *Sim) exchangeCode(code, redirectURI, clientID, secret string) (account, refresh string, refusal lwaRefusal, param string) {
	c := s.creds
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	refusal = c.checkSecretLocked(clientID, secret, now) // lwaOK or lwaPropagating go on
	if refusal == lwaInvalidClient {
		return "", "", refusal, ""
	}
	s.sc.mu.Lock()
	defer s.sc.mu.Unlock()
	ac := s.sc.codes[code]
	switch {
	case ac == nil || ac.used || !now.Before(ac.expires) || ac.clientID != clientID:
		s.sc.stats.CodesRefused++
		return "", "", lwaInvalidGrant, "code"
	case ac.redirectURI != redirectURI:
		s.sc.stats.CodesRefused++
		return "", "", lwaInvalidGrant, "redirect_uri"
	}
	ac.used = true
	s.sc.stats.CodesExchanged++
	if old := c.byAccount[ac.account]; old != nil {
		old.ended = true
	}
	refresh = randomValue("Atzr|IwEB", 96)
	au := &authorization{account: ac.account, clientID: clientID, granted: now}
	c.auths[refresh] = au
	c.byAccount[ac.account] = au
	return ac.account, refresh, refusal, ""
}

// handleAuthorizationCode plays POST /auth/o2/token with
// grant_type=authorization_code (code, redirect_uri, client_id,
// client_secret), answering like LWA: 400 invalid_request for a missing
// parameter, 401 invalid_client as for refresh_token, 400 invalid_grant
// for a code it refuses, else a refresh token and a one-hour access token.
func (s *Sim) handleAuthorizationCode(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	code, redirectURI := f.Get("code"), f.Get("redirect_uri")
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	if code == "" || redirectURI == "" || clientID == "" || secret == "" {
		writeJSON(w, http.StatusBadRequest, lwaError{"invalid_request", "The request is missing a required parameter : code, redirect_uri, client_id or client_secret"})
		return
	}
	account, refresh, refusal, param := s.exchangeCode(code, redirectURI, clientID, secret)
	switch refusal {
	case lwaInvalidClient:
		writeJSON(w, http.StatusUnauthorized, lwaError{"invalid_client", "Client authentication failed"})
		return
	case lwaInvalidGrant:
		writeJSON(w, http.StatusBadRequest, lwaError{"invalid_grant", "The request has an invalid grant parameter : " + param})
		return
	}
	tok := s.tokens.issue(account)
	if refusal == lwaPropagating {
		s.tokens.refuseUntil(tok, s.creds.propagatedAt(clientID, secret))
	}
	s.stats.recordGrant(account)
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  tok,
		"refresh_token": refresh,
		"token_type":    "bearer",
		"expires_in":    int(s.opts.AccessTokenTTL / time.Second),
	})
}

// addQuery appends name/value pairs, in order, to rawURL's query (kept as
// it was).
func addQuery(rawURL string, pairs ...string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !u.IsAbs() {
		return "", fmt.Errorf("sim: %q is not an absolute URL", rawURL)
	}
	var b strings.Builder
	b.WriteString(u.RawQuery)
	for i := 0; i+1 < len(pairs); i += 2 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(pairs[i]) + "=" + url.QueryEscape(pairs[i+1]))
	}
	u.RawQuery = b.String()
	return u.String(), nil
}

// requestBase is the scheme and host the request reached the simulator
// at, for the URLs it hands out (amazon_callback_uri).
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type scSeller struct{ SPID, AccountID string }

type consentData struct {
	Region, ApplicationID, State, RedirectURI string
	Beta                                      bool
	Ticket                                    string
	Sellers                                   []scSeller
}

type manageData struct {
	Region, ApplicationID, SPID, AccountID string
}

// The pages are html/template, so every parameter a URL carried is
// escaped in its context (text, attribute, URL).
var (
	scLayout = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{template "title" .}} - Seller Central (simulated)</title></head>
<body>{{template "body" .}}</body></html>`

	consentPage = template.Must(template.Must(template.New("consent").Parse(scLayout)).Parse(`
{{define "title"}}Authorize an application{{end}}
{{define "body"}}<h1>Authorize an application</h1>
<p>The application <strong id="application">{{.ApplicationID}}</strong>{{if .Beta}} (draft){{end}} asks to access your selling account's data through the Selling Partner API.</p>
<form method="post" action="/sellercentral/{{.Region}}/apps/authorize/confirm">
<input type="hidden" name="application_id" value="{{.ApplicationID}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
{{if .Beta}}<input type="hidden" name="version" value="beta">{{end}}
{{if .Ticket}}<input type="hidden" name="ticket" value="{{.Ticket}}">{{end}}
<p><label for="seller">Selling account</label>
<select id="seller" name="seller">{{range .Sellers}}<option value="{{.SPID}}">{{.AccountID}}</option>{{end}}</select></p>
<p><button id="confirm" type="submit" name="decision" value="confirm">Confirm</button>
<button id="cancel" type="submit" name="decision" value="cancel">Cancel</button></p>
</form>{{end}}`))

	managePage = template.Must(template.Must(template.New("manage").Parse(scLayout)).Parse(`
{{define "title"}}Manage your apps{{end}}
{{define "body"}}<h1>Manage your apps</h1>
<p>Selling account <strong id="account">{{.AccountID}}</strong> ({{.SPID}}), application <strong id="application">{{.ApplicationID}}</strong>.</p>
<form method="post" action="/sellercentral/{{.Region}}/apps/manage/authorize">
<input type="hidden" name="application_id" value="{{.ApplicationID}}">
<input type="hidden" name="seller" value="{{.SPID}}">
<button id="authorize" type="submit">Authorize</button>
</form>{{end}}`))

	errorPage = template.Must(template.Must(template.New("error").Parse(scLayout)).Parse(`
{{define "title"}}We could not authorize the application{{end}}
{{define "body"}}<h1>We could not authorize the application</h1>
<p id="error">{{.}}</p>{{end}}`))
)

// scError serves an error page: the workflow stops here, no redirect.
func (s *Sim) scError(w http.ResponseWriter, status int, msg string) {
	s.sc.mu.Lock()
	s.sc.stats.ErrorPages++
	s.sc.mu.Unlock()
	s.scPage(w, status, errorPage, msg)
}

// scPage renders a page with headers that keep it out of caches and
// frames, and keep its URL (state, codes) out of Referer headers.
func (s *Sim) scPage(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, "sim: render page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
