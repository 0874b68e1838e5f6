package store

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// rowTable pairs a row struct with the table its batch statement writes.
type rowTable struct {
	table string
	row   reflect.Type
	// notCarried are the table's columns the struct deliberately has no
	// field for, each with the reason.
	notCarried map[string]string
	// nullFromZero are nullable columns whose field cannot be nil because
	// the statement itself turns the zero value into NULL, with where.
	nullFromZero map[string]string
	// query is the hand-written sqlc statement that writes the table from
	// the struct ("file.sql:Name"), whose column lists must be kept in step
	// by hand; "" for the statements upsertStatement builds from the struct
	// and for statements with no per-column lists to keep in step.
	query string
}

// syncColumns are the columns every synced table has and no row struct
// carries.
var syncColumns = map[string]string{
	"account_id":   "a parameter of every statement, not a value of the page",
	"sync_version": "drawn from sync_version_seq by the statement, only when raw changes",
	"synced_at":    "now() of the write, set by the statement, only when raw changes",
}

// plus returns syncColumns and more.
func plus(more map[string]string) map[string]string {
	out := maps.Clone(syncColumns)
	maps.Copy(out, more)
	return out
}

// rowTables lists every row struct that feeds a batch statement, with its
// table. TestRowStructsAreAllGuarded keeps the list complete.
var rowTables = []rowTable{
	{table: "orders", row: reflect.TypeFor[OrderRow](), notCarried: syncColumns},
	{table: "order_items", row: reflect.TypeFor[OrderItemRow](), notCarried: syncColumns},
	{table: "fulfillment_orders", row: reflect.TypeFor[FulfillmentOrderRow](), notCarried: syncColumns, query: "fulfillment.sql:UpsertFulfillmentOrders"},
	{table: "fulfillment_order_items", row: reflect.TypeFor[FulfillmentOrderItemRow](), notCarried: syncColumns, query: "fulfillment.sql:ReplaceFulfillmentOrderItems"},
	{table: "fulfillment_shipments", row: reflect.TypeFor[FulfillmentShipmentRow](), notCarried: syncColumns, query: "fulfillment.sql:ReplaceFulfillmentShipments"},
	{table: "fulfillment_shipment_items", row: reflect.TypeFor[FulfillmentShipmentItemRow](), notCarried: syncColumns, query: "fulfillment.sql:ReplaceFulfillmentShipmentItems"},
	{table: "fulfillment_shipment_packages", row: reflect.TypeFor[FulfillmentPackageRow](), query: "fulfillment.sql:ReplaceFulfillmentShipmentPackages", notCarried: plus(map[string]string{
		"first_seen_at": "DEFAULT now() when the package is first stored and never updated: the clock of ListPackagesWithoutTracking",
	})},
	{table: "fulfillment_return_items", row: reflect.TypeFor[FulfillmentReturnItemRow](), notCarried: syncColumns, query: "fulfillment.sql:ReplaceFulfillmentReturnItems"},
	{table: "package_tracking", row: reflect.TypeFor[PackageTrackingRow](), query: "tracking.sql:UpsertPackageTracking", notCarried: plus(map[string]string{
		"first_seen_at": "DEFAULT now() when tracking is first stored and never updated: the clock of the worker's age limit",
	})},
	{table: "package_tracking_events", row: reflect.TypeFor[TrackingEventRow](), notCarried: syncColumns, query: "tracking.sql:ReplacePackageTrackingEvents"},
	{table: "service_jobs", row: reflect.TypeFor[ServiceJobRow](), notCarried: syncColumns, query: "service_jobs.sql:UpsertServiceJobs"},
	{table: "service_job_appointments", row: reflect.TypeFor[ServiceJobAppointmentRow](), notCarried: syncColumns, query: "service_jobs.sql:ReplaceServiceJobAppointments"},
	{table: "service_job_items", row: reflect.TypeFor[ServiceJobItemRow](), notCarried: syncColumns, query: "service_jobs.sql:ReplaceServiceJobItems"},
	{table: "financial_transactions", row: reflect.TypeFor[FinancialTransactionRow](), query: "finances.sql:UpsertFinancialTransactions", notCarried: plus(map[string]string{
		"first_seen_at": "DEFAULT now() when the transaction is first stored and never updated",
	})},
	{table: "financial_transaction_items", row: reflect.TypeFor[FinancialTransactionItemRow](), query: "finances.sql:ReplaceFinancialTransactionItems", notCarried: map[string]string{
		"account_id":   "a parameter of the statement",
		"sync_version": "the transaction's, joined by the statement: items are replaced with their transaction",
	}},
	{table: "financial_transaction_breakdowns", row: reflect.TypeFor[FinancialTransactionBreakdownRow](), query: "finances.sql:ReplaceFinancialTransactionBreakdowns", notCarried: map[string]string{
		"account_id":   "a parameter of the statement",
		"sync_version": "the transaction's, joined by the statement: breakdowns are replaced with their transaction",
	}},
	// quarantined_records is not a synced table: a record is stored once
	// per content and then only counted, so its statement has no SET list
	// of the struct's columns to keep in step (no query here).
	{table: "order_packages", row: reflect.TypeFor[OrderPackageRow](), notCarried: syncColumns},
	{table: "order_package_items", row: reflect.TypeFor[OrderPackageItemRow](), notCarried: map[string]string{"account_id": "a parameter of the statement"}},
	{table: "order_proceeds", row: reflect.TypeFor[OrderProceedsRow](), notCarried: map[string]string{"account_id": "a parameter of the statement"}},
	{table: "order_report_lines", row: reflect.TypeFor[reportLineRow](), notCarried: syncColumns},
	{table: "order_pii", row: reflect.TypeFor[OrderPIIRow](), notCarried: map[string]string{
		"account_id":   "a parameter of the statement",
		"delete_after": "computed by the statement: closed_at plus the retention parameter",
		"stored_at":    "DEFAULT now() when the row is first written",
		"updated_at":   "now() of the write, set by the statement only when the row changes",
	}},
	{table: "quarantined_records", row: reflect.TypeFor[quarantineRow](), notCarried: map[string]string{
		"account_id":    "a parameter of the statement",
		"raw_hash":      "computed by the statement from raw (sha256 of its jsonb text): the record's identity",
		"first_seen_at": "DEFAULT now() on the first sighting",
		"last_seen_at":  "DEFAULT now(), moved by the statement on every sighting",
		"times_seen":    "DEFAULT 1, counted by the statement",
	}, nullFromZero: map[string]string{
		"entity_id": "QuarantineRecords' statement stores an empty entity_id as NULL (NULLIF)",
	}},
}

