package fulfillment

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
)

// Stream is the name of this stream's cursor.
const Stream = "fulfillment_orders"

// Scope is the scope of the poller's cursor and progress rows.
// listAllFulfillmentOrders is not per marketplace: it lists every order of
// the seller in the region, so the cursor does not depend on the
// account's configured marketplaces.
const Scope = ""

// PollArgs polls listAllFulfillmentOrders for one account.
type PollArgs struct {
	AccountID string `json:"account_id" river:"unique"`
}

// Kind is the River job kind.
func (PollArgs) Kind() string { return "fulfillment_orders_poll" }

// InsertOpts puts polls first and allows one per account at a time.
func (PollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePoll, Priority: jobs.PriorityPoll, UniqueOpts: jobs.UniqueWhileActive()}
}

// DetailArgs fetches one fulfillment order (getFulfillmentOrder) as of one
// statusUpdatedDate. The date is part of the job's identity, so a re-poll
// that sees the same status queues nothing and a later change queues a new
// fetch.
type DetailArgs struct {
	AccountID                string    `json:"account_id" river:"unique"`
	SellerFulfillmentOrderID string    `json:"seller_fulfillment_order_id" river:"unique"`
	StatusUpdatedDate        time.Time `json:"status_updated_date" river:"unique"`
	// Backfill marks the detail of an order a backfill listed: it goes to
	// the backfill follow-up queue and takes tokens at backfill priority,
	// behind the live stream's.
	Backfill bool `json:"backfill,omitempty"`
}

// Kind is the River job kind.
func (DetailArgs) Kind() string { return "fulfillment_order_detail" }

// InsertOpts makes the detail a follow-up of its class, once per order
// version (a live and a backfill detail of one version are one job).
func (a DetailArgs) InsertOpts() river.InsertOpts {
	if a.Backfill {
		return river.InsertOpts{Queue: jobs.QueueBackfillFollowup, Priority: jobs.PriorityBackfillFollowup, UniqueOpts: jobs.UniqueForever()}
	}
	return river.InsertOpts{Queue: jobs.QueueFollowup, Priority: jobs.PriorityFollowup, UniqueOpts: jobs.UniqueForever()}
}

// TrackingArgs fetches the tracking of one package and schedules its next
// refresh. Only the account and package number make it unique: there is at
// most one queued, scheduled or running tracking job per package.
type TrackingArgs struct {
	AccountID     string `json:"account_id" river:"unique"`
	PackageNumber int    `json:"package_number" river:"unique"`
	// SellerFulfillmentOrderID is the order the package belongs to, for
	// operators reading the job list.
	SellerFulfillmentOrderID string `json:"seller_fulfillment_order_id,omitempty"`
	// NotFoundSince is the time (Deps.Clock) of the first 404 of a run of
	// them: Amazon did not know the package yet. The age limit counts from
	// it while no tracking is stored.
	NotFoundSince *time.Time `json:"not_found_since,omitempty"`
}

// Kind is the River job kind.
func (TrackingArgs) Kind() string { return "package_tracking" }

// InsertOpts makes tracking a follow-up, one per package while active.
func (TrackingArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueFollowup, Priority: jobs.PriorityFollowup, UniqueOpts: jobs.UniqueWhileActive()}
}

// RefreshArgs refetches one fulfillment order and its children on demand
// (`worker refresh fulfillment-order ID`), whatever its stored version.
type RefreshArgs struct {
	AccountID                string `json:"account_id" river:"unique"`
	SellerFulfillmentOrderID string `json:"seller_fulfillment_order_id" river:"unique"`
	// Followup marks the refresh a push notification scheduled because the
	// fulfillment order's refresh was running when it arrived: the running fetch may
	// have read the state before the change, so this one reads it again. It
	// is part of the identity, so there is at most one pending follow-up per
	// fulfillment order beside the running refresh (internal/push).
	Followup bool `json:"followup,omitempty" river:"unique"`
	// NotifiedChange is when the change a push notification announced
	// happened (internal/push), for the change-to-row latency the refresh
	// reports once it committed (Deps.ReportPushLatency); nil for a refresh
	// no notification asked for. It has no river:"unique" tag, so it is no
	// part of the job's identity: a later notification of the same fulfillment order
	// while its refresh waits is a duplicate of that job, which keeps the
	// first notification's time (the latency counts from the first change
	// announced, usually the one that waited longest).
	NotifiedChange *time.Time `json:"notified_change,omitempty"`
}

// Kind is the River job kind.
func (RefreshArgs) Kind() string { return "fulfillment_order_refresh" }

// InsertOpts makes a refresh a follow-up, one per order at a time.
func (RefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueFollowup, Priority: jobs.PriorityFollowup, UniqueOpts: jobs.UniqueWhileActive()}
}

// RefreshPackageArgs refetches one package's tracking on demand (`worker
// refresh package N`), terminal or not. If the package is still live and
// has no pending TrackingArgs job, it gets one.
type RefreshPackageArgs struct {
	AccountID     string `json:"account_id" river:"unique"`
	PackageNumber int    `json:"package_number" river:"unique"`
}

// Kind is the River job kind.
func (RefreshPackageArgs) Kind() string { return "package_tracking_refresh" }

// InsertOpts makes a refresh a follow-up, one per package at a time.
func (RefreshPackageArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueFollowup, Priority: jobs.PriorityFollowup, UniqueOpts: jobs.UniqueWhileActive()}
}
