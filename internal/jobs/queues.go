package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// Queue names. Each has its own worker slots so that a flood of one kind of
// work cannot occupy every slot.
const (
	QueuePoll     = "poll"
	QueueFollowup = "followup"
	// QueueFollowupItems holds the live order-items fetches. getOrderItems
	// is the slowest budget that follow-ups meet in bulk (0.5/s against
	// thousands of orders in a first sync); in the followup queue its jobs
	// would fill every slot waiting for tokens while fulfillment details
	// and tracking refreshes, with budgets of their own, waited behind them.
	QueueFollowupItems = "followup_items"
	// QueueBackfill holds the backfills' window listings.
	QueueBackfill = "backfill"
	// QueueBackfillFollowup holds what the windows queue (order items,
	// fulfillment details). A window job keeps its slot while it walks its
	// pages, waiting for list tokens between them; in the backfill queue
	// the windows would take every slot and the follow-ups, bounded by
	// their own faster budget, would wait behind them.
	QueueBackfillFollowup = "backfill_followup"
)

// Priorities within River (1 is highest).
const (
	PriorityPoll     = 1
	PriorityFollowup = 2
	PriorityBackfill = 4
	// PriorityBackfillFollowup is the priority of a backfill's detail
	// fetches (order items, fulfillment details), in their own queue.
	PriorityBackfillFollowup = 3
)

// burstFetchCooldown is the fetch cooldown of the queues of many short
// jobs. River fetches a queue's free slots at most once per cooldown
// (100 ms by default), so a queue of N slots runs at most 10·N jobs a second
// however fast its jobs are: 60 a second for six slots, which a
// budget raised by SPSYNC_RATE_LIMITS (or the simulator scaled up) outruns.
// Fetches happen only while jobs are waiting, so an idle queue costs
// nothing more.
const burstFetchCooldown = 20 * time.Millisecond

// QueueConfig returns River's queue configuration. Follow-ups get the most
// slots because they are many small calls; their rate is bounded by the
// budget, not by the slot count.
func QueueConfig() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{
		river.QueueDefault:    {MaxWorkers: 2},
		QueuePoll:             {MaxWorkers: 4},
		QueueFollowup:         {MaxWorkers: 10, FetchCooldown: burstFetchCooldown},
		QueueFollowupItems:    {MaxWorkers: 4, FetchCooldown: burstFetchCooldown},
		QueueBackfill:         {MaxWorkers: 4},
		QueueBackfillFollowup: {MaxWorkers: 6, FetchCooldown: burstFetchCooldown},
	}
}
