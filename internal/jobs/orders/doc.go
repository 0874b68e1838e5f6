// Package orders syncs Amazon orders (Orders v0) into the orders and
// order_items tables.
//
// A periodic PollArgs job per account walks getOrders from the account's
// cursor (less a small overlap) to the window end Amazon reports, one
// budget token per page. Each page commits in one transaction with its
// rows, the place where the window continues (walk_progress, see jobs.RunWalk), and
// an ItemsArgs job for every order that is new or whose LastUpdateDate
// moved; the last page moves the cursor in that same transaction. A poll
// that is killed or snoozed between pages resumes from the saved page, so
// nothing is skipped and nothing is fetched twice for nothing.
//
// ItemsArgs fetches every page of getOrderItems and replaces the order's
// items. RefreshArgs refetches one order and its items on demand; inserting
// it is the documented way for an ERP to ask for a refresh:
//
//	worker refresh order 111-2223334-4445556   (or insert orders.RefreshArgs with River)
package orders
