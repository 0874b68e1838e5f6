-- name: RecordPeriodicInsertFailure :exec
-- RecordPeriodicInsertFailure counts one failure of River's periodic job
-- enqueuer.
INSERT INTO periodic_insert_failures (failure, error)
VALUES (@failure::text, @error::text)
ON CONFLICT (failure) DO UPDATE SET
    error        = EXCLUDED.error,
    last_seen_at = now(),
    times_seen   = periodic_insert_failures.times_seen + 1;

-- name: ListPeriodicInsertFailures :many
SELECT failure, error, first_seen_at, last_seen_at, times_seen
FROM periodic_insert_failures
WHERE last_seen_at > now() - make_interval(secs => @within_seconds::float8)
ORDER BY last_seen_at DESC;
