package worker

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/store"
	"github.com/spsync/spsync/internal/streams"
)

// accountsHarness runs workers against a simulator whose accounts are
// seller-a, seller-b (declared in an accounts file) and seller-c (known
// to the simulator only, for `worker accounts add`).
type accountsHarness struct {
	sim   *sim.Sim
	pool  *pgxpool.Pool
	cfg   *config.Config
	keys  *secretbox.Keyring
	admin *accounts.Admin
	accts map[string]sim.Account
}

func newAccountsHarness(t *testing.T) *accountsHarness {
	t.Helper()
	ids := []string{"seller-a", "seller-b", "seller-c"}
	simAccts := make([]sim.Account, len(ids))
	byID := map[string]sim.Account{}
	for i, id := range ids {
		simAccts[i] = sim.DemoAccount
		simAccts[i].ID, simAccts[i].SellerID = id, ""
		simAccts[i].RefreshToken += "-" + id
		simAccts[i].MarketplaceIDs = []string{sim.MarketplaceUS}
		byID[id] = simAccts[i]
	}
	// Access tokens live 4 s (2 s after the client's skew), so every
	// worker goes back to LWA every few seconds: an ended authorization
	// shows at once.
	s := sim.MustNew(sim.Options{Seed: 5, Accounts: simAccts, Orders: 20, FulfillmentOrders: 4, ServiceJobs: 4,
		BurstScale: 100, RateScale: 20, AccessTokenTTL: 4 * time.Second})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	file := filepath.Join(t.TempDir(), "accounts.yaml")
	env := map[string]string{
		"SPAPI_ENDPOINT": srv.URL, "LWA_ENDPOINT": srv.URL + "/auth/o2/token", "SECRET": sim.DemoAccount.ClientSecret,
		"SPSYNC_ACCOUNTS_FILE": file, "SPSYNC_HTTP_ADDR": "127.0.0.1:0",
		"SPSYNC_SIM_RATE_SCALE": "20",
	}
	setPollCrons(env, "@every 2s")
	yaml := "accounts:\n"
	for _, id := range ids[:2] {
		a := byID[id]
		yaml += fmt.Sprintf("  - id: %s\n    marketplace_ids: [%s]\n    client_id: %s\n    client_secret_env: SECRET\n    refresh_token_env: TOKEN_%d\n",
			id, sim.MarketplaceUS, a.ClientID, len(env))
		env[fmt.Sprintf("TOKEN_%d", len(env))] = a.RefreshToken
	}
	require.NoError(t, os.WriteFile(file, []byte(yaml), 0o600))
	env["DATABASE_URL"] = dbtest.NewURL(t)
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	pool, err := pgxpool.New(context.Background(), env["DATABASE_URL"])
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	key, _, err := secretbox.GenerateKey()
	require.NoError(t, err)
	keys := &secretbox.Keyring{Current: key}
	return &accountsHarness{sim: s, pool: pool, cfg: cfg, keys: keys, accts: byID,
		admin: &accounts.Admin{Pool: pool, Keys: keys}}
}

