package config_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestLoad(t *testing.T) {
	t.Parallel()

	t.Run("DefaultsRunTheSimulator", func(t *testing.T) {
		t.Parallel()
		cfg, err := config.Load(env(nil))
		require.NoError(t, err)
		require.True(t, cfg.Simulate)
		require.Equal(t, "127.0.0.1:8080", cfg.HTTPAddr)
		require.Equal(t, ".spsync", cfg.DataDir)
		require.Len(t, cfg.Accounts, 1)
		require.Equal(t, "na", cfg.Accounts[0].Region)
		require.Equal(t, []string{"ATVPDKIKX0DER"}, cfg.Accounts[0].MarketplaceIDs)
	})

	t.Run("OrdersAPIDefaultsTo2026", func(t *testing.T) {
		t.Parallel()
		cfg, err := config.Load(env(nil))
		require.NoError(t, err)
		require.Equal(t, config.OrdersAPI2026, cfg.Accounts[0].OrdersAPI)
		require.Equal(t, []string{"CANCELLATION", "FULFILLMENT", "PACKAGES", "PROCEEDS", "PROMOTION", "RECIPIENT"}, cfg.OrdersIncludedData)
		require.False(t, cfg.OrdersStorePII)
		require.Equal(t, 30*24*time.Hour, cfg.PIIRetention)
		require.Equal(t, time.Hour, cfg.OrdersFirstWindow, "a first orders poll reads its last hour; the lookback follows as a backfill")
		require.Zero(t, cfg.QuarantineRetention, "quarantined records are kept unless the operator sets a retention")
		require.Equal(t, config.MetricsPerAccount, cfg.MetricsAccountLabels, "the alert rules and the dashboard name the seller")
		// The orders poll's schedules per API: streams.TestSchedules.
	})

	t.Run("OrdersSettings", func(t *testing.T) {
		t.Parallel()
		cfg, err := config.Load(env(map[string]string{
			"SPSYNC_ORDERS_API": "V0", "SPSYNC_ORDERS_INCLUDED_DATA": "packages, tax", "SPSYNC_ORDERS_STORE_PII": "true",
			"SPSYNC_PII_RETENTION": "720h", "SPSYNC_ORDERS_CRON": "@every 7m", "SPSYNC_ORDERS_FIRST_WINDOW": "0",
		}))
		require.NoError(t, err)
		require.Equal(t, config.OrdersAPIV0, cfg.Accounts[0].OrdersAPI)
		require.Equal(t, []string{"BUYER", "FULFILLMENT", "PACKAGES", "PROCEEDS", "RECIPIENT", "TAX"}, cfg.OrdersIncludedData,
			"FULFILLMENT and PROCEEDS always; BUYER and RECIPIENT with the PII opt-in")
		require.Equal(t, 30*24*time.Hour, cfg.PIIRetention)
		require.Zero(t, cfg.OrdersFirstWindow, "0: the first poll reads the whole lookback")
		require.Equal(t, "@every 7m", cfg.Schedules.Configured(config.ScheduleSpec{Env: "SPSYNC_ORDERS_CRON"}), "a configured schedule is read")
	})

	t.Run("MetricsAccountLabels", func(t *testing.T) {
		t.Parallel()
		cfg, err := config.Load(env(map[string]string{"SPSYNC_METRICS_ACCOUNT_LABELS": "Aggregate"}))
		require.NoError(t, err)
		require.Equal(t, config.MetricsAggregate, cfg.MetricsAccountLabels)
	})

	t.Run("MaxWorkers", func(t *testing.T) {
		t.Parallel()
		cfg, err := config.Load(env(map[string]string{"SPSYNC_MAX_WORKERS": "400"}))
		require.NoError(t, err)
		require.Equal(t, 400, cfg.MaxWorkers)
		cfg, err = config.Load(env(nil))
		require.NoError(t, err)
		require.Zero(t, cfg.MaxWorkers, "unset: the default ceiling (jobs.DefaultMaxWorkers)")
	})

	t.Run("QuarantineRetention", func(t *testing.T) {
		t.Parallel()
		for v, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "36h": 36 * time.Hour, "1d": 24 * time.Hour} {
			cfg, err := config.Load(env(map[string]string{"SPSYNC_QUARANTINE_RETENTION": v}))
			require.NoError(t, err, v)
			require.Equal(t, want, cfg.QuarantineRetention, v)
		}
	})

	t.Run("CredentialsSelectRealAmazon", func(t *testing.T) {
		t.Parallel()
		cfg, err := config.Load(env(map[string]string{
			"LWA_CLIENT_ID": "amzn1.application-oa2-client.x", "LWA_CLIENT_SECRET": "s3cr3t", "SPAPI_REFRESH_TOKEN": "Atzr|tok",
			"SPAPI_REGION": "EU", "SPAPI_MARKETPLACE_IDS": "A1PA6795UKMFR9, A1RKKUPIHCS9HS,A1PA6795UKMFR9",
		}))
		require.NoError(t, err)
		require.False(t, cfg.Simulate)
		require.Equal(t, "eu", cfg.Accounts[0].Region)
		require.Equal(t, []string{"A1PA6795UKMFR9", "A1RKKUPIHCS9HS"}, cfg.Accounts[0].MarketplaceIDs)
		require.Equal(t, "s3cr3t", cfg.Accounts[0].ClientSecret.Reveal())
	})

	// Every bad value gets one line that names the variable and the fix.
	badCases := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{"UnknownRegion", map[string]string{"SPAPI_REGION": "us"}, "SPAPI_REGION"},
		{"BadMarketplace", map[string]string{"SPAPI_MARKETPLACE_IDS": "us-east"}, "SPAPI_MARKETPLACE_IDS"},
		{"PartialCredentials", map[string]string{"LWA_CLIENT_ID": "x"}, "LWA_CLIENT_ID"},
		{"BadEndpoint", map[string]string{"SPAPI_ENDPOINT": "ftp://x"}, "SPAPI_ENDPOINT"},
		{"BadLWAEndpoint", map[string]string{"LWA_ENDPOINT": "not a url"}, "LWA_ENDPOINT"},
		{"BadHTTPAddr", map[string]string{"SPSYNC_HTTP_ADDR": "8080"}, "SPSYNC_HTTP_ADDR"},
		{"BadCron", map[string]string{"SPSYNC_ORDERS_CRON": "every minute"}, "SPSYNC_ORDERS_CRON"},
		{"BadDatabaseURL", map[string]string{"DATABASE_URL": "localhost"}, "DATABASE_URL"},
		{"UnknownOrdersAPI", map[string]string{"SPSYNC_ORDERS_API": "2024-01-01"}, "SPSYNC_ORDERS_API"},
		{"UnknownIncludedData", map[string]string{"SPSYNC_ORDERS_INCLUDED_DATA": "FULFILLMENT,ADDRESS"}, "SPSYNC_ORDERS_INCLUDED_DATA"},
		{"BuyerWithoutPII", map[string]string{"SPSYNC_ORDERS_INCLUDED_DATA": "BUYER"}, "SPSYNC_ORDERS_INCLUDED_DATA"},
		{"BadStorePII", map[string]string{"SPSYNC_ORDERS_STORE_PII": "maybe"}, "SPSYNC_ORDERS_STORE_PII"},
		{"BadFirstWindow", map[string]string{"SPSYNC_ORDERS_FIRST_WINDOW": "an hour"}, "SPSYNC_ORDERS_FIRST_WINDOW"},
		{"ShortFirstWindow", map[string]string{"SPSYNC_ORDERS_FIRST_WINDOW": "1m"}, "SPSYNC_ORDERS_FIRST_WINDOW"},
		{"FirstWindowIsTheLookback", map[string]string{"SPSYNC_ORDERS_FIRST_WINDOW": "30d"}, "SPSYNC_ORDERS_FIRST_WINDOW"},
		{"BadRetention", map[string]string{"SPSYNC_PII_RETENTION": "a month"}, "SPSYNC_PII_RETENTION"},
		{"NegativeRetention", map[string]string{"SPSYNC_PII_RETENTION": "-5d"}, "SPSYNC_PII_RETENTION"},
		{"BadQuarantineRetention", map[string]string{"SPSYNC_QUARANTINE_RETENTION": "a quarter"}, "SPSYNC_QUARANTINE_RETENTION"},
		{"ZeroQuarantineRetention", map[string]string{"SPSYNC_QUARANTINE_RETENTION": "0d"}, "SPSYNC_QUARANTINE_RETENTION"},
		{"NegativeQuarantineRetention", map[string]string{"SPSYNC_QUARANTINE_RETENTION": "-1h"}, "SPSYNC_QUARANTINE_RETENTION"},
		{"BadRateScale", map[string]string{"SPSYNC_SIM_RATE_SCALE": "-3"}, "SPSYNC_SIM_RATE_SCALE"},
		{"BadRateLimits", map[string]string{"SPSYNC_RATE_LIMITS": "getOrdrs=1:2"}, "SPSYNC_RATE_LIMITS"},
		{"BadStorePII", map[string]string{"SPSYNC_SERVICE_JOBS_STORE_PII": "maybe"}, "SPSYNC_SERVICE_JOBS_STORE_PII"},
		{"BadMetricsAccountLabels", map[string]string{"SPSYNC_METRICS_ACCOUNT_LABELS": "none"}, "SPSYNC_METRICS_ACCOUNT_LABELS"},
		{"BadMaxWorkers", map[string]string{"SPSYNC_MAX_WORKERS": "lots"}, "SPSYNC_MAX_WORKERS"},
		{"TooFewMaxWorkers", map[string]string{"SPSYNC_MAX_WORKERS": "5"}, "SPSYNC_MAX_WORKERS"},
	}
	// Schedules are checked against the specs the streams declare (config
	// knows none; streams.TestSchedules checks the registry's): here one
	// like the orders poll's.
	for _, tc := range badCases {
		t.Run("Rejects"+tc.name, func(t *testing.T) {
			t.Parallel()
			err := loadAndCheck(tc.env, config.ScheduleSpec{Env: "SPSYNC_ORDERS_CRON", Default: "*/5 * * * *"})
			require.Error(t, err)
			require.True(t, config.IsConfigError(err))
			require.Contains(t, err.Error(), tc.wantVar)
			require.NotContains(t, err.Error(), "\n")
		})
	}
}

// loadAndCheck is Load and a check of the schedules of specs, as the worker
// does with the registry's.
func loadAndCheck(kv map[string]string, specs ...config.ScheduleSpec) error {
	cfg, err := config.Load(env(kv))
	if err != nil {
		return err
	}
	return cfg.Schedules.Check(specs)
}

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()

	const value = "amzn-secret-VALUE-123"
	acct := config.Account{ID: "a", ClientSecret: config.Secret(value), RefreshToken: config.Secret(value)}

	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("account", "acct", acct, "secret", acct.ClientSecret)
	js, err := json.Marshal(acct)
	require.NoError(t, err)

	for _, out := range []string{
		fmt.Sprint(acct), fmt.Sprintf("%+v", acct), fmt.Sprintf("%#v", acct), fmt.Sprintf("%v", acct.RefreshToken),
		logged.String(), string(js),
	} {
		require.NotContains(t, out, value)
	}
	require.Equal(t, value, acct.ClientSecret.Reveal())
}
