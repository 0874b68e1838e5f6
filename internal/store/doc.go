// Package store is the SQL boundary of spsync: every statement over
// spsync's own tables (migrations/) lives here, and no other package writes
// SQL for them or imports the generated dbsqlc; River's tables are
// riverext's. That keeps the rules of the tables in one place: a row whose
// raw payload is unchanged is never written (sync_version and synced_at move
// only with content, which is what ERP and BI readers page by), NULL stays
// NULL, and every write runs on the caller's DBTX, a transaction where it
// matters, so a page's rows commit with its progress and follow-up jobs or
// not at all.
//
// It holds three kinds of code:
//
//   - Generated queries: queries/*.sql, compiled by sqlc into dbsqlc (run
//     `go tool -modfile=tools/go.mod sqlc generate` and commit the output),
//     each called through a function here: stream cursors (cursors.go), walk
//     progress (walks.go), backfills, rate budgets, permission denials,
//     quarantine, and the reconciliation reads (ReconcileQuery) that find
//     rows whose follow-up job was lost.
//   - Batch upserts: a page of orders, items, fulfillment orders, tracking
//     or service jobs goes to Postgres as one jsonb array of row structs
//     (OrderRow, FulfillmentOrderRow, ...; json tags are column names,
//     filled by each stream's mapping) and
//     is written by one statement per table: new and changed rows written,
//     unchanged ones untouched, children Amazon no longer lists deleted. The
//     orders and order items statements are built in Go from their row
//     structs (orders.go, rowtype.go); the others are sqlc queries.
//   - Small helpers of the tables: the database clock (Now), money with
//     Amazon's scale, one dedupe of a batch's repeated keys.
//
// # Adding a column
//
// To give orders (or order_items) a typed column, write a goose migration
// that adds it (with its COMMENT) and add one field to OrderRow (or
// OrderItemRow), tagged with the column name (a pointer with omitzero when
// the column takes NULL), set by the orders stream's mapping
// (internal/jobs/orders/ordermap: Order, Item, Orders2026). Nothing
// else: the statement's INSERT, SELECT and SET lists are built from the
// struct, and the page is unpacked by the table's own row type
// (jsonb_populate_recordset(NULL::orders, ...)), so there is no list to
// miss. Stored rows get the value only when their raw payload next changes,
// since unchanged rows are never rewritten; if old rows need it at once,
// the migration fills it from raw in SQL, moving sync_version when readers
// should see it (as 00010 did when it respelled stored enums). The other
// tables' statements are still written by hand in queries/: add the column
// to the statement's input, INSERT, SELECT and SET lists as well and run
// sqlc generate. Either way TestRowStructsMatchTables fails until every
// column of the table is a field of its row struct or is listed, with the
// reason, among the columns the struct deliberately does not carry, and
// TestHandWrittenUpsertsListEveryColumn fails until a hand-written
// statement names the field everywhere it must.
package store
