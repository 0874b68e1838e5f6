package worker

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/budget"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/metrics"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/spapi"
)

// buildDeps makes what every job needs: an SP-API client per account
// (against Amazon, an endpoint override, or the built-in simulator), the
// shared rate budget, and the clocks. The returned func releases the
// simulator, if one was started (and returned, for push).
func buildDeps(ctx context.Context, cfg *config.Config, keys *secretbox.Keyring, credentialClock func() time.Time, pool *pgxpool.Pool, m *metrics.Metrics, logger *slog.Logger) (*jobs.Deps, *accounts.Registry, *SimServer, func(), error) {
	rateScale := 1.0
	var simSrv *SimServer
	if cfg.Simulate {
		var err error
		if simSrv, err = StartSimulator(cfg, logger); err != nil {
			return nil, nil, nil, nil, err
		}
		rateScale = cfg.RateScale
		logger.Info("no SP-API credentials configured: syncing from the built-in simulator", "url", simSrv.url, "rate_scale", rateScale)
	}
	release := func() {
		if simSrv != nil {
			simSrv.Close()
		}
	}

	overrides := budget.Plans{}
	for op, l := range cfg.RateLimits {
		overrides[op] = budget.Plan{Rate: l.Rate, Burst: l.Burst}
	}
	b := budget.New(pool, budget.Options{
		Plans:  budget.DefaultPlans(rateScale, overrides),
		Logger: logger,
		Hooks: budget.Hooks{
			Waited: func(k budget.Key, _ budget.Class, _ time.Duration) {
				m.BudgetWaits.WithLabelValues(k.Operation, "waited").Inc()
			},
			Snoozed: func(k budget.Key, _ budget.Class, _ time.Duration) {
				m.BudgetWaits.WithLabelValues(k.Operation, "snoozed").Inc()
			},
			Probed: func(k budget.Key, outcome budget.ProbeOutcome) {
				m.BudgetProbes.WithLabelValues(k.Operation, string(outcome)).Inc()
			},
		},
	})
	deps := jobs.NewDeps(jobs.Deps{
		Pool:       pool,
		Accounts:   map[string]*jobs.Account{},
		Budget:     b,
		Schedules:  cfg.Schedules,
		MaxWorkers: cfg.MaxWorkers,
		Logger:     logger,
		OnRows: func(table string, offered, changed int) {
			m.RowsUpserted.WithLabelValues(table, "changed").Add(float64(changed))
			m.RowsUpserted.WithLabelValues(table, "unchanged").Add(float64(offered - changed))
		},
		OnDecodeWarning: m.ObserveDecodeProblem,
		OnPIIPurged:     func(n int64) { m.PIIPurged.Add(float64(n)) },
		OnPushLatency:   m.ObservePushLatency,
		// Unset (0): no prune is scheduled, quarantined records are kept.
		QuarantineRetention: cfg.QuarantineRetention,
		OnQuarantinePruned:  func(n int64) { m.QuarantinePruned.Add(float64(n)) },
		PushSince:           time.Now(),
	})
	declared := slices.Clone(cfg.Accounts)
	endpoint, lwaEndpoint := cfg.SPAPIEndpoint, cfg.LWAEndpoint
	if simSrv != nil {
		endpoint, lwaEndpoint = simSrv.url, simSrv.url+"/auth/o2/token"
		for i, a := range declared {
			sa, _ := simSrv.Account(a.ID)
			declared[i].ClientID, declared[i].ClientSecret, declared[i].RefreshToken = sa.ClientID, config.Secret(sa.ClientSecret), config.Secret(sa.RefreshToken)
			declared[i].Source = config.SourceEnvironment
		}
	}
	reg, err := accounts.NewRegistry(ctx, accounts.Options{
		Pool: pool, Keys: keys, Declared: declared, Now: credentialClock, Logger: logger,
	})
	if err != nil {
		release()
		return nil, nil, nil, nil, err
	}
	probes, err := newSecretProbes(m)
	if err != nil {
		release()
		return nil, nil, nil, nil, err
	}
	tokenOpts := accounts.TokenOptions{
		Endpoint: lwaEndpoint,
		OnProbe:  probes.observe,
	}
	build := func(a accounts.Account) (*jobs.Account, error) {
		acct := &jobs.Account{Account: a.Account}
		observe := jobs.ObserveResponses(b, acct)
		watch := deps.WatchPermissions(acct)
		client, err := spapi.NewClient(spapi.Options{
			Region:      spapi.Region(a.Region),
			Account:     a.ID,
			Endpoint:    endpoint,
			TokenSource: reg.TokenSource(a.ID, tokenOpts),
			OnResponse: func(ctx context.Context, meta spapi.ResponseMeta) {
				m.ObserveResponse(acct.ID, meta.Op, meta.StatusCode)
				observe(ctx, meta)
				watch(ctx, meta)
			},
			LargeAnswers: deps.HeavyWork,
		})
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", a.ID, err)
		}
		acct.Client = client
		return acct, nil
	}
	if len(reg.Accounts()) == 0 {
		logger.Warn("no accounts to sync: add one with `worker accounts add` (running workers pick it up within SPSYNC_ACCOUNTS_RELOAD)")
	}
	dir := newDirectory(reg, build)
	if err := dir.prepare(); err != nil {
		release()
		return nil, nil, nil, nil, err
	}
	deps.Directory = dir
	return deps, reg, simSrv, release, nil
}
