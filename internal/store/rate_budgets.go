package store

import (
	"context"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// The shared rate budget (internal/budget) keeps one token bucket per
// account, region and operation in rate_budgets; every statement that
// refills, takes or adapts a bucket does it atomically on the database
// clock (queries/rate_budgets.sql). These are its statements.

type (
	// TakeRateTokenParams are the arguments of TakeRateToken.
	TakeRateTokenParams = dbsqlc.TakeRateTokenParams
	// TakeRateTokenRow is a bucket after a take.
	TakeRateTokenRow = dbsqlc.TakeRateTokenRow
	// TakeRateTokenInLineParams are the arguments of TakeRateTokenInLine.
	TakeRateTokenInLineParams = dbsqlc.TakeRateTokenInLineParams
	// TakeRateTokenInLineRow is what TakeRateTokenInLine did, and the wait.
	TakeRateTokenInLineRow = dbsqlc.TakeRateTokenInLineRow
	// DropRateReservationsParams names the bucket whose line is dropped.
	DropRateReservationsParams = dbsqlc.DropRateReservationsParams
	// RecordThrottleParams are the arguments of RecordThrottle.
	RecordThrottleParams = dbsqlc.RecordThrottleParams
	// ResolveProbeParams are the arguments of ResolveProbe.
	ResolveProbeParams = dbsqlc.ResolveProbeParams
	// LearnRateParams are the arguments of LearnRate.
	LearnRateParams = dbsqlc.LearnRateParams
	// EnsureRateBudgetParams are the arguments of EnsureRateBudget.
	EnsureRateBudgetParams = dbsqlc.EnsureRateBudgetParams
	// RateBudget is one bucket as ListRateBudgets reads it, refilled to now.
	RateBudget = dbsqlc.ListRateBudgetsRow
)

// TakeRateToken refills a bucket to now and takes a token if the caller's
// class may (see queries/rate_budgets.sql).
func TakeRateToken(ctx context.Context, db DBTX, p TakeRateTokenParams) (*TakeRateTokenRow, error) {
	return dbsqlc.New().TakeRateToken(ctx, db, p)
}

// TakeRateTokenInLine takes a token for a caller that waits in line: one
// refused a token holds the next in debt and is told when to spend it (see
// queries/rate_budgets.sql).
func TakeRateTokenInLine(ctx context.Context, db DBTX, p TakeRateTokenInLineParams) (*TakeRateTokenInLineRow, error) {
	return dbsqlc.New().TakeRateTokenInLine(ctx, db, p)
}

// DropRateReservations forgets a bucket's line (after a 429).
func DropRateReservations(ctx context.Context, db DBTX, p DropRateReservationsParams) error {
	return dbsqlc.New().DropRateReservations(ctx, db, p)
}

// RecordThrottle records a 429 Amazon answered, emptying the bucket unless
// it says nothing new, and returns what it made of it: suspect, drained,
// throttled, refuted or straggler (see queries/rate_budgets.sql).
func RecordThrottle(ctx context.Context, db DBTX, p RecordThrottleParams) (string, error) {
	return dbsqlc.New().RecordThrottle(ctx, db, p)
}

// ResolveProbe records that a probe or confirming call succeeded; it
// reports whether the bucket was still waiting for that answer.
func ResolveProbe(ctx context.Context, db DBTX, p ResolveProbeParams) (bool, error) {
	n, err := dbsqlc.New().ResolveProbe(ctx, db, p)
	return n > 0, err
}

// LearnRate adapts a bucket's rate to Amazon's x-amzn-RateLimit-Limit.
func LearnRate(ctx context.Context, db DBTX, p LearnRateParams) error {
	return dbsqlc.New().LearnRate(ctx, db, p)
}

// EnsureRateBudget creates a bucket with its plan unless it exists.
func EnsureRateBudget(ctx context.Context, db DBTX, p EnsureRateBudgetParams) error {
	return dbsqlc.New().EnsureRateBudget(ctx, db, p)
}

// ListRateBudgets returns every bucket refilled to now, for `worker status`
// and /metrics.
func ListRateBudgets(ctx context.Context, db DBTX) ([]*RateBudget, error) {
	return dbsqlc.New().ListRateBudgets(ctx, db)
}
