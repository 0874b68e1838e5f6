-- name: RecordPushReceipts :exec
-- RecordPushReceipts upserts one receipt per entity (the caller folds a
-- batch's repeats) and adds the batch to its streams' totals. The change time
-- only moves forward; the notification id follows the greatest change time.
WITH r AS (
    SELECT unnest(@account_ids::text[]) AS account_id, unnest(@streams::text[]) AS stream,
           unnest(@entity_ids::text[]) AS entity_id, unnest(@notification_ids::text[]) AS notification_id,
           -- the zero time stands for a notification without a change time
           NULLIF(unnest(@change_times::timestamptz[]), '0001-01-01 00:00:00+00') AS change_time,
           unnest(@received_ats::timestamptz[]) AS received_at, unnest(@notification_counts::bigint[]) AS notifications
), receipts AS (
    INSERT INTO push_receipts AS p (account_id, stream, entity_id, last_notification_id,
                                    last_change_time, last_received_at, notifications)
    SELECT account_id, stream, entity_id, notification_id, change_time, received_at, notifications FROM r
    ON CONFLICT (account_id, stream, entity_id) DO UPDATE SET
        last_notification_id = CASE
            WHEN p.last_change_time IS NULL OR p.last_notification_id IS NULL
                 OR EXCLUDED.last_change_time >= p.last_change_time
            THEN EXCLUDED.last_notification_id ELSE p.last_notification_id END,
        last_change_time = GREATEST(p.last_change_time, EXCLUDED.last_change_time),
        last_received_at = GREATEST(p.last_received_at, EXCLUDED.last_received_at),
        notifications    = p.notifications + EXCLUDED.notifications
)
INSERT INTO push_streams AS s (account_id, stream, last_received_at, notifications)
SELECT account_id, stream, max(received_at), sum(notifications)::bigint FROM r GROUP BY account_id, stream
ON CONFLICT (account_id, stream) DO UPDATE SET
    last_received_at = GREATEST(s.last_received_at, EXCLUDED.last_received_at),
    notifications    = s.notifications + EXCLUDED.notifications;

-- name: UnannouncedChanges :many
-- UnannouncedChanges returns the entities of a poll's changes that no
-- receipt covers: none, or one whose change time is more than a second older.
SELECT c.entity_id::text AS entity_id, c.change_time::timestamptz AS change_time
FROM (SELECT unnest(@entity_ids::text[]) AS entity_id, unnest(@change_times::timestamptz[]) AS change_time) AS c
WHERE NOT EXISTS (
    SELECT 1 FROM push_receipts p
    WHERE p.account_id = @account_id::text AND p.stream = @stream::text AND p.entity_id = c.entity_id
      AND p.last_change_time >= c.change_time - interval '1 second'
);

-- name: MarkSafetyNetChanges :exec
-- MarkSafetyNetChanges records the changes the safety net found unannounced
-- (no notification: notifications 0), so an overlapping poll that sees them
-- again does not count them twice, and adds them to the stream's count.
WITH c AS (
    SELECT unnest(@entity_ids::text[]) AS entity_id, unnest(@change_times::timestamptz[]) AS change_time
), marked AS (
    INSERT INTO push_receipts AS p (account_id, stream, entity_id, last_change_time)
    SELECT @account_id::text, @stream::text, entity_id, change_time FROM c
    ON CONFLICT (account_id, stream, entity_id) DO UPDATE SET
        last_change_time = GREATEST(p.last_change_time, EXCLUDED.last_change_time)
)
INSERT INTO push_streams AS s (account_id, stream, safety_net_unannounced)
SELECT @account_id::text, @stream::text, count(*) FROM c
ON CONFLICT (account_id, stream) DO UPDATE SET
    safety_net_unannounced = s.safety_net_unannounced + EXCLUDED.safety_net_unannounced;

-- name: ListPushStreams :many
SELECT account_id, stream, last_received_at, notifications, safety_net_unannounced
FROM push_streams
ORDER BY account_id, stream;
