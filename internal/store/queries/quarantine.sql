-- name: QuarantineRecords :exec
-- QuarantineRecords stores a batch of quarantined records of one account.
-- A record already stored for the account and operation (same content by
-- its jsonb text, so key order and spacing do not matter) gets a new
-- last_seen_at and one more times_seen instead of a second row; its reason
-- and entity_id become the latest ones. A record repeated within the batch
-- counts once.
WITH input AS (
    SELECT
        (e->>'operation')::text AS operation,
        NULLIF(e->>'entity_id', '')::text AS entity_id,
        (e->>'reason')::text AS reason,
        e->'raw' AS raw,
        encode(sha256(convert_to((e->'raw')::text, 'UTF8')), 'hex') AS raw_hash,
        n
    FROM jsonb_array_elements(@rows::jsonb) WITH ORDINALITY AS x(e, n)
), batch AS (
    SELECT DISTINCT ON (operation, raw_hash) operation, entity_id, reason, raw, raw_hash
    FROM input
    ORDER BY operation, raw_hash, n DESC
)
INSERT INTO quarantined_records (account_id, operation, entity_id, reason, raw, raw_hash)
SELECT @account_id::text, batch.operation, batch.entity_id, batch.reason, batch.raw, batch.raw_hash
FROM batch
ON CONFLICT (account_id, operation, raw_hash) DO UPDATE SET
    entity_id    = EXCLUDED.entity_id,
    reason       = EXCLUDED.reason,
    last_seen_at = greatest(quarantined_records.last_seen_at, EXCLUDED.last_seen_at),
    times_seen   = quarantined_records.times_seen + 1;

-- name: QuarantineSummary :many
-- QuarantineSummary counts the quarantined records per account and
-- operation, with when one was last seen and the reason of the latest, for
-- `worker status` and /metrics.
SELECT account_id, operation,
       count(*)::bigint AS records,
       max(last_seen_at)::timestamptz AS last_seen_at,
       (array_agg(reason ORDER BY last_seen_at DESC, first_seen_at DESC, raw_hash))[1]::text AS last_reason
FROM quarantined_records
GROUP BY account_id, operation
ORDER BY account_id, operation;

-- name: PruneQuarantine :execrows
-- PruneQuarantine deletes the quarantined records no answer has held for
-- @older_than_seconds, on the database clock that wrote last_seen_at. A
-- record still coming back (an overlapping poll, a live bad order) keeps
-- moving its last_seen_at and is never pruned while it does.
DELETE FROM quarantined_records
WHERE last_seen_at < clock_timestamp() - make_interval(secs => @older_than_seconds::float8);
