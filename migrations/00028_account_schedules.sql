-- +goose Up
-- Every account's periodic jobs (its polls, the fulfillment reconcile) used
-- to be River periodic jobs, one per account and stream, built in the
-- leader's memory from the accounts known at start and all due at the same
-- cron instant. A few fixed scheduler ticks now insert them (jobs
-- PollSchedulerArgs): this table is what the ticks share across processes
-- and leader changes, one row per account and periodic job, saying when it
-- is next due. A tick inserts the jobs due before its horizon and moves
-- their rows on in the same transaction, so a leader killed mid-tick
-- inserts nothing and moves nothing, and the next leader's tick inserts
-- them: no poll is skipped or doubled.
CREATE TABLE account_schedules (
    account_id  text        NOT NULL,
    periodic_id text        NOT NULL,
    schedule    text        NOT NULL,
    next_at     timestamptz NOT NULL,
    PRIMARY KEY (account_id, periodic_id)
);

COMMENT ON TABLE account_schedules IS 'When each active account''s periodic jobs (polls, reconciles) are next inserted by the scheduler tick (jobs.PollSchedulerArgs). Rows of accounts that stop syncing are deleted; an account that starts (again) gets its jobs within the first minute.';
COMMENT ON COLUMN account_schedules.account_id IS 'The account (accounts.id, or an account of the environment in a keyless deployment).';
COMMENT ON COLUMN account_schedules.periodic_id IS 'The stream''s periodic job (jobs.Periodic.ID: orders_poll, fulfillment_reconcile, …).';
COMMENT ON COLUMN account_schedules.schedule IS 'The cron expression next_at was computed from: when the operator changes it (SPSYNC_*_CRON), the next tick recomputes next_at from the new one.';
COMMENT ON COLUMN account_schedules.next_at IS 'When the job is next due, on the database clock: the cron instant plus the account''s stable offset within the interval, so accounts are spread over it instead of all polled at the same instant.';

-- +goose Down
DROP TABLE account_schedules;
