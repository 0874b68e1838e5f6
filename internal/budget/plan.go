package budget

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

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
// pinned plans. Overrides are not scaled: they are what the operator said.
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

// ParsePlans reads overrides written as "op=rate:burst,op=rate:burst", the
// format of SPSYNC_RATE_LIMITS, e.g. "getOrders=0.0167:20". Unknown
// operations are an error, so a typo doesn't silently do nothing.
func ParsePlans(s string) (Plans, error) {
	plans := Plans{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		op, shape, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want op=rate:burst", part)
		}
		op = strings.TrimSpace(op)
		if _, known := spapi.DefaultUsagePlans[op]; !known {
			return nil, fmt.Errorf("%q: unknown operation %q (known: %s)", part, op, strings.Join(knownOps(), ", "))
		}
		rateText, burstText, ok := strings.Cut(shape, ":")
		if !ok {
			return nil, fmt.Errorf("%q: want op=rate:burst", part)
		}
		rate, err := strconv.ParseFloat(strings.TrimSpace(rateText), 64)
		if err != nil || rate <= 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
			return nil, fmt.Errorf("%q: rate must be a positive number of requests per second", part)
		}
		burst, err := strconv.ParseFloat(strings.TrimSpace(burstText), 64)
		if err != nil || burst < 1 || math.IsInf(burst, 0) {
			return nil, fmt.Errorf("%q: burst must be a number of at least 1", part)
		}
		plans[op] = Plan{Rate: rate, Burst: burst, Pinned: true}
	}
	return plans, nil
}

func knownOps() []string {
	ops := make([]string, 0, len(spapi.DefaultUsagePlans))
	for op := range spapi.DefaultUsagePlans {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}
