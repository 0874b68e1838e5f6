package sim

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

// ReportLine is one line of an order report document: one order item,
// with its order's fields repeated on every item's line, as typed values.
// Which of them a document shows depends on its layout (ReportColumns);
// every layout shows the same values for the columns it has. Amounts are
// the decimal strings Amazon writes, empty where the document's cell is
// empty; times are in the zone the document writes them in (UTC, or
// Japan's +09:00 on Amazon.co.jp).
//
// The values are the ground truth's: AmazonOrderID, PurchaseDate,
// LastUpdatedDate, SalesChannel, ShipServiceLevel (v0's
// ShipmentServiceLevelCategory), IsBusinessOrder, IsReplacementOrder and the
// ship-to city, state, postal code and country are the v0 order's;
// ProductName, SKU, ASIN and Quantity (QuantityOrdered) the item's;
// ItemPrice is v0's ItemPrice (the line total, not the unit price), ItemTax
// v0's ItemTax, ItemPromotionDiscount v0's PromotionDiscount negated, all
// empty while the item has no price (Pending orders: "for self-fulfilled
// orders, item price is not shown for orders in a 'pending' state").
// MerchantOrderID is SellerOrderId, PromotionIDs the 2026 promotion id of a
// discounted item, PurchaseOrderNumber the 2026 buyer's purchase order
// number of a business order. OrderStatus, ItemStatus and
// FulfillmentChannel use the report's vocabulary (ReportOrderStatus;
// Amazon and Merchant for AFN and MFN).
type ReportLine struct {
	AmazonOrderID         string
	MerchantOrderID       string
	PurchaseDate          time.Time
	LastUpdatedDate       time.Time
	OrderStatus           string
	FulfillmentChannel    string
	SalesChannel          string
	OrderChannel          string
	URL                   string
	ShipServiceLevel      string
	ProductName           string
	SKU                   string
	ASIN                  string
	ItemStatus            string
	Quantity              int
	Currency              string
	ItemPrice             string
	ItemTax               string
	ShippingPrice         string
	ShippingTax           string
	GiftWrapPrice         string
	GiftWrapTax           string
	ItemPromotionDiscount string
	ShipPromotionDiscount string
	ShipCity              string
	ShipState             string
	ShipPostalCode        string
	ShipCountry           string
	PromotionIDs          string
	IsBusinessOrder       bool
	PurchaseOrderNumber   string
	PriceDesignation      string
	CPF                   string
	ShipPromotionID       string
	CustomizedURL         string
	CustomizedPage        string
	IsHeavyOrBulky        bool
	IsReplacementOrder    bool
}

// ReportOrderStatus maps a v0 OrderStatus to the order-status an order
// report writes: British "Cancelled", and "Shipping" for an order part of
// which has shipped (a value seen in real all-orders files; Amazon does
// not document the vocabulary). Items are "Shipped", "Unshipped" or
// "Cancelled".
var ReportOrderStatus = map[string]string{
	"Pending":          "Pending",
	"Unshipped":        "Unshipped",
	"PartiallyShipped": "Shipping",
	"Shipped":          "Shipped",
	"Canceled":         "Cancelled",
}

// Column layouts of order report documents. Amazon's headers differ
// between accounts, report types and years (29 to 34 columns in the files
// and fixtures in spapi-next-facts.md, "Columns"), so an importer must
// read columns by header name; the simulator varies them the same way.
const (
	// ReportLayoutStandard is the documented layout: 32 columns, url
	// after order-channel, ending with price-designation, and cpf after
	// it on BY_ORDER_DATE reports.
	ReportLayoutStandard = "standard"
	// ReportLayoutLegacy is the older 29-column layout, ending with
	// promotion-ids (CaponicaAmazonMwsComplete's
	// ReportTrackingByOrderDateFlatFile): no is-business-order,
	// purchase-order-number, price-designation or cpf.
	ReportLayoutLegacy = "legacy"
	// ReportLayoutExtended adds the newer columns in the order of
	// Airbyte's fixture: ship-promotion-id after ship-country, and
	// customized-url, customized-page, is-heavy-or-bulky and
	// is-replacement-order after price-designation (then cpf).
	ReportLayoutExtended = "extended"
	// ReportLayoutTrimmed is the standard layout without the optional
	// order-channel and price-designation columns.
	ReportLayoutTrimmed = "trimmed"
)

// ReportLayouts lists the layouts a report may get.
var ReportLayouts = []string{ReportLayoutStandard, ReportLayoutLegacy, ReportLayoutExtended, ReportLayoutTrimmed}

