-- +goose Up
-- periodic_insert_failures records what River's periodic job enqueuer could
-- not do: it inserts every periodic job due at one instant (polls, the PII
-- purge) in one transaction, and when that fails it only logs, so nothing
-- due then runs until the next tick. One row per kind of failure (River's log
-- message), counted across every worker process; `worker status` shows the
-- recent ones.
CREATE TABLE periodic_insert_failures (
    failure       text        PRIMARY KEY,
    error         text        NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    times_seen    bigint      NOT NULL DEFAULT 1
);

COMMENT ON TABLE periodic_insert_failures IS 'Failures of River''s periodic job enqueuer (the polls and the PII purge due at that instant were not inserted), one row per kind of failure.';
COMMENT ON COLUMN periodic_insert_failures.failure IS 'What failed, as River''s log message says it, e.g. "Error inserting periodic jobs".';
COMMENT ON COLUMN periodic_insert_failures.error IS 'The database''s error of the latest failure; never a credential.';
COMMENT ON COLUMN periodic_insert_failures.first_seen_at IS 'When this failure was first seen.';
COMMENT ON COLUMN periodic_insert_failures.last_seen_at IS 'When it was last seen.';
COMMENT ON COLUMN periodic_insert_failures.times_seen IS 'How many times it happened, across every worker process.';

-- +goose Down
DROP TABLE periodic_insert_failures;
