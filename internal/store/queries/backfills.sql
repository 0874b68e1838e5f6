-- name: CreateBackfill :one
INSERT INTO backfills (account_id, stream, from_time, to_time, window_seconds, windows_total, via)
VALUES (@account_id, @stream, @from_time, @to_time, @window_seconds, @windows_total, @via)
RETURNING *;

-- name: CreateBackfillWindows :exec
INSERT INTO backfill_windows (backfill_id, window_start, window_end)
SELECT @backfill_id::bigint, unnest(@window_starts::timestamptz[]), unnest(@window_ends::timestamptz[]);

-- name: GetBackfill :one
SELECT * FROM backfills WHERE id = @id;

-- name: ListBackfills :many
-- ListBackfills returns the latest backfills, newest first.
SELECT * FROM backfills ORDER BY id DESC LIMIT @max_rows;

-- name: ListRunningBackfills :many
SELECT * FROM backfills WHERE state = 'running' ORDER BY id;

-- name: BackfillPagesDone :one
-- BackfillPagesDone sums the pages of the backfill's finished windows, for
-- an estimate of the pages the remaining ones need.
SELECT count(*)::bigint AS windows, coalesce(sum(pages), 0)::bigint AS pages
FROM backfill_windows WHERE backfill_id = @backfill_id AND done_at IS NOT NULL;

-- name: GetBackfillWindow :one
SELECT * FROM backfill_windows WHERE backfill_id = @backfill_id AND window_start = @window_start;

-- name: CountBackfillWindowPage :one
-- CountBackfillWindowPage adds one committed page to a window's accounting
-- and, with last, marks it done: a done window is never fetched again. It
-- matches only a window that is not done yet. (Where a half-done window
-- resumes is in walk_progress, written in the same transaction.)
UPDATE backfill_windows
SET pages = pages + 1, rows_written = rows_written + @rows,
    done_at = CASE WHEN @last::boolean THEN now() END
WHERE backfill_id = @backfill_id AND window_start = @window_start AND done_at IS NULL
RETURNING pages;

-- name: AddBackfillProgress :one
-- AddBackfillProgress adds a page's rows and, for a window's last page, the
-- window to a running backfill; the last window makes it done. No row
-- comes back when the backfill is no longer running (cancelled): the
-- caller rolls back.
UPDATE backfills
SET rows_written = rows_written + @rows,
    windows_done = windows_done + @windows,
    state        = CASE WHEN windows_done + @windows >= windows_total THEN 'done' ELSE state END,
    finished_at  = CASE WHEN windows_done + @windows >= windows_total THEN now() END,
    updated_at   = now()
WHERE id = @id AND state = 'running'
RETURNING state, windows_done, windows_total;

-- name: RecordBackfillError :exec
-- RecordBackfillError counts a failed window attempt; fail marks the
-- backfill failed (a window failed for good).
UPDATE backfills
SET errors      = errors + 1,
    last_error  = @last_error,
    state       = CASE WHEN @fail::boolean AND state = 'running' THEN 'failed' ELSE state END,
    finished_at = CASE WHEN @fail::boolean AND state = 'running' THEN now() ELSE finished_at END,
    updated_at  = now()
WHERE id = @id;

-- name: CancelBackfill :one
UPDATE backfills SET state = 'cancelled', finished_at = now(), updated_at = now()
WHERE id = @id AND state = 'running'
RETURNING *;

-- name: BackfillListBudget :one
-- BackfillListBudget is the budget of a backfill's list operation now: its
-- rate and the tokens in the bucket (the largest bucket when the account
-- has several regions).
SELECT rate::float8 AS rate,
       least(burst, tokens + rate * greatest(0, extract(epoch FROM (clock_timestamp() - updated_at)))::float8)::float8 AS level
FROM rate_budgets
WHERE account_id = @account_id AND operation = @operation
ORDER BY rate DESC
LIMIT 1;

-- name: BackfillPagesPending :one
-- BackfillPagesPending sums the pages already committed by windows that
-- are not done yet.
SELECT coalesce(sum(pages), 0)::bigint AS pages
FROM backfill_windows WHERE backfill_id = @backfill_id AND done_at IS NULL;

-- name: MarkWindowReportRequested :exec
-- MarkWindowReportRequested notes, before createReport is sent, that a
-- report of the window may exist from now on.
UPDATE backfill_windows SET report_requested_at = coalesce(report_requested_at, now())
WHERE backfill_id = @backfill_id AND window_start = @window_start AND report_id IS NULL;

-- name: SetWindowReport :exec
-- SetWindowReport records the window's report and its status.
UPDATE backfill_windows SET report_id = @report_id, report_status = @report_status,
    report_requested_at = coalesce(report_requested_at, now())
WHERE backfill_id = @backfill_id AND window_start = @window_start AND done_at IS NULL;

-- name: ForgetWindowReport :one
-- ForgetWindowReport drops a FATAL report of the window so that the next
-- run asks for a new one, and counts it.
UPDATE backfill_windows SET report_id = NULL, report_status = 'FATAL', report_requested_at = NULL,
    fatal_reports = fatal_reports + 1
WHERE backfill_id = @backfill_id AND window_start = @window_start AND done_at IS NULL
RETURNING fatal_reports;

-- name: DeleteWindowForSplit :execrows
-- DeleteWindowForSplit removes a window that smaller ones replace, when its
-- backfill is running and it is not done.
DELETE FROM backfill_windows w
WHERE w.backfill_id = @backfill_id::bigint AND w.window_start = @window_start::timestamptz AND w.done_at IS NULL
  AND EXISTS (SELECT 1 FROM backfills b WHERE b.id = @backfill_id::bigint AND b.state = 'running');

-- name: AddBackfillWindows :exec
UPDATE backfills SET windows_total = windows_total + @added::int, updated_at = now()
WHERE id = @id;
