package streams_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/streams"
)

// depsWith returns Deps of accounts with the default schedules.
func depsWith(ids ...string) *jobs.Deps {
	d := &jobs.Deps{Accounts: map[string]*jobs.Account{}, Schedules: config.Schedules{}}
	for _, id := range ids {
		d.Accounts[id] = &jobs.Account{Account: config.Account{ID: id, OrdersAPI: config.OrdersAPI2026}}
	}
	return d
}

// TestScheduledWithThreeAccounts: every account gets its own polls, and the
// account-independent PII purge is scheduled once, hourly.
func TestScheduledWithThreeAccounts(t *testing.T) {
	t.Parallel()
	scheduled, err := streams.All(nil).Scheduled(depsWith("c", "a", "b"))
	require.NoError(t, err)

	perKind := map[string][]string{}
	for _, job := range scheduled {
		perKind[job.Args.Kind()] = append(perKind[job.Args.Kind()], job.ID)
	}
	require.Equal(t, []string{"order_pii_purge"}, perKind["order_pii_purge"], "one purge for every account")
	for _, kind := range []string{"orders_poll", "fulfillment_orders_poll", "service_jobs_poll"} {
		require.Len(t, perKind[kind], 3, kind)
		for i, id := range []string{"a", "b", "c"} {
			require.True(t, strings.HasSuffix(perKind[kind][i], ":"+id), "%s of account %s: %v", kind, id, perKind[kind])
		}
	}

	for _, job := range scheduled {
		if job.Args.Kind() != "order_pii_purge" {
			continue
		}
		sched, err := jobs.CronSchedule(job.Schedule)
		require.NoError(t, err)
		at := time.Date(2026, 12, 7, 10, 20, 0, 0, time.UTC)
		for _, want := range []string{"11:17", "12:17", "13:17"} {
			at = sched.Next(at)
			require.Equal(t, want, at.Format("15:04"), "the purge runs hourly")
		}
	}
}

type sameArgs struct{}

func (sameArgs) Kind() string { return "test_same" }

// TestScheduledRefusesCollidingJobs: a per-account periodic job whose
// arguments ignore the account would put one job in River's insert batch
// once per account; the registry refuses it instead of letting Postgres
// refuse every periodic insert.
func TestScheduledRefusesCollidingJobs(t *testing.T) {
	t.Parallel()
	stream := jobs.Stream{Name: "test", Periodic: []jobs.Periodic{{
		ID:       "same",
		Schedule: func(config.Schedules, *jobs.Account) string { return "@hourly" },
		Args:     func(string) river.JobArgs { return sameArgs{} },
	}}}
	_, err := jobs.Streams{stream}.Scheduled(depsWith("a"))
	require.NoError(t, err, "one account: one copy")
	_, err = jobs.Streams{stream}.PeriodicJobs(depsWith("a", "b"))
	require.ErrorContains(t, err, "periodic jobs same:a and same:b both insert test_same {}")

	stream.Periodic[0].Shared = true
	scheduled, err := jobs.Streams{stream}.Scheduled(depsWith("a", "b"))
	require.NoError(t, err)
	require.Len(t, scheduled, 1)
	require.Equal(t, "same", scheduled[0].ID)
}

// TestPeriodicJobsAreAFixedList: the River periodic jobs a worker registers
// do not depend on the accounts (the scheduler tick inserts theirs, reading
// them each tick), so three accounts or a thousand, added or removed, give
// the same list: the shared purge and the tick.
func TestPeriodicJobsAreAFixedList(t *testing.T) {
	t.Parallel()
	jobsOf := func(deps *jobs.Deps) int {
		periodic, err := streams.All(nil).PeriodicJobs(deps)
		require.NoError(t, err)
		return len(periodic)
	}
	many := make([]string, 1000)
	for i := range many {
		many[i] = fmt.Sprintf("seller-%04d", i)
	}
	// The purge and the tick.
	require.Equal(t, 2, jobsOf(depsWith()))
	require.Equal(t, 2, jobsOf(depsWith("a", "b", "c")))
	require.Equal(t, 2, jobsOf(depsWith(many...)))

	// The tick follows the shortest per-account schedule an operator set,
	// within a second and a minute.
	tick := func(env map[string]string) time.Duration {
		cfg, err := config.Load(func(k string) string { return env[k] })
		require.NoError(t, err)
		return streams.All(nil).SchedulerTick(cfg.Schedules)
	}
	require.Equal(t, time.Minute, tick(nil))
	require.Equal(t, 2*time.Second, tick(map[string]string{"SPSYNC_SERVICE_JOBS_CRON": "@every 2s"}))
	require.Equal(t, time.Second, tick(map[string]string{"SPSYNC_ORDERS_CRON": "@every 100ms"}))
	require.Equal(t, time.Minute, tick(map[string]string{"SPSYNC_ORDERS_CRON": "@hourly"}))
}
