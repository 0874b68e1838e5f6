-- name: UpsertPackageTracking :one
-- UpsertPackageTracking writes the tracking header of one package (rows holds
-- one element). An unchanged payload touches nothing. It returns what was
-- stored before (NULLs for a new package), whether the row was written, and
-- the row's first_seen_at.
WITH input AS (
    SELECT
        (e->>'package_number')::integer AS package_number,
        (e->>'tracking_number')::text AS tracking_number,
        (e->>'customer_tracking_link')::text AS customer_tracking_link,
        (e->>'carrier_code')::text AS carrier_code,
        (e->>'carrier_phone_number')::text AS carrier_phone_number,
        (e->>'carrier_url')::text AS carrier_url,
        (e->>'ship_date')::timestamptz AS ship_date,
        (e->>'estimated_arrival_date')::timestamptz AS estimated_arrival_date,
        (e->>'ship_to_address_city')::text AS ship_to_address_city,
        (e->>'ship_to_address_state')::text AS ship_to_address_state,
        (e->>'ship_to_address_country')::text AS ship_to_address_country,
        (e->>'current_status')::text AS current_status,
        (e->>'current_status_description')::text AS current_status_description,
        (e->>'signed_for_by')::text AS signed_for_by,
        (e->>'additional_location_info')::text AS additional_location_info,
        (e->>'terminal')::boolean AS terminal,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), previous AS (
    SELECT p.package_number, p.current_status, p.terminal, p.first_seen_at
    FROM package_tracking p JOIN input i ON p.package_number = i.package_number
    WHERE p.account_id = @account_id::text
), written AS (
    INSERT INTO package_tracking (account_id, package_number, tracking_number, customer_tracking_link, carrier_code, carrier_phone_number, carrier_url, ship_date, estimated_arrival_date, ship_to_address_city, ship_to_address_state, ship_to_address_country, current_status, current_status_description, signed_for_by, additional_location_info, terminal, raw)
    SELECT @account_id::text, input.package_number, input.tracking_number, input.customer_tracking_link, input.carrier_code, input.carrier_phone_number, input.carrier_url, input.ship_date, input.estimated_arrival_date, input.ship_to_address_city, input.ship_to_address_state, input.ship_to_address_country, input.current_status, input.current_status_description, input.signed_for_by, input.additional_location_info, input.terminal, input.raw
    FROM input
    ON CONFLICT (account_id, package_number) DO UPDATE SET
    tracking_number = EXCLUDED.tracking_number,
    customer_tracking_link = EXCLUDED.customer_tracking_link,
    carrier_code = EXCLUDED.carrier_code,
    carrier_phone_number = EXCLUDED.carrier_phone_number,
    carrier_url = EXCLUDED.carrier_url,
    ship_date = EXCLUDED.ship_date,
    estimated_arrival_date = EXCLUDED.estimated_arrival_date,
    ship_to_address_city = EXCLUDED.ship_to_address_city,
    ship_to_address_state = EXCLUDED.ship_to_address_state,
    ship_to_address_country = EXCLUDED.ship_to_address_country,
    current_status = EXCLUDED.current_status,
    current_status_description = EXCLUDED.current_status_description,
    signed_for_by = EXCLUDED.signed_for_by,
    additional_location_info = EXCLUDED.additional_location_info,
    terminal = EXCLUDED.terminal,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE package_tracking.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING package_tracking.package_number, package_tracking.first_seen_at
)
SELECT input.package_number,
       (previous.package_number IS NULL)::boolean AS is_new,
       previous.current_status AS previous_current_status,
       (written.package_number IS NOT NULL)::boolean AS written,
       COALESCE(written.first_seen_at, previous.first_seen_at)::timestamptz AS first_seen_at
FROM input
LEFT JOIN previous ON previous.package_number = input.package_number
LEFT JOIN written ON written.package_number = input.package_number;

-- name: ReplacePackageTrackingEvents :one
-- ReplacePackageTrackingEvents makes the stored events of one package equal
-- to the batch in one statement: new and changed events are written
-- (unchanged ones are not touched) and events missing from the batch are
-- deleted. The batch must not repeat an (event_date, event_code) pair.
WITH input AS (
    SELECT
        (e->>'package_number')::integer AS package_number,
        (e->>'event_date')::timestamptz AS event_date,
        (e->>'event_code')::text AS event_code,
        (e->>'ordinal')::integer AS ordinal,
        (e->>'event_description')::text AS event_description,
        (e->>'city')::text AS city,
        (e->>'state')::text AS state,
        (e->>'country')::text AS country,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), deleted AS (
    DELETE FROM package_tracking_events t
    WHERE t.account_id = @account_id::text
      AND t.package_number = @package_number::integer
      AND NOT EXISTS (SELECT 1 FROM input i WHERE i.event_date = t.event_date AND i.event_code = t.event_code)
    RETURNING 1
), written AS (
    INSERT INTO package_tracking_events (account_id, package_number, event_date, event_code, ordinal, event_description, city, state, country, raw)
    SELECT @account_id::text, input.package_number, input.event_date, input.event_code, input.ordinal, input.event_description, input.city, input.state, input.country, input.raw
    FROM input
    ON CONFLICT (account_id, package_number, event_date, event_code) DO UPDATE SET
    ordinal = EXCLUDED.ordinal,
    event_description = EXCLUDED.event_description,
    city = EXCLUDED.city,
    state = EXCLUDED.state,
    country = EXCLUDED.country,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE (package_tracking_events.raw, package_tracking_events.ordinal) IS DISTINCT FROM (EXCLUDED.raw, EXCLUDED.ordinal)
    RETURNING 1
)
SELECT (SELECT count(*) FROM written)::bigint AS written,
       (SELECT count(*) FROM deleted)::bigint AS deleted;

-- name: ListOpenPackageTracking :many
-- ListOpenPackageTracking lists packages of an account whose tracking is not
-- terminal, not refreshed since untouched_since and newer than newer_than
-- (by the ship date, else by when tracking was first stored): the live
-- packages a reconciliation makes sure have a pending refresh. Longest
-- unrefreshed first.
SELECT package_number, current_status, ship_date, first_seen_at, synced_at
FROM package_tracking
WHERE account_id = @account_id::text AND NOT terminal
  AND synced_at < @untouched_since::timestamptz
  AND COALESCE(ship_date, first_seen_at) > @newer_than::timestamptz
ORDER BY synced_at, package_number
LIMIT @max_rows::integer;
