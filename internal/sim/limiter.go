package sim

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/spsync/spsync/internal/spapi"
)

// Operation names, used as keys of usage plans, stats and entity
// counters: the client's, so the two can never spell one differently.
const (
	OpGetOrders                   = spapi.OpGetOrders
	OpGetOrder                    = spapi.OpGetOrder
	OpGetOrderItems               = spapi.OpGetOrderItems
	OpListAllFulfillmentOrders    = spapi.OpListAllFulfillmentOrders
	OpGetFulfillmentOrder         = spapi.OpGetFulfillmentOrder
	OpGetPackageTrackingDetails   = spapi.OpGetPackageTrackingDetails
	OpGetServiceJobs              = spapi.OpGetServiceJobs
	OpGetServiceJobByServiceJobID = spapi.OpGetServiceJobByServiceJobID
)

// Operation names of Orders 2026-01-01. Amazon names its getOrder the same
// in both versions; spsync keys the 2026 one getOrder2026 because the two
// have separate usage plans, budgets and stats.
const (
	OpSearchOrders = spapi.OpSearchOrders
	OpGetOrder2026 = spapi.OpGetOrder2026
)

// Operation names of the Reports API 2021-06-30.
const (
	OpCreateReport      = spapi.OpCreateReport
	OpGetReports        = spapi.OpGetReports
	OpGetReport         = spapi.OpGetReport
	OpGetReportDocument = spapi.OpGetReportDocument
)

// UsagePlan is a token bucket: Rate tokens per second refill a bucket of
// Burst tokens, and each call takes one.
type UsagePlan = spapi.UsagePlan

// simulatedOps are the operations the simulator serves.
var simulatedOps = []string{
	OpGetOrders, OpGetOrder, OpGetOrderItems,
	OpListAllFulfillmentOrders, OpGetFulfillmentOrder, OpGetPackageTrackingDetails,
	OpGetServiceJobs, OpGetServiceJobByServiceJobID,
	OpSearchOrders, OpGetOrder2026,
	OpCreateReport, OpGetReports, OpGetReport, OpGetReportDocument,
	OpListTransactions,
	OpGetSubscriptions, OpGetSubscription, OpCreateSubscription,
	OpGetSubscriptionByID, OpDeleteSubscriptionByID,
	OpGetDestinations, OpCreateDestination, OpGetDestination, OpDeleteDestination,
	OpRotateApplicationClientSecret,
}

// DefaultUsagePlans returns Amazon's documented default usage plans of the
// simulated operations, as spapi.DefaultUsagePlans records them. It returns a fresh
// map so callers may modify it.
func DefaultUsagePlans() map[string]UsagePlan {
	plans := make(map[string]UsagePlan, len(simulatedOps))
	for _, op := range simulatedOps {
		plans[op] = spapi.DefaultUsagePlans[op]
	}
	return plans
}

// limiter enforces one token bucket per (account, operation) on the
// limiter clock, like Amazon's per selling-partner-and-application plans.
type limiter struct {
	clock   Clock
	plans   map[string]UsagePlan
	mu      sync.Mutex
	buckets map[[2]string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(o Options) *limiter {
	plans := DefaultUsagePlans()
	for op, p := range o.UsagePlanOverrides {
		plans[op] = p
	}
	for op, p := range plans {
		p.Rate *= o.RateScale
		p.Burst = max(1, int(float64(p.Burst)*o.BurstScale+0.5))
		plans[op] = p
	}
	return &limiter{clock: o.LimiterClock, plans: plans, buckets: map[[2]string]*bucket{}}
}

// plan returns the applied (scaled) plan of op.
func (l *limiter) plan(op string) UsagePlan { return l.plans[op] }

// rateHeader formats the applied rate the way x-amzn-RateLimit-Limit does.
func (l *limiter) rateHeader(op string) string {
	return strconv.FormatFloat(math.Round(l.plans[op].Rate*1e6)/1e6, 'f', -1, 64)
}

// take removes one token from the (account, op) bucket and reports whether
// there was one. A new bucket starts full, as a fresh Amazon plan does.
func (l *limiter) take(account, op string) bool {
	p := l.plans[op]
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	k := [2]string{account, op}
	b := l.buckets[k]
	if b == nil {
		b = &bucket{tokens: float64(p.Burst), last: now}
		l.buckets[k] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(float64(p.Burst), b.tokens+el*p.Rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// drain empties the (account, op) bucket.
func (l *limiter) drain(account, op string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buckets[[2]string{account, op}] = &bucket{tokens: 0, last: l.clock.Now()}
}

// reset forgets every bucket, refilling them all.
func (l *limiter) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buckets = map[[2]string]*bucket{}
}
