// Package finances syncs the money side of every order, Finances API
// 2024-06-19 listTransactions, into financial_transactions,
// financial_transaction_items and financial_transaction_breakdowns: sales,
// Amazon's fees, refunds, promotions, deferred cash and its release, with
// the settlement and financial event group that collect them.
//
// # Polling
//
// listTransactions lists by posted date: postedAfter inclusive,
// postedBefore exclusive, both more than two minutes in the past, at most
// 180 days apart (a wider window answers an empty list, which the client
// refuses to send). It is always called without marketplaceId: Amazon
// returns the US store's MFN orders only then, so one walk per account
// lists every marketplace of the seller in the region (Scope "").
//
// A periodic PollArgs job per account (PollCron) walks one window
// [cursor − Overlap, now − SafetyMargin), and first its trailing re-read,
// the same window Lag (49 hours) earlier: "financial events might not
// include orders from the last 48 hours", so a posting may appear after a
// poll has read its posted date. The trailing windows of successive polls
// tile time exactly as their heads do, Lag behind, so every posted date is
// read twice: about two minutes old, and once more at least Lag old, when
// Amazon lists all of it. Both windows are one walk (jobs.RunWalk) whose
// saved token names its phase ("trail:" or "head:" and Amazon's
// nextToken): each page commits with its rows and the walk's progress, and
// only the head's last page moves the cursor, to the window's end, so a
// killed poll resumes at its next page and never skips its re-read. A span
// longer than MaxWindow (a worker down for months) is walked as several
// windows, the cursor moving after each. The re-read needs no cursor of
// its own (one 49 hours behind would page SpsyncSyncLagHigh forever).
//
// Cost, at 0.5 requests a second (1,800 an hour) and Amazon's 500
// transactions a page: a poll takes at least two calls (its trailing
// re-read and its window, even when empty) plus a call for every further
// 500 transactions in either. At the default ten minutes that is 12 calls
// an hour plus 2·T/500 for T transactions posted an hour: about 14 calls
// an hour (under 1% of the budget) for a seller posting 500 an hour. The
// alternative, re-reading the last 48 hours on every poll, would cost
// 6·⌈48·T/500⌉ calls an hour: 288 for the same seller (16%), and more than
// the whole budget past 3,200 transactions an hour.
//
// # Deferred cash
//
// A DEFERRED transaction is released at its DeferredContext maturityDate
// either in place (its status becomes DEFERRED_RELEASED, its posted date
// unchanged) or by a release transaction of its own (DEFERRED_TRANSACTION_ID
// naming the deferred one, which then names its release with
// RELEASE_TRANSACTION_ID and stays DEFERRED). Neither changes anything a
// poll by posted date would read again, so the last page of every poll
// lists the stored DEFERRED transactions no release names whose maturity
// date is DeferredGrace (1 hour) behind the data clock, and queues a
// DeferredArgs re-read of each one's order (relatedIdentifierName=ORDER_ID;
// a transaction of no order is re-read by its posted date), unique while
// active per order. A re-read that finds the order still deferred completes
// itself and queues the next DeferredRetry (12 hours) later, in one
// transaction, until DeferredGiveUp (30 days) after the maturity date, when
// it stops with a warning. Cost: one call per deferred order at its
// maturity, and two a day for each that Amazon is late to release. While
// push is on, TRANSACTION_UPDATE announces the release and the re-read is
// its safety net, DeferredPushGrace (24 hours) after the maturity date.
//
// sync_version moves only when a transaction's content changes: a status
// change or an added release identifier is one, an unchanged re-read is
// not (store.UpsertFinancialTransactions).
//
// # Refreshes and push
//
// RefreshArgs re-reads the transactions of one order (`worker refresh
// order-transactions ORDER_ID`), or, for a notification that names no
// order, the postings PostedSlack either side of its PostedDate. There is
// no get by transaction id. A TRANSACTION_UPDATE notification names no
// transaction and no status, only the seller, the related identifiers
// (spelled OrderId there, ORDER_ID in the API; the client reads both), the
// type, posted date and amount: it becomes the refresh of its order, or of
// its posted date (push entity "posted:" + the date), and past the backlog
// the poll. The poll counts its changes for the safety net under the same
// entities. Push's change-to-row latency is not reported for this stream:
// a notification's PostedDate is the posting's date, up to two days older
// than a late posting's notification and days older than a release's.
//
// # Backfills
//
// A backfill window (jobs.BackfillSource, a week by default, 180 days at
// most: MaxWindow) is one walk of [from, to) by posted date, keeping the
// transactions posted in the window. Its DEFERRED transactions are
// re-read by the next poll when matured, like any stored one.
//
// Transactions without a transactionId (Amazon's own sandbox examples) are
// quarantined like any keyless record; the API carries no PII, so raw
// payloads are stored as received.
package finances
