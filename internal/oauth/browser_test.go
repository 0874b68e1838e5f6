package oauth_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/oauth/oauthtest"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/store"
)

// These tests play Amazon's website authorization workflow in a real
// headless Chromium (internal/oauth/oauthtest) against a worker running
// in-process with its OAuth listener, and the simulator as SP-API, LWA
// and Seller Central. They need Postgres (TEST_DATABASE_URL) and
// Chromium (skipped without it, failed under CI=true).

// TestOnboardInABrowser: an operator's invitation, opened in a browser,
// leads to Seller Central's consent page; the seller picks its account
// and confirms; spsync shows its success page, the account exists and
// syncs, and its orders equal the simulator's within a minute.
func TestOnboardInABrowser(t *testing.T) {
	t.Parallel()
	h := newOnboarding(t, smallDataset)
	h.start(t)
	b := oauthtest.Browser(t)

	const id = "seller-02"
	t0 := time.Now()
	link := h.onboard(t, b, id)
	require.Equal(t, store.AccountActive, h.accountState(t, id))
	require.Equal(t, 1, h.accountCount(t), "one account, the one authorized")
	var spid string
	var authorized *time.Time
	require.NoError(t, h.pool.QueryRow(context.Background(),
		`SELECT coalesce(selling_partner_id, ''), last_authorized_at FROM accounts WHERE id = $1`, id).Scan(&spid, &authorized))
	require.Equal(t, h.accts[id].SellerID, spid, "the account carries the selling partner id Amazon sent")
	require.NotNil(t, authorized, "last_authorized_at is set")
	st := h.sim.OAuthStats()
	require.Equal(t, 1, st.ConsentsConfirmed)
	require.Equal(t, 1, st.CodesExchanged, "spsync exchanged the code once")

	require.Eventually(t, func() bool { return h.polledSince(t, id, t0) }, 60*time.Second, 200*time.Millisecond,
		"the first poll of each stream runs within 60 s of the consent")
	t.Logf("%s: first poll of every stream %.1f s after the invitation was opened", id, time.Since(t0).Seconds())
	h.requireOrdersEqualTruth(t, id)

	// The invitation worked once: opened again, in any browser, it is
	// refused and nothing more is written.
	again := b.NewProfile()
	requireRefusal(t, again, again.Navigate(link), http.StatusGone, "invitation_used")
	require.Equal(t, 1, h.accountCount(t))
}

// TestCancelConsentInABrowser: the seller clicks Cancel on the consent
// page; spsync shows a page saying nothing was stored, and no account
// exists. The invitation still works, as the page says: opened again, it
// onboards. (Amazon does not document Cancel; the simulator answers with
// OAuth 2.0's error=access_denied.)
func TestCancelConsentInABrowser(t *testing.T) {
	t.Parallel()
	h := newOnboarding(t, smallDataset)
	h.start(t)
	b := oauthtest.Browser(t)

	tab := b.NewProfile()
	link := h.invite(t, "seller-01")
	h.openInvitation(t, tab, link)
	status := h.consent(t, tab, "seller-01", "cancel")
	requireRefusal(t, tab, status, http.StatusOK, "consent_denied")
	require.Equal(t, "Authorization cancelled", tab.Title())
	require.Contains(t, tab.Text(), "Nothing was stored")
	require.Zero(t, h.accountCount(t), "no account")
	st := h.sim.OAuthStats()
	require.Equal(t, 1, st.ConsentsCancelled)
	require.Zero(t, st.CodesIssued)

	h.openInvitation(t, tab, link)
	require.Equal(t, http.StatusOK, h.consent(t, tab, "seller-01", "confirm"), tab.Text())
	h.requireSuccessPage(t, tab, "seller-01", false)
	require.Equal(t, store.AccountActive, h.accountState(t, "seller-01"))
}

// TestStateFromAnotherBrowser: a flow started in one browser (its state
// in the consent URL) is completed from another browser, which lacks the
// first one's cookie: spsync refuses, does not exchange the code, and
// writes no account. The invitation is not spent by the refusal: the
// seller, back in the first browser, opens it again and onboards.
func TestStateFromAnotherBrowser(t *testing.T) {
	t.Parallel()
	h := newOnboarding(t, smallDataset)
	h.start(t)
	b := oauthtest.Browser(t)

	victim := b.NewProfile()
	link := h.invite(t, "seller-01")
	h.openInvitation(t, victim, link)
	consentURL := victim.URL()

	attacker := b.NewProfile()
	require.Equal(t, 200, attacker.Navigate(consentURL), "Seller Central shows the consent page to anyone with the URL")
	require.Nil(t, attacker.Cookie(h.oauth.RedirectURI(), "spsync_oauth"), "the second browser has no flow cookie")
	status := h.consent(t, attacker, "seller-01", "confirm")
	requireRefusal(t, attacker, status, http.StatusForbidden, "cookie_missing")
	require.Zero(t, h.accountCount(t), "no account")
	st := h.sim.OAuthStats()
	require.Equal(t, 1, st.CodesIssued, "Seller Central issued a code")
	require.Zero(t, st.CodesExchanged+st.CodesRefused, "spsync never presented it to LWA")

	// The callback URL itself, replayed in a third browser, is refused the
	// same way.
	callback := attacker.URL()
	third := b.NewProfile()
	requireRefusal(t, third, third.Navigate(callback), http.StatusForbidden, "cookie_missing")
	require.Zero(t, h.accountCount(t), "no account")
	require.Zero(t, h.sim.OAuthStats().CodesExchanged)

	h.openInvitation(t, victim, link)
	require.Equal(t, http.StatusOK, h.consent(t, victim, "seller-01", "confirm"), victim.Text())
	h.requireSuccessPage(t, victim, "seller-01", false)
	require.Equal(t, 1, h.accountCount(t))
}

