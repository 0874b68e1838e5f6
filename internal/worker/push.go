package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/metrics"
	"github.com/spsync/spsync/internal/push"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// Simulated push (SPSYNC_SIM_PUSH): the queue and its dead-letter queue the
// worker makes on its local SQS server, and how often a message may come
// back before SQS moves it to the dead-letter queue.
const (
	simQueueName       = "spsync-notifications"
	simMaxReceiveCount = 5
)

// pushPath is a running push consumer and what it needs stopped.
type pushPath struct {
	done  chan struct{}
	stops []func()
}

// stop ends the consumer (a batch in flight commits or rolls back first)
// and then whatever the simulated path started, in reverse order.
func (p *pushPath) stop(cancel context.CancelFunc) {
	if p == nil {
		return
	}
	cancel()
	<-p.done
	for i := len(p.stops) - 1; i >= 0; i-- {
		p.stops[i]()
	}
}

// startPush starts consuming notifications when cfg.Push is on: from the
// configured queue, or, with SPSYNC_SIM_PUSH, from a queue it makes on the
// local SQS server at SPSYNC_SQS_ENDPOINT (`make run` starts fauxqs for it)
// that the simulator delivers to after the worker subscribed it, as `worker
// notifications setup` does against Amazon.
func startPush(ctx context.Context, cfg *config.Config, all jobs.Streams, reg *accounts.Registry, other func(context.Context, string) (bool, error), pool *pgxpool.Pool, client *river.Client[pgx.Tx], simSrv *SimServer, m *metrics.Metrics, logger *slog.Logger) (*pushPath, error) {
	if !cfg.Push.Enabled() {
		return nil, nil
	}
	p := &pushPath{done: make(chan struct{})}
	fail := func(err error) (*pushPath, error) {
		for i := len(p.stops) - 1; i >= 0; i-- {
			p.stops[i]()
		}
		return nil, err
	}
	queueURL := cfg.Push.QueueURL
	var sqsClient *sqs.Client
	sellers := map[string]string{}
	if cfg.Push.Simulated {
		if simSrv == nil {
			return nil, errors.New("SPSYNC_SIM_PUSH: the built-in simulator is not running")
		}
		endpoint := cfg.Push.SQSEndpoint
		sqsClient = newStaticSQSClient(endpoint, "us-east-1")
		var arn string
		var err error
		if queueURL, arn, err = createQueueWithDLQ(ctx, sqsClient, simQueueName, simMaxReceiveCount); err != nil {
			return fail(fmt.Errorf("SPSYNC_SIM_PUSH: %w", err))
		}
		if err := subscribeSimulator(ctx, simSrv, arn, all.NotificationTypes()); err != nil {
			return fail(fmt.Errorf("SPSYNC_SIM_PUSH: subscribe the simulator: %w", err))
		}
		notifyCtx, stopNotify := context.WithCancel(context.WithoutCancel(ctx))
		n, err := simSrv.sim.StartNotifier(notifyCtx, sim.NotifierOptions{
			Sink:  sim.NewSQSSink(sqsClient),
			Route: simSrv.sim.NotificationDestinations,
			// Amazon delivers "within seconds".
			DelayMin: 500 * time.Millisecond,
			DelayMax: 2 * time.Second,
			Seed:     1,
		})
		if err != nil {
			stopNotify()
			return fail(fmt.Errorf("SPSYNC_SIM_PUSH: start the simulator's notifications: %w", err))
		}
		p.stops = append(p.stops, func() { stopNotify(); <-n.Done() })
		for _, a := range simSrv.sim.Accounts() {
			sellers[a.SellerID] = a.ID
		}
		logger.Info("push: simulated notifications through a local SQS server", "endpoint", endpoint, "queue", queueURL)
	} else {
		var err error
		if sqsClient, err = push.NewSQSClient(ctx, cfg.Push.QueueURL, cfg.Push.SQSEndpoint); err != nil {
			return nil, fmt.Errorf("SPSYNC_SQS_QUEUE_URL: %w", err)
		}
		for _, a := range cfg.Accounts {
			sellers[a.SellingPartnerID] = a.ID
		}
	}

	// Accounts that are data are routed by their current state.
	var route func(string, string) (string, bool, bool)
	if reg.Stored() {
		route = func(sellerID, marketplaceID string) (string, bool, bool) {
			a, ok := reg.ForNotification(sellerID, marketplaceID)
			return a.ID, a.Active(), ok
		}
	}
	pm := push.NewMetricsWith(cfg.MetricsAccountLabels == config.MetricsAggregate)
	if err := pm.Register(m.Registry); err != nil {
		return fail(fmt.Errorf("push metrics: %w", err))
	}
	consumer, err := push.NewConsumer(push.ConsumerConfig{
		Pool: pool, River: client, SQS: sqsClient, QueueURL: queueURL, Streams: all,
		Accounts: sellers, Logger: logger, Metrics: pm, Route: route, Other: other,
	})
	if err != nil {
		return fail(err)
	}
	go func() {
		defer close(p.done)
		if err := consumer.Run(ctx); err != nil {
			logger.Error("push consumer stopped", "err", err)
		}
	}()
	// The polls of the streams push feeds are their safety net: how each
	// is scheduled now, as <stream>_schedule.
	attrs := []any{"queue", queueURL}
	for _, s := range all {
		if s.Push == nil {
			continue
		}
		for _, p := range s.Periodic {
			if p.Poll {
				attrs = append(attrs, s.Name+"_schedule", p.Describe(cfg.Schedules, nil))
			}
		}
	}
	logger.Info("push: consuming notifications; the polls of the pushed streams are the safety net", attrs...)
	return p, nil
}

