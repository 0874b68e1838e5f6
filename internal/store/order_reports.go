package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/spapi/orderreport"
)

// APIVersionReports is orders.api_version of an order known only from an
// order report.
const APIVersionReports = "reports-2021-06-30"

// A report line is read and typed once, as orderreport.Line: the import
// takes those lines, and keeps of each only what its rows store
// (stagedLine).

// stageLine keeps of a line what the rows store: its typed fields, less its
// personal ones, its amounts with their scale, the line's and the order's
// raw JSON (PII removed) and which money columns the document has. The
// cells map goes: a month of a big seller's report is tens of thousands of
// lines, and their maps would be most of a worker's memory.
func stageLine(l *orderreport.Line) (stagedLine, error) {
	st := stagedLine{Line: *l}
	var err error
	if st.LineRaw, err = rawOf(l.Fields, func(k string) bool { return !slices.Contains(orderFieldsOfReport, k) }); err != nil {
		return stagedLine{}, err
	}
	if st.OrderRaw, err = rawOf(l.Fields, func(k string) bool { return slices.Contains(orderFieldsOfReport, k) }); err != nil {
		return stagedLine{}, err
	}
	_, st.HasPrice = l.Fields[orderreport.ColItemPrice]
	_, st.HasTax = l.Fields[orderreport.ColItemTax]
	for i, d := range amountsOf(&st.Line) {
		if *d != nil {
			v := exactString(**d)
			st.Amounts[i] = &v
			*d = nil // travels in Amounts, with its scale
		}
	}
	// Only what the rows are mapped from is staged: not the cells, the
	// personal fields, nor what the reader says about the line.
	st.Line.Fields, st.Line.Missing, st.Line.Warnings = nil, nil, nil
	st.Line.ShipPostalCode, st.Line.PurchaseOrderNumber, st.Line.LineNo = "", "", 0
	return st, nil
}

// rawOf is the JSON object of the fields keep selects, PII
// (orderreport.IsPII) left out (map keys sorted: one spelling per content).
func rawOf(fields map[string]string, keep func(string) bool) (json.RawMessage, error) {
	raw := map[string]string{}
	for k, v := range fields {
		if keep(k) && !orderreport.IsPII(k) {
			raw[k] = v
		}
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("encode report line: %w", err)
	}
	return b, nil
}

// orderFieldsOfReport are the report columns that describe the order, not
// the line: they go to orders.raw. The rest of a line goes to
// order_report_lines.raw.
var orderFieldsOfReport = []string{"amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date",
	"order-status", "fulfillment-channel", "sales-channel", "order-channel", "url", "ship-service-level",
	"ship-city", "ship-state", "ship-country", "is-business-order", "purchase-order-number", "is-replacement-order",
	"is-heavy-or-bulky", "payment-method-details", "address-type"}

// marketplaceBySalesChannel maps a report's sales-channel to its
// marketplace id (the report names the site, the APIs the id).
var marketplaceBySalesChannel = map[string]string{
	"amazon.com": "ATVPDKIKX0DER", "amazon.ca": "A2EUQ1WTGCTBG2", "amazon.com.mx": "A1AM78C64UM0Y8",
	"amazon.com.br": "A2Q3Y263D00KWC", "amazon.co.uk": "A1F83G8C2ARO7P", "amazon.de": "A1PA6795UKMFR9",
	"amazon.fr": "A13V1IB3VIYZZH", "amazon.it": "APJ6JRA9NG5V4", "amazon.es": "A1RKKUPIHCS9HS",
	"amazon.nl": "A1805IZSGTT6HS", "amazon.se": "A2NODRKZP88ZB9", "amazon.pl": "A1C3SOZRARQ6R3",
	"amazon.com.be": "AMEN7PMS3EDWL", "amazon.com.tr": "A33AVAJ2PDY3EV", "amazon.ae": "A2VIGQ35RCS4UG",
	"amazon.sa": "A17E79C6D8DWNP", "amazon.eg": "ARBP9OOSHTCHU", "amazon.in": "A21TJRUUN4KGV",
	"amazon.co.jp": "A1VC38T7YXB528", "amazon.com.au": "A39IBJ37TRP1C6", "amazon.sg": "A19VAU5U5O7RUS",
}

