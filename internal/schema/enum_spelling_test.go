package schema_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/schema"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// enumTable is a table with typed enum columns, as 00010_enum_spelling
// respells them.
type enumTable struct {
	name string
	// id is the key column that tells the test's rows apart (the rest of the
	// key is fixed); intID when it is an integer.
	id    string
	intID bool
	// fixed are the other NOT NULL columns.
	fixed map[string]any
	// columns are the enum columns, with the enum of each.
	columns []enumColumn
}

type enumColumn struct {
	name string
	enum *spapi.Enum
	// notNull columns get the enum's first value where the test wants NULL.
	notNull bool
}

var enumTables = []enumTable{
	{name: "orders", id: "amazon_order_id",
		fixed: map[string]any{"purchase_date": time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), "last_update_date": time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC)},
		columns: []enumColumn{
			{"order_status", spapi.EnumOrderStatus, true},
			{"fulfillment_channel", spapi.EnumFulfillmentChannel, false},
			{"order_type", spapi.EnumOrderType, false},
			{"payment_method", spapi.EnumPaymentMethod, false},
			{"easy_ship_shipment_status", spapi.EnumEasyShipShipmentStatus, false},
			{"electronic_invoice_status", spapi.EnumElectronicInvoiceStatus, false},
			{"buyer_invoice_preference", spapi.EnumBuyerInvoicePreference, false},
		}},
	{name: "order_items", id: "order_item_id",
		fixed:   map[string]any{"amazon_order_id": "111-0000000-0000001", "asin": "B0TEST", "quantity_ordered": 1},
		columns: []enumColumn{{"deemed_reseller_category", spapi.EnumDeemedResellerCategory, false}}},
	{name: "fulfillment_orders", id: "seller_fulfillment_order_id",
		fixed: map[string]any{"received_date": time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), "status_updated_date": time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC)},
		columns: []enumColumn{
			{"fulfillment_order_status", spapi.EnumFulfillmentOrderStatus, true},
			{"shipping_speed_category", spapi.EnumShippingSpeedCategory, false},
			{"fulfillment_action", spapi.EnumFulfillmentAction, false},
			{"fulfillment_policy", spapi.EnumFulfillmentPolicy, false},
		}},
	{name: "fulfillment_shipments", id: "amazon_shipment_id",
		fixed:   map[string]any{"seller_fulfillment_order_id": "fo-1"},
		columns: []enumColumn{{"fulfillment_shipment_status", spapi.EnumFulfillmentShipmentStatus, false}}},
	{name: "fulfillment_return_items", id: "seller_return_item_id",
		fixed: map[string]any{"seller_fulfillment_order_id": "fo-1"},
		columns: []enumColumn{
			{"status", spapi.EnumReturnItemStatus, false},
			{"return_received_condition", spapi.EnumReturnItemCondition, false},
		}},
	{name: "package_tracking", id: "package_number", intID: true,
		columns: []enumColumn{{"current_status", spapi.EnumCurrentStatus, false}}},
	{name: "service_jobs", id: "service_job_id",
		columns: []enumColumn{
			{"service_job_status", spapi.EnumServiceJobStatus, false},
			{"service_location_type", spapi.EnumServiceLocationType, false},
		}},
	{name: "service_job_appointments", id: "appointment_id",
		fixed:   map[string]any{"service_job_id": "J1"},
		columns: []enumColumn{{"appointment_status", spapi.EnumAppointmentStatus, false}}},
	{name: "service_job_items", id: "item_index", intID: true,
		fixed:   map[string]any{"service_job_id": "J1"},
		columns: []enumColumn{{"item_status", spapi.EnumItemStatus, false}}},
}

