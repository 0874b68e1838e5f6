package orderreport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/spsync/spsync/internal/spapi"
)

// Column names of the order tracking reports, as in Amazon's attribute list
// (order-tracking-reports-attributes) and in documents seen in the wild.
const (
	ColAmazonOrderID         = "amazon-order-id"
	ColMerchantOrderID       = "merchant-order-id"
	ColPurchaseDate          = "purchase-date"
	ColLastUpdatedDate       = "last-updated-date"
	ColOrderStatus           = "order-status"
	ColFulfillmentChannel    = "fulfillment-channel"
	ColSalesChannel          = "sales-channel"
	ColOrderChannel          = "order-channel"
	ColShipServiceLevel      = "ship-service-level"
	ColProductName           = "product-name"
	ColSKU                   = "sku"
	ColASIN                  = "asin"
	ColItemStatus            = "item-status"
	ColQuantity              = "quantity"
	ColCurrency              = "currency"
	ColItemPrice             = "item-price"
	ColItemTax               = "item-tax"
	ColShippingPrice         = "shipping-price"
	ColShippingTax           = "shipping-tax"
	ColGiftWrapPrice         = "gift-wrap-price"
	ColGiftWrapTax           = "gift-wrap-tax"
	ColItemPromotionDiscount = "item-promotion-discount"
	ColShipPromotionDiscount = "ship-promotion-discount"
	ColShipCity              = "ship-city"
	ColShipState             = "ship-state"
	ColShipPostalCode        = "ship-postal-code"
	ColShipCountry           = "ship-country"
	ColPromotionIDs          = "promotion-ids"
	ColIsBusinessOrder       = "is-business-order"
	ColPurchaseOrderNumber   = "purchase-order-number"
	ColPriceDesignation      = "price-designation"
	ColIsReplacementOrder    = "is-replacement-order"
)

// RequiredColumns are the columns a document must have: a line cannot be stored without
// its order id, and purchase-date is what both report types are windowed on.
var RequiredColumns = []string{ColAmazonOrderID, ColPurchaseDate}

// ProblemExtraCells is the Problem of a warning about non-empty cells that have no column:
// beyond the end of the header, or under an empty or repeated header name. Their values
// are not kept.
const ProblemExtraCells spapi.Problem = "extra_cells"

// ExtraCellsField is the Field of a ProblemExtraCells warning.
const ExtraCellsField = "(no column)"

// MaxLineBytes is the longest line the reader accepts. Real lines are well under 4 KiB; a
// longer one means the input is not an order report.
const MaxLineBytes = 1 << 20

var (
	// ErrNoHeader means the document is empty: not even a header line.
	ErrNoHeader = errors.New("orderreport: empty document, no header line")
	// ErrMissingColumns means the header lacks a required column (see RequiredColumns):
	// the document is not an order tracking report, or is not decompressed or decoded.
	ErrMissingColumns = errors.New("orderreport: header lacks required columns")
)

