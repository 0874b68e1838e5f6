package orderreport_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/spapi/orderreport"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// readAll reads every line of doc.
func readAll(t *testing.T, doc []byte) (*orderreport.Reader, []orderreport.Line) {
	t.Helper()
	return readFrom(t, bytes.NewReader(doc))
}

// readFrom reads every line of a document streamed by src.
func readFrom(t *testing.T, src io.Reader) (*orderreport.Reader, []orderreport.Line) {
	t.Helper()
	r, err := orderreport.NewReader(src)
	require.NoError(t, err)
	var lines []orderreport.Line
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		lines = append(lines, l)
	}
	_, err = r.Next()
	require.ErrorIs(t, err, io.EOF, "EOF sticks")
	return r, lines
}

// typed returns l without Fields, to compare the typed fields as a whole.
func typed(l orderreport.Line) orderreport.Line {
	l.Fields = nil
	return l
}

func dec(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

func ptr[T any](v T) *T { return &v }

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNewReader(t *testing.T) {
	t.Parallel()

	t.Run("UntypedColumnsOfEachLayout", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			file    string
			columns int
			untyped []string
		}{
			{"by_last_update_32.tsv", 32, []string{"url"}},
			{"by_order_date_cpf.tsv", 33, []string{"url", "cpf"}},
			{"archived_34.tsv", 34, []string{"url", "ship-promotion-id", "customized-url", "customized-page", "is-heavy-or-bulky"}},
			{"reordered_missing_optional.tsv", 33, []string{"number-of-items", "tax-collection-model", "tax-collection-responsible-party", "address-type"}},
		}
		for _, tt := range tests {
			r, err := orderreport.NewReader(bytes.NewReader(readFixture(t, tt.file)))
			require.NoError(t, err, tt.file)
			require.Len(t, r.Columns(), tt.columns, tt.file)
			require.Equal(t, tt.untyped, r.UntypedColumns(), tt.file)
		}
	})

	t.Run("HeaderWithoutRequiredColumnsNamesThem", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name, header, want string
		}{
			{"Both", "sku\tasin\tquantity\n", "amazon-order-id, purchase-date"},
			{"PurchaseDate", "amazon-order-id\tlast-updated-date\n", "purchase-date"},
			{"OrderID", "order-id\tpurchase-date\n", "amazon-order-id"},
		}
		for _, tt := range tests {
			_, err := orderreport.NewReader(strings.NewReader(tt.header))
			require.ErrorIs(t, err, orderreport.ErrMissingColumns, tt.name)
			require.ErrorContains(t, err, tt.want, tt.name)
		}
	})

	t.Run("HeaderNamesAreTrimmedAndMatchedIgnoringCase", func(t *testing.T) {
		t.Parallel()
		r, err := orderreport.NewReader(strings.NewReader(" Amazon-Order-ID \tPURCHASE-DATE\r\n1\t2026-01-01T00:00:00+00:00\r\n"))
		require.NoError(t, err)
		l, err := r.Next()
		require.NoError(t, err)
		require.Equal(t, "1", l.AmazonOrderID)
		require.Equal(t, map[string]string{"Amazon-Order-ID": "1", "PURCHASE-DATE": "2026-01-01T00:00:00+00:00"}, l.Fields)
	})

	t.Run("EmptyDocumentHasNoHeader", func(t *testing.T) {
		t.Parallel()
		_, err := orderreport.NewReader(strings.NewReader(""))
		require.ErrorIs(t, err, orderreport.ErrNoHeader)
	})

	t.Run("CompressedBytesAreNotAReport", func(t *testing.T) {
		t.Parallel()
		_, err := orderreport.NewReader(bytes.NewReader([]byte{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, '\t', 0x03}))
		require.ErrorIs(t, err, orderreport.ErrMissingColumns)
	})
}

