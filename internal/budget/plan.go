package budget

import (
	"github.com/spsync/spsync/internal/spapi"
)

// Plan is the shape of one operation's bucket: Rate tokens per second
// refill it up to Burst.
type Plan struct {
	Rate  float64
	Burst float64
	// Pinned marks an operator override: Amazon's rate header is then
	// recorded but not followed.
	Pinned bool
}

// Plans maps operation names to plans.
type Plans map[string]Plan

// DefaultPlans returns Amazon's documented usage plans with every rate
// multiplied by rateScale (1 against Amazon; larger against the simulator,
// which scales its own buckets the same way), then overrides applied as
// pinned plans. Overrides are not scaled: they are what the operator said
// (SPSYNC_RATE_LIMITS, parsed by config.ParseRateLimits).
func DefaultPlans(rateScale float64, overrides Plans) Plans {
	if rateScale <= 0 {
		rateScale = 1
	}
	plans := make(Plans, len(spapi.DefaultUsagePlans)+len(overrides))
	for op, p := range spapi.DefaultUsagePlans {
		plans[op] = Plan{Rate: p.Rate * rateScale, Burst: float64(p.Burst)}
	}
	for op, p := range overrides {
		p.Pinned = true
		plans[op] = p
	}
	return plans
}
