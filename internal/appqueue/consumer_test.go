package appqueue

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/devtools/fauxqs"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

var start = time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)

// world is one test's database, SQS server, queues and simulator, whose
// rotations deliver real NEW_SECRET messages to the application queue.
type world struct {
	pool     *pgxpool.Pool
	keys     *secretbox.Keyring
	sqs      *sqs.Client
	queueURL string
	dlqURL   string
	sim      *sim.Sim
	srv      *httptest.Server
	cred     *sim.ManualClock
	acct     sim.Account
}

type worldOptions struct {
	// noSink keeps the simulator's notifications in
	// Sim.ApplicationNotifications instead of sending them.
	noSink bool
	// unknownApp leaves the application out of the database.
	unknownApp bool
}

func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	srv := fauxqs.Start(t)
	w := &world{pool: dbtest.NewPool(t), sqs: fauxqs.Client(t, srv), cred: sim.NewManualClock(start)}
	var queueARN string
	w.queueURL, queueARN = srv.CreateQueue(t, "spsync-application", true, 3)
	out, err := w.sqs.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("spsync-application-dlq")})
	require.NoError(t, err)
	w.dlqURL = aws.ToString(out.QueueUrl)
	key, _, err := secretbox.GenerateKey()
	require.NoError(t, err)
	w.keys = &secretbox.Keyring{Current: key}

	opts := sim.Options{
		Seed: 1, Start: start, Orders: 1, FulfillmentOrders: 1, ServiceJobs: 1, BurstScale: 1000,
		CredentialClock: w.cred, ApplicationQueueARN: queueARN,
	}
	if !o.noSink {
		opts.ApplicationSink = sim.NewSQSSink(w.sqs)
	}
	w.sim = sim.MustNew(opts)
	w.srv = httptest.NewServer(w.sim)
	t.Cleanup(w.srv.Close)
	w.acct = w.sim.Accounts()[0]
	if !o.unknownApp {
		expires := w.sim.ClientSecrets(w.acct.ClientID)[0].Expires
		_, added, err := accounts.AddSecret(context.Background(), w.pool, w.keys, accounts.NewSecret{
			ClientID: w.acct.ClientID, Value: w.acct.ClientSecret, Source: accounts.SourceEnvironment, Expires: &expires, Now: start,
		})
		require.NoError(t, err)
		require.True(t, added)
	}
	return w
}

// rotate asks the simulator for a new secret, as the rotation job does,
// a minute later on the credential clock (a secret made at the same
// instant as the stored one would expire with it: not newer); its
// NEW_SECRET goes to the application queue.
func (w *world) rotate(t *testing.T) {
	t.Helper()
	w.cred.Advance(time.Minute)
	c, err := spapi.NewApplicationClient(spapi.Options{
		Region: spapi.RegionNA, Endpoint: w.srv.URL, LWAEndpoint: w.srv.URL + "/auth/o2/token",
		Credentials: spapi.Credentials{ClientID: w.acct.ClientID, ClientSecret: w.acct.ClientSecret},
	})
	require.NoError(t, err)
	require.NoError(t, c.RotateApplicationClientSecret(context.Background()))
}

// newest is the simulator's newest secret of the application.
func (w *world) newest(t *testing.T) sim.ClientSecret {
	t.Helper()
	s := w.sim.ClientSecrets(w.acct.ClientID)
	return s[len(s)-1]
}

func (w *world) consumer(t *testing.T, edit func(*Config)) *Consumer {
	t.Helper()
	cfg := Config{Pool: w.pool, Keys: w.keys, SQS: w.sqs, QueueURL: w.queueURL, Now: w.cred.Now, VisibilityTimeout: time.Second}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

// run starts c and returns a stop that waits for Run to return.
func run(t *testing.T, c *Consumer) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(30 * time.Second):
				t.Error("consumer did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func (w *world) send(t *testing.T, url string, bodies ...string) {
	t.Helper()
	for i, b := range bodies {
		_, err := w.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)})
		require.NoError(t, err, "message %d", i)
	}
}

