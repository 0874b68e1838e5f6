-- +goose Up
-- An account paused (or needing re-authorization) and active again between
-- two scheduler ticks kept its account_schedules rows, so the tick took it
-- for one that never stopped: its polls, cancelled by the state change,
-- came back only at their next slot (up to the interval: ten minutes for
-- financial transactions) instead of at once. The row now remembers which
-- activation of the account it belongs to.
ALTER TABLE account_schedules ADD COLUMN account_since timestamptz;

COMMENT ON COLUMN account_schedules.account_since IS 'The account''s accounts.state_changed_at when the row was made (0001-01-01 for an account of the environment, which has no row in accounts; NULL for rows made before this column): a row of another activation (the account paused or re-authorized since) is taken as new, and the account''s jobs start at once.';

-- +goose Down
ALTER TABLE account_schedules DROP COLUMN account_since;
