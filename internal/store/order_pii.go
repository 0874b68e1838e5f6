package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// Orders 2026-01-01 PII (the paths spapi.StripOrder2026PII removes from
// raw) is stored only when the operator opts in (SPSYNC_ORDERS_STORE_PII),
// and then apart from orders, in order_pii, so that it can be granted and
// purged on its own.
// Amazon's Data Protection Policy allows PII no longer than 30 days after
// delivery: each row gets a delete_after once its order is seen closed
// (shipped, cancelled or unfulfillable; shipment comes before delivery, so
// the clock starts early rather than late), and PurgeOrderPII deletes the
// rows past it. An open order's row is never purged.
//
// Amazon sends PII by role and dataset (includedData BUYER, RECIPIENT), and
// not at all once a role is lost or, for some fields, once an order ships
// (the phone). A field an answer does not carry therefore says nothing about
// it: it keeps its stored value, and only fields that were sent overwrite.

// DefaultPIIRetention is how long PII is kept after its order closed when
// the operator sets no SPSYNC_PII_RETENTION: 30 days, the longest Amazon's
// Data Protection Policy allows after delivery.
const DefaultPIIRetention = 30 * 24 * time.Hour

// OrderPIIRow is one order_pii row as one answer carries it (the orders
// stream reads it from a 2026 order): nil is "not sent" (the stored value
// stays), never "erase".
type OrderPIIRow struct {
	AmazonOrderID            string  `json:"amazon_order_id"`
	BuyerName                *string `json:"buyer_name,omitzero"`
	BuyerEmail               *string `json:"buyer_email,omitzero"`
	BuyerCompanyName         *string `json:"buyer_company_name,omitzero"`
	BuyerPurchaseOrderNumber *string `json:"buyer_purchase_order_number,omitzero"`
	RecipientName            *string `json:"recipient_name,omitzero"`
	RecipientCompanyName     *string `json:"recipient_company_name,omitzero"`
	AddressLine1             *string `json:"address_line1,omitzero"`
	AddressLine2             *string `json:"address_line2,omitzero"`
	AddressLine3             *string `json:"address_line3,omitzero"`
	PostalCode               *string `json:"postal_code,omitzero"`
	Phone                    *string `json:"phone,omitzero"`
	// ExtendedFields is Amazon's deliveryAddress.extendedFields object.
	ExtendedFields json.RawMessage `json:"extended_fields,omitzero"`
	// DeliveryInstructions is {"address_instruction", "drop_off_location"}
	// with the keys that were sent.
	DeliveryInstructions json.RawMessage `json:"delivery_instructions,omitzero"`
	// Items is {orderItemId: {"gift_message", "customized_url"}} for the
	// items that have either.
	Items json.RawMessage `json:"items,omitzero"`
	// ClosedAt is the answer's lastUpdatedTime when it shows the order
	// closed.
	ClosedAt *time.Time `json:"closed_at,omitzero"`
}

// hasPII reports whether the row carries any PII (ClosedAt is not PII).
func (r *OrderPIIRow) hasPII() bool {
	c := *r
	c.AmazonOrderID, c.ClosedAt = "", nil
	return !reflect.ValueOf(c).IsZero()
}

// orderPIIMerge is how a sent value meets the stored one (order_pii.c) in
// the upsert, for the columns that do not simply take the sent value when
// there is one (COALESCE(EXCLUDED.c, order_pii.c)): the instructions merge
// by key, the items by item and then by key, so an answer that sends one of
// them keeps the other; closed_at keeps the earliest sighting.
var orderPIIMerge = map[string]string{
	"delivery_instructions": `COALESCE(order_pii.delivery_instructions || EXCLUDED.delivery_instructions, EXCLUDED.delivery_instructions, order_pii.delivery_instructions)`,
	"items": `COALESCE(order_pii.items || (SELECT jsonb_object_agg(n.key, COALESCE(order_pii.items -> n.key, '{}'::jsonb) || n.value)
        FROM jsonb_each(EXCLUDED.items) AS n), EXCLUDED.items, order_pii.items)`,
	"closed_at": `LEAST(order_pii.closed_at, EXCLUDED.closed_at)`,
}