// reportOrderStatus maps the report's order statuses that are not v0's
// spelling: a partly shipped order is "Shipping" in the report.
var reportOrderStatus = map[string]string{"shipping": "PartiallyShipped", "cancelled": "Canceled"}

// ReportLinesResult says what one document wrote.
type ReportLinesResult struct {
	// Orders is how many orders the document listed; OrdersWritten how many
	// report-only order rows it inserted or changed; OrdersKept how many it
	// left alone because an order API wrote them.
	Orders, OrdersWritten, OrdersKept int
	// Lines is how many lines it offered for report-only orders,
	// LinesWritten how many it inserted or changed, LinesDeleted how many
	// stored lines of those orders it no longer lists.
	Lines, LinesWritten, LinesDeleted int
}

// Rows is what the document changed, as its backfill window counts rows.
func (r ReportLinesResult) Rows() int64 { return int64(r.OrdersWritten + r.LinesWritten) }

// CountRows tells count what the document offered and changed per table, as
// a page's rows are counted (spsync_rows_upserted_total): the report-only
// orders (not those an order API wrote) and their lines.
func (r ReportLinesResult) CountRows(count func(table string, offered, changed int)) {
	count("orders", r.Orders-r.OrdersKept, r.OrdersWritten)
	count("order_report_lines", r.Lines, r.LinesWritten)
}

// reportLineRow is one order_report_lines row. Every typed column is read
// from raw, so an equal raw is an equal row.
type reportLineRow struct {
	AmazonOrderID               string          `json:"amazon_order_id"`
	LineNo                      int             `json:"line_no"`
	SKU                         *string         `json:"sku,omitzero"`
	ASIN                        *string         `json:"asin,omitzero"`
	ProductName                 *string         `json:"product_name,omitzero"`
	ItemStatus                  *string         `json:"item_status,omitzero"`
	Quantity                    *int            `json:"quantity,omitzero"`
	Currency                    *string         `json:"currency,omitzero"`
	ItemPriceAmount             *ScaledDecimal  `json:"item_price_amount,omitzero"`
	ItemTaxAmount               *ScaledDecimal  `json:"item_tax_amount,omitzero"`
	ShippingPriceAmount         *ScaledDecimal  `json:"shipping_price_amount,omitzero"`
	ShippingTaxAmount           *ScaledDecimal  `json:"shipping_tax_amount,omitzero"`
	GiftWrapPriceAmount         *ScaledDecimal  `json:"gift_wrap_price_amount,omitzero"`
	GiftWrapTaxAmount           *ScaledDecimal  `json:"gift_wrap_tax_amount,omitzero"`
	ItemPromotionDiscountAmount *ScaledDecimal  `json:"item_promotion_discount_amount,omitzero"`
	ShipPromotionDiscountAmount *ScaledDecimal  `json:"ship_promotion_discount_amount,omitzero"`
	PromotionIDs                []string        `json:"promotion_ids,omitzero"`
	PriceDesignation            *string         `json:"price_designation,omitzero"`
	ReportID                    string          `json:"report_id"`
	Raw                         json.RawMessage `json:"raw"`
}

// ReportImport writes one report document on a transaction without holding
// it in memory: Add copies lines into a temporary table as they are read
// (COPY), and Finish writes them an order chunk at a time. A month of a big
// seller's report is tens of thousands of lines; only a chunk of them is in
// the worker at once.
type ReportImport struct {
	tx                  pgx.Tx
	accountID, reportID string
	seq                 int
}

// stagedLine is a report line as the import's table holds it and its rows
// are mapped from (stageLine).
type stagedLine struct {
	Line orderreport.Line `json:"line"`
	// Amounts are the line's money in amountsOf's order, written with their
	// scale (decimal's JSON drops trailing zeros).
	Amounts  [8]*string      `json:"amounts"`
	LineRaw  json.RawMessage `json:"line_raw"`
	OrderRaw json.RawMessage `json:"order_raw"`
	HasPrice bool            `json:"has_price,omitempty"`
	HasTax   bool            `json:"has_tax,omitempty"`
}

