package worker

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/devtools/fauxqs"
	"github.com/spsync/spsync/internal/jobs/rotation"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/store"
	"github.com/spsync/spsync/internal/streams"
)

// yearAWSEnv gives the worker's SQS clients (push.NewSQSClient reads the
// AWS SDK's default chain) static credentials for the local SQS server. It
// is set once for the test process: t.Setenv cannot be used by a parallel
// test, and no test of this package talks to AWS.
var yearAWSEnv sync.Once

func setYearAWSEnv() {
	yearAWSEnv.Do(func() {
		for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": fauxqs.Region} {
			if os.Getenv(k) == "" {
				_ = os.Setenv(k, v)
			}
		}
	})
}

// yearHarness is one worker, a simulator on an accelerated credential
// clock and a local SQS server carrying both the application queue and
// the push queue.
type yearHarness struct {
	sim      *sim.Sim
	cred     *sim.ManualClock
	pool     *pgxpool.Pool
	keys     *secretbox.Keyring
	clientID string
	accts    map[string]sim.Account
	ids      []string
	httpAddr string
	notifier *sim.Notifier
	logs     *yearLogs
}

// yearLogs keeps the worker's log lines.
type yearLogs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *yearLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *yearLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestYearOfCredentials is issue 23's "A year of credentials in minutes":
// the credential clock (secret expiries, notification deadlines,
// spsync's rotation and warning timers) runs 400 days while the data sync
// of two accounts of one application runs on the real clock with scaled
// rates and push on. Exactly two rotations happen with no person involved,
// each NEW_SECRET is stored from the application queue, probed while LWA
// refuses it (counted) and promoted once LWA accepts it; no SP-API call
// and no job fails for authentication; no secret is used after its
// expiry; Postgres equals the truth at the end.
//
// The credential clock moves a day at a time, in ten-minute steps while a
// new secret propagates; each step waits for what it made due (a
// notification handled, a rotation asked, a probe), and at checkpoints
// (every few weeks and after every credential event) for both accounts to
// get fresh access tokens from LWA, so the secrets are exercised
// throughout the year.
func TestYearOfCredentials(t *testing.T) {
	t.Parallel()
	setYearAWSEnv()
	ctx := context.Background()
	h := newYearHarness(t)
	began := time.Now()

	const day = 24 * time.Hour
	start := h.cred.Now()
	end := start.Add(400 * day)
	rotateBefore := 720 * time.Hour

	h.waitFreshTokens(t, "the worker's first tokens")
	lastCheckpoint := start
	rotations := 0 // the rotations liveRotation followed
	for h.cred.Now().Before(end) {
		now := h.cred.Advance(day)
		event := h.deliverNotices(t, ctx)
		app, secrets := h.application(t, ctx)
		for _, s := range secrets {
			// The day after a secret expired: LWA is asked again while it
			// lies expired (the simulator counts any use of it).
			if s.ExpiresAt != nil && !s.ExpiresAt.After(now) && s.ExpiresAt.After(now.Add(-day)) {
				event = true
			}
		}
		// The worker's check runs on its own: it may have rotated already
		// (the clock moved, then the check ran before this read), in which
		// case Decide sees the pending secret and says Nothing.
		if rotation.Decide(app, secrets, now, rotateBefore).Action == rotation.Rotate || h.sim.CredentialStats().Rotations > rotations {
			h.liveRotation(t, ctx, rotations)
			rotations++
			event = true
		}
		if event || now.Sub(lastCheckpoint) >= 20*day {
			h.waitFreshTokens(t, fmt.Sprintf("day %d", int(now.Sub(start)/day)))
			lastCheckpoint = now
		}
	}
	t.Logf("400 days of credentials in %.1f s", time.Since(began).Seconds())

	// Credentials: exactly two rotations, nobody involved; no expired
	// secret, no refused grant; the probes of each new secret counted.
	st := h.sim.CredentialStats()
	t.Logf("credential stats: %+v", st)
	require.Equal(t, 2, st.Rotations, "exactly two rotations in 400 days")
	require.Equal(t, 2, st.NewSecretsSent)
	require.Equal(t, 3, st.ExpiriesSent, "EXPIRY notices at days 90, 240 and 390")
	require.Zero(t, st.RefusedExpiredSecret, "no secret used after its expiry")
	require.Zero(t, st.RefusedGrants, "no authorization ended")
	require.Zero(t, st.Dropped+st.Failed)
	require.Positive(t, st.RefusedPropagatingSecret, "new secrets were probed while they propagated")

	refused := h.metric(t, "spsync_lwa_secret_probes_total", map[string]string{"outcome": "refused"})
	accepted := h.metric(t, "spsync_lwa_secret_probes_total", map[string]string{"outcome": "accepted"})
	t.Logf("probes of new secrets: %v refused, %v accepted", refused, accepted)
	require.GreaterOrEqual(t, refused, 2.0, "each new secret probed while LWA refused it")
	require.GreaterOrEqual(t, accepted, 2.0, "each new secret accepted")
	require.Equal(t, float64(st.RefusedPropagatingSecret), refused,
		"every refusal LWA made was a counted probe of a propagating secret")
	var refusals int
	require.NoError(t, h.pool.QueryRow(ctx, `SELECT coalesce(sum(refusals), 0) FROM application_secrets`).Scan(&refusals))
	require.Equal(t, st.RefusedPropagatingSecret, refusals, "application_secrets.refusals counts the probes")

	app, secrets := h.application(t, ctx)
	require.Nil(t, app.RotationGaveUpAt)
	require.Nil(t, app.NotEnrolledAt)
	require.Nil(t, app.AllRefusedAt)
	require.Len(t, secrets, 3, "the declared secret and two rotated ones")
	simSecrets := h.sim.ClientSecrets(h.clientID)
	require.Len(t, simSecrets, 3)
	newest := simSecrets[len(simSecrets)-1]
	for _, s := range secrets {
		val, err := h.keys.Open(accounts.ClientSecretBinding(h.clientID), s.SecretSealed)
		require.NoError(t, err)
		require.NotNil(t, s.ExpiresAt, "every secret's expiry is known")
		t.Logf("secret %d: %s, received %s, expires %s", s.ID, s.State, s.ReceivedAt.Format(time.DateOnly), s.ExpiresAt.Format(time.DateOnly))
		if val == newest.Value {
			require.Equal(t, store.SecretPrimary, s.State, "the newest secret is primary")
			require.WithinDuration(t, newest.Expires, *s.ExpiresAt, time.Millisecond)
		} else {
			require.False(t, s.ExpiresAt.After(h.cred.Now()), "the older secrets have expired")
			require.Equal(t, store.SecretRetired, s.State, "an expired secret is retired")
		}
	}

	// The data: a final round of polls after the year, then Postgres
	// equals the truth for both accounts.
	settled := time.Now()
	require.Eventually(t, func() bool { return h.polledSince(t, h.ids[0], settled) && h.polledSince(t, h.ids[1], settled) },
		time.Minute, 100*time.Millisecond, "both accounts poll after the year")
	for _, id := range h.ids {
		// A pushed change's refresh job may still be on its way.
		deadline := time.Now().Add(30 * time.Second)
		for diff := h.truthDiff(t, id); diff != ""; diff = h.truthDiff(t, id) {
			if time.Now().After(deadline) {
				t.Fatalf("%s differs from the truth: %s", id, diff)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	// No SP-API call and no job failed for authentication.
	for _, status := range []string{"401", "403"} {
		require.Zero(t, h.metric(t, "spsync_api_calls_total", map[string]string{"status": status}), "SP-API answers %s", status)
	}
	for _, id := range h.ids {
		for op, s := range h.sim.AccountStats(id) {
			require.Zero(t, s.Errors, "%s: %s answered errors", id, op)
		}
	}
	rows, err := h.pool.Query(ctx, `SELECT kind, state::text, coalesce(args->>'account_id', ''),
		coalesce((SELECT string_agg(e->>'error', ' | ') FROM unnest(errors) AS e), '')
		FROM river_job WHERE errors IS NOT NULL OR state IN ('discarded', 'cancelled')`)
	require.NoError(t, err)
	type failedJob struct{ kind, state, account, errors string }
	failed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (failedJob, error) {
		var j failedJob
		return j, r.Scan(&j.kind, &j.state, &j.account, &j.errors)
	})
	require.NoError(t, err)
	for _, j := range failed {
		t.Logf("job with errors: %s %s account=%q %s", j.kind, j.state, j.account, j.errors)
		lower := strings.ToLower(j.errors)
		for _, mark := range []string{"invalid_client", "invalid_grant", "unauthorized", "lwa", "secret", "access token", "auth", "needs re-authorization", "not active"} {
			require.NotContains(t, lower, mark, "job %s (%s) failed for authentication", j.kind, j.state)
		}
		require.NotEqual(t, "discarded", j.state, "job %s discarded", j.kind)
	}
	for _, id := range h.ids {
		require.Equal(t, store.AccountActive, h.accountState(t, id))
	}

	// Push was on: the simulator's ORDER_CHANGE and FULFILLMENT_ORDER_STATUS
	// notifications reached the worker's push queue.
	ns := h.notifier.Stats()
	require.Positive(t, ns.Delivered, "the simulator pushed notifications during the year")
	require.Zero(t, ns.Failed)
	pushed := func() float64 {
		n := 0.0
		for _, outcome := range []string{"enqueued", "duplicate", "followup"} {
			n += h.metric(t, "spsync_push_messages_total", map[string]string{"outcome": outcome})
		}
		return n
	}
	require.Eventually(t, func() bool { return pushed() >= float64(ns.Delivered) },
		30*time.Second, 50*time.Millisecond, "the worker handled the %d notifications pushed", ns.Delivered)
	t.Logf("push: notifier %+v, worker handled %v messages", ns, pushed())

	// The expiry warnings read the credential clock: each secret that was
	// rotated was warned of first; the metric shows the newest expiry.
	logs := h.logs.String()
	warned := strings.Count(logs, `"msg":"LWA client secret expires soon"`)
	t.Logf("%d expiry warnings, %d bytes of logs", warned, len(logs))
	require.GreaterOrEqual(t, warned, 2, "a warning before each rotation")
	require.NotContains(t, logs, `"threshold":"168h0m0s"`, "rotated in time: no 7-day warning, not even while a new secret propagates")
	require.Equal(t, float64(newest.Expires.Unix()),
		h.metric(t, "spsync_lwa_client_secret_expiry_timestamp_seconds", map[string]string{"state": store.SecretPrimary}))

	// No secret in the worker's logs or metrics.
	body := h.scrape(t)
	for _, s := range simSecrets {
		require.NotContains(t, body, s.Value)
		require.NotContains(t, logs, s.Value)
	}
	for _, a := range h.accts {
		require.NotContains(t, body, a.RefreshToken)
		require.NotContains(t, logs, a.RefreshToken)
	}
	t.Logf("test ran %.1f s", time.Since(began).Seconds())
}

func newYearHarness(t *testing.T) *yearHarness {
	t.Helper()
	ctx := context.Background()
	fq := fauxqs.Start(t)
	sqsClient := fauxqs.Client(t, fq)
	appURL, appARN := fq.CreateQueue(t, "spsync-application", true, 3)
	pushURL, pushARN := fq.CreateQueue(t, "spsync-notifications", true, 5)

	// Two sellers of one application: the same client id and secret,
	// their own refresh tokens and seller ids.
	ids := []string{"seller-a", "seller-b"}
	simAccts := make([]sim.Account, len(ids))
	for i, id := range ids {
		simAccts[i] = sim.DemoAccount
		simAccts[i].ID, simAccts[i].SellerID = id, ""
		simAccts[i].RefreshToken += "-" + id
		simAccts[i].MarketplaceIDs = []string{sim.MarketplaceUS}
	}
	cred := sim.NewManualClock(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	// Access tokens live 1 s (half of it after the client's skew): LWA
	// hears from both accounts every second they sync. The dataset crowds
	// its orders in the half hour that ended three minutes ago: none is
	// created while the test runs (a poll sees an order two minutes after
	// its creation, Amazon's rule), and many become Unshipped (2 to 30
	// minutes after creation), so the notifier has changes to push while
	// the year runs.
	s := sim.MustNew(sim.Options{Seed: 23, Accounts: simAccts, Orders: 100, FulfillmentOrders: 4, ServiceJobs: 4,
		Start: time.Now().Add(-3 * time.Minute), History: 30 * time.Minute, Horizon: time.Second,
		BurstScale: 100, RateScale: 20, AccessTokenTTL: time.Second,
		CredentialClock: cred, ApplicationQueueARN: appARN, ApplicationSink: sim.NewSQSSink(sqsClient)})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	// Push: the simulator's destination is the push queue and both
	// sellers subscribe, as `worker notifications setup` does.
	require.NoError(t, subscribeSimulator(ctx, &SimServer{sim: s, url: srv.URL}, pushARN, streams.All(nil).NotificationTypes()))
	notifyCtx, stopNotify := context.WithCancel(ctx)
	n, err := s.StartNotifier(notifyCtx, sim.NotifierOptions{Sink: sim.NewSQSSink(sqsClient), Route: s.NotificationDestinations,
		DelayMin: 100 * time.Millisecond, DelayMax: 500 * time.Millisecond, Seed: 23})
	require.NoError(t, err)
	t.Cleanup(func() { stopNotify(); <-n.Done() })

	byID := map[string]sim.Account{}
	for _, a := range s.Accounts() {
		byID[a.ID] = a
	}
	file := filepath.Join(t.TempDir(), "accounts.yaml")
	env := map[string]string{
		"SPAPI_ENDPOINT": srv.URL, "LWA_ENDPOINT": srv.URL + "/auth/o2/token", "SECRET": sim.DemoAccount.ClientSecret,
		"SPSYNC_ACCOUNTS_FILE": file, "SPSYNC_HTTP_ADDR": "127.0.0.1:0",
		"SPSYNC_SQS_QUEUE_URL": pushURL, "SPSYNC_SQS_ENDPOINT": fq.Endpoint,
	}
	setPollCrons(env, "@every 2s")
	yaml := "accounts:\n"
	for i, id := range ids {
		a := byID[id]
		require.NotEmpty(t, a.SellerID)
		yaml += fmt.Sprintf("  - id: %s\n    marketplace_ids: [%s]\n    client_id: %s\n    client_secret_env: SECRET\n    refresh_token_env: TOKEN_%d\n    selling_partner_id: %s\n",
			id, sim.MarketplaceUS, a.ClientID, i, a.SellerID)
		env[fmt.Sprintf("TOKEN_%d", i)] = a.RefreshToken
	}
	require.NotEqual(t, byID[ids[0]].SellerID, byID[ids[1]].SellerID)
	require.NoError(t, os.WriteFile(file, []byte(yaml), 0o600))
	env["DATABASE_URL"] = dbtest.NewURL(t)
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	pool, err := pgxpool.New(ctx, env["DATABASE_URL"])
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	key, _, err := secretbox.GenerateKey()
	require.NoError(t, err)
	keys := &secretbox.Keyring{Current: key}

	h := &yearHarness{sim: s, cred: cred, pool: pool, keys: keys, clientID: sim.DemoAccount.ClientID, accts: byID, ids: ids,
		notifier: n, logs: &yearLogs{}}
	logger := slog.New(slog.NewJSONHandler(h.logs, nil))
	runCtx, cancel := context.WithCancel(ctx)
	ready := make(chan ReadyInfo, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(runCtx, Options{Config: cfg, Logger: logger, Keys: keys, Migrate: true, CredentialClock: cred.Now,
			Rotation:           config.Rotation{AppQueueURL: appURL, Mode: config.RotationAuto, RotateBefore: 720 * time.Hour},
			RotationCheckEvery: 200 * time.Millisecond, AccountsReload: time.Second,
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
	case r := <-ready:
		h.httpAddr = r.HTTPAddr
	case err := <-done:
		t.Fatalf("worker stopped before it was ready: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("worker not ready after 2 minutes")
	}
	return h
}

// deliverNotices sends the EXPIRY notices the credential clock made due
// and waits until the worker handled every application notification sent
// so far. It reports whether a notice was sent.
func (h *yearHarness) deliverNotices(t *testing.T, ctx context.Context) bool {
	t.Helper()
	before := h.sim.CredentialStats().ExpiriesSent
	require.NoError(t, h.sim.DeliverCredentialNotices(ctx))
	st := h.sim.CredentialStats()
	h.waitHandled(t, st.NewSecretsSent+st.ExpiriesSent)
	return st.ExpiriesSent > before
}

// waitHandled waits until the application queue's consumer has handled n
// notifications (stored, recorded, or known duplicates).
func (h *yearHarness) waitHandled(t *testing.T, n int) {
	t.Helper()
	handled := func() int {
		total := 0.0
		for _, outcome := range []string{"stored", "recorded", "duplicate", "older"} {
			total += h.metric(t, "spsync_application_notifications_total", map[string]string{"outcome": outcome})
		}
		return int(total)
	}
	require.Eventually(t, func() bool { return handled() >= n }, 30*time.Second, 20*time.Millisecond,
		"the worker handles %d application notifications", n)
}

// liveRotation waits, with the credential clock stopped, for the worker's
// check to rotate the secret and for its NEW_SECRET to be stored, then
// moves the clock ten minutes at a time, each step waiting for the new
// secret to be probed, until LWA accepts it and it is primary: well within
// the old secret's 7 days.
func (h *yearHarness) liveRotation(t *testing.T, ctx context.Context, followed int) {
	t.Helper()
	// rotateApplicationClientSecret's plan (0.0167/s, burst 1) refills one
	// call a minute on the real clock, which the worker's budget keeps: a
	// second rotation less than a minute after the first waits for it.
	require.Eventually(t, func() bool { return h.sim.CredentialStats().Rotations > followed },
		90*time.Second, 20*time.Millisecond, "the worker rotates the secret")
	st := h.sim.CredentialStats()
	h.waitHandled(t, st.NewSecretsSent+st.ExpiriesSent)
	// The newest secret is the rotation's: pending, or primary already
	// when LWA accepted it at once.
	var id int64
	require.NoError(t, h.pool.QueryRow(ctx, `SELECT id FROM application_secrets ORDER BY id DESC LIMIT 1`).Scan(&id))
	rotatedAt := h.cred.Now()
	for step := 0; ; step++ {
		require.Less(t, step, 12, "the new secret is primary within two hours")
		stepAt := h.cred.Now()
		var state string
		require.Eventually(t, func() bool {
			var refusedAt *time.Time
			require.NoError(t, h.pool.QueryRow(ctx, `SELECT state, refused_at FROM application_secrets WHERE id = $1`, id).Scan(&state, &refusedAt))
			return state == store.SecretPrimary || (refusedAt != nil && !refusedAt.Before(stepAt))
		}, 30*time.Second, 20*time.Millisecond, "the new secret is probed %s after the rotation", stepAt.Sub(rotatedAt))
		if state == store.SecretPrimary {
			t.Logf("rotation at %s: the new secret is primary %s later", rotatedAt.Format(time.DateOnly), stepAt.Sub(rotatedAt))
			return
		}
		h.cred.Advance(10 * time.Minute)
	}
}

// waitFreshTokens waits until LWA has issued both accounts a new access
// token since the call: the secrets that stand now are used.
func (h *yearHarness) waitFreshTokens(t *testing.T, when string) {
	t.Helper()
	counts := map[string]int{}
	for _, id := range h.ids {
		counts[id] = h.sim.LWACalls(h.accts[id].RefreshToken)
	}
	require.Eventually(t, func() bool {
		for _, id := range h.ids {
			if h.sim.LWACalls(h.accts[id].RefreshToken) <= counts[id] {
				return false
			}
		}
		return true
	}, 30*time.Second, 10*time.Millisecond, "both accounts ask LWA for tokens (%s)", when)
}

// application returns the application row and its secrets.
func (h *yearHarness) application(t *testing.T, ctx context.Context) (*store.Application, []*store.ApplicationSecret) {
	t.Helper()
	apps, err := store.ListApplications(ctx, h.pool)
	require.NoError(t, err)
	require.Len(t, apps, 1)
	all, err := store.ListApplicationSecrets(ctx, h.pool)
	require.NoError(t, err)
	return apps[0], all
}

func (h *yearHarness) accountState(t *testing.T, id string) string {
	t.Helper()
	row, err := store.GetAccount(context.Background(), h.pool, id, false)
	require.NoError(t, err)
	return row.State
}

// polledSince reports whether every stream of account polled after t0.
func (h *yearHarness) polledSince(t *testing.T, account string, t0 time.Time) bool {
	var n int
	require.NoError(t, h.pool.QueryRow(context.Background(),
		`SELECT count(DISTINCT stream) FROM sync_cursors WHERE account_id = $1 AND last_success_at > $2`, account, t0).Scan(&n))
	return n == len(streams.All(nil))
}

// truthDiff compares the account's orders, fulfillment orders and service
// jobs with the simulator's, by id, and returns the differences ("" when
// none). Postgres holds nothing Amazon does not, and every entity Amazon
// has let spsync see: one whose last change is older than the stream's
// cursor (a poll sees a change two minutes after it happened, Amazon's
// rule) or whose change notification was delivered. An order changed in
// the two minutes before the notifier started is neither yet.
func (h *yearHarness) truthDiff(t *testing.T, account string) string {
	t.Helper()
	ctx := context.Background()
	stored := func(query string) map[string]bool {
		rows, err := h.pool.Query(ctx, query, account)
		require.NoError(t, err)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		set := map[string]bool{}
		for _, id := range got {
			require.False(t, set[id], "%s stored twice", id)
			set[id] = true
		}
		return set
	}
	cursor := func(stream string) time.Time {
		var at *time.Time
		require.NoError(t, h.pool.QueryRow(ctx, `SELECT min(cursor_at) FROM sync_cursors WHERE account_id = $1 AND stream = $2`,
			account, stream).Scan(&at))
		require.NotNil(t, at, "%s of %s polled", stream, account)
		return *at
	}
	pushed := map[string]bool{}
	for _, r := range h.notifier.Log() {
		if r.AccountID == account && len(r.DeliveredAt) > 0 {
			pushed[r.EntityID] = true
		}
	}
	var diffs []string
	compare := func(what string, truth map[string]time.Time, got map[string]bool, seen time.Time) {
		for id, changed := range truth {
			if !got[id] && (!changed.After(seen) || pushed[id]) {
				diffs = append(diffs, fmt.Sprintf("%s %s missing (changed %s, cursor %s)", what, id, changed.Format(time.TimeOnly), seen.Format(time.TimeOnly)))
			}
		}
		for id := range got {
			if _, ok := truth[id]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s %s stored, Amazon does not have it", what, id))
			}
		}
		require.NotEmpty(t, got, "%s of %s", what, account)
	}

	orders, err := h.sim.TruthOrders2026(account)
	require.NoError(t, err)
	truth := map[string]time.Time{}
	for _, o := range orders {
		truth[o.OrderID] = o.LastUpdatedTime
	}
	compare("order", truth, stored(`SELECT amazon_order_id FROM orders WHERE account_id = $1`), cursor("orders"))

	fos, err := h.sim.TruthFulfillmentOrders(account)
	require.NoError(t, err)
	truth = map[string]time.Time{}
	for _, fo := range fos {
		truth[fo.FulfillmentOrder.SellerFulfillmentOrderID] = fo.FulfillmentOrder.StatusUpdatedDate
	}
	compare("fulfillment order", truth, stored(`SELECT seller_fulfillment_order_id FROM fulfillment_orders WHERE account_id = $1`),
		cursor("fulfillment_orders"))

	jobs, err := h.sim.TruthServiceJobs(account)
	require.NoError(t, err)
	truth = map[string]time.Time{}
	for _, j := range jobs {
		truth[j.ServiceJobID] = time.Time{} // no change time: every job must be stored
	}
	compare("service job", truth, stored(`SELECT service_job_id FROM service_jobs WHERE account_id = $1`), cursor("service_jobs"))
	slices.Sort(diffs)
	return strings.Join(diffs, "; ")
}

// scrape returns the worker's /metrics page.
func (h *yearHarness) scrape(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + h.httpAddr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	require.NoError(t, sc.Err())
	return b.String()
}

// metric sums the samples of the metric name whose labels include every
// one of labels.
func (h *yearHarness) metric(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	total := 0.0
	for _, line := range strings.Split(h.scrape(t), "\n") {
		if !strings.HasPrefix(line, name) || strings.HasPrefix(line, "#") {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue // a longer name
		}
		sp := strings.LastIndexByte(rest, ' ')
		match := true
		for k, v := range labels {
			if !strings.Contains(rest[:sp], k+`="`+v+`"`) {
				match = false
			}
		}
		if !match {
			continue
		}
		v, err := strconv.ParseFloat(rest[sp+1:], 64)
		require.NoError(t, err, line)
		total += v
	}
	return total
}