// Line is one row of the document: one item of an order, with the order's fields.
//
// Typed fields hold the trimmed cell; a cell that is empty, or whose column the document
// does not have, leaves its field empty: "" for text, nil for numbers, amounts, flags and
// optional times. An amount is never 0 for an empty cell: Amazon leaves item-price empty
// on a pending merchant-fulfilled order, which is "unknown yet", not "free".
//
// Line is the one type of a report line in spsync: the store's import
// (store.ReportImport.Add) takes it as read, so a column gains a typed field
// here only.
type Line struct {
	// LineNo is the line's number among the lines after the header, from 1, blank lines
	// included: LineNo+1 is its line number in the document.
	LineNo int

	AmazonOrderID   string
	MerchantOrderID string
	// PurchaseDate is required; when it is empty or does not parse, it is zero and
	// Missing names it. Times are in UTC.
	PurchaseDate    time.Time
	LastUpdatedDate *time.Time
	// OrderStatus is the order's status as sent (Pending, Shipped, Cancelled, …); it
	// differs from ItemStatus when part of an order is cancelled.
	OrderStatus string
	// FulfillmentChannel is as sent: Amazon or Merchant (not AFN/MFN as in Orders v0).
	FulfillmentChannel string
	// SalesChannel is the site, e.g. Amazon.com, Amazon.it, or Non-Amazon.
	SalesChannel     string
	OrderChannel     string
	ShipServiceLevel string
	ProductName      string
	SKU              string
	ASIN             string
	ItemStatus       string
	Quantity         *int
	// Currency is the ISO 4217 code of every amount of the line.
	Currency              string
	ItemPrice             *decimal.Decimal
	ItemTax               *decimal.Decimal
	ShippingPrice         *decimal.Decimal
	ShippingTax           *decimal.Decimal
	GiftWrapPrice         *decimal.Decimal
	GiftWrapTax           *decimal.Decimal
	ItemPromotionDiscount *decimal.Decimal
	ShipPromotionDiscount *decimal.Decimal
	ShipCity              string
	ShipState             string
	ShipPostalCode        string
	ShipCountry           string
	// PromotionIDs are the comma-separated ids of promotion-ids, nil when empty.
	PromotionIDs        []string
	IsBusinessOrder     *bool
	PurchaseOrderNumber string
	PriceDesignation    string
	IsReplacementOrder  *bool

	// Fields holds every cell of the line by header name, exactly as sent (untrimmed),
	// columns without a typed field included (url, cpf, ship-promotion-id, …). A cell
	// missing from a short row is "". Some columns (cpf, a Brazilian taxpayer number) are
	// personal data.
	Fields map[string]string
	// Missing names the required cells (amazon-order-id, purchase-date) that are empty or
	// do not parse. A line with Missing cannot be stored as an order item; keep it aside.
	Missing []string
	// Warnings name the cells that did not parse (their typed field is left empty) and
	// report cells without a column. They never carry values, which may be personal data.
	Warnings []spapi.DecodeWarning
}

// setter fills a typed field from a trimmed, non-empty cell and reports whether it could.
type setter func(l *Line, v string) bool

// setters are the columns with a typed field.
var setters = map[string]setter{
	ColAmazonOrderID:         textField(func(l *Line) *string { return &l.AmazonOrderID }),
	ColMerchantOrderID:       textField(func(l *Line) *string { return &l.MerchantOrderID }),
	ColPurchaseDate:          setPurchaseDate,
	ColLastUpdatedDate:       timeField(func(l *Line) **time.Time { return &l.LastUpdatedDate }),
	ColOrderStatus:           textField(func(l *Line) *string { return &l.OrderStatus }),
	ColFulfillmentChannel:    textField(func(l *Line) *string { return &l.FulfillmentChannel }),
	ColSalesChannel:          textField(func(l *Line) *string { return &l.SalesChannel }),
	ColOrderChannel:          textField(func(l *Line) *string { return &l.OrderChannel }),
	ColShipServiceLevel:      textField(func(l *Line) *string { return &l.ShipServiceLevel }),
	ColProductName:           textField(func(l *Line) *string { return &l.ProductName }),
	ColSKU:                   textField(func(l *Line) *string { return &l.SKU }),
	ColASIN:                  textField(func(l *Line) *string { return &l.ASIN }),
	ColItemStatus:            textField(func(l *Line) *string { return &l.ItemStatus }),
	ColQuantity:              intField(func(l *Line) **int { return &l.Quantity }),
	ColCurrency:              textField(func(l *Line) *string { return &l.Currency }),
	ColItemPrice:             amountField(func(l *Line) **decimal.Decimal { return &l.ItemPrice }),
	ColItemTax:               amountField(func(l *Line) **decimal.Decimal { return &l.ItemTax }),
	ColShippingPrice:         amountField(func(l *Line) **decimal.Decimal { return &l.ShippingPrice }),
	ColShippingTax:           amountField(func(l *Line) **decimal.Decimal { return &l.ShippingTax }),
	ColGiftWrapPrice:         amountField(func(l *Line) **decimal.Decimal { return &l.GiftWrapPrice }),
	ColGiftWrapTax:           amountField(func(l *Line) **decimal.Decimal { return &l.GiftWrapTax }),
	ColItemPromotionDiscount: amountField(func(l *Line) **decimal.Decimal { return &l.ItemPromotionDiscount }),
	ColShipPromotionDiscount: amountField(func(l *Line) **decimal.Decimal { return &l.ShipPromotionDiscount }),
	ColShipCity:              textField(func(l *Line) *string { return &l.ShipCity }),
	ColShipState:             textField(func(l *Line) *string { return &l.ShipState }),
	ColShipPostalCode:        textField(func(l *Line) *string { return &l.ShipPostalCode }),
	ColShipCountry:           textField(func(l *Line) *string { return &l.ShipCountry }),
	ColPromotionIDs:          setPromotionIDs,
	ColIsBusinessOrder:       boolField(func(l *Line) **bool { return &l.IsBusinessOrder }),
	ColPurchaseOrderNumber:   textField(func(l *Line) *string { return &l.PurchaseOrderNumber }),
	ColPriceDesignation:      textField(func(l *Line) *string { return &l.PriceDesignation }),
	ColIsReplacementOrder:    boolField(func(l *Line) **bool { return &l.IsReplacementOrder }),
}

