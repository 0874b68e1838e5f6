package sim

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Finances 2024-06-19 (../shared/amazon-models/finances_2024-06-19.json):
// the money side of the same orders getOrders serves. Every shipping event
// of an order (PartiallyShipped, Shipped) posts a sale transaction for what
// it shipped (and, for some merchant-fulfilled ones, a fee transaction for
// the shipping label bought from Amazon), some shipped orders are returned
// and refunded, and some sales are deferred and released later, either by a status change or by a
// release transaction of their own. Transactions are derived from the
// order timelines and per-order random streams of their own, so adding them
// changed no order, and are rendered on demand at any data-clock instant.

// Transaction is a Finances 2024-06-19 transaction exactly as
// listTransactions encodes it (the model's clean shape).
type Transaction struct {
	SellingPartnerMetadata *SellingPartnerMetadata `json:"sellingPartnerMetadata,omitempty"`
	RelatedIdentifiers     []RelatedIdentifier     `json:"relatedIdentifiers,omitempty"`
	TransactionType        string                  `json:"transactionType,omitempty"`
	TransactionID          string                  `json:"transactionId,omitempty"`
	TransactionStatus      string                  `json:"transactionStatus,omitempty"`
	Description            string                  `json:"description,omitempty"`
	PostedDate             time.Time               `json:"postedDate"`
	TotalAmount            Currency                `json:"totalAmount"`
	MarketplaceDetails     *MarketplaceDetails     `json:"marketplaceDetails,omitempty"`
	Items                  []TransactionItem       `json:"items,omitempty"`
	Contexts               []TransactionContext    `json:"contexts,omitempty"`
	Breakdowns             []Breakdown             `json:"breakdowns,omitempty"`
}

// Currency is the model's Currency: an ISO 4217 code and a BigDecimal
// amount, a JSON number ("12.3", "-4", "1980": no trailing zeros, as
// Amazon's examples and recorded answers write them).
type Currency struct {
	CurrencyCode   string      `json:"currencyCode"`
	CurrencyAmount json.Number `json:"currencyAmount"`
}

// SellingPartnerMetadata says whose transaction it is.
type SellingPartnerMetadata struct {
	SellingPartnerID string `json:"sellingPartnerId"`
	AccountType      string `json:"accountType"`
	MarketplaceID    string `json:"marketplaceId"`
}

// RelatedIdentifier is one business identifier of a transaction
// (ORDER_ID, SHIPMENT_ID, FINANCIAL_EVENT_GROUP_ID, ...).
type RelatedIdentifier struct {
	RelatedIdentifierName  string `json:"relatedIdentifierName"`
	RelatedIdentifierValue string `json:"relatedIdentifierValue"`
}

// MarketplaceDetails names the marketplace of a transaction.
type MarketplaceDetails struct {
	MarketplaceID   string `json:"marketplaceId"`
	MarketplaceName string `json:"marketplaceName"`
}

// TransactionItem is one item of a transaction.
type TransactionItem struct {
	Description        string                  `json:"description,omitempty"`
	RelatedIdentifiers []ItemRelatedIdentifier `json:"relatedIdentifiers,omitempty"`
	TotalAmount        Currency                `json:"totalAmount"`
	Breakdowns         []Breakdown             `json:"breakdowns,omitempty"`
	Contexts           []TransactionContext    `json:"contexts,omitempty"`
}

// ItemRelatedIdentifier is one business identifier of an item.
type ItemRelatedIdentifier struct {
	ItemRelatedIdentifierName  string `json:"itemRelatedIdentifierName"`
	ItemRelatedIdentifierValue string `json:"itemRelatedIdentifierValue"`
}

// Breakdown is one node of the tree that explains an amount: a parent's
// amount is the sum of its children's.
type Breakdown struct {
	BreakdownType   string      `json:"breakdownType"`
	BreakdownAmount Currency    `json:"breakdownAmount"`
	Breakdowns      []Breakdown `json:"breakdowns,omitempty"`
}

// TransactionContext is the model's Context: contextType and the members
// of that context type (ProductContext on items, DeferredContext on
// deferred transactions are the ones the simulator sends).
type TransactionContext struct {
	ContextType        string     `json:"contextType"`
	ASIN               string     `json:"asin,omitempty"`
	SKU                string     `json:"sku,omitempty"`
	QuantityShipped    *int       `json:"quantityShipped,omitempty"`
	FulfillmentNetwork string     `json:"fulfillmentNetwork,omitempty"`
	DeferralReason     string     `json:"deferralReason,omitempty"`
	MaturityDate       *time.Time `json:"maturityDate,omitempty"`
}

