package push

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
)

// Outcomes of a message (the outcome label of spsync_push_messages_total),
// beside the problems of message.go.
const (
	outcomeEnqueued   = "enqueued"  // a refresh job was inserted
	outcomeDuplicate  = "duplicate" // a refresh of the entity was already waiting
	outcomeFollowup   = "followup"  // the refresh was running: a follow-up was scheduled
	outcomeFailed     = "failed"    // the transaction failed: the message comes back
	outcomeShed       = "shed"      // past the refresh backlog: left to the poll, which was queued
	outcomeDeleteFail = "delete_failed"
	outcomeStopped    = "account_stopped" // the account is paused, removed or awaits re-authorization: deleted, no refresh
	outcomeOther      = "handed_over"     // another reader (the application queue's) stored it: deleted
)

// DefaultMaxBacklog is ConsumerConfig.MaxBacklog's default: five minutes
// of getOrder at its 0.5/s.
const DefaultMaxBacklog = 150

// ConsumerConfig configures NewConsumer.
type ConsumerConfig struct {
	Pool *pgxpool.Pool
	// River inserts the refresh jobs (an insert-only client will do).
	River    *river.Client[pgx.Tx]
	SQS      *sqs.Client
	QueueURL string
	// Streams is the registry (streams.All): the streams whose PushSource
	// says which notification types they consume, how a payload reads and
	// which jobs a notification becomes. Push knows streams only through it.
	Streams jobs.Streams
	// Accounts maps a notification's SellerId (the account's selling
	// partner id) to the account id.
	Accounts map[string]string
	// Route, when set, replaces Accounts for accounts that change while
	// the worker runs: the account of a SellerId, and whether it syncs. A
	// notification of an account that does not sync (paused, removed,
	// awaiting re-authorization) is deleted and counted without a refresh:
	// its poll catches up when it syncs again. marketplaceID is the
	// notification's, when it names one: it picks among a seller's
	// accounts in several regions.
	Route func(sellerID, marketplaceID string) (accountID string, active, found bool)
	// Other, when set, gets every message of a type push does not know:
	// the application's client secret notifications when the application
	// queue is the push queue (appqueue.Consumer.Handle). A message it
	// handled (stored, in its own transaction) is deleted; one it did not,
	// or that failed, stays for the redrive policy.
	Other func(ctx context.Context, body string) (handled bool, err error)
	// Logger defaults to one that drops everything.
	Logger *slog.Logger
	// Metrics defaults to unregistered series.
	Metrics *Metrics
	// VisibilityTimeout hides received messages while their batch is
	// handled; it is extended while the batch takes longer than half of
	// it. Default 60s; whole seconds.
	VisibilityTimeout time.Duration
	// FollowupDelay is how long after a notification that found its
	// entity's refresh running the follow-up refresh runs. Default 5s.
	FollowupDelay time.Duration
	// MaxBacklog bounds the refresh jobs waiting per account and stream
	// (default 150: five minutes of getOrder at 0.5/s). Past it, a
	// notification queues no refresh (even for an entity whose refresh
	// waits: that one reads the change anyway, the outcome says shed): the stream's poll
	// is queued instead (one at a time), and a list call brings up to 100
	// changes where the refreshes would take one call each. Negative means
	// no bound.
	MaxBacklog int
	// Clock dates the receipts and the last-received gauge; defaults to
	// time.Now. (Follow-ups are scheduled on the real clock, as River runs
	// them.)
	Clock func() time.Time

	// Test hooks: beforeCommit runs last in a batch's transaction (an error
	// rolls it back), afterCommit right after the commit, before the
	// messages are deleted, and onExtend after each visibility extension;
	// riverNow is the clock River schedules on (time.Now).
	beforeCommit func(ctx context.Context) error
	afterCommit  func()
	onExtend     func()
	riverNow     func() time.Time
}

// Consumer turns SP-API notifications from an SQS queue into refresh jobs.
type Consumer struct {
	cfg    ConsumerConfig
	routes *routes
	log    *slog.Logger
	m      *Metrics
}

// NewConsumer checks cfg and fills its defaults.
func NewConsumer(cfg ConsumerConfig) (*Consumer, error) {
	switch {
	case cfg.Pool == nil:
		return nil, errors.New("push consumer: no database pool")
	case cfg.River == nil:
		return nil, errors.New("push consumer: no River client")
	case cfg.SQS == nil:
		return nil, errors.New("push consumer: no SQS client")
	case cfg.QueueURL == "":
		return nil, errors.New("push consumer: no queue URL")
	}
	routes, err := newRoutes(cfg.Streams)
	if err != nil {
		return nil, fmt.Errorf("push consumer: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.VisibilityTimeout <= 0 {
		cfg.VisibilityTimeout = 60 * time.Second
	}
	if cfg.VisibilityTimeout < time.Second {
		cfg.VisibilityTimeout = time.Second
	}
	if cfg.FollowupDelay <= 0 {
		cfg.FollowupDelay = 5 * time.Second
	}
	if cfg.MaxBacklog == 0 {
		cfg.MaxBacklog = DefaultMaxBacklog
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.riverNow == nil {
		cfg.riverNow = time.Now
	}
	return &Consumer{cfg: cfg, routes: routes, log: cfg.Logger.With("component", "push"), m: cfg.Metrics}, nil
}