// start runs one worker process until the test ends; it rereads the
// accounts every reload (1 s when 0).
func (h *accountsHarness) start(t *testing.T, reload ...time.Duration) {
	t.Helper()
	every := time.Second
	if len(reload) > 0 {
		every = reload[0]
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan ReadyInfo, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: h.cfg, Keys: h.keys, Migrate: true, AccountsReload: every,
			ShutdownTimeout: 5 * time.Second, Ready: func(r ReadyInfo) { ready <- r }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(time.Minute):
			t.Error("worker did not stop within a minute")
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("worker stopped before it was ready: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("worker not ready after 2 minutes")
	}
}

// polledSince reports whether every stream of account polled after t0
// and its orders lookback (started by its first orders poll) is done.
func (h *accountsHarness) polledSince(t *testing.T, account string, t0 time.Time) bool {
	var n int
	var lookbackRunning bool
	require.NoError(t, h.pool.QueryRow(context.Background(),
		`SELECT (SELECT count(DISTINCT stream) FROM sync_cursors WHERE account_id = $1 AND last_success_at > $2),
		        EXISTS (SELECT 1 FROM backfills WHERE account_id = $1 AND via = 'lookback' AND state = 'running')`, account, t0).Scan(&n, &lookbackRunning))
	// A first orders poll reads its last hour and sets the cursor; the
	// rest of the 30 days follows as a lookback.
	return n == len(streams.All(nil)) && !lookbackRunning
}

func (h *accountsHarness) state(t *testing.T, account string) string {
	row, err := store.GetAccount(context.Background(), h.pool, account, false)
	require.NoError(t, err)
	return row.State
}

// calls counts every SP-API call the simulator answered for account.
func (h *accountsHarness) calls(account string) int {
	n := 0
	for _, s := range h.sim.AccountStats(account) {
		n += s.Calls
	}
	return n
}

// requireOrdersEqualTruth checks the account's orders rows against the
// simulator: the same order ids, each stored once.
func (h *accountsHarness) requireOrdersEqualTruth(t *testing.T, account string) {
	t.Helper()
	truth, err := h.sim.TruthOrders2026(account)
	require.NoError(t, err)
	var want []string
	for _, o := range truth {
		want = append(want, o.OrderID)
	}
	rows, err := h.pool.Query(context.Background(), `SELECT amazon_order_id FROM orders WHERE account_id = $1`, account)
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.ElementsMatch(t, want, got, "orders of %s", account)
}

// TestRevokedAccountStopsCleanly revokes one account's authorization while
// two workers sync it: it becomes needs_reauth after at most one refused
// LWA call per worker, then LWA hears nothing more for it while the other
// account goes on; a new refresh token resumes it from its cursors.
func TestRevokedAccountStopsCleanly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newAccountsHarness(t)
	t0 := time.Now()
	h.start(t)
	h.start(t)
	require.Eventually(t, func() bool { return h.polledSince(t, "seller-a", t0) && h.polledSince(t, "seller-b", t0) },
		time.Minute, 100*time.Millisecond, "both accounts sync")

	token := h.accts["seller-a"].RefreshToken
	require.NoError(t, h.sim.RevokeAuthorization("seller-a"))
	require.Eventually(t, func() bool { return h.state(t, "seller-a") == store.AccountNeedsReauth },
		30*time.Second, 100*time.Millisecond, "the revoked account needs re-authorization")
	refused := h.sim.CredentialStats().RefusedGrants
	require.LessOrEqual(t, refused, 2, "at most one refused LWA call per worker process")

	// Both workers go on for many token lifetimes: seller-b's LWA calls
	// prove the time passed; seller-a's do not move.
	afterA := h.sim.LWACalls(token)
	afterB := h.sim.LWACalls(h.accts["seller-b"].RefreshToken)
	require.Eventually(t, func() bool { return h.sim.LWACalls(h.accts["seller-b"].RefreshToken) >= afterB+6 },
		time.Minute, 100*time.Millisecond, "seller-b keeps refreshing its tokens")
	// The other worker may still learn of the revocation from LWA itself
	// (its own one refused call) before its registry reloads; after that,
	// nothing: every later call for the token is one of those refusals.
	refusedEnd := h.sim.CredentialStats().RefusedGrants
	require.LessOrEqual(t, refusedEnd, 2, "at most one refused LWA call per worker process")
	require.Equal(t, afterA+(refusedEnd-refused), h.sim.LWACalls(token), "no accepted or repeated LWA call for a needs_reauth account")
	var waiting int
	require.NoError(t, h.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE args->>'account_id' = 'seller-a'
		AND state IN ('available', 'scheduled', 'retryable', 'running')`).Scan(&waiting))
	require.Zero(t, waiting, "no job of seller-a waits or retries")
	var retried int
	require.NoError(t, h.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE args->>'account_id' = 'seller-a'
		AND state = 'retryable'`).Scan(&retried))
	require.Zero(t, retried)

	// seller-b synced on and equals the truth.
	tb := time.Now()
	require.Eventually(t, func() bool { return h.polledSince(t, "seller-b", tb) }, time.Minute, 100*time.Millisecond)
	h.requireOrdersEqualTruth(t, "seller-b")

	// The seller authorizes again: the new token resumes seller-a from its
	// cursors (its orders were synced before: no re-sync).
	var cursorBefore time.Time
	require.NoError(t, h.pool.QueryRow(ctx, `SELECT min(last_success_at) FROM sync_cursors WHERE account_id = 'seller-a'`).Scan(&cursorBefore))
	newToken, err := h.sim.Reauthorize("seller-a")
	require.NoError(t, err)
	tr := time.Now()
	require.NoError(t, h.admin.SetRefreshToken(ctx, "seller-a", newToken))
	require.Equal(t, store.AccountActive, h.state(t, "seller-a"))
	require.Eventually(t, func() bool { return h.polledSince(t, "seller-a", tr) }, time.Minute, 100*time.Millisecond, "seller-a syncs again")
	h.requireOrdersEqualTruth(t, "seller-a")
}

