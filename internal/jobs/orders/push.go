package orders

import (
	"encoding/json"
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
)

// ChangeNotification is ORDER_CHANGE's payload, as far as push reads it:
// the order and when it changed. The summary is not stored (the refresh
// fetches the authoritative order).
type ChangeNotification struct {
	NotificationLevel  string        `json:"NotificationLevel"`
	SellerID           string        `json:"SellerId"`
	AmazonOrderID      string        `json:"AmazonOrderId"`
	OrderChangeType    string        `json:"OrderChangeType"`
	OrderChangeTrigger ChangeTrigger `json:"OrderChangeTrigger"`
	// Summary is optional; its MarketplaceId picks the account when a
	// seller has one per region or Far East marketplace.
	Summary *ChangeSummary `json:"Summary"`
}

// ChangeSummary is the part of ORDER_CHANGE's Summary push reads.
type ChangeSummary struct {
	MarketplaceID string `json:"MarketplaceId"`
}

// ChangeTrigger says when and why the order changed.
type ChangeTrigger struct {
	TimeOfOrderChange jobs.NotificationTime `json:"TimeOfOrderChange"`
	ChangeReason      string                `json:"ChangeReason"`
}

// pushSource is how ORDER_CHANGE notifications become order refreshes
// (jobs.PushSource): each refreshes its order, and past the backlog the
// orders poll reads the changes instead.
func pushSource() *jobs.PushSource {
	return &jobs.PushSource{
		Notifications: []jobs.PushNotification{{
			Type: spapi.NotificationOrderChange, Payload: "OrderChangeNotification", Parse: parseChange,
		}},
		Refresh: func(accountID, entityID string, followup bool, notified *time.Time) river.JobArgs {
			return RefreshArgs{AccountID: accountID, AmazonOrderID: entityID, Followup: followup, NotifiedChange: notified}
		},
		ShedPoll: func(accountID string) river.JobArgs { return PollArgs{AccountID: accountID} },
	}
}

// parseChange reads an ORDER_CHANGE payload.
func parseChange(payload json.RawMessage) (jobs.PushEvent, error) {
	var p ChangeNotification
	if err := json.Unmarshal(payload, &p); err != nil {
		return jobs.PushEvent{}, err
	}
	ev := jobs.PushEvent{SellerID: p.SellerID, EntityID: p.AmazonOrderID, ChangeTime: p.OrderChangeTrigger.TimeOfOrderChange.Time}
	if p.Summary != nil {
		ev.MarketplaceID = p.Summary.MarketplaceID
	}
	return ev, nil
}
