package servicejobs_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/servicejobs"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/status"
)

// marketplaceBR is Amazon.com.br, of the North America region: the
// marketplace added to the account later.
const marketplaceBR = "A2Q3Y263D00KWC"

// sjCall is one getServiceJobs request as it reached "Amazon".
type sjCall struct {
	markets          []string
	lastUpdatedAfter string
	failed           bool
}

// front stands before the simulator: it records every getServiceJobs
// request and answers 500 InternalFailure, in Amazon's error shape, to those
// of the marketplaces it is told to fail (the simulator's own faults cannot
// single a marketplace out).
type front struct {
	mu      sync.Mutex
	failing map[string]bool
	calls   []sjCall
}

func newFront() *front { return &front{failing: map[string]bool{}} }

func (f *front) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/service/v1/serviceJobs" {
			h.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		var markets []string
		for _, v := range q["marketplaceIds"] {
			markets = append(markets, strings.Split(v, ",")...)
		}
		f.mu.Lock()
		fail := slices.ContainsFunc(markets, func(m string) bool { return f.failing[m] })
		f.calls = append(f.calls, sjCall{markets: markets, lastUpdatedAfter: q.Get("lastUpdatedAfter"), failed: fail})
		f.mu.Unlock()
		if fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"errors":[{"code":"InternalFailure","message":"We encountered an internal error. Please try again.","details":""}]}`))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (f *front) fail(market string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[market] = on
}

// requests returns the calls recorded so far and forgets them.
func (f *front) requests() []sjCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}

// requireOneMarketplaceEach checks that every call named exactly one
// marketplace and returns how many calls each marketplace got.
func requireOneMarketplaceEach(t *testing.T, calls []sjCall) map[string]int {
	t.Helper()
	per := map[string]int{}
	for _, c := range calls {
		require.Len(t, c.markets, 1, "getServiceJobs takes one marketplace per call: %v", c.markets)
		per[c.markets[0]]++
	}
	return per
}

// storedPerMarket counts the stored jobs of each marketplace.
func (tb *testBundle) storedPerMarket(t *testing.T) map[string]int {
	t.Helper()
	rows, err := tb.Pool.Query(context.Background(),
		`SELECT marketplace_id, count(*) FROM service_jobs WHERE account_id = $1 GROUP BY 1`, acctID)
	require.NoError(t, err)
	out := map[string]int{}
	for rows.Next() {
		var m string
		var n int
		require.NoError(t, rows.Scan(&m, &n))
		out[m] = n
	}
	require.NoError(t, rows.Err())
	return out
}

// truthPerMarket counts the simulator's jobs of each marketplace now.
func (tb *testBundle) truthPerMarket(t *testing.T) map[string]int {
	t.Helper()
	truth, err := tb.Sim.TruthServiceJobs(acctID)
	require.NoError(t, err)
	out := map[string]int{}
	for _, j := range truth {
		out[j.MarketplaceID]++
	}
	return out
}

// pollEvents waits until the polls of the marketplaces in done have
// completed and those in failed have failed an attempt, reading events, and
// returns the job ids it saw per marketplace.
func pollEvents(t *testing.T, events <-chan *river.Event, done, failed []string) map[string]int64 {
	t.Helper()
	wantDone, wantFailed := map[string]bool{}, map[string]bool{}
	for _, m := range done {
		wantDone[m] = true
	}
	for _, m := range failed {
		wantFailed[m] = true
	}
	ids := map[string]int64{}
	timeout := time.After(time.Minute)
	for len(wantDone)+len(wantFailed) > 0 {
		select {
		case ev := <-events:
			if ev.Job.Kind != (servicejobs.PollArgs{}).Kind() {
				continue
			}
			var args servicejobs.PollArgs
			require.NoError(t, json.Unmarshal(ev.Job.EncodedArgs, &args))
			if args.MarketplaceID == "" {
				continue // the account's poll, which queued them
			}
			ids[args.MarketplaceID] = ev.Job.ID
			switch ev.Kind {
			case river.EventKindJobCompleted:
				require.False(t, wantFailed[args.MarketplaceID], "the poll of %s completed while it should fail", args.MarketplaceID)
				delete(wantDone, args.MarketplaceID)
			case river.EventKindJobFailed:
				require.False(t, wantDone[args.MarketplaceID], "the poll of %s failed: %v", args.MarketplaceID, ev.Job.Errors)
				delete(wantFailed, args.MarketplaceID)
			}
		case <-timeout:
			t.Fatalf("polls still to complete %v, to fail %v", wantDone, wantFailed)
		}
	}
	return ids
}

// TestServiceJobsEveryMarketplaceSyncs: an account in US, CA and MX syncs
// its service jobs from a simulator that refuses more than one marketplace
// per getServiceJobs call: every job of every marketplace is stored as the
// truth has it, no call is refused, each call names one marketplace, each
// marketplace has its own cursor, and all calls take their tokens from the
// account's one getServiceJobs bucket.
func TestServiceJobsEveryMarketplaceSyncs(t *testing.T) {
	t.Parallel()
	f := newFront()
	tb := setupWith(t, 200, servicejobs.Options{}, nil, f.wrap)
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)

	tb.poll(t, client)
	res := tb.requireInSync(t, tb.start, false)
	require.Greater(t, res.jobs, 150)
	truth, stored := tb.truthPerMarket(t), tb.storedPerMarket(t)
	require.Len(t, truth, 3)
	for _, m := range sim.DemoAccount.MarketplaceIDs {
		require.Positive(t, truth[m], m)
		require.Equal(t, truth[m], stored[m], "every job of %s arrives", m)
	}
	t.Logf("jobs per marketplace: %v", stored)

	stats := tb.Sim.Stats()[spapi.OpGetServiceJobs]
	require.Zero(t, stats.Errors, "no call refused (a 400 would be an error)")
	per := requireOneMarketplaceEach(t, f.requests())
	require.Len(t, per, 3)
	total := 0
	for _, n := range per {
		total += n
	}
	require.Equal(t, stats.Successes, total)
	require.Equal(t, tb.pagesNeeded(t), total, "each marketplace's pages, once")
	tb.requireCursors(t, tb.start.Add(-margin), sim.DemoAccount.MarketplaceIDs...)

	r, err := status.Collect(context.Background(), tb.Pool)
	require.NoError(t, err)
	var buckets []status.Budget
	for _, b := range r.Budgets {
		if b.Operation == spapi.OpGetServiceJobs {
			buckets = append(buckets, b)
		}
	}
	require.Len(t, buckets, 1, "one getServiceJobs bucket for the account")
	require.EqualValues(t, total, buckets[0].Granted, "every marketplace's calls took the shared bucket's tokens")
}

// TestServiceJobsMarketplaceOutageDoesNotHoldOthers: CA's getServiceJobs
// answers 500 for a simulated hour. Meanwhile three polls of the account
// run (every twenty minutes): US and MX complete each time with their
// cursors at the data clock less two minutes, while CA's one poll waits for
// its retry and no second CA poll is queued. After recovery CA's retry
// walks from the initial lookback and every CA job equals the truth. Then a
// fourth marketplace joins the account: its first call starts at the
// initial lookback, not at the others' cursor, and all its jobs arrive.
func TestServiceJobsMarketplaceOutageDoesNotHoldOthers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFront()
	acct := sim.DemoAccount
	acct.MarketplaceIDs = []string{sim.MarketplaceUS, sim.MarketplaceCA, sim.MarketplaceMX, marketplaceBR}
	tb := setupWith(t, 240, servicejobs.Options{}, []sim.Account{acct}, f.wrap)
	// spsync's account starts with three of Amazon's four.
	three := []string{sim.MarketplaceUS, sim.MarketplaceCA, sim.MarketplaceMX}
	tb.Deps.Accounts[acctID].MarketplaceIDs = three
	tb.markets = map[string]bool{sim.MarketplaceUS: true, sim.MarketplaceCA: true, sim.MarketplaceMX: true}

	f.fail(sim.MarketplaceCA, true)
	client := tb.StartClient(t, tb.workers(tb.Deps), nil)
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()

	_, err := client.Insert(ctx, servicejobs.PollArgs{AccountID: acctID}, nil)
	require.NoError(t, err)
	ids := pollEvents(t, events, []string{sim.MarketplaceUS, sim.MarketplaceMX}, []string{sim.MarketplaceCA})
	caJob := ids[sim.MarketplaceCA]
	tb.requireCursors(t, tb.start.Add(-margin), sim.MarketplaceUS, sim.MarketplaceMX)
	require.Contains(t, tb.lastError(t, sim.MarketplaceCA), "InternalFailure", "CA's failure is recorded on CA's cursor")

	// An hour of polls every twenty minutes: US and MX move on each time.
	var at time.Time
	for range 3 {
		at = tb.clock.Advance(20 * time.Minute)
		_, err := client.Insert(ctx, servicejobs.PollArgs{AccountID: acctID}, nil)
		require.NoError(t, err)
		pollEvents(t, events, []string{sim.MarketplaceUS, sim.MarketplaceMX}, nil)
		tb.requireCursors(t, at.Add(-margin), sim.MarketplaceUS, sim.MarketplaceMX)
	}
	calls := f.requests()
	per := requireOneMarketplaceEach(t, calls)
	require.Positive(t, per[sim.MarketplaceCA])
	for _, c := range calls {
		require.Equal(t, c.markets[0] == sim.MarketplaceCA, c.failed, "only CA fails")
	}

	// worker status: US and MX two minutes behind, CA with no cursor and
	// its error.
	r, err := status.Collect(ctx, tb.Pool)
	require.NoError(t, err)
	rows := map[string]status.Stream{}
	for _, s := range r.Streams {
		if s.Stream == servicejobs.Stream {
			rows[s.Scope] = s
		}
	}
	require.Len(t, rows, 3)
	require.Nil(t, rows[sim.MarketplaceCA].CursorAt)
	require.NotNil(t, rows[sim.MarketplaceCA].LastError)
	require.NotNil(t, rows[sim.MarketplaceUS].LagSeconds)
	require.NotNil(t, rows[sim.MarketplaceMX].LagSeconds)

	// Only CA's first poll exists: the account's later polls skipped CA
	// while it waited for its retry.
	caPolls := 0
	for _, j := range tb.pollJobs(t, client) {
		if j.args.MarketplaceID == sim.MarketplaceCA {
			caPolls++
			require.Equal(t, caJob, j.row.ID)
			require.NotEqual(t, rivertype.JobStateCompleted, j.row.State)
		}
	}
	require.Equal(t, 1, caPolls)

	// CA recovers; its retry (made due now) walks from the initial lookback.
	f.fail(sim.MarketplaceCA, false)
	if _, err := client.JobRetry(ctx, caJob); err != nil {
		require.ErrorIs(t, err, river.ErrNotFound)
	}
	tb.RunUntilIdle(t, 2*time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	tb.requireCursors(t, at.Add(-margin), three...)
	tb.requireInSync(t, at, false)
	truth, stored := tb.truthPerMarket(t), tb.storedPerMarket(t)
	require.Positive(t, truth[sim.MarketplaceCA])
	require.Equal(t, truth[sim.MarketplaceCA], stored[sim.MarketplaceCA], "every CA job arrived after the outage")
	require.Zero(t, stored[marketplaceBR], "BR is not configured yet")
	f.requests()

	// BR joins the account (a configuration change: the worker restarts).
	stopCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	require.NoError(t, client.StopAndCancel(stopCtx))
	tb.Deps.Accounts[acctID].MarketplaceIDs = append(slices.Clone(three), marketplaceBR)
	tb.markets[marketplaceBR] = true
	client = tb.StartClient(t, tb.workers(tb.Deps), nil)
	at = tb.clock.Advance(20 * time.Minute)
	tb.poll(t, client)
	first := map[string]time.Time{}
	for _, c := range f.requests() {
		require.Len(t, c.markets, 1)
		if _, seen := first[c.markets[0]]; !seen {
			after, err := time.Parse(time.RFC3339, c.lastUpdatedAfter)
			require.NoError(t, err, c.lastUpdatedAfter)
			first[c.markets[0]] = after.UTC()
		}
	}
	require.Len(t, first, 4)
	lookback := at.Add(-30 * 24 * time.Hour).UTC().Truncate(time.Second)
	require.Equal(t, lookback, first[marketplaceBR], "BR starts at the initial lookback")
	for _, m := range three {
		require.Equal(t, at.Add(-20*time.Minute-margin-5*time.Minute).UTC(), first[m], "%s goes on from its cursor less the overlap", m)
	}
	tb.requireCursors(t, at.Add(-margin), append(slices.Clone(three), marketplaceBR)...)
	tb.requireInSync(t, at, false)
	truth, stored = tb.truthPerMarket(t), tb.storedPerMarket(t)
	require.Positive(t, truth[marketplaceBR])
	require.Equal(t, truth[marketplaceBR], stored[marketplaceBR], "every BR job arrived, from before the others' cursor too")
	t.Logf("jobs per marketplace: %v", stored)
}

// pollJob is a service_jobs_poll job with its args.
type pollJob struct {
	row  *rivertype.JobRow
	args servicejobs.PollArgs
}

// pollJobs lists every service_jobs_poll job through River's API.
func (tb *testBundle) pollJobs(t *testing.T, client *river.Client[pgx.Tx]) []pollJob {
	t.Helper()
	res, err := client.JobList(context.Background(), river.NewJobListParams().Kinds(servicejobs.PollArgs{}.Kind()).First(1000))
	require.NoError(t, err)
	out := make([]pollJob, len(res.Jobs))
	for i, j := range res.Jobs {
		out[i].row = j
		require.NoError(t, json.Unmarshal(j.EncodedArgs, &out[i].args))
	}
	return out
}

// TestServiceJobsBackfillKilledInSecondMarketplaceResumes: a one-window
// backfill walks the account's three marketplaces in turn (sorted: MX, CA,
// US). The worker dies before CA's second page; the window's saved token
// names CA and Amazon's token in it. A new worker finishes the window from
// there, without fetching a page twice, and the stored jobs are exactly the
// jobs created in the span, as the truth has them.
func TestServiceJobsBackfillKilledInSecondMarketplaceResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFront()
	tb := setupWith(t, 400, servicejobs.Options{}, nil, f.wrap)
	from, to := tb.start.Add(-13*24*time.Hour), tb.start.Add(-24*time.Hour)
	stream := servicejobs.NewStream(tb.opts)
	workers := func(deps *jobs.Deps) *river.Workers {
		w := river.NewWorkers()
		stream.Register(w, deps)
		backfill.Register(w, deps, jobs.Streams{stream})
		return w
	}

	// The truth of the span, per marketplace, and the pages each needs
	// (Amazon's createdBefore includes its instant; the window keeps [from, to)).
	truth, err := tb.Sim.TruthServiceJobs(acctID)
	require.NoError(t, err)
	want := map[string]sim.ServiceJob{}
	listed, wantPer := map[string]int{}, map[string]int{}
	for _, j := range truth {
		if !j.CreateTime.Before(from) && !j.CreateTime.After(to) {
			listed[j.MarketplaceID]++
		}
		if !j.CreateTime.Before(from) && j.CreateTime.Before(to) {
			want[j.ServiceJobID] = j
			wantPer[j.MarketplaceID]++
		}
	}
	order := []string{sim.MarketplaceMX, sim.MarketplaceCA, sim.MarketplaceUS}
	require.True(t, slices.IsSorted(order))
	pages := map[string]int{}
	total := 0
	for _, m := range order {
		pages[m] = max(1, (listed[m]+19)/20)
		total += pages[m]
	}
	require.GreaterOrEqual(t, pages[sim.MarketplaceCA], 3, "CA has pages before and after the kill")
	t.Logf("jobs listed per marketplace %v, pages %v", listed, pages)

	// A worker that dies before CA's second page.
	killAt := pages[sim.MarketplaceMX] + 2
	killer := jobstest.NewKillingBudget(tb.Deps.Budget, spapi.OpGetServiceJobs, killAt)
	dying := *tb.Deps
	dying.Budget = killer
	client := tb.StartClient(t, workers(&dying), nil)
	var id int64
	require.NoError(t, pgx.BeginFunc(ctx, tb.Pool, func(tx pgx.Tx) error {
		id, err = backfill.Start(ctx, tx, client, acctID, stream, from, to, backfill.Options{Window: to.Sub(from), Now: tb.Sim.Now})
		return err
	}))
	select {
	case <-killer.Killed():
	case <-time.After(time.Minute):
		t.Fatal("the backfill never reached CA's second page")
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, client.StopAndCancel(stopCtx))

	// MX's pages and CA's first are committed; the walk stands in CA.
	var token string
	var committed int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT next_token, pages FROM walk_progress WHERE stream = 'service_jobs'`).Scan(&token, &committed))
	require.Equal(t, killAt-1, committed)
	caToken, inCA := strings.CutPrefix(token, "marketplace:"+sim.MarketplaceCA+":")
	require.True(t, inCA, "the saved token names CA: %q", token)
	require.NotEmpty(t, caToken, "and Amazon's page token within CA")
	stored := tb.storedPerMarket(t)
	require.Equal(t, map[string]int{sim.MarketplaceMX: wantPer[sim.MarketplaceMX], sim.MarketplaceCA: 20}, stored, "all of MX, CA's first page, nothing of US")
	require.Equal(t, killAt-1, tb.Sim.Stats()[spapi.OpGetServiceJobs].Successes)
	b := tb.backfillRow(t, id)
	require.Equal(t, "running", b.State)

	// A new worker finishes the window.
	tb.StartClient(t, workers(tb.Deps), nil)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	require.Equal(t, total, tb.Sim.Stats()[spapi.OpGetServiceJobs].Successes, "every page fetched once: the walk resumed in CA")
	per := requireOneMarketplaceEach(t, f.requests())
	require.Equal(t, pages, per)

	got := tb.stored(t)
	require.Len(t, got, len(want), "exactly the jobs created in the span")
	for jid, j := range want {
		require.NotNil(t, got[jid], "job %s of %s", jid, j.MarketplaceID)
		require.Equal(t, withoutPII(t, j), decode[map[string]any](t, got[jid].raw), "job %s", jid)
	}
	b = tb.backfillRow(t, id)
	require.Equal(t, "done", b.State)
	require.EqualValues(t, len(want), b.RowsWritten)
	var walks int
	require.NoError(t, tb.Pool.QueryRow(ctx, `SELECT count(*) FROM walk_progress`).Scan(&walks))
	require.Zero(t, walks)
}