// words splits a canonical enum value into its words: IN_TRANSIT is IN and
// TRANSIT, AtOriginFC is At, Origin and FC.
func words(v string) []string {
	if strings.Contains(v, "_") {
		return strings.Split(v, "_")
	}
	var out []string
	start := 0
	rs := []rune(v)
	for i := 1; i < len(rs); i++ {
		if unicode.IsUpper(rs[i]) && unicode.IsLower(rs[i-1]) {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	return append(out, string(rs[start:]))
}

// oddSpelling spells canonical value v the way Amazon sometimes does, one of
// three ways by variant: UPPER_SNAKE for a mixed-case value and Pascal case
// for an upper-case one (Complete: COMPLETE, IN_TRANSIT: InTransit), all
// lower case without separators (completepartialled), or hyphens with
// surrounding blanks (" complete-partialled ").
func oddSpelling(v string, variant int) string {
	ws := words(v)
	switch variant % 3 {
	case 0:
		if strings.ToUpper(v) != v {
			return strings.ToUpper(strings.Join(ws, "_"))
		}
		for i, w := range ws {
			ws[i] = w[:1] + strings.ToLower(w[1:])
		}
		return strings.Join(ws, "")
	case 1:
		return strings.ToLower(strings.Join(ws, ""))
	default:
		return " " + strings.ToLower(strings.Join(ws, "-")) + " "
	}
}

// enumRow is one row the test stores before the migration and what it must
// hold after.
type enumRow struct {
	id     any
	before map[string]*string // column: value stored (nil: NULL)
	want   map[string]*string
	// changed: the migration must give the row a new sync_version.
	changed  bool
	terminal *bool // package_tracking: terminal as stored before
}

func strp(s string) *string { return &s }

// enumRows builds the rows of table: one per position of its longest enum
// with every column in an odd spelling of that position's value (so every
// value of every enum is respelled once), one already in the model's
// spelling, one with values outside the lists, one with NULLs, one with a
// single odd column among canonical ones, and one per cancelled value
// spelled the other way (Canceled, Cancelled).
func enumRows(t *testing.T, table enumTable) []enumRow {
	t.Helper()
	n := 0
	for _, c := range table.columns {
		n = max(n, len(c.enum.Values()))
	}
	id := func(i int) any {
		if table.intID {
			return i + 1
		}
		return fmt.Sprintf("%s-%d", table.name, i+1)
	}
	var rows []enumRow
	for i := range n {
		r := enumRow{id: id(i), before: map[string]*string{}, want: map[string]*string{}, changed: true}
		for _, c := range table.columns {
			vals := c.enum.Values()
			canon := vals[i%len(vals)]
			odd := oddSpelling(canon, i)
			require.NotEqual(t, canon, odd)
			got, ok := c.enum.Canonical(odd)
			require.True(t, ok, "%s is a spelling of %s.%s", odd, c.enum.Name, canon)
			require.Equal(t, canon, got)
			r.before[c.name], r.want[c.name] = strp(odd), strp(canon)
		}
		rows = append(rows, r)
	}
	canonical := enumRow{id: id(n), before: map[string]*string{}, want: map[string]*string{}}
	unknown := enumRow{id: id(n + 1), before: map[string]*string{}, want: map[string]*string{}}
	null := enumRow{id: id(n + 2), before: map[string]*string{}, want: map[string]*string{}}
	mixed := enumRow{id: id(n + 3), before: map[string]*string{}, want: map[string]*string{}, changed: true}
	for k, c := range table.columns {
		vals := c.enum.Values()
		last := vals[len(vals)-1]
		canonical.before[c.name], canonical.want[c.name] = strp(last), strp(last)
		_, ok := c.enum.Canonical("Not_A_Known_Value")
		require.False(t, ok)
		unknown.before[c.name], unknown.want[c.name] = strp("Not_A_Known_Value"), strp("Not_A_Known_Value")
		if c.notNull {
			null.before[c.name], null.want[c.name] = strp(vals[0]), strp(vals[0])
		} else {
			null.before[c.name], null.want[c.name] = nil, nil
		}
		mixed.before[c.name], mixed.want[c.name] = strp(vals[0]), strp(vals[0])
		if k == len(table.columns)-1 {
			mixed.before[c.name] = strp(strings.ToUpper(vals[0]) + "  ")
			if *mixed.before[c.name] == vals[0] {
				mixed.before[c.name] = strp(strings.ToLower(vals[0]))
			}
		}
	}
	rows = append(rows, canonical, unknown, null, mixed)

	// The other spelling of every cancelled value: an alias where the model
	// has one (spapi.Enum.WithAliases: Orders' Canceled is also Cancelled),
	// else a value outside the list that must stay as it is.
	for _, c := range table.columns {
		for _, v := range c.enum.Values() {
			lower := strings.ToLower(v)
			other := strings.ReplaceAll(lower, "cancelled", "canceled")
			if other == lower {
				other = strings.ReplaceAll(lower, "canceled", "cancelled")
			}
			if other == lower {
				continue
			}
			r := enumRow{id: id(len(rows)), before: map[string]*string{}, want: map[string]*string{}}
			for _, o := range table.columns {
				first := o.enum.Values()[0]
				r.before[o.name], r.want[o.name] = strp(first), strp(first)
			}
			want, ok := c.enum.Canonical(other)
			r.before[c.name], r.want[c.name], r.changed = strp(other), strp(want), ok
			rows = append(rows, r)
		}
	}
	return rows
}

// storedRow is a row of an enum table as the test reads it.
type storedRow struct {
	values      map[string]*string
	raw         string
	syncVersion int64
	syncedAt    time.Time
	terminal    *bool
}

func readEnumTable(t *testing.T, pool *pgxpool.Pool, table enumTable) map[string]storedRow {
	t.Helper()
	cols := make([]string, len(table.columns))
	for i, c := range table.columns {
		cols[i] = c.name
	}
	terminal := "NULL::boolean"
	if table.name == "package_tracking" {
		terminal = "terminal"
	}
	rows, err := pool.Query(context.Background(), fmt.Sprintf(`SELECT %s::text, raw::text, sync_version, synced_at, %s, %s FROM %s`,
		table.id, terminal, strings.Join(cols, ", "), table.name))
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]storedRow{}
	for rows.Next() {
		var id string
		r := storedRow{values: map[string]*string{}}
		vals := make([]*string, len(cols))
		dest := []any{&id, &r.raw, &r.syncVersion, &r.syncedAt, &r.terminal}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		require.NoError(t, rows.Scan(dest...))
		for i, c := range cols {
			r.values[c] = vals[i]
		}
		out[id] = r
	}
	require.NoError(t, rows.Err())
	return out
}

// TestEnumSpellingMigration stores rows at the schema before 00010 with
// every enum value of every typed enum column in Amazon's odd spellings,
// migrates up, and checks that each became the model's spelling
// (spapi.Enum.Canonical), that values outside the lists, NULLs and rows
// already canonical were not touched, that sync_version and synced_at moved
// for the changed rows only, that raw kept what was stored, and that
// package_tracking.terminal follows a respelled current_status.
func TestEnumSpellingMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.NewURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	m, err := schema.New(pool, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })

	// The schema before 00010 (its Down changes nothing).
	require.NoError(t, m.DownTo(ctx, 9))

	stored := map[string][]enumRow{}
	for _, table := range enumTables {
		rows := enumRows(t, table)
		if table.name == "package_tracking" {
			// As UpsertPackageTracking stored them: terminal only for the
			// exact spellings. One more row is terminal where its status is
			// not (an older rule): the migration leaves it alone.
			for i := range rows {
				term := store.IsTerminalTrackingStatus(deref(rows[i].before["current_status"]))
				rows[i].terminal = &term
			}
			yes := true
			rows = append(rows, enumRow{id: 1000, before: map[string]*string{"current_status": strp("UNDELIVERABLE")},
				want: map[string]*string{"current_status": strp("UNDELIVERABLE")}, terminal: &yes})
		}
		for _, r := range rows {
			cols := []string{"account_id", table.id, "raw"}
			args := []any{"acct", r.id, map[string]any{"stored": r.before}}
			for k, v := range table.fixed {
				cols, args = append(cols, k), append(args, v)
			}
			for _, c := range table.columns {
				cols, args = append(cols, c.name), append(args, r.before[c.name])
			}
			if r.terminal != nil {
				cols, args = append(cols, "terminal"), append(args, *r.terminal)
			}
			ph := make([]string, len(cols))
			for i := range ph {
				ph[i] = fmt.Sprintf("$%d", i+1)
			}
			_, err := pool.Exec(ctx, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table.name, strings.Join(cols, ", "), strings.Join(ph, ", ")), args...)
			require.NoError(t, err, table.name)
		}
		stored[table.name] = rows
	}
	before := map[string]map[string]storedRow{}
	var maxVersion int64
	for _, table := range enumTables {
		before[table.name] = readEnumTable(t, pool, table)
		for _, r := range before[table.name] {
			maxVersion = max(maxVersion, r.syncVersion)
		}
	}

	require.NoError(t, m.Up(ctx))

	for _, table := range enumTables {
		t.Run(table.name, func(t *testing.T) {
			after := readEnumTable(t, pool, table)
			require.Len(t, after, len(stored[table.name]))
			for _, r := range stored[table.name] {
				id := fmt.Sprint(r.id)
				a, b := after[id], before[table.name][id]
				for _, c := range table.columns {
					require.Equal(t, show(r.want[c.name]), show(a.values[c.name]), "%s %s %s: stored %s", table.name, id, c.name, show(r.before[c.name]))
				}
				require.Equal(t, b.raw, a.raw, "raw keeps what Amazon sent")
				if r.changed {
					require.Greater(t, a.syncVersion, maxVersion, "%s %s: a new sync_version", table.name, id)
					require.True(t, a.syncedAt.After(b.syncedAt), "%s %s: synced_at moves", table.name, id)
				} else {
					require.Equal(t, b.syncVersion, a.syncVersion, "%s %s: untouched", table.name, id)
					require.Equal(t, b.syncedAt, a.syncedAt, "%s %s: untouched", table.name, id)
				}
				if table.name == "package_tracking" {
					want := *r.terminal
					if r.changed {
						want = store.IsTerminalTrackingStatus(deref(r.want["current_status"]))
					}
					require.Equal(t, want, *a.terminal, "%s %s: terminal", table.name, id)
				}
			}
		})
	}

	t.Run("OpenServiceJobsFollowTheRespelledStatus", func(t *testing.T) {
		open, err := store.ListOpenServiceJobs(ctx, pool, "acct", 1000)
		require.NoError(t, err)
		listed := map[string]bool{}
		for _, j := range open {
			listed[j.ServiceJobID] = true
		}
		for id, r := range readEnumTable(t, pool, enumTables[6]) {
			require.Equal(t, store.ServiceJobOpen(deref(r.values["service_job_status"])), listed[id], "%s %v", id, deref(r.values["service_job_status"]))
		}
	})

	t.Run("HelperFunctionsAreGone", func(t *testing.T) {
		var left int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_proc WHERE proname LIKE 'm00010%'`).Scan(&left))
		require.Zero(t, left)
	})
}

// show prints a nullable value for a failure message.
func show(s *string) string {
	if s == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", *s)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