func TestReadByLastUpdate32(t *testing.T) {
	t.Parallel()

	r, lines := readAll(t, readFixture(t, "by_last_update_32.tsv"))
	require.Len(t, lines, 4)

	t.Run("RealScrubbedRow", func(t *testing.T) {
		t.Parallel()
		l := lines[0]
		require.Equal(t, orderreport.Line{
			LineNo:             1,
			AmazonOrderID:      "scrubbed",
			MerchantOrderID:    "scrubbed",
			PurchaseDate:       ts("2017-06-17T08:04:21Z"),
			LastUpdatedDate:    ptr(ts("2017-06-18T22:07:59Z")),
			OrderStatus:        "Shipped",
			FulfillmentChannel: "Amazon",
			SalesChannel:       "Amazon.it",
			ShipServiceLevel:   "SecondDay",
			ProductName:        "scrubbed",
			SKU:                "scrubbed",
			ASIN:               "scrubbed",
			ItemStatus:         "Cancelled",
			Quantity:           ptr(1),
			Currency:           "EUR",
			ItemPrice:          dec("89.95"),
			ShipCity:           "TOWNNAME",
			ShipState:          "GA",
			ShipPostalCode:     "30041-8435",
			ShipCountry:        "US",
			IsBusinessOrder:    ptr(false),
		}, typed(l), "empty cells leave amounts nil, never 0")
		require.Len(t, l.Fields, 32, "every column, trailing empty ones included")
		require.Equal(t, r.Columns(), sortedKeysInHeaderOrder(r.Columns(), l.Fields))
		require.Equal(t, "", l.Fields["price-designation"])
		require.Equal(t, "89.95", l.Fields["item-price"])
		require.True(t, l.Complete())
	})

	t.Run("TwoItemsOfOneOrderRepeatTheOrderFields", func(t *testing.T) {
		t.Parallel()
		a, b := lines[1], lines[2]
		require.Equal(t, []int{2, 3}, []int{a.LineNo, b.LineNo})
		require.Equal(t, a.AmazonOrderID, b.AmazonOrderID)
		require.Equal(t, a.PurchaseDate, b.PurchaseDate)
		require.Equal(t, []string{"WB-750-SS", "BR-01"}, []string{a.SKU, b.SKU})
		require.Equal(t, ptr(2), a.Quantity)
		require.Equal(t, dec("39.98"), a.ItemPrice)
		require.Equal(t, dec("-4.00"), a.ItemPromotionDiscount)
		require.Equal(t, dec("-5.99"), a.ShipPromotionDiscount)
		require.Equal(t, dec("0.00"), a.GiftWrapPrice, "0.00 sent is zero, not absent")
		require.Equal(t, []string{"Free Shipping 2026", "BOGO-TEST-123"}, a.PromotionIDs)
		require.Nil(t, b.PromotionIDs)
		require.Equal(t, ptr(true), a.IsBusinessOrder)
		require.Equal(t, "PO-4471", a.PurchaseOrderNumber)
		require.Equal(t, "BusinessPrice", a.PriceDesignation)
		require.Equal(t, "Amazon", a.FulfillmentChannel)
		require.Equal(t, "Amazon.com", a.SalesChannel)
		require.Empty(t, a.Warnings)
	})

	t.Run("PendingMerchantItemHasNoPrice", func(t *testing.T) {
		t.Parallel()
		l := lines[3]
		require.Equal(t, "Pending", l.OrderStatus)
		require.Equal(t, "Unshipped", l.ItemStatus)
		require.Equal(t, "Merchant", l.FulfillmentChannel)
		require.Equal(t, "M-2026-0042", l.MerchantOrderID)
		require.Equal(t, "", l.Currency)
		for name, amount := range map[string]*decimal.Decimal{
			"item-price": l.ItemPrice, "item-tax": l.ItemTax, "shipping-price": l.ShippingPrice, "shipping-tax": l.ShippingTax,
			"gift-wrap-price": l.GiftWrapPrice, "gift-wrap-tax": l.GiftWrapTax,
			"item-promotion-discount": l.ItemPromotionDiscount, "ship-promotion-discount": l.ShipPromotionDiscount,
		} {
			require.Nil(t, amount, name)
		}
		require.Empty(t, l.Warnings)
		require.True(t, l.Complete())
	})
}

