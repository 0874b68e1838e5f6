-- name: RecordPermissionDenied :exec
-- RecordPermissionDenied notes one refusal of an operation for an account.
INSERT INTO permission_denials (account_id, operation, error)
VALUES (@account_id::text, @operation::text, @error::text)
ON CONFLICT (account_id, operation) DO UPDATE SET
    error        = EXCLUDED.error,
    last_seen_at = now(),
    times_seen   = permission_denials.times_seen + 1;

-- name: ClearPermissionDenied :exec
-- ClearPermissionDenied forgets the refusals of an operation that answered.
DELETE FROM permission_denials WHERE account_id = @account_id::text AND operation = @operation::text;

-- name: ListPermissionDenials :many
SELECT account_id, operation, error, first_seen_at, last_seen_at, times_seen
FROM permission_denials
ORDER BY account_id, operation;
