package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/appqueue"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// upgradeOrders is each account's order count: the first sync needs at
// least upgradeOrders/100 searchOrders pages (100 is the page size), which
// is what tells a continued sync from a re-read of the history.
const upgradeOrders = 600

// upgradeHarness is an accountsHarness whose simulator runs its
// credentials on a manual clock (so a rotated secret's 30-minute
// propagation and the old secret's 7 days can be stepped over) and has an
// application queue registered (so rotateApplicationClientSecret works;
// its notifications are kept by the simulator, not delivered).
type upgradeHarness struct {
	*accountsHarness
	clock  *sim.ManualClock
	simURL string
}

func newUpgradeHarness(t *testing.T) *upgradeHarness {
	t.Helper()
	ids := []string{"seller-a", "seller-b"}
	simAccts := make([]sim.Account, len(ids))
	byID := map[string]sim.Account{}
	for i, id := range ids {
		simAccts[i] = sim.DemoAccount
		simAccts[i].ID, simAccts[i].SellerID = id, ""
		simAccts[i].RefreshToken += "-" + id
		simAccts[i].MarketplaceIDs = []string{sim.MarketplaceUS}
		byID[id] = simAccts[i]
	}
	clock := sim.NewManualClock(time.Now().UTC().Truncate(time.Second))
	// A settled dataset (every entity 17 to 21 days old, inside the
	// pollers' 30-day first window): the truth does not move while the
	// test runs, and an incremental poll finds nothing new.
	s := sim.MustNew(sim.Options{Seed: 23, Accounts: simAccts,
		Start: time.Now().UTC().Truncate(24 * time.Hour).Add(-18 * 24 * time.Hour), History: 3 * 24 * time.Hour, Horizon: 24 * time.Hour,
		Orders: upgradeOrders, FulfillmentOrders: 4, ServiceJobs: 4,
		BurstScale: 100, RateScale: 20, AccessTokenTTL: 4 * time.Second,
		CredentialClock: clock, ApplicationQueueARN: "arn:aws:sqs:us-east-1:000000000000:spsync-application"})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	file := filepath.Join(t.TempDir(), "accounts.yaml")
	env := map[string]string{
		"SPAPI_ENDPOINT": srv.URL, "LWA_ENDPOINT": srv.URL + "/auth/o2/token", "SECRET": sim.DemoAccount.ClientSecret,
		"SPSYNC_ACCOUNTS_FILE": file, "SPSYNC_HTTP_ADDR": "127.0.0.1:0",
		// Amazon's searchOrders plan (burst 20, one call in 3 minutes)
		// would stall a test that polls every 2 s; the simulator's
		// scaled plan is higher still.
		"SPSYNC_RATE_LIMITS": "searchOrders=1:100",
	}
	setPollCrons(env, "@every 2s")
	yaml := "accounts:\n"
	for _, id := range ids {
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
	return &upgradeHarness{
		accountsHarness: &accountsHarness{sim: s, pool: pool, cfg: cfg, keys: keys, accts: byID,
			admin: &accounts.Admin{Pool: pool, Keys: keys}},
		clock: clock, simURL: srv.URL,
	}
}

// logBuffer collects a worker's JSON log; safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the log lines that contain s.
func (b *logBuffer) lines(s string) []string {
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// runningWorker is one Run of a worker that the test stops itself.
type runningWorker struct {
	cancel context.CancelFunc
	done   chan error
	log    *logBuffer
}

// run starts a worker with keys (nil: keyless) on the harness's
// credential clock and waits until it is ready.
func (h *upgradeHarness) run(t *testing.T, keys *secretbox.Keyring) *runningWorker {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &runningWorker{cancel: cancel, done: make(chan error, 1), log: &logBuffer{}}
	ready := make(chan ReadyInfo, 1)
	go func() {
		w.done <- Run(ctx, Options{Config: h.cfg, Keys: keys, Migrate: true, AccountsReload: time.Second,
			CredentialClock: h.clock.Now, ShutdownTimeout: 5 * time.Second,
			Logger: slog.New(slog.NewJSONHandler(w.log, nil)), Ready: func(r ReadyInfo) { ready <- r }})
	}()
	t.Cleanup(func() { w.stop(t) })
	select {
	case <-ready:
	case err := <-w.done:
		w.done <- err
		t.Fatalf("worker stopped before it was ready: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("worker not ready after 2 minutes")
	}
	return w
}

// stop stops the worker and waits for Run to return; a second call does
// nothing.
func (w *runningWorker) stop(t *testing.T) {
	t.Helper()
	if w.cancel == nil {
		return
	}
	w.cancel()
	w.cancel = nil
	select {
	case err := <-w.done:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Error("worker did not stop within a minute")
	}
}

// searchOrders counts the simulator's searchOrders calls for account.
func (h *upgradeHarness) searchOrders(account string) int {
	return h.sim.AccountStats(account)[spapi.OpSearchOrders].Calls
}

// rowsText returns every row of table as text, in a stable order: the
// whole row, so any change to any column shows.
func (h *upgradeHarness) rowsText(t *testing.T, table string) []string {
	t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT t::text FROM `+table+` t ORDER BY t::text`)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return out
}

// cursorsAt returns every sync cursor's position by account/stream/scope.
func (h *upgradeHarness) cursorsAt(t *testing.T) map[string]*time.Time {
	t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT account_id || '/' || stream || '/' || scope, cursor_at FROM sync_cursors`)
	require.NoError(t, err)
	out := map[string]*time.Time{}
	var k string
	var at *time.Time
	_, err = pgx.ForEachRow(rows, []any{&k, &at}, func() error {
		out[k] = at
		return nil
	})
	require.NoError(t, err)
	return out
}

// requireCursorsKept asserts that now holds the cursors of before, none
// of them moved back or lost, and no other.
func requireCursorsKept(t *testing.T, before, now map[string]*time.Time) {
	t.Helper()
	require.Len(t, now, len(before), "the same sync_cursors rows")
	for k, prev := range before {
		cur, ok := now[k]
		require.True(t, ok, "cursor %s vanished", k)
		if prev == nil {
			continue
		}
		require.NotNil(t, cur, "cursor %s was reset", k)
		require.False(t, cur.Before(*prev), "cursor %s moved back from %s to %s", k, prev, cur)
	}
}

func (h *upgradeHarness) orderIDs(t *testing.T) []string {
	t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT account_id || '/' || amazon_order_id FROM orders ORDER BY 1`)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return out
}

// secretStates returns the state of each stored client secret by its
// source (accounts_file: the declared one; notification: the rotated one).
func (h *upgradeHarness) secretStates(t *testing.T) map[string]string {
	t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT source, state FROM application_secrets`)
	require.NoError(t, err)
	out := map[string]string{}
	var source, state string
	_, err = pgx.ForEachRow(rows, []any{&source, &state}, func() error {
		require.NotContains(t, out, source, "one secret per source")
		out[source] = state
		return nil
	})
	require.NoError(t, err)
	return out
}

func (h *upgradeHarness) bothPolledSince(t *testing.T, t0 time.Time) bool {
	return h.polledSince(t, "seller-a", t0) && h.polledSince(t, "seller-b", t0)
}

// TestUpgradeKeepsAccountsCursorsAndRows plays an upgrade: a database
// synced by a keyless worker (the previous release's behaviour, accounts
// from the accounts file) is taken over by a worker with a key, which
// stores the same accounts and continues from the cursors without
// re-reading history; after a rotation, a restart with the old secret
// still declared keeps the rotated one; a wrong key refuses to start and
// changes nothing.
func TestUpgradeKeepsAccountsCursorsAndRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newUpgradeHarness(t)
	oldSecret := sim.DemoAccount.ClientSecret
	clientID := sim.DemoAccount.ClientID

	// (a) No key: the sync runs from the accounts file, with one warning,
	// and nothing is stored.
	t0 := time.Now()
	w1 := h.run(t, nil)
	require.Eventually(t, func() bool { return h.bothPolledSince(t, t0) }, 2*time.Minute, 100*time.Millisecond, "the keyless worker syncs")
	h.requireOrdersEqualTruth(t, "seller-a")
	h.requireOrdersEqualTruth(t, "seller-b")
	w1.stop(t)
	warned := w1.log.lines("no SPSYNC_SECRET_KEY")
	require.Len(t, warned, 1, "exactly one keyless warning")
	require.Contains(t, warned[0], `"level":"WARN"`)
	for _, table := range []string{"accounts", "applications", "application_secrets"} {
		require.Empty(t, h.rowsText(t, table), "a keyless worker stores nothing in %s", table)
	}

	firstSync := map[string]int{}
	for _, id := range []string{"seller-a", "seller-b"} {
		firstSync[id] = h.searchOrders(id)
		// The premise of the bound below: the history took at least
		// this many pages.
		require.GreaterOrEqual(t, firstSync[id], upgradeOrders/100, "first sync of %s", id)
	}
	cursors := h.cursorsAt(t)
	require.NotEmpty(t, cursors)
	orders := h.orderIDs(t)
	require.Len(t, orders, 2*upgradeOrders)

	// (b) The same database, now with a key: the accounts are stored with
	// their ids, the cursors and rows are those the keyless worker left.
	t1 := time.Now()
	w2 := h.run(t, h.keys)
	requireCursorsKept(t, cursors, h.cursorsAt(t))
	require.Empty(t, w2.log.lines("no SPSYNC_SECRET_KEY"), "a keyed worker does not warn")
	list, err := h.admin.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	for i, id := range []string{"seller-a", "seller-b"} {
		row, err := store.GetAccount(ctx, h.pool, id, false)
		require.NoError(t, err)
		require.Equal(t, id, list[i].ID)
		require.Equal(t, config.SourceAccountsFile, row.DeclaredBy, "%s declared by the accounts file", id)
		require.Equal(t, store.AccountActive, row.State)
		require.NotNil(t, row.RefreshTokenSealed, "%s's refresh token stored (sealed)", id)
	}
	require.Equal(t, map[string]string{accounts.SourceAccountsFile: store.SecretPrimary}, h.secretStates(t))

	require.Eventually(t, func() bool { return h.bothPolledSince(t, t1) }, time.Minute, 100*time.Millisecond, "the keyed worker syncs")
	// A poll moves its cursor only after its last page, so the round
	// above is a whole window. Had the start lost the cursors (or the
	// accounts' identity), that window would be the history again: at
	// least upgradeOrders/100 pages, as many as the first sync took. A
	// continued sync finds nothing new: one page per poll, and at most a
	// second poll started while we looked.
	for _, id := range []string{"seller-a", "seller-b"} {
		n := h.searchOrders(id) - firstSync[id]
		t.Logf("%s: %d searchOrders calls in the first sync, %d after the restart until a whole poll", id, firstSync[id], n)
		require.LessOrEqual(t, n, 3, "searchOrders calls of %s after the restart (first sync: %d): a re-sync", id, firstSync[id])
	}
	requireCursorsKept(t, cursors, h.cursorsAt(t))
	require.Equal(t, orders, h.orderIDs(t), "the same orders rows")

	// (c) A rotation while the keyed worker runs. Its NEW_SECRET is stored
	// as the application queue consumer would; the running worker probes
	// it (refused while it propagates), then LWA accepts it once the
	// credential clock has passed the 30 minutes and the worker promotes
	// it: no accounts.Promote from the test.
	h.clock.Advance(time.Minute)
	app, err := spapi.NewApplicationClient(spapi.Options{
		Region: spapi.RegionNA, Endpoint: h.simURL, LWAEndpoint: h.simURL + "/auth/o2/token",
		Credentials: spapi.Credentials{ClientID: clientID, ClientSecret: oldSecret},
	})
	require.NoError(t, err)
	require.NoError(t, app.RotateApplicationClientSecret(ctx))
	var notice *appqueue.Notice
	for _, n := range h.sim.ApplicationNotifications() {
		if n.Type == sim.NotificationTypeClientNewSecret {
			p, mine, err := appqueue.Parse(n.Body)
			require.NoError(t, err)
			require.True(t, mine)
			notice = &p
		}
	}
	require.NotNil(t, notice, "the simulator sent a NEW_SECRET")
	newSecret := string(notice.NewSecret)
	require.NotEqual(t, oldSecret, newSecret)
	require.NoError(t, pgx.BeginFunc(ctx, h.pool, func(tx pgx.Tx) error {
		outcome, err := accounts.StoreNewSecret(ctx, tx, h.keys, accounts.NewSecretNotice{
			ClientID: notice.ClientID, NewSecret: newSecret, NewExpiry: notice.NewExpiry, OldExpiry: notice.OldExpiry,
			NotificationID: notice.NotificationID, Now: h.clock.Now(),
		})
		if err == nil && outcome != accounts.NoticeStored {
			err = fmt.Errorf("NEW_SECRET %s", outcome)
		}
		return err
	}))
	require.Eventually(t, func() bool { return h.sim.CredentialStats().RefusedPropagatingSecret > 0 }, time.Minute, 100*time.Millisecond,
		"the worker probes the new secret while it propagates")
	require.Equal(t, store.SecretPending, h.secretStates(t)[accounts.SourceNotification], "refused while propagating: still pending")
	h.clock.Advance(sim.NewSecretPropagation + time.Minute)
	require.Eventually(t, func() bool { return h.secretStates(t)[accounts.SourceNotification] == store.SecretPrimary }, time.Minute, 100*time.Millisecond,
		"the worker promotes the new secret once LWA accepts it")
	require.Equal(t, store.SecretFallback, h.secretStates(t)[accounts.SourceAccountsFile], "the old secret is the fallback")
	w2.stop(t)

	// Past the old secret's 7 days, restart with the accounts file still
	// declaring the old secret: the rotated one stays primary, and the
	// worker syncs with it. LWA would refuse the old one now (counted by
	// the simulator), so a worker that used it shows.
	h.clock.Advance(sim.OldSecretGrace + time.Hour)
	refusedExpired := h.sim.CredentialStats().RefusedExpiredSecret
	lwaBefore := h.sim.LWACalls(h.accts["seller-a"].RefreshToken)
	t3 := time.Now()
	w3 := h.run(t, h.keys)
	states := h.secretStates(t)
	require.Equal(t, store.SecretPrimary, states[accounts.SourceNotification], "the rotated secret stays primary")
	require.Contains(t, []string{store.SecretFallback, store.SecretRetired}, states[accounts.SourceAccountsFile], "the old secret is not primary")
	require.Len(t, states, 2, "the declared old secret was not stored again")
	require.Eventually(t, func() bool { return h.bothPolledSince(t, t3) }, time.Minute, 100*time.Millisecond, "the restarted worker syncs")
	require.Greater(t, h.sim.LWACalls(h.accts["seller-a"].RefreshToken), lwaBefore, "the restarted worker went to LWA")
	require.Equal(t, refusedExpired, h.sim.CredentialStats().RefusedExpiredSecret, "the expired old secret was never sent to LWA")
	h.requireOrdersEqualTruth(t, "seller-a")
	h.requireOrdersEqualTruth(t, "seller-b")
	w3.stop(t)

	// (d) A wrong key: Run refuses with the remedy and no account state
	// changes, to the last column.
	before := map[string][]string{}
	tables := []string{"accounts", "applications", "application_secrets"}
	for _, table := range tables {
		before[table] = h.rowsText(t, table)
		require.NotEmpty(t, before[table])
	}
	other, _, err := secretbox.GenerateKey()
	require.NoError(t, err)

	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	wrongLog := &logBuffer{}
	err = Run(runCtx, Options{Config: h.cfg, Keys: &secretbox.Keyring{Current: other}, Migrate: true,
		CredentialClock: h.clock.Now, ShutdownTimeout: 5 * time.Second, Logger: slog.New(slog.NewJSONHandler(wrongLog, nil)),
		Ready: func(ReadyInfo) {
			t.Error("a worker with a wrong key became ready")
			cancel()
		}})
	require.Error(t, err)
	require.True(t, errors.Is(err, accounts.ErrKeyCannotOpen), "error: %v", err)
	require.Contains(t, err.Error(), "SPSYNC_SECRET_KEY", "the error names the remedy")
	require.Contains(t, err.Error(), "worker credentials rekey", "the error names the remedy")
	for _, table := range tables {
		require.Equal(t, before[table], h.rowsText(t, table), "a wrong key changed %s", table)
	}

	// No secret reached any of the logs or the error.
	logs := w1.log.String() + w2.log.String() + w3.log.String() + wrongLog.String() + err.Error()
	for _, s := range []string{oldSecret, newSecret, h.accts["seller-a"].RefreshToken, h.accts["seller-b"].RefreshToken} {
		require.NotContains(t, logs, s, "a secret in a log")
	}
}
