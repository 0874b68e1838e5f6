package oauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs/orders/ordermap"
	"github.com/spsync/spsync/internal/oauth"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// storeOrdersOf stores the simulator's orders of seller as account's, as
// a sync would have.
func (e *flowEnv) storeOrdersOf(t *testing.T, account, seller string) {
	t.Helper()
	truth, err := e.sim.TruthOrders(seller)
	require.NoError(t, err)
	require.NotEmpty(t, truth)
	body, err := json.Marshal(truth)
	require.NoError(t, err)
	var orders []spapi.Order
	require.NoError(t, json.Unmarshal(body, &orders))
	rows, err := ordermap.Orders(orders)
	require.NoError(t, err)
	_, err = store.UpsertOrders(context.Background(), e.pool, account, rows)
	require.NoError(t, err)
}

// rewrite returns u with its query parameter name set to value: what a
// browser's user can do to any redirect.
func rewrite(t *testing.T, u, name, value string) string {
	t.Helper()
	p, err := url.Parse(u)
	require.NoError(t, err)
	q := p.Query()
	q.Set(name, value)
	p.RawQuery = q.Encode()
	return p.String()
}

// TestRenewalWithAnotherSellersTokenIsRefused: seller-02 starts a renewal
// at Seller Central as themselves and rewrites selling_partner_id to
// seller-01's on the way to spsync's Login URI and callback. Amazon's
// redirect is all spsync has of the seller's identity, so it must prove the
// new token with one of the account's stored orders: refused, the account
// keeps its token. seller-01's own renewal passes the same check.
func TestRenewalWithAnotherSellersTokenIsRefused(t *testing.T) {
	e := newFlowEnv(t)
	done := e.onboard(t, e.browser(t), e.invite(t, oauth.InviteRequest{AccountID: "acme"}), "seller-01")
	require.Equal(t, http.StatusOK, done.status, done.body)
	e.storeOrdersOf(t, "acme", "seller-01")
	before := e.account(t, "acme")

	b := e.browser(t)
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.PostForm(e.simURL+"/sellercentral/na/apps/manage/authorize",
		url.Values{"application_id": {sim.DemoApplicationID}, "seller": {e.sellers["seller-02"]}})
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	login := rewrite(t, resp.Header.Get("Location"), "selling_partner_id", e.sellers["seller-01"])
	consent := b.get(t, login) // spsync starts a renewal of acme, Seller Central shows seller-02's consent
	require.Equal(t, http.StatusOK, consent.status, consent.body)
	_, redirect := b.decide(t, consent, e.sellers["seller-02"], "confirm", false)
	require.Equal(t, http.StatusFound, redirect.StatusCode)
	callback := rewrite(t, redirect.Header.Get("Location"), "selling_partner_id", e.sellers["seller-01"])
	a := b.get(t, callback)
	e.requireRefused(t, a, oauth.ReasonWrongSeller, http.StatusForbidden)
	after := e.account(t, "acme")
	require.Equal(t, *before.RefreshTokenSealed, *after.RefreshTokenSealed, "acme keeps seller-01's token")

	// seller-01's own renewal: the token reads acme's order, accepted.
	b1 := e.browser(t)
	own := e.authorizeFromManage(t, b1, "seller-01")
	ok, _ := b1.decide(t, own, e.sellers["seller-01"], "confirm", true)
	require.Equal(t, http.StatusOK, ok.status, ok.body)
	require.Contains(t, ok.body, "Authorization renewed")
	require.NotEqual(t, *before.RefreshTokenSealed, *e.account(t, "acme").RefreshTokenSealed)
}
