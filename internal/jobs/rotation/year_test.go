package rotation_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/appqueue"
	"github.com/spsync/spsync/internal/devtools/fauxqs"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/rotation"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/store"
)

// TestFourHundredDaysOfRotations lives 400 days of one application's
// credentials on an accelerated credential clock, through a real
// SQS-protocol queue: the secret's expiry is learnt from Amazon's EXPIRY
// notice, two rotations happen with no person involved, each NEW_SECRET
// is stored and (as the accounts registry does once LWA accepts it)
// promoted, and no expired secret is ever used.
func TestFourHundredDaysOfRotations(t *testing.T) {
	t.Parallel()
	srv := fauxqs.Start(t)
	sqsClient := fauxqs.Client(t, srv)
	queueURL, queueARN := srv.CreateQueue(t, "spsync-application", true, 3)

	cred := sim.NewManualClock(start)
	b := jobstest.New(t, jobstest.Options{Sim: sim.Options{
		Seed: 1, Start: start, Orders: 1, FulfillmentOrders: 1, ServiceJobs: 1, BurstScale: 1000,
		CredentialClock: cred, ApplicationQueueARN: queueARN, ApplicationSink: sim.NewSQSSink(sqsClient),
	}})
	key, _, err := secretbox.GenerateKey()
	require.NoError(t, err)
	keys := &secretbox.Keyring{Current: key}
	acct := b.Sim.Accounts()[0]
	ctx := context.Background()
	// Declared without an expiry: Amazon's EXPIRY notice tells it.
	_, _, err = accounts.AddSecret(ctx, b.Pool, keys, accounts.NewSecret{
		ClientID: acct.ClientID, Value: acct.ClientSecret, Source: accounts.SourceEnvironment, Now: start,
	})
	require.NoError(t, err)

	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	consumer, err := appqueue.New(appqueue.Config{Pool: b.Pool, Keys: keys, SQS: sqsClient, QueueURL: queueURL, Now: cred.Now, Logger: logger})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- consumer.Run(runCtx) }()
	t.Cleanup(func() { stop(); require.NoError(t, <-done) })

	d := rotation.NewDeps(rotation.Deps{
		Pool: b.Pool, Keys: keys, Budget: b.Deps.Budget, RotateBefore: 720 * time.Hour, Auto: true, Now: cred.Now,
		Logger: logger, Endpoint: b.Server.URL, LWAEndpoint: b.Server.URL + "/auth/o2/token",
	})
	workers := river.NewWorkers()
	rotation.Register(workers, d)
	client := b.StartClient(t, workers, nil)

	stored := func() int {
		var n int
		require.NoError(t, b.Pool.QueryRow(ctx, `SELECT count(*) FROM application_secrets WHERE notification_id IS NOT NULL`).Scan(&n))
		return n
	}
	expiryKnown := func() bool {
		var n int
		require.NoError(t, b.Pool.QueryRow(ctx, `SELECT count(*) FROM application_secrets WHERE expires_at IS NOT NULL`).Scan(&n))
		return n > 0
	}
	// settle plays the accounts registry: a pending secret past LWA's
	// propagation becomes primary, expired ones retire.
	settle := func(now time.Time) {
		tx, err := b.Pool.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx) //nolint:errcheck
		// The application first, as every writer locks.
		_, err = store.LockApplication(ctx, tx, acct.ClientID)
		require.NoError(t, err)
		secrets, err := store.LockSecretsOfApplication(ctx, tx, acct.ClientID)
		require.NoError(t, err)
		for _, s := range secrets {
			if s.State == store.SecretPending && !now.Before(s.ReceivedAt.Add(sim.NewSecretPropagation)) {
				require.NoError(t, accounts.Promote(ctx, tx, acct.ClientID, s.ID, now))
			}
		}
		_, err = accounts.RetireExpired(ctx, tx, acct.ClientID, now)
		require.NoError(t, err)
		require.NoError(t, tx.Commit(ctx))
	}

	const step = 24 * time.Hour
	for now := start; now.Before(start.Add(400 * 24 * time.Hour)); now = cred.Advance(step) {
		require.NoError(t, b.Sim.DeliverCredentialNotices(ctx))
		st := b.Sim.CredentialStats()
		stepStarted := time.Now()
		eventually(t, "the notifications to be handled", func() bool {
			ok := stored() == st.NewSecretsSent && (st.ExpiriesSent == 0 || expiryKnown())
			if !ok && time.Since(stepStarted) > 25*time.Second {
				t.Logf("day %.1f: stats %+v, stored %d, logs:\n%s", now.Sub(start).Hours()/24, st, stored(), logs.String())
				stepStarted = time.Now()
			}
			return ok
		})
		settle(now)
		// The check's decision, run inline (the other tests run it as
		// its River job): River only runs the rotations.
		due, err := d.Due(ctx)
		require.NoError(t, err)
		for _, id := range due {
			_, err := client.Insert(ctx, rotation.RotateArgs{ClientID: id}, nil)
			require.NoError(t, err)
		}
		if len(due) > 0 {
			b.RunUntilIdle(t, 30*time.Second)
		}
	}

	st := b.Sim.CredentialStats()
	require.Equal(t, 2, st.Rotations, "exactly two rotations in 400 days")
	require.Equal(t, 2, st.NewSecretsSent)
	require.Zero(t, st.RefusedExpiredSecret, "no expired secret used")
	require.Equal(t, 2, stored())
	settle(cred.Now())
	var primary *store.ApplicationSecret
	secrets, err := store.LockSecretsOfApplication(ctx, b.Pool, acct.ClientID)
	require.NoError(t, err)
	for _, s := range secrets {
		if s.State == store.SecretPrimary {
			primary = s
		}
	}
	require.NotNil(t, primary)
	simSecrets := b.Sim.ClientSecrets(acct.ClientID)
	newest := simSecrets[len(simSecrets)-1]
	got, err := keys.Open(accounts.ClientSecretBinding(acct.ClientID), primary.SecretSealed)
	require.NoError(t, err)
	require.Equal(t, newest.Value, got)
	require.WithinDuration(t, newest.Expires, *primary.ExpiresAt, time.Millisecond)
	app, err := store.ListApplications(ctx, b.Pool)
	require.NoError(t, err)
	require.Nil(t, app[0].RotationGaveUpAt)
	for _, s := range simSecrets {
		require.NotContains(t, logs.String(), s.Value)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
