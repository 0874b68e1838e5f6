package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
)

func TestLoadPush(t *testing.T) {
	t.Parallel()
	creds := map[string]string{"LWA_CLIENT_ID": "amzn1.application-oa2-client.x", "LWA_CLIENT_SECRET": "s", "SPAPI_REFRESH_TOKEN": "Atzr|r"}
	with := func(kv map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range creds {
			out[k] = v
		}
		for k, v := range kv {
			out[k] = v
		}
		return out
	}
	queue := "https://sqs.us-east-1.amazonaws.com/123456789012/spsync-notifications"
	// pollSpec is a schedule like the fulfillment orders poll's (each
	// stream's own: streams.TestSchedules).
	pollSpec := config.ScheduleSpec{Env: "SPSYNC_FULFILLMENT_ORDERS_CRON", Default: "*/5 * * * *", SafetyNet: config.SafetyNetSchedule}

	t.Run("OffByDefault", func(t *testing.T) {
		t.Parallel()
		cfg, err := config.Load(env(creds))
		require.NoError(t, err)
		require.False(t, cfg.Push.Enabled())
		require.False(t, cfg.Schedules.SafetyNet)
		require.Equal(t, "*/5 * * * *", cfg.Schedules.Cron(pollSpec))
	})

	t.Run("QueueMakesThePollsASafetyNet", func(t *testing.T) {
		t.Parallel()
		cfg, err := config.Load(env(with(map[string]string{"SPSYNC_SQS_QUEUE_URL": queue, "SPAPI_SELLING_PARTNER_ID": "A3TH9S8BH6GOGM"})))
		require.NoError(t, err)
		require.True(t, cfg.Push.Enabled())
		require.Equal(t, queue, cfg.Push.QueueURL)
		require.Equal(t, "A3TH9S8BH6GOGM", cfg.Accounts[0].SellingPartnerID)
		require.True(t, cfg.Schedules.SafetyNet)
		require.Equal(t, config.SafetyNetSchedule, cfg.Schedules.Cron(pollSpec))
		require.Equal(t, "*/5 * * * *", cfg.Schedules.Cron(config.ScheduleSpec{Env: "SPSYNC_SERVICE_JOBS_CRON", Default: "*/5 * * * *"}),
			"a schedule without a safety-net default stays as it is")
	})

	t.Run("ConfiguredSchedulesWin", func(t *testing.T) {
		t.Parallel()
		cfg, err := config.Load(env(with(map[string]string{"SPSYNC_SQS_QUEUE_URL": queue, "SPAPI_SELLING_PARTNER_ID": "A3TH9S8BH6GOGM",
			"SPSYNC_ORDERS_CRON": "*/7 * * * *", "SPSYNC_FULFILLMENT_ORDERS_CRON": "@every 1h"})))
		require.NoError(t, err)
		require.Equal(t, "*/7 * * * *", cfg.Schedules.Cron(config.ScheduleSpec{Env: "SPSYNC_ORDERS_CRON", Default: "*/5 * * * *", SafetyNet: config.SafetyNetSchedule}))
		require.Equal(t, "@every 1h", cfg.Schedules.Cron(pollSpec))
	})

	t.Run("SimulatorPush", func(t *testing.T) {
		t.Parallel()
		cfg, err := config.Load(env(map[string]string{"SPSYNC_SIM_PUSH": "true", "SPSYNC_SQS_ENDPOINT": "http://127.0.0.1:4566"}))
		require.NoError(t, err)
		require.True(t, cfg.Simulate)
		require.True(t, cfg.Push.Enabled())
		require.Equal(t, config.SafetyNetSchedule, cfg.Schedules.Cron(pollSpec))
	})

	dir := t.TempDir()
	accounts := filepath.Join(dir, "accounts.yaml")
	require.NoError(t, os.WriteFile(accounts, []byte(`accounts:
  - id: us
    marketplace_ids: [ATVPDKIKX0DER]
    client_id: amzn1.application-oa2-client.x
    client_secret_env: S
    refresh_token_env: R
    selling_partner_id: A3TH9S8BH6GOGM
  - id: ca
    marketplace_ids: [A2EUQ1WTGCTBG2]
    client_id: amzn1.application-oa2-client.x
    client_secret_env: S
    refresh_token_env: R
`), 0o600))
	fileEnv := map[string]string{"SPSYNC_ACCOUNTS_FILE": accounts, "S": "secret", "R": "Atzr|r"}

	for _, tc := range []struct {
		name, want string
		env        map[string]string
	}{
		{"QueueWithoutSellerID", "SPAPI_SELLING_PARTNER_ID: is required with SPSYNC_SQS_QUEUE_URL", with(map[string]string{"SPSYNC_SQS_QUEUE_URL": queue})},
		{"BadSellerID", "SPAPI_SELLING_PARTNER_ID: \"seller-1\" is not a selling partner id", with(map[string]string{"SPAPI_SELLING_PARTNER_ID": "seller-1"})},
		{"QueueNotAURL", "SPSYNC_SQS_QUEUE_URL: \"spsync-notifications\" is not an SQS queue URL", with(map[string]string{"SPSYNC_SQS_QUEUE_URL": "spsync-notifications", "SPAPI_SELLING_PARTNER_ID": "A3TH9S8BH6GOGM"})},
		{"EndpointNotAURL", "SPSYNC_SQS_ENDPOINT: \"localhost:4566\" is not an http(s) URL", with(map[string]string{"SPSYNC_SQS_ENDPOINT": "localhost:4566"})},
		{"SimPushWithCredentials", "SPSYNC_SIM_PUSH: is for the built-in simulator", with(map[string]string{"SPSYNC_SIM_PUSH": "true"})},
		{"QueueWithTheSimulator", "SPSYNC_SQS_QUEUE_URL: is set but no SP-API credentials are", map[string]string{"SPSYNC_SQS_QUEUE_URL": queue}},
		{"SimPushNotABool", "SPSYNC_SIM_PUSH: \"maybe\" is not true or false", map[string]string{"SPSYNC_SIM_PUSH": "maybe"}},
		{"SimPushWithoutSQS", "SPSYNC_SIM_PUSH: needs a local SQS server at SPSYNC_SQS_ENDPOINT", map[string]string{"SPSYNC_SIM_PUSH": "true"}},
		{"AccountsFileAccountWithoutSellerID", `account "ca": selling_partner_id is required with SPSYNC_SQS_QUEUE_URL`, func() map[string]string {
			m := map[string]string{"SPSYNC_SQS_QUEUE_URL": queue}
			for k, v := range fileEnv {
				m[k] = v
			}
			return m
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(env(tc.env))
			require.Error(t, err)
			require.True(t, config.IsConfigError(err))
			require.Contains(t, err.Error(), tc.want)
		})
	}

	t.Run("AccountsFileSellerIDs", func(t *testing.T) {
		t.Parallel()
		cfg, err := config.Load(env(fileEnv))
		require.NoError(t, err)
		require.Equal(t, "A3TH9S8BH6GOGM", cfg.Accounts[0].SellingPartnerID)
		require.Empty(t, cfg.Accounts[1].SellingPartnerID)
	})
}