// Transaction statuses (the model's transactionStatus values).
const (
	TransactionDeferred         = "DEFERRED"
	TransactionReleased         = "RELEASED"
	TransactionDeferredReleased = "DEFERRED_RELEASED"
)

// transactionStatuses are the values listTransactions' transactionStatus
// filter accepts.
var transactionStatuses = []string{TransactionDeferred, TransactionReleased, TransactionDeferredReleased}

// Kinds of simulated transactions (TransactionFacts.Kind).
const (
	TransactionKindSale    = "sale"
	TransactionKindRefund  = "refund"
	TransactionKindRelease = "release"
	// TransactionKindFee is a shipping label a merchant-fulfilled
	// shipment bought through Amazon, charged as its own transaction.
	TransactionKindFee = "fee"
)

// How a deferred transaction is released (TransactionFacts.ReleaseMode).
const (
	// ReleaseByStatus: the transaction's status turns DEFERRED_RELEASED at
	// its maturity date; its postedDate stays.
	ReleaseByStatus = "status"
	// ReleaseByTransaction: a release transaction posts at the maturity
	// date (DEFERRED_TRANSACTION_ID names the deferred one), and the
	// deferred transaction, still DEFERRED, gains RELEASE_TRANSACTION_ID.
	ReleaseByTransaction = "transaction"
)

// Default finance options (see Options).
const (
	defaultFinanceReturnRate     = 0.1
	defaultFinanceDeferredRate   = 0.15
	defaultFinanceDeferralPeriod = 7 * 24 * time.Hour
	defaultFinanceLateRate       = 0.3
	defaultFinanceEmptyPageRate  = 0.05
)

// rateOption is an Options rate: zero means def, a negative value none.
func rateOption(v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return min(v, 1)
}

// accountType is sellingPartnerMetadata.accountType for orders' money, as
// Amazon's recorded answers spell it (amzn/selling-partner-api-models#4220).
const accountType = "Standard Orders"

// shareShippingLabel is the share of merchant-fulfilled shipments whose
// label was bought through Amazon (Buy Shipping), which Amazon charges as a
// transaction of its own, apart from the sale.
const shareShippingLabel = 0.5

// settlementPeriod is how long a financial event group stays open: Amazon
// settles a seller's marketplace account every 14 days.
const settlementPeriod = 14 * 24 * 3600

// finTx is one transaction's fixed facts; everything else is rendered
// from its order on demand.
type finTx struct {
	id      string
	order   int32
	kind    uint8 // finSale, finRefund, finRelease, finFee
	event   uint8 // sale, release, fee: index of the order's shipping event
	posted  int64
	visible int64 // when listTransactions starts answering it
	// Deferred sales: maturity (postedDate + FinanceDeferralPeriod), how it
	// is released and when that shows on the API.
	maturity  int64
	release   uint8 // relNone, relStatus, relTransaction
	releaseAt int64
	partner   int32 // release ↔ deferred transaction; -1 for none
	refundSet uint32
	cents     int64 // fee: the label's cost in the currency's cents
}

const (
	finSale uint8 = iota
	finRefund
	finRelease
	finFee
)

const (
	relNone uint8 = iota
	relStatus
	relTransaction
)

// finEvent is a change of a transaction the API shows: it became visible,
// or it was released. One per transaction and second.
type finEvent struct {
	at int64
	tx int32
}

// financeSet is one account's transactions, sorted by (postedDate, id).
type financeSet struct {
	txs     []finTx
	byOrder map[int32][]int32
	events  []finEvent // sorted by (at, transaction id)
}

// finance returns the account's transactions, derived on first use.
func (d *accountData) finance() *financeSet {
	d.finOnce.Do(func() { d.fin = buildFinance(d) })
	return d.fin
}

