package servicejobs_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/servicejobs"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// margin is the poller's default safety margin: a sync at T asks for jobs
// last updated up to T-2m.
const margin = 2 * time.Minute

var acctID = sim.DemoAccount.ID

type testBundle struct {
	*jobstest.Bundle
	clock *sim.ManualClock
	start time.Time
	opts  servicejobs.Options
	// markets, when set, limits requireInSync to the truth's jobs of these
	// marketplaces (those spsync's account is configured with).
	markets map[string]bool
}

// setup builds a simulator with n service jobs over three marketplaces,
// its data clock standing still at Start, its usage plans scaled up ten
// times (getServiceJobs 100/s, getServiceJobByServiceJobId 200/s).
func setup(t *testing.T, n int, opts servicejobs.Options) *testBundle {
	t.Helper()
	return setupWith(t, n, opts, nil, nil)
}

// setupWith is setup with the simulator's accounts (nil: DemoAccount) and
// a wrapper of its handler (nil: none).
func setupWith(t *testing.T, n int, opts servicejobs.Options, accounts []sim.Account, wrap func(http.Handler) http.Handler) *testBundle {
	t.Helper()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	b := jobstest.New(t, jobstest.Options{Sim: sim.Options{
		Seed: 7, Start: start, ServiceJobs: n, Orders: 1, FulfillmentOrders: 1, DataClock: clock, RateScale: 10, Accounts: accounts,
	}, Wrap: wrap})
	return &testBundle{Bundle: b, clock: clock, start: start, opts: opts}
}

func (tb *testBundle) workers(deps *jobs.Deps) *river.Workers {
	w := river.NewWorkers()
	servicejobs.NewStream(tb.opts).Register(w, deps)
	return w
}

// poll inserts one poll of the demo account and runs the world to idle.
func (tb *testBundle) poll(t *testing.T, client *river.Client[pgx.Tx]) {
	t.Helper()
	_, err := client.Insert(context.Background(), servicejobs.PollArgs{AccountID: acctID}, nil)
	require.NoError(t, err)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
}

// pollMarket inserts one poll of one marketplace of the demo account and
// runs the world to idle.
func (tb *testBundle) pollMarket(t *testing.T, client *river.Client[pgx.Tx], market string) {
	t.Helper()
	_, err := client.Insert(context.Background(), servicejobs.PollArgs{AccountID: acctID, MarketplaceID: market}, nil)
	require.NoError(t, err)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
}

// cursors returns the demo account's service jobs cursors by scope.
func (tb *testBundle) cursors(t *testing.T) map[string]time.Time {
	t.Helper()
	rows, err := tb.Pool.Query(context.Background(),
		`SELECT scope, cursor_at FROM sync_cursors WHERE account_id = $1 AND stream = 'service_jobs' AND cursor_at IS NOT NULL`, acctID)
	require.NoError(t, err)
	out := map[string]time.Time{}
	for rows.Next() {
		var scope string
		var at time.Time
		require.NoError(t, rows.Scan(&scope, &at))
		out[scope] = at.UTC()
	}
	require.NoError(t, rows.Err())
	return out
}

// requireCursors checks that each of markets has its own cursor, at at.
func (tb *testBundle) requireCursors(t *testing.T, at time.Time, markets ...string) {
	t.Helper()
	want := map[string]time.Time{}
	for _, m := range markets {
		want[m] = at.UTC()
	}
	require.Equal(t, want, tb.cursors(t))
}

// pagesNeeded is how many getServiceJobs pages one poll of the demo
// account needs from scratch: every marketplace's jobs, 20 a page, an empty
// marketplace one page.
func (tb *testBundle) pagesNeeded(t *testing.T) int {
	t.Helper()
	truth, err := tb.Sim.TruthServiceJobs(acctID)
	require.NoError(t, err)
	per := map[string]int{}
	for _, j := range truth {
		per[j.MarketplaceID]++
	}
	pages := 0
	for _, m := range sim.DemoAccount.MarketplaceIDs {
		pages += max(1, (per[m]+19)/20)
	}
	return pages
}

// refresh makes the scheduled refreshes due and runs them.
func (tb *testBundle) refresh(t *testing.T) int64 {
	t.Helper()
	n := tb.MakeScheduledDue(t)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	return n
}

