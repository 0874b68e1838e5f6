package riverext

import (
	"context"
	"fmt"
)

// QueueHasWaiting reports whether queue has a job waiting for a worker slot
// now: available and due. A job about to wait in its slot for a rate token
// asks it (through jobs.Deps) to decide whether to snooze instead. State
// and queue lead River's fetch index (river_job_prioritized_fetching_index),
// so the answer costs one index probe however many jobs the table holds.
func QueueHasWaiting(ctx context.Context, db Querier, queue string) (bool, error) {
	var yes bool
	err := db.QueryRow(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM river_job
			WHERE state = 'available' AND queue = $1 AND scheduled_at <= now()
		)`, queue).Scan(&yes)
	if err != nil {
		return false, fmt.Errorf("look for waiting jobs in queue %s: %w", queue, err)
	}
	return yes, nil
}
