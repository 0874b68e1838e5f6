-- +goose Up
-- A 429 empties a bucket, which is right when Amazon's bucket is empty; but
-- Amazon also answers 429 with tokens left, and for searchOrders (one token
-- every 179 s) emptying the bucket for such a 429 costs a walk a refill per
-- page and the bucket's burst for an hour. These columns let the budget learn
-- from what follows a 429 (internal/budget's doc.go): the level it estimated
-- at the 429 is remembered, one probe call is let through when a token has
-- refilled, and its answer decides. A probe that succeeds restores the
-- remembered level and lets one confirming call through; a probe or
-- confirming call that is throttled leaves the bucket empty. The probe and
-- the confirming call are exclusive across processes: the statement that
-- grants one holds the bucket's row lock and records its owner.
ALTER TABLE rate_budgets
    ADD COLUMN throttle_level double precision,
    ADD COLUMN probe_phase    text CHECK (probe_phase IN ('probe', 'confirm')),
    ADD COLUMN probe_owner    text,
    ADD COLUMN probe_until    timestamptz,
    ADD CONSTRAINT rate_budgets_throttle_level_in_probe CHECK ((throttle_level IS NOT NULL) = (probe_phase IS NOT DISTINCT FROM 'probe')),
    ADD CONSTRAINT rate_budgets_probe_owner_until CHECK ((probe_owner IS NULL) = (probe_until IS NULL));

COMMENT ON COLUMN rate_budgets.throttle_level IS 'The level estimated when Amazon answered an unexplained 429 (the bucket held at least a token), kept until the probe after it answers; NULL otherwise.';
COMMENT ON COLUMN rate_budgets.probe_phase IS 'NULL normally; probe: after an unexplained 429, the next token goes to one probe call; confirm: the probe succeeded and throttle_level was restored, the next token goes to one confirming call.';
COMMENT ON COLUMN rate_budgets.probe_owner IS 'The Budget (one per worker process) holding the probe or confirming call in flight; only its answer resolves the phase.';
COMMENT ON COLUMN rate_budgets.probe_until IS 'Until when the probe or confirming call in flight is awaited: no other token of the bucket is granted before, unless its answer comes first.';

-- +goose Down
ALTER TABLE rate_budgets
    DROP CONSTRAINT rate_budgets_probe_owner_until,
    DROP CONSTRAINT rate_budgets_throttle_level_in_probe,
    DROP COLUMN probe_until,
    DROP COLUMN probe_owner,
    DROP COLUMN probe_phase,
    DROP COLUMN throttle_level;
