package spapi

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"time"
)

// Finances API 2024-06-19 (finances_2024-06-19.json): listTransactions, the money side of
// every order — sales, Amazon's fees, refunds, promotions, deferred cash and its release.
// It replaces Finances v0's listFinancialEvents.
//
// Rules of the model a caller must keep, because breaking them loses data silently:
//   - postedAfter is inclusive, postedBefore exclusive, both more than two minutes before
//     the request (TransactionsMinAge);
//   - a window over 180 days answers an empty list, not an error (TransactionsMaxWindow):
//     ListTransactions refuses such a window instead of sending it;
//   - "financial events might not include orders from the last 48 hours": a poll re-reads;
//   - MFN orders of the US store come back only when marketplaceId is not supplied;
//   - only ORDER_ID and FINANCIAL_EVENT_GROUP_ID filter (relatedIdentifierName); there is
//     no get by transaction id;
//   - a DEFERRED transaction becomes DEFERRED_RELEASED in place when released, keeping its
//     postedDate, or is released by a transaction of its own (DEFERRED_TRANSACTION_ID /
//     RELEASE_TRANSACTION_ID).
//
// No field of a transaction is PII (sellers, marketplaces, order ids, amounts, SKUs; no
// buyer, no address), so its raw JSON is stored as received; see pii.go.

// Operation limits of listTransactions, for callers that plan windows.
const (
	// TransactionsMinAge is how far before the request both postedAfter and postedBefore
	// must be ("more than two minutes before the time of the request").
	TransactionsMinAge = 2 * time.Minute
	// TransactionsMaxWindow is the widest postedAfter–postedBefore window that answers
	// anything: a wider one answers an empty list.
	TransactionsMaxWindow = 180 * 24 * time.Hour
)

// Transaction statuses (the model's transactionStatus; Amazon's example spells "Released",
// which the decoder rewrites to RELEASED).
const (
	TransactionStatusDeferred         = "DEFERRED"
	TransactionStatusReleased         = "RELEASED"
	TransactionStatusDeferredReleased = "DEFERRED_RELEASED"
)

// Related identifier names (the model's RelatedIdentifier.relatedIdentifierName). Only
// RelatedOrderID and RelatedFinancialEventGroupID filter listTransactions.
const (
	RelatedOrderID               = "ORDER_ID"
	RelatedShipmentID            = "SHIPMENT_ID"
	RelatedFinancialEventGroupID = "FINANCIAL_EVENT_GROUP_ID"
	RelatedRefundID              = "REFUND_ID"
	RelatedInvoiceID             = "INVOICE_ID"
	RelatedDisbursementID        = "DISBURSEMENT_ID"
	RelatedTransferID            = "TRANSFER_ID"
	RelatedDeferredTransactionID = "DEFERRED_TRANSACTION_ID"
	RelatedReleaseTransactionID  = "RELEASE_TRANSACTION_ID"
	RelatedSettlementID          = "SETTLEMENT_ID"
)

// Context types (the model's Context.contextType: the name of the definition whose fields
// the context carries).
const (
	ContextProduct   = "ProductContext"
	ContextAmazonPay = "AmazonPayContext"
	ContextPayments  = "PaymentsContext"
	ContextDeferred  = "DeferredContext"
	ContextBusiness  = "BusinessContext"
	ContextTimeRange = "TimeRangeContext"
)

// Transaction is one financial transaction (the model's Transaction). Amounts are the
// model's Currency {currencyCode, currencyAmount}, read into Money. The model marks every
// field optional; spsync stores a transaction under transactionId, so one without it is
// quarantined (Amazon's own sandbox answer has none).
type Transaction struct {
	SellingPartnerMetadata *SellingPartnerMetadata `json:"sellingPartnerMetadata,omitempty"`
	RelatedIdentifiers     []RelatedIdentifier     `json:"relatedIdentifiers,omitempty"`
	TransactionType        string                  `json:"transactionType,omitempty"`
	TransactionId          string                  `json:"transactionId"`
	TransactionStatus      string                  `json:"transactionStatus,omitempty" enum:"transactionStatus"`
	Description            string                  `json:"description,omitempty"`
	PostedDate             *time.Time              `json:"postedDate,omitempty"`
	TotalAmount            *Money                  `json:"totalAmount,omitempty"`
	MarketplaceDetails     *MarketplaceDetails     `json:"marketplaceDetails,omitempty"`
	Items                  []TransactionItem       `json:"items,omitempty"`
	Contexts               []TransactionContext    `json:"contexts,omitempty"`
	// Breakdowns is how TotalAmount is made up, as a tree. The model's Transaction example
	// wraps the list in an object ({"breakdowns":{"breakdowns":[…]}}); both are read.
	Breakdowns []Breakdown `json:"breakdowns,omitempty" wrapped:"breakdowns"`
	// Raw is the transaction exactly as Amazon sent it, for the raw jsonb column.
	Raw json.RawMessage `json:"-"`
	// Warnings are the fields that did not decode cleanly (see DecodeWarning).
	Warnings []DecodeWarning `json:"-"`
}

