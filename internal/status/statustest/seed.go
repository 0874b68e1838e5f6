// Package statustest seeds a database with what `worker status` and
// /metrics read for many accounts at once, so that their cost at a
// thousand sellers (issue 25) is measured on real Postgres rows rather
// than guessed: accounts, cursors, rate budgets, poll schedules, push
// health, quarantined records, refused operations, running backfills and
// River jobs, in the proportions a fleet of sellers has in steady state.
package statustest

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/spapi"
)

// Operations are the rate buckets each seeded account holds: the ones a
// seller syncing orders (2026-01-01), FBA orders, service jobs and
// finances with push on spends, ten a seller.
var Operations = []string{
	"searchOrders", "getOrder2026", "listAllFulfillmentOrders", "getFulfillmentOrder", "getPackageTrackingDetails",
	"getServiceJobs", "getServiceJobByServiceJobId", "listTransactions", "createRestrictedDataToken", "getSubscription",
}

// AccountID is the id of the i-th seeded account (from 1).
func AccountID(i int) string { return fmt.Sprintf("seller-%04d", i) }

// ClientID is the one application every seeded account uses.
const ClientID = "amzn1.application-oa2-client.bench"

// Seed writes n accounts' rows into pool's (empty, migrated) database.
// The mix, fixed by the account number so runs compare:
//   - states: 1 in 100 paused, 1 in 100 needs_reauth, 1 in 100 removed;
//     the rest active; one region in five eu, the rest na; 1 to 3
//     marketplaces (service jobs have a cursor per marketplace);
//   - cursors (orders, fulfillment_orders, financial_transactions and
//     service_jobs per marketplace): lags of 1 to 6 minutes; 1 account in
//     50 hours behind, 1 in 100 failing with a last error, 1 in 200 not
//     polled yet (no cursor);
//   - rate budgets: 10 operations an account, at levels spread over the
//     bucket, searchOrders' near empty for 1 in 4 (a poll spending every
//     refill), throttles on 1 account in 20;
//   - one orders poll schedule an account (1 in 25 over its ceiling, 1 in
//     10 safety-net), push health for orders and FBA orders of every
//     active account, quarantined records and refused operations on 1 in
//     100, a running backfill on 1 in 50;
//   - River jobs: each active account's self-scheduled orders poll, two
//     follow-ups waiting, one available, and 1 in 100 discarded today.
func Seed(ctx context.Context, pool *pgxpool.Pool, n int) error {
	stmts := []string{
		`INSERT INTO applications (client_id) VALUES ('` + ClientID + `')`,
		`INSERT INTO application_secrets (client_id, secret_sealed, state, expires_at, expiry_source, source, accepted_at)
		 VALUES ('` + ClientID + `', 'sealed', 'primary', now() + interval '120 days', 'notification', 'operator', now() - interval '60 days')`,
		`INSERT INTO accounts (id, region, marketplace_ids, selling_partner_id, client_id, orders_api, state, state_reason, state_changed_at, declared_by, last_authorized_at)
		 SELECT 'seller-' || lpad(i::text, 4, '0'),
		        CASE WHEN i % 5 = 0 THEN 'eu' ELSE 'na' END,
		        CASE i % 3 WHEN 0 THEN ARRAY['ATVPDKIKX0DER'] WHEN 1 THEN ARRAY['ATVPDKIKX0DER', 'A2EUQ1WTGCTBG2'] ELSE ARRAY['ATVPDKIKX0DER', 'A2EUQ1WTGCTBG2', 'A1AM78C64UM0Y8'] END,
		        'A' || lpad(i::text, 12, '0'),
		        '` + ClientID + `', '2026-01-01',
		        CASE WHEN i % 100 = 7 THEN 'paused' WHEN i % 100 = 17 THEN 'needs_reauth' WHEN i % 100 = 27 THEN 'removed' ELSE 'active' END,
		        CASE WHEN i % 100 = 7 THEN 'paused by operator' WHEN i % 100 = 17 THEN 'LWA answered invalid_grant' WHEN i % 100 = 27 THEN 'removed by operator' END,
		        now() - make_interval(hours => i % 500),
		        'oauth', now() - make_interval(days => (i * 37) % 365)
		 FROM generate_series(1, $1::int) i`,
		// One cursor per stream, and per marketplace for service jobs.
		`INSERT INTO sync_cursors (account_id, stream, scope, cursor_at, last_run_at, last_success_at, last_error, last_error_at, rows_written)
		 SELECT a.id, s.stream, s.scope,
		        CASE WHEN a.n % 200 = 3 THEN NULL
		             WHEN a.n % 50 = 9 THEN now() - make_interval(mins => 60 + (a.n * 13) % 600)
		             ELSE now() - make_interval(secs => 60 + (a.n * 31 + length(s.stream) * 17) % 300) END,
		        now() - interval '1 minute',
		        CASE WHEN a.n % 200 = 3 THEN NULL WHEN a.n % 100 = 11 THEN now() - interval '2 hours' ELSE now() - interval '1 minute' END,
		        CASE WHEN a.n % 100 = 11 THEN 'searchOrders: 503 Service Unavailable: InternalFailure (request id ' || a.n || ')' END,
		        CASE WHEN a.n % 100 = 11 THEN now() - interval '1 minute' END,
		        (a.n * 101) % 50000
		 FROM (SELECT id, substr(id, 8)::int AS n, marketplace_ids FROM accounts) a
		 CROSS JOIN LATERAL (
		     SELECT 'orders' AS stream, '' AS scope UNION ALL SELECT 'fulfillment_orders', '' UNION ALL SELECT 'financial_transactions', ''
		     UNION ALL SELECT 'service_jobs', m FROM unnest(a.marketplace_ids) m) s`,
		`INSERT INTO rate_budgets (account_id, region, operation, plan_rate, plan_burst, rate, burst, tokens, updated_at, granted_total, throttled_total, last_throttled_at)
		 SELECT a.id, a.region, o.op, o.rate, 20, o.rate, 19,
		        CASE WHEN o.op = 'searchOrders' AND a.n % 4 = 0 THEN 0.2 ELSE ((a.n * 7 + o.k * 3) % 20)::float8 END,
		        now(), (a.n * 53 + o.k) % 10000,
		        CASE WHEN a.n % 20 = 5 THEN o.k ELSE 0 END,
		        CASE WHEN a.n % 20 = 5 AND o.k > 0 THEN now() - interval '10 minutes' END
		 FROM (SELECT id, region, substr(id, 8)::int AS n FROM accounts) a
		 -- searchOrders at Amazon's rate ($2), so that its near-empty buckets
		 -- stay near empty while a test reads them (at 1/s they refill in 2 s).
		 CROSS JOIN LATERAL (SELECT u.op, u.k, CASE WHEN u.op = 'searchOrders' THEN $2::float8 ELSE 1 END AS rate
		                     FROM unnest($1::text[]) WITH ORDINALITY AS u(op, k)) o`,
		`INSERT INTO poll_schedules (account_id, stream, operation, mode, change_rate, calls_per_hour, budget_per_hour, headroom_per_hour, ceiling_per_hour,
		                             interval_seconds, lag_target_seconds, lag_slope, last_window_changes, last_window_seconds, last_calls, decided_at, next_poll_at)
		 SELECT id, 'orders', 'searchOrders',
		        CASE WHEN n % 25 = 4 THEN 'over-ceiling' WHEN n % 10 = 1 THEN 'safety-net' ELSE 'fresh' END,
		        CASE WHEN n % 25 = 4 THEN 2600 ELSE (n * 17) % 900 END,
		        20.1, 20.1, 0, 2016, 179, 300, CASE WHEN n % 25 = 4 THEN 0.29 ELSE 0 END, 10, 179, 1, now(), now() + make_interval(secs => n % 179)
		 FROM (SELECT id, substr(id, 8)::int AS n FROM accounts WHERE state = 'active') a`,
		`INSERT INTO push_streams (account_id, stream, last_received_at, notifications, safety_net_unannounced)
		 SELECT id, s, now() - make_interval(secs => n % 900), n * 3, CASE WHEN n % 50 = 13 THEN 2 ELSE 0 END
		 FROM (SELECT id, substr(id, 8)::int AS n FROM accounts WHERE state = 'active') a
		 CROSS JOIN unnest(ARRAY['orders', 'fulfillment_orders']) s`,
		`INSERT INTO quarantined_records (account_id, operation, entity_id, reason, raw, raw_hash)
		 SELECT id, 'searchOrders', NULL, 'missing orderId', jsonb_build_object('n', k), md5(id || k)
		 FROM (SELECT id, substr(id, 8)::int AS n FROM accounts) a CROSS JOIN generate_series(1, 3) k WHERE n % 100 = 42`,
		`INSERT INTO permission_denials (account_id, operation, error)
		 SELECT id, 'createRestrictedDataToken', '403 Unauthorized: Access to requested resource is denied.'
		 FROM (SELECT id, substr(id, 8)::int AS n FROM accounts) a WHERE n % 100 = 55`,
		`INSERT INTO backfills (account_id, stream, from_time, to_time, window_seconds, windows_total, windows_done, rows_written)
		 SELECT id, 'orders', now() - interval '400 days', now() - interval '30 days', 86400 * 7, 53, n % 53, n * 10
		 FROM (SELECT id, substr(id, 8)::int AS n FROM accounts WHERE state = 'active') a WHERE n % 50 = 21`,
		`INSERT INTO river_job (kind, args, queue, priority, max_attempts, state, scheduled_at, finalized_at)
		 SELECT j.kind, jsonb_build_object('account_id', a.id), j.queue, 1, 25, j.state::river_job_state,
		        now() + make_interval(secs => a.n % 179),
		        CASE WHEN j.state = 'discarded' THEN now() - interval '1 hour' END
		 FROM (SELECT id, substr(id, 8)::int AS n FROM accounts WHERE state = 'active') a
		 CROSS JOIN (VALUES ('orders_poll', 'poll', 'scheduled'), ('order_items', 'followup', 'scheduled'),
		                    ('order_items', 'followup', 'scheduled'), ('fulfillment_order', 'followup', 'available')) j(kind, queue, state)
		 UNION ALL
		 SELECT 'order_items', jsonb_build_object('account_id', id), 'followup', 1, 25, 'discarded'::river_job_state, now(), now() - interval '1 hour'
		 FROM (SELECT id, substr(id, 8)::int AS n FROM accounts) a WHERE n % 100 = 61`,
	}
	for _, s := range stmts {
		var args []any
		switch {
		case strings.Contains(s, "$1::int"):
			args = []any{n}
		case strings.Contains(s, "$1::text[]"):
			args = []any{Operations, spapi.DefaultUsagePlans[spapi.OpSearchOrders].Rate}
		}
		if _, err := pool.Exec(ctx, s, args...); err != nil {
			return fmt.Errorf("seed %d accounts: %w\n%s", n, err, s)
		}
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("seed: analyze: %w", err)
	}
	return nil
}
