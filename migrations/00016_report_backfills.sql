-- +goose Up
-- `worker backfill orders --via reports`: each window is one order report
-- (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL) instead of a walk of
-- list pages. A window remembers its report across crashes, so a report is
-- never requested twice for one window: report_requested_at is committed
-- before createReport is sent (a crash after it sends getReports looking
-- for the report first), report_id once Amazon named it.

ALTER TABLE backfills ADD COLUMN via text NOT NULL DEFAULT 'api' CHECK (via IN ('api', 'reports'));
COMMENT ON COLUMN backfills.via IS 'api (the stream''s list operation, page by page) or reports (one order report per window: worker backfill orders --via reports).';

ALTER TABLE backfill_windows
    ADD COLUMN report_requested_at timestamptz,
    ADD COLUMN report_id           text,
    ADD COLUMN report_status       text,
    ADD COLUMN fatal_reports       integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN backfill_windows.report_requested_at IS 'Via reports: when createReport was about to be sent for the window. Set with no report_id, the request may have reached Amazon: the next run looks for it with getReports before asking again.';
COMMENT ON COLUMN backfill_windows.report_id IS 'Via reports: the report of the window (reportId).';
COMMENT ON COLUMN backfill_windows.report_status IS 'Via reports: the report''s last known processingStatus (IN_QUEUE, IN_PROGRESS, DONE, CANCELLED, FATAL).';
COMMENT ON COLUMN backfill_windows.fatal_reports IS 'Via reports: how many of the window''s reports ended FATAL. After two the window is replaced by smaller windows (15, 7, then 1 day long; backfills.windows_total grows); a one-day window that keeps failing fails the backfill.';

-- +goose Down
ALTER TABLE backfill_windows DROP COLUMN fatal_reports, DROP COLUMN report_status,
    DROP COLUMN report_id, DROP COLUMN report_requested_at;
DELETE FROM backfills WHERE via = 'reports';
ALTER TABLE backfills DROP COLUMN via;