func (tb *testBundle) backfillRow(t *testing.T, id int64) *backfillState {
	t.Helper()
	var b backfillState
	require.NoError(t, tb.Pool.QueryRow(context.Background(),
		`SELECT state, rows_written FROM backfills WHERE id = $1`, id).Scan(&b.State, &b.RowsWritten))
	return &b
}

// backfillState is what the test reads of a backfill.
type backfillState struct {
	State       string
	RowsWritten int64
}

// previousPollArgs are the args of a service jobs poll as the release before
// per-marketplace polls queued it: the account alone.
type previousPollArgs struct {
	AccountID string `json:"account_id" river:"unique"`
}

func (previousPollArgs) Kind() string { return "service_jobs_poll" }

func (previousPollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePoll, Priority: jobs.PriorityPoll, UniqueOpts: jobs.UniqueWhileActive()}
}

// TestServiceJobsPreviousReleasePollStillRuns: a service_jobs_poll queued
// by the previous release (args without a marketplace) runs after the
// upgrade as the account's poll: it queues one poll per marketplace, and
// every marketplace's jobs arrive. Its kind and JSON are the account poll's
// own, so its unique key is the same too.
func TestServiceJobsPreviousReleasePollStillRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tb := setup(t, 120, servicejobs.Options{})

	old, err := json.Marshal(previousPollArgs{AccountID: acctID})
	require.NoError(t, err)
	now, err := json.Marshal(servicejobs.PollArgs{AccountID: acctID})
	require.NoError(t, err)
	require.JSONEq(t, string(old), string(now), "the account's poll keeps the previous release's args")
	require.Equal(t, previousPollArgs{}.Kind(), servicejobs.PollArgs{}.Kind())

	// Queued before the upgrade: no worker runs yet.
	insertOnly, err := river.NewClient(riverpgxv5.New(tb.Pool), &river.Config{})
	require.NoError(t, err)
	res, err := insertOnly.Insert(ctx, previousPollArgs{AccountID: acctID}, nil)
	require.NoError(t, err)

	client := tb.StartClient(t, tb.workers(tb.Deps), nil)
	tb.RunUntilIdle(t, time.Minute)
	require.Empty(t, tb.DiscardedJobs(t))
	tb.requireInSync(t, tb.start, false)
	tb.requireCursors(t, tb.start.Add(-margin), sim.DemoAccount.MarketplaceIDs...)

	var markets []string
	for _, j := range tb.pollJobs(t, client) {
		require.Equal(t, rivertype.JobStateCompleted, j.row.State, "job %d %s", j.row.ID, j.row.EncodedArgs)
		if j.row.ID == res.Job.ID {
			require.Empty(t, j.args.MarketplaceID)
			continue
		}
		markets = append(markets, j.args.MarketplaceID)
	}
	slices.Sort(markets)
	require.Equal(t, []string{sim.MarketplaceMX, sim.MarketplaceCA, sim.MarketplaceUS}, markets, "one poll per marketplace")
}
