// Package jobstest wires real parts together for job tests: a migrated
// database, the SP-API simulator behind a real HTTP server, SP-API clients
// for the simulator's accounts, the shared rate budget, and a River client.
package jobstest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// Bundle is one test's world.
type Bundle struct {
	Pool   *pgxpool.Pool
	Sim    *sim.Sim
	Server *httptest.Server
	Deps   *jobs.Deps

	apiOnce sync.Once
	api     *river.Client[pgx.Tx]
	apiErr  error
}

// Options configures New.
type Options struct {
	// Sim configures the simulator. Its DataClock also drives Deps.Now.
	Sim sim.Options
	// Wrap, when set, wraps the simulator's handler, so a test can change what
	// "Amazon" answers (one odd field in one order, …).
	Wrap func(http.Handler) http.Handler
	// OrdersAPI is the accounts' Orders API: config.OrdersAPI2026, or v0
	// when empty (the worker's default is 2026-01-01; tests of the v0 path
	// predate it and say nothing).
	OrdersAPI string
}

// New builds a Bundle. The simulator, server and pool close when t ends.
func New(t testing.TB, opts Options) *Bundle {
	t.Helper()
	s, err := sim.New(opts.Sim)
	if err != nil {
		t.Fatalf("jobstest: new simulator: %v", err)
	}
	var h http.Handler = s
	if opts.Wrap != nil {
		h = opts.Wrap(s)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	pool := dbtest.NewPool(t)
	deps := jobs.NewDeps(jobs.Deps{
		Pool:   pool,
		Budget: newBudget(t, pool, s),
		Now:    s.Now,
	})
	ordersAPI := opts.OrdersAPI
	if ordersAPI == "" {
		ordersAPI = config.OrdersAPIV0
	}
	for _, a := range s.Accounts() {
		acct := &jobs.Account{Account: config.Account{
			ID: a.ID, Region: "na", MarketplaceIDs: a.MarketplaceIDs,
			ClientID: a.ClientID, ClientSecret: config.Secret(a.ClientSecret), RefreshToken: config.Secret(a.RefreshToken),
			OrdersAPI: ordersAPI,
		}}
		acct.Client, err = spapi.NewClient(spapi.Options{
			Region:      spapi.RegionNA,
			Account:     a.ID,
			Endpoint:    srv.URL,
			LWAEndpoint: srv.URL + "/auth/o2/token",
			Credentials: spapi.Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RefreshToken: a.RefreshToken},
			OnResponse:  both(jobs.ObserveResponses(deps.Budget, acct), deps.WatchPermissions(acct)),
		})
		if err != nil {
			t.Fatalf("jobstest: new client: %v", err)
		}
		deps.Accounts[a.ID] = acct
	}
	return &Bundle{Pool: pool, Sim: s, Server: srv, Deps: deps}
}

