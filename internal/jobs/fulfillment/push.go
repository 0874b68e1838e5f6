package fulfillment

import (
	"encoding/json"
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
)

// StatusNotification is FULFILLMENT_ORDER_STATUS's payload, as far as push
// reads it.
type StatusNotification struct {
	SellerID                 string                `json:"SellerId"`
	EventType                string                `json:"EventType"`
	StatusUpdatedDateTime    jobs.NotificationTime `json:"StatusUpdatedDateTime"`
	SellerFulfillmentOrderID string                `json:"SellerFulfillmentOrderId"`
	FulfillmentOrderStatus   string                `json:"FulfillmentOrderStatus"`
}

// pushSource is how FULFILLMENT_ORDER_STATUS notifications become
// fulfillment order refreshes (jobs.PushSource): each refreshes its order,
// and past the backlog the fulfillment orders poll reads the changes
// instead.
func pushSource() *jobs.PushSource {
	return &jobs.PushSource{
		Notifications: []jobs.PushNotification{{
			Type: spapi.NotificationFulfillmentOrderStatus, Payload: "FulfillmentOrderStatusNotification", Parse: parseStatus,
		}},
		Refresh: func(accountID, entityID string, followup bool, notified *time.Time) river.JobArgs {
			return RefreshArgs{AccountID: accountID, SellerFulfillmentOrderID: entityID, Followup: followup, NotifiedChange: notified}
		},
		ShedPoll: func(accountID string) river.JobArgs { return PollArgs{AccountID: accountID} },
	}
}

// parseStatus reads a FULFILLMENT_ORDER_STATUS payload.
func parseStatus(payload json.RawMessage) (jobs.PushEvent, error) {
	var p StatusNotification
	if err := json.Unmarshal(payload, &p); err != nil {
		return jobs.PushEvent{}, err
	}
	return jobs.PushEvent{SellerID: p.SellerID, EntityID: p.SellerFulfillmentOrderID, ChangeTime: p.StatusUpdatedDateTime.Time}, nil
}
