// Package spapi is spsync's HTTP client for the handful of Amazon Selling Partner API
// operations the worker syncs: Orders v0 (getOrders, getOrder, getOrderItems), Fulfillment
// Outbound 2020-07-01 (listAllFulfillmentOrders, getFulfillmentOrder,
// getPackageTrackingDetails), Services v1 (getServiceJobs, getServiceJobByServiceJobId),
// Orders 2026-01-01 (searchOrders, getOrder), Finances 2024-06-19 (listTransactions, and the
// TRANSACTION_UPDATE notification's payload) and Reports 2021-06-30 (createReport,
// getReports, getReport, getReportDocument, and the download of a report document from its
// presigned URL, see [Client.DownloadReportDocument]; package orderreport reads the order
// reports).
//
// The package exists so that the rest of spsync never deals with HTTP, LWA tokens or Amazon's
// JSON spellings. It provides:
//
//   - Login with Amazon (LWA) refresh-token auth with a shared, refreshed-once token cache
//     (see [LWATokenSource]), sent as the x-amz-access-token header. An answer that refuses
//     the token (Amazon's 403 Unauthorized "The access token you provided has expired." or
//     "... is revoked, malformed or invalid.", or a 401) invalidates the cached token and the
//     call is retried once with a fresh one.
//   - Regional endpoints (na, eu, fe; production and sandbox) with an override for the
//     simulator, proxies and tests (see [Region] and [Options]).
//   - Tolerant decoding of what Amazon really sends (decode.go): booleans and integers as
//     strings, timestamps with or without fraction or offset, enum values in any case
//     (typed fields hold the model's spelling, see [Enum]); a field that still does not
//     decode is left empty and reported in the record's Warnings, and a page's record that
//     lacks its key is set aside in the page's Quarantined instead of failing the page.
//   - Typed responses whose JSON names are exactly Amazon's, exact decimal [Money],
//     timestamps, pointers for optional scalars (a pending order has no OrderTotal, and the
//     client never invents one), and the raw JSON of every stored entity in its Raw field so
//     the store can keep the payload as jsonb.
//   - Errors classified by [Kind] (throttled, retryable, invalid input, auth, permission,
//     not found, permanent) in a single [*Error] type that carries the operation, HTTP status,
//     x-amzn-RequestId and x-amzn-RateLimit-Limit. Callers use errors.As or errors.Is with the
//     sentinels such as [ErrThrottled].
//   - Pagers (see [Pager]) that issue exactly one request per Next call, so a caller can take a
//     rate-budget token before each page and stop early.
//   - The operation names ([OpGetOrders], …) and Amazon's documented default usage plans
//     ([DefaultUsagePlans]) that the budget package and the simulator share.
//
// Nothing in the package is global: every [Client] is built from [Options], takes an
// injectable *http.Client, and every call takes a context. Secrets never appear in errors,
// logs or formatted values of [Credentials], [Options], [LWATokenSource] or [Client].
package spapi
