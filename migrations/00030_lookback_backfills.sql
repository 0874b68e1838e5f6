-- +goose Up
-- An account's first orders poll reads only its last hour
-- (SPSYNC_ORDERS_FIRST_WINDOW) and, in the transaction that sets its first
-- cursor, starts a backfill of the rest of its 30-day lookback: the same
-- window by last update date that the first poll used to walk before it
-- could set a cursor (for a busy seller, 30 searchOrders pages: half an hour
-- on Amazon's budget). That backfill is via 'lookback': one window, paged by
-- lastUpdatedAfter/lastUpdatedBefore, not by creation date.
ALTER TABLE backfills DROP CONSTRAINT backfills_via_check;
ALTER TABLE backfills ADD CONSTRAINT backfills_via_check CHECK (via IN ('api', 'reports', 'lookback'));
COMMENT ON COLUMN backfills.via IS 'api (the stream''s list operation, page by page, windows by creation date), reports (one order report per window: worker backfill orders, via reports) or lookback (the rest of an account''s first-poll lookback, by last update date, one window: started by its first orders poll).';

-- +goose Down
DELETE FROM backfills WHERE via = 'lookback';
ALTER TABLE backfills DROP CONSTRAINT backfills_via_check;
ALTER TABLE backfills ADD CONSTRAINT backfills_via_check CHECK (via IN ('api', 'reports'));
COMMENT ON COLUMN backfills.via IS 'api (the stream''s list operation, page by page) or reports (one order report per window: worker backfill orders, via reports).';
