package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/budget"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/metrics"
	"github.com/spsync/spsync/internal/spapi"
)

// buildDeps makes what every job needs: an SP-API client per account
// (against Amazon, an endpoint override, or the built-in simulator), the
// shared rate budget, and the clocks. The returned func releases the
// simulator, if one was started (and returned, for push).
func buildDeps(cfg *config.Config, pool *pgxpool.Pool, m *metrics.Metrics, logger *slog.Logger) (*jobs.Deps, *SimServer, func(), error) {
	rateScale := 1.0
	var simSrv *SimServer
	if cfg.Simulate {
		var err error
		if simSrv, err = StartSimulator(cfg, logger); err != nil {
			return nil, nil, nil, err
		}
		rateScale = cfg.RateScale
		logger.Info("no SP-API credentials configured: syncing from the built-in simulator", "url", simSrv.url, "rate_scale", rateScale)
	}
	release := func() {
		if simSrv != nil {
			simSrv.Close()
		}
	}

	b := budget.New(pool, budget.Options{
		Plans:  budget.DefaultPlans(rateScale, cfg.RateLimits),
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
		Pool:      pool,
		Accounts:  map[string]*jobs.Account{},
		Budget:    b,
		Schedules: cfg.Schedules,
		Logger:    logger,
		OnRows: func(table string, offered, changed int) {
			m.RowsUpserted.WithLabelValues(table, "changed").Add(float64(changed))
			m.RowsUpserted.WithLabelValues(table, "unchanged").Add(float64(offered - changed))
		},
		OnDecodeWarning: m.ObserveDecodeProblem,
		OnPIIPurged:     func(n int64) { m.PIIPurged.Add(float64(n)) },
		PushSince:       time.Now(),
	})
	for _, a := range cfg.Accounts {
		acct := &jobs.Account{Account: a}
		observe := jobs.ObserveResponses(b, acct)
		watch := deps.WatchPermissions(acct)
		opts := spapi.Options{
			Region:      spapi.Region(a.Region),
			Account:     a.ID,
			Endpoint:    cfg.SPAPIEndpoint,
			LWAEndpoint: cfg.LWAEndpoint,
			Credentials: spapi.Credentials{ClientID: a.ClientID, ClientSecret: string(a.ClientSecret), RefreshToken: string(a.RefreshToken)},
			OnResponse: func(ctx context.Context, meta spapi.ResponseMeta) {
				m.ObserveResponse(acct.ID, meta.Op, meta.StatusCode)
				observe(ctx, meta)
				watch(ctx, meta)
			},
		}
		if simSrv != nil {
			sa, _ := simSrv.Account(a.ID)
			opts.Endpoint, opts.LWAEndpoint = simSrv.url, simSrv.url+"/auth/o2/token"
			opts.Credentials = spapi.Credentials{ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, RefreshToken: sa.RefreshToken}
		}
		client, err := spapi.NewClient(opts)
		if err != nil {
			release()
			return nil, nil, nil, fmt.Errorf("account %s: %w", a.ID, err)
		}
		acct.Client = client
		deps.Accounts[a.ID] = acct
	}
	return deps, simSrv, release, nil
}
