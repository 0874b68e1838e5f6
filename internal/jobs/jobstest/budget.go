package jobstest

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/budget"
	"github.com/spsync/spsync/internal/sim"
)

// SimPlans are budget plans equal to the usage plans s enforces (scaled
// rates and bursts included), so a budget and the simulator agree on
// every bucket the way spsync and Amazon do.
func SimPlans(s *sim.Sim) budget.Plans {
	plans := budget.DefaultPlans(1, nil)
	for op := range sim.DefaultUsagePlans() {
		p := s.UsagePlan(op)
		plans[op] = budget.Plan{Rate: p.Rate, Burst: float64(p.Burst)}
	}
	return plans
}

// newBudget returns the real shared budget over the test's database,
// shaped like the simulator's buckets.
func newBudget(_ testing.TB, pool *pgxpool.Pool, s *sim.Sim) *budget.Budget {
	return budget.New(pool, budget.Options{Plans: SimPlans(s)})
}
