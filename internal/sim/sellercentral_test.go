package sim_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// The application's URIs as spsync registers them; nothing listens there:
// the tests read the redirects' Location instead of following them.
const (
	appBase     = "https://spsync.example"
	appRedirect = appBase + "/oauth/callback"
	appLogin    = appBase + "/oauth/login"
)

// scBundle is a simulator with two sellers, the application's URIs
// registered and a client that stops at redirects.
type scBundle struct {
	*credBundle
	http *http.Client
}

func setupSC(t *testing.T) *scBundle {
	t.Helper()
	b := &scBundle{credBundle: setupCreds(t, nil), http: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	b.sim.SetApplicationURIs(sim.DemoApplicationID, appLogin, appRedirect, appBase+"/other-callback")
	return b
}

// page is one Seller Central answer read in full.
type page struct {
	status   int
	header   http.Header
	body     string
	location *url.URL // of a redirect
}

func (b *scBundle) do(t *testing.T, method, path string, form url.Values) page {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = b.http.PostForm(b.srv.URL+path, form)
	} else {
		resp, err = b.http.Get(b.srv.URL + path)
	}
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	p := page{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if loc := resp.Header.Get("Location"); loc != "" {
		p.location, err = url.Parse(loc)
		require.NoError(t, err)
	}
	return p
}

// consentURL is the website workflow's first step, as spsync builds it.
func consentURL(region string, q url.Values) string {
	return "/sellercentral/" + region + "/apps/authorize/consent?" + q.Encode()
}

func consentQuery(state string) url.Values {
	return url.Values{"application_id": {sim.DemoApplicationID}, "state": {state}, "redirect_uri": {appRedirect}}
}

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	optionRE = regexp.MustCompile(`<option value="([^"]*)">([^<]*)</option>`)
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
)

// form reads a page's form: its action and hidden fields.
func (p page) form(t *testing.T) (string, url.Values) {
	t.Helper()
	m := actionRE.FindStringSubmatch(p.body)
	require.NotNil(t, m, "no form in %s", p.body)
	v := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		v.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return html.UnescapeString(m[1]), v
}

// options reads the seller picker: selling partner id → option text.
func (p page) options() map[string]string {
	out := map[string]string{}
	for _, o := range optionRE.FindAllStringSubmatch(p.body, -1) {
		out[html.UnescapeString(o[1])] = html.UnescapeString(o[2])
	}
	return out
}

// answer submits a consent page's form as the buttons do.
func (b *scBundle) answer(t *testing.T, consent page, decision, spid string) page {
	t.Helper()
	require.Equal(t, http.StatusOK, consent.status, consent.body)
	action, f := consent.form(t)
	f.Set("decision", decision)
	f.Set("seller", spid)
	return b.do(t, http.MethodPost, action, f)
}

// tokenAnswer is LWA's answer to a token request.
type tokenAnswer struct {
	status           int
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func (b *scBundle) exchange(t *testing.T, code, redirectURI, clientID, secret string) tokenAnswer {
	t.Helper()
	resp, err := http.PostForm(b.srv.URL+"/auth/o2/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {clientID}, "client_secret": {secret},
	})
	require.NoError(t, err)
	defer resp.Body.Close()
	a := tokenAnswer{status: resp.StatusCode}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&a))
	return a
}

// confirmed runs the consent page for spid and returns the code.
func (b *scBundle) confirmed(t *testing.T, state, spid string) string {
	t.Helper()
	p := b.answer(t, b.do(t, http.MethodGet, consentURL("na", consentQuery(state)), nil), "confirm", spid)
	require.Equal(t, http.StatusFound, p.status, p.body)
	code := p.location.Query().Get("spapi_oauth_code")
	require.NotEmpty(t, code)
	return code
}

