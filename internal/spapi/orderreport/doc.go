// Package orderreport reads Amazon's order tracking flat files,
// GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL and
// GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL (and the archived-orders variant),
// one line at a time, so that a document of any size is read in constant memory.
//
// The documents are tab-separated with a header row and one row per order item: the order's
// fields repeat on each of its rows, and there is no order-item-id (an item is known by
// amazon-order-id with sku or asin). Columns differ between reports and over time (29 to 34
// have been seen, and newer documents add ship-promotion-id, customized-url,
// is-replacement-order, number-of-items, tax-collection-model, …), so cells are read by
// header name, never by position; every cell is also kept as sent in Line.Fields, unknown
// columns included.
//
// The format is not CSV: nothing is quoted or escaped, a " is an ordinary character, and a
// cell cannot contain a tab or a line break. Lines may end in LF or CRLF, the document may
// start with a UTF-8 byte order mark, and rows may be shorter than the header (the missing
// trailing cells are empty) or carry empty trailing cells.
//
// The reader expects UTF-8; spapi.Client.DownloadReportDocument decodes Amazon's CP932 and
// CP1252 documents to UTF-8 on the way.
//
// A cell that does not parse (a quantity of "n/a") leaves its typed field nil and is
// reported in Line.Warnings; the line is kept. A line without amazon-order-id or with no
// usable purchase-date is returned with Line.Missing naming them, so the caller can set it
// aside and carry on with the document.
package orderreport
