package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
	"github.com/spsync/spsync/internal/streams"
)

// registryDir is the jobs' view of an accounts.Registry over the accounts
// table, as the worker's directory gives it (without SP-API clients: the
// scheduler needs ids and states only).
type registryDir struct{ reg *accounts.Registry }

func (d registryDir) Lookup(id string) (*jobs.Account, string) {
	a, ok := d.reg.Get(id)
	if !ok {
		return nil, ""
	}
	return &jobs.Account{Account: a.Account}, a.State
}

func (d registryDir) Reload(ctx context.Context) error {
	_, err := d.reg.Reload(ctx)
	return err
}

func (d registryDir) ActiveIDs() []string {
	var ids []string
	for _, a := range d.reg.Accounts() {
		if a.Active() {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// schedulerBundle is a migrated database with n accounts seeded as rows,
// Deps reading them through a Registry, and an insert-only River client.
type schedulerBundle struct {
	pool   *pgxpool.Pool
	deps   *jobs.Deps
	all    jobs.Streams
	insert jobs.InsertManyFunc
}

const seedClientID = "amzn1.application-oa2-client.scheduler"

func accountID(i int) string { return fmt.Sprintf("seller-%04d", i) }

func newSchedulerBundle(t testing.TB, n int) *schedulerBundle {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	_, err := pool.Exec(ctx, `INSERT INTO applications (client_id) VALUES ($1)`, seedClientID)
	require.NoError(t, err)
	seedAccounts(t, pool, 1, n)
	key, _, err := secretbox.GenerateKey()
	require.NoError(t, err)
	reg, err := accounts.NewRegistry(ctx, accounts.Options{Pool: pool, Keys: &secretbox.Keyring{Current: key}})
	require.NoError(t, err)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	deps := jobs.NewDeps(jobs.Deps{Pool: pool, Directory: registryDir{reg}})
	return &schedulerBundle{pool: pool, deps: deps, all: streams.All(nil), insert: client.InsertManyTx}
}

// seedAccounts writes accounts from..to (active, 2026-01-01 orders) as rows.
func seedAccounts(t testing.TB, pool *pgxpool.Pool, from, to int) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `
		INSERT INTO accounts (id, region, marketplace_ids, client_id, orders_api, declared_by)
		SELECT 'seller-' || lpad(i::text, 4, '0'), 'na', ARRAY['ATVPDKIKX0DER'], $1, '2026-01-01', 'operator'
		FROM generate_series($2::int, $3::int) i`, seedClientID, from, to)
	require.NoError(t, err)
}

func (b *schedulerBundle) tick(t testing.TB, at time.Time) jobs.TickResult {
	t.Helper()
	res, err := b.all.ScheduleTickAt(context.Background(), b.deps, time.Minute, b.insert, at)
	require.NoError(t, err)
	require.True(t, res.Locked)
	return res
}

// perSecond counts jobs by the second (from now) they are due in.
func perSecond(res jobs.TickResult) map[int]int {
	out := map[int]int{}
	for _, j := range res.Jobs {
		out[int(j.At.Sub(res.Now)/time.Second)]++
	}
	return out
}

func maxOf(m map[int]int) int {
	best := 0
	for _, v := range m {
		best = max(best, v)
	}
	return best
}

// A thousand accounts as rows: the first tick starts every account's
// periodic jobs, spread over the minute; afterwards each tick inserts the
// jobs due in its minute, each at its own second, every job exactly once
// per interval (a */5 poll every 5 minutes to the millisecond, the hourly
// reconcile once an hour), and no second holds much more than the mean.
func TestScheduleTickSpreadsAThousandAccounts(t *testing.T) {
	t.Parallel()
	const n = 1000
	b := newSchedulerBundle(t, n)
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

	first := b.tick(t, t0)
	periodics := 0
	for _, s := range b.all {
		for _, p := range s.Periodic {
			if !p.Shared {
				periodics++
			}
		}
	}
	require.Equal(t, n, first.Accounts)
	require.Equal(t, n*periodics, first.Added)
	require.Equal(t, n*periodics, first.Due, "every account's jobs start in the first tick")
	require.Equal(t, n*periodics, first.Inserted)
	mean := float64(first.Due) / 60
	t.Logf("first tick: %d jobs over 60 s, mean %.0f/s, busiest second %d", first.Due, mean, maxOf(perSecond(first)))
	require.Len(t, perSecond(first), 60, "every second of the first minute has some")
	require.LessOrEqual(t, float64(maxOf(perSecond(first))), 1.6*mean, "no second much above the mean")
	// River holds them at their due times, but for those due within its
	// promotion interval (5 s), available at once.
	later := 0
	for _, j := range first.Jobs {
		if j.At.Sub(t0) >= 5*time.Second {
			later++
		}
	}
	require.Equal(t, n*periodics, count(t, b.pool, `SELECT count(*) FROM river_job`))
	require.Equal(t, later, count(t, b.pool, fmt.Sprintf(`SELECT count(*) FROM river_job WHERE scheduled_at >= '%s' AND scheduled_at < '%s'`,
		t0.Add(5*time.Second).Format(time.RFC3339Nano), t0.Add(time.Minute).Format(time.RFC3339Nano))))

	// Two hours of ticks, one a minute.
	type key struct{ account, periodic string }
	seen := map[key][]time.Time{}
	busiest, total := 0, 0
	for m := 1; m <= 120; m++ {
		res := b.tick(t, t0.Add(time.Duration(m)*time.Minute))
		require.Zero(t, res.Added)
		for _, j := range res.Jobs {
			require.False(t, j.At.Before(res.Now), "due at or after the tick")
			require.True(t, j.At.Before(res.Horizon), "due before the next tick")
			seen[key{j.AccountID, j.PeriodicID}] = append(seen[key{j.AccountID, j.PeriodicID}], j.At)
		}
		busiest, total = max(busiest, maxOf(perSecond(res))), total+res.Due
	}
	perMinute := float64(total) / 120
	t.Logf("steady: %.0f jobs a minute (%.1f/s), busiest second %d", perMinute, perMinute/60, busiest)
	require.LessOrEqual(t, busiest, 40, "spread over the minute: %.1f/s on average", perMinute/60)

	interval := map[string]time.Duration{"fulfillment_orders_poll": 5 * time.Minute, "service_jobs_poll": 5 * time.Minute,
		"financial_transactions_poll": 10 * time.Minute, "orders_poll": 15 * time.Minute, "fulfillment_reconcile": time.Hour}
	for i := 1; i <= n; i++ {
		for periodic, every := range interval {
			ats := seen[key{accountID(i), periodic}]
			require.Len(t, ats, int(2*time.Hour/every), "%s of %s: once per interval", periodic, accountID(i))
			for k := 1; k < len(ats); k++ {
				require.Equal(t, every, ats[k].Sub(ats[k-1]), "%s of %s: exactly an interval apart", periodic, accountID(i))
			}
			offset := jobs.SpreadOffset(accountID(i), periodic, every)
			require.Equal(t, offset, ats[0].Sub(ats[0].Truncate(every)), "%s of %s: at its stable offset", periodic, accountID(i))
		}
	}
}

// Accounts are data: one added as a row is scheduled by the next tick, a
// paused one's rows go and it gets nothing, and resumed it starts again
// within the tick. No configuration changes anywhere.
func TestScheduleTickFollowsTheAccountsTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newSchedulerBundle(t, 3)
	t0 := time.Date(2026, 12, 7, 10, 0, 30, 0, time.UTC)
	b.tick(t, t0)

	seedAccounts(t, b.pool, 4, 4)
	res := b.tick(t, t0.Add(time.Minute))
	require.Equal(t, 4, res.Accounts)
	require.Equal(t, 5, res.Added, "the new account's five periodic jobs")
	require.ElementsMatch(t, []string{"seller-0004"}, accountsOf(res, true), "the new account starts within the tick")
	for _, j := range res.Jobs {
		if j.AccountID == "seller-0004" {
			require.Less(t, j.At.Sub(res.Now), time.Second, "one account added starts at once: %s", j.PeriodicID)
		}
	}

	_, err := b.pool.Exec(ctx, `UPDATE accounts SET state = 'paused' WHERE id = 'seller-0002'`)
	require.NoError(t, err)
	var stopped []string
	for m := 2; m <= 20; m++ {
		res := b.tick(t, t0.Add(time.Duration(m)*time.Minute))
		if m == 2 {
			require.Equal(t, 5, res.Removed, "the paused account's rows")
		}
		stopped = append(stopped, accountsOf(res, false)...)
	}
	require.NotContains(t, stopped, "seller-0002")
	require.Contains(t, stopped, "seller-0001")
	require.Zero(t, count(t, b.pool, `SELECT count(*) FROM account_schedules WHERE account_id = 'seller-0002'`))

	_, err = b.pool.Exec(ctx, `UPDATE accounts SET state = 'active' WHERE id = 'seller-0002'`)
	require.NoError(t, err)
	res = b.tick(t, t0.Add(21*time.Minute))
	require.Equal(t, 5, res.Added)
	require.Contains(t, accountsOf(res, false), "seller-0002", "resumed: polled within the tick")
}