// TestAccountsAddPauseResumeRemove changes accounts while two workers run:
// an added account syncs within seconds with no job of it cancelled; a
// paused one gets no SP-API call once the workers reloaded, and resumes
// from its cursors; a removed one keeps its rows.
func TestAccountsAddPauseResumeRemove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newAccountsHarness(t)
	t0 := time.Now()
	h.start(t)
	// The second worker rereads the accounts only every 15 s: jobs of the
	// added account reach it before it knows the account, and it must
	// reload rather than cancel them.
	h.start(t, 15*time.Second)
	require.Eventually(t, func() bool { return h.polledSince(t, "seller-b", t0) }, time.Minute, 100*time.Millisecond)

	c := h.accts["seller-c"]
	ta := time.Now()
	require.NoError(t, h.admin.Add(ctx, accounts.AccountSpec{ID: "seller-c", Region: "na", MarketplaceIDs: c.MarketplaceIDs,
		ClientID: c.ClientID, OrdersAPI: config.OrdersAPI2026, RefreshToken: c.RefreshToken}))
	require.Eventually(t, func() bool { return h.polledSince(t, "seller-c", ta) }, time.Minute, 100*time.Millisecond,
		"an added account syncs without a restart")
	added := time.Since(ta)
	t.Logf("seller-c synced %.1f s after add", added.Seconds())
	var cancelled int
	require.NoError(t, h.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE args->>'account_id' = 'seller-c' AND state = 'cancelled'`).Scan(&cancelled))
	require.Zero(t, cancelled, "no job of the new account was cancelled by a worker that had not reloaded")

	// Pause seller-b. Once both workers reloaded (1 s and 15 s here, 10 s
	// by default) and its running jobs finished their current page, the
	// simulator hears nothing more from it while seller-c's polls go on.
	require.NoError(t, h.admin.Pause(ctx, "seller-b"))
	tp := time.Now()
	require.Eventually(t, func() bool { return h.polledSince(t, "seller-c", tp.Add(17*time.Second)) }, time.Minute, 100*time.Millisecond)
	quiet := h.calls("seller-b")
	for range 2 { // two more rounds of seller-c's polls: seller-b's turn came and went
		tq := time.Now()
		require.Eventually(t, func() bool { return h.polledSince(t, "seller-c", tq) }, time.Minute, 100*time.Millisecond)
	}
	require.Equal(t, quiet, h.calls("seller-b"), "a paused account gets no SP-API call")

	tr := time.Now()
	require.NoError(t, h.admin.Resume(ctx, "seller-b"))
	require.Eventually(t, func() bool { return h.polledSince(t, "seller-b", tr) }, time.Minute, 100*time.Millisecond, "resume continues")
	h.requireOrdersEqualTruth(t, "seller-b")

	var before int
	require.NoError(t, h.pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE account_id = 'seller-b'`).Scan(&before))
	require.NoError(t, h.admin.Remove(ctx, "seller-b"))
	require.Equal(t, store.AccountRemoved, h.state(t, "seller-b"))
	var after int
	require.NoError(t, h.pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE account_id = 'seller-b'`).Scan(&after))
	require.Equal(t, before, after, "remove keeps the account's rows")
	require.Positive(t, after)
}
