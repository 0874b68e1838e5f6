-- name: UpsertServiceJobs :many
-- UpsertServiceJobs writes a batch of service jobs of one account. A row
-- whose raw payload is unchanged is not touched at all (no new
-- sync_version, no synced_at churn, no dead tuple). It returns the rows it
-- wrote with the status they had before (existed is false for new jobs), so
-- the caller can schedule refreshes of open jobs. The batch must not repeat
-- a job id.
WITH input AS (
    SELECT
        (e->>'service_job_id')::text AS service_job_id,
        (e->>'service_order_id')::text AS service_order_id,
        (e->>'marketplace_id')::text AS marketplace_id,
        (e->>'store_id')::text AS store_id,
        (e->>'service_job_status')::text AS service_job_status,
        (e->>'create_time')::timestamptz AS create_time,
        (e->>'scope_of_work_asin')::text AS scope_of_work_asin,
        (e->>'scope_of_work_title')::text AS scope_of_work_title,
        (e->>'scope_of_work_quantity')::integer AS scope_of_work_quantity,
        CASE WHEN jsonb_typeof(e->'scope_of_work_required_skills') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(e->'scope_of_work_required_skills')) END AS scope_of_work_required_skills,
        (e->>'seller_id')::text AS seller_id,
        (e->>'service_job_provider_id')::text AS service_job_provider_id,
        NULLIF(e->'preferred_appointment_times', 'null'::jsonb) AS preferred_appointment_times,
        (e->>'buyer_is_prime_member')::boolean AS buyer_is_prime_member,
        (e->>'service_location_type')::text AS service_location_type,
        (e->>'service_location_city')::text AS service_location_city,
        (e->>'service_location_state_or_region')::text AS service_location_state_or_region,
        (e->>'service_location_postal_code')::text AS service_location_postal_code,
        (e->>'service_location_country_code')::text AS service_location_country_code,
        (e->>'buyer_name')::text AS buyer_name,
        (e->>'buyer_phone')::text AS buyer_phone,
        (e->>'service_location_address_name')::text AS service_location_address_name,
        (e->>'service_location_address_line1')::text AS service_location_address_line1,
        (e->>'service_location_address_line2')::text AS service_location_address_line2,
        (e->>'service_location_address_line3')::text AS service_location_address_line3,
        (e->>'service_location_address_phone')::text AS service_location_address_phone,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), previous AS (
    SELECT j.service_job_id, j.service_job_status
    FROM service_jobs j JOIN input i ON j.service_job_id = i.service_job_id
    WHERE j.account_id = @account_id::text
), written AS (
    INSERT INTO service_jobs (account_id, service_job_id, service_order_id, marketplace_id, store_id, service_job_status, create_time, scope_of_work_asin, scope_of_work_title, scope_of_work_quantity, scope_of_work_required_skills, seller_id, service_job_provider_id, preferred_appointment_times, buyer_is_prime_member, service_location_type, service_location_city, service_location_state_or_region, service_location_postal_code, service_location_country_code, buyer_name, buyer_phone, service_location_address_name, service_location_address_line1, service_location_address_line2, service_location_address_line3, service_location_address_phone, raw)
    SELECT @account_id::text, input.service_job_id, input.service_order_id, input.marketplace_id, input.store_id, input.service_job_status, input.create_time, input.scope_of_work_asin, input.scope_of_work_title, input.scope_of_work_quantity, input.scope_of_work_required_skills, input.seller_id, input.service_job_provider_id, input.preferred_appointment_times, input.buyer_is_prime_member, input.service_location_type, input.service_location_city, input.service_location_state_or_region, input.service_location_postal_code, input.service_location_country_code, input.buyer_name, input.buyer_phone, input.service_location_address_name, input.service_location_address_line1, input.service_location_address_line2, input.service_location_address_line3, input.service_location_address_phone, input.raw
    FROM input
    ON CONFLICT (account_id, service_job_id) DO UPDATE SET
    service_order_id = EXCLUDED.service_order_id,
    marketplace_id = EXCLUDED.marketplace_id,
    store_id = EXCLUDED.store_id,
    service_job_status = EXCLUDED.service_job_status,
    create_time = EXCLUDED.create_time,
    scope_of_work_asin = EXCLUDED.scope_of_work_asin,
    scope_of_work_title = EXCLUDED.scope_of_work_title,
    scope_of_work_quantity = EXCLUDED.scope_of_work_quantity,
    scope_of_work_required_skills = EXCLUDED.scope_of_work_required_skills,
    seller_id = EXCLUDED.seller_id,
    service_job_provider_id = EXCLUDED.service_job_provider_id,
    preferred_appointment_times = EXCLUDED.preferred_appointment_times,
    buyer_is_prime_member = EXCLUDED.buyer_is_prime_member,
    service_location_type = EXCLUDED.service_location_type,
    service_location_city = EXCLUDED.service_location_city,
    service_location_state_or_region = EXCLUDED.service_location_state_or_region,
    service_location_postal_code = EXCLUDED.service_location_postal_code,
    service_location_country_code = EXCLUDED.service_location_country_code,
    buyer_name = EXCLUDED.buyer_name,
    buyer_phone = EXCLUDED.buyer_phone,
    service_location_address_name = EXCLUDED.service_location_address_name,
    service_location_address_line1 = EXCLUDED.service_location_address_line1,
    service_location_address_line2 = EXCLUDED.service_location_address_line2,
    service_location_address_line3 = EXCLUDED.service_location_address_line3,
    service_location_address_phone = EXCLUDED.service_location_address_phone,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE service_jobs.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING service_jobs.service_job_id, service_jobs.service_job_status
)
SELECT written.service_job_id, written.service_job_status,
       previous.service_job_status AS previous_service_job_status,
       (previous.service_job_id IS NOT NULL)::boolean AS existed