func TestSellerCentralConsentRoundTrip(t *testing.T) {
	b := setupSC(t)
	other := b.other
	require.NotEqual(t, b.acct.SellerID, other.SellerID)

	consent := b.do(t, http.MethodGet, consentURL("na", consentQuery("st-1")), nil)
	require.Equal(t, http.StatusOK, consent.status, consent.body)
	require.Equal(t, "no-store", consent.header.Get("Cache-Control"))
	require.Equal(t, "no-referrer", consent.header.Get("Referrer-Policy"))
	require.Equal(t, map[string]string{b.acct.SellerID: b.acct.ID, other.SellerID: other.ID}, consent.options())
	require.Contains(t, consent.body, `<button id="confirm" type="submit" name="decision" value="confirm">`)
	require.Contains(t, consent.body, `<button id="cancel" type="submit" name="decision" value="cancel">`)
	action, fields := consent.form(t)
	require.Equal(t, "/sellercentral/na/apps/authorize/confirm", action)
	require.Equal(t, "st-1", fields.Get("state"))
	require.Equal(t, appRedirect, fields.Get("redirect_uri"))

	// The seller picks the second account.
	p := b.answer(t, consent, "confirm", other.SellerID)
	require.Equal(t, http.StatusFound, p.status, p.body)
	require.Equal(t, "https://spsync.example/oauth/callback", p.location.Scheme+"://"+p.location.Host+p.location.Path)
	q := p.location.Query()
	require.Equal(t, "st-1", q.Get("state"))
	require.Equal(t, other.SellerID, q.Get("selling_partner_id"))
	require.Empty(t, q.Get("error"))
	require.Regexp(t, `^state=st-1&selling_partner_id=`, p.location.RawQuery, "Amazon's documented order")

	clientID := b.sim.ApplicationClientID(sim.DemoApplicationID)
	require.Equal(t, sim.DemoAccount.ClientID, clientID)
	tok := b.exchange(t, q.Get("spapi_oauth_code"), appRedirect, clientID, other.ClientSecret)
	require.Equal(t, http.StatusOK, tok.status, tok.ErrorDescription)
	require.True(t, strings.HasPrefix(tok.AccessToken, "Atza|"), tok.AccessToken)
	require.True(t, strings.HasPrefix(tok.RefreshToken, "Atzr|"), tok.RefreshToken)
	require.Equal(t, "bearer", tok.TokenType)
	require.Equal(t, 3600, tok.ExpiresIn)

	// The new refresh token is the seller's authorization now: it works
	// for refresh_token grants and SP-API calls on the seller's data, and
	// the previous one has ended, as after Reauthorize.
	status, lwaErr := b.lwa(t, clientID, other.ClientSecret, tok.RefreshToken)
	require.Equal(t, http.StatusOK, status, lwaErr)
	status, lwaErr = b.lwa(t, clientID, other.ClientSecret, other.RefreshToken)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "invalid_grant", lwaErr)
	status, _ = b.lwa(t, clientID, b.acct.ClientSecret, b.acct.RefreshToken)
	require.Equal(t, http.StatusOK, status, "the other seller's authorization is untouched")

	acct := other
	acct.RefreshToken = tok.RefreshToken
	b.data.Advance(time.Hour)
	orders := allOrders(t, newClient(t, b.srv.URL, acct), spapi.GetOrdersRequest{
		MarketplaceIDs: acct.MarketplaceIDs, CreatedAfter: start.Add(-30 * 24 * time.Hour),
	})
	truth, err := b.sim.TruthOrders(other.ID)
	require.NoError(t, err)
	require.NotEmpty(t, truth)
	var got, want []string
	for _, o := range orders {
		got = append(got, o.AmazonOrderId)
	}
	for _, o := range truth {
		want = append(want, o.AmazonOrderID)
	}
	require.ElementsMatch(t, want, got, "the token acts for the account its seller picked")

	require.Equal(t, sim.OAuthStats{ConsentsConfirmed: 1, CodesIssued: 1, CodesExchanged: 1}, b.sim.OAuthStats())
}

