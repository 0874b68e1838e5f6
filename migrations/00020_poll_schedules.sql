-- +goose Up
-- poll_schedules is each account's budget-aware poll schedule (jobs.NextPoll)
-- as its poll last decided it: what it observed (the change rate, its last
-- window) and what it planned (mode, interval, calls an hour, headroom). The
-- poll decides once per account: it is one River job that snoozes itself
-- until its next run, and it writes this row when it does. `worker status`
-- reads it.
CREATE TABLE poll_schedules (
    account_id           text             NOT NULL,
    stream               text             NOT NULL,
    operation            text             NOT NULL,
    mode                 text             NOT NULL CHECK (mode IN ('fresh', 'backfill', 'safety-net', 'over-ceiling')),
    change_rate          double precision NOT NULL CHECK (change_rate >= 0),
    calls_per_hour       double precision NOT NULL,
    budget_per_hour      double precision NOT NULL,
    headroom_per_hour    double precision NOT NULL,
    ceiling_per_hour     double precision NOT NULL,
    interval_seconds     double precision NOT NULL,
    lag_target_seconds   double precision NOT NULL,
    lag_slope            double precision NOT NULL,
    last_window_changes  bigint           NOT NULL,
    last_window_seconds  double precision NOT NULL,
    last_calls           integer          NOT NULL,
    decided_at           timestamptz      NOT NULL,
    next_poll_at         timestamptz      NOT NULL,
    PRIMARY KEY (account_id, stream)
);

COMMENT ON TABLE poll_schedules IS 'Each account''s budget-aware poll schedule as its poll last decided it (jobs.NextPoll): observed change rate, planned cadence, calls an hour and headroom.';
COMMENT ON COLUMN poll_schedules.operation IS 'The list operation whose bucket the poll spends (searchOrders, getOrders).';
COMMENT ON COLUMN poll_schedules.mode IS 'fresh (every refill), backfill (a backfill shares the bucket: full pages, at most 3 refills apart), safety-net (push on: full pages, at most 5 refills apart) or over-ceiling (more changes than polling can list).';
COMMENT ON COLUMN poll_schedules.change_rate IS 'Observed changes an hour: a time-weighted average of the windows polled (about an hour).';
COMMENT ON COLUMN poll_schedules.calls_per_hour IS 'Calls an hour the cadence spends at the observed rate.';
COMMENT ON COLUMN poll_schedules.budget_per_hour IS 'The bucket''s refill an hour: 3600 × rate.';
COMMENT ON COLUMN poll_schedules.headroom_per_hour IS 'budget_per_hour − calls_per_hour: what the poll leaves for backfills.';
COMMENT ON COLUMN poll_schedules.ceiling_per_hour IS 'Changes an hour polling alone can carry: a full page every refill.';
COMMENT ON COLUMN poll_schedules.interval_seconds IS 'The cadence: seconds between polls.';
COMMENT ON COLUMN poll_schedules.lag_target_seconds IS 'The change→row lag the cadence keeps (interval + Amazon''s two minutes); 0 over the ceiling.';
COMMENT ON COLUMN poll_schedules.lag_slope IS 'Over the ceiling, lag gained per unit of time (1 − ceiling/change rate); 0 otherwise.';
COMMENT ON COLUMN poll_schedules.last_window_changes IS 'Rows the last window wrote.';
COMMENT ON COLUMN poll_schedules.last_window_seconds IS 'Length of the last window (Amazon''s bounds).';
COMMENT ON COLUMN poll_schedules.last_calls IS 'Calls (pages) the last window spent.';
COMMENT ON COLUMN poll_schedules.decided_at IS 'When the poll decided (the worker''s clock).';
COMMENT ON COLUMN poll_schedules.next_poll_at IS 'When the next poll is due.';

-- +goose Down
DROP TABLE poll_schedules;