FROM written LEFT JOIN previous ON previous.service_job_id = written.service_job_id;

-- name: ReplaceServiceJobAppointments :one
-- ReplaceServiceJobAppointments makes the stored appointments of the given jobs of one account equal
-- to the batch: rows are upserted (untouched when their raw payload is
-- unchanged) and appointments of those jobs missing from the batch are deleted,
-- in one statement. It reports how many rows were written and deleted. The
-- batch must not repeat a (service job id, appointment id) pair.
WITH input AS (
    SELECT
        (e->>'service_job_id')::text AS service_job_id,
        (e->>'appointment_id')::text AS appointment_id,
        (e->>'appointment_status')::text AS appointment_status,
        (e->>'start_time')::timestamptz AS start_time,
        (e->>'duration_in_minutes')::integer AS duration_in_minutes,
        CASE WHEN jsonb_typeof(e->'assigned_technician_ids') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(e->'assigned_technician_ids')) END AS assigned_technician_ids,
        NULLIF(e->'assigned_technicians', 'null'::jsonb) AS assigned_technicians,
        (e->>'rescheduled_appointment_id')::text AS rescheduled_appointment_id,
        (e->>'poa_type')::text AS poa_type,
        (e->>'poa_upload_time')::timestamptz AS poa_upload_time,
        (e->>'poa_uploading_technician')::text AS poa_uploading_technician,
        (e->>'poa_start_time')::timestamptz AS poa_start_time,
        (e->>'poa_duration_in_minutes')::integer AS poa_duration_in_minutes,
        NULLIF(e->'poa_technicians', 'null'::jsonb) AS poa_technicians,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), deleted AS (
    DELETE FROM service_job_appointments t
    WHERE t.account_id = @account_id::text
      AND t.service_job_id = ANY(@service_job_ids::text[])
      AND NOT EXISTS (
          SELECT 1 FROM input i
          WHERE i.service_job_id = t.service_job_id AND i.appointment_id = t.appointment_id)
    RETURNING 1
), written AS (
    INSERT INTO service_job_appointments (account_id, service_job_id, appointment_id, appointment_status, start_time, duration_in_minutes, assigned_technician_ids, assigned_technicians, rescheduled_appointment_id, poa_type, poa_upload_time, poa_uploading_technician, poa_start_time, poa_duration_in_minutes, poa_technicians, raw)
    SELECT @account_id::text, input.service_job_id, input.appointment_id, input.appointment_status, input.start_time, input.duration_in_minutes, input.assigned_technician_ids, input.assigned_technicians, input.rescheduled_appointment_id, input.poa_type, input.poa_upload_time, input.poa_uploading_technician, input.poa_start_time, input.poa_duration_in_minutes, input.poa_technicians, input.raw
    FROM input
    ON CONFLICT (account_id, service_job_id, appointment_id) DO UPDATE SET
    appointment_status = EXCLUDED.appointment_status,
    start_time = EXCLUDED.start_time,
    duration_in_minutes = EXCLUDED.duration_in_minutes,
    assigned_technician_ids = EXCLUDED.assigned_technician_ids,
    assigned_technicians = EXCLUDED.assigned_technicians,
    rescheduled_appointment_id = EXCLUDED.rescheduled_appointment_id,
    poa_type = EXCLUDED.poa_type,
    poa_upload_time = EXCLUDED.poa_upload_time,
    poa_uploading_technician = EXCLUDED.poa_uploading_technician,
    poa_start_time = EXCLUDED.poa_start_time,
    poa_duration_in_minutes = EXCLUDED.poa_duration_in_minutes,
    poa_technicians = EXCLUDED.poa_technicians,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE service_job_appointments.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING 1
)
SELECT (SELECT count(*) FROM written)::bigint AS written,
       (SELECT count(*) FROM deleted)::bigint AS deleted;

