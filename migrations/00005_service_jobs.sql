-- +goose Up
-- service_jobs holds one row per Amazon home-service job (Services v1
-- getServiceJobs / getServiceJobByServiceJobId). Typed columns are the
-- scalars operators and BI filter on, named as the snake_case of Amazon's
-- field (nested fields joined with _); raw keeps the payload. Buyer PII
-- (buyer.name, buyer.phone) and the street lines, name and phone of
-- serviceLocation.address never get a typed column, and spsync removes
-- them from raw too unless the account opted in to storing PII: only the
-- city, state, postal code and country of the service address are typed.
CREATE TABLE service_jobs (
    account_id                       text        NOT NULL,
    service_job_id                   text        NOT NULL,
    service_order_id                 text,
    marketplace_id                   text,
    store_id                         text,
    service_job_status               text,
    create_time                      timestamptz,
    scope_of_work_asin               text,
    scope_of_work_title              text,
    scope_of_work_quantity           integer,
    scope_of_work_required_skills    text[],
    seller_id                        text,
    service_job_provider_id          text,
    preferred_appointment_times      jsonb,
    buyer_is_prime_member            boolean,
    service_location_type            text,
    service_location_city            text,
    service_location_state_or_region text,
    service_location_postal_code     text,
    service_location_country_code    text,
    raw                              jsonb       NOT NULL,
    sync_version                     bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, service_job_id)
);

CREATE INDEX service_jobs_create_time_idx ON service_jobs (account_id, create_time);
CREATE INDEX service_jobs_status_idx ON service_jobs (account_id, service_job_status);
CREATE INDEX service_jobs_service_order_id_idx ON service_jobs (account_id, service_order_id);
CREATE INDEX service_jobs_sync_version_idx ON service_jobs (sync_version);
-- The refresh job reads open jobs (see ListOpenServiceJobs); the predicate
-- matches its WHERE clause exactly.
CREATE INDEX service_jobs_open_idx ON service_jobs (account_id, service_job_id)
    WHERE service_job_status IS NULL OR service_job_status NOT IN ('COMPLETED', 'CANCELLED');

COMMENT ON TABLE service_jobs IS 'Amazon home-service jobs (SP-API Services v1), one row per account and serviceJobId. Typed columns are snake_case of Amazon''s fields; raw is the payload (buyer name/phone and street address removed unless the account opted in to PII). sync_version moves only when the payload changes: read changes with WHERE sync_version > $last ORDER BY sync_version.';
COMMENT ON COLUMN service_jobs.account_id IS 'The spsync account (selling partner + application) the job belongs to.';
COMMENT ON COLUMN service_jobs.service_job_id IS 'serviceJobId, Amazon''s identifier of the service job.';
COMMENT ON COLUMN service_jobs.service_order_id IS 'serviceOrderId: the buyer''s order (3-7-7) that booked the service.';
COMMENT ON COLUMN service_jobs.marketplace_id IS 'marketplaceId the job belongs to.';
COMMENT ON COLUMN service_jobs.store_id IS 'storeId: Amazon''s region-scoped store identifier.';
COMMENT ON COLUMN service_jobs.service_job_status IS 'serviceJobStatus: NOT_SERVICED, CANCELLED, COMPLETED, PENDING_SCHEDULE, NOT_FULFILLABLE, HOLD or PAYMENT_DECLINED. Every status but COMPLETED and CANCELLED (and NULL) counts as open and is refreshed.';
COMMENT ON COLUMN service_jobs.create_time IS 'createTime: when the job was created.';
COMMENT ON COLUMN service_jobs.scope_of_work_asin IS 'scopeOfWork.asin: the service''s ASIN.';
COMMENT ON COLUMN service_jobs.scope_of_work_title IS 'scopeOfWork.title.';
COMMENT ON COLUMN service_jobs.scope_of_work_quantity IS 'scopeOfWork.quantity.';
COMMENT ON COLUMN service_jobs.scope_of_work_required_skills IS 'scopeOfWork.requiredSkills as a text array.';
COMMENT ON COLUMN service_jobs.seller_id IS 'seller.sellerId.';
COMMENT ON COLUMN service_jobs.service_job_provider_id IS 'serviceJobProvider.serviceJobProviderId: who performs the job.';
COMMENT ON COLUMN service_jobs.preferred_appointment_times IS 'preferredAppointmentTimes: the buyer''s preferred windows, an array of {startTime, durationInMinutes} as Amazon sent it. NULL when the buyer chose none.';
COMMENT ON COLUMN service_jobs.buyer_is_prime_member IS 'buyer.isPrimeMember (the buyer''s name and phone are PII and get no column).';
COMMENT ON COLUMN service_jobs.service_location_type IS 'serviceLocation.serviceLocationType: IN_HOME, IN_STORE or ONLINE.';
COMMENT ON COLUMN service_jobs.service_location_city IS 'serviceLocation.address.city (not PII; street lines, name and phone stay out).';
COMMENT ON COLUMN service_jobs.service_location_state_or_region IS 'serviceLocation.address.stateOrRegion.';
COMMENT ON COLUMN service_jobs.service_location_postal_code IS 'serviceLocation.address.postalCode.';
COMMENT ON COLUMN service_jobs.service_location_country_code IS 'serviceLocation.address.countryCode (ISO 3166-1 alpha-2).';
COMMENT ON COLUMN service_jobs.raw IS 'The job as the SP-API returned it (jsonb), less buyer name/phone and the address''s name, street lines and phone unless the account opted in to storing PII.';
COMMENT ON COLUMN service_jobs.sync_version IS 'From sync_version_seq; moves only when raw changes. Read changes with WHERE sync_version > $last.';
COMMENT ON COLUMN service_jobs.synced_at IS 'When this row''s content was last written.';