func asSlice(t *testing.T, v any) []any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var s []any
	require.NoError(t, json.Unmarshal(b, &s))
	return s
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if b != nil {
		require.NoError(t, json.Unmarshal(b, &v))
	}
	return v
}

// withoutPII is the truth's JSON as the store keeps it by default: no
// buyer name or phone, no name, street line or phone in the address.
func withoutPII(t *testing.T, j sim.ServiceJob) map[string]any {
	t.Helper()
	m := jobstest.AsMap(t, j)
	buyer := m["buyer"].(map[string]any)
	delete(buyer, "name")
	delete(buyer, "phone")
	addr := m["serviceLocation"].(map[string]any)["address"].(map[string]any)
	for _, f := range []string{"name", "addressLine1", "addressLine2", "addressLine3", "phone"} {
		delete(addr, f)
	}
	return m
}

type storedAppointment struct {
	status, rescheduledFrom *string
	start                   *time.Time
	duration                *int
	techIDs                 []string
	techs, raw              []byte
	poaType, poaTech        *string
	poaUpload, poaStart     *time.Time
	poaDuration             *int
	poaTechs                []byte
}

type storedItem struct {
	asin, title, orderID, status, brand *string
	quantity                            *int
	raw                                 []byte
}

type storedJob struct {
	orderID, market, store, status        *string
	created                               *time.Time
	sowASIN, sowTitle                     *string
	sowQty                                *int
	sowSkills                             []string
	sellerID, providerID                  *string
	preferred                             []byte
	prime                                 *bool
	locType, city, state, postal, country *string
	raw                                   []byte
	appointments                          map[string]*storedAppointment
	items                                 map[int]*storedItem
}

func (tb *testBundle) stored(t *testing.T) map[string]*storedJob {
	t.Helper()
	ctx := context.Background()
	out := map[string]*storedJob{}
	rows, err := tb.Pool.Query(ctx, `
		SELECT service_job_id, service_order_id, marketplace_id, store_id, service_job_status, create_time,
		       scope_of_work_asin, scope_of_work_title, scope_of_work_quantity, scope_of_work_required_skills,
		       seller_id, service_job_provider_id, preferred_appointment_times, buyer_is_prime_member,
		       service_location_type, service_location_city, service_location_state_or_region,
		       service_location_postal_code, service_location_country_code, raw
		FROM service_jobs WHERE account_id = $1`, acctID)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		j := &storedJob{appointments: map[string]*storedAppointment{}, items: map[int]*storedItem{}}
		require.NoError(t, rows.Scan(&id, &j.orderID, &j.market, &j.store, &j.status, &j.created,
			&j.sowASIN, &j.sowTitle, &j.sowQty, &j.sowSkills, &j.sellerID, &j.providerID, &j.preferred, &j.prime,
			&j.locType, &j.city, &j.state, &j.postal, &j.country, &j.raw))
		out[id] = j
	}
	require.NoError(t, rows.Err())

	rows, err = tb.Pool.Query(ctx, `
		SELECT service_job_id, appointment_id, appointment_status, start_time, duration_in_minutes,
		       assigned_technician_ids, assigned_technicians, rescheduled_appointment_id,
		       poa_type, poa_upload_time, poa_uploading_technician, poa_start_time, poa_duration_in_minutes,
		       poa_technicians, raw
		FROM service_job_appointments WHERE account_id = $1`, acctID)
	require.NoError(t, err)
	for rows.Next() {
		var jobID, id string
		a := &storedAppointment{}
		require.NoError(t, rows.Scan(&jobID, &id, &a.status, &a.start, &a.duration, &a.techIDs, &a.techs, &a.rescheduledFrom,
			&a.poaType, &a.poaUpload, &a.poaTech, &a.poaStart, &a.poaDuration, &a.poaTechs, &a.raw))
		j := out[jobID]
		require.NotNil(t, j, "appointment %s of job %s that is not stored", id, jobID)
		j.appointments[id] = a
	}
	require.NoError(t, rows.Err())

	rows, err = tb.Pool.Query(ctx, `
		SELECT service_job_id, item_index, asin, title, quantity, order_id, item_status, brand_name, raw
		FROM service_job_items WHERE account_id = $1`, acctID)
	require.NoError(t, err)
	for rows.Next() {
		var jobID string
		var idx int
		it := &storedItem{}
		require.NoError(t, rows.Scan(&jobID, &idx, &it.asin, &it.title, &it.quantity, &it.orderID, &it.status, &it.brand, &it.raw))
		j := out[jobID]
		require.NotNil(t, j, "item %d of job %s that is not stored", idx, jobID)
		j.items[idx] = it
	}
	require.NoError(t, rows.Err())
	return out
}

