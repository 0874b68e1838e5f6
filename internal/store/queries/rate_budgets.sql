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
--
-- After an unexplained 429 (probe_phase set) the next token goes to any
-- class, as the probe or the confirming call, recorded as @owner's until
-- @lease seconds from now, and probe_phase names it ('' for an ordinary
-- token); while one is in flight nobody else gets a token, and busy_for
-- says for how many more seconds at most.
WITH cur AS (
    SELECT b.account_id, b.region, b.operation, b.rate, b.probe_phase,
           greatest(b.updated_at, t.now) AS now,
           least(b.burst, b.tokens + b.rate * greatest(0, extract(epoch FROM (t.now - b.updated_at)))::float8) AS level,
           CASE WHEN b.probe_phase IS NOT NULL AND b.probe_until > t.now
                THEN extract(epoch FROM (b.probe_until - t.now))::float8 ELSE 0 END AS busy_for,
           CASE WHEN b.probe_phase IS NULL THEN @need::float8 ELSE 1 END AS need
    FROM rate_budgets b,
         (SELECT coalesce(sqlc.narg(at)::timestamptz, clock_timestamp()) AS now) t
    WHERE b.account_id = @account_id AND b.region = @region AND b.operation = @operation
    FOR UPDATE OF b
), dec AS (
    SELECT cur.*, (cur.busy_for = 0 AND cur.level >= cur.need) AS granted
    FROM cur
)
UPDATE rate_budgets b SET
    tokens        = CASE WHEN dec.granted THEN dec.level - 1 ELSE dec.level END,
    updated_at    = dec.now,
    granted_total = b.granted_total + CASE WHEN dec.granted THEN 1 ELSE 0 END,
    probe_owner   = CASE WHEN dec.granted AND dec.probe_phase IS NOT NULL THEN @owner::text ELSE b.probe_owner END,
    probe_until   = CASE WHEN dec.granted AND dec.probe_phase IS NOT NULL THEN dec.now + make_interval(secs => @lease::float8) ELSE b.probe_until END
FROM dec
WHERE b.account_id = dec.account_id AND b.region = dec.region AND b.operation = dec.operation
RETURNING dec.granted::boolean AS granted, dec.level::float8 AS level, dec.rate::float8 AS rate, dec.need::float8 AS need,
          coalesce(CASE WHEN dec.granted THEN dec.probe_phase END, '')::text AS probe_phase, dec.busy_for::float8 AS busy_for;

-- name: RecordThrottle :one
-- RecordThrottle records a 429 Amazon answered to a call of @owner and
-- returns what it made of it:
--   suspect:   the bucket held at least a token, so the 429 is unexplained:
--              the level is remembered (throttle_level), the bucket emptied,
--              and the next token goes to a probe;
--   drained:   the bucket was about empty anyway: Amazon agrees, it stays so;
--   throttled: @owner's probe was throttled too: the bucket is empty, the
--              remembered level is forgotten;
--   refuted:   @owner's confirming call was throttled: the restore was wrong
--              (the probe took the one token Amazon had refilled), the
--              bucket is emptied again;
--   straggler: a probe phase is on and this is not its call, so it was
--              granted before the 429 that started the phase and says
--              nothing new: the bucket is left as it is.
-- Emptying moves updated_at to now, so takers wait a full refill.
WITH cur AS (
    SELECT b.account_id, b.region, b.operation, b.probe_phase, b.probe_owner, t.now AS at,
           greatest(b.updated_at, t.now) AS now,
           least(b.burst, b.tokens + b.rate * greatest(0, extract(epoch FROM (t.now - b.updated_at)))::float8) AS level
    FROM rate_budgets b,
         (SELECT coalesce(sqlc.narg(at)::timestamptz, clock_timestamp()) AS now) t
    WHERE b.account_id = @account_id AND b.region = @region AND b.operation = @operation
    FOR UPDATE OF b
), dec AS (
    SELECT cur.*, CASE
        WHEN cur.probe_phase IS NULL AND cur.level >= 1 THEN 'suspect'
        WHEN cur.probe_phase IS NULL THEN 'drained'
        WHEN cur.probe_owner IS NOT DISTINCT FROM @owner::text AND cur.probe_phase = 'probe' THEN 'throttled'
        WHEN cur.probe_owner IS NOT DISTINCT FROM @owner::text THEN 'refuted'
        ELSE 'straggler'
    END AS outcome
    FROM cur
)
UPDATE rate_budgets b SET
    tokens            = CASE WHEN dec.outcome = 'straggler' THEN b.tokens ELSE 0 END,
    updated_at        = CASE WHEN dec.outcome = 'straggler' THEN b.updated_at ELSE dec.now END,
    throttled_total   = b.throttled_total + 1,
    last_throttled_at = dec.at,
    throttle_level    = CASE dec.outcome WHEN 'suspect' THEN dec.level WHEN 'straggler' THEN b.throttle_level END,
    probe_phase       = CASE dec.outcome WHEN 'suspect' THEN 'probe' WHEN 'straggler' THEN b.probe_phase END,
    probe_owner       = CASE WHEN dec.outcome = 'straggler' THEN b.probe_owner END,
    probe_until       = CASE WHEN dec.outcome = 'straggler' THEN b.probe_until END
