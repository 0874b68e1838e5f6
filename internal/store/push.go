package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// Push notifications announce changes; the polls, the safety net, find the
// changes no notification announced. push_receipts keeps, per entity, the
// greatest change time a notification announced; push_streams the totals
// `worker status` shows.

// PushReceipt is one notification the consumer turned into a refresh job.
type PushReceipt struct {
	AccountID string
	// Stream is "orders" or "fulfillment_orders".
	Stream         string
	EntityID       string
	NotificationID string
	// ChangeTime is TimeOfOrderChange or StatusUpdatedDateTime; zero when
	// the notification had none.
	ChangeTime time.Time
	ReceivedAt time.Time
}

// pushReceiptInput is one entity's folded receipts.
type pushReceiptInput struct {
	AccountID, Stream, EntityID, NotificationID string
	ChangeTime                                  *time.Time
	ReceivedAt                                  time.Time
	Notifications                               int64
}

// RecordPushReceipts records receipts in tx (the transaction that inserts
// their jobs): per entity the greatest change time (with its notification
// id) and the latest receipt time, and per stream the count and the latest
// receipt time. Receipts may repeat an entity and come in any order.
func RecordPushReceipts(ctx context.Context, tx pgx.Tx, receipts []PushReceipt) error {
	if len(receipts) == 0 {
		return nil
	}
	type key struct{ account, stream, entity string }
	byKey := map[key]*pushReceiptInput{}
	var order []key
	for _, r := range receipts {
		k := key{r.AccountID, r.Stream, r.EntityID}
		row, ok := byKey[k]
		if !ok {
			row = &pushReceiptInput{AccountID: r.AccountID, Stream: r.Stream, EntityID: r.EntityID, NotificationID: r.NotificationID, ReceivedAt: r.ReceivedAt}
			if !r.ChangeTime.IsZero() {
				t := r.ChangeTime
				row.ChangeTime = &t
			}
			byKey[k] = row
			order = append(order, k)
		} else {
			if !r.ChangeTime.IsZero() && (row.ChangeTime == nil || !r.ChangeTime.Before(*row.ChangeTime)) {
				t := r.ChangeTime
				row.ChangeTime, row.NotificationID = &t, r.NotificationID
			}
			if r.ReceivedAt.After(row.ReceivedAt) {
				row.ReceivedAt = r.ReceivedAt
			}
		}
		row.Notifications++
	}
	// A stable order keeps concurrent consumers' upserts from deadlocking.
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.account != b.account {
			return a.account < b.account
		}
		if a.stream != b.stream {
			return a.stream < b.stream
		}
		return a.entity < b.entity
	})
	var p dbsqlc.RecordPushReceiptsParams
	for _, k := range order {
		r := byKey[k]
		var change time.Time // zero: none (NULL)
		if r.ChangeTime != nil {
			change = *r.ChangeTime
		}
		p.AccountIds = append(p.AccountIds, r.AccountID)
		p.Streams = append(p.Streams, r.Stream)
		p.EntityIds = append(p.EntityIds, r.EntityID)
		p.NotificationIds = append(p.NotificationIds, r.NotificationID)
		p.ChangeTimes = append(p.ChangeTimes, change)
		p.ReceivedAts = append(p.ReceivedAts, r.ReceivedAt)
		p.NotificationCounts = append(p.NotificationCounts, r.Notifications)
	}
	if err := dbsqlc.New().RecordPushReceipts(ctx, tx, p); err != nil {
		return fmt.Errorf("record %d push receipts: %w", len(order), err)
	}
	return nil
}

// EntityChange is one change a poll wrote: the entity (AmazonOrderId,
// SellerFulfillmentOrderId) and its change time (LastUpdateDate,
// statusUpdatedDate).
type EntityChange struct {
	EntityID   string
	ChangeTime time.Time
}

// CountUnannounced is the safety net's health signal. Call it in the
// transaction of a poll page with the changes the page wrote: it counts those
// that no notification announced (no receipt whose change time is at least
// the change's less a second), adds the count to
// push_streams.safety_net_unannounced and returns it. It also records them
// as seen (a receipt with no notification), so that a later poll whose
// window overlaps this one does not count them again.
func CountUnannounced(ctx context.Context, tx pgx.Tx, accountID, stream string, changes []EntityChange) (int, error) {
	if len(changes) == 0 {
		return 0, nil
	}
	// One change per entity: its latest.
	latest := map[string]time.Time{}
	for _, c := range changes {
		if t, ok := latest[c.EntityID]; !ok || c.ChangeTime.After(t) {
			latest[c.EntityID] = c.ChangeTime
		}
	}
	ids := make([]string, 0, len(latest))
	for id := range latest {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	times := make([]time.Time, len(ids))
	for i, id := range ids {
		times[i] = latest[id]
	}
	q := dbsqlc.New()
	found, err := q.UnannouncedChanges(ctx, tx, dbsqlc.UnannouncedChangesParams{EntityIds: ids, ChangeTimes: times, AccountID: accountID, Stream: stream})
	if err != nil {
		return 0, fmt.Errorf("find unannounced %s changes of account %s: %w", stream, accountID, err)
	}
	if len(found) == 0 {
		return 0, nil
	}
	mark := dbsqlc.MarkSafetyNetChangesParams{AccountID: accountID, Stream: stream}
	for _, f := range found {
		mark.EntityIds = append(mark.EntityIds, f.EntityID)
		mark.ChangeTimes = append(mark.ChangeTimes, f.ChangeTime)
	}
	if err := q.MarkSafetyNetChanges(ctx, tx, mark); err != nil {
		return 0, fmt.Errorf("count unannounced %s changes of account %s: %w", stream, accountID, err)
	}
	return len(found), nil
}

// PushStream is the push path's health for one account and stream.
type PushStream struct {
	AccountID string
	Stream    string
	// LastReceivedAt is when its last notification arrived (nil: none yet).
	LastReceivedAt       *time.Time
	Notifications        int64
	SafetyNetUnannounced int64
}

// ListPushStreams returns every stream that received a notification or
// whose safety net counted a change, by account and stream.
func ListPushStreams(ctx context.Context, db DBTX) ([]PushStream, error) {
	rows, err := dbsqlc.New().ListPushStreams(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list push streams: %w", err)
	}
	out := make([]PushStream, len(rows))
	for i, r := range rows {
		out[i] = PushStream{AccountID: r.AccountID, Stream: r.Stream, LastReceivedAt: r.LastReceivedAt,
			Notifications: r.Notifications, SafetyNetUnannounced: r.SafetyNetUnannounced}
	}
	return out, nil
}
