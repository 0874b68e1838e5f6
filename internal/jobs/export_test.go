package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// ScheduleTickAt is ScheduleTick with now as the tick's time instead of the
// database clock: tests and the benchmark step through minutes without
// waiting for them.
func (ss Streams) ScheduleTickAt(ctx context.Context, deps *Deps, tick time.Duration, insert InsertManyFunc, now time.Time) (TickResult, error) {
	return ss.scheduleTick(ctx, deps, tick, insert, func(context.Context, pgx.Tx) (time.Time, error) { return now, nil })
}

// SpreadOffset exposes spreadOffset.
var SpreadOffset = spreadOffset