// UnmarshalJSON decodes the transaction tolerantly (see decode.go) and keeps its raw JSON.
func (t *Transaction) UnmarshalJSON(b []byte) error { return decodeRecord(b, t) }

// missing: the model marks transactionId optional, but a transaction can only be stored
// (and told from its release) under it, and there is no other key: listTransactions has no
// get by id and the other identifiers are shared by several transactions of an order.
func (t *Transaction) missing() (string, []string) {
	if t.TransactionId == "" {
		return "", []string{"transactionId"}
	}
	return t.TransactionId, nil
}

// RecordID returns transactionId.
func (t Transaction) RecordID() string { return t.TransactionId }

// DecodeWarnings returns Warnings.
func (t Transaction) DecodeWarnings() []DecodeWarning { return t.Warnings }

// RelatedIdentifier returns the value of the transaction's first related identifier named
// name (RelatedOrderID, …), "" when it has none.
func (t Transaction) RelatedIdentifier(name string) string {
	for _, r := range t.RelatedIdentifiers {
		if r.RelatedIdentifierName == name {
			return r.RelatedIdentifierValue
		}
	}
	return ""
}

// OrderID returns the ORDER_ID related identifier, "" when the transaction names no order.
func (t Transaction) OrderID() string { return t.RelatedIdentifier(RelatedOrderID) }

// Context returns the transaction's first context of contextType typ (ContextDeferred, …),
// nil when it has none.
func (t Transaction) Context(typ string) *TransactionContext { return findContext(t.Contexts, typ) }

// MaturityDate returns the DeferredContext's maturityDate, when Amazon releases a deferred
// transaction; nil without one.
func (t Transaction) MaturityDate() *time.Time {
	if c := t.Context(ContextDeferred); c != nil {
		return c.MaturityDate
	}
	return nil
}

// MarketplaceID returns the transaction's marketplace: sellingPartnerMetadata's, else
// marketplaceDetails'.
func (t Transaction) MarketplaceID() string {
	if t.SellingPartnerMetadata != nil && t.SellingPartnerMetadata.MarketplaceId != "" {
		return t.SellingPartnerMetadata.MarketplaceId
	}
	if t.MarketplaceDetails != nil {
		return t.MarketplaceDetails.MarketplaceId
	}
	return ""
}

