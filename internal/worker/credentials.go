package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/appqueue"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/rotation"
	"github.com/spsync/spsync/internal/metrics"
	"github.com/spsync/spsync/internal/push"
	"github.com/spsync/spsync/internal/secretbox"
)

// credentialsPath is a running application queue consumer (README
// "Credentials"): NEW_SECRET and EXPIRY notifications become stored
// secrets and expiries.
type credentialsPath struct {
	consumer *appqueue.Consumer
	cancel   context.CancelFunc
	done     chan struct{}
}

// stop ends the consumer; a notification in flight commits or rolls back
// first (its message comes back if it was not deleted).
func (p *credentialsPath) stop() {
	if p == nil {
		return
	}
	p.cancel()
	<-p.done
}

// Handle is what the push consumer calls for a message it does not know
// when the application queue is the push queue (appqueue.Consumer.Handle);
// nil when no application queue is consumed.
func (p *credentialsPath) Handle() func(ctx context.Context, body string) (handled bool, err error) {
	if p == nil {
		return nil
	}
	return p.consumer.Handle
}

// startCredentials consumes the application queue when
// SPSYNC_APP_SQS_QUEUE_URL is set, and returns nil otherwise. When the
// application queue is the push queue it only recovers dead letters: the
// push consumer is its one reader and hands the application notifications
// to Handle. A queue without a secret key is refused: the new secrets
// could not be stored, and a NEW_SECRET is the secret's only copy.
func startCredentials(ctx context.Context, cfg *config.Config, rot config.Rotation, pool *pgxpool.Pool, keys *secretbox.Keyring,
	credentialClock func() time.Time, m *metrics.Metrics, logger *slog.Logger) (*credentialsPath, error) {
	if rot.AppQueueURL == "" {
		return nil, nil
	}
	if keys == nil {
		return nil, &config.Error{Var: config.EnvAppQueueURL, Msg: "needs a secret key (SPSYNC_SECRET_KEY): a new client secret arrives only on this queue and must be stored sealed"}
	}
	sqsClient, err := push.NewSQSClient(ctx, rot.AppQueueURL, cfg.Push.SQSEndpoint)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvAppQueueURL, err)
	}
	am := appqueue.NewMetrics()
	if err := am.Register(m.Registry); err != nil {
		return nil, fmt.Errorf("application queue metrics: %w", err)
	}
	shared := cfg.Push.QueueURL != "" && cfg.Push.QueueURL == rot.AppQueueURL
	consumer, err := appqueue.New(appqueue.Config{
		Pool: pool, Keys: keys, SQS: sqsClient, QueueURL: rot.AppQueueURL, DeadLetterURL: rot.DeadLetterURL,
		SharedWithPush: shared, Now: credentialClock, Logger: logger, Metrics: am,
	})
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &credentialsPath{consumer: consumer, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		if err := consumer.Run(runCtx); err != nil {
			logger.Error("application queue consumer stopped", "err", err)
		}
	}()
	logger.Info("credentials: consuming the application queue (LWA client secret notifications)",
		"queue", rot.AppQueueURL, "shared_with_push", shared, "automatic_rotation", rot.Mode, "rotate_before", rot.RotateBefore.String())
	return p, nil
}

// newRotationDeps is what the rotation jobs need: the SP-API endpoints of
// cfg (the built-in simulator's when simSrv is set), the shared budget and
// the credential clock. It returns nil without a secret key: nothing is
// stored to rotate.
func newRotationDeps(cfg *config.Config, rot config.Rotation, simSrv *SimServer, pool *pgxpool.Pool, keys *secretbox.Keyring,
	budget jobs.Budget, credentialClock func() time.Time, logger *slog.Logger) *rotation.Deps {
	if keys == nil {
		return nil
	}
	endpoint, lwaEndpoint := cfg.SPAPIEndpoint, cfg.LWAEndpoint
	if simSrv != nil {
		endpoint, lwaEndpoint = simSrv.url, simSrv.url+"/auth/o2/token"
	}
	return rotation.NewDeps(rotation.Deps{
		Pool: pool, Keys: keys, Budget: budget, RotateBefore: rot.RotateBefore, Auto: rot.Auto(),
		Now: credentialClock, Logger: logger, Endpoint: endpoint, LWAEndpoint: lwaEndpoint, QueueURL: rot.AppQueueURL,
	})
}

// registerRotation adds the rotation workers to workers and returns the
// periodic check to run (none under --once, or without a secret key). The
// check runs with rotation off too: it warns of near expiries, and an
// operator's `worker credentials rotate` needs the rotation worker.
func registerRotation(workers *river.Workers, d *rotation.Deps, once bool) []*river.PeriodicJob {
	if d == nil {
		return nil
	}
	rotation.Register(workers, d)
	if once {
		return nil
	}
	return rotation.PeriodicJobs(d)
}
