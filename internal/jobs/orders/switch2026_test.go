package orders_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// noSource2026 are the typed columns Orders 2026-01-01 has no source for
// (README, "Orders API 2026-01-01"): NULL in rows it writes. The rest of
// each table, less what only 2026 fills and the bookkeeping, must read the
// same through either version.
var noSource2026 = map[string][]string{
	"orders": {"ship_service_level", "order_type", "payment_method", "payment_method_details", "easy_ship_shipment_status",
		"electronic_invoice_status", "buyer_invoice_preference", "promise_response_due_date", "is_global_express_enabled",
		"is_estimated_ship_date_set", "is_sold_by_ab", "is_iba", "is_access_point_order", "has_regulated_items",
		"seller_display_name", "shipping_address_postal_code"},
	"order_items": {"shipping_discount_tax_amount", "shipping_discount_tax_currency", "promotion_discount_tax_amount",
		"promotion_discount_tax_currency", "cod_fee_discount_amount", "cod_fee_discount_currency", "serial_number_required",
		"ioss_number", "store_chain_store_id", "deemed_reseller_category"},
}

// only2026 are the columns only Orders 2026-01-01 fills, and bookkeeping.
var notCompared = []string{"raw", "sync_version", "synced_at", "api_version", "proceeds_amount", "proceeds_currency", "programs",
	"easyship_shipment_ids", "unit_price_amount", "unit_price_currency", "proceeds_total_amount", "proceeds_total_currency"}

// typedRows reads table's compared columns, keyed by the row's key, numbers
// without trailing zeros (10.0 and 10.00 are the same amount).
func typedRows(t *testing.T, pool *pgxpool.Pool, table string, skip map[string]bool) map[string]map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, table)
	require.NoError(t, err)
	var cols, exprs []string
	for rows.Next() {
		var name, typ string
		require.NoError(t, rows.Scan(&name, &typ))
		if slices.Contains(notCompared, name) || slices.Contains(noSource2026[table], name) {
			continue
		}
		expr := name + "::text"
		if typ == "numeric" {
			expr = "trim_scale(" + name + ")::text"
		}
		cols, exprs = append(cols, name), append(exprs, expr)
	}
	require.NoError(t, rows.Err())
	key := "amazon_order_id"
	if table == "order_items" {
		key = "amazon_order_id || ':' || order_item_id"
	}
	rows, err = pool.Query(ctx, fmt.Sprintf(`SELECT %s, %s FROM %s`, key, strings.Join(exprs, ", "), pgx.Identifier{table}.Sanitize()))
	require.NoError(t, err)
	out := map[string]map[string]string{}
	for rows.Next() {
		vals := make([]*string, len(cols)+1)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		if skip[strings.SplitN(*vals[0], ":", 2)[0]] {
			continue
		}
		row := map[string]string{}
		for i, c := range cols {
			if v := vals[i+1]; v != nil {
				row[c] = *v
			} else {
				row[c] = "NULL"
			}
		}
		out[*vals[0]] = row
	}
	require.NoError(t, rows.Err())
	return out
}

// requireSameTyped fails on the first row or column that differs between
// the two databases.
func requireSameTyped(t *testing.T, v0, v2026 *pgxpool.Pool, skip map[string]bool) {
	t.Helper()
	for _, table := range []string{"orders", "order_items"} {
		a, b := typedRows(t, v0, table, skip), typedRows(t, v2026, table, skip)
		require.Equal(t, len(a), len(b), "%s rows", table)
		diffs := map[string]int{}
		example := map[string]string{}
		for k, ra := range a {
			rb, ok := b[k]
			require.True(t, ok, "%s %s is missing from the 2026-synced database", table, k)
			for c, va := range ra {
				if va != rb[c] {
					diffs[c]++
					example[c] = fmt.Sprintf("%s: %s vs %s", k, va, rb[c])
				}
			}
		}
		for c, n := range diffs {
			t.Errorf("%s.%s differs in %d of %d rows (v0 vs 2026-01-01), e.g. %s", table, c, n, len(a), example[c])
		}
	}
}

// changedLately are the orders changed in the two minutes before syncedAt:
// v0 read their items at syncedAt, after the window's end, so the two
// versions may differ on them by design.
func (tb *testBundle) changedLately(t *testing.T, syncedAt time.Time) map[string]bool {
	t.Helper()
	latest, err := tb.Sim.TruthOrders(sim.DemoAccount.ID)
	require.NoError(t, err)
	out := map[string]bool{}
	for _, o := range latest {
		if o.LastUpdateDate.After(syncedAt.Add(-twoMinutes)) {
			out[o.AmazonOrderID] = true
		}
	}
	return out
}