func requireText(t *testing.T, want string, got *string, what string) {
	t.Helper()
	require.NotNil(t, got, what)
	require.Equal(t, want, *got, what)
}

func requireTime(t *testing.T, want time.Time, got *time.Time, what string) {
	t.Helper()
	require.NotNil(t, got, what)
	require.True(t, want.Equal(*got), "%s: %s, want %s", what, got, want)
}

func requireInt(t *testing.T, want int, got *int, what string) {
	t.Helper()
	require.NotNil(t, got, what)
	require.Equal(t, want, *got, what)
}

// inSync is what requireInSync found.
type inSync struct {
	jobs, recent, open, closed, rescheduled int
}

// requireInSync compares Postgres with the simulator's ground truth at
// syncedAt field by field. A sync at syncedAt asks for jobs updated up to
// syncedAt-2m, so a job that changed in those last two minutes may be
// stored in its earlier state or not yet at all; those are counted and
// skipped. With pii false, raw must be the truth without PII; with pii
// true, the whole truth.
func (tb *testBundle) requireInSync(t *testing.T, syncedAt time.Time, pii bool) inSync {
	t.Helper()
	tb.clock.Set(syncedAt.Add(-margin))
	before, err := tb.Sim.TruthServiceJobs(acctID)
	tb.clock.Set(syncedAt)
	require.NoError(t, err)
	truth, err := tb.Sim.TruthServiceJobs(acctID)
	require.NoError(t, err)
	settled := map[string]bool{}
	for _, j := range before {
		settled[j.ServiceJobID] = true
	}
	for _, j := range truth {
		if !settled[j.ServiceJobID] {
			continue
		}
		for _, b := range before {
			if b.ServiceJobID == j.ServiceJobID && !reflect.DeepEqual(b, j) {
				settled[j.ServiceJobID] = false
			}
		}
	}

	stored := tb.stored(t)
	inTruth := map[string]bool{}
	var res inSync
	for _, want := range truth {
		inTruth[want.ServiceJobID] = true
		id := want.ServiceJobID
		if tb.markets != nil && !tb.markets[want.MarketplaceID] {
			continue
		}
		if !settled[id] {
			res.recent++
			continue
		}
		got := stored[id]
		require.NotNil(t, got, "job %s missing", id)
		res.jobs++
		if want.ServiceJobStatus == "COMPLETED" || want.ServiceJobStatus == "CANCELLED" {
			res.closed++
		} else {
			res.open++
		}

		// service_jobs, column by column, then raw.
		requireText(t, want.ServiceOrderID, got.orderID, "service_order_id")
		requireText(t, want.MarketplaceID, got.market, "marketplace_id")
		requireText(t, want.StoreID, got.store, "store_id")
		requireText(t, want.ServiceJobStatus, got.status, "service_job_status of "+id)
		requireTime(t, want.CreateTime, got.created, "create_time")
		requireText(t, want.ScopeOfWork.ASIN, got.sowASIN, "scope_of_work_asin")
		requireText(t, want.ScopeOfWork.Title, got.sowTitle, "scope_of_work_title")
		requireInt(t, want.ScopeOfWork.Quantity, got.sowQty, "scope_of_work_quantity")
		require.Equal(t, want.ScopeOfWork.RequiredSkills, got.sowSkills, "scope_of_work_required_skills")
		requireText(t, want.Seller.SellerID, got.sellerID, "seller_id")
		requireText(t, want.ServiceJobProvider.ServiceJobProviderID, got.providerID, "service_job_provider_id")
		require.Equal(t, asSlice(t, want.PreferredAppointmentTimes), decode[[]any](t, got.preferred), "preferred_appointment_times")
		require.NotNil(t, got.prime)
		require.Equal(t, want.Buyer.IsPrimeMember, *got.prime, "buyer_is_prime_member")
		requireText(t, want.ServiceLocation.ServiceLocationType, got.locType, "service_location_type")
		requireText(t, want.ServiceLocation.Address.City, got.city, "service_location_city")
		requireText(t, want.ServiceLocation.Address.StateOrRegion, got.state, "service_location_state_or_region")
		requireText(t, want.ServiceLocation.Address.PostalCode, got.postal, "service_location_postal_code")
		requireText(t, want.ServiceLocation.Address.CountryCode, got.country, "service_location_country_code")
		if pii {
			require.Equal(t, jobstest.AsMap(t, want), decode[map[string]any](t, got.raw), "raw of job %s", id)
			require.Contains(t, string(got.raw), want.Buyer.Name)
			require.Contains(t, string(got.raw), want.ServiceLocation.Address.AddressLine1)
		} else {
			require.Equal(t, withoutPII(t, want), decode[map[string]any](t, got.raw), "raw of job %s", id)
			require.NotContains(t, string(got.raw), want.Buyer.Name, "buyer name of job %s stored", id)
			require.NotContains(t, string(got.raw), want.Buyer.Phone, "buyer phone of job %s stored", id)
			require.NotContains(t, string(got.raw), want.ServiceLocation.Address.AddressLine1, "street of job %s stored", id)
		}

		// service_job_appointments: exactly the job's appointments.
		require.Len(t, got.appointments, len(want.Appointments), "appointments of job %s", id)
		for _, wa := range want.Appointments {
			ga := got.appointments[wa.AppointmentID]
			require.NotNil(t, ga, "appointment %s of job %s", wa.AppointmentID, id)
			requireText(t, wa.AppointmentStatus, ga.status, "appointment_status of "+wa.AppointmentID)
			requireTime(t, wa.AppointmentTime.StartTime, ga.start, "start_time")
			requireInt(t, wa.AppointmentTime.DurationInMinutes, ga.duration, "duration_in_minutes")
			var techIDs []string
			for _, tech := range wa.AssignedTechnicians {
				techIDs = append(techIDs, tech.TechnicianID)
			}
			require.Equal(t, techIDs, ga.techIDs, "assigned_technician_ids")
			require.Equal(t, asSlice(t, wa.AssignedTechnicians), decode[[]any](t, ga.techs), "assigned_technicians")
			if wa.RescheduledAppointmentID == "" {
				require.Nil(t, ga.rescheduledFrom)
			} else {
				requireText(t, wa.RescheduledAppointmentID, ga.rescheduledFrom, "rescheduled_appointment_id")
				res.rescheduled++
			}
			require.Nil(t, ga.poaType)
			require.Nil(t, ga.poaUpload)
			require.Nil(t, ga.poaTech)
			require.Nil(t, ga.poaStart)
			require.Nil(t, ga.poaDuration)
			require.Nil(t, ga.poaTechs)
			require.Equal(t, jobstest.AsMap(t, wa), decode[map[string]any](t, ga.raw), "raw of appointment %s", wa.AppointmentID)
		}

		// service_job_items, by position.
		require.Len(t, got.items, len(want.AssociatedItems), "items of job %s", id)
		for k, wi := range want.AssociatedItems {
			gi := got.items[k]
			require.NotNil(t, gi, "item %d of job %s", k, id)
			requireText(t, wi.ASIN, gi.asin, "asin")
			requireText(t, wi.Title, gi.title, "title")
			requireInt(t, wi.Quantity, gi.quantity, "quantity")
			requireText(t, wi.OrderID, gi.orderID, "order_id")
			requireText(t, wi.ItemStatus, gi.status, "item_status")
			requireText(t, wi.BrandName, gi.brand, "brand_name")
			require.Equal(t, jobstest.AsMap(t, wi), decode[map[string]any](t, gi.raw), "raw of item %d of job %s", k, id)
		}
	}
	for id := range stored {
		require.True(t, inTruth[id], "job %s stored but unknown to Amazon", id)
	}
	t.Logf("at %s: %d jobs compared (%d open, %d closed, %d rescheduled appointments), %d changed in the last two minutes",
		syncedAt.Format(time.RFC3339), res.jobs, res.open, res.closed, res.rescheduled, res.recent)
	require.LessOrEqual(t, res.recent, 3, "only a few jobs can have changed in the last two minutes")
	return res
}