func TestSellerCentralCancel(t *testing.T) {
	b := setupSC(t)
	p := b.answer(t, b.do(t, http.MethodGet, consentURL("eu", consentQuery("st-c")), nil), "cancel", "")
	require.Equal(t, http.StatusFound, p.status, p.body)
	require.Equal(t, url.Values{"state": {"st-c"}, "error": {"access_denied"}}, p.location.Query())
	require.Equal(t, "/oauth/callback", p.location.Path)
	require.Equal(t, sim.OAuthStats{ConsentsCancelled: 1}, b.sim.OAuthStats())
	status, _ := b.lwa(t, b.acct.ClientID, b.acct.ClientSecret, b.acct.RefreshToken)
	require.Equal(t, http.StatusOK, status, "a cancelled consent ends nothing")
}

func TestAuthorizationCodeRefused(t *testing.T) {
	tests := []struct {
		name string
		// before prepares the code (used once, clock moved) and returns
		// the redirect URI, client id and secret to present.
		before      func(t *testing.T, b *scBundle, code string) (redirectURI, clientID, secret string)
		status      int
		lwaErr, why string
		// thenRight: the code still works with the right parameters.
		thenRight bool
	}{
		{
			name: "used twice",
			before: func(t *testing.T, b *scBundle, code string) (string, string, string) {
				require.Equal(t, http.StatusOK, b.exchange(t, code, appRedirect, b.acct.ClientID, b.acct.ClientSecret).status)
				return appRedirect, b.acct.ClientID, b.acct.ClientSecret
			},
			status: http.StatusBadRequest, lwaErr: "invalid_grant", why: "code",
		},
		{
			name: "after five minutes",
			before: func(t *testing.T, b *scBundle, code string) (string, string, string) {
				b.cred.Advance(sim.AuthorizationCodeLifetime)
				return appRedirect, b.acct.ClientID, b.acct.ClientSecret
			},
			status: http.StatusBadRequest, lwaErr: "invalid_grant", why: "code",
		},
		{
			name: "another registered redirect_uri",
			before: func(t *testing.T, b *scBundle, code string) (string, string, string) {
				return appBase + "/other-callback", b.acct.ClientID, b.acct.ClientSecret
			},
			status: http.StatusBadRequest, lwaErr: "invalid_grant", why: "redirect_uri", thenRight: true,
		},
		{
			name: "another client id",
			before: func(t *testing.T, b *scBundle, code string) (string, string, string) {
				return appRedirect, "amzn1.application-oa2-client.unknown", b.acct.ClientSecret
			},
			status: http.StatusUnauthorized, lwaErr: "invalid_client", thenRight: true,
		},
		{
			name: "wrong client secret",
			before: func(t *testing.T, b *scBundle, code string) (string, string, string) {
				return appRedirect, b.acct.ClientID, "not-the-secret"
			},
			status: http.StatusUnauthorized, lwaErr: "invalid_client", thenRight: true,
		},
		{
			name: "no redirect_uri",
			before: func(t *testing.T, b *scBundle, code string) (string, string, string) {
				return "", b.acct.ClientID, b.acct.ClientSecret
			},
			status: http.StatusBadRequest, lwaErr: "invalid_request", thenRight: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := setupSC(t)
			code := b.confirmed(t, "st", b.acct.SellerID)
			b.cred.Advance(sim.AuthorizationCodeLifetime - time.Second)
			redirectURI, clientID, secret := tc.before(t, b, code)
			before := b.sim.OAuthStats()
			a := b.exchange(t, code, redirectURI, clientID, secret)
			require.Equal(t, tc.status, a.status)
			require.Equal(t, tc.lwaErr, a.Error)
			require.Empty(t, a.RefreshToken)
			if tc.why != "" {
				require.Equal(t, "The request has an invalid grant parameter : "+tc.why, a.ErrorDescription)
				require.Equal(t, before.CodesRefused+1, b.sim.OAuthStats().CodesRefused)
			}
			if tc.thenRight {
				require.Equal(t, http.StatusOK, b.exchange(t, code, appRedirect, b.acct.ClientID, b.acct.ClientSecret).status,
					"a refused attempt does not burn the code")
			}
		})
	}
}

