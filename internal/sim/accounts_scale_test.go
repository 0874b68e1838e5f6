package sim_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// numberedAccounts are n sellers named like the ones the digests below
// were recorded with (before the simulator served more than 200 accounts),
// spelled out here so the test does not depend on sim.Sellers.
func numberedAccounts(n int) []sim.Account {
	out := make([]sim.Account, n)
	for i := range out {
		a := sim.DemoAccount
		a.ID = fmt.Sprintf("seller-%04d", i+1)
		a.SellerID = ""
		a.RefreshToken = sim.DemoAccount.RefreshToken + "-" + a.ID
		out[i] = a
	}
	return out
}

// scaleOptions is the configuration the digests were recorded with.
func scaleOptions(n int) sim.Options {
	return sim.Options{
		Seed: 11, Start: start, Accounts: numberedAccounts(n),
		Orders: 30, FulfillmentOrders: 12, ServiceJobs: 8,
		DataClock: sim.NewManualClock(start.Add(48 * time.Hour)), BurstScale: 1e6, RateScale: 1e6,
	}
}

// accountDigest hashes everything the simulator holds for one account as
// of the data clock: every ground truth (orders and their items in both
// versions, fulfillment orders, package numbers and tracking, service
// jobs) and, through HTTP in Amazon's real shapes, one getOrder,
// getFulfillmentOrder, getPackageTrackingDetails and getServiceJobByServiceJobId
// answer. Pages with a nextToken are left out: their tokens are sealed with
// a key drawn per simulator.
func accountDigest(t *testing.T, s *sim.Sim, srv *httptest.Server, acct sim.Account) string {
	t.Helper()
	h := sha256.New()
	add := func(label string, v any, err error) {
		t.Helper()
		require.NoError(t, err, label)
		b, err := json.Marshal(v)
		require.NoError(t, err, label)
		fmt.Fprintf(h, "%s\x00%s\x00", label, b)
	}
	orders, err := s.TruthOrders(acct.ID)
	add("orders", orders, err)
	for _, o := range orders {
		items, err := s.TruthOrderItems(acct.ID, o.AmazonOrderID)
		add("items "+o.AmazonOrderID, items, err)
	}
	o26, err := s.TruthOrders2026(acct.ID)
	add("orders2026", o26, err)
	fos, err := s.TruthFulfillmentOrders(acct.ID)
	add("fulfillment", fos, err)
	pkgs, err := s.TruthPackageNumbers(acct.ID)
	add("packages", pkgs, err)
	for _, p := range pkgs {
		tr, err := s.TruthPackageTracking(acct.ID, p)
		add(fmt.Sprint("tracking ", p), tr, err)
	}
	jobs, err := s.TruthServiceJobs(acct.ID)
	add("jobs", jobs, err)

	b := &testBundle{sim: s, srv: srv, acct: acct}
	tok := b.accessToken(t)
	raw := func(path string) {
		t.Helper()
		resp := b.get(t, tok, path)
		require.Equal(t, 200, resp.status, "%s: %s", path, resp.body)
		fmt.Fprintf(h, "%s\x00%s\x00", path, resp.body)
	}
	raw("/orders/v0/orders/" + orders[0].AmazonOrderID)
	raw("/fba/outbound/2020-07-01/fulfillmentOrders/" + url.PathEscape(fos[0].FulfillmentOrder.SellerFulfillmentOrderID))
	raw(fmt.Sprintf("/fba/outbound/2020-07-01/tracking?packageNumber=%d", pkgs[0]))
	raw("/service/v1/serviceJobs/" + jobs[0].ServiceJobID)
	return hex.EncodeToString(h.Sum(nil))
}

// digestsBefore200 were recorded at commit b82a885, when 200 accounts
// were the most the simulator served: serving more must not change a byte
// of the first 200.
var digestsBefore200 = map[string]string{
	"seller-0001": "f6283957c823e77acde7ab59c92fe50e5dd850e87c120996719a7fce52e79b38",
	"seller-0002": "8b1bface865db30cb927f368797bcbe431005d29c29fc1e2a626ae3cdb323e26",
	"seller-0058": "4bcd01e7edcbd4ee07821d64e8bfd0cbeb5ce44ce522525de7ee50514b64cf69",
	"seller-0200": "d08f0250d92a2cd54d0b0f6de8dc45b84cb0c32bde7564bddea7c00309b29690",
}

// demoDigestBefore is the demo account's digest with the default sizes,
// recorded at the same commit.
const demoDigestBefore = "08d2a70719ec5756b15c26261530d423adf2166076c4e2258fd04d9e11c8f760"