func (tb *testBundle) versions(t *testing.T) map[string]int64 {
	t.Helper()
	rows, err := tb.Pool.Query(context.Background(), `
		SELECT 'j:' || service_job_id, sync_version FROM service_jobs
		UNION ALL SELECT 'a:' || service_job_id || ':' || appointment_id, sync_version FROM service_job_appointments
		UNION ALL SELECT 'i:' || service_job_id || ':' || item_index, sync_version FROM service_job_items`)
	require.NoError(t, err)
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var v int64
		require.NoError(t, rows.Scan(&k, &v))
		out[k] = v
	}
	require.NoError(t, rows.Err())
	return out
}

// requireRefreshesOnlyForOpenJobs checks that every open stored job has
// exactly one scheduled refresh waiting and no closed job has any.
func (tb *testBundle) requireRefreshesOnlyForOpenJobs(t *testing.T) {
	t.Helper()
	var openWithout, closedWith, dup int
	require.NoError(t, tb.Pool.QueryRow(context.Background(), `
		WITH waiting AS (
			SELECT args->>'service_job_id' AS id, count(*) AS n FROM river_job
			WHERE kind = 'service_job_refresh' AND state IN ('available', 'pending', 'retryable', 'scheduled', 'running')
			GROUP BY 1
		)
		SELECT
			count(*) FILTER (WHERE j.service_job_status NOT IN ('COMPLETED', 'CANCELLED') AND w.id IS NULL),
			count(*) FILTER (WHERE j.service_job_status IN ('COMPLETED', 'CANCELLED') AND w.id IS NOT NULL),
			count(*) FILTER (WHERE w.n > 1)
		FROM service_jobs j LEFT JOIN waiting w ON w.id = j.service_job_id`).Scan(&openWithout, &closedWith, &dup))
	require.Zero(t, openWithout, "open jobs without a scheduled refresh")
	require.Zero(t, closedWith, "closed jobs with a refresh waiting")
	require.Zero(t, dup, "jobs with more than one refresh waiting")
}