// tableColumn is a column as information_schema.columns describes it.
type tableColumn struct {
	Name      string
	Type      string // udt_name: text, int4, _text, ...
	Nullable  bool
	Generated bool
}

// tableColumns reads the columns of table in the current schema.
func tableColumns(ctx context.Context, db dbsqlc.DBTX, table string) ([]tableColumn, error) {
	rows, err := db.Query(ctx, `
		SELECT column_name, udt_name, is_nullable = 'YES', is_generated = 'ALWAYS'
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1
		ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[tableColumn])
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("columns of %s: no such table", table)
	}
	return cols, nil
}

// columnTypes are the column types (udt_name) each Go type of a row field
// may be written to, pointers dereferenced.
var columnTypes = map[reflect.Type][]string{
	reflect.TypeFor[string]():          {"text"},
	reflect.TypeFor[int]():             {"int4", "int8"},
	reflect.TypeFor[bool]():            {"bool"},
	reflect.TypeFor[time.Time]():       {"timestamptz"},
	reflect.TypeFor[ScaledDecimal]():   {"numeric"},
	reflect.TypeFor[[]string]():        {"_text"},
	reflect.TypeFor[json.RawMessage](): {"jsonb"},
}

// rowTableProblems compares rt's struct with the table's columns and
// returns one line per mismatch, none when they agree: every field is a
// writable column of a fitting type, whose missing value the field can say
// as NULL if the column takes NULL; every column is a field or listed in
// notCarried; every notCarried entry is a column.
func rowTableProblems(rt rowTable, cols []tableColumn) []string {
	var problems []string
	byName := map[string]tableColumn{}
	for _, c := range cols {
		byName[c.Name] = c
	}
	fields := rowFields(rt.row)
	carried := map[string]bool{}
	for _, f := range fields {
		name := rt.table + "." + f.Column
		carried[f.Column] = true
		c, ok := byName[f.Column]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: field %s has no such column", name, f.Field.Name))
			continue
		}
		if _, listed := rt.notCarried[f.Column]; listed {
			problems = append(problems, fmt.Sprintf("%s: listed as not carried, but field %s carries it", name, f.Field.Name))
		}
		if c.Generated {
			problems = append(problems, fmt.Sprintf("%s: field %s carries a generated column, which cannot be written", name, f.Field.Name))
		}
		t := f.Field.Type
		nilable := slices.Contains([]reflect.Kind{reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface}, t.Kind())
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if want, known := columnTypes[t]; !known || !slices.Contains(want, c.Type) {
			problems = append(problems, fmt.Sprintf("%s: field %s is a %s, the column is %s", name, f.Field.Name, f.Field.Type, c.Type))
		}
		_, opts, _ := strings.Cut(f.Field.Tag.Get("json"), ",")
		omits := slices.ContainsFunc(strings.Split(opts, ","), func(o string) bool { return o == "omitzero" || o == "omitempty" })
		_, zeroIsNull := rt.nullFromZero[f.Column]
		switch {
		case !nilable && omits:
			problems = append(problems, fmt.Sprintf("%s: field %s is a %s tagged %s: its zero value would be left out and stored as NULL", name, f.Field.Name, f.Field.Type, opts))
		case !nilable && c.Nullable && !zeroIsNull:
			problems = append(problems, fmt.Sprintf("%s: field %s is a %s, which cannot be nil: a missing value would be stored as its zero value, not NULL", name, f.Field.Name, f.Field.Type))
		}
	}
	for _, c := range cols {
		if _, listed := rt.notCarried[c.Name]; !carried[c.Name] && !listed {
			problems = append(problems, fmt.Sprintf("%s.%s: no field carries this column: add one to the row struct, or list it as not carried with the reason", rt.table, c.Name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(rt.notCarried)) {
		if _, ok := byName[name]; !ok {
			problems = append(problems, fmt.Sprintf("%s.%s: listed as not carried, but the table has no such column", rt.table, name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(rt.nullFromZero)) {
		if !carried[name] {
			problems = append(problems, fmt.Sprintf("%s.%s: listed as stored NULL for a zero value, but no field carries it", rt.table, name))
		}
	}
	return problems
}

// TestUpsertStatement checks the statement builder on a small row struct:
// the lists it writes, and the mistakes it refuses when the package
// initialises rather than letting a column go missing.
func TestUpsertStatement(t *testing.T) {
	t.Parallel()
	type inner struct {
		Note *string `json:"note,omitzero"`
	}
	type row struct {
		ID    string          `json:"id"`
		Count *int            `json:"count,omitzero"`
		Raw   json.RawMessage `json:"raw"`
		inner
		hidden int // left out, as encoding/json leaves it out
	}
	const stmt = `INSERT INTO t (account_id, {{columns}}) SELECT @account_id, {{columns}} FROM x
ON CONFLICT (account_id, id) DO UPDATE SET
    {{update}}`
	require.Equal(t, `INSERT INTO t (account_id, id, count, raw, note) SELECT @account_id, id, count, raw, note FROM x
ON CONFLICT (account_id, id) DO UPDATE SET
    count = EXCLUDED.count,
    raw = EXCLUDED.raw,
    note = EXCLUDED.note`, upsertStatement(stmt, reflect.TypeFor[row](), "id"))

	type untagged struct {
		ID    string `json:"id"`
		Count *int
	}
	// Built at run time: go vet rightly refuses the literal.
	twice := reflect.StructOf([]reflect.StructField{
		{Name: "ID", Type: reflect.TypeFor[string](), Tag: `json:"id"`},
		{Name: "Other", Type: reflect.TypeFor[*string](), Tag: `json:"id,omitzero"`},
	})
	type upper struct {
		ID string `json:"ID"`
	}
	cases := []struct {
		name  string
		stmt  string
		row   reflect.Type
		key   []string
		panic string
	}{
		{"AFieldWithoutAColumnName", stmt, reflect.TypeFor[untagged](), []string{"id"}, `store: field store.untagged.Count needs a json tag naming its column (got "")`},
		{"AColumnNamedTwice", stmt, twice, []string{"id"}, fmt.Sprintf("store: row type %s names column id twice", twice)},
		{"ANameSQLWouldFold", stmt, reflect.TypeFor[upper](), []string{"ID"}, `store: field store.upper.ID needs a json tag naming its column (got "ID")`},
		{"AKeyThatIsNoColumn", stmt, reflect.TypeFor[row](), []string{"nope"}, "store: conflict key nope is not a column of store.row"},
		{"AKeyTheStatementDoesNotUse", stmt, reflect.TypeFor[row](), []string{"id", "count"}, "store: upsert of store.row does not say ON CONFLICT (account_id, id, count)"},
		{"AMissingList", strings.Replace(stmt, "{{update}}", "raw = EXCLUDED.raw", 1), reflect.TypeFor[row](), []string{"id"}, "store: upsert of store.row lacks {{update}}"},
		{"AnUnknownMarker", stmt + " {{where}}", reflect.TypeFor[row](), []string{"id"}, "store: upsert of store.row has an unknown marker"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.PanicsWithValue(t, tc.panic, func() { upsertStatement(tc.stmt, tc.row, tc.key...) })
		})
	}
}

// TestRowStructsMatchTables is the guard of every row struct: after all
// migrations, each struct and its table agree (rowTableProblems). A
// migration that adds a column the sync should write, without the field,
// fails here rather than storing NULL forever; so does a field whose column
// was dropped or renamed, or whose Go type cannot say NULL for a nullable
// column.
func TestRowStructsMatchTables(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewPool(t)
	for _, rt := range rowTables {
		t.Run(rt.table, func(t *testing.T) {
			t.Parallel()
			cols, err := tableColumns(context.Background(), pool, rt.table)
			require.NoError(t, err)
			require.Empty(t, rowTableProblems(rt, cols), "row struct %s and table %s disagree", rt.row, rt.table)
		})
	}
}

// TestRowStructsAreAllGuarded keeps rowTables complete: every struct type of
// the package named *Row (the convention of the structs a batch statement
// reads) is listed, so a new table's row struct cannot skip the guard.
func TestRowStructsAreAllGuarded(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	var declared []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), e.Name(), nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				if _, isStruct := ts.Type.(*ast.StructType); isStruct && strings.HasSuffix(ts.Name.Name, "Row") {
					declared = append(declared, ts.Name.Name)
				}
			}
			return true
		})
	}
	var listed []string
	for _, rt := range rowTables {
		listed = append(listed, rt.row.Name())
	}
	slices.Sort(declared)
	slices.Sort(listed)
	require.NotEmpty(t, declared)
	require.Equal(t, declared, listed, "every *Row struct of internal/store must be in rowTables")
}

// editRow returns a copy of the flat struct row with the field of column
// changed by edit, or left out when edit returns false: a row struct as a
// careless edit would leave it.
func editRow(row reflect.Type, column string, edit func(*reflect.StructField) bool) reflect.Type {
	var fields []reflect.StructField
	found := false
	for f := range row.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == column {
			found = true
			if !edit(&f) {
				continue
			}
		}
		fields = append(fields, f)
	}
	if !found {
		panic("editRow: no column " + column)
	}
	return reflect.StructOf(fields)
}

// TestRowGuardBites shows that rowTableProblems catches each way a struct
// and its table drift apart: a migration applied to the test's own copy of
// the schema, or a struct edited the way a careless change would leave it,
// and the exact complaint.
func TestRowGuardBites(t *testing.T) {
	t.Parallel()
	guarded := func(table string) rowTable {
		for _, rt := range rowTables {
			if rt.table == table {
				return rt
			}
		}
		panic("no rowTable " + table)
	}
	withRow := func(table string, row reflect.Type) rowTable {
		rt := guarded(table)
		rt.row = row
		return rt
	}

	cases := []struct {
		name    string
		migrate string // a throwaway migration, run first
		rt      rowTable
		want    []string
	}{
		{
			name:    "AColumnAddedWithoutAField",
			migrate: `ALTER TABLE orders ADD COLUMN buyer_tax_region text`,
			rt:      guarded("orders"),
			want:    []string{"orders.buyer_tax_region: no field carries this column: add one to the row struct, or list it as not carried with the reason"},
		},
		{
			name: "AFieldDroppedFromTheStruct",
			rt:   withRow("order_items", editRow(reflect.TypeFor[OrderItemRow](), "is_gift", func(*reflect.StructField) bool { return false })),
			want: []string{"order_items.is_gift: no field carries this column: add one to the row struct, or list it as not carried with the reason"},
		},
		{
			name:    "AColumnDroppedUnderAField",
			migrate: `ALTER TABLE service_job_items DROP COLUMN brand_name`,
			rt:      guarded("service_job_items"),
			want:    []string{"service_job_items.brand_name: field BrandName has no such column"},
		},
		{
			name: "AFieldOfTheWrongType",
			rt: withRow("package_tracking_events", editRow(reflect.TypeFor[TrackingEventRow](), "city", func(f *reflect.StructField) bool {
				f.Type = reflect.TypeFor[*int]()
				return true
			})),
			want: []string{"package_tracking_events.city: field City is a *int, the column is text"},
		},
		{
			name: "ANullableColumnInAFieldThatCannotBeNil",
			rt: withRow("fulfillment_shipments", editRow(reflect.TypeFor[FulfillmentShipmentRow](), "shipping_date", func(f *reflect.StructField) bool {
				f.Type = reflect.TypeFor[time.Time]()
				return true
			})),
			want: []string{"fulfillment_shipments.shipping_date: field ShippingDate is a time.Time, which cannot be nil: a missing value would be stored as its zero value, not NULL"},
		},
		{
			name: "AZeroValueLeftOut",
			rt: withRow("orders", editRow(reflect.TypeFor[OrderRow](), "api_version", func(f *reflect.StructField) bool {
				f.Tag = `json:"api_version,omitzero"`
				return true
			})),
			want: []string{"orders.api_version: field APIVersion is a string tagged omitzero: its zero value would be left out and stored as NULL"},
		},
		{
			name:    "AGeneratedColumnCarried",
			migrate: `ALTER TABLE service_jobs ADD COLUMN open boolean GENERATED ALWAYS AS (service_job_status IS DISTINCT FROM 'COMPLETED') STORED`,
			rt: withRow("service_jobs", reflect.StructOf(append(slices.Collect(reflect.TypeFor[ServiceJobRow]().Fields()), reflect.StructField{
				Name: "Open", Type: reflect.TypeFor[*bool](), Tag: `json:"open"`,
			}))),
			want: []string{"service_jobs.open: field Open carries a generated column, which cannot be written"},
		},
		{
			name:    "AStaleNotCarriedEntry",
			migrate: `ALTER TABLE package_tracking DROP COLUMN first_seen_at`,
			rt:      guarded("package_tracking"),
			want:    []string{"package_tracking.first_seen_at: listed as not carried, but the table has no such column"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := dbtest.NewPool(t)
			if tc.migrate != "" {
				_, err := pool.Exec(ctx, tc.migrate)
				require.NoError(t, err)
			}
			cols, err := tableColumns(ctx, pool, tc.rt.table)
			require.NoError(t, err)
			require.Equal(t, tc.want, rowTableProblems(tc.rt, cols))
		})
	}
}

// TestAddingAColumnTakesAMigrationAndAField follows doc.go's recipe end to
// end on the orders statement: a throwaway migration adds a column, a row
// struct gains the one field, and the statement built from the same
// template writes it (NULL when absent), with the no-op rule intact. The
// guard fails for the struct without the field and passes with it.
func TestAddingAColumnTakesAMigrationAndAField(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	_, err := pool.Exec(ctx, `ALTER TABLE orders ADD COLUMN buyer_tax_region text`)
	require.NoError(t, err)

	type orderRowPlus struct {
		OrderRow
		BuyerTaxRegion *string `json:"buyer_tax_region,omitzero"`
	}
	cols, err := tableColumns(ctx, pool, "orders")
	require.NoError(t, err)
	require.Len(t, rowTableProblems(rowTable{table: "orders", row: reflect.TypeFor[OrderRow](), notCarried: syncColumns}, cols), 1)
	require.Empty(t, rowTableProblems(rowTable{table: "orders", row: reflect.TypeFor[orderRowPlus](), notCarried: syncColumns}, cols))

	stmt := upsertStatement(upsertOrdersTemplate, reflect.TypeFor[orderRowPlus](), "amazon_order_id")
	t0 := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	order := func(id, status, region string) orderRowPlus {
		r := orderRowPlus{OrderRow: OrderRow{
			AmazonOrderID: id, PurchaseDate: t0, LastUpdateDate: t0, OrderStatus: &status, APIVersion: "v0",
			Raw: json.RawMessage(fmt.Sprintf(`{"AmazonOrderId": %q, "OrderStatus": %q, "BuyerTaxRegion": %q}`, id, status, region)),
		}}
		if region != "" {
			r.BuyerTaxRegion = &region
		}
		return r
	}
	type stored struct {
		Region *string
		Xmin   string
	}
	read := func(t *testing.T) map[string]stored {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT amazon_order_id, buyer_tax_region, xmin::text FROM orders`)
		require.NoError(t, err)
		defer rows.Close()
		out := map[string]stored{}
		for rows.Next() {
			var id string
			var s stored
			require.NoError(t, rows.Scan(&id, &s.Region, &s.Xmin))
			out[id] = s
		}
		require.NoError(t, rows.Err())
		return out
	}
	ptr := func(s string) *string { return &s }

	// Each step writes a batch and states what the statement reports
	// written and what orders then holds.
	steps := []struct {
		name        string
		batch       []orderRowPlus
		wantWritten []string
		wantRegion  map[string]*string
		sameTupleAs []string // orders whose row must not have been touched
	}{
		{
			name:        "NewOrdersStoreTheNewColumnOrNULL",
			batch:       []orderRowPlus{order("A", "Unshipped", "EU-DE"), order("B", "Pending", "")},
			wantWritten: []string{"A", "B"},
			wantRegion:  map[string]*string{"A": ptr("EU-DE"), "B": nil},
		},
		{
			name:        "TheSamePayloadTouchesNothing",
			batch:       []orderRowPlus{order("A", "Unshipped", "EU-DE"), order("B", "Pending", "")},
			wantWritten: []string{},
			wantRegion:  map[string]*string{"A": ptr("EU-DE"), "B": nil},
			sameTupleAs: []string{"A", "B"},
		},
		{
			name:        "AChangedPayloadUpdatesTheNewColumn",
			batch:       []orderRowPlus{order("A", "Shipped", ""), order("B", "Unshipped", "US-WA")},
			wantWritten: []string{"A", "B"},
			wantRegion:  map[string]*string{"A": nil, "B": ptr("US-WA")},
		},
	}
	for _, step := range steps {
		before := read(t)
		payload, err := json.Marshal(step.batch)
		require.NoError(t, err, step.name)
		rows, err := pool.Query(ctx, stmt, pgx.NamedArgs{"rows": payload, "account_id": "acct"})
		require.NoError(t, err, step.name)
		written, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			var c OrderChange
			err := r.Scan(&c.AmazonOrderID, &c.LastUpdateDate, &c.PreviousLastUpdateDate)
			return c.AmazonOrderID, err
		})
		require.NoError(t, err, step.name)
		slices.Sort(written)
		require.Equal(t, step.wantWritten, written, step.name)
		after := read(t)
		for id, want := range step.wantRegion {
			require.Equal(t, want, after[id].Region, "%s: order %s", step.name, id)
		}
		for _, id := range step.sameTupleAs {
			require.Equal(t, before[id].Xmin, after[id].Xmin, "%s: order %s was rewritten", step.name, id)
		}
	}
}