func TestSellerCentralConsentRefused(t *testing.T) {
	tests := []struct {
		name   string
		region string
		mod    func(url.Values)
		draft  bool
		status int
		msg    string
	}{
		{"unknown application", "na", func(q url.Values) { q.Set("application_id", "amzn1.sp.solution.nope") }, false, http.StatusBadRequest, "does not exist"},
		{"no application", "na", func(q url.Values) { q.Del("application_id") }, false, http.StatusBadRequest, "no application_id"},
		{"unregistered redirect_uri", "na", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, false, http.StatusBadRequest, "is not registered"},
		{"redirect_uri differs by a slash", "na", func(q url.Values) { q.Set("redirect_uri", appRedirect+"/") }, false, http.StatusBadRequest, "is not registered"},
		{"no state", "na", func(q url.Values) { q.Del("state") }, false, http.StatusBadRequest, "no state"},
		{"draft without version=beta", "na", func(url.Values) {}, true, http.StatusBadRequest, "needs version=beta"},
		{"draft with version=alpha", "na", func(q url.Values) { q.Set("version", "alpha") }, true, http.StatusBadRequest, "needs version=beta"},
		{"unknown region", "xx", func(url.Values) {}, false, http.StatusNotFound, "no Seller Central for region"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := setupSC(t)
			b.sim.SetApplicationDraft(sim.DemoApplicationID, tc.draft)
			q := consentQuery("st")
			tc.mod(q)
			p := b.do(t, http.MethodGet, consentURL(tc.region, q), nil)
			require.Equal(t, tc.status, p.status)
			require.Nil(t, p.location, "an error page, no redirect")
			require.Contains(t, p.body, `<p id="error">`)
			require.Contains(t, html.UnescapeString(p.body), tc.msg)
			require.NotContains(t, p.body, `id="confirm"`)
			require.Equal(t, 1, b.sim.OAuthStats().ErrorPages)

			// The confirm step checks the same things: a forged form
			// gets no code either.
			f := url.Values{"decision": {"confirm"}, "seller": {b.acct.SellerID}}
			for k := range q {
				f.Set(k, q.Get(k))
			}
			p = b.do(t, http.MethodPost, "/sellercentral/"+tc.region+"/apps/authorize/confirm", f)
			require.Equal(t, tc.status, p.status)
			require.Nil(t, p.location)
			require.Zero(t, b.sim.OAuthStats().CodesIssued)
		})
	}
}

func TestSellerCentralDraftWithBeta(t *testing.T) {
	b := setupSC(t)
	b.sim.SetApplicationDraft(sim.DemoApplicationID, true)
	q := consentQuery("st-beta")
	q.Set("version", "beta")
	consent := b.do(t, http.MethodGet, consentURL("na", q), nil)
	require.Equal(t, http.StatusOK, consent.status, consent.body)
	_, f := consent.form(t)
	require.Equal(t, "beta", f.Get("version"), "the confirm form keeps version=beta")
	p := b.answer(t, consent, "confirm", b.acct.SellerID)
	require.Equal(t, http.StatusFound, p.status, p.body)
	a := b.exchange(t, p.location.Query().Get("spapi_oauth_code"), appRedirect, b.acct.ClientID, b.acct.ClientSecret)
	require.Equal(t, http.StatusOK, a.status, a.ErrorDescription)

	// Without a redirect_uri Amazon uses the first registered one.
	q.Del("redirect_uri")
	_, f = b.do(t, http.MethodGet, consentURL("na", q), nil).form(t)
	require.Equal(t, appRedirect, f.Get("redirect_uri"))
}

