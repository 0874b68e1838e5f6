package rotation_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/appqueue"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/rotation"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/store"
)

const appQueueARN = "arn:aws:sqs:us-east-1:000000000000:spsync-application"

var start = time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)

// logBuffer is a log sink safe for the workers' goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// world is a simulator whose credential clock the test moves, with the
// application's secret stored, River running the rotation workers, and
// NEW_SECRETs stored as the application queue's consumer stores them.
type world struct {
	b      *jobstest.Bundle
	cred   *sim.ManualClock
	keys   *secretbox.Keyring
	deps   *rotation.Deps
	client *river.Client[pgx.Tx]
	logs   *logBuffer
	acct   sim.Account
	// expires is the stored primary secret's expiry.
	expires time.Time
}

func newWorld(t *testing.T, enrolled bool) *world {
	t.Helper()
	w := &world{cred: sim.NewManualClock(start), logs: &logBuffer{}}
	so := sim.Options{Seed: 1, Start: start, Orders: 1, FulfillmentOrders: 1, ServiceJobs: 1, BurstScale: 1000, CredentialClock: w.cred}
	if enrolled {
		so.ApplicationQueueARN = appQueueARN
	}
	w.b = jobstest.New(t, jobstest.Options{Sim: so})
	key, _, err := secretbox.GenerateKey()
	require.NoError(t, err)
	w.keys = &secretbox.Keyring{Current: key}
	w.acct = w.b.Sim.Accounts()[0]
	w.expires = w.b.Sim.ClientSecrets(w.acct.ClientID)[0].Expires
	_, _, err = accounts.AddSecret(context.Background(), w.b.Pool, w.keys, accounts.NewSecret{
		ClientID: w.acct.ClientID, Value: w.acct.ClientSecret, Source: accounts.SourceEnvironment, Expires: &w.expires, Now: start,
	})
	require.NoError(t, err)

	logger := slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w.deps = rotation.NewDeps(rotation.Deps{
		Pool: w.b.Pool, Keys: w.keys, Budget: w.b.Deps.Budget, RotateBefore: 720 * time.Hour, Auto: true,
		Now: w.cred.Now, Logger: logger, Endpoint: w.b.Server.URL, LWAEndpoint: w.b.Server.URL + "/auth/o2/token",
		QueueURL: "https://sqs.us-east-1.amazonaws.com/000000000000/spsync-application",
	})
	workers := river.NewWorkers()
	rotation.Register(workers, w.deps)
	w.client = w.b.StartClient(t, workers, nil)
	return w
}

// check runs the periodic check (and the rotations it inserts).
func (w *world) check(t *testing.T) {
	t.Helper()
	_, err := w.client.Insert(context.Background(), rotation.CheckArgs{}, nil)
	require.NoError(t, err)
	w.b.RunUntilIdle(t, 30*time.Second)
}

func (w *world) operatorRotate(t *testing.T) {
	t.Helper()
	_, err := w.client.Insert(context.Background(), rotation.RotateArgs{ClientID: w.acct.ClientID, Operator: true}, nil)
	require.NoError(t, err)
	w.b.RunUntilIdle(t, 30*time.Second)
}

func (w *world) app(t *testing.T) *store.Application {
	t.Helper()
	apps, err := store.ListApplications(context.Background(), w.b.Pool)
	require.NoError(t, err)
	require.Len(t, apps, 1)
	return apps[0]
}

func (w *world) rotations() int { return w.b.Sim.CredentialStats().Rotations }

// deliver stores the last NEW_SECRET the simulator sent, as the
// application queue's consumer does.
func (w *world) deliver(t *testing.T) {
	t.Helper()
	sent := w.b.Sim.ApplicationNotifications()
	require.NotEmpty(t, sent)
	n, mine, err := appqueue.Parse(sent[len(sent)-1].Body)
	require.NoError(t, err)
	require.True(t, mine)
	tx, err := w.b.Pool.Begin(context.Background())
	require.NoError(t, err)
	defer tx.Rollback(context.Background()) //nolint:errcheck
	got, err := accounts.StoreNewSecret(context.Background(), tx, w.keys, accounts.NewSecretNotice{
		ClientID: n.ClientID, NewSecret: n.NewSecret.Reveal(), NewExpiry: n.NewExpiry, OldExpiry: n.OldExpiry,
		NotificationID: n.NotificationID, Now: w.cred.Now(),
	})
	require.NoError(t, err)
	require.Equal(t, accounts.NoticeStored, got)
	require.NoError(t, tx.Commit(context.Background()))
}

// requireNoSecrets checks that no client secret the simulator knows
// appears in the logs or in any job row.
func (w *world) requireNoSecrets(t *testing.T) {
	t.Helper()
	var rows strings.Builder
	r, err := w.b.Pool.Query(context.Background(), `SELECT args::text, coalesce(errors::text, '') FROM river_job`)
	require.NoError(t, err)
	for r.Next() {
		var a, e string
		require.NoError(t, r.Scan(&a, &e))
		rows.WriteString(a + e)
	}
	require.NoError(t, r.Err())
	logs := w.logs.String()
	for _, s := range w.b.Sim.ClientSecrets(w.acct.ClientID) {
		require.NotContains(t, logs, s.Value)
		require.NotContains(t, rows.String(), s.Value)
	}
}

