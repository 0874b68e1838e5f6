-- name: GetWalkProgress :one
SELECT * FROM walk_progress
WHERE account_id = @account_id AND stream = @stream AND walk = @walk;

-- name: StartWalkProgress :execrows
-- StartWalkProgress records a walk's first committed page. It inserts
-- nothing when a row exists: another run of the same walk got there first.
INSERT INTO walk_progress (account_id, stream, walk, window_from, window_to, started_at, next_token, high_water, pages, rows_written)
VALUES (@account_id, @stream, @walk, @window_from, @window_to, @started_at, @next_token, @high_water, 1, @rows_written)
ON CONFLICT (account_id, stream, walk) DO NOTHING;

-- name: AdvanceWalkProgress :execrows
-- AdvanceWalkProgress records one more committed page. It matches only
-- while the walk stands where the caller read it (pages), so two runs of
-- one walk cannot both commit the same page.
UPDATE walk_progress
SET window_to = @window_to, next_token = @next_token, high_water = @high_water,
    pages = pages + 1, rows_written = @rows_written, updated_at = now()
WHERE account_id = @account_id AND stream = @stream AND walk = @walk AND pages = @pages;

-- name: FinishWalkProgress :execrows
-- FinishWalkProgress deletes a walk's progress with its last page, on the
-- condition that it stands where the caller read it.
DELETE FROM walk_progress
WHERE account_id = @account_id AND stream = @stream AND walk = @walk AND pages = @pages;

-- name: ForgetWalkProgress :exec
-- ForgetWalkProgress drops a walk's progress whatever its page, so it
-- starts its window again (an expired page token).
DELETE FROM walk_progress
WHERE account_id = @account_id AND stream = @stream AND walk = @walk;

-- name: CountWalkProgress :one
SELECT count(*)::bigint FROM walk_progress;