// txID draws an identifier shaped like Amazon's transactionId and
// financial event group ids: 43 characters of unpadded base64url (32
// bytes), e.g. "hbRTHEQNx5op6g0EA0znvXFhb-W9ILSxE5f6hiG-bXc".
func txID(base uint64, labels ...string) string {
	var b [32]byte
	for k := 0; k < 4; k++ {
		binary.BigEndian.PutUint64(b[8*k:], hash64(int64(base), append(labels, fmt.Sprint(k))...))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// visibilityLag is how long after its postedDate a transaction shows on
// the API: "financial events might not include orders from the last 48
// hours". Most show within minutes, FinanceLateRate of them hours to two
// days later.
func visibilityLag(r *rand.Rand, late float64) int64 {
	if chance(r, late) {
		return between(r, time.Hour, 48*time.Hour)
	}
	return between(r, 0, 5*time.Minute)
}

func buildFinance(d *accountData) *financeSet {
	o := d.opts
	returnRate := rateOption(o.FinanceReturnRate, defaultFinanceReturnRate)
	deferredRate := rateOption(o.FinanceDeferredRate, defaultFinanceDeferredRate)
	lateRate := rateOption(o.FinanceLateRate, defaultFinanceLateRate)
	period := o.FinanceDeferralPeriod
	if period <= 0 {
		period = defaultFinanceDeferralPeriod
	}
	set := &financeSet{byOrder: map[int32][]int32{}}
	tl := d.orders.tl
	var txs []finTx
	for i := range tl.ids {
		times, kinds := tl.events(i)
		r := newRand(d.base, "finance", i)
		id := tl.ids[i]
		var shippedAt int64
		for k, kind := range kinds {
			if kind != evPartiallyShipped && kind != evShipped {
				continue
			}
			if kind == evShipped {
				shippedAt = times[k]
			}
			// A label bought through Amazon's shipping services, on its
			// own stream so the sales' draws stay what they were.
			fr := newRand(d.base, "finance-fee", i*8+k)
			if !d.orders.afn[i] && chance(fr, shareShippingLabel) {
				posted := times[k] + between(fr, time.Hour, 48*time.Hour)
				cost := (300 + fr.Int64N(1200)) * minorUnit(market(d.orders.market[i]).currency)
				txs = append(txs, finTx{id: txID(d.base, "fin-fee", id, fmt.Sprint(k)), order: int32(i), kind: finFee, event: uint8(k), posted: posted, visible: posted + visibilityLag(fr, lateRate), partner: -1, cents: cost})
			}
			// Every draw is made whatever the options say, so changing
			// one rate leaves the others' decisions as they were.
			posted := times[k] + between(r, time.Hour, 48*time.Hour)
			visible := posted + visibilityLag(r, lateRate)
			deferred := chance(r, deferredRate)
			byTx := chance(r, 0.5)
			relLag := visibilityLag(r, lateRate)
			sale := finTx{id: txID(d.base, "fin-sale", id, fmt.Sprint(k)), order: int32(i), kind: finSale, event: uint8(k), posted: posted, visible: visible, partner: -1}
			if !deferred {
				txs = append(txs, sale)
				continue
			}
			sale.maturity = posted + int64(period/time.Second)
			if !byTx {
				sale.release = relStatus
				sale.releaseAt = max(sale.maturity, visible)
				txs = append(txs, sale)
				continue
			}
			rel := finTx{id: txID(d.base, "fin-release", id, fmt.Sprint(k)), order: int32(i), kind: finRelease, event: uint8(k), posted: sale.maturity, partner: -1}
			rel.visible = max(rel.posted+relLag, visible)
			sale.release = relTransaction
			sale.releaseAt = rel.visible
			txs = append(txs, sale, rel)
		}
		returned := chance(r, returnRate)
		back := between(r, 2*24*time.Hour, 20*24*time.Hour)
		post := between(r, time.Hour, 48*time.Hour)
		lag := visibilityLag(r, lateRate)
		pick := r.Uint32()
		if shippedAt == 0 || !returned {
			continue
		}
		posted := shippedAt + back + post
		txs = append(txs, finTx{id: txID(d.base, "fin-refund", id), order: int32(i), kind: finRefund, posted: posted, visible: posted + lag, partner: -1, refundSet: pick})
	}
	sort.Slice(txs, func(a, b int) bool {
		if txs[a].posted != txs[b].posted {
			return txs[a].posted < txs[b].posted
		}
		return txs[a].id < txs[b].id
	})
	for k := range txs {
		set.byOrder[txs[k].order] = append(set.byOrder[txs[k].order], int32(k))
	}
	// Pair each release with its deferred transaction: same order and event.
	for k := range txs {
		if txs[k].kind != finRelease {
			continue
		}
		for _, j := range set.byOrder[txs[k].order] {
			if txs[j].kind == finSale && txs[j].event == txs[k].event {
				txs[k].partner, txs[j].partner = j, int32(k)
			}
		}
	}
	set.txs = txs
	for k, x := range txs {
		set.events = append(set.events, finEvent{at: x.visible, tx: int32(k)})
		if x.release == relStatus && x.releaseAt > x.visible {
			set.events = append(set.events, finEvent{at: x.releaseAt, tx: int32(k)})
		}
		// A release transaction's own posting is the deferred one's change
		// too, but one notification (the release's) announces both: the
		// notification names the order, whose refresh reads both.
	}
	sort.Slice(set.events, func(a, b int) bool {
		x, y := set.events[a], set.events[b]
		if x.at != y.at {
			return x.at < y.at
		}
		return txs[x.tx].id < txs[y.tx].id
	})
	return set
}

// decimalAmount writes cents as a BigDecimal without trailing zeros. It
// runs for every amount of every transaction rendered, hence strconv.
func decimalAmount(cents int64) json.Number {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	s := sign + strconv.FormatInt(cents/100, 10)
	switch frac := cents % 100; {
	case frac == 0:
		if s == "-0" {
			s = "0"
		}
	case frac%10 == 0:
		s += "." + strconv.FormatInt(frac/10, 10)
	default:
		s += "." + strconv.FormatInt(frac/10, 10) + strconv.FormatInt(frac%10, 10)
	}
	return json.Number(s)
}

// bnode is a breakdown tree under construction, amounts in cents.
type bnode struct {
	typ  string
	amt  int64
	kids []*bnode
}

// add puts amt at path, creating the nodes it lacks; with sibling the leaf
// is a new node even when one of its type exists (two promotions).
func (n *bnode) add(amt int64, sibling bool, path ...string) {
	n.amt += amt
	if len(path) == 0 {
		return
	}
	var kid *bnode
	if !(sibling && len(path) == 1) {
		for _, k := range n.kids {
			if k.typ == path[0] {
				kid = k
				break
			}
		}
	}
	if kid == nil {
		kid = &bnode{typ: path[0]}
		n.kids = append(n.kids, kid)
	}
	kid.add(amt, sibling, path[1:]...)
}

// merge adds every leaf of o under n, summing leaves of the same type.
func (n *bnode) merge(o *bnode, path []string) {
	if len(o.kids) == 0 {
		n.add(o.amt, false, path...)
		return
	}
	for _, k := range o.kids {
		n.merge(k, append(slices.Clone(path), k.typ))
	}
}

func (n *bnode) render(cur string) []Breakdown {
	if len(n.kids) == 0 {
		return nil
	}
	out := make([]Breakdown, len(n.kids))
	for k, kid := range n.kids {
		out[k] = Breakdown{BreakdownType: kid.typ, BreakdownAmount: Currency{cur, decimalAmount(kid.amt)}, Breakdowns: kid.render(cur)}
	}
	return out
}

// Breakdown types the simulator uses. Amazon's pages name Product
// Charges, Sales, Expenses and FBA fees (the model's examples); the rest
// follow Finances v0's charge and fee types.
const (
	bdSales            = "Sales"
	bdProductCharges   = "ProductCharges"
	bdTax              = "Tax"
	bdPromotion        = "Promotion"
	bdExpenses         = "Expenses"
	bdAmazonFees       = "AmazonFees"
	bdCommission       = "Commission"
	bdFBAFee           = "FBAPerUnitFulfillmentFee"
	bdRefundAdminFee   = "RefundAdministrationFee"
	bdFacilitatorTax   = "MarketplaceFacilitatorTax"
	bdShippingServices = "ShippingServices"
	bdShippingLabel    = "ShippingLabel"
	txTypeFee          = "ShippingServices"
	txDescFee          = "Shipping label purchase"
	txTypeShipment     = "Shipment"
	txTypeRefund       = "Refund"
	txTypeRelease      = "DeferredRelease"
	txDescSale         = "Order Payment"
	txDescRefund       = "Refund Order"
	txDescRelease      = "Deferred Release"
	deferralReasonB2B  = "B2B"
	deferralReasonDD7  = "DD7"
	relOrderID         = "ORDER_ID"
	relShipmentID      = "SHIPMENT_ID"
	relRefundID        = "REFUND_ID"
	relGroupID         = "FINANCIAL_EVENT_GROUP_ID"
	relSettlementID    = "SETTLEMENT_ID"
	relDeferredTxID    = "DEFERRED_TRANSACTION_ID"
	relReleaseTxID     = "RELEASE_TRANSACTION_ID"
	itemRelAdjustment  = "ORDER_ADJUSTMENT_ITEM_ID"
	contextProduct     = "ProductContext"
	contextDeferred    = "DeferredContext"
	commissionPercent  = 15
	refundAdminPercent = 20
)

// groupIDs are the financial event group and settlement ids of postings
// in marketplace m at posted: one group per marketplace and 14 days.
func (d *accountData) groupIDs(m string, posted int64) (group, settlement string) {
	p := fmt.Sprint(posted / settlementPeriod)
	group = txID(d.base, "fin-group", m, p)
	settlement = fmt.Sprintf("%011d", hash64(int64(d.base), "fin-settlement", m, p)%100_000_000_000)
	return group, settlement
}

// renderTransaction renders transaction k as the API shows it at t.
func (d *accountData) renderTransaction(k int, t int64) Transaction {
	f := d.finance()
	x := f.txs[k]
	oi := int(x.order)
	s := d.orders
	m := market(s.market[oi])
	if x.kind == finFee {
		out := d.txFrame(x, m)
		tree := &bnode{}
		tree.add(-x.cents, false, bdExpenses, bdShippingServices, bdShippingLabel)
		out.TotalAmount = Currency{m.currency, decimalAmount(tree.amt)}
		out.Breakdowns = tree.render(m.currency)
		return out
	}
	if x.kind == finRelease {
		tx := d.renderTransaction(int(x.partner), t)
		out := d.txFrame(x, m)
		out.TotalAmount = tx.TotalAmount
		out.RelatedIdentifiers = append(out.RelatedIdentifiers, RelatedIdentifier{relDeferredTxID, f.txs[x.partner].id})
		return out
	}
	times, kinds := s.tl.events(oi)
	n := int(x.event) + 1
	if x.kind == finRefund {
		n = len(times)
	}
	items := d.orderItems(oi, n)
	r := newRand(d.base, "finance-tx-"+x.id, 0)
	network := "MFN"
	if s.afn[oi] {
		network = "AFN"
	}
	out := d.txFrame(x, m)
	total := &bnode{}
	partial := false
	for _, kd := range kinds[:n] {
		partial = partial || kd == evPartiallyShipped
	}
	for j, it := range items {
		// What this transaction covers: a partial shipment the first half
		// of the items, the shipment after it the rest; a refund the items
		// its random set picks (at least one).
		switch {
		case x.kind == finSale && partial && kinds[x.event] == evPartiallyShipped && !shippedFirst(j, len(items)),
			x.kind == finSale && partial && kinds[x.event] == evShipped && shippedFirst(j, len(items)),
			x.kind == finRefund && !refunds(x.refundSet, j, len(items)):
			continue
		}
		price, tax, disc := parseCents(it.ItemPrice.Amount), parseCents(it.ItemTax.Amount), parseCents(it.PromotionDiscount.Amount)
		commission := roundMinor(m.currency, price*commissionPercent/100)
		tree := &bnode{}
		ti := TransactionItem{Description: it.Title}
		qty := it.QuantityOrdered
		ti.Contexts = []TransactionContext{{ContextType: contextProduct, ASIN: it.ASIN, SKU: it.SellerSKU, QuantityShipped: &qty, FulfillmentNetwork: network}}
		split := chance(r, 0.3)
		if x.kind == finSale {
			tree.add(price, false, bdSales, bdProductCharges)
			tree.add(tax, false, bdSales, bdTax)
			if disc > 0 {
				if half := roundMinor(m.currency, disc/2); split && half > 0 && half < disc {
					tree.add(-half, true, bdSales, bdPromotion)
					tree.add(-(disc - half), true, bdSales, bdPromotion)
				} else {
					tree.add(-disc, false, bdSales, bdPromotion)
				}
			}
			tree.add(-commission, false, bdExpenses, bdAmazonFees, bdCommission)
			if s.afn[oi] {
				unit := price / int64(qty)
				tree.add(-roundMinor(m.currency, int64(qty)*(unit/10+200*minorUnit(m.currency))), false, bdExpenses, bdAmazonFees, bdFBAFee)
			}
			if s.market[oi] == MarketplaceUS {
				tree.add(-tax, false, bdExpenses, bdTax, bdFacilitatorTax)
			}
		} else {
			tree.add(-price, false, bdSales, bdProductCharges)
			tree.add(-tax, false, bdSales, bdTax)
			if disc > 0 {
				tree.add(disc, false, bdSales, bdPromotion)
			}
			tree.add(commission, false, bdExpenses, bdAmazonFees, bdCommission)
			admin := min(roundMinor(m.currency, commission*refundAdminPercent/100), 500*minorUnit(m.currency))
			tree.add(-admin, false, bdExpenses, bdAmazonFees, bdRefundAdminFee)
			if s.market[oi] == MarketplaceUS {
				tree.add(tax, false, bdExpenses, bdTax, bdFacilitatorTax)
			}
			ti.RelatedIdentifiers = []ItemRelatedIdentifier{{itemRelAdjustment, fmt.Sprintf("%014d", hash64(int64(d.base), "fin-adjustment", x.id, it.OrderItemID)%100_000_000_000_000)}}
		}
		ti.TotalAmount = Currency{m.currency, decimalAmount(tree.amt)}
		ti.Breakdowns = tree.render(m.currency)
		total.merge(tree, nil)
		out.Items = append(out.Items, ti)
	}
	out.TotalAmount = Currency{m.currency, decimalAmount(total.amt)}
	out.Breakdowns = total.render(m.currency)
	if x.maturity > 0 {
		reason := deferralReasonDD7
		if d.renderOrderWith(oi, n, items).IsBusinessOrder {
			reason = deferralReasonB2B
		}
		mat := unix(x.maturity)
		out.Contexts = []TransactionContext{{ContextType: contextDeferred, DeferralReason: reason, MaturityDate: &mat}}
		out.TransactionStatus = d.transactionStatus(k, t)
		if x.release == relTransaction && t >= x.releaseAt {
			out.RelatedIdentifiers = append(out.RelatedIdentifiers, RelatedIdentifier{relReleaseTxID, f.txs[x.partner].id})
		}
	}
	return out
}

// transactionStatus is transaction k's status at t, as renderTransaction
// gives it, without rendering.
func (d *accountData) transactionStatus(k int, t int64) string {
	x := d.finance().txs[k]
	switch {
	case x.maturity == 0:
		return TransactionReleased
	case x.release == relStatus && t >= x.releaseAt:
		return TransactionDeferredReleased
	}
	return TransactionDeferred
}

// txFrame is what every transaction of an order carries: metadata,
// identifiers, type, status RELEASED, posted date and marketplace.
func (d *accountData) txFrame(x finTx, m marketInfo) Transaction {
	s := d.orders
	oi := int(x.order)
	mk := s.market[oi]
	group, settlement := d.groupIDs(mk, x.posted)
	orderID := s.tl.ids[oi]
	out := Transaction{
		SellingPartnerMetadata: &SellingPartnerMetadata{SellingPartnerID: d.acct.SellerID, AccountType: accountType, MarketplaceID: mk},
		TransactionID:          x.id,
		TransactionStatus:      TransactionReleased,
		PostedDate:             unix(x.posted),
		MarketplaceDetails:     &MarketplaceDetails{MarketplaceID: mk, MarketplaceName: m.salesChannel},
	}
	out.RelatedIdentifiers = []RelatedIdentifier{{relOrderID, orderID}}
	switch x.kind {
	case finSale, finFee:
		out.TransactionType, out.Description = txTypeShipment, txDescSale
		if x.kind == finFee {
			out.TransactionType, out.Description = txTypeFee, txDescFee
		}
		out.RelatedIdentifiers = append(out.RelatedIdentifiers, RelatedIdentifier{relShipmentID, "D" + txID(d.base, "fin-shipment", orderID, fmt.Sprint(x.event))[:9]})
	case finRefund:
		out.TransactionType, out.Description = txTypeRefund, txDescRefund
		out.RelatedIdentifiers = append(out.RelatedIdentifiers, RelatedIdentifier{relRefundID, fmt.Sprintf("R%013d", hash64(int64(d.base), "fin-refund-id", x.id)%10_000_000_000_000)})
	case finRelease:
		out.TransactionType, out.Description = txTypeRelease, txDescRelease
	}
	out.RelatedIdentifiers = append(out.RelatedIdentifiers, RelatedIdentifier{relGroupID, group}, RelatedIdentifier{relSettlementID, settlement})
	return out
}

// refunds reports whether a refund whose random set is set covers item j
// of count: the items whose bit is set, the first one when none is.
func refunds(set uint32, j, count int) bool {
	if count < 32 && set&(1<<count-1) == 0 {
		return j == 0
	}
	return set&(1<<(j%32)) != 0
}

// isUSMFN reports whether transaction k is of a merchant-fulfilled order
// in the US store, which listTransactions answers only without
// marketplaceId ("to retrieve MFN orders in the US store, do not supply
// marketplaceId").
func (d *accountData) isUSMFN(k int) bool {
	oi := d.finance().txs[k].order
	return d.orders.market[oi] == MarketplaceUS && !d.orders.afn[oi]
}

// TransactionFacts is the simulator's timeline of one transaction, visible
// or not yet: what a test needs to find a deferred, late, released or US
// merchant-fulfilled transaction and the instant to move the clock to.
type TransactionFacts struct {
	TransactionID string
	OrderID       string
	// Kind is TransactionKindSale, TransactionKindRefund,
	// TransactionKindRelease or TransactionKindFee.
	Kind          string
	MarketplaceID string
	// USMFN: a merchant-fulfilled order in the US store, answered only
	// when listTransactions gets no marketplaceId.
	USMFN bool
	// PostedDate is the transaction's postedDate; VisibleAt when
	// listTransactions starts answering it (Amazon's up-to-48-hour lag).
	PostedDate, VisibleAt time.Time
	// Deferred sales: MaturityDate (DeferredContext.maturityDate),
	// ReleaseMode (ReleaseByStatus or ReleaseByTransaction) and ReleasedAt,
	// when the release shows on the API: the status change, or the release
	// transaction becoming visible (and RELEASE_TRANSACTION_ID with it).
	Deferred     bool
	MaturityDate time.Time
	ReleaseMode  string
	ReleasedAt   time.Time
	// ReleaseTransactionID is the release of a deferred sale released by
	// transaction; DeferredTransactionID the deferred sale of a release.
	ReleaseTransactionID, DeferredTransactionID string
}

// facts returns transaction k's timeline.
func (d *accountData) facts(k int) TransactionFacts {
	f := d.finance()
	x := f.txs[k]
	oi := int(x.order)
	out := TransactionFacts{
		TransactionID: x.id,
		OrderID:       d.orders.tl.ids[oi],
		Kind:          [...]string{TransactionKindSale, TransactionKindRefund, TransactionKindRelease, TransactionKindFee}[x.kind],
		MarketplaceID: d.orders.market[oi],
		USMFN:         d.isUSMFN(k),
		PostedDate:    unix(x.posted),
		VisibleAt:     unix(x.visible),
	}
	if x.maturity > 0 {
		out.Deferred = true
		out.MaturityDate = unix(x.maturity)
		out.ReleasedAt = unix(x.releaseAt)
		out.ReleaseMode = ReleaseByStatus
		if x.release == relTransaction {
			out.ReleaseMode = ReleaseByTransaction
			out.ReleaseTransactionID = f.txs[x.partner].id
		}
	}
	if x.kind == finRelease {
		out.DeferredTransactionID = f.txs[x.partner].id
	}
	return out
}

// TruthTransactions returns every transaction of account that
// listTransactions answers now on the data clock (those visible by now,
// US merchant-fulfilled ones included), with their current status and
// identifiers, sorted by postedDate then transactionId.
func (s *Sim) TruthTransactions(account string) ([]Transaction, error) {
	d, err := s.data(account)
	if err != nil {
		return nil, err
	}
	now := s.dataNow()
	f := d.finance()
	var out []Transaction
	for k, x := range f.txs {
		if x.visible <= now {
			out = append(out, d.renderTransaction(k, now))
		}
	}
	return out, nil
}

// TruthTransactionFacts returns the timeline of every transaction of
// account, visible yet or not, in postedDate then transactionId order.
func (s *Sim) TruthTransactionFacts(account string) ([]TransactionFacts, error) {
	d, err := s.data(account)
	if err != nil {
		return nil, err
	}
	f := d.finance()
	out := make([]TransactionFacts, len(f.txs))
	for k := range f.txs {
		out[k] = d.facts(k)
	}
	return out, nil
}