func TestSellerCentralConfirmRefused(t *testing.T) {
	b := setupSC(t)
	consent := b.do(t, http.MethodGet, consentURL("na", consentQuery("st")), nil)
	for _, tc := range []struct{ decision, seller string }{
		{"confirm", "A0NOSUCHSELLER"},
		{"confirm", ""},
		{"", b.acct.SellerID},
		{"maybe", b.acct.SellerID},
	} {
		p := b.answer(t, consent, tc.decision, tc.seller)
		require.Equal(t, http.StatusBadRequest, p.status, "%+v", tc)
		require.Nil(t, p.location)
	}
	require.Zero(t, b.sim.OAuthStats().CodesIssued)
}

// loginStart opens "Manage your apps" for spid and presses Authorize.
func (b *scBundle) loginStart(t *testing.T, spid string) *url.URL {
	t.Helper()
	manage := b.do(t, http.MethodGet, "/sellercentral/na/apps/manage?"+url.Values{
		"application_id": {sim.DemoApplicationID}, "seller": {spid},
	}.Encode(), nil)
	require.Equal(t, http.StatusOK, manage.status, manage.body)
	require.Contains(t, manage.body, `<button id="authorize" type="submit">`)
	action, f := manage.form(t)
	p := b.do(t, http.MethodPost, action, f)
	require.Equal(t, http.StatusFound, p.status, p.body)
	return p.location
}

// callback is the application sending the browser back to
// amazon_callback_uri.
func (b *scBundle) callback(t *testing.T, login *url.URL, state string) page {
	t.Helper()
	cb, err := url.Parse(login.Query().Get("amazon_callback_uri"))
	require.NoError(t, err)
	return b.do(t, http.MethodGet, cb.Path+"?"+url.Values{
		"amazon_state": {login.Query().Get("amazon_state")}, "state": {state}, "redirect_uri": {appRedirect},
	}.Encode(), nil)
}

func TestSellerCentralLoginURI(t *testing.T) {
	b := setupSC(t)
	login := b.loginStart(t, b.other.SellerID)
	require.Equal(t, appLogin, login.Scheme+"://"+login.Host+login.Path)
	lq := login.Query()
	require.Equal(t, b.srv.URL+"/sellercentral/na/apps/authorize/callback", lq.Get("amazon_callback_uri"))
	require.Equal(t, b.other.SellerID, lq.Get("selling_partner_id"))
	require.NotEmpty(t, lq.Get("amazon_state"))
	require.False(t, lq.Has("version"), "a published application gets no version=beta")

	consent := b.callback(t, login, "st-login")
	require.Equal(t, http.StatusOK, consent.status, consent.body)
	require.Equal(t, map[string]string{b.other.SellerID: b.other.ID}, consent.options(), "only the seller Amazon called for")

	// The confirm step keeps to that seller, even from a forged form.
	action, f := consent.form(t)
	f.Set("decision", "confirm")
	f.Set("seller", b.acct.SellerID)
	f.Set("state", "forged")
	p := b.do(t, http.MethodPost, action, f)
	require.Equal(t, http.StatusBadRequest, p.status)
	require.Nil(t, p.location)
	require.Zero(t, b.sim.OAuthStats().CodesIssued)

	// A new start, confirmed by the right seller.
	consent = b.callback(t, b.loginStart(t, b.other.SellerID), "st-login-2")
	p = b.answer(t, consent, "confirm", b.other.SellerID)
	require.Equal(t, http.StatusFound, p.status, p.body)
	q := p.location.Query()
	require.Equal(t, "st-login-2", q.Get("state"))
	require.Equal(t, b.other.SellerID, q.Get("selling_partner_id"))
	a := b.exchange(t, q.Get("spapi_oauth_code"), appRedirect, b.acct.ClientID, b.acct.ClientSecret)
	require.Equal(t, http.StatusOK, a.status, a.ErrorDescription)
	status, _ := b.lwa(t, b.acct.ClientID, b.acct.ClientSecret, a.RefreshToken)
	require.Equal(t, http.StatusOK, status)

	// The answered page cannot be answered again.
	p = b.answer(t, consent, "confirm", b.other.SellerID)
	require.Equal(t, http.StatusBadRequest, p.status)

	st := b.sim.OAuthStats()
	require.Equal(t, 2, st.LoginStarts)
	require.Equal(t, 1, st.CodesIssued)
	require.Equal(t, 1, st.CodesExchanged)
}

