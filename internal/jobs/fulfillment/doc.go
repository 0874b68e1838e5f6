// Package fulfillment syncs Multi-Channel Fulfillment orders (Fulfillment
// Outbound 2020-07-01) and the carrier tracking of their packages into
// fulfillment_orders, its child tables, package_tracking and
// package_tracking_events.
//
// A periodic PollArgs job per account walks listAllFulfillmentOrders from
// the account's cursor (less an overlap), one budget token per page. Each
// page commits in one transaction with its order headers, the place where
// the walk continues (walk_progress, see jobs.RunWalk: queryStartDate, nextToken,
// the greatest statusUpdatedDate seen) and a DetailArgs job for every order
// that is new, whose statusUpdatedDate moved, or whose children are behind
// its header. The last page moves the cursor, in that same transaction, to
// the greatest statusUpdatedDate the walk saw: a high-water mark taken from
// Amazon's data, never from the host's clock. A poll killed or snoozed
// between pages resumes from the saved nextToken; a token that has expired
// restarts the walk from the same queryStartDate (the cursor has not moved,
// and re-stored pages are no-op upserts).
//
// DetailArgs (unique per order and statusUpdatedDate, completed ones
// included) calls getFulfillmentOrder and replaces the order's items,
// shipments, shipment items, packages and return items in one transaction;
// a TrackingArgs job for every package stored for the first time is
// inserted in that transaction, so a package row and its tracking job
// commit or roll back together.
//
// TrackingArgs (one active job per package) calls getPackageTrackingDetails
// and upserts the package's status and events (deduplicated by date and
// code). Unless the status is terminal (store.TerminalTrackingStatuses:
// DELIVERED, RETURNED, RETURN_RECEIVED_IN_FC, REFUND_ISSUED) or the package
// is older than Options.TrackingMaxAge (counted from its ship date on
// Deps.Clock), the same transaction marks the running job completed and
// inserts the package's next refresh, scheduled Options.TrackingIntervalSoon
// ahead while the package is out for delivery, awaiting pickup or after a
// failed attempt, and Options.TrackingInterval ahead otherwise. Because the
// running job is completed before its successor is inserted, there is
// exactly one pending refresh per live package at any time, and none for a
// finished one. A package Amazon does not know yet (404) is asked again
// Options.NotFoundInterval later, until the age limit.
//
// RefreshArgs and RefreshPackageArgs are the on-demand refreshes behind
// `worker refresh fulfillment-order ID` and `worker refresh package N`.
package fulfillment
