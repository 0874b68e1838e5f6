package worker

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/servicejobs"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/streams"
)

// TestOnceFailsOnlyForFailures runs `worker run --once` rounds the way a
// cron user does, against a simulator whose data clock moves between them:
// a round whose poll cancels the scheduled refreshes of service jobs that
// closed meanwhile succeeds, and a round with a refresh cancelled for an
// error (Amazon does not know the job) still fails, naming it.
func TestOnceFailsOnlyForFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	b := jobstest.New(t, jobstest.Options{Sim: sim.Options{
		Seed: 7, Start: start, ServiceJobs: 60, Orders: 20, FulfillmentOrders: 5, DataClock: clock, RateScale: 10,
	}})
	acct := b.Sim.Accounts()[0]
	cfg := &config.Config{Accounts: []config.Account{{ID: acct.ID, MarketplaceIDs: acct.MarketplaceIDs}}}
	workers := river.NewWorkers()
	register(workers, b.Deps, streams.All(cfg))
	client := b.StartClient(t, workers, nil)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	refreshes := func(state rivertype.JobState) int {
		res, err := client.JobList(ctx, river.NewJobListParams().Kinds(servicejobs.RefreshArgs{}.Kind()).States(state).First(10_000))
		require.NoError(t, err)
		return len(res.Jobs)
	}

	require.NoError(t, runOnce(ctx, client, b.Pool, streams.All(cfg), []string{acct.ID}, logger, time.Now()), "the first round")
	require.Positive(t, refreshes(rivertype.JobStateScheduled), "open service jobs wait for their refresh")

	// Three days later most of those jobs are done: the round's poll writes
	// them closed and cancels their waiting refreshes, by design.
	clock.Advance(72 * time.Hour)
	require.NoError(t, runOnce(ctx, client, b.Pool, streams.All(cfg), []string{acct.ID}, logger, time.Now()), "refreshes cancelled on purpose are no failure")
	require.Positive(t, refreshes(rivertype.JobStateCancelled), "the round cancelled refreshes of closed jobs")

	// An on-demand refresh of a job Amazon does not know is cancelled by
	// its worker for the 404: a failure, and the round says so.
	started := time.Now()
	_, err := client.Insert(ctx, servicejobs.RefreshArgs{AccountID: acct.ID, ServiceJobID: "no-such-job"}, nil)
	require.NoError(t, err)
	err = runOnce(ctx, client, b.Pool, streams.All(cfg), []string{acct.ID}, logger, started)
	require.Error(t, err)
	require.Contains(t, err.Error(), "once: 1 jobs failed for good")
	require.Contains(t, err.Error(), "service_job_refresh #")
	require.Equal(t, 1, strings.Count(err.Error(), "service_job_refresh #"), "only the failed refresh is named:\n%s", err)
}

// TestCancelledOnPurpose: River's JobCancel API marks a job with
// cancel_attempted_at, whatever errors earlier attempts left; a worker's
// river.JobCancel(err) does not, and a discarded job never is on purpose.
func TestCancelledOnPurpose(t *testing.T) {
	t.Parallel()
	attempted, err := json.Marshal(map[string]any{"cancel_attempted_at": time.Now()})
	require.NoError(t, err)
	earlier := []rivertype.AttemptError{{Attempt: 1, Error: "get service job: 500"}}
	notFound := []rivertype.AttemptError{{Attempt: 1, Error: "get service job x: NotFound"}}
	for _, tt := range []struct {
		name string
		job  rivertype.JobRow
		want bool
	}{
		{"CancelledThroughTheAPIBeforeItRan", rivertype.JobRow{State: rivertype.JobStateCancelled, Metadata: attempted}, true},
		{"CancelledThroughTheAPIAfterAFailedAttempt", rivertype.JobRow{State: rivertype.JobStateCancelled, Metadata: attempted, Errors: earlier}, true},
		{"CancelledByItsWorkerForAnError", rivertype.JobRow{State: rivertype.JobStateCancelled, Metadata: []byte(`{}`), Errors: notFound}, false},
		{"CancelledWithoutMetadata", rivertype.JobRow{State: rivertype.JobStateCancelled}, false},
		{"Discarded", rivertype.JobRow{State: rivertype.JobStateDiscarded, Metadata: attempted, Errors: earlier}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, cancelledOnPurpose(&tt.job))
		})
	}
}
