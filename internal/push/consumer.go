package push

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/store"
)

const (
	streamOrders            = orders.Stream      // "orders"
	streamFulfillmentOrders = fulfillment.Stream // "fulfillment_orders"
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

// Metrics are the consumer's Prometheus series. Register them on the
// process's registry (metrics.Metrics.Registry) with Register.
type Metrics struct {
	// Messages counts SQS messages by notification type (ORDER_CHANGE,
	// FULFILLMENT_ORDER_STATUS, or "other") and outcome.
	Messages *prometheus.CounterVec
	// LastReceived is the Unix time of the last notification handled, by
	// account and stream.
	LastReceived *prometheus.GaugeVec
}

// NewMetrics creates the series, unregistered.
func NewMetrics() *Metrics {
	return &Metrics{
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spsync_push_messages_total",
			Help: "SQS notification messages by notification type and outcome (enqueued, duplicate, followup; bad_json, unknown_type, missing_payload, missing_entity_id, missing_seller, unknown_seller and failed are left for the queue's redrive policy; delete_failed comes back once more).",
		}, []string{"type", "outcome"}),
		LastReceived: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "spsync_push_last_received_timestamp_seconds",
			Help: "Unix time at which the last push notification of the stream was handled (its job committed).",
		}, []string{"account", "stream"}),
	}
}

// Register adds the series to reg.
func (m *Metrics) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.Messages, m.LastReceived} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

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
	cfg ConsumerConfig
	log *slog.Logger
	m   *Metrics
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
	return &Consumer{cfg: cfg, log: cfg.Logger.With("component", "push"), m: cfg.Metrics}, nil
}

