package config

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/spsync/spsync/internal/spapi"
)

// RateLimit is an operator's override of one operation's usage plan: Rate
// tokens per second refill a bucket of Burst. The budget follows it instead
// of Amazon's rate header (budget.DefaultPlans pins it).
//
// It is config's own type, not budget's Plan, so that reading the
// environment does not pull in the budget and through it the database layer.
type RateLimit struct {
	Rate  float64
	Burst float64
}

// ParseRateLimits reads overrides written as "op=rate:burst,op=rate:burst",
// the format of SPSYNC_RATE_LIMITS, e.g. "getOrders=0.0167:20". Unknown
// operations are an error, so a typo doesn't silently do nothing.
func ParseRateLimits(s string) (map[string]RateLimit, error) {
	limits := map[string]RateLimit{}
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
		limits[op] = RateLimit{Rate: rate, Burst: burst}
	}
	return limits, nil
}

func knownOps() []string {
	ops := make([]string, 0, len(spapi.DefaultUsagePlans))
	for op := range spapi.DefaultUsagePlans {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}