// sortedKeysInHeaderOrder returns the columns that fields has, in header order.
func sortedKeysInHeaderOrder(columns []string, fields map[string]string) []string {
	var out []string
	for _, c := range columns {
		if _, ok := fields[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

func TestLineEndingsAndBOMDoNotChangeLines(t *testing.T) {
	t.Parallel()

	lf := readFixture(t, "by_last_update_32.tsv")
	_, want := readAll(t, lf)
	crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
	tests := []struct {
		name string
		doc  []byte
	}{
		{"CRLF", crlf},
		{"BOMAndLF", append([]byte("\uFEFF"), lf...)},
		{"BOMAndCRLF", append([]byte("\uFEFF"), crlf...)},
		{"NoFinalNewline", bytes.TrimSuffix(lf, []byte("\n"))},
		{"CRLFWithoutFinalNewline", bytes.TrimSuffix(crlf, []byte("\r\n"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, got := readAll(t, tt.doc)
			require.Equal(t, want, got)
		})
	}

	t.Run("BlankLinesAreSkippedButCounted", func(t *testing.T) {
		t.Parallel()
		doc := bytes.Replace(crlf, []byte("\r\n"), []byte("\r\n\r\n \t\r\n"), 2) // two blank lines after the header and the real row
		_, got := readAll(t, doc)
		require.Len(t, got, 4)
		require.Equal(t, []int{3, 6, 7, 8}, []int{got[0].LineNo, got[1].LineNo, got[2].LineNo, got[3].LineNo})
	})
}

func TestReadByOrderDateWithCPF(t *testing.T) {
	t.Parallel()

	r, lines := readAll(t, readFixture(t, "by_order_date_cpf.tsv"))
	require.Equal(t, "amazon-order-id", r.Columns()[0], "the BOM is not part of the first name")
	require.Len(t, lines, 2, "the blank last line is skipped")
	l := lines[0]
	require.Equal(t, "701-0000003-0000003", l.AmazonOrderID)
	require.Equal(t, "Café Torrado e Moído 500g", l.ProductName)
	require.Equal(t, "São Paulo", l.ShipCity)
	require.Equal(t, "Amazon.com.br", l.SalesChannel)
	require.Equal(t, "BRL", l.Currency)
	require.Equal(t, dec("59.70"), l.ItemPrice)
	require.Equal(t, "000.000.000-00", l.Fields["cpf"], "the last cell carries no CR")
	require.Equal(t, "", lines[1].Fields["cpf"])
	require.Empty(t, l.Warnings)
}

func TestReadArchived34(t *testing.T) {
	t.Parallel()

	_, lines := readAll(t, readFixture(t, "archived_34.tsv"))
	require.Len(t, lines, 2)
	a, b := lines[0], lines[1]
	require.Equal(t, ptr(false), a.IsReplacementOrder)
	require.Equal(t, ptr(true), b.IsReplacementOrder)
	require.Equal(t, "UK Core Free Shipping", a.Fields["ship-promotion-id"])
	require.Equal(t, "false", a.Fields["is-heavy-or-bulky"])
	require.Equal(t, "GB", a.ShipCountry)
	require.Equal(t, "", a.ShipCity, "the archived layout has no ship-city")
	_, has := a.Fields["ship-city"]
	require.False(t, has, "Fields holds the document's columns only")
	require.Len(t, a.Fields, 34)
	require.Equal(t, dec("0.00"), b.ItemPrice)
	require.Empty(t, a.Warnings)
	require.Empty(t, b.Warnings)
}

func TestReadReorderedColumnsAndOddRows(t *testing.T) {
	t.Parallel()

	_, lines := readAll(t, readFixture(t, "reordered_missing_optional.tsv"))
	require.Len(t, lines, 6)

	t.Run("ColumnsAreReadByName", func(t *testing.T) {
		t.Parallel()
		l := lines[0]
		require.Equal(t, "TASSE-01", l.SKU)
		require.Equal(t, "303-0000007-0000007", l.AmazonOrderID)
		require.Equal(t, ts("2026-10-10T10:10:10Z"), l.PurchaseDate)
		require.Equal(t, dec("12.50"), l.ItemPrice)
		require.Equal(t, "", l.OrderChannel)
		require.Equal(t, "", l.PriceDesignation)
		_, has := l.Fields["order-channel"]
		require.False(t, has)
		require.Equal(t, "MarketplaceFacilitator", l.Fields["tax-collection-model"])
		require.Equal(t, "1", l.Fields["number-of-items"])
		require.Len(t, l.Fields, 32, "the empty trailing header cell is not a column")
		require.Empty(t, l.Warnings)
	})

	t.Run("UndecodableCellsAreWarningsAndStayEmpty", func(t *testing.T) {
		t.Parallel()
		l := lines[1]
		require.Equal(t, []spapi.DecodeWarning{
			{Field: "last-updated-date", Problem: spapi.ProblemUndecodable},
			{Field: "quantity", Problem: spapi.ProblemUndecodable},
			{Field: "item-price", Problem: spapi.ProblemUndecodable},
			{Field: "is-business-order", Problem: spapi.ProblemUndecodable},
		}, l.Warnings)
		require.Nil(t, l.LastUpdatedDate)
		require.Nil(t, l.Quantity)
		require.Nil(t, l.ItemPrice)
		require.Nil(t, l.IsBusinessOrder)
		require.Equal(t, "12,50", l.Fields["item-price"], "the cell as sent")
		require.Equal(t, dec("2.00"), l.ItemTax, "the rest of the line is read")
		require.True(t, l.Complete())
	})

	t.Run("RowWithoutOrderIDIsMarkedNotFatal", func(t *testing.T) {
		t.Parallel()
		l := lines[2]
		require.Equal(t, []string{"amazon-order-id"}, l.Missing)
		require.False(t, l.Complete())
		require.Equal(t, "TASSE-03", l.SKU)
		require.Equal(t, dec("3.00"), l.ItemPrice)
		require.Equal(t, 3, l.LineNo)
	})

	t.Run("QuotesAreLiteralAndShortRowsPadWithEmptyCells", func(t *testing.T) {
		t.Parallel()
		l := lines[3]
		require.Equal(t, `"Deluxe" 12" Pan, "Non-Stick`, l.ProductName)
		require.Equal(t, "Köln", l.ShipCity)
		require.Equal(t, "DE", l.ShipCountry)
		require.Nil(t, l.IsBusinessOrder)
		require.Nil(t, l.PromotionIDs)
		v, has := l.Fields["address-type"]
		require.True(t, has)
		require.Equal(t, "", v)
		require.Len(t, l.Fields, 32)
		require.Empty(t, l.Warnings)
	})

	t.Run("CellsBeyondTheHeaderAreReported", func(t *testing.T) {
		t.Parallel()
		l := lines[4]
		require.Equal(t, []spapi.DecodeWarning{{Field: orderreport.ExtraCellsField, Problem: orderreport.ProblemExtraCells}}, l.Warnings)
		require.Equal(t, "303-0000010-0000010", l.AmazonOrderID)
		require.NotContains(t, l.Fields, "")
	})

	t.Run("UnparsablePurchaseDateIsMissing", func(t *testing.T) {
		t.Parallel()
		l := lines[5]
		require.Equal(t, []string{"purchase-date"}, l.Missing)
		require.Equal(t, []spapi.DecodeWarning{{Field: "purchase-date", Problem: spapi.ProblemUndecodable}}, l.Warnings)
		require.True(t, l.PurchaseDate.IsZero())
	})
}

func TestTimestampSpellings(t *testing.T) {
	t.Parallel()

	tests := []struct {
		cell string
		want time.Time
	}{
		{"2026-10-02T14:03:11+00:00", ts("2026-10-02T14:03:11Z")},
		{"2026-10-02T14:03:11Z", ts("2026-10-02T14:03:11Z")},
		{"2026-10-02T23:03:11+09:00", ts("2026-10-02T14:03:11Z")},
		{"2026-10-02T14:03:11.5+00:00", ts("2026-10-02T14:03:11.5Z")},
		{"2026-10-02T14:03:11+0000", ts("2026-10-02T14:03:11Z")},
		{"2026-10-02 14:03:11", ts("2026-10-02T14:03:11Z")},
		{"2026-10-02", ts("2026-10-02T00:00:00Z")},
	}
	for _, tt := range tests {
		r, err := orderreport.NewReader(strings.NewReader("amazon-order-id\tpurchase-date\n1\t" + tt.cell + "\n"))
		require.NoError(t, err)
		l, err := r.Next()
		require.NoError(t, err)
		require.True(t, tt.want.Equal(l.PurchaseDate), "%s: got %s", tt.cell, l.PurchaseDate)
		require.Empty(t, l.Missing, tt.cell)
	}
}

// failingReader yields data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadErrors(t *testing.T) {
	t.Parallel()

	t.Run("ADownloadCutShortStopsTheDocument", func(t *testing.T) {
		t.Parallel()
		cut := &spapi.Error{Op: "downloadReportDocument", Kind: spapi.KindRetryable, Err: io.ErrUnexpectedEOF}
		r, err := orderreport.NewReader(&failingReader{data: []byte("amazon-order-id\tpurchase-date\n1\t2026-01-01\n2\t2026-01-0"), err: cut})
		require.NoError(t, err)
		l, err := r.Next()
		require.NoError(t, err)
		require.Equal(t, "1", l.AmazonOrderID)
		_, err = r.Next()
		require.ErrorIs(t, err, spapi.ErrRetryable)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		require.ErrorContains(t, err, "line 2")
		_, again := r.Next()
		require.Equal(t, err, again)
	})

	t.Run("AnOverlongLineIsAnError", func(t *testing.T) {
		t.Parallel()
		doc := "amazon-order-id\tpurchase-date\n1\t" + strings.Repeat("x", orderreport.MaxLineBytes) + "\n"
		r, err := orderreport.NewReader(strings.NewReader(doc))
		require.NoError(t, err)
		_, err = r.Next()
		require.Error(t, err)
		require.NotErrorIs(t, err, io.EOF)
	})
}
