-- name: GetCursor :one
SELECT * FROM sync_cursors
WHERE account_id = @account_id AND stream = @stream AND scope = @scope;

-- name: AdvanceCursor :exec
-- AdvanceCursor records a successful run. The cursor never moves backwards:
-- a late, overlapping run cannot undo a newer high-water mark.
INSERT INTO sync_cursors (account_id, stream, scope, cursor_at, last_run_at, last_success_at, rows_written, updated_at)
VALUES (@account_id, @stream, @scope, @cursor_at, now(), now(), @rows_written, now())
ON CONFLICT (account_id, stream, scope) DO UPDATE SET
    cursor_at       = GREATEST(sync_cursors.cursor_at, EXCLUDED.cursor_at),
    last_run_at     = now(),
    last_success_at = now(),
    rows_written    = sync_cursors.rows_written + EXCLUDED.rows_written,
    updated_at      = now();

-- name: RecordCursorError :exec
INSERT INTO sync_cursors (account_id, stream, scope, last_run_at, last_error, last_error_at, updated_at)
VALUES (@account_id, @stream, @scope, now(), @last_error, now(), now())
ON CONFLICT (account_id, stream, scope) DO UPDATE SET
    last_run_at   = now(),
    last_error    = EXCLUDED.last_error,
    last_error_at = now(),
    updated_at    = now();

-- name: ListCursors :many
SELECT * FROM sync_cursors ORDER BY account_id, stream, scope;