var reportColumnsLegacy = []string{
	"amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
	"fulfillment-channel", "sales-channel", "order-channel", "url", "ship-service-level",
	"product-name", "sku", "asin", "item-status", "quantity", "currency", "item-price", "item-tax",
	"shipping-price", "shipping-tax", "gift-wrap-price", "gift-wrap-tax", "item-promotion-discount",
	"ship-promotion-discount", "ship-city", "ship-state", "ship-postal-code", "ship-country", "promotion-ids",
}

// ReportLayoutColumns returns the header of a report type's document in a
// layout, or nil for an unknown type or layout.
func ReportLayoutColumns(reportType, layout string) []string {
	if !slices.Contains(ReportTypes, reportType) {
		return nil
	}
	cpf := func(cols []string) []string {
		if reportType == ReportOrdersByOrderDate {
			return append(cols, "cpf")
		}
		return cols
	}
	business := []string{"is-business-order", "purchase-order-number", "price-designation"}
	switch layout {
	case ReportLayoutLegacy:
		return slices.Clone(reportColumnsLegacy)
	case ReportLayoutStandard:
		return cpf(append(slices.Clone(reportColumnsLegacy), business...))
	case ReportLayoutTrimmed:
		cols := append(slices.Clone(reportColumnsLegacy), business...)
		cols = slices.DeleteFunc(cols, func(c string) bool { return c == "order-channel" || c == "price-designation" })
		return cpf(cols)
	case ReportLayoutExtended:
		cols := slices.Clone(reportColumnsLegacy)
		at := slices.Index(cols, "ship-country") + 1
		cols = slices.Insert(cols, at, "ship-promotion-id")
		cols = append(cols, business...)
		cols = append(cols, "customized-url", "customized-page", "is-heavy-or-bulky", "is-replacement-order")
		return cpf(cols)
	}
	return nil
}

// reportCell renders one column of a line.
var reportCell = map[string]func(l *ReportLine) string{
	"amazon-order-id":         func(l *ReportLine) string { return l.AmazonOrderID },
	"merchant-order-id":       func(l *ReportLine) string { return l.MerchantOrderID },
	"purchase-date":           func(l *ReportLine) string { return l.PurchaseDate.Format(reportTimeLayout) },
	"last-updated-date":       func(l *ReportLine) string { return l.LastUpdatedDate.Format(reportTimeLayout) },
	"order-status":            func(l *ReportLine) string { return l.OrderStatus },
	"fulfillment-channel":     func(l *ReportLine) string { return l.FulfillmentChannel },
	"sales-channel":           func(l *ReportLine) string { return l.SalesChannel },
	"order-channel":           func(l *ReportLine) string { return l.OrderChannel },
	"url":                     func(l *ReportLine) string { return l.URL },
	"ship-service-level":      func(l *ReportLine) string { return l.ShipServiceLevel },
	"product-name":            func(l *ReportLine) string { return l.ProductName },
	"sku":                     func(l *ReportLine) string { return l.SKU },
	"asin":                    func(l *ReportLine) string { return l.ASIN },
	"item-status":             func(l *ReportLine) string { return l.ItemStatus },
	"quantity":                func(l *ReportLine) string { return strconv.Itoa(l.Quantity) },
	"currency":                func(l *ReportLine) string { return l.Currency },
	"item-price":              func(l *ReportLine) string { return l.ItemPrice },
	"item-tax":                func(l *ReportLine) string { return l.ItemTax },
	"shipping-price":          func(l *ReportLine) string { return l.ShippingPrice },
	"shipping-tax":            func(l *ReportLine) string { return l.ShippingTax },
	"gift-wrap-price":         func(l *ReportLine) string { return l.GiftWrapPrice },
	"gift-wrap-tax":           func(l *ReportLine) string { return l.GiftWrapTax },
	"item-promotion-discount": func(l *ReportLine) string { return l.ItemPromotionDiscount },
	"ship-promotion-discount": func(l *ReportLine) string { return l.ShipPromotionDiscount },
	"ship-city":               func(l *ReportLine) string { return l.ShipCity },
	"ship-state":              func(l *ReportLine) string { return l.ShipState },
	"ship-postal-code":        func(l *ReportLine) string { return l.ShipPostalCode },
	"ship-country":            func(l *ReportLine) string { return l.ShipCountry },
	"promotion-ids":           func(l *ReportLine) string { return l.PromotionIDs },
	"is-business-order":       func(l *ReportLine) string { return strconv.FormatBool(l.IsBusinessOrder) },
	"purchase-order-number":   func(l *ReportLine) string { return l.PurchaseOrderNumber },
	"price-designation":       func(l *ReportLine) string { return l.PriceDesignation },
	"cpf":                     func(l *ReportLine) string { return l.CPF },
	"ship-promotion-id":       func(l *ReportLine) string { return l.ShipPromotionID },
	"customized-url":          func(l *ReportLine) string { return l.CustomizedURL },
	"customized-page":         func(l *ReportLine) string { return l.CustomizedPage },
	"is-heavy-or-bulky":       func(l *ReportLine) string { return strconv.FormatBool(l.IsHeavyOrBulky) },
	"is-replacement-order":    func(l *ReportLine) string { return strconv.FormatBool(l.IsReplacementOrder) },
}

