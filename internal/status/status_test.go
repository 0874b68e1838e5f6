package status_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/status"
	"github.com/spsync/spsync/internal/store"
)

func TestReportQuarantine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	tests := []struct {
		name        string
		quarantined map[string][]spapi.Quarantined // by account
		// wantJSON is the report's "quarantine" value, last_seen_at left out.
		wantJSON []map[string]any
		// wantText are substrings of the text report; noText must not be in it.
		wantText []string
		noText   []string
	}{
		{
			name:     "NoneIsAnEmptyListAndNoSection",
			wantJSON: []map[string]any{},
			noText:   []string{"QUARANTINED", "quarantined_records"},
		},
		{
			name: "CountsPerAccountAndOperation",
			quarantined: map[string][]spapi.Quarantined{
				"acct-a": {
					{Op: spapi.OpGetOrders, Reason: "missing AmazonOrderId", Raw: json.RawMessage(`{"n":1}`)},
					{Op: spapi.OpGetOrders, Reason: "missing AmazonOrderId", Raw: json.RawMessage(`{"n":2}`)},
				},
				"acct-b": {
					{Op: spapi.OpGetServiceJobs, EntityID: "J1", Reason: "missing createTime", Raw: json.RawMessage(`{"serviceJobId":"J1"}`)},
				},
			},
			wantJSON: []map[string]any{
				{"account_id": "acct-a", "operation": "getOrders", "records": float64(2), "last_reason": "missing AmazonOrderId"},
				{"account_id": "acct-b", "operation": "getServiceJobs", "records": float64(1), "last_reason": "missing createTime"},
			},
			wantText: []string{
				"QUARANTINED",
				"ACCOUNT  OPERATION       RECORDS  LAST SEEN",
				"acct-a   getOrders       2",
				"acct-b   getServiceJobs  1",
				"missing createTime",
				"FROM quarantined_records",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := dbtest.NewPool(t)
			for acct, recs := range tt.quarantined {
				require.NoError(t, store.QuarantineRecords(ctx, pool, acct, recs))
			}
			r, err := status.Collect(ctx, pool)
			require.NoError(t, err)

			b, err := json.Marshal(r)
			require.NoError(t, err)
			var doc map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(b, &doc))
			require.Contains(t, doc, "quarantine", "the JSON key scripts read")
			var got []map[string]any
			require.NoError(t, json.Unmarshal(doc["quarantine"], &got))
			require.NotNil(t, got, "an empty list, not null")
			for _, q := range got {
				require.NotEmpty(t, q["last_seen_at"])
				delete(q, "last_seen_at")
			}
			require.Equal(t, tt.wantJSON, got)

			var text bytes.Buffer
			require.NoError(t, r.WriteText(&text))
			for _, s := range tt.wantText {
				require.Contains(t, text.String(), s)
			}
			for _, s := range tt.noText {
				require.NotContains(t, text.String(), s)
			}
		})
	}
}