// amountsOf points at the line's money fields, in stagedLine.Amounts' order.
func amountsOf(l *orderreport.Line) [8]**decimal.Decimal {
	return [8]**decimal.Decimal{&l.ItemPrice, &l.ItemTax, &l.ShippingPrice, &l.ShippingTax, &l.GiftWrapPrice, &l.GiftWrapTax,
		&l.ItemPromotionDiscount, &l.ShipPromotionDiscount}
}

// exactString writes d with its scale.
func exactString(d decimal.Decimal) string {
	if e := d.Exponent(); e < 0 {
		return d.StringFixed(-e)
	}
	return d.String()
}

// BeginReportImport starts the import of one document on tx; the table it
// stages lines in goes with the transaction.
func BeginReportImport(ctx context.Context, tx pgx.Tx, accountID, reportID string) (*ReportImport, error) {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE report_import (amazon_order_id text NOT NULL, seq integer NOT NULL, line jsonb NOT NULL) ON COMMIT DROP`); err != nil {
		return nil, fmt.Errorf("stage report %s: %w", reportID, err)
	}
	return &ReportImport{tx: tx, accountID: accountID, reportID: reportID}, nil
}

// Add stages lines (lines without an order id are skipped: the caller
// quarantines them).
func (ri *ReportImport) Add(ctx context.Context, lines []orderreport.Line) error {
	rows := make([][]any, 0, len(lines))
	for i := range lines {
		l := &lines[i]
		if l.AmazonOrderID == "" {
			continue
		}
		st, err := stageLine(l)
		if err != nil {
			return err
		}
		b, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("stage report line of order %s: %w", l.AmazonOrderID, err)
		}
		ri.seq++
		rows = append(rows, []any{l.AmazonOrderID, ri.seq, string(b)})
	}
	if _, err := ri.tx.CopyFrom(ctx, pgx.Identifier{"report_import"}, []string{"amazon_order_id", "seq", "line"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("stage %d lines of report %s: %w", len(rows), ri.reportID, err)
	}
	return nil
}

// Finish writes the staged document: report-only orders and their lines,
// an order chunk at a time.
func (ri *ReportImport) Finish(ctx context.Context) (ReportLinesResult, error) {
	var res ReportLinesResult
	rows, err := ri.tx.Query(ctx, `SELECT DISTINCT amazon_order_id FROM report_import ORDER BY 1`)
	if err != nil {
		return res, fmt.Errorf("read staged orders of report %s: %w", ri.reportID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return res, fmt.Errorf("read staged orders of report %s: %w", ri.reportID, err)
	}
	if len(ids) == 0 {
		return res, nil
	}
	res.Orders = len(ids)
	if _, err := ri.tx.Exec(ctx, `CREATE INDEX ON report_import (amazon_order_id)`); err != nil {
		return res, fmt.Errorf("index staged report %s: %w", ri.reportID, err)
	}
	apiWritten, err := apiOrders(ctx, ri.tx, ri.accountID, ids)
	if err != nil {
		return res, err
	}
	var reportOnly []string
	for _, id := range ids {
		if apiWritten[id] {
			res.OrdersKept++
			continue
		}
		reportOnly = append(reportOnly, id)
	}
	for chunk := range slices.Chunk(reportOnly, reportChunk) {
		byOrder, err := ri.staged(ctx, chunk)
		if err != nil {
			return res, err
		}
		if err := replaceReportChunk(ctx, ri.tx, ri.accountID, ri.reportID, chunk, byOrder, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// staged reads the staged lines of ids back, in document order.
func (ri *ReportImport) staged(ctx context.Context, ids []string) (map[string][]stagedLine, error) {
	rows, err := ri.tx.Query(ctx, `SELECT line FROM report_import WHERE amazon_order_id = ANY($1::text[]) ORDER BY seq`, ids)
	if err != nil {
		return nil, fmt.Errorf("read staged lines of report %s: %w", ri.reportID, err)
	}
	defer rows.Close()
	out := make(map[string][]stagedLine, len(ids))
	for rows.Next() {
		var st stagedLine
		if err := rows.Scan(&st); err != nil {
			return nil, fmt.Errorf("read staged line of report %s: %w", ri.reportID, err)
		}
		for i, d := range amountsOf(&st.Line) {
			if v := st.Amounts[i]; v != nil {
				x, err := decimal.NewFromString(*v)
				if err != nil {
					return nil, fmt.Errorf("read staged line of report %s: %w", ri.reportID, err)
				}
				*d = &x
			}
		}
		out[st.Line.AmazonOrderID] = append(out[st.Line.AmazonOrderID], st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read staged lines of report %s: %w", ri.reportID, err)
	}
	return out, nil
}

// reportChunk is how many orders one pair of statements writes.
const reportChunk = 1000

// replaceReportChunk writes the orders of ids and their lines.
func replaceReportChunk(ctx context.Context, tx pgx.Tx, accountID, reportID string, ids []string, byOrder map[string][]stagedLine, res *ReportLinesResult) error {
	var orders []OrderRow
	var rows []reportLineRow
	for _, id := range ids {
		ls := byOrder[id]
		o, err := newReportOrderRow(ls)
		if err != nil {
			return fmt.Errorf("report order %s: %w", id, err)
		}
		orders = append(orders, o)
		rows = append(rows, newReportLineRows(ls, reportID)...)
	}
	res.Lines += len(rows)
	payload, err := json.Marshal(orders)
	if err != nil {
		return fmt.Errorf("encode %d report orders: %w", len(orders), err)
	}
	tag, err := tx.Exec(ctx, upsertReportOrdersSQL, pgx.NamedArgs{"rows": payload, "account_id": accountID})
	if err != nil {
		return fmt.Errorf("upsert %d report orders of account %s: %w", len(orders), accountID, err)
	}
	res.OrdersWritten += int(tag.RowsAffected())
	payload, err = json.Marshal(nonNil(rows))
	if err != nil {
		return fmt.Errorf("encode %d report lines: %w", len(rows), err)
	}
	var written, deleted int
	err = tx.QueryRow(ctx, replaceReportLinesSQL, pgx.NamedArgs{"rows": payload, "account_id": accountID, "orders": ids}).
		Scan(&written, &deleted)
	if err != nil {
		return fmt.Errorf("replace report lines of %d orders of account %s: %w", len(ids), accountID, err)
	}
	res.LinesWritten += written
	res.LinesDeleted += deleted
	return nil
}

// apiOrders returns which of ids an order API wrote.
func apiOrders(ctx context.Context, tx pgx.Tx, accountID string, ids []string) (map[string]bool, error) {
	rows, err := tx.Query(ctx, `SELECT amazon_order_id FROM orders
		WHERE account_id = $1 AND amazon_order_id = ANY($2::text[]) AND api_version <> $3`, accountID, ids, APIVersionReports)
	if err != nil {
		return nil, fmt.Errorf("read API orders of account %s: %w", accountID, err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read API orders of account %s: %w", accountID, err)
	}
	out := make(map[string]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// newReportOrderRow maps an order's report lines to its orders row: the
// order's fields of its first line (they repeat on every line), the status
// and channel in the API columns' spelling, and the total derived from the
// lines as v0 counts OrderTotal (prices, shipping, gift wrap and their
// taxes, less promotions), NULL when any line has no price (Pending) or
// the document has no item-price or item-tax column.
func newReportOrderRow(lines []stagedLine) (OrderRow, error) {
	l := lines[0].Line
	r := OrderRow{
		AmazonOrderID:      l.AmazonOrderID,
		SellerOrderID:      NullIfEmpty(l.MerchantOrderID),
		PurchaseDate:       l.PurchaseDate,
		LastUpdateDate:     l.PurchaseDate,
		SalesChannel:       NullIfEmpty(l.SalesChannel),
		OrderChannel:       NullIfEmpty(l.OrderChannel),
		ShipServiceLevel:   NullIfEmpty(l.ShipServiceLevel),
		IsBusinessOrder:    l.IsBusinessOrder,
		IsReplacementOrder: l.IsReplacementOrder,
		APIVersion:         APIVersionReports,
	}
	for _, x := range lines {
		x := x.Line
		if x.LastUpdatedDate != nil && x.LastUpdatedDate.After(r.LastUpdateDate) {
			r.LastUpdateDate = *x.LastUpdatedDate
		}
	}
	if l.OrderStatus != "" {
		s, ok := reportOrderStatus[strings.ToLower(l.OrderStatus)]
		if !ok {
			s, _ = spapi.EnumOrderStatus.Canonical(l.OrderStatus) // Cancelled is Canceled
		}
		r.OrderStatus = &s
	}
	switch strings.ToLower(l.FulfillmentChannel) {
	case "amazon", "afn":
		r.FulfillmentChannel = NullIfEmpty("AFN")
	case "merchant", "mfn":
		r.FulfillmentChannel = NullIfEmpty("MFN")
	default:
		r.FulfillmentChannel = NullIfEmpty(l.FulfillmentChannel)
	}
	if id, ok := marketplaceBySalesChannel[strings.ToLower(l.SalesChannel)]; ok {
		r.MarketplaceID = &id
	}
	r.ShippingAddressCity = NullIfEmpty(l.ShipCity)
	r.ShippingAddressStateOrRegion = NullIfEmpty(l.ShipState)
	r.ShippingAddressCountryCode = NullIfEmpty(l.ShipCountry)
	if (r.OrderStatus == nil || *r.OrderStatus != "Pending") && lines[0].HasPrice && lines[0].HasTax {
		total, priced := decimal.Zero, true
		for _, x := range lines {
			x := x.Line
			if x.ItemPrice == nil {
				priced = false
				break
			}
			for _, add := range []*decimal.Decimal{x.ItemPrice, x.ItemTax, x.ShippingPrice, x.ShippingTax, x.GiftWrapPrice, x.GiftWrapTax} {
				if add != nil {
					total = total.Add(*add)
				}
			}
			for _, sub := range []*decimal.Decimal{x.ItemPromotionDiscount, x.ShipPromotionDiscount} {
				if sub != nil {
					total = total.Sub(sub.Abs()) // reports write discounts negative
				}
			}
		}
		if priced && l.Currency != "" {
			amount := NewScaledDecimal(total)
			r.OrderTotalAmount, r.OrderTotalCurrency = &amount, NullIfEmpty(l.Currency)
		}
	}
	r.Raw = lines[0].OrderRaw
	return r, nil
}

// newReportLineRows maps an order's lines to rows numbered in a fixed
// order, so the same lines in any document order get the same numbers.
func newReportLineRows(lines []stagedLine, reportID string) []reportLineRow {
	rows := make([]reportLineRow, 0, len(lines))
	for _, st := range lines {
		l, b := st.Line, st.LineRaw
		dec := func(d *decimal.Decimal) *ScaledDecimal {
			if d == nil {
				return nil
			}
			s := NewScaledDecimal(*d)
			return &s
		}
		positive := func(d *decimal.Decimal) *ScaledDecimal {
			if d == nil {
				return nil
			}
			s := NewScaledDecimal(d.Abs()) // money off, as order_items'
			return &s
		}
		r := reportLineRow{
			AmazonOrderID: l.AmazonOrderID, SKU: NullIfEmpty(l.SKU), ASIN: NullIfEmpty(l.ASIN), ProductName: NullIfEmpty(l.ProductName),
			ItemStatus: NullIfEmpty(l.ItemStatus), Quantity: l.Quantity, Currency: NullIfEmpty(l.Currency),
			ItemPriceAmount: dec(l.ItemPrice), ItemTaxAmount: dec(l.ItemTax), ShippingPriceAmount: dec(l.ShippingPrice),
			ShippingTaxAmount: dec(l.ShippingTax), GiftWrapPriceAmount: dec(l.GiftWrapPrice), GiftWrapTaxAmount: dec(l.GiftWrapTax),
			ItemPromotionDiscountAmount: positive(l.ItemPromotionDiscount), ShipPromotionDiscountAmount: positive(l.ShipPromotionDiscount),
			PriceDesignation: NullIfEmpty(l.PriceDesignation), ReportID: reportID, Raw: b,
		}
		if len(l.PromotionIDs) > 0 {
			r.PromotionIDs = l.PromotionIDs
		}
		rows = append(rows, r)
	}
	key := func(r reportLineRow) string {
		price := ""
		if r.ItemPriceAmount != nil {
			price = r.ItemPriceAmount.Decimal().String()
		}
		q := -1
		if r.Quantity != nil {
			q = *r.Quantity
		}
		return fmt.Sprintf("%s\x00%s\x00%s\x00%09d\x00%s\x00%s", deref(r.SKU), deref(r.ASIN), deref(r.ItemStatus), q+1, price, r.Raw)
	}
	slices.SortStableFunc(rows, func(a, b reportLineRow) int { return cmp.Compare(key(a), key(b)) })
	for i := range rows {
		rows[i].LineNo = i + 1
	}
	return rows
}

// upsertReportOrdersSQL writes report-only orders: new ones, and stored
// ones still known only from reports that the document tells something new
// (a cell the stored raw lacks or has otherwise, or a total or last update
// its lines changed). A row an order API wrote is never touched.
//
// "Something new", not "something else": Amazon's column set varies between
// reports, so a document with fewer columns says nothing about the ones it
// lacks, and re-importing a window in a leaner layout writes nothing.
var upsertReportOrdersSQL = upsertStatement(`
INSERT INTO orders (account_id, {{columns}})
SELECT @account_id::text, {{columns}}
FROM jsonb_populate_recordset(NULL::orders, @rows::jsonb)
ON CONFLICT (account_id, amazon_order_id) DO UPDATE SET
    {{update}},
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
WHERE orders.api_version = '`+APIVersionReports+`'
  AND (NOT orders.raw @> EXCLUDED.raw
       OR orders.last_update_date IS DISTINCT FROM EXCLUDED.last_update_date
       OR (EXCLUDED.order_total_amount IS NOT NULL AND orders.order_total_amount IS DISTINCT FROM EXCLUDED.order_total_amount))`,
	reflect.TypeFor[OrderRow](), "amazon_order_id")

// replaceReportLinesSQL makes the stored lines of the given orders those of
// the batch, in one statement, and says how many it wrote and deleted. A
// line is rewritten only when the document tells something new about it
// (see upsertReportOrdersSQL).
var replaceReportLinesSQL = upsertStatement(`
WITH input AS MATERIALIZED (
    SELECT * FROM jsonb_populate_recordset(NULL::order_report_lines, @rows::jsonb)
), gone AS (
    DELETE FROM order_report_lines t
    WHERE t.account_id = @account_id::text AND t.amazon_order_id = ANY(@orders::text[])
      AND NOT EXISTS (SELECT 1 FROM input i WHERE i.amazon_order_id = t.amazon_order_id AND i.line_no = t.line_no)
    RETURNING 1
), written AS (
    INSERT INTO order_report_lines (account_id, {{columns}})
    SELECT @account_id::text, {{columns}} FROM input
    ON CONFLICT (account_id, amazon_order_id, line_no) DO UPDATE SET
        {{update}},
        sync_version = nextval('sync_version_seq'),
        synced_at = now()
    WHERE NOT order_report_lines.raw @> EXCLUDED.raw
    RETURNING 1
)
SELECT (SELECT count(*) FROM written)::int, (SELECT count(*) FROM gone)::int`,
	reflect.TypeFor[reportLineRow](), "amazon_order_id", "line_no")

// ReportLineRaw is a report line's cells without the personal ones, as
// JSON (for a line set aside in quarantine).
func ReportLineRaw(fields map[string]string) (json.RawMessage, error) {
	return rawOf(fields, func(string) bool { return true })
}