// SellingPartnerMetadata describes the seller of a transaction.
type SellingPartnerMetadata struct {
	SellingPartnerId string `json:"sellingPartnerId,omitempty"`
	AccountType      string `json:"accountType,omitempty"`
	MarketplaceId    string `json:"marketplaceId,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *SellingPartnerMetadata) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// RelatedIdentifier is a business identifier of a transaction (an order, a shipment, a
// settlement, the deferred transaction a release releases, …).
type RelatedIdentifier struct {
	RelatedIdentifierName  string `json:"relatedIdentifierName,omitempty" enum:"relatedIdentifierName"`
	RelatedIdentifierValue string `json:"relatedIdentifierValue,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *RelatedIdentifier) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// MarketplaceDetails is the marketplace where a transaction occurred.
type MarketplaceDetails struct {
	MarketplaceId   string `json:"marketplaceId,omitempty"`
	MarketplaceName string `json:"marketplaceName,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *MarketplaceDetails) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// TransactionItem is one item of a transaction (the model's Item). Items have no key of
// their own: they are stored by position.
type TransactionItem struct {
	Description        string                  `json:"description,omitempty"`
	RelatedIdentifiers []ItemRelatedIdentifier `json:"relatedIdentifiers,omitempty"`
	TotalAmount        *Money                  `json:"totalAmount,omitempty"`
	Breakdowns         []Breakdown             `json:"breakdowns,omitempty" wrapped:"breakdowns"`
	Contexts           []TransactionContext    `json:"contexts,omitempty"`
	// Raw is the item exactly as Amazon sent it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the item tolerantly and keeps its raw JSON.
func (x *TransactionItem) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// RelatedIdentifier returns the value of the item's first related identifier named name
// (ORDER_ADJUSTMENT_ITEM_ID, COUPON_ID, REMOVAL_SHIPMENT_ITEM_ID, TRANSACTION_ID), "" when
// it has none.
func (x TransactionItem) RelatedIdentifier(name string) string {
	for _, r := range x.RelatedIdentifiers {
		if r.ItemRelatedIdentifierName == name {
			return r.ItemRelatedIdentifierValue
		}
	}
	return ""
}

// Context returns the item's first context of contextType typ (ContextProduct, …), nil
// when it has none.
func (x TransactionItem) Context(typ string) *TransactionContext { return findContext(x.Contexts, typ) }

// ItemRelatedIdentifier is a business identifier of a transaction's item.
type ItemRelatedIdentifier struct {
	ItemRelatedIdentifierName  string `json:"itemRelatedIdentifierName,omitempty" enum:"itemRelatedIdentifierName"`
	ItemRelatedIdentifierValue string `json:"itemRelatedIdentifierValue,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *ItemRelatedIdentifier) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// Breakdown is one part of an amount (a charge, a fee, a tax, a promotion), itself broken
// down further: e.g. Expenses > AmazonFees > Commission. See FlattenBreakdowns for the
// rows spsync stores.
type Breakdown struct {
	BreakdownType   string      `json:"breakdownType,omitempty"`
	BreakdownAmount *Money      `json:"breakdownAmount,omitempty"`
	Breakdowns      []Breakdown `json:"breakdowns,omitempty" wrapped:"breakdowns"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *Breakdown) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// TransactionContext is the model's Context: a contextType naming one of ProductContext,
// AmazonPayContext, PaymentsContext, DeferredContext, BusinessContext and TimeRangeContext,
// whose fields sit beside it (the model's allOf). Every definition's fields are here; those
// of other types stay empty. StoreName is AmazonPayContext's and BusinessContext's.
type TransactionContext struct {
	ContextType string `json:"contextType,omitempty"`
	// AmazonPayContext and BusinessContext.
	StoreName string `json:"storeName,omitempty"`
	OrderType string `json:"orderType,omitempty"`
	Channel   string `json:"channel,omitempty"`
	// ProductContext.
	ASIN               string `json:"asin,omitempty"`
	SKU                string `json:"sku,omitempty"`
	QuantityShipped    *int   `json:"quantityShipped,omitempty"`
	FulfillmentNetwork string `json:"fulfillmentNetwork,omitempty"`
	// PaymentsContext.
	PaymentType      string     `json:"paymentType,omitempty"`
	PaymentMethod    string     `json:"paymentMethod,omitempty"`
	PaymentReference string     `json:"paymentReference,omitempty"`
	PaymentDate      *time.Time `json:"paymentDate,omitempty"`
	// DeferredContext.
	DeferralReason string     `json:"deferralReason,omitempty"`
	MaturityDate   *time.Time `json:"maturityDate,omitempty"`
	// TimeRangeContext.
	StartTime *time.Time `json:"startTime,omitempty"`
	EndTime   *time.Time `json:"endTime,omitempty"`
	// Raw is the context exactly as Amazon sent it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *TransactionContext) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

func findContext(cs []TransactionContext, typ string) *TransactionContext {
	for i := range cs {
		if enumKey(cs[i].ContextType) == enumKey(typ) {
			return &cs[i]
		}
	}
	return nil
}

// FlatBreakdown is one node of a breakdown tree with the path that leads to it, the shape
// of spsync's financial_transaction_breakdowns rows.
type FlatBreakdown struct {
	// Path is the breakdownType of every node from the root to this one, e.g.
	// {"Expenses","AmazonFees","Commission"}. A node whose type a sibling before it already
	// has (or that has none) gets "#n" appended, n its 1-based position among the siblings
	// of that type ("Tax", "Tax#2"): the path keys the row, and Amazon's tree does not say
	// that siblings differ in type.
	Path []string
	// Depth is len(Path)-1: 0 for a root.
	Depth int
	// Type is the node's own breakdownType, as sent (no suffix).
	Type string
	// Amount is breakdownAmount, nil when absent.
	Amount *Money
}

// FlattenBreakdowns lists every node of the trees, depth first, parents before their
// children.
func FlattenBreakdowns(bs []Breakdown) []FlatBreakdown {
	var out []FlatBreakdown
	var walk func(parent []string, bs []Breakdown)
	walk = func(parent []string, bs []Breakdown) {
		seen := map[string]int{}
		for _, b := range bs {
			seen[b.BreakdownType]++
			elem := b.BreakdownType
			if n := seen[b.BreakdownType]; n > 1 || elem == "" {
				elem += "#" + strconv.Itoa(n)
			}
			path := append(append(make([]string, 0, len(parent)+1), parent...), elem)
			out = append(out, FlatBreakdown{Path: path, Depth: len(path) - 1, Type: b.BreakdownType, Amount: b.BreakdownAmount})
			walk(path, b.Breakdowns)
		}
	}
	walk(nil, bs)
	return out
}

// ListTransactionsParams is the query of listTransactions. PostedAfter is required unless a
// related identifier is given; RelatedIdentifierName is ORDER_ID or
// FINANCIAL_EVENT_GROUP_ID, the only ones that filter. Leave MarketplaceID empty to get
// the US store's MFN orders too. Amazon wants every argument again with NextToken, so all
// are sent on every page.
//
// Times go out in whole seconds (RFC 3339, UTC). Contiguous windows [a, b), [b, c) stay
// contiguous, both bounds truncating alike; a window's exclusive end moves earlier by the
// fraction, which the next window's start covers.
type ListTransactionsParams struct {
	PostedAfter            *time.Time
	PostedBefore           *time.Time
	MarketplaceID          string
	TransactionStatus      string
	RelatedIdentifierName  string
	RelatedIdentifierValue string
	NextToken              string
}

func (p ListTransactionsParams) query() (url.Values, error) {
	related := p.RelatedIdentifierName != "" || p.RelatedIdentifierValue != ""
	if related {
		if p.RelatedIdentifierName == "" || p.RelatedIdentifierValue == "" {
			return nil, invalidInput(OpListTransactions, "relatedIdentifierName and relatedIdentifierValue go together")
		}
		if p.RelatedIdentifierName != RelatedOrderID && p.RelatedIdentifierName != RelatedFinancialEventGroupID {
			return nil, invalidInput(OpListTransactions, "relatedIdentifierName must be %s or %s (the only ones that filter), got %q",
				RelatedOrderID, RelatedFinancialEventGroupID, p.RelatedIdentifierName)
		}
	}
	if p.PostedAfter == nil && !related {
		return nil, invalidInput(OpListTransactions, "postedAfter is required without a related identifier")
	}
	if p.PostedAfter != nil && p.PostedBefore != nil {
		if !p.PostedBefore.After(*p.PostedAfter) {
			return nil, invalidInput(OpListTransactions, "postedBefore must be after postedAfter")
		}
		if p.PostedBefore.Sub(*p.PostedAfter) > TransactionsMaxWindow {
			// Amazon answers such a window with an empty list, which a sync would take
			// for "nothing posted".
			return nil, invalidInput(OpListTransactions, "a postedAfter–postedBefore window over 180 days answers an empty list; got %s",
				p.PostedBefore.Sub(*p.PostedAfter))
		}
	}
	q := url.Values{}
	if p.PostedAfter != nil {
		setTime(q, "postedAfter", *p.PostedAfter)
	}
	if p.PostedBefore != nil {
		setTime(q, "postedBefore", *p.PostedBefore)
	}
	setString(q, "marketplaceId", p.MarketplaceID)
	setString(q, "transactionStatus", p.TransactionStatus)
	setString(q, "relatedIdentifierName", p.RelatedIdentifierName)
	setString(q, "relatedIdentifierValue", p.RelatedIdentifierValue)
	setString(q, "nextToken", p.NextToken)
	return q, nil
}

// ListTransactionsResult is one listTransactions page. A page may be empty and still have
// a NextToken.
type ListTransactionsResult struct {
	NextToken    string        `json:"nextToken,omitempty"`
	Transactions []Transaction `json:"transactions" spapi:"records"`
	// Quarantined are the page's transactions without a transactionId, left out of
	// Transactions.
	Quarantined []Quarantined   `json:"-"`
	Warnings    []DecodeWarning `json:"-"`
	Meta        ResponseMeta    `json:"-"`
}

// ListTransactions fetches one page of transactions. Use ListTransactionsPager to walk
// every page.
func (c *Client) ListTransactions(ctx context.Context, p ListTransactionsParams) (*ListTransactionsResult, error) {
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	var res ListTransactionsResult
	meta, err := c.get(ctx, OpListTransactions, "/finances/2024-06-19/transactions", q, &res)
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	return &res, nil
}

// ListTransactionsPager returns a pager over every page of p, starting at p.NextToken when
// it is set.
func (c *Client) ListTransactionsPager(p ListTransactionsParams) *Pager[*ListTransactionsResult] {
	return newPager(OpListTransactions, p.NextToken, func(ctx context.Context, token string) (*ListTransactionsResult, string, error) {
		r := p
		r.NextToken = token
		res, err := c.ListTransactions(ctx, r)
		if err != nil {
			return nil, "", err
		}
		return res, res.NextToken, nil
	})
}
