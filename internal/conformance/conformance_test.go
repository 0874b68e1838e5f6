package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/conformance"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/devtools/npmtool"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/jobs/finances"
	"github.com/spsync/spsync/internal/sharedtest"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/streams"
	"github.com/spsync/spsync/internal/worker"
)

// notSent are the operations spsync has a name (and a usage plan) for but
// no client method sends, so the run cannot see them. An operation the
// client gains joins the check by leaving this list.
var notSent = map[string]string{
	spapi.OpGetOrderAddress:           "a usage plan only: v0's address comes inside getOrders/getOrder, and Orders 2026-01-01's recipient replaces it",
	spapi.OpGetOrderBuyerInfo:         "a usage plan only: v0's BuyerInfo comes inside getOrders/getOrder",
	spapi.OpGetOrderItemsBuyerInfo:    "a usage plan only: v0's item BuyerInfo comes inside getOrderItems",
	spapi.OpCreateRestrictedDataToken: "a usage plan only: spsync stores no v0 PII, so it never asks for a Restricted Data Token (2026-01-01 needs roles, not RDTs)",
	spapi.OpGetSubscriptions:          "the simulator serves it, but no client method sends it: setup and status look a subscription up by type (getSubscription)",
}

// accounts are the run's sellers: one per Orders API, each selling in the
// US, Canada and Mexico, so a request that may name only one marketplace
// (getServiceJobs' marketplaceIds, maxItems 1) is caught sending three.
var accounts = []struct{ id, ordersAPI string }{
	{"seller-v0", config.OrdersAPIV0},
	{"seller-2026", config.OrdersAPI2026},
}

var marketplaces = []string{sim.MarketplaceUS, sim.MarketplaceCA, sim.MarketplaceMX}

const queueARN = "arn:aws:sqs:us-east-1:123456789012:spsync-conformance"

// plantHeader asks the upstream of the self-test for an answer the model
// forbids.
const plantHeader = "X-Conformance-Plant"

func TestConformance(t *testing.T) {
	t.Parallel()
	spec, err := conformance.LoadSpec(sharedtest.ModelsDir(t, "ordersV0.json"))
	require.NoError(t, err)
	specFile, err := spec.WriteSpec(t.TempDir())
	require.NoError(t, err)
	t.Logf("models merged: %s; left out (notification payload schemas, not APIs): %s",
		strings.Join(spec.Models, ", "), strings.Join(spec.Schemas, ", "))

	t.Run("CleanShapesBreakNoRule", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, spec, specFile, true)

		// Not parallel: it runs before the drive, so that "no violation"
		// below means "checked". Its own Recorder keeps its plants apart.
		t.Run("SelfTestFindsAPlantedViolationOnEachSide", func(t *testing.T) {
			rec, err := conformance.NewRecorder(spec, w.prism.URL)
			require.NoError(t, err)
			srv := httptest.NewServer(rec)
			defer srv.Close()
			tok := w.accessToken(t)
			// getOrders without MarketplaceIds, which the model requires.
			send(t, srv.URL+"/orders/v0/orders?CreatedAfter="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), tok, "")
			// getServiceJobs for three marketplaces, where the model takes one
			// (what spsync sent before #22).
			send(t, srv.URL+"/service/v1/serviceJobs?marketplaceIds="+strings.Join(marketplaces, ","), tok, "")
			// A service job whose status the model's enum does not have.
			send(t, srv.URL+"/service/v1/serviceJobs/planted", tok, "response")
			var required, maxItems, response bool
			for _, v := range rec.Violations() {
				t.Logf("planted: %s %s %s %s %s", v.Operation, v.Side, v.In, v.Path, v.Rule)
				required = required || (v.Operation == spapi.OpGetOrders && v.Side == "request" && v.Rule == "required")
				maxItems = maxItems || (v.Operation == spapi.OpGetServiceJobs && v.Side == "request" && v.Rule == "maxItems")
				response = response || (v.Operation == spapi.OpGetServiceJobByServiceJobID && v.Side == "response" && v.Path == "payload.serviceJobStatus" && v.Rule == "enum")
			}
			require.True(t, required, "the request without MarketplaceIds was not flagged: %v", rec.Violations())
			require.True(t, maxItems, "the request for three marketplaces was not flagged: %v", rec.Violations())
			require.True(t, response, "the answer with an unknown serviceJobStatus was not flagged: %v", rec.Violations())
		})

		w.drive(t)
		calls, vs := w.rec.Calls(), w.rec.Violations()
		requireCovered(t, spec, calls)
		for _, c := range conformance.Summary(vs) {
			t.Errorf("violation: %s", c)
		}
	})

	t.Run("DefaultShapesBreakOnlyAmazonsQuirks", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, spec, specFile, false)
		w.drive(t)
		calls, vs := w.rec.Calls(), w.rec.Violations()
		requireCovered(t, spec, calls)
		listed := map[string]sim.Quirk{}
		for _, q := range sim.Quirks {
			listed[quirkKey(q.Operation, q.Path, q.Rule)] = q
		}
		seen := map[string]bool{}
		for _, c := range conformance.Summary(vs) {
			if c.Side != "response" || c.In != "body" {
				t.Errorf("violation: %s", c)
				continue
			}
			k := quirkKey(c.Operation, c.Path, c.Rule)
			seen[k] = true
			if _, ok := listed[k]; !ok {
				t.Errorf("undocumented deviation from the model (list it in sim.Quirks with the example that shows Amazon sending it, or send the model's shape): %s", c)
			}
		}
		for k := range listed {
			if !seen[k] {
				t.Errorf("sim.Quirks lists %s, which the default simulator no longer sends in this run: drop it from the list (and the doc), or make the run reach it", k)
			}
		}
	})
}

