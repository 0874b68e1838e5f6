package sim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// start is the fixed anchor of every test dataset, so tests are
// reproducible.
var start = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// testBundle is one simulator behind a real HTTP server, its two manual
// clocks and a client for its demo account.
type testBundle struct {
	sim     *sim.Sim
	srv     *httptest.Server
	client  *spapi.Client
	data    *sim.ManualClock
	limiter *sim.ManualClock
	acct    sim.Account
}

// setup starts a small simulator standing at start. Bursts are scaled up
// so tests that are not about the limiter are never throttled; mod adjusts
// the options before construction.
func setup(t *testing.T, mod func(*sim.Options)) *testBundle {
	t.Helper()
	b := &testBundle{data: sim.NewManualClock(start), limiter: sim.NewManualClock(start)}
	opts := sim.Options{
		Seed:              7,
		Start:             start,
		Orders:            300,
		FulfillmentOrders: 60,
		ServiceJobs:       40,
		DataClock:         b.data,
		LimiterClock:      b.limiter,
		BurstScale:        1000,
	}
	if mod != nil {
		mod(&opts)
	}
	b.sim = sim.MustNew(opts)
	b.srv = httptest.NewServer(b.sim)
	t.Cleanup(b.srv.Close)
	b.acct = b.sim.Accounts()[0]
	b.client = newClient(t, b.srv.URL, b.acct)
	return b
}

func newClient(t *testing.T, base string, a sim.Account) *spapi.Client {
	t.Helper()
	c, err := spapi.NewClient(spapi.Options{
		Region:      spapi.RegionNA,
		Endpoint:    base,
		LWAEndpoint: base + "/auth/o2/token",
		Credentials: spapi.Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RefreshToken: a.RefreshToken},
	})
	require.NoError(t, err)
	return c
}

// accessToken logs in through the simulator's LWA endpoint, for raw requests.
func (b *testBundle) accessToken(t *testing.T) string {
	t.Helper()
	resp, err := http.PostForm(b.srv.URL+"/auth/o2/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {b.acct.RefreshToken},
		"client_id": {b.acct.ClientID}, "client_secret": {b.acct.ClientSecret},
	})
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	return tok.AccessToken
}

// rawResponse is an answer read in full.
type rawResponse struct {
	status int
	header http.Header
	body   string
}

// get sends a raw GET with token (none when empty), bypassing the
// client's own validation so the simulator's rules are what answers.
func (b *testBundle) get(t *testing.T, token, pathAndQuery string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.srv.URL+pathAndQuery, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("x-amz-access-token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawResponse{resp.StatusCode, resp.Header, string(body)}
}

// apiErrors decodes Amazon's error envelope.
func apiErrors(t *testing.T, body string) []spapi.APIError {
	t.Helper()
	var env struct {
		Errors []spapi.APIError `json:"errors"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &env), body)
	return env.Errors
}

// requireKind asserts that err is an *spapi.Error of kind.
func requireKind(t *testing.T, err error, kind spapi.Kind) *spapi.Error {
	t.Helper()
	var e *spapi.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, kind, e.Kind, "error: %v", err)
	return e
}

// decodeRaw turns the raw JSON a client kept back into the simulator's
// type, to compare against ground truth.
func decodeRaw[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(raw, &v))
	return v
}

// allOrders walks getOrders to the end and returns the orders in page order.
func allOrders(t *testing.T, c *spapi.Client, req spapi.GetOrdersRequest) []spapi.Order {
	t.Helper()
	var out []spapi.Order
	for page, err := range c.GetOrdersPager(req).All(context.Background(), nil) {
		require.NoError(t, err)
		out = append(out, page.Orders...)
	}
	return out
}

func marketplaces(a sim.Account) []string { return a.MarketplaceIDs }

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
