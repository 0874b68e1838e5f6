package oauth_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/devtools/freeport"
	"github.com/spsync/spsync/internal/oauth"
	"github.com/spsync/spsync/internal/oauth/oauthtest"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
	registry "github.com/spsync/spsync/internal/streams"
	"github.com/spsync/spsync/internal/worker"
	"github.com/spsync/spsync/internal/worker/workertest"
)

// streams is how many streams every account polls: the registry's.
var streams = len(registry.All(nil))

// onboarding is a worker with its OAuth listener in front of the
// simulator, which plays SP-API, LWA and Seller Central. No account is
// declared: the worker syncs the accounts stored in Postgres, and every
// one of them arrives through the authorization flow.
type onboarding struct {
	sim     *sim.Sim
	simURL  string
	pool    *pgxpool.Pool
	keys    *secretbox.Keyring
	admin   *accounts.Admin
	cfg     *config.Config
	oauth   oauth.Config
	env     map[string]string
	accts   map[string]sim.Account
	base    string // the OAuth listener, http://127.0.0.1:PORT
	appAddr string // the main listener (/healthz, /metrics, /riverui/)
}

// onboardingOptions size the simulator: n sellers, each with orders,
// fulfillment orders and service jobs; the rate and burst scales speed up
// SP-API's limits as in the worker's accounts tests.
type onboardingOptions struct {
	sellers, orders, fulfillment, serviceJobs int
	rateScale, burstScale                     float64
}

var smallDataset = onboardingOptions{sellers: 3, orders: 20, fulfillment: 4, serviceJobs: 4, rateScale: 20, burstScale: 100}