func quirkKey(op, path, rule string) string { return op + " " + path + " " + rule }

// requireCovered fails unless every operation the client can send (every
// operation with a usage plan, less notSent) was seen, and no request
// named an operation no model has.
func requireCovered(t *testing.T, spec *conformance.Spec, calls map[string]int) {
	t.Helper()
	var names []string
	total := 0
	for name, n := range calls {
		names = append(names, fmt.Sprintf("%s %d", name, n))
		total += n
		require.False(t, strings.HasPrefix(name, "unmodelled "), "a request no model declares: %s", name)
	}
	sort.Strings(names)
	t.Logf("%d requests checked over %d operations: %s", total, len(calls), strings.Join(names, ", "))
	modelled := spec.OperationNames()
	var missing []string
	for op := range spapi.DefaultUsagePlans {
		if _, ok := notSent[op]; ok {
			require.True(t, modelled[op], "notSent names %s, which no model has", op)
			continue
		}
		require.True(t, modelled[op], "spsync's operation %s is in no model", op)
		if calls[op] == 0 {
			missing = append(missing, op)
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "operations the client can send that the run never sent (drive them, or name them in notSent with the reason)")
}

// world is one run's simulator, Prism in front of it, and the Recorder in
// front of Prism that spsync's client talks to.
type world struct {
	sim   *sim.Sim
	up    *httptest.Server
	prism *conformance.Prism
	rec   *conformance.Recorder
	front *httptest.Server
}

func newWorld(t *testing.T, spec *conformance.Spec, specFile string, clean bool) *world {
	t.Helper()
	accts := make([]sim.Account, len(accounts))
	for i, a := range accounts {
		accts[i] = sim.DemoAccount
		accts[i].ID = a.id
		accts[i].SellerID = ""
		accts[i].RefreshToken = sim.DemoAccount.RefreshToken + "-" + a.id
		accts[i].MarketplaceIDs = marketplaces
	}
	s, err := sim.New(sim.Options{
		Seed: 1, Accounts: accts, CleanShapes: clean,
		Orders: 40, FulfillmentOrders: 15, ServiceJobs: 15,
		RateScale: 100, BurstScale: 4,
		ReportQueueDelay: time.Millisecond, ReportProcessingDelay: time.Millisecond,
		ApplicationQueueARN: queueARN, // registered in the Developer Console, so rotation is allowed
	})
	require.NoError(t, err)
	w := &world{sim: s}
	w.up = httptest.NewServer(upstream(s))
	t.Cleanup(w.up.Close)

	root, err := npmtool.RepoRoot()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	w.prism, err = conformance.StartPrism(ctx, root, specFile, w.up.URL)
	npmtool.Require(t, "prism", "the conformance test", err)
	t.Cleanup(w.prism.Stop)
	w.rec, err = conformance.NewRecorder(spec, w.prism.URL)
	require.NoError(t, err)
	w.front = httptest.NewServer(w.rec)
	t.Cleanup(w.front.Close)
	return w
}

// upstream is the simulator as Prism reaches it, with two plays of its
// own: the self-test's planted answer, and the first createReport of a run
// answered 500 after the simulator made the report (a worker killed while
// createReport answered), so the report window looks the report up with
// getReports before asking again.
func upstream(s *sim.Sim) http.Handler {
	var once sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(plantHeader) == "response" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"payload":{"serviceJobId":"planted","serviceJobStatus":"NOT_A_STATUS"}}`)
			return
		}
		if r.Method == http.MethodPost && r.URL.Path == "/reports/2021-06-30/reports" {
			lost := false
			once.Do(func() { lost = true })
			if lost {
				s.ServeHTTP(httptest.NewRecorder(), r)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, `{"errors":[{"code":"InternalFailure","message":"We encountered an internal error. Please try again."}]}`)
				return
			}
		}
		s.ServeHTTP(w, r)
	})
}

// accessToken is an LWA access token of the first account, from the
// simulator's token endpoint.
func (w *world) accessToken(t *testing.T) string {
	t.Helper()
	a := w.sim.Accounts()[0]
	tok, err := spapi.NewLWATokenSource(spapi.LWAOptions{
		Credentials: spapi.Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RefreshToken: a.RefreshToken},
		Endpoint:    w.up.URL + "/auth/o2/token",
	})
	require.NoError(t, err)
	s, err := tok.Token(context.Background())
	require.NoError(t, err)
	return s
}

func send(t *testing.T, url, token, plant string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("x-amz-access-token", token)
	if plant != "" {
		req.Header.Set(plantHeader, plant)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// drive runs every operation spsync calls through w.front: one round of
// every poll (worker run --once) for an account on each Orders API, then
// API backfills of the four API streams (financial transactions included), an orders backfill via reports, and
// a refresh of every kind, run by a second round; then notifications
// setup (twice: the second finds what the first made), status, the
// Notifications client's remaining operations and a client secret rotation.
func (w *world) drive(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	yaml := "accounts:\n"
	env := map[string]string{
		"DATABASE_URL":         dbtest.NewURL(t),
		"SPSYNC_HTTP_ADDR":     "127.0.0.1:0",
		"SPAPI_ENDPOINT":       w.front.URL,
		"LWA_ENDPOINT":         w.up.URL + "/auth/o2/token",
		"SECRET":               sim.DemoAccount.ClientSecret,
		"SPSYNC_ACCOUNTS_FILE": filepath.Join(dir, "accounts.yaml"),
	}
	for i, a := range w.sim.Accounts() {
		yaml += fmt.Sprintf("  - id: %s\n    region: na\n    marketplace_ids: [%s]\n    client_id: %s\n    client_secret_env: SECRET\n    refresh_token_env: REFRESH_%d\n    selling_partner_id: %s\n    orders_api: %s\n",
			a.ID, strings.Join(a.MarketplaceIDs, ", "), a.ClientID, i, a.SellerID, accounts[i].ordersAPI)
		env[fmt.Sprintf("REFRESH_%d", i)] = a.RefreshToken
	}
	require.NoError(t, os.WriteFile(env["SPSYNC_ACCOUNTS_FILE"], []byte(yaml), 0o600))
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// A round that fails (a job Amazon would refuse, say) fails the test
	// but the run goes on, so the violations behind it are still listed.
	round := func(what string) {
		t.Helper()
		start := time.Now()
		if err := worker.Run(ctx, worker.Options{Config: cfg, Logger: logger, Once: true}); err != nil {
			t.Errorf("%s: %v", what, err)
		}
		t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
	}
	round("polls")

	pool, err := pgxpool.New(ctx, env["DATABASE_URL"])
	require.NoError(t, err)
	defer pool.Close()
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: logger})
	require.NoError(t, err)
	all := streams.All(cfg)
	now := time.Now().UTC()
	for _, a := range cfg.Accounts {
		for _, b := range []struct {
			stream, via string
			from        time.Time
		}{
			{"orders", backfill.ViaAPI, now.Add(-3 * 24 * time.Hour)},
			{"fulfillment-orders", backfill.ViaAPI, now.Add(-3 * 24 * time.Hour)},
			{"service-jobs", backfill.ViaAPI, now.Add(-3 * 24 * time.Hour)},
			{finances.Stream, backfill.ViaAPI, now.Add(-3 * 24 * time.Hour)},
			{"orders", backfill.ViaReports, now.Add(-10 * 24 * time.Hour)},
		} {
			if b.via == backfill.ViaReports && a.ID != accounts[0].id {
				continue // one report is enough; the two accounts' reports are alike
			}
			stream, err := backfill.Find(all, b.stream)
			require.NoError(t, err)
			require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				_, err := backfill.Start(ctx, tx, inserter, a.ID, stream, b.from, now.Add(-time.Hour), backfill.Options{Via: b.via})
				return err
			}), "backfill %s via %s", b.stream, b.via)
		}
		for kind, id := range w.entities(t, a.ID) {
			refresh, ok := all.RefreshKind(kind)
			require.True(t, ok, kind)
			args, err := refresh.Args(a.ID, id)
			require.NoError(t, err)
			_, err = inserter.Insert(ctx, args, nil)
			require.NoError(t, err)
		}
	}
	round("backfills and refreshes")

	w.notifications(t, cfg)
}

// entities picks an entity of every refresh kind from the simulator's
// truth.
func (w *world) entities(t *testing.T, account string) map[string]string {
	t.Helper()
	orders, err := w.sim.TruthOrders(account)
	require.NoError(t, err)
	fos, err := w.sim.TruthFulfillmentOrders(account)
	require.NoError(t, err)
	pkgs, err := w.sim.TruthPackageNumbers(account)
	require.NoError(t, err)
	jobs, err := w.sim.TruthServiceJobs(account)
	require.NoError(t, err)
	txs, err := w.sim.TruthTransactions(account)
	require.NoError(t, err)
	var txOrder string
	for _, tx := range txs {
		for _, r := range tx.RelatedIdentifiers {
			if r.RelatedIdentifierName == spapi.RelatedOrderID {
				txOrder = r.RelatedIdentifierValue
			}
		}
	}
	require.True(t, len(orders) > 0 && len(fos) > 0 && len(pkgs) > 0 && len(jobs) > 0 && txOrder != "", "the dataset has an entity of every kind")
	return map[string]string{
		"order":              orders[len(orders)-1].AmazonOrderID,
		"fulfillment-order":  fos[0].FulfillmentOrder.SellerFulfillmentOrderID,
		"package":            fmt.Sprint(pkgs[0]),
		"service-job":        jobs[0].ServiceJobID,
		finances.RefreshKind: txOrder,
	}
}

// notifications plays `worker notifications setup` twice and `worker
// notifications status` with the calls those commands make (package main
// cannot be imported): per application, getDestinations then
// createDestination when the queue has none; per account and type,
// getSubscription then createSubscription when there is none. Then the
// Notifications client's other operations, which no command uses yet:
// getDestination, getSubscriptionById, deleteSubscriptionById,
// deleteDestination; and rotateApplicationClientSecret.
func (w *world) notifications(t *testing.T, cfg *config.Config) {
	t.Helper()
	ctx := context.Background()
	clients := make([]*spapi.NotificationsClient, len(cfg.Accounts))
	for i, a := range cfg.Accounts {
		var err error
		clients[i], err = spapi.NewNotificationsClient(spapi.Options{
			Region: spapi.Region(a.Region), Account: a.ID, Endpoint: cfg.SPAPIEndpoint, LWAEndpoint: cfg.LWAEndpoint,
			Credentials: spapi.Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret.Reveal(), RefreshToken: a.RefreshToken.Reveal()},
		})
		require.NoError(t, err)
	}
	// The types `worker notifications setup` subscribes: every stream's push source's.
	types := streams.All(cfg).NotificationTypes()
	require.Contains(t, types, spapi.NotificationTransactionUpdate)
	destination := func() string {
		dests, err := clients[0].GetDestinations(ctx)
		require.NoError(t, err)
		for _, d := range dests {
			if d.SQSARN() == queueARN {
				return d.DestinationID
			}
		}
		return ""
	}
	setup := func() {
		destID := destination()
		if destID == "" {
			d, err := clients[0].CreateDestination(ctx, "spsync", queueARN)
			require.NoError(t, err)
			destID = d.DestinationID
		}
		for _, c := range clients {
			for _, typ := range types {
				sub, err := c.GetSubscription(ctx, typ)
				if errors.Is(err, spapi.ErrNotFound) {
					sub, err = c.CreateSubscription(ctx, typ, "1.0", destID)
				}
				require.NoError(t, err)
				require.Equal(t, destID, sub.DestinationID)
			}
		}
	}
	setup()
	setup()

	// status
	destID := destination()
	require.NotEmpty(t, destID)
	subs := map[string]*spapi.Subscription{}
	for _, typ := range types {
		sub, err := clients[0].GetSubscription(ctx, typ)
		require.NoError(t, err)
		subs[typ] = sub
	}

	d, err := clients[0].GetDestination(ctx, destID)
	require.NoError(t, err)
	require.Equal(t, queueARN, d.SQSARN())
	for typ, sub := range subs {
		got, err := clients[0].GetSubscriptionByID(ctx, typ, sub.SubscriptionID)
		require.NoError(t, err)
		require.Equal(t, sub.SubscriptionID, got.SubscriptionID)
	}
	for _, c := range clients {
		for _, typ := range types {
			sub, err := c.GetSubscription(ctx, typ)
			require.NoError(t, err)
			require.NoError(t, clients[0].DeleteSubscriptionByID(ctx, typ, sub.SubscriptionID))
		}
	}
	require.NoError(t, clients[0].DeleteDestination(ctx, destID))

	// The Application Management API: one client secret rotation, as
	// spsync's rotation job will send it, its new secret on the
	// application queue.
	a := cfg.Accounts[0]
	app, err := spapi.NewApplicationClient(spapi.Options{
		Region: spapi.Region(a.Region), Account: a.ID, Endpoint: cfg.SPAPIEndpoint, LWAEndpoint: cfg.LWAEndpoint,
		Credentials: spapi.Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret.Reveal()},
	})
	require.NoError(t, err)
	require.NoError(t, app.RotateApplicationClientSecret(ctx))
	require.Equal(t, 1, w.sim.CredentialStats().NewSecretsSent)
}