// StartClient starts a River client with the given registrations and
// periodic jobs, stopped when t ends. FetchPollInterval is short so tests
// don't wait on River's default one-second fetch cadence.
func (b *Bundle) StartClient(t testing.TB, workers *river.Workers, periodic []*river.PeriodicJob) *river.Client[pgx.Tx] {
	t.Helper()
	client, err := river.NewClient(riverpgxv5.New(b.Pool), &river.Config{
		Queues:            jobs.QueueConfig(),
		Workers:           workers,
		PeriodicJobs:      periodic,
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
		Middleware:        jobs.Middleware(),
		TestOnly:          true,
	})
	if err != nil {
		t.Fatalf("jobstest: new river client: %v", err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatalf("jobstest: start river client: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.StopAndCancel(ctx)
	})
	return client
}

// RunUntilIdle waits until no job is left to run now (see riverext.Backlog) and
// fails t on timeout. Jobs that failed for good are reported.
func (b *Bundle) RunUntilIdle(t testing.TB, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := riverext.WaitIdle(ctx, b.Pool, 30*time.Second, 25*time.Millisecond); err != nil {
		t.Fatalf("jobstest: %v", err)
	}
}

// MakeScheduledDue moves every scheduled job (tracking refreshes, service
// job refreshes) to now, through River's JobRetry: River schedules in real
// time, while tests move the simulator's data clock by hours.
func (b *Bundle) MakeScheduledDue(t testing.TB) int64 {
	t.Helper()
	ctx := context.Background()
	jobs := b.listJobs(t, river.NewJobListParams().States(rivertype.JobStateScheduled))
	for _, j := range jobs {
		if _, err := b.riverAPI(t).JobRetry(ctx, j.ID); err != nil {
			t.Fatalf("jobstest: make scheduled job %d due: %v", j.ID, err)
		}
	}
	return int64(len(jobs))
}

// DiscardedJobs lists jobs that failed for good, as "kind: last error", for
// assertions.
func (b *Bundle) DiscardedJobs(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, j := range b.listJobs(t, river.NewJobListParams().States(rivertype.JobStateDiscarded)) {
		msg := ""
		if n := len(j.Errors); n > 0 {
			msg = j.Errors[n-1].Error
		}
		out = append(out, j.Kind+": "+msg)
	}
	return out
}

// listJobs lists every job params selects, through River's JobList.
func (b *Bundle) listJobs(t testing.TB, params *river.JobListParams) []*rivertype.JobRow {
	t.Helper()
	params = params.First(10_000)
	var out []*rivertype.JobRow
	for {
		res, err := b.riverAPI(t).JobList(context.Background(), params)
		if err != nil {
			t.Fatalf("jobstest: list jobs: %v", err)
		}
		out = append(out, res.Jobs...)
		if len(res.Jobs) < 10_000 {
			return out
		}
		params = params.After(res.LastCursor)
	}
}

// riverAPI is an insert-only River client (no workers, never started) for
// reading and changing jobs through River's API.
func (b *Bundle) riverAPI(t testing.TB) *river.Client[pgx.Tx] {
	t.Helper()
	b.apiOnce.Do(func() {
		b.api, b.apiErr = river.NewClient(riverpgxv5.New(b.Pool), &river.Config{})
	})
	if b.apiErr != nil {
		t.Fatalf("jobstest: river client: %v", b.apiErr)
	}
	return b.api
}

// AsMap re-encodes v (a simulator entity, a stored row) as a JSON object,
// so tests compare payloads field by field whatever their Go types.
func AsMap(t testing.TB, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("jobstest: encode %T: %v", v, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("jobstest: decode %T as an object: %v", v, err)
	}
	return m
}

// RequireSameTyped fails t unless got (a stored raw payload) says what want (the
// simulator's ground truth for the same entity) says; see SameTyped.
func RequireSameTyped[T any](t testing.TB, want any, got []byte, msgAndArgs ...any) {
	t.Helper()
	if diff := SameTyped[T](t, want, got); diff != "" {
		t.Fatalf("jobstest: %s: %s", fmt.Sprint(msgAndArgs...), diff)
	}
}

// SameTyped compares got (stored raw JSON bytes, or a value) with want (the simulator's
// ground truth for the same entity) read the way spsync reads Amazon: both go through the
// SP-API client's tolerant decoder into T, and every field the truth's T has must be equal
// in got's. Amazon's spelling on the wire ("IsGift":"false", COMPLETE, quoted integers, an
// encoded link) therefore matches the truth's model spelling, while a value that differs,
// or a field the stored copy lacks or could not decode, is a difference. Fields only the
// stored copy has are the extras Amazon adds beside the model (BuyerInfo {}, …). It returns
// "" when they agree, else what differs.
func SameTyped[T any](t testing.TB, want, got any) string {
	t.Helper()
	w, _ := typedMap[T](t, want)
	g, warnings := typedMap[T](t, got)
	if len(warnings) > 0 {
		return fmt.Sprintf("the stored copy did not decode cleanly: %v", warnings)
	}
	for k, wv := range w {
		gv, ok := g[k]
		if !ok || !reflect.DeepEqual(wv, gv) {
			return fmt.Sprintf("field %s is %v, the truth says %v (stored: %v)", k, gv, wv, g)
		}
	}
	return ""
}

// typedMap reads v (raw JSON bytes, or a value to encode first) into T with the client's
// decoder and returns T re-encoded as a map, with T's decode warnings.
func typedMap[T any](t testing.TB, v any) (map[string]any, []spapi.DecodeWarning) {
	t.Helper()
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatalf("jobstest: encode %T: %v", v, err)
		}
	}
	var typed T
	if err := json.Unmarshal(b, &typed); err != nil {
		t.Fatalf("jobstest: read %s as %T: %v", b, typed, err)
	}
	var warnings []spapi.DecodeWarning
	if r, ok := any(typed).(spapi.Record); ok {
		warnings = r.DecodeWarnings()
	}
	return AsMap(t, typed), warnings
}

// both calls two response hooks in turn.
func both(a, b func(context.Context, spapi.ResponseMeta)) func(context.Context, spapi.ResponseMeta) {
	return func(ctx context.Context, meta spapi.ResponseMeta) {
		a(ctx, meta)
		b(ctx, meta)
	}
}

// piiPaths are the paths of Amazon's Orders 2026-01-01 PII list (and the
// free text spsync drops with it), written out here rather than taken from
// the store's stripper, so the two cannot agree by construction.
var piiPaths = [][]string{
	{"buyer"},
	{"recipient", "deliveryAddress", "name"},
	{"recipient", "deliveryAddress", "companyName"},
	{"recipient", "deliveryAddress", "addressLine1"},
	{"recipient", "deliveryAddress", "addressLine2"},
	{"recipient", "deliveryAddress", "addressLine3"},
	{"recipient", "deliveryAddress", "postalCode"},
	{"recipient", "deliveryAddress", "phone"},
	{"recipient", "deliveryAddress", "extendedFields"},
	{"recipient", "deliveryPreference", "addressInstruction"},
	{"recipient", "deliveryPreference", "dropOffLocation"},
}

var itemPIIPaths = [][]string{
	{"fulfillment", "packing", "giftOption", "giftMessage"},
	{"product", "customization", "customizedUrl"},
}

// Order2026AsStored is the simulator's truth for a 2026-01-01 order as
// spsync stores it by default: the datasets it asks for
// (config.DefaultOrdersIncludedData), Amazon's PII list removed. Its
// "orderItems" are the items as order_items.raw holds them.
func Order2026AsStored(t testing.TB, o sim.Order2026) map[string]any {
	t.Helper()
	b, err := json.Marshal(o.Only(config.DefaultOrdersIncludedData...))
	if err != nil {
		t.Fatalf("jobstest: encode order %s: %v", o.OrderID, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("jobstest: decode order %s: %v", o.OrderID, err)
	}
	for _, p := range piiPaths {
		deletePath(m, p)
	}
	items, _ := m["orderItems"].([]any)
	for _, it := range items {
		for _, p := range itemPIIPaths {
			deletePath(it.(map[string]any), p)
		}
	}
	return m
}

func deletePath(m map[string]any, path []string) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, path[len(path)-1])
}