func textField(field func(*Line) *string) setter {
	return func(l *Line, v string) bool {
		*field(l) = v
		return true
	}
}

func setPurchaseDate(l *Line, v string) bool {
	t, ok := parseTime(v)
	l.PurchaseDate = t
	return ok
}

// setPromotionIDs splits the comma-separated cell, dropping empty entries.
func setPromotionIDs(l *Line, v string) bool {
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			l.PromotionIDs = append(l.PromotionIDs, p)
		}
	}
	return true
}

func intField(field func(*Line) **int) setter {
	return func(l *Line, v string) bool {
		n, err := strconv.Atoi(v)
		if err != nil {
			return false
		}
		*field(l) = &n
		return true
	}
}

func amountField(field func(*Line) **decimal.Decimal) setter {
	return func(l *Line, v string) bool {
		d, err := decimal.NewFromString(v)
		if err != nil {
			return false
		}
		*field(l) = &d
		return true
	}
}

func timeField(field func(*Line) **time.Time) setter {
	return func(l *Line, v string) bool {
		t, ok := parseTime(v)
		if ok {
			*field(l) = &t
		}
		return ok
	}
}

func boolField(field func(*Line) **bool) setter {
	return func(l *Line, v string) bool {
		var b bool
		switch {
		case strings.EqualFold(v, "true"):
			b = true
		case strings.EqualFold(v, "false"):
		default:
			return false
		}
		*field(l) = &b
		return true
	}
}

// timeLayouts are the timestamp spellings accepted, the documented one first
// (2017-06-17T08:04:21+00:00). One without an offset is UTC, like every offset Amazon
// writes in these reports.
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// parseTime returns the instant in UTC, whatever offset the cell had.
func parseTime(v string) (time.Time, bool) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// column is one header cell.
type column struct {
	name string // as sent, trimmed; "" for an empty header cell
	set  setter // nil for a column without a typed field
}

// Reader reads an order report one line at a time. It is not safe for concurrent use.
type Reader struct {
	sc      *bufio.Scanner
	columns []column
	lineNo  int
	err     error
}

