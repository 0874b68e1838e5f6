package riverext_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/riverext"
)

type uniqueArgs struct{}

func (uniqueArgs) Kind() string { return "riverext_unique" }

func (uniqueArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// TestWatchPeriodicInserts makes River's periodic enqueuer fail as it did
// with one unique job registered per account (two identical unique jobs in
// its one insert statement) and checks that the failure reaches the
// callback while the record still reaches the log. It pins the watch to the
// River version linked: a renamed message fails here.
func TestWatchPeriodicInserts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var (
		mu       sync.Mutex
		failures []riverext.PeriodicFailure
		logged   bytes.Buffer
	)
	failed := make(chan struct{}, 1)
	base := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	logger := riverext.WatchPeriodicInserts(base, func(f riverext.PeriodicFailure) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, f)
		select {
		case failed <- struct{}{}:
		default:
		}
	})

	never, err := cronNever()
	require.NoError(t, err)
	periodic := make([]*river.PeriodicJob, 2)
	for i := range periodic {
		periodic[i] = river.NewPeriodicJob(never, func() (river.JobArgs, *river.InsertOpts) { return uniqueArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true})
	}
	workers := river.NewWorkers()
	river.AddWorkerSafely(workers, river.WorkFunc(func(context.Context, *river.Job[uniqueArgs]) error { return nil }))
	client, err := river.NewClient(riverpgxv5.New(dbtest.NewPool(t)), &river.Config{
		Logger:       logger,
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
		Workers:      workers,
		PeriodicJobs: periodic,
	})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))

	select {
	case <-failed:
	case <-ctx.Done():
		t.Fatal("River's periodic insert failure never reached the watch")
	}
	// Stopped, River writes no more: the log can be read.
	require.NoError(t, client.Stop(context.Background()))
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, "Error inserting periodic jobs", failures[0].What)
	require.Contains(t, failures[0].Err, "21000", "Postgres' cardinality violation")
	require.Contains(t, logged.String(), "Error inserting periodic jobs", "the record still reaches the log")
}

// cronNever is a schedule whose next run is a year away.
func cronNever() (river.PeriodicSchedule, error) {
	return river.PeriodicInterval(365 * 24 * time.Hour), nil
}
