package finances

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
)

// A TRANSACTION_UPDATE notification names no transaction (and no status):
// only the seller, the related identifiers, the type, the posted date and the
// amount. Its entity, for push's receipts and uniqueness, is therefore the
// order when it names one (the refresh reads the order's transactions,
// relatedIdentifierName=ORDER_ID), and otherwise its posted date,
// "posted:" and the date in RFC 3339 (UTC, whole seconds), which the refresh
// reads a few minutes around (RefreshArgs.PostedAt). The poll reports the
// transactions it wrote under the same entities and their posted dates
// (entityOf), so the safety net matches the two.

// postedEntityPrefix starts the entity of a notification without an order.
const postedEntityPrefix = "posted:"

// postedEntity is the entity of an order-less posting at t.
func postedEntity(t time.Time) string {
	return postedEntityPrefix + t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// entityOf is the push entity of a stored transaction: its order, else its
// posted date; "" when it has neither.
func entityOf(t *spapi.Transaction) string {
	if id := t.OrderID(); id != "" {
		return id
	}
	if t.PostedDate != nil {
		return postedEntity(*t.PostedDate)
	}
	return ""
}

// pushSource is how TRANSACTION_UPDATE notifications become refreshes
// (jobs.PushSource): each re-reads its order (or its posted date), and past
// the backlog the poll reads the postings instead.
//
// The change time is the payload's PostedDate, so receipts and the poll's
// changes meet on (entity, posted date) in the safety net. It is not carried
// into the refresh for the change-to-row latency
// (spsync_push_change_to_row_seconds): a posting Amazon lists late is up to
// 48 hours older than its notification, and a release keeps the posted date
// of the transaction it releases, days before; the histogram would measure
// Amazon's lags, not spsync's.
func pushSource() *jobs.PushSource {
	return &jobs.PushSource{
		Notifications: []jobs.PushNotification{{
			Type: spapi.NotificationTransactionUpdate, Payload: spapi.TransactionUpdatePayload, Parse: parseUpdate,
		}},
		Refresh: func(accountID, entityID string, followup bool, _ *time.Time) river.JobArgs {
			return refreshOf(accountID, entityID, followup)
		},
		ShedPoll: func(accountID string) river.JobArgs { return PollArgs{AccountID: accountID} },
	}
}

// refreshOf is the refresh of a push entity (an order id, or a posted
// date as postedEntity spells it).
func refreshOf(accountID, entityID string, followup bool) RefreshArgs {
	if rest, ok := strings.CutPrefix(entityID, postedEntityPrefix); ok {
		if at, err := time.Parse(time.RFC3339, rest); err == nil {
			at = at.UTC()
			return RefreshArgs{AccountID: accountID, PostedAt: &at, Followup: followup}
		}
	}
	return RefreshArgs{AccountID: accountID, OrderID: entityID, Followup: followup}
}

// parseUpdate reads a TRANSACTION_UPDATE payload. One without an order or a
// posted date has no entity, and push refuses it (missing_entity_id).
func parseUpdate(payload json.RawMessage) (jobs.PushEvent, error) {
	n, err := spapi.ParseTransactionUpdateNotification(payload)
	if err != nil {
		return jobs.PushEvent{}, err
	}
	ev := jobs.PushEvent{SellerID: n.SellerID(), MarketplaceID: n.MarketplaceID()}
	if n.PostedDate != nil {
		ev.ChangeTime = n.PostedDate.UTC()
	}
	switch {
	case n.OrderID() != "":
		ev.EntityID = n.OrderID()
	case n.PostedDate != nil:
		ev.EntityID = postedEntity(*n.PostedDate)
	}
	return ev, nil
}