FROM dec
WHERE b.account_id = dec.account_id AND b.region = dec.region AND b.operation = dec.operation
RETURNING dec.outcome::text AS outcome;

-- name: ResolveProbe :execrows
-- ResolveProbe records that @owner's probe or confirming call succeeded.
-- A probe's success means Amazon's bucket was not empty: the level
-- remembered at the 429 is restored (added to what refilled since, less
-- what was spent, at most the burst) and the next token goes to one
-- confirming call; the confirming call's success ends the phase. It
-- changes nothing (0 rows) when the phase has moved on without @owner.
WITH cur AS (
    SELECT b.account_id, b.region, b.operation, b.probe_phase, b.throttle_level, b.burst,
           greatest(b.updated_at, t.now) AS now,
           least(b.burst, b.tokens + b.rate * greatest(0, extract(epoch FROM (t.now - b.updated_at)))::float8) AS level
    FROM rate_budgets b,
         (SELECT coalesce(sqlc.narg(at)::timestamptz, clock_timestamp()) AS now) t
    WHERE b.account_id = @account_id AND b.region = @region AND b.operation = @operation
      AND b.probe_phase IS NOT NULL AND b.probe_owner = @owner::text
    FOR UPDATE OF b
)
UPDATE rate_budgets b SET
    tokens         = CASE WHEN cur.probe_phase = 'probe' THEN least(cur.burst, cur.level + cur.throttle_level) ELSE b.tokens END,
    updated_at     = CASE WHEN cur.probe_phase = 'probe' THEN cur.now ELSE b.updated_at END,
    probe_phase    = CASE WHEN cur.probe_phase = 'probe' THEN 'confirm' END,
    throttle_level = NULL,
    probe_owner    = NULL,
    probe_until    = NULL
FROM cur
WHERE b.account_id = cur.account_id AND b.region = cur.region AND b.operation = cur.operation;

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