// An account paused and resumed between two ticks (a seller's
// authorization revoked and renewed within the minute) had its queued jobs
// cancelled by the state change: the next tick starts it at once, as a new
// account, rather than at its next slot.
func TestScheduleTickRestartsAnAccountPausedBetweenTicks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newSchedulerBundle(t, 3)
	t0 := time.Date(2026, 12, 7, 10, 0, 30, 0, time.UTC)
	b.tick(t, t0)
	res := b.tick(t, t0.Add(time.Minute))
	require.Zero(t, res.Added)

	for _, st := range []struct{ to, from string }{{store.AccountNeedsReauth, store.AccountActive}, {store.AccountActive, store.AccountNeedsReauth}} {
		changed, err := store.SetAccountState(ctx, b.pool, "seller-0002", st.to, "", st.from)
		require.NoError(t, err)
		require.True(t, changed)
	}
	res = b.tick(t, t0.Add(2*time.Minute))
	require.Equal(t, 5, res.Added, "the account's five periodic jobs start again")
	require.ElementsMatch(t, []string{"seller-0002"}, accountsOf(res, true), "all of them within the tick")
	for _, j := range res.Jobs {
		if j.AccountID == "seller-0002" {
			require.Less(t, j.At.Sub(res.Now), time.Second, "at once: %s", j.PeriodicID)
		}
	}
	res = b.tick(t, t0.Add(3*time.Minute))
	require.Zero(t, res.Added, "once: the rows are the account's again")
}