func (tb *testBundle) entityCalls(t *testing.T) map[string]int {
	t.Helper()
	truth, err := tb.Sim.TruthServiceJobs(acctID)
	require.NoError(t, err)
	out := map[string]int{}
	for _, j := range truth {
		out[j.ServiceJobID] = tb.Sim.EntityCalls(acctID, spapi.OpGetServiceJobByServiceJobID, j.ServiceJobID)
	}
	return out
}

func (tb *testBundle) closedJobs(t *testing.T) []string {
	t.Helper()
	rows, err := tb.Pool.Query(context.Background(),
		`SELECT service_job_id FROM service_jobs WHERE service_job_status IN ('COMPLETED', 'CANCELLED')`)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return ids
}

func TestServiceJobsSyncMatchesAmazon(t *testing.T) {
	t.Parallel()
	tb := setup(t, 200, servicejobs.Options{})
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)
	ctx := context.Background()

	// First run: every job created in the 14 days of history so far, PII
	// left out.
	tb.poll(t, client)
	first := tb.requireInSync(t, tb.start, false)
	require.Greater(t, first.jobs, 150)
	require.Positive(t, first.open)
	require.Positive(t, first.closed)
	require.Positive(t, first.rescheduled)
	tb.requireRefreshesOnlyForOpenJobs(t)
	require.Zero(t, tb.Sim.Stats()[spapi.OpGetServiceJobByServiceJobID].Calls, "refreshes wait for their time")

	// A day later new jobs were created and scheduled, others rescheduled,
	// completed or cancelled. The poll catches them; the refreshes that
	// fall due then fetch the open jobs.
	closedBefore := len(tb.closedJobs(t))
	before := tb.versions(t)
	at := tb.clock.Advance(24 * time.Hour)
	tb.poll(t, client)
	tb.requireRefreshesOnlyForOpenJobs(t)
	require.Positive(t, tb.refresh(t))
	second := tb.requireInSync(t, at, false)
	require.Greater(t, second.jobs, first.jobs, "new jobs arrived")
	require.Greater(t, len(tb.closedJobs(t)), closedBefore, "jobs completed")
	require.Greater(t, second.rescheduled, first.rescheduled, "jobs rescheduled")
	refreshed := tb.Sim.Stats()[spapi.OpGetServiceJobByServiceJobID].Successes
	require.Positive(t, refreshed)
	after := tb.versions(t)
	changed := 0
	for k, v := range before {
		if after[k] != v {
			changed++
		}
	}
	require.Positive(t, changed, "statuses changed, so some rows must have new versions")
	require.Less(t, changed, len(before), "unchanged rows keep their versions")

	// Two more days: most jobs are done. A closed job is never fetched
	// again, by a refresh or otherwise.
	calls := tb.entityCalls(t)
	at = tb.clock.Advance(48 * time.Hour)
	tb.poll(t, client)
	tb.requireRefreshesOnlyForOpenJobs(t)
	tb.refresh(t)
	third := tb.requireInSync(t, at, false)
	require.Greater(t, third.closed, second.closed)
	for _, id := range tb.closedJobs(t) {
		require.Equal(t, calls[id], tb.Sim.EntityCalls(acctID, spapi.OpGetServiceJobByServiceJobID, id),
			"closed job %s fetched again", id)
	}
	var cancelled int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'service_job_refresh' AND state = 'cancelled'`).Scan(&cancelled))
	require.Positive(t, cancelled, "refreshes of jobs that closed were cancelled by the poll")

	// A run with no change at the source moves no sync_version.
	settled := tb.versions(t)
	tb.poll(t, client)
	tb.refresh(t)
	require.Equal(t, settled, tb.versions(t))
	// The refreshes that ran are scheduled again by the next poll.
	tb.poll(t, client)
	tb.requireRefreshesOnlyForOpenJobs(t)

	// Each marketplace's cursor sits at the end its poll asked for, two
	// minutes before the data clock.
	tb.requireCursors(t, at.Add(-margin), sim.DemoAccount.MarketplaceIDs...)
	var progress int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM walk_progress WHERE stream = 'service_jobs'`).Scan(&progress))
	require.Zero(t, progress)
}

