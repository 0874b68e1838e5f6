package orderreport_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/spsync/spsync/internal/spapi/orderreport"
)

// benchDocument builds an order report of n lines in the 32-column layout: orders of one
// to three items, FBA and merchant, with prices, promotions and a few empty cells, like a
// busy seller's month.
func benchDocument(n int) []byte {
	var b bytes.Buffer
	b.WriteString("amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\t" +
		"sales-channel\torder-channel\turl\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\tcurrency\t" +
		"item-price\titem-tax\tshipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\titem-promotion-discount\t" +
		"ship-promotion-discount\tship-city\tship-state\tship-postal-code\tship-country\tpromotion-ids\tis-business-order\t" +
		"purchase-order-number\tprice-designation\n")
	order := 0
	for line := 0; line < n; {
		order++
		items := 1 + order%3
		channel, status, itemStatus := "Amazon", "Shipped", "Shipped"
		if order%4 == 0 {
			channel, status, itemStatus = "Merchant", "Unshipped", "Unshipped"
		}
		for item := 0; item < items && line < n; item++ {
			line++
			price, promo := fmt.Sprintf("%d.%02d", 5+order%90, order%100), "Free Shipping 2026"
			if order%10 == 0 {
				price, promo = "", "" // a pending merchant item: no price yet
			}
			fmt.Fprintf(&b, "112-%07d-%07d\t\t2026-10-%02dT%02d:%02d:11+00:00\t2026-10-%02dT%02d:%02d:40+00:00\t%s\t%s\tAmazon.com\t\t\t"+
				"Standard\tStainless Steel Water Bottle %d, 750 ml\tSKU-%05d\tB0%08d\t%s\t%d\tUSD\t%s\t0.54\t5.99\t0.00\t\t\t-1.00\t"+
				"-5.99\tSEATTLE\tWA\t98109-1234\tUS\t%s\tfalse\t\t\n",
				order/10000000, order%10000000, 1+order%28, order%24, order%60, 1+order%28, order%24, order%60,
				status, channel, item, order%50000+item, order%100000000, itemStatus, 1+item, price, promo)
		}
	}
	return b.Bytes()
}

// BenchmarkOrderReportReader reads a 100,000-line document; lines/s is the figure to
// watch (a 30-day report of a busy seller has some tens of thousands of lines).
func BenchmarkOrderReportReader(b *testing.B) {
	const lines = 100_000
	doc := benchDocument(lines)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	read := 0
	for b.Loop() {
		r, err := orderreport.NewReader(bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			l, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if len(l.Missing) > 0 || len(l.Warnings) > 0 {
				b.Fatalf("line %d: missing %v, warnings %v", l.LineNo, l.Missing, l.Warnings)
			}
			n++
		}
		if n != lines {
			b.Fatalf("read %d lines, want %d", n, lines)
		}
		read += n
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "lines/s")
}