// TestLoginURIRenewalInABrowser: an account whose authorization ended
// (revoked in the simulator) is needs_reauth; the seller renews it from
// Seller Central's "Manage your apps" page, which calls spsync's Login
// URI; after consent the account is active again, keeps its cursors and
// rows (no re-sync) and equals the truth.
func TestLoginURIRenewalInABrowser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newOnboarding(t, smallDataset)
	h.start(t)
	b := oauthtest.Browser(t)

	const id = "seller-01"
	t0 := time.Now()
	h.onboard(t, b, id)
	require.Eventually(t, func() bool { return h.polledSince(t, id, t0) }, time.Minute, 200*time.Millisecond)
	h.requireOrdersEqualTruth(t, id)

	require.NoError(t, h.sim.RevokeAuthorization(id))
	require.Eventually(t, func() bool { return h.accountState(t, id) == store.AccountNeedsReauth },
		30*time.Second, 200*time.Millisecond, "the revoked account needs re-authorization")
	before := h.cursors(t, id)
	require.Len(t, before, streams, "one cursor per stream")
	var rowsBefore int
	require.NoError(t, h.pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE account_id = $1`, id).Scan(&rowsBefore))

	// Seller Central, "Manage your apps" → Authorize → spsync's Login URI
	// → back to Seller Central's consent, the seller fixed → Confirm.
	tab := b.NewProfile()
	manage := h.simURL + "/sellercentral/na/apps/manage?" + url.Values{
		"application_id": {sim.DemoApplicationID}, "seller": {h.accts[id].SellerID}}.Encode()
	require.Equal(t, 200, tab.Navigate(manage), tab.Text())
	require.Equal(t, 200, tab.Click("authorize"), tab.Text())
	require.True(t, strings.HasPrefix(tab.URL(), h.simURL+"/sellercentral/na/apps/authorize/callback?"),
		"spsync's Login URI sent the browser back to amazon_callback_uri, not %s", tab.URL())
	require.NotNil(t, tab.Cookie(h.oauth.RedirectURI(), "spsync_oauth"), "spsync set its flow cookie")
	require.Equal(t, []string{id}, tab.Options("seller"), "the consent page offers only the renewing seller")
	tr := time.Now()
	require.Equal(t, 200, h.consent(t, tab, id, "confirm"), tab.Text())
	h.requireSuccessPage(t, tab, id, true)
	require.Equal(t, store.AccountActive, h.accountState(t, id))
	require.Equal(t, 1, h.accountCount(t), "the same account, no second one")

	require.Eventually(t, func() bool { return h.polledSince(t, id, tr) }, time.Minute, 200*time.Millisecond, "syncs again")
	h.requireOrdersEqualTruth(t, id)
	after := h.cursors(t, id)
	require.Len(t, after, len(before), "the same cursors")
	for i, c := range before {
		require.Equal(t, c.Stream, after[i].Stream)
		require.Equal(t, c.Scope, after[i].Scope)
		require.NotNil(t, after[i].CursorAt, "%s: cursor kept", c.Stream)
		if c.CursorAt != nil {
			require.False(t, after[i].CursorAt.Before(*c.CursorAt), "%s: the cursor did not go back (%s → %s): no re-sync",
				c.Stream, c.CursorAt, after[i].CursorAt)
		}
	}
	var rowsAfter int
	require.NoError(t, h.pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE account_id = $1`, id).Scan(&rowsAfter))
	require.GreaterOrEqual(t, rowsAfter, rowsBefore, "the account's rows were kept")
}

