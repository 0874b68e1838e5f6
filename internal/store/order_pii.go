package store

import (
	"bytes"
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

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// Orders 2026-01-01 PII (the paths pii2026.go strips from raw) is stored only
// when the operator opts in (SPSYNC_ORDERS_STORE_PII), and then apart from
// orders, in order_pii, so that it can be granted and purged on its own.
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

// closedFulfillmentStatuses are the 2026 fulfillmentStatus values after
// which an order's PII is no longer needed to fulfil it.
var closedFulfillmentStatuses = []string{"SHIPPED", "CANCELLED", "UNFULFILLABLE"}

// orderPIIRow is one order_pii row as one answer carries it: nil is "not
// sent" (the stored value stays), never "erase".
type orderPIIRow struct {
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
func (r *orderPIIRow) hasPII() bool {
	c := *r
	c.AmazonOrderID, c.ClosedAt = "", nil
	return !reflect.ValueOf(c).IsZero()
}

// newOrderPIIRow reads the PII of an Orders 2026-01-01 order: the paths
// stripOrderPII and stripItemPII remove from raw. A value that is absent,
// null or empty is not sent.
func newOrderPIIRow(o *spapi.Order2026) (orderPIIRow, error) {
	r := orderPIIRow{AmazonOrderID: o.OrderId}
	if buyer := jsonObject(o.Buyer); buyer != nil {
		r.BuyerName = jsonText(buyer["buyerName"])
		r.BuyerEmail = jsonText(buyer["buyerEmail"])
		r.BuyerCompanyName = jsonText(buyer["buyerCompanyName"])
		r.BuyerPurchaseOrderNumber = jsonText(buyer["buyerPurchaseOrderNumber"])
	}
	if rec := o.Recipient; rec != nil {
		if a := rec.DeliveryAddress; a != nil {
			r.RecipientName, r.RecipientCompanyName = orderText(a.Name), orderText(a.CompanyName)
			r.AddressLine1, r.AddressLine2, r.AddressLine3 = orderText(a.AddressLine1), orderText(a.AddressLine2), orderText(a.AddressLine3)
			r.PostalCode, r.Phone = orderText(a.PostalCode), orderText(a.Phone)
			if jsonSent(a.ExtendedFields) {
				r.ExtendedFields = a.ExtendedFields
			}
		}
		pref := jsonObject(rec.DeliveryPreference)
		instructions := map[string]json.RawMessage{}
		for key, from := range map[string]string{"address_instruction": "addressInstruction", "drop_off_location": "dropOffLocation"} {
			if v := pref[from]; jsonSent(v) {
				instructions[key] = v
			}
		}
		var err error
		if r.DeliveryInstructions, err = encodeNonEmpty(instructions); err != nil {
			return r, fmt.Errorf("encode delivery instructions: %w", err)
		}
	}
	items := map[string]map[string]json.RawMessage{}
	for i := range o.OrderItems {
		it := &o.OrderItems[i]
		if it.OrderItemId == "" {
			continue // the decoder quarantined it; there is no item to attach PII to
		}
		found := map[string]json.RawMessage{}
		if v := jsonObject(it.Product.Customization)["customizedUrl"]; jsonSent(v) {
			found["customized_url"] = v
		}
		if f := it.Fulfillment; f != nil {
			if v := jsonObject(jsonObject(f.Packing)["giftOption"])["giftMessage"]; jsonSent(v) {
				found["gift_message"] = v
			}
		}
		if len(found) > 0 {
			items[it.OrderItemId] = found
		}
	}
	var err error
	if r.Items, err = encodeNonEmpty(items); err != nil {
		return r, fmt.Errorf("encode item PII: %w", err)
	}
	if f := o.Fulfillment; f != nil && slices.Contains(closedFulfillmentStatuses, strings.ToUpper(f.FulfillmentStatus)) {
		closed := o.LastUpdatedTime
		r.ClosedAt = &closed
	}
	return r, nil
}

// jsonObject returns the members of raw when it is a JSON object, else nil
// (absent, null, or something Amazon should not have sent there).
func jsonObject(raw json.RawMessage) map[string]json.RawMessage {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// jsonSent reports whether raw holds a value: not absent, null, "", {} or
// [].
func jsonSent(raw json.RawMessage) bool {
	switch string(bytes.Join(bytes.Fields(raw), nil)) {
	case "", "null", `""`, "{}", "[]":
		return false
	}
	return true
}

// jsonText returns a JSON string's text, or another sent value's JSON text
// (a number where Amazon's model says string); nil when nothing was sent.
func jsonText(raw json.RawMessage) *string {
	if !jsonSent(raw) {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return orderText(s)
	}
	return orderText(string(bytes.TrimSpace(raw)))
}

// encodeNonEmpty encodes m, or returns nil when it is empty (nothing sent).
func encodeNonEmpty[V any](m map[string]V) (json.RawMessage, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return json.Marshal(m)
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

// upsertOrderPIISQL writes a batch of orderPIIRow (one per order), merging
// each with the stored row as orderPIIMerge says. delete_after follows
// closed_at. A row the merge would not change is not written; the
// statement returns the orders it wrote.
var upsertOrderPIISQL = orderPIIUpsert()

func orderPIIUpsert() string {
	cols := rowColumns(reflect.TypeFor[orderPIIRow]())
	for c := range orderPIIMerge {
		if !slices.Contains(cols, c) {
			panic(fmt.Sprintf("store: order_pii merge of %s, which orderPIIRow does not carry", c))
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
// 2026-01-01 orders of one account in order_pii, on tx. Call it only when the
// operator opted in to storing PII.
//
// An order that carries any PII gets a row; a field it does not carry keeps
// the stored value (a dataset missing from this answer, say the BUYER role
// lost, does not erase what an earlier answer stored). An order shown
// SHIPPED, CANCELLED or UNFULFILLABLE closes its row: closed_at is the
// lastUpdatedTime of the earliest such answer and delete_after is closed_at
// plus retention. A closed order without PII in this answer still closes the
// row an earlier answer stored, and gets no row otherwise. Unchanged rows
// are not written. It returns how many rows it wrote.
//
// Copies of one order in the page are written oldest first (by
// lastUpdatedTime), as if they had come in separate answers.
func UpsertOrderPII(ctx context.Context, tx pgx.Tx, accountID string, orders []spapi.Order2026, retention time.Duration) (int, error) {
	interval, err := retentionInterval(retention)
	if err != nil {
		return 0, err
	}
	if len(orders) == 0 {
		return 0, nil
	}
	sorted := slices.Clone(orders)
	slices.SortStableFunc(sorted, func(a, b spapi.Order2026) int { return a.LastUpdatedTime.Compare(b.LastUpdatedTime) })
	var rows []orderPIIRow
	closed := map[string]time.Time{} // order → its earliest closed sighting in the page
	for i := range sorted {
		o := &sorted[i]
		if o.OrderId == "" {
			continue
		}
		r, err := newOrderPIIRow(o)
		if err != nil {
			return 0, fmt.Errorf("order %s: %w", o.OrderId, err)
		}
		if r.ClosedAt != nil {
			if c, ok := closed[o.OrderId]; !ok || r.ClosedAt.Before(c) {
				closed[o.OrderId] = *r.ClosedAt
			}
		}
		rows = append(rows, r)
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
	var rounds [][]orderPIIRow
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
		if err := writeOrderPIIRound(ctx, tx, accountID, round, interval, written); err != nil {
			return 0, err
		}
	}
	return len(written), nil
}

// writeOrderPIIRound writes rows (one per order) and notes the orders whose
// row it wrote in written.
func writeOrderPIIRound(ctx context.Context, tx pgx.Tx, accountID string, rows []orderPIIRow, interval pgtype.Interval, written map[string]bool) error {
	var pii []orderPIIRow
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
		res, err := tx.Query(ctx, upsertOrderPIISQL, pgx.NamedArgs{"rows": payload, "account_id": accountID, "retention": interval})
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
		ids, err := dbsqlc.New().CloseOrderPII(ctx, tx, dbsqlc.CloseOrderPIIParams{
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