// staleDir is a directory whose view of the accounts never reloads: a tick
// that planned just before an account's state change committed.
type staleDir struct{ jobs.AccountDirectory }

func (staleDir) Reload(context.Context) error { return nil }

// A tick whose view still has an account active after it was paused (the
// registry reloads every few seconds) inserts none of its jobs: it reads the
// states again under its lock, which the state change takes before
// cancelling the account's jobs.
func TestScheduleTickSkipsAnAccountStoppedSinceItsView(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newSchedulerBundle(t, 3)
	t0 := time.Date(2026, 12, 7, 10, 0, 30, 0, time.UTC)
	b.tick(t, t0)
	require.NoError(t, b.deps.Directory.Reload(ctx))
	b.deps.Directory = staleDir{b.deps.Directory}
	require.Contains(t, b.deps.AccountIDs(), "seller-0002")

	changed, err := store.SetAccountState(ctx, b.pool, "seller-0002", store.AccountPaused, "", store.AccountActive)
	require.NoError(t, err)
	require.True(t, changed)
	for m := 1; m <= 12; m++ {
		res := b.tick(t, t0.Add(time.Duration(m)*time.Minute))
		require.NotContains(t, accountsOf(res, false), "seller-0002", "minute %d", m)
		require.Equal(t, 2, res.Accounts)
	}
	require.Zero(t, count(t, b.pool, `SELECT count(*) FROM account_schedules WHERE account_id = 'seller-0002'`))
}

