package streams_test

import (
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