// A secret far from its expiry is left alone; 29 days before it, one
// rotation happens, however many checks run; the NEW_SECRET stops further
// rotations while it waits for LWA.
func TestRotatesOnceWhenTheExpiryNears(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.check(t)
	require.Zero(t, w.rotations())

	w.cred.Set(w.expires.Add(-29 * 24 * time.Hour))
	w.check(t)
	w.check(t)
	require.Equal(t, 1, w.rotations())
	app := w.app(t)
	require.EqualValues(t, 1, app.RotationAttempts)
	require.Equal(t, w.cred.Now(), app.RotationRequestedAt.UTC())

	w.deliver(t)
	require.Zero(t, w.app(t).RotationAttempts, "a stored NEW_SECRET resets the attempts")
	w.cred.Advance(2 * time.Hour)
	w.check(t)
	require.Equal(t, 1, w.rotations(), "the pending secret waits for LWA: no second rotation")

	var budgets int
	require.NoError(t, w.b.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM rate_budgets WHERE account_id = $1 AND operation = 'rotateApplicationClientSecret'`,
		"application:"+w.acct.ClientID).Scan(&budgets))
	require.Equal(t, 1, budgets, "rotations take tokens of the application's own bucket")
	w.requireNoSecrets(t)
}

// NEW_SECRETs that never arrive (a queue spsync does not read): a second
// rotation an hour after the first, then the loud give-up, no third; an
// operator's rotation starts again.
func TestGivesUpAfterTwoRotationsWithoutANewSecret(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.b.Sim.DropNextNewSecrets(10)
	w.cred.Set(w.expires.Add(-20 * 24 * time.Hour))
	w.check(t)
	require.Equal(t, 1, w.rotations())

	w.cred.Advance(59 * time.Minute)
	w.check(t)
	require.Equal(t, 1, w.rotations(), "within the hour spsync waits for the NEW_SECRET")

	w.cred.Advance(2 * time.Minute)
	w.check(t)
	require.Equal(t, 2, w.rotations())
	require.EqualValues(t, 2, w.app(t).RotationAttempts)

	w.cred.Advance(61 * time.Minute)
	w.check(t)
	require.Equal(t, 2, w.rotations())
	app := w.app(t)
	require.NotNil(t, app.RotationGaveUpAt)
	require.Equal(t, rotation.GaveUpRemedy, *app.LastRotationError)
	require.Contains(t, w.logs.String(), "level=ERROR")
	require.Contains(t, w.logs.String(), "may not be the one registered in the Developer Console")

	w.cred.Advance(5 * time.Hour)
	w.check(t)
	require.Equal(t, 2, w.rotations(), "no third rotation")

	w.operatorRotate(t)
	require.Equal(t, 3, w.rotations())
	app = w.app(t)
	require.Nil(t, app.RotationGaveUpAt)
	require.EqualValues(t, 1, app.RotationAttempts)
	w.requireNoSecrets(t)
}

// Without a queue registered Amazon answers "not enrolled": recorded with
// the Developer Console setting, the job cancelled, no retry loop.
func TestNotEnrolledIsRecordedAndNotRetried(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	w.cred.Set(w.expires.Add(-10 * 24 * time.Hour))
	w.check(t)
	app := w.app(t)
	require.NotNil(t, app.NotEnrolledAt)
	require.Contains(t, *app.LastRotationError, "Notification preferences")
	res, err := w.client.JobList(context.Background(), river.NewJobListParams().Kinds(rotation.RotateArgs{}.Kind()).First(10))
	require.NoError(t, err)
	require.Len(t, res.Jobs, 1)
	require.Equal(t, rivertype.JobStateCancelled, res.Jobs[0].State)

	w.cred.Advance(2 * time.Hour)
	w.check(t)
	res, err = w.client.JobList(context.Background(), river.NewJobListParams().Kinds(rotation.RotateArgs{}.Kind()).First(10))
	require.NoError(t, err)
	require.Len(t, res.Jobs, 1, "no second rotation job")
	require.Zero(t, w.rotations())
	w.requireNoSecrets(t)
}

// The first NEW_SECRET is lost: an hour later spsync rotates again, the
// second arrives, and rotation stops there.
func TestRotatesAgainWhenTheNewSecretIsLost(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.b.Sim.DropNextNewSecrets(1)
	w.cred.Set(w.expires.Add(-25 * 24 * time.Hour))
	w.check(t)
	require.Equal(t, 1, w.rotations())
	require.Equal(t, 1, w.b.Sim.CredentialStats().Dropped)

	w.cred.Advance(retryAfterPlus)
	w.check(t)
	require.Equal(t, 2, w.rotations())
	w.deliver(t)
	app := w.app(t)
	require.Zero(t, app.RotationAttempts)
	require.Nil(t, app.RotationGaveUpAt)

	w.cred.Advance(3 * time.Hour)
	w.check(t)
	require.Equal(t, 2, w.rotations(), "the new secret is pending: no third rotation")
	w.requireNoSecrets(t)
}

// retryAfterPlus is just past the wait for a rotation's NEW_SECRET.
const retryAfterPlus = rotation.RetryAfter + time.Minute