// With the opt-in, raw keeps the buyer's name and phone and the street
// address; the typed columns are the same.
func TestServiceJobsStorePIIOptIn(t *testing.T) {
	t.Parallel()
	tb := setup(t, 40, servicejobs.Options{StorePII: true})
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)
	tb.poll(t, client)
	res := tb.requireInSync(t, tb.start, true)
	require.Greater(t, res.jobs, 25)

	// An on-demand refresh also keeps it, closed job or not.
	truth, err := tb.Sim.TruthServiceJobs(acctID)
	require.NoError(t, err)
	id := truth[0].ServiceJobID
	_, err = client.Insert(context.Background(), servicejobs.RefreshArgs{AccountID: acctID, ServiceJobID: id}, nil)
	require.NoError(t, err)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	require.Equal(t, 1, tb.Sim.EntityCalls(acctID, spapi.OpGetServiceJobByServiceJobID, id))
	tb.requireInSync(t, tb.start, true)
}

// A span longer than MaxWindow is walked as several windows.
func TestServiceJobsPollWalksWindows(t *testing.T) {
	t.Parallel()
	tb := setup(t, 60, servicejobs.Options{MaxWindow: 5 * 24 * time.Hour})
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)
	tb.poll(t, client)
	tb.requireInSync(t, tb.start, false)
	require.GreaterOrEqual(t, tb.Sim.Stats()[spapi.OpGetServiceJobs].Successes, 3*6, "30 days in windows of 5, per marketplace")
	tb.requireCursors(t, tb.start.Add(-margin), sim.DemoAccount.MarketplaceIDs...)
}