// The lock a state change takes waits for a tick in progress.
func TestStateChangeWaitsForATick(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newSchedulerBundle(t, 1)
	tick, err := b.pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tick.Rollback(ctx) }()
	locked, err := store.TryLockAccountSchedules(ctx, tick)
	require.NoError(t, err)
	require.True(t, locked)

	change, err := b.pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = change.Rollback(ctx) }()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	require.Error(t, store.LockAccountSchedules(short, change), "the tick holds the lock")
	require.NoError(t, tick.Commit(ctx))
	change2, err := b.pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = change2.Rollback(ctx) }()
	require.NoError(t, store.LockAccountSchedules(ctx, change2), "free once the tick commits")
}

// accountsOf lists the accounts with a job in res (with all, only those
// whose every periodic job is there).
func accountsOf(res jobs.TickResult, all bool) []string {
	per := map[string]int{}
	for _, j := range res.Jobs {
		per[j.AccountID]++
	}
	var out []string
	for id, k := range per {
		if !all || k == 5 {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func count(t *testing.T, pool *pgxpool.Pool, sql string) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), sql).Scan(&n))
	return n
}

// Ticks missed (no leader for three minutes) do not skip a job: each job due
// in the gap is inserted once, by the next tick, spread over it, and the
// schedule goes on from its next instant. A second tick at the same time (a
// new leader's RunOnStart) inserts nothing, and a tick that finds the lock
// taken does nothing.
func TestScheduleTickAfterMissedTicks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newSchedulerBundle(t, 200)
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	b.tick(t, t0)
	for m := 1; m <= 10; m++ {
		b.tick(t, t0.Add(time.Duration(m)*time.Minute))
	}
	// The rows as the leader left them at 10:10; it dies, the next tick is
	// at 10:13:20.
	rows, err := store.ListAccountSchedules(ctx, b.pool)
	require.NoError(t, err)
	due := map[string]bool{}
	gapEnd := t0.Add(13*time.Minute + 20*time.Second)
	for _, r := range rows {
		if r.NextAt.Before(gapEnd.Add(time.Minute)) {
			due[r.AccountID+" "+r.PeriodicID] = true
		}
	}
	res := b.tick(t, gapEnd)
	got := map[string]bool{}
	for _, j := range res.Jobs {
		k := j.AccountID + " " + j.PeriodicID
		require.False(t, got[k], "%s inserted twice", k)
		got[k] = true
		require.False(t, j.At.Before(gapEnd.Add(-5*time.Second)), "%s: a missed job is due now or later, not all at once in the past", k)
		require.True(t, j.At.Before(res.Horizon))
	}
	require.Equal(t, due, got, "every job due in the gap or the tick, once")
	after, err := store.ListAccountSchedules(ctx, b.pool)
	require.NoError(t, err)
	interval := map[string]time.Duration{"fulfillment_orders_poll": 5 * time.Minute, "service_jobs_poll": 5 * time.Minute,
		"financial_transactions_poll": 10 * time.Minute, "orders_poll": 15 * time.Minute, "fulfillment_reconcile": time.Hour}
	ran := map[string]time.Time{}
	for _, j := range res.Jobs {
		ran[j.AccountID+" "+j.PeriodicID] = j.At
	}
	for _, r := range after {
		require.False(t, r.NextAt.Before(res.Horizon), "%s %s: next after the tick", r.AccountID, r.PeriodicID)
		if at, ok := ran[r.AccountID+" "+r.PeriodicID]; ok {
			require.GreaterOrEqual(t, r.NextAt.Sub(at), interval[r.PeriodicID]/2, "%s %s: the run after the catch-up is not moments later", r.AccountID, r.PeriodicID)
		}
	}

	again := b.tick(t, gapEnd)
	require.Zero(t, again.Due, "the same tick twice inserts nothing the second time")

	// A tick that cannot take the lock does nothing.
	require.NoError(t, pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		locked, err := store.TryLockAccountSchedules(ctx, tx)
		require.NoError(t, err)
		require.True(t, locked)
		res, err := b.all.ScheduleTickAt(ctx, b.deps, time.Minute, b.insert, gapEnd.Add(time.Hour))
		require.NoError(t, err)
		require.False(t, res.Locked)
		require.Zero(t, res.Due)
		return nil
	}))
}

