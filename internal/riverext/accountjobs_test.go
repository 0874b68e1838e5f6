package riverext_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/riverext"
)

type accountJobArgs struct {
	AccountID string `json:"account_id"`
}

func (accountJobArgs) Kind() string { return "riverext_account_job" }

// snoozingWorker signals when it runs and snoozes once released: a job
// that was waiting for its seller's token when the account stopped.
type snoozingWorker struct {
	river.WorkerDefaults[accountJobArgs]
	running chan struct{}
	release chan struct{}
}

func (w *snoozingWorker) Work(ctx context.Context, _ *river.Job[accountJobArgs]) error {
	w.running <- struct{}{}
	<-w.release
	return river.JobSnooze(time.Hour)
}

// A job running when its account's jobs are cancelled, which then
// snoozes (a budget wait), is cancelled instead of left scheduled; once
// the account's jobs are retried, the same job snoozes as any job does.
func TestCancelAccountJobsStopsARunningJobThatSnoozes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	w := &snoozingWorker{running: make(chan struct{}, 1), release: make(chan struct{})}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}}, Workers: workers,
		FetchCooldown: 10 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond, TestOnly: true,
	})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { _ = client.StopAndCancel(context.Background()) })
	events, cancelSub := client.Subscribe(river.EventKindJobCancelled, river.EventKindJobSnoozed)
	defer cancelSub()

	res, err := client.Insert(ctx, accountJobArgs{AccountID: "seller-a"}, nil)
	require.NoError(t, err)
	<-w.running
	n, err := riverext.CancelAccountJobs(ctx, pool, "seller-a", "account seller-a paused")
	require.NoError(t, err)
	require.Zero(t, n, "nothing waited: the one job runs")
	w.release <- struct{}{}
	ev := <-events
	require.Equal(t, river.EventKindJobCancelled, ev.Kind, "the snooze became a cancel")
	require.Equal(t, rivertype.JobStateCancelled, ev.Job.State)

	// Resumed: the job runs again and its snooze is a snooze.
	_, err = pool.Exec(ctx, `UPDATE river_job SET errors = array_append(errors, jsonb_build_object('error', 'account seller-a paused')) WHERE id = $1`, res.Job.ID)
	require.NoError(t, err)
	n, err = riverext.RetryAccountJobs(ctx, pool, "seller-a", "account seller-a paused")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	<-w.running
	w.release <- struct{}{}
	ev = <-events
	require.Equal(t, river.EventKindJobSnoozed, ev.Kind, "the mark is gone with the retry")
}

// A cancelled unique job whose key another job of the account took and
// completed meanwhile (a follow-up inserted again while the account
// stopped) stays cancelled: River's unique index counts completed jobs,
// and retrying it would violate it.
func TestRetryAccountJobsLeavesAKeyCompletedMeanwhile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{TestOnly: true})
	require.NoError(t, err)
	unique := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
	const reason = "account seller-a needs re-authorization"

	first, err := client.Insert(ctx, accountJobArgs{AccountID: "seller-a"}, unique)
	require.NoError(t, err)
	n, err := riverext.CancelAccountJobs(ctx, pool, "seller-a", reason)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	second, err := client.Insert(ctx, accountJobArgs{AccountID: "seller-a"}, unique)
	require.NoError(t, err)
	require.NotEqual(t, first.Job.ID, second.Job.ID, "the cancelled job no longer holds the key")
	_, err = pool.Exec(ctx, `UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id = $1`, second.Job.ID)
	require.NoError(t, err)

	n, err = riverext.RetryAccountJobs(ctx, pool, "seller-a", reason)
	require.NoError(t, err)
	require.Zero(t, n)
	var state string
	require.NoError(t, pool.QueryRow(ctx, `SELECT state FROM river_job WHERE id = $1`, first.Job.ID).Scan(&state))
	require.Equal(t, "cancelled", state)
}
