package riverext

import (
	"context"
	"fmt"
)

// Pausing an account, or finding that its authorization ended, stops every
// job of it that waits; resuming it puts back exactly those. River cancels
// jobs one id at a time (JobCancelTx); an account can have thousands waiting,
// so this is one statement each way. A job is the account's when its args
// carry "account_id": every spsync job kind does.

// CancelAccountJobs cancels the account's jobs that wait (available,
// scheduled, retryable, pending), recording reason as their last error so
// RetryAccountJobs can tell them from jobs cancelled for other reasons.
// Running jobs stop at their next SP-API call (the account's state is
// checked before each one); those that would instead end in a snooze or a
// retry are marked as River's JobCancel marks a running job
// (metadata.cancel_attempted_at), so River cancels them rather than
// leaving them waiting for an account that stopped.
func CancelAccountJobs(ctx context.Context, db Querier, accountID, reason string) (int, error) {
	var n int
	err := db.QueryRow(ctx, `
		WITH marked AS (
			UPDATE river_job
			SET metadata = jsonb_set(metadata, '{cancel_attempted_at}', to_jsonb(now()), true)
			WHERE state = 'running' AND args ->> 'account_id' = $1
			RETURNING 1),
		cancelled AS (
			UPDATE river_job
			SET state = 'cancelled', finalized_at = now(),
			    errors = array_append(errors, jsonb_build_object(
			        'at', now(), 'attempt', greatest(attempt, 1), 'error', $2::text, 'trace', ''))
			WHERE state IN ('available', 'scheduled', 'retryable', 'pending')
			  AND args ->> 'account_id' = $1
			RETURNING 1)
		SELECT count(*) FROM cancelled`, accountID, reason).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("cancel jobs of account %s: %w", accountID, err)
	}
	return n, nil
}

// RetryAccountJobs makes the account's jobs that CancelAccountJobs (or a
// job stopping on its own) cancelled with reason runnable again, at once.
// Unique jobs that another job has replaced meanwhile stay cancelled — one
// holding the key in any state its unique options name (River's
// river_job_unique_idx), completed included by default — and of several
// cancelled copies of one unique job only the newest returns.
func RetryAccountJobs(ctx context.Context, db Querier, accountID, reason string) (int, error) {
	var n int
	err := db.QueryRow(ctx, `
		WITH candidates AS (
			SELECT DISTINCT ON (coalesce(j.unique_key, int8send(j.id))) j.id FROM river_job j
			WHERE j.state = 'cancelled'
			  AND j.args ->> 'account_id' = $1
			  AND j.errors[array_length(j.errors, 1)] ->> 'error' LIKE '%' || $2::text || '%'
			  AND (j.unique_key IS NULL OR NOT EXISTS (
			      SELECT 1 FROM river_job o
			      WHERE o.unique_key = j.unique_key AND o.id <> j.id
			        AND o.unique_states IS NOT NULL
			        AND river_job_state_in_bitmask(o.unique_states, o.state)))
			ORDER BY coalesce(j.unique_key, int8send(j.id)), j.id DESC),
		retried AS (
			UPDATE river_job j
			SET state = 'available', finalized_at = NULL, scheduled_at = now(),
			    metadata = j.metadata - 'cancel_attempted_at',
			    max_attempts = greatest(j.max_attempts, j.attempt + 1)
			FROM candidates c WHERE j.id = c.id
			RETURNING 1)
		SELECT count(*) FROM retried`, accountID, reason).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("retry jobs of account %s: %w", accountID, err)
	}
	return n, nil
}