// readmeBIQueries returns the SQL of the README's "For BI" section that
// reads orders, order_items or order_lines.
func readmeBIQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	require.NoError(t, err)
	doc := string(b)
	start := strings.Index(doc, "### For BI")
	require.GreaterOrEqual(t, start, 0, "README has a For BI section")
	section := doc[start:]
	if end := strings.Index(section[4:], "\n### "); end >= 0 {
		section = section[:end+4]
	}
	var out []string
	for _, block := range regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(section, -1) {
		code := regexp.MustCompile(`(?m)--.*$`).ReplaceAllString(block[1], "")
		for _, stmt := range strings.Split(code, ";") {
			if s := strings.TrimSpace(stmt); s != "" && regexp.MustCompile(`\b(orders|order_items|order_lines)\b`).MatchString(s) {
				out = append(out, s)
			}
		}
	}
	require.GreaterOrEqual(t, len(out), 3, "the README's BI queries over orders and items")
	return out
}

// runQuery runs one README query at the simulated now and returns its rows
// as text.
func runQuery(t *testing.T, pool *pgxpool.Pool, query string, now time.Time) []string {
	t.Helper()
	q := strings.ReplaceAll(query, "now()", fmt.Sprintf("'%s'::timestamptz", now.UTC().Format(time.RFC3339)))
	rows, err := pool.Query(context.Background(), q)
	require.NoError(t, err, "README query:\n%s", query)
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		require.NoError(t, err)
		out = append(out, fmt.Sprint(vals...))
	}
	require.NoError(t, rows.Err())
	return out
}

// TestBIQueriesSameThroughEitherVersion: the same simulated seller synced
// through Orders v0 and through 2026-01-01 gives the same typed rows in
// orders and order_items (less the columns 2026 has no source for) and the
// README's BI queries return identical rows, after history and after six
// hours of changes.
func TestBIQueriesSameThroughEitherVersion(t *testing.T) {
	t.Parallel()
	v0, v2026 := setup(t), setup2026Orders(t, 2000) // the same dataset as setup's
	c0 := v0.StartClient(t, v0.workers(v0.Deps), nil)
	c2026 := v2026.StartClient(t, v2026.workers(v2026.Deps), nil)
	queries := readmeBIQueries(t)

	pending := 0
	for _, at := range []time.Time{v0.start, v0.start.Add(6 * time.Hour)} {
		v0.clock.Set(at)
		v2026.clock.Set(at)
		v0.poll(t, c0)
		v2026.poll(t, c2026)
		skip := v0.changedLately(t, at)
		t.Logf("%s: %d orders changed in the last two minutes are not compared", at, len(skip))
		requireSameTyped(t, v0.Pool, v2026.Pool, skip)
		n := pendingCountedAsV0(t, v0.Pool, skip)
		require.Equal(t, n, pendingCountedAsV0(t, v2026.Pool, skip), "Pending orders with 0 shipped and 0 unshipped")
		pending += n
		if t.Failed() {
			t.FailNow()
		}
		for _, q := range queries {
			a, b := runQuery(t, v0.Pool, q, at), runQuery(t, v2026.Pool, q, at)
			require.NotEmpty(t, a, "README query returns rows on the simulated data:\n%s", q)
			require.Equal(t, a, b, "README query:\n%s", q)
		}
	}
	require.Zero(t, v2026.Sim.Stats()[spapi.OpGetOrderItems].Calls)
	t.Logf("%d Pending orders compared", pending)
	require.Positive(t, pending, "the comparison saw Pending orders")
}

// pendingCountedAsV0 counts the Pending orders (less skip) stored as v0
// counts them, 0 shipped and 0 unshipped (as every Pending order in Amazon's
// v0 examples), and fails t if a Pending order is stored otherwise.
func pendingCountedAsV0(t *testing.T, pool *pgxpool.Pool, skip map[string]bool) int {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		`SELECT amazon_order_id, number_of_items_shipped, number_of_items_unshipped FROM orders WHERE order_status = 'Pending'`)
	require.NoError(t, err)
	n := 0
	for rows.Next() {
		var id string
		var shipped, unshipped *int
		require.NoError(t, rows.Scan(&id, &shipped, &unshipped))
		if skip[id] {
			continue
		}
		require.NotNil(t, shipped, "%s", id)
		require.NotNil(t, unshipped, "%s", id)
		require.Equal(t, []int{0, 0}, []int{*shipped, *unshipped}, "Pending order %s: shipped and unshipped", id)
		n++
	}
	require.NoError(t, rows.Err())
	return n
}