func TestSellerCentralAmazonStateRefused(t *testing.T) {
	tests := []struct {
		name   string
		mangle func(t *testing.T, b *scBundle, login *url.URL) *url.URL
	}{
		{"reused", func(_ *testing.T, _ *scBundle, login *url.URL) *url.URL { return login }},
		{"expired", func(t *testing.T, b *scBundle, _ *url.URL) *url.URL {
			login := b.loginStart(t, b.acct.SellerID)
			b.cred.Advance(sim.AmazonStateLifetime)
			return login
		}},
		{"forged", func(_ *testing.T, _ *scBundle, login *url.URL) *url.URL {
			u := *login
			q := u.Query()
			q.Set("amazon_state", "forged")
			u.RawQuery = q.Encode()
			return &u
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := setupSC(t)
			login := b.loginStart(t, b.acct.SellerID)
			require.Equal(t, http.StatusOK, b.callback(t, login, "st").status)
			p := b.callback(t, tc.mangle(t, b, login), "st")
			require.Equal(t, http.StatusBadRequest, p.status)
			require.Nil(t, p.location)
			require.Contains(t, p.body, "expired or was already used")
			require.Equal(t, 1, b.sim.OAuthStats().AmazonStatesRefused)
		})
	}
}

func TestSellerCentralLoginURIDraftAndErrors(t *testing.T) {
	b := setupSC(t)
	b.sim.SetApplicationDraft(sim.DemoApplicationID, true)
	login := b.loginStart(t, b.acct.SellerID)
	require.Equal(t, "beta", login.Query().Get("version"), "Amazon calls a draft's Login URI with version=beta")
	consent := b.callback(t, login, "st")
	require.Equal(t, http.StatusOK, consent.status, consent.body)

	manage := func(app, seller string) page {
		return b.do(t, http.MethodGet, "/sellercentral/fe/apps/manage?"+url.Values{"application_id": {app}, "seller": {seller}}.Encode(), nil)
	}
	require.Equal(t, http.StatusBadRequest, manage(sim.DemoApplicationID, "A0NOSUCHSELLER").status)
	require.Equal(t, http.StatusBadRequest, manage("amzn1.sp.solution.nope", b.acct.SellerID).status)
	b.sim.SetApplicationURIs(sim.DemoApplicationID, "", appRedirect)
	p := manage(sim.DemoApplicationID, b.acct.SellerID)
	require.Equal(t, http.StatusBadRequest, p.status)
	require.Contains(t, p.body, "no Login URI")
	p = b.do(t, http.MethodPost, "/sellercentral/fe/apps/manage/authorize", url.Values{
		"application_id": {sim.DemoApplicationID}, "seller": {b.acct.SellerID},
	})
	require.Equal(t, http.StatusBadRequest, p.status)
	require.Nil(t, p.location)
}

