package push

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Notification types the consumer handles.
const (
	TypeOrderChange            = "ORDER_CHANGE"
	TypeFulfillmentOrderStatus = "FULFILLMENT_ORDER_STATUS"
)

// Notification is the envelope of every SP-API notification (the body of
// an SQS message). Fields the models do not list are ignored.
type Notification struct {
	NotificationVersion  string               `json:"NotificationVersion"`
	NotificationType     string               `json:"NotificationType"`
	PayloadVersion       string               `json:"PayloadVersion"`
	EventTime            Time                 `json:"EventTime"`
	Payload              Payload              `json:"Payload"`
	NotificationMetadata NotificationMetadata `json:"NotificationMetadata"`
}

// NotificationMetadata identifies one notification; NotificationId is
// repeated by Amazon's duplicate deliveries.
type NotificationMetadata struct {
	ApplicationID  string `json:"ApplicationId"`
	SubscriptionID string `json:"SubscriptionId"`
	PublishTime    Time   `json:"PublishTime"`
	NotificationID string `json:"NotificationId"`
}

// Payload holds the one payload of the notification's type.
type Payload struct {
	OrderChangeNotification            *OrderChangeNotification            `json:"OrderChangeNotification"`
	FulfillmentOrderStatusNotification *FulfillmentOrderStatusNotification `json:"FulfillmentOrderStatusNotification"`
}

// OrderChangeNotification is ORDER_CHANGE's payload, as far as the consumer
// reads it: the order and when it changed. The summary is not stored (the
// refresh fetches the authoritative order).
type OrderChangeNotification struct {
	NotificationLevel  string             `json:"NotificationLevel"`
	SellerID           string             `json:"SellerId"`
	AmazonOrderID      string             `json:"AmazonOrderId"`
	OrderChangeType    string             `json:"OrderChangeType"`
	OrderChangeTrigger OrderChangeTrigger `json:"OrderChangeTrigger"`
	// Summary is optional; its MarketplaceId picks the account when a
	// seller has one per region or Far East marketplace.
	Summary *OrderChangeSummary `json:"Summary"`
}

// OrderChangeSummary is the part of ORDER_CHANGE's Summary the consumer
// reads.
type OrderChangeSummary struct {
	MarketplaceID string `json:"MarketplaceId"`
}

// OrderChangeTrigger says when and why the order changed.
type OrderChangeTrigger struct {
	TimeOfOrderChange Time   `json:"TimeOfOrderChange"`
	ChangeReason      string `json:"ChangeReason"`
}

// FulfillmentOrderStatusNotification is FULFILLMENT_ORDER_STATUS's payload,
// as far as the consumer reads it.
type FulfillmentOrderStatusNotification struct {
	SellerID                 string `json:"SellerId"`
	EventType                string `json:"EventType"`
	StatusUpdatedDateTime    Time   `json:"StatusUpdatedDateTime"`
	SellerFulfillmentOrderID string `json:"SellerFulfillmentOrderId"`
	FulfillmentOrderStatus   string `json:"FulfillmentOrderStatus"`
}

// Time is a notification timestamp: RFC 3339 with or without fractional
// seconds, or without a zone (read as UTC). An empty or unreadable value
// is the zero time: a change time only dates the receipt, and an odd one
// must not cost the notification.
type Time struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"}

// UnmarshalJSON reads a string in any of the layouts; anything else is zero.
func (t *Time) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return nil // null, a number: no time
	}
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return nil
}

// Problems with a message, as the outcome label of
// spsync_push_messages_total and in logs (never with payload values).
var (
	errNotJSON        = errors.New("bad_json")
	errUnknownType    = errors.New("unknown_type")
	errMissingPayload = errors.New("missing_payload")
	errMissingID      = errors.New("missing_entity_id")
	errMissingSeller  = errors.New("missing_seller")
	errUnknownSeller  = errors.New("unknown_seller")
)

// event is what the consumer does with one notification.
type event struct {
	Type     string
	SellerID string
	// MarketplaceID is ORDER_CHANGE's Summary.MarketplaceId ("" when
	// absent, and for FULFILLMENT_ORDER_STATUS).
	MarketplaceID  string
	Stream         string // store stream: orders or fulfillment_orders
	EntityID       string
	NotificationID string
	ChangeTime     time.Time
	// EventTime is the notification's EventTime: the change time of the
	// push latency (refreshArgs) when the payload has none.
	EventTime time.Time
}

// parse reads a message body into its event. The error is one of the
// errors above (wrapped with a short, value-free reason).
func parse(body string) (event, error) {
	var n Notification
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		return event{}, fmt.Errorf("%w: %s", errNotJSON, jsonErrorKind(err))
	}
	ev := event{Type: n.NotificationType, NotificationID: n.NotificationMetadata.NotificationID, EventTime: n.EventTime.Time}
	switch n.NotificationType {
	case TypeOrderChange:
		p := n.Payload.OrderChangeNotification
		if p == nil {
			return ev, errMissingPayload
		}
		ev.SellerID, ev.Stream, ev.EntityID = p.SellerID, streamOrders, p.AmazonOrderID
		ev.ChangeTime = p.OrderChangeTrigger.TimeOfOrderChange.Time
		if p.Summary != nil {
			ev.MarketplaceID = p.Summary.MarketplaceID
		}
	case TypeFulfillmentOrderStatus:
		p := n.Payload.FulfillmentOrderStatusNotification
		if p == nil {
			return ev, errMissingPayload
		}
		ev.SellerID, ev.Stream, ev.EntityID = p.SellerID, streamFulfillmentOrders, p.SellerFulfillmentOrderID
		ev.ChangeTime = p.StatusUpdatedDateTime.Time
	default:
		return ev, errUnknownType
	}
	if ev.EntityID == "" {
		return ev, errMissingID
	}
	if ev.SellerID == "" {
		return ev, errMissingSeller
	}
	return ev, nil
}

// jsonErrorKind describes a decode error without quoting the input.
func jsonErrorKind(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at offset %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s is a JSON %s", typ.Field, typ.Value)
	default:
		return "invalid JSON"
	}
}
