package streams_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/streams"
)

// TestSchedules: each stream declares its poll's variable and defaults
// (jobs.Periodic.Cron); config reads them for the registry. The defaults,
// the safety net with push, and a configured schedule winning are those
// config.Load gave before it knew no stream.
func TestSchedules(t *testing.T) {
	t.Parallel()
	creds := map[string]string{"LWA_CLIENT_ID": "amzn1.application-oa2-client.x", "LWA_CLIENT_SECRET": "s", "SPAPI_REFRESH_TOKEN": "Atzr|r",
		"SPAPI_SELLING_PARTNER_ID": "A3TH9S8BH6GOGM"}
	queue := "https://sqs.us-east-1.amazonaws.com/123456789012/spsync-notifications"
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
	all := streams.All(nil)

	// The schedules config.Load had before it knew no stream keep their
	// defaults; every schedule a stream declares is listed once, in
	// registry order (a new stream's is checked by its own package, and its
	// variable is pinned by golden_env.txt).
	historical := map[string]config.ScheduleSpec{
		"SPSYNC_ORDERS_CRON":             {Env: "SPSYNC_ORDERS_CRON", Default: "*/5 * * * *", SafetyNet: config.SafetyNetSchedule},
		"SPSYNC_SERVICE_JOBS_CRON":       {Env: "SPSYNC_SERVICE_JOBS_CRON", Default: "*/5 * * * *"},
		"SPSYNC_FULFILLMENT_ORDERS_CRON": {Env: "SPSYNC_FULFILLMENT_ORDERS_CRON", Default: "*/5 * * * *", SafetyNet: config.SafetyNetSchedule},
	}
	var declared []config.ScheduleSpec
	for _, st := range all {
		for _, p := range st.Periodic {
			if p.Cron.Env != "" && !slices.Contains(declared, p.Cron) {
				declared = append(declared, p.Cron)
			}
		}
	}
	require.Equal(t, declared, all.ScheduleSpecs(), "every schedule an operator sets, once, in registry order")
	for env, spec := range historical {
		require.Contains(t, all.ScheduleSpecs(), spec, env)
	}

	// poll is the cron of stream's poll for an account on the given Orders
	// API, and whether it schedules itself.
	poll := func(t *testing.T, s config.Schedules, stream, api string) (string, bool) {
		t.Helper()
		st, ok := all.Lookup(stream)
		require.True(t, ok, stream)
		acct := &jobs.Account{Account: config.Account{ID: "a", OrdersAPI: api}}
		for _, p := range st.Periodic {
			if p.Poll {
				return p.CronFor(s, acct), p.SelfScheduled != nil && p.SelfScheduled(s, acct)
			}
		}
		t.Fatalf("stream %s has no poll", stream)
		return "", false
	}
	type want struct {
		stream, api, cron string
		self              bool
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []want
	}{
		{"Defaults", nil, []want{
			// Budget-aware orders polls; their fallback cron per API.
			{"orders", config.OrdersAPI2026, "*/5 * * * *", true},
			{"orders", config.OrdersAPIV0, "*/2 * * * *", true},
			{"fulfillment_orders", "", "*/5 * * * *", false},
			{"service_jobs", "", "*/5 * * * *", false},
		}},
		{"CredentialsWithoutPush", creds, []want{
			{"orders", config.OrdersAPI2026, "*/5 * * * *", true},
			{"fulfillment_orders", "", "*/5 * * * *", false},
		}},
		{"QueueMakesThePollsASafetyNet", with(map[string]string{"SPSYNC_SQS_QUEUE_URL": queue}), []want{
			{"orders", config.OrdersAPI2026, config.SafetyNetSchedule, true},
			{"orders", config.OrdersAPIV0, config.SafetyNetSchedule, true},
			{"fulfillment_orders", "", config.SafetyNetSchedule, false},
			// Service jobs have no notification: they stay polled.
			{"service_jobs", "", "*/5 * * * *", false},
		}},
		{"ConfiguredSchedulesWin", with(map[string]string{"SPSYNC_SQS_QUEUE_URL": queue,
			"SPSYNC_ORDERS_CRON": "*/7 * * * *", "SPSYNC_FULFILLMENT_ORDERS_CRON": "@every 1h"}), []want{
			{"orders", config.OrdersAPI2026, "*/7 * * * *", false},
			{"orders", config.OrdersAPIV0, "*/7 * * * *", false},
			{"fulfillment_orders", "", "@every 1h", false},
		}},
		{"ConfiguredOrdersSchedule", map[string]string{"SPSYNC_ORDERS_CRON": "@every 7m", "SPSYNC_SERVICE_JOBS_CRON": "@every 2s"}, []want{
			{"orders", config.OrdersAPI2026, "@every 7m", false},
			{"service_jobs", "", "@every 2s", false},
		}},
		{"SimulatorPush", map[string]string{"SPSYNC_SIM_PUSH": "true", "SPSYNC_SQS_ENDPOINT": "http://127.0.0.1:4566"}, []want{
			{"fulfillment_orders", "", config.SafetyNetSchedule, false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Load(func(k string) string { return tc.env[k] })
			require.NoError(t, err)
			require.NoError(t, cfg.Schedules.Check(all.ScheduleSpecs()))
			for _, w := range tc.want {
				cron, self := poll(t, cfg.Schedules, w.stream, w.api)
				require.Equal(t, w.cron, cron, "%s poll (%s)", w.stream, w.api)
				require.Equal(t, w.self, self, "%s poll (%s) self-scheduled", w.stream, w.api)
			}
		})
	}

	// Every stream's variable is checked, and the error names it and the
	// fix in one line, as config.Load's own.
	for _, spec := range all.ScheduleSpecs() {
		t.Run("Rejects"+spec.Env, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Load(func(k string) string { return map[string]string{spec.Env: "every minute"}[k] })
			require.NoError(t, err)
			err = cfg.Schedules.Check(all.ScheduleSpecs())
			require.Error(t, err)
			require.True(t, config.IsConfigError(err))
			require.Equal(t, "config: "+spec.Env+`: "every minute" is not a cron expression (expected exactly 5 fields, found 2: [every minute]): use 5 fields like "*/5 * * * *" or "@every 5m"`, err.Error())
		})
	}
}