// upsertOrderPIISQL writes a batch of OrderPIIRow (one per order), merging
// each with the stored row as orderPIIMerge says. delete_after follows
// closed_at. A row the merge would not change is not written; the
// statement returns the orders it wrote.
var upsertOrderPIISQL = orderPIIUpsert()

func orderPIIUpsert() string {
	cols := rowColumns(reflect.TypeFor[OrderPIIRow]())
	for c := range orderPIIMerge {
		if !slices.Contains(cols, c) {
			panic(fmt.Sprintf("store: order_pii merge of %s, which OrderPIIRow does not carry", c))
		}
	}
	merged := func(c string) string {
		if e, ok := orderPIIMerge[c]; ok {
			return e
		}
		return "COALESCE(EXCLUDED." + c + ", order_pii." + c + ")"
	}
	const deleteAfter = `LEAST(order_pii.closed_at, EXCLUDED.closed_at) + @retention::interval`
	var set, stored, values []string
	for _, c := range cols {
		if c == "amazon_order_id" {
			continue
		}
		set = append(set, c+" = "+merged(c))
		stored = append(stored, "order_pii."+c)
		values = append(values, merged(c))
	}
	return `
INSERT INTO order_pii (account_id, ` + strings.Join(cols, ", ") + `, delete_after)
SELECT @account_id::text, ` + strings.Join(cols, ", ") + `, closed_at + @retention::interval
FROM jsonb_populate_recordset(NULL::order_pii, @rows::jsonb)
ON CONFLICT (account_id, amazon_order_id) DO UPDATE SET
    ` + strings.Join(set, ",\n    ") + `,
    delete_after = ` + deleteAfter + `,
    updated_at = now()
WHERE (` + strings.Join(stored, ", ") + `, order_pii.delete_after)
    IS DISTINCT FROM (` + strings.Join(values, ", ") + `, ` + deleteAfter + `)
RETURNING amazon_order_id`
}

// retentionInterval is retention as the interval the statements add to
// closed_at. A retention that is not positive is refused: it is an unset
// setting, and guessing would either keep PII too long or purge it at once.
func retentionInterval(retention time.Duration) (pgtype.Interval, error) {
	if retention <= 0 {
		return pgtype.Interval{}, fmt.Errorf("PII retention must be positive, got %s", retention)
	}
	return pgtype.Interval{Microseconds: retention.Microseconds(), Valid: true}, nil
}

// UpsertOrderPII stores the buyer and recipient PII of a page of Orders
// 2026-01-01 orders of one account in order_pii, on db (a transaction). Call
// it only when the operator opted in to storing PII. rows are the page's
// orders as the orders stream reads their PII, one per copy of an order, a
// repeated order's copies oldest first.
//
// An order that carries any PII gets a row; a field it does not carry keeps
// the stored value (a dataset missing from this answer, say the BUYER role
// lost, does not erase what an earlier answer stored). A row with ClosedAt
// (the order shown SHIPPED, CANCELLED or UNFULFILLABLE) closes the order's
// row: closed_at is the earliest such time and delete_after is closed_at
// plus retention. A closed order without PII in this answer still closes the
// row an earlier answer stored, and gets no row otherwise. Unchanged rows
// are not written. It returns how many rows it wrote.
//
// Copies of one order are written in the order given, as if they had come
// in separate answers.
func UpsertOrderPII(ctx context.Context, db DBTX, accountID string, rows []OrderPIIRow, retention time.Duration) (int, error) {
	interval, err := retentionInterval(retention)
	if err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, nil
	}
	rows = slices.DeleteFunc(slices.Clone(rows), func(r OrderPIIRow) bool { return r.AmazonOrderID == "" })
	closed := map[string]time.Time{} // order → its earliest closed sighting in the page
	for _, r := range rows {
		if r.ClosedAt != nil {
			if c, ok := closed[r.AmazonOrderID]; !ok || r.ClosedAt.Before(c) {
				closed[r.AmazonOrderID] = *r.ClosedAt
			}
		}
	}
	// Every copy carries the page's earliest close, so that a copy with PII
	// that comes after a closed copy without (which had no row to close)
	// still gets it.
	for i := range rows {
		if c, ok := closed[rows[i].AmazonOrderID]; ok {
			rows[i].ClosedAt = &c
		}
	}
	// ON CONFLICT cannot change one row twice in a statement: the n-th copy
	// of an order goes in the n-th round.
	var rounds [][]OrderPIIRow
	seen := map[string]int{}
	for _, r := range rows {
		n := seen[r.AmazonOrderID]
		seen[r.AmazonOrderID]++
		if n == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[n] = append(rounds[n], r)
	}
	written := map[string]bool{}
	for _, round := range rounds {
		if err := writeOrderPIIRound(ctx, db, accountID, round, interval, written); err != nil {
			return 0, err
		}
	}
	return len(written), nil
}

