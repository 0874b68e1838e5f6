package jobs_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs"
)

type tickArgs struct{}

func (tickArgs) Kind() string { return "test_tick" }

func (tickArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueuePoll} }

type tickWorker struct {
	river.WorkerDefaults[tickArgs]
	runs *atomic.Int64
}

func (w *tickWorker) Work(ctx context.Context, job *river.Job[tickArgs]) error {
	w.runs.Add(1)
	return nil
}

func TestCronSchedule(t *testing.T) {
	t.Parallel()

	t.Run("NextFollowsTheExpression", func(t *testing.T) {
		t.Parallel()
		sched, err := jobs.CronSchedule("*/15 * * * *")
		require.NoError(t, err)
		from := time.Date(2026, 11, 23, 10, 7, 30, 0, time.UTC)
		require.Equal(t, time.Date(2026, 11, 23, 10, 15, 0, 0, time.UTC), sched.Next(from))
	})

	t.Run("RejectsGarbage", func(t *testing.T) {
		t.Parallel()
		_, err := jobs.CronSchedule("every fifteen minutes")
		require.ErrorContains(t, err, "every fifteen minutes")
	})
}

// A cron-scheduled periodic job runs through a real River client against the
// real database: on start, then again on every tick of the schedule.
func TestCronPeriodicJobRunsThroughRiver(t *testing.T) {
	t.Parallel()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	pool := dbtest.NewPool(t)
	runs := &atomic.Int64{}
	workers := river.NewWorkers()
	river.AddWorker(workers, &tickWorker{runs: runs})

	pj, err := jobs.NewCronJob("tick", "@every 1s", func() (river.JobArgs, *river.InsertOpts) { return tickArgs{}, nil })
	require.NoError(t, err)

	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:       jobs.QueueConfig(),
		Workers:      workers,
		PeriodicJobs: []*river.PeriodicJob{pj},
		TestOnly:     true,
	})
	require.NoError(t, err)

	completed, cancelSub := client.Subscribe(river.EventKindJobCompleted)
	defer cancelSub()
	require.NoError(t, client.Start(ctx))
	defer func() { require.NoError(t, client.Stop(context.Background())) }()

	// The first run comes from RunOnStart, the next ones from the schedule.
	for i := 0; i < 3; i++ {
		select {
		case ev := <-completed:
			require.Equal(t, "test_tick", ev.Job.Kind)
			require.Equal(t, jobs.QueuePoll, ev.Job.Queue)
		case <-ctx.Done():
			t.Fatalf("only %d periodic runs completed before timeout", i)
		}
	}
	require.GreaterOrEqual(t, runs.Load(), int64(3))

	var stored int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'test_tick' AND state = 'completed'`).Scan(&stored))
	require.GreaterOrEqual(t, stored, 3)
}