// TestServiceJobsPollKilledBetweenPagesResumes kills a worker before its
// fourth getServiceJobs page, the marketplaces' polls running side by side:
// the three pages fetched are committed with where each walk continues,
// and a new worker finishes every marketplace without fetching a page twice.
func TestServiceJobsPollKilledBetweenPagesResumes(t *testing.T) {
	t.Parallel()
	tb := setup(t, 200, servicejobs.Options{})
	ctx := context.Background()

	// A worker that dies before its fourth page.
	killer := jobstest.NewKillingBudget(tb.Deps.Budget, spapi.OpGetServiceJobs, 4)
	dying := *tb.Deps
	dying.Budget = killer
	client := tb.StartClient(t, tb.workers(&dying), nil)
	_, err := client.Insert(ctx, servicejobs.PollArgs{AccountID: acctID}, nil)
	require.NoError(t, err)
	select {
	case <-killer.Killed():
	case <-time.After(time.Minute):
		t.Fatal("the poll never reached its fourth page")
	}
	// Every marketplace's poll has more than three pages, so each ends held
	// at the budget with no page in flight; then the process dies.
	require.Eventually(t, func() bool { return killer.Held() >= 3 }, time.Minute, 10*time.Millisecond,
		"the marketplaces' polls never all reached the budget")
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, client.StopAndCancel(stopCtx))

	// Three pages are stored, with where their walks continue, and no
	// cursor and no refreshes yet.
	var pages, walks, stored, cursors, refreshes int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT coalesce(sum(pages), 0), count(*) FROM walk_progress WHERE stream = 'service_jobs' AND next_token <> ''`).Scan(&pages, &walks))
	require.Equal(t, 3, pages)
	require.Positive(t, walks)
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM service_jobs`).Scan(&stored))
	require.Equal(t, 60, stored)
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM sync_cursors WHERE cursor_at IS NOT NULL`).Scan(&cursors))
	require.Zero(t, cursors)
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'service_job_refresh'`).Scan(&refreshes))
	require.Zero(t, refreshes)
	require.Equal(t, 3, tb.Sim.Stats()[spapi.OpGetServiceJobs].Successes, "no page was in flight at the kill")

	// A new worker picks the jobs up again and finishes each walk from
	// where it stood.
	tb.StartClient(t, tb.workers(tb.Deps), nil)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	tb.requireInSync(t, tb.start, false)
	require.Equal(t, tb.pagesNeeded(t), tb.Sim.Stats()[spapi.OpGetServiceJobs].Successes,
		"every page fetched once: the walks resumed, they did not restart")
	tb.requireCursors(t, tb.start.Add(-margin), sim.DemoAccount.MarketplaceIDs...)
	tb.requireRefreshesOnlyForOpenJobs(t)
}

