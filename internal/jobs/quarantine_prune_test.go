package jobs_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// The prune is one periodic job for every account, and only when a
// retention is set: unset, quarantined records are kept as they always were.
func TestQuarantinePruneIsScheduledOnlyWithARetention(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		retention time.Duration
		want      int
	}{
		{"Unset", 0, 0},
		{"Set", 90 * 24 * time.Hour, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			deps := jobs.NewDeps(jobs.Deps{QuarantineRetention: tc.retention, Accounts: map[string]*jobs.Account{
				"a": {Account: config.Account{ID: "a"}}, "b": {Account: config.Account{ID: "b"}},
			}})
			scheduled, err := jobs.Streams{}.Scheduled(deps)
			require.NoError(t, err)
			var prunes []jobs.ScheduledJob
			for _, j := range scheduled {
				if j.Args.Kind() == "quarantine_prune" {
					prunes = append(prunes, j)
				}
			}
			require.Len(t, prunes, tc.want)
			if tc.want == 0 {
				return
			}
			require.Equal(t, "quarantine_prune", prunes[0].ID, "one job, not one per account")
			sched, err := jobs.CronSchedule(prunes[0].Schedule)
			require.NoError(t, err)
			at := time.Date(2026, 12, 7, 10, 50, 0, 0, time.UTC)
			for _, want := range []string{"11:47", "12:47"} {
				at = sched.Next(at)
				require.Equal(t, want, at.Format("15:04"), "hourly")
			}
			_, err = jobs.Streams{}.PeriodicJobs(deps)
			require.NoError(t, err)
		})
	}
}

// The prune job deletes the records no answer held for the retention and
// reports the count; with no retention (a job left queued after it was
// unset) it deletes nothing.
func TestQuarantinePruneWorker(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		retention time.Duration
		wantLeft  []string
	}{
		{"ThirtyDays", 30 * 24 * time.Hour, []string{"fresh"}},
		{"Unset", 0, []string{"fresh", "stale"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := dbtest.NewPool(t)
			require.NoError(t, store.QuarantineRecords(ctx, pool, "a", []spapi.Quarantined{
				{Op: spapi.OpGetOrders, Reason: "missing AmazonOrderId", Raw: json.RawMessage(`{"n":"stale"}`)},
				{Op: spapi.OpGetOrders, Reason: "missing AmazonOrderId", Raw: json.RawMessage(`{"n":"fresh"}`)},
			}))
			_, err := pool.Exec(ctx, `UPDATE quarantined_records SET first_seen_at = now() - interval '40 days', last_seen_at = now() - interval '40 days' WHERE raw->>'n' = 'stale'`)
			require.NoError(t, err)

			var (
				mu     sync.Mutex
				pruned []int64
			)
			deps := jobs.NewDeps(jobs.Deps{Pool: pool, QuarantineRetention: tc.retention, OnQuarantinePruned: func(n int64) {
				mu.Lock()
				defer mu.Unlock()
				pruned = append(pruned, n)
			}})
			workers := river.NewWorkers()
			jobs.Streams{}.Register(workers, deps)
			client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
				Queues: jobs.QueueConfig(), Workers: workers, FetchCooldown: 10 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond, TestOnly: true,
			})
			require.NoError(t, err)
			done, cancelSub := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
			defer cancelSub()
			require.NoError(t, client.Start(ctx))
			t.Cleanup(func() {
				stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = client.StopAndCancel(stopCtx)
			})
			_, err = client.Insert(ctx, jobs.QuarantinePruneArgs{}, nil)
			require.NoError(t, err)
			select {
			case ev := <-done:
				require.Equal(t, river.EventKindJobCompleted, ev.Kind, "the prune failed: %v", ev.Job.Errors)
			case <-time.After(30 * time.Second):
				t.Fatal("the prune did not run")
			}

			rows, err := pool.Query(ctx, `SELECT raw->>'n' FROM quarantined_records ORDER BY 1`)
			require.NoError(t, err)
			var left []string
			for rows.Next() {
				var n string
				require.NoError(t, rows.Scan(&n))
				left = append(left, n)
			}
			require.NoError(t, rows.Err())
			require.Equal(t, tc.wantLeft, left)
			mu.Lock()
			defer mu.Unlock()
			require.Equal(t, []int64{int64(2 - len(tc.wantLeft))}, pruned)
		})
	}
}