-- name: ReplaceServiceJobItems :one
-- ReplaceServiceJobItems makes the stored items of the given jobs of one account equal
-- to the batch: rows are upserted (untouched when their raw payload is
-- unchanged) and items of those jobs missing from the batch are deleted,
-- in one statement. It reports how many rows were written and deleted. The
-- batch must not repeat a (service job id, item index) pair.
WITH input AS (
    SELECT
        (e->>'service_job_id')::text AS service_job_id,
        (e->>'item_index')::integer AS item_index,
        (e->>'asin')::text AS asin,
        (e->>'title')::text AS title,
        (e->>'quantity')::integer AS quantity,
        (e->>'order_id')::text AS order_id,
        (e->>'item_status')::text AS item_status,
        (e->>'brand_name')::text AS brand_name,
        (e->>'item_delivery_estimated_delivery_date')::timestamptz AS item_delivery_estimated_delivery_date,
        (e->>'item_delivery_promise_start_time')::timestamptz AS item_delivery_promise_start_time,
        (e->>'item_delivery_promise_end_time')::timestamptz AS item_delivery_promise_end_time,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), deleted AS (
    DELETE FROM service_job_items t
    WHERE t.account_id = @account_id::text
      AND t.service_job_id = ANY(@service_job_ids::text[])
      AND NOT EXISTS (
          SELECT 1 FROM input i
          WHERE i.service_job_id = t.service_job_id AND i.item_index = t.item_index)
    RETURNING 1
), written AS (
    INSERT INTO service_job_items (account_id, service_job_id, item_index, asin, title, quantity, order_id, item_status, brand_name, item_delivery_estimated_delivery_date, item_delivery_promise_start_time, item_delivery_promise_end_time, raw)
    SELECT @account_id::text, input.service_job_id, input.item_index, input.asin, input.title, input.quantity, input.order_id, input.item_status, input.brand_name, input.item_delivery_estimated_delivery_date, input.item_delivery_promise_start_time, input.item_delivery_promise_end_time, input.raw
    FROM input
    ON CONFLICT (account_id, service_job_id, item_index) DO UPDATE SET
    asin = EXCLUDED.asin,
    title = EXCLUDED.title,
    quantity = EXCLUDED.quantity,
    order_id = EXCLUDED.order_id,
    item_status = EXCLUDED.item_status,
    brand_name = EXCLUDED.brand_name,
    item_delivery_estimated_delivery_date = EXCLUDED.item_delivery_estimated_delivery_date,
    item_delivery_promise_start_time = EXCLUDED.item_delivery_promise_start_time,
    item_delivery_promise_end_time = EXCLUDED.item_delivery_promise_end_time,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE service_job_items.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING 1
)
SELECT (SELECT count(*) FROM written)::bigint AS written,
       (SELECT count(*) FROM deleted)::bigint AS deleted;

-- name: ListOpenServiceJobs :many
-- ListOpenServiceJobs returns open jobs of one account (every status but
-- COMPLETED and CANCELLED; a job without a status counts as open), the most
-- urgent first: by the start of their earliest appointment that is neither
-- cancelled nor completed, jobs without one last. With marketplace_id, only
-- that marketplace's jobs (and jobs Amazon sent without one).
SELECT j.service_job_id, j.service_job_status, j.create_time, j.synced_at,
       n.next_appointment_time
FROM service_jobs j
LEFT JOIN LATERAL (
    SELECT a.start_time AS next_appointment_time
    FROM service_job_appointments a
    WHERE a.account_id = j.account_id AND a.service_job_id = j.service_job_id
      AND a.start_time IS NOT NULL
      AND (a.appointment_status IS NULL OR a.appointment_status NOT IN ('CANCELLED', 'COMPLETED'))
    ORDER BY a.start_time
    LIMIT 1
) n ON true
WHERE j.account_id = @account_id::text
  AND (j.service_job_status IS NULL OR j.service_job_status NOT IN ('COMPLETED', 'CANCELLED'))
  AND (sqlc.narg('marketplace_id')::text IS NULL OR j.marketplace_id IS NULL OR j.marketplace_id = sqlc.narg('marketplace_id')::text)
ORDER BY n.next_appointment_time NULLS LAST, j.service_job_id
LIMIT @max_rows::integer;

-- name: GetServiceJobStatus :one
SELECT service_job_status FROM service_jobs
WHERE account_id = @account_id AND service_job_id = @service_job_id;
