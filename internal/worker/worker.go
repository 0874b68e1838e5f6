// Package worker assembles and runs the spsync worker process: database,
// schema check, River client with its queues, workers and periodic jobs, and
// the operator HTTP server, with a graceful shutdown.
package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"riverqueue.com/riverui"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbopen"
	"github.com/spsync/spsync/internal/httpserver"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/rotation"
	"github.com/spsync/spsync/internal/logging"
	"github.com/spsync/spsync/internal/metrics"
	"github.com/spsync/spsync/internal/oauth"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/schema"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
	"github.com/spsync/spsync/internal/streams"
)

// Options configures Run.
type Options struct {
	Config *config.Config
	Logger *slog.Logger
	// Progress receives human-oriented lines (local Postgres start-up).
	Progress io.Writer
	// Migrate applies pending migrations before starting. A local database
	// (no DATABASE_URL) is always migrated, since the worker owns it.
	Migrate bool
	// ShutdownTimeout bounds how long running jobs may take to finish after
	// a stop signal before they are cancelled (their transactions roll back
	// and River retries them). Defaults to 30 seconds.
	ShutdownTimeout time.Duration
	// Ready, when set, is called once the worker serves HTTP and runs jobs.
	Ready func(ReadyInfo)
	// Keys seal and open the stored credentials (SPSYNC_SECRET_KEY). Nil
	// with a local database and credentials declared: a key is kept in the
	// data directory (created while no sealed row exists). Nil otherwise:
	// accounts come from the environment only, nothing is stored.
	Keys *secretbox.Keyring
	// CredentialClock is the clock of secret expiries and rotation
	// (tests accelerate it). Defaults to time.Now.
	CredentialClock func() time.Time
	// Rotation configures the application queue and automatic client
	// secret rotation (config.LoadRotation).
	Rotation config.Rotation
	// AccountsReload is how often the accounts tables are reread
	// (accounts.DefaultReloadEvery when 0).
	AccountsReload time.Duration
	// RotationCheckEvery is how often, on the real clock, the rotation
	// check runs (rotation.CheckEvery when 0); tests that accelerate the
	// credential clock shorten it.
	RotationCheckEvery time.Duration
	// OAuth is the onboarding listener's configuration (oauth.LoadConfig);
	// it runs when OAuth.Addr is set, never under Once.
	OAuth oauth.Config
	// Once runs one poll of every stream for every account instead of the
	// schedules, waits until the follow-ups that are due have run, and
	// returns: nil, or an error naming the jobs that failed for good.
	Once bool
	// Streams is the registry the worker syncs: its workers, periodic
	// polls, backfill windows, `--once` round and push types. Nil means
	// streams.All(Config), the production list; a test adds a stream of its
	// own here and nowhere else.
	Streams jobs.Streams
}

// ReadyInfo tells the caller of Run where the running worker can be seen.
type ReadyInfo struct {
	// HTTPAddr serves /healthz, /metrics and /riverui/.
	HTTPAddr string
	// DatabaseURL is the database in use, password removed.
	DatabaseURL string
	// Simulated is true when the worker syncs from the built-in simulator.
	Simulated bool
	// DataDir is the local Postgres's data directory ("" with
	// DATABASE_URL); DataDirMovedFrom is the default it stands in for when
	// the server's user could not reach that one (see dbopen.DB).
	DataDir, DataDirMovedFrom string
	// OAuthURL is the onboarding listener's public base URL ("" without
	// one): invitation links and the Login and redirect URIs start with it.
	OAuthURL string
}

