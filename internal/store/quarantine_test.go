package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// quarantinedRow is a quarantined_records row as the tests read it.
type quarantinedRow struct {
	Operation   string
	EntityID    *string
	Reason      string
	Raw         map[string]any
	RawHash     string
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	TimesSeen   int
}

func quarantinedRows(t *testing.T, pool *pgxpool.Pool, accountID string) []quarantinedRow {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT operation, entity_id, reason, raw, raw_hash, first_seen_at, last_seen_at, times_seen
		FROM quarantined_records WHERE account_id = $1 ORDER BY operation, entity_id NULLS FIRST, raw_hash`, accountID)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (quarantinedRow, error) {
		var q quarantinedRow
		err := r.Scan(&q.Operation, &q.EntityID, &q.Reason, &q.Raw, &q.RawHash, &q.FirstSeenAt, &q.LastSeenAt, &q.TimesSeen)
		return q, err
	})
	require.NoError(t, err)
	return out
}

// inTx runs fn in a transaction of pool and commits it, the way a page is
// stored.
func inTx(t *testing.T, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) {
	t.Helper()
	require.NoError(t, pgx.BeginFunc(context.Background(), pool, fn))
}

func TestQuarantineRecords(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	noID := spapi.Quarantined{Op: spapi.OpGetOrders, Reason: "missing AmazonOrderId",
		Raw: json.RawMessage(`{"PurchaseDate":"2025-01-02T03:04:05Z","OrderStatus":"Shipped"}`)}
	noDate := spapi.Quarantined{Op: spapi.OpGetOrders, EntityID: "111-0000000-0000001", Reason: "missing LastUpdateDate",
		Raw: json.RawMessage(`{"AmazonOrderId":"111-0000000-0000001","OrderStatus":"Shipped"}`)}
	// noDateRespaced is noDate with other key order and spacing: the same
	// content as jsonb.
	noDateRespaced := spapi.Quarantined{Op: spapi.OpGetOrders, EntityID: "111-0000000-0000001", Reason: "missing LastUpdateDate",
		Raw: json.RawMessage("{ \"OrderStatus\": \"Shipped\",\n  \"AmazonOrderId\": \"111-0000000-0000001\" }")}
	noFOID := spapi.Quarantined{Op: spapi.OpListAllFulfillmentOrders, Reason: "missing sellerFulfillmentOrderId",
		Raw: json.RawMessage(`{"fulfillmentOrderStatus":"Complete"}`)}
	ptr := func(s string) *string { return &s }

	tests := []struct {
		name string
		// batches are stored one after the other, each in its own
		// transaction, for account "acct".
		batches [][]spapi.Quarantined
		want    []quarantinedRow // Raw, RawHash and times are not compared
	}{
		{
			name:    "NewRecordsAreStoredWithoutAnIDWhenTheyHaveNone",
			batches: [][]spapi.Quarantined{{noID, noDate, noFOID}},
			want: []quarantinedRow{
				{Operation: spapi.OpGetOrders, Reason: "missing AmazonOrderId", TimesSeen: 1},
				{Operation: spapi.OpGetOrders, EntityID: ptr("111-0000000-0000001"), Reason: "missing LastUpdateDate", TimesSeen: 1},
				{Operation: spapi.OpListAllFulfillmentOrders, Reason: "missing sellerFulfillmentOrderId", TimesSeen: 1},
			},
		},
		{
			name:    "TheSameRecordPolledAgainIsOneRowSeenTwice",
			batches: [][]spapi.Quarantined{{noID, noDate}, {noDate}},
			want: []quarantinedRow{
				{Operation: spapi.OpGetOrders, Reason: "missing AmazonOrderId", TimesSeen: 1},
				{Operation: spapi.OpGetOrders, EntityID: ptr("111-0000000-0000001"), Reason: "missing LastUpdateDate", TimesSeen: 2},
			},
		},
		{
			name:    "KeyOrderAndSpacingDoNotMakeANewRecord",
			batches: [][]spapi.Quarantined{{noDate}, {noDateRespaced}},
			want: []quarantinedRow{
				{Operation: spapi.OpGetOrders, EntityID: ptr("111-0000000-0000001"), Reason: "missing LastUpdateDate", TimesSeen: 2},
			},
		},
		{
			name:    "ARecordRepeatedInOneAnswerCountsOnce",
			batches: [][]spapi.Quarantined{{noDate, noDateRespaced, noDate}},
			want: []quarantinedRow{
				{Operation: spapi.OpGetOrders, EntityID: ptr("111-0000000-0000001"), Reason: "missing LastUpdateDate", TimesSeen: 1},
			},
		},
		{
			name:    "TheLatestReasonWins",
			batches: [][]spapi.Quarantined{{noDate}, {{Op: noDate.Op, EntityID: noDate.EntityID, Reason: "missing LastUpdateDate, PurchaseDate", Raw: noDate.Raw}}},
			want: []quarantinedRow{
				{Operation: spapi.OpGetOrders, EntityID: ptr("111-0000000-0000001"), Reason: "missing LastUpdateDate, PurchaseDate", TimesSeen: 2},
			},
		},
		{
			name:    "OperationsAreSeparate",
			batches: [][]spapi.Quarantined{{noDate, {Op: spapi.OpGetOrder, EntityID: noDate.EntityID, Reason: noDate.Reason, Raw: noDate.Raw}}},
			want: []quarantinedRow{
				{Operation: spapi.OpGetOrder, EntityID: ptr("111-0000000-0000001"), Reason: "missing LastUpdateDate", TimesSeen: 1},
				{Operation: spapi.OpGetOrders, EntityID: ptr("111-0000000-0000001"), Reason: "missing LastUpdateDate", TimesSeen: 1},
			},
		},
		{
			name:    "EmptyBatchIsANoOp",
			batches: [][]spapi.Quarantined{nil, {}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := dbtest.NewPool(t)
			// Another account's identical record is its own row.
			require.NoError(t, store.QuarantineRecords(ctx, pool, "other", []spapi.Quarantined{noDate}))
			for _, batch := range tt.batches {
				inTx(t, pool, func(tx pgx.Tx) error { return store.QuarantineRecords(ctx, tx, "acct", batch) })
			}
			got := quarantinedRows(t, pool, "acct")
			require.Len(t, got, len(tt.want))
			for i := range got {
				require.NotEmpty(t, got[i].RawHash)
				require.NotEmpty(t, got[i].Raw)
				require.False(t, got[i].LastSeenAt.Before(got[i].FirstSeenAt))
				if got[i].TimesSeen == 1 {
					require.Equal(t, got[i].FirstSeenAt, got[i].LastSeenAt)
				}
				got[i].Raw, got[i].RawHash, got[i].FirstSeenAt, got[i].LastSeenAt = nil, "", time.Time{}, time.Time{}
			}
			if len(tt.want) == 0 {
				require.Empty(t, got)
			} else {
				require.Equal(t, tt.want, got)
			}
			require.Len(t, quarantinedRows(t, pool, "other"), 1)
		})
	}

	t.Run("RawIsKeptAsSent", func(t *testing.T) {
		t.Parallel()
		pool := dbtest.NewPool(t)
		require.NoError(t, store.QuarantineRecords(ctx, pool, "acct", []spapi.Quarantined{noDate, {Op: spapi.OpGetOrders, Reason: "empty"}}))
		var raw map[string]any
		require.NoError(t, pool.QueryRow(ctx, `SELECT raw FROM quarantined_records WHERE entity_id = '111-0000000-0000001'`).Scan(&raw))
		require.Equal(t, map[string]any{"AmazonOrderId": "111-0000000-0000001", "OrderStatus": "Shipped"}, raw)
		var null bool
		require.NoError(t, pool.QueryRow(ctx, `SELECT raw = 'null'::jsonb FROM quarantined_records WHERE reason = 'empty'`).Scan(&null))
		require.True(t, null, "a record without raw JSON is stored as JSON null")
	})

	t.Run("RollsBackWithThePage", func(t *testing.T) {
		t.Parallel()
		pool := dbtest.NewPool(t)
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		require.NoError(t, store.QuarantineRecords(ctx, tx, "acct", []spapi.Quarantined{noID}))
		require.NoError(t, tx.Rollback(ctx))
		require.Empty(t, quarantinedRows(t, pool, "acct"))
	})

	t.Run("ServiceJobPIIIsLeftOutUnlessOptedIn", func(t *testing.T) {
		t.Parallel()
		job := json.RawMessage(`{"serviceJobStatus":"COMPLETED",
			"buyer":{"name":"Jane Buyer","phone":"555-0100","isPrimeMember":true},
			"serviceLocation":{"serviceLocationType":"IN_HOME","address":{"name":"Jane Buyer","addressLine1":"1 Main St","city":"Seattle","phone":"555-0100"}}}`)
		tests := []struct {
			name    string
			op      string
			opts    []store.ServiceJobsOption
			wantPII bool
		}{
			{"GetServiceJobsDefault", spapi.OpGetServiceJobs, nil, false},
			{"GetServiceJobByIDDefault", spapi.OpGetServiceJobByServiceJobID, nil, false},
			{"OptedIn", spapi.OpGetServiceJobs, []store.ServiceJobsOption{store.StoreServiceJobPII(true)}, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				pool := dbtest.NewPool(t)
				require.NoError(t, store.QuarantineRecords(ctx, pool, "acct",
					[]spapi.Quarantined{{Op: tt.op, Reason: "missing serviceJobId", Raw: job}}, tt.opts...))
				got := quarantinedRows(t, pool, "acct")
				require.Len(t, got, 1)
				buyer := got[0].Raw["buyer"].(map[string]any)
				address := got[0].Raw["serviceLocation"].(map[string]any)["address"].(map[string]any)
				require.Equal(t, true, buyer["isPrimeMember"])
				require.Equal(t, "Seattle", address["city"])
				for _, m := range []map[string]any{buyer, address} {
					for _, k := range []string{"name", "phone"} {
						_, has := m[k]
						require.Equal(t, tt.wantPII, has, k)
					}
				}
				_, hasLine := address["addressLine1"]
				require.Equal(t, tt.wantPII, hasLine)
			})
		}
	})
}

func TestQuarantineSummary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)

	got, err := store.QuarantineSummary(ctx, pool)
	require.NoError(t, err)
	require.Empty(t, got)

	rec := func(op, reason, raw string) spapi.Quarantined {
		return spapi.Quarantined{Op: op, Reason: reason, Raw: json.RawMessage(raw)}
	}
	inTx(t, pool, func(tx pgx.Tx) error {
		return store.QuarantineRecords(ctx, tx, "a", []spapi.Quarantined{
			rec(spapi.OpGetOrders, "missing AmazonOrderId", `{"n":1}`),
			rec(spapi.OpGetOrders, "missing AmazonOrderId", `{"n":2}`),
			rec(spapi.OpGetServiceJobs, "missing serviceJobId", `{"n":1}`),
		})
	})
	inTx(t, pool, func(tx pgx.Tx) error {
		return store.QuarantineRecords(ctx, tx, "b", []spapi.Quarantined{rec(spapi.OpGetOrders, "missing AmazonOrderId", `{"n":1}`)})
	})
	// Seen later, with another reason: it is the last reason of a/getOrders.
	inTx(t, pool, func(tx pgx.Tx) error {
		return store.QuarantineRecords(ctx, tx, "a", []spapi.Quarantined{rec(spapi.OpGetOrders, "missing LastUpdateDate", `{"n":3}`)})
	})
	var latest time.Time
	require.NoError(t, pool.QueryRow(ctx, `SELECT last_seen_at FROM quarantined_records WHERE account_id = 'a' AND raw = '{"n":3}'`).Scan(&latest))

	got, err = store.QuarantineSummary(ctx, pool)
	require.NoError(t, err)
	for i := range got {
		require.False(t, got[i].LastSeenAt.IsZero())
		if got[i].AccountID == "a" && got[i].Operation == spapi.OpGetOrders {
			require.True(t, got[i].LastSeenAt.Equal(latest))
		}
		got[i].LastSeenAt = time.Time{}
	}
	require.Equal(t, []store.QuarantineCount{
		{AccountID: "a", Operation: spapi.OpGetOrders, Records: 3, LastReason: "missing LastUpdateDate"},
		{AccountID: "a", Operation: spapi.OpGetServiceJobs, Records: 1, LastReason: "missing serviceJobId"},
		{AccountID: "b", Operation: spapi.OpGetOrders, Records: 1, LastReason: "missing AmazonOrderId"},
	}, got)
}

// TestQuarantineOrders2026KeepsNoPII: an Orders 2026-01-01 order set aside
// for a missing key loses Amazon's PII list like a stored one (kept PII
// lives in order_pii only); city and the rest stay.
func TestQuarantineOrders2026KeepsNoPII(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	rec := spapi.Quarantined{Op: spapi.OpSearchOrders, Reason: "missing orderId", Raw: json.RawMessage(`{
		"buyer": {"buyerName": "Jane Roe", "buyerEmail": "jane@marketplace.amazon.com"},
		"recipient": {"deliveryAddress": {"name": "Jane Roe", "addressLine1": "1 Elm St", "postalCode": "98101", "phone": "555-0100", "city": "Seattle"}},
		"orderItems": [{"orderItemId": "1", "product": {"customization": {"customizedUrl": "https://example.com/c/1"}},
			"fulfillment": {"packing": {"giftOption": {"giftMessage": "Happy birthday Jane", "giftWrapLevel": "BASIC"}}}}]}`)}
	item := spapi.Quarantined{Op: spapi.OpGetOrder2026, EntityID: "111-0000000-0000009", Reason: "missing orderItemId",
		Raw: json.RawMessage(`{"product": {"customization": {"customizedUrl": "https://example.com/c/2"}},
			"fulfillment": {"packing": {"giftOption": {"giftMessage": "For Jane"}}}}`)}
	require.NoError(t, store.QuarantineRecords(ctx, pool, "acct", []spapi.Quarantined{rec, item}))
	var raws []string
	rows, err := pool.Query(ctx, `SELECT raw::text FROM quarantined_records ORDER BY operation`)
	require.NoError(t, err)
	for rows.Next() {
		var r string
		require.NoError(t, rows.Scan(&r))
		raws = append(raws, r)
	}
	require.NoError(t, rows.Err())
	require.Len(t, raws, 2)
	for _, r := range raws {
		for _, pii := range []string{"Jane", "1 Elm St", "98101", "555-0100", "example.com/c"} {
			require.NotContains(t, r, pii)
		}
	}
	require.Contains(t, raws[1], "Seattle")
	require.Contains(t, raws[1], "BASIC")
}
