package finances

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
)

// Stream is the name of this stream's cursor, walks and push receipts.
const Stream = "financial_transactions"

// Scope is the scope of the poll's cursor and progress rows.
// listTransactions is called without marketplaceId (Amazon returns the US
// store's MFN orders only then), so one walk lists every marketplace of the
// seller in the account's region and the cursor does not depend on the
// account's configured marketplaces.
const Scope = ""

// PollArgs polls listTransactions for one account: the trailing re-read of
// the postings Amazon may still have been missing, then the new ones.
type PollArgs struct {
	AccountID string `json:"account_id" river:"unique"`
}

// Kind is the River job kind.
func (PollArgs) Kind() string { return "financial_transactions_poll" }

// InsertOpts puts polls first and allows one per account at a time.
func (PollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePoll, Priority: jobs.PriorityPoll, UniqueOpts: jobs.UniqueWhileActive()}
}

// RefreshArgs re-reads the transactions of one order
// (relatedIdentifierName=ORDER_ID), or, for a notification that names no
// order, the postings of a few minutes around one posted date
// (Options.PostedSlack either side). It is `worker refresh
// order-transactions ID` and what a TRANSACTION_UPDATE notification
// becomes (internal/push).
type RefreshArgs struct {
	AccountID string `json:"account_id" river:"unique"`
	// OrderID is the order whose transactions are read; empty for a
	// posted-date refresh.
	OrderID string `json:"order_id,omitempty" river:"unique"`
	// PostedAt is the posted date whose surroundings are read when no order
	// is named.
	PostedAt *time.Time `json:"posted_at,omitempty" river:"unique"`
	// Followup marks the refresh a push notification scheduled because the
	// same refresh was running when it arrived: the running read may have
	// missed the change, so this one reads again (internal/push). Part of
	// the identity: at most one pending follow-up beside the running one.
	Followup bool `json:"followup,omitempty" river:"unique"`
}

// Kind is the River job kind.
func (RefreshArgs) Kind() string { return "financial_transactions_refresh" }

// InsertOpts makes a refresh a follow-up, one per order (or posted date) at
// a time.
func (RefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueFollowup, Priority: jobs.PriorityFollowup, UniqueOpts: jobs.UniqueWhileActive()}
}

// DeferredArgs re-reads the transactions of an order (or of a posted date,
// for a transaction that names no order) that holds DEFERRED cash, once its
// maturity date has passed, until Amazon shows it released: the status moves
// to DEFERRED_RELEASED without a new posted date, so no poll by posted date
// would see it. It is its own kind, so that a re-read scheduled days ahead
// never makes a push refresh or `worker refresh` of the same order a
// duplicate that waits for it.
type DeferredArgs struct {
	AccountID string     `json:"account_id" river:"unique"`
	OrderID   string     `json:"order_id,omitempty" river:"unique"`
	PostedAt  *time.Time `json:"posted_at,omitempty" river:"unique"`
	// Due is when, on the data clock (Deps.Now), the re-read is due: River
	// schedules on the real clock, so a job that runs before Due (clocks
	// apart, a test making every scheduled job due) waits again instead of
	// calling Amazon. Not part of the identity: one pending re-read per
	// order, the earliest scheduled.
	Due time.Time `json:"due"`
}

// Kind is the River job kind.
func (DeferredArgs) Kind() string { return "financial_transactions_deferred" }

// InsertOpts makes the re-read a follow-up, one pending per order.
func (DeferredArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueFollowup, Priority: jobs.PriorityFollowup, UniqueOpts: jobs.UniqueWhileActive()}
}