// Run runs the worker until ctx is cancelled, then shuts down gracefully
// and returns nil. Errors are returned for start-up problems.
func Run(ctx context.Context, opts Options) error {
	cfg, logger := opts.Config, opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	all := opts.Streams
	if all == nil {
		all = streams.All(cfg)
	}
	// config knows no stream's schedule: the registry's are checked here
	// (the command line checks them on loading, for its exit code).
	if err := cfg.Schedules.Check(all.ScheduleSpecs()); err != nil {
		return err
	}

	db, err := dbopen.Open(ctx, cfg.DatabaseURL, cfg.DataDir, opts.Progress)
	if err != nil {
		return err
	}
	defer db.Close()

	if err := prepareSchema(ctx, db, opts.Migrate || db.Local, logger); err != nil {
		return err
	}

	keys, err := resolveKeys(ctx, opts.Keys, cfg, db, logger)
	if err != nil {
		return err
	}
	if keys == nil && cfg.Simulate && opts.OAuth.Enabled() && !opts.Once {
		// Onboarding against the built-in simulator stores what sellers
		// authorize: the operator's key seals it (and the simulator's
		// demo credentials) as it would a real deployment's.
		keys = opts.Keys
	}
	if opts.CredentialClock == nil {
		opts.CredentialClock = time.Now
	}
	m := metrics.NewWith(db.Pool, logger, metrics.Options{Aggregate: cfg.MetricsAccountLabels == config.MetricsAggregate})
	deps, reg, simSrv, release, err := buildDeps(ctx, cfg, keys, opts.CredentialClock, db.Pool, m, logger)
	if err != nil {
		return err
	}
	defer release()
	// Under --once a self-scheduled poll left by the service runs once and
	// completes, or the round would never end.
	deps.Once = opts.Once

	// Jobs a killed worker left running are runnable again before this
	// one starts (see riverext.StartLiveness).
	live, err := riverext.StartLiveness(ctx, db.Pool, logger)
	if err != nil {
		return err
	}
	defer live.Close()

	// River's periodic insert failures only reach its log: count them.
	periodicFailed := startPeriodicFailures(db.Pool, m, logger)
	defer periodicFailed.close()
	// River's routine INFO chatter goes to DEBUG (logging.ForRiver).
	riverBase := slog.New(logging.ForRiver(logger.Handler()))
	riverLogger := riverext.WatchPeriodicInserts(riverBase, periodicFailed.observe)
	rotDeps := newRotationDeps(cfg, opts.Rotation, simSrv, db.Pool, keys, deps.Budget, opts.CredentialClock, logger)
	if rotDeps != nil && opts.RotationCheckEvery > 0 {
		rotDeps.CheckEvery = opts.RotationCheckEvery
	}
	client, err := newRiverClient(db.Pool, deps, rotDeps, all, riverLogger, opts.Once, live.ID())
	if err != nil {
		return err
	}
	// River UI's background work has no Stop and may log after Run
	// returns: its logger goes quiet when Run ends.
	uiLogger, uiLogGate := newGatedLogger(riverBase)
	defer uiLogGate.close()
	uiCtx, stopUI := context.WithCancel(ctx)
	defer stopUI()
	ui, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(client, nil),
		Logger:    uiLogger,
		Prefix:    "/riverui",
	})
	if err != nil {
		return fmt.Errorf("create river ui: %w", err)
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on SPSYNC_HTTP_ADDR %s: %w (set SPSYNC_HTTP_ADDR to a free address)", cfg.HTTPAddr, err)
	}
	var riverRunning atomic.Bool
	srv := &http.Server{
		Handler: httpserver.Handler(map[string]httpserver.HealthCheck{
			"database": db.Pool.Ping,
			"river": func(context.Context) error {
				if !riverRunning.Load() {
					return errors.New("river client not running")
				}
				return nil
			},
		}, map[string]http.Handler{
			"GET /metrics": m.Handler(),
			"/riverui/":    ui,
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()
	var onboarding *oauthListener
	if !opts.Once {
		if onboarding, err = startOAuth(opts.OAuth, cfg, simSrv, db.Pool, keys, deps.Budget, opts.CredentialClock, logger); err != nil {
			_ = srv.Close()
			return err
		}
	}
	defer onboarding.stop()

	// A round of --once reports the jobs that failed since it began, so it
	// begins before River does: a queued job River finishes at once (a
	// refresh of an order Amazon does not have) is part of the round.
	var onceStarted time.Time
	if opts.Once {
		if onceStarted, err = store.Now(ctx, db.Pool); err != nil {
			_ = srv.Close()
			return fmt.Errorf("once: %w", err)
		}
	}
	// River gets its own context: cancelling ctx starts a graceful stop
	// below instead of yanking the client.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		_ = srv.Close()
		return fmt.Errorf("start river: %w", err)
	}
	riverRunning.Store(true)
	// Accounts added, paused or resumed by `worker accounts` reach this
	// worker within AccountsReload; the scheduler tick (run at once on a
	// change, and every jobs.SchedulerTick) inserts their jobs or stops.
	regCtx, stopReg := context.WithCancel(context.WithoutCancel(ctx))
	defer stopReg()
	if !opts.Once {
		tickOnAccountChange(reg, client, logger)
		go reg.Run(regCtx, opts.AccountsReload)
	}
	if err := ui.Start(uiCtx); err != nil {
		logger.Error("start river ui", "err", err)
	}
	// Push notifications (when on) become refresh jobs; the consumer stops
	// before River so its last batch's jobs are committed or its messages
	// come back.
	pushCtx, stopPushCtx := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPushCtx()
	var (
		pushed *pushPath
		creds  *credentialsPath
	)
	defer func() { creds.stop() }()
	if !opts.Once {
		// The application queue (client secret notifications) before push:
		// when it is the push queue, push hands its messages over.
		creds, err = startCredentials(pushCtx, cfg, opts.Rotation, db.Pool, keys, opts.CredentialClock, m, logger)
		if err == nil {
			pushed, err = startPush(pushCtx, cfg, all, reg, creds.Handle(), db.Pool, client, simSrv, m, logger)
		}
		if err != nil {
			_ = srv.Close()
			stopCtx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
			defer cancel()
			_ = client.Stop(stopCtx)
			return err
		}
	}
	logger.Info("worker started", "http", "http://"+ln.Addr().String(), "database", db.URL, "simulate", cfg.Simulate)
	if opts.Ready != nil {
		opts.Ready(ReadyInfo{HTTPAddr: ln.Addr().String(), DatabaseURL: db.URL, Simulated: cfg.Simulate,
			DataDir: db.DataDir, DataDirMovedFrom: db.DataDirMovedFrom, OAuthURL: onboarding.URL()})
	}

	var onceErr error
	if opts.Once {
		onceErr = runOnce(ctx, client, db.Pool, all, deps.AccountIDs(), logger, onceStarted)
	} else {
		select {
		case <-ctx.Done():
		case err := <-httpErr:
			logger.Error("http server failed", "err", err)
		case err := <-onboarding.failed():
			logger.Error("OAuth listener failed", "err", err)
		}
	}

	pushed.stop(stopPushCtx)
	creds.stop()
	creds = nil
	logger.Info("stopping: finishing running jobs", "timeout", opts.ShutdownTimeout)
	riverRunning.Store(false)
	stopCtx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	if err := client.Stop(stopCtx); err != nil {
		logger.Warn("jobs did not finish in time; cancelling them (they will be retried)", "err", err)
		cancelCtx, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel2()
		if err := client.StopAndCancel(cancelCtx); err != nil {
			logger.Error("stop river", "err", err)
		}
	}
	shutdownCtx, cancel3 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel3()
	_ = srv.Shutdown(shutdownCtx)
	onboarding.stop()
	logger.Info("worker stopped")
	return onceErr
}

func prepareSchema(ctx context.Context, db *dbopen.DB, migrate bool, logger *slog.Logger) error {
	m, err := schema.New(db.Pool, logger)
	if err != nil {
		return err
	}
	defer m.Close()
	if migrate {
		return m.Up(ctx)
	}
	return m.Check(ctx)
}

// newRiverClient registers the workers of every stream of all and, unless
// once, their periodic jobs: the shared ones and the scheduler tick that
// inserts every account's polls (jobs.Streams.PeriodicJobs), a fixed list
// whatever the accounts.
func newRiverClient(pool *pgxpool.Pool, deps *jobs.Deps, rotDeps *rotation.Deps, all jobs.Streams, logger *slog.Logger, once bool, id string) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	register(workers, deps, all)
	var periodic []*river.PeriodicJob
	if !once {
		var err error
		if periodic, err = all.PeriodicJobs(deps); err != nil {
			return nil, err
		}
	}
	periodic = append(periodic, registerRotation(workers, rotDeps, once)...)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		ID:           id,
		Logger:       logger,
		Queues:       jobs.QueueConfigFor(deps.QueueSizing()),
		Workers:      workers,
		PeriodicJobs: periodic,
		Middleware:   jobs.Middleware(),
	})
	if err != nil {
		return nil, fmt.Errorf("create river client: %w", err)
	}
	return client, nil
}