// handWrittenProblems checks the text of rt's hand-written statement
// (query, from "-- name:" to the next) against rt's struct: every column of
// the struct is read from the page, named in the input, inserted, selected
// and, unless it is in the conflict key, set on conflict; and the INSERT
// names no column the struct does not carry (bar notCarried ones). It reads
// text, not a parse tree: a reformatted statement fails loudly, and the
// patterns here change with it.
func handWrittenProblems(rt rowTable, query string) []string {
	insert := regexp.MustCompile(`INSERT INTO ` + rt.table + ` \(([^)]*)\)`).FindStringSubmatch(query)
	conflict := regexp.MustCompile(`ON CONFLICT \(([^)]*)\) DO UPDATE SET`).FindStringSubmatch(query)
	if insert == nil || conflict == nil {
		return []string{fmt.Sprintf("%s: no INSERT INTO %s (...) ... ON CONFLICT (...) DO UPDATE SET", rt.query, rt.table)}
	}
	key := strings.Split(conflict[1], ", ")
	inserted := strings.Split(insert[1], ", ")
	cols := rowColumns(rt.row)
	var problems []string
	for _, c := range cols {
		checks := []struct{ what, pattern string }{
			{"read from the page as '" + c + "'", `'` + c + `'`},
			{"named in the input", `\bAS ` + c + `\b`},
			{"in the SELECT list", `\binput\.` + c + `\b`},
		}
		if !slices.Contains(key, c) {
			checks = append(checks, struct{ what, pattern string }{"in the SET list", `(?m)^\s*` + c + ` = `})
		}
		if !slices.Contains(inserted, c) {
			problems = append(problems, fmt.Sprintf("%s.%s: not in the INSERT column list of %s", rt.table, c, rt.query))
		}
		for _, check := range checks {
			if !regexp.MustCompile(check.pattern).MatchString(query) {
				problems = append(problems, fmt.Sprintf("%s.%s: not %s of %s", rt.table, c, check.what, rt.query))
			}
		}
	}
	for _, c := range inserted {
		if _, listed := rt.notCarried[c]; !slices.Contains(cols, c) && !listed {
			problems = append(problems, fmt.Sprintf("%s.%s: in the INSERT column list of %s, but no field carries it", rt.table, c, rt.query))
		}
	}
	return problems
}