// writeOrderPIIRound writes rows (one per order) and notes the orders whose
// row it wrote in written.
func writeOrderPIIRound(ctx context.Context, db DBTX, accountID string, rows []OrderPIIRow, interval pgtype.Interval, written map[string]bool) error {
	var pii []OrderPIIRow
	var closeIDs []string
	var closeAts []time.Time
	for _, r := range rows {
		switch {
		case r.hasPII():
			pii = append(pii, r)
		case r.ClosedAt != nil:
			closeIDs, closeAts = append(closeIDs, r.AmazonOrderID), append(closeAts, *r.ClosedAt)
		}
	}
	if len(pii) > 0 {
		payload, err := json.Marshal(pii)
		if err != nil {
			return fmt.Errorf("encode order PII: %w", err)
		}
		res, err := db.Query(ctx, upsertOrderPIISQL, pgx.NamedArgs{"rows": payload, "account_id": accountID, "retention": interval})
		if err != nil {
			return fmt.Errorf("upsert PII of %d orders of account %s: %w", len(pii), accountID, err)
		}
		ids, err := pgx.CollectRows(res, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("upsert PII of %d orders of account %s: %w", len(pii), accountID, err)
		}
		for _, id := range ids {
			written[id] = true
		}
	}
	if len(closeIDs) > 0 {
		ids, err := dbsqlc.New().CloseOrderPII(ctx, db, dbsqlc.CloseOrderPIIParams{
			AccountID: accountID, AmazonOrderIds: closeIDs, ClosedAts: closeAts, Retention: interval,
		})
		if err != nil {
			return fmt.Errorf("close PII of %d orders of account %s: %w", len(closeIDs), accountID, err)
		}
		for _, id := range ids {
			written[id] = true
		}
	}
	return nil
}

// PurgeOrderPII deletes the PII rows whose delete_after is at or before now
// and returns how many it deleted. now is the caller's clock (Deps.Clock in
// the worker), the clock of the lastUpdatedTime that closed_at comes from.
//
// First it closes the open rows whose order the orders table shows Shipped,
// Canceled or Unfulfillable, with closed_at the order's last_update_date and
// delete_after that plus retention: an order's close can reach spsync
// without passing UpsertOrderPII (an Orders v0 poll, a 2026 answer whose
// writer did not store PII), and its PII must not then be kept for ever.
// That date is the order's latest update, not its first closed one, so such
// a row may be kept up to about one purge interval longer than retention. Rows the
// orders table shows open, or does not have, stay until their order closes.
//
// The two statements do not need one transaction: each is complete on its
// own, and a purge that fails between them did only the first.
func PurgeOrderPII(ctx context.Context, db DBTX, now time.Time, retention time.Duration) (int64, error) {
	interval, err := retentionInterval(retention)
	if err != nil {
		return 0, err
	}
	if now.IsZero() {
		return 0, errors.New("purge order PII: no clock time given")
	}
	q := dbsqlc.New()
	if _, err := q.CloseOrderPIIFromOrders(ctx, db, interval); err != nil {
		return 0, fmt.Errorf("close PII of orders closed in orders: %w", err)
	}
	n, err := q.PurgeOrderPII(ctx, db, now)
	if err != nil {
		return 0, fmt.Errorf("purge order PII due by %s: %w", now.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}
