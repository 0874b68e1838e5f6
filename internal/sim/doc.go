// Package sim is a faithful simulator of the parts of Amazon's Selling
// Partner API that spsync syncs. Real Amazon is unreachable from test and
// demo machines, so every other part of the project is tested, demoed and
// benchmarked against it; `worker sim` serves it standalone.
//
// # What it serves
//
// A *Sim is an http.Handler. It answers the Login with Amazon token
// endpoint (POST /auth/o2/token: refresh_token, client_credentials and
// authorization_code grants), Seller Central's authorization pages under
// /sellercentral/{region}/ (see "Seller Central") and these operations with Amazon's paths, query parameters, JSON field names, error
// shapes and, by default, the JSON shapes Amazon really sends (see
// "Amazon's real shapes"):
//
//   - Orders v0: getOrders, getOrder, getOrderItems.
//   - Orders 2026-01-01, v0's successor: searchOrders and getOrder (keyed
//     getOrder2026 in plans and stats); see "Orders 2026-01-01".
//   - Fulfillment Outbound 2020-07-01: listAllFulfillmentOrders,
//     getFulfillmentOrder, getPackageTrackingDetails.
//   - Services v1: getServiceJobs, getServiceJobByServiceJobId.
//   - Reports 2021-06-30: createReport, getReports, getReport,
//     getReportDocument, for the two flat-file order reports, and the
//     document download they lead to; see "Reports".
//   - Finances 2024-06-19: listTransactions, the money side of the same
//     orders; see "Finances".
//   - Notifications v1: subscriptions and destinations, with the grantless
//     client_credentials token; see "Notifications".
//   - Application Management 2023-11-30: rotateApplicationClientSecret,
//     grantless; see "Credentials".
//
// Requests are validated like Amazon does. First, for every operation
// alike, against the constraints its model declares (required, type and
// date-time format, enum, minimum/maximum, minLength/maxLength, pattern,
// minItems/maxItems of query arrays and their elements, and the JSON body's
// members): modelrules_gen.go is generated from Amazon's models by `make
// generate-modelrules`, and a test fails when it is stale. getServiceJobs
// takes one marketplace, getSubscriptions one notification type, a
// sellerFulfillmentOrderId at most 40 characters. Then each operation's own
// rules, which the models state only in prose: getOrders needs
// MarketplaceIds and exactly one of CreatedAfter or LastUpdatedAfter, every
// date must lie at least two minutes before the request time on the data
// clock, MaxResultsPerPage is 1 to 100; a paging token comes with the same
// parameters; and so on. Violations answer 400 InvalidInput (with the API's
// message and, for a model rule, details naming the parameter and the
// model's keyword), unknown identifiers 404 NotFound, with
// {"errors":[{code, message, details}]} bodies. Every response carries
// x-amzn-RequestId; successful ones carry x-amzn-RateLimit-Limit.
//
// # Data that changes over a clock
//
// Each account's dataset (Options.Orders orders with 1 to 5 items,
// Options.FulfillmentOrders multi-channel orders with shipments and
// packages, Options.ServiceJobs service jobs with appointments) is
// generated from Options.Seed as a fixed timeline of events per entity,
// spread from Start-History to Start+Horizon. The data clock
// (Options.DataClock) decides which events have happened: an entity exists
// once its creation time has passed, orders go Pending → Unshipped →
// (PartiallyShipped →) Shipped or Canceled, fulfillment orders go New →
// Received → Planning → Processing → Complete with shipments and packages
// appearing as they ship, packages move through carrier scans to DELIVERED
// or back to the seller (which adds return items to their order), and
// service jobs are scheduled, sometimes rescheduled, then completed or
// cancelled. A ManualClock steps time in tests; an AcceleratedClock lets a
// demo watch days pass in minutes.
//
// Paging tokens (NextToken, nextToken, pageToken, paginationToken) are
// opaque, signed, tied to the account, operation and query, and expire
// after Options.PageTokenTTL (Options.PageTokenTTL2026 for searchOrders) on
// the limiter clock. A walk through pages sees the
// data as it stood at its first page, so every match is returned exactly
// once however the data clock moves meanwhile. getOrders windows are
// inclusive at both ends and the payload reports the end actually used
// (LastUpdatedBefore or CreatedBefore, by default two minutes before now).
//
// # Orders 2026-01-01
//
// Amazon removes Orders v0 on 2027-03-27; its successor serves
// GET /orders/2026-01-01/orders (searchOrders) and
// GET /orders/2026-01-01/orders/{orderId} (getOrder) from the same dataset
// (the model is ../shared/amazon-models/orders_2026-01-01.json). Both
// versions render the same orders at every instant: the 2026 order is built
// from v0's own rendering of the order and its items, and searchOrders scans
// the same timeline as getOrders, so a getOrders and a searchOrders for the
// same window at the same data-clock instant list the same orders, in the
// same order, with lastUpdatedTime equal to LastUpdateDate and createdTime
// to PurchaseDate, and report the same end of the window. The mapping:
//
//   - OrderStatus → fulfillment.fulfillmentStatus in UPPER_SNAKE case
//     (Canceled → CANCELLED, PartiallyShipped → PARTIALLY_SHIPPED);
//     FulfillmentChannel AFN/MFN → fulfilledBy AMAZON/MERCHANT;
//     ShipmentServiceLevelCategory → fulfillmentServiceLevel; the ship and
//     delivery dates → shipByWindow and deliverByWindow.
//   - IsPrime → programs PRIME, IsBusinessOrder → AMAZON_BUSINESS;
//     SellerOrderId → orderAliases SELLER_ORDER_ID; MarketplaceId and
//     SalesChannel → salesChannel {AMAZON, marketplaceId, marketplaceName}.
//   - Items inline, in getOrderItems order. ItemPrice is the line total, so
//     product.price.unitPrice is ItemPrice / QuantityOrdered; the item's
//     proceeds break down into ITEM = ItemPrice, TAX = ItemTax and, when
//     there is one, DISCOUNT = −PromotionDiscount (negative: proceedsTotal
//     is the sum of the breakdowns; Amazon has not documented the sign,
//     amzn/selling-partner-api-models#5297), with promotion.breakdowns
//     naming the promotion. quantityFulfilled is QuantityShipped,
//     quantityUnfulfilled QuantityOrdered − QuantityShipped (0 once
//     Canceled, the units while Pending, although v0's order then says
//     NumberOfItemsShipped 0 and NumberOfItemsUnshipped 0, as every Pending
//     order in Amazon's getOrders and getOrder examples does);
//     IsGift → fulfillment.packing.giftOption.
//   - proceeds exactly when v0 has an OrderTotal (never while Pending, as
//     v0's items carry no prices then): grandTotal is OrderTotal plus a
//     DELIVERY_TIP breakdown that about 8% of US orders carry (PENDING until
//     Shipped, then FINALIZED; gone if Canceled). v0's OrderTotal never
//     includes the tip, so the two totals differ by exactly it.
//   - recipient.deliveryAddress: v0's ShippingAddress plus the personal
//     parts v0 sends only with a Restricted Data Token (name, street,
//     phone on merchant-fulfilled orders); buyer.buyerEmail is the relay
//     address v0's BuyerInfo quirk shows, on merchant-fulfilled orders past
//     Pending.
//   - packages: one per shipping event of a merchant-fulfilled order
//     (PartiallyShipped, Shipped), holding what that event shipped, with
//     carrier, tracking number and the account's warehouse; v0 has none.
//
// What only 2026 shows (names, streets, phones, promotion ids,
// cancellation reasons, packages, tips) comes from random streams of its
// own, so no v0 value changed when it was added, and cannot be compared
// with v0. Package status stays SHIPPED: the dataset has no carrier scans
// for merchant-fulfilled orders, and a delivery without an order event would
// change the order while lastUpdatedTime stood still.
//
// includedData picks the datasets; without it an order carries orderId,
// orderAliases, createdTime, lastUpdatedTime, programs, salesChannel and
// orderItems[] with orderItemId, quantityOrdered and product {asin, title,
// sellerSku, condition, price}. BUYER adds buyer; RECIPIENT recipient;
// PROCEEDS proceeds and orderItems[].proceeds; PROMOTION
// orderItems[].promotion; CANCELLATION orderItems[].cancellation (Canceled
// orders); FULFILLMENT fulfillment and orderItems[].fulfillment; PACKAGES
// packages (shipped merchant-fulfilled orders); TAX orderItems[].tax (US
// items). EXPENSE, PAYMENT and FULFILLMENT_ORDERS are accepted and add
// nothing: points are Japanese, payment executions Brazilian or cash on
// delivery, fulfillment orders Easy Ship, and the dataset is a North
// American seller. Order2026.Only applies the same rule to ground truth.
//
// searchOrders enforces the model's rules with 400 InvalidInput, message
// "Invalid Input" as in searchOrders/5-400.json and details saying what was
// wrong: exactly one of createdAfter and lastUpdatedAfter, created and
// updated bounds never together, each Before at or after its After, every
// date at least two minutes before now on the data clock,
// maxResultsPerPage 1 to 100 (default 100), at most 50 marketplaceIds
// (optional: all the seller's by default), and only the model's
// fulfillmentStatuses, fulfilledBy and includedData values. Bodies have no
// payload envelope: {orders, pagination: {nextToken}, createdBefore |
// lastUpdatedBefore} and {order}; pagination is absent on the last page.
// A page after the first must repeat every parameter of the first request
// unchanged, compared as values (the same instant in another zone, or a
// list in another order, is unchanged); only maxResultsPerPage and
// includedData may differ. Anything else, and a token older than
// Options.PageTokenTTL2026 (24 hours by default, on the limiter clock),
// is 400 InvalidInput. v0's tokens keep Options.PageTokenTTL.
//
// Orders 2026-01-01 needs no Restricted Data Token, only roles
// (developer-docs "Access Orders PII"): RECIPIENT needs Direct-to-Consumer
// Shipping, BUYER Tax Invoicing or Tax Remittance, and buyerEmail
// Direct-to-Consumer Shipping as well. Account.MissingRoles takes roles
// away; a request whose includedData needs one of them is refused with 403
// {"errors":[{"code":"Unauthorized","message":"Access to requested resource
// is denied.","details":""}]} and x-amzn-ErrorType AccessDeniedException
// (the body of amzn/selling-partner-api-models#737, #909), or, with
// Account.OmitPIIWithoutRole, answered with the personal fields left out,
// since Amazon has been seen doing that too (#5300). Not played: the
// suppression of the phone once a shipped order is past its latest
// delivery date, which would change an order without an update.
//
// # Reports
//
// The Reports API 2021-06-30 (the model is
// ../shared/amazon-models/reports_2021-06-30.json) serves
// GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL and
// GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL from the same orders
// as getOrders and searchOrders; every other reportType is 400. Answers
// have no payload envelope and write times as Amazon does,
// "2022-05-12T14:49:52+00:00" (amzn/selling-partner-api-models#2420).
//
//   - POST /reports/2021-06-30/reports (createReport) takes {reportType,
//     marketplaceIds (1 to 25), dataStartTime?, dataEndTime?,
//     reportOptions?} and answers 202 {"reportId": "…"}, an 11-digit id
//     unique per seller. dataStartTime and dataEndTime default to now and
//     must not lie after now on the data clock; a start after the end is
//     400 "dataStartTime is after dataEndTime", Amazon's message. Other
//     400s are InvalidInput "Invalid Input" with details.
//   - GET /reports/2021-06-30/reports (getReports) needs reportTypes (1 to
//     10) unless nextToken; processingStatuses, marketplaceIds (any in
//     common), createdSince (default 90 days ago), createdUntil (default
//     now, both inclusive, on the limiter clock) and pageSize (1 to 100,
//     default 10) filter it; reports come newest first. A nextToken must
//     be the only parameter (the model says so); it carries the filters
//     and a position, so reports created between pages shift nothing, and
//     it lives Options.PageTokenTTL.
//   - GET /reports/2021-06-30/reports/{reportId} (getReport); an unknown or
//     expired id is 404 NotFound "One or more of the provided
//     ReportRequestIds could not be found." (#2419).
//   - GET /reports/2021-06-30/documents/{reportDocumentId}
//     (getReportDocument) answers {reportDocumentId, url,
//     compressionAlgorithm: "GZIP"}; an unknown id is 400 InvalidInput
//     "Invalid reportDocumentId …" (jlevers/selling-partner-api#487).
//     enableContentEncodingUrlHeader=true makes the URL answer with
//     Content-Encoding: gzip.
//
// The document is downloaded from the URL, on the same server:
// GET /sim-s3/{reportDocumentId}?X-Amz-Algorithm=AWS4-HMAC-SHA256&
// X-Amz-Credential=…&X-Amz-Date=20250301T120105Z&X-Amz-Expires=300&
// X-Amz-SignedHeaders=host[&response-content-encoding=gzip]&
// X-Amz-Signature=<HMAC-SHA256 of the id and every other parameter, keyed
// by the seed>. Like an S3 presigned URL it needs no access token and
// counts against no usage plan and no Stats; it works for five minutes
// after X-Amz-Date on the limiter clock ("This URL expires after 5
// minutes"), then answers 403 with S3's XML <Error><Code>AccessDenied</Code>
// <Message>Request has expired</Message>…; an edited URL gets 403
// SignatureDoesNotMatch, one without a signature 403 AccessDenied, one
// sent with an Authorization header too 400 InvalidArgument ("Only one auth
// mechanism allowed"), and a document past retention 404 NoSuchKey.
//
// A report goes IN_QUEUE → IN_PROGRESS → DONE, CANCELLED or FATAL on the
// limiter clock: it may start Options.ReportQueueDelay (5 s) after its
// creation, stays IN_PROGRESS Options.ReportProcessingDelay (1 min), and
// only one report per seller and report type is IN_PROGRESS at a time, the
// others waiting IN_QUEUE behind it in creation order ("It may be waiting
// for another IN_PROGRESS report"). Nothing runs in the background: every
// report call, and every report accessor, first brings the account's
// reports up to the limiter clock, and a report found complete renders its
// document then, from the data as of the data clock at that moment (with
// clocks that move together, its completion). At completion a report ends
//
//   - FATAL when it names a marketplace the seller does not sell in (one
//     of the causes Amazon gave Daton), when Options.FatalReports says so
//     (it gets a ReportAttempt with the window and the attempt number of
//     that window, so "FATAL once, then DONE" and "FATAL for windows over
//     a week" are one line each), when Sim.FailNextReports has some left,
//     or with probability Faults.ReportFatal, decided by a hash of the
//     fault seed, account and report id, so polling does not change it;
//   - CANCELLED, with a processingEndTime and no reportDocumentId, when no
//     order is in its window ("The reports are canceled if no eligible data
//     is found"), which includes a window of only archived orders;
//   - DONE otherwise, with a reportDocumentId shaped like Amazon's
//     ("amzn1.spdoc.1.4.na.…").
//
// Reports are kept Options.ReportRetention, 30 days by default ("Order
// reports are retained for 30 days"): after that getReport is 404,
// getReports leaves them out, getReportDocument is 400 and the download
// 404. Amazon's page says so for order reports; getReports' "maximum of 90
// days" is its default createdSince.
//
// The document holds one line per order item, the order's fields repeated
// on each, tab-separated, with a header, every column on every line
// (trailing empty cells included) and empty cells for absent values.
// BY_ORDER_DATE takes the orders purchased in [dataStartTime, dataEndTime],
// BY_LAST_UPDATE those whose last update lies in it, both ends inclusive
// to the second as in getOrders, in the report's marketplaces. Orders
// purchased two years or more before completion are left out ("Order
// reports only support orders less than 2 years old"; they are archived),
// except Amazon.co.jp's, which go back to 2016. Amazon's report date range
// is said to mean when orders became eligible for fulfillment; the
// simulator uses the purchase date, which getOrders' CreatedAfter uses too,
// and does not play the report's 30-minute lag. ReportLine documents each
// value's source; in short, they are v0's and the 2026 order's values in
// the report's vocabulary: Cancelled, not Canceled, "Shipping" for a
// partly shipped order (ReportOrderStatus), fulfillment-channel Amazon or
// Merchant, sales-channel Amazon.com, item-price v0's ItemPrice (the line
// total) and quantity its QuantityOrdered, item-status per item, no price
// on items of Pending orders, item-promotion-discount negative, ship-city,
// ship-state, ship-postal-code and ship-country v0's ShippingAddress, and
// dates like 2017-06-17T08:04:21+00:00 (+09:00 for Amazon.co.jp).
//
// Which columns a document has varies, as Amazon's headers do (29 to 34
// columns between accounts, types and years): each report gets one of
// ReportLayouts (standard, legacy, extended, trimmed; ReportLayoutColumns
// lists them) by a hash of the seed, account and report id, unless
// Options.ReportLayout pins one. Each report also gets LF or CRLF line
// endings the same way (Options.ReportLineEnding pins one), and with
// Options.ShuffleReportLines its lines in an order of its own instead of
// date, order id and item. Documents are gzip-compressed and served as
// text/tab-separated-values; charset=UTF-8, except those of reports that
// cover Amazon.co.jp (MarketplaceJP, which an account may list; its orders
// have Japanese addresses, yen and mostly Japanese product names), which
// are code page 932 served as charset=Windows-31J (Options.ReportCharsetJP
// changes the name). The same seed and calls give the same bytes.
//
// TruthOrderReportLines returns the lines a report over a window would
// hold now, as typed values independent of layout; TruthReportLines those
// of a DONE report, in its document's order; TruthReports, ReportColumns
// and ReportDocumentCharset what the simulator decided per report; and
// ReportRequests (createReport calls per account, type and window),
// ReportDownloads (documents served per report) and ReportStats (per
// account) let a test assert that a window is never requested twice.
//
// # Finances
//
// Finances 2024-06-19's listTransactions (GET
// /finances/2024-06-19/transactions, finances_2024-06-19.json, 0.5/s burst
// 10) answers the money of the same orders getOrders serves, derived from
// their timelines and random streams of its own (so no order changed when
// it was added):
//
//   - A sale for every shipping event of an order (PartiallyShipped: the
//     first half of its items; the Shipped after it: the rest; Shipped
//     alone: all), transactionType Shipment, description "Order Payment",
//     posted 1 to 48 hours after the event. A refund (Refund, "Refund
//     Order") for Options.FinanceReturnRate (0.1) of the shipped orders,
//     posted 2 to 20 days after shipping, for some of their items (items
//     carry ORDER_ADJUSTMENT_ITEM_ID). A fee (ShippingServices, "Shipping
//     label purchase", no items, Expenses {ShippingServices
//     {ShippingLabel}} of 3.00 to 15.00) for half the shipping events of
//     merchant-fulfilled orders, the label bought through Amazon, with the
//     sale's SHIPMENT_ID.
//   - Items: the product title, ProductContext {asin, sku, quantityShipped,
//     fulfillmentNetwork AFN|MFN}, and a breakdown tree in which every
//     parent is the sum of its children: Sales {ProductCharges (ItemPrice),
//     Tax (ItemTax), Promotion (−PromotionDiscount; on some items two
//     Promotion siblings)}, Expenses {AmazonFees {Commission (15%),
//     FBAPerUnitFulfillmentFee (AFN)}, Tax {MarketplaceFacilitatorTax (US,
//     −ItemTax)}}; refunds negate Sales, give the commission back and charge
//     RefundAdministrationFee (20% of it, at most 5.00). The transaction's
//     own breakdowns are the same tree summed over its items (one Promotion),
//     its total the sum of the items'.
//   - relatedIdentifiers ORDER_ID, SHIPMENT_ID (sales) or REFUND_ID
//     (refunds), FINANCIAL_EVENT_GROUP_ID and SETTLEMENT_ID (one group per
//     marketplace and 14 days of postedDate); sellingPartnerMetadata
//     {sellingPartnerId, accountType "Standard Orders", marketplaceId} and
//     marketplaceDetails. Transaction ids are 43 characters of base64url,
//     like Amazon's.
//   - Options.FinanceDeferredRate (0.15) of the sales are DEFERRED, with a
//     DeferredContext {deferralReason B2B (business orders) or DD7,
//     maturityDate = postedDate + Options.FinanceDeferralPeriod (7 days)}.
//     At maturity half of them turn DEFERRED_RELEASED, postedDate unchanged;
//     for the other half a release transaction (DeferredRelease, "Deferred
//     Release", RELEASED, the same total, no items) posts at the maturity
//     date with DEFERRED_TRANSACTION_ID, and the deferred one, still
//     DEFERRED, gains RELEASE_TRANSACTION_ID when it shows. Every other
//     transaction is RELEASED. Amazon documents both ways and not which
//     applies when; counting each deferral once means leaving out the
//     transactions that carry DEFERRED_TRANSACTION_ID.
//   - "Financial events might not include orders from the last 48 hours":
//     Options.FinanceLateRate (0.3) of the transactions show 1 to 48 hours
//     after their postedDate, the rest within five minutes, so a poll by
//     posted date must read its window again later.
//
// Rules: postedAfter is required unless relatedIdentifierName and
// relatedIdentifierValue are given (400 "Start date cannot be null", the
// model's example), both or neither of those, and the name only ORDER_ID
// or FINANCIAL_EVENT_GROUP_ID (the only ones with "filtering
// capabilities"); postedAfter is inclusive, postedBefore exclusive and by
// default two minutes before now, both at least two minutes before now
// on the data clock and postedBefore later than postedAfter (400
// otherwise); a window over 180 days answers 200 with no transactions;
// transactionStatus is DEFERRED, RELEASED or DEFERRED_RELEASED, compared
// with the status at the walk's snapshot; with marketplaceId only that
// marketplace's transactions and never those of merchant-fulfilled orders
// in the US store ("to retrieve MFN orders in the US store, do not supply
// marketplaceId"). Pages hold 500 transactions, the number Amazon sends
// (amzn/selling-partner-api-models#4224), in postedDate then transactionId
// order; nextToken comes back with the same arguments, walks the data as
// it stood at the first page, lives Options.PageTokenTTL, and with chance
// Options.FinanceEmptyPageRate (0.05) a page with more to come is empty
// ("this operation can return empty pages").
//
// With Options.Sandbox the operations that have x-amzn-api-sandbox static
// examples (listTransactions) answer those and nothing else, as Amazon's
// sandbox endpoint does: the body of the example whose parameters the
// request has, exactly as the model writes it, before any other rule; any
// other request 400 {"errors":[{"code":"InvalidInput","message":"Could
// not match input arguments"}]}. The 200 example's transaction has no
// transactionId.
//
// TruthTransactions returns what listTransactions answers now, every
// transaction already shown with its current status, US merchant-fulfilled
// ones included; TruthTransactionFacts the timeline of every transaction,
// shown yet or not (postedDate, when it shows, maturity and release, the
// pairing of a deferral and its release transaction), for a test that
// moves the clock to a release or looks for a late one.
//
// # Amazon's real shapes
//
// Amazon does not send what its models say. By default every payload is
// rewritten at the wire, after the typed rendering, into the shapes
// Amazon's examples and recorded traffic show; Options.CleanShapes sends
// the model's clean shapes instead, for comparing against the model and
// never as the default. Which entity shows an optional quirk is decided by
// a hash of the seed, the account, the quirk and the entity's id, so an
// entity looks the same on every call, page and run, and a list mixes
// shapes. Every quirk is one a tolerant client reads back to the same typed
// value ("false" is false, "1" is 1, COMPLETE is Complete, packageNumber 0
// is no package, an encoded link is its decoded link, stateOrRegion is
// state), except where noted. Files are under ../shared/amazon-examples/
// (README.md there describes them). Quirks lists, machine-readably, the
// rules of the models these shapes break; the conformance test
// (internal/conformance) runs spsync against the default simulator behind
// Prism and fails on a broken rule Quirks does not list.
//
// getOrders:
//   - IsReplacementOrder is the string "true" or "false" on every order
//     (peers/airbyte-getOrders-real-records.json; Amazon's issues
//     amzn/selling-partner-api-models#2395 and #2647,
//     selling-partner-api-docs#278). getOrder sends a boolean.
//
// getOrders and getOrder, the same for the same order:
//   - HasRegulatedItems: false on some orders
//     (peers/airbyte-getOrders-real-records.json).
//   - BuyerInfo {} on every Canceled order and some others, and
//     {"BuyerEmail":"…@marketplace.amazon.com"} (a relay address) on some
//     (same file).
//   - DefaultShipFromLocationAddress on some MFN orders, its Name and
//     AddressLine1 the literal string "null" (same file).
//
// getOrderItems:
//   - IsGift is the string "true" or "false" on every item, in both modes:
//     not a deviation, the HEAD schema declares a string and Amazon sends
//     one (getOrderItems/2-200.json,
//     peers/airbyte-getOrderItems-real-records.json). The boolean of older
//     examples (getOrderItems/history/) is not played.
//   - ProductInfo {"NumberOfItems":"1"}, a numeric string, and
//     IsTransparency: false, a real boolean, on every item
//     (getOrderItems/2-200.json).
//   - SerialNumberRequired: false on some items (getOrderItems/2-200.json).
//   - BuyerRequestedCancel {"IsBuyerRequestedCancel":"false",
//     "BuyerCancelReason":""}, BuyerInfo {}, TaxCollection
//     {"Model":"MarketplaceFacilitator","ResponsibleParty":"Amazon
//     Services, Inc."} (taxed USD items) and a zero PromotionDiscountTax
//     (undiscounted priced items) on some items
//     (peers/airbyte-getOrderItems-real-records.json). PromotionDiscount
//     "0.00" is the model's own shape.
//
// listAllFulfillmentOrders and getFulfillmentOrder, the same for the same
// order:
//   - fulfillmentOrderStatus in UPPER_SNAKE case (RECEIVED, PROCESSING,
//     COMPLETE, CANCELLED, …) on about half the orders, the model's
//     CamelCase on the rest (listAllFulfillmentOrders/1-200.json,
//     listAllFulfillmentOrders/history/2022-03-04-0956094-1-200.json,
//     getFulfillmentOrder/1-200.json).
//   - featureConstraints null on some orders and a list on others (same
//     list files).
//
// listAllFulfillmentOrders:
//   - marketplaceId, required by the schema, absent on some orders; it is
//     absent in every listAllFulfillmentOrders example. getFulfillmentOrder
//     always has it, and a header without it is the one place where a
//     client must take a value from the single fetch.
//
// getFulfillmentOrder:
//   - fulfillmentShipmentItem[].packageNumber 0 on the items of a shipment
//     not packed yet, on most orders; absent (the model's shape) on the
//     rest (getFulfillmentOrder/1-200.json).
//   - On some orders every integer quoted: quantity, cancelledQuantity and
//     unfulfillableQuantity of items, quantity and packageNumber of
//     shipment items, packageNumber of packages ("1", "0", "10000017"; a
//     third-party fixture in Amazon's doc style, described in README.md).
//   - returnItems: [] and returnAuthorizations: [] always present (required;
//     getFulfillmentOrder/1-200.json).
//
// getPackageTrackingDetails:
//   - customerTrackingLink URL-encoded with an encoded newline at its end
//     ("https%3A%2F%2Fwww.swiship.com%2Ftrack%3Fid%3D…%0A") on about half
//     the packages (getPackageTrackingDetails/1-200.json).
//   - shipToAddress in the full FBA Address shape (name, addressLine1,
//     city, stateOrRegion, countryCode, postalCode: the fulfillment order's
//     destinationAddress) instead of {city, state, country} on some
//     packages (getPackageTrackingDetails/1-200.json). Not played: the
//     2022 sandbox's shipToAddress {} (history/2022-03-04-0956094-1-200.json),
//     which would make the answer disagree with the ground truth's address
//     rather than spell it differently.
//
// searchOrders and getOrder (2026-01-01), the same for the same order; the
// 2026 examples are clean beyond empty values standing for "none"
// (newer-apis/orders_2026-01-01/):
//   - "" for the addressLine3, districtOrCounty and municipality an
//     address lacks, in recipient.deliveryAddress and
//     packages[].shipFromAddress, on some orders
//     (searchOrders/1-200.json, searchOrders/3-200.json,
//     getOrder/1-200.json, getOrder/2-200.json, getOrder/4-200.json).
//   - product.condition.conditionNote "" on most items
//     (searchOrders/2-200.json, getOrder/2-200.json).
//   - product.customization {"customizedUrl": ""} on some items
//     (getOrder/1-200.json).
//   - programs [] on some items and associatedOrders [] on some orders
//     (searchOrders/1-200.json, searchOrders/2-200.json).
//
// Services v1 is sent as the model says: its examples show nothing the
// simulator does not already do (numeric-looking string ids).
//
// listTransactions:
//   - transactionStatus "Released" instead of RELEASED on about half the
//     released transactions, as a recorded Amazon.co.jp answer shows
//     (amzn/selling-partner-api-models#4220, which also shows accountType
//     "Standard Orders"). The model declares no enum for it, so no rule is
//     broken.
//   - No transactions member on a page without transactions (an empty
//     page, a window with none, a window over 180 days): Amazon's Java
//     client printed such an answer as "transactions: null"
//     (amzn/selling-partner-api-models#4358); the member is optional.
//     Not played: null breakdowns, relatedIdentifiers and
//     fulfillmentNetwork (#4993), which break the model's types and have no
//     example file here.
//
// # Usage plans and scaling
//
// Every operation's documented rate and burst (DefaultUsagePlans) is
// enforced as a token bucket per (account, operation) on the limiter clock
// (Options.LimiterClock). A call without a token gets 429 with Amazon's
// QuotaExceeded body. Options.RateScale and Options.BurstScale multiply the
// plans so tests and demos need not wait a minute for a getOrders token;
// Options.UsagePlanOverrides replaces single plans. Stats, AccountStats and
// EntityCalls count calls, throttles and per-entity fetches.
//
// # Latency and many sellers
//
// Amazon answers in hundreds of milliseconds, which caps the calls a client
// with a fixed number of workers can make per second; against a simulator
// that answers at once that cap never shows. Options.Latency delays every
// SP-API answer, refusals included, by a delay drawn per call: uniform
// between two bounds or log-normal (RealisticLatency: median 350 ms, most
// answers within 200–600 ms, as SP-API users report). The usage plan
// counts a call when it arrives, as API Gateway's usage plans throttle
// request submissions, and the delay is the answer's, after it: only the
// call's transit (Latency.Transit, up to 30 ms in RealisticLatency) comes
// before the count, so a slow answer never holds a token back from the
// bucket, and a client pacing its calls at a bucket's rate meets the
// bucket with the network's jitter only. Each call waits on
// its own goroutine holding no lock, so calls in flight overlap as they do
// at Amazon. The token endpoint, Seller Central and report document
// downloads are not delayed. The default is no latency, for fast tests;
// `worker sim --latency` sets it.
//
// An integrator syncs many sellers. Options.Accounts may hold thousands
// (Sellers makes them); each dataset is built on the account's first call,
// about 2 ms and 110 kB for a seller of SellerMix's average size.
// Options.AccountSizes gives each seller its own size, and SellerMix is a
// realistic mix for benchmarks: most sellers small, a few large. Package
// numbers, int32 in Amazon's model, are the bound: the first 200 accounts
// keep the ranges they always had (so their data is the same as before
// more were allowed), the others share what int32 leaves, about 8.5
// million fulfillment orders in all; New refuses a configuration beyond it.
//
// # Faults
//
// Faults (Options.Faults, SetFaults) inject, each with its own probability
// per call and optionally only for some operations: 500 and 503 answers,
// added latency on top of Options.Latency (through Options.Sleep, as is
// that, so tests need not wait), dropped
// connections, malformed or truncated JSON bodies, expired access tokens,
// forced 429 runs and expired page tokens. ExpireAccessTokens and
// DrainBucket force the same states directly. Faults.ReportFatal ends
// reports FATAL (see "Reports").
//
// # Access tokens
//
// Amazon refuses an access token it no longer accepts with 403, not 401:
// {"errors":[{"code":"Unauthorized","message":"Access to requested resource
// is denied.","details":"The access token you provided has expired."}]}. A
// missing, forged or revoked token gets the same status, code and message
// with other details ("The access token you provided is revoked, malformed
// or invalid."), so only details tells a client that refreshing helps. The
// simulator answers so when a token outlives Options.AccessTokenTTL on the
// limiter clock, after ExpireAccessTokens, and on the ExpireAccessToken
// fault, every later call with that token included. Amazon also invalidates
// tokens before the expires_in it reported; Options.AccessTokenInvalidateAfter
// plays that (and AccessTokenInvalidateAfterCalls, counted in calls rather
// than time), while the token endpoint keeps reporting the TTL. TokenGrants
// counts the tokens issued per account, so a test can assert one refresh per
// invalidation.
//
// # Notifications
//
// The Notifications API v1 (notifications.json) is served under
// /notifications/v1: getSubscriptions, getSubscription and
// createSubscription act for a seller and take the seller's access token;
// getSubscriptionById, deleteSubscriptionById, getDestinations,
// createDestination, getDestination and deleteDestination are grantless, as
// the model's descriptions say, and take a token of LWA's
// client_credentials grant with scope sellingpartnerapi::notifications
// (ScopeNotifications; the client id and secret of any configured account;
// another scope is invalid_scope). A seller's token on a grantless
// operation, or a grantless token on any seller operation (Orders included),
// gets 403 Unauthorized "Access to requested resource is denied." with empty
// details: a new token of the same kind does not help, so it is not one of
// the answers a client refreshes on. Every operation's usage plan is 1/s
// burst 5; a grantless operation's bucket belongs to the application.
// sendTestNotification is sandbox-only and not served.
//
// Destinations belong to the application (one Sim plays one region):
// {name, resourceSpecification:{sqs:{arn}}} (the model's ARN pattern) or
// {eventBridge:{region, accountId}}, exactly one; a second destination of
// the application for the same resource answers 409. Subscriptions belong
// to the application, the seller account and the notification type (and
// payload version): createSubscription for one that exists answers 409
// {"errors":[{"code":"Conflict","message":"The resource specified conflicts
// with the current state."}]}; an unknown type, payload version or
// destinationId, or a processingDirective that combines eventFilter with
// filterExpression, names an eventFilterType of another notification type
// or an aggregationTimePeriod other than FiveMinutes/TenMinutes, answers 400
// InvalidInput. getSubscription without one answers 404 NotFound. Deletes
// answer {} (the model's delete responses have no payload). Identifiers are
// UUIDs fixed by the seed and creation order.
//
// NotificationDestinations(account, type) is the truth a notifier delivers
// by: the SQS ARNs the seller's subscriptions of that type point at.
// NotificationStats counts destinations and subscriptions, creates,
// deletes, 409s and grantless grants, so a test can assert that a second
// setup created nothing.
//
// # Credentials
//
// Client secrets and authorizations live on their own clock,
// Options.CredentialClock (the limiter clock by default), so a test can
// accelerate a year of credentials while data and token buckets keep their
// pace. Each application (LWA client id) starts with the configured
// accounts' secrets, created at construction and expiring
// Options.ClientSecretLifetime later (180 days, Amazon's rotation period).
// LWA answers a secret past its expiry, for either grant, with 401
// {"error":"invalid_client","error_description":"Client authentication
// failed"}, the same answer as a wrong secret: Amazon does not say why.
//
// rotateApplicationClientSecret (POST /applications/2023-11-30/clientSecret,
// application_2023-11-30.json) takes a client_credentials token of scope
// sellingpartnerapi::client_credential:rotation
// (ScopeClientCredentialRotation, which LWA grants beside
// ScopeNotifications); a seller's token or one of another scope gets the
// grantless 403 Unauthorized of "Notifications". Its usage plan is 0.0167/s
// burst 1 in the application's bucket, through the same limiter (and
// RateScale, BurstScale) as every operation. With no
// Options.ApplicationQueueARN (no queue registered in the Developer
// Console) it answers 400 {"errors":[{"code":"InvalidInput","message":
// "Application is not enrolled for rotation notification. Please update
// application notification preference in Developer console."}]}, the
// model's sandbox answer. Otherwise it answers 204 with no body: a new
// secret is made, expiring ClientSecretLifetime later, and every older
// secret still working now expires OldSecretGrace (7 days) from now at the
// latest. LWA refuses the new secret with invalid_client for its first
// NewSecretPropagation (30 minutes; amzn/selling-partner-api-models#4489
// saw fresh secrets refused about that long), so a client must keep the
// old one until the new one has worked. CredentialStats counts refusals of
// each kind.
//
// The new secret reaches the client only as an
// APPLICATION_OAUTH_CLIENT_NEW_SECRET notification, sent to
// Options.ApplicationSink for ApplicationQueueARN before the 204 (Amazon's
// arrives shortly after): Amazon's camelCase envelope, key for key as its
// sample in ../shared/amazon-examples/newer-apis/application-notifications,
// its payload applicationOAuthClientNewSecret {clientId, newClientSecret,
// newClientSecretExpiryTime, oldClientSecretExpiryTime} with the secret in
// plaintext. DropNextNewSecrets loses the next ones (the rotation still
// happens). An APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY notification
// ({clientId, clientSecretExpiryTime, clientSecretExpiryReason:
// PERIODIC_ROTATION}) is due ExpiryNoticeLead (90 days) before a secret
// expires, once, and only for a secret no rotation has replaced; it is sent
// when the credential clock has passed that point and something asks: any
// LWA request, a rotation, or DeliverCredentialNotices, which a test that
// moves the clock without traffic calls. Without a registered queue
// nothing is sent. ApplicationNotifications returns every one produced,
// ClientSecrets an application's secrets with their current expiry.
//
// Authorizations: RevokeAuthorization plays a seller revoking the
// application, after which LWA answers the account's refresh token with 400
// {"error":"invalid_grant",...} (access tokens already issued keep working
// until they expire); Options.AuthorizationLifetime (365 days for a public
// application; zero, the default, for a private one that lasts) ends every
// authorization that long after it was granted, with the same answer.
// Reauthorize grants a new refresh token from now and ends the old one.
// LWACalls counts the refresh_token grants asked per refresh token,
// refused ones included, so a test can assert that a client stops asking
// for a dead authorization.
//
// # Seller Central
//
// The simulator plays the seller's side of Amazon's website authorization
// workflow and its Login-URI variant (developer-docs
// website-authorization-workflow, selling-partner-appstore-authorization-
// workflow), so an application's onboarding can be driven by a browser,
// or by plain HTTP, end to end. Seller Central is served under
// /sellercentral/{region}/ for region na, eu or fe, standing in for
// sellercentral.amazon.com and its siblings; an application pointed there
// builds the same URLs it would for Amazon. Every page is html/template
// (parameters escaped) with Cache-Control: no-store, Referrer-Policy:
// no-referrer and X-Frame-Options: DENY; a refused request gets an
// error page (400; 404 for an unknown region) and no redirect.
//
//   - GET apps/authorize/consent?application_id=…&state=…[&redirect_uri=…]
//     [&version=beta]: the consent page. A <select name="seller"> lists
//     every configured account (option value its selling partner id, the
//     account's SellerID; text its ID); buttons #confirm and #cancel
//     (name decision) post the form, with the parameters in hidden fields,
//     to apps/authorize/confirm. Refused: an unknown application_id, no
//     state, a redirect_uri not registered for the application (exact
//     match; none means the first registered one), and a draft application
//     without version=beta.
//   - POST apps/authorize/confirm: Confirm redirects (302) to
//     {redirect_uri}?state=…&selling_partner_id=…&spapi_oauth_code=…;
//     Cancel to {redirect_uri}?state=…&error=access_denied. Amazon does not
//     document what Cancel does: the simulator assumes OAuth 2.0's answer
//     to a refused consent (RFC 6749 §4.1.2.1).
//   - GET apps/manage?application_id=…&seller={selling partner id}: "Manage
//     your apps" with an #authorize button, which posts to
//     apps/manage/authorize and is redirected to the application's Login
//     URI with amazon_callback_uri ({scheme and host the request came to}
//     /sellercentral/{region}/apps/authorize/callback), amazon_state,
//     selling_partner_id and, for a draft, version=beta: the renewal a
//     public application's sellers start every 365 days. No Login URI
//     registered is an error page.
//   - GET apps/authorize/callback?amazon_state=…&state=…[&redirect_uri=…]:
//     the amazon_state works once (the first callback that presents it
//     uses it up) and for AmazonStateLifetime (10 minutes, the simulator's
//     choice: Amazon gives no figure) on the credential clock; the consent
//     page it shows offers only the seller the Login URI was called for,
//     and its confirm step refuses any other.
//
// The simulator plays one application, DemoApplicationID, whose LWA
// client id is the first configured account's ClientID
// (ApplicationClientID). It starts published with no URIs registered:
// SetApplicationURIs registers the Login URI and redirect URIs, as the
// Developer Console does, and SetApplicationDraft makes it a draft.
//
// LWA's grant_type=authorization_code takes code, redirect_uri, client_id
// and client_secret. The client authenticates as for refresh_token (401
// invalid_client for a wrong, expired or propagating secret, see
// "Credentials"); then the code must be unused, younger than
// AuthorizationCodeLifetime (five minutes, Amazon's figure) on the
// credential clock, issued to that client and presented with the
// redirect_uri of its consent, or LWA answers 400 {"error":"invalid_grant",
// "error_description":"The request has an invalid grant parameter : code"}
// (": redirect_uri" for that one). A refused attempt leaves the code as it
// was; what Amazon does to the tokens of a replayed code is undocumented,
// and the simulator revokes nothing. A redeemed code answers
// {access_token "Atza|…", refresh_token "Atzr|…", token_type "bearer",
// expires_in 3600 (Options.AccessTokenTTL)}, and the refresh token becomes the seller's
// authorization as Reauthorize's does: the previous one ends with
// invalid_grant, the new one works for refresh_token grants (with the
// application's client id) and SP-API calls on that account's data.
// OAuthStats counts consents confirmed and cancelled, codes issued,
// exchanged and refused, Login-URI starts, refused amazon_states and
// error pages.
//
// # Ground truth
//
// TruthOrders, TruthOrderItems, TruthOrders2026, TruthOrder2026,
// TruthOrderPackages2026, TruthFulfillmentOrders, TruthPackageNumbers,
// TruthPackageTracking, TruthServiceJobs, TruthOrderReportLines and
// TruthTransactions return what the simulator holds as of the data clock,
// in the same exported types and with the same values the operations
// render, so a test can assert that what a sync stored equals the source. They are the model's clean shapes:
// with CleanShapes the wire carries exactly their JSON, by default it
// carries Amazon's shapes of the same values. They cost no rate budget.
//
// # Determinism
//
// The same Seed and Start give the same dataset, identifiers and timelines
// on every run and machine, and the same calls the same report ids,
// documents and document URLs; fault decisions come from Faults.Seed, and
// Options.Latency's delays from Seed and the order of calls. Only
// access tokens, page tokens and request ids are random. Datasets are built
// lazily per account on first use and render entities on demand from
// per-entity random streams, so large datasets stay cheap.
//
// # Notification delivery
//
// Sim.StartNotifier plays Amazon's push side: as the data clock moves, it
// turns the dataset's changes into Notifications API messages
// (../shared/amazon-models/OrderChangeNotification.json,
// FulfillmentOrderStatusNotification.json and
// TransactionUpdateNotification.json) and hands them to a
// NotificationSink, NewSQSSink being the real one (SendMessage to the queue
// an SQS destination ARN names, its URL resolved once with GetQueueUrl).
// Every NotifierOptions.Tick (200 ms) of the real clock, and at once on
// Notifier.Sync, it scans each account's timelines for events in (last
// scan, data clock now]; it starts at the data clock's time, so history is
// never announced. One entity's events in the same second make one change.
//
//   - ORDER_CHANGE for every order event, creation included (each moves
//     LastUpdateDate): NotificationLevel OrderLevel, the account's SellerId,
//     OrderChangeType OrderStatusChange (the dataset has no buyer-requested
//     cancellations and no delivery tips in v0), OrderChangeTrigger
//     {TimeOfOrderChange = the new LastUpdateDate, ChangeReason "Order
//     Created" or "Order Status Changed" (invented: Amazon documents only
//     "Buyer Requested Cancel")}, and a Summary of the order as getOrder and
//     getOrderItems serve it at that instant: MarketplaceId, OrderStatus (v0
//     spelling), PurchaseDate, DestinationPostalCode, FulfillmentType (AFN,
//     MFN), OrderType, NumberOfItemsShipped/Unshipped, the ship and delivery
//     dates it has, OrderPrograms (Business, Prime) and OrderItems
//     {OrderItemId, SellerSKU, SupplySourceId null, Quantity,
//     QuantityShipped, IsBuyerRequestedCancel false, and OrderItemStatus
//     while PartiallyShipped, "when items' status are different"}.
//   - FULFILLMENT_ORDER_STATUS for every fulfillment order event (each moves
//     statusUpdatedDate): SellerId, EventType Order (a status change),
//     Shipment (a shipment shipped) or Return (a package came back),
//     StatusUpdatedDateTime = the new statusUpdatedDate,
//     SellerFulfillmentOrderId, FulfillmentOrderStatus as
//     getFulfillmentOrder's typed value, and for Shipment and Return events
//     FulfillmentShipment {FulfillmentShipmentStatus, AmazonShipmentId,
//     EstimatedArrivalDateTime, FulfillmentShipmentPackages[{PackageNumber,
//     CarrierCode, TrackingNumber}]} of that shipment, for Return events
//     with the FulfillmentReturnItem {ReceivedDateTime, ReturnedQuantity,
//     SellerSKU} returned then (none when the package held no item). The
//     schema marks both objects required; Amazon's clients (and the
//     simulator) treat them as present only for such events.
//   - TRANSACTION_UPDATE when a Finances transaction shows on
//     listTransactions and when a deferred one turns DEFERRED_RELEASED (a
//     release transaction is announced by its own showing): the schema's
//     SellingPartnerMetadata {SellingPartnerId, MarketplaceId,
//     AccountType}, RelatedIdentifiers with the order as "OrderId" (the API
//     spells it ORDER_ID), TransactionType, PostedDate and TotalAmount
//     {CurrencyAmount, CurrencyCode}; no transaction id and no status, as
//     the schema has none. NotificationRecord.EntityID is the transaction
//     id. Only built for an account whose Route names destinations for it.
//
// The envelope is NotificationVersion and PayloadVersion "1.0",
// NotificationType, EventTime and NotificationMetadata.PublishTime = the
// data clock when the notifier found the change (times written
// "2020-07-13T19:42:04.284Z"), ApplicationId and SubscriptionId fixed per
// account (and type), and a NotificationId unique per notification, derived
// from the seed, account, type, entity and change time.
//
// NotifierOptions.Route names the destinations of an account's
// notifications of a type; nothing is sent, or logged, without one, as
// Amazon sends nothing without a subscription. Delivery plays what Amazon
// warns of, each decision a hash of NotifierOptions.Seed and the
// notification: DropRate loses a notification, DuplicateRate sends it twice
// (the same body), DelayMin..DelayMax delays each copy on the real clock,
// and ReorderWindow shuffles the copies of a scan in groups of that size.
// A sink error is retried (four attempts in all) and then counted failed;
// the notifier carries on. NotifierOptions.SubscriptionID names the
// subscription in the metadata. Copies still waiting when its context ends are
// neither delivered nor failed.
//
// Notifier.Log is the truth for tests and benchmarks: per notification its
// type, account, entity, change time on the data clock, NotificationId,
// destinations, whether it was dropped, its duplicates, the real-clock time
// of each delivery and its failed copies. Stats counts emitted, dropped,
// duplicated, delivered and failed. Notifier.Sync returns once every change
// up to the data clock's time at the call has been delivered, failed or
// dropped, so tests step a ManualClock and Sync instead of sleeping.
//
// `worker sim --notify-sqs-endpoint URL --notify-queue-arn ARN` delivers
// every account's notifications to one queue, with --notify-drop,
// --notify-duplicate, --notify-delay (D or MIN-MAX) and --notify-reorder.
package sim