// TestOAuthListenerServesOnlyOAuth: the OAuth listener faces the
// internet, so it serves the flow's three paths and nothing of the
// operator's (/metrics, /riverui/, /healthz); the main listener does not
// serve the flow.
func TestOAuthListenerServesOnlyOAuth(t *testing.T) {
	t.Parallel()
	h := newOnboarding(t, smallDataset)
	h.start(t)
	get := func(u string) (int, http.Header, string) {
		t.Helper()
		resp, err := http.Get(u)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, resp.Header, string(body)
	}
	for _, path := range []string{"/metrics", "/riverui/", "/riverui/api/jobs", "/healthz", "/", "/oauth/", "/oauth/other"} {
		status, hdr, body := get(h.base + path)
		require.Equal(t, http.StatusNotFound, status, "OAuth listener %s", path)
		require.NotContains(t, body, "spsync_", "OAuth listener %s shows no metric", path)
		require.Equal(t, "no-referrer", hdr.Get("Referrer-Policy"), path)
		require.Equal(t, "no-store", hdr.Get("Cache-Control"), path)
		require.Equal(t, "DENY", hdr.Get("X-Frame-Options"), path)
	}
	// The flow's paths answer there, with their refusal pages.
	for _, c := range []struct{ path, reason string }{
		{"/oauth/invite/not-a-token", "invitation_unknown"},
		{"/oauth/callback", ""},
		{"/oauth/login", "bad_login_request"},
	} {
		_, _, body := get(h.base + c.path)
		require.Contains(t, body, `<code id="reason">`+c.reason, "OAuth listener %s", c.path)
	}

	// The main listener serves the operator, not the flow.
	status, _, _ := get("http://" + h.appAddr + "/metrics")
	require.Equal(t, http.StatusOK, status)
	for _, path := range []string{"/oauth/callback", "/oauth/login", "/oauth/invite/x"} {
		status, _, _ := get("http://" + h.appAddr + path)
		require.Equal(t, http.StatusNotFound, status, "main listener %s", path)
	}
}

// thirtySellers is TestThirtySellersOnboard's dataset: 30 simulator
// sellers in the US marketplace, each with 30 orders, 6 fulfillment
// orders and 6 service jobs, all settled (created 17 to 21 days ago);
// SP-API's rates ×20 and bursts ×100 (the simulator's limits and the
// worker's own limiter alike); every stream polled @every 2s, accounts
// reread every second.
var thirtySellers = onboardingOptions{sellers: 30, orders: 30, fulfillment: 6, serviceJobs: 6, rateScale: 20, burstScale: 100}

// syncDeadline is how long after the last seller's consent every
// account must have polled each stream and equal the truth.
const syncDeadline = 2 * time.Minute

// TestThirtySellersOnboard onboards the 30 sellers of thirtySellers one
// after another, each in its own browser profile, while the worker syncs
// those already onboarded; within syncDeadline of the last consent every
// account has completed a poll of each stream and its orders equal the
// truth. It logs how long the onboarding and the sync took.
func TestThirtySellersOnboard(t *testing.T) {
	if testing.Short() {
		t.Skip("30 browser flows and their syncs: not in -short")
	}
	h := newOnboarding(t, thirtySellers)
	h.start(t)
	b := oauthtest.Browser(t)

	t0 := time.Now()
	consented := make(map[string]time.Time, thirtySellers.sellers)
	// firstPolled is when each account was first seen with every stream
	// polled since its consent; sweep looks after each onboarding (about
	// every half second) and then while waiting for the last ones.
	firstPolled := make(map[string]time.Time, thirtySellers.sellers)
	sweep := func() bool {
		for id, at := range consented {
			if _, ok := firstPolled[id]; !ok && h.polledSince(t, id, at) {
				firstPolled[id] = time.Now()
			}
		}
		return len(firstPolled) == thirtySellers.sellers
	}
	var ids []string
	for _, a := range h.sim.Accounts() {
		h.onboard(t, b, a.ID)
		consented[a.ID] = time.Now()
		ids = append(ids, a.ID)
		sweep()
	}
	onboarded := time.Since(t0)
	require.Len(t, ids, thirtySellers.sellers)
	require.Equal(t, thirtySellers.sellers, h.accountCount(t))
	require.Equal(t, thirtySellers.sellers, h.sim.OAuthStats().CodesExchanged)

	tl := time.Now()
	require.Eventually(t, sweep, syncDeadline, 250*time.Millisecond, "every account polls each stream")
	for _, id := range ids {
		require.Equal(t, store.AccountActive, h.accountState(t, id))
		h.requireOrdersEqualTruth(t, id)
	}
	synced := time.Since(tl)
	require.Less(t, synced, syncDeadline)
	var worst time.Duration
	var total time.Duration
	for id, at := range firstPolled {
		d := at.Sub(consented[id])
		total += d
		worst = max(worst, d)
	}
	require.Less(t, worst, 60*time.Second, "each account's first poll of every stream within 60 s of its consent")
	t.Logf("30 sellers: onboarding through the browser %.1f s (%.2f s per seller); consent to first poll of every stream: mean %.1f s, worst %.1f s; all polled and equal to the truth %.1f s after the last consent (%.1f s in all)",
		onboarded.Seconds(), onboarded.Seconds()/float64(len(ids)), (total / time.Duration(len(firstPolled))).Seconds(), worst.Seconds(),
		synced.Seconds(), time.Since(t0).Seconds())
}
