package finances

import (
	"encoding/json"
	"fmt"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// The mapping of Amazon's transactions (Finances 2024-06-19) to the store's
// rows lives with the stream, so that the store only writes rows:
// MapTransactions for store.UpsertFinancialTransactions. Fields Amazon left
// out stay NULL; the related identifiers and contexts are kept as sent
// (jsonb) beside the typed columns picked from them. The API carries no
// PII, so every raw payload is stored as received.

// itemOrderAdjustmentID is the item related identifier of refunds,
// guarantee claims and chargebacks.
const itemOrderAdjustmentID = "ORDER_ADJUSTMENT_ITEM_ID"

// MapTransactions maps a page of transactions to their rows, in page order.
func MapTransactions(recs []spapi.Transaction) ([]store.FinancialTransactionRows, error) {
	out := make([]store.FinancialTransactionRows, 0, len(recs))
	for i := range recs {
		r, err := mapTransaction(&recs[i])
		if err != nil {
			return nil, fmt.Errorf("transaction %s: %w", recs[i].TransactionId, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// asSent are the members of a payload kept as jsonb beside their typed
// columns, exactly as Amazon sent them.
type asSent struct {
	RelatedIdentifiers json.RawMessage `json:"relatedIdentifiers"`
	Contexts           json.RawMessage `json:"contexts"`
}

// membersAsSent reads raw's related identifiers and contexts; without raw
// (a transaction built in code) they are v's encoded.
func membersAsSent(raw json.RawMessage, ids, contexts any) (asSent, error) {
	var m asSent
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return m, fmt.Errorf("read raw payload: %w", err)
		}
		return m, nil
	}
	var err error
	if m.RelatedIdentifiers, err = json.Marshal(ids); err != nil {
		return m, fmt.Errorf("encode related identifiers: %w", err)
	}
	if m.Contexts, err = json.Marshal(contexts); err != nil {
		return m, fmt.Errorf("encode contexts: %w", err)
	}
	return m, nil
}

func mapTransaction(t *spapi.Transaction) (store.FinancialTransactionRows, error) {
	var out store.FinancialTransactionRows
	raw, err := store.RawPayload(t.Raw, t)
	if err != nil {
		return out, err
	}
	sent, err := membersAsSent(t.Raw, t.RelatedIdentifiers, t.Contexts)
	if err != nil {
		return out, err
	}
	row := store.FinancialTransactionRow{
		TransactionID:         t.TransactionId,
		TransactionType:       store.NullIfEmpty(t.TransactionType),
		TransactionStatus:     store.NullIfEmpty(t.TransactionStatus),
		Description:           store.NullIfEmpty(t.Description),
		PostedDate:            t.PostedDate,
		MarketplaceID:         store.NullIfEmpty(t.MarketplaceID()),
		OrderID:               store.NullIfEmpty(t.OrderID()),
		ShipmentID:            store.NullIfEmpty(t.RelatedIdentifier(spapi.RelatedShipmentID)),
		FinancialEventGroupID: store.NullIfEmpty(t.RelatedIdentifier(spapi.RelatedFinancialEventGroupID)),
		SettlementID:          store.NullIfEmpty(t.RelatedIdentifier(spapi.RelatedSettlementID)),
		DeferredTransactionID: store.NullIfEmpty(t.RelatedIdentifier(spapi.RelatedDeferredTransactionID)),
		ReleaseTransactionID:  store.NullIfEmpty(t.RelatedIdentifier(spapi.RelatedReleaseTransactionID)),
		RelatedIdentifiers:    jsonOrNil(sent.RelatedIdentifiers),
		Raw:                   raw,
	}
	row.TotalAmount, row.TotalCurrency = store.MoneyColumns(t.TotalAmount)
	if m := t.SellingPartnerMetadata; m != nil {
		row.SellingPartnerID, row.AccountType = store.NullIfEmpty(m.SellingPartnerId), store.NullIfEmpty(m.AccountType)
	}
	if c := t.Context(spapi.ContextDeferred); c != nil {
		row.DeferralReason, row.DeferredMaturityDate = store.NullIfEmpty(c.DeferralReason), c.MaturityDate
	}
	out.Transaction = row
	out.Breakdowns = breakdownRows(t.TransactionId, store.BreakdownOfTransaction, t.Breakdowns)
	for i := range t.Items {
		it := &t.Items[i]
		r, err := mapItem(t.TransactionId, i, it)
		if err != nil {
			return out, fmt.Errorf("item %d: %w", i, err)
		}
		out.Items = append(out.Items, r)
		out.Breakdowns = append(out.Breakdowns, breakdownRows(t.TransactionId, i, it.Breakdowns)...)
	}
	return out, nil
}

// mapItem maps the item at index i (its position in items, from 0).
func mapItem(transactionID string, i int, it *spapi.TransactionItem) (store.FinancialTransactionItemRow, error) {
	raw, err := store.RawPayload(it.Raw, it)
	if err != nil {
		return store.FinancialTransactionItemRow{}, err
	}
	sent, err := membersAsSent(it.Raw, it.RelatedIdentifiers, it.Contexts)
	if err != nil {
		return store.FinancialTransactionItemRow{}, err
	}
	r := store.FinancialTransactionItemRow{
		TransactionID:         transactionID,
		ItemIndex:             i,
		Description:           store.NullIfEmpty(it.Description),
		OrderAdjustmentItemID: store.NullIfEmpty(it.RelatedIdentifier(itemOrderAdjustmentID)),
		RelatedIdentifiers:    jsonOrNil(sent.RelatedIdentifiers),
		Contexts:              jsonOrNil(sent.Contexts),
		Raw:                   raw,
	}
	r.TotalAmount, r.TotalCurrency = store.MoneyColumns(it.TotalAmount)
	if c := it.Context(spapi.ContextProduct); c != nil {
		r.SKU, r.ASIN, r.QuantityShipped, r.FulfillmentNetwork = store.NullIfEmpty(c.SKU), store.NullIfEmpty(c.ASIN), c.QuantityShipped, store.NullIfEmpty(c.FulfillmentNetwork)
	}
	return r, nil
}

// breakdownRows flattens a breakdown tree (spapi.FlattenBreakdowns: every
// node with its path of types, a repeated sibling type suffixed #n) into
// rows of item itemIndex (store.BreakdownOfTransaction for the
// transaction's own).
func breakdownRows(transactionID string, itemIndex int, bs []spapi.Breakdown) []store.FinancialTransactionBreakdownRow {
	flat := spapi.FlattenBreakdowns(bs)
	out := make([]store.FinancialTransactionBreakdownRow, 0, len(flat))
	for _, b := range flat {
		r := store.FinancialTransactionBreakdownRow{
			TransactionID: transactionID, ItemIndex: itemIndex, Path: b.Path, Depth: b.Depth, BreakdownType: store.NullIfEmpty(b.Type),
		}
		r.Amount, r.Currency = store.MoneyColumns(b.Amount)
		out = append(out, r)
	}
	return out
}

// jsonOrNil maps an absent or JSON-null value to nil (SQL NULL).
func jsonOrNil(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return b
}