// An operator's cron (SPSYNC_*_CRON) is honoured, and a changed one moves
// the rows to its own instants at the next tick; a self-scheduled poll
// becomes a cron poll when the operator sets its cron.
func TestScheduleTickFollowsTheOperatorsCron(t *testing.T) {
	t.Parallel()
	b := newSchedulerBundle(t, 50)
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	b.tick(t, t0)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"SPSYNC_SERVICE_JOBS_CRON": "7,37 * * * *", "SPSYNC_ORDERS_CRON": "*/2 * * * *"}[k]
	})
	require.NoError(t, err)
	b.deps.Schedules = cfg.Schedules
	var polls []jobs.TickJob
	for m := 1; m <= 60; m++ {
		res := b.tick(t, t0.Add(time.Duration(m)*time.Minute))
		for _, j := range res.Jobs {
			if j.PeriodicID == "service_jobs_poll" || j.PeriodicID == "orders_poll" {
				polls = append(polls, j)
			}
		}
	}
	per := map[string][]time.Time{}
	for _, j := range polls {
		k := j.AccountID + " " + j.PeriodicID
		per[k] = append(per[k], j.At)
		switch j.PeriodicID {
		case "service_jobs_poll":
			// Twice an hour: :07 and :37 plus the account's offset within
			// the 30 minutes between them.
			off := jobs.SpreadOffset(j.AccountID, j.PeriodicID, 30*time.Minute)
			require.Zero(t, (j.At.Sub(t0)-7*time.Minute-off)%(30*time.Minute), "service jobs poll at %s", j.At.Format("15:04:05.000"))
		case "orders_poll":
			require.Equal(t, map[string]any{"account_id": j.AccountID}, argsMap(t, j.Args), "the operator's cron: a plain poll, not the self-scheduled one")
		}
	}
	for k, ats := range per {
		for i := 1; i < len(ats); i++ {
			gap := ats[i].Sub(ats[i-1])
			if k[len(k)-len("orders_poll"):] == "orders_poll" {
				require.Equal(t, 2*time.Minute, gap, k)
			} else {
				require.Equal(t, 30*time.Minute, gap, k)
			}
		}
	}
}

