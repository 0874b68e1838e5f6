package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/devtools/freeport"
	"github.com/spsync/spsync/internal/oauth"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/streams"
)

// TestSecretsStayOutOfLogsMetricsAndTables runs a full sync with
// recognizable fake credentials and a secret key (so accounts and client
// secrets are stored, sealed), under faults that make the worker log
// errors and refresh its access token. While it runs, the application's
// secret is rotated: rotation bookkeeping is written and the NEW_SECRET
// stored pending, which the worker then probes (LWA refuses a fresh secret
// for 30 minutes). It asserts that neither the client secrets (declared
// and rotated), the refresh token, any access token the simulator issued
// nor the key appears in the worker's output (every log line, River's
// included, at debug level, in JSON and in text), its /metrics, its health
// answer, `worker status`, River's job args, any row of any table (every
// column cast to text) or a pg_dump of the database.
func TestSecretsStayOutOfLogsMetricsAndTables(t *testing.T) {
	t.Parallel()
	const (
		clientSecret = "FAKE-LWA-CLIENT-SECRET-b7e1c2d9"
		refreshToken = "Atzr|FAKE-REFRESH-TOKEN-4f0a9e37"
	)
	acct := sim.Account{
		ID: "secrets", ClientID: "amzn1.application-oa2-client.reliability",
		ClientSecret: clientSecret, RefreshToken: refreshToken,
		MarketplaceIDs: sim.DemoAccount.MarketplaceIDs,
	}
	bin := workerBinary(t)
	d := settledDataset(31, 300)
	s := serveSim(t, d, func(o *sim.Options) {
		o.Accounts = []sim.Account{acct}
		o.Faults = sim.Faults{Seed: 5, Error500: 0.02, ExpireAccessToken: 0.05, MalformedJSON: 0.01}
		o.ApplicationQueueARN = applicationQueueARN
	})
	dbURL := dbtest.NewURL(t)
	pool := newPool(t, dbURL)
	key, keyText, err := secretbox.GenerateKey()
	require.NoError(t, err)
	keys := &secretbox.Keyring{Current: key}
	env := workerEnv(dbURL, s.URL, acct, "SPSYNC_SECRET_KEY="+keyText, "SPSYNC_ACCOUNTS_RELOAD=1s")
	// Every line spsync and River log, in both formats: the running
	// worker logs JSON at debug (River's job errors, with their error
	// text, are DEBUG lines), the --once run below text at debug.
	debugJSON := append(slices.Clip(env), "SPSYNC_LOG_LEVEL=debug", "SPSYNC_LOG_FORMAT=json")
	debugText := append(slices.Clip(env), "SPSYNC_LOG_LEVEL=debug", "SPSYNC_LOG_FORMAT=text")

	w, addr := startWorker(t, bin, debugJSON)
	waitFor(t, 2*time.Minute, "a full sync", synced(t, func(q string) (int, error) {
		var n int
		err := pool.QueryRow(context.Background(), q).Scan(&n)
		return n, err
	}, s.Sim, acct.ID))

	// A rotation while the worker runs: its new secret stored, pending;
	// the worker reloads it and probes it, and LWA refuses it while it
	// propagates (its error path runs with the secret in hand).
	newSecret := rotateAndStore(t, s, pool, keys, acct.ClientID, clientSecret)
	waitFor(t, time.Minute, "the worker probes the new secret and records LWA's refusal", func() (bool, error) {
		return count(t, pool, `SELECT count(*) FROM application_secrets WHERE state = 'pending' AND refused_at IS NOT NULL`) == 1, nil
	})
	require.Positive(t, s.CredentialStats().RefusedPropagatingSecret, "LWA refused the propagating secret")

	var exposed strings.Builder
	for _, path := range []string{"/metrics", "/healthz"} {
		resp, err := http.Get("http://" + addr + path)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		exposed.WriteString(path + ":\n" + string(b) + "\n")
	}
	require.Contains(t, exposed.String(), "spsync_", "the metrics page is served")
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, w.wait(t, 45*time.Second))

	// A status command and an --once run add their own output.
	st := startProc(t, "worker status", bin, env, "status")
	st.wait(t, time.Minute)
	require.Contains(t, st.stdout.String(), "CLIENT SECRETS", "status shows the stored credentials")
	once := startProc(t, "worker run --once", bin, debugText, "run", "--once")
	require.Equal(t, 0, once.wait(t, 2*time.Minute), "stderr (tail):\n%s", tail(once.stderr.String(), 20))
	requireEqualTruth(t, pool, s.Sim, acct.ID)

	tokens := s.accessTokens()
	require.GreaterOrEqual(t, len(tokens), 2, "the sync refreshed its access token after injected expiries")
	logs := w.stdout.String() + w.stderr.String() + st.stdout.String() + st.stderr.String() + once.stdout.String() + once.stderr.String()
	require.Contains(t, w.stderr.String(), `"level":"DEBUG","msg":"River client started"`, "the running worker logged River's debug lines, as JSON")
	require.Contains(t, w.stderr.String(), `"msg":"jobexecutor.JobExecutor: Job errored`, "River's job error lines are in the log")
	require.Contains(t, once.stderr.String(), `level=DEBUG msg="River client started"`, "the --once run logged River's debug lines, as text")
	require.Positive(t, count(t, pool, `SELECT count(*) FROM river_job WHERE cardinality(errors) > 0`),
		"job errors were recorded (they are in the dump checked below)")
	dump := dumpTables(t, pool)
	require.Greater(t, len(dump), 100_000, "the table dump holds the synced data")
	backup := pgDump(t, dbURL)
	require.Greater(t, len(backup), 100_000, "pg_dump holds the synced data")
	// The premises: the credentials are in the tables, sealed, and the
	// rotation left its bookkeeping.
	require.Equal(t, 1, count(t, pool, `SELECT count(*) FROM accounts WHERE refresh_token_sealed LIKE 'sb1.%'`), "the refresh token stored sealed")
	require.Equal(t, 2, count(t, pool, `SELECT count(*) FROM application_secrets WHERE secret_sealed LIKE 'sb1.%'`), "both client secrets stored sealed")
	require.Equal(t, 1, count(t, pool, `SELECT count(*) FROM applications WHERE rotation_requested_at IS NOT NULL`), "rotation bookkeeping stored")
	require.Contains(t, backup, "sb1."+key.ID()+".", "pg_dump holds the sealed values")
	var jobArgs string
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(args::text, E'\n'), '') FROM river_job`).Scan(&jobArgs))
	require.NotEmpty(t, jobArgs, "River jobs were recorded")

	secrets := append([]string{clientSecret, refreshToken, "FAKE-LWA-CLIENT-SECRET", "FAKE-REFRESH-TOKEN", newSecret, keyText}, tokens...)
	for i, sec := range secrets {
		for _, in := range []struct{ where, text string }{
			{"the worker's output", logs}, {"/metrics or /healthz", exposed.String()}, {"a table", dump},
			{"pg_dump", backup}, {"River's job args", jobArgs},
		} {
			requireAbsent(t, in.text, sec, fmt.Sprintf("secret #%d in %s", i, in.where))
		}
	}
	t.Logf("%d secrets (client secrets declared and rotated, refresh token, key, %d access tokens) absent from %d bytes of logs, %d bytes of metrics, %d bytes of job args, a %d-byte dump of every table and a %d-byte pg_dump",
		len(secrets), len(tokens), len(logs), exposed.Len(), len(jobArgs), len(dump), len(backup))
}

// requireAbsent fails when secret occurs in text, quoting where it
// occurs (the secret itself replaced) instead of the whole text, which
// may be megabytes.
func requireAbsent(t *testing.T, text, secret, what string) {
	t.Helper()
	i := strings.Index(text, secret)
	if i < 0 {
		return
	}
	from, to := max(0, i-120), min(len(text), i+len(secret)+120)
	t.Fatalf("%s at byte %d: …%s…", what, i, strings.ReplaceAll(text[from:to], secret, "<SECRET>"))
}

// dumpTables returns every row of every table in the database's schemas,
// River's included, as text.
func dumpTables(t *testing.T, pool interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.NotEmpty(t, tables)
	var b strings.Builder
	for _, tbl := range tables {
		rows, err := pool.Query(ctx, `SELECT t::text FROM `+tbl+` t`)
		require.NoError(t, err)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err, tbl)
		b.WriteString(tbl + "\n" + strings.Join(lines, "\n") + "\n")
	}
	return b.String()
}

// TestOAuthSecretsStayOutOfLogsRiverAndTables runs the website
// authorization flow against a keyed worker process (its OAuth listener
// on, debug JSON logs) and the simulator's Seller Central: three sellers
// onboard, and the refusals run with a secret in hand — a replayed
// callback, a callback without the flow cookie, a cancelled consent, a
// used and an unknown invitation. It asserts that no invitation token,
// state, flow cookie, authorization code, nor the refresh and access
// tokens the codes became, appears in the worker's output, River's job
// args, any table or a pg_dump: only their sha256 is stored, and the
// refresh tokens sealed.
func TestOAuthSecretsStayOutOfLogsRiverAndTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ids := []string{"oauth-a", "oauth-b", "oauth-c"}
	var accts []sim.Account
	for _, id := range ids {
		a := sim.DemoAccount
		a.ID, a.SellerID, a.RefreshToken = id, "", "Atzr|FAKE-OAUTH-SEED-"+id
		a.MarketplaceIDs = []string{sim.MarketplaceUS}
		accts = append(accts, a)
	}
	s, err := sim.New(sim.Options{Seed: 27, Accounts: accts, Orders: 20, ServiceJobs: 4, FulfillmentOrders: 4, RateScale: simRateScale})
	require.NoError(t, err)
	// LWA's answers are read on the way: the refresh and access tokens
	// the codes became are secrets too.
	var issuedMu sync.Mutex
	var issued []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/auth/o2/token") {
			s.ServeHTTP(w, r)
			return
		}
		rec := &teeWriter{ResponseWriter: w}
		s.ServeHTTP(rec, r)
		var tok struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		if json.Unmarshal(rec.body.Bytes(), &tok) == nil {
			issuedMu.Lock()
			issued = append(issued, tok.AccessToken, tok.RefreshToken)
			issuedMu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)

	oauthAddr := freeport.Loopback(t)
	base := "http://" + oauthAddr
	s.SetApplicationURIs(sim.DemoApplicationID, base+"/oauth/login", base+"/oauth/callback")

	dbURL := dbtest.NewURL(t)
	pool := newPool(t, dbURL)
	key, keyText, err := secretbox.GenerateKey()
	require.NoError(t, err)
	var env []string
	for _, kv := range workerEnv(dbURL, srv.URL, sim.DemoAccount) {
		if k, _, _ := strings.Cut(kv, "="); k != "LWA_CLIENT_ID" && k != "LWA_CLIENT_SECRET" && k != "SPAPI_REFRESH_TOKEN" {
			env = append(env, kv) // no declared account: every account comes through the flow
		}
	}
	env = append(env, "SPSYNC_SECRET_KEY="+keyText, "SPSYNC_ACCOUNTS_RELOAD=1s", "SPSYNC_LOG_LEVEL=debug", "SPSYNC_LOG_FORMAT=json",
		"SPSYNC_OAUTH_ADDR="+oauthAddr, "SPSYNC_OAUTH_BASE_URL="+base, "SPSYNC_OAUTH_APPLICATION_ID="+sim.DemoApplicationID,
		"SPSYNC_OAUTH_CLIENT_ID="+sim.DemoAccount.ClientID, "SPSYNC_SELLER_CENTRAL_URL="+srv.URL+"/sellercentral")
	w, _ := startWorker(t, workerBinary(t), env)
	admin := &accounts.Admin{Pool: pool, Keys: &secretbox.Keyring{Current: key}}
	_, _, err = admin.SetSecret(ctx, sim.DemoAccount.ClientID, sim.DemoAccount.ClientSecret, nil)
	require.NoError(t, err)

	// The flow as a browser runs it, one request at a time so every
	// value can be kept: the secrets to look for.
	var secrets []string
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(req *http.Request, cookies ...*http.Cookie) *http.Response {
		t.Helper()
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := noRedirect.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	get := func(u string, cookies ...*http.Cookie) *http.Response {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		require.NoError(t, err)
		return do(req, cookies...)
	}
	invite := func(id string) string {
		token, _, err := oauth.Invite(ctx, pool, oauth.InviteRequest{Region: "na", MarketplaceIDs: []string{sim.MarketplaceUS}, AccountID: id, Now: time.Now()})
		require.NoError(t, err)
		secrets = append(secrets, token)
		return base + "/oauth/invite/" + token
	}
	// start opens the invitation; it returns the flow cookie and the
	// consent URL's state.
	start := func(link string) (*http.Cookie, string) {
		resp := get(link)
		require.Equal(t, http.StatusFound, resp.StatusCode, "the invitation redirects to Seller Central")
		consent, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		state := consent.Query().Get("state")
		require.NotEmpty(t, state)
		secrets = append(secrets, state)
		var flow *http.Cookie
		for _, c := range resp.Cookies() {
			secrets = append(secrets, c.Value)
			if c.Name == "spsync_oauth" {
				flow = c
			}
		}
		require.NotNil(t, flow, "the flow cookie")
		return flow, state
	}
	// decide answers the consent form; it returns the callback URL.
	decide := func(state, id, decision string) string {
		form := url.Values{"application_id": {sim.DemoApplicationID}, "state": {state}, "redirect_uri": {base + "/oauth/callback"},
			"seller": {s.Accounts()[slices.Index(ids, id)].SellerID}, "decision": {decision}}
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/sellercentral/na/apps/authorize/confirm", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp := do(req)
		require.Equal(t, http.StatusFound, resp.StatusCode)
		cb := resp.Header.Get("Location")
		if code := mustQuery(t, cb, "spapi_oauth_code"); code != "" {
			secrets = append(secrets, code)
		}
		return cb
	}
	for i, id := range ids {
		link := invite(id)
		flow, state := start(link)
		cb := decide(state, id, "confirm")
		if i == 1 { // first without the cookie: refused, then the real browser's own
			require.Equal(t, http.StatusForbidden, get(cb).StatusCode, "a callback without the flow cookie")
			flow, state = start(link)
			cb = decide(state, id, "confirm")
		}
		require.Equal(t, http.StatusOK, get(cb, flow).StatusCode, "the callback of %s succeeds", id)
		require.Equal(t, http.StatusBadRequest, get(cb, flow).StatusCode, "a replayed callback")
		require.Equal(t, http.StatusGone, get(link).StatusCode, "a used invitation")
	}
	cancelled := invite("oauth-cancel")
	flow, state := start(cancelled)
	get(decide(state, ids[0], "cancel"), flow)
	unknown, _, err := oauth.NewToken()
	require.NoError(t, err)
	secrets = append(secrets, unknown)
	require.Equal(t, http.StatusNotFound, get(base+"/oauth/invite/"+unknown).StatusCode)

	waitFor(t, 2*time.Minute, "the onboarded accounts sync", func() (bool, error) {
		return count(t, pool, `SELECT count(*) FROM sync_cursors WHERE last_success_at IS NOT NULL AND account_id = ANY($1)`, ids) == len(streams.All(nil))*len(ids), nil
	})
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, w.wait(t, 45*time.Second))

	// The premises: the flows and their refusals ran, and what was
	// stored is hashes and sealed tokens.
	logs := w.stdout.String() + w.stderr.String()
	for _, reason := range []string{"cookie_missing", "state_replayed", "invitation_used", "consent_denied", "invitation_unknown"} {
		require.Contains(t, logs, reason, "the worker logged the refusal")
	}
	require.Equal(t, len(ids), count(t, pool, `SELECT count(*) FROM accounts WHERE refresh_token_sealed LIKE 'sb1.%'`))
	require.Equal(t, len(ids)+1, count(t, pool, `SELECT count(*) FROM oauth_invitations WHERE octet_length(token_hash) = 32`))
	require.Positive(t, count(t, pool, `SELECT count(*) FROM oauth_flows WHERE octet_length(state_hash) = 32 AND octet_length(cookie_hash) = 32`))
	issuedMu.Lock()
	secrets = append(secrets, issued...)
	issuedMu.Unlock()
	require.Greater(t, len(secrets), 20)
	var jobArgs string
	require.NoError(t, pool.QueryRow(ctx, `SELECT coalesce(string_agg(args::text, E'\n'), '') FROM river_job`).Scan(&jobArgs))
	require.NotEmpty(t, jobArgs)
	dump, backup := dumpTables(t, pool), pgDump(t, dbURL)
	for i, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, in := range []struct{ where, text string }{
			{"the worker's output", logs}, {"a table", dump}, {"pg_dump", backup}, {"River's job args", jobArgs},
		} {
			requireAbsent(t, in.text, sec, fmt.Sprintf("OAuth secret #%d in %s", i, in.where))
		}
	}
	t.Logf("%d OAuth values (invitation tokens, states, cookies, codes, issued tokens) absent from %d bytes of logs, %d bytes of job args, a %d-byte table dump and a %d-byte pg_dump",
		len(secrets), len(logs), len(jobArgs), len(dump), len(backup))
}

// mustQuery returns the query parameter key of rawURL.
func mustQuery(t *testing.T, rawURL, key string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	return u.Query().Get(key)
}
