package riverext_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/schema"
)

// TestSchemaVersion pins this package's SQL to River's schema: spsync
// migrates River to SchemaVersion, and the River module linked has no newer
// migration. Upgrading River to a version with a newer schema fails here:
// check CountQueues, Backlog and Liveness.Rescue against the new river_job,
// then move SchemaVersion and schema.RiverVersion together.
func TestSchemaVersion(t *testing.T) {
	t.Parallel()
	require.Equal(t, schema.RiverVersion, riverext.SchemaVersion, "spsync migrates River to a schema riverext was not written for")
	m, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	require.NoError(t, err)
	all := m.AllVersions()
	require.Equal(t, riverext.SchemaVersion, all[len(all)-1].Version,
		"the linked River ships a newer schema than riverext's SQL was written for")
}

type noArgs struct{ N int }

func (noArgs) Kind() string { return "riverext_test" }

func insertOnly(t *testing.T, pool *pgxpool.Pool) *river.Client[pgx.Tx] {
	t.Helper()
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	return c
}

// TestCountQueuesAndBacklog: jobs are counted per queue and state, and the
// backlog counts what is due now or within the horizon.
func TestCountQueuesAndBacklog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	c := insertOnly(t, pool)

	n, err := riverext.Backlog(ctx, pool, time.Minute)
	require.NoError(t, err)
	require.Zero(t, n)

	_, err = c.Insert(ctx, noArgs{1}, &river.InsertOpts{Queue: "a"})
	require.NoError(t, err)
	_, err = c.Insert(ctx, noArgs{2}, &river.InsertOpts{Queue: "a", ScheduledAt: time.Now().Add(10 * time.Second)})
	require.NoError(t, err)
	_, err = c.Insert(ctx, noArgs{3}, &river.InsertOpts{Queue: "b", ScheduledAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)

	counts, err := riverext.CountQueues(ctx, pool)
	require.NoError(t, err)
	require.Equal(t, []riverext.QueueCount{
		{Queue: "a", Available: 1, Scheduled: 1},
		{Queue: "b", Scheduled: 1},
	}, counts)

	n, err = riverext.Backlog(ctx, pool, time.Minute)
	require.NoError(t, err)
	require.Equal(t, 2, n, "the available job and the one due within the horizon, not the one an hour away")
}

// TestRescueJobsOfDeadWorkers: a running job whose worker holds no liveness
// lock is made available again with the rescue in its errors; one whose
// worker is alive is left running.
func TestRescueJobsOfDeadWorkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	c := insertOnly(t, pool)
	logger := slog.New(slog.DiscardHandler)

	alive, err := riverext.StartLiveness(ctx, pool, logger)
	require.NoError(t, err)
	defer alive.Close()

	dead, err := c.Insert(ctx, noArgs{1}, nil)
	require.NoError(t, err)
	live, err := c.Insert(ctx, noArgs{2}, nil)
	require.NoError(t, err)
	// Both as River leaves a job its worker is running.
	for id, by := range map[int64]string{dead.Job.ID: "spsync_gone_1_deadbeef", live.Job.ID: alive.ID()} {
		_, err := pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now(), attempted_by = ARRAY[$2::text] WHERE id = $1`, id, by)
		require.NoError(t, err)
	}

	rescuer, err := riverext.StartLiveness(ctx, pool, logger)
	require.NoError(t, err)
	defer rescuer.Close()
	// StartLiveness rescues once on start; a second pass finds nothing more.
	n, err := rescuer.Rescue(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	got, err := c.JobGet(ctx, dead.Job.ID)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateAvailable, got.State)
	require.Len(t, got.Errors, 1)
	require.Contains(t, got.Errors[0].Error, "spsync_gone_1_deadbeef died while running this job")
	got, err = c.JobGet(ctx, live.Job.ID)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateRunning, got.State, "a live worker's job is left alone")
}
