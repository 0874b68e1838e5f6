package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// Financial transactions (Finances 2024-06-19 listTransactions) are stored
// like service jobs (service_jobs.go): one jsonb array per table per page,
// unpacked in Postgres, a transaction whose raw payload is unchanged left
// untouched. A transaction's payload carries all of its items and
// breakdowns, which have no identifiers of their own, so they are replaced
// wholesale when, and only when, the transaction's content changed: a
// trailing re-read of an unchanged page writes nothing at all. The rows come
// mapped from spapi.Transaction by the financial_transactions stream
// (internal/jobs/finances); the API carries no PII, so raw is stored as
// received.

// BreakdownOfTransaction is FinancialTransactionBreakdownRow.ItemIndex for a
// node of the transaction's own breakdowns (not an item's).
const BreakdownOfTransaction = -1

// FinancialTransactionRow is one financial_transactions row as
// UpsertFinancialTransactions reads it. JSON names are the column names;
// nil is NULL (NullIfEmpty, MoneyColumns).
type FinancialTransactionRow struct {
	TransactionID         string          `json:"transaction_id"`
	TransactionType       *string         `json:"transaction_type"`
	TransactionStatus     *string         `json:"transaction_status"`
	Description           *string         `json:"description"`
	PostedDate            *time.Time      `json:"posted_date"`
	TotalAmount           *ScaledDecimal  `json:"total_amount"`
	TotalCurrency         *string         `json:"total_currency"`
	MarketplaceID         *string         `json:"marketplace_id"`
	SellingPartnerID      *string         `json:"selling_partner_id"`
	AccountType           *string         `json:"account_type"`
	OrderID               *string         `json:"order_id"`
	ShipmentID            *string         `json:"shipment_id"`
	FinancialEventGroupID *string         `json:"financial_event_group_id"`
	SettlementID          *string         `json:"settlement_id"`
	DeferredTransactionID *string         `json:"deferred_transaction_id"`
	ReleaseTransactionID  *string         `json:"release_transaction_id"`
	RelatedIdentifiers    json.RawMessage `json:"related_identifiers"`
	DeferralReason        *string         `json:"deferral_reason"`
	DeferredMaturityDate  *time.Time      `json:"deferred_maturity_date"`
	Raw                   json.RawMessage `json:"raw"`
}

// FinancialTransactionItemRow is one financial_transaction_items row.
type FinancialTransactionItemRow struct {
	TransactionID         string          `json:"transaction_id"`
	ItemIndex             int             `json:"item_index"`
	Description           *string         `json:"description"`
	TotalAmount           *ScaledDecimal  `json:"total_amount"`
	TotalCurrency         *string         `json:"total_currency"`
	OrderAdjustmentItemID *string         `json:"order_adjustment_item_id"`
	RelatedIdentifiers    json.RawMessage `json:"related_identifiers"`
	SKU                   *string         `json:"sku"`
	ASIN                  *string         `json:"asin"`
	QuantityShipped       *int            `json:"quantity_shipped"`
	FulfillmentNetwork    *string         `json:"fulfillment_network"`
	Contexts              json.RawMessage `json:"contexts"`
	Raw                   json.RawMessage `json:"raw"`
}

// FinancialTransactionBreakdownRow is one financial_transaction_breakdowns
// row: a node of a breakdown tree (spapi.FlattenBreakdowns gives Path,
// Depth, Type and Amount).
type FinancialTransactionBreakdownRow struct {
	TransactionID string `json:"transaction_id"`
	// ItemIndex is the item's position, BreakdownOfTransaction (-1) for
	// the transaction's own breakdowns.
	ItemIndex     int            `json:"item_index"`
	Path          []string       `json:"path"`
	Depth         int            `json:"depth"`
	BreakdownType *string        `json:"breakdown_type"`
	Amount        *ScaledDecimal `json:"amount"`
	Currency      *string        `json:"currency"`
}

// FinancialTransactionRows is a transaction mapped to its rows in the
// three tables. Items and Breakdowns must name Transaction's id.
type FinancialTransactionRows struct {
	Transaction FinancialTransactionRow
	Items       []FinancialTransactionItemRow
	Breakdowns  []FinancialTransactionBreakdownRow
}

// FinancialTransactionChange is a transaction UpsertFinancialTransactions
// wrote: new, or with a changed payload.
type FinancialTransactionChange struct {
	TransactionID string
	// TransactionStatus is the status written, "" when Amazon sent none.
	TransactionStatus string
	// PreviousTransactionStatus is the stored status before the write,
	// nil for a new transaction or one stored without a status.
	PreviousTransactionStatus *string
	// New is true when the transaction was not stored before.
	New bool
	// SyncVersion is the row's new sync_version (its items' and
	// breakdowns' too).
	SyncVersion int64
}

// FinancialTransactionsResult counts what UpsertFinancialTransactions did.
type FinancialTransactionsResult struct {
	// Changes are the transactions written, new or changed, in batch order.
	Changes                              []FinancialTransactionChange
	ItemsWritten, ItemsDeleted           int64
	BreakdownsWritten, BreakdownsDeleted int64
}

