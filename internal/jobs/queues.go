package jobs

import (
	"math"
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

// QueueConfig returns River's queue configuration at the fixed slot counts
// of a few sellers (QueueConfigFor with no Sizing). Follow-ups get the most
// slots because they are many small calls; their rate is bounded by the
// budget, not by the slot count.
func QueueConfig() map[string]river.QueueConfig {
	return QueueConfigFor(Sizing{})
}

// Sizing is what the worker slots of the queues follow: the number of
// sellers whose budgets are to be spent, how long each SP-API call holds
// a slot, and the bounds (the database pool, a ceiling).
//
// A slot is held for the whole of an SP-API call (Amazon answers in
// 200–600 ms), and since jobs no longer wait in their slots for tokens
// while others wait (yield.go), a job in a slot is either calling Amazon
// or writing what it got. By Little's law a queue needs its sellers' call
// rate × the call's latency in slots: at 50 sellers and 500 ms the fixed
// ten follow-up slots carry 20 calls a second, a tenth of what those
// sellers' fulfillment and tracking budgets allow (2/s each), and the budgets go
// unspent while jobs wait. A slot too many costs a goroutine.
//
// River v0.51.1 fixes a queue's MaxWorkers when the client is built: its
// QueueBundle (Client.Queues) can only add and remove queues (Remove waits
// for every running job of the queue), and QueueUpdate changes metadata,
// not the slot count. So the worker sizes its queues once, at start, from
// the active accounts; a worker that gains many sellers is restarted to
// follow them (Sizing.Sellers counts the active accounts then).
type Sizing struct {
	// Sellers is the number of active accounts. Zero keeps the fixed
	// counts of a few sellers.
	Sellers int
	// Latency is how long an SP-API call takes, answer included. Zero
	// means DefaultCallLatency.
	Latency time.Duration
	// PoolConns is the database pool's size (pgxpool MaxConns); zero
	// means no bound from it. A job holds a connection for its statements
	// only, about callDBTime a call, not while Amazon answers: the pool
	// carries PoolConns × (1 + Latency/callDBTime) jobs in slots before
	// they queue for connections (and River's own fetches and completions
	// with them).
	PoolConns int
	// MaxWorkers is the ceiling of all queues' slots together
	// (SPSYNC_MAX_WORKERS); zero means DefaultMaxWorkers. Past it the
	// queues shrink in proportion, none below one slot.
	MaxWorkers int
}

// DefaultCallLatency is the call time Sizing assumes: the slow end of what
// SP-API users report (200–600 ms), since a slot too many costs little and
// a slot too few leaves budgets unspent.
const DefaultCallLatency = 500 * time.Millisecond

// DefaultMaxWorkers is the default ceiling of all queues' slots. It is a
// guard more than a tuning: a first catch-up cost the worker and Postgres
// ~11 ms of CPU a call (pages of 100 orders stored included; 50 sellers,
// BenchmarkFirstCatchUp), so two cores are busy at ~180 calls a second,
// ~65 slots at 350 ms; slots past that wait for CPU or connections and
// cost goroutines. It bounds how many jobs a process holds (fetched,
// locked from other processes) when the sellers would want thousands.
const DefaultMaxWorkers = 200

// callDBTime is about what one call costs a job in database connection
// time: its token statement and its share of a page's transaction.
const callDBTime = 50 * time.Millisecond

// queueShape is a queue's slots at a few sellers (the floor) and the calls
// a second one seller's jobs in it make while catching up (zero: the
// queue does not grow with sellers).
type queueShape struct {
	floor      int
	perSeller  float64
	burstFetch bool
}

// queueShapes: a seller's polls (one per stream, their pages mostly within
// their bursts) make about a call a second; its follow-ups spend
// getFulfillmentOrder's and getPackageTrackingDetails' 2/s each and, at a
// first catch-up, their bursts of 30 each at once (over its first 15 s,
// (30 + 30) / 15 + 4 = 8 calls a second; service job refreshes' 20/s lasts
// a second); its order items getOrderItems' 0.5/s. Sized for the rates
// alone (4/s), the follow-up slots spent 50 sellers' bursts one after the
// other, a late seller's details and its packages' tracking (the chain that
// takes 2/s for ~20 s) starting ~15 s in (BenchmarkFirstCatchUp). Backfills
// are started by an operator for some accounts, not grown with all of them;
// the default queue holds credential rotations.
var queueShapes = map[string]queueShape{
	river.QueueDefault:    {floor: 2},
	QueuePoll:             {floor: 4, perSeller: 1},
	QueueFollowup:         {floor: 10, perSeller: 8, burstFetch: true},
	QueueFollowupItems:    {floor: 4, perSeller: 0.5, burstFetch: true},
	QueueBackfill:         {floor: 4},
	QueueBackfillFollowup: {floor: 6, burstFetch: true},
}

// QueueConfigFor returns River's queue configuration for s: each queue's
// floor, or its sellers' call rate × the latency when that is more,
// shrunk in proportion to fit the pool's bound and MaxWorkers (one slot a
// queue at the least).
func QueueConfigFor(s Sizing) map[string]river.QueueConfig {
	latency := s.Latency
	if latency <= 0 {
		latency = DefaultCallLatency
	}
	want := map[string]int{}
	total := 0
	for name, q := range queueShapes {
		n := q.floor
		if s.Sellers > 0 && q.perSeller > 0 {
			n = max(n, int(math.Ceil(float64(s.Sellers)*q.perSeller*latency.Seconds())))
		}
		want[name] = n
		total += n
	}
	limit := total
	if s.Sellers > 0 {
		limit = s.MaxWorkers
		if limit <= 0 {
			limit = DefaultMaxWorkers
		}
		if s.PoolConns > 0 {
			limit = min(limit, int(float64(s.PoolConns)*(1+latency.Seconds()/callDBTime.Seconds())))
		}
	} else if s.MaxWorkers > 0 {
		limit = s.MaxWorkers
	}
	out := map[string]river.QueueConfig{}
	for name, q := range queueShapes {
		n := want[name]
		if total > limit {
			// One slot each, the rest in proportion to what each wanted
			// beyond it: never more than limit (or one a queue) in all.
			n = 1 + (n-1)*max(0, limit-len(queueShapes))/(total-len(queueShapes))
		}
		cfg := river.QueueConfig{MaxWorkers: min(n, river.QueueNumWorkersMax)}
		if q.burstFetch {
			cfg.FetchCooldown = burstFetchCooldown
		}
		out[name] = cfg
	}
	return out
}

// Slots sums the worker slots of a queue configuration.
func Slots(queues map[string]river.QueueConfig) int {
	n := 0
	for _, q := range queues {
		n += q.MaxWorkers
	}
	return n
}

// QueueSizing is the Sizing of d's worker: its active accounts now, the
// pool's size, its MaxWorkers and DefaultCallLatency. The worker builds its
// River client with QueueConfigFor(deps.QueueSizing()) once the accounts
// are loaded.
func (d *Deps) QueueSizing() Sizing {
	s := Sizing{Sellers: len(d.AccountIDs()), MaxWorkers: d.MaxWorkers}
	if d.Pool != nil {
		s.PoolConns = int(d.Pool.Config().MaxConns)
	}
	return s
}
