// Package orders syncs Amazon orders into the orders and order_items tables
// (and, through Orders API 2026-01-01, order_packages, order_package_items,
// order_proceeds and, when PII is kept, order_pii), through the Orders API
// each account is set to: 2026-01-01 by default, or v0 (removed by Amazon on
// 2027-03-27).
//
// A PollArgs job per account (self-scheduled by the budget, see
// jobs.NextPoll, unless SPSYNC_ORDERS_CRON sets a cron) walks the order list
// (searchOrders, or v0's getOrders) from the account's cursor (no overlap by
// default, see Options.Overlap) to the window end Amazon reports, one budget token per page. Each page commits in
// one transaction with its rows, the place where the window continues
// (walk_progress, see jobs.RunWalk) and its follow-ups; the last page moves
// the cursor in that same transaction. A poll that is killed or snoozed
// between pages resumes from the saved page, so nothing is skipped and
// nothing is fetched twice for nothing. Both versions share the cursor, so
// switching an account needs no re-sync.
//
// Orders 2026-01-01 pages carry each order's items, packages and proceeds:
// there is no follow-up per order. The datasets asked for (includedData)
// leave out BUYER unless PII is kept; a role-gated dataset Amazon refuses is
// dropped and reported (source2026.go). Through v0, an ItemsArgs job for
// every order that is new or whose LastUpdateDate moved fetches every page
// of getOrderItems and replaces the order's items.
//
// RefreshArgs refetches one order and its items on demand (getOrder of the
// account's version); inserting it is the documented way for an ERP to ask
// for a refresh:
//
//	worker refresh order 111-2223334-4445556   (or insert orders.RefreshArgs with River)
//
// PIIPurgeArgs, hourly, deletes kept PII once its retention after the
// order closed has run out.
package orders
