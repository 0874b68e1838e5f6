package push

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spsync/spsync/internal/jobs"
)

// Notification is the envelope of every SP-API notification (the body of
// an SQS message). Fields the models do not list are ignored. The payload
// is read by the stream that consumes the type (jobs.PushNotification).
type Notification struct {
	NotificationVersion  string                `json:"NotificationVersion"`
	NotificationType     string                `json:"NotificationType"`
	PayloadVersion       string                `json:"PayloadVersion"`
	EventTime            jobs.NotificationTime `json:"EventTime"`
	Payload              Payload               `json:"Payload"`
	NotificationMetadata NotificationMetadata  `json:"NotificationMetadata"`
}

// Payload holds the payload of the notification's type under a member
// named for it ("OrderChangeNotification").
type Payload map[string]json.RawMessage

// member returns the payload member name, nil when it is absent or null.
// Names match as encoding/json matches struct fields: exactly, else
// without regard to case.
func (p Payload) member(name string) json.RawMessage {
	raw, ok := p[name]
	if !ok {
		for k, v := range p {
			if strings.EqualFold(k, name) {
				raw, ok = v, true
				break
			}
		}
	}
	if !ok || string(raw) == "null" {
		return nil
	}
	return raw
}

// NotificationMetadata identifies one notification; NotificationId is
// repeated by Amazon's duplicate deliveries.
type NotificationMetadata struct {
	ApplicationID  string                `json:"ApplicationId"`
	SubscriptionID string                `json:"SubscriptionId"`
	PublishTime    jobs.NotificationTime `json:"PublishTime"`
	NotificationID string                `json:"NotificationId"`
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
	// MarketplaceID is the payload's marketplace when it names one
	// (ORDER_CHANGE's Summary.MarketplaceId), else "".
	MarketplaceID  string
	Stream         string // the stream's name: receipts and the last-received gauge
	EntityID       string
	NotificationID string
	ChangeTime     time.Time
	// EventTime is the notification's EventTime: the change time of the
	// push latency (refreshArgs) when the payload has none.
	EventTime time.Time
}

// parse reads a message body into its event, the payload by the stream
// that consumes its type. The error is one of the errors above (wrapped
// with a short, value-free reason).
func (r *routes) parse(body string) (event, error) {
	var n Notification
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		return event{}, fmt.Errorf("%w: %s", errNotJSON, jsonErrorKind(err, ""))
	}
	ev := event{Type: n.NotificationType, NotificationID: n.NotificationMetadata.NotificationID, EventTime: n.EventTime.Time}
	t, ok := r.byType[n.NotificationType]
	if !ok {
		return ev, errUnknownType
	}
	raw := n.Payload.member(t.notification.Payload)
	if raw == nil {
		return ev, errMissingPayload
	}
	p, err := t.notification.Parse(raw)
	if err != nil {
		return ev, fmt.Errorf("%w: %s", errNotJSON, jsonErrorKind(err, "Payload."+t.notification.Payload))
	}
	ev.Stream, ev.SellerID, ev.MarketplaceID, ev.EntityID, ev.ChangeTime = t.stream, p.SellerID, p.MarketplaceID, p.EntityID, p.ChangeTime
	if ev.EntityID == "" {
		return ev, errMissingID
	}
	if ev.SellerID == "" {
		return ev, errMissingSeller
	}
	return ev, nil
}

// jsonErrorKind describes a decode error without quoting the input; within
// names the member a payload's field path starts from.
func jsonErrorKind(err error, within string) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at offset %d", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if within != "" {
			field = strings.TrimSuffix(within+"."+field, ".")
		}
		return fmt.Sprintf("field %s is a JSON %s", field, typ.Value)
	default:
		return "invalid JSON"
	}
}