// count returns the queue's visible plus in-flight messages.
func (w *world) count(t *testing.T, url string) int {
	t.Helper()
	out, err := w.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	require.NoError(t, err)
	v, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	f, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return v + f
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

func (w *world) secrets(t *testing.T) []*store.ApplicationSecret {
	t.Helper()
	s, err := store.LockSecretsOfApplication(context.Background(), w.pool, w.acct.ClientID)
	require.NoError(t, err)
	return s
}

// notified returns the stored secrets that came from a notification.
func (w *world) notified(t *testing.T) []*store.ApplicationSecret {
	t.Helper()
	var out []*store.ApplicationSecret
	for _, s := range w.secrets(t) {
		if s.NotificationID != nil {
			out = append(out, s)
		}
	}
	return out
}

func (w *world) open(t *testing.T, s *store.ApplicationSecret) string {
	t.Helper()
	v, err := w.keys.Open(accounts.ClientSecretBinding(s.ClientID), s.SecretSealed)
	require.NoError(t, err)
	return v
}

func outcomes(c *Consumer, typ, outcome, source string) int {
	return int(testutil.ToFloat64(c.m.Notifications.WithLabelValues(typ, outcome, source)))
}

// A NEW_SECRET from a real rotation is stored sealed as pending, with both
// expiries, and deleted; an EXPIRY notice records the primary's expiry.
func TestNewSecretAndExpiryAreStored(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	c := w.consumer(t, nil)
	run(t, c)

	w.rotate(t)
	eventually(t, "the NEW_SECRET to be handled", func() bool { return w.count(t, w.queueURL) == 0 && len(w.notified(t)) == 1 })
	got := w.notified(t)[0]
	want := w.newest(t)
	require.Equal(t, store.SecretPending, got.State)
	require.Equal(t, accounts.SourceNotification, got.Source)
	require.NotContains(t, got.SecretSealed, want.Value)
	require.Equal(t, want.Value, w.open(t, got))
	require.WithinDuration(t, want.Expires, *got.ExpiresAt, time.Millisecond)
	require.Equal(t, w.cred.Now(), got.ReceivedAt.UTC())
	old := w.sim.ClientSecrets(w.acct.ClientID)[0]
	for _, s := range w.secrets(t) {
		if s.State == store.SecretPrimary {
			require.WithinDuration(t, old.Expires, *s.ExpiresAt, time.Millisecond, "the old secret ends 7 days after the rotation")
		}
	}
	require.Equal(t, 1, outcomes(c, TypeNewSecret, OutcomeStored, SourceQueue))

	// 90 days before the new secret expires Amazon sends its EXPIRY; the
	// new secret is primary by then (LWA accepted it).
	tx, err := w.pool.Begin(context.Background())
	require.NoError(t, err)
	require.NoError(t, accounts.Promote(context.Background(), tx, w.acct.ClientID, got.ID, w.cred.Now()))
	require.NoError(t, tx.Commit(context.Background()))
	w.cred.Set(want.Expires.Add(-sim.ExpiryNoticeLead))
	require.NoError(t, w.sim.DeliverCredentialNotices(context.Background()))
	eventually(t, "the EXPIRY to be recorded", func() bool { return outcomes(c, TypeSecretExpiry, OutcomeRecorded, SourceQueue) == 1 })
	require.Equal(t, 0, w.count(t, w.queueURL))
	for _, s := range w.secrets(t) {
		if s.State == store.SecretPrimary {
			require.Equal(t, got.ID, s.ID)
			require.WithinDuration(t, want.Expires, *s.ExpiresAt, time.Millisecond)
		}
	}
}

// A worker killed between the commit and the delete: the message comes
// back, and the secret is stored once.
func TestKilledBetweenCommitAndDelete(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	w.rotate(t)
	ctx, kill := context.WithCancel(context.Background())
	defer kill()
	committed := make(chan struct{})
	first := w.consumer(t, func(c *Config) {
		c.afterCommit = func() { kill(); close(committed) }
	})
	require.NoError(t, first.Run(ctx))
	<-committed
	require.Len(t, w.notified(t), 1)
	require.Equal(t, 1, w.count(t, w.queueURL), "the message must still be in the queue")

	second := w.consumer(t, nil)
	run(t, second)
	eventually(t, "the redelivered message to be deleted", func() bool { return w.count(t, w.queueURL) == 0 })
	require.Len(t, w.notified(t), 1, "stored once")
	require.Equal(t, w.newest(t).Value, w.open(t, w.notified(t)[0]))
	require.Equal(t, 1, outcomes(second, TypeNewSecret, OutcomeDuplicate, SourceQueue))
}

// A worker killed before the commit: the transaction rolls back, nothing is
// stored, the message comes back and is stored then.
func TestKilledBeforeCommit(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	w.rotate(t)
	ctx, kill := context.WithCancel(context.Background())
	defer kill()
	first := w.consumer(t, func(c *Config) {
		c.beforeCommit = func(context.Context) error { kill(); return errors.New("killed") }
	})
	require.NoError(t, first.Run(ctx))
	require.Empty(t, w.notified(t), "the rolled-back transaction stored nothing")
	require.Equal(t, 1, w.count(t, w.queueURL))

	second := w.consumer(t, nil)
	run(t, second)
	eventually(t, "the message to be stored", func() bool { return w.count(t, w.queueURL) == 0 })
	require.Len(t, w.notified(t), 1)
	require.Equal(t, w.newest(t).Value, w.open(t, w.notified(t)[0]))
	require.Equal(t, 1, outcomes(second, TypeNewSecret, OutcomeStored, SourceQueue))
}

// A NEW_SECRET for an application spsync does not know is deleted and
// counted, nothing stored.
func TestUnknownClientIsIgnored(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{unknownApp: true})
	c := w.consumer(t, nil)
	run(t, c)
	w.rotate(t)
	eventually(t, "the message to be deleted", func() bool { return w.count(t, w.queueURL) == 0 })
	require.Equal(t, 1, outcomes(c, TypeNewSecret, OutcomeUnknownClient, SourceQueue))
	var n int
	require.NoError(t, w.pool.QueryRow(context.Background(), `SELECT count(*) FROM application_secrets`).Scan(&n))
	require.Zero(t, n)
	require.Zero(t, w.count(t, w.dlqURL))
}