-- name: TakeRateTokenInLine :one
-- TakeRateTokenInLine is TakeRateToken for a caller that waits in line
-- (@holder, a River job): callers refused a token are served in the order
-- they asked. A caller refused a token takes it anyway, as debt (tokens go
-- below zero), and is told when it will have refilled (due_at: when the
-- level, debt and all, reaches @need); when that is more than @max_wait
-- seconds away its reservation is recorded and it comes back then, spending
-- it without asking again (action 'redeem'). Later callers find the level
-- lowered by every token the line holds, so they queue behind it. Actions:
--   take:    a token now (as TakeRateToken, probes included);
--   reserve: a token held in debt, due in wait seconds (recorded when wait
--            exceeds @max_wait);
--   redeem:  the holder's reservation, due in wait seconds (≤ @max_wait);
--   wait:    the holder's reservation is not due, or a probe phase holds it;
--   refuse:  a probe phase is on: as TakeRateToken, no line.
-- A holder back more than @late_after seconds after its due time (a job
-- that snoozed and then waited for a worker slot) asks again as a new
-- caller, its reservation dropped and its token not returned: the token
-- was counted here when reserved, but Amazon counts the call when it
-- arrives, and while it did not arrive Amazon's bucket may have filled up
-- to its burst and lost the refill this bucket still counts on; paying
-- again keeps this bucket at or below Amazon's. Reservations ten minutes
-- past due (their holder gone) are dropped.
WITH cur AS (
    SELECT b.account_id, b.region, b.operation, b.rate, b.probe_phase,
           greatest(b.updated_at, t.now) AS now,
           least(b.burst, b.tokens + b.rate * greatest(0, extract(epoch FROM (t.now - b.updated_at)))::float8) AS level,
           CASE WHEN b.probe_phase IS NOT NULL AND b.probe_until > t.now
                THEN extract(epoch FROM (b.probe_until - t.now))::float8 ELSE 0 END AS busy_for,
           CASE WHEN b.probe_phase IS NULL THEN @need::float8 ELSE 1 END AS need
    FROM rate_budgets b,
         (SELECT coalesce(sqlc.narg(at)::timestamptz, clock_timestamp()) AS now) t
    WHERE b.account_id = @account_id AND b.region = @region AND b.operation = @operation
    FOR UPDATE OF b
), dec AS (
    SELECT cur.*, r.due_at AS held_due,
           CASE
               WHEN r.due_at IS NOT NULL AND r.due_at >= cur.now - make_interval(secs => @late_after::float8)
                    AND cur.probe_phase IS NULL
                    AND r.due_at <= cur.now + make_interval(secs => @max_wait::float8) THEN 'redeem'
               WHEN r.due_at IS NOT NULL AND r.due_at >= cur.now - make_interval(secs => @late_after::float8) THEN 'wait'
               WHEN cur.busy_for = 0 AND cur.level >= cur.need THEN 'take'
               WHEN cur.probe_phase IS NOT NULL THEN 'refuse'
               ELSE 'reserve'
           END AS action
    FROM cur
    LEFT JOIN rate_reservations r
           ON r.account_id = cur.account_id AND r.region = cur.region AND r.operation = cur.operation AND r.holder = @holder::text
), gone AS (
    DELETE FROM rate_reservations r USING dec
    WHERE r.account_id = dec.account_id AND r.region = dec.region AND r.operation = dec.operation
      AND ((r.holder = @holder::text
            AND (dec.action IN ('redeem', 'take')
                 OR (dec.action = 'reserve' AND (dec.need - dec.level) / dec.rate <= @max_wait::float8)))
           OR (r.holder <> @holder::text AND r.due_at < dec.now - interval '10 minutes'))
    RETURNING r.holder
), queued AS (
    INSERT INTO rate_reservations (account_id, region, operation, holder, due_at)
    SELECT dec.account_id, dec.region, dec.operation, @holder::text,
           dec.now + make_interval(secs => (dec.need - dec.level) / dec.rate)
    FROM dec
    WHERE dec.action = 'reserve' AND (dec.need - dec.level) / dec.rate > @max_wait::float8
    ON CONFLICT (account_id, region, operation, holder) DO UPDATE SET due_at = EXCLUDED.due_at
    RETURNING holder
)
UPDATE rate_budgets b SET
    tokens        = CASE WHEN dec.action IN ('take', 'reserve') THEN dec.level - 1 ELSE dec.level END,
    updated_at    = dec.now,
    granted_total = b.granted_total + CASE WHEN dec.action IN ('take', 'reserve') THEN 1 ELSE 0 END,
    probe_owner   = CASE WHEN dec.action = 'take' AND dec.probe_phase IS NOT NULL THEN @owner::text ELSE b.probe_owner END,
    probe_until   = CASE WHEN dec.action = 'take' AND dec.probe_phase IS NOT NULL THEN dec.now + make_interval(secs => @lease::float8) ELSE b.probe_until END
FROM dec
WHERE b.account_id = dec.account_id AND b.region = dec.region AND b.operation = dec.operation
RETURNING dec.action::text AS action, dec.level::float8 AS level, dec.rate::float8 AS rate, dec.need::float8 AS need,
          coalesce(CASE WHEN dec.action = 'take' THEN dec.probe_phase END, '')::text AS probe_phase, dec.busy_for::float8 AS busy_for,
          (CASE dec.action
               WHEN 'reserve' THEN (dec.need - dec.level) / dec.rate
               WHEN 'redeem' THEN greatest(0, extract(epoch FROM (dec.held_due - dec.now))::float8)
               WHEN 'wait' THEN greatest(0, extract(epoch FROM (dec.held_due - dec.now))::float8)
               ELSE 0 END)::float8 AS wait;

-- name: DropRateReservations :exec
-- DropRateReservations forgets a bucket's line after a 429: Amazon's bucket
-- is empty (or was probed), so the tokens the line held in debt are not
-- there; RecordThrottle sets the level to zero, and the holders queue again
-- when they come back.
DELETE FROM rate_reservations
WHERE account_id = @account_id AND region = @region AND operation = @operation;
