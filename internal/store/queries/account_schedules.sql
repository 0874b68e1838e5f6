-- name: TryLockAccountSchedules :one
-- TryLockAccountSchedules takes the scheduler tick's transaction lock
-- ("SPSC", 1): two ticks (a leader change, a tick still running when the
-- next is due) never plan at once, and the one that does not get the lock
-- leaves the work to the one that has it.
SELECT pg_try_advisory_xact_lock(1397773123, 1)::bool AS locked;

-- name: ListAccountSchedules :many
SELECT account_id, periodic_id, schedule, next_at, account_since FROM account_schedules;

-- name: AccountsActiveSince :many
-- AccountsActiveSince is each account's state and when it last changed
-- (for an active one: since when it is active), read under the tick's
-- lock. Accounts of the environment have no row.
SELECT id, state, state_changed_at FROM accounts WHERE id = ANY(@ids::text[]);

-- name: LockAccountSchedules :exec
-- LockAccountSchedules waits for the scheduler tick's lock (see
-- TryLockAccountSchedules): an account's state change takes it before
-- cancelling the account's jobs, so a tick that planned with the account
-- active cannot insert its jobs after they were cancelled.
SELECT pg_advisory_xact_lock(1397773123, 1);

-- name: SaveAccountSchedules :exec
-- SaveAccountSchedules writes the rows a tick created or moved on, in one
-- statement (@account_ids[i], @periodic_ids[i], … are one row).
INSERT INTO account_schedules (account_id, periodic_id, schedule, next_at, account_since)
SELECT unnest(@account_ids::text[]), unnest(@periodic_ids::text[]), unnest(@schedules::text[]), unnest(@next_ats::timestamptz[]),
       unnest(@account_sinces::timestamptz[])
ON CONFLICT (account_id, periodic_id) DO UPDATE SET schedule = EXCLUDED.schedule, next_at = EXCLUDED.next_at,
    account_since = EXCLUDED.account_since;

-- name: DeleteAccountSchedulesExcept :execrows
-- DeleteAccountSchedulesExcept drops the rows of accounts that no longer
-- sync and of periodic jobs no stream declares any more.
DELETE FROM account_schedules
WHERE NOT (account_id = ANY(@account_ids::text[])) OR NOT (periodic_id = ANY(@periodic_ids::text[]));