// UpsertFinancialTransactions writes financial transactions of one account
// with their items and breakdowns, on db (a transaction, so the caller's
// cursor commits with the rows). A transaction whose raw payload is
// unchanged is not touched, nor are its children, and its sync_version does
// not move; a changed one (a status change, a release identifier added) gets
// a new sync_version and its items and breakdowns are replaced by the
// batch's. When the batch repeats a transaction, its last copy wins.
func UpsertFinancialTransactions(ctx context.Context, db DBTX, accountID string, txs []FinancialTransactionRows) (FinancialTransactionsResult, error) {
	var res FinancialTransactionsResult
	if len(txs) == 0 {
		return res, nil
	}
	mapped := dedupe(slices.Clone(txs), func(r *FinancialTransactionRows) string { return r.Transaction.TransactionID }, nil)
	index := make(map[string]int, len(mapped))
	rows := make([]FinancialTransactionRow, len(mapped))
	for i, m := range mapped {
		index[m.Transaction.TransactionID] = i
		rows[i] = m.Transaction
	}

	q := dbsqlc.New()
	payload, err := json.Marshal(rows)
	if err != nil {
		return res, fmt.Errorf("encode %d financial transactions: %w", len(rows), err)
	}
	written, err := q.UpsertFinancialTransactions(ctx, db, dbsqlc.UpsertFinancialTransactionsParams{Rows: payload, AccountID: accountID})
	if err != nil {
		return res, fmt.Errorf("upsert %d financial transactions of account %s: %w", len(rows), accountID, err)
	}
	if len(written) == 0 {
		return res, nil
	}

	ids := make([]string, len(written))
	items := []FinancialTransactionItemRow{}
	breakdowns := []FinancialTransactionBreakdownRow{}
	res.Changes = make([]FinancialTransactionChange, len(written))
	for i, w := range written {
		ids[i] = w.TransactionID
		m := mapped[index[w.TransactionID]]
		items = append(items, m.Items...)
		breakdowns = append(breakdowns, m.Breakdowns...)
		status := ""
		if w.TransactionStatus != nil {
			status = *w.TransactionStatus
		}
		res.Changes[i] = FinancialTransactionChange{
			TransactionID: w.TransactionID, TransactionStatus: status,
			PreviousTransactionStatus: w.PreviousTransactionStatus, New: !w.Existed, SyncVersion: w.SyncVersion,
		}
	}
	slices.SortFunc(res.Changes, func(a, b FinancialTransactionChange) int { return index[a.TransactionID] - index[b.TransactionID] })
	items = dedupe(items, func(r *FinancialTransactionItemRow) [2]any { return [2]any{r.TransactionID, r.ItemIndex} }, nil)
	breakdowns = dedupe(breakdowns, func(r *FinancialTransactionBreakdownRow) string {
		b, _ := json.Marshal([]any{r.TransactionID, r.ItemIndex, r.Path})
		return string(b)
	}, nil)

	if payload, err = json.Marshal(items); err != nil {
		return res, fmt.Errorf("encode %d financial transaction items: %w", len(items), err)
	}
	ir, err := q.ReplaceFinancialTransactionItems(ctx, db, dbsqlc.ReplaceFinancialTransactionItemsParams{Rows: payload, AccountID: accountID, TransactionIds: ids})
	if err != nil {
		return res, fmt.Errorf("replace items of %d financial transactions of account %s: %w", len(ids), accountID, err)
	}
	if payload, err = json.Marshal(breakdowns); err != nil {
		return res, fmt.Errorf("encode %d financial transaction breakdowns: %w", len(breakdowns), err)
	}
	br, err := q.ReplaceFinancialTransactionBreakdowns(ctx, db, dbsqlc.ReplaceFinancialTransactionBreakdownsParams{Rows: payload, AccountID: accountID, TransactionIds: ids})
	if err != nil {
		return res, fmt.Errorf("replace breakdowns of %d financial transactions of account %s: %w", len(ids), accountID, err)
	}
	res.ItemsWritten, res.ItemsDeleted = ir.Written, ir.Deleted
	res.BreakdownsWritten, res.BreakdownsDeleted = br.Written, br.Deleted
	return res, nil
}

// UnreleasedDeferredTransaction is a stored DEFERRED transaction that no
// release transaction names yet.
type UnreleasedDeferredTransaction struct {
	TransactionID string
	// OrderID is "" for a transaction of no order (re-read it by posted
	// date).
	OrderID              string
	PostedDate           *time.Time
	DeferredMaturityDate *time.Time
	// SyncedAt is when the row last changed.
	SyncedAt time.Time
}

// ListUnreleasedDeferredTransactions returns up to limit of the account's
// DEFERRED transactions without a release_transaction_id whose maturity
// date (their posted date when they have none) is after maturedAfter and at
// or before maturedBy, the longest matured first: the transactions a poll without push re-reads until Amazon
// releases them (in place, DEFERRED_RELEASED, or by a release transaction
// that the deferred one then names).
func ListUnreleasedDeferredTransactions(ctx context.Context, db DBTX, accountID string, maturedAfter, maturedBy time.Time, limit int) ([]UnreleasedDeferredTransaction, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := dbsqlc.New().ListUnreleasedDeferredTransactions(ctx, db, dbsqlc.ListUnreleasedDeferredTransactionsParams{
		AccountID: accountID, MaturedAfter: maturedAfter, MaturedBy: maturedBy, MaxRows: int32(min(limit, math.MaxInt32)),
	})
	if err != nil {
		return nil, fmt.Errorf("list unreleased deferred transactions of account %s: %w", accountID, err)
	}
	out := make([]UnreleasedDeferredTransaction, len(rows))
	for i, r := range rows {
		out[i] = UnreleasedDeferredTransaction{TransactionID: r.TransactionID, PostedDate: r.PostedDate, DeferredMaturityDate: r.DeferredMaturityDate, SyncedAt: r.SyncedAt}
		if r.OrderID != nil {
			out[i].OrderID = *r.OrderID
		}
	}
	return out, nil
}
