-- +goose Up
-- rate_budgets is the shared rate budget: one token bucket per account,
-- region and SP-API operation, as Amazon keeps them. Every worker process
-- takes tokens from these rows in one atomic statement that refills by the
-- time elapsed on the database clock, so processes on several hosts share
-- one bucket and their own clocks don't matter.
CREATE TABLE rate_budgets (
    account_id        text             NOT NULL,
    region            text             NOT NULL,
    operation         text             NOT NULL,
    -- plan_rate and plan_burst are the configured usage plan: Amazon's
    -- documented default, scaled for the simulator, or an operator override.
    plan_rate         double precision NOT NULL CHECK (plan_rate > 0),
    plan_burst        double precision NOT NULL CHECK (plan_burst >= 1),
    -- pinned is true when the plan is an operator override: the rate header
    -- is then recorded but not followed.
    pinned            boolean          NOT NULL DEFAULT false,
    learned_rate      double precision,
    learned_at        timestamptz,
    rate              double precision NOT NULL CHECK (rate > 0),
    burst             double precision NOT NULL CHECK (burst >= 1),
    tokens            double precision NOT NULL,
    updated_at        timestamptz      NOT NULL,
    granted_total     bigint           NOT NULL DEFAULT 0,
    throttled_total   bigint           NOT NULL DEFAULT 0,
    last_throttled_at timestamptz,
    PRIMARY KEY (account_id, region, operation)
);

COMMENT ON TABLE rate_budgets IS 'Shared SP-API rate budget: a token bucket per account, region and operation, refilled on the database clock. tokens is the level at updated_at; the level now is least(burst, tokens + rate * seconds since updated_at).';
COMMENT ON COLUMN rate_budgets.account_id IS 'The spsync account (selling partner + application).';
COMMENT ON COLUMN rate_budgets.region IS 'SP-API region: na, eu or fe.';
COMMENT ON COLUMN rate_budgets.operation IS 'SP-API operation name, e.g. getOrders.';
COMMENT ON COLUMN rate_budgets.plan_rate IS 'Configured refill rate, tokens per second.';
COMMENT ON COLUMN rate_budgets.plan_burst IS 'Configured bucket size.';
COMMENT ON COLUMN rate_budgets.pinned IS 'True when the plan is an operator override (SPSYNC_RATE_LIMITS): the rate header does not change it.';
COMMENT ON COLUMN rate_budgets.learned_rate IS 'Last x-amzn-RateLimit-Limit value Amazon sent for this bucket.';
COMMENT ON COLUMN rate_budgets.learned_at IS 'When learned_rate last changed.';
COMMENT ON COLUMN rate_budgets.rate IS 'Rate in force: learned_rate when Amazon sent one (unless pinned), else plan_rate.';
COMMENT ON COLUMN rate_budgets.burst IS 'Bucket size in force: one token below plan_burst (when that is at least 2), a margin for the time between a grant here and Amazon counting the call.';
COMMENT ON COLUMN rate_budgets.tokens IS 'Tokens in the bucket at updated_at.';
COMMENT ON COLUMN rate_budgets.updated_at IS 'Database time of the last take, drain or refill.';
COMMENT ON COLUMN rate_budgets.granted_total IS 'Tokens handed out since the row was created.';
COMMENT ON COLUMN rate_budgets.throttled_total IS '429 answers Amazon gave for this bucket.';
COMMENT ON COLUMN rate_budgets.last_throttled_at IS 'When Amazon last answered 429.';

-- +goose Down
DROP TABLE rate_budgets;
