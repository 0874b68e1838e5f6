package push

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sharedtest"
)

func TestParseTolerance(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		body string
		want event
		err  error
	}{
		"order change": {
			body: orderChange("S1", "111-1", "n1", at.Add(284*time.Millisecond)),
			want: event{Type: TypeOrderChange, SellerID: "S1", MarketplaceID: "ATVPDKIKX0DER", Stream: "orders", EntityID: "111-1", NotificationID: "n1", ChangeTime: at.Add(284 * time.Millisecond), EventTime: at.Add(109 * time.Millisecond)},
		},
		"fulfillment status without fraction": {
			body: fulfillmentStatus("S1", "FO-1", "f1", at),
			want: event{Type: TypeFulfillmentOrderStatus, SellerID: "S1", Stream: "fulfillment_orders", EntityID: "FO-1", NotificationID: "f1", ChangeTime: at, EventTime: at},
		},
		"time without zone, unknown fields": {
			body: `{"NotificationType":"FULFILLMENT_ORDER_STATUS","New":{"x":1},"Payload":{"FulfillmentOrderStatusNotification":{"SellerId":"S1","SellerFulfillmentOrderId":"FO-2","StatusUpdatedDateTime":"2026-11-01T10:00:00","Extra":[1]}},"NotificationMetadata":{"NotificationId":"f2"}}`,
			want: event{Type: TypeFulfillmentOrderStatus, SellerID: "S1", Stream: "fulfillment_orders", EntityID: "FO-2", NotificationID: "f2", ChangeTime: at},
		},
		"odd time": {
			body: `{"NotificationType":"ORDER_CHANGE","Payload":{"OrderChangeNotification":{"SellerId":"S1","AmazonOrderId":"1","OrderChangeTrigger":{"TimeOfOrderChange":12}}}}`,
			want: event{Type: TypeOrderChange, SellerID: "S1", Stream: "orders", EntityID: "1"},
		},
		"not json":        {body: `{"a":`, err: errNotJSON},
		"unknown type":    {body: `{"NotificationType":"REPORT_PROCESSING_FINISHED","Payload":{}}`, err: errUnknownType},
		"missing payload": {body: `{"NotificationType":"ORDER_CHANGE","Payload":{}}`, err: errMissingPayload},
		"missing order":   {body: `{"NotificationType":"ORDER_CHANGE","Payload":{"OrderChangeNotification":{"SellerId":"S"}}}`, err: errMissingID},
		"missing seller":  {body: `{"NotificationType":"ORDER_CHANGE","Payload":{"OrderChangeNotification":{"AmazonOrderId":"1"}}}`, err: errMissingSeller},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := parse(tc.body)
			if tc.err != nil {
				require.True(t, errors.Is(err, tc.err), "error %v, want %v", err, tc.err)
				return
			}
			require.NoError(t, err)
			require.True(t, tc.want.ChangeTime.Equal(got.ChangeTime), "change time %v", got.ChangeTime)
			require.True(t, tc.want.EventTime.Equal(got.EventTime), "event time %v", got.EventTime)
			got.ChangeTime, got.EventTime = tc.want.ChangeTime, tc.want.EventTime
			require.Equal(t, tc.want, got)
		})
	}
}

// The examples of Amazon's models parse. The models are read from
// ../shared beside the repository (or SPSYNC_AMAZON_MODELS); without them
// the test skips, and fails under CI=true.
func TestParseModelExamples(t *testing.T) {
	t.Parallel()
	for file, entity := range map[string]string{"OrderChangeNotification.json": "903-8868176-2219830", "FulfillmentOrderStatusNotification.json": "SFOID2345"} {
		raw, err := os.ReadFile(filepath.Join(sharedtest.ModelsDir(t, file), file))
		require.NoError(t, err)
		var model struct {
			Examples []json.RawMessage `json:"examples"`
		}
		require.NoError(t, json.Unmarshal(raw, &model))
		require.NotEmpty(t, model.Examples)
		ev, err := parse(string(model.Examples[0]))
		require.NoError(t, err, file)
		require.Equal(t, entity, ev.EntityID)
		require.Equal(t, "A3TH9S8BH6GOGM", ev.SellerID)
		require.False(t, ev.ChangeTime.IsZero())
	}
}