func newOnboarding(t *testing.T, o onboardingOptions) *onboarding {
	t.Helper()
	simAccts := make([]sim.Account, o.sellers)
	byID := map[string]sim.Account{}
	for i := range simAccts {
		a := sim.DemoAccount
		a.ID, a.SellerID = fmt.Sprintf("seller-%02d", i+1), ""
		a.RefreshToken += "-" + a.ID
		a.MarketplaceIDs = []string{sim.MarketplaceUS}
		simAccts[i] = a
	}
	// A settled dataset: every entity was created 17 to 21 days ago and
	// all activity is over, inside the pollers' initial lookback. The
	// truth does not move while the test runs, so an account equals it
	// right after its first complete poll (with live data, an order
	// updated in the last two minutes is invisible to searchOrders:
	// Amazon's LastUpdatedBefore rule). Access tokens live 4 s (2 s after
	// the client's skew), so a revoked authorization shows at the next
	// LWA call within seconds.
	s := sim.MustNew(sim.Options{Seed: 27, Accounts: simAccts,
		Start: time.Now().UTC().Truncate(24 * time.Hour).Add(-18 * 24 * time.Hour), History: 3 * 24 * time.Hour, Horizon: 24 * time.Hour,
		Orders: o.orders, FulfillmentOrders: o.fulfillment, ServiceJobs: o.serviceJobs,
		BurstScale: o.burstScale, RateScale: o.rateScale, AccessTokenTTL: 4 * time.Second})
	for _, a := range s.Accounts() { // SellerID as the simulator derived it
		byID[a.ID] = a
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	// The OAuth listener needs its address before it starts: the base URL
	// (and so the redirect URI registered with Seller Central) names it.
	addr := freeport.Loopback(t)
	base := "http://" + addr
	_, keyText, err := secretbox.GenerateKey()
	require.NoError(t, err)
	keys, err := accounts.LoadKeyring(func(k string) string {
		if k == "SPSYNC_SECRET_KEY" {
			return keyText
		}
		return ""
	})
	require.NoError(t, err)
	env := map[string]string{
		"DATABASE_URL":   dbtest.NewURL(t),
		"SPAPI_ENDPOINT": srv.URL, "LWA_ENDPOINT": srv.URL + "/auth/o2/token",
		"SPSYNC_SECRET_KEY": keyText, "SPSYNC_HTTP_ADDR": "127.0.0.1:0",
		"SPSYNC_ORDERS_CRON": "@every 2s", "SPSYNC_FULFILLMENT_ORDERS_CRON": "@every 2s", "SPSYNC_SERVICE_JOBS_CRON": "@every 2s",
		"SPSYNC_SIM_RATE_SCALE":       fmt.Sprint(o.rateScale),
		"SPSYNC_OAUTH_ADDR":           addr,
		"SPSYNC_OAUTH_BASE_URL":       base,
		"SPSYNC_OAUTH_APPLICATION_ID": sim.DemoApplicationID,
		"SPSYNC_OAUTH_CLIENT_ID":      sim.DemoAccount.ClientID,
		"SPSYNC_SELLER_CENTRAL_URL":   srv.URL + "/sellercentral",
	}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load(getenv)
	require.NoError(t, err)
	require.True(t, cfg.StoredAccounts, "accounts come from the tables only")
	ocfg, err := oauth.LoadConfig(getenv)
	require.NoError(t, err)
	require.NoError(t, ocfg.Validate())
	s.SetApplicationURIs(sim.DemoApplicationID, ocfg.LoginURI(), ocfg.RedirectURI())

	pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return &onboarding{sim: s, simURL: srv.URL, pool: pool, keys: keys, cfg: cfg, oauth: ocfg, env: env, accts: byID,
		base: base, admin: &accounts.Admin{Pool: pool, Keys: keys}}
}

// start runs the worker until the test ends, then stores the
// application's client secret (which exchanges the sellers' codes), as
// `worker accounts set-secret` does.
func (h *onboarding) start(t *testing.T) {
	t.Helper()
	r := workertest.Start(t, worker.Options{Config: h.cfg, OAuth: h.oauth, Keys: h.keys, Migrate: true, AccountsReload: time.Second})
	h.appAddr = r.HTTPAddr
	require.Equal(t, h.base, r.OAuthURL, "the worker reports its OAuth listener")
	_, _, err := h.admin.SetSecret(context.Background(), sim.DemoAccount.ClientID, sim.DemoAccount.ClientSecret, nil)
	require.NoError(t, err)
}

// invite makes an invitation for a new account named id (the simulator's
// account id, so truth and rows share a name) in the US marketplace and
// returns its link.
func (h *onboarding) invite(t *testing.T, id string) string {
	t.Helper()
	token, inv, err := oauth.Invite(context.Background(), h.pool, oauth.InviteRequest{
		Region: "na", MarketplaceIDs: []string{sim.MarketplaceUS}, AccountID: id, Now: time.Now()})
	require.NoError(t, err)
	require.Equal(t, id, inv.AccountID)
	return h.oauth.InviteURL(token)
}

// consentPrefix is where Seller Central's consent page is for region na.
func (h *onboarding) consentPrefix() string {
	return h.simURL + "/sellercentral/na/apps/authorize/consent?"
}

// openInvitation opens link in tab and checks that it lands on Seller
// Central's consent page with spsync's flow cookie set as designed.
func (h *onboarding) openInvitation(t *testing.T, tab *oauthtest.Tab, link string) {
	t.Helper()
	require.Equal(t, 200, tab.Navigate(link), "the invitation leads to the consent page: %s", tab.Text())
	require.True(t, strings.HasPrefix(tab.URL(), h.consentPrefix()), "on Seller Central's consent page, not %s", tab.URL())
	require.Contains(t, tab.URL(), "state=")
	c := tab.Cookie(h.oauth.RedirectURI(), "spsync_oauth")
	require.NotNil(t, c, "spsync set its flow cookie")
	require.True(t, c.HTTPOnly, "the flow cookie is HttpOnly")
	require.True(t, c.Secure, "the flow cookie is Secure")
	require.Equal(t, "/oauth/", c.Path)
	require.EqualValues(t, "Lax", c.SameSite)
}

// consent picks seller on the consent page shown in tab and clicks
// button (confirm or cancel); it returns the status of the page spsync
// answers with.
func (h *onboarding) consent(t *testing.T, tab *oauthtest.Tab, seller, button string) int {
	t.Helper()
	require.Contains(t, tab.Options("seller"), seller, "the consent page offers the seller")
	tab.Select("seller", seller)
	status := tab.Click(button)
	require.True(t, strings.HasPrefix(tab.URL(), h.oauth.RedirectURI()+"?"), "back at spsync's callback, not %s", tab.URL())
	return status
}

// onboard runs the whole website workflow for the simulator's account
// id in a fresh browser profile: invitation link, consent, Confirm,
// spsync's success page.
func (h *onboarding) onboard(t *testing.T, b *oauthtest.Tab, id string) (link string) {
	t.Helper()
	tab := b.NewProfile()
	link = h.invite(t, id)
	h.openInvitation(t, tab, link)
	require.Equal(t, 200, h.consent(t, tab, id, "confirm"), "the success page: %s", tab.Text())
	h.requireSuccessPage(t, tab, id, false)
	return link
}

// requireSuccessPage checks that tab shows spsync's success page for
// the account (renewed: an existing account's authorization).
func (h *onboarding) requireSuccessPage(t *testing.T, tab *oauthtest.Tab, id string, renewed bool) {
	t.Helper()
	title := "Authorization complete"
	if renewed {
		title = "Authorization renewed"
	}
	require.Equal(t, title, tab.Title(), "spsync's success page, not:\n%s", tab.Text())
	require.Empty(t, tab.TextOf("reason"), "no refusal")
	require.Equal(t, id, tab.TextOf("account"))
	require.Equal(t, h.accts[id].SellerID, tab.TextOf("seller"))
	requireNoFlowSecrets(t, tab)
}

// requireRefusal checks that tab shows spsync's refusal page for reason
// with the HTTP status status.
func requireRefusal(t *testing.T, tab *oauthtest.Tab, gotStatus, status int, reason string) {
	t.Helper()
	require.Equal(t, reason, tab.TextOf("reason"), "the refusal page names its reason:\n%s", tab.Text())
	require.Equal(t, status, gotStatus)
	require.Empty(t, tab.TextOf("account"), "a refusal names no account")
	requireNoFlowSecrets(t, tab)
}

// requireNoFlowSecrets checks that the page spsync shows does not
// repeat the state or the code of the callback it answers.
func requireNoFlowSecrets(t *testing.T, tab *oauthtest.Tab) {
	t.Helper()
	u := tab.URL()
	text := tab.Text()
	for _, k := range []string{"state", "spapi_oauth_code"} {
		if v := queryValue(u, k); v != "" {
			require.NotContains(t, text, v, "the page shows the %s", k)
		}
	}
}

func queryValue(rawURL, key string) string {
	_, q, ok := strings.Cut(rawURL, "?")
	if !ok {
		return ""
	}
	for _, kv := range strings.Split(q, "&") {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

// accountState is the account's state, "" when there is no such account.
func (h *onboarding) accountState(t *testing.T, id string) string {
	t.Helper()
	var state string
	err := h.pool.QueryRow(context.Background(), `SELECT state FROM accounts WHERE id = $1`, id).Scan(&state)
	if err == pgx.ErrNoRows {
		return ""
	}
	require.NoError(t, err)
	return state
}

func (h *onboarding) accountCount(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, h.pool.QueryRow(context.Background(), `SELECT count(*) FROM accounts`).Scan(&n))
	return n
}

// polledSince reports whether every stream of account completed a poll
// after t0 and the orders lookback its first poll started (the 30 days
// behind its first hour) is done.
func (h *onboarding) polledSince(t *testing.T, account string, t0 time.Time) bool {
	var n int
	var lookbackRunning bool
	require.NoError(t, h.pool.QueryRow(context.Background(),
		`SELECT (SELECT count(DISTINCT stream) FROM sync_cursors WHERE account_id = $1 AND last_success_at > $2),
		        EXISTS (SELECT 1 FROM backfills WHERE account_id = $1 AND state = 'running')`, account, t0).Scan(&n, &lookbackRunning))
	return n == streams && !lookbackRunning
}

// ordersMatchTruth compares the account's orders rows with the
// simulator's: the same order ids, each stored once. It returns what
// differs, "" when nothing does.
func (h *onboarding) ordersMatchTruth(account string) string {
	truth, err := h.sim.TruthOrders2026(account)
	if err != nil {
		return "the simulator's truth: " + err.Error()
	}
	want := make([]string, 0, len(truth))
	for _, o := range truth {
		want = append(want, o.OrderID)
	}
	rows, err := h.pool.Query(context.Background(), `SELECT amazon_order_id FROM orders WHERE account_id = $1`, account)
	if err != nil {
		return "reading orders: " + err.Error()
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "reading orders: " + err.Error()
	}
	slices.Sort(want)
	slices.Sort(got)
	switch {
	case len(want) == 0:
		return "the simulator has no order for " + account
	case !slices.Equal(want, got):
		return fmt.Sprintf("%s: %d orders stored (%d distinct), %d in the simulator", account, len(got), len(slices.Compact(slices.Clone(got))), len(want))
	}
	return ""
}

// requireOrdersEqualTruth checks the account's orders against the
// simulator's (a settled dataset: equal from the first complete poll).
func (h *onboarding) requireOrdersEqualTruth(t *testing.T, account string) {
	t.Helper()
	require.Empty(t, h.ordersMatchTruth(account), "orders equal the simulator's truth")
}

// cursor is one row of sync_cursors, as a renewal must leave it.
type cursor struct {
	Stream, Scope string
	CursorAt      *time.Time
}

func (h *onboarding) cursors(t *testing.T, account string) []cursor {
	t.Helper()
	rows, err := h.pool.Query(context.Background(),
		`SELECT stream, scope, cursor_at FROM sync_cursors WHERE account_id = $1 ORDER BY stream, scope`, account)
	require.NoError(t, err)
	cs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[cursor])
	require.NoError(t, err)
	return cs
}