// TestAccountsBelow200KeepTheirData serves the first 200 accounts exactly
// as before the limit was lifted, whether 200 or 1,000 accounts are
// configured and whether AccountSizes is unset or leaves every size to the
// per-account defaults; the accounts after them answer too.
func TestAccountsBelow200KeepTheirData(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		n    int
		mod  func(*sim.Options)
	}{
		{"200", 200, nil},
		{"1000", 1000, nil},
		{"1000 zero sizes", 1000, func(o *sim.Options) {
			o.AccountSizes = func(int, sim.Account) sim.AccountSize { return sim.AccountSize{} }
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := scaleOptions(tc.n)
			if tc.mod != nil {
				tc.mod(&opts)
			}
			s := sim.MustNew(opts)
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			for _, k := range []int{0, 1, 57, 199} {
				acct := s.Accounts()[k]
				got := accountDigest(t, s, srv, acct)
				require.Equal(t, digestsBefore200[acct.ID], got, "%s of %d accounts", acct.ID, tc.n)
			}
			if tc.n > 200 {
				for _, k := range []int{200, tc.n - 1} {
					require.NotEmpty(t, accountDigest(t, s, srv, s.Accounts()[k]))
				}
			}
		})
	}
}

func TestSellersNamesLikeTheDigests(t *testing.T) {
	t.Parallel()
	require.Equal(t, numberedAccounts(250), sim.Sellers(250))
}

// TestThousandAccountsServed: 1,000 sellers of SellerMix's sizes, and a
// sample of them, before, at and after the 200th, answers getOrders and
// searchOrders with exactly its ground truth, and package tracking with
// numbers of its own that fit int32.
func TestThousandAccountsServed(t *testing.T) {
	t.Parallel()
	accts := sim.Sellers(1000)
	s := sim.MustNew(sim.Options{
		Seed: 5, Start: start, Accounts: accts, AccountSizes: sim.SellerMix,
		DataClock: sim.NewManualClock(start.Add(48 * time.Hour)), BurstScale: 1e6, RateScale: 1e6,
	})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	sample := []int{0, 137, 199, 200, 201, 640, 999}
	for k, a := range accts { // and the first large seller after the 200th
		if k > 200 && sim.SellerMix(k, a).Orders == 3000 {
			sample = append(sample, k)
			break
		}
	}
	owner := map[int]string{}
	for _, k := range sample {
		acct := s.Accounts()[k]
		client := newClient(t, srv.URL, acct)

		truth, err := s.TruthOrders(acct.ID)
		require.NoError(t, err)
		require.Equal(t, sim.SellerMix(k, acct).Orders, len(truth), acct.ID)
		want := map[string]time.Time{}
		for _, o := range truth {
			want[o.AmazonOrderID] = o.LastUpdateDate
		}
		got := map[string]time.Time{}
		for _, o := range allOrders(t, client, spapi.GetOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, CreatedAfter: start.Add(-15 * 24 * time.Hour)}) {
			got[o.AmazonOrderId] = o.LastUpdateDate
		}
		require.Equal(t, want, got, "getOrders of %s", acct.ID)

		truth26, err := s.TruthOrders2026(acct.ID)
		require.NoError(t, err)
		want26 := map[string]time.Time{}
		for _, o := range truth26 {
			want26[o.OrderID] = o.LastUpdatedTime
		}
		got26 := map[string]time.Time{}
		for page, err := range client.SearchOrdersPager(spapi.SearchOrdersRequest{CreatedAfter: start.Add(-15 * 24 * time.Hour), MaxResultsPerPage: 100}).All(ctx, nil) {
			require.NoError(t, err)
			for _, o := range page.Orders {
				got26[o.OrderId] = o.LastUpdatedTime
			}
		}
		require.Equal(t, want26, got26, "searchOrders of %s", acct.ID)

		pkgs, err := s.TruthPackageNumbers(acct.ID)
		require.NoError(t, err)
		require.NotEmpty(t, pkgs, acct.ID)
		for _, p := range pkgs {
			require.Positive(t, p)
			require.LessOrEqual(t, p, math.MaxInt32)
			require.NotContains(t, owner, p, "package %d of %s is also %s's", p, acct.ID, owner[p])
			owner[p] = acct.ID
		}
		res, err := client.GetPackageTrackingDetails(ctx, pkgs[len(pkgs)-1])
		require.NoError(t, err)
		tr, err := s.TruthPackageTracking(acct.ID, pkgs[len(pkgs)-1])
		require.NoError(t, err)
		require.Equal(t, tr.TrackingNumber, res.Details.TrackingNumber)
	}
	// Another seller's package is not found with this seller's token.
	other, err := s.TruthPackageNumbers(accts[999].ID)
	require.NoError(t, err)
	_, err = newClient(t, srv.URL, s.Accounts()[640]).GetPackageTrackingDetails(ctx, other[0])
	requireKind(t, err, spapi.KindNotFound)
}

