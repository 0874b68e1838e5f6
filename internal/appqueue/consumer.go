package appqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/secretbox"
)

// Config configures New.
type Config struct {
	Pool *pgxpool.Pool
	// Keys seal the new secrets.
	Keys *secretbox.Keyring
	SQS  *sqs.Client
	// QueueURL is the application queue (SPSYNC_APP_SQS_QUEUE_URL).
	QueueURL string
	// DeadLetterURL is its dead-letter queue; empty: read from the
	// queue's RedrivePolicy.
	DeadLetterURL string
	// SharedWithPush is set when the application queue is the push queue
	// and the push consumer hands its application notifications to
	// Handle: Run then only recovers dead letters.
	SharedWithPush bool
	// Now is the credential clock (received_at of the stored secrets).
	// Defaults to time.Now.
	Now func() time.Time
	// Logger defaults to one that drops everything.
	Logger *slog.Logger
	// Metrics defaults to unregistered series.
	Metrics *Metrics
	// VisibilityTimeout hides a received message while it is handled.
	// Default 60s; whole seconds.
	VisibilityTimeout time.Duration
	// DeadLetterEvery is how often Run looks in the dead-letter queue
	// (and once at start). Default 10 minutes.
	DeadLetterEvery time.Duration

	// Test hooks: beforeCommit runs last in a notification's transaction
	// (an error rolls it back), afterCommit right after the commit, before
	// the message is deleted.
	beforeCommit func(ctx context.Context) error
	afterCommit  func()
}