// NewReader reads the header line of r and returns a Reader of its data lines. It fails
// with ErrNoHeader on an empty document and with ErrMissingColumns, naming them, when the
// header lacks a required column. Header names are matched ignoring case and surrounding
// spaces; when a name appears twice, the first column is used.
func NewReader(r io.Reader) (*Reader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("orderreport: reading the header: %w", err)
		}
		return nil, ErrNoHeader
	}
	header := strings.TrimPrefix(sc.Text(), "\uFEFF")
	rd := &Reader{sc: sc}
	seen := map[string]bool{}
	for name := range strings.SplitSeq(header, "\t") {
		name = strings.TrimSpace(name)
		key := strings.ToLower(name)
		col := column{name: name}
		if name != "" && !seen[key] {
			seen[key] = true
			col.set = setters[key]
		} else if seen[key] {
			col.name = "" // a repeated name: the first column wins
		}
		rd.columns = append(rd.columns, col)
	}
	var missing []string
	for _, req := range RequiredColumns {
		if !seen[req] {
			missing = append(missing, req)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s (header has %d columns)", ErrMissingColumns, strings.Join(missing, ", "), len(rd.columns))
	}
	return rd, nil
}

// Columns returns the header's column names as sent (trimmed), in order; "" stands for an
// empty header cell and for a repeated name after its first column.
func (r *Reader) Columns() []string {
	out := make([]string, 0, len(r.columns))
	for _, c := range r.columns {
		out = append(out, c.name)
	}
	return out
}

// UntypedColumns returns the header's columns that have no typed field in Line, in order:
// known extras like url and cpf, and columns Amazon added since. They are in Line.Fields;
// a caller can log them once per document to notice new columns.
func (r *Reader) UntypedColumns() []string {
	var out []string
	for _, c := range r.columns {
		if c.name != "" && c.set == nil {
			out = append(out, c.name)
		}
	}
	return out
}

// Next returns the next data line, skipping blank lines. It returns io.EOF after the last
// line. Any other error is a failure to read the document (a download cut short, a line
// over MaxLineBytes); it repeats on every later call. A line with unusable cells is not
// an error: see Line.Missing and Line.Warnings.
func (r *Reader) Next() (Line, error) {
	if r.err != nil {
		return Line{}, r.err
	}
	for r.sc.Scan() {
		if r.sc.Err() != nil {
			// On a read error bufio.Scanner still hands out the bytes it had as a last
			// line: that is a line cut short (an item-price of 89.9 for 89.95), not data.
			break
		}
		r.lineNo++
		text := r.sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		return r.parse(text), nil
	}
	r.err = io.EOF
	if err := r.sc.Err(); err != nil {
		r.err = fmt.Errorf("orderreport: reading line %d: %w", r.lineNo+1, err)
	}
	return Line{}, r.err
}

// parse turns one data line into a Line.
func (r *Reader) parse(text string) Line {
	l := Line{LineNo: r.lineNo, Fields: make(map[string]string, len(r.columns))}
	extra := false
	i := 0
	for cell := range strings.SplitSeq(text, "\t") {
		if i >= len(r.columns) || r.columns[i].name == "" {
			extra = extra || strings.TrimSpace(cell) != ""
			i++
			continue
		}
		col := r.columns[i]
		i++
		l.Fields[col.name] = cell
		if col.set == nil {
			continue
		}
		if v := strings.TrimSpace(cell); v != "" && !col.set(&l, v) {
			l.Warnings = append(l.Warnings, spapi.DecodeWarning{Field: col.name, Problem: spapi.ProblemUndecodable})
		}
	}
	for ; i < len(r.columns); i++ { // a short row: the missing trailing cells are empty
		if name := r.columns[i].name; name != "" {
			l.Fields[name] = ""
		}
	}
	if extra {
		l.Warnings = append(l.Warnings, spapi.DecodeWarning{Field: ExtraCellsField, Problem: ProblemExtraCells})
	}
	if l.AmazonOrderID == "" {
		l.Missing = append(l.Missing, ColAmazonOrderID)
	}
	if l.PurchaseDate.IsZero() {
		l.Missing = append(l.Missing, ColPurchaseDate)
	}
	return l
}

// Complete reports whether the line has its required cells (Missing is empty).
func (l *Line) Complete() bool { return len(l.Missing) == 0 }