func argsMap(t *testing.T, args river.JobArgs) map[string]any {
	t.Helper()
	var out map[string]any
	b, err := json.Marshal(args)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// BenchmarkScheduleTick measures one scheduler tick at 1,000 accounts as
// rows (five periodic jobs each): "steady" is a tick of the steady state
// (about 583 jobs due in its minute, the previous ones completed, as they
// are by then), "first" the tick that starts every account (5,000 jobs).
func BenchmarkScheduleTick(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	b.Run("steady", func(b *testing.B) {
		sb := newSchedulerBundle(b, n)
		t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		sb.tick(b, t0)
		jobsDue := 0
		b.ResetTimer()
		for i := range b.N {
			b.StopTimer()
			// The jobs of the previous ticks ran.
			_, err := sb.pool.Exec(ctx, `UPDATE river_job SET state = 'completed', finalized_at = now() WHERE state <> 'completed'`)
			require.NoError(b, err)
			b.StartTimer()
			res := sb.tick(b, t0.Add(time.Duration(i+1)*time.Minute))
			jobsDue += res.Due
		}
		b.ReportMetric(float64(jobsDue)/float64(b.N), "jobs/tick")
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/tick")
	})
	b.Run("first", func(b *testing.B) {
		jobsDue := 0
		var elapsed time.Duration
		for range b.N {
			b.StopTimer()
			sb := newSchedulerBundle(b, n)
			b.StartTimer()
			began := time.Now()
			res := sb.tick(b, time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
			elapsed += time.Since(began)
			jobsDue += res.Due
		}
		b.ReportMetric(float64(jobsDue)/float64(b.N), "jobs/tick")
		b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/tick")
	})
}

type badArgs struct {
	AccountID string `json:"account_id"`
}

func (badArgs) Kind() string { return "test_bad_schedule" }

// A tick that fails (here: a cron expression that does not parse) inserts
// and moves nothing, completes rather than retrying (the next tick does
// the work), and is recorded for `worker status` as a periodic insert
// failure.
func TestScheduleTickFailureIsRecorded(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := newSchedulerBundle(t, 2)
	stream := jobs.Stream{Name: "test", Register: func(*river.Workers, *jobs.Deps) {}, Periodic: []jobs.Periodic{{
		ID:       "bad",
		Schedule: func(config.Schedules, *jobs.Account) string { return "every fifteen minutes" },
		Args:     func(id string) river.JobArgs { return badArgs{AccountID: id} },
	}}}
	workers := river.NewWorkers()
	jobs.Streams{stream}.Register(workers, b.deps)
	client, err := river.NewClient(riverpgxv5.New(b.pool), &river.Config{Queues: jobs.QueueConfig(), Workers: workers, TestOnly: true})
	require.NoError(t, err)
	done, stop := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stop()
	require.NoError(t, client.Start(ctx))
	defer func() { require.NoError(t, client.Stop(context.Background())) }()
	_, err = client.Insert(ctx, jobs.PollSchedulerArgs{}, nil)
	require.NoError(t, err)
	select {
	case ev := <-done:
		require.Equal(t, river.EventKindJobCompleted, ev.Kind, "a failed tick is not retried")
	case <-ctx.Done():
		t.Fatal("the tick did not finish")
	}
	require.Equal(t, 1, count(t, b.pool, `SELECT count(*) FROM periodic_insert_failures WHERE error LIKE '%every fifteen minutes%'`))
	require.Zero(t, count(t, b.pool, `SELECT count(*) FROM account_schedules`))
	require.Zero(t, count(t, b.pool, `SELECT count(*) FROM river_job WHERE kind = 'test_bad_schedule'`))
}

// Two hundred accounts added at once while a hundred sync: the next tick
// starts all of them, at FirstJobsPerSecond (a thousand jobs over 20 s), not
// in one second.
func TestScheduleTickManyAccountsAddedAtOnce(t *testing.T) {
	t.Parallel()
	b := newSchedulerBundle(t, 100)
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	b.tick(t, t0)
	b.tick(t, t0.Add(time.Minute))
	seedAccounts(t, b.pool, 101, 300)
	res := b.tick(t, t0.Add(2*time.Minute))
	require.Equal(t, 1000, res.Added)
	fresh := jobs.TickResult{Now: res.Now}
	for _, j := range res.Jobs {
		var n int
		_, err := fmt.Sscanf(j.AccountID, "seller-%d", &n)
		require.NoError(t, err)
		if n > 100 {
			fresh.Jobs = append(fresh.Jobs, j)
		}
	}
	require.Len(t, fresh.Jobs, 1000, "every new account's jobs in the tick")
	secs := perSecond(fresh)
	t.Logf("1,000 new jobs over %d seconds, busiest second %d", len(secs), maxOf(secs))
	require.Len(t, secs, 20)
	require.LessOrEqual(t, maxOf(secs), 2*int(jobs.FirstJobsPerSecond))
}