// Consumer reads the application queue.
type Consumer struct {
	cfg Config
	log *slog.Logger
	m   *Metrics

	dlqMu sync.Mutex
	dlq   string // resolved dead-letter queue URL, "" until found
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Consumer, error) {
	switch {
	case cfg.Pool == nil:
		return nil, errors.New("application queue: no database pool")
	case cfg.Keys == nil:
		return nil, errors.New("application queue: no secret key (SPSYNC_SECRET_KEY): a new client secret could not be stored")
	case cfg.SQS == nil:
		return nil, errors.New("application queue: no SQS client")
	case cfg.QueueURL == "":
		return nil, errors.New("application queue: no queue URL")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.VisibilityTimeout < time.Second {
		cfg.VisibilityTimeout = 60 * time.Second
	}
	if cfg.DeadLetterEvery <= 0 {
		cfg.DeadLetterEvery = 10 * time.Minute
	}
	return &Consumer{cfg: cfg, log: cfg.Logger.With("component", "appqueue"), m: cfg.Metrics, dlq: cfg.DeadLetterURL}, nil
}

// Run long-polls the application queue until ctx ends (then it returns
// nil), and looks in the dead-letter queue at start and every
// DeadLetterEvery. Failures are logged and retried after a pause.
func (c *Consumer) Run(ctx context.Context) error {
	c.recover(ctx)
	nextDLQ := time.Now().Add(c.cfg.DeadLetterEvery)
	backoff := time.Second
	for ctx.Err() == nil {
		if !time.Now().Before(nextDLQ) {
			c.recover(ctx)
			nextDLQ = time.Now().Add(c.cfg.DeadLetterEvery)
		}
		if c.cfg.SharedWithPush {
			select {
			case <-ctx.Done():
			case <-time.After(time.Until(nextDLQ)):
			}
			continue
		}
		err := c.receiveOnce(ctx)
		if err == nil {
			backoff = time.Second
			continue
		}
		if ctx.Err() != nil {
			break
		}
		c.log.Warn("application queue: receive failed; retrying", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
	return nil
}

func (c *Consumer) recover(ctx context.Context) {
	n, err := c.RecoverDeadLetters(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		c.log.Warn("application queue: dead-letter recovery failed", "err", err)
	case n > 0:
		c.log.Warn("application queue: recovered client secrets from the dead-letter queue (a worker that did not know them left them there)", "recovered", n)
	}
}

// receiveOnce receives one batch and handles each message: an application
// notification is deleted once handled, anything else is left alone.
func (c *Consumer) receiveOnce(ctx context.Context) error {
	wait := int32(20)
	if c.cfg.DeadLetterEvery < 20*time.Second {
		wait = int32(max(c.cfg.DeadLetterEvery/time.Second, 1))
	}
	out, err := c.cfg.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(c.cfg.QueueURL),
		MaxNumberOfMessages: 10,
		WaitTimeSeconds:     wait,
		VisibilityTimeout:   int32(c.cfg.VisibilityTimeout / time.Second),
	})
	if err != nil {
		return fmt.Errorf("receive from the application queue: %w", err)
	}
	var errs []error
	for _, m := range out.Messages {
		res, err := c.handle(ctx, []byte(aws.ToString(m.Body)), SourceQueue)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if res.handled {
			c.deleteMessage(ctx, c.cfg.QueueURL, m, res.typ, SourceQueue)
		}
	}
	return errors.Join(errs...)
}

// Handle handles one message body of a queue that carries application
// notifications, in its own transaction. handled is false when body is not
// an application notification (the caller deals with it, or leaves it);
// when handled is true and err is nil the notification is committed or
// ignored, and the caller deletes the message. When err is set, the caller
// leaves the message: it comes back (or reaches the redrive policy).
//
// The push consumer calls it for messages it does not know when the
// application queue is the push queue.
func (c *Consumer) Handle(ctx context.Context, body string) (handled bool, err error) {
	res, err := c.handle(ctx, []byte(body), SourceQueue)
	return res.handled, err
}

// result is what handle did with a message.
type result struct {
	handled bool
	typ     string
	outcome string
}

// handle is Handle for a message of source.
func (c *Consumer) handle(ctx context.Context, body []byte, source string) (result, error) {
	n, mine, err := Parse(body)
	if !mine {
		return result{}, nil
	}
	res := result{handled: true, typ: n.Type}
	if err != nil {
		res.outcome = OutcomeMalformed
		c.count(n.Type, res.outcome, source)
		c.log.Warn("application queue: unreadable notification left for the redrive policy", "type", n.Type, "source", source)
		return res, err
	}
	outcome, err := c.store(ctx, n, source)
	if err != nil {
		res.outcome = OutcomeFailed
		c.count(n.Type, res.outcome, source)
		return res, fmt.Errorf("%s %s of %s: %w", n.Type, n.NotificationID, n.ClientID, err)
	}
	res.outcome = outcome
	c.count(n.Type, outcome, source)
	log := c.log.With("type", n.Type, "client_id", n.ClientID, "notification_id", n.NotificationID, "source", source)
	switch outcome {
	case OutcomeStored:
		log.Info("new LWA client secret stored; it becomes primary once LWA accepts it",
			"expires_at", n.NewExpiry.UTC(), "old_expires_at", n.OldExpiry.UTC())
	case OutcomeRecorded:
		log.Info("LWA client secret expiry recorded", "expires_at", n.Expiry.UTC())
	case OutcomeUnknownClient:
		log.Warn("application notification for an application spsync does not know: ignored")
	case OutcomeOlder:
		log.Warn("NEW_SECRET older than a stored secret (a late message): ignored", "expires_at", n.NewExpiry.UTC())
	default:
		log.Info("application notification already stored: deleted")
	}
	return res, nil
}

// store applies n in one transaction.
func (c *Consumer) store(ctx context.Context, n Notice, source string) (string, error) {
	tx, err := c.cfg.Pool.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op
	var outcome string
	if n.Type == TypeNewSecret {
		got, err := accounts.StoreNewSecret(ctx, tx, c.cfg.Keys, accounts.NewSecretNotice{
			ClientID: n.ClientID, NewSecret: n.NewSecret.Reveal(), NewExpiry: n.NewExpiry, OldExpiry: n.OldExpiry,
			NotificationID: n.NotificationID, FromDeadLetter: source == SourceDeadLetter, Now: c.cfg.Now(),
		})
		if err != nil {
			return "", err
		}
		outcome = map[accounts.NoticeOutcome]string{
			accounts.NoticeStored: OutcomeStored, accounts.NoticeDuplicate: OutcomeDuplicate,
			accounts.NoticeUnknownClient: OutcomeUnknownClient, accounts.NoticeOlder: OutcomeOlder,
		}[got]
	} else {
		ok, err := accounts.RecordExpiry(ctx, tx, n.ClientID, n.Expiry)
		if err != nil {
			return "", err
		}
		outcome = OutcomeRecorded
		if !ok {
			outcome = OutcomeUnknownClient
		}
	}
	if c.cfg.beforeCommit != nil {
		if err := c.cfg.beforeCommit(ctx); err != nil {
			return "", err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	if c.cfg.afterCommit != nil {
		c.cfg.afterCommit()
	}
	return outcome, nil
}

// deleteMessage acknowledges a handled message. A failed delete is logged:
// the message comes back and is a no-op then.
func (c *Consumer) deleteMessage(ctx context.Context, queueURL string, m sqstypes.Message, typ, source string) bool {
	_, err := c.cfg.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle})
	if err != nil {
		c.count(typ, OutcomeDeleteFailed, source)
		c.log.Warn("application queue: delete message; it comes back and is stored once", "message_id", aws.ToString(m.MessageId), "err", err)
		return false
	}
	return true
}

func (c *Consumer) count(typ, outcome, source string) {
	if typ != TypeNewSecret && typ != TypeSecretExpiry {
		typ = "other"
	}
	c.m.Notifications.WithLabelValues(typ, outcome, source).Inc()
}