// TestSellerMix: most sellers small, a few large, the same for a seller
// whatever its position.
func TestSellerMix(t *testing.T) {
	t.Parallel()
	tiers := map[int]int{}
	for i, a := range sim.Sellers(1000) {
		size := sim.SellerMix(i, a)
		tiers[size.Orders]++
		require.Equal(t, size, sim.SellerMix(0, a))
	}
	t.Logf("orders per seller: %v", tiers)
	require.Len(t, tiers, 3)
	require.InDelta(t, 700, tiers[60], 50)
	require.InDelta(t, 250, tiers[300], 40)
	require.InDelta(t, 50, tiers[3000], 20)
}

func TestTooManyPackageNumbers(t *testing.T) {
	t.Parallel()
	_, err := sim.New(sim.Options{Seed: 1, Accounts: sim.Sellers(5000), FulfillmentOrders: 2000})
	require.ErrorContains(t, err, "int32")
	_, err = sim.New(sim.Options{Seed: 1, Accounts: sim.Sellers(5000), FulfillmentOrders: 1500})
	require.NoError(t, err)
}

func TestDemoAccountKeepsItsData(t *testing.T) {
	t.Parallel()
	s := sim.MustNew(sim.Options{Seed: 1, Start: start, DataClock: sim.NewManualClock(start.Add(48 * time.Hour)), BurstScale: 1e6})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	got := accountDigest(t, s, srv, s.Accounts()[0])
	t.Logf("demo: %s", got)
	require.Equal(t, demoDigestBefore, got)
}

// BenchmarkManySellers measures what serving many sellers costs the
// simulator: New (datasets are lazy, so only accounts, credentials and
// per-account state), then every seller's first call, which builds its
// dataset (here through OrderChanges, which costs no HTTP), and the heap
// after each. Run with -benchtime=1x; the figures are per run.
func BenchmarkManySellers(b *testing.B) {
	cases := []struct {
		n     int
		sizes func(int, sim.Account) sim.AccountSize
		name  string
	}{
		{1000, sim.SellerMix, "mix"},
		{5000, sim.SellerMix, "mix"},
		{1000, nil, "default"}, // 500 orders, 100 fulfillment orders, 50 service jobs each
	}
	for _, tc := range cases {
		b.Run(fmt.Sprintf("sellers=%d/sizes=%s", tc.n, tc.name), func(b *testing.B) {
			accts := sim.Sellers(tc.n)
			heap := func() float64 {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				return float64(ms.HeapAlloc) / (1 << 20)
			}
			for b.Loop() {
				base := heap()
				t0 := time.Now()
				s := sim.MustNew(sim.Options{Seed: 1, Start: start, Accounts: accts, AccountSizes: tc.sizes, DataClock: sim.NewManualClock(start)})
				newTook := time.Since(t0)
				heapNew := heap() - base
				t1 := time.Now()
				for _, a := range accts {
					if _, err := s.OrderChanges(a.ID, start, start); err != nil {
						b.Fatal(err)
					}
				}
				buildTook := time.Since(t1)
				heapBuilt := heap() - base
				b.ReportMetric(float64(newTook.Milliseconds()), "new-ms")
				b.ReportMetric(heapNew, "new-heap-MiB")
				b.ReportMetric(float64(buildTook.Milliseconds()), "build-all-ms")
				b.ReportMetric(heapBuilt, "built-heap-MiB")
				runtime.KeepAlive(s)
			}
		})
	}
}

