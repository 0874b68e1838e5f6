-- name: EnsureRateBudget :exec
-- EnsureRateBudget creates a bucket, full, or brings an existing bucket's
-- plan in line with the configuration. A changed plan resets the rate in
-- force unless Amazon's header is being followed. @burst is the size the
-- bucket keeps, which the caller may set below the plan's.
INSERT INTO rate_budgets (account_id, region, operation, plan_rate, plan_burst, pinned, rate, burst, tokens, updated_at)
VALUES (@account_id, @region, @operation, @plan_rate, @plan_burst, @pinned, @plan_rate, @burst::float8, @burst::float8,
        coalesce(sqlc.narg(at)::timestamptz, clock_timestamp()))
ON CONFLICT (account_id, region, operation) DO UPDATE SET
    plan_rate  = EXCLUDED.plan_rate,
    plan_burst = EXCLUDED.plan_burst,
    pinned     = EXCLUDED.pinned,
    rate       = CASE WHEN EXCLUDED.pinned OR rate_budgets.learned_rate IS NULL THEN EXCLUDED.plan_rate ELSE rate_budgets.learned_rate END,
    burst      = EXCLUDED.burst,
    tokens     = least(rate_budgets.tokens, EXCLUDED.burst)
WHERE rate_budgets.plan_rate IS DISTINCT FROM EXCLUDED.plan_rate
   OR rate_budgets.plan_burst IS DISTINCT FROM EXCLUDED.plan_burst
   OR rate_budgets.burst IS DISTINCT FROM EXCLUDED.burst
   OR rate_budgets.pinned IS DISTINCT FROM EXCLUDED.pinned;

-- name: TakeRateToken :one
-- TakeRateToken refills a bucket by the time elapsed since its last change
-- and takes one token when at least @need are there (need is 1 plus the
-- reserve a higher priority class keeps). The row is locked first, so
-- concurrent takers queue on it and each sees the level the previous one
-- left. It returns the level before the take; a refused caller waits
-- (need - level) / rate seconds.
WITH cur AS (
    SELECT b.account_id, b.region, b.operation, b.rate,
           greatest(b.updated_at, t.now) AS now,
           least(b.burst, b.tokens + b.rate * greatest(0, extract(epoch FROM (t.now - b.updated_at)))::float8) AS level
    FROM rate_budgets b,
         (SELECT coalesce(sqlc.narg(at)::timestamptz, clock_timestamp()) AS now) t
    WHERE b.account_id = @account_id AND b.region = @region AND b.operation = @operation
    FOR UPDATE OF b
)
UPDATE rate_budgets b SET
    tokens        = CASE WHEN cur.level >= @need::float8 THEN cur.level - 1 ELSE cur.level END,
    updated_at    = cur.now,
    granted_total = b.granted_total + CASE WHEN cur.level >= @need::float8 THEN 1 ELSE 0 END
FROM cur
WHERE b.account_id = cur.account_id AND b.region = cur.region AND b.operation = cur.operation
RETURNING (cur.level >= @need::float8)::boolean AS granted, cur.level::float8 AS level, cur.rate::float8 AS rate;

-- name: DrainRateBudget :exec
-- DrainRateBudget empties a bucket after Amazon answered 429: Amazon's
-- bucket is empty, so ours must be too, and takers wait a full refill.
UPDATE rate_budgets SET
    tokens            = least(tokens, 0),
    updated_at        = greatest(updated_at, coalesce(sqlc.narg(at)::timestamptz, clock_timestamp())),
    throttled_total   = throttled_total + 1,
    last_throttled_at = coalesce(sqlc.narg(at)::timestamptz, clock_timestamp())
WHERE account_id = @account_id AND region = @region AND operation = @operation;

-- name: LearnRate :exec
-- LearnRate records the x-amzn-RateLimit-Limit value. It writes only when
-- the value differs from what is known, so the common case is a no-op.
UPDATE rate_budgets SET
    learned_rate = @learned_rate::float8,
    learned_at   = coalesce(sqlc.narg(at)::timestamptz, clock_timestamp()),
    rate         = CASE WHEN pinned THEN rate ELSE @learned_rate::float8 END
WHERE account_id = @account_id AND region = @region AND operation = @operation
  AND learned_rate IS DISTINCT FROM @learned_rate::float8;

-- name: ListRateBudgets :many
-- ListRateBudgets reports every bucket with its level now, for status and
-- metrics.
SELECT account_id, region, operation, rate, burst, pinned, learned_rate,
       least(burst, tokens + rate * greatest(0, extract(epoch FROM (clock_timestamp() - updated_at)))::float8)::float8 AS level,
       granted_total, throttled_total, last_throttled_at
FROM rate_budgets
ORDER BY account_id, region, operation;
