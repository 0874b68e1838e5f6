-- +goose Up
-- Typed columns for the personal data of service jobs. They stay NULL
-- unless the account opted in to storing PII
-- (SPSYNC_SERVICE_JOBS_STORE_PII=true); without the opt-in the same fields
-- are also removed from raw.
ALTER TABLE service_jobs
    ADD COLUMN buyer_name                      text,
    ADD COLUMN buyer_phone                     text,
    ADD COLUMN service_location_address_name   text,
    ADD COLUMN service_location_address_line1  text,
    ADD COLUMN service_location_address_line2  text,
    ADD COLUMN service_location_address_line3  text,
    ADD COLUMN service_location_address_phone  text;

COMMENT ON COLUMN service_jobs.buyer_name IS 'buyer.name. PII: NULL unless the account opted in (SPSYNC_SERVICE_JOBS_STORE_PII).';
COMMENT ON COLUMN service_jobs.buyer_phone IS 'buyer.phone. PII: NULL unless the account opted in.';
COMMENT ON COLUMN service_jobs.service_location_address_name IS 'serviceLocation.address.name. PII: NULL unless the account opted in.';
COMMENT ON COLUMN service_jobs.service_location_address_line1 IS 'serviceLocation.address.addressLine1. PII: NULL unless the account opted in.';
COMMENT ON COLUMN service_jobs.service_location_address_line2 IS 'serviceLocation.address.addressLine2. PII: NULL unless the account opted in.';
COMMENT ON COLUMN service_jobs.service_location_address_line3 IS 'serviceLocation.address.addressLine3. PII: NULL unless the account opted in.';
COMMENT ON COLUMN service_jobs.service_location_address_phone IS 'serviceLocation.address.phone. PII: NULL unless the account opted in.';

-- +goose Down
ALTER TABLE service_jobs
    DROP COLUMN buyer_name,
    DROP COLUMN buyer_phone,
    DROP COLUMN service_location_address_name,
    DROP COLUMN service_location_address_line1,
    DROP COLUMN service_location_address_line2,
    DROP COLUMN service_location_address_line3,
    DROP COLUMN service_location_address_phone;