// BenchmarkManySellersLatency measures the simulator serving 1,000
// sellers with RealisticLatency to 200 calls in flight: each of 4,000
// getOrder calls is a random seller's, with that seller's token. Calls that
// overlap as they should finish at about inflight / mean latency per
// second (200 / ~0.36 s ≈ 550/s); a simulator that serialized them would
// manage under 3/s. Reports calls/s and the p50 and p99 a caller saw.
func BenchmarkManySellersLatency(b *testing.B) {
	const sellers, inflight, calls = 1000, 200, 4000
	accts := sim.Sellers(sellers)
	s := sim.MustNew(sim.Options{Seed: 1, Start: start, Accounts: accts, AccountSizes: sim.SellerMix,
		DataClock: sim.NewManualClock(start.Add(48 * time.Hour)), Latency: sim.RealisticLatency, BurstScale: 1e6, RateScale: 1e6})
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inflight}}
	tokens := make([]string, sellers)
	orders := make([]string, sellers)
	for i, a := range accts {
		resp, err := client.PostForm(srv.URL+"/auth/o2/token", url.Values{
			"grant_type": {"refresh_token"}, "refresh_token": {a.RefreshToken},
			"client_id": {a.ClientID}, "client_secret": {a.ClientSecret},
		})
		if err != nil {
			b.Fatal(err)
		}
		var grant struct {
			AccessToken string `json:"access_token"`
		}
		err = json.NewDecoder(resp.Body).Decode(&grant)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = grant.AccessToken
		truth, err := s.TruthOrders(a.ID)
		if err != nil {
			b.Fatal(err)
		}
		orders[i] = truth[0].AmazonOrderID
	}
	for b.Loop() {
		var next atomic.Int64
		took := make([]time.Duration, calls)
		var wg sync.WaitGroup
		t0 := time.Now()
		for range inflight {
			wg.Go(func() {
				for {
					k := int(next.Add(1)) - 1
					if k >= calls {
						return
					}
					i := int(splitmix64(uint64(k)) % sellers)
					req, _ := http.NewRequest(http.MethodGet, srv.URL+"/orders/v0/orders/"+orders[i], nil)
					req.Header.Set("x-amz-access-token", tokens[i])
					c0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("seller %d: status %d", i, resp.StatusCode)
						return
					}
					took[k] = time.Since(c0)
				}
			})
		}
		wg.Wait()
		wall := time.Since(t0)
		slices.Sort(took)
		b.ReportMetric(calls/wall.Seconds(), "calls/s")
		b.ReportMetric(float64(took[calls/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(took[calls*99/100].Milliseconds()), "p99-ms")
	}
}

func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// TestSellerWithNothing: a negative size means none, and a seller with no
// orders, fulfillment orders or service jobs answers empty lists.
func TestSellerWithNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) {
		o.AccountSizes = func(int, sim.Account) sim.AccountSize {
			return sim.AccountSize{Orders: -1, FulfillmentOrders: -1, ServiceJobs: -1, OrderRateScale: -1}
		}
		o.OrderRates = []sim.OrderRate{{From: start.Add(-time.Hour), To: start, PerHour: 100}}
	})
	tok := b.accessToken(t)
	for _, path := range []string{
		"/orders/v0/orders?MarketplaceIds=" + sim.MarketplaceUS + "&CreatedAfter=" + url.QueryEscape(iso(start.Add(-20*24*time.Hour))),
		"/orders/2026-01-01/orders?createdAfter=" + url.QueryEscape(iso(start.Add(-20*24*time.Hour))),
		"/fba/outbound/2020-07-01/fulfillmentOrders",
		"/service/v1/serviceJobs?marketplaceIds=" + sim.MarketplaceUS,
		"/finances/2024-06-19/transactions?postedAfter=" + url.QueryEscape(iso(start.Add(-20*24*time.Hour))),
	} {
		resp := b.get(t, tok, path)
		require.Equal(t, http.StatusOK, resp.status, "%s: %s", path, resp.body)
	}
	for _, truth := range []func(string) (int, error){
		func(id string) (int, error) { v, err := b.sim.TruthOrders(id); return len(v), err },
		func(id string) (int, error) { v, err := b.sim.TruthFulfillmentOrders(id); return len(v), err },
		func(id string) (int, error) { v, err := b.sim.TruthServiceJobs(id); return len(v), err },
		func(id string) (int, error) { v, err := b.sim.TruthPackageNumbers(id); return len(v), err },
	} {
		n, err := truth(b.acct.ID)
		require.NoError(t, err)
		require.Zero(t, n)
	}
}

type discardSink struct{}

func (discardSink) Deliver(context.Context, string, []byte) error { return nil }

// BenchmarkNotifierManySellers measures one notifier scan of 1,000
// SellerMix sellers, every one of them subscribed (ORDER_CHANGE,
// FULFILLMENT_ORDER_STATUS and TRANSACTION_UPDATE to one queue), the data
// clock a minute further each scan: the work a 200 ms tick does, at far
// more changes per tick than real time gives. The first scan, which
// builds every dataset, is left out.
func BenchmarkNotifierManySellers(b *testing.B) {
	clock := sim.NewManualClock(start)
	accts := sim.Sellers(1000)
	s := sim.MustNew(sim.Options{Seed: 1, Start: start, Accounts: accts, AccountSizes: sim.SellerMix, DataClock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	queue := []string{"arn:aws:sqs:us-east-1:000000000000:q"}
	n, err := s.StartNotifier(ctx, sim.NotifierOptions{Sink: discardSink{}, Route: func(string, string) []string { return queue }, Tick: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	clock.Advance(time.Minute)
	if err := n.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	emitted := n.Stats().Emitted
	scans := 0
	for b.Loop() {
		clock.Advance(time.Minute)
		if err := n.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		scans++
	}
	b.ReportMetric(float64(n.Stats().Emitted-emitted)/float64(scans), "notifications/scan")
}