// A pageToken that has expired restarts the window; the rows come out the
// same and the cursor moves once the restarted window is done.
func TestServiceJobsPollRestartsOnExpiredToken(t *testing.T) {
	t.Parallel()
	tb := setup(t, 200, servicejobs.Options{})
	ctx := context.Background()
	// The third page's token has expired by the time it is used.
	killer := jobstest.NewKillingBudget(tb.Deps.Budget, spapi.OpGetServiceJobs, 0) // never kills
	killer.OnTake = func(n int) {
		switch n {
		case 3:
			tb.Sim.SetFaults(sim.Faults{ExpirePageToken: 1, Ops: []string{spapi.OpGetServiceJobs}})
		case 4:
			tb.Sim.SetFaults(sim.Faults{})
		}
	}
	deps := *tb.Deps
	deps.Budget = killer
	client := tb.StartClient(t, tb.workers(&deps), nil)
	// One marketplace's poll, so that the third page is its third.
	tb.pollMarket(t, client, sim.MarketplaceUS)
	var n int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM service_jobs`).Scan(&n))
	require.Greater(t, n, 40, "the window has more than two pages")
	stats := tb.Sim.Stats()[spapi.OpGetServiceJobs]
	require.Equal(t, 1, stats.Errors, "one expired token")
	require.Equal(t, int(math.Ceil(float64(n)/20))+2, stats.Successes, "two pages fetched again after the restart")
	require.False(t, strings.Contains(tb.lastError(t, sim.MarketplaceUS), "expired"), "a restart is not a failure")
	tb.requireCursors(t, tb.start.Add(-margin), sim.MarketplaceUS)
}

// TestServiceJobsPollRetriesWhenTokensKeepExpiring: a window whose page
// tokens expire on every restart is retried later by River, never
// cancelled (an expired token is not bad input for good), and the retry
// finishes the sync once Amazon behaves.
func TestServiceJobsPollRetriesWhenTokensKeepExpiring(t *testing.T) {
	t.Parallel()
	tb := setup(t, 200, servicejobs.Options{})
	ctx := context.Background()
	tb.Sim.SetFaults(sim.Faults{ExpirePageToken: 1, Ops: []string{spapi.OpGetServiceJobs}})
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)
	events, cancel := client.Subscribe(river.EventKindJobFailed, river.EventKindJobCancelled)
	defer cancel()
	res, err := client.Insert(ctx, servicejobs.PollArgs{AccountID: acctID, MarketplaceID: sim.MarketplaceUS}, nil)
	require.NoError(t, err)
	select {
	case ev := <-events:
		require.Equal(t, res.Job.ID, ev.Job.ID)
		require.Equal(t, river.EventKindJobFailed, ev.Kind, "the poll was cancelled: %v", ev.Job.Errors)
		// River retries a first failure at once (available) or later
		// (retryable); either way the job is not over.
		require.Contains(t, []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateRetryable}, ev.Job.State)
		require.Contains(t, ev.Job.Errors[len(ev.Job.Errors)-1].Error, "expired 4 times in one run")
	case <-time.After(time.Minute):
		t.Fatal("the poll neither failed nor was cancelled")
	}

	// Amazon behaves again; the retry, made due now if it is not already,
	// finishes the sync.
	tb.Sim.SetFaults(sim.Faults{})
	_, err = tb.Pool.Exec(ctx, `UPDATE river_job SET scheduled_at = now() WHERE id = $1`, res.Job.ID)
	require.NoError(t, err)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	tb.requireCursors(t, tb.start.Add(-margin), sim.MarketplaceUS)
	tb.poll(t, client)
	tb.requireInSync(t, tb.start, false)
}

// lastError is the last error recorded on the service jobs cursor of scope.
func (tb *testBundle) lastError(t *testing.T, scope string) string {
	t.Helper()
	var msg *string
	err := tb.Pool.QueryRow(context.Background(),
		`SELECT last_error FROM sync_cursors WHERE account_id = $1 AND stream = 'service_jobs' AND scope = $2`, acctID, scope).Scan(&msg)
	require.NoError(t, err)
	if msg == nil {
		return ""
	}
	return *msg
}

// Refreshes alone bring the open jobs up to date: a day on, without a
// poll, every job that was open is stored as Amazon has it now, those that
// closed meanwhile included, and the next poll fetches none of them again.
func TestServiceJobsRefreshCatchesOpenJobsUp(t *testing.T) {
	t.Parallel()
	tb := setup(t, 60, servicejobs.Options{})
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)
	ctx := context.Background()
	tb.poll(t, client)
	rows, err := tb.Pool.Query(ctx, `SELECT service_job_id FROM service_jobs WHERE service_job_status NOT IN ('COMPLETED', 'CANCELLED')`)
	require.NoError(t, err)
	open, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.NotEmpty(t, open)

	tb.clock.Advance(24 * time.Hour)
	require.EqualValues(t, len(open), tb.refresh(t))
	truth, err := tb.Sim.TruthServiceJobs(acctID)
	require.NoError(t, err)
	byID := map[string]sim.ServiceJob{}
	for _, j := range truth {
		byID[j.ServiceJobID] = j
	}
	stored := tb.stored(t)
	closed := 0
	for _, id := range open {
		require.Equal(t, 1, tb.Sim.EntityCalls(acctID, spapi.OpGetServiceJobByServiceJobID, id))
		require.Equal(t, withoutPII(t, byID[id]), decode[map[string]any](t, stored[id].raw), "job %s", id)
		require.Len(t, stored[id].appointments, len(byID[id].Appointments))
		if s := byID[id].ServiceJobStatus; s == "COMPLETED" || s == "CANCELLED" {
			closed++
		}
	}
	require.Positive(t, closed, "some open jobs closed during the day")

	tb.poll(t, client)
	tb.refresh(t)
	tb.requireInSync(t, tb.clock.Now(), false)
	for _, id := range open {
		if s := byID[id].ServiceJobStatus; s == "COMPLETED" || s == "CANCELLED" {
			require.Equal(t, 1, tb.Sim.EntityCalls(acctID, spapi.OpGetServiceJobByServiceJobID, id), "closed job %s fetched again", id)
		}
	}
}
