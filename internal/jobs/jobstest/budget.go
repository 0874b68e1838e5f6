package jobstest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/jobs"
)

// newBudget returns the budget jobs tests run with.
//
// TODO(budget): replace with internal/budget once it lands; until then
// calls are not rate limited on the client side and 429s from the
// simulator surface as snoozes.
func newBudget(t testing.TB, pool *pgxpool.Pool) jobs.Budget {
	return unlimited{}
}

type unlimited struct{}

func (unlimited) Acquire(context.Context, jobs.BudgetKey, jobs.BudgetClass) error { return nil }
func (unlimited) Observe(context.Context, jobs.BudgetKey, float64, bool)          {}
func (unlimited) SnoozeFor(error) (time.Duration, bool)                           { return 0, false }
