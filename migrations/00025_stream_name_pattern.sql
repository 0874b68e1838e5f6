-- +goose Up
-- Stream names are declared by their stream's descriptor (jobs.Stream.Name,
-- listed by internal/streams), not by the schema: the columns that name a
-- stream check its spelling (lower snake case, the cursors' and metrics'
-- spelling) instead of a list, so a new stream needs no migration for them
-- (issue 26). The backfill walks and push receipts of an unknown name cannot
-- arise: backfills are created for registered streams only, and push records
-- the streams whose descriptor declares notifications.

ALTER TABLE backfills DROP CONSTRAINT backfills_stream_check;
ALTER TABLE backfills ADD CONSTRAINT backfills_stream_check CHECK (stream ~ '^[a-z][a-z0-9_]*$');
COMMENT ON COLUMN backfills.stream IS 'The stream''s name (jobs.Stream.Name): orders (getOrders or searchOrders by creation date), service_jobs (getServiceJobs by createdAfter/createdBefore), fulfillment_orders (listAllFulfillmentOrders from queryStartDate: one window, see from_time), or any stream the registry adds.';

ALTER TABLE push_receipts DROP CONSTRAINT push_receipts_stream_check;
ALTER TABLE push_receipts ADD CONSTRAINT push_receipts_stream_check CHECK (stream ~ '^[a-z][a-z0-9_]*$');

ALTER TABLE push_streams DROP CONSTRAINT push_streams_stream_check;
ALTER TABLE push_streams ADD CONSTRAINT push_streams_stream_check CHECK (stream ~ '^[a-z][a-z0-9_]*$');

-- +goose Down
-- The lists come back; rows of a stream the older version does not know make
-- the ADD fail, which is the point: that version would not sync them.
ALTER TABLE push_streams DROP CONSTRAINT push_streams_stream_check;
ALTER TABLE push_streams ADD CONSTRAINT push_streams_stream_check CHECK (stream IN ('orders', 'fulfillment_orders'));

ALTER TABLE push_receipts DROP CONSTRAINT push_receipts_stream_check;
ALTER TABLE push_receipts ADD CONSTRAINT push_receipts_stream_check CHECK (stream IN ('orders', 'fulfillment_orders'));

ALTER TABLE backfills DROP CONSTRAINT backfills_stream_check;
ALTER TABLE backfills ADD CONSTRAINT backfills_stream_check CHECK (stream IN ('orders', 'fulfillment_orders', 'service_jobs'));
COMMENT ON COLUMN backfills.stream IS 'orders (getOrders by CreatedAfter/CreatedBefore), service_jobs (getServiceJobs by createdAfter/createdBefore) or fulfillment_orders (listAllFulfillmentOrders from queryStartDate: one window, see from_time).';