// Run long-polls the queue until ctx ends (then it returns nil). A failed
// receive or batch is logged and retried after a pause; the batch's
// messages come back after their visibility timeout.
func (c *Consumer) Run(ctx context.Context) error {
	backoff := time.Second
	for {
		if ctx.Err() != nil {
			return nil
		}
		out, err := c.cfg.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(c.cfg.QueueURL),
			MaxNumberOfMessages:         10,
			WaitTimeSeconds:             20,
			VisibilityTimeout:           c.visibilitySeconds(),
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount},
		})
		if err == nil && len(out.Messages) > 0 {
			err = c.handle(ctx, out.Messages)
		}
		if err == nil {
			backoff = time.Second
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		c.log.Warn("push: batch failed; its messages come back after the visibility timeout", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (c *Consumer) visibilitySeconds() int32 {
	return int32(c.cfg.VisibilityTimeout / time.Second)
}

// accepted is a message that becomes a job.
type accepted struct {
	msg       sqstypes.Message
	ev        event
	accountID string
}

// route finds the account of a notification's seller.
func (c *Consumer) route(sellerID, marketplaceID string) (accountID string, active, found bool) {
	if c.cfg.Route != nil {
		return c.cfg.Route(sellerID, marketplaceID)
	}
	acct, found := c.cfg.Accounts[sellerID]
	return acct, found, found
}

// handle processes one received batch: the jobs and receipts of the
// messages it understands commit in one transaction, then those messages
// are deleted. The others stay for the redrive policy.
func (c *Consumer) handle(ctx context.Context, msgs []sqstypes.Message) error {
	var ok, stopped, others []accepted
	for _, m := range msgs {
		ev, err := parse(aws.ToString(m.Body))
		if errors.Is(err, errUnknownType) && c.cfg.Other != nil {
			handled, oerr := c.cfg.Other(ctx, aws.ToString(m.Body))
			if oerr == nil && handled {
				others = append(others, accepted{msg: m, ev: ev})
				continue
			}
			if oerr != nil {
				c.log.Warn("push: a message for another reader failed; it stays for the redrive policy", "err", oerr, "message_id", aws.ToString(m.MessageId))
			}
		}
		if err == nil {
			acct, active, found := c.route(ev.SellerID, ev.MarketplaceID)
			if found && active {
				ok = append(ok, accepted{msg: m, ev: ev, accountID: acct})
				continue
			}
			if found {
				stopped = append(stopped, accepted{msg: m, ev: ev, accountID: acct})
				continue
			}
			err = errUnknownSeller
		}
		c.reject(m, ev, err)
	}
	if len(others) > 0 {
		for _, a := range others {
			c.m.Messages.WithLabelValues(typeLabel(a.ev.Type), outcomeOther).Inc()
		}
		if err := c.delete(ctx, others); err != nil {
			c.log.Warn("push: delete handed-over messages", "err", err)
		}
	}
	if len(stopped) > 0 {
		for _, a := range stopped {
			c.m.Messages.WithLabelValues(typeLabel(a.ev.Type), outcomeStopped).Inc()
		}
		if err := c.delete(ctx, stopped); err != nil {
			c.log.Warn("push: delete notifications of stopped accounts", "err", err)
		}
	}
	if len(ok) == 0 {
		return nil
	}

	stop := c.heartbeat(ctx, ok)
	outcomes, err := c.commit(ctx, ok)
	stop()
	if err != nil {
		for _, a := range ok {
			c.m.Messages.WithLabelValues(typeLabel(a.ev.Type), outcomeFailed).Inc()
		}
		return err
	}
	now := c.cfg.Clock()
	for i, a := range ok {
		c.m.Messages.WithLabelValues(typeLabel(a.ev.Type), outcomes[i]).Inc()
		c.m.LastReceived.WithLabelValues(a.accountID, a.ev.Stream).Set(float64(now.UnixNano()) / 1e9)
	}
	if c.cfg.afterCommit != nil {
		c.cfg.afterCommit()
	}
	return c.delete(ctx, ok)
}

func (c *Consumer) reject(m sqstypes.Message, ev event, err error) {
	reason := err.Error()
	outcome := reason
	if e := errors.Unwrap(err); e != nil {
		outcome = e.Error()
	}
	c.m.Messages.WithLabelValues(typeLabel(ev.Type), outcome).Inc()
	// No payload values: the type is bounded by typeLabel, the rest is
	// ours or SQS's.
	c.log.Warn("push: message left for the queue's redrive policy",
		"type", typeLabel(ev.Type), "reason", reason, "message_id", aws.ToString(m.MessageId),
		"receive_count", m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
}

func typeLabel(t string) string {
	switch t {
	case TypeOrderChange, TypeFulfillmentOrderStatus:
		return t
	}
	return "other"
}

// refreshArgs is the refresh job of an event. It carries the change time
// (the notification's EventTime when the payload has none; nil when it has
// neither) so the refresh can report the change-to-row latency; the time is
// no part of the job's identity (see orders.RefreshArgs.NotifiedChange).
func refreshArgs(accountID string, ev event, followup bool) river.JobArgs {
	var changed *time.Time
	if at := ev.ChangeTime; !at.IsZero() {
		changed = &at
	} else if at := ev.EventTime; !at.IsZero() {
		changed = &at
	}
	if ev.Stream == streamOrders {
		return orders.RefreshArgs{AccountID: accountID, AmazonOrderID: ev.EntityID, Followup: followup, NotifiedChange: changed}
	}
	return fulfillment.RefreshArgs{AccountID: accountID, SellerFulfillmentOrderID: ev.EntityID, Followup: followup, NotifiedChange: changed}
}

// commit inserts one refresh per entity of the batch (a follow-up where the
// entity's refresh is running) and the receipts, in one transaction. It
// returns each message's outcome.
func (c *Consumer) commit(ctx context.Context, ok []accepted) ([]string, error) {
	type entity struct{ account, stream, id string }
	index := map[entity]int{} // entity → position in params
	var params []river.InsertManyParams
	var changed []time.Time // each entity's latest change in the batch
	of := make([]int, len(ok))
	receipts := make([]store.PushReceipt, len(ok))
	now := c.cfg.Clock()
	for i, a := range ok {
		k := entity{a.accountID, a.ev.Stream, a.ev.EntityID}
		j, seen := index[k]
		if !seen {
			j = len(params)
			index[k] = j
			params = append(params, river.InsertManyParams{Args: refreshArgs(a.accountID, a.ev, false)})
			changed = append(changed, a.ev.ChangeTime)
		}
		if a.ev.ChangeTime.After(changed[j]) {
			changed[j] = a.ev.ChangeTime
		}
		of[i] = j
		receipts[i] = store.PushReceipt{AccountID: a.accountID, Stream: a.ev.Stream, EntityID: a.ev.EntityID,
			NotificationID: a.ev.NotificationID, ChangeTime: a.ev.ChangeTime, ReceivedAt: now}
	}

	tx, err := c.cfg.Pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op

	shed, polls, err := c.shed(ctx, tx, params, changed)
	if err != nil {
		return nil, err
	}
	entityOutcome := make([]string, len(params))
	var insert []river.InsertManyParams
	var insertOf []int // position in params of each insert
	for j, p := range params {
		if shed[j] {
			entityOutcome[j] = outcomeShed
			continue
		}
		insert, insertOf = append(insert, p), append(insertOf, j)
	}
	if len(polls) > 0 {
		if _, err := c.cfg.River.InsertManyTx(ctx, tx, polls); err != nil {
			return nil, fmt.Errorf("insert %d polls for a shed backlog: %w", len(polls), err)
		}
	}
	var res []*rivertype.JobInsertResult
	if len(insert) > 0 {
		if res, err = c.cfg.River.InsertManyTx(ctx, tx, insert); err != nil {
			return nil, fmt.Errorf("insert %d refresh jobs: %w", len(insert), err)
		}
	}
	var followups []river.InsertManyParams
	var followupOf []int
	for k, r := range res {
		j := insertOf[k]
		switch {
		case !r.UniqueSkippedAsDuplicate:
			entityOutcome[j] = outcomeEnqueued
		case r.Job != nil && r.Job.State == rivertype.JobStateRunning:
			// The running fetch may have read the entity before this change:
			// fetch it again a little later. One pending follow-up per
			// entity (Followup is part of the unique args).
			a := ok[firstOf(of, j)]
			followups = append(followups, river.InsertManyParams{
				Args:       refreshArgs(a.accountID, a.ev, true),
				InsertOpts: &river.InsertOpts{ScheduledAt: time.Now().Add(c.cfg.FollowupDelay)},
			})
			followupOf = append(followupOf, j)
			entityOutcome[j] = outcomeDuplicate
		default:
			// A refresh is waiting to run: it will read this change.
			entityOutcome[j] = outcomeDuplicate
		}
	}
	if len(followups) > 0 {
		fres, err := c.cfg.River.InsertManyTx(ctx, tx, followups)
		if err != nil {
			return nil, fmt.Errorf("insert %d follow-up refresh jobs: %w", len(followups), err)
		}
		for k, r := range fres {
			if !r.UniqueSkippedAsDuplicate {
				entityOutcome[followupOf[k]] = outcomeFollowup
			}
		}
	}
	if err := store.RecordPushReceipts(ctx, tx, receipts); err != nil {
		return nil, err
	}
	if c.cfg.beforeCommit != nil {
		if err := c.cfg.beforeCommit(ctx); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	out := make([]string, len(ok))
	counted := map[int]bool{}
	for i, j := range of {
		// The first message of an entity gets its outcome, repeats are
		// duplicates.
		if counted[j] {
			out[i] = outcomeDuplicate
			continue
		}
		counted[j] = true
		out[i] = entityOutcome[j]
	}
	return out, nil
}

// shed applies MaxBacklog: per account and stream it counts the refresh
// jobs waiting, and marks the refreshes of new entities past the bound as
// shed. Each shed group gets one poll of its stream instead, scheduled by
// shedPollAt so that its window reaches the group's latest change.
func (c *Consumer) shed(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams, changed []time.Time) ([]bool, []river.InsertManyParams, error) {
	shed := make([]bool, len(params))
	if c.cfg.MaxBacklog < 0 {
		return shed, nil, nil
	}
	type group struct{ kind, queue, account string }
	room := map[group]int{}
	latest := map[group]time.Time{}
	pollOf := map[group]river.JobArgs{}
	var order []group
	for j, p := range params {
		var g group
		var poll river.JobArgs
		switch a := p.Args.(type) {
		case orders.RefreshArgs:
			g, poll = group{a.Kind(), a.InsertOpts().Queue, a.AccountID}, orders.PollArgs{AccountID: a.AccountID}
		case fulfillment.RefreshArgs:
			g, poll = group{a.Kind(), a.InsertOpts().Queue, a.AccountID}, fulfillment.PollArgs{AccountID: a.AccountID}
		default:
			continue
		}
		left, seen := room[g]
		if !seen {
			waiting, err := riverext.WaitingJobs(ctx, tx, g.kind, g.queue, g.account, c.cfg.MaxBacklog)
			if err != nil {
				return nil, nil, err
			}
			left = c.cfg.MaxBacklog - waiting
		}
		if left > 0 {
			room[g] = left - 1
			continue
		}
		room[g] = 0
		shed[j] = true
		if _, ok := pollOf[g]; !ok {
			pollOf[g] = poll
			order = append(order, g)
		}
		if changed[j].After(latest[g]) {
			latest[g] = changed[j]
		}
	}
	var polls []river.InsertManyParams
	for _, g := range order {
		poll := pollOf[g]
		opts := poll.(river.JobArgsWithInsertOpts).InsertOpts()
		opts.ScheduledAt = shedPollAt(latest[g], c.cfg.Clock(), c.cfg.riverNow())
		// One poll per period: later changes get the next period's poll,
		// even while this one runs.
		opts.UniqueOpts = river.UniqueOpts{ByArgs: true, ByPeriod: ShedPollPeriod, ByState: jobs.ActiveStates}
		polls = append(polls, river.InsertManyParams{Args: poll, InsertOpts: &opts})
	}
	return shed, polls, nil
}

// ShedPollPeriod groups shed changes: every change shed within one period
// is read by one poll at the period's end. Three minutes is one refill of
// searchOrders' bucket (179 s), so shedding never asks the orders list for
// more than its budget.
const ShedPollPeriod = 3 * time.Minute

// shedPollMargin covers the clocks of Amazon's change times and the poll.
const shedPollMargin = 10 * time.Second

// shedPollAt is when the poll for changes shed up to latest runs (on the
// real clock River schedules on): not before Amazon's two-minute rule lets
// a window reach latest (a poll queued at once would end its window two
// minutes before the change and leave it to the next scheduled poll), at
// the end of that instant's ShedPollPeriod. dataNow is the clock change
// times are on, realNow River's.
func shedPollAt(latest, dataNow, realNow time.Time) time.Time {
	wait := max(latest.Add(2*time.Minute+shedPollMargin).Sub(dataNow), 0)
	return realNow.Add(wait).Truncate(ShedPollPeriod).Add(ShedPollPeriod)
}

func firstOf(of []int, j int) int {
	for i, x := range of {
		if x == j {
			return i
		}
	}
	return 0
}

// heartbeat extends the visibility of the batch's messages every half
// timeout until stop is called, so a slow database does not hand them to
// another consumer while their jobs are being committed.
func (c *Consumer) heartbeat(ctx context.Context, ok []accepted) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(c.cfg.VisibilityTimeout / 2)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			entries := make([]sqstypes.ChangeMessageVisibilityBatchRequestEntry, len(ok))
			for i, a := range ok {
				entries[i] = sqstypes.ChangeMessageVisibilityBatchRequestEntry{
					Id: aws.String(strconv.Itoa(i)), ReceiptHandle: a.msg.ReceiptHandle, VisibilityTimeout: c.visibilitySeconds(),
				}
			}
			out, err := c.cfg.SQS.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(c.cfg.QueueURL), Entries: entries})
			if err != nil {
				if ctx.Err() == nil {
					c.log.Warn("push: extend visibility", "err", err, "messages", len(entries))
				}
				continue
			}
			for _, f := range out.Failed {
				c.log.Warn("push: extend visibility", "code", aws.ToString(f.Code), "reason", aws.ToString(f.Message))
			}
			if c.cfg.onExtend != nil {
				c.cfg.onExtend()
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// delete acknowledges the committed messages. A failed delete is logged:
// the message comes back and its job insert is a unique no-op (or one more
// refresh if the first one already ran).
func (c *Consumer) delete(ctx context.Context, ok []accepted) error {
	entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(ok))
	for i, a := range ok {
		entries[i] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: a.msg.ReceiptHandle}
	}
	out, err := c.cfg.SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(c.cfg.QueueURL), Entries: entries})
	if err != nil {
		for _, a := range ok {
			c.m.Messages.WithLabelValues(typeLabel(a.ev.Type), outcomeDeleteFail).Inc()
		}
		return fmt.Errorf("delete %d messages: %w", len(entries), err)
	}
	for _, f := range out.Failed {
		i, _ := strconv.Atoi(aws.ToString(f.Id))
		if i >= 0 && i < len(ok) {
			c.m.Messages.WithLabelValues(typeLabel(ok[i].ev.Type), outcomeDeleteFail).Inc()
			c.log.Warn("push: delete message", "message_id", aws.ToString(ok[i].msg.MessageId), "code", aws.ToString(f.Code), "reason", aws.ToString(f.Message))
		}
	}
	return nil
}
