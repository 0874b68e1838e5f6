-- name: GetPollChangeRate :one
-- GetPollChangeRate is the change rate an account's poll last observed, for
-- the next window to fold into.
SELECT change_rate FROM poll_schedules WHERE account_id = @account_id AND stream = @stream;

-- name: UpsertPollSchedule :exec
INSERT INTO poll_schedules (account_id, stream, operation, mode, change_rate, calls_per_hour, budget_per_hour,
    headroom_per_hour, ceiling_per_hour, interval_seconds, lag_target_seconds, lag_slope,
    last_window_changes, last_window_seconds, last_calls, decided_at, next_poll_at)
VALUES (@account_id, @stream, @operation, @mode, @change_rate, @calls_per_hour, @budget_per_hour,
    @headroom_per_hour, @ceiling_per_hour, @interval_seconds, @lag_target_seconds, @lag_slope,
    @last_window_changes, @last_window_seconds, @last_calls, @decided_at, @next_poll_at)
ON CONFLICT (account_id, stream) DO UPDATE SET
    operation = EXCLUDED.operation, mode = EXCLUDED.mode, change_rate = EXCLUDED.change_rate,
    calls_per_hour = EXCLUDED.calls_per_hour, budget_per_hour = EXCLUDED.budget_per_hour,
    headroom_per_hour = EXCLUDED.headroom_per_hour, ceiling_per_hour = EXCLUDED.ceiling_per_hour,
    interval_seconds = EXCLUDED.interval_seconds, lag_target_seconds = EXCLUDED.lag_target_seconds,
    lag_slope = EXCLUDED.lag_slope, last_window_changes = EXCLUDED.last_window_changes,
    last_window_seconds = EXCLUDED.last_window_seconds, last_calls = EXCLUDED.last_calls,
    decided_at = EXCLUDED.decided_at, next_poll_at = EXCLUDED.next_poll_at;

-- name: ListPollSchedules :many
SELECT * FROM poll_schedules ORDER BY account_id, stream;

-- name: GetPollBucket :one
-- GetPollBucket is a poll's list bucket at @at (the database clock when
-- null): rate, size and level (the largest bucket when the account has
-- several regions).
SELECT rate::float8 AS rate, burst::float8 AS burst,
       least(burst, tokens + rate * greatest(0, extract(epoch FROM (coalesce(sqlc.narg(at)::timestamptz, clock_timestamp()) - updated_at)))::float8)::float8 AS level
FROM rate_budgets
WHERE account_id = @account_id AND operation = @operation
ORDER BY rate DESC
LIMIT 1;

-- name: PollBackfillRunning :one
-- PollBackfillRunning reports whether a backfill of the stream walks the
-- account's list bucket now: by the list's windows or a first poll's
-- lookback (report backfills spend other buckets).
SELECT EXISTS (
    SELECT 1 FROM backfills
    WHERE account_id = @account_id AND stream = @stream AND state = 'running' AND via IN ('api', 'lookback')
)::boolean AS running;