// handWrittenQuery returns the text of rt.query from queries/.
func handWrittenQuery(t *testing.T, rt rowTable) string {
	t.Helper()
	file, name, _ := strings.Cut(rt.query, ":")
	text, err := os.ReadFile("queries/" + file)
	require.NoError(t, err)
	_, query, found := strings.Cut(string(text), "-- name: "+name+" ")
	require.True(t, found, "no query %s in queries/%s", name, file)
	query, _, _ = strings.Cut(query, "-- name: ")
	return query
}

// TestHandWrittenUpsertsListEveryColumn covers the statements still written
// by hand in queries/ (fulfillment, tracking, service jobs), whose column
// lists are kept in step with the struct by hand: a field added with its
// migration but missed in one of the statement's lists fails here instead
// of storing NULL. TestHandWrittenGuardBites shows it failing for such
// edits.
func TestHandWrittenUpsertsListEveryColumn(t *testing.T) {
	t.Parallel()
	for _, rt := range rowTables {
		if rt.query == "" {
			continue
		}
		t.Run(rt.table, func(t *testing.T) {
			t.Parallel()
			require.Empty(t, handWrittenProblems(rt, handWrittenQuery(t, rt)))
		})
	}
}

// TestHandWrittenGuardBites shows handWrittenProblems catching each way a
// hand-written statement drifts from its struct, on the package tracking
// events statement edited as a careless change would leave it.
func TestHandWrittenGuardBites(t *testing.T) {
	t.Parallel()
	events := rowTables[slices.IndexFunc(rowTables, func(rt rowTable) bool { return rt.table == "package_tracking_events" })]
	withNote := events
	withNote.row = reflect.StructOf(append(slices.Collect(events.row.Fields()), reflect.StructField{
		Name: "Note", Type: reflect.TypeFor[*string](), Tag: `json:"note,omitzero"`,
	}))
	const q = "tracking.sql:ReplacePackageTrackingEvents"
	cases := []struct {
		name string
		rt   rowTable
		edit func(string) string
		want []string
	}{
		{
			name: "ASetLineMissed",
			rt:   events,
			edit: func(s string) string { return strings.Replace(s, "    city = EXCLUDED.city,\n", "", 1) },
			want: []string{"package_tracking_events.city: not in the SET list of " + q},
		},
		{
			name: "AJSONKeyMisspelt",
			rt:   events,
			edit: func(s string) string { return strings.Replace(s, "'event_description'", "'event_descripton'", 1) },
			want: []string{"package_tracking_events.event_description: not read from the page as 'event_description' of " + q},
		},
		{
			name: "AFieldAddedToTheStructOnly",
			rt:   withNote,
			edit: func(s string) string { return s },
			want: []string{
				"package_tracking_events.note: not in the INSERT column list of " + q,
				"package_tracking_events.note: not read from the page as 'note' of " + q,
				"package_tracking_events.note: not named in the input of " + q,
				"package_tracking_events.note: not in the SELECT list of " + q,
				"package_tracking_events.note: not in the SET list of " + q,
			},
		},
		{
			name: "AnInsertedColumnWithoutAField",
			rt:   events,
			edit: func(s string) string { return strings.Replace(s, "country, raw)", "country, note, raw)", 1) },
			want: []string{"package_tracking_events.note: in the INSERT column list of " + q + ", but no field carries it"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			query := handWrittenQuery(t, events)
			edited := tc.edit(query)
			require.True(t, edited != query || tc.rt.row != events.row, "the edit changed nothing")
			require.Equal(t, tc.want, handWrittenProblems(tc.rt, edited))
		})
	}
}