// switchLog records every write to orders and order_items after it is
// installed, so a test can count them per row.
const switchLog = `
CREATE TABLE switch_log (tbl text, op text, key text);
CREATE FUNCTION switch_log() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
BEGIN
    INSERT INTO switch_log VALUES (TG_TABLE_NAME, TG_OP, (r->>'amazon_order_id') || coalesce(':' || (r->>'order_item_id'), ''));
    RETURN NULL;
END $$;
CREATE TRIGGER orders_log AFTER INSERT OR UPDATE OR DELETE ON orders FOR EACH ROW EXECUTE FUNCTION switch_log();
CREATE TRIGGER order_items_log AFTER INSERT OR UPDATE OR DELETE ON order_items FOR EACH ROW EXECUTE FUNCTION switch_log();`

// TestSwitchV0To2026 switches a live database from v0 to 2026-01-01: no
// re-sync (the cursor carries over: the first 2026 poll is one page of
// recent changes), the rows equal a database synced through v0 alone, each
// order is written at most once by the switch poll, no item is deleted or
// inserted again, and a further poll writes nothing.
func TestSwitchV0To2026(t *testing.T) {
	t.Parallel()
	live, ref := setup(t), setup(t) // live switches; ref stays on v0
	ctx := context.Background()
	cRef := ref.StartClient(t, ref.workers(ref.Deps), nil)
	cV0 := live.StartClient(t, live.workers(live.Deps), nil)
	ref.poll(t, cRef)
	live.poll(t, cV0)
	require.NoError(t, cV0.Stop(ctx))

	// The worker restarts with SPSYNC_ORDERS_API=2026-01-01.
	switched := *live.Deps
	switched.Accounts = map[string]*jobs.Account{}
	for id, a := range live.Deps.Accounts {
		c := *a
		c.OrdersAPI = config.OrdersAPI2026
		switched.Accounts[id] = &c
	}
	c2026 := live.StartClient(t, live.workers(&switched), nil)
	_, err := live.Pool.Exec(ctx, switchLog)
	require.NoError(t, err)
	var itemsBefore int
	require.NoError(t, live.Pool.QueryRow(ctx, `SELECT count(*) FROM order_items`).Scan(&itemsBefore))

	at := live.start.Add(6 * time.Hour)
	live.clock.Set(at)
	ref.clock.Set(at)
	ref.poll(t, cRef)
	live.poll(t, c2026)
	ref.requireInSync(t, at)
	requireSameTyped(t, ref.Pool, live.Pool, ref.changedLately(t, at))

	var maxWrites, orderWrites, itemDeletes, itemInserts int
	require.NoError(t, live.Pool.QueryRow(ctx, `SELECT coalesce(max(n), 0), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM switch_log WHERE tbl = 'orders' GROUP BY key) w`).Scan(&maxWrites, &orderWrites))
	require.Equal(t, 1, maxWrites, "each order written at most once by the switch poll")
	require.NoError(t, live.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE op = 'DELETE'), count(*) FILTER (WHERE op = 'INSERT') FROM switch_log WHERE tbl = 'order_items'`).Scan(&itemDeletes, &itemInserts))
	require.Zero(t, itemDeletes, "no item deleted by the switch")
	var itemsAfter int
	require.NoError(t, live.Pool.QueryRow(ctx, `SELECT count(*) FROM order_items`).Scan(&itemsAfter))
	require.Equal(t, itemsAfter-itemsBefore, itemInserts, "only items of new orders are inserted: none is re-created")
	var switchedOrders, total int
	require.NoError(t, live.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE api_version = '2026-01-01'), count(*) FROM orders`).Scan(&switchedOrders, &total))
	require.Equal(t, orderWrites, switchedOrders, "the orders the switch poll wrote carry 2026 payloads; the rest keep v0's")
	require.Less(t, switchedOrders, total, "no re-sync: unchanged orders were not fetched again")
	t.Logf("switch poll: %d of %d orders now 2026-01-01, %d searchOrders pages", switchedOrders, total, live.Sim.Stats()[spapi.OpSearchOrders].Successes)

	// A further poll with no change at the source writes nothing.
	_, err = live.Pool.Exec(ctx, `TRUNCATE switch_log`)
	require.NoError(t, err)
	live.poll(t, c2026)
	var writes int
	require.NoError(t, live.Pool.QueryRow(ctx, `SELECT count(*) FROM switch_log`).Scan(&writes))
	require.Zero(t, writes, "a poll without source changes writes no row")
}
