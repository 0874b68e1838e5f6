package jobs

import "github.com/riverqueue/river"

// Queue names. Each has its own worker slots so that a flood of one kind of
// work cannot occupy every slot.
const (
	QueuePoll     = "poll"
	QueueFollowup = "followup"
	QueueBackfill = "backfill"
)

// Priorities within River (1 is highest).
const (
	PriorityPoll     = 1
	PriorityFollowup = 2
	PriorityBackfill = 4
	// PriorityBackfillFollowup orders a backfill's detail fetches (order
	// items, fulfillment details) ahead of its window listings in the
	// backfill queue. Listing is cheap per order and its operation is the
	// slow one (getOrders: one page a minute), so window jobs would
	// otherwise fill every slot waiting for list tokens while the
	// follow-ups, bounded by their own faster budget, starve behind them.
	PriorityBackfillFollowup = 3
)

// QueueConfig returns River's queue configuration. Follow-ups get the most
// slots because they are many small calls; their rate is bounded by the
// budget, not by the slot count.
func QueueConfig() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{
		river.QueueDefault: {MaxWorkers: 2},
		QueuePoll:          {MaxWorkers: 4},
		QueueFollowup:      {MaxWorkers: 10},
		QueueBackfill:      {MaxWorkers: 6},
	}
}
