package orderreport_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spsync/spsync/internal/spapi/orderreport"
)

// Example reads a small order report: a shipped order with a cancelled item, a pending
// merchant order without a price yet, and a row without an order id to set aside. In
// spsync the reader would read from spapi.Client.DownloadReportDocument.
func Example() {
	doc := "amazon-order-id\tpurchase-date\torder-status\tfulfillment-channel\tsku\titem-status\tquantity\tcurrency\titem-price\tcpf\n" +
		"171-0000001-0000001\t2026-10-01T08:04:21+00:00\tShipped\tAmazon\tMUG-1\tCancelled\t1\tEUR\t89.95\t\n" +
		"171-0000002-0000002\t2026-10-01T09:00:00+00:00\tPending\tMerchant\tMUG-2\tUnshipped\t1\t\t\t\n" +
		"\t2026-10-01T10:00:00+00:00\tShipped\tAmazon\tMUG-3\tShipped\t1\tEUR\t5.00\t\n"
	r, err := orderreport.NewReader(strings.NewReader(doc))
	if err != nil {
		panic(err)
	}
	fmt.Println("untyped columns:", r.UntypedColumns())
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			panic(err) // the download failed: retry the document later
		}
		if !l.Complete() {
			fmt.Printf("line %d: set aside, missing %v\n", l.LineNo, l.Missing)
			continue
		}
		price := "no price yet"
		if l.ItemPrice != nil {
			price = l.ItemPrice.String() + " " + l.Currency
		}
		fmt.Printf("line %d: %s %s/%s %s %s (%s)\n", l.LineNo, l.AmazonOrderID, l.OrderStatus, l.ItemStatus,
			l.FulfillmentChannel, l.SKU, price)
	}
	// Output:
	// untyped columns: [cpf]
	// line 1: 171-0000001-0000001 Shipped/Cancelled Amazon MUG-1 (89.95 EUR)
	// line 2: 171-0000002-0000002 Pending/Unshipped Merchant MUG-2 (no price yet)
	// line 3: set aside, missing [amazon-order-id]
}
