package orders

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
)

// Stream is the name of this stream's cursors.
const Stream = "orders"

// PollArgs polls getOrders for one account's marketplaces.
type PollArgs struct {
	AccountID string `json:"account_id" river:"unique"`
	// Scheduled marks the account's self-scheduled poll: after each window
	// it decides its next run with the budget-aware schedule
	// (jobs.SchedulePoll) and snoozes until then, so the schedule is decided
	// once per account, by one job row. A poll without it (`worker run
	// --once`, SPSYNC_ORDERS_CRON's periodic job, a previous release's
	// queued poll) runs once. It is part of the identity: a one-off poll
	// is not swallowed by the scheduled one, which may be due much later.
	Scheduled bool `json:"scheduled,omitempty" river:"unique"`
}

// Kind is the River job kind.
func (PollArgs) Kind() string { return "orders_poll" }

// InsertOpts puts polls first and allows one per account at a time.
func (PollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePoll, Priority: jobs.PriorityPoll, UniqueOpts: jobs.UniqueWhileActive()}
}

// ItemsArgs fetches the items of one order as of one LastUpdateDate. The
// date is part of the job's identity, so a re-poll that sees the same
// update queues nothing, and a later update queues a new fetch.
type ItemsArgs struct {
	AccountID      string    `json:"account_id" river:"unique"`
	AmazonOrderID  string    `json:"amazon_order_id" river:"unique"`
	LastUpdateDate time.Time `json:"last_update_date" river:"unique"`
	// Backfill marks items of a backfill window: they go to the backfill
	// follow-up queue and take tokens at backfill priority.
	Backfill bool `json:"backfill,omitempty"`
}

// Kind is the River job kind.
func (ItemsArgs) Kind() string { return "order_items" }

// InsertOpts puts live items in the followup_items queue and a backfill's
// in backfill_followup, each a follow-up of its class.
func (a ItemsArgs) InsertOpts() river.InsertOpts {
	if a.Backfill {
		return river.InsertOpts{Queue: jobs.QueueBackfillFollowup, Priority: jobs.PriorityBackfillFollowup, UniqueOpts: jobs.UniqueForever()}
	}
	return river.InsertOpts{Queue: jobs.QueueFollowupItems, Priority: jobs.PriorityFollowup, UniqueOpts: jobs.UniqueForever()}
}

// RefreshArgs refetches one order (getOrder) and its items on demand.
type RefreshArgs struct {
	AccountID     string `json:"account_id" river:"unique"`
	AmazonOrderID string `json:"amazon_order_id" river:"unique"`
	// Followup marks the refresh a push notification scheduled because the
	// order's refresh was running when it arrived: the running fetch may
	// have read the state before the change, so this one reads it again. It
	// is part of the identity, so there is at most one pending follow-up per
	// order beside the running refresh (internal/push).
	Followup bool `json:"followup,omitempty" river:"unique"`
	// NotifiedChange is when the change a push notification announced
	// happened (internal/push), for the change-to-row latency the refresh
	// reports once it committed (Deps.ReportPushLatency); nil for a refresh
	// no notification asked for. It has no river:"unique" tag, so it is no
	// part of the job's identity: a later notification of the same order
	// while its refresh waits is a duplicate of that job, which keeps the
	// first notification's time (the latency counts from the first change
	// announced, usually the one that waited longest).
	NotifiedChange *time.Time `json:"notified_change,omitempty"`
}

// Kind is the River job kind.
func (RefreshArgs) Kind() string { return "order_refresh" }

// InsertOpts makes a refresh a follow-up, one per order at a time.
func (RefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueFollowup, Priority: jobs.PriorityFollowup, UniqueOpts: jobs.UniqueWhileActive()}
}