// newStaticSQSClient talks to a local SQS server, which takes any
// credentials.
func newStaticSQSClient(endpoint, region string) *sqs.Client {
	return sqs.New(sqs.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("spsync", "spsync", ""),
	})
}

// createQueueWithDLQ makes name and name-dlq, the first redriving to the
// second after maxReceive receives, as the README asks of a real setup.
func createQueueWithDLQ(ctx context.Context, c *sqs.Client, name string, maxReceive int) (queueURL, queueARN string, err error) {
	arnOf := func(u *string) (string, error) {
		a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return "", err
		}
		return a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
	}
	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s-dlq: %w", name, err)
	}
	dlqARN, err := arnOf(dlq.QueueUrl)
	if err != nil {
		return "", "", fmt.Errorf("queue %s-dlq: %w", name, err)
	}
	policy, _ := json.Marshal(map[string]string{"deadLetterTargetArn": dlqARN, "maxReceiveCount": fmt.Sprint(maxReceive)})
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{"RedrivePolicy": string(policy)}})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	if queueARN, err = arnOf(q.QueueUrl); err != nil {
		return "", "", fmt.Errorf("queue %s: %w", name, err)
	}
	return aws.ToString(q.QueueUrl), queueARN, nil
}

// subscribeSimulator makes the simulator's destination for queueARN and
// subscribes every account to the notification types the streams consume
// (jobs.Streams.NotificationTypes) through the Notifications API, as
// `worker notifications setup` does with Amazon.
func subscribeSimulator(ctx context.Context, s *SimServer, queueARN string, types []string) error {
	var destID string
	for _, a := range s.sim.Accounts() {
		nc, err := spapi.NewNotificationsClient(spapi.Options{
			Region: spapi.Region("na"), Account: a.ID, Endpoint: s.url, LWAEndpoint: s.url + "/auth/o2/token",
			Credentials: spapi.Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RefreshToken: a.RefreshToken},
		})
		if err != nil {
			return err
		}
		if destID == "" {
			d, err := nc.CreateDestination(ctx, "spsync", queueARN)
			if err != nil {
				return fmt.Errorf("create destination: %w", err)
			}
			destID = d.DestinationID
		}
		for _, typ := range types {
			if _, err := nc.CreateSubscription(ctx, typ, "1.0", destID); err != nil && !errors.Is(err, spapi.ErrConflict) {
				return fmt.Errorf("account %s: subscribe to %s: %w", a.ID, typ, err)
			}
		}
	}
	return nil
}