// Two rotations whose NEW_SECRETs arrive newest first: the older one is
// deleted and ignored, the newest stays the pending secret.
func TestOlderNewSecretArrivingLateIsIgnored(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{noSink: true})
	w.rotate(t)
	w.cred.Advance(time.Hour)
	w.rotate(t)
	sent := w.sim.ApplicationNotifications()
	require.Len(t, sent, 2)
	c := w.consumer(t, nil)
	ctx := context.Background()
	for _, n := range []sim.ApplicationNotification{sent[1], sent[0]} {
		handled, err := c.Handle(ctx, string(n.Body))
		require.NoError(t, err)
		require.True(t, handled)
	}
	got := w.notified(t)
	require.Len(t, got, 1)
	require.Equal(t, w.newest(t).Value, w.open(t, got[0]))
	require.Equal(t, 1, outcomes(c, TypeNewSecret, OutcomeOlder, SourceQueue))
}

// Other notification types on a shared queue are not the application
// queue's: Handle says so and the consumer leaves them in the queue.
func TestOtherTypesAreLeft(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	orderChange := `{"NotificationVersion":"1.0","NotificationType":"ORDER_CHANGE","PayloadVersion":"1.0","Payload":{"OrderChangeNotification":{"SellerId":"S","AmazonOrderId":"111-1"}},"NotificationMetadata":{"NotificationId":"o1"}}`
	c := w.consumer(t, nil)
	handled, err := c.Handle(context.Background(), orderChange)
	require.NoError(t, err)
	require.False(t, handled)

	w.send(t, w.queueURL, orderChange)
	w.rotate(t)
	run(t, c)
	eventually(t, "the NEW_SECRET to be stored", func() bool { return len(w.notified(t)) == 1 })
	require.Equal(t, 1, w.count(t, w.queueURL), "the ORDER_CHANGE stays")
}

// A NEW_SECRET that an older worker left for the dead-letter queue is
// recovered (found through the redrive policy), stored once and deleted;
// other dead letters stay.
func TestDeadLetterRecovery(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{noSink: true})
	w.rotate(t)
	body := string(w.sim.ApplicationNotifications()[0].Body)
	w.send(t, w.dlqURL, `{"NotificationType":"ORDER_CHANGE","Payload":{}}`, body, body)

	c := w.consumer(t, nil)
	n, err := c.RecoverDeadLetters(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	got := w.notified(t)
	require.Len(t, got, 1)
	require.Equal(t, accounts.SourceDeadLetter, got[0].Source)
	require.Equal(t, w.newest(t).Value, w.open(t, got[0]))
	require.Equal(t, 1, outcomes(c, TypeNewSecret, OutcomeDuplicate, SourceDeadLetter))
	require.Equal(t, 1, w.count(t, w.dlqURL), "the ORDER_CHANGE stays in the dead-letter queue")

	// Without a redrive policy and none configured there is nothing to do.
	plainURL, _ := fauxqsQueue(t, w, "plain")
	c2 := w.consumer(t, func(c *Config) { c.QueueURL = plainURL })
	n, err = c2.RecoverDeadLetters(context.Background())
	require.NoError(t, err)
	require.Zero(t, n)
}

func fauxqsQueue(t *testing.T, w *world, name string) (string, error) {
	t.Helper()
	out, err := w.sqs.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	require.NoError(t, err)
	return aws.ToString(out.QueueUrl), nil
}