func TestSellerCentralEscapesParameters(t *testing.T) {
	b := setupSC(t)
	const hostile = `"><script>alert(1)</script><a href="javascript:x">`
	q := consentQuery(hostile)
	consent := b.do(t, http.MethodGet, consentURL("na", q), nil)
	require.Equal(t, http.StatusOK, consent.status)
	require.NotContains(t, consent.body, "<script>")
	require.NotContains(t, consent.body, `href="javascript`)
	require.Contains(t, consent.body, "&lt;script&gt;")
	_, f := consent.form(t)
	require.Equal(t, hostile, f.Get("state"), "escaped, not altered")

	p := b.answer(t, consent, "confirm", b.acct.SellerID)
	require.Equal(t, http.StatusFound, p.status)
	require.Equal(t, hostile, p.location.Query().Get("state"), "the redirect carries the state as given")

	// Error pages echo what was wrong, escaped.
	q.Set("redirect_uri", `https://x.example/"><script>alert(2)</script>`)
	e := b.do(t, http.MethodGet, consentURL("na", q), nil)
	require.Equal(t, http.StatusBadRequest, e.status)
	require.NotContains(t, e.body, "<script>")
	require.Contains(t, e.body, "&lt;script&gt;alert(2)")
	e = b.do(t, http.MethodGet, "/sellercentral/na/apps/manage?"+url.Values{"application_id": {sim.DemoApplicationID}, "seller": {hostile}}.Encode(), nil)
	require.Equal(t, http.StatusBadRequest, e.status)
	require.NotContains(t, e.body, "<script>")
	require.Equal(t, "text/html; charset=utf-8", e.header.Get("Content-Type"))
}

// The authorization_code grant counts as LWA traffic for the credential
// notices, like every grant, and honours secret propagation.
func TestAuthorizationCodeDeliversNotices(t *testing.T) {
	b := setupSC(t)
	code := b.confirmed(t, "st", b.acct.SellerID)
	b.cred.Advance(180*24*time.Hour - sim.ExpiryNoticeLead) // the EXPIRY notice is due
	require.Empty(t, b.sim.ApplicationNotifications())
	a := b.exchange(t, code, appRedirect, b.acct.ClientID, b.acct.ClientSecret)
	require.Equal(t, http.StatusBadRequest, a.status, "the code is long expired")
	require.Len(t, b.sim.ApplicationNotifications(), 1)
	require.NoError(t, b.sim.DeliverCredentialNotices(context.Background()))
}

// A code is bound to the application's client: another application of
// the same developer, authenticating correctly, cannot redeem it.
func TestAuthorizationCodeBoundToClient(t *testing.T) {
	third := sim.DemoAccount
	third.ID, third.SellerID, third.RefreshToken = "third", "", "Atzr|sim-third-refresh-token"
	third.ClientID, third.ClientSecret = "amzn1.application-oa2-client.third", "third-secret"
	b := &scBundle{credBundle: setupCreds(t, func(o *sim.Options) { o.Accounts = append(o.Accounts, third) }), http: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	b.sim.SetApplicationURIs(sim.DemoApplicationID, appLogin, appRedirect)
	code := b.confirmed(t, "st", b.acct.SellerID)
	a := b.exchange(t, code, appRedirect, third.ClientID, third.ClientSecret)
	require.Equal(t, http.StatusBadRequest, a.status)
	require.Equal(t, "invalid_grant", a.Error)
	a = b.exchange(t, code, appRedirect, b.acct.ClientID, b.acct.ClientSecret)
	require.Equal(t, http.StatusOK, a.status, a.ErrorDescription)

	// The third account can be picked too; its new authorization belongs
	// to the application that asked, so refreshing it takes that client.
	code = b.confirmed(t, "st", b.sim.Accounts()[2].SellerID)
	a = b.exchange(t, code, appRedirect, b.acct.ClientID, b.acct.ClientSecret)
	require.Equal(t, http.StatusOK, a.status, a.ErrorDescription)
	status, _ := b.lwa(t, b.acct.ClientID, b.acct.ClientSecret, a.RefreshToken)
	require.Equal(t, http.StatusOK, status)
	status, lwaErr := b.lwa(t, third.ClientID, third.ClientSecret, a.RefreshToken)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "invalid_client", lwaErr)
}
