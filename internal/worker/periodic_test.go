package worker

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders/ordermap"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
	"github.com/spsync/spsync/internal/streams"
)

// TestPeriodicJobsWithThreeAccounts runs the worker with three accounts of
// one application. River inserts every periodic job due at start-up in one
// statement; with the PII purge registered once per account that statement
// carried three copies of one unique job and Postgres refused it whole, so
// the purge never ran. The accounts' polls are the scheduler tick's
// (jobs.PollSchedulerArgs), which starts accounts new to it at once; their
// schedules never fire during the test, so only that first tick can have
// inserted what runs.
func TestPeriodicJobsWithThreeAccounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	accountIDs := []string{"seller-a", "seller-b", "seller-c"}
	accts := make([]sim.Account, len(accountIDs))
	for i, id := range accountIDs {
		accts[i] = sim.DemoAccount
		accts[i].ID, accts[i].SellerID = id, ""
		accts[i].RefreshToken += "-" + id
		accts[i].MarketplaceIDs = []string{sim.MarketplaceUS}
	}
	s := sim.MustNew(sim.Options{Seed: 3, Accounts: accts, Orders: 20, FulfillmentOrders: 5, ServiceJobs: 5, BurstScale: 100})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	file := filepath.Join(t.TempDir(), "accounts.yaml")
	yaml := "accounts:\n"
	env := map[string]string{
		"SPAPI_ENDPOINT": srv.URL, "LWA_ENDPOINT": srv.URL + "/auth/o2/token", "SECRET": sim.DemoAccount.ClientSecret,
		"SPSYNC_ACCOUNTS_FILE": file, "SPSYNC_HTTP_ADDR": "127.0.0.1:0",
	}
	// Once a year: only the start-up batch inserts polls during the test.
	setPollCrons(env, "0 0 1 1 *")
	for _, a := range accts {
		tokenEnv := "REFRESH_" + strings.ToUpper(strings.TrimPrefix(a.ID, "seller-"))
		yaml += fmt.Sprintf("  - id: %s\n    region: na\n    marketplace_ids: [%s]\n    client_id: %s\n    client_secret_env: SECRET\n    refresh_token_env: %s\n",
			a.ID, sim.MarketplaceUS, a.ClientID, tokenEnv)
		env[tokenEnv] = a.RefreshToken
	}
	require.NoError(t, os.WriteFile(file, []byte(yaml), 0o600))
	env["DATABASE_URL"] = dbtest.NewURL(t)
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)

	pool, err := pgxpool.New(ctx, env["DATABASE_URL"])
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	// Each account's buyer PII: one closed beyond the retention (due), one
	// closed a day ago, one open.
	now := time.Now().UTC()
	var keep []string
	for _, id := range accountIDs {
		due := jobstest.PIIOrder2026(t, "DUE-"+id, "SHIPPED", now.Add(-40*24*time.Hour))
		recent := jobstest.PIIOrder2026(t, "RECENT-"+id, "SHIPPED", now.Add(-24*time.Hour))
		open := jobstest.PIIOrder2026(t, "OPEN-"+id, "UNSHIPPED", now.Add(-90*24*time.Hour))
		keep = append(keep, "OPEN-"+id, "RECENT-"+id)
		require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			rows, err := ordermap.PII([]spapi.Order2026{due, recent, open})
			if err != nil {
				return err
			}
			_, err = store.UpsertOrderPII(ctx, tx, id, rows, 30*24*time.Hour)
			return err
		}))
	}

	runCtx, cancel := context.WithCancel(ctx)
	ready := make(chan ReadyInfo, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(runCtx, Options{Config: cfg, Migrate: true, ShutdownTimeout: 5 * time.Second, Ready: func(r ReadyInfo) { ready <- r }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(time.Minute):
			t.Error("worker did not stop within a minute")
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("worker stopped before it was ready: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("worker not ready after 2 minutes")
	}

	// Every account's poll of every stream completes from the start-up batch.
	want := map[string]bool{}
	for _, id := range accountIDs {
		for _, stream := range streams.All(nil) {
			want[id+" "+stream.Name] = true
		}
	}
	var polled map[string]bool
	require.Eventually(t, func() bool {
		rows, err := pool.Query(ctx, `SELECT DISTINCT account_id || ' ' || stream FROM sync_cursors WHERE last_success_at IS NOT NULL`)
		require.NoError(t, err)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		polled = map[string]bool{}
		for _, g := range got {
			polled[g] = true
		}
		return len(polled) == len(want)
	}, time.Minute, 100*time.Millisecond, "every account's streams poll right after start")
	require.Equal(t, want, polled)

	// The purge ran once, from the start-up batch, and deleted exactly the
	// rows due, across all three accounts.
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'order_pii_purge' AND state = 'completed'`).Scan(&n))
		return n > 0
	}, time.Minute, 100*time.Millisecond, "the PII purge runs at start-up")
	var purges int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'order_pii_purge'`).Scan(&purges))
	require.Equal(t, 1, purges, "one purge for every account")
	rows, err := pool.Query(ctx, `SELECT amazon_order_id FROM order_pii ORDER BY 1`)
	require.NoError(t, err)
	left, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.ElementsMatch(t, keep, left)

	var failures int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM periodic_insert_failures`).Scan(&failures))
	require.Zero(t, failures, "River inserted every periodic job")
}

// setPollCrons sets the schedule variable of every stream's poll (the
// registry's, so a new stream is covered) to cron in env.
func setPollCrons(env map[string]string, cron string) {
	for _, spec := range streams.All(nil).ScheduleSpecs() {
		env[spec.Env] = cron
	}
}