// japanTime is the zone Amazon.co.jp's reports write dates in
// (2017-06-05T06:57:28+09:00 in the FBA shipments sample).
var japanTime = time.FixedZone("JST", 9*60*60)

// jpReportHistory is how far back JP order reports reach: "Order reports
// only support orders less than 2 years old. The exceptions are JP, AU and
// SG, which cover 2016 onward."
var jpReportHistory = time.Date(2016, 1, 1, 0, 0, 0, 0, japanTime).Unix()

// shareHeavyOrBulky is the share of products flagged is-heavy-or-bulky.
const shareHeavyOrBulky = 0.05

// orderReportLines returns the lines of an order report of reportType
// over [from, to] (data-clock seconds, both inclusive) for markets, as of
// snap, in date, order id and item order: BY_ORDER_DATE takes the orders
// purchased in the window, BY_LAST_UPDATE those whose last update at snap
// lies in it. Orders purchased two years or more before snap are left out
// (archived; JP keeps everything from 2016 on).
func (d *accountData) orderReportLines(reportType string, from, to, snap int64, markets []string) []ReportLine {
	if to < from {
		return nil
	}
	kind := byCreated
	if reportType == ReportOrdersByLastUpdate {
		kind = byUpdated
	}
	archived := unix(snap).AddDate(-2, 0, 0).Unix()
	set := d.orders
	var out []ReportLine
	set.tl.scan(kind, from, to+1, snap, nil, func(i int, _ int64) bool {
		m := set.market[i]
		if !slices.Contains(markets, m) {
			return true
		}
		times, _ := set.tl.events(i)
		if (m == MarketplaceJP && times[0] < jpReportHistory) || (m != MarketplaceJP && times[0] <= archived) {
			return true
		}
		out = append(out, d.reportLinesOf(i, set.tl.applied(i, snap))...)
		return true
	})
	return out
}

// reportLinesOf renders order i after n events as report lines, one per
// item, from the same renderings getOrders, getOrderItems and searchOrders
// use.
func (d *accountData) reportLinesOf(i, n int) []ReportLine {
	items := d.orderItems(i, n)
	o := d.renderOrderWith(i, n, items)
	o26 := d.renderOrder2026(i, n)
	x := d.orderExtras2026(i)
	zone := time.UTC
	if o.MarketplaceID == MarketplaceJP {
		zone = japanTime
	}
	channel := "Merchant"
	if o.FulfillmentChannel == "AFN" {
		channel = "Amazon"
	}
	out := make([]ReportLine, len(items))
	for k, it := range items {
		l := ReportLine{
			AmazonOrderID:      o.AmazonOrderID,
			MerchantOrderID:    o.SellerOrderID,
			PurchaseDate:       o.PurchaseDate.In(zone),
			LastUpdatedDate:    o.LastUpdateDate.In(zone),
			OrderStatus:        ReportOrderStatus[o.OrderStatus],
			FulfillmentChannel: channel,
			SalesChannel:       o.SalesChannel,
			ShipServiceLevel:   o.ShipmentServiceLevelCategory,
			ProductName:        it.Title,
			SKU:                it.SellerSKU,
			ASIN:               it.ASIN,
			Quantity:           it.QuantityOrdered,
			IsBusinessOrder:    o.IsBusinessOrder,
			IsReplacementOrder: o.IsReplacementOrder,
			IsHeavyOrBulky:     d.quirk("is-heavy-or-bulky", it.ASIN) < shareHeavyOrBulky,
		}
		switch {
		case o.OrderStatus == "Canceled":
			l.ItemStatus = "Cancelled"
		case it.QuantityShipped >= it.QuantityOrdered:
			l.ItemStatus = "Shipped"
		default:
			l.ItemStatus = "Unshipped"
		}
		if it.ItemPrice != nil {
			l.Currency = it.ItemPrice.CurrencyCode
			l.ItemPrice = it.ItemPrice.Amount
			l.ItemTax = it.ItemTax.Amount
			// A discount reduces what the buyer pays, and Amazon's flat
			// files write it negative (-3.85 in the FBA shipments
			// sample of spapi-next-facts.md).
			l.ItemPromotionDiscount = money(-parseCents(it.PromotionDiscount.Amount))
		}
		if p := o26.OrderItems[k].Promotion; p != nil && len(p.Breakdowns) > 0 {
			l.PromotionIDs = p.Breakdowns[0].PromotionID
		}
		if a := o.ShippingAddress; a != nil {
			l.ShipCity, l.ShipState, l.ShipPostalCode, l.ShipCountry = a.City, a.StateOrRegion, a.PostalCode, a.CountryCode
		}
		if o.IsBusinessOrder {
			l.PurchaseOrderNumber = x.po
			l.PriceDesignation = "BusinessPrice"
		}
		out[k] = l
	}
	return out
}