-- service_job_appointments holds the appointments of each job. The job's
-- payload always carries all of its appointments, so appointments Amazon no
-- longer lists are deleted in the same transaction that writes the job. A
-- rescheduled appointment keeps the link to the one it replaces in
-- rescheduled_appointment_id.
CREATE TABLE service_job_appointments (
    account_id                          text        NOT NULL,
    service_job_id                      text        NOT NULL,
    appointment_id                      text        NOT NULL,
    appointment_status                  text,
    start_time                          timestamptz,
    duration_in_minutes                 integer,
    assigned_technician_ids             text[],
    assigned_technicians                jsonb,
    rescheduled_appointment_id          text,
    poa_type                            text,
    poa_upload_time                     timestamptz,
    poa_uploading_technician            text,
    poa_start_time                      timestamptz,
    poa_duration_in_minutes             integer,
    poa_technicians                     jsonb,
    raw                                 jsonb       NOT NULL,
    sync_version                        bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, service_job_id, appointment_id)
);

CREATE INDEX service_job_appointments_start_time_idx ON service_job_appointments (account_id, start_time);
CREATE INDEX service_job_appointments_status_idx ON service_job_appointments (account_id, appointment_status);
CREATE INDEX service_job_appointments_sync_version_idx ON service_job_appointments (sync_version);

COMMENT ON TABLE service_job_appointments IS 'Appointments of Amazon service jobs (serviceJob.appointments), one row per account, serviceJobId and appointmentId. Appointments Amazon stops listing are deleted. sync_version moves only when the appointment''s payload changes.';
COMMENT ON COLUMN service_job_appointments.account_id IS 'The spsync account the job belongs to.';
COMMENT ON COLUMN service_job_appointments.service_job_id IS 'serviceJobId of the parent job (service_jobs.service_job_id).';
COMMENT ON COLUMN service_job_appointments.appointment_id IS 'appointmentId.';
COMMENT ON COLUMN service_job_appointments.appointment_status IS 'appointmentStatus: ACTIVE, CANCELLED or COMPLETED.';
COMMENT ON COLUMN service_job_appointments.start_time IS 'appointmentTime.startTime: when the appointment starts.';
COMMENT ON COLUMN service_job_appointments.duration_in_minutes IS 'appointmentTime.durationInMinutes.';
COMMENT ON COLUMN service_job_appointments.assigned_technician_ids IS 'assignedTechnicians[].technicianId as a text array.';
COMMENT ON COLUMN service_job_appointments.assigned_technicians IS 'assignedTechnicians: array of {technicianId, name} as Amazon sent it.';
COMMENT ON COLUMN service_job_appointments.rescheduled_appointment_id IS 'rescheduledAppointmentId: the appointment this one was rescheduled from (it replaces that one).';
COMMENT ON COLUMN service_job_appointments.poa_type IS 'poa.poaType: the kind of proof of appointment, e.g. NO_SIGNATURE_DUMMY_POS, CUSTOMER_SIGNATURE, DUMMY_RECEIPT, POA_RECEIPT.';
COMMENT ON COLUMN service_job_appointments.poa_upload_time IS 'poa.uploadTime: when the proof of appointment was uploaded.';
COMMENT ON COLUMN service_job_appointments.poa_uploading_technician IS 'poa.uploadingTechnician: the technician who uploaded it.';
COMMENT ON COLUMN service_job_appointments.poa_start_time IS 'poa.appointmentTime.startTime: when the service was actually performed.';
COMMENT ON COLUMN service_job_appointments.poa_duration_in_minutes IS 'poa.appointmentTime.durationInMinutes.';
COMMENT ON COLUMN service_job_appointments.poa_technicians IS 'poa.technicians: array of {technicianId, name} who performed the service.';
COMMENT ON COLUMN service_job_appointments.raw IS 'The appointment exactly as the SP-API returned it (jsonb).';
COMMENT ON COLUMN service_job_appointments.sync_version IS 'From sync_version_seq; moves only when raw changes.';
COMMENT ON COLUMN service_job_appointments.synced_at IS 'When this row''s content was last written.';

