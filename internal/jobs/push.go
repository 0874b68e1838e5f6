package jobs

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/riverqueue/river"
)

// PushSource is how a stream consumes SP-API notifications (internal/push):
// the notification types it reads, the job that fetches one announced
// entity again, and the poll that reads what a shed notification announced.
// The push consumer knows streams only through it: the envelope, routing,
// receipts, shedding and metrics are generic, everything about one
// notification type's payload and one stream's jobs is here.
type PushSource struct {
	// Notifications are the notification types the stream consumes. A type
	// belongs to one stream (push refuses a registry where two claim one).
	Notifications []PushNotification
	// Refresh is the job that fetches one entity's authoritative state.
	// It must be unique while active by account, entity and followup, so
	// a burst of notifications for one entity costs one fetch; followup
	// marks the refresh scheduled because one was running when the
	// notification arrived. notified is the change time the notification
	// announced (nil when it named none), carried for the change-to-row
	// latency and no part of the job's identity.
	Refresh func(accountID, entityID string, followup bool, notified *time.Time) river.JobArgs
	// ShedPoll is the stream's poll of one account, queued instead of
	// refreshes once the account's refresh backlog is full: one list call
	// reads up to a page of changes where refreshes would take a call each.
	// Push schedules it and sets its uniqueness (one per shed period).
	ShedPoll func(accountID string) river.JobArgs
}

// PushNotification is one notification type a stream consumes.
type PushNotification struct {
	// Type is the envelope's NotificationType ("ORDER_CHANGE"); it is also
	// the type label of spsync_push_messages_total.
	Type string
	// Payload is the member of the envelope's Payload object that holds
	// this type's payload ("OrderChangeNotification"); a message without
	// it is refused as missing_payload.
	Payload string
	// Parse reads that member. A decode error refuses the message as
	// bad_json; an event without an entity id or seller is refused too, so
	// Parse need not check them.
	Parse func(payload json.RawMessage) (PushEvent, error)
}

// PushEvent is what a notification's payload announces.
type PushEvent struct {
	// SellerID is the selling partner whose data changed: it picks the
	// account.
	SellerID string
	// MarketplaceID, when the payload names one, picks among a seller's
	// accounts in several regions.
	MarketplaceID string
	// EntityID is the entity PushSource.Refresh fetches.
	EntityID string
	// ChangeTime is when the entity changed, zero when the payload does not
	// say (the envelope's EventTime stands in for the latency).
	ChangeTime time.Time
}

// NotificationTypes lists the notification types of every stream with a
// PushSource, in registry order: the subscriptions push needs.
func (ss Streams) NotificationTypes() []string {
	var out []string
	for _, s := range ss {
		if s.Push == nil {
			continue
		}
		for _, n := range s.Push.Notifications {
			out = append(out, n.Type)
		}
	}
	return out
}

// NotificationTime is a notification timestamp: RFC 3339 with or without
// fractional seconds, or without a zone (read as UTC). An empty or
// unreadable value is the zero time: a change time only dates the receipt
// and the latency, and an odd one must not cost the notification.
type NotificationTime struct{ time.Time }

var notificationTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"}

// UnmarshalJSON reads a string in any of the layouts; anything else is zero.
func (t *NotificationTime) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return nil // null, a number: no time
	}
	s = strings.TrimSpace(s)
	for _, layout := range notificationTimeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return nil
}