// charsetUTF8 is the charset of every document but Amazon.co.jp's, which
// are in code page 932, named by Options.ReportCharsetJP.
const charsetUTF8 = "UTF-8"

// reportDoc is a rendered document, kept from completion until retention
// ends.
type reportDoc struct {
	gz      []byte // what the URL serves
	size    int    // uncompressed bytes
	charset string
	columns []string
	crlf    bool
	etag    string
	lines   int
}

// reportLayoutOf picks the layout of a report: the pinned one, or one
// fixed by the seed, the account and the report id.
func (s *Sim) reportLayoutOf(account, reportID string) string {
	if s.opts.ReportLayout != "" {
		return s.opts.ReportLayout
	}
	return ReportLayouts[hash64(s.opts.Seed, "report-layout", account, reportID)%uint64(len(ReportLayouts))]
}

// reportCRLF picks the line ending of a report the same way.
func (s *Sim) reportCRLF(account, reportID string) bool {
	switch s.opts.ReportLineEnding {
	case "\n":
		return false
	case "\r\n":
		return true
	}
	return hash64(s.opts.Seed, "report-crlf", account, reportID)&1 == 1
}

// shuffleReport puts lines in the report's own order when
// Options.ShuffleReportLines asks for it.
func (s *Sim) shuffleReport(account, reportID string, lines []ReportLine) {
	if !s.opts.ShuffleReportLines {
		return
	}
	r := newRand(hash64(s.opts.Seed, "report-shuffle", account), "lines", 0)
	r = newRand(splitmix(r.Uint64()^hash64(0, reportID)), "lines", 0)
	r.Shuffle(len(lines), func(a, b int) { lines[a], lines[b] = lines[b], lines[a] })
}

// renderReportDoc writes a report's lines as Amazon does: a header, one
// tab-separated line per item with every column (trailing empty cells
// included), the report's line ending after every line, encoded in CP932
// for Amazon.co.jp and UTF-8 otherwise, and gzip-compressed. The same
// report renders to the same bytes on every run.
func (s *Sim) renderReportDoc(d *accountData, r *simReport, lines []ReportLine) *reportDoc {
	id := r.rep.ReportID
	doc := &reportDoc{
		columns: ReportLayoutColumns(r.rep.ReportType, s.reportLayoutOf(d.acct.ID, id)),
		crlf:    s.reportCRLF(d.acct.ID, id),
		charset: charsetUTF8,
		lines:   len(lines),
	}
	cp932 := slices.Contains(r.rep.MarketplaceIDs, MarketplaceJP)
	if cp932 {
		doc.charset = s.opts.ReportCharsetJP
	}
	s.shuffleReport(d.acct.ID, id, lines)
	eol := "\n"
	if doc.crlf {
		eol = "\r\n"
	}
	var text strings.Builder
	text.WriteString(strings.Join(doc.columns, "\t"))
	text.WriteString(eol)
	cells := make([]string, len(doc.columns))
	for k := range lines {
		for c, name := range doc.columns {
			cells[c] = reportCell[name](&lines[k])
		}
		text.WriteString(strings.Join(cells, "\t"))
		text.WriteString(eol)
	}
	raw := []byte(text.String())
	if cp932 {
		// Characters CP932 lacks would become '?', as a Windows encoder
		// does; the dataset's Japanese text has none.
		enc := encoding.ReplaceUnsupported(japanese.ShiftJIS.NewEncoder())
		if b, err := enc.Bytes(raw); err == nil {
			raw = b
		}
	}
	doc.size = len(raw)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz) // no name and no time in the header: same bytes every run
	_, _ = w.Write(raw)
	_ = w.Close()
	doc.gz = gz.Bytes()
	sum := md5.Sum(doc.gz)
	doc.etag = `"` + hex.EncodeToString(sum[:]) + `"`
	return doc
}