-- service_job_items holds the items bought with each job
-- (serviceJob.associatedItems). Amazon gives them no identifier, so a row
-- is keyed by its position in the list (item_index, from 0); items Amazon no
-- longer lists are deleted with the job's write.
CREATE TABLE service_job_items (
    account_id                              text        NOT NULL,
    service_job_id                          text        NOT NULL,
    item_index                              integer     NOT NULL,
    asin                                    text,
    title                                   text,
    quantity                                integer,
    order_id                                text,
    item_status                             text,
    brand_name                              text,
    item_delivery_estimated_delivery_date   timestamptz,
    item_delivery_promise_start_time        timestamptz,
    item_delivery_promise_end_time          timestamptz,
    raw                                     jsonb       NOT NULL,
    sync_version                            bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, service_job_id, item_index)
);

CREATE INDEX service_job_items_order_id_idx ON service_job_items (account_id, order_id);
CREATE INDEX service_job_items_sync_version_idx ON service_job_items (sync_version);

COMMENT ON TABLE service_job_items IS 'Items associated with Amazon service jobs (serviceJob.associatedItems), one row per account, serviceJobId and position in the list. Items Amazon stops listing are deleted. sync_version moves only when the item''s payload (or its position) changes.';
COMMENT ON COLUMN service_job_items.account_id IS 'The spsync account the job belongs to.';
COMMENT ON COLUMN service_job_items.service_job_id IS 'serviceJobId of the parent job (service_jobs.service_job_id).';
COMMENT ON COLUMN service_job_items.item_index IS 'Position of the item in associatedItems, from 0 (Amazon gives items no identifier).';
COMMENT ON COLUMN service_job_items.asin IS 'asin of the item.';
COMMENT ON COLUMN service_job_items.title IS 'title of the item.';
COMMENT ON COLUMN service_job_items.quantity IS 'quantity.';
COMMENT ON COLUMN service_job_items.order_id IS 'orderId: the Amazon order (3-7-7) the item was bought in; joins orders.amazon_order_id.';
COMMENT ON COLUMN service_job_items.item_status IS 'itemStatus: ACTIVE or CANCELLED.';
COMMENT ON COLUMN service_job_items.brand_name IS 'brandName.';
COMMENT ON COLUMN service_job_items.item_delivery_estimated_delivery_date IS 'itemDelivery.estimatedDeliveryDate.';
COMMENT ON COLUMN service_job_items.item_delivery_promise_start_time IS 'itemDelivery.itemDeliveryPromise.startTime: start of the promised delivery window.';
COMMENT ON COLUMN service_job_items.item_delivery_promise_end_time IS 'itemDelivery.itemDeliveryPromise.endTime: end of the promised delivery window.';
COMMENT ON COLUMN service_job_items.raw IS 'The item exactly as the SP-API returned it (jsonb).';
COMMENT ON COLUMN service_job_items.sync_version IS 'From sync_version_seq; moves only when raw changes.';
COMMENT ON COLUMN service_job_items.synced_at IS 'When this row''s content was last written.';

-- service_jobs_poll_progress is the service jobs poller's place in a window
-- that spans several pages, like orders_poll_progress: each page commits
-- with its rows and the pageToken of the following page; the row is deleted
-- when the window's last page commits together with the cursor.
CREATE TABLE service_jobs_poll_progress (
    account_id          text        NOT NULL,
    scope               text        NOT NULL,
    last_updated_after  timestamptz NOT NULL,
    last_updated_before timestamptz NOT NULL,
    page_token          text        NOT NULL,
    pages               integer     NOT NULL DEFAULT 0,
    rows_written        bigint      NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, scope)
);

COMMENT ON TABLE service_jobs_poll_progress IS 'Worker state: the service jobs poll window in progress per account and marketplace set (scope), with the pageToken of its next page. Empty when no window is half done.';
COMMENT ON COLUMN service_jobs_poll_progress.account_id IS 'The spsync account polled.';
COMMENT ON COLUMN service_jobs_poll_progress.scope IS 'The marketplace set polled (the sync_cursors scope).';
COMMENT ON COLUMN service_jobs_poll_progress.last_updated_after IS 'lastUpdatedAfter of the window.';
COMMENT ON COLUMN service_jobs_poll_progress.last_updated_before IS 'lastUpdatedBefore of the window.';
COMMENT ON COLUMN service_jobs_poll_progress.page_token IS 'pageToken of the next page to fetch.';
COMMENT ON COLUMN service_jobs_poll_progress.pages IS 'Pages of the window committed so far.';
COMMENT ON COLUMN service_jobs_poll_progress.rows_written IS 'Jobs written (new or changed) in the window so far.';
COMMENT ON COLUMN service_jobs_poll_progress.updated_at IS 'When the last page committed.';

-- +goose Down
DROP TABLE service_jobs_poll_progress;
DROP TABLE service_job_items;
DROP TABLE service_job_appointments;
DROP TABLE service_jobs;
